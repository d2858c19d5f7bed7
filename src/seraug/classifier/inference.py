"""A trained classifier in use: class probabilities of segments (:func:`predict_proba`), its learned
embedding (:func:`embed`), and the model saved with its input scaler and rebuilt (:func:`save_model`,
:func:`load_model`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from seraug.classifier.vgg import VGG19
from seraug.files import atomic_path
from seraug.features.normalise import MinMaxScaler
from seraug.runtime import autocast, check_segments, resolve_device


def as_input(X: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``(B, H, W)`` segments -> ``(B, 1, H, W)`` model input on ``device``.

    With one channel the input is channels-last and channels-first at once; the convolutions' weights
    decide the layout of everything after them (see ``TrainConfig.channels_last``).
    """
    return X.to(device, non_blocking=True).unsqueeze(1)


def _forward(model: torch.nn.Module, X: np.ndarray, batch_size: int, device: str | torch.device | None, amp: bool,
             head: Callable[[torch.Tensor], torch.Tensor]) -> np.ndarray:
    """``head(model input)`` over ``X`` in batches, in eval mode, as float32 numpy rows."""
    X = check_segments("X", X)
    device = next(model.parameters()).device if device is None else resolve_device(device)
    model.to(device).eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            x = as_input(torch.from_numpy(X[start : start + batch_size]), device)
            with autocast(device, amp):
                rows = head(x)
            out.append(rows.float().cpu())
    return torch.cat(out).numpy()


def predict_proba(
    model: torch.nn.Module,
    X: np.ndarray,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    amp: bool = True,
) -> np.ndarray:
    """Class probabilities ``(N, K)`` float32 of segments ``X`` ``(N, H, W)`` (normalised like training).

    Puts ``model`` in eval mode (batch norm uses its running statistics, dropout is off). ``device``
    defaults to the model's; given, the model is moved there. ``amp``: bf16 autocast where native.
    """
    return _forward(model, X, batch_size, device, amp, lambda x: torch.softmax(model(x).float(), dim=1))


def embed(model: VGG19, X: np.ndarray, batch_size: int = 256, device: str | torch.device | None = None,
          amp: bool = True) -> np.ndarray:
    """The penultimate layer ``(N, d)`` float32 of segments ``X`` ``(N, H, W)``: what the last linear layer
    sees (``gap`` head: the ``512 * width`` channel averages; ``vgg`` head: the second hidden layer).

    The learned embedding of FID-style scores, from the evaluation classifier itself (nothing to
    download); :func:`seraug.gan.quality_report` takes ``lambda X: embed(model, X)``.
    """
    return _forward(model, X, batch_size, device, amp, lambda x: model.classifier[:-1](model.features(x)))


def save_model(model: VGG19, path: str | Path, scaler: MinMaxScaler | None = None) -> None:
    """Write the model's constructor arguments, weights and input scaler to ``path`` (atomically).

    ``scaler``: the normalisation its inputs need (default: ``model.scaler``, set by :func:`fit`).
    """
    scaler = scaler if scaler is not None else model.scaler
    with atomic_path(path) as tmp:
        torch.save({"config": model.config, "state_dict": model.state_dict(),
                    "scaler": scaler.to_dict() if scaler is not None else None}, tmp)


def load_model(path: str | Path, device: str | torch.device = "cpu") -> VGG19:
    """Rebuild a model written by :func:`save_model` (eval mode, on ``device``), its scaler in ``.scaler``.

    Classify segments in dB with ``predict_proba(model, model.scaler.transform(X))``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no saved classifier here")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = VGG19(**saved["config"])
    model.load_state_dict(saved["state_dict"])
    model.scaler = MinMaxScaler.from_dict(saved["scaler"]) if saved.get("scaler") else None
    return model.to(resolve_device(device)).eval()
