"""`seraug augment`: the balanced training set on disk (WAV + manifest), speaker restriction, resuming, errors."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from seraug.features.audio import load_audio
from seraug.augment import AugmentError, NoiseBank, augment_waveforms, default_transforms, read_plan
from seraug.augment.cli import add_parser
from seraug.cli import main
from seraug.corpora import load_manifest


def augment(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="seraug")
    add_parser(parser.add_subparsers(dest="command"), "balance a training set")
    args = parser.parse_args(["augment", *argv])
    return args.func(args)


@pytest.fixture(scope="module")
def sar_run(tmp_path_factory, emodb_root, esc10_root):
    """SAR on speaker 10 only (38 utterances; 63 WAVs), written with two processes."""
    out = tmp_path_factory.mktemp("sar")
    argv = ["--corpus", "emodb", "--root", str(emodb_root), "--strategy", "SAR", "--noise-dir", str(esc10_root),
            "--speakers", "10", "--seed", "3", "--jobs", "2", "--out", str(out)]
    assert augment(*argv) == 0
    return out, argv


def test_writes_a_balanced_manifest_and_the_augmented_wavs(sar_run):
    out, _ = sar_run
    manifest = read_plan(out / "manifest.csv")
    assert manifest.groupby("label").size().unique().tolist() == [10]  # speaker 10's majority: anger
    assert set(manifest["speaker"]) == {"10"} and set(manifest["source"].str[:2]) == {"10"}
    new = manifest[manifest["kind"] != "original"]
    assert len(new) == len(list((out / "audio").glob("*.wav"))) == 63
    assert (new["path"] == "audio/" + new["utterance"] + ".wav").all()
    assert json.loads((out / "settings.json").read_text())["strategy"] == "sar"  # recorded in the one vocabulary


def test_wav_files_hold_exactly_the_in_memory_waveforms(sar_run, esc10_root):
    out, _ = sar_run
    manifest = read_plan(out / "manifest.csv")
    rows = manifest[manifest["kind"] != "original"].groupby("transform").head(1)
    transforms = default_transforms(NoiseBank(esc10_root))
    for path, wave in zip(rows["path"], augment_waveforms(rows, transforms)):
        on_disk, rate = sf.read(out / path, dtype="float32")
        assert rate == 16000 and np.array_equal(on_disk, wave)


def test_same_seed_gives_byte_identical_files(sar_run, tmp_path):
    out, argv = sar_run
    again = tmp_path / "again"
    assert augment(*argv[:-1], str(again), "--jobs", "1") == 0  # later, serially, elsewhere
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file() and p.name != "settings.json")
    assert len(files) == 64  # manifest.csv and 63 WAVs
    assert all((out / f).read_bytes() == (again / f).read_bytes() for f in files)


def test_output_reads_back_as_a_csv_corpus(sar_run):
    out, _ = sar_run
    corpus = load_manifest("csv", out / "manifest.csv")
    assert len(corpus) == 70 and corpus["label"].value_counts().unique().tolist() == [10]
    assert load_audio(corpus["path"].iloc[-1]).ndim == 1


def test_rerun_resumes_and_another_plan_in_the_same_folder_is_refused(sar_run):
    out, argv = sar_run
    wav = next((out / "audio").glob("*.wav"))
    wav.unlink()
    before = {p.name: p.stat().st_mtime_ns for p in (out / "audio").glob("*.wav")}
    assert augment(*argv) == 0
    assert wav.exists()
    assert {p.name: p.stat().st_mtime_ns for p in (out / "audio").glob("*.wav") if p != wav} == before
    with pytest.raises(AugmentError, match="different plan"):
        augment(*[a if a != "3" else "4" for a in argv])


@pytest.mark.parametrize("ratio", ["0.4", "1.0"])
def test_undersampling_writes_a_manifest_without_audio(tmp_path, emodb_root, ratio):
    assert augment("--corpus", "emodb", "--root", str(emodb_root), "--strategy", "under", "--ratio", ratio,
                   "--exclude-speakers", "03,08", "--out", str(tmp_path)) == 0
    manifest = read_plan(tmp_path / "manifest.csv")
    counts = manifest["label"].value_counts()
    assert counts.min() == 45 and counts.max() == min(101, int(45 / float(ratio)))  # disgust 45, anger 101 left
    assert not set(manifest["speaker"]) & {"03", "08"} and not list((tmp_path / "audio").iterdir())
    # the experiment's spelling and the old one give the same plan
    with pytest.warns(DeprecationWarning, match="'RU' is now called 'under'"):
        assert augment("--corpus", "emodb", "--root", str(emodb_root), "--strategy", "RU", "--ratio", ratio,
                       "--exclude-speakers", "03,08", "--out", str(tmp_path / "old")) == 0
    assert augment("--corpus", "emodb", "--root", str(emodb_root), "--strategy", f"under{ratio}",
                   "--exclude-speakers", "03,08", "--out", str(tmp_path / "named")) == 0
    for other in ("old", "named"):
        assert read_plan(tmp_path / other / "manifest.csv")["utterance"].tolist() == manifest["utterance"].tolist()


def test_plan_only_writes_the_plan(tmp_path, emodb_root):
    assert augment("--corpus", "emodb", "--root", str(emodb_root), "--strategy", "SAR_S", "--plan-only",
                   "--out", str(tmp_path)) == 0
    plan = pd.read_csv(tmp_path / "plan.csv")
    assert len(plan) == 7 * 127 and not (tmp_path / "audio").exists()


def test_without_a_fold_a_warning_says_every_speaker_is_in_the_output(tmp_path, emodb_root, capsys):
    base = ["--corpus", "emodb", "--root", str(emodb_root), "--strategy", "CP", "--plan-only"]
    assert augment(*base, "--out", str(tmp_path / "all")) == 0
    assert "warning: no --speakers or --exclude-speakers, so the output holds every speaker" in capsys.readouterr().err
    assert augment(*base, "--exclude-speakers", "03,08", "--out", str(tmp_path / "fold")) == 0
    assert "warning" not in capsys.readouterr().err


def test_noise_dir_is_read_only_when_the_strategy_uses_background_noise(tmp_path, emodb_root):
    (tmp_path / "empty").mkdir()  # SA would refuse it: no noise files
    for strategy in ("CP", "SAR_S"):
        assert augment("--corpus", "emodb", "--root", str(emodb_root), "--strategy", strategy, "--speakers", "10",
                       "--noise-dir", str(tmp_path / "empty"), "--plan-only", "--out", str(tmp_path / strategy)) == 0


def test_file_system_errors_are_one_line_messages(tmp_path, emodb_root, capsys):
    (tmp_path / "file").write_text("not a folder")
    out = tmp_path / "file" / "out"
    code = main(["augment", "--corpus", "emodb", "--root", str(emodb_root), "--strategy", "CP", "--speakers", "10",
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err == f"seraug augment: error: {out}: not a directory\n"


def test_bad_input_is_a_clear_error(tmp_path, emodb_root, capsys):
    base = ["--corpus", "emodb", "--root", str(emodb_root), "--out", str(tmp_path / "out")]
    with pytest.raises(ValueError, match="chosen speakers have no disgust"):  # EmoDB's speaker 08 has none
        augment(*base, "--strategy", "CP", "--speakers", "08")
    with pytest.raises(ValueError, match="speaker.*99 not in the corpus"):
        augment(*base, "--strategy", "CP", "--exclude-speakers", "99")
    with pytest.raises(AugmentError, match="BN.*--noise-dir"):
        augment(*base, "--strategy", "SAR_B")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AugmentError, match="empty: no noise files"):
        augment(*base, "--strategy", "SA", "--noise-dir", str(tmp_path / "empty"))
    with pytest.raises(AugmentError, match="--ratio applies to --strategy under only, not cp"):
        augment(*base, "--strategy", "CP", "--ratio", "0.5")
    with pytest.raises(AugmentError, match="unknown strategy 'sax'; choose imbalanced, under, cp, sa, sar"):
        augment(*base, "--strategy", "SAX")
    with pytest.raises(AugmentError, match="under0.5 and --ratio 0.4 disagree"):
        augment(*base, "--strategy", "under0.5", "--ratio", "0.4")


def test_help_explains_every_option():
    parser = argparse.ArgumentParser(prog="seraug")
    add_parser(parser.add_subparsers(dest="command"), "balance a training set")
    sub = parser._subparsers._group_actions[0].choices["augment"]
    assert all(action.help for action in sub._actions)
