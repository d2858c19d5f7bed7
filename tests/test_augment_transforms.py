"""Signal transforms, measured on real EmoDB speech and ESC-10 noise: duration, pitch, SNR, determinism."""

from __future__ import annotations

import errno
import json
import os
import shutil

import librosa
import numpy as np
import pytest
import soundfile as sf

from seraug.features.audio import SAMPLE_RATE, AudioError, audio_length, load_audio
from seraug.augment import (
    AugmentError,
    BackgroundNoise,
    NoiseBank,
    NoiseError,
    TimeStretch,
    augment_waveforms,
    default_transforms,
    make_plan,
    read_plan,
    render_row,
)
from seraug.augment.noise import CROSSFADE_S

HOP = 160  # 10 ms pitch frames


@pytest.fixture(scope="module")
def bank(esc10_root):
    return NoiseBank(esc10_root)


@pytest.fixture(scope="module")
def transforms(bank):
    return default_transforms(bank)


@pytest.fixture(scope="module")
def plan(emodb_manifest, transforms):
    """A real SA plan on all of EmoDB: 354 augmented rows with sampled parameters."""
    return make_plan(emodb_manifest, "SA", seed=7, transforms=transforms)


def rows_of(plan, transform, n):
    return plan[plan["transform"] == transform].head(n)


def pitch_track(audio: np.ndarray) -> np.ndarray:
    """f0 in Hz per 10 ms frame, NaN where pYIN finds no voicing."""
    f0, voiced, _ = librosa.pyin(audio, fmin=60, fmax=500, sr=SAMPLE_RATE, frame_length=1024, hop_length=HOP)
    return np.where(voiced, f0, np.nan)


def pitch_change(source: np.ndarray, output: np.ndarray, rate: float = 1.0) -> float:
    """Median f0 change in semitones between output frame t and source frame t * rate, over voiced pairs."""
    f_in, f_out = pitch_track(source), pitch_track(output)
    t = np.arange(len(f_out))
    src = np.round(t * rate).astype(int)
    inside = src < len(f_in)
    change = 12 * np.log2(f_out[inside] / f_in[src[inside]])
    change = change[np.isfinite(change)]
    assert len(change) > 50, "too few voiced frames to measure pitch"
    return float(np.median(change))


def window_levels_db(track: np.ndarray, n: int) -> np.ndarray:
    """Level of every ``n``-sample window of ``track`` in dB relative to its loudest window."""
    energy = np.concatenate([[0.0], np.cumsum(np.square(track, dtype=np.float64))])
    windows = energy[n:] - energy[:-n]
    return 10 * np.log10(np.maximum(windows, 1e-30) / windows.max())


def snr_db(source: np.ndarray, output: np.ndarray) -> float:
    added = output.astype(np.float64) - source
    return float(10 * np.log10(np.mean(np.square(source, dtype=np.float64)) / np.mean(added**2)))


def test_time_stretch_changes_duration_by_the_sampled_rate_and_keeps_pitch(plan, transforms):
    rows = rows_of(plan, "TS", 3)
    for row, out in zip(rows.to_dict("records"), augment_waveforms(rows, transforms)):
        source, rate = load_audio(row["source_path"]), json.loads(row["params"])["rate"]
        assert len(out) / SAMPLE_RATE == pytest.approx(len(source) / SAMPLE_RATE / rate, abs=0.002)
        assert abs(pitch_change(source, out, rate)) < 0.25, row["utterance"]


def test_pitch_shift_moves_f0_by_the_sampled_semitones_and_keeps_duration(plan, transforms):
    ps = plan[plan["transform"] == "PS"]
    semitones = ps["params"].map(lambda p: json.loads(p)["semitones"])
    rows = ps.loc[[semitones.idxmax(), semitones.idxmin()]]  # the largest shifts up and down
    for row, out in zip(rows.to_dict("records"), augment_waveforms(rows, transforms)):
        source, semitones = load_audio(row["source_path"]), json.loads(row["params"])["semitones"]
        assert abs(semitones) > 1.5  # a shift the pitch tracker cannot mistake for none
        assert len(out) == len(source)
        assert pitch_change(source, out) == pytest.approx(semitones, abs=0.25), row["utterance"]


