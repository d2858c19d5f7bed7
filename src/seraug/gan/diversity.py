"""How much segments differ from one another: the measure that the trainer watches for mode collapse
and that the quality report compares between generated and real segments."""

from __future__ import annotations

import numpy as np
import torch

MAX_PAIRS_SAMPLES = 256
"""Diversity is measured on at most this many segments (a seeded subset) to bound the cost."""


def mean_pairwise_distance(X: np.ndarray, seed: int = 0) -> float:
    """Mean RMS difference between distinct pairs of segments ``(N, ...)`` (0 when all are equal or N < 2)."""
    X = np.asarray(X, dtype=np.float32).reshape(len(X), -1)
    if len(X) > MAX_PAIRS_SAMPLES:
        X = X[np.random.default_rng(seed).choice(len(X), MAX_PAIRS_SAMPLES, replace=False)]
    if len(X) < 2:
        return 0.0
    t = torch.from_numpy(X).double()
    distances = torch.cdist(t, t) / np.sqrt(X.shape[1])
    return float(distances.sum() / (len(X) * (len(X) - 1)))
