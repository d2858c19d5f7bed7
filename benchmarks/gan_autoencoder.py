"""Does the autoencoder keep the harmonic striations? Step (a) alone, reconstructions scored against the real segments.

    python benchmarks/gan_autoencoder.py [--variants NAME,NAME] [--ae-epochs 60] [--threads N]
                                         [--fold group-1] [--out runs/gan-autoencoder] [--data ../shared/data]

Every generated segment is the autoencoder's decoder (G) drawing from a code, sharpened by fine-tuning,
so what the decoder cannot reconstruct from the code of a real segment, fine-tuning has to add from
nothing. Each variant's autoencoder is trained on the training speakers of one fold of the README's main
command (:func:`seraug.gan.train.train_autoencoder`); every training segment is then encoded and decoded.
Printed per variant: the seconds, the reconstruction's mean squared error (the mean image's beside it,
for scale) and the striation ratio (:func:`seraug.gan.quality.striation_energy` of the reconstructions
over that of the real segments, per class and on average; the bar for generated segments is 0.7). The
first variant is the baseline of the ``vs base`` column. ``grid.png`` in ``--out`` shows one real
segment per class beside each variant's reconstruction of it.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from gan_quality import fold_arguments, fold_data  # noqa: E402  (the sibling benchmark's fold)

from seraug.gan.recipes import SIZES  # noqa: E402
from seraug.gan import GANConfig, spectrogram_grid  # noqa: E402
from seraug.gan.quality import striation_energy  # noqa: E402
from seraug.gan.steps import ReconstructionLoss, texture_loss  # noqa: E402
from seraug.gan.train import Variant, train_autoencoder  # noqa: E402



def mse_and_mel_gradients(reconstruction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The mean squared error plus a gradient difference loss along the mel axis (Mathieu et al. 2016,
    "Deep multi-scale video prediction beyond mean square error"): the squared difference of the absolute
    band-to-band steps, which a blurred reconstruction lacks wherever the target has striations."""
    def steps(x: torch.Tensor) -> torch.Tensor:
        return (x[:, :, 1:, :] - x[:, :, :-1, :]).abs()

    return F.mse_loss(reconstruction, target) + F.mse_loss(steps(reconstruction), steps(target))


TUNED = SIZES["cpu"].tuned
VARIANTS: dict[str, tuple[GANConfig, ReconstructionLoss | None]] = {
    "gan-tuned": (TUNED, None),
    "+latent-512": (replace(TUNED, latent_dim=512, hidden=4096), None),
    "+mel-gradient-loss": (TUNED, mse_and_mel_gradients),
    "+modulation-loss-3": (TUNED, texture_loss(3.0, frames=32)),
    "+modulation-loss-10": (TUNED, texture_loss(10.0, frames=32)),
    **{f"+mel-modulation-loss-{w:g}": (replace(TUNED, ae_texture_weight=w), None) for w in (5.0, 10.0, 15.0, 20.0, 30.0)},
}
"""name -> (config, reconstruction loss; None: the paper's MSE). Only the autoencoder's settings act.
``gan-tuned``: the tuned schedule's autoencoder (width 1/4: G's dense layers 100 -> 256 -> 128 x 8
x 8); ``+latent-512``: a code of 512 instead of the paper's 100 and G's first dense layer 4 times as wide
(1024), so the code is not squeezed through 256 numbers after all; ``+mel-gradient-loss``: the same
network trained on :func:`mse_and_mel_gradients`; ``+mel-modulation-loss-W``: trained with the texture term
of :func:`seraug.gan.steps.texture_loss` at weight W (``GANConfig.ae_texture_weight``: magnitude spectra
along the mel axis, every frame its own tile, so onsets keep their place and only the harmonics' bands are
free); ``+modulation-loss-W``: the same term on 32-band x 32-frame tiles (2-D modulation spectra)."""


def reconstruct(encoder: torch.nn.Module, generator: torch.nn.Module, X: np.ndarray, batch: int = 64) -> np.ndarray:
    """``generator(encoder(X))`` for segments ``(N, 128, 128)``, batch by batch, on the CPU."""
    with torch.no_grad():
        return np.concatenate([generator(encoder(torch.from_numpy(X[i:i + batch, None]))).float()[:, 0].numpy()
                               for i in range(0, len(X), batch)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--ae-epochs", type=int, default=TUNED.ae_epochs, help="autoencoder epochs (every variant)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    fold_arguments(parser, "runs/gan-autoencoder")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out) / args.fold
    X, y, _, _, labels, _, _ = fold_data(Path(args.data), args.fold, out)
    X = X.astype(np.float32)
    real = [striation_energy(X[y == k]).mean() for k in range(len(labels))]
    print(f"EmoDB fold {args.fold}: {len(X)} training segments; {args.ae_epochs} autoencoder epochs; "
          f"mean-image MSE {float(((X - X.mean(axis=0)) ** 2).mean()):.4f}\n", flush=True)
    print("| variant | AE s | reconstruction MSE | striation ratio | " + " | ".join(labels) + " | vs base |")
    print("| --- " * (len(labels) + 5) + "|")
    columns, base = {"real": {labels[k]: X[y == k][:1] for k in range(len(labels))}}, None
    for name in args.variants.split(","):
        started = time.perf_counter()
        config, loss = VARIANTS[name]
        variant = Variant(name, reconstruction_loss=(lambda g, loss=loss: loss) if loss else None)
        encoder, generator = train_autoencoder(X, y, len(labels), replace(config, ae_epochs=args.ae_epochs), args.device,
                                               variant)
        seconds = time.perf_counter() - started
        R = reconstruct(encoder, generator, X)
        ratios = [striation_energy(R[y == k]).mean() / real[k] for k in range(len(labels))]
        mean = float(np.mean(ratios))
        base = base or mean
        print(f"| {name} | {seconds:.0f} | {float(((R - X) ** 2).mean()):.4f} | {mean:.2f} | "
              + " | ".join(f"{r:.2f}" for r in ratios) + f" | {mean / base:.2f}x |", flush=True)
        columns[name] = {labels[k]: R[y == k][:1] for k in range(len(labels))}
    spectrogram_grid(out / "grid.png", columns,
                     title=f"EmoDB {args.fold}: real beside its reconstructions")
    print(f"\nstriation ratio: striation energy of the reconstructions over the real segments' (bar for generated "
          f"segments: 0.7)\nwrote {out / 'grid.png'}")


if __name__ == "__main__":
    main()
