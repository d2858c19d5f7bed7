"""How strong is the evaluation classifier? An anchor on the same folds: eGeMAPS + an SVM beside the VGG19.

    pip install opensmile        # benchmark-only: its licence allows research use only, never a dependency
    python benchmarks/classifier_anchor.py [--data ../shared/data]

EmoDB on the 5 speaker-group folds of ``seraug experiment --folds groups --n-groups 5`` and EMOVO leave one
speaker out, every utterance of every class: the 88 eGeMAPS (v02) functionals of each utterance from the
``opensmile`` package, standardised on the fold's training speakers, and scikit-learn's SVC (RBF kernel, C=1,
gamma "scale", no tuning), test UAR per fold. Beside it, the VGG19 (``cpu`` preset) on the same folds and the
same training sets: the ``full`` cells of the committed run folder ``docs/runs/emodb-table2`` (Table 2's
training part before the removal is the corpus as it is), mean over their seeds per fold; EMOVO has no
committed VGG19 run, so its row says so. The published reference is IS10 features + SVM leave one speaker out
on EmoDB, 73% (77% tuned; Gjoreski et al. 2014); EmoBox's 92.6 on EmoDB used random folds that share speakers
between training and test and does not compare.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import opensmile
from sklearn.metrics import balanced_accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from seraug.corpora import load_manifest
from seraug.experiment.config import machine_description
from seraug.experiment.folds import make_folds

TABLE2 = Path(__file__).parents[1] / "docs" / "runs" / "emodb-table2"


def egemaps(paths: list[str]) -> np.ndarray:
    """``(N, 88)`` eGeMAPS v02 functionals of each file."""
    smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                            feature_level=opensmile.FeatureLevel.Functionals)
    return np.vstack([smile.process_file(path).to_numpy() for path in paths])


def svm_uar(manifest, scheme: str) -> dict[str, float]:
    """Test UAR per fold of the standardised SVC on eGeMAPS, folds as ``seraug experiment`` makes them."""
    X, y = egemaps(manifest["path"].tolist()), manifest["label"].to_numpy()
    position = {u: i for i, u in enumerate(manifest["utterance"])}
    uar = {}
    for fold in make_folds(manifest, scheme, n_groups=5, validation_fraction=0, seed=0):
        train, test = [position[u] for u in fold.train], [position[u] for u in fold.test]
        model = make_pipeline(StandardScaler(), SVC(kernel="rbf", C=1.0, gamma="scale")).fit(X[train], y[train])
        uar[fold.name] = balanced_accuracy_score(y[test], model.predict(X[test]))
    return uar


def vgg_uar() -> dict[str, float]:
    """Test UAR per fold of the VGG19 on EmoDB as it is: the committed ``full`` cells, mean over their seeds."""
    cells = [json.loads(p.read_text()) for p in (TABLE2 / "cells").glob("*__full__*.json")]
    return {fold: float(np.mean([c["uar"] for c in cells if c["fold"] == fold]))
            for fold in sorted({c["fold"] for c in cells})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="../shared/data", help="folder holding emodb/ and emovo/")
    args = parser.parse_args()
    data = Path(args.data)
    rows = {"EmoDB, 5 speaker groups": (svm_uar(load_manifest("emodb", data / "emodb"), "groups"), vgg_uar()),
            "EMOVO, leave one speaker out": (svm_uar(load_manifest("emovo", data / "emovo"), "speaker"), {})}
    print(f"{machine_description('cpu')}; opensmile {opensmile.__version__}\n")
    print("| corpus, folds | eGeMAPS + SVM, UAR % | VGG19 `cpu` preset, UAR % | SVM / VGG19 |")
    print("| --- | --- | --- | ---: |")
    for name, (svm, vgg) in rows.items():
        s = 100 * np.array(list(svm.values()))
        v = 100 * np.array([vgg[f] for f in svm if f in vgg])
        shown = f"{v.mean():.1f} ± {v.std():.1f} ({len(v)} folds)" if len(v) else "no committed run"
        ratio = f"{s.mean() / v.mean():.2f}x" if len(v) else "-"
        print(f"| {name} | {s.mean():.1f} ± {s.std():.1f} ({len(s)} folds) | {shown} | {ratio} |")
    print("\nper fold, SVM:", {f: round(100 * u, 1) for f, u in rows["EmoDB, 5 speaker groups"][0].items()},
          rows["EMOVO, leave one speaker out"][0] and {f: round(100 * u, 1) for f, u in
                                                       rows["EMOVO, leave one speaker out"][0].items()})


if __name__ == "__main__":
    main()
