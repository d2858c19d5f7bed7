"""The paper's signal transforms (Section 2.5): CP, TS, PS, GN, BN, and the bank of background noises.

Each transform is a small class in the style of audiomentations, split in two so that a whole
augmentation plan can be drawn before any speech is decoded or any audio written:

- ``sample(rng, n_samples) -> params``: draws the transform's parameters from its validated ranges with
  a :class:`numpy.random.Generator` (the plan's seed), for a source utterance of ``n_samples`` samples
  (only BN uses the length, to place its noise window; planners pass 0 to the others rather than read
  every file's header); ``params`` is a JSON-able dict the plan records.
- ``apply(audio, params) -> audio``: applies exactly those parameters, deterministically. The ranges
  play no part here, so a plan read back from CSV renders bit-identical audio.

Audio is mono float32 at 16 kHz (:data:`seraug.audio.SAMPLE_RATE`), shape ``(n_samples,)``. Outputs
are not clipped: speech in EmoDB peaks at 1.0, so a mixed or stretched signal may exceed it slightly;
`seraug augment` therefore writes float WAV (see :func:`seraug.augment.write_augmented`).

TS and PS are audiomentations' ``TimeStretch`` and ``PitchShift`` (signalsmith-stretch) with the
range collapsed to the sampled value. GN and BN are written here because audiomentations draws
Gaussian noise from numpy's global random state and scales it by its *expected* RMS, and its
``AddBackgroundNoise`` measures the noise level before repeating a short clip; both would miss the
sampled SNR. Here the SNR is exact on the noise actually added:
``10 log10(mean(speech**2) / mean(noise**2)) == snr_db`` over the whole utterance. BN decodes the
clips it draws while planning: it checks their length and places its window on their audible part.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, ClassVar

import audiomentations
import numpy as np
import soundfile as sf

from seraug.audio import SAMPLE_RATE, SILENCE_PEAK, load_audio
from seraug.errors import SeraugError

NOISE_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff")
"""File types a :class:`NoiseBank` collects (ESC-50 is WAV/OGG, FMA is MP3)."""

DEFAULT_RATES = (0.81, 1.23)
"""TS rates: the stretch factors of Salamon & Bello 2017 (the paper's ref. [13]) span 0.81-1.23."""
DEFAULT_SEMITONES = (-2.0, 2.0)
"""PS range: within one speaker's natural range, so the emotion (which pitch partly carries) stays
plausible; Salamon & Bello 2017 used shifts of ±1 and ±2 semitones."""
DEFAULT_GN_SNR_DB = (15.0, 30.0)
"""GN SNRs: clearly audible, speech intelligible (white noise masks more than most background sounds)."""
DEFAULT_BN_SNR_DB = (10.0, 25.0)
"""BN SNRs: the background sound is clearly present, the speech intelligible."""

NOISE_FLOOR_RMS = 1e-5
"""A noise segment with an RMS below this (-100 dBFS) is digital silence and cannot reach an SNR."""
QUIET_WINDOW_DB = 20.0
"""BN mixes only noise windows at most this many dB below the clip's loudest window of the same length,
so a mostly silent clip (a sneeze) is not amplified by 50-60 dB, hiss and all, to reach the SNR."""
CROSSFADE_S = 0.02
"""Seconds of equal-power cross-fade at each join of a looped noise clip: no click, too short to hear."""


class AugmentError(SeraugError):
    """Bad input to augmentation: an argument, strategy, plan or class that cannot work as given."""


class NoiseError(AugmentError):
    """A noise folder or clip that cannot serve as background noise; the message names it."""


def _rms(audio: np.ndarray) -> float:
    """Root mean square in float64 (float32 sums lose digits on long signals)."""
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))


def _validated_range(name: str, low: float, high: float, lowest: float, highest: float) -> tuple[float, float]:
    if not lowest <= low <= high <= highest:
        raise AugmentError(f"{name} must satisfy {lowest} <= min <= max <= {highest}, got [{low}, {high}]")
    return float(low), float(high)


