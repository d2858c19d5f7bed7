"""Reliability: inputs that used to give silent wrong results or tracebacks, and damaged run state.

Each test is one case of the README's reliability table: what the tool now does with it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from seraug.features.audio import AudioError, load_audio
from seraug.classifier import TrainConfig, fit
from seraug.cli import main
from seraug.corpora import CorpusError, load_manifest
from seraug.experiment import ExperimentConfig, Preset, run_experiment
from seraug.features.store import extract_features
from seraug.files import Claim, atomic_path, read_json, read_or_set_aside
from seraug.gan import GANConfig

TINY = Preset(TrainConfig(width=1 / 32, epochs=1, batch_size=64, select="last"),
              GANConfig(width=1 / 32, ae_epochs=1, gan_epochs=1), validation_fraction=0, max_folds=2)


@pytest.fixture
def wav(emodb_root):
    return emodb_root / "wav" / "03a01Fa.wav"


def test_a_fold_without_a_class_is_refused_before_any_training(tmp_path, emodb_manifest, monkeypatch, capsys):
    import seraug.experiment.run as experiment

    # fear kept for one speaker only: the fold that tests that speaker trains without fear
    table = emodb_manifest[(emodb_manifest["label"] != "fear") | (emodb_manifest["speaker"] == "03")]
    table[["path", "label", "speaker"]].to_csv(tmp_path / "corpus.csv", index=False)
    monkeypatch.setattr(experiment, "run_cell", lambda *a: pytest.fail("a cell trained"))
    code = main(["experiment", "--corpus", "csv", "--root", str(tmp_path / "corpus.csv"), "--protocol", "table3",
                 "--strategies", "imbalanced", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and "speaker-03: training lacks fear" in err and "speaker-08" not in err.splitlines()[-1]
    assert "--classes" in err.splitlines()[-1]
    assert not (tmp_path / "run" / "features").exists()  # refused before any segment was computed


def test_absurd_peaks_and_too_short_files_are_refused_by_name(tmp_path, wav):
    audio, rate = sf.read(wav, dtype="float32")
    sf.write(tmp_path / "unscaled.wav", audio * 32768, rate, subtype="FLOAT")  # int16 values stored as float
    with pytest.raises(AudioError, match=r"unscaled.wav: peak .* far outside \[-1, 1\]"):
        load_audio(tmp_path / "unscaled.wav")
    sf.write(tmp_path / "loud.wav", audio * 3, rate, subtype="FLOAT")  # a hot mix stays accepted
    assert len(load_audio(tmp_path / "loud.wav")) == len(audio)
    sf.write(tmp_path / "blip.wav", audio[: rate // 100], rate)  # 10 ms
    with pytest.raises(AudioError, match=r"blip.wav: too short \(10 ms; at least 250 ms\)"):
        load_audio(tmp_path / "blip.wav")


def test_short_files_are_skipped_with_their_reason_when_asked(tmp_path, wav, capsys):
    audio, rate = sf.read(wav, dtype="float32")
    shutil.copyfile(wav, tmp_path / "a.wav")
    sf.write(tmp_path / "b.wav", audio[: rate // 100], rate)
    pd.DataFrame({"path": ["a.wav", "b.wav"], "label": ["anger", "sadness"], "speaker": ["s1", "s2"]}).to_csv(
        tmp_path / "c.csv", index=False)
    assert main(["features", "--corpus", "csv", "--root", str(tmp_path / "c.csv"), "--out", str(tmp_path / "f"),
                 "--skip-bad", "--device", "cpu"]) == 0
    assert "skipped" in capsys.readouterr().out
    assert "too short" in pd.read_csv(tmp_path / "f" / "skipped.csv")["reason"].iloc[0]


def test_an_empty_csv_is_an_error(tmp_path, capsys):
    (tmp_path / "c.csv").write_text("path,label,speaker\n")
    with pytest.raises(CorpusError, match="c.csv: no utterances"):
        load_manifest("csv", tmp_path / "c.csv")
    assert main(["manifest", "--corpus", "csv", "--root", str(tmp_path / "c.csv")]) == 2
    assert "no utterances" in capsys.readouterr().err


def test_label_synonyms_map_and_unknown_labels_are_announced(tmp_path, wav):
    names = ["a", "b", "c", "d"]
    for name in names:
        shutil.copyfile(wav, tmp_path / f"{name}.wav")
    pd.DataFrame({"path": [f"{n}.wav" for n in names], "label": ["ps", "Angry", "sad", "angery"],
                  "speaker": ["s1", "s1", "s2", "s2"]}).to_csv(tmp_path / "c.csv", index=False)
    with pytest.warns(UserWarning, match=r"angery are outside seraug's vocabulary.*found: anger, angery, sadness"):
        m = load_manifest("csv", tmp_path / "c.csv")
    assert m["label"].tolist() == ["surprise", "anger", "sadness", "angery"]


def test_a_symlink_loop_in_a_corpus_is_named(tmp_path, wav):
    (tmp_path / "wav").mkdir()
    shutil.copyfile(wav, tmp_path / "wav" / "03a01Fa.wav")
    os.symlink(tmp_path / "wav" / "03a01Wa.wav", tmp_path / "wav" / "03a01Wa.wav")  # points to itself
    with pytest.raises(CorpusError, match="03a01Wa.wav: a symbolic link loop"):
        load_manifest("emodb", tmp_path)


@pytest.mark.parametrize("failure, cause", [
    (OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
    (OSError(errno.EROFS, "Read-only file system"), "Read-only file system"),
    (RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 64 vs 0"), "is the disk full"),
])
def test_write_failures_are_one_line_naming_the_folder(tmp_path, emodb_root, monkeypatch, capsys, failure, cause):
    def fail(*args, **kwargs):
        raise failure

    monkeypatch.setattr(np, "save", fail)
    out = tmp_path / "features"
    assert main(["features", "--corpus", "emodb", "--root", str(emodb_root), "--out", str(out), "--device", "cpu",
                 "--classes", "anger,sadness"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the progress bar
    assert err.startswith(f"seraug features: error: {out}: cannot write spectrograms.npy") and cause in err
    assert not list(out.glob("*.npy")) and not list(out.glob(".*tmp"))  # nothing half-written


def test_atomic_path_leaves_other_errors_alone(tmp_path):
    with pytest.raises(RuntimeError, match="not about disks"), atomic_path(tmp_path / "x") as tmp:
        tmp.write_text("1")
        raise RuntimeError("not about disks")
    assert not list(tmp_path.iterdir())


def test_an_unreadable_file_is_set_aside_with_a_warning(tmp_path):
    (tmp_path / "cell.json").write_text('{"uar": 0.5, "conf')
    with pytest.warns(UserWarning, match=r"cell.json: unreadable .*moved to cell.json.corrupt"):
        assert read_or_set_aside(tmp_path / "cell.json", read_json) is None
    assert (tmp_path / "cell.json.corrupt").exists() and not (tmp_path / "cell.json").exists()
    assert read_or_set_aside(tmp_path / "absent.json", read_json) is None


def test_a_truncated_classifier_checkpoint_restarts_the_training(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.uniform(-1, 1, (40, 32, 32)).astype(np.float32), np.arange(40) % 2
    config = TrainConfig(width=1 / 32, epochs=2, batch_size=8, select="last", device="cpu")
    empty = (np.zeros((0, 32, 32), np.float32), np.zeros(0, int), np.zeros(0, str))
    fresh = fit(X, y, *empty, 2, config, checkpoint_dir=tmp_path / "a", progress=False)
    checkpoint = tmp_path / "a" / "checkpoint.pt"
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
    with pytest.warns(UserWarning, match="checkpoint.pt: unreadable"):
        again = fit(X, y, *empty, 2, config, checkpoint_dir=tmp_path / "a", progress=False)
    assert [h["train_loss"] for h in again.history] == [h["train_loss"] for h in fresh.history]


def test_a_damaged_feature_store_is_recomputed(tmp_path, emodb_manifest):
    manifest = emodb_manifest[emodb_manifest["speaker"] == "03"]
    X, _ = extract_features(manifest, tmp_path, device="cpu", progress=False)
    store = tmp_path / "spectrograms.npy"
    store.write_bytes(store.read_bytes()[: store.stat().st_size // 2])
    with pytest.warns(UserWarning, match="spectrograms.npy: unreadable"):
        again, _ = extract_features(manifest, tmp_path, device="cpu", progress=False)
    np.testing.assert_array_equal(again, X)


def test_a_truncated_cell_is_recomputed_alone(tmp_path, emodb_root, monkeypatch):
    import seraug.experiment.run as experiment

    config = ExperimentConfig(corpus="emodb", root=str(emodb_root), out=str(tmp_path), protocol="table3",
                              strategies=["under1.0"], classes=["anger", "sadness"], device="cpu", preset=TINY)
    run_experiment(config, progress=False)
    cells = sorted((tmp_path / "cells").glob("*.json"))
    assert len(cells) == 2
    whole = json.loads(cells[0].read_text())
    cells[0].write_text(cells[0].read_text()[:50])
    real, ran = experiment.run_cell, []
    monkeypatch.setattr(experiment, "run_cell", lambda data, cell, work: ran.append(cell.id) or real(data, cell, work))
    with pytest.warns(UserWarning, match=f"{cells[0].name}: unreadable"):
        run_experiment(config, progress=False)
    assert ran == [whole["cell"]] and json.loads(cells[0].read_text())["uar"] == whole["uar"]
    assert (tmp_path / "cells" / f"{cells[0].name}.corrupt").exists()


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_claim_keeps_a_second_process_off_and_a_dead_ones_time_counts(tmp_path):
    first, second = Claim(tmp_path / "cell"), Claim(tmp_path / "cell")
    assert first.take() and not second.take()  # this (live) process holds it
    first.release()
    assert json.loads((tmp_path / "cell" / "spent.json").read_text())["seconds"] >= 0
    # a process killed 100 s after it started, whose last checkpoint was written 40 s in
    started = time.time() - 100
    (tmp_path / "cell" / "lock.json").write_text(json.dumps({"pid": _dead_pid(), "host": socket.gethostname(),
                                                             "started": started}))
    (tmp_path / "cell" / "spent.json").write_text('{"seconds": 7}')
    (tmp_path / "cell" / "checkpoint.pt").write_bytes(b"x")
    os.utime(tmp_path / "cell" / "checkpoint.pt", (started + 40, started + 40))
    assert second.take() and second.spent == pytest.approx(47, abs=0.5)
    assert json.loads((tmp_path / "cell" / "lock.json").read_text())["pid"] == os.getpid()


def test_a_cell_held_by_a_live_process_is_left_to_it(tmp_path, emodb_root, capsys):
    config = ExperimentConfig(corpus="emodb", root=str(emodb_root), out=str(tmp_path), protocol="table3",
                              strategies=["under1.0"], classes=["anger", "sadness"], device="cpu", preset=TINY,
                              command="seraug experiment ...")
    other = subprocess.Popen(["sleep", "60"])
    held = tmp_path / "work" / "natural__speaker-03__under1.0__seed1"
    held.mkdir(parents=True)
    started = time.time() - 30
    (held / "lock.json").write_text(json.dumps({"pid": other.pid, "host": socket.gethostname(), "started": started}))
    (held / "losses.csv").write_text("epoch\n1\n")  # its last written file, 20 s after it started
    os.utime(held / "losses.csv", (started + 20, started + 20))
    try:
        run_experiment(config)
        assert "1 cell(s) left to another process" in capsys.readouterr().out
        assert not (tmp_path / "cells" / f"{held.name}.json").exists()
        # recorded though the run is not complete: its finished cells must say which command made them
        assert json.loads((tmp_path / "config.json").read_text())["commands"] == [config.command]
    finally:
        other.kill()
        other.wait()
    began = time.time()
    run_experiment(config, progress=False)  # the holder died: its cell is taken over, its 20 s counted
    cell = json.loads((tmp_path / "cells" / f"{held.name}.json").read_text())
    assert 20 <= cell["seconds"] <= 20 + time.time() - began + 0.5 and json.loads((tmp_path / "config.json").read_text())["commands"]


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["corpora"]])
def test_help_version_and_corpora_import_no_torch(argv):
    code = ("import sys; from seraug.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            "heavy = sorted(m for m in ('torch', 'librosa', 'sklearn', 'imblearn', 'matplotlib') if m in sys.modules)\n"
            "assert not heavy, heavy")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_bad_corpus_entries_are_named_or_skipped_with_their_reason(tmp_path, wav, capsys):
    for name in ("wav/03a01Fa.wav", "wav/03a01Wa.wav", "wav/notes.wav"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(wav, tmp_path / name)
    (tmp_path / "wav" / "03a02Fa.wav").mkdir()  # a folder named like an audio file
    with pytest.raises(CorpusError, match=r"2 bad entries, e.g. .*03a02Fa.wav: a folder, not an audio file; "
                                          r".*notes.wav: does not follow emodb's naming .*--skip-bad"):
        load_manifest("emodb", tmp_path)
    with pytest.warns(UserWarning, match="skipped 2 bad entries"):
        assert load_manifest("emodb", tmp_path, skip_bad=True)["utterance"].tolist() == ["03a01Fa", "03a01Wa"]
    pd.DataFrame({"path": ["wav/03a01Fa.wav", "wav/gone.wav"], "label": ["happy", "anger"],
                  "speaker": ["03", "03"]}).to_csv(tmp_path / "c.csv", index=False)
    assert main(["manifest", "--corpus", "csv", "--root", str(tmp_path / "c.csv")]) == 2
    assert "gone.wav: audio file not found" in capsys.readouterr().err
    with pytest.warns(UserWarning, match="gone.wav: audio file not found"):
        assert main(["manifest", "--corpus", "csv", "--root", str(tmp_path / "c.csv"), "--skip-bad"]) == 0
