"""GAN training throughput: autoencoder and fine-tuning samples per second, seraug's path vs plain fp32.

    python benchmarks/gan.py [--arch proposed] [--device cpu] [--width W] [--batch-size 64] [--steps N]
                             [--data ../shared/data]

The same model, the same batches of real EmoDB segments, in the same process:

* **fp32 (baseline)**: float32 everywhere, contiguous tensors, TF32 off (plain fp32 arithmetic).
* **fp32 + TF32** (CUDA only): PyTorch's defaults, which let cuDNN convolutions use TF32.
* **seraug** (CUDA): what ``train_gan`` does there: bf16 autocast, channels_last, cuDNN autotuning.
* **fp32 + channels_last** and **bf16 autocast + channels_last** (CPU): the two layouts of the CPU
  path; the bf16 row appears where the CPU has AMX or AVX512-BF16 (``seraug.runtime.bf16_available``).
  ``GANConfig.amp`` (``--amp/--no-amp``) turns bf16 on or off; the presets use it where it is faster.

Rows are real segments processed per second by ``autoencoder_step`` (step a) and ``gan_step`` (step c:
proposed, two D steps on real and fake batches + one G step; bagan, one D step on the real batch and
ceil(B/K) fakes + one G step on B + ceil(B/K) fakes). Target on a GPU: >= 4x the fp32 baseline.
Default size: full width on CUDA, width 1/16 on the CPU (so the CPU run takes about a minute).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from seraug.corpora import load_manifest
from seraug.features.store import load_many
from seraug.features.logmel import segments_from_waveforms
from seraug.gan.config import GANConfig
from seraug.gan.models import build
from seraug.gan.steps import autoencoder_step, gan_step
from seraug.gan.state import adam
from seraug.features.normalise import MinMaxScaler
from seraug.runtime import bf16_available


def real_segments(data: Path, files: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised segments and class indices of the first ``files`` EmoDB utterances."""
    manifest = load_manifest("emodb", data / "emodb").iloc[:files]
    X, owner, _ = segments_from_waveforms(load_many(manifest["path"].tolist(), 16000))
    y = np.unique(manifest["label"].to_numpy(), return_inverse=True)[1][owner]
    return MinMaxScaler().fit_transform(X), y


def measure(X: np.ndarray, y: np.ndarray, n_classes: int, args, device: torch.device, amp: bool,
            channels_last: bool, tf32: bool) -> tuple[float, float]:
    """(autoencoder, fine-tuning) real segments per second for one setting."""
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = amp or channels_last
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    torch.manual_seed(0)
    encoder, generator, discriminator = (net.to(device, memory_format=fmt) for net in
                                         build(args.arch, n_classes, args.width))
    config = GANConfig(arch=args.arch)
    opt_ae = adam([*encoder.parameters(), *generator.parameters()], config.ae_lr, config)
    opt_g = adam(generator.parameters(), config.fine_tuning_lr, config)
    opt_d = adam(discriminator.parameters(), config.fine_tuning_lr, config)
    rng = np.random.default_rng(0)
    rows = [rng.choice(len(X), args.batch_size) for _ in range(args.warmup + args.steps)]
    batches = [(torch.from_numpy(X[r]).unsqueeze(1).to(device, memory_format=fmt), torch.from_numpy(y[r]).to(device))
               for r in rows]
    codes = torch.randn(2 * args.batch_size, 100, device=device)  # enough for BAGAN's B + ceil(B / K)
    conditioning = torch.randint(n_classes, (len(codes),), device=device)

    def sample_codes(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        return codes[:n], conditioning[:n]

    def rate(step) -> float:
        for x, labels in batches[: args.warmup]:
            step(x, labels)
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for x, labels in batches[args.warmup:]:
            step(x, labels)
        if device.type == "cuda":
            torch.cuda.synchronize()
        return args.steps * args.batch_size / (time.perf_counter() - start)

    ae = rate(lambda x, _: autoencoder_step(encoder, generator, opt_ae, x, amp))
    gan = rate(lambda x, labels: gan_step(generator, discriminator, opt_g, opt_d, x, labels, sample_codes, args.arch,
                                          amp))
    return ae, gan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="proposed", choices=["proposed", "bagan"])
    parser.add_argument("--device", choices=["cuda", "cpu"], default=None, help="default: cuda when available")
    parser.add_argument("--width", type=float, default=None, help="default: 1.0 on CUDA, 1/16 on the CPU")
    parser.add_argument("--batch-size", type=int, default=None, help="default: 64 on CUDA, 32 on the CPU")
    parser.add_argument("--steps", type=int, default=None, help="timed steps per row (default: 50 CUDA, 4 CPU)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (default: 10 CUDA, 2 CPU)")
    parser.add_argument("--files", type=int, default=60, help="EmoDB files to take segments from")
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    args = parser.parse_args()
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    cuda = device.type == "cuda"
    args.width = args.width or (1.0 if cuda else 1 / 16)
    args.batch_size = args.batch_size or (64 if cuda else 32)
    args.steps = args.steps or (50 if cuda else 4)
    args.warmup = args.warmup if args.warmup is not None else (10 if cuda else 2)
    X, y = real_segments(Path(args.data), args.files)
    n_classes = int(y.max()) + 1
    settings = [("fp32 (baseline)", False, False, False)]
    if cuda:
        settings += [("fp32 + TF32 (PyTorch defaults)", False, False, True),
                     ("seraug: bf16 autocast + channels_last", True, True, True)]
    else:  # bf16 only where the CPU has AMX / AVX512-BF16 (seraug.runtime.bf16_available)
        settings += [("fp32 + channels_last", False, True, False)]
        if bf16_available(device):
            settings += [("bf16 autocast + channels_last", True, True, False)]
    results = [(name, *measure(X, y, n_classes, args, device, *flags)) for name, *flags in settings]
    name = torch.cuda.get_device_name() if cuda else f"CPU ({torch.get_num_threads()} threads)"
    print(f"{args.arch} GAN, width {args.width:g}, batch {args.batch_size}, {args.steps} timed steps, "
          f"{len(X)} real EmoDB segments, {name}\n")
    print("| setting | autoencoder samples/s | ratio | GAN fine-tuning samples/s | ratio |\n|---|---:|---:|---:|---:|")
    base_ae, base_gan = results[0][1], results[0][2]
    for label, ae, gan in results:
        print(f"| {label} | {ae:,.1f} | {ae / base_ae:.2f}x | {gan:,.1f} | {gan / base_gan:.2f}x |")


if __name__ == "__main__":
    main()
