"""Balancing plans: the strategies of the paper's Table 1 and random undersampling, computed without audio.

A *plan* is a DataFrame with one row per utterance of the balanced training set (:data:`PLAN_COLUMNS`):

- ``utterance``: id of the output (an original keeps its id; a new one is ``<source>+<transform><n>``,
  ``n`` counting the augmentations of that source, e.g. ``03a01Fa+TS2``);
- ``source``, ``source_path``: the original utterance it is made from and its audio file;
- ``speaker``, ``label``, ``code``, ``session``, ``corpus``: copied from the source;
- ``kind``: ``original`` (kept as is), ``added`` (a new augmented utterance) or ``replacement`` (an
  augmented version that takes the place of its source, which is then not in the plan);
- ``transform`` (``CP``, ``TS``, ``PS``, ``GN``, ``BN``; empty for originals) and ``params`` (JSON of
  the exact parameters, see :mod:`seraug.augment.transforms`).

Table 1, with ``n_c`` the count of class ``c``, ``M`` the majority and ``m`` the minority count:

========  ==================  ===============================================================
strategy  transforms          per class
========  ==================  ===============================================================
CP        CP                  add ``M - n_c`` copies of originals drawn uniformly with replacement
SA        TS, PS, GN, BN      add ``M - n_c`` augmented originals (drawn as for CP)
SAR       TS, PS, GN, BN      SA, and replace ``n_c - m`` originals (drawn without replacement)
                              by augmented versions of themselves, in every class
SAR_M     TS, PS, GN, BN      SA, with the replacement in the majority class(es) only
SAR_B     BN                  SAR with background noise only
SAR_S     TS, PS              SAR with time stretch and pitch shift only
========  ==================  ===============================================================

Every class ends with ``M`` utterances. With replacement in all classes, each class holds ``m``
untouched originals and ``M - m`` augmented ones: the same share of processed audio everywhere (the
paper's reason for replacing). Each augmented utterance gets one transform, drawn uniformly from the
strategy's set, then its parameters from that transform's ranges. The draws use one
``numpy.random.default_rng(seed)``, class by class in sorted label order, so a seed fixes the plan.

Planning decodes no speech: an augmented source's length comes from its file header (BN needs it to
place its noise window). Rows are taken by position, so a manifest's index (even with repeated
labels, e.g. from ``pd.concat``) plays no part.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from imblearn.under_sampling import RandomUnderSampler

from seraug.features.audio import audio_length
from seraug.augment.transforms import Transform, default_transforms
from seraug.errors import AugmentError

PLAN_COLUMNS = ["utterance", "source", "source_path", "speaker", "label", "code", "session", "corpus",
                "kind", "transform", "params"]
KINDS = ("original", "added", "replacement")
_SOURCE_COLUMNS = ["speaker", "label", "code", "session", "corpus"]


@dataclass(frozen=True)
class Strategy:
    """A row of Table 1: the transforms drawn from, and where originals are replaced."""

    name: str
    transforms: tuple[str, ...]
    replace: str  # "none", "all" classes or the "majority" class(es) only


STRATEGIES: dict[str, Strategy] = {s.name: s for s in (
    Strategy("CP", ("CP",), "none"),
    Strategy("SA", ("TS", "PS", "GN", "BN"), "none"),
    Strategy("SAR", ("TS", "PS", "GN", "BN"), "all"),
    Strategy("SAR_M", ("TS", "PS", "GN", "BN"), "majority"),
    Strategy("SAR_B", ("BN",), "all"),
    Strategy("SAR_S", ("TS", "PS"), "all"),
)}
"""The paper's Table 1, by name."""


RENAMED = {"none": "imbalanced", "ru": "under"}
"""Old spellings of ``seraug augment``'s strategies and the names that replaced them."""


def strategy_name(name: str) -> str:
    """The one spelling of a strategy across ``seraug augment``, ``seraug experiment`` and the Python API.

    Lower case (Table 1's ``SAR_M`` is ``sar_m``; either case is accepted), ``imbalanced`` for the
    training part as it is, ``under`` or ``underR`` (e.g. ``under0.6``) for random undersampling to a
    minority/majority ratio. The old ``none`` and ``RU`` still work, with a DeprecationWarning.
    """
    key = name.strip().lower()
    if key in RENAMED:
        warnings.warn(f"strategy {name!r} is now called {RENAMED[key]!r}", DeprecationWarning, stacklevel=2)
        key = RENAMED[key]
    return key


