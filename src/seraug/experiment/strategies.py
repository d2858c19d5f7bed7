"""Every balancing strategy of ``seraug experiment`` by name, what it does and what it needs: plain data, so
checking a name imports neither torch nor the GAN (the functions that balance are in
:mod:`seraug.experiment.balancing`).

Strategy names are one vocabulary across ``seraug augment``, ``seraug experiment`` and the Python API
(:func:`seraug.augment.strategy_name`: Table 1's names in either case; ``none`` and ``RU`` are the old
spellings of ``imbalanced`` and ``under``).
"""

from __future__ import annotations

from dataclasses import dataclass

from seraug.augment.strategies import STRATEGIES as TABLE1
from seraug.gan.recipes import IMPROVED, RECIPES


@dataclass(frozen=True)
class Strategy:
    """One strategy: its name, what it does, and what it needs."""

    name: str
    description: str
    needs_noise: bool = False
    """It mixes background noise (BN), so the run needs ``--noise-dir``."""
    recipe: str | None = None
    """The GAN recipe it trains (:data:`seraug.gan.recipes.RECIPES`), if any."""
    table2_only: bool = False
    weighted_loss: bool = False
    """The classifier's cross-entropy is weighted by inverse class frequency (the data are left as they are)."""
    needs_neutral: bool = False
    """It joins utterances to neutral ones, so the corpus needs a ``neutral`` label."""


STRATEGIES: dict[str, Strategy] = {s.name: s for s in (
    Strategy("imbalanced", "the training part as it is (the paper's initial dataset)"),
    Strategy("full", "Table 2's training part before the removal (the ceiling)", table2_only=True),
    *(Strategy(name.lower(), f"Table 1's {name}: {'+'.join(s.transforms)}, replacing in {s.replace} class(es)",
               needs_noise="BN" in s.transforms) for name, s in TABLE1.items()),
    *(Strategy(f"under{r}", f"random undersampling to a minority/majority ratio of {r}")
      for r in ("0.4", "0.6", "0.8", "1.0")),
    Strategy("weighted", "the training part as it is, the classifier's cross-entropy weighted by inverse class "
             "frequency (scikit-learn's 'balanced' weights over the training segments)", weighted_loss=True),
    Strategy("specaug", "topped up like cp, every added copy's segments given random SpecAugment frequency and time "
             "masks (seraug.augment.specaug), so the minority's copies are not identical"),
    Strategy("copypaste", "topped up with CopyPaste utterances (Pappagari et al., ICASSP 2021): an utterance of the "
             "class joined, in random order, to a neutral one of the same training part, labelled with the class "
             "(every 3.2 s segment of it too, as in CopyPaste: a segment that falls in the neutral part carries the "
             "emotion's label)", needs_neutral=True),
    *(Strategy(r.strategy, f"GAN recipe {r.name}: {r.description}; fills every class up to the majority",
               recipe=r.name) for r in RECIPES.values()),
)}
"""Every strategy ``seraug experiment`` runs, by name."""

IMPROVED_GAN = RECIPES[IMPROVED].strategy
"""The GAN strategy to use (``docs/gan-choice.md``)."""

RETIRED: dict[str, str] = {
    "gan_tuned": "the tuned schedule without the texture term (the texture recipe's base)",
    "gan_texture_fm": "gan_texture whose G also matched the real texture in fine-tuning",
    "gan_glide": "gan_texture_fm whose G also matched the tilt of the striations",
    "gan_glide_level": "gan_glide whose G also matched the real frame levels",
    "gan_source_filter": "gan_texture_fm whose G drew the harmonics of a pitch contour",
    "gan_source_filter_level": "gan_source_filter whose G also matched the real frame levels",
}
"""GAN strategies that research tried and the choice left out (``docs/gan-choice.md``): their committed cells
are still read and shown, marked retired; ``benchmarks/gan_variants.py`` still trains them."""
