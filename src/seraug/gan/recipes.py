"""The GAN recipes seraug ships, each sized for every preset: what ``seraug gan train --recipe``,
``GANOverSampler(recipe=...)`` and the experiment's GAN strategies train.

=========  ============  ==========================================================================
recipe     strategy      what it is
=========  ============  ==========================================================================
paper      ``gan``       the paper's proposed GAN with the paper's settings (Sections 2.2-2.4)
bagan      ``bagan``     the original BAGAN (Mariani et al. 2018) that the paper compares against
texture    gan_texture   the proposed network trained for small corpora (no dropout, faster learning
                         rates, a moving average of G), its autoencoder taught the harmonic texture
=========  ============  ==========================================================================

``texture`` is the improved recipe, chosen by a rule written before the last cells ran
(``docs/gan-choice.md``): of the GAN variants with all 15 pairs of EmoDB's Table 2 (sadness reduced), it
is the highest over ``imbalanced``. Signal augmentation (``sa``) is level with it or better there.

Sizes: every recipe starts from one of two configs of its preset's size: ``paper`` (the paper's
schedule: dropout 0.2, learning rates 5e-5 and 1e-6) or ``tuned`` (the schedule that brought samples
closest to usable at small scale, ``benchmarks/gan_quality.py``); the recipe then sets its own fields.
Plain data, no torch import.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from seraug.errors import ConfigError
from seraug.gan.config import TEXTURE_WEIGHT, GANConfig


@dataclass(frozen=True)
class Sizes:
    """One preset's two base configs (see the module docstring)."""

    paper: GANConfig
    tuned: GANConfig


SIZES: dict[str, Sizes] = {
    "smoke": Sizes(GANConfig(width=1 / 16, ae_epochs=4, gan_epochs=2),
                   GANConfig(width=1 / 16, dropout=0.0, ae_lr=1e-3, gan_lr=1e-4, ae_epochs=4, gan_epochs=2)),
    "cpu": Sizes(GANConfig(width=1 / 16, ae_epochs=4, gan_epochs=2),
                 GANConfig(width=1 / 8, dropout=0.0, ae_lr=1e-3, gan_lr=2e-4, g_ema=0.97, ae_epochs=40,
                           gan_epochs=15)),
    "paper": Sizes(GANConfig(width=1.0, ae_epochs=50, gan_epochs=50),
                   GANConfig(width=1.0, dropout=0.0, ae_lr=1e-3, gan_lr=2e-4, g_ema=0.97, ae_epochs=60,
                             gan_epochs=20)),
}
"""``smoke``: minutes on a CPU, for tests and a first look; ``cpu``: the scale whose tables can be trusted on 2
CPU cores (``tuned`` at width 1/8: 40 autoencoder and 15 fine-tuning epochs; until 2026-12-06 width 1/4 with 60 and
20, which took twice as long a cell: ``docs/benchmarks.md``, "Where a cell's time goes");
``paper``: the paper's full-width networks, for a GPU (``tuned`` there keeps the cpu schedule at width 1:
not yet measured on a GPU)."""


@dataclass(frozen=True)
class Recipe:
    """A named way to train the GAN: a base config of the preset's size and the fields it sets on it."""

    name: str
    strategy: str
    """The ``seraug experiment`` strategy that balances with it."""
    description: str
    base: str
    """``paper`` or ``tuned``: which of :class:`Sizes` it starts from."""
    changes: dict = field(default_factory=dict)

    def config(self, sizes: Sizes, **overrides) -> GANConfig:
        """This recipe at ``sizes``, with ``overrides`` (any :class:`GANConfig` field) applied last."""
        return replace(getattr(sizes, self.base), **self.changes | overrides)


RECIPES: dict[str, Recipe] = {r.name: r for r in (
    Recipe("paper", "gan", "the paper's proposed GAN with the paper's settings", "paper"),
    Recipe("bagan", "bagan", "the original BAGAN (Mariani et al. 2018), as the paper compares", "paper",
           {"arch": "bagan"}),
    Recipe("texture", "gan_texture", "the improved recipe: the proposed GAN trained for small corpora, its "
           "autoencoder taught the harmonic texture", "tuned", {"ae_texture_weight": TEXTURE_WEIGHT}),
)}
IMPROVED = "texture"
"""The recipe seraug recommends among its GANs (``docs/gan-choice.md``)."""


def recipe_config(recipe: str, preset: str | Sizes = "cpu", **overrides) -> GANConfig:
    """The :class:`GANConfig` of ``recipe`` at ``preset``'s size (a name of :data:`SIZES` or a :class:`Sizes`).

    Raises ConfigError naming the known recipes or presets for an unknown one."""
    if recipe not in RECIPES:
        raise ConfigError(f"unknown GAN recipe {recipe!r}; choose {', '.join(RECIPES)}")
    if isinstance(preset, str):
        if preset not in SIZES:
            raise ConfigError(f"unknown preset {preset!r}; choose {', '.join(SIZES)}")
        preset = SIZES[preset]
    return RECIPES[recipe].config(preset, **overrides)
