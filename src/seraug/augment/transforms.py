"""The paper's signal transforms (Section 2.5): CP, TS, PS, GN, BN (its noise clips: :mod:`seraug.augment.noise`).

Each transform is a small class in the style of audiomentations, split in two so that a whole
augmentation plan can be drawn before any speech is decoded or any audio written:

- ``sample(rng, n_samples) -> params``: draws the transform's parameters from its validated ranges with
  a :class:`numpy.random.Generator` (the plan's seed), for a source utterance of ``n_samples`` samples
  (only BN uses the length, to place its noise window; planners pass 0 to the others rather than read
  every file's header); ``params`` is a JSON-able dict the plan records.
- ``apply(audio, params) -> audio``: applies exactly those parameters, deterministically. The ranges
  play no part here, so a plan read back from CSV renders bit-identical audio.

Audio is mono float32 at 16 kHz (:data:`seraug.features.audio.SAMPLE_RATE`), shape ``(n_samples,)``. Outputs
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

from pathlib import Path
from typing import Any, ClassVar

import audiomentations
import numpy as np

from seraug.features.audio import SAMPLE_RATE
from seraug.augment.noise import NoiseBank, loud_starts
from seraug.errors import AugmentError, NoiseError

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


class BackgroundNoise(Transform):
    """BN: mix a real background sound from a :class:`NoiseBank` at an SNR drawn from ``[min_snr_db, max_snr_db]``.

    The plan draws the SNR, the clip (uniformly over the bank's files) and the window's ``start`` (in
    samples at 16 kHz, see :meth:`NoiseBank.segment`) uniformly among the windows at most
    :data:`~seraug.augment.noise.QUIET_WINDOW_DB` below the clip's loudest; ``looped`` records whether the clip was shorter
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
        starts = loud_starts(self.noise.track(name, n_samples, looped), n_samples)
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
