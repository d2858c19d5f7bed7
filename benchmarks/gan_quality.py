"""Which GAN settings give samples worth training on: quality of GAN variants on one EmoDB fold.

    python benchmarks/gan_quality.py [--variants NAME,NAME] [--seeds 0,1] [--sampling fitted,best_of=4]
                                     [--fold group-1] [--out runs/gan-quality] [--data ../shared/data] [--device cpu]

On the training speakers of one fold of the README's main command (``--folds groups --n-groups 5``),
every variant trains a GAN on the real training segments (min-max normalised on them); the evaluation
VGG19 (the ``cpu`` preset's recipe) is trained once on the same segments and gives the learned
embedding. Each variant is then scored by :func:`seraug.gan.quality_report` against the real training
segments and the fold's two held-out test speakers: per class the Fréchet distance over its real-halves
floor in the band-statistics and in the VGG19 embedding, GAN-test (generated recognised minus real
recall), diversity, striations, and GAN-train (a classifier trained on generated segments only, tested on
the test speakers, over the same classifier trained on real ones), the share of voiced frames and the pitch motion
between them (generated over real, ``source_filter.pitch_statistics``), the share of frames in pauses
(generated over real, :func:`seraug.gan.quality.pause_share`), the FD to the training segments of generated
segments over that of as many held-out real ones of the test speakers (``gen/held``, in both embeddings: the
learned one puts real speech of unseen speakers far above the real-halves floor, printed under the table),
with the seconds the GAN took to train. With ``--sampling`` each trained model is also scored sampled otherwise
(its codes nearer their class means, ``spread``; the best of N draws by D, ``best_of``: the arguments of
:func:`seraug.gan.generate`), without retraining. With ``--seeds`` every variant trains once per GAN seed and the
table adds each variant's mean over them. The first variant (its mean) is the baseline of the ``vs base``
column. Models, the classifier and one grid of real beside generated segments per class (``grid.png``, and
``grid-zoom.png`` with one segment each, its lowest 64 bands and first 1.6 s) land in ``--out``; a re-run
reuses finished models (their ``GAN s`` is then the time to load them, not to train them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from gan_variants import VARIANTS as RESEARCH  # noqa: E402
from source_filter import pitch_statistics  # noqa: E402

from seraug.classifier import embed, fit_or_load  # noqa: E402
from seraug.classifier.recipes import CLASSIFIER_PRESETS  # noqa: E402
from seraug.corpora import load_manifest  # noqa: E402
from seraug.experiment.folds import make_folds  # noqa: E402
from seraug.features.store import extract_features  # noqa: E402
from seraug.gan import GANConfig, generate, quality_report, real_and_generated, spectrogram_grid, train_gan  # noqa: E402
from seraug.gan.measures import bars_text, summary_row  # noqa: E402
from seraug.gan.recipes import recipe_config  # noqa: E402
from seraug.gan.train import Variant  # noqa: E402
from seraug.features.normalise import MinMaxScaler  # noqa: E402

ZOOM = (64, 64)
"""Bands and frames of ``grid-zoom.png``: up to 1.7 kHz and 1.6 s, where a voice's harmonics are resolved."""
PAPER = recipe_config("paper")
NO_DROPOUT = replace(PAPER, dropout=0.0)
FAST_AE = replace(NO_DROPOUT, ae_lr=1e-3)
FAST_GAN = replace(FAST_AE, gan_lr=1e-4)
RECIPE = Variant()
VARIANTS: dict[str, tuple[GANConfig, Variant]] = {
    "cpu-preset": (PAPER, RECIPE),
    "no-dropout": (NO_DROPOUT, RECIPE),
    "+ae-lr-1e-3": (FAST_AE, RECIPE),
    "+gan-lr-1e-4": (FAST_GAN, RECIPE),
    "+10-ae-epochs": (replace(FAST_GAN, ae_epochs=10), RECIPE),
    "+width-0.25": (replace(FAST_GAN, ae_epochs=10, width=1 / 4), RECIPE),
    "+40-ae-4-gan-epochs": (replace(FAST_GAN, width=1 / 4, ae_epochs=40, gan_epochs=4), RECIPE),
    "+60-ae-epochs": (replace(FAST_GAN, width=1 / 4, ae_epochs=60, gan_epochs=4), RECIPE),
    "+8-gan-epochs": (replace(FAST_GAN, width=1 / 4, ae_epochs=60, gan_epochs=8), RECIPE),
    "gan-tuned": RESEARCH["tuned"],  # + fine-tuning Adam 2e-4, G's moving average 0.97, 20 epochs
    "+texture-10": (recipe_config("texture"), RECIPE),  # the texture recipe
    "+g-texture-1000": RESEARCH["texture_fm"],
    "+g-rhythm-100": RESEARCH["rhythm"],
    "+g-glide-300": RESEARCH["glide"],
    "+g-glide-300-level-100": RESEARCH["glide_level"],
    "+source-filter": RESEARCH["source_filter"],
    "+source-filter-rhythm-100": RESEARCH["source_filter_rhythm"],
    "+source-filter-level-100": RESEARCH["source_filter_level"],
    "bagan": (recipe_config("bagan"), RECIPE),
    "paper-size": (recipe_config("paper", "paper"), RECIPE),  # the paper's settings at the paper size (a GPU's work)
    "paper-size-bagan": (recipe_config("bagan", "paper"), RECIPE),
    "texture-paper-size": (recipe_config("texture", "paper"), RECIPE),
}
"""name -> (GAN config, research hooks). ``cpu-preset`` is what the ``gan`` strategy trains: the paper's settings
(dropout 0.2 after every layer, autoencoder Adam 5e-5, fine-tuning Adam 1e-6) at the preset's width
1/16 and 4 + 2 epochs; each row after it changes the row above as its name says (``gan-tuned`` is the
tuned schedule, chosen with ``benchmarks/gan_fine_tuning.py``; ``+texture-10`` adds the texture term
to its autoencoder's loss, weight 10, the best of ``benchmarks/gan_autoencoder.py``: the ``texture`` recipe, the
``gan_texture`` strategy). The rows after it are the research variants of ``gan_variants.py``: ``+g-texture-1000``
adds to G's fine-tuning loss 1000 times the texture-profile difference of its fakes and the real batch;
``+g-rhythm-100`` also matches the time-axis modulations (onsets, pauses), ``+g-glide-300`` instead the tilt of
the striations (pitch contours), and ``+g-glide-300-level-100`` adds the level term (the quantiles of the frame
levels); ``+source-filter`` is ``+g-texture-1000`` whose G draws its segments as the harmonics of a pitch contour
(``source_filter.py``), its autoencoder told the real segments' pitch, with the rhythm or level term in the next
two rows. ``bagan`` is the original BAGAN at the preset's size. ``paper-size``, ``paper-size-bagan`` and
``texture-paper-size`` are the three recipes at the ``paper`` preset's size: runs for a GPU (``--device cuda``)."""


