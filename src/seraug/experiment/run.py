"""Running a grid: one cell (:func:`run_cell`), and every unfinished cell of a run (:func:`run_experiment`),
in this process or as tasks on a Ray cluster.

Every finished cell is written atomically to ``OUT/cells/<id>.json``; a re-run skips finished cells.
Each cell trains in ``OUT/work/<cell>/`` (GAN and classifier checkpoints, removed once the cell's result
is written), so a run killed in the middle of a long cell resumes that cell's training, and a cell is
claimed there (:class:`seraug.files.Claim`) so two runs on one folder never train it twice.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
from tqdm.auto import tqdm

from seraug.classifier import evaluate, fit, predict_proba
from seraug.errors import ConfigError
from seraug.experiment.balancing import TrainingSet, training_set
from seraug.experiment.config import GRID_FIELDS, ExperimentConfig, full_config, settings_hash, train_config
from seraug.experiment.data import Cell, Data
from seraug.features.normalise import MinMaxScaler
from seraug.files import Claim, atomic_path, check_same_run, read_json, read_or_set_aside
from seraug.experiment.examples import write_examples
from seraug.experiment.folds import Fold
from seraug.experiment.report import write_report
from seraug.experiment.reuse import reuse
from seraug.experiment.strategies import STRATEGIES
from seraug.runtime import init_distributed, phase, resolve_device, take_phases

EXECUTORS = ("local", "ray")
"""``local``: cells one after another in this process; ``ray``: each cell a Ray task (see :func:`run_experiment`)."""


def run_cell(data: Data, cell: Cell, work: Path | None = None) -> dict:
    """Balance, train, test one cell; returns its result (metrics at the utterance level, and ``phases``: the
    seconds of each phase of this process's work on it, :func:`seraug.runtime.phase`; for a GAN strategy
    ``examples``, segments for the run to write, :func:`seraug.experiment.examples.write_examples`).

    ``work``: a folder for the cell's GAN and classifier checkpoints; a cell interrupted midway and run
    again with the same folder continues its training from the last finished epoch.
    """
    start = time.time()
    take_phases()  # this cell's phases only
    fold = next(f for f in data.folds if f.name == cell.fold)
    with phase("balancing"):
        train = _shared_training_set(data, cell, fold, work)
    X_val, y_val, utt_val = data.real(fold.validation)
    X_test, y_test, utt_test = data.real(fold.test)
    with phase("classifier training"):
        result = fit(train.X, train.y, train.scaler.transform(X_val), y_val, utt_val, len(data.labels),
                     train_config(data.config, cell.seed), checkpoint_dir=work / "classifier" if work else None,
                     progress=False, scaler=train.scaler, class_weight=train.class_weight)
    with phase("evaluation"):
        metrics = evaluate(predict_proba(result.model, train.scaler.transform(X_test)), y_test, utt_test)
    return {"cell": cell.id, **asdict(cell), "labels": data.labels, **metrics, **train.info(data.labels),
            "best_epoch": result.best_epoch, "history": result.history, "seconds": round(time.time() - start, 1),
            "phases": take_phases()} | ({"examples": train.examples} if train.examples else {})


def _shared_training_set(data: Data, cell: Cell, fold: Fold, work: Path | None) -> TrainingSet:
    """:func:`training_set`, built once on rank 0 and sent to every rank under ``torchrun``.

    Every rank must shard the same rows, and GAN training on CUDA is not bit-reproducible, so the
    other ranks wait (for as long as a GAN trains) rather than build their own.
    """
    device = resolve_device(data.config.device)
    ddp = init_distributed(device.type)
    if ddp.world_size == 1:
        return training_set(data, cell, fold, work)
    payload = [training_set(data, cell, fold, work) if ddp.is_main else None]
    dist.broadcast_object_list(payload, src=0,
                               device=torch.device("cuda", ddp.local_rank) if device.type == "cuda" else None)
    return payload[0]


def _write_json(path: Path, payload: dict) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=1, default=_jsonable))


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def _check_same_settings(out: Path, config: dict) -> None:
    """Refuse to add cells made with other settings to a folder that holds finished cells; with none
    finished, drop the checkpoints of cells begun with other settings (they could not be resumed)."""
    path = out / "config.json"
    if not path.exists() or settings_hash(read_json(path)) == settings_hash(config):
        return
    if any((out / "cells").glob("*.json")):
        check_same_run(out, "a run", read_json(path), config, free=GRID_FIELDS)
    shutil.rmtree(out / "work", ignore_errors=True)


def _commands(out: Path, command: str | None) -> list[str]:
    """Every command line that has run in this folder, oldest first (each once), ``command`` last."""
    path = out / "config.json"
    before = read_json(path).get("commands", []) if path.exists() else []
    return [c for c in before if c != command] + ([command] if command else [])


def _local(data: Data, cells: list[Cell], out: Path,
           reused: Callable[[Cell], dict | None]) -> Iterator[tuple[Cell, dict | None]]:
    """Run cells one after another here; yields ``(cell, result)``, result None for a cell claimed elsewhere.
    ``reused(cell)``: its result copied from a finished cell that computed the same (:mod:`.reuse`), or None;
    asked once the cell is claimed, just before it would train, so a run reuses what it finished itself and never
    a cell another process holds. Not under torchrun, where every rank must train the same cells."""
    single = int(os.environ.get("WORLD_SIZE", "1")) == 1  # under torchrun all ranks share every cell
    for cell in cells:
        claim = Claim(out / "work" / cell.path(out).stem)
        if single and not claim.take():
            yield cell, None
            continue
        result = reused(cell) if single else None
        if result is None:
            try:
                result = run_cell(data, cell, claim.folder)
            except BaseException:
                if single:
                    claim.release()  # its checkpoints and time stay for the next run
                raise
            if single:  # every process's time on the cell, not only this one's
                result["seconds"] = round(claim.total_seconds(), 1)
        try:
            yield cell, result  # the caller writes the cell and removes its work folder, lock included
        finally:
            if single and claim.lock.exists():  # the caller failed before that: free the cell
                claim.release()


def _remote_cell(data: Data, cell: Cell, work: str, threads: int) -> dict:
    """A Ray task: one cell, on the corpus and real segments the driver put in the object store, with
    the driver's thread count (Ray would set 1), so the same seed gives the same numbers."""
    torch.set_num_threads(threads)
    return run_cell(data, cell, Path(work))


