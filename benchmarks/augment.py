"""Augmented audio seconds per wall second for each transform, serial vs parallel over the CPU cores.

    python benchmarks/augment.py [--data ../shared/data] [--utterances 535] [--repeats 2]

Each transform renders the same EmoDB utterances (with parameters drawn as in a plan, seed 0) through
``augment_waveforms``: decode, transform, return the waveform, as an experiment does. ``none`` only
decodes (the floor every transform pays). The baseline is one process; the parallel run uses one
worker process per core, its start-up included. Audio seconds are those of the outputs.

Every timed run starts from a fresh :class:`NoiseBank`, its clips not yet decoded: worker processes
always decode the BN clips they use, so a serial run reusing clips decoded by an earlier run would
skip work the parallel run pays, and understate BN's parallel speedup. (In `seraug augment` the
plan has already decoded the clips it draws in the main process, so a serial render there is
somewhat faster than the serial BN figure here.)
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from seraug.features.audio import SAMPLE_RATE, audio_length
from seraug.augment import NoiseBank, augment_waveforms, default_transforms
from seraug.corpora import load_manifest


def rows_for(name: str, manifest: pd.DataFrame, transforms: dict, seed: int = 0) -> pd.DataFrame:
    """Plan rows applying transform ``name`` (``""``: none) to every utterance of ``manifest``."""
    rng = np.random.default_rng(seed)
    params = [json.dumps(transforms[name].sample(rng, audio_length(path))) if name else "{}"
              for path in manifest["path"]]
    return pd.DataFrame({"source_path": manifest["path"], "transform": name, "params": params})


def timed(rows: pd.DataFrame, noise_dir: Path, jobs: int, repeats: int) -> tuple[float, float]:
    """(best wall seconds, output audio seconds) of rendering ``rows``, each run with undecoded noise clips."""
    best, audio_s = float("inf"), 0.0
    for _ in range(repeats):
        transforms = default_transforms(NoiseBank(noise_dir))
        start = time.perf_counter()
        audio_s = sum(len(w) for w in augment_waveforms(rows, transforms, jobs=jobs)) / SAMPLE_RATE
        best = min(best, time.perf_counter() - start)
    return best, audio_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--utterances", type=int, default=535, help="EmoDB utterances per transform (535: all)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per setting; the fastest counts")
    args = parser.parse_args()
    manifest = load_manifest("emodb", Path(args.data) / "emodb").sample(args.utterances, random_state=0)
    noise_dir = Path(args.data) / "esc10"
    transforms = default_transforms(NoiseBank(noise_dir))  # for drawing parameters only
    cores = os.cpu_count() or 1
    timed(rows_for("BN", manifest.head(4), transforms), noise_dir, 1, 1)  # warm-up: imports, file caches
    print(f"{len(manifest)} EmoDB utterances per transform; parallel = {cores} processes; noise clips decoded "
          "afresh in every run\n")
    print("| transform | serial audio s / s | parallel audio s / s | parallel vs serial |\n|---|---:|---:|---:|")
    for name in ["", "CP", "TS", "PS", "GN", "BN"]:
        rows = rows_for(name, manifest, transforms)
        serial, audio_s = timed(rows, noise_dir, 1, args.repeats)
        parallel, _ = timed(rows, noise_dir, cores, args.repeats)
        print(f"| {name or 'none (decode)'} | {audio_s / serial:,.0f} | {audio_s / parallel:,.0f} | "
              f"{serial / parallel:.2f}x |")


if __name__ == "__main__":
    main()
