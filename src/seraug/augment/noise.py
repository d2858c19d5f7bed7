"""The bank of background noises that BN (:class:`~seraug.augment.transforms.BackgroundNoise`) mixes in:
clips of a folder (ESC-50, FMA...), decoded on first use, their silent edges cut, looped with a
cross-fade when shorter than the speech."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from seraug.features.audio import SAMPLE_RATE, SILENCE_PEAK, load_audio
from seraug.errors import NoiseError

NOISE_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff")
"""File types a :class:`NoiseBank` collects (ESC-50 is WAV/OGG, FMA is MP3)."""
QUIET_WINDOW_DB = 20.0
"""BN mixes only noise windows at most this many dB below the clip's loudest window of the same length,
so a mostly silent clip (a sneeze) is not amplified by 50-60 dB, hiss and all, to reach the SNR."""
CROSSFADE_S = 0.02
"""Seconds of equal-power cross-fade at each join of a looped noise clip: no click, too short to hear."""


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


def loud_starts(track: np.ndarray, n_samples: int) -> np.ndarray:
    """Starts of the ``n_samples``-long windows of ``track`` at most :data:`QUIET_WINDOW_DB` below the loudest one."""
    energy = np.concatenate([[0.0], np.cumsum(np.square(track, dtype=np.float64))])
    windows = energy[n_samples:] - energy[:-n_samples]
    return np.flatnonzero(windows >= windows.max() * 10.0 ** (-QUIET_WINDOW_DB / 10.0))


class NoiseBank:
    """The background-noise clips under a folder (searched recursively), decoded on first use.

    Clips are read with :func:`seraug.features.audio.load_audio` (mono, resampled to 16 kHz) and their silent
    edges (samples below :data:`seraug.features.audio.SILENCE_PEAK`) are cut: ESC-50 pads short sounds with
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
            fails to decode later raises :class:`seraug.features.audio.AudioError`, also naming it.
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