def _ray(data: Data, cells: list[Cell], out: Path, address: str | None = None) -> Iterator[tuple[Cell, dict | None]]:
    """Each cell a Ray task on the cluster at ``address`` (``auto``: the one ``ray start`` runs here;
    None: ``RAY_ADDRESS``, else a new local instance).

    The real segments are extracted here and put in the object store once with the corpus's manifest
    and folds; results come back to this process, which writes them, so workers need no shared file
    system, except for the signal strategies (they re-read the corpus's audio and ``--noise-dir``, which
    must then lie at the same paths on every node). A task lost with its worker is run again (twice at
    most). Each task asks for as many CPUs as this process uses threads, and a GPU when ``--device``
    resolves to CUDA here. This process claims every cell it submits, so a second driver on the same
    folder leaves them alone; results are yielded as tasks finish.
    """
    try:
        import ray
    except ImportError:
        raise ConfigError("--executor ray needs Ray: pip install 'seraug[ray]'") from None
    data.store  # extracted once, here, and shipped with the rest of `data`
    if not ray.is_initialized():
        ray.init(address=address, log_to_driver=False)
    shared = ray.put(data)
    gpus = 1 if resolve_device(data.config.device).type == "cuda" else 0
    threads = torch.get_num_threads()
    task = ray.remote(num_cpus=threads, num_gpus=gpus, max_retries=2)(_remote_cell)
    pending, claims = {}, {}
    for cell in cells:
        claim = Claim(out / "work" / cell.path(out).stem)
        if not claim.take():
            yield cell, None
            continue
        claims[cell] = claim
        pending[task.remote(shared, cell, str(claim.folder), threads)] = cell
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            cell = pending.pop(done[0])
            result = ray.get(done[0])
            result["seconds"] = round(result["seconds"] + claims[cell].spent, 1)  # with earlier processes' time
            yield cell, result
    finally:
        for ref in pending:
            ray.cancel(ref)
        for cell, claim in claims.items():
            if claim.lock.exists():
                claim.started = time.time()  # a task cut off here: its time was the worker's, not known here
                claim.release()


