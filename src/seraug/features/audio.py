"""Reading and writing audio: the one place in seraug where audio files are decoded.

Every loader, augmentation and feature extractor goes through :func:`load_audio`, so every file is
checked the same way. Formats are recognised by their content, not by their name (an AIFF file named
``.wav`` reads fine): WAV of any PCM or float subtype, FLAC, Ogg Vorbis/Opus, AIFF, through libsndfile.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import scipy.io.wavfile
import soundfile as sf
import soxr

from seraug.errors import SeraugError
from seraug.files import atomic_path

SAMPLE_RATE = 16000
"""The paper's sampling rate in Hz; every waveform in seraug is at this rate unless stated."""

SILENCE_PEAK = 1e-4
"""A file whose absolute peak stays below this (about -80 dBFS) is treated as silent."""

MAX_PEAK = 10.0
"""A file whose absolute peak exceeds this (+20 dBFS) is refused: no recording or noisy mix of speech
reaches it, while integer samples stored as float without scaling (peaks of thousands) do. Left in,
such a file's spectrogram sits far above every other after min-max normalisation."""

MIN_SECONDS = 0.25
"""Shortest file accepted, in seconds (10 frames of the 25 ms hop). A segment spans 128 frames (3.2 s);
a shorter file is padded with its silence floor, and below a quarter of a second (less than a syllable)
the segment is almost all padding and says nothing about an emotion: such a file is a cut or a mistake."""


_SHORT_CHUNK = re.compile(r"^\s*(?:data|SSND)\s*:\s*(\d+) \(should be (\d+)\)", re.MULTILINE)
"""libsndfile's log line for a WAV ``data`` or AIFF ``SSND`` chunk shorter than its header says
(a cut-off download); AIFF's line is indented. libsndfile then quietly reads only what is there."""

_OGG_CUT = re.compile(r"without an End-Of-Stream flag|lacks an end-of-stream bit|Junk after the last page")
"""libsndfile's log lines for an Ogg stream that stops before its end-of-stream page (a cut-off
download; a cut inside a page leaves a partial page, logged as junk). libsndfile then quietly reads
only the complete pages."""


class AudioError(SeraugError):
    """A file that cannot serve as speech audio. ``str(err)`` is ``"<path>: <reason>"``."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode a file to a mono float32 waveform at ``sample_rate`` Hz.

    Channels are averaged (mono mixdown); other rates are converted with soxr's high-quality
    resampler. Raises :class:`AudioError` naming the file when it is missing, empty, unreadable or
    truncated, holds non-finite samples, is all silence (peak below :data:`SILENCE_PEAK`), peaks
    absurdly high (above :data:`MAX_PEAK`) or lasts under :data:`MIN_SECONDS`.

    Returns:
        Array of shape ``(n_samples,)``, float32, nominally in [-1, 1].
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(path, "no such file")
    if path.stat().st_size == 0:
        raise AudioError(path, "empty file (0 bytes)")
    try:
        with sf.SoundFile(str(path)) as handle:
            short = _SHORT_CHUNK.search(handle.extra_info)
            if short:
                raise AudioError(path, f"truncated: the header promises {short[1]} bytes of audio, the file holds {short[2]}")
            if _OGG_CUT.search(handle.extra_info):
                raise AudioError(path, "truncated: the Ogg stream stops before its end-of-stream page")
            file_rate = handle.samplerate
            audio = handle.read(dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise AudioError(path, f"unreadable audio ({err})") from None
    if audio.shape[0] == 0:
        raise AudioError(path, "no audio samples")
    audio = audio[:, 0] if audio.shape[1] == 1 else audio.mean(axis=1)
    peak = max(audio.max(), -audio.min())  # NaN and Inf propagate into the peak: this checks both
    if not np.isfinite(peak):
        raise AudioError(path, "non-finite samples (NaN or Inf)")
    if peak < SILENCE_PEAK:
        raise AudioError(path, "all silent (peak below -80 dBFS)")
    if peak > MAX_PEAK:
        raise AudioError(path, f"peak {peak:.3g} is far outside [-1, 1] (over +20 dBFS): samples stored unscaled? "
                               "rescale the file to [-1, 1]")
    if audio.shape[0] < MIN_SECONDS * file_rate:
        raise AudioError(path, f"too short ({audio.shape[0] / file_rate * 1000:.0f} ms; at least "
                               f"{MIN_SECONDS * 1000:.0f} ms): its segment would be almost all padding")
    if file_rate != sample_rate:
        audio = soxr.resample(audio, file_rate, sample_rate, quality="HQ")
    return np.ascontiguousarray(audio, dtype=np.float32)


def audio_length(path: str) -> int:
    """Samples at 16 kHz that :func:`load_audio` returns for ``path``, read from its header only.

    Raises:
        AudioError: the file is missing or its header unreadable (named).
    """
    if not Path(path).is_file():
        raise AudioError(path, "no such file")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as err:
        raise AudioError(path, f"unreadable audio ({err})") from None
    # soxr's output length: frames * 16000 / rate rounded half up (Python's round() would go to even)
    return (2 * info.frames * SAMPLE_RATE + info.samplerate) // (2 * info.samplerate)


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int = SAMPLE_RATE, subtype: str = "PCM_16") -> None:
    """Write a mono waveform as WAV; parent folders are created.

    The file appears under its name only when complete (written to a temporary name, then renamed),
    so a resumed run can trust any WAV it finds. ``subtype="PCM_16"`` clips to [-1, 1] first;
    ``"FLOAT"`` (32-bit float) keeps the samples exactly, peaks above 1 included (noisy mixes).
    """
    audio = np.asarray(audio, dtype=np.float32)
    with atomic_path(path) as tmp:
        if subtype == "FLOAT":  # scipy adds no PEAK chunk (libsndfile's holds a timestamp): same audio, same bytes
            scipy.io.wavfile.write(tmp, sample_rate, audio)
        else:
            sf.write(str(tmp), np.clip(audio, -1.0, 1.0), sample_rate, format="WAV", subtype=subtype)
