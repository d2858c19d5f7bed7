"""One optimiser step of each training phase, and the batch-norm recalibration between them; the run
that calls them, epoch after epoch, is :mod:`seraug.gan.train`.

Shapes: real segments ``x`` are ``(B, 1, 128, 128)`` in [-1, 1], classes ``y`` ``(B,)`` int64; D has
K + 1 outputs, the last one meaning "fake".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from seraug.gan.models import ConvEncoder, Generator
from seraug.runtime import autocast

ReconstructionLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""``(reconstruction, target) -> 0-d loss``, both ``(B, 1, 128, 128)``."""


TEXTURE_BANDS = 32
"""Height of the mel-axis tiles of :func:`modulation_magnitudes` (tiles overlap by half): 32 bands hold
2 to 9 harmonics at the spacings of :data:`seraug.gan.quality.HARMONIC_SPACING` below 1 kHz."""


def modulation_magnitudes(x: torch.Tensor, bands: int = TEXTURE_BANDS, frames: int = 1) -> torch.Tensor:
    """Magnitudes of the local 2-D spectra (modulation spectra) of segments ``x`` ``(B, 1, 128, 128)``.

    ``bands x frames`` tiles at half-tile steps, each mean-removed and Hann-windowed (the window scaled
    to unit mean power), ``(B, tiles, bands, frames)``, scaled so that their squares sum to the tile's
    energy (Parseval). With ``frames=1`` every frame is its own tile: spectra along the mel axis only. A
    striation pattern gives the same magnitudes wherever its stripes lie (only the phase moves), so a
    loss on them does not punish harmonics drawn a few bands off.
    """
    def window(n: int) -> torch.Tensor:
        w = torch.hann_window(n, periodic=False, device=x.device, dtype=x.dtype)
        return w / w.pow(2).mean().sqrt()

    tiles = x[:, 0].unfold(1, bands, max(1, bands // 2)).unfold(2, frames, max(1, frames // 2))
    tiles = tiles.reshape(len(x), -1, bands, frames)
    tiles = tiles - tiles.mean(dim=(2, 3), keepdim=True)
    return torch.fft.fft2(tiles * window(bands)[:, None] * window(frames)[None, :]).abs() / (bands * frames) ** 0.5


def texture_loss(weight: float, frames: int = 1) -> ReconstructionLoss:
    """The mean squared error plus ``weight`` times the mean squared difference of :func:`modulation_magnitudes`.

    A texture term in the spirit of the spectral-magnitude losses of neural vocoders (e.g. Parallel
    WaveGAN's multi-resolution STFT loss), here on the spectrogram image. Where the code does not pin a
    harmonic's band, the MSE alone is lowest for a blur: missing striations of energy E cost E, drawn at
    a wrong phase about 2E. The magnitude term costs the blur E and the shifted striations about 0, so
    above a weight of 1 drawing striations wins. ``weight=0``: the paper's MSE alone.
    """
    def loss(reconstruction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        mse = F.mse_loss(reconstruction, target)
        if weight == 0:
            return mse
        return mse + weight * F.mse_loss(modulation_magnitudes(reconstruction, frames=frames),
                                         modulation_magnitudes(target, frames=frames))
    return loss


Profile = Callable[[torch.Tensor], torch.Tensor]
"""Batch ``(B, 1, 128, 128)`` -> its mean features (any shape): what a feature-matching term of G compares
(research terms in ``benchmarks/gan_variants.py``; the recipes use none)."""


def autoencoder_step(encoder: ConvEncoder, generator: Generator, optimizer: torch.optim.Optimizer,
                     x: torch.Tensor, amp: bool = False, loss_fn: ReconstructionLoss = F.mse_loss) -> torch.Tensor:
    """One Adam step on the reconstruction loss of a batch ``x`` ``(B, 1, 128, 128)``; returns the loss (0-d).

    ``loss_fn(reconstruction, x)``: the paper's mean squared error, or :func:`texture_loss` (the ``texture``
    recipe)."""
    with autocast(x.device, amp):
        reconstruction = generator(encoder(x))
    loss = loss_fn(reconstruction.float(), x.float())
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _d_update(discriminator: ConvEncoder, optimizer: torch.optim.Optimizer, x: torch.Tensor,
              targets: torch.Tensor, amp: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """One D step on one batch; per-sample losses and hits (argmax == target), both ``(B,)``."""
    with autocast(x.device, amp):
        logits = discriminator(x)
    losses = F.cross_entropy(logits.float(), targets, reduction="none")
    optimizer.zero_grad(set_to_none=True)
    losses.mean().backward()
    optimizer.step()
    return losses.detach(), (logits.argmax(1) == targets).detach()


CodeSampler = Callable[[int], tuple[torch.Tensor, torch.Tensor]]
"""``n -> (codes (n, latent_dim), conditioning classes (n,))``, both on the training device."""


def gan_step(generator: Generator, discriminator: ConvEncoder, opt_g: torch.optim.Optimizer,
             opt_d: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, sample_codes: CodeSampler,
             arch: str = "proposed", amp: bool = False,
             matching: Sequence[tuple[float, Profile]] = ()) -> torch.Tensor:
    """One fine-tuning step on a batch of real segments: D, then G (D's targets: real -> y, fake -> K).

    Args:
        x: real segments ``(B, 1, 128, 128)``; y: their classes ``(B,)``.
        sample_codes: draws the codes and conditioning classes of the fakes.
        matching: ``(weight, profile)`` pairs: G's loss gains each weight times the mean squared difference of
            the profile of its fakes and of the real batch (feature matching, Salimans et al. 2016, on fixed
            features; empty: none, the paper and every recipe; research terms in ``benchmarks/gan_variants.py``).
            The loss returned is the cross-entropy alone.
        arch: how the batches are formed.

            * ``proposed`` (paper, Sections 2.2-2.3): D on the real batch, then on a separate batch of
              B fakes, one optimiser step each; G on those same B fakes.
            * ``bagan`` (BAGAN's code): D on one batch of the B real segments and ceil(B / K) fakes, one
              optimiser step; G on a fresh batch of B + ceil(B / K) codes.

    Returns:
        ``(6,)`` float tensor: D loss on real, D loss on fake, G loss, D accuracy on real, D accuracy
        on fake, and the fraction of G's fakes that D gave their conditioning class.
    """
    n_classes = discriminator.head.out_features - 1
    if arch == "proposed":
        z, conditioning = sample_codes(len(x))
        with autocast(x.device, amp):
            fake = generator(z)
        loss_real, hit_real = _d_update(discriminator, opt_d, x, y, amp)
        fake_targets = torch.full_like(conditioning, n_classes)
        loss_fake, hit_fake = _d_update(discriminator, opt_d, fake.detach(), fake_targets, amp)
    else:
        z, conditioning = sample_codes(math.ceil(len(x) / n_classes))
        with torch.no_grad(), autocast(x.device, amp):
            fake = generator(z)
        fake_targets = torch.full_like(conditioning, n_classes)
        losses, hits = _d_update(discriminator, opt_d, torch.cat([x, fake.to(x.dtype)]), torch.cat([y, fake_targets]),
                                 amp)
        (loss_real, loss_fake), (hit_real, hit_fake) = losses.split([len(x), len(z)]), hits.split([len(x), len(z)])
        z, conditioning = sample_codes(len(x) + len(z))
        with autocast(x.device, amp):
            fake = generator(z)
    discriminator.requires_grad_(False)
    with autocast(x.device, amp):
        logits = discriminator(fake)
    g_loss = F.cross_entropy(logits.float(), conditioning)
    matched = sum(weight * F.mse_loss(profile(fake.float()), profile(x.float())) for weight, profile in matching)
    opt_g.zero_grad(set_to_none=True)
    (g_loss + matched).backward()
    opt_g.step()
    discriminator.requires_grad_(True)
    fooled = (logits.argmax(1) == conditioning).float().mean()
    return torch.stack([loss_real.mean(), loss_fake.mean(), g_loss.detach(), hit_real.float().mean(),
                        hit_fake.float().mean(), fooled.detach()])


@torch.no_grad()
def recalibrate_batch_norm(net: nn.Module, batches: Iterable[torch.Tensor]) -> None:
    """Set the running mean and variance of every batch norm in ``net`` to their averages over ``batches``.

    Each batch goes through ``net`` with batch norm using batch statistics and dropout off (as in
    eval mode); the running statistics become the plain average over all batches (like
    ``torch.optim.swa_utils.update_bn``, which however leaves dropout on). Weights are untouched and
    ``net``'s train/eval mode is restored. No-op for a net without batch norm (BAGAN).
    """
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    if not norms:
        return
    was_training, momenta = net.training, [norm.momentum for norm in norms]
    net.eval()
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # None = cumulative average over the batches seen since the reset
        norm.train()
    for x in batches:
        net(x)
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum
    net.train(was_training)
