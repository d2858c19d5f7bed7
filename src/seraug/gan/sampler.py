"""GAN over-sampling with the imbalanced-learn convention: ``X_res, y_res = sampler.fit_resample(X, y)``."""

from __future__ import annotations

import numbers
from dataclasses import replace
from pathlib import Path

import numpy as np
from imblearn.utils import check_sampling_strategy
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from seraug.errors import DataError
from seraug.features.logmel import LogMelConfig
from seraug.gan.bundle import GANModel, generate
from seraug.gan.config import GANConfig
from seraug.gan.recipes import IMPROVED, recipe_config
from seraug.gan.models import IMAGE_SIZE
from seraug.gan.train import train_gan
from seraug.features.normalise import MinMaxScaler
from seraug.runtime import phase


class GANOverSampler(BaseEstimator):
    """Top up classes with GAN-generated segments (the paper: "to reach the majority class population").

    ``fit_resample`` returns the input rows unchanged, followed by the generated rows grouped by class;
    when nothing is to be generated (already balanced) it returns copies of ``X`` and ``y`` and trains
    nothing. The GAN works in [-1, 1]: a given ``model`` that stores a scaler (every model trained by
    this sampler or by ``seraug gan train``) maps its samples back to ``X``'s units with that scaler, so
    ``X`` must be in the units it was trained on (e.g. dB). Otherwise a
    :class:`~seraug.features.normalise.MinMaxScaler` is fitted on ``X``, the GAN is trained on (or, for a given
    model without a scaler, samples are drawn in) that normalised space, and generated rows are mapped
    back with it, so they come out in ``X``'s units (dB for raw segments; [-1, 1] again if ``X`` was
    already normalised).

    Args:
        sampling_strategy: as in imbalanced-learn over-samplers: ``"auto"`` / ``"not majority"`` (every
            class but the majority up to the majority count), ``"minority"``, ``"not minority"``,
            ``"all"``, a dict ``{label: target count}``, a float (binary only) or a callable.
        recipe: a GAN recipe of :mod:`seraug.gan.recipes` (``paper``, ``bagan`` or ``texture``; None: the
            improved one, ``texture``), trained at ``preset``'s size (``smoke``, ``cpu`` or ``paper``).
        arch, width, ae_epochs, gan_epochs: shortcuts that override the same fields of the config
            (None: keep the recipe's).
        config: a full :class:`GANConfig` instead of ``recipe`` and ``preset``; its ``seed`` is replaced by
            the one ``random_state`` gives.
        model: a trained :class:`GANModel` or its folder; None trains one on ``(X, y)`` in ``fit_resample``.
        out_dir: where the trained model, checkpoints and losses go (None: memory only).
        random_state: as in imbalanced-learn: an int is the seed of training and generation (the
            same int gives the same rows on the CPU; it is ``GANConfig.seed``); None draws a fresh seed
            from numpy's global random state at each ``fit_resample``; a ``np.random.RandomState``
            draws the seed from it. The seed used is kept in ``seed_``.
        device: torch device, ``"auto"`` = CUDA when available.
        features: the log-mel front end that made ``X``, stored in a trained model (so its samples can be
            turned into audio). None: unknown.
        progress: show training progress.

    Attributes (after ``fit_resample``):
        sampling_strategy_: ``{label: number of rows generated}``. seed_: the seed used.
        model_: the GAN used; scaler_: the scaler between ``X``'s units and the GAN's [-1, 1] (both None
        when nothing was generated).
    """

    def __init__(self, sampling_strategy="auto", *, recipe: str | None = None, preset: str = "cpu",
                 arch: str | None = None, width: float | None = None,
                 ae_epochs: int | None = None, gan_epochs: int | None = None, config: GANConfig | None = None,
                 model: GANModel | str | Path | None = None, out_dir: str | Path | None = None,
                 random_state: int | np.random.RandomState | None = None, device: str = "auto",
                 features: LogMelConfig | None = None, progress: bool = False) -> None:
        self.sampling_strategy = sampling_strategy
        self.recipe, self.preset = recipe, preset
        self.arch, self.width, self.ae_epochs, self.gan_epochs = arch, width, ae_epochs, gan_epochs
        self.config, self.model, self.out_dir = config, model, out_dir
        self.random_state, self.device, self.features, self.progress = random_state, device, features, progress

    def _seed(self) -> int:
        """``random_state`` as one int seed (see the class docstring)."""
        if isinstance(self.random_state, numbers.Integral):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _config(self) -> GANConfig:
        overrides = {"arch": self.arch, "width": self.width, "ae_epochs": self.ae_epochs,
                     "gan_epochs": self.gan_epochs}
        base = self.config or recipe_config(self.recipe or IMPROVED, self.preset)
        return replace(base, seed=self.seed_, **{k: v for k, v in overrides.items() if v is not None})

    def fit_resample(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Balance ``X`` ``(N, 128, 128)`` or ``(N, 16384)`` with labels ``y`` ``(N,)``.

        Returns:
            ``X_res`` in ``X``'s layout and dtype (the first N rows are ``X`` itself) and ``y_res``.
        """
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim not in (2, 3) or X.shape[1:] not in ((IMAGE_SIZE, IMAGE_SIZE), (IMAGE_SIZE * IMAGE_SIZE,)):
            raise DataError(f"X must be (N, 128, 128) segments or (N, 16384) flattened ones, got {X.shape}")
        if y.ndim != 1 or len(y) != len(X):
            raise DataError(f"y must be ({len(X)},) labels, got shape {y.shape}")
        self.sampling_strategy_ = dict(check_sampling_strategy(self.sampling_strategy, y, "over-sampling"))
        self.seed_ = self._seed()
        if not any(self.sampling_strategy_.values()):
            self.model_ = self.scaler_ = None
            return X.copy(), y.copy()
        images = X.reshape(len(X), IMAGE_SIZE, IMAGE_SIZE)
        given = GANModel.load(self.model, self.device) if isinstance(self.model, (str, Path)) else self.model
        self.scaler_ = given.scaler if given is not None and given.scaler is not None else MinMaxScaler().fit(images)
        self.model_ = given if given is not None else self._train(self.scaler_.transform(images), y)
        new_X, new_y = [X], [y]
        for label, n in self.sampling_strategy_.items():
            k = self.model_.class_index(str(label))
            with phase("gan generation"):
                fake = self.scaler_.inverse_transform(generate(self.model_, k, int(n), seed=self.seed_ + 1000 * (k + 1)))
            new_X.append(fake.reshape(len(fake), *X.shape[1:]).astype(X.dtype))
            new_y.append(np.full(len(fake), label, dtype=y.dtype))
        return np.concatenate(new_X), np.concatenate(new_y)

    def _train(self, X_normalised: np.ndarray, y: np.ndarray) -> GANModel:
        classes, y_int = np.unique(y, return_inverse=True)
        return train_gan(X_normalised, y_int, len(classes), self._config(), self.out_dir, self.device,
                         class_names=[str(c) for c in classes], scaler=self.scaler_, features=self.features,
                         progress=self.progress)
