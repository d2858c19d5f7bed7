"""What every corpus loader shares: the manifest's columns, the label vocabulary, file-name parsing.

A manifest is a :class:`pandas.DataFrame` with one row per utterance and the columns
:data:`MANIFEST_COLUMNS`. ``label`` is in seraug's common vocabulary (:data:`LABELS`), so results are
comparable across corpora; ``code`` keeps the corpus's own label code.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from seraug.errors import SeraugError

MANIFEST_COLUMNS = ["utterance", "path", "speaker", "label", "code", "session", "corpus"]

LABELS = (
    "anger", "happiness", "sadness", "neutral", "fear", "disgust", "boredom", "surprise", "calm",
    "excitement", "frustration", "other", "no_agreement",
)
"""seraug's common label vocabulary."""

ALIASES = {
    "angry": "anger", "ang": "anger", "happy": "happiness", "hap": "happiness", "joy": "happiness",
    "sad": "sadness", "neu": "neutral", "fearful": "fear", "fea": "fear", "disgusted": "disgust",
    "dis": "disgust", "surprised": "surprise", "sur": "surprise", "exc": "excitement", "excited": "excitement",
    "fru": "frustration", "frustrated": "frustration", "bored": "boredom", "ps": "surprise",
    "pleasant_surprise": "surprise", "pleasant_surprised": "surprise", "pleasant surprise": "surprise",
    "anxiety": "fear", "anxious": "fear", "neutrality": "neutral", "calmness": "calm",
    "disgusting": "disgust", "boring": "boredom", "xxx": "no_agreement",
}
"""Common spellings of the vocabulary's labels (those of EmoDB, EMOVO, RAVDESS, CREMA-D, TESS and
IEMOCAP's codes), for corpora given as CSV."""


class CorpusError(SeraugError):
    """A corpus folder or file that does not look as expected; the message names it and says why."""


def cache_dir() -> Path:
    """Where downloaded corpora live: ``$SERAUG_CACHE`` or ``~/.cache/seraug`` (one folder per corpus)."""
    return Path(os.environ.get("SERAUG_CACHE", Path.home() / ".cache" / "seraug")).expanduser()


def canonical_label(name: str) -> str:
    """Map a label spelling (``"Angry"``, ``"ang"``, ``"anger"``) to the common vocabulary.

    Labels outside the vocabulary are kept, lower-cased, so a user's own classes still work.
    """
    key = name.strip().lower()
    return ALIASES.get(key, key)


