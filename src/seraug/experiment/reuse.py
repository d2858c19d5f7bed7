"""Cells computed once. A cell that trains on a fold's whole training part, untouched (Table 2's ``full``,
Table 3's ``imbalanced``), gives the same numbers whichever class Table 2 reduces and whichever table asks: the
training set, the scaler, the classifier's seed and the test speakers are the same. So a finished one, in the run
folder or in another named with ``--reuse``, is copied instead of trained again; the copy records where it came
from (``reused_from``) and keeps the original's machine and seconds.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

from seraug.experiment.config import settings_hash
from seraug.experiment.data import Cell
from seraug.files import UNREADABLE, read_json

FREE = ("protocol", "reduce_fraction")
"""Settings a whole-training-part cell does not depend on: Table 2's and Table 3's runs differ only in these."""


def whole_training_part(cell: Cell) -> bool:
    """Whether ``cell`` trains on its fold's whole training part, untouched."""
    return (cell.strategy == "full" and cell.scenario.startswith("reduce-")) or (
        cell.strategy == "imbalanced" and cell.scenario == "natural")


def _training_key(settings: dict) -> str:
    return settings_hash({k: v for k, v in settings.items() if k not in FREE})


def donors(settings: dict, folders: list[Path]) -> dict[tuple[str, int], Path]:
    """Finished whole-training-part cells of ``folders`` made with ``settings`` (but for :data:`FREE`), by
    (fold, seed): a cell trained there before a copy, the first folder's before a later one's."""
    found: dict[tuple[str, int], Path] = {}
    copies: dict[tuple[str, int], Path] = {}
    for folder in folders:
        if not (folder / "config.json").exists():
            continue
        theirs = read_json(folder / "config.json")
        if _training_key(theirs) != _training_key(settings):
            continue
        for path in sorted((folder / "cells").glob("*.json")):
            try:
                cell = read_json(path)  # read only: an unreadable cell of another folder is that folder's to mend
            except UNREADABLE:
                continue
            if cell.get("settings") == settings_hash(theirs) and whole_training_part(
                    Cell(cell["scenario"], cell["fold"], cell["strategy"], cell["seed"])):
                (copies if "reused_from" in cell else found).setdefault((cell["fold"], cell["seed"]), path)
    return copies | found


def reuse(cell: Cell, out: Path, settings: dict, folders: list[Path]) -> dict | None:
    """The result of ``cell`` copied from a finished one of ``out`` or ``folders`` (see the module docstring), or
    None when it must be trained. The copy is not written here."""
    if not whole_training_part(cell):
        return None
    path = donors(settings, [out, *folders]).get((cell.fold, cell.seed))
    if path is None:
        return None
    return read_json(path) | asdict(cell) | {"cell": cell.id, "settings": settings_hash(settings),
                                             "reused_from": os.path.relpath(path, out)}
