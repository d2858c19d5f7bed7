"""The one audio reader: formats, mixdown, resampling, and a clear error for every kind of bad file."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from seraug.features.audio import AudioError, load_audio, write_wav


@pytest.fixture(scope="module")
def speech(emodb_root):
    """A real EmoDB utterance (16 kHz, int16 on disk) as float32."""
    audio, rate = sf.read(emodb_root / "wav" / "03a01Fa.wav", dtype="float32")
    assert rate == 16000
    return audio


def test_reads_emodb_file_with_pad_chunk(emodb_root):
    """14a07*.wav carry a PAD chunk before the audio: the sample count must be the data chunk's."""
    path = emodb_root / "wav" / "14a07Aa.wav"
    audio = load_audio(path)
    assert len(audio) == sf.info(str(path)).frames
    assert len(audio) == (70006 - 44 - 8 - 4044) // 2  # file size minus RIFF/fmt headers, PAD chunk and its header


@pytest.mark.parametrize("fmt,subtype", [("WAV", "PCM_24"), ("WAV", "FLOAT"), ("WAV", "PCM_U8"), ("FLAC", "PCM_16"),
                                         ("AIFF", "PCM_16")])
def test_formats_decode_to_the_same_waveform(tmp_path, speech, fmt, subtype):
    path = tmp_path / "x.wav"  # every format named .wav: content decides, not the extension
    sf.write(str(path), speech, 16000, format=fmt, subtype=subtype)
    tolerance = 1e-2 if subtype == "PCM_U8" else 1e-4
    np.testing.assert_allclose(load_audio(path), speech, atol=tolerance)


def test_ogg_noise_clip_is_resampled_to_16k(esc10_root):
    clip = next((esc10_root / "002 - Rain").glob("*.ogg"))
    audio = load_audio(clip)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) - 5 * 16000) <= 16  # 5 s at 44.1 kHz -> 80000 samples


def test_stereo_is_mixed_down_and_44k_resampled(tmp_path):
    t = np.arange(44100) / 44100
    left, right = 0.5 * np.sin(2 * np.pi * 440 * t), 0.1 * np.sin(2 * np.pi * 440 * t)
    path = tmp_path / "stereo.flac"
    sf.write(str(path), np.stack([left, right], 1), 44100, subtype="PCM_24")
    audio = load_audio(path)
    assert len(audio) == 16000
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.argmax(spectrum) == 440  # 1 s at 16 kHz: bin k is k Hz
    assert abs(np.abs(audio[1000:-1000]).max() - 0.3) < 0.01  # mean of the two channels


@pytest.mark.parametrize("case,reason", [
    ("missing", "no such file"), ("empty", "empty file"), ("garbage", "unreadable"), ("truncated", "truncated"),
    ("silent", "silent"), ("nan", "non-finite"),
])
def test_bad_files_name_file_and_reason(tmp_path, emodb_root, case, reason):
    path = tmp_path / f"{case}.wav"
    good = (emodb_root / "wav" / "03a01Fa.wav").read_bytes()
    if case == "empty":
        path.write_bytes(b"")
    elif case == "garbage":
        path.write_bytes(b"not audio at all" * 100)
    elif case == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif case == "silent":
        sf.write(str(path), np.zeros(16000), 16000)
    elif case == "nan":
        sf.write(str(path), np.full(16000, np.nan, dtype=np.float32), 16000, subtype="FLOAT")
    with pytest.raises(AudioError) as info:
        load_audio(path)
    assert str(path) in str(info.value) and reason in info.value.reason


@pytest.mark.parametrize("source,kept", [
    ("aiff", 0.5),  # the SSND chunk is shorter than the header says
    ("1-17367-A.ogg", 0.8),  # cut at a page boundary: the last page lacks the end-of-stream flag
    ("3-157487-A.ogg", 0.8),  # cut inside a page
    ("1-17367-A.ogg", 0.2),  # so short that no complete page holds audio (not "no audio samples")
])
def test_cut_off_aiff_and_ogg_are_truncated_not_short(tmp_path, speech, esc10_root, source, kept):
    """A download cut at ``kept`` of its bytes is an error, never a shorter waveform (content decides, name .wav)."""
    if source == "aiff":
        sf.write(str(tmp_path / "full.aiff"), speech, 16000, format="AIFF")
        whole = (tmp_path / "full.aiff").read_bytes()
    else:
        whole = (esc10_root / "002 - Rain" / source).read_bytes()
    path = tmp_path / "cut.wav"
    path.write_bytes(whole[: int(kept * len(whole))])
    with pytest.raises(AudioError, match="truncated") as info:
        load_audio(path)
    assert info.value.path == str(path)


def test_write_wav_round_trip(tmp_path, speech):
    write_wav(tmp_path / "sub" / "out.wav", speech * 3)  # clipped, not wrapped
    back = load_audio(tmp_path / "sub" / "out.wav")
    assert back.max() <= 1.0 and back.min() >= -1.0
    np.testing.assert_allclose(back, np.clip(speech * 3, -1, 1), atol=1e-4)