def require_dir(root: str | Path, corpus: str) -> Path:
    """The corpus root as a Path, or a :class:`CorpusError` that says how to provide it."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise CorpusError(f"{root}: not a folder; pass the {corpus} corpus folder with --root DIR")
    return root


def resolved(path: Path) -> str:
    """The absolute path of a corpus file with its links followed, or a :class:`CorpusError` naming it."""
    try:
        return str(path.resolve(strict=True))
    except RuntimeError:  # Python < 3.13 reports a symlink loop so
        raise CorpusError(f"{path}: a symbolic link loop (the link points back to itself)") from None
    except OSError as err:
        raise CorpusError(f"{path}: {err.strerror or err}"
                          f"{' (a broken symbolic link)' if path.is_symlink() else ''}") from None


def skip_or_refuse(bad: list[tuple[str, str]], source: Path | str, skip_bad: bool) -> None:
    """Bad corpus entries ``(path, reason)``: a :class:`CorpusError` naming up to five, or, with
    ``skip_bad``, a warning that lists them (they are left out; never a silent skip)."""
    if not bad:
        return
    listed = "; ".join(f"{path}: {reason}" for path, reason in bad[:5])
    if not skip_bad:
        raise CorpusError(f"{source}: {len(bad)} bad entr{'ies' if len(bad) > 1 else 'y'}, e.g. {listed} "
                          "(--skip-bad leaves them out)")
    warnings.warn(f"{source}: skipped {len(bad)} bad entr{'ies' if len(bad) > 1 else 'y'} (--skip-bad): {listed}",
                  stacklevel=3)


def parse_files(
    files: Iterable[Path], pattern: str, corpus: str, root: Path, row: Callable[[Path, re.Match], dict],
    fallback: Callable[[Path], dict | None] | None = None, skip_bad: bool = False,
) -> pd.DataFrame:
    """Build a manifest from files whose names must match ``pattern``.

    ``fallback``: for a file whose name does not match, its row from what else says what it is (e.g.
    TESS's folder names), or None. A file that neither matches nor falls back, or a folder named like
    an audio file, is an error (listing up to five), or with ``skip_bad`` left out with a warning
    that lists them (:func:`skip_or_refuse`): a corpus with stray files is better fixed than half-read
    without a word.
    """
    regex = re.compile(pattern)
    rows, bad = [], []
    for path in sorted(files):
        if path.is_dir():
            bad.append((str(path), "a folder, not an audio file"))
            continue
        match = regex.fullmatch(path.name)
        found = row(path, match) if match else fallback(path) if fallback else None
        if found is not None:
            rows.append({"path": resolved(path), "session": None, "corpus": corpus, **found})
        else:
            bad.append((str(path), f"does not follow {corpus}'s naming ({pattern})"))
    skip_or_refuse(bad, root, skip_bad)
    if not rows:
        raise CorpusError(f"{root}: no {corpus} audio files found (expected names like {pattern})")
    return finish(pd.DataFrame(rows), root)


def finish(manifest: pd.DataFrame, source: Path | str) -> pd.DataFrame:
    """Order the columns, check that utterance ids are unique, sort by utterance.

    An empty manifest is an error (a header-only CSV, a folder without audio). A repeated id names two of its paths, so a corpus copied twice into one folder (as in some
    redistributed archives) is easy to spot.
    """
    if manifest.empty:
        raise CorpusError(f"{source}: no utterances (an empty corpus)")
    repeated = manifest[manifest["utterance"].duplicated(keep=False)]
    if len(repeated):
        first = repeated[repeated["utterance"] == repeated["utterance"].iloc[0]]["path"]
        raise CorpusError(
            f"{source}: {repeated['utterance'].nunique()} utterance id(s) repeat, e.g. {first.iloc[0]} and "
            f"{first.iloc[1]}; is a folder duplicated? keep one copy"
        )
    return manifest[MANIFEST_COLUMNS].sort_values("utterance", kind="stable").reset_index(drop=True)


def select_classes(
    manifest: pd.DataFrame, classes: Iterable[str] | None = None, merge: dict[str, str] | None = None
) -> pd.DataFrame:
    """Rename labels by ``merge`` (e.g. ``{"excitement": "happiness"}``), then keep only ``classes``.

    A merge source is a label (any spelling :func:`canonical_label` knows) or one of the corpus's own
    codes (the ``code`` column, e.g. IEMOCAP's ``exc``). Raises :class:`CorpusError` when a merge
    source or a requested class has no utterance, so a typo never silently does nothing or yields an
    empty class.
    """
    out = manifest.copy()
    if merge:
        sources = {k: (out["label"] == canonical_label(k)) | (out["code"] == k.strip()) for k in merge}
        unknown = [k for k, rows in sources.items() if not rows.any()]
        if unknown:
            raise CorpusError(
                f"cannot merge {', '.join(map(repr, unknown))}: no utterance has that label or code; "
                f"labels present: {', '.join(sorted(set(out['label'])))}"
            )
        for source, rows in sources.items():  # every mask was taken before any rename: no chains
            out.loc[rows, "label"] = canonical_label(merge[source])
    if classes is not None:
        wanted = [canonical_label(c) for c in classes]
        missing = [c for c in wanted if c not in set(out["label"])]
        if missing:
            raise CorpusError(
                f"class(es) {', '.join(missing)} have no utterances; present: {', '.join(sorted(set(out['label'])))}"
            )
        out = out[out["label"].isin(wanted)].reset_index(drop=True)
    return out
