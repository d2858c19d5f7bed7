"""Log-mel segments: parity with librosa on real files, segmentation, the store and normalisation."""

from __future__ import annotations

import json

import librosa
import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

from seraug.features.audio import load_audio
from seraug.cli import main
from seraug.corpora import load_manifest
from seraug.features.store import extract_features, load_features
from seraug.features.logmel import LogMelConfig, invert_log_mel, log_mel, segment, segments_from_waveforms
from seraug.features.normalise import MinMaxScaler
from seraug.runtime import resolve_device


def test_matches_librosa_on_real_files(emodb_manifest, emovo_root):
    """seraug's batched torch front end equals librosa's melspectrogram + power_to_db per file."""
    emovo = load_manifest("emovo", emovo_root)
    paths = list(emodb_manifest["path"][::60]) + list(emovo["path"][::80])
    waves = [load_audio(p) for p in paths]
    ours = log_mel(waves, LogMelConfig())
    for wave, mel in zip(waves, ours):
        ref = librosa.power_to_db(librosa.feature.melspectrogram(y=wave, sr=16000, n_fft=800, hop_length=400,
                                                                 n_mels=128), top_db=80.0)
        assert mel.shape == ref.shape == (128, 1 + len(wave) // 400)
        np.testing.assert_allclose(mel, ref, atol=5e-3)  # dB; float32 rounding only


def test_segmentation_pads_short_and_splits_long():
    config = LogMelConfig()
    short = np.random.default_rng(0).normal(size=(128, 50)).astype(np.float32)
    segs, starts = segment(short, config)
    assert segs.shape == (1, 128, 128) and starts.tolist() == [0]
    np.testing.assert_array_equal(segs[0, :, :50], short)
    assert (segs[0, :, 50:] == short.min()).all()
    long = np.random.default_rng(1).normal(size=(128, 300)).astype(np.float32)
    segs, starts = segment(long, config)
    assert starts.tolist() == [0, 128, 172]  # the last segment ends exactly at frame 300
    np.testing.assert_array_equal(segs[-1], long[:, -128:])
    segs, starts = segment(long, LogMelConfig(segment_hop=64))
    assert starts.tolist() == [0, 64, 128, 172]


def test_segments_keep_their_utterance(emodb_manifest):
    waves = [load_audio(p) for p in emodb_manifest["path"][:12]]
    X, owner, start_s = segments_from_waveforms(waves)
    assert X.shape[1:] == (128, 128) and np.isfinite(X).all()
    for i, wave in enumerate(waves):
        n_frames = 1 + len(wave) // 400
        assert (owner == i).sum() == max(1, int(np.ceil((n_frames - 128) / 128)) + 1)
    assert start_s[owner == owner[0]][0] == 0.0


def test_feature_store_on_emodb_and_cache_reuse(emodb_features, emodb_manifest, tmp_path):
    X, segments, config = emodb_features
    assert X.shape[1:] == (128, 128) and X.dtype == np.float32 and np.isfinite(X).all()
    assert len(segments) == len(X) > len(emodb_manifest)
    assert segments["utterance"].nunique() == 535
    assert segments["speaker"].nunique() == 10 and segments["label"].nunique() == 7
    assert config == LogMelConfig()
    small = emodb_manifest.iloc[:20]
    extract_features(small, tmp_path, progress=False)
    stamp = (tmp_path / "spectrograms.npy").stat().st_mtime_ns
    extract_features(small, tmp_path, progress=False)
    assert (tmp_path / "spectrograms.npy").stat().st_mtime_ns == stamp  # reused, not recomputed
    extract_features(small, tmp_path, LogMelConfig(segment_hop=64), progress=False)
    assert json.loads((tmp_path / "config.json").read_text())["config"]["segment_hop"] == 64
    _, segments = extract_features(small.assign(session="s1"), tmp_path, LogMelConfig(segment_hop=64), progress=False)
    assert (segments["session"] == "s1").all()  # a manifest column of segments.csv changed: recomputed


def test_cli_features_on_emovo(emovo_root, tmp_path, capsys):
    assert main(["features", "--corpus", "emovo", "--root", str(emovo_root), "--out", str(tmp_path),
                 "--device", "cpu"]) == 0
    X, segments, _ = load_features(tmp_path)
    assert X.shape[1:] == (128, 128) and np.isfinite(X).all()
    assert segments["utterance"].nunique() == 588 and segments["speaker"].nunique() == 6
    assert "588 utterances, 6 speakers, 7 labels" in capsys.readouterr().out


def _bad_corpus(tmp_path, emodb_root) -> str:
    good = sorted((emodb_root / "wav").glob("*.wav"))[:3]
    rows = [{"path": str(p), "label": "anger", "speaker": "a"} for p in good]
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF garbage" * 50)
    sf.write(str(tmp_path / "silent.wav"), np.zeros(8000), 16000)
    sf.write(str(tmp_path / "aiff.wav"), load_audio(good[0]), 16000, format="AIFF")
    rows += [{"path": n, "label": "sad", "speaker": "b"} for n in ("empty.wav", "corrupt.wav", "silent.wav", "aiff.wav")]
    pd.DataFrame(rows).to_csv(tmp_path / "corpus.csv", index=False)
    return str(tmp_path / "corpus.csv")


def test_bad_files_stop_with_their_name_or_are_skipped(tmp_path, emodb_root, capsys):
    table = _bad_corpus(tmp_path, emodb_root)
    assert main(["features", "--corpus", "csv", "--root", table, "--out", str(tmp_path / "f")]) == 2
    assert "corrupt.wav: unreadable audio" in capsys.readouterr().err  # the first bad file, sorted by id
    assert main(["features", "--corpus", "csv", "--root", table, "--out", str(tmp_path / "f"), "--skip-bad"]) == 0
    skipped = pd.read_csv(tmp_path / "f" / "skipped.csv")
    assert sorted(skipped["path"].map(lambda p: p.rsplit("/", 1)[-1])) == ["corrupt.wav", "empty.wav", "silent.wav"]
    _, segments, _ = load_features(tmp_path / "f")
    assert segments["utterance"].nunique() == 4  # three good files and the AIFF named .wav
    assert main(["features", "--corpus", "csv", "--root", table, "--out", str(tmp_path / "f")]) == 2
    assert "corrupt.wav: unreadable audio" in capsys.readouterr().err  # the store that skipped is not reused


def test_every_file_skipped_is_an_error(tmp_path, emodb_root, capsys):
    corpus = pd.read_csv(_bad_corpus(tmp_path, emodb_root))
    corpus[corpus["path"].isin(["empty.wav", "corrupt.wav", "silent.wav"])].to_csv(tmp_path / "bad.csv", index=False)
    out = tmp_path / "f"
    assert main(["features", "--corpus", "csv", "--root", str(tmp_path / "bad.csv"), "--out", str(out), "--skip-bad"]) == 2
    assert f"every one of the 3 files was skipped as bad; see {out / 'skipped.csv'}" in capsys.readouterr().err
    assert len(pd.read_csv(out / "skipped.csv")) == 3 and not (out / "config.json").exists()


@pytest.mark.parametrize("device,message", [("gpu", "unknown device 'gpu'"), ("cuda:{n}", "is not available")])
def test_bad_device_is_a_one_line_error(emodb_root, tmp_path, capsys, device, message):
    device = device.format(n=torch.cuda.device_count())  # one past the last CUDA device: absent everywhere
    with pytest.raises(ValueError, match=message):
        resolve_device(device)
    assert main(["features", "--corpus", "emodb", "--root", str(emodb_root), "--out", str(tmp_path),
                 "--device", device]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_normalisation_fits_train_only(emodb_features):
    X, segments, _ = emodb_features
    train, test = X[segments["speaker"] != "03"], X[segments["speaker"] == "03"]
    scaler = MinMaxScaler().fit(train)
    scaled = scaler.transform(train)
    assert scaled.min() == pytest.approx(-1.0) and scaled.max() == pytest.approx(1.0)
    assert scaler.data_min_ == pytest.approx(float(train.min()))
    restored = MinMaxScaler.from_dict(json.loads(json.dumps(scaler.to_dict())))
    np.testing.assert_allclose(restored.inverse_transform(restored.transform(test)), test, atol=1e-3)


def test_invert_log_mel_gives_audio_of_the_segment_length(emodb_features):
    X, _, config = emodb_features
    audio = invert_log_mel(X[0], config, n_iter=4)
    assert audio.ndim == 1 and abs(len(audio) - 127 * 400) <= 400 and np.isfinite(audio).all()
