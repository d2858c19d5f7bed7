"""The corpus of a run, read once: manifest, folds, the cached real segments, the label order, and the
grid of cells ``(scenario, fold, strategy, seed)`` it gives."""

from __future__ import annotations

import fnmatch
import functools
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seraug.augment import default_transforms
from seraug.corpora import load_manifest
from seraug.corpora.download import corpus_root
from seraug.errors import ConfigError
from seraug.experiment.config import ExperimentConfig
from seraug.features.store import extract_features
from seraug.files import fingerprint
from seraug.features.logmel import LogMelConfig
from seraug.experiment.folds import Fold, make_folds, missing_classes


@dataclass(frozen=True)
class Cell:
    """One cell of the grid: ``scenario`` (``natural`` or ``reduce-<label>``), fold name, strategy, seed."""

    scenario: str
    fold: str
    strategy: str
    seed: int

    @property
    def id(self) -> str:
        """``scenario/fold/strategy/seedN``, what ``--only`` globs match."""
        return f"{self.scenario}/{self.fold}/{self.strategy}/seed{self.seed}"

    def path(self, out: Path) -> Path:
        """Where the finished cell's JSON lies in the run folder ``out``."""
        return out / "cells" / f"{self.id.replace('/', '__')}.json"


class Data:
    """The corpus once: manifest, folds, the cached real segments, and the label order."""

    def __init__(self, config: ExperimentConfig) -> None:
        self.config = config
        manifest = load_manifest(config.corpus, corpus_root(config.corpus, config.root), config.classes, config.merge)
        test = (load_manifest(config.test_corpus, corpus_root(config.test_corpus, config.test_root), config.classes,
                              config.merge)
                if config.test_corpus else None)
        sizes = config.sizes
        self.scheme = config.folds
        if self.scheme == "auto":  # the paper's protocols: FEEL-25k's split with a test corpus, IEMOCAP's sessions
            self.scheme = ("shuffle" if test is not None else
                           "session" if manifest["session"].notna().all() else "speaker")
        # The shuffle scheme is a training/validation split by definition (FEEL-25k's 80/20).
        validation = (sizes.validation_fraction or 0.1) if self.scheme == "shuffle" else sizes.validation_fraction
        self.folds: list[Fold] = make_folds(manifest, self.scheme, config.n_groups, validation, seed=0, test=test)
        limit = config.max_folds or sizes.max_folds
        self.folds = self.folds[:limit] if limit else self.folds
        self.manifest = pd.concat([manifest, test], ignore_index=True) if test is not None else manifest
        if not self.manifest["utterance"].is_unique:
            raise ConfigError("utterance ids repeat between the training and the test corpus")
        self.labels = sorted(self.manifest["label"].unique())
        untrainable, unscored = missing_classes(self.folds, self.manifest.set_index("utterance")["label"])
        if untrainable:
            raise ConfigError(f"{len(untrainable)} fold(s) would test classes their training part lacks (recall 0 "
                             f"whatever the strategy): {'; '.join(untrainable[:5])}. Keep classes with enough "
                             "speakers (--classes), or use other folds (--folds groups --n-groups N)")
        if unscored:
            warnings.warn(f"{'; '.join(unscored[:5])}: these folds' UAR averages the classes their test "
                          "speakers hold", stacklevel=2)
        self.feature_config = LogMelConfig()
        self.manifest = self.manifest.set_index("utterance", drop=False)

    @functools.cached_property
    def store(self) -> tuple[np.ndarray, pd.DataFrame]:
        """The real segments (dB) and their table, extracted on first use into ``OUT/features`` (cached)."""
        return extract_features(self.manifest.reset_index(drop=True), Path(self.config.out) / "features",
                                self.feature_config, device=self.config.device)

    @property
    def fingerprint(self) -> str:
        """Hash of the corpus as the run sees it (utterances, speakers, labels, sessions), wherever it lies."""
        table = self.manifest[["utterance", "speaker", "label", "session", "corpus"]].to_csv(index=False)
        return fingerprint(table, size=8)

    def scenarios(self) -> list[str]:
        if self.config.protocol == "table3":
            return ["natural"]
        reduce = self.config.reduce or [label for label in self.labels if label != "neutral"]
        missing = [c for c in reduce if c not in self.labels]
        if missing:
            raise ConfigError(f"--reduce class(es) {', '.join(missing)} not in the corpus ({', '.join(self.labels)})")
        return [f"reduce-{c}" for c in reduce]

    def cells(self) -> list[Cell]:
        cells = [Cell(s, f.name, strategy, seed) for s in self.scenarios() for f in self.folds
                 for strategy in self.config.strategies for seed in self.config.seeds]
        if self.config.only:
            cells = [c for c in cells if any(fnmatch.fnmatch(c.id, pattern) for pattern in self.config.only)]
        return cells

    def real(self, utterances: pd.Index | list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cached segments of some utterances: ``X`` (dB), label indices, utterance ids."""
        X, segments = self.store
        rows = np.flatnonzero(segments["utterance"].isin(set(utterances)).to_numpy())
        return X[rows], self.encode(segments["label"].to_numpy()[rows]), segments["utterance"].to_numpy()[rows]

    @functools.cached_property
    def transforms(self) -> dict:
        """Table 1's transforms at their default ranges; BN reads ``--noise-dir`` once, when first needed."""
        return default_transforms(self.config.noise_dir)

    def encode(self, labels: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.labels, labels).astype(np.int64)