@pytest.mark.parametrize("transform", ["GN", "BN"])
def test_noise_is_added_at_the_sampled_snr(plan, transforms, transform):
    rows = rows_of(plan, transform, 8)
    for row, out in zip(rows.to_dict("records"), augment_waveforms(rows, transforms)):
        source = load_audio(row["source_path"])
        assert len(out) == len(source)
        assert snr_db(source, out) == pytest.approx(json.loads(row["params"])["snr_db"], abs=0.01)


def test_background_noise_is_the_recorded_clip_segment(plan, transforms, bank):
    row = rows_of(plan, "BN", 1).iloc[0]
    params = json.loads(row["params"])
    source = load_audio(row["source_path"])
    added = render_row(row, transforms) - source
    segment = bank.segment(params["noise"], len(source), params["start"], params["looped"])
    assert np.corrcoef(added, segment)[0, 1] > 0.9999


def test_clip_shorter_than_speech_is_looped_and_the_plan_says_so(emodb_manifest, bank):
    longest = emodb_manifest.loc[emodb_manifest["path"].map(audio_length).idxmax()]
    speech = load_audio(longest["path"])  # 9 s; ESC-10 clips are at most 5 s
    noise = BackgroundNoise(bank)
    params = noise.sample(np.random.default_rng(0), len(speech))
    assert params["looped"] is True and len(bank.clip(params["noise"])) < len(speech)
    assert snr_db(speech, noise.apply(speech, params)) == pytest.approx(params["snr_db"], abs=0.01)


def test_loop_joins_are_cross_faded(tmp_path):
    ramp = np.linspace(-0.5, 0.5, SAMPLE_RATE // 2, dtype=np.float32)  # looped end to start: a jump of 1.0
    sf.write(tmp_path / "ramp.wav", ramp, SAMPLE_RATE, subtype="FLOAT")
    track = NoiseBank(tmp_path).track("ramp.wav", 3 * len(ramp), looped=True)
    assert len(track) >= 3 * len(ramp)
    assert np.abs(np.diff(track)).max() < 0.01  # 20 ms fades: at most ~5e-3 per sample
    fade = round(CROSSFADE_S * SAMPLE_RATE)
    period = len(ramp) - fade
    np.testing.assert_array_equal(track[fade:period], ramp[fade:period])  # between joins: the clip itself
    np.testing.assert_array_equal(track[period + fade:2 * period], ramp[fade:period])


def test_short_clip_without_looping_is_refused_when_planning(emodb_manifest, esc10_root):
    long = emodb_manifest[emodb_manifest["path"].map(audio_length) > 5.1 * SAMPLE_RATE]  # ESC clips: <= 5 s
    strict = {"BN": BackgroundNoise(NoiseBank(esc10_root, loop=False))}
    with pytest.raises(NoiseError, match=r"\.ogg: noise clip is \d\.\d\d s \(silent edges cut\), "
                                         r"shorter than the [5-9]\.\d\d s utterance"):
        make_plan(long, "SAR_B", seed=0, transforms=strict)


def test_noise_window_avoids_the_silent_part_of_a_sneeze(tmp_path, esc10_root):
    shutil.copy(esc10_root / "006 - Person sneeze" / "1-29680-A.ogg", tmp_path)
    bank = NoiseBank(tmp_path)
    n = SAMPLE_RATE  # a 1 s utterance
    levels = window_levels_db(bank.clip("1-29680-A.ogg"), n)
    assert (levels < -20).mean() > 0.5  # most windows of this clip are near-silent hiss
    noise, rng = BackgroundNoise(bank), np.random.default_rng(0)
    for _ in range(30):
        params = noise.sample(rng, n)
        assert levels[params["start"]] >= -20, params


def test_same_plan_gives_identical_audio_serial_parallel_and_from_csv(plan, transforms, tmp_path):
    rows = plan[plan["kind"] != "original"].groupby("transform").head(2)
    first = list(augment_waveforms(rows, transforms))
    rows.to_csv(tmp_path / "plan.csv", index=False)
    again = list(augment_waveforms(read_plan(tmp_path / "plan.csv"), transforms, jobs=2))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))


