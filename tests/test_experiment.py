"""`seraug experiment`: a tiny Table 2 grid on the real EmoDB, resumable, with the paper's table layout."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from seraug.cli import main
from seraug.classifier import TrainConfig
from seraug.experiment import ExperimentConfig, Preset, run_experiment
from seraug.gan import GANConfig
from seraug.experiment.report import write_report
from seraug.experiment.results import write_results

TINY = Preset(TrainConfig(width=1 / 32, epochs=1, patience=1, batch_size=64),
              GANConfig(width=1 / 32, ae_epochs=1, gan_epochs=1), max_folds=2)


def tiny(out, **kw) -> ExperimentConfig:
    base = dict(corpus="emodb", root=None, out=str(out), protocol="table2", reduce=["sadness"], seeds=[1],
                strategies=["imbalanced", "cp", "under1.0", "gan"], device="cpu", preset=TINY)
    return ExperimentConfig(**(base | kw))


@pytest.fixture(scope="module")
def table2_run(tmp_path_factory, emodb_root):
    out = tmp_path_factory.mktemp("table2")
    summary = run_experiment(tiny(out, root=str(emodb_root), command="seraug experiment --the-command"),
                             progress=False)
    return out, summary


def test_results_page_is_written_from_the_run_folder(table2_run, tmp_path):
    out, _ = table2_run
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert main(["results", str(out), "--out", str(tmp_path / "docs" / "results.md")]) == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before  # writes only --out
    page = (tmp_path / "docs" / "results.md").read_text()
    assert "seraug experiment --the-command" in page and "8 cells" in page
    assert "## The reduced class's recall" in page and "## Reduced class's recall paired with `imbalanced`" in page
    numbers = pd.read_csv(out / "summary.csv", index_col=0)  # numbers, as pandas users expect
    assert numbers["average_mean"].dtype == float and numbers["average_n"].dtype == int
    for strategy in ("imbalanced", "cp", "under1.0", "gan"):  # every row, with mean and spread as in the cells
        mean, std = numbers.loc[strategy, ["average_mean", "average_std"]]
        assert f"| {strategy} " in page and f"{mean:.1f} ± {std:.1f}" in page
    comparison = pd.read_csv(out / "comparison.csv")
    assert set(comparison["verdict"]) <= {"higher", "lower", "within noise"}
    low_high = comparison[["ci95_low", "mean_uar_diff", "ci95_high"]].dropna().to_numpy()
    assert (low_high[:, 0] <= low_high[:, 1]).all() and (low_high[:, 1] <= low_high[:, 2]).all()


def test_comparison_gives_the_ratio_and_every_pair_head_to_head(table2_run):
    out, _ = table2_run
    results = pd.read_csv(out / "results.csv").set_index(["scenario", "fold", "seed"])
    comparison = pd.read_csv(out / "comparison.csv").set_index("strategy")
    base = results.loc[results["strategy"] == "imbalanced", "uar"]
    for strategy, row in comparison.iterrows():  # the paper's goal, e.g. gan >= 1.10 x imbalanced
        mine = results.loc[results["strategy"] == strategy, "uar"]
        assert row["uar_ratio"] == pytest.approx(mine.mean() / base.loc[mine.index].mean())
    text = (out / "summary.md").read_text()
    rows = [line for line in text[text.index("## Head to head"):].splitlines() if line.startswith("|")][2:]
    cells = {line.split("|")[1].strip(): [c.strip().rstrip("*") for c in line.split("|")[2:-1]] for line in rows}
    order = ["imbalanced", "cp", "under1.0", "gan"]
    assert list(cells) == order
    for i, a in enumerate(order):
        for j, b in enumerate(order):
            if i != j:  # antisymmetric, and the imbalanced column is the paired comparison
                assert float(cells[a][j]) == pytest.approx(-float(cells[b][i]), abs=0.11)
        if a != "imbalanced":
            assert float(cells[a][0]) == pytest.approx(comparison.loc[a, "mean_uar_diff"], abs=0.051)


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


def test_cells_record_where_their_time_went(table2_run):
    """Each cell's phases (seraug.runtime.phase) add up to no more than the cell took, and name the work done."""
    out, _ = table2_run
    for path in (out / "cells").glob("*.json"):
        cell = json.loads(path.read_text())
        phases = cell["phases"]
        assert phases["classifier training"] > 0 and sum(phases.values()) <= cell["seconds"] + 0.5, path.name
        gan_phases = {"gan autoencoder", "gan fine-tuning", "gan class normals", "gan generation"}
        assert gan_phases <= set(phases) if cell["strategy"] == "gan" else not gan_phases & set(phases), path.name
        assert ("augmentation" in phases) == (cell["strategy"] == "cp"), path.name
    assert (out / "examples" / "gan" / "grid.png").exists() and (out / "examples" / "real").is_dir()


