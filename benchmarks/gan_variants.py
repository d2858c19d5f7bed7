"""The GAN variants research tried and the recipe choice left out (``docs/gan-choice.md``), kept runnable here.

Each variant is a :class:`seraug.gan.recipes` config plus :class:`seraug.gan.train.Variant` hooks: G's
feature-matching terms in fine-tuning (texture, rhythm, glide, level: this module's profiles) and the
source-filter output layer (``source_filter.py`` beside this file), whose autoencoder is also told the real
segments' pitch. The source-filter G draws the most speech-like segments of all (pitch-following harmonics,
pauses, silent tails: ``docs/gan-source-filter-level.png``) though it scored below the chosen recipe in Table 2.
Their measured figures are in ``docs/gan-research.md``. Three other ideas measured there (a faster learning rate
for D, class-balanced real batches, an R1 penalty on D) changed nothing worth keeping and were deleted.

Figures measured before these variants moved here came from the same settings built inside seraug; a
source-filter G is now built after the recipe's networks, so its initial weights (not its settings) differ.

    from gan_variants import VARIANTS          # with benchmarks/ on sys.path
    config, variant = VARIANTS["glide_level"]
    model = train_gan(X, y, n_classes, config, variant=variant)
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from source_filter import SourceFilterHead  # noqa: E402

from seraug.features.logmel import LogMelConfig  # noqa: E402
from seraug.gan.config import GANConfig  # noqa: E402
from seraug.gan.models import Generator, proposed_generator_body, scaled  # noqa: E402
from seraug.gan.recipes import recipe_config  # noqa: E402
from seraug.gan.steps import TEXTURE_BANDS, ReconstructionLoss, modulation_magnitudes, texture_loss  # noqa: E402

TEXTURE = recipe_config("texture")
"""The chosen recipe at the cpu size: every variant here starts from it."""
TEXTURE_WEIGHT = TEXTURE.ae_texture_weight
from seraug.gan.train import Variant  # noqa: E402

G_TEXTURE_WEIGHT = 1000.0
"""The weight of the ``texture_fm`` variant's texture term, set by scale rather than a sweep: real
segments blurred by one mel band differ from other real segments by about 5e-4 in the term's squared
difference, so at 1000 the term is then about a third of G's cross-entropy. In ``benchmarks/gan_quality.py``
(``+g-texture-1000``) it lifted the striation ratio from 0.63 to 0.72 of real."""

G_RHYTHM_WEIGHT = 100.0
"""The rhythm term's weight, set by the same scale as :data:`G_TEXTURE_WEIGHT`: real segments smeared in time by one
frame (a Gaussian of 25 ms) differ from other real segments by about 5e-3 in the rhythm term's squared
difference, ten times the texture term's one-band blur, so a tenth of the weight makes it a comparable part of
G's loss."""

G_GLIDE_WEIGHT = 300.0
"""The glide term's weight, set by the same scale as :data:`G_TEXTURE_WEIGHT`: real segments whose fine structure is
held level for 0.8 s (what G draws) differ from the real ones by about 1.7e-3 in the glide term's squared
difference, so at 300 the term is then about a third of G's cross-entropy."""

G_LEVEL_WEIGHT = 100.0
"""The level term's weight, set by scale: two batches of real EmoDB segments differ by about 8e-4 in the level term's
mean squared difference, the source-filter G's fakes (which fill the pauses) from real ones by about 9e-3, so at 100
that gap costs about 0.9 and the batches' own spread under a tenth of that."""

AE_PITCH_WEIGHT = 1.0
"""The source-filter autoencoder's pitch-term weight, set by scale: a contour a semitone off in every
voiced frame then costs about 0.007, a fifth of the autoencoder's mean squared error at the end of its training
(0.03-0.04), and one an octave off 1, far above it: octave errors are what the term must rule out."""


def modulation_profile(x: torch.Tensor, bands: int, frames: int, region_tiles: int = 1) -> torch.Tensor:
    """Mean :func:`seraug.gan.steps.modulation_magnitudes` of a batch ``x`` ``(B, 1, 128, 128)`` per region of the mel axis.

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


class SourceFilterGenerator(Generator):
    """The proposed G whose last layer is :class:`SourceFilterHead`: it draws each segment as the harmonics of a
    pitch contour under smooth envelopes. ``last_f0`` keeps the contour ``(B, 128)`` Hz of the last call, for the
    autoencoder's pitch term."""

    def __init__(self, config: GANConfig, features: LogMelConfig | None = None) -> None:
        dense, channels, layers, c_out = proposed_generator_body(config.latent_dim, scaled(config.hidden, config.width),
                                                                 config.width, config.dropout, config.leaky_slope)
        super().__init__(dense, channels, torch.nn.Sequential(*layers))
        self.head = SourceFilterHead(c_out, features)
        self.last_f0: torch.Tensor | None = None

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        image, self.last_f0 = self.head(super().forward(z))
        return image

    def __getstate__(self) -> dict:
        """The state without ``last_f0``: a copy (G's moving average deep-copies G) must not take a tensor that
        is still part of a training step's graph."""
        return self.__dict__ | {"last_f0": None}


def _pitch_taught(generator: SourceFilterGenerator) -> ReconstructionLoss:
    """The texture loss plus :data:`AE_PITCH_WEIGHT` times the head's pitch error against the target's pitch."""
    texture = texture_loss(TEXTURE_WEIGHT)

    def loss(reconstruction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return texture(reconstruction, target) + AE_PITCH_WEIGHT * generator.head.pitch_loss(generator.last_f0, target)
    return loss


def _variant(name: str, matching: dict[Callable, float], source_filter: bool = False) -> Variant:
    return Variant(name, generator=(lambda config, n_classes: SourceFilterGenerator(config)) if source_filter else None,
                   reconstruction_loss=_pitch_taught if source_filter else None,
                   matching=tuple((weight, profile) for profile, weight in matching.items()))


TEXTURE_FM = {texture_profile: G_TEXTURE_WEIGHT}
VARIANTS: dict[str, tuple[GANConfig, Variant]] = {
    "tuned": (replace(TEXTURE, ae_texture_weight=0.0), Variant()),
    "texture_fm": (TEXTURE, _variant("texture_fm", TEXTURE_FM)),
    "rhythm": (TEXTURE, _variant("rhythm", TEXTURE_FM | {rhythm_profile: G_RHYTHM_WEIGHT})),
    "glide": (TEXTURE, _variant("glide", TEXTURE_FM | {glide_profile: G_GLIDE_WEIGHT})),
    "glide_level": (TEXTURE, _variant("glide_level", TEXTURE_FM | {glide_profile: G_GLIDE_WEIGHT,
                                                                   level_profile: G_LEVEL_WEIGHT})),
    "source_filter": (TEXTURE, _variant("source_filter", TEXTURE_FM, source_filter=True)),
    "source_filter_rhythm": (TEXTURE, _variant("source_filter_rhythm", TEXTURE_FM | {rhythm_profile: G_RHYTHM_WEIGHT},
                                               source_filter=True)),
    "source_filter_level": (TEXTURE, _variant("source_filter_level", TEXTURE_FM | {level_profile: G_LEVEL_WEIGHT},
                                              source_filter=True)),
}
"""name -> (config at the cpu size, hooks). ``tuned`` is the texture recipe without its texture term (the retired
``gan_tuned`` strategy); the others are the retired ``gan_<name>`` strategies (``rhythm`` and
``source_filter_rhythm`` were benchmark rows only)."""
