"""How the ``cpu`` preset's classifier recipe was chosen: test UAR of candidate recipes on EmoDB.

    python benchmarks/classifier_recipe.py [--recipes NAME,NAME] [--seed 0] [--data ../shared/data]

Every recipe trains VGG19 on the training part of the 5 speaker-independent folds of the README's main
command (``--folds groups --n-groups 5``: two test speakers per fold, every speaker tested once) on
EmoDB as it is (``imbalanced``), and is tested on the fold's test speakers (majority vote per
utterance, UAR). Each recipe changes the one before it; the table gives the UAR mean ± std over the
folds, the seconds per fold, and the difference to the first recipe (the last two rows change the
``cpu-preset`` row, not the one before them). The whole list takes about 45 minutes on 2 CPU cores;
``--recipes`` runs some of them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from seraug.classifier import TrainConfig, evaluate, fit, predict_proba
from seraug.corpora import load_manifest
from seraug.experiment import PRESETS
from seraug.features.store import extract_features
from seraug.experiment.folds import make_folds
from seraug.features.normalise import MinMaxScaler

START = TrainConfig(width=1 / 8, epochs=15, patience=15, batch_size=32, lr=1e-3, device="cpu")
ONECYCLE = replace(START, epochs=20, patience=20, lr=3e-3, weight_decay=0.05, schedule="onecycle")
GAP = replace(ONECYCLE, head="gap", dropout=0.3)
RECIPES: dict[str, tuple[TrainConfig, float]] = {
    "adam-constant": (START, 0.1),
    "adamw-onecycle": (ONECYCLE, 0.1),
    "two-validation-speakers": (ONECYCLE, 0.25),
    "width-1/4": (replace(ONECYCLE, width=1 / 4), 0.1),
    "gap-head": (GAP, 0.1),
    "last-epoch": (replace(GAP, select="last"), 0.1),
    "no-validation-speakers": (replace(GAP, select="last"), 0.0),
    "label-smoothing": (replace(GAP, select="last", label_smoothing=0.1), 0.0),
    "cpu-preset": (replace(PRESETS["cpu"].classifier, device="cpu"), PRESETS["cpu"].validation_fraction),
    "warmup-0.1": (replace(PRESETS["cpu"].classifier, device="cpu", warmup=0.1), PRESETS["cpu"].validation_fraction),
    "weight-averaging": (replace(PRESETS["cpu"].classifier, device="cpu", average_epochs=5),
                         PRESETS["cpu"].validation_fraction),
}
"""name -> (classifier config, share of training speakers that validate)."""


def run_recipe(config: TrainConfig, validation: float, X: np.ndarray, segments, manifest, labels) -> tuple[list, float]:
    """Test UARs of the 5 folds and the mean seconds per fold."""
    folds = make_folds(manifest, "groups", n_groups=5, validation_fraction=validation, seed=0)
    y_all = np.searchsorted(labels, segments["label"].to_numpy())
    utterances = segments["utterance"].to_numpy()
    uars, started = [], time.perf_counter()
    for fold in folds:
        rows = {part: np.flatnonzero(segments["utterance"].isin(set(getattr(fold, part))).to_numpy())
                for part in ("train", "validation", "test")}
        scaler = MinMaxScaler().fit(X[rows["train"]])
        result = fit(scaler.transform(X[rows["train"]]), y_all[rows["train"]], scaler.transform(X[rows["validation"]]),
                     y_all[rows["validation"]], utterances[rows["validation"]], len(labels), config, progress=False)
        probs = predict_proba(result.model, scaler.transform(X[rows["test"]]))
        uars.append(evaluate(probs, y_all[rows["test"]], utterances[rows["test"]])["uar"])
    return uars, (time.perf_counter() - started) / len(folds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", default=",".join(RECIPES), help="comma-separated, from: " + ", ".join(RECIPES))
    parser.add_argument("--seed", type=int, default=0, help="classifier seed (weights, shuffling, dropout)")
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    args = parser.parse_args()
    names = [n.strip() for n in args.recipes.split(",")]
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        parser.error(f"unknown recipe(s) {', '.join(unknown)}; choose from {', '.join(RECIPES)}")
    manifest = load_manifest("emodb", Path(args.data) / "emodb")
    with tempfile.TemporaryDirectory() as store:
        X, segments = extract_features(manifest, store)
        labels = sorted(manifest["label"].unique())
        print(f"EmoDB, imbalanced, 5 speaker-independent folds, classifier seed {args.seed}\n")
        print("| recipe | UAR % (mean ± std over folds) | s per fold | UAR − first recipe |\n|---|---:|---:|---:|")
        first = None
        for name in names:
            config, validation = RECIPES[name]
            uars, seconds = run_recipe(replace(config, seed=args.seed), validation, X, segments, manifest, labels)
            mean = 100 * float(np.mean(uars))
            first = mean if first is None else first
            print(f"| {name} | {mean:.1f} ± {100 * np.std(uars):.1f} | {seconds:.0f} | {mean - first:+.1f} |",
                  flush=True)


if __name__ == "__main__":
    main()