def fold_data(data: Path, fold_name: str, out: Path):
    """Normalised training and test segments of one fold, their classes, the class names, the scaler and
    the training segments in dB (for :func:`seraug.classifier.fit_or_load`)."""
    manifest = load_manifest("emodb", data / "emodb")
    X, segments = extract_features(manifest, out / "features", progress=False)
    fold = next(f for f in make_folds(manifest, "groups", n_groups=5, validation_fraction=0, seed=0)
                if f.name == fold_name)
    labels = sorted(manifest["label"].unique())
    y = np.searchsorted(labels, segments["label"].to_numpy())
    train = segments["utterance"].isin(set(fold.train)).to_numpy()
    test = segments["utterance"].isin(set(fold.test)).to_numpy()
    scaler = MinMaxScaler().fit(X[train])
    return scaler.transform(X[train]), y[train], scaler.transform(X[test]), y[test], labels, scaler, X[train]


def summary(report: dict, seconds: float, model, X: np.ndarray, drawn: dict | None = None) -> dict:
    """One table row: every measure of :data:`seraug.gan.measures.MEASURES` (class means), the pitch statistics of
    32 of ``model``'s segments per class (drawn as ``drawn`` says) over those of the real ``X`` (the source-filter
    research's own measure), how far generated segments lie beside held-out real ones, and the verdict."""
    classes = report["classes"].values()
    fake = np.concatenate([generate(model, k, 32, seed=k, **(drawn or {})) for k in range(len(model.class_names))])

    def over_held(space: str) -> float:
        return float(np.mean([c["heldout"][space]["generated"] / c["heldout"][space]["real"] for c in classes]))

    pitch_fake, pitch_real = pitch_statistics(fake), pitch_statistics(X)
    return {"GAN s": seconds, **summary_row(report),
            "voiced": pitch_fake["voiced"] / pitch_real["voiced"],
            "pitch motion": pitch_fake["motion"] / pitch_real["motion"],
            "gen/held": over_held("band statistics"), "gen/held clf": over_held("classifier"),
            "usable": report["usable"]}


