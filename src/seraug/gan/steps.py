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


def modulation_profile(x: torch.Tensor, bands: int, frames: int, region_tiles: int = 1) -> torch.Tensor:
    """Mean :func:`modulation_magnitudes` of a batch ``x`` ``(B, 1, 128, 128)`` per region of the mel axis.

    The ``bands x frames`` tiles' magnitudes averaged over the segments, the time tiles and every
    ``region_tiles`` adjacent mel tiles: ``(mel tiles / region_tiles, bands * frames)``. How much fine
    structure, at which spacing, each region of the mel axis holds on average; where and when it lies does
    not enter, so a generator can match it with structure of its own."""
    mel_tiles = (x.shape[-2] - bands) // max(1, bands // 2) + 1
    magnitudes = modulation_magnitudes(x, bands, frames)  # (B, mel tiles x time tiles, bands, frames), mel slowest
    return magnitudes.reshape(len(x), mel_tiles // region_tiles, -1, bands * frames).mean(dim=(0, 2))


def texture_profile(x: torch.Tensor) -> torch.Tensor:
    """Mean mel-axis modulation magnitudes of a batch ``x`` ``(B, 1, 128, 128)``, per 32-band tile: ``(7, 32)``.

    :func:`modulation_profile` with every frame its own tile: the striations (harmonics) of each region,
    whatever the pitch contours that draw them."""
    return modulation_profile(x, TEXTURE_BANDS, 1)


RHYTHM_FRAMES, RHYTHM_REGION = 32, 16
"""Time-axis tiles of :func:`rhythm_profile`: 32 frames (0.8 s at the 25 ms hop, so the 2-8 Hz syllable rates
of speech fall on its bins 2 to 6, 1.25 Hz apart), averaged over regions of 16 mel bands."""


def rhythm_profile(x: torch.Tensor) -> torch.Tensor:
    """Mean time-axis modulation magnitudes of a batch ``x`` ``(B, 1, 128, 128)``, per 16-band region: ``(8, 32)``.

    :func:`modulation_profile` with every band its own tile, 32 frames long: how much each region's level
    rises and falls, at which rate (onsets, pauses, syllables), wherever in the segment that happens. On
    EmoDB, 64 segments smeared in time by a Gaussian of one frame lie 25 to 150 times as far from 64 others in
    it (squared difference) as the same segments unsmeared."""
    return modulation_profile(x, 1, RHYTHM_FRAMES, region_tiles=RHYTHM_REGION)


GLIDE_FRAMES = 32
"""Length of the tiles of :func:`glide_profile`: 32 frames (0.8 s at the 25 ms hop), long enough for a pitch
contour's rise or fall across a harmonic spacing to tilt its stripes."""


def glide_profile(x: torch.Tensor) -> torch.Tensor:
    """Mean spectro-temporal modulation magnitudes of a batch ``x`` ``(B, 1, 128, 128)``, per 32-band tile: ``(7, 1024)``.

    :func:`modulation_profile` on 32-band x 32-frame tiles: as :func:`texture_profile`, how far apart the
    striations lie, and also how they tilt: stripes that follow a rising or falling pitch put their energy off
    the zero-rate column of the 2-D spectrum, stripes held level (what G draws) on it. On EmoDB, real segments
    whose fine structure is held level for 0.8 s lie 25 times as far from other real segments as these do
    from each other (13 times in :func:`texture_profile`)."""
    return modulation_profile(x, TEXTURE_BANDS, GLIDE_FRAMES)


LEVEL_QUANTILES = 32
"""Quantiles of :func:`level_profile`, at the middle of 32 equal shares of the frames."""


def level_profile(x: torch.Tensor) -> torch.Tensor:
    """Quantiles of the frame levels of a batch ``x`` ``(B, 1, 128, 128)``: ``(32,)`` in the [-1, 1] scale.

    A frame's level is its mean over the mel bands, the quantity :func:`seraug.gan.quality.pause_share` counts
    pauses by; the quantiles pool every frame of the batch, so they say how many frames are silent, quiet or
    loud, not where. The mean squared difference of two batches' quantiles is about the squared 1-D
    Wasserstein-2 distance between their level distributions. On EmoDB, two batches of 64 real segments differ by
    about 8e-4 in it; the source-filter G's fakes, which fill the pauses, differ from real ones by about 9e-3
    (their lowest eighth of frames lie at -0.76 to -0.49 where real ones lie at -0.89 to -0.65)."""
    levels = x.float().mean(dim=(1, 2)).flatten()
    shares = (torch.arange(LEVEL_QUANTILES, device=x.device, dtype=torch.float32) + 0.5) / LEVEL_QUANTILES
    return torch.quantile(levels, shares)


Profile = Callable[[torch.Tensor], torch.Tensor]
"""Batch ``(B, 1, 128, 128)`` -> its mean features (any shape): what G's feature matching compares."""


def autoencoder_step(encoder: ConvEncoder, generator: Generator, optimizer: torch.optim.Optimizer,
                     x: torch.Tensor, amp: bool = False, loss_fn: ReconstructionLoss = F.mse_loss,
                     pitch_weight: float = 0.0) -> torch.Tensor:
    """One Adam step on the reconstruction loss of a batch ``x`` ``(B, 1, 128, 128)``; returns the loss (0-d).

    ``loss_fn(reconstruction, x)``: the paper's mean squared error unless a diagnosis asks for another
    (:func:`seraug.gan.train.train_autoencoder`). ``pitch_weight`` > 0 (a G with a source-filter head only)
    adds that times the head's :meth:`~seraug.gan.source_filter.SourceFilterHead.pitch_loss`: G's pitch contour
    against the pitch of ``x``."""
    with autocast(x.device, amp):
        reconstruction, f0 = generator.decode(encoder(x))
    loss = loss_fn(reconstruction.float(), x.float())
    if pitch_weight:
        loss = loss + pitch_weight * generator.head.pitch_loss(f0, x)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _d_update(discriminator: ConvEncoder, optimizer: torch.optim.Optimizer, x: torch.Tensor,
              targets: torch.Tensor, amp: bool, r1_gamma: float = 0.0,
              n_real: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """One D step on one batch; per-sample losses and hits (argmax == target), both ``(B,)``.

    With ``r1_gamma`` > 0 the loss gains the R1 penalty on the batch's first ``n_real`` rows (the real
    segments): ``r1_gamma / 2`` times the mean over them of ``|d realness / d x|^2``, where realness is
    D's log-odds of "one of the K emotions" against "fake", ``logsumexp(logits[:K]) - logits[K]``.
    """
    penalise = r1_gamma > 0 and n_real > 0
    if penalise:
        x = x.detach().requires_grad_(True)
    with autocast(x.device, amp):
        logits = discriminator(x)
    losses = F.cross_entropy(logits.float(), targets, reduction="none")
    loss = losses.mean()
    if penalise:
        real = logits[:n_real].float()
        realness = torch.logsumexp(real[:, :-1], dim=1) - real[:, -1]
        (gradient,) = torch.autograd.grad(realness.sum(), x, create_graph=True)
        loss = loss + r1_gamma / 2 * gradient[:n_real].float().pow(2).sum(dim=(1, 2, 3)).mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return losses.detach(), (logits.argmax(1) == targets).detach()


CodeSampler = Callable[[int], tuple[torch.Tensor, torch.Tensor]]
"""``n -> (codes (n, latent_dim), conditioning classes (n,))``, both on the training device."""


def gan_step(generator: Generator, discriminator: ConvEncoder, opt_g: torch.optim.Optimizer,
             opt_d: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, sample_codes: CodeSampler,
             arch: str = "proposed", amp: bool = False, r1_gamma: float = 0.0,
             matching: Sequence[tuple[float, Profile]] = ()) -> torch.Tensor:
    """One fine-tuning step on a batch of real segments: D, then G (D's targets: real -> y, fake -> K).

    Args:
        x: real segments ``(B, 1, 128, 128)``; y: their classes ``(B,)``.
        sample_codes: draws the codes and conditioning classes of the fakes.
        r1_gamma: weight of the R1 penalty on D's real segments (0: none; see :func:`_d_update`).
        matching: ``(weight, profile)`` pairs: G's loss gains each weight times the mean squared difference of
            the profile of its fakes and of the real batch (feature matching, Salimans et al. 2016, on fixed
            features such as :func:`texture_profile`; empty: none, the paper). The loss returned is the
            cross-entropy alone.
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
        loss_real, hit_real = _d_update(discriminator, opt_d, x, y, amp, r1_gamma, n_real=len(x))
        fake_targets = torch.full_like(conditioning, n_classes)
        loss_fake, hit_fake = _d_update(discriminator, opt_d, fake.detach(), fake_targets, amp)
    else:
        z, conditioning = sample_codes(math.ceil(len(x) / n_classes))
        with torch.no_grad(), autocast(x.device, amp):
            fake = generator(z)
        fake_targets = torch.full_like(conditioning, n_classes)
        losses, hits = _d_update(discriminator, opt_d, torch.cat([x, fake.to(x.dtype)]), torch.cat([y, fake_targets]),
                                 amp, r1_gamma, n_real=len(x))
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
