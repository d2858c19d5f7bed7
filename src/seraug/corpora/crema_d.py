"""CREMA-D (Cao et al., IEEE Trans. Affective Computing 2014).

Layout: ``ROOT/AudioWAV/1001_DFA_ANG_XX.wav``: actor, sentence, emotion, intensity (LO, MD, HI, XX).
91 actors, 6 emotions, 7442 utterances. ``ROOT`` may also be the ``AudioWAV`` folder itself.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seraug.corpora.base import parse_files, require_dir

NAME = "crema_d"
DESCRIPTION = "CREMA-D, English acted, 91 actors, 6 emotions, 7442 utterances"
CODES = {"ANG": "anger", "DIS": "disgust", "FEA": "fear", "HAP": "happiness", "NEU": "neutral", "SAD": "sadness"}


def load(root: str | Path, skip_bad: bool = False) -> pd.DataFrame:
    root = require_dir(root, NAME)
    wav = root / "AudioWAV" if (root / "AudioWAV").is_dir() else root
    return parse_files(
        wav.glob("*.wav"), r"(\d{4})_([A-Z]{3})_(ANG|DIS|FEA|HAP|NEU|SAD)_(LO|MD|HI|XX|X)\.wav", NAME, root,
        lambda path, m: {"utterance": path.stem, "speaker": m[1], "label": CODES[m[3]], "code": m[3]},
        skip_bad=skip_bad,
    )
