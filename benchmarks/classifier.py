"""VGG19 training throughput (segments per second): seraug's training path vs plain fp32 PyTorch.

    python benchmarks/classifier.py [--width W] [--batch B] [--steps S] [--epochs E] [--device D] [--compile]

Both train the same network (seraug.classifier.VGG19 on 1x128x128 segments, Adam, cross-entropy) on
the same random segments held in memory on the device, in the same process:

- **plain fp32** (the baseline): the textbook loop: NCHW tensors, fp32 and, on CUDA, TF32 switched off
  (true fp32 arithmetic), default cuDNN heuristics, ``torch.optim.Adam`` defaults;
- **plain fp32, TF32 on** (CUDA only, for reference): the same loop with TF32 tensor-core maths, which
  PyTorch allows for convolutions by default;
- **seraug**: :func:`seraug.classifier.fit` itself (channels-last layout; on CUDA bf16 autocast, fused
  Adam, cuDNN autotuning), its per-epoch ``samples_per_s`` (training steps only, validation excluded);
- **seraug + torch.compile** (CUDA by default, ``--compile`` on the CPU).

Each path runs ``--epochs`` (3) epochs of ``--steps`` steps of ``--batch`` segments; the first is warm-up
(autotuning, compilation) and the best of the others counts. Defaults: width 1.0, batch 256, 30 steps on CUDA
(target on an H100: >= 7x the plain fp32 run, about 7,500 segments/s); width 1/8, batch 32, 4 steps on
the CPU, where no bf16 is used and the gain is the channels-last layout only.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

from seraug.classifier import VGG19, TrainConfig, fit
from seraug.features import resolve_device

N_CLASSES = 4


def plain_fp32(X: torch.Tensor, y: torch.Tensor, args, tf32: bool) -> float:
    """Best epoch throughput of the textbook fp32 loop after the first (segments/s)."""
    defaults = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.manual_seed(0)
    model = VGG19(N_CLASSES, args.width).to(X.device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    generator = torch.Generator().manual_seed(0)
    rates = []
    for _ in range(args.epochs):
        order = torch.randperm(len(X), generator=generator).to(X.device)
        started = time.perf_counter()
        for start in range(0, len(X), args.batch):
            index = order[start : start + args.batch]
            loss = F.cross_entropy(model(X[index].unsqueeze(1)), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        loss.item()  # wait for the GPU
        rates.append(len(X) / (time.perf_counter() - started))
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = defaults
    return max(rates[1:])


def seraug_fit(X: np.ndarray, y: np.ndarray, args, device: torch.device, compile: bool) -> float:
    """Best epoch throughput of :func:`seraug.classifier.fit` after the first (segments/s, validation excluded)."""
    config = TrainConfig(width=args.width, batch_size=args.batch, epochs=args.epochs, patience=args.epochs, lr=1e-4,
                         device=str(device), compile=compile)
    result = fit(X, y, X[: args.batch], y[: args.batch], np.arange(args.batch), N_CLASSES, config, progress=False)
    return max(h["samples_per_s"] for h in result.history[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto", help="auto (CUDA if available), cpu, cuda or cuda:N")
    parser.add_argument("--width", type=float, help="VGG19 channel multiplier (default 1.0 on CUDA, 0.125 on CPU)")
    parser.add_argument("--batch", type=int, help="segments per step (default 256 on CUDA, 32 on CPU)")
    parser.add_argument("--steps", type=int, help="steps per epoch (default 30 on CUDA, 4 on CPU)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per path; the first is warm-up, the best other counts")
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                        help="also measure seraug with torch.compile (default: on for CUDA, off for CPU)")
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first one is warm-up)")
    device = resolve_device(args.device)
    cuda = device.type == "cuda"
    args.width = args.width or (1.0 if cuda else 0.125)
    args.batch = args.batch or (256 if cuda else 32)
    args.steps = args.steps or (30 if cuda else 4)
    compile = cuda if args.compile is None else args.compile

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (args.batch * args.steps, 128, 128)).astype(np.float32)
    y = rng.integers(0, N_CLASSES, len(X))
    X_dev, y_dev = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)

    rows = [("plain PyTorch fp32" + (" (TF32 off)" if cuda else ""), plain_fp32(X_dev, y_dev, args, tf32=False))]
    if cuda:
        rows.append(("plain PyTorch fp32, TF32 on", plain_fp32(X_dev, y_dev, args, tf32=True)))
    del X_dev, y_dev
    speedups = "bf16 autocast + channels_last + fused Adam" if cuda else "channels_last, fp32"
    rows.append((f"seraug fit ({speedups})", seraug_fit(X, y, args, device, compile=False)))
    if compile:
        rows.append(("seraug fit + torch.compile", seraug_fit(X, y, args, device, compile=True)))

    name = torch.cuda.get_device_name(device) if cuda else f"CPU, {torch.get_num_threads()} threads"
    print(f"VGG19 training, 1x128x128 segments, width {args.width}, batch {args.batch}, {args.steps} steps/epoch, "
          f"{name}, torch {torch.__version__}\n")
    print("| path | segments/s | ratio vs plain fp32 |\n|---|---:|---:|")
    for label, rate in rows:
        print(f"| {label} | {rate:,.0f} | {rate / rows[0][1]:.2f}x |")


if __name__ == "__main__":
    main()
