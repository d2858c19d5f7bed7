"""RAVDESS speech (Livingstone & Russo, PLoS ONE 2018).

Layout: ``ROOT/Actor_NN/MM-VV-EE-II-SS-RR-AA.wav``: modality, vocal channel (01 speech, 02 song),
emotion, intensity, statement, repetition, actor. The loader reads the speech files (vocal channel
01); song files, if the folder holds them, are left out by design. Speaker = actor (24, 1440 files).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seraug.corpora.base import parse_files, require_dir

NAME = "ravdess"
DESCRIPTION = "RAVDESS speech, English acted, 24 actors, 8 emotions, 1440 utterances"
DOWNLOAD_URL = "https://zenodo.org/records/1188976/files/Audio_Speech_Actors_01-24.zip"
EXPECTED_FILES = 1440
CODES = {"01": "neutral", "02": "calm", "03": "happiness", "04": "sadness", "05": "anger", "06": "fear",
         "07": "disgust", "08": "surprise"}


def load(root: str | Path) -> pd.DataFrame:
    root = require_dir(root, NAME)
    files = [p for p in root.glob("Actor_*/*.wav") if p.name[3:5] != "02"]
    return parse_files(
        files, r"(\d\d)-01-(0[1-8])-(0[12])-(0[12])-(0[12])-(\d\d)\.wav", NAME, root,
        lambda path, m: {"utterance": path.stem, "speaker": m[6], "label": CODES[m[2]], "code": m[2]},
    )
