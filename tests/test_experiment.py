"""`seraug experiment`: a tiny Table 2 grid on the real EmoDB, resumable, with the paper's table layout."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from seraug.cli import main
from seraug.experiment import ExperimentConfig, run_experiment

TINY = {"classifier_width": 1 / 32, "epochs": 1, "patience": 1, "batch_size": 64, "gan_width": 1 / 32,
        "ae_epochs": 1, "gan_epochs": 1, "max_folds": 2}


def tiny(out, **kw) -> ExperimentConfig:
    base = dict(corpus="emodb", root=None, out=str(out), protocol="table2", reduce=["sadness"], seeds=[1],
                strategies=["imbalanced", "cp", "under1.0", "gan"], device="cpu", settings=TINY)
    return ExperimentConfig(**(base | kw))


@pytest.fixture(scope="module")
def table2_run(tmp_path_factory, emodb_root):
    out = tmp_path_factory.mktemp("table2")
    summary = run_experiment(tiny(out, root=str(emodb_root)), progress=False)
    return out, summary


def test_table2_has_every_requested_row_and_column(table2_run):
    out, summary = table2_run
    assert list(summary.index) == ["imbalanced", "cp", "under1.0", "gan"]
    assert list(summary.columns) == ["sadness", "average"]
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 4 * 2  # strategies x folds x seeds
    assert results["uar"].between(0, 1).all() and results["f_score"].between(0, 1).all()
    assert set(pd.read_csv(out / "comparison.csv")["strategy"]) == {"cp", "under1.0", "gan"}
    for name in ("summary.md", "summary.csv", "comparison.png", "confusion.png", "config.json"):
        assert (out / name).stat().st_size > 0


def test_cells_record_the_balancing(table2_run):
    out, _ = table2_run
    cells = {json.loads(p.read_text())["strategy"]: json.loads(p.read_text())
             for p in (out / "cells").glob("reduce-sadness__speaker-03__*.json")}
    before = cells["imbalanced"]["train_utterances"]
    assert before["sadness"] < 0.3 * before["anger"]  # 80% of sadness removed from training
    assert len(set(cells["cp"]["train_utterances"].values())) == 1  # CP: every class at the majority count
    assert len(set(cells["under1.0"]["train_utterances"].values())) == 1  # fully balanced by removal
    gan = cells["gan"]["train_segments"]
    assert len(set(gan.values())) == 1 and gan["sadness"] > cells["imbalanced"]["train_segments"]["sadness"]


def test_rerun_skips_finished_cells_and_only_adds_new(table2_run, emodb_root, monkeypatch):
    out, _ = table2_run
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "cells").glob("*.json")}
    import seraug.experiment as experiment

    calls = []
    real = experiment.run_cell
    monkeypatch.setattr(experiment, "run_cell", lambda data, cell: calls.append(cell.id) or real(data, cell))
    run_experiment(tiny(out, root=str(emodb_root), strategies=["imbalanced", "cp", "under1.0", "gan", "under0.6"],
                        only=["*/speaker-03/*"]), progress=False)
    assert calls == ["reduce-sadness/speaker-03/under0.6/seed1"]
    assert {p.name: p.stat().st_mtime_ns for p in (out / "cells").glob("*.json") if p.name in stamps} == stamps


def test_interrupted_run_keeps_finished_cells(tmp_path, emodb_root, monkeypatch):
    import seraug.experiment as experiment

    real, done = experiment.run_cell, []

    def crash_after_one(data, cell):
        if done:
            raise KeyboardInterrupt
        done.append(cell.id)
        return real(data, cell)

    monkeypatch.setattr(experiment, "run_cell", crash_after_one)
    config = tiny(tmp_path, root=str(emodb_root), strategies=["imbalanced", "under1.0"])
    with pytest.raises(KeyboardInterrupt):
        run_experiment(config, progress=False)
    assert [p.name for p in (tmp_path / "cells").glob("*.json")] == [done[0].replace("/", "__") + ".json"]
    assert not list((tmp_path / "cells").glob("*.tmp"))
    monkeypatch.setattr(experiment, "run_cell", lambda data, cell: done.append(cell.id) or real(data, cell))
    run_experiment(config, progress=False)
    assert len(done) == 4 and len(set(done)) == 4  # 1 before the crash + the 3 others, none repeated


def test_cli_errors_are_one_line(tmp_path, emodb_root, capsys):
    assert main(["experiment", "--corpus", "emodb", "--root", str(emodb_root), "--strategies", "imbalanced,magic",
                 "--out", str(tmp_path)]) == 2
    assert "unknown strategy magic" in capsys.readouterr().err
    assert main(["experiment", "--corpus", "emodb", "--root", str(emodb_root), "--strategies", "sa",
                 "--out", str(tmp_path)]) == 2
    assert "--noise-dir" in capsys.readouterr().err


def test_a_run_folder_refuses_other_settings(table2_run, emodb_root):
    out, _ = table2_run
    with pytest.raises(ValueError, match="other settings.*protocol"):
        run_experiment(tiny(out, root=str(emodb_root), protocol="table3"), progress=False)
