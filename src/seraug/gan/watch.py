"""Watching a GAN's training: batch-norm statistics measured exactly, mode collapse caught, bad epochs undone.

- :func:`calibrate_generator`: G's batch-norm statistics recomputed on ``CALIBRATION_CODES`` fixed-seed codes
  (running averages after a short training are far off; see :mod:`seraug.gan.train`).
- :func:`diversity_ratios` / :func:`collapsed`: per class, the mean pairwise RMS distance of ``DIVERSITY_SAMPLES``
  generated segments (G in eval mode) over that of its real training segments; a watched class below
  ``collapse_ratio`` (default 0.1) or NaN has collapsed. A G that ignores its code gives about 0; on EmoDB at
  width 1/16 after 4 autoencoder and 2 fine-tuning epochs the proposed model's classes gave 0.29-0.68. A class
  already below the threshold when fine-tuning starts has an undertrained autoencoder, which going back cannot
  mend: it gets a warning (also in ``losses.csv``) and is not watched.
- :func:`recover`: back to the last good checkpoint with half the learning rate, at most ``max_recoveries``
  times per step; then :class:`TrainingDivergedError`.
"""

from __future__ import annotations

import math

import torch

from seraug.checkpoint import Checkpoint
from seraug.errors import TrainingDivergedError
from seraug.gan.bundle import sample_images
from seraug.gan.diversity import mean_pairwise_distance
from seraug.gan.state import TrainingState
from seraug.gan.steps import recalibrate_batch_norm
from seraug.runtime import autocast, phase

DIVERSITY_SAMPLES = 16
"""Segments per class generated after every fine-tuning epoch to watch for mode collapse."""
CALIBRATION_CODES = 256
"""Codes (classes drawn uniformly, fixed seed) that G's batch-norm statistics are recomputed on."""


def calibrate_generator(state: TrainingState) -> None:
    """G's batch-norm statistics from :data:`CALIBRATION_CODES` fixed-seed codes."""
    z, _ = state.codes(CALIBRATION_CODES, torch.Generator().manual_seed(state.config.seed))
    with phase("gan batch-norm recalibration"), autocast(state.device, state.amp):
        recalibrate_batch_norm(state.sampling_generator, z.split(state.config.batch_size))


def diversity_ratios(state: TrainingState) -> list[float]:
    """Per class: mean pairwise distance of :data:`DIVERSITY_SAMPLES` fixed-seed samples (G in eval mode)
    over that of the class's real training segments (inf for a class with fewer than 2)."""
    ratios = []
    with phase("gan collapse watch"):
        for k, real in enumerate(state.real_diversity):
            samples = sample_images(state.sampling_generator, state.gaussians, k, DIVERSITY_SAMPLES,
                                    state.config.seed + k)
            ratios.append(mean_pairwise_distance(samples, state.config.seed) / real if real > 0 else math.inf)
    return ratios


def collapsed(state: TrainingState) -> str | None:
    """Why the first watched class has collapsed (its ratio below ``collapse_ratio``, or NaN), or None."""
    threshold = state.config.collapse_ratio
    for k, ratio in enumerate(diversity_ratios(state)):
        if state.watched[k] and not ratio >= threshold:  # NaN counts as collapse
            return (f"mode collapse in class {state.class_names[k]}: its generated segments vary {ratio:.2g} times "
                    f"as much as its real ones (collapse_ratio={threshold})")
    return None


def recover(state: TrainingState, checkpoint: Checkpoint, why: str) -> str:
    """Back to the last good state with half the learning rate; returns the event to log. Raises
    :class:`TrainingDivergedError` (naming the kept checkpoint) after ``max_recoveries`` in this step."""
    where = f"{state.phase} epoch {state.epoch + 1}"
    if state.recoveries >= state.config.max_recoveries:
        kept = f"; the last good checkpoint is kept in {checkpoint.path}" if checkpoint.path else ""
        raise TrainingDivergedError(
            f"training diverged in {where}: {why}. Gave up after {state.recoveries} recoveries "
            f"(max_recoveries={state.config.max_recoveries}){kept}. Try a lower learning rate.")
    recoveries, lr_scale = state.recoveries + 1, state.lr_scale / 2
    state.load(checkpoint.last_good_state(state.device))
    state.recoveries, state.lr_scale = recoveries, lr_scale
    for optimizer in (state.opt_ae, state.opt_g, state.opt_d):
        for group in optimizer.param_groups if optimizer else ():
            group["lr"] = state.lr
    return f"{where}: {why}; back to the last good checkpoint, learning rate halved"
