"""``seraug gan train|generate|report`` on a small real EmoDB feature store, tiny models on the CPU."""

from __future__ import annotations

import argparse
import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from seraug.gan.cli import add_parser
from seraug.gan.diversity import mean_pairwise_distance

CLASSES = ["anger", "neutral", "sadness"]
TINY = ["--width", "0.0625", "--batch-size", "8", "--ae-epochs", "1", "--gan-epochs", "1", "--device", "cpu",
        "--wavs", "1", "--grid-n", "2"]


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="seraug")
    add_parser(parser.add_subparsers(dest="command", required=True), "the GAN")
    args = parser.parse_args(argv)
    return args.func(args)


SPEAKERS = ["03", "08"]


@pytest.fixture(scope="module")
def store(emodb_features, tmp_path_factory):
    """A feature store of 24 real segments (4 each of anger, neutral, sadness from speakers 03 and 08), in the
    lead's on-disk format."""
    X, segments, config = emodb_features
    labels, speakers = segments["label"].to_numpy(), segments["speaker"].to_numpy()
    rows = np.concatenate([np.flatnonzero((labels == name) & (speakers == speaker))[:4]
                           for speaker in SPEAKERS for name in CLASSES])
    out = tmp_path_factory.mktemp("store")
    np.save(out / "spectrograms.npy", X[rows])
    segments.iloc[rows].to_csv(out / "segments.csv", index=False)
    (out / "config.json").write_text(json.dumps({"config": config.to_dict()}))
    return out


@pytest.fixture(scope="module")
def models(store, tmp_path_factory):
    """The proposed model and the original BAGAN, each trained with `seraug gan train`."""
    root = tmp_path_factory.mktemp("models")
    for arch, recipe in (("proposed", "paper"), ("bagan", "bagan")):
        assert run(["gan", "train", "--features", str(store), "--out", str(root / arch), "--recipe", recipe,
                    *TINY]) == 0
    return root