def sampling(how: str) -> dict:
    """``--sampling``'s entry as :func:`seraug.gan.generate`'s arguments: ``fitted`` -> ``{}``,
    ``spread=0.8+best_of=4`` -> ``{"spread": 0.8, "best_of": 4}``."""
    if how == "fitted":
        return {}
    arguments = {}
    for part in how.split("+"):
        key, _, value = part.partition("=")
        if key not in ("spread", "best_of"):
            raise SystemExit(f"--sampling {how}: unknown {key!r}; use spread or best_of")
        arguments[key] = float(value) if key == "spread" else int(value)
    return arguments


def row_name(variant: str, how: str) -> str:
    """A variant's name in the table, with how it was sampled where that is not as trained."""
    return variant if how == "fitted" else f"{variant} {how}"


def cell(value: float | bool | None) -> str:
    """A row's number as printed: two decimals (``usable`` as True / False, an unmeasured one as -)."""
    return f"{value:.2f}" if isinstance(value, float) else "-" if value is None else str(value)


def fold_arguments(parser: argparse.ArgumentParser, out: str) -> None:
    """The options every GAN quality benchmark shares: the fold, the output folder, the data folder."""
    parser.add_argument("--fold", default="group-1", help="fold of the main command (group-1 .. group-5)")
    parser.add_argument("--out", default=out, help="folder for models, classifier and grid")
    parser.add_argument("--data", default="../shared/data", help="folder holding emodb/")
    parser.add_argument("--device", default="cpu",
                        help="where the benchmark's networks train: cpu (default, as for the README's CPU tables), cuda or auto")