class Transform:
    """Interface of a transform: a ``name`` (the plan's ``transform`` column), ``sample`` and ``apply``."""

    name: ClassVar[str]

    def sample(self, rng: np.random.Generator, n_samples: int) -> dict[str, Any]:
        """Draw this transform's parameters (JSON-able) for one source utterance of ``n_samples`` samples."""
        raise NotImplementedError

    def apply(self, audio: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        """Return a new float32 waveform: ``audio`` transformed with exactly ``params``."""
        raise NotImplementedError


class Copy(Transform):
    """CP: an identical copy of an existing utterance (no parameters)."""

    name = "CP"

    def sample(self, rng: np.random.Generator, n_samples: int) -> dict[str, Any]:
        return {}

    def apply(self, audio: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        return np.array(audio, dtype=np.float32)


class TimeStretch(Transform):
    """TS: change the duration by a rate drawn uniformly from ``[min_rate, max_rate]``, keep the pitch.

    A rate ``r`` makes the output ``len(audio) / r`` samples long (``r > 1`` is faster, shorter).
    Default range: :data:`DEFAULT_RATES`.
    """

    name = "TS"

    def __init__(self, min_rate: float = DEFAULT_RATES[0], max_rate: float = DEFAULT_RATES[1]) -> None:
        self.min_rate, self.max_rate = _validated_range("TimeStretch rate", min_rate, max_rate, 0.1, 10.0)

    def sample(self, rng: np.random.Generator, n_samples: int) -> dict[str, Any]:
        return {"rate": float(rng.uniform(self.min_rate, self.max_rate))}

    def apply(self, audio: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        rate = params["rate"]
        stretch = audiomentations.TimeStretch(min_rate=rate, max_rate=rate, leave_length_unchanged=False, p=1.0)
        return stretch(audio, SAMPLE_RATE).astype(np.float32, copy=False)


class PitchShift(Transform):
    """PS: move the pitch by semitones drawn uniformly from ``[min_semitones, max_semitones]``, keep the duration.

    Default range: :data:`DEFAULT_SEMITONES`.
    """

    name = "PS"

    def __init__(self, min_semitones: float = DEFAULT_SEMITONES[0],
                 max_semitones: float = DEFAULT_SEMITONES[1]) -> None:
        self.min_semitones, self.max_semitones = _validated_range(
            "PitchShift semitones", min_semitones, max_semitones, -24.0, 24.0)

    def sample(self, rng: np.random.Generator, n_samples: int) -> dict[str, Any]:
        return {"semitones": float(rng.uniform(self.min_semitones, self.max_semitones))}

    def apply(self, audio: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        steps = params["semitones"]
        shift = audiomentations.PitchShift(min_semitones=steps, max_semitones=steps, p=1.0)
        return shift(audio, SAMPLE_RATE).astype(np.float32, copy=False)


def _mix_at_snr(audio: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``audio + g * noise`` with the gain ``g`` that puts the added noise exactly ``snr_db`` below the audio."""
    gain = _rms(audio) / (_rms(noise) * 10.0 ** (snr_db / 20.0))
    return (audio + gain * noise).astype(np.float32)


class GaussianNoise(Transform):
    """GN: add white Gaussian noise at an SNR drawn uniformly (in dB) from ``[min_snr_db, max_snr_db]``.

    The noise samples come from ``numpy.random.default_rng(params["noise_seed"])``; the seed is drawn
    in the plan, so the noise is recorded and reproducible. Default range: :data:`DEFAULT_GN_SNR_DB`.
    """

    name = "GN"

    def __init__(self, min_snr_db: float = DEFAULT_GN_SNR_DB[0], max_snr_db: float = DEFAULT_GN_SNR_DB[1]) -> None:
        self.min_snr_db, self.max_snr_db = _validated_range("GaussianNoise SNR (dB)", min_snr_db, max_snr_db, -30, 100)

    def sample(self, rng: np.random.Generator, n_samples: int) -> dict[str, Any]:
        return {"snr_db": float(rng.uniform(self.min_snr_db, self.max_snr_db)),
                "noise_seed": int(rng.integers(2**32))}

    def apply(self, audio: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        noise = np.random.default_rng(params["noise_seed"]).standard_normal(len(audio))
        return _mix_at_snr(audio, noise, params["snr_db"])


def _noise_files(folder: Path) -> list[Path]:
    """Every file with a :data:`NOISE_EXTENSIONS` suffix under ``folder``, sorted.

    Raises:
        NoiseError: a folder cannot be listed (``rglob`` would skip it silently), naming it and why.
    """

    def refuse(err: OSError) -> None:
        raise NoiseError(f"{err.filename}: cannot list this noise folder ({err.strerror.lower()})")

    return sorted(Path(root, name) for root, _, names in os.walk(folder, onerror=refuse)
                  for name in names if Path(name).suffix.lower() in NOISE_EXTENSIONS)


def _crossfade_loop(clip: np.ndarray, copies: int, fade: int) -> np.ndarray:
    """``copies`` of ``clip`` end to start, each join an equal-power cross-fade over ``fade`` samples."""
    period = len(clip) - fade
    t = (np.arange(fade) + 0.5) / fade
    fade_in, fade_out = np.sin(0.5 * np.pi * t), np.cos(0.5 * np.pi * t)
    out = np.zeros(copies * period + fade)
    for i in range(copies):
        piece = clip.astype(np.float64)
        if i > 0:
            piece[:fade] *= fade_in
        if i < copies - 1:
            piece[period:] *= fade_out
        out[i * period:i * period + len(clip)] += piece
    return out.astype(np.float32)


def _loud_starts(track: np.ndarray, n_samples: int) -> np.ndarray:
    """Starts of the ``n_samples``-long windows of ``track`` at most :data:`QUIET_WINDOW_DB` below the loudest one."""
    energy = np.concatenate([[0.0], np.cumsum(np.square(track, dtype=np.float64))])
    windows = energy[n_samples:] - energy[:-n_samples]
    return np.flatnonzero(windows >= windows.max() * 10.0 ** (-QUIET_WINDOW_DB / 10.0))


class NoiseBank:
    """The background-noise clips under a folder (searched recursively), decoded on first use.

    Clips are read with :func:`seraug.audio.load_audio` (mono, resampled to 16 kHz) and their silent
    edges (samples below :data:`seraug.audio.SILENCE_PEAK`) are cut: ESC-50 pads short sounds with
    digital silence up to 5 s, and a segment of pure padding could not be scaled to any SNR.

    A clip shorter than the utterance (ESC clips are at most 5 s, EmoDB utterances up to 9 s) is
    looped when ``loop`` is true (the default), each join cross-faded over :data:`CROSSFADE_S`, so
    `seraug augment` works on EmoDB with ESC-10 out of the box; with ``loop=False`` such a clip is an
    error when the plan is made (before any audio is written), for users who want every noise segment
    to be one continuous recording.

    Args:
        folder: holds noise files (:data:`NOISE_EXTENSIONS`) at any depth.
        loop: whether a clip shorter than the utterance may be repeated end to start.

    Raises:
        NoiseError: the folder is missing, it or a folder below cannot be listed (e.g. permission
            denied), it holds no audio file, or a file's header is unreadable (named). A file that
            fails to decode later raises :class:`seraug.audio.AudioError`, also naming it.
    """

    def __init__(self, folder: str | Path, loop: bool = True) -> None:
        self.folder = Path(folder).expanduser()
        self.loop = loop
        if not self.folder.is_dir():
            raise NoiseError(f"{self.folder}: noise folder not found")
        paths = _noise_files(self.folder)
        if not paths:
            raise NoiseError(f"{self.folder}: no noise files ({', '.join(NOISE_EXTENSIONS)}) in this folder or below")
        for path in paths:
            try:
                info = sf.info(str(path))
            except (sf.LibsndfileError, RuntimeError) as err:
                raise NoiseError(f"{path}: unreadable noise file ({err})") from None
            if info.frames == 0:
                raise NoiseError(f"{path}: noise file holds no audio samples")
        self.files: tuple[str, ...] = tuple(p.relative_to(self.folder).as_posix() for p in paths)
        """Clip names: paths relative to ``folder``, with ``/``, sorted; a plan records these."""
        self._clips: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.files)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_clips": {}}  # worker processes decode what they need themselves

    def clip(self, name: str) -> np.ndarray:
        """The decoded clip ``name`` (one of :attr:`files`) with silent edges cut, float32 at 16 kHz."""
        if name not in self._clips:
            if name not in self.files:
                raise NoiseError(f"{self.folder / name}: not a clip of this noise bank")
            audio = load_audio(self.folder / name)
            loud = np.flatnonzero(np.abs(audio) >= SILENCE_PEAK)
            self._clips[name] = audio[loud[0]:loud[-1] + 1]
        return self._clips[name]

    def track(self, name: str, n_samples: int, looped: bool) -> np.ndarray:
        """What ``n_samples``-long noise windows of clip ``name`` are cut from.

        The clip itself, or with ``looped`` the clip repeated, joins cross-faded over
        :data:`CROSSFADE_S`, just long enough for a window to start anywhere in its first repetition.
        """
        clip = self.clip(name)
        if not looped:
            return clip
        fade = min(round(CROSSFADE_S * SAMPLE_RATE), len(clip) // 2)
        period = len(clip) - fade
        length = period - 1 + n_samples
        return _crossfade_loop(clip, math.ceil((length - fade) / period), fade)[:length]

    def segment(self, name: str, n_samples: int, start: int, looped: bool) -> np.ndarray:
        """The ``n_samples`` of :meth:`track` from sample ``start`` on (what BN mixes in)."""
        track = self.track(name, n_samples, looped)
        if not 0 <= start <= len(track) - n_samples:
            kind = "looped clip" if looped else "clip"
            raise NoiseError(f"{self.folder / name}: no {n_samples / SAMPLE_RATE:.2f} s window starts at sample "
                             f"{start} of this {kind} ({len(self.clip(name)) / SAMPLE_RATE:.2f} s, silent edges "
                             "cut); the plan does not fit this noise folder")
        return track[start:start + n_samples]


class BackgroundNoise(Transform):
    """BN: mix a real background sound from a :class:`NoiseBank` at an SNR drawn from ``[min_snr_db, max_snr_db]``.

    The plan draws the SNR, the clip (uniformly over the bank's files) and the window's ``start`` (in
    samples at 16 kHz, see :meth:`NoiseBank.segment`) uniformly among the windows at most
    :data:`QUIET_WINDOW_DB` below the clip's loudest; ``looped`` records whether the clip was shorter
    than the utterance and looped. The SNR is set on the window actually mixed in, so it is exact.
    Default range: :data:`DEFAULT_BN_SNR_DB`.

    Raises:
        NoiseError: (when sampling) the drawn clip is shorter than the utterance and the bank does
            not loop; the message names the clip and both lengths.
    """

    name = "BN"

    def __init__(self, noise: NoiseBank, min_snr_db: float = DEFAULT_BN_SNR_DB[0],
                 max_snr_db: float = DEFAULT_BN_SNR_DB[1]) -> None:
        self.noise = noise
        self.min_snr_db, self.max_snr_db = _validated_range("BackgroundNoise SNR (dB)", min_snr_db, max_snr_db,
                                                            -30, 100)

    def sample(self, rng: np.random.Generator, n_samples: int) -> dict[str, Any]:
        snr_db = float(rng.uniform(self.min_snr_db, self.max_snr_db))
        name = self.noise.files[int(rng.integers(len(self.noise)))]
        usable = len(self.noise.clip(name))
        looped = usable < n_samples
        if looped and not self.noise.loop:
            raise NoiseError(
                f"{self.noise.folder / name}: noise clip is {usable / SAMPLE_RATE:.2f} s (silent edges cut), "
                f"shorter than the {n_samples / SAMPLE_RATE:.2f} s utterance; allow looping "
                "(NoiseBank(loop=True); CLI: leave out --no-noise-loop) or use longer clips")
        starts = _loud_starts(self.noise.track(name, n_samples, looped), n_samples)
        return {"snr_db": snr_db, "noise": name, "start": int(starts[rng.integers(len(starts))]), "looped": looped}

    def apply(self, audio: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        segment = self.noise.segment(params["noise"], len(audio), params["start"], params["looped"])
        if _rms(segment) < NOISE_FLOOR_RMS:
            raise NoiseError(f"{self.noise.folder / params['noise']}: the window at sample {params['start']} "
                             "is silent and cannot be mixed at an SNR")
        return _mix_at_snr(audio, segment, params["snr_db"])


def default_transforms(noise: NoiseBank | str | Path | None = None) -> dict[str, Transform]:
    """The five transforms with their default ranges, keyed by name; BN only when ``noise`` is given.

    ``noise`` may be a :class:`NoiseBank` or a folder (looped, see :class:`NoiseBank`). Build your own
    dict to change a range, e.g. ``{**default_transforms(bank), "PS": PitchShift(-4, 4)}``.
    """
    transforms: list[Transform] = [Copy(), TimeStretch(), PitchShift(), GaussianNoise()]
    if noise is not None:
        transforms.append(BackgroundNoise(noise if isinstance(noise, NoiseBank) else NoiseBank(noise)))
    return {t.name: t for t in transforms}
