"""How good are the generated spectrograms? Numbers per class, comparable across models.

* **Fréchet distance** between real and generated segments of a class, in a fixed embedding that
  does not depend on any trained network: *band statistics*, the mean and the standard deviation
  over time of each of 32 groups of 4 adjacent mel bands of the normalised segment (64 numbers). It
  sees the spectral envelope and its temporal spread, which is what distinguishes emotions in a
  log-mel image (and what BAGAN's saturated "0 and 1" regions of the paper's Fig. 2a destroy); being
  fixed, it ranks the proposed model and BAGAN on the same scale. The FD between two random halves
  of the real class is reported beside it as the floor that finite samples allow.
* **Recognition rate**: a logistic regression trained on the real segments' embeddings (all classes)
  labels the generated ones; the fraction given the class they were generated for. Beside it, the
  same classifier's cross-validated recall on real segments of the class, for scale.
* **GAN-train** (classification accuracy score), when held-out real segments are given (other speakers
  than the GAN's): the same kind of classifier trained only on generated segments (as many per class),
  tested on the held-out real ones; its UAR divided by that of the classifier trained on the real
  segments. Generated segments that carry their class teach a classifier almost as well as real ones.
* **In a learned embedding**, when a function ``embed`` is given (e.g. the penultimate layer of the
  evaluation VGG19 trained on the real segments, :func:`seraug.classifier.embed`; FID-style scores use a
  learned embedding, and this one needs no download): the Fréchet distances and GAN-train again in it.
* **Striations**: harmonic striations are what makes a segment look like voiced speech and what a blurry
  generator loses first, and the embeddings above hardly see them (a band-group mean averages them away).
  :func:`striation_energy` measures them: in the bands below about 1 kHz, the power of horizontal fine
  structure spaced like the harmonics of a voice and lasting a quarter second or more, minus what noise
  without such structure puts there. The class's generated mean over its real mean is reported; a mel
  axis blurred by one band keeps about 0.6 of it, white noise and the class's mean image about 0. It
  sees striations, not whether their spacing is regular: random horizontal lines count too.
* **Pauses**: :func:`pause_share`, the share of frames silent across the bands (mean level below
  :data:`PAUSE_LEVEL`): the gaps between words and the end of an utterance, generated beside real. A generator
  that fills its segments with a dense texture scores low. Shown, without a bar.
* **Diversity ratio**: mean pairwise RMS distance between generated segments, divided by the same
  among real segments of the class. Near 0 means G ignores its code (mode collapse); the class is
  flagged when the ratio falls below ``collapse_ratio`` (by default the model's training threshold,
  :attr:`GANConfig.collapse_ratio <seraug.gan.config.GANConfig>`) or is NaN.
* **Held-out reference**, when held-out real segments are given: the Fréchet distance to the class's
  training segments of its held-out real segments (speakers neither the GAN nor the embedding saw) and of
  as many generated ones, in each embedding. The real-halves floor is what samples of the *training*
  speakers allow; in a learned embedding trained on those very segments, real speech of unseen speakers
  lies far above it (on EmoDB 4 to 100 times in the VGG19 embedding), so "generated over held-out real"
  says whether the generated segments are further from the training data than new real speech is.

Every measure is declared once, with its column and its bar, in :data:`seraug.gan.measures.MEASURES`: the report's verdict, its
printed table and ``benchmarks/gan_quality.py`` read them there. A model is called **usable** when every class
passes every bar (and GAN-train its own); the report lists each failure in plain words (``problems``), so a
model that draws one class for every code is called unusable, not tabled.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import scipy.linalg
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from seraug.errors import ConfigError
from seraug.gan.bundle import GANModel, generate
from seraug.gan.diversity import mean_pairwise_distance
from seraug.gan.measures import problems
from seraug.gan.models import IMAGE_SIZE
from seraug.runtime import check_labels, check_segments

EMBEDDING = ("band statistics: mean and standard deviation over time of each of 32 groups of 4 adjacent mel "
             "bands of the [-1, 1]-normalised segment (64 dimensions)")
BAND_GROUP = 4


def band_statistics(X: np.ndarray) -> np.ndarray:
    """Embedding ``(N, 2 * n_mels / 4)`` of segments ``(N, n_mels, frames)``: per band-group mean, then std."""
    X = np.asarray(X, dtype=np.float64)
    n, mels, frames = X.shape
    groups = X.reshape(n, mels // BAND_GROUP, BAND_GROUP, frames).mean(axis=2)
    return np.concatenate([groups.mean(axis=2), groups.std(axis=2)], axis=1)


STRIATION_BANDS = 44
"""Mel bands the striation energy looks at: at the paper's front end (128 Slaney mels up to 8 kHz) the
lowest 44 lie below 1 kHz, where the mel scale is linear (23 Hz per band), so harmonics of one voice
are evenly spaced there."""
HARMONIC_SPACING = (3.5, 14.0)
"""Spacings between striations, in bands, that count as harmonics: F0 of about 80 to 330 Hz."""
STEADY, FLICKER = 0.1, 0.25
"""Temporal modulation, in cycles per frame (40 frames a second at a 25 ms hop): at most ``STEADY``
(4 Hz) is a striation that lasts; at least ``FLICKER`` (10 Hz) is what measures the noise floor."""


def striation_energy(X: np.ndarray) -> np.ndarray:
    """Harmonic striation energy ``(N,)`` of segments ``(N, n_mels, frames)`` in the [-1, 1] scale.

    The 2-D power spectrum (spectro-temporal modulation spectrum) of the lowest :data:`STRIATION_BANDS`
    bands, mean removed, normalised per pixel. Its power at spectral modulations of one cycle per 3.5 to
    14 bands and temporal modulations up to :data:`STEADY` is what lasting harmonic striations put there.
    Incoherent texture spreads its power evenly over temporal modulations, so the power at
    :data:`FLICKER` and above, scaled to the same area, is subtracted: white noise gives about 0, a
    smooth envelope little, real voiced speech most. Units: squared [-1, 1] amplitude per pixel.
    """
    X = np.asarray(X, dtype=np.float64)[:, :STRIATION_BANDS, :]
    patches = X - X.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(patches)) ** 2 / (patches.shape[1] * patches.shape[2])
    spectral = np.abs(np.fft.fftfreq(patches.shape[1]))[:, None]
    temporal = np.abs(np.fft.fftfreq(patches.shape[2]))[None, :]
    harmonic = (spectral >= 1 / HARMONIC_SPACING[1]) & (spectral <= 1 / HARMONIC_SPACING[0])
    steady, flicker = harmonic & (temporal <= STEADY), harmonic & (temporal >= FLICKER)
    noise = (power * flicker).sum(axis=(1, 2)) * steady.sum() / flicker.sum()
    return (power * steady).sum(axis=(1, 2)) - noise


PAUSE_LEVEL = -0.7
"""Mean level over all bands, in the [-1, 1] scale, below which :func:`pause_share` counts a frame as a pause:
the silences between words and after an utterance's end lie below it, voiced and fricative frames above. On
the training speakers of EmoDB fold group-1 a fifth of real frames are pauses (sadness 0.07, fear 0.31)."""


def pause_share(X: np.ndarray) -> float:
    """Share of the frames of segments ``(N, n_mels, frames)`` in the [-1, 1] scale whose mean over the bands is
    below :data:`PAUSE_LEVEL`: the pauses and utterance ends a generator that fills its segments lacks."""
    return float((np.asarray(X, dtype=np.float64).mean(axis=1) < PAUSE_LEVEL).mean())


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to rows of ``a`` ``(n, d)`` and ``b`` ``(m, d)``.

    ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))``.

    Raises:
        ValueError: ``a`` or ``b`` has fewer than 2 rows (no covariance).
    """
    if len(a) < 2 or len(b) < 2:
        raise ConfigError(f"a Fréchet distance needs at least 2 samples on each side, got {len(a)} and {len(b)}")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():  # singular covariances are expected for small classes; sqrtm copes
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        root = scipy.linalg.sqrtm(cov_a @ cov_b)
    value = np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(np.real(root))
    return float(max(value, 0.0))