def fold_and_classifier(args: argparse.Namespace):
    """``out`` folder, :func:`fold_data`'s normalised segments, classes, names and scaler, and the evaluation
    VGG19 (the cpu recipe) trained on the real training segments, saved in ``out`` and reused. Its scaler
    is fitted on the same segments as the GANs' one, so both see the same normalised inputs."""
    out = Path(args.out) / args.fold
    X, y, X_test, y_test, labels, scaler, X_db = fold_data(Path(args.data), args.fold, out)
    vgg = fit_or_load(out / "classifier.pt", X_db, y, len(labels), replace(CLASSIFIER_PRESETS["cpu"], device=args.device),
                      progress=False)
    return out, X, y, X_test, y_test, labels, scaler, vgg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--seeds", default="0", help="comma-separated GAN seeds each variant trains with (its "
                        "config's seed replaced); with more than one the table adds each variant's mean, so a "
                        "difference between variants can be set against the spread between seeds")
    parser.add_argument("--sampling", default="fitted", help="comma-separated ways each trained model is sampled "
                        "and scored, without retraining: fitted (as trained), or KEY=VALUE[+KEY=VALUE] of spread "
                        "and best_of (seraug.gan.generate's arguments), e.g. fitted,best_of=4; "
                        "any but fitted adds itself to the row's name")
    fold_arguments(parser, "runs/gan-quality")
    args = parser.parse_args()
    out, X, y, X_test, y_test, labels, scaler, vgg = fold_and_classifier(args)
    seeds, samplings = [int(s) for s in args.seeds.split(",")], args.sampling.split(",")
    rows, models = {}, {}
    seed_rows = {(name, how): [] for name in args.variants.split(",") for how in samplings}
    for name in args.variants.split(","):
        for seed in seeds:
            folder = out / (name if seed == 0 else f"{name}@seed{seed}")  # seed 0 (the configs' own) keeps its folder
            started = time.perf_counter()
            config, variant = VARIANTS[name]
            trained = train_gan(X, y, len(labels), replace(config, seed=seed), folder, args.device,
                                class_names=labels, scaler=scaler, progress=False, variant=variant)
            seconds = time.perf_counter() - started
            for how in samplings:
                label = row_name(name, how)
                run = label if seed == 0 else f"{label} seed {seed}"
                model, drawn = trained, sampling(how)
                report = quality_report(model, X, y, seed=0, X_test=X_test, y_test=y_test,
                                        embed=lambda Z: embed(vgg, Z), **drawn)
                json_name = "quality_benchmark.json" if how == "fitted" else f"quality_benchmark_{how}.json"
                (folder / json_name).write_text(json.dumps(report, indent=1))
                rows[run] = summary(report, seconds, model, X, drawn)
                seed_rows[(name, how)].append(rows[run])
                print(f"{run}: " + ", ".join(f"{k} {cell(v)}" for k, v in rows[run].items()), flush=True)
                if seed != seeds[0]:
                    continue  # the grid shows each variant's first seed; written after each, kept if cut off
                models[label] = model
                spectrogram_grid(out / "grid.png", real_and_generated(models, X, y, labels, n=2),
                                 title=f"EmoDB {args.fold} training speakers: real beside each variant's segments")
                spectrogram_grid(out / "grid-zoom.png", real_and_generated(models, X, y, labels, n=1), crop=ZOOM,
                                 title=f"EmoDB {args.fold}: lowest {ZOOM[0]} mel bands (to 1.7 kHz), first 1.6 s")
    if len(seeds) > 1:
        for (name, how), runs in seed_rows.items():
            rows[f"{row_name(name, how)} (mean of {len(seeds)} seeds)"] = {
                k: all(r[k] for r in runs) if k == "usable" else
                None if any(r[k] is None for r in runs) else float(np.mean([r[k] for r in runs])) for k in runs[0]}
    base = rows[f"{next(iter(models))} (mean of {len(seeds)} seeds)" if len(seeds) > 1 else next(iter(rows))]["FD/floor clf"]
    keys = list(next(iter(rows.values())))
    print(f"\nEmoDB fold {args.fold}: {len(X)} training segments, {len(X_test)} test segments, {len(labels)} classes")
    print("| variant | " + " | ".join(keys) + " | FD/floor clf vs base |")
    print("| --- " * (len(keys) + 2) + "|")
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(cell(v) for v in row.values()) + f" | {row['FD/floor clf'] / base:.2f}x |")
    print(bars_text() + "; gen/held: FD of generated over that of held-out real segments (test speakers), as many "
          "of each, to the training segments (below 1: closer than new real speech)")
    classes = report["classes"].values()  # the held-out real segments and the floors are the same for every variant
    for space, floor in (("band statistics", "frechet_real_halves"), ("classifier", "frechet_real_halves_classifier")):
        ratios = [c["heldout"][space]["real"] / c[floor] for c in classes]
        print(f"held-out real segments over the real-halves floor in {space}: {np.mean(ratios):.1f} (class mean; "
              + ", ".join(f"{name} {r:.1f}" for name, r in zip(report["classes"], ratios)) + ")")
    print(f"wrote {out / 'grid.png'} and {out / 'grid-zoom.png'}")


if __name__ == "__main__":
    main()