def run_experiment(config: ExperimentConfig, progress: bool = True, executor: str = "local",
                   ray_address: str | None = None) -> pd.DataFrame:
    """Run every unfinished cell of the grid, then write the tables and figures; returns the summary.

    ``executor``: ``local`` runs the cells here, one after another (under ``torchrun`` every process
    runs the same cells, the classifier's training is distributed and only rank 0 writes); ``ray``
    runs each cell as a Ray task (``pip install 'seraug[ray]'``) on the cluster at ``ray_address``
    (``auto``, ``host:port``; None: ``RAY_ADDRESS`` or a new local instance), and this process writes
    the cells as they finish.
    """
    if executor not in EXECUTORS:
        raise ConfigError(f"unknown executor {executor!r}; choose {', '.join(EXECUTORS)}")
    out = Path(config.out)
    writer = int(os.environ.get("RANK", "0")) == 0
    data = Data(config)  # corpus and folds; the features are extracted after the check below
    settings = full_config(config, data)
    _check_same_settings(out, settings)
    if writer:
        # the command is recorded before any cell runs, so a run stopped midway still says what made its cells
        _write_json(out / "config.json", settings | {"commands": _commands(out, config.command)})
    cells = data.cells()
    todo = [c for c in cells if read_or_set_aside(c.path(out), read_json) is None]
    show = progress and writer
    if show:
        print(f"{out.resolve()}: {len(cells)} cells ({len(cells) - len(todo)} finished), {len(data.folds)} "
              f"{data.scheme} folds; results go to {out / 'summary.md'} and {out / 'report.html'}", flush=True)
    bar = tqdm(total=len(todo), desc="cells", unit="cell", disable=not show)
    busy = []
    folders = [Path(folder) for folder in config.reuse or []]
    if folders and executor == "ray":
        raise ConfigError("--reuse works with the local executor; on Ray every cell trains")
    needs_neutral = [s for s in config.strategies if STRATEGIES[s].needs_neutral]
    if needs_neutral and "neutral" not in data.labels:
        raise ConfigError(f"strategy {needs_neutral[0]} joins utterances to neutral ones, but {config.corpus} has no "
                          f"'neutral' label (labels: {', '.join(data.labels)}); choose another strategy")
    cells_run = (_ray(data, todo, out, ray_address) if executor == "ray" else
                 _local(data, todo, out, lambda cell: reuse(cell, out, settings, folders)))
    for cell, result in cells_run:
        bar.update()
        if result is None:
            busy.append(cell.id)
            continue
        examples = result.pop("examples", None)
        if writer:
            _write_json(cell.path(out), {"settings": settings_hash(settings), "machine": settings["machine"]} | result)
            if examples is not None:
                write_examples(out / "examples", cell.strategy, examples, MinMaxScaler.from_dict(result["scaler"]),
                               data.labels, data.feature_config)
            shutil.rmtree(out / "work" / cell.path(out).stem, ignore_errors=True)
        if show:
            bar.write(f"{cell.id}: UAR {100 * result['uar']:.1f}, F-score {100 * result['f_score']:.1f} "
                      f"({result['seconds']:.0f} s)")
    bar.close()
    if busy and show:
        print(f"{len(busy)} cell(s) left to another process running on {out} (e.g. {busy[0]}); re-run once it "
              "ends for the full table", flush=True)
    if writer and not any((out / "work").glob("*")):
        shutil.rmtree(out / "work", ignore_errors=True)
    if writer and not busy:  # the command last in the list: the one that finished the folder's table
        _write_json(out / "config.json", settings | {"commands": _commands(out, config.command)})
    return write_report(out).table if writer else pd.DataFrame()
