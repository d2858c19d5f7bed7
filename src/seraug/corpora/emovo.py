"""EMOVO (Costantini et al., LREC 2014), Italian acted emotional speech.

Layout: ``ROOT/<speaker>/<emo>-<speaker>-<sentence>.wav``, e.g. ``f1/dis-f1-b1.wav``. 588 utterances,
6 speakers (f1-f3, m1-m3), 7 emotions of 84 utterances each.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seraug.corpora.base import parse_files, require_dir

NAME = "emovo"
DESCRIPTION = "EMOVO, Italian acted, 6 speakers, 7 emotions, 588 utterances (balanced)"
CODES = {"dis": "disgust", "gio": "happiness", "neu": "neutral", "pau": "fear", "rab": "anger",
         "sor": "surprise", "tri": "sadness"}


def load(root: str | Path, skip_bad: bool = False) -> pd.DataFrame:
    root = require_dir(root, NAME)
    return parse_files(
        root.glob("*/*.wav"), r"(dis|gio|neu|pau|rab|sor|tri)-([fm]\d)-(\w+)\.wav", NAME, root,
        lambda path, m: {"utterance": path.stem, "speaker": m[2], "label": CODES[m[1]], "code": m[1]},
        skip_bad=skip_bad,
    )
