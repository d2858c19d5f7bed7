"""Any corpus given as a CSV file: one row per utterance.

Required columns: ``path`` (absolute, or relative to the CSV's folder), ``label``, ``speaker``.
Optional: ``session`` (for session folds) and ``utterance`` (an id; default: the file name without
extension, which must then be unique). Labels are mapped to the common vocabulary where they are a
known spelling (``angry`` -> ``anger``, ``ps`` -> ``surprise``) and kept as given otherwise, with a
warning that lists the classes found (so a typo is seen); ``code`` keeps the original.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from seraug.corpora.base import LABELS, CorpusError, canonical_label, finish, resolved, skip_or_refuse

NAME = "csv"
DESCRIPTION = "any corpus listed in a CSV file (columns path, label, speaker[, session, utterance]); --root FILE.csv"


def load(root: str | Path, skip_bad: bool = False) -> pd.DataFrame:
    table_path = Path(root).expanduser()
    if not table_path.is_file():
        raise CorpusError(f"{table_path}: not a file; pass the corpus CSV with --root FILE.csv")
    try:
        table = pd.read_csv(table_path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise CorpusError(f"{table_path}: not a readable CSV ({err})") from None
    missing = {"path", "label", "speaker"} - set(table.columns)
    if missing:
        raise CorpusError(f"{table_path}: missing column(s) {', '.join(sorted(missing))}; have {', '.join(table.columns)}")
    for column in [c for c in ("path", "label", "speaker", "utterance") if c in table]:
        empty = table.index[table[column].str.strip() == ""]
        if len(empty):
            raise CorpusError(f"{table_path}: empty {column!r} on line(s) {', '.join(str(i + 2) for i in empty[:5])}")
    paths = [Path(p) if Path(p).is_absolute() else table_path.parent / p for p in table["path"]]
    bad = [(str(p), "a folder, not an audio file" if p.is_dir() else "audio file not found")
           for p in paths if not p.is_file()]
    skip_or_refuse(bad, table_path, skip_bad)
    keep = pd.Series([p.is_file() for p in paths], index=table.index, dtype=bool)
    table, paths = table[keep].reset_index(drop=True), [p for p, k in zip(paths, keep) if k]
    manifest = pd.DataFrame({
        "utterance": table["utterance"].str.strip() if "utterance" in table else [p.stem for p in paths],
        "path": [resolved(p) for p in paths],
        "speaker": table["speaker"].str.strip(),
        "label": table["label"].map(canonical_label),
        "code": table["label"],
        "session": table["session"].replace("", None) if "session" in table else None,
        "corpus": NAME,
    })
    unknown = sorted(set(manifest["label"]) - set(LABELS))
    if unknown:
        warnings.warn(f"{table_path}: label(s) {', '.join(unknown)} are outside seraug's vocabulary and become "
                      f"classes of their own; classes found: {', '.join(sorted(set(manifest['label'])))}. "
                      "A typo? Fix the CSV or rename with --merge OLD=NEW", stacklevel=2)
    return finish(manifest, table_path)