def test_different_seeds_give_different_noise(emodb_manifest, transforms):
    one = emodb_manifest[emodb_manifest["speaker"] == "10"]
    a, b = (make_plan(one, "SAR_B", seed=s, transforms=transforms) for s in (1, 2))
    row_a, row_b = (p[p["kind"] != "original"].head(1) for p in (a, b))
    assert row_a["params"].item() != row_b["params"].item()
    (audio_a,), (audio_b,) = (augment_waveforms(r, transforms) for r in (row_a, row_b))
    assert not np.array_equal(audio_a, audio_b)


def test_noise_bank_lists_clips_recursively(bank):
    assert len(bank) == 400
    assert bank.files[0] == "001 - Dog bark/1-100032-A.ogg"
    clip = bank.clip(bank.files[0])
    assert np.abs(clip[0]) >= 1e-4 and np.abs(clip[-1]) >= 1e-4  # silent edges cut


def test_noise_bank_names_a_folder_it_cannot_list(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    sf.write(locked / "tone.wav", np.full(SAMPLE_RATE, 0.1), SAMPLE_RATE)
    listing = os.scandir

    def scandir(path):  # what the OS answers a user without read permission (root reads anyway)
        if os.fspath(path) == str(locked):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(NoiseError, match=r"locked: cannot list this noise folder \(permission denied\)"):
        NoiseBank(tmp_path)


def test_noise_bank_rejects_missing_empty_and_unreadable_folders(tmp_path):
    with pytest.raises(NoiseError, match="not found"):
        NoiseBank(tmp_path / "absent")
    (tmp_path / "notes.txt").write_text("no audio here")
    with pytest.raises(NoiseError, match="no noise files"):
        NoiseBank(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "broken.wav").write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(NoiseError, match="broken.wav: unreadable noise file"):
        NoiseBank(tmp_path)


def test_silent_noise_clip_and_silent_segment_are_errors(tmp_path, emodb_manifest):
    speech = load_audio(emodb_manifest["path"].iloc[0])
    tone = 0.1 * np.sin(2 * np.pi * 440 * np.arange(SAMPLE_RATE) / SAMPLE_RATE)
    sf.write(tmp_path / "gap.wav", np.concatenate([tone, np.zeros(5 * SAMPLE_RATE), tone]), SAMPLE_RATE)
    sf.write(tmp_path / "silent.wav", np.zeros(SAMPLE_RATE), SAMPLE_RATE)
    noise = BackgroundNoise(NoiseBank(tmp_path))
    in_gap = {"snr_db": 10.0, "noise": "gap.wav", "start": 3 * SAMPLE_RATE // 2, "looped": False}
    with pytest.raises(NoiseError, match="gap.wav: the window at sample 24000 is silent"):
        noise.apply(speech[:SAMPLE_RATE], in_gap)  # a hand-made plan: sampling never picks this window
    with pytest.raises(AudioError, match="silent.wav: all silent"):
        noise.apply(speech, {"snr_db": 10.0, "noise": "silent.wav", "start": 0, "looped": False})


def test_rendering_background_noise_without_a_noise_bank_fails_at_once(plan):
    with pytest.raises(AugmentError, match="uses transform.*BN.*NoiseBank"):
        augment_waveforms(plan, default_transforms())  # raises before any audio is read


def test_invalid_ranges_are_rejected():
    with pytest.raises(AugmentError, match=r"TimeStretch rate .* got \[1.2, 0.9\]"):
        TimeStretch(1.2, 0.9)
