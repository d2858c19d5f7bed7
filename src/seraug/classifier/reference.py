"""A VGG19 trained once on every segment of a corpus and kept as a fixed reference (an embedding for the GAN's
quality report, a judge of generated segments), rather than evaluated."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from seraug.classifier.config import TrainConfig
from seraug.classifier.inference import load_model, save_model
from seraug.classifier.train import fit
from seraug.classifier.vgg import VGG19
from seraug.errors import ConfigError
from seraug.features.normalise import MinMaxScaler


def fit_or_load(path: str | Path, X_db: np.ndarray, y: np.ndarray, n_classes: int, config: TrainConfig,
                progress: bool = True) -> VGG19:
    """The VGG19 saved at ``path``; trained first on every segment of ``X_db`` and saved there if absent.

    For a classifier that serves as a fixed reference (an embedding, a GAN-test judge) rather than an
    evaluated model: a :class:`MinMaxScaler` is fitted on ``X_db`` ``(N, H, W)`` (dB), nothing is held
    out for validation and the last epoch is kept (``config.select`` is set to ``"last"``). The model
    returned is the one read back from ``path`` on ``config.device``, its scaler in ``.scaler``.
    """
    path = Path(path)
    if not path.exists():
        scaler = MinMaxScaler().fit(X_db)
        empty = np.zeros((0, *X_db.shape[1:]), np.float32)
        result = fit(scaler.transform(X_db), y, empty, np.zeros(0, int), np.zeros(0, str), n_classes,
                     replace(config, select="last"), progress=progress, scaler=scaler)
        save_model(result.model, path)
    model = load_model(path, config.device)
    if model.scaler is None:
        raise ConfigError(f"{path}: the classifier stores no MinMaxScaler "
                          "(save it with save_model(model, path, scaler))")
    return model
