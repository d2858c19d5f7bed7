"""``seraug experiment --executor ray``: the grid's cells as Ray tasks give the cells of a local run."""

from __future__ import annotations

import json

import pytest

from seraug.classifier import TrainConfig
from seraug.experiment import ExperimentConfig, Preset, run_experiment
from seraug.gan import GANConfig

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'seraug[ray]'")

TINY = Preset(TrainConfig(width=1 / 32, epochs=1, batch_size=64, select="last", device="cpu"),
              GANConfig(width=1 / 32, ae_epochs=1, gan_epochs=1), validation_fraction=0, max_folds=2)


def test_ray_tasks_give_the_same_cells_as_a_local_run(tmp_path, emodb_root):
    def config(out):
        return ExperimentConfig(corpus="emodb", root=str(emodb_root), out=str(out), protocol="table3",
                                strategies=["imbalanced", "under1.0"], classes=["anger", "sadness"], device="cpu",
                                preset=TINY)

    run_experiment(config(tmp_path / "local"), progress=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        run_experiment(config(tmp_path / "ray"), progress=False, executor="ray")
    finally:
        ray.shutdown()
    local, remote = ({p.name: json.loads(p.read_text()) for p in (tmp_path / kind / "cells").glob("*.json")}
                     for kind in ("local", "ray"))
    assert sorted(local) == sorted(remote) and len(local) == 4
    for name, cell in local.items():  # same seed on the CPU, same numbers, wherever the cell ran
        assert remote[name]["confusion"] == cell["confusion"] and remote[name]["uar"] == cell["uar"]
    assert not (tmp_path / "ray" / "work").exists()