def test_rerun_skips_finished_cells_and_only_adds_new(table2_run, emodb_root, monkeypatch):
    out, _ = table2_run
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "cells").glob("*.json")}
    import seraug.experiment.run as experiment

    calls = []
    real = experiment.run_cell
    monkeypatch.setattr(experiment, "run_cell", lambda data, cell, work: calls.append(cell.id) or real(data, cell, work))
    run_experiment(tiny(out, root=str(emodb_root), strategies=["imbalanced", "cp", "under1.0", "gan", "under0.6"],
                        only=["*/speaker-03/*"]), progress=False)
    assert calls == ["reduce-sadness/speaker-03/under0.6/seed1"]
    assert {p.name: p.stat().st_mtime_ns for p in (out / "cells").glob("*.json") if p.name in stamps} == stamps


def test_interrupted_run_keeps_finished_cells(tmp_path, emodb_root, monkeypatch):
    import seraug.experiment.run as experiment

    real, done = experiment.run_cell, []

    def crash_after_one(data, cell, work):
        if done:
            raise KeyboardInterrupt
        done.append(cell.id)
        return real(data, cell, work)

    monkeypatch.setattr(experiment, "run_cell", crash_after_one)
    config = tiny(tmp_path, root=str(emodb_root), strategies=["imbalanced", "under1.0"])
    with pytest.raises(KeyboardInterrupt):
        run_experiment(config, progress=False)
    assert [p.name for p in (tmp_path / "cells").glob("*.json")] == [done[0].replace("/", "__") + ".json"]
    assert not list((tmp_path / "cells").glob("*.tmp"))
    monkeypatch.setattr(experiment, "run_cell", lambda data, cell, work: done.append(cell.id) or real(data, cell, work))
    run_experiment(config, progress=False)
    assert len(done) == 4 and len(set(done)) == 4  # 1 before the crash + the 3 others, none repeated


def test_cli_errors_are_one_line(tmp_path, emodb_root, capsys):
    assert main(["experiment", "--corpus", "emodb", "--root", str(emodb_root), "--strategies", "imbalanced,magic",
                 "--out", str(tmp_path)]) == 2
    assert "unknown strategy magic" in capsys.readouterr().err
    assert main(["experiment", "--corpus", "emodb", "--root", str(emodb_root), "--strategies", "sa",
                 "--out", str(tmp_path)]) == 2
    assert "--noise-dir" in capsys.readouterr().err


def test_a_run_folder_refuses_other_settings(table2_run, emodb_root, monkeypatch):
    out, _ = table2_run
    with pytest.raises(ValueError, match="other settings.*protocol"):
        run_experiment(tiny(out, root=str(emodb_root), protocol="table3"), progress=False)
    import seraug.experiment.run as experiment

    monkeypatch.setattr(experiment, "run_cell", lambda *a: pytest.fail("a finished cell ran again"))
    # the same run from another device and another spelling of the corpus path resumes (nothing left to do)
    run_experiment(tiny(out, root=f"{emodb_root}/wav/..", device="auto"), progress=False)


def test_a_failed_start_does_not_block_the_folder(tmp_path, emodb_root):
    with pytest.raises(ValueError, match="--reduce"):
        run_experiment(tiny(tmp_path, root=str(emodb_root), reduce=["joy"]), progress=False)
    summary = run_experiment(tiny(tmp_path, root=str(emodb_root), strategies=["imbalanced"],
                                  preset=replace(TINY, max_folds=1)), progress=False)
    assert list(summary.index) == ["imbalanced"]


