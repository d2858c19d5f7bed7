"""Corpus loaders: every corpus becomes a manifest with one row per utterance.

>>> from seraug.corpora import load_manifest
>>> manifest = load_manifest("emodb", "../shared/data/emodb")
>>> manifest.columns.tolist()
['utterance', 'path', 'speaker', 'label', 'code', 'session', 'corpus']

Each loader is a small module with ``NAME``, ``DESCRIPTION`` and ``load(root)``; those whose authors
publish a direct archive also have ``DOWNLOAD_URL`` and ``EXPECTED_FILES`` (see :mod:`seraug.corpora.download`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import pandas as pd

from seraug.corpora import crema_d, csv, emodb, emovo, iemocap, ravdess, tess
from seraug.corpora.base import LABELS, MANIFEST_COLUMNS, CorpusError, cache_dir, canonical_label, select_classes

CORPORA: dict[str, ModuleType] = {m.NAME: m for m in (emodb, emovo, ravdess, crema_d, tess, iemocap, csv)}

__all__ = ["CORPORA", "LABELS", "MANIFEST_COLUMNS", "CorpusError", "canonical_label", "corpus_module",
           "load_manifest", "select_classes"]


def corpus_module(name: str) -> ModuleType:
    """The loader module of a corpus name, or a :class:`CorpusError` listing the known names."""
    try:
        return CORPORA[name.lower()]
    except KeyError:
        raise CorpusError(f"unknown corpus {name!r}; known: {', '.join(CORPORA)}") from None


def load_manifest(
    name: str,
    root: str | Path | None = None,
    classes: Iterable[str] | str | None = None,
    merge: dict[str, str] | None = None,
    skip_bad: bool = False,
) -> pd.DataFrame:
    """Read a corpus into a manifest.

    Args:
        name: a key of :data:`CORPORA` (``emodb``, ``emovo``, ``ravdess``, ``crema_d``, ``tess``,
            ``iemocap``, ``csv``).
        root: the corpus folder (or the CSV file for ``csv``). ``None`` reads the corpus from the
            download cache (:func:`~seraug.corpora.base.cache_dir`), where ``seraug download`` (or
            :func:`seraug.corpora.download.corpus_root`, which the commands call when ``--root`` is left out)
            puts the corpora that have a public archive (EmoDB, RAVDESS).
        classes: labels to keep, ``"all"`` for every label; ``None`` keeps the corpus's default
            selection (all labels, except IEMOCAP: the paper's four classes).
        merge: label renames applied before selection, e.g. ``{"excitement": "happiness"}``, on top
            of the corpus's default merge (IEMOCAP: excitement into happiness). The default merge
            leaves out every label that ``classes`` or ``merge`` names, and does nothing with
            ``classes="all"``: ``classes="anger,happiness,sadness,neutral"`` still merges excitement
            into happiness, ``"...,excitement"`` keeps it apart.
        skip_bad: leave out entries the loader cannot use (a file that does not follow the corpus's
            naming, a folder named like an audio file, a CSV row or IEMOCAP label without its audio),
            with a warning listing them; by default they are an error naming them.

    Returns:
        A DataFrame with columns :data:`MANIFEST_COLUMNS`, sorted by utterance.
    """
    module = corpus_module(name)
    if root is None:
        root = cache_dir() / module.NAME
        if not root.is_dir():
            raise CorpusError(f"{root}: {module.NAME} is not in the download cache; pass its folder as root, "
                              f"or run `seraug download {module.NAME}` if it has a public archive")
    manifest = module.load(root, skip_bad=skip_bad)
    if classes is None:
        classes = getattr(module, "DEFAULT_CLASSES", None)
    elif isinstance(classes, str):
        classes = None if classes == "all" else [c.strip() for c in classes.split(",") if c.strip()]
    else:
        classes = list(classes)
    if classes is not None:
        named = {canonical_label(c) for c in [*classes, *(merge or {})]}
        default = {k: v for k, v in getattr(module, "DEFAULT_MERGE", {}).items() if canonical_label(k) not in named}
        merge = {**default, **(merge or {})}
    return select_classes(manifest, classes, merge)
