"""TESS, the Toronto emotional speech set (Dupuis & Pichora-Fuller, 2010).

Layout: ``ROOT/OAF_angry/OAF_back_angry.wav``, ``ROOT/YAF_pleasant_surprised/YAF_back_ps.wav``: the
speaker (OAF older, YAF younger female) prefixes folder and file; the emotion is the file name's last
part. 2 speakers, 7 emotions, 2800 utterances. Speaker-independent folds have only two speakers here.
A file whose name deviates (the release has a few, e.g. a missing word or a stray space) is read from
its folder's name, which says speaker and emotion too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from seraug.corpora.base import canonical_label, parse_files, require_dir

NAME = "tess"
DESCRIPTION = "TESS, English acted, 2 speakers, 7 emotions, 2800 utterances"
CODES = {"angry": "anger", "disgust": "disgust", "fear": "fear", "happy": "happiness", "neutral": "neutral",
         "ps": "surprise", "sad": "sadness"}


FOLDER = re.compile(r"(?i)(OAF|YAF)_(angry|disgust|fear|happy|neutral|pleasant_surprised?|sad)")
"""The release's folder names: speaker and emotion (``OAF_Pleasant_surprise``, ``YAF_pleasant_surprised``)."""


def _from_folder(path: Path) -> dict | None:
    """The row of a file whose name deviates, from its folder's name (None if that says nothing either)."""
    match = FOLDER.fullmatch(path.parent.name)
    if match is None:
        return None
    code = match[2].lower()
    return {"utterance": path.stem.strip(), "speaker": match[1].upper(), "label": CODES.get(code, canonical_label(code)),
            "code": code}


def load(root: str | Path, skip_bad: bool = False) -> pd.DataFrame:
    root = require_dir(root, NAME)
    return parse_files(
        (p for p in root.rglob("*") if p.suffix.lower() == ".wav"),
        r"(?i)(OAF|YAF)_(\w+?)_(angry|disgust|fear|happy|neutral|ps|sad)\.wav", NAME, root,
        lambda path, m: {"utterance": path.stem, "speaker": m[1].upper(), "label": CODES[m[3].lower()],
                         "code": m[3].lower()},
        fallback=_from_folder, skip_bad=skip_bad,
    )