def test_merged_cells_give_the_table2_layout_and_refuse_other_runs(table2_run, tmp_path):
    out, _ = table2_run
    shutil.copytree(out / "cells", tmp_path / "cells")  # cells copied from other machines: no config.json
    merged = write_report(tmp_path).table
    assert list(merged.columns) == ["sadness", "average"]
    assert set(merged.index) == set(pd.read_csv(out / "results.csv")["strategy"])
    stray = json.loads(next((tmp_path / "cells").glob("*.json")).read_text()) | {"settings": "another-run"}
    (tmp_path / "cells" / "stray.json").write_text(json.dumps(stray))
    with pytest.raises(ValueError, match="different settings"):
        write_report(tmp_path)


def test_cells_record_their_machine_and_the_results_count_cells_per_machine(table2_run, tmp_path):
    """A committed run folder grows on several machines: each cell says where it ran, the results say how many."""
    out, _ = table2_run
    machine = json.loads((out / "config.json").read_text())["machine"]
    names = sorted(p.name for p in (out / "cells").glob("*.json"))
    assert all(json.loads((out / "cells" / name).read_text())["machine"] == machine for name in names)
    shutil.copytree(out, tmp_path / "run")
    moved = tmp_path / "run" / "cells" / names[0]
    moved.write_text(json.dumps(json.loads(moved.read_text()) | {"machine": "another machine"}))
    text = write_results([tmp_path / "run"], tmp_path / "results.md")
    write_report(tmp_path / "run")  # seraug results leaves the folder alone; the run's own report counts too
    counts = f"{len(names) - 1} cells on {machine}; 1 cell on another machine"
    assert counts in text and counts in (tmp_path / "run" / "report.html").read_text()


def test_table3_every_strategy_scaled_alike_and_no_test_speaker_in_training(tmp_path, emodb_root, esc10_root):
    strategies = ["imbalanced", "under0.4", "sar"]
    summary = run_experiment(tiny(tmp_path, root=str(emodb_root), protocol="table3", reduce=None,
                                  strategies=strategies, noise_dir=str(esc10_root),
                                  preset=replace(TINY, max_folds=1)), progress=False)
    assert list(summary.index) == strategies and list(summary.columns) == ["UAR", "F-score"]
    cells = {c["strategy"]: c for c in map(json.loads, map(Path.read_text, (tmp_path / "cells").glob("*.json")))}
    assert len({json.dumps(c["scaler"]) for c in cells.values()}) == 1  # validation and test scaled alike
    counts = cells["under0.4"]["train_utterances"]
    assert min(counts.values()) / max(counts.values()) == pytest.approx(0.4, abs=0.02)
    assert len(set(cells["sar"]["train_utterances"].values())) == 1
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["fold_scheme"] == "speaker" and config["sizes"]["classifier"]["width"] == TINY.classifier.width


