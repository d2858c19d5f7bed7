"""``seraug experiment --executor ray``: the grid's cells as Ray tasks give the cells of a local run."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from seraug.classifier import TrainConfig
from seraug.experiment import ExperimentConfig, Preset, run_experiment
from seraug.gan import GANConfig

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'seraug[ray]'")

TINY = Preset(TrainConfig(width=1 / 32, epochs=1, batch_size=64, select="last", device="cpu"),
              GANConfig(width=1 / 32, ae_epochs=1, gan_epochs=1), validation_fraction=0, max_folds=2)


def _kill_first_cell_worker(stop: threading.Event, killed: list[int]) -> None:
    """SIGKILL the first Ray worker seen running a cell (its process title is ``ray::_remote_cell``)."""
    while not stop.is_set() and not killed:
        for proc in Path("/proc").iterdir():
            try:
                title = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if proc.name.isdigit() and title.startswith(b"ray::_remote_cell"):
                os.kill(int(proc.name), signal.SIGKILL)
                killed.append(int(proc.name))
                return
        time.sleep(0.02)


def test_ray_tasks_give_the_same_cells_as_a_local_run(tmp_path, emodb_root):
    """Also when a worker dies mid-cell: Ray runs the lost task again and the grid completes."""
    def config(out):
        return ExperimentConfig(corpus="emodb", root=str(emodb_root), out=str(out), protocol="table3",
                                strategies=["imbalanced", "under1.0"], classes=["anger", "sadness"], device="cpu",
                                preset=TINY)

    run_experiment(config(tmp_path / "local"), progress=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    stop, killed = threading.Event(), []
    killer = threading.Thread(target=_kill_first_cell_worker, args=(stop, killed), daemon=True)
    killer.start()
    try:
        run_experiment(config(tmp_path / "ray"), progress=False, executor="ray")
    finally:
        stop.set()
        ray.shutdown()
    assert killed, "no worker was seen running a cell"
    local, remote = ({p.name: json.loads(p.read_text()) for p in (tmp_path / kind / "cells").glob("*.json")}
                     for kind in ("local", "ray"))
    assert sorted(local) == sorted(remote) and len(local) == 4
    for name, cell in local.items():  # same seed on the CPU, same numbers, wherever the cell ran
        assert remote[name]["confusion"] == cell["confusion"] and remote[name]["uar"] == cell["uar"]
    assert not (tmp_path / "ray" / "work").exists()
