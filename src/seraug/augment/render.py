"""Turning a plan into audio: in memory for an experiment, or as WAV files for `seraug augment`.

>>> bank = NoiseBank("../shared/data/esc10")
>>> transforms = default_transforms(bank)
>>> plan = make_plan(train_manifest, "SAR", seed=0, transforms=transforms)
>>> waveforms = list(augment_waveforms(plan, transforms))   # waveforms[i] is plan row i

Rendering is deterministic: the plan holds every random choice, so the same plan (or the same
manifest, strategy and seed) gives bit-identical audio, serially or over several processes.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from seraug.features.audio import load_audio, write_wav
from seraug.augment.strategies import PLAN_COLUMNS
from seraug.augment.transforms import Transform, default_transforms
from seraug.errors import AugmentError

Loader = Callable[[str], np.ndarray]
"""Reads an audio path into a float32 16 kHz waveform (default :func:`seraug.features.audio.load_audio`)."""


def render_row(row: Mapping[str, Any], transforms: Mapping[str, Transform], load: Loader = load_audio) -> np.ndarray:
    """The waveform of one plan row: its source audio, transformed with the row's exact parameters.

    ``row`` needs ``source_path``, ``transform`` (empty for an original) and ``params`` (JSON).
    """
    audio = load(row["source_path"])
    if not row["transform"]:
        return audio
    return transforms[row["transform"]].apply(audio, json.loads(row["params"]))


def _render_jobs(plan: pd.DataFrame, transforms: Mapping[str, Transform]) -> list[dict]:
    """The rows to render (``source_path``, ``transform``, ``params``), checked against ``transforms``."""
    missing = [c for c in ("source_path", "transform", "params") if c not in plan.columns]
    if missing:
        raise AugmentError(f"not a plan: missing column(s) {', '.join(missing)} (make one with make_plan)")
    rows = plan[["source_path", "transform", "params"]].fillna({"transform": "", "params": "{}"})
    unknown = sorted(set(rows["transform"]) - set(transforms) - {""})
    if unknown:
        hint = " (pass default_transforms(NoiseBank(DIR)) for BN)" if "BN" in unknown else ""
        raise AugmentError(f"the plan uses transform(s) {', '.join(unknown)} that were not given{hint}")
    return rows.to_dict("records")


_worker: dict[str, Any] = {}
"""A worker process's transforms and loader, set once by :func:`_start_worker`."""


def _start_worker(transforms: Mapping[str, Transform], load: Loader) -> None:
    _worker.update(transforms=transforms, load=load)


def _render_in_worker(row: dict) -> np.ndarray:
    return render_row(row, _worker["transforms"], _worker["load"])


def _write_in_worker(job: tuple[dict, str]) -> None:
    row, path = job
    # 32-bit float: EmoDB peaks at 1.0, so most noisy mixes exceed it, and clipping to 16-bit PCM would
    # move their SNR by up to ~3 dB. Float files hold exactly the waveforms an in-memory experiment uses.
    write_wav(path, render_row(row, _worker["transforms"], _worker["load"]), subtype="FLOAT")


def _map(fn: Callable, items: list, transforms: Mapping[str, Transform], load: Loader, jobs: int,
         progress: bool, unit: str) -> Iterator:
    """``fn`` over ``items`` in order, in this process (``jobs=1``) or in ``jobs`` worker processes."""
    bar = dict(total=len(items), disable=not progress, unit=unit)
    if jobs == 1:
        _start_worker(transforms, load)
        yield from tqdm(map(fn, items), **bar)
        return
    with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(transforms, load)) as pool:
        yield from tqdm(pool.map(fn, items, chunksize=max(1, min(16, len(items) // (4 * jobs)))), **bar)


def _jobs(jobs: int | None) -> int:
    if jobs is None:
        return os.cpu_count() or 1
    if jobs < 1:
        raise AugmentError(f"jobs must be >= 1, got {jobs}")
    return jobs


def augment_waveforms(
    plan: pd.DataFrame,
    transforms: Mapping[str, Transform] | None = None,
    load: Loader = load_audio,
    jobs: int | None = 1,
    progress: bool = False,
) -> Iterator[np.ndarray]:
    """The waveforms of a plan, in row order: originals as loaded, augmented rows transformed.

    Args:
        plan: from :func:`make_plan`, :func:`undersample` or :func:`read_plan` (any subset of rows).
        transforms: the transforms by name; only their ``apply`` is used, so any ranges do. Must
            hold BN (with the plan's noise folder) when the plan has BN rows. Default
            :func:`default_transforms` (no BN).
        load: reads a source path (e.g. a cache of already-decoded training audio); must be picklable
            (a module-level function) when ``jobs > 1``.
        jobs: worker processes (``None``: one per CPU core).
        progress: show a progress bar.

    Yields:
        float32 arrays of shape ``(n_samples,)`` at 16 kHz; TS rows have ``len(source) / rate`` samples.
    """
    transforms = default_transforms() if transforms is None else transforms
    return _map(_render_in_worker, _render_jobs(plan, transforms), transforms, load, _jobs(jobs), progress, "utt")


def read_plan(path: str | Path) -> pd.DataFrame:
    """A plan or `seraug augment` manifest read back from CSV, with every column as text (ids stay ``03``)."""
    plan = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = set(PLAN_COLUMNS) - set(plan.columns)
    if missing:
        raise AugmentError(f"{path}: not an augmentation plan, missing column(s) {', '.join(sorted(missing))}")
    return plan


_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def output_paths(plan: pd.DataFrame) -> list[str]:
    """Where `seraug augment` puts each row's audio, relative to its output folder.

    Originals stay where they are (their ``source_path``); every augmented row is written to
    ``audio/<utterance>.wav`` (characters other than letters, digits and ``._+-`` become ``_``).
    """
    return [source if kind == "original" else f"audio/{_UNSAFE.sub('_', utterance)}.wav"
            for utterance, kind, source in zip(plan["utterance"], plan["kind"], plan["source_path"])]


def write_augmented(
    plan: pd.DataFrame,
    out: str | Path,
    transforms: Mapping[str, Transform] | None = None,
    jobs: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Write a plan's augmented audio as WAV (32-bit float) and ``out/manifest.csv``; return that manifest.

    The manifest is the plan plus ``path`` (see :func:`output_paths`; relative to ``out``), so
    ``load_manifest("csv", out / "manifest.csv")`` reads the balanced set as a corpus. It is written
    first; WAVs already present from an interrupted run of the same plan are kept, the rest
    rendered (``jobs`` processes, default one per core).

    Raises:
        AugmentError: ``out`` holds the manifest of a different plan.
    """
    out = Path(out)
    transforms = default_transforms() if transforms is None else transforms
    rows = _render_jobs(plan, transforms)
    manifest = plan[PLAN_COLUMNS].assign(path=output_paths(plan))
    clashes = manifest.loc[manifest["path"].duplicated(), "path"]
    if len(clashes):
        raise AugmentError(f"utterance ids map to the same file name, e.g. {clashes.iloc[0]}; make the ids unique")
    manifest_path, table = out / "manifest.csv", manifest.to_csv(index=False)
    if manifest_path.exists() and manifest_path.read_text() != table:
        raise AugmentError(f"{out}: holds the output of a different plan; choose another --out or delete it")
    (out / "audio").mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(table)
    todo = [(row, str(out / path)) for row, path, kind in zip(rows, manifest["path"], manifest["kind"])
            if kind != "original" and not (out / path).exists()]
    for _ in _map(_write_in_worker, todo, transforms, load_audio, _jobs(jobs), progress, "wav"):
        pass
    return manifest
