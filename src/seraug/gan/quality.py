"""How good are the generated spectrograms? Three numbers per class, comparable across models.

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
* **Diversity ratio**: mean pairwise RMS distance between generated segments, divided by the same
  among real segments of the class. Near 0 means G ignores its code (mode collapse); the class is
  flagged when the ratio falls below ``collapse_ratio`` (by default the model's training threshold,
  :attr:`GANConfig.collapse_ratio <seraug.gan.config.GANConfig>`) or is NaN.

A model is called **usable** when every class passes the bars of :data:`USABLE`: FD at most 3 times
the real-halves floor, recognised at least as often as held-out real segments minus 15 points (the
GAN-test idea), diversity at least 0.7 of the real class's. The report lists each failure in plain
words (``problems``), so a model that draws one class for every code is called unusable, not tabled.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from seraug.errors import ConfigError
from seraug.gan.bundle import GANModel, generate
from seraug.gan.models import IMAGE_SIZE
from seraug.runtime import check_labels, check_segments

EMBEDDING = ("band statistics: mean and standard deviation over time of each of 32 groups of 4 adjacent mel "
             "bands of the [-1, 1]-normalised segment (64 dimensions)")
BAND_GROUP = 4
USABLE = {"fd_factor": 3.0, "recognition_margin": 0.15, "diversity": 0.7}
"""The bars a class must pass for a model to count as usable (see the module docstring)."""

COLUMNS = {
    "n": "real segments of the class",
    "FD gen": "Fréchet distance, generated vs real segments, in the embedding",
    "FD floor": "the same between two random halves of the real segments (what finite samples allow)",
    "recog gen": "share of generated segments a classifier trained on real ones assigns to their class",
    "recog real": "the same classifier's cross-validated recall on real segments of the class",
    "diversity": "mean pairwise distance of generated segments / of real ones",
}
"""The report table's column names and what each holds (printed under the table)."""

MAX_PAIRS_SAMPLES = 256
"""Diversity is measured on at most this many segments (a seeded subset) to bound the cost."""


