"""Log-mel spectrogram segments as in the paper (the on-disk store of them: :mod:`seraug.features.store`).

The paper's front end (Section 3.2): 16 kHz audio, 50 ms Hann window with 50% overlap (25 ms hop,
``n_fft = 800``, ``hop_length = 400``), power spectrum, 128 mel bands, log scale, cut into segments of
128 frames (128 x 25 ms = 3.2 s; the paper rounds it to "3 seconds"). The result is a stack of
128x128 images ``X[i, mel, frame]`` with mel 0 the lowest band.

The maths is librosa's (``melspectrogram`` with ``center=True`` and zero padding, Slaney mel filters,
then ``power_to_db`` with ``ref=1``, ``amin=1e-10`` and ``top_db`` applied per utterance) but it runs
batch-wise in torch, on the CPU or a GPU.

Segmentation: an utterance of ``T`` frames gives segments starting every ``segment_hop`` frames;
when the last one would run past the end it is moved back to end exactly at frame ``T`` (so it
overlaps its neighbour and no audio is dropped). An utterance shorter than ``segment_frames`` gives one
segment, padded on the right with the utterance's own minimum dB value (its silence floor).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import librosa
import numpy as np
import torch

from seraug.errors import ConfigError
from seraug.runtime import resolve_device

AMIN = 1e-10
"""Power floor before the log, as librosa's ``power_to_db``."""

SEGMENT_COLUMNS = ["utterance", "speaker", "label", "corpus", "session", "start_s"]
"""Columns of ``segments.csv``; row ``i`` describes ``spectrograms[i]``."""


@dataclass(frozen=True)
class LogMelConfig:
    """Parameters of the log-mel front end; the defaults are the paper's.

    Attributes:
        sample_rate: Hz.
        window_ms: STFT (Hann) window length in milliseconds.
        hop_ms: STFT hop in milliseconds.
        n_mels: number of mel bands (image height).
        segment_frames: frames per segment (image width).
        segment_hop: frames between segment starts; equal to ``segment_frames`` means no overlap.
        top_db: dynamic range kept below each utterance's peak, in dB (``None`` keeps everything).
    """

    sample_rate: int = 16000
    window_ms: float = 50.0
    hop_ms: float = 25.0
    n_mels: int = 128
    segment_frames: int = 128
    segment_hop: int = 128
    top_db: float | None = 80.0

    def __post_init__(self) -> None:
        if self.sample_rate <= 0 or self.window_ms <= 0 or self.hop_ms <= 0:
            raise ConfigError(f"sample_rate, window_ms and hop_ms must be positive, got {self}")
        if self.hop_ms > self.window_ms:
            raise ConfigError(f"hop_ms ({self.hop_ms}) larger than window_ms ({self.window_ms}) skips audio")
        if self.n_mels < 1 or self.segment_frames < 1 or not 1 <= self.segment_hop:
            raise ConfigError(f"n_mels, segment_frames and segment_hop must be >= 1, got {self}")
        if self.top_db is not None and self.top_db <= 0:
            raise ConfigError(f"top_db must be positive or None, got {self.top_db}")

    @property
    def n_fft(self) -> int:
        """Window length in samples (800 at the defaults)."""
        return round(self.sample_rate * self.window_ms / 1000)

    @property
    def hop_length(self) -> int:
        """Hop in samples (400 at the defaults)."""
        return round(self.sample_rate * self.hop_ms / 1000)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "LogMelConfig":
        return cls(**d)


@functools.lru_cache(maxsize=8)
def mel_filters(config: LogMelConfig, device: torch.device) -> torch.Tensor:
    """Slaney-normalised mel filters from librosa, shape ``(n_mels, n_fft // 2 + 1)``; built once per config."""
    basis = librosa.filters.mel(sr=config.sample_rate, n_fft=config.n_fft, n_mels=config.n_mels)
    return torch.from_numpy(basis).to(device)


def _batches(lengths: np.ndarray, max_samples: int) -> list[np.ndarray]:
    """Group indices of similar length so each zero-padded batch holds at most ``max_samples``."""
    order = np.argsort(lengths, kind="stable")
    batches, current = [], []
    for i in order[::-1]:
        if current and (len(current) + 1) * lengths[current[0]] > max_samples:
            batches.append(np.array(current))
            current = []
        current.append(i)
    if current:
        batches.append(np.array(current))
    return batches