def _real_recall(classifier, embedding: np.ndarray, y: np.ndarray, n_classes: int, seed: int) -> np.ndarray:
    """Cross-validated recall per class on real segments (NaN when a class has fewer than 2 segments)."""
    counts = np.bincount(y, minlength=n_classes)
    if counts.min() < 2:
        return np.full(n_classes, np.nan)
    folds = StratifiedKFold(n_splits=min(5, int(counts.min())), shuffle=True, random_state=seed)
    predicted = cross_val_predict(classifier, embedding, y, cv=folds)
    return np.array([np.mean(predicted[y == k] == k) for k in range(n_classes)])


def _classifier():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def _uar(predicted: np.ndarray, y: np.ndarray) -> float:
    """Mean recall over the classes present in ``y``."""
    return float(np.mean([np.mean(predicted[y == k] == k) for k in np.unique(y)]))


def gan_train(train_real: np.ndarray, y: np.ndarray, train_generated: np.ndarray, y_generated: np.ndarray,
              test: np.ndarray, y_test: np.ndarray) -> dict:
    """GAN-train in one embedding: the UAR on ``test`` of a classifier fitted on generated rows, of one
    fitted on real rows, and their ratio (rows are embeddings ``(n, d)``; labels class indices)."""
    generated = _uar(_classifier().fit(train_generated, y_generated).predict(test), y_test)
    real = _uar(_classifier().fit(train_real, y).predict(test), y_test)
    return {"uar_generated": generated, "uar_real": real, "ratio": generated / real if real > 0 else float("nan")}


