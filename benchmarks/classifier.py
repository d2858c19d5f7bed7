"""VGG19 training throughput (segments per second): seraug's training path vs plain fp32 PyTorch.

    python benchmarks/classifier.py [--widths 0.0625,0.25] [--batch B] [--steps S] [--epochs E] [--device D]
                                    [--compile]

Every row trains the same network (seraug.classifier.VGG19 on 1x128x128 segments, AdamW, cross-entropy)
on the same random segments held in memory on the device, in the same process:

- **plain fp32** (the baseline): the textbook loop: NCHW tensors, fp32 and, on CUDA, TF32 switched off
  (true fp32 arithmetic), default cuDNN heuristics;
- **fp32, channels-last** (CPU) and **fp32, TF32 on** (CUDA): the same loop with the model and inputs
  channels-last (oneDNN's preferred layout), or with TF32 tensor-core maths (PyTorch's default on CUDA);
- **bf16 autocast, channels-last**: the same loop under ``torch.autocast(dtype=torch.bfloat16)``; on the
  CPU only where it has AMX or AVX512-BF16 (``seraug.runtime.bf16_available``), where oneDNN runs the
  convolutions on those units;
- **seraug fit**: :func:`seraug.classifier.fit` itself with its defaults (channels-last; bf16 where
  available; on CUDA fused AdamW and cuDNN autotuning), its per-epoch ``samples_per_s`` (training
  steps only, validation excluded); ``+ torch.compile`` (CUDA by default, ``--compile`` on the CPU).

Each row runs ``--epochs`` (3) epochs of ``--steps`` steps of ``--batch`` segments; the first is warm-up
(oneDNN primitive creation, autotuning, compilation) and the best of the others counts. Defaults: on
CUDA width 1.0, batch 256, 30 steps; on the CPU the widths of the ``smoke`` and ``cpu`` presets, batch
32, 6 steps (about 2 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

from seraug.classifier import VGG19, TrainConfig, fit
from seraug.experiment import PRESETS
from seraug.runtime import autocast, bf16_available, resolve_device

N_CLASSES = 7


def textbook_loop(X: torch.Tensor, y: torch.Tensor, args, width: float, channels_last: bool, amp: bool,
                  tf32: bool = False) -> float:
    """Best epoch throughput of the plain training loop after the first (segments/s)."""
    defaults = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = tf32
    layout = torch.channels_last if channels_last else torch.contiguous_format
    torch.manual_seed(0)
    model = VGG19(N_CLASSES, width).to(X.device, memory_format=layout).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    generator = torch.Generator().manual_seed(0)
    rates = []
    for _ in range(args.epochs):
        order = torch.randperm(len(X), generator=generator).to(X.device)
        started = time.perf_counter()
        for start in range(0, len(X), args.batch):
            index = order[start : start + args.batch]
            with autocast(X.device, amp):
                loss = F.cross_entropy(model(X[index].unsqueeze(1)), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        loss.item()  # wait for the GPU
        rates.append(len(X) / (time.perf_counter() - started))
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = defaults
    return max(rates[1:])


def seraug_fit(X: np.ndarray, y: np.ndarray, args, width: float, device: torch.device, compile: bool) -> float:
    """Best epoch throughput of :func:`seraug.classifier.fit` after the first (segments/s, validation excluded)."""
    config = TrainConfig(width=width, batch_size=args.batch, epochs=args.epochs, patience=args.epochs, lr=1e-4,
                         device=str(device), compile=compile)
    result = fit(X, y, X[: args.batch], y[: args.batch], np.arange(args.batch), N_CLASSES, config, progress=False)
    return max(h["samples_per_s"] for h in result.history[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto", help="auto (CUDA if available), cpu, cuda or cuda:N")
    parser.add_argument("--widths", help="comma-separated VGG19 channel multipliers (default 1.0 on CUDA, the "
                                         "smoke and cpu presets' widths on the CPU)")
    parser.add_argument("--batch", type=int, help="segments per step (default 256 on CUDA, 32 on CPU)")
    parser.add_argument("--steps", type=int, help="steps per epoch (default 30 on CUDA, 6 on CPU)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per row; the first is warm-up, the best other counts")
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                        help="also measure seraug with torch.compile (default: on for CUDA, off for CPU)")
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first one is warm-up)")
    device = resolve_device(args.device)
    cuda = device.type == "cuda"
    preset_widths = sorted({PRESETS[name].classifier.width for name in ("smoke", "cpu")})
    widths = [float(w) for w in args.widths.split(",")] if args.widths else [1.0] if cuda else preset_widths
    args.batch = args.batch or (256 if cuda else 32)
    args.steps = args.steps or (30 if cuda else 6)
    compile = cuda if args.compile is None else args.compile
    bf16 = bf16_available(device)

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (args.batch * args.steps, 128, 128)).astype(np.float32)
    y = rng.integers(0, N_CLASSES, len(X))
    X_dev, y_dev = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)

    name = torch.cuda.get_device_name(device) if cuda else f"CPU, {torch.get_num_threads()} threads"
    print(f"VGG19 training, 1x128x128 segments, batch {args.batch}, {args.steps} steps/epoch, {name}, "
          f"bf16 {'native' if bf16 else 'not native (rows left out)'}, torch {torch.__version__}\n")
    print("| width | path | segments/s | ratio vs plain fp32 |\n|---:|---|---:|---:|")
    for width in widths:
        rows = [("plain PyTorch fp32" + (" (TF32 off)" if cuda else ""),
                 textbook_loop(X_dev, y_dev, args, width, channels_last=False, amp=False))]
        if cuda:
            rows.append(("fp32, TF32 on", textbook_loop(X_dev, y_dev, args, width, False, False, tf32=True)))
        else:
            rows.append(("fp32, channels-last", textbook_loop(X_dev, y_dev, args, width, True, False)))
        if bf16:
            rows.append(("bf16 autocast, channels-last", textbook_loop(X_dev, y_dev, args, width, True, True)))
        rows.append(("seraug fit (defaults)", seraug_fit(X, y, args, width, device, compile=False)))
        if compile:
            rows.append(("seraug fit + torch.compile", seraug_fit(X, y, args, width, device, compile=True)))
        for label, rate in rows:
            print(f"| {width:g} | {label} | {rate:,.0f} | {rate / rows[0][1]:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
