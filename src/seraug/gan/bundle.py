"""A trained GAN as one object and one folder, and generation from it.

Model folder (what ``seraug gan train --out MODEL`` writes)::

    MODEL/model.json     config, class names in order, MinMaxScaler, LogMelConfig, training speakers
    MODEL/weights.pt     generator and discriminator state dicts
    MODEL/latent.npz     the class Gaussians (means, covariances, counts)
    MODEL/losses.csv     one row per epoch (see seraug.gan.logger)
    MODEL/checkpoint.pt  the last finished epoch, to resume an interrupted run
    MODEL/tensorboard/   the same curves for TensorBoard, when it is installed
    MODEL/grid.png, quality.json, samples/*.wav   what `seraug gan train` renders after training
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from seraug.errors import ConfigError
from seraug.features.logmel import LogMelConfig
from seraug.files import atomic_path
from seraug.gan.config import GANConfig
from seraug.gan.latent import ClassGaussians
from seraug.gan.models import IMAGE_SIZE, ConvEncoder, Generator, build
from seraug.features.normalise import MinMaxScaler
from seraug.runtime import resolve_device


@dataclass
class GANModel:
    """Everything needed to generate spectrograms of a class and map them back to dB and audio.

    Attributes:
        config: the training configuration.
        class_names: emotion names; index ``k`` is class ``k`` of G's conditioning and of D's logits.
        generator, discriminator: the fine-tuned networks (D's last logit means "fake").
        gaussians: per-class latent normals.
        scaler: maps dB to the [-1, 1] range the GAN works in (None when the caller normalised).
        features: the log-mel front end of the training segments (None if unknown); needed for audio.
        speakers: the speakers whose segments trained it (None if unknown), so a user can check that
            none of them is in the data it is tested on or used to balance.
    """

    config: GANConfig
    class_names: list[str]
    generator: Generator
    discriminator: ConvEncoder
    gaussians: ClassGaussians
    scaler: MinMaxScaler | None = None
    features: LogMelConfig | None = None
    speakers: list[str] | None = None

    def class_index(self, label: int | str) -> int:
        """Index of a class given by name or index; ValueError naming the known classes otherwise."""
        if isinstance(label, str) and label in self.class_names:
            return self.class_names.index(label)
        if isinstance(label, (int, np.integer)) and 0 <= label < len(self.class_names):
            return int(label)
        raise ConfigError(f"unknown class {label!r}; this model knows {', '.join(self.class_names)}")

    def save(self, directory: str | Path) -> None:
        """Write ``weights.pt``, ``latent.npz`` and, last, ``model.json`` (each atomically: a folder
        with ``model.json`` holds a whole model)."""
        directory = Path(directory)
        meta = {
            "config": self.config.to_dict(),
            "class_names": self.class_names,
            "scaler": self.scaler.to_dict() if self.scaler else None,
            "features": self.features.to_dict() if self.features else None,
            "speakers": self.speakers,
        }
        with atomic_path(directory / "weights.pt") as tmp:
            torch.save({"generator": self.generator.state_dict(),
                        "discriminator": self.discriminator.state_dict()}, tmp)
        with atomic_path(directory / "latent.npz") as tmp, open(tmp, "wb") as f:
            np.savez(f, **self.gaussians.to_dict())
        with atomic_path(directory / "model.json") as tmp:
            tmp.write_text(json.dumps(meta, indent=2))

    @classmethod
    def load(cls, directory: str | Path, device: str | torch.device = "cpu") -> "GANModel":
        """Read a model folder written by :meth:`save` (or ``seraug gan train``); networks in eval mode on
        ``device`` (``auto``: a CUDA GPU when there is one)."""
        directory = Path(directory)
        device = resolve_device(device)
        for name in ("model.json", "weights.pt", "latent.npz"):
            if not (directory / name).exists():
                raise FileNotFoundError(f"{directory}: not a trained GAN model ({name} missing)")
        meta = json.loads((directory / "model.json").read_text())
        config = GANConfig.from_dict(meta["config"])
        features = LogMelConfig.from_dict(meta["features"]) if meta["features"] else None
        nets = build(config.arch, len(meta["class_names"]), config.width, config.latent_dim, config.hidden,
                     config.dropout, config.leaky_slope)
        weights = torch.load(directory / "weights.pt", map_location="cpu", weights_only=True)
        nets.generator.load_state_dict(weights["generator"])
        nets.discriminator.load_state_dict(weights["discriminator"])
        with np.load(directory / "latent.npz") as latent:
            gaussians = ClassGaussians.from_dict(latent)
        return cls(
            config, list(meta["class_names"]), nets.generator.to(device).eval(),
            nets.discriminator.to(device).eval(), gaussians,
            MinMaxScaler.from_dict(meta["scaler"]) if meta["scaler"] else None,
            features, meta.get("speakers"),
        )


def generate(model: GANModel, label: int | str, n: int, seed: int = 0, batch_size: int = 256, *,
             spread: float = 1.0, best_of: int = 1) -> np.ndarray:
    """``n`` spectrograms of one class, shape ``(n, 128, 128)`` float32 in [-1, 1] (the normalised scale).

    Codes are drawn from the class's latent normal with a ``torch.Generator`` seeded by ``seed`` (same seed =>
    same arrays on the CPU) and decoded by G in eval mode (no dropout; batch-norm statistics as recomputed at the
    end of training, see :mod:`seraug.gan.train`). Use ``model.scaler.inverse_transform`` to get dB.

    Args:
        label: class name (e.g. ``"sadness"``) or index into ``model.class_names``.
        n: how many; 0 gives an empty ``(0, 128, 128)`` array.
        spread: the normals' spread as a multiple of the fitted one (1: the paper's draws; below 1 the codes
            keep nearer their class's mean, trading diversity for samples that carry their class, as Glow's
            reduced temperature and BigGAN's truncation do).
        best_of: decode N codes per sample and keep the one D rates most likely a real segment of its class
            (:func:`class_scores`; 1: every draw kept, the paper), for N times the decoding.
    """
    if n < 0:
        raise ConfigError(f"n must not be negative, got {n}")
    if not spread > 0 or best_of < 1:
        raise ConfigError(f"spread must be positive and best_of at least 1, got {spread} and {best_of}")
    k = model.class_index(label)
    images = sample_images(model.generator, model.gaussians, k, n * best_of, seed, batch_size, spread)
    if best_of == 1:
        return images
    scores = class_scores(model.discriminator, images, k, batch_size).reshape(n, best_of)
    return images.reshape(n, best_of, IMAGE_SIZE, IMAGE_SIZE)[np.arange(n), scores.argmax(axis=1)]


@torch.no_grad()
def class_scores(discriminator: ConvEncoder, images: np.ndarray, k: int, batch_size: int = 256) -> np.ndarray:
    """D's log-probability that each of ``images`` ``(n, 128, 128)`` is a real segment of class ``k``: column
    ``k`` of the log-softmax over its K+1 logits (the output G was trained to raise), ``(n,)`` float32, D in
    eval mode (its mode is restored)."""
    device = next(discriminator.parameters()).device
    was_training = discriminator.training
    discriminator.eval()
    out = [np.zeros(0, np.float32)]
    for start in range(0, len(images), batch_size):
        x = torch.from_numpy(images[start : start + batch_size]).to(device)[:, None]
        out.append(discriminator(x).float().log_softmax(dim=1)[:, k].cpu().numpy())
    discriminator.train(was_training)
    return np.concatenate(out)


@torch.no_grad()
def sample_images(generator: Generator, gaussians: ClassGaussians, k: int, n: int, seed: int,
                  batch_size: int = 256, spread: float = 1.0) -> np.ndarray:
    """Decode ``n`` codes of class ``k`` (drawn at ``spread``, see :meth:`ClassGaussians.sample`) with G in eval
    mode; ``(n, 128, 128)`` float32. G's mode is restored."""
    rng = torch.Generator().manual_seed(seed)
    device = next(generator.parameters()).device
    was_training = generator.training
    generator.eval()
    out = [np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.float32)]
    for start in range(0, n, batch_size):
        z = gaussians.sample(torch.full((min(batch_size, n - start),), k), rng, spread).to(device)
        out.append(generator(z).float()[:, 0].cpu().numpy())
    generator.train(was_training)
    return np.concatenate(out)
