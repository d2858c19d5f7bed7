"""Cells computed once. A cell's result depends on its scenario, fold, strategy and seed and on the settings that
reach its training; a finished cell with the same, in the run folder or in another named with ``--reuse``, is copied
instead of trained again. The copy records where it came from (``reused_from``) and keeps the original's machine and
seconds. Two kinds of sameness are known:

- **the same cell**: the same scenario, fold, strategy and seed, made with the same settings, except that a strategy
  without a GAN does not depend on the GAN's sizes (so a run that changed a GAN recipe still reuses its ``sa``);
- **the whole training part**: a cell that trains on its fold's training part untouched (Table 2's ``full``, Table 3's
  ``imbalanced``) gives the same numbers whichever class Table 2 reduces and whichever table asks: the training set,
  the scaler, the classifier's seed and the test speakers are the same.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

from seraug.experiment.config import settings_hash
from seraug.experiment.data import Cell
from seraug.experiment.strategies import STRATEGIES
from seraug.files import UNREADABLE, read_json

FREE = ("protocol", "reduce_fraction")
"""Settings a whole-training-part cell does not depend on: Table 2's and Table 3's runs differ only in these."""
GAN_SIZES = ("gan", "gan_tuned")
"""The preset's sizes (``sizes``) that only a GAN strategy's cells depend on."""


def whole_training_part(cell: Cell) -> bool:
    """Whether ``cell`` trains on its fold's whole training part, untouched."""
    return (cell.strategy == "full" and cell.scenario.startswith("reduce-")) or (
        cell.strategy == "imbalanced" and cell.scenario == "natural")


def identity(cell: Cell, settings: dict) -> tuple | None:
    """What makes ``cell``'s result: the settings it depends on (hashed) and which cell it is; None for a strategy
    seraug no longer runs (its cells are read, not reused)."""
    strategy = STRATEGIES.get(cell.strategy)
    if strategy is None:
        return None
    kept = dict(settings)
    if whole_training_part(cell):
        kept = {k: v for k, v in kept.items() if k not in FREE}
    if strategy.recipe is None and isinstance(kept.get("sizes"), dict):
        kept["sizes"] = {k: v for k, v in kept["sizes"].items() if k not in GAN_SIZES}
    which = ("whole", cell.fold, cell.seed) if whole_training_part(cell) else (
        cell.scenario, cell.fold, cell.strategy, cell.seed)
    return settings_hash(kept), *which


def donors(folders: list[Path]) -> dict[tuple, Path]:
    """The finished cells of ``folders`` by :func:`identity`: a cell trained there before a copy, the first folder's
    before a later one's."""
    found: dict[tuple, Path] = {}
    copies: dict[tuple, Path] = {}
    for folder in folders:
        if not (folder / "config.json").exists():
            continue
        theirs = read_json(folder / "config.json")
        for path in sorted((folder / "cells").glob("*.json")):
            try:
                cell = read_json(path)  # read only: an unreadable cell of another folder is that folder's to mend
            except UNREADABLE:
                continue
            if cell.get("settings") != settings_hash(theirs):
                continue
            key = identity(Cell(cell["scenario"], cell["fold"], cell["strategy"], cell["seed"]), theirs)
            if key is not None:
                (copies if "reused_from" in cell else found).setdefault(key, path)
    return copies | found


def reuse(cell: Cell, out: Path, settings: dict, folders: list[Path]) -> dict | None:
    """The result of ``cell`` copied from a finished one of ``out`` or ``folders`` (see the module docstring), or
    None when it must be trained. The copy is not written here."""
    path = donors([out, *folders]).get(identity(cell, settings))
    if path is None:
        return None
    return read_json(path) | asdict(cell) | {"cell": cell.id, "settings": settings_hash(settings),
                                             "reused_from": os.path.relpath(path, out)}