def test_train_writes_model_logs_grid_report_and_audio(models, capsys):
    out = models / "proposed"
    for name in ("model.json", "weights.pt", "latent.npz", "checkpoint.pt", "losses.csv", "grid.png"):
        assert (out / name).exists(), name
    meta = json.loads((out / "model.json").read_text())
    assert meta["class_names"] == CLASSES and meta["config"]["arch"] == "proposed" and meta["speakers"] == SPEAKERS
    assert meta["scaler"]["data_min"] < meta["scaler"]["data_max"] and meta["features"]["n_mels"] == 128
    assert (out / "losses.csv").read_text().splitlines()[0].startswith("phase,epoch,ae_loss")
    assert (out / "grid.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads((out / "quality.json").read_text())
    assert set(report["classes"]) == set(CLASSES)
    audio, rate = sf.read(out / "samples" / "sadness_0.wav")
    assert rate == 16000 and 3.0 < len(audio) / rate < 3.4 and np.abs(audio).max() > 0


def test_generate_writes_segments_in_range(models, tmp_path):
    path = tmp_path / "sad.npy"
    assert run(["gan", "generate", "--model", str(models / "proposed"), "--label", "sadness", "--n", "5",
                "--out", str(path), "--seed", "2", "--wav-dir", str(tmp_path / "wav")]) == 0
    X = np.load(path)
    assert X.shape == (5, 128, 128) and X.min() >= -1 and X.max() <= 1
    assert len(list((tmp_path / "wav").glob("sadness_*.wav"))) == 5
    assert run(["gan", "generate", "--model", str(models / "proposed"), "--label", "sadness", "--n", "5",
                "--out", str(path), "--seed", "2", "--db"]) == 0
    meta = json.loads((models / "proposed" / "model.json").read_text())["scaler"]
    dB = np.load(path)
    assert dB.min() >= meta["data_min"] - 1e-3 and dB.max() <= meta["data_max"] + 1e-3
    narrow = tmp_path / "narrow.npy"  # the same draws nearer the class mean: less diverse
    assert run(["gan", "generate", "--model", str(models / "proposed"), "--label", "sadness", "--n", "5",
                "--out", str(narrow), "--seed", "2", "--spread", "0.5"]) == 0
    assert mean_pairwise_distance(np.load(narrow)) < mean_pairwise_distance(X)
    assert run(["gan", "generate", "--model", str(models / "proposed"), "--label", "sadness", "--n", "5",
                "--out", str(narrow), "--seed", "2", "--best-of", "3"]) == 0
    assert np.load(narrow).shape == X.shape and not np.array_equal(np.load(narrow), X)  # D chose among 3 draws
    with pytest.raises(ValueError, match="unknown class 'boredom'"):
        run(["gan", "generate", "--model", str(models / "proposed"), "--label", "boredom", "--n", "1",
             "--out", str(path)])


def test_report_compares_models_side_by_side(models, store, tmp_path, capsys):
    out = tmp_path / "report"
    assert run(["gan", "report", "--model", str(models / "proposed"), "--model", str(models / "bagan"),
                "--features", str(store), "--out", str(out), "--wavs", "0", "--grid-n", "2",
                "--best-of", "2"]) == 0
    printed = capsys.readouterr().out  # both sampled the best of 2 draws, and the report says so
    assert "proposed (proposed, best of 2)" in printed and "bagan (bagan, best of 2)" in printed
    assert "bars for usable: FD/floor <= 3, GAN-test gap >= -0.15" in printed  # the bars the verdict uses
    assert "FD floor: the same between two random halves" in printed  # the columns explained
    assert "compared with segments of its own training speakers 03, 08" in printed
    for name in ("proposed", "bagan"):
        report = json.loads((out / f"quality_{name}.json").read_text())
        assert report["arch"] == name and set(report["classes"]) == set(CLASSES) and report["sample_best_of"] == 2
        # one epoch of each phase: far from real segments, and the report says so in words
        assert not report["usable"] and any("FD/floor" in p and "unlike real segments" in p
                                            for p in report["problems"])
    assert printed.count("WARNING: unusable for balancing") == 2
    assert (out / "grid.png").exists()


def test_train_takes_a_recipe_at_a_preset_size_and_says_so(store, tmp_path, capsys):
    """``--recipe`` and ``--preset`` name what trains; options override single fields; no flag starts the
    paper-size run on a CPU without a word."""
    from seraug.gan.bundle import GANModel
    from seraug.gan.recipes import recipe_config

    out = tmp_path / "texture"
    assert run(["gan", "train", "--features", str(store), "--out", str(out), "--recipe", "texture", "--preset",
                "smoke", "--ae-epochs", "1", "--gan-epochs", "1", "--batch-size", "8", "--device", "cpu",
                "--no-report"]) == 0
    printed = capsys.readouterr().out
    assert "recipe texture at the smoke size: width 0.0625, 1 autoencoder + 1 fine-tuning epochs" in printed
    assert GANModel.load(out).config == recipe_config("texture", "smoke", ae_epochs=1, gan_epochs=1, batch_size=8)
    assert recipe_config("texture").width == 0.125  # the default: the improved recipe at the cpu size


def test_train_on_a_training_part_of_the_speakers(store, tmp_path, capsys):
    """Held-out speakers stay out of the GAN and of its scaler."""
    import pandas as pd

    out = tmp_path / "model"
    assert run(["gan", "train", "--features", str(store), "--out", str(out), "--exclude-speakers", "08", *TINY,
                "--no-report"]) == 0
    assert "training on 12 segments of speakers 03;" in capsys.readouterr().out
    segments = pd.read_csv(store / "segments.csv", dtype={"speaker": str})
    kept = np.load(store / "spectrograms.npy")[segments["speaker"].to_numpy() == "03"]
    meta = json.loads((out / "model.json").read_text())
    assert (meta["scaler"]["data_min"], meta["scaler"]["data_max"]) == (float(kept.min()), float(kept.max()))
    assert meta["speakers"] == ["03"]
    assert run(["gan", "report", "--model", str(out), "--features", str(store), "--out", str(tmp_path / "r"),
                "--exclude-speakers", "03", "--wavs", "0", "--grid-n", "1"]) == 0  # held-out speaker 08 only
    printed = capsys.readouterr().out
    assert "own training speakers" not in printed and json.loads((tmp_path / "r" / "quality.json").read_text())[
        "classes"]["anger"]["n_real"] == 4
    with pytest.raises(ValueError, match="speaker\\(s\\) 99 not in the feature store; present: 03, 08"):
        run(["gan", "train", "--features", str(store), "--out", str(out), "--speakers", "99", *TINY])


def test_report_gan_train_on_held_out_speakers_and_the_classifier_embedding(store, tmp_path, capsys):
    """GAN-train needs speakers the GAN never saw; the VGG19 embedding is trained once, then reused."""
    model, vgg = tmp_path / "model", tmp_path / "vgg.pt"
    assert run(["gan", "train", "--features", str(store), "--out", str(model), "--speakers", "03", *TINY,
                "--no-report"]) == 0
    report = ["gan", "report", "--model", str(model), "--features", str(store), "--wavs", "0", "--grid-n", "1",
              "--test-speakers", "08", "--classifier", str(vgg), "--classifier-preset", "smoke"]
    assert run([*report, "--out", str(tmp_path / "r1")]) == 0
    printed = capsys.readouterr().out
    assert "training the embedding's VGG19 (smoke recipe) on 12 real segments" in printed and vgg.exists()
    quality = json.loads((tmp_path / "r1" / "quality.json").read_text())
    assert quality["classes"]["anger"]["n_real"] == 4  # speaker 03 only: the test speaker is held out
    assert set(quality["gan_train"]) == {"band statistics", "classifier"}
    for numbers in quality["gan_train"].values():
        assert 0 <= numbers["uar_generated"] <= 1 and 0 < numbers["uar_real"] <= 1
        assert numbers["ratio"] == pytest.approx(numbers["uar_generated"] / numbers["uar_real"])
    assert all(c["frechet_distance_classifier"] >= 0 for c in quality["classes"].values())
    assert "GAN-train (classifier): UAR on held-out real segments" in printed and "FD clf" in printed
    assert run([*report, "--out", str(tmp_path / "r2")]) == 0  # the saved classifier is reused, same numbers
    assert "training the embedding" not in capsys.readouterr().out
    again = json.loads((tmp_path / "r2" / "quality.json").read_text())
    assert again["gan_train"] == quality["gan_train"]
    with pytest.raises(ValueError, match="trained on test speaker\\(s\\) 03"):
        run([*report[:-6], "--test-speakers", "03", "--out", str(tmp_path / "r3")])


def test_bad_options_are_refused_by_the_parser(store, tmp_path, capsys):
    base = ["gan", "train", "--features", str(store), "--out", str(tmp_path), *TINY]
    with pytest.raises(SystemExit):
        run([*base, "--speakers", "03", "--exclude-speakers", "08"])
    assert "not allowed with argument" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(["gan", "report", "--model", str(tmp_path), "--features", str(store), "--out", str(tmp_path),
             "--report-n", "1"])
    assert "--report-n: must be at least 2" in capsys.readouterr().err


def test_rerunning_train_resumes_and_other_settings_are_refused(models, store, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(models / "proposed", out)
    (out / "model.json").unlink()
    args = ["gan", "train", "--features", str(store), "--out", str(out), "--recipe", "paper", *TINY, "--no-report"]
    assert run(args) == 0  # the checkpoint is complete: nothing left to train, the model is written again
    assert (out / "model.json").exists() and len((out / "losses.csv").read_text().splitlines()) == 3
    with pytest.raises(ValueError, match="other settings"):
        run([*args, "--gan-lr", "0.001"])
