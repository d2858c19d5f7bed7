"""How a cell's training part is balanced: one function per strategy of
:data:`seraug.experiment.strategies.STRATEGIES`, by :func:`balance_function`.

Each strategy turns the fold's training utterances into a :class:`TrainingSet`. The scaler every
strategy gets is fitted on the real segments of the training part (after Table 2's removal, before any
balancing), so every strategy of a scenario, fold and seed sees validation and test data scaled
identically and only the training rows differ. Signal-augmented segments may fall a little outside
[-1, 1]; GAN rows are generated in the normalised space by a GAN trained on the real training segments.
Signal strategies, copies and undersampling balance *utterances* (the unit the audio transforms act on);
the GAN balances *segments* (the unit it generates), as in the paper.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.utils.class_weight import compute_class_weight

from seraug.features.audio import load_audio
from seraug.augment import augment_waveforms, make_plan, undersample
from seraug.augment.specaug import SpecAugment
from seraug.errors import ConfigError
from seraug.features.logmel import segments_from_waveforms
from seraug.experiment.folds import simulate_imbalance
from seraug.experiment.strategies import STRATEGIES
from seraug.gan import GANOverSampler, generate
from seraug.gan.recipes import RECIPES, Sizes
from seraug.features.normalise import MinMaxScaler
from seraug.runtime import phase

if TYPE_CHECKING:
    from seraug.experiment.data import Cell, Data


@dataclass
class TrainingSet:
    """A cell's training data, ready for the classifier.

    Attributes:
        X: ``(N, 128, 128)`` float32 segments, normalised by ``scaler``.
        y: ``(N,)`` int64 class indices.
        scaler: fitted on the real segments of the training part (before balancing).
        utterances: utterances per class label after balancing (real ones for the GAN, which adds
            segments, not utterances).
    """

    X: np.ndarray
    y: np.ndarray
    scaler: MinMaxScaler
    utterances: dict[str, int]
    class_weight: np.ndarray | None = None
    """Per class, the weight of its segments in the classifier's loss (None: all 1)."""
    notes: dict | None = None
    """What the strategy drew that the cell should record (e.g. SpecAugment's settings and seed)."""
    examples: dict[str, dict[int, np.ndarray]] | None = None
    """A GAN strategy's segments to look at and listen to: ``{"real": ..., "generated": ...}``, each class index ->
    one ``(128, 128)`` segment in the cell's normalised scale (:func:`seraug.experiment.examples.write_examples`)."""

    def info(self, labels: list[str]) -> dict:
        """What the cell records of its training set: utterance and segment counts, the scaler, the class
        weights and the strategy's notes where there are any."""
        return {"train_utterances": self.utterances,
                "train_segments": {labels[k]: int(n) for k, n in zip(*np.unique(self.y, return_counts=True))},
                "scaler": self.scaler.to_dict()} | (
            {"class_weight": {label: float(w) for label, w in zip(labels, self.class_weight)}}
            if self.class_weight is not None else {}) | (self.notes or {})


BalanceFn = Callable[["Data", "Cell", pd.DataFrame, MinMaxScaler, "Path | None"], tuple]
"""``(data, cell, training manifest, scaler, work folder) -> (normalised X, y, utterances per label)``, and for a
GAN strategy a fourth item, its examples (:attr:`TrainingSet.examples`)."""


def _as_is(data: Data, cell: Cell, train: pd.DataFrame, scaler: MinMaxScaler, work: Path | None):
    X, y, _ = data.real(train.index)
    return scaler.transform(X), y, train["label"].value_counts()


def _undersampled(ratio: float, data: Data, cell: Cell, train: pd.DataFrame, scaler: MinMaxScaler, work):
    kept = train.loc[undersample(train, ratio, seed=cell.seed, classes=data.labels)["utterance"]]
    return _as_is(data, cell, kept, scaler, work)


def _repeated(data: Data, utterances) -> tuple[np.ndarray, np.ndarray]:
    """The cached segments (dB) and label indices of each of ``utterances`` in turn, a repeated one repeated."""
    X, segments = data.store
    rows_of = segments.groupby("utterance").indices
    rows = np.concatenate([rows_of[u] for u in utterances]) if len(utterances) else np.zeros(0, np.int64)
    return X[rows], data.encode(segments["label"].to_numpy()[rows])


SPECAUG = SpecAugment()
"""The masks of the ``specaug`` strategy (its defaults)."""


def _specaug(data: Data, cell: Cell, train: pd.DataFrame, scaler: MinMaxScaler, work):
    """``cp``'s plan (the majority's count of utterances in every class, added ones copied from the class's
    originals), each added copy's segments masked by :data:`SPECAUG` with a generator seeded by the cell."""
    plan = make_plan(train, "CP", seed=cell.seed, transforms=data.transforms, classes=data.labels)
    X_real, y_real, _ = data.real(plan.loc[plan["kind"] == "original", "source"])
    X_copy, y_copy = _repeated(data, plan.loc[plan["kind"] != "original", "source"].tolist())
    X_masked = SPECAUG(scaler.transform(X_copy), np.random.default_rng([cell.seed, 2]))
    return (np.concatenate([scaler.transform(X_real), X_masked]), np.concatenate([y_real, y_copy]),
            plan["label"].value_counts())


