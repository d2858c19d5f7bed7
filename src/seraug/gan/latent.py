"""Class-conditional latent generator: one multivariate normal per emotion (paper, "GAN Initialization").

The autoencoder's codes of each class's training segments give a mean and a covariance; G is then fed
draws from the class it should imitate. A class with fewer segments than latent dimensions has a
singular sample covariance, so we use the Ledoit-Wolf shrinkage estimate, which is positive definite
from three distinct codes on. A class with fewer than three codes (where the estimate degenerates)
borrows the Ledoit-Wolf covariance of all classes' codes pooled around their own class means.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
from sklearn.covariance import LedoitWolf

from seraug.errors import DataError

MIN_OWN_CODES = 3
"""Fewest codes for a class's own Ledoit-Wolf covariance (with 2 it has rank 1 and no shrinkage)."""


@dataclass
class ClassGaussians:
    """Per-class normal distributions in latent space.

    Attributes:
        means: ``(K, d)`` float64.
        covariances: ``(K, d, d)`` float64, symmetric positive semi-definite.
        counts: ``(K,)`` codes each class was fitted on.
    """

    means: np.ndarray
    covariances: np.ndarray
    counts: np.ndarray

    @classmethod
    def fit(cls, codes: np.ndarray, y: np.ndarray, n_classes: int) -> "ClassGaussians":
        """Fit on latent codes ``(N, d)`` with integer labels ``y`` ``(N,)`` in ``[0, n_classes)``.

        Raises:
            ValueError: a class has no code, or the codes are not finite.
        """
        codes = np.asarray(codes, dtype=np.float64)
        y = np.asarray(y)
        if not np.isfinite(codes).all():
            raise DataError("latent codes contain NaN or infinity; the autoencoder diverged")
        counts = np.bincount(y, minlength=n_classes)
        if (counts == 0).any():
            raise DataError(f"classes {np.flatnonzero(counts == 0).tolist()} have no segments to fit a Gaussian on")
        means = np.stack([codes[y == k].mean(axis=0) for k in range(n_classes)])
        pooled = None
        if (counts < MIN_OWN_CODES).any():
            pooled = LedoitWolf(assume_centered=True).fit(codes - means[y]).covariance_
        covariances = [LedoitWolf().fit(codes[y == k]).covariance_ if counts[k] >= MIN_OWN_CODES else pooled
                       for k in range(n_classes)]
        return cls(means, np.stack(covariances), counts)

    @property
    def n_classes(self) -> int:
        return len(self.means)

    @property
    def latent_dim(self) -> int:
        return self.means.shape[1]

    @cached_property
    def _factors(self) -> torch.Tensor:
        """``(K, d, d)`` float32 ``A`` with ``A @ A.T == covariance`` (eigen-decomposition, so PSD suffices)."""
        values, vectors = np.linalg.eigh(self.covariances)
        return torch.from_numpy(vectors * np.sqrt(np.clip(values, 0, None))[:, None, :]).float()

    def sample(self, classes: torch.Tensor, generator: torch.Generator, spread: float = 1.0) -> torch.Tensor:
        """Codes ``(n, d)`` float32 on the CPU, row ``i`` drawn from class ``classes[i]``'s normal with its
        standard deviations times ``spread`` (1: the fitted normal; 0: the class mean)."""
        classes = torch.as_tensor(classes, dtype=torch.long)
        noise = torch.randn(len(classes), self.latent_dim, generator=generator) * spread
        means = torch.from_numpy(self.means).float()[classes]
        return means + torch.einsum("nij,nj->ni", self._factors[classes], noise)

    def to_dict(self) -> dict[str, np.ndarray]:
        """Arrays for ``np.savez``."""
        return {"means": self.means, "covariances": self.covariances, "counts": self.counts}

    @classmethod
    def from_dict(cls, d) -> "ClassGaussians":
        return cls(np.asarray(d["means"]), np.asarray(d["covariances"]), np.asarray(d["counts"]))
