"""Log-mel spectrogram segments as in the paper, and the on-disk feature store.

The paper's front end (Section 3.2): 16 kHz audio, 50 ms Hann window with 50% overlap (25 ms hop,
``n_fft = 800``, ``hop_length = 400``), power spectrum, 128 mel bands, log scale, cut into segments of
128 frames (128 x 25 ms = 3.2 s; the paper rounds it to "3 seconds"). The result is a stack of
128x128 images ``X[i, mel, frame]`` with mel 0 the lowest band.

The maths is librosa's (``melspectrogram`` with ``center=True`` and zero padding, Slaney mel filters,
then ``power_to_db`` with ``ref=1``, ``amin=1e-10`` and ``top_db`` applied per utterance) but it runs
batch-wise in torch, on the CPU or a GPU. Files are decoded one after another (see :func:`load_many`).

Segmentation: an utterance of ``T`` frames gives segments starting every ``segment_hop`` frames;
when the last one would run past the end it is moved back to end exactly at frame ``T`` (so it
overlaps its neighbour and no audio is dropped). An utterance shorter than ``segment_frames`` gives one
segment, padded on the right with the utterance's own minimum dB value (its silence floor).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from seraug.audio import AudioError, load_audio
from seraug.errors import ConfigError, DataError
from seraug.files import atomic_path, read_json, read_or_set_aside
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
def _mel_basis(config: LogMelConfig, device: torch.device) -> torch.Tensor:
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
    basis_t = _mel_basis(config, device).T.contiguous()
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


def load_many(paths: Sequence[str], sample_rate: int) -> list[np.ndarray | AudioError]:
    """Decode files one after another; a bad file's :class:`AudioError` is returned in its place.

    Serial on purpose: decoding is a small share of the work, and the spectrograms after it already use
    every core through torch; decoding threads beside them measured slower (GIL and core contention).
    """
    out: list[np.ndarray | AudioError] = []
    for path in paths:
        try:
            out.append(load_audio(path, sample_rate))
        except AudioError as err:
            out.append(err)
    return out


def _fingerprint(manifest: pd.DataFrame, config: LogMelConfig) -> str:
    """Hash of the config, every manifest column that reaches ``segments.csv``, and each file's path,
    size and modification time."""
    h = hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode())
    for row in manifest[["path", *SEGMENT_COLUMNS[:-1]]].itertuples(index=False):
        stat = os.stat(row.path) if os.path.exists(row.path) else None
        h.update(repr((tuple(row), stat and (stat.st_size, stat.st_mtime_ns))).encode())
    return h.hexdigest()


def compute_segments(
    manifest: pd.DataFrame,
    config: LogMelConfig = LogMelConfig(),
    device: str | torch.device = "auto",
    skip_bad: bool = False,
    chunk_files: int = 128,
    progress: bool = True,
) -> tuple[np.ndarray, pd.DataFrame, list[dict]]:
    """Segments of every utterance in ``manifest``, in memory (:func:`extract_features` stores them).

    Returns ``(X, segments, skipped)``: ``X`` ``(N, n_mels, segment_frames)`` float32 dB, the
    ``segments`` table (:data:`SEGMENT_COLUMNS`, row ``i`` describes ``X[i]``) and, with
    ``skip_bad``, one ``{"path", "reason"}`` per skipped file (else the first bad file raises).
    """
    device = resolve_device(device)  # a bad device name fails before any file is decoded
    pieces, tables, skipped = [], [], []
    paths = manifest["path"].tolist()
    with tqdm(total=len(manifest), desc="log-mel segments", unit="file", disable=not progress) as bar:
        for begin in range(0, len(paths), chunk_files):
            audio = load_many(paths[begin : begin + chunk_files], config.sample_rate)
            for wave in audio:
                if isinstance(wave, AudioError):
                    if not skip_bad:
                        raise wave
                    skipped.append({"path": wave.path, "reason": wave.reason})
            good = np.array([j for j, wave in enumerate(audio) if not isinstance(wave, AudioError)], dtype=int)
            X, owner, start_s = segments_from_waveforms([audio[j] for j in good], config, device)
            pieces.append(X)
            rows = manifest.iloc[begin + good[owner]] if len(good) else manifest.iloc[:0]
            tables.append(rows[SEGMENT_COLUMNS[:-1]].assign(start_s=np.round(start_s, 4)))
            bar.update(len(audio))
    X = np.concatenate(pieces) if pieces else np.zeros((0, config.n_mels, config.segment_frames), np.float32)
    segments = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=SEGMENT_COLUMNS)
    return X, segments, skipped


def extract_features(
    manifest: pd.DataFrame,
    out_dir: str | Path,
    config: LogMelConfig = LogMelConfig(),
    device: str | torch.device = "auto",
    skip_bad: bool = False,
    chunk_files: int = 128,
    progress: bool = True,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Compute and store the segments of every utterance in ``manifest`` (see :func:`load_features`).

    If ``out_dir`` already holds features made from the same manifest and files with the same config,
    they are loaded instead of recomputed; a store that skipped bad files is reused only with
    ``skip_bad`` (without it, the first skipped file's error is raised, as a fresh run would).
    Files are written atomically (temporary name, then rename), so an interrupted run never leaves a
    store that looks complete.

    Args:
        manifest: one row per utterance (columns of :mod:`seraug.corpora`).
        out_dir: the store's folder.
        skip_bad: if False a bad file raises :class:`AudioError`; if True it is skipped and listed
            with its reason in ``out_dir/skipped.csv`` (ValueError when every file is skipped).
        chunk_files: files decoded and transformed together (progress granularity).

    Returns:
        ``(X, segments)`` as :func:`load_features` gives them.
    """
    out = Path(out_dir)
    key = _fingerprint(manifest, config)
    meta_path = out / "config.json"
    meta = read_or_set_aside(meta_path, read_json)  # a damaged store is set aside and recomputed
    if (meta is not None and meta.get("fingerprint") == key
            and read_or_set_aside(out / "spectrograms.npy", _array_shape) == (meta["segments"], config.n_mels,
                                                                                config.segment_frames)):
        skipped = pd.read_csv(out / "skipped.csv")
        if len(skipped) and not skip_bad:
            raise AudioError(skipped["path"].iloc[0], skipped["reason"].iloc[0])
        X, segments, _ = load_features(out)
        return X, segments
    out.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)
    X, segments, skipped = compute_segments(manifest, config, device, skip_bad, chunk_files, progress)
    pd.DataFrame(skipped, columns=["path", "reason"]).to_csv(out / "skipped.csv", index=False)
    if len(manifest) and len(skipped) == len(manifest):
        raise DataError(f"{out}: every one of the {len(manifest)} files was skipped as bad; see {out / 'skipped.csv'}")
    with atomic_path(out / "spectrograms.npy") as tmp, open(tmp, "wb") as f:
        np.save(f, X)
    with atomic_path(out / "segments.csv") as tmp:
        segments.to_csv(tmp, index=False)
    meta = {"config": config.to_dict(), "fingerprint": key, "utterances": len(manifest) - len(skipped),
            "skipped": len(skipped), "segments": len(X)}
    with atomic_path(meta_path) as tmp:
        tmp.write_text(json.dumps(meta, indent=2))
    return X, segments


def _array_shape(path: Path) -> tuple[int, ...]:
    """Shape of a stored array, read from its header; a file cut short raises ValueError."""
    return np.load(path, mmap_mode="r").shape


def load_features(directory: str | Path) -> tuple[np.ndarray, pd.DataFrame, LogMelConfig]:
    """Read a store written by :func:`extract_features`.

    Returns:
        ``X`` ``(N, n_mels, segment_frames)`` float32 dB (not normalised), the ``segments`` table
        (row ``i`` describes ``X[i]``) and the :class:`LogMelConfig` used.
    """
    directory = Path(directory)
    meta_path = directory / "config.json"
    if not meta_path.exists():
        raise FileNotFoundError(f"{directory}: no feature store here (config.json missing); run `seraug features` first")
    config = LogMelConfig.from_dict(json.loads(meta_path.read_text())["config"])
    X = np.load(directory / "spectrograms.npy")
    segments = pd.read_csv(directory / "segments.csv", dtype={"speaker": str, "session": str, "utterance": str})
    if len(segments) != len(X):
        raise DataError(f"{directory}: segments.csv has {len(segments)} rows but spectrograms.npy {len(X)}")
    return X, segments, config
