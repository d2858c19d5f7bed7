"""IEMOCAP (Busso et al., 2008), read from its official release layout.

Labels come from ``ROOT/Session{1..5}/dialog/EmoEvaluation/*.txt``, whose summary lines read
``[6.2901 - 8.2357]<TAB>Ses01F_impro01_F000<TAB>neu<TAB>[2.5, 2.5, 2.5]``; audio lies in
``ROOT/Session{n}/sentences/wav/<dialog>/<utterance>.wav``. Speaker = session + the gender letter that
opens the utterance's last part (``Ses01F_impro01_M003`` is the male speaker of session 1); session =
``Session{n}`` (the paper's leave-one-session-out folds). The default selection is the paper's: anger,
happiness with excitement merged in, sadness, neutral (5531 utterances). Excitement stays merged into
happiness with any other ``--classes`` or ``--merge`` too, unless one of them names excitement itself
or ``--classes all`` asks for every label as annotated (see :func:`seraug.corpora.load_manifest`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from seraug.corpora.base import CorpusError, finish, require_dir, resolved, skip_or_refuse

NAME = "iemocap"
DESCRIPTION = "IEMOCAP official release, 5 sessions, 10 speakers; default: the paper's 4 classes"
CODES = {"ang": "anger", "hap": "happiness", "exc": "excitement", "sad": "sadness", "neu": "neutral",
         "fru": "frustration", "fea": "fear", "dis": "disgust", "sur": "surprise", "oth": "other",
         "xxx": "no_agreement"}
DEFAULT_CLASSES = ("anger", "happiness", "sadness", "neutral")
DEFAULT_MERGE = {"excitement": "happiness"}
LINE = re.compile(r"^\[\s*[\d.]+\s*-\s*[\d.]+\s*\]\t(Ses(\d\d)[FM]_\S+_([FM])\d+\w*)\t(\w+)\t")


def load(root: str | Path, skip_bad: bool = False) -> pd.DataFrame:
    root = require_dir(root, NAME)
    sessions = sorted(p for p in root.glob("Session[1-5]") if p.is_dir())
    if not sessions:
        raise CorpusError(f"{root}: no Session1..Session5 folders; pass the IEMOCAP release folder with --root")
    rows, bad = [], []
    for session in sessions:
        evaluations = sorted((session / "dialog" / "EmoEvaluation").glob("*.txt"))
        if not evaluations:
            raise CorpusError(f"{session}: no dialog/EmoEvaluation/*.txt label files")
        for txt in evaluations:
            for line in txt.read_text(errors="replace").splitlines():
                match = LINE.match(line)
                if not match:
                    continue
                utterance, number, gender, code = match.groups()
                if code not in CODES:
                    raise CorpusError(f"{txt}: unknown emotion code {code!r} for {utterance}")
                dialog = utterance.rsplit("_", 1)[0]
                wav = session / "sentences" / "wav" / dialog / f"{utterance}.wav"
                if not wav.is_file():
                    bad.append((str(wav), f"labelled in {txt.name} but missing"))
                    continue
                rows.append({"utterance": utterance, "path": resolved(wav), "speaker": f"Ses{number}{gender}",
                             "label": CODES[code], "code": code, "session": session.name, "corpus": NAME})
    skip_or_refuse(bad, root, skip_bad)
    if not rows:
        raise CorpusError(f"{root}: the EmoEvaluation files hold no utterance lines")
    return finish(pd.DataFrame(rows), root)
