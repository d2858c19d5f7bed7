"""EmoDB, the Berlin Database of Emotional Speech (Burkhardt et al., Interspeech 2005).

Layout as released: ``ROOT/wav/03a01Fa.wav`` = speaker ``03``, text ``a01``, emotion letter ``F``,
version ``a``. 535 utterances, 10 speakers, 7 emotions. ``ROOT`` may also be the ``wav`` folder itself.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seraug.corpora.base import parse_files, require_dir

NAME = "emodb"
DESCRIPTION = "Berlin EmoDB, German acted, 10 speakers, 7 emotions, 535 utterances (imbalanced)"
DOWNLOAD_URL = "http://emodb.bilderbar.info/download/download.zip"
EXPECTED_FILES = 535
CODES = {"W": "anger", "L": "boredom", "E": "disgust", "A": "fear", "F": "happiness", "T": "sadness", "N": "neutral"}


def load(root: str | Path, skip_bad: bool = False) -> pd.DataFrame:
    root = require_dir(root, NAME)
    wav = root / "wav" if (root / "wav").is_dir() else root
    return parse_files(
        wav.glob("*.wav"), r"(\d\d)([a-z]\d\d)([WLEAFTN])([a-z])\.wav", NAME, root,
        lambda path, m: {"utterance": path.stem, "speaker": m[1], "label": CODES[m[3]], "code": m[3]},
        skip_bad=skip_bad,
    )
