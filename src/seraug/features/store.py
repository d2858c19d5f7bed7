"""The on-disk feature store: a corpus's log-mel segments computed once (:func:`extract_features`) and
read back (:func:`load_features`) by every command and run that needs them.

A store is ``spectrograms.npy`` (``(N, n_mels, segment_frames)`` float32 dB), ``segments.csv`` (row
``i`` describes ``spectrograms[i]``, columns :data:`~seraug.features.SEGMENT_COLUMNS`), ``skipped.csv``
(bad files left out, with their reasons) and ``config.json`` (the front end's settings and a fingerprint
of the manifest and files, so a changed corpus is recomputed). Files are decoded one after another
(see :func:`load_many`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from seraug.features.audio import AudioError, load_audio
from seraug.errors import DataError
from seraug.features.logmel import SEGMENT_COLUMNS, LogMelConfig, segments_from_waveforms
from seraug.files import atomic_path, fingerprint, read_json, read_or_set_aside
from seraug.runtime import resolve_device


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
    files = []
    for row in manifest[["path", *SEGMENT_COLUMNS[:-1]]].itertuples(index=False):
        stat = os.stat(row.path) if os.path.exists(row.path) else None
        files.append(repr((tuple(row), stat and (stat.st_size, stat.st_mtime_ns))))
    return fingerprint(config.to_dict(), *files)


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
