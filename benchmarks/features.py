"""Audio seconds turned into log-mel segments per wall second: seraug vs a plain per-file librosa loop.

    python benchmarks/features.py [--data ../shared/data] [--repeats 3]

Both read the same files (EmoDB + EMOVO) from disk in the same run. The baseline is what most SER code
does: ``librosa.load(sr=16000)``, ``melspectrogram`` and ``power_to_db`` per file, one after another.
seraug runs `seraug features` up to the final write: files decoded one after another (as the baseline),
batch-wise torch spectrograms, then cutting segments (the baseline does not even segment).
On a machine with CUDA, the GPU path is measured too. Targets: >= 3x the librosa loop on 2 CPU cores;
>= 20,000 audio seconds per second on a GPU.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import librosa
import pandas as pd
import torch

from seraug.corpora import load_manifest
from seraug.features.store import compute_segments
from seraug.features.logmel import LogMelConfig


def librosa_loop(paths: list[str], config: LogMelConfig) -> None:
    for path in paths:
        y, _ = librosa.load(path, sr=config.sample_rate)
        librosa.power_to_db(librosa.feature.melspectrogram(
            y=y, sr=config.sample_rate, n_fft=config.n_fft, hop_length=config.hop_length, n_mels=config.n_mels))


def seraug_path(manifest: pd.DataFrame, config: LogMelConfig, device: str) -> None:
    """`seraug features` without the final write: decode, log-mel, segment, in memory like the baseline."""
    compute_segments(manifest, config, device=device, progress=False)
    if device == "cuda":
        torch.cuda.synchronize()


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--repeats", type=int, default=3, help="runs per method; the fastest counts")
    args = parser.parse_args()
    manifest = pd.concat([load_manifest("emodb", Path(args.data) / "emodb"),
                          load_manifest("emovo", Path(args.data) / "emovo")], ignore_index=True)
    paths = manifest["path"].tolist()
    config = LogMelConfig()
    audio_s = sum(librosa.get_duration(path=p) for p in paths)
    librosa_loop(paths[:5], config)  # warm-up: numba compilation, caches
    seraug_path(manifest[:5], config, "cpu")
    rows = [("librosa loop (baseline)", best_time(lambda: librosa_loop(paths, config), args.repeats))]
    rows.append((f"seraug cpu ({os.cpu_count()} cores)", best_time(lambda: seraug_path(manifest, config, "cpu"), args.repeats)))
    if torch.cuda.is_available():
        seraug_path(manifest[:5], config, "cuda")
        rows.append((f"seraug cuda ({torch.cuda.get_device_name()})",
                     best_time(lambda: seraug_path(manifest, config, "cuda"), args.repeats)))
    print(f"{len(paths)} files, {audio_s:.0f} s of audio (EmoDB + EMOVO)\n")
    print("| method | wall s | audio s / s | ratio vs librosa |\n|---|---:|---:|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {audio_s / seconds:,.0f} | {rows[0][1] / seconds:.2f}x |")


if __name__ == "__main__":
    main()
