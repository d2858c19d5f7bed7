"""RAVDESS speech (Livingstone & Russo, PLoS ONE 2018).

Layout: ``ROOT/Actor_NN/MM-VV-EE-II-SS-RR-AA.wav``: modality (01 audio-video, 02 video-only, 03
audio-only), vocal channel (01 speech, 02 song), emotion, intensity, statement, repetition, actor. The
loader reads the audio-only speech files (``03-01-...``); other modalities and song files, if the
folder holds them (e.g. audio extracted from the videos), are left out by design. Speaker = actor
(24, 1440 files).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from seraug.corpora.base import parse_files, require_dir

NAME = "ravdess"
DESCRIPTION = "RAVDESS speech, English acted, 24 actors, 8 emotions, 1440 utterances"
DOWNLOAD_URL = "https://zenodo.org/records/1188976/files/Audio_Speech_Actors_01-24.zip"
EXPECTED_FILES = 1440
CODES = {"01": "neutral", "02": "calm", "03": "happiness", "04": "sadness", "05": "anger", "06": "fear",
         "07": "disgust", "08": "surprise"}
LEFT_OUT = re.compile(r"(0[12]-\d\d|03-02)-.*")
"""Names of RAVDESS files that are not audio-only speech: modality 01 or 02 (video), or song."""


def load(root: str | Path, skip_bad: bool = False) -> pd.DataFrame:
    root = require_dir(root, NAME)
    files = [p for p in root.glob("Actor_*/*.wav") if not LEFT_OUT.fullmatch(p.name)]
    return parse_files(
        files, r"03-01-(0[1-8])-(0[12])-(0[12])-(0[12])-(\d\d)\.wav", NAME, root,
        lambda path, m: {"utterance": path.stem, "speaker": m[5], "label": CODES[m[1]], "code": m[1]},
        skip_bad=skip_bad,
    )
