"""Min-max normalisation of spectrogram segments into [-1, 1] (the paper's Section 2.3).

One global minimum and maximum (scalars, in dB) are fitted on the training segments only and then
applied unchanged to validation, test and generated data, so no statistic of held-out speakers leaks
into training. The range matches the GAN's ``tanh`` output. Scalars rather than per-band values keep
the transform invertible for rendering generated spectrograms back to audio.
"""

from __future__ import annotations

import numpy as np

from seraug.errors import ConfigError, DataError


class MinMaxScaler:
    """Map ``[data_min_, data_max_]`` linearly onto ``feature_range``.

    Values outside the fitted range (e.g. on test speakers) map outside ``feature_range``; they are
    not clipped, so the transform stays exactly invertible.
    """

    def __init__(self, feature_range: tuple[float, float] = (-1.0, 1.0)) -> None:
        low, high = feature_range
        if not low < high:
            raise ConfigError(f"feature_range must be increasing, got {feature_range}")
        self.feature_range = (float(low), float(high))
        self.data_min_: float | None = None
        self.data_max_: float | None = None

    def fit(self, X: np.ndarray) -> "MinMaxScaler":
        """Fit on any array (e.g. ``(N, 128, 128)`` training segments in dB)."""
        X = np.asarray(X)
        if X.size == 0:
            raise DataError("cannot fit a MinMaxScaler on an empty array")
        if not np.isfinite(X).all():
            raise DataError("cannot fit a MinMaxScaler on non-finite values")
        self.data_min_, self.data_max_ = float(X.min()), float(X.max())
        if self.data_max_ == self.data_min_:
            raise DataError(f"all values equal ({self.data_min_}); min-max normalisation is undefined")
        return self

    def _scale(self) -> tuple[float, float]:
        if self.data_min_ is None or self.data_max_ is None:
            raise RuntimeError("MinMaxScaler is not fitted; call fit() on the training data first")
        low, high = self.feature_range
        scale = (high - low) / (self.data_max_ - self.data_min_)
        return scale, low - self.data_min_ * scale

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Scaled float32 copy of ``X``."""
        scale, offset = self._scale()
        return (np.asarray(X, dtype=np.float32) * np.float32(scale) + np.float32(offset)).astype(np.float32)

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """Back to the fitted units (dB), float32."""
        scale, offset = self._scale()
        return ((np.asarray(X, dtype=np.float32) - np.float32(offset)) / np.float32(scale)).astype(np.float32)

    def to_dict(self) -> dict:
        """JSON-able state, saved beside every model that consumes normalised input."""
        return {"feature_range": list(self.feature_range), "data_min": self.data_min_, "data_max": self.data_max_}

    @classmethod
    def from_dict(cls, d: dict) -> "MinMaxScaler":
        scaler = cls(tuple(d["feature_range"]))
        scaler.data_min_, scaler.data_max_ = d["data_min"], d["data_max"]
        return scaler