def band_statistics(X: np.ndarray) -> np.ndarray:
    """Embedding ``(N, 2 * n_mels / 4)`` of segments ``(N, n_mels, frames)``: per band-group mean, then std."""
    X = np.asarray(X, dtype=np.float64)
    n, mels, frames = X.shape
    groups = X.reshape(n, mels // BAND_GROUP, BAND_GROUP, frames).mean(axis=2)
    return np.concatenate([groups.mean(axis=2), groups.std(axis=2)], axis=1)


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


def mean_pairwise_distance(X: np.ndarray, seed: int = 0) -> float:
    """Mean RMS difference between distinct pairs of segments ``(N, ...)`` (0 when all are equal or N < 2)."""
    X = np.asarray(X, dtype=np.float32).reshape(len(X), -1)
    if len(X) > MAX_PAIRS_SAMPLES:
        X = X[np.random.default_rng(seed).choice(len(X), MAX_PAIRS_SAMPLES, replace=False)]
    if len(X) < 2:
        return 0.0
    t = torch.from_numpy(X).double()
    distances = torch.cdist(t, t) / np.sqrt(X.shape[1])
    return float(distances.sum() / (len(X) * (len(X) - 1)))


def _real_recall(classifier, embedding: np.ndarray, y: np.ndarray, n_classes: int, seed: int) -> np.ndarray:
    """Cross-validated recall per class on real segments (NaN when a class has fewer than 2 segments)."""
    counts = np.bincount(y, minlength=n_classes)
    if counts.min() < 2:
        return np.full(n_classes, np.nan)
    folds = StratifiedKFold(n_splits=min(5, int(counts.min())), shuffle=True, random_state=seed)
    predicted = cross_val_predict(classifier, embedding, y, cv=folds)
    return np.array([np.mean(predicted[y == k] == k) for k in range(n_classes)])


def quality_report(
    model: GANModel,
    X: np.ndarray,
    y: np.ndarray,
    n_per_class: int | None = None,
    seed: int = 0,
    collapse_ratio: float | None = None,
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

    Returns:
        JSON-able dict: ``embedding`` (what the FD is computed on), ``classes`` (name -> metrics:
        ``n_real``, ``n_generated``, ``frechet_distance``, ``frechet_real_halves``, ``recognition_rate``,
        ``real_recall_cv``, ``diversity_generated``, ``diversity_real``, ``diversity_ratio``,
        ``mode_collapse``) and ``mean`` over classes. Classes with fewer than 2 real segments are left out.

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
    embedding = band_statistics(X)
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    real_recall = _real_recall(classifier, embedding, y, n_classes, seed)
    classifier.fit(embedding, y)
    rng = np.random.default_rng(seed)
    classes = {}
    for k, name in enumerate(model.class_names):
        real = X[y == k]
        if len(real) < 2:
            continue
        fake = generate(model, k, n_per_class or max(len(real), 16), seed=seed + k)
        fake_embedding = band_statistics(fake)
        halves = np.array_split(rng.permutation(len(real)), 2)
        div_fake, div_real = mean_pairwise_distance(fake, seed), mean_pairwise_distance(real, seed)
        ratio = div_fake / div_real if div_real > 0 else float("nan")
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
        }
    keys = ("frechet_distance", "recognition_rate", "diversity_ratio")
    mean = {key: float(np.mean([c[key] for c in classes.values()])) for key in keys} if classes else {}
    problems = _problems(classes)
    return {
        "usable": bool(classes) and not problems,
        "problems": problems,
        "arch": model.config.arch,
        "embedding": EMBEDDING,
        "classifier": "logistic regression (standardised) on the embedding, trained on the real segments",
        "diversity": "mean pairwise RMS distance of [-1, 1] segments, generated / real",
        "collapse_ratio": collapse_ratio,
        "classes": classes,
        "mean": mean,
    }


def _problems(classes: dict[str, dict]) -> list[str]:
    """Each class's failures of the :data:`USABLE` bars, in plain words."""
    problems = []
    for name, c in classes.items():
        floor = c["frechet_real_halves"]
        if floor is not None and c["frechet_distance"] > USABLE["fd_factor"] * floor:
            times = f"{c['frechet_distance'] / floor:.0f}x" if floor > 0 else "above"
            problems.append(f"{name}: FD {c['frechet_distance']:.3g} is {times} the real floor {floor:.3g} (at most "
                            f"{USABLE['fd_factor']:g}x): unlike real segments")
        real = c["real_recall_cv"]
        if real is not None and c["recognition_rate"] < real - USABLE["recognition_margin"]:
            problems.append(f"{name}: generated segments recognised {c['recognition_rate']:.2f}, real ones "
                            f"{real:.2f}: they do not carry their class")
        if c["mode_collapse"] or not c["diversity_ratio"] >= USABLE["diversity"]:
            problems.append(f"{name}: diversity {c['diversity_ratio']:.2f} of the real class's (at least "
                            f"{USABLE['diversity']:g})" + (": mode collapse" if c["mode_collapse"] else ""))
    return problems


def format_report(report: dict, title: str = "") -> str:
    """The report as a fixed-width table, one row per class, the columns explained, then the verdict."""
    header = (f"{'class':12s} {'n':>5s} {'FD gen':>8s} {'FD floor':>9s} {'recog gen':>10s} {'recog real':>10s} "
              f"{'diversity':>9s}  collapse")
    lines = [title or f"GAN quality ({report['arch']}); FD in {report['embedding']}", header]

    def num(value, fmt: str) -> str:
        return format(value, fmt) if value is not None else "-"

    for name, c in report["classes"].items():
        lines.append(f"{name:12s} {c['n_real']:5d} {c['frechet_distance']:8.3f} "
                     f"{num(c['frechet_real_halves'], '9.3f')} {c['recognition_rate']:10.2f} "
                     f"{num(c['real_recall_cv'], '10.2f')} {c['diversity_ratio']:9.2f}  "
                     f"{'YES' if c['mode_collapse'] else 'no'}")
    if report["mean"]:
        m = report["mean"]
        lines.append(f"{'mean':12s} {'':5s} {m['frechet_distance']:8.3f} {'':9s} {m['recognition_rate']:10.2f} "
                     f"{'':10s} {m['diversity_ratio']:9.2f}")
    lines += [f"  {name}: {meaning}" for name, meaning in COLUMNS.items()]
    if report.get("problems"):
        lines.append(f"WARNING: unusable for balancing ({len(report['problems'])} problem(s)):")
        lines += [f"  {problem}" for problem in report["problems"]]
    elif report["classes"]:
        lines.append("usable: every class passes FD, recognition and diversity bars")
    return "\n".join(lines)
