"""Where a cell's time goes: seconds per phase of one EmoDB fold, per strategy, and the classifier's share of
the processor's peak.

    python benchmarks/cell_cost.py [--strategies imbalanced,sa,gan,gan_texture] [--out runs/cell-cost]
                                   [--fold 1] [--seed 1] [--no-amp]

Runs the README's main protocol (EmoDB, Table 2 with sadness reduced, 5 speaker groups, the ``cpu`` preset)
for one fold and seed through ``seraug experiment``'s own code, into the run folder ``--out``: it resumes
there, and a finished cell is read, not trained again (delete the folder to measure anew; ``--print-only``
prints a folder's tables without training, e.g. one made by an earlier commit: ``docs/runs/cell-cost-before``). Every cell
records the seconds of its phases (:func:`seraug.runtime.phase`: each phase's time excludes the phases
nested in it, so a column adds up to the cell). The table prints each phase's seconds and share.

Below it, the classifier's achieved GFLOP/s: the FLOPs of one training step of the ``cpu`` preset's VGG19
(forward and backward, counted by ``torch.utils.flop_counter.FlopCounterMode``) times the segments the
cell trained on, over the phase ``classifier training``; beside the peak of a 2048 x 2048 matrix product
in fp32 and in bf16 measured in this process (bf16 on a 512 x 512 product where it is emulated). The ratio is the share of the peak the training reached
(against the bf16 peak where bf16 is native and on, else the fp32 one).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from seraug.classifier import VGG19
from seraug.experiment import PRESETS, ExperimentConfig, run_experiment
from seraug.runtime import bf16_available, cpu_has_bf16

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def training_gflop_per_segment(width: float, n_classes: int, head: str, batch: int = 32) -> float:
    """GFLOP of one training step (forward + backward) of the VGG19 per segment, counted by torch."""
    model = VGG19(n_classes, width, head=head).train()
    x, y = torch.randn(batch, 1, 128, 128), torch.randint(n_classes, (batch,))
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(model(x), y).backward()
    return counter.get_total_flops() / batch / 1e9


def matmul_peak(dtype: torch.dtype, n: int = 2048, repeats: int = 10) -> float:
    """GFLOP/s of the fastest of ``repeats`` ``n x n`` matrix products in ``dtype`` (after one warm-up)."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strategies", default="imbalanced,sa,gan,gan_texture")
    parser.add_argument("--out", default="runs/cell-cost", help="run folder (resumed; delete it to measure anew)")
    parser.add_argument("--fold", type=int, default=1, help="which of the 5 speaker groups is the test fold")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-amp", action="store_true", help="fp32 even where bf16 is native")
    parser.add_argument("--versus", metavar="FOLDER",
                        help="also print, fold by fold, the UAR of --strategy-versus's cells of --seed in --out and in "
                             "FOLDER (a run folder of the same protocol made with other settings, e.g. an older recipe)")
    parser.add_argument("--strategy-versus", default="gan_texture")
    parser.add_argument("--print-only", action="store_true",
                        help="print the tables of the cells --out holds, training none (e.g. a folder of another commit)")
    args = parser.parse_args()
    strategies = args.strategies.split(",")
    config = ExperimentConfig(corpus="emodb", root=str(SHARED / "emodb"), out=args.out, protocol="table2",
                              strategies=strategies, seeds=[args.seed], folds="groups", n_groups=5,
                              reduce=["sadness"], noise_dir=str(SHARED / "esc10"), device="cpu",
                              amp=False if args.no_amp else None, only=[f"*/group-{args.fold}/*"])
    if not args.print_only:
        run_experiment(config, progress=True)
    cells = {s: json.loads(Path(args.out, "cells", f"reduce-sadness__group-{args.fold}__{s}__seed{args.seed}.json")
                           .read_text()) for s in strategies}
    # a cell's phases, in the order first met; "other" is what no phase timed (scaling, segment lookup)
    names = list(dict.fromkeys(name for cell in cells.values() for name in cell.get("phases", {})))
    print(f"\n{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, bf16 native: "
          f"{cpu_has_bf16()}; EmoDB Table 2 (sadness reduced), group-{args.fold}, seed {args.seed}, cpu preset\n")
    print("| phase | " + " | ".join(strategies) + " |")
    print("| --- |" + " ---: |" * len(strategies))
    for name in [*names, "other"]:
        row = []
        for s in strategies:
            phases = cells[s].get("phases", {})
            seconds = phases.get(name, 0.0) if name != "other" else cells[s]["seconds"] - sum(phases.values())
            row.append(f"{seconds:.1f} s ({100 * seconds / cells[s]['seconds']:.0f}%)" if seconds >= 0.05 else "-")
        print(f"| {name} | " + " | ".join(row) + " |")
    print("| **cell** | " + " | ".join(f"**{cells[s]['seconds']:.0f} s**" for s in strategies) + " |")

    preset = PRESETS["cpu"].classifier
    gflop = training_gflop_per_segment(preset.width, len(cells[strategies[0]]["labels"]), preset.head)
    native = bf16_available(torch.device("cpu"))
    # without native bf16 the bf16 product is emulated (slow): measured on a smaller matrix, for scale only
    peaks = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16, 2048 if native else 512, 3)}
    bf16 = native and not args.no_amp
    peak = peaks["bf16" if bf16 else "fp32"]
    print(f"\nVGG19 width {preset.width:g}: {gflop:.3f} GFLOP per training segment; matmul peak (this process): "
          f"{peaks['fp32']:.0f} GFLOP/s fp32 (2048 x 2048), {peaks['bf16']:.0f} GFLOP/s bf16 "
          f"({'2048 x 2048, native' if native else '512 x 512, emulated: no AVX512-BF16 or AMX'})\n")
    print(f"| strategy | segments trained | classifier training s | GFLOP/s | share of the {'bf16' if bf16 else 'fp32'} peak |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for s in strategies:
        trained = sum(cells[s]["train_segments"].values()) * len(cells[s]["history"])
        seconds = cells[s].get("phases", {}).get("classifier training")
        if seconds:
            rate = trained * gflop / seconds
            print(f"| {s} | {trained} | {seconds:.1f} | {rate:.1f} | {rate / peak:.2f} |")
    if args.versus:
        versus(Path(args.out), Path(args.versus), args.strategy_versus, args.seed)


def versus(out: Path, other: Path, strategy: str, seed: int) -> None:
    """``strategy``'s UAR per fold in ``out`` and ``other`` (seed ``seed``), their paired difference, and beside it
    the spread over seeds of ``other``'s cells (the std over seeds of each fold's UAR, averaged over folds)."""
    def cells(folder: Path) -> dict[str, dict]:
        found = (json.loads(p.read_text()) for p in (folder / "cells").glob(f"*__{strategy}__seed*.json"))
        return {(c["fold"], c["seed"]): c for c in found}

    ours, theirs = cells(out), cells(other)
    folds = sorted(f for f, s in ours if s == seed and (f, seed) in theirs)
    print(f"\n{strategy}, seed {seed}: UAR % in {out} (this recipe) and {other} (the other)\n")
    print("| fold | this | other | this - other | s a cell: this | other |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    diffs = []
    for fold in folds:
        a, b = ours[fold, seed], theirs[fold, seed]
        diffs.append(100 * (a["uar"] - b["uar"]))
        print(f"| {fold} | {100 * a['uar']:.1f} | {100 * b['uar']:.1f} | {diffs[-1]:+.1f} | {a['seconds']:.0f} | "
              f"{b['seconds']:.0f} |")
    spread = np.mean([np.std([100 * c["uar"] for (f, _), c in theirs.items() if f == fold]) for fold in folds])
    print(f"| mean | {np.mean([100 * ours[f, seed]['uar'] for f in folds]):.1f} | "
          f"{np.mean([100 * theirs[f, seed]['uar'] for f in folds]):.1f} | {np.mean(diffs):+.1f} | | |")
    print(f"\nthe other folder's spread over seeds on a fold (std, mean over these folds): {spread:.1f} points")


if __name__ == "__main__":
    main()