def quality_report(
    model: GANModel,
    X: np.ndarray,
    y: np.ndarray,
    n_per_class: int | None = None,
    seed: int = 0,
    collapse_ratio: float | None = None,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    embed: Callable[[np.ndarray], np.ndarray] | None = None,
    *,
    spread: float = 1.0,
    best_of: int = 1,
) -> dict:
    """Per-class quality of ``model``'s samples against real normalised segments.

    Args:
        model: a trained GAN.
        X: real segments ``(N, 128, 128)`` in [-1, 1] (the model's normalised scale).
        y: ``(N,)`` class indices into ``model.class_names``.
        n_per_class: generated segments per class, at least 2 (default: as many as the class has real
            ones, at least 16).
        seed: seeds generation, subsets and folds.
        collapse_ratio: a class is flagged when generated diversity / real diversity is below this or
            NaN (default: ``model.config.collapse_ratio``, the threshold training used).
        X_test, y_test: held-out real segments (speakers the GAN did not see), normalised like ``X``,
            for GAN-train and the held-out reference of the Fréchet distances; None leaves them out.
        embed: ``(n, 128, 128)`` segments -> ``(n, d)`` features of a learned embedding (e.g. the
            evaluation classifier's penultimate layer); None leaves the learned-embedding numbers out.
        spread, best_of: how the samples are drawn (:func:`seraug.gan.generate`; 1 and 1: as trained).

    Returns:
        JSON-able dict: ``embedding`` (what the FD is computed on), ``classes`` (name -> metrics:
        ``n_real``, ``n_generated``, ``frechet_distance``, ``frechet_real_halves``, ``recognition_rate``,
        ``real_recall_cv``, ``diversity_generated``, ``diversity_real``, ``diversity_ratio``,
        ``mode_collapse``, ``striations_*``, ``pauses_*`` (:func:`pause_share`), ``pause_ratio``; with
        ``embed`` also ``frechet_distance_classifier`` and ``frechet_real_halves_classifier``; with ``X_test``
        also ``heldout``: ``n`` and per embedding name the FD to the class's training segments of ``n``
        held-out ``real`` and ``n`` ``generated`` segments, where the class has at least 2 held-out ones),
        ``mean`` over classes, and with ``X_test`` ``gan_train`` (embedding name -> ``uar_generated``,
        ``uar_real``, ``ratio``). Classes with fewer than 2 real
        segments are left out.

    Raises:
        ValueError: ``X`` is not ``(N, 128, 128)``, ``y`` not ``(N,)`` class indices, ``n_per_class`` < 2.
    """
    n_classes = len(model.class_names)
    X = check_segments("X", X, (IMAGE_SIZE, IMAGE_SIZE))
    y = check_labels("y", y, len(X), n_classes)
    if n_per_class is not None and n_per_class < 2:
        raise ConfigError(f"n_per_class must be at least 2 (a Fréchet distance needs 2 samples), got {n_per_class}")
    if collapse_ratio is None:
        collapse_ratio = model.config.collapse_ratio
    held_out = X_test is not None and y_test is not None
    if held_out:
        X_test = check_segments("X_test", X_test, (IMAGE_SIZE, IMAGE_SIZE))
        y_test = check_labels("y_test", y_test, len(X_test), n_classes)
    embedding = band_statistics(X)
    learned = embed(X) if embed is not None else None
    spaces = [("band statistics", band_statistics, embedding)] + (
        [("classifier", embed, learned)] if learned is not None else [])
    classifier = _classifier()
    real_recall = _real_recall(classifier, embedding, y, n_classes, seed)
    classifier.fit(embedding, y)
    rng = np.random.default_rng(seed)
    held_rng = np.random.default_rng([seed, 1])  # its own stream: the halves stay those of a report without X_test
    classes = {}
    for k, name in enumerate(model.class_names):
        real = X[y == k]
        if len(real) < 2:
            continue
        fake = generate(model, k, n_per_class or max(len(real), 16), seed=seed + k, spread=spread, best_of=best_of)
        fake_embedding = band_statistics(fake)
        halves = np.array_split(rng.permutation(len(real)), 2)
        div_fake, div_real = mean_pairwise_distance(fake, seed), mean_pairwise_distance(real, seed)
        ratio = div_fake / div_real if div_real > 0 else float("nan")
        striations_fake, striations_real = (float(striation_energy(x).mean()) for x in (fake, real))
        pauses_fake, pauses_real = pause_share(fake), pause_share(real)
        classes[name] = {
            "n_real": int(len(real)),
            "n_generated": int(len(fake)),
            "frechet_distance": frechet_distance(embedding[y == k], fake_embedding),
            "frechet_real_halves": (frechet_distance(embedding[y == k][halves[0]], embedding[y == k][halves[1]])
                                    if len(real) >= 4 else None),
            "recognition_rate": float(np.mean(classifier.predict(fake_embedding) == k)),
            "real_recall_cv": None if np.isnan(real_recall[k]) else float(real_recall[k]),
            "diversity_generated": div_fake,
            "diversity_real": div_real,
            "diversity_ratio": ratio,
            "mode_collapse": not ratio >= collapse_ratio,  # NaN (e.g. all real segments equal) is flagged too
            "striations_generated": striations_fake,
            "striations_real": striations_real,
            "striation_ratio": striations_fake / striations_real if striations_real > 0 else float("nan"),
            "pauses_generated": pauses_fake,
            "pauses_real": pauses_real,
            "pause_ratio": pauses_fake / pauses_real if pauses_real > 0 else float("nan"),
        }
        if learned is not None:
            own = learned[y == k]
            classes[name]["frechet_distance_classifier"] = frechet_distance(own, embed(fake))
            classes[name]["frechet_real_halves_classifier"] = (frechet_distance(own[halves[0]], own[halves[1]])
                                                               if len(real) >= 4 else None)
        if held_out and np.sum(y_test == k) >= 2:
            classes[name]["heldout"] = _heldout(X_test[y_test == k], fake, y == k, spaces, held_rng)
    keys = ("frechet_distance", "recognition_rate", "diversity_ratio", "striation_ratio", "pause_ratio") + (
        ("frechet_distance_classifier",) if learned is not None else ())
    mean = {key: float(np.mean([c[key] for c in classes.values()])) for key in keys} if classes else {}
    trained = {}
    if held_out and classes:
        per_class = n_per_class or int(np.bincount(y).max())  # a balanced generated training set
        kept = [model.class_names.index(name) for name in classes]
        fakes = [generate(model, k, per_class, seed=seed + 1000 + k, spread=spread, best_of=best_of) for k in kept]
        y_fake = np.repeat(kept, per_class)
        for name, fn, real_rows in spaces:  # the real segments' embeddings are the ones computed above
            trained[name] = gan_train(real_rows, y, np.concatenate([fn(f) for f in fakes]), y_fake, fn(X_test), y_test)
    report = {
        "arch": model.config.arch,
        "sample_spread": spread,
        "sample_best_of": best_of,
        "embedding": EMBEDDING,
        "classifier": "logistic regression (standardised) on the embedding, trained on the real segments",
        "diversity": "mean pairwise RMS distance of [-1, 1] segments, generated / real",
        "striations": "striation energy (seraug.gan.quality.striation_energy), generated / real",
        "pauses": "seraug.gan.quality.pause_share of generated and of real segments; pause_ratio: generated / real",
        "collapse_ratio": collapse_ratio,
        "classes": classes,
        "mean": mean,
        "gan_train": trained,
    }
    failures = problems(report)
    return {"usable": bool(classes) and not failures, "problems": failures, **report}


def _heldout(held: np.ndarray, fake: np.ndarray, own: np.ndarray, spaces: list, rng: np.random.Generator) -> dict:
    """Fréchet distances to one class's training segments of its held-out real segments ``held`` and of its
    generated ones ``fake`` (both ``(n, 128, 128)``), as many of each (the smaller count; the FD of few samples is
    biased upwards, so only equal counts compare), in every embedding of ``spaces`` (name, function, embedded
    training segments); ``own`` marks the class's rows among those."""
    n = min(len(held), len(fake))
    held, fake = held[rng.permutation(len(held))[:n]], fake[:n]
    return {"n": n} | {name: {"real": frechet_distance(rows[own], fn(held)),
                              "generated": frechet_distance(rows[own], fn(fake))} for name, fn, rows in spaces}