def _copypaste(data: Data, cell: Cell, train: pd.DataFrame, scaler: MinMaxScaler, work):
    """``cp``'s plan, each added utterance its source joined to a neutral utterance of the training part (drawn
    uniformly, with a coin for which comes first; seeded by the cell), labelled with the source's class."""
    neutral = train.loc[train["label"] == "neutral", "path"].to_numpy()
    if not len(neutral):
        raise ConfigError(f"strategy copypaste joins utterances to neutral ones, but the training part has no "
                          f"'neutral' utterance (labels: {', '.join(data.labels)}); choose another strategy")
    plan = make_plan(train, "CP", seed=cell.seed, transforms=data.transforms, classes=data.labels)
    X_real, y_real, _ = data.real(plan.loc[plan["kind"] == "original", "source"])
    added = plan[plan["kind"] != "original"]
    rng = np.random.default_rng([cell.seed, 3])
    waves = []
    for source in added["source_path"]:
        pair = [load_audio(source), load_audio(neutral[rng.integers(len(neutral))])]
        waves.append(np.concatenate(pair if rng.random() < 0.5 else pair[::-1]))
    with phase("log-mel of augmented audio"):
        X_aug, owner, _ = segments_from_waveforms(waves, data.feature_config, data.config.device)
    y_aug = data.encode(added["label"].to_numpy()[owner])
    return (scaler.transform(np.concatenate([X_real, X_aug])), np.concatenate([y_real, y_aug]),
            plan["label"].value_counts())


def _signal(strategy: str, data: Data, cell: Cell, train: pd.DataFrame, scaler: MinMaxScaler, work):
    """Table 1: the cached segments of the plan's kept originals plus those of its augmented audio."""
    plan = make_plan(train, strategy, seed=cell.seed, transforms=data.transforms, classes=data.labels)
    X_real, y_real, _ = data.real(plan.loc[plan["kind"] == "original", "source"])
    synthetic = plan[plan["kind"] != "original"]
    with phase("augmentation"):
        waves = list(augment_waveforms(synthetic, data.transforms, jobs=None))
    with phase("log-mel of augmented audio"):
        X_aug, owner, _ = segments_from_waveforms(waves, data.feature_config, data.config.device)
    y_aug = data.encode(synthetic["label"].to_numpy()[owner])
    return (scaler.transform(np.concatenate([X_real, X_aug])), np.concatenate([y_real, y_aug]),
            plan["label"].value_counts())


def _gan(recipe: str, data: Data, cell: Cell, train: pd.DataFrame, scaler: MinMaxScaler, work: Path | None):
    """The real segments, plus generated ones for every class up to the majority's count, by a GAN of
    ``recipe`` (:data:`seraug.gan.recipes.RECIPES`) at the preset's size.

    ``work``: a folder for the GAN's checkpoints, so an interrupted cell resumes its GAN training.
    Also returns per class one real training segment and one generated (:attr:`TrainingSet.examples`).
    """
    X, y, counts = _as_is(data, cell, train, scaler, work)
    sizes = data.config.sizes
    config = RECIPES[recipe].config(Sizes(sizes.gan, sizes.gan_tuned or sizes.gan))
    sampler = GANOverSampler(config=config, random_state=cell.seed, device=data.config.device,
                             out_dir=work / "gan" if work else None, features=data.feature_config)
    X_out, y_out = sampler.fit_resample(X, y)
    rng = np.random.default_rng(0)
    classes = sorted(set(y.tolist()))
    examples = {"real": {k: X[rng.choice(np.flatnonzero(y == k))] for k in classes},
                "generated": {k: sampler.scaler_.inverse_transform(generate(sampler.model_, k, 1, seed=cell.seed))[0]
                              for k in classes}}
    return X_out, y_out, counts, examples


def balance_function(strategy: str) -> BalanceFn:
    """The function that balances a training part by ``strategy`` (a name of :data:`STRATEGIES`)."""
    recipe = STRATEGIES[strategy].recipe
    if recipe is not None:
        return partial(_gan, recipe)
    if strategy in ("imbalanced", "full", "weighted"):
        return _as_is
    if strategy in ("specaug", "copypaste"):
        return {"specaug": _specaug, "copypaste": _copypaste}[strategy]
    if strategy.startswith("under"):
        return partial(_undersampled, float(strategy.removeprefix("under")))
    return partial(_signal, strategy.upper())


def training_set(data: Data, cell: Cell, fold, work: Path | None = None) -> TrainingSet:
    """The balanced, normalised training set of a cell (see the module docstring)."""
    train = data.manifest.loc[list(fold.train)]
    if cell.scenario.startswith("reduce-") and cell.strategy != "full":
        train = simulate_imbalance(train, cell.scenario.removeprefix("reduce-"), data.config.reduce_fraction,
                                   cell.seed)
    scaler = MinMaxScaler().fit(data.real(train.index)[0])
    X, y, utterances, *examples = balance_function(cell.strategy)(data, cell, train, scaler, work)
    weights = (compute_class_weight("balanced", classes=np.arange(len(data.labels)), y=y)
               if STRATEGIES[cell.strategy].weighted_loss else None)
    notes = {"specaug": asdict(SPECAUG) | {"seed": [cell.seed, 2]}} if cell.strategy == "specaug" else None
    return TrainingSet(X, y, scaler, {label: int(n) for label, n in utterances.items()}, weights, notes,
                       examples[0] if examples else None)
