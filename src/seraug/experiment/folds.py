"""Speaker-independent train / validation / test folds, and the paper's imbalance simulation.

Schemes (``scheme=``):

- ``speaker``: leave one speaker out (EmoDB, EMOVO: one fold per speaker).
- ``session``: leave one session out (IEMOCAP's five sessions, the paper's Table 2 protocol).
- ``groups``: ``n_groups`` groups of speakers, each the test part once (e.g. RAVDESS's 24 actors in 6).
- ``shuffle``: the paper's FEEL-25k protocol: one 80/20 shuffle split of the corpus into training and
  validation utterances, and a separate test corpus (``test=``).

In the first three, validation speakers are drawn (seeded) from the fold's training speakers only,
about ``validation_fraction`` of them and at least one; with a single training speaker, a seeded
share of its utterances validates instead. ``validation_fraction=0`` gives no validation part (every
training speaker trains; for a fixed training schedule that selects no epoch). No speaker of a fold's
test part is ever in its training or validation part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from seraug.errors import ConfigError

SCHEMES = ("speaker", "session", "groups", "shuffle")


@dataclass(frozen=True)
class Fold:
    """One split, as utterance ids of the manifest(s) it was made from."""

    name: str
    train: tuple[str, ...]
    validation: tuple[str, ...]
    test: tuple[str, ...]


def make_folds(
    manifest: pd.DataFrame,
    scheme: str = "speaker",
    n_groups: int = 6,
    validation_fraction: float = 0.1,
    seed: int = 0,
    test: pd.DataFrame | None = None,
) -> list[Fold]:
    """Split a manifest into folds (see the module docstring for the schemes).

    Args:
        manifest: one row per utterance, with ``utterance``, ``speaker`` and (for ``session``) ``session``.
        n_groups: number of speaker groups for ``groups``.
        validation_fraction: share of training speakers (or, for ``shuffle``, utterances) that validate;
            0 for none (not with ``shuffle``).
        seed: seeds the validation draw, the speaker grouping and the shuffle split.
        test: the separate test corpus of the ``shuffle`` scheme.

    Returns:
        A list of :class:`Fold`, in a stable order.
    """
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown fold scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    if not 0 <= validation_fraction < 1:
        raise ConfigError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    rng = np.random.default_rng(seed)
    if scheme == "shuffle":
        if test is None or test.empty:
            raise ConfigError("the shuffle scheme needs a separate test corpus (test=...)")
        if validation_fraction == 0:
            raise ConfigError("the shuffle scheme needs a validation share (validation_fraction > 0)")
        ids = manifest["utterance"].to_numpy()[rng.permutation(len(manifest))]
        n_val = max(1, round(validation_fraction * len(ids)))
        return [Fold("shuffle", tuple(sorted(ids[n_val:])), tuple(sorted(ids[:n_val])),
                     tuple(sorted(test["utterance"])))]
    if scheme == "session":
        none = manifest.loc[manifest["session"].isna(), "utterance"]
        if len(none):
            raise ConfigError(f"the session scheme needs a session for every utterance; {len(none)} of "
                             f"{len(manifest)} have none, e.g. {none.iloc[0]}")
        held_out = {f"session-{s}": manifest["session"] == s for s in sorted(manifest["session"].unique())}
    elif scheme == "speaker":
        held_out = {f"speaker-{s}": manifest["speaker"] == s for s in sorted(manifest["speaker"].unique())}
    else:
        speakers = np.array(sorted(manifest["speaker"].unique()))
        if not 2 <= n_groups <= len(speakers):
            raise ConfigError(f"n_groups must be between 2 and the {len(speakers)} speakers, got {n_groups}")
        groups = np.array_split(speakers[rng.permutation(len(speakers))], n_groups)
        held_out = {f"group-{i + 1}": manifest["speaker"].isin(g) for i, g in enumerate(groups)}
    if len(held_out) < 2:
        raise ConfigError(f"the {scheme} scheme needs at least two {scheme}s; this corpus has one")
    return [_fold(name, manifest, is_test, validation_fraction, rng) for name, is_test in held_out.items()]


def _fold(name: str, manifest: pd.DataFrame, is_test: pd.Series, fraction: float, rng: np.random.Generator) -> Fold:
    """The fold that tests on ``is_test``; ValueError if no speaker is left to train on."""
    test_speakers = set(manifest.loc[is_test, "speaker"])
    rest = manifest[~manifest["speaker"].isin(test_speakers)]  # a speaker across sessions never trains on its test
    if rest.empty:
        raise ConfigError(f"fold {name}: no utterances left for training, since every speaker "
                         f"({', '.join(sorted(test_speakers))}) is also in its test part; do speakers span "
                         f"several sessions? use the speaker or groups scheme")
    speakers = np.array(sorted(rest["speaker"].unique()))
    if fraction == 0:
        is_val = pd.Series(False, index=rest.index)
    elif len(speakers) >= 2:
        n_val = min(len(speakers) - 1, max(1, round(fraction * len(speakers))))
        is_val = rest["speaker"].isin(rng.choice(speakers, n_val, replace=False))
    else:
        is_val = pd.Series(rng.random(len(rest)) < fraction, index=rest.index)
    return Fold(name, tuple(rest.loc[~is_val, "utterance"]), tuple(rest.loc[is_val, "utterance"]),
                tuple(manifest.loc[is_test, "utterance"]))


def simulate_imbalance(manifest: pd.DataFrame, label: str, fraction: float = 0.8, seed: int = 0) -> pd.DataFrame:
    """Remove ``round(fraction * n)`` of the ``n`` utterances of ``label``, drawn at random (seeded).

    At least one utterance of the class is kept (a class of 1 or 2 loses at most ``n - 1``), so the
    class stays in the training part. The paper's Table 2 protocol applies this to a fold's training
    part only.
    """
    if not 0 <= fraction < 1:
        raise ConfigError(f"fraction must be in [0, 1), got {fraction}")
    members = manifest.index[manifest["label"] == label]
    if len(members) == 0:
        raise ConfigError(f"class {label!r} has no utterances to remove; present: {', '.join(sorted(manifest['label'].unique()))}")
    drop = np.random.default_rng(seed).choice(members, min(round(fraction * len(members)), len(members) - 1),
                                              replace=False)
    return manifest.drop(index=drop)


def missing_classes(folds: list[Fold], labels: pd.Series) -> tuple[list[str], list[str]]:
    """Classes a fold part lacks: ``(untrainable, unscored)``, one line per fold part.

    ``untrainable``: a training part lacks a class that its validation or test part holds, e.g.
    ``"group-3: training lacks disgust"``: the classifier cannot learn it, so that class's recall is 0
    whatever the strategy, and a GAN cannot generate it. ``unscored``: a test part lacks a class of the
    corpus (``"speaker-08: test lacks disgust"``): harmless, since UAR averages the recalls of the classes
    the test part holds, but that fold's UAR then averages fewer classes. ``labels`` maps utterance id ->
    label.
    """
    untrainable, unscored = [], []
    classes = set(labels)
    for fold in folds:
        train, held_out = set(labels.loc[list(fold.train)]), set(labels.loc[[*fold.validation, *fold.test]])
        if held_out - train:
            untrainable.append(f"{fold.name}: training lacks {', '.join(sorted(held_out - train))}")
        if classes - set(labels.loc[list(fold.test)]):
            unscored.append(f"{fold.name}: test lacks {', '.join(sorted(classes - set(labels.loc[list(fold.test)])))}")
    return untrainable, unscored