def test_a_cell_killed_midway_resumes_its_training(tmp_path, emodb_root, monkeypatch):
    import seraug.experiment.run as experiment

    real_predict = experiment.predict_proba

    def killed_after_training(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(experiment, "predict_proba", killed_after_training)
    config = tiny(tmp_path, root=str(emodb_root), strategies=["gan"], preset=replace(TINY, max_folds=1, classifier=replace(TINY.classifier, epochs=2)))
    with pytest.raises(KeyboardInterrupt):
        run_experiment(config, progress=False)
    work = next((tmp_path / "work").iterdir())
    assert (work / "classifier" / "checkpoint.pt").exists() and any((work / "gan").iterdir())
    saved = torch.load(work / "classifier" / "checkpoint.pt", weights_only=True)["history"]
    trained = []
    real_fit = experiment.fit
    monkeypatch.setattr(experiment, "predict_proba", real_predict)
    monkeypatch.setattr(experiment, "fit", lambda *a, **k: trained.append(real_fit(*a, **k)) or trained[-1])
    run_experiment(config, progress=False)
    assert trained[0].history == saved  # read from the checkpoint (wall-clock times too), not retrained
    assert not work.exists() and not (tmp_path / "work").exists()  # work goes once the cells are written


def test_presets_are_composed_configs_and_the_old_name_still_works(tmp_path):
    from seraug.experiment import PRESETS

    with pytest.warns(DeprecationWarning, match="now called 'smoke'"):
        config = ExperimentConfig(corpus="emodb", root=None, out=str(tmp_path), preset="quick",
                                  strategies=["imbalanced"])
    assert config.sizes == PRESETS["smoke"]
    fp32 = ExperimentConfig(corpus="emodb", root=None, out=str(tmp_path), amp=False, strategies=["gan"])
    assert not fp32.sizes.classifier.amp and not fp32.sizes.gan.amp
    assert fp32.sizes.classifier == replace(PRESETS["cpu"].classifier, amp=False)


def test_one_strategy_vocabulary_and_strategies_declare_their_needs(tmp_path):
    from seraug.experiment.strategies import IMPROVED_GAN, STRATEGIES

    assert [n for n, st in STRATEGIES.items() if st.needs_noise] == ["sa", "sar", "sar_m", "sar_b"]
    assert {n: st.recipe for n, st in STRATEGIES.items() if st.recipe} == {"gan": "paper", "bagan": "bagan",
                                                                          "gan_texture": "texture"}
    assert IMPROVED_GAN == "gan_texture"
    with pytest.warns(DeprecationWarning, match="'none' is now called 'imbalanced'"):
        config = ExperimentConfig(corpus="emodb", root=None, out=str(tmp_path), strategies=["SAR_S", "none", "CP", "under"])
    assert config.strategies == ["sar_s", "imbalanced", "cp", "under1.0"]  # seraug augment's spellings work too
    with pytest.raises(ValueError, match="strateg.*sar_b mix background noise: pass --noise-dir"):
        ExperimentConfig(corpus="emodb", root=None, out=str(tmp_path), strategies=["SAR_B"])
    with pytest.raises(ValueError, match="gan_glide_level was retired.*use gan_texture"):
        ExperimentConfig(corpus="emodb", root=None, out=str(tmp_path), strategies=["gan_glide_level"])


def test_checking_a_strategy_name_does_not_import_torch():
    """The strategy registry is plain data: the command line checks names before any network is built."""
    code = ("import sys; from seraug.experiment.strategies import STRATEGIES; "
            "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if m.startswith('seraug'))")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_each_gan_strategy_trains_its_recipe_at_the_preset_size_and_the_paper_preset_takes_them_all(
        tmp_path, emodb_root, monkeypatch):
    import seraug.experiment.balancing as balancing
    from seraug.gan.config import TEXTURE_WEIGHT
    from seraug.gan.recipes import recipe_config

    trained = {}

    class Recording(balancing.GANOverSampler):
        def fit_resample(self, X, y):
            trained[len(trained)] = self.config
            return super().fit_resample(X, y)

    monkeypatch.setattr(balancing, "GANOverSampler", Recording)
    tuned = replace(TINY, gan_tuned=GANConfig(width=1 / 32, dropout=0.0, ae_lr=1e-3, gan_lr=1e-4, ae_epochs=1,
                                              gan_epochs=1))
    strategies = ["gan", "bagan", "gan_texture"]
    config = tiny(tmp_path / "run", root=str(emodb_root), protocol="table3", reduce=None, strategies=strategies,
                  classes="anger,sadness", preset=tuned, max_folds=1)
    run_experiment(config, progress=False)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())["sizes"]
    assert saved["gan_tuned"]["dropout"] == 0.0 and saved["gan"]["dropout"] == 0.2  # both recorded, each its own
    for strategy in strategies:
        assert len(list((tmp_path / "run" / "cells").glob(f"*__{strategy}__seed*.json"))) == 1
        assert (tmp_path / "run" / "examples" / strategy / "grid.png").exists()
    assert [trained[0], trained[1], trained[2]] == [  # the sampler sets the cell's seed on them
        tuned.gan, replace(tuned.gan, arch="bagan"), replace(tuned.gan_tuned, ae_texture_weight=TEXTURE_WEIGHT)]
    paper = ExperimentConfig(corpus="emodb", root=None, out=str(tmp_path / "paper"), preset="paper",
                             strategies=strategies)  # the GPU preset trains every recipe, the improved one too
    assert paper.sizes.gan_tuned.width == 1.0
    assert recipe_config("texture", "paper") == replace(paper.sizes.gan_tuned, ae_texture_weight=TEXTURE_WEIGHT)


