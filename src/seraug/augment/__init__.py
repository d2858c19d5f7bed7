"""Signal-based augmentation baselines and class balancing (the paper's Section 2.5 and Table 1).

Two steps, so that an experiment and the command line share them:

1. *Plan* (no speech decoded, no audio written): :func:`make_plan` for a Table 1 strategy (CP, SA,
   SAR, SAR_M, SAR_B, SAR_S), :func:`undersample` for random undersampling to a minority/majority
   ratio, or :func:`original_plan` for the unbalanced set. A plan is a DataFrame, one row per
   utterance of the balanced training set, recording the source utterance, the transform and its
   exact parameters (see :mod:`seraug.augment.strategies`).
2. *Render*: :func:`augment_waveforms` yields the waveforms in memory; :func:`write_augmented`
   writes them as WAV with a manifest (what `seraug augment` does).

>>> from seraug.augment import NoiseBank, default_transforms, make_plan, augment_waveforms
>>> transforms = default_transforms(NoiseBank("../shared/data/esc10"))
>>> plan = make_plan(train_manifest, "SAR", seed=0, transforms=transforms)
>>> waveforms = list(augment_waveforms(plan, transforms, jobs=None))

Only pass a fold's training part: the plan draws from nothing else, so no test speaker's audio can
reach the balanced set.
"""

from seraug.augment.noise import NoiseBank
from seraug.augment.render import augment_waveforms, output_paths, read_plan, render_row, write_augmented
from seraug.augment.strategies import (
    KINDS,
    PLAN_COLUMNS,
    STRATEGIES,
    Strategy,
    class_counts,
    get_strategy,
    make_plan,
    original_plan,
    strategy_name,
    undersample,
    undersampling_targets,
)
from seraug.augment.transforms import (
    BackgroundNoise,
    Copy,
    GaussianNoise,
    PitchShift,
    TimeStretch,
    Transform,
    default_transforms,
)
from seraug.errors import AugmentError, NoiseError

__all__ = [
    "KINDS", "PLAN_COLUMNS", "STRATEGIES", "AugmentError", "BackgroundNoise", "Copy", "GaussianNoise",
    "NoiseBank", "NoiseError", "PitchShift", "Strategy", "TimeStretch", "Transform",
    "augment_waveforms", "class_counts", "default_transforms", "get_strategy", "make_plan", "original_plan",
    "output_paths", "read_plan", "render_row", "strategy_name", "undersample", "undersampling_targets", "write_augmented",
]