@torch.no_grad()
def log_mel(
    waveforms: Sequence[np.ndarray],
    config: LogMelConfig = LogMelConfig(),
    device: str | torch.device = "cpu",
    max_batch_samples: int | None = None,
) -> list[np.ndarray]:
    """Log-mel spectrograms of mono waveforms at ``config.sample_rate``, computed batch-wise.

    Equal to ``librosa.power_to_db(librosa.feature.melspectrogram(y, sr, n_fft, hop_length, n_mels))``
    per waveform, up to float32 rounding.

    Args:
        waveforms: 1-D float arrays (any lengths).
        config: front-end parameters.
        device: torch device for the STFT and the mel projection.
        max_batch_samples: cap on the zero-padded samples per batch; default 2**18 (16 s) on the CPU,
            where small batches stay in cache, and 2**24 on a GPU.

    Returns:
        One float32 array per waveform, shape ``(n_mels, 1 + len // hop_length)``, in dB.
    """
    device = resolve_device(device)
    max_batch_samples = max_batch_samples or (1 << 24 if device.type == "cuda" else 1 << 18)
    lengths = np.array([len(w) for w in waveforms])
    basis_t = mel_filters(config, device).T.contiguous()
    window = torch.hann_window(config.n_fft, periodic=True, device=device)
    half = config.n_fft // 2
    out: list[np.ndarray | None] = [None] * len(waveforms)
    for batch in _batches(lengths, max_batch_samples):
        # Centred frames with zero padding, as torch.stft(center=True); framing + rfft spelled out is
        # several times faster on the CPU. Batch rows are zero-padded to the longest waveform.
        padded = torch.nn.utils.rnn.pad_sequence([torch.from_numpy(waveforms[i]) for i in batch], batch_first=True)
        padded = torch.nn.functional.pad(padded.to(device, torch.float32), (half, half))
        frames = padded.unfold(-1, config.n_fft, config.hop_length) * window
        spectrum = torch.fft.rfft(frames)
        power = spectrum.real.square().add_(spectrum.imag.square())  # (B, T, n_fft // 2 + 1)
        db = 10.0 * torch.log10((power @ basis_t).clamp_min(AMIN))  # (B, T, n_mels)
        n_frames = torch.from_numpy(1 + lengths[batch] // config.hop_length).to(device)
        if config.top_db is not None:  # per utterance, over its own frames only
            valid = torch.arange(db.shape[1], device=device)[None, :] < n_frames[:, None]
            peak = db.amax(dim=2).masked_fill_(~valid, -torch.inf).amax(dim=1)
            db = db.clamp_min_((peak - config.top_db)[:, None, None])
        db = db.transpose(1, 2).cpu().numpy()
        for row, i in enumerate(batch):
            out[i] = db[row, :, : n_frames[row]]
    return out  # type: ignore[return-value]


def segment(spectrogram: np.ndarray, config: LogMelConfig = LogMelConfig()) -> tuple[np.ndarray, np.ndarray]:
    """Cut one ``(n_mels, T)`` spectrogram into ``(n, n_mels, segment_frames)`` segments.

    Returns the segments and their start frames ``(n,)``; see the module docstring for padding and
    the overlap of the last segment.
    """
    width, n_frames = config.segment_frames, spectrogram.shape[1]
    if n_frames <= width:
        padded = np.full((spectrogram.shape[0], width), spectrogram.min(), dtype=np.float32)
        padded[:, :n_frames] = spectrogram
        return padded[None], np.zeros(1, dtype=np.int64)
    starts = list(range(0, n_frames - width + 1, config.segment_hop))
    if starts[-1] + width < n_frames:
        starts.append(n_frames - width)
    return np.stack([spectrogram[:, s : s + width] for s in starts]), np.array(starts, dtype=np.int64)


def segments_from_waveforms(
    waveforms: Sequence[np.ndarray], config: LogMelConfig = LogMelConfig(), device: str | torch.device = "cpu"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-mel segments of many waveforms.

    Returns:
        ``X`` of shape ``(N, n_mels, segment_frames)`` float32 in dB, ``owner`` ``(N,)`` the index of
        the waveform each segment came from, ``start_s`` ``(N,)`` its start time in seconds.
    """
    pieces, owners, starts = [], [], []
    for i, spectrogram in enumerate(log_mel(waveforms, config, device)):
        segs, start = segment(spectrogram, config)
        pieces.append(segs)
        owners.append(np.full(len(segs), i))
        starts.append(start * config.hop_ms / 1000)
    if not pieces:
        return np.zeros((0, config.n_mels, config.segment_frames), np.float32), np.zeros(0, int), np.zeros(0)
    return np.concatenate(pieces), np.concatenate(owners), np.concatenate(starts)


def invert_log_mel(S_db: np.ndarray, config: LogMelConfig = LogMelConfig(), n_iter: int = 32) -> np.ndarray:
    """Waveform from a ``(n_mels, T)`` dB spectrogram: undo the log, the mel projection, then Griffin-Lim.

    Uses the same STFT parameters as the forward path, so a generated segment can be listened to.
    """
    power = librosa.db_to_power(np.asarray(S_db, dtype=np.float32))
    return librosa.feature.inverse.mel_to_audio(
        power, sr=config.sample_rate, n_fft=config.n_fft, hop_length=config.hop_length, n_iter=n_iter
    ).astype(np.float32)