def test_committed_folders_keep_their_hash_and_the_readme_folder_takes_cells_of_the_current_code(tmp_path):
    """A folder written when GANConfig had 11 fields it has since lost (and lacked others) still hashes like its cells,
    so its tables stay one run; the README's run folder takes the cells its command still has to add (the ``cpu``
    preset as the code builds it now); a GAN setting leaves the hash alone at its default and changes it at any
    other."""
    from dataclasses import asdict

    from seraug.experiment import settings_hash

    runs = Path(__file__).parents[1] / "docs" / "runs"
    for name in ("emodb-table2", "main-emodb-sadness"):
        stored = json.loads((runs / name / "config.json").read_text())
        assert {json.loads(p.read_text())["settings"] for p in (runs / name / "cells").glob("*.json")} == {
            settings_hash(stored)}, name
    sizes = ExperimentConfig(corpus="emodb", root=None, out=str(tmp_path), preset=stored["preset"], amp=stored["amp"],
                             strategies=["imbalanced"]).sizes
    now = stored | {"sizes": json.loads(json.dumps(asdict(sizes)))}
    assert "ae_texture_weight" in now["sizes"]["gan_tuned"] and "r1_gamma" not in now["sizes"]["gan_tuned"]
    assert settings_hash(now) == settings_hash(stored)
    textured = replace(sizes, gan_tuned=replace(sizes.gan_tuned, ae_texture_weight=10.0))
    assert settings_hash(now | {"sizes": json.loads(json.dumps(asdict(textured)))}) != settings_hash(now)


def test_the_reviewers_baselines_weighted_specaug_and_copypaste_on_real_emodb(tmp_path, emodb_root):
    """``weighted`` keeps the data and weights the loss by inverse class frequency; ``specaug`` and ``copypaste``
    top every class up to the majority's utterances as ``cp`` does, with masked copies and with utterances joined
    to neutral ones; each records what it drew; a corpus without 'neutral' gets a clear error for copypaste."""
    strategies = ["imbalanced", "cp", "weighted", "specaug", "copypaste"]
    run_experiment(tiny(tmp_path / "run", root=str(emodb_root), strategies=strategies,
                        classes="anger,neutral,sadness", max_folds=1), progress=False)
    cells = {c["strategy"]: c for c in map(json.loads, map(Path.read_text, (tmp_path / "run" / "cells").glob("*.json")))}
    assert set(cells) == set(strategies)
    plain, weighted = cells["imbalanced"], cells["weighted"]
    assert weighted["train_segments"] == plain["train_segments"] and "class_weight" not in plain
    counts, weights = plain["train_segments"], weighted["class_weight"]
    assert min(weights, key=weights.get) == max(counts, key=counts.get)  # the largest class weighs least
    assert sum(weights[k] * counts[k] for k in counts) == pytest.approx(sum(counts.values()))  # sklearn's balanced
    majority = max(cells["cp"]["train_utterances"].values())
    for name in ("specaug", "copypaste"):
        assert set(cells[name]["train_utterances"].values()) == {majority}, name
        assert sum(cells[name]["train_segments"].values()) > sum(plain["train_segments"].values())
    assert cells["specaug"]["train_segments"] == cells["cp"]["train_segments"]  # the same copies, masked
    assert cells["specaug"]["specaug"] == {"freq_masks": 2, "freq_width": 20, "time_masks": 2, "time_width": 20,
                                           "seed": [1, 2]}
    # joined to a neutral utterance, each added one is longer than its source: more segments than cp's copies
    assert sum(cells["copypaste"]["train_segments"].values()) > sum(cells["cp"]["train_segments"].values())
    with pytest.raises(ValueError, match="copypaste joins utterances to neutral ones.*no 'neutral'"):
        run_experiment(tiny(tmp_path / "no-neutral", root=str(emodb_root), strategies=["copypaste"],
                            classes="anger,sadness", max_folds=1), progress=False)