def get_strategy(name: str) -> Strategy:
    """The :class:`Strategy` called ``name``, or an :class:`AugmentError` listing the known ones."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise AugmentError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}") from None


def class_counts(manifest: pd.DataFrame, classes: Iterable[str] | None = None) -> pd.Series:
    """Utterances per label (sorted by label); every class of ``classes`` must have at least one.

    Raises:
        AugmentError: the manifest is empty, or a class of ``classes`` has no utterance (e.g. a
            training part whose speakers never express it).
    """
    if manifest.empty:
        raise AugmentError("the manifest has no utterances to balance")
    counts = manifest["label"].value_counts().sort_index()  # a categorical label counts unused categories as 0
    empty = sorted((set(classes or ()) - set(counts.index)) | set(counts.index[counts == 0]))
    if empty:
        raise AugmentError(f"class(es) {', '.join(empty)} have no utterances in the training part "
                           f"(present: {', '.join(counts.index[counts > 0])}); balancing cannot create a class from nothing")
    return counts


def _original_rows(manifest: pd.DataFrame) -> pd.DataFrame:
    return manifest.assign(source=manifest["utterance"], source_path=manifest["path"], kind="original",
                           transform="", params="{}")[PLAN_COLUMNS]


def make_plan(
    manifest: pd.DataFrame,
    strategy: str,
    seed: int = 0,
    transforms: Mapping[str, Transform] | None = None,
    classes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Plan a Table 1 strategy on a training manifest (see the module docstring); no speech is decoded.

    Args:
        manifest: the training part, with the columns of :data:`seraug.corpora.MANIFEST_COLUMNS`.
        strategy: a key of :data:`STRATEGIES` (``CP``, ``SA``, ``SAR``, ``SAR_M``, ``SAR_B``, ``SAR_S``).
        seed: seeds every draw (sources, replaced originals, transforms, parameters).
        transforms: name -> :class:`Transform` with the ranges to draw from; default
            :func:`default_transforms` (which has BN only when given a noise bank).
        classes: labels that must be present (e.g. all of the corpus's labels); default: those present.

    Returns:
        The plan, :data:`PLAN_COLUMNS`, rows grouped by label: kept originals, replacements, additions.

    Raises:
        AugmentError: unknown strategy, a transform the strategy needs is missing (BN without a
            noise bank), an empty manifest or an empty class.
        NoiseError: a drawn noise clip is shorter than its utterance and the bank does not loop.
        AudioError: an augmented source's file is missing or unreadable.
    """
    spec = get_strategy(strategy)
    transforms = default_transforms() if transforms is None else transforms
    missing = [t for t in spec.transforms if t not in transforms]
    if missing:
        hint = " (background noise needs a noise folder: default_transforms(NoiseBank(DIR)), CLI --noise-dir)" \
            if "BN" in missing else ""
        raise AugmentError(f"strategy {spec.name} needs transform(s) {', '.join(missing)}{hint}")
    counts = class_counts(manifest, classes)
    majority, minority = int(counts.max()), int(counts.min())
    rng = np.random.default_rng(seed)
    augmentations: dict[str, int] = {}  # per source, to number its augmented versions
    parts = []
    for label, n in counts.items():
        members = manifest[manifest["label"] == label]
        replaced = spec.replace == "all" or (spec.replace == "majority" and n == majority)
        n_replace = n - minority if replaced else 0
        replace_at = np.sort(rng.choice(n, size=n_replace, replace=False))
        add_from = rng.integers(n, size=majority - n)
        kept = members.iloc[np.setdiff1d(np.arange(n), replace_at)]
        new = [(members.iloc[i], "replacement") for i in replace_at] + [(members.iloc[i], "added") for i in add_from]
        parts.append(_original_rows(kept))
        parts.append(pd.DataFrame([_augmented_row(source, kind, spec.transforms, transforms, rng, augmentations)
                                   for source, kind in new], columns=PLAN_COLUMNS))
    return pd.concat(parts, ignore_index=True)


def _augmented_row(source: pd.Series, kind: str, names: Sequence[str], transforms: Mapping[str, Transform],
                   rng: np.random.Generator, augmentations: dict[str, int]) -> dict:
    name = names[int(rng.integers(len(names)))]
    length = audio_length(source["path"]) if name == "BN" else 0  # only BN places a window (a header read)
    params = transforms[name].sample(rng, length)
    augmentations[source["utterance"]] = augmentations.get(source["utterance"], 0) + 1
    return {"utterance": f"{source['utterance']}+{name}{augmentations[source['utterance']]}",
            "source": source["utterance"], "source_path": source["path"],
            **{c: source[c] for c in _SOURCE_COLUMNS},
            "kind": kind, "transform": name, "params": json.dumps(params, sort_keys=True)}


def original_plan(manifest: pd.DataFrame) -> pd.DataFrame:
    """The unbalanced training set as a plan (every row ``original``): the paper's "Initial Dataset"."""
    class_counts(manifest)
    return _original_rows(manifest).reset_index(drop=True)


def undersampling_targets(counts: Mapping[str, int], ratio: float) -> dict[str, int]:
    """Per-class sizes after undersampling to ``ratio`` = N_minority / N_majority.

    imbalanced-learn's float ``sampling_strategy`` (binary targets only) sets the majority class to
    ``int(n_minority / ratio)``; for several classes every class is capped at that size, and classes
    already smaller keep all their utterances (where imbalanced-learn would refuse a binary target
    already above the ratio). ``ratio=1.0`` balances fully, every class at the minority count.
    """
    if not 0 < ratio <= 1:
        raise AugmentError(f"undersampling ratio must be in (0, 1] (N_minority / N_majority), got {ratio}")
    cap = int(min(counts.values()) / ratio)
    return {label: min(int(n), cap) for label, n in counts.items()}


def undersample(
    manifest: pd.DataFrame, ratio: float = 1.0, seed: int = 0, classes: Iterable[str] | None = None
) -> pd.DataFrame:
    """Random undersampling of a training manifest to a minority/majority ``ratio``, as a plan.

    Utterances are removed at random (imbalanced-learn's ``RandomUnderSampler`` with the targets of
    :func:`undersampling_targets`, ``random_state=seed``) until every class has at most
    ``int(n_minority / ratio)``. The paper's ratios: 0.4, 0.6, 0.8 and 1.0 ("fully balanced").

    Returns:
        A plan (:data:`PLAN_COLUMNS`) of the kept originals, in manifest order.
    """
    counts = class_counts(manifest, classes)
    sampler = RandomUnderSampler(sampling_strategy=undersampling_targets(counts.to_dict(), ratio), random_state=seed)
    sampler.fit_resample(np.arange(len(manifest)).reshape(-1, 1), manifest["label"].to_numpy())
    return _original_rows(manifest.iloc[np.sort(sampler.sample_indices_)]).reset_index(drop=True)