def test_specaugment_masks_bands_and_frames_with_the_segments_mean(emodb_features):
    from seraug.augment.specaug import SpecAugment

    X = emodb_features[0][:6]
    masked = SpecAugment(freq_masks=1, freq_width=20, time_masks=1, time_width=20)(X, np.random.default_rng(0))
    assert masked.shape == X.shape and not np.array_equal(masked, X)
    for original, out in zip(X, masked):
        changed = out != original
        bands, frames = changed.all(axis=1), changed.all(axis=0)  # whole bands and whole frames, nothing else
        assert bands.sum() <= 20 and frames.sum() <= 20 and (changed == (bands[:, None] | frames[None, :])).all()
        assert np.allclose(out[changed], original.mean())
    again = SpecAugment(freq_masks=1, freq_width=20, time_masks=1, time_width=20)(X, np.random.default_rng(0))
    assert np.array_equal(masked, again)  # seeded
    copies = SpecAugment()(np.repeat(X[:1], 2, axis=0), np.random.default_rng(1))
    assert not np.array_equal(copies[0], copies[1])  # two copies of one segment are masked differently
    with pytest.raises(ValueError, match="freq_width must not be negative"):
        SpecAugment(freq_width=-1)


def test_a_whole_training_part_is_trained_once_for_every_reduced_class_and_either_table(tmp_path, emodb_root):
    """Table 2's ``full`` and Table 3's ``imbalanced`` train on the fold's training part as it is: a finished one
    (in the run, or in a folder named with ``reuse``) is copied, says where from, and gives the same numbers."""
    common = dict(root=str(emodb_root), classes="anger,neutral,sadness", max_folds=1)
    run_experiment(tiny(tmp_path / "two", strategies=["full"], reduce=["sadness", "anger"], **common), progress=False)
    cells = {json.loads(p.read_text())["scenario"]: (p, json.loads(p.read_text()))
             for p in (tmp_path / "two" / "cells").glob("*.json")}
    (path, first), (_, second) = cells["reduce-sadness"], cells["reduce-anger"]
    assert "reused_from" not in first and second["reused_from"] == f"cells/{path.name}"
    assert second["uar"] == first["uar"] and second["scenario"] == "reduce-anger" and second["settings"] == first["settings"]
    table3 = tiny(tmp_path / "table3", protocol="table3", reduce=None, strategies=["imbalanced"],
                  reuse=[str(tmp_path / "two")], **common)
    run_experiment(table3, progress=False)
    copied = json.loads(next((tmp_path / "table3" / "cells").glob("*.json")).read_text())
    assert copied["cell"] == f"natural/{first['fold']}/imbalanced/seed1" and copied["uar"] == first["uar"]
    assert copied["reused_from"] == f"../two/cells/{path.name}"
    other = tiny(tmp_path / "other", strategies=["full"], seeds=[2], reuse=[str(tmp_path / "two")], **common)
    run_experiment(other, progress=False)  # another seed: trained, not copied
    assert "reused_from" not in json.loads(next((tmp_path / "other" / "cells").glob("*.json")).read_text())
    with pytest.raises(ValueError, match="--reuse .*nowhere: not a run folder"):
        tiny(tmp_path / "x", reuse=[str(tmp_path / "nowhere")])


def test_a_cell_made_before_is_copied_and_a_changed_gan_recipe_retrains_only_the_gan(tmp_path, emodb_root):
    """The same cell made with the same settings is copied from a --reuse folder; a run whose GAN sizes differ copies
    the cells that use no GAN and trains the GAN's."""
    common = dict(root=str(emodb_root), classes="anger,neutral,sadness", max_folds=1, reduce=["sadness"])
    run_experiment(tiny(tmp_path / "first", strategies=["imbalanced", "gan"], **common), progress=False)
    first = {json.loads(p.read_text())["strategy"]: json.loads(p.read_text())
             for p in (tmp_path / "first" / "cells").glob("*.json")}
    run_experiment(tiny(tmp_path / "same", strategies=["imbalanced", "gan"], reuse=[str(tmp_path / "first")],
                        **common), progress=False)
    same = {c["strategy"]: c for c in map(json.loads, map(Path.read_text, (tmp_path / "same" / "cells").glob("*.json")))}
    assert all(same[s]["reused_from"].startswith("../first/") and same[s]["uar"] == first[s]["uar"] for s in same)
    changed = replace(TINY, gan=replace(TINY.gan, ae_epochs=2))
    run_experiment(tiny(tmp_path / "other-gan", strategies=["imbalanced", "gan"], reuse=[str(tmp_path / "first")],
                        preset=changed, **common), progress=False)
    other = {c["strategy"]: c for c in map(json.loads, map(Path.read_text, (tmp_path / "other-gan" / "cells").glob("*.json")))}
    assert other["imbalanced"]["reused_from"].startswith("../first/") and "reused_from" not in other["gan"]
