"""What a GAN training run holds between epochs (:class:`TrainingState`), and its checkpoint form.

Also the run's checkpoint (:func:`checkpoint_of`) and where a run starts (:func:`resume_or_start`: its own checkpoint,
another run's finished autoencoder, or afresh). The phases of :mod:`seraug.gan.train` are functions over this state; :mod:`seraug.gan.watch` checks it for
mode collapse and takes it back to the last good checkpoint. Everything a resumed run needs to continue as if
never stopped is in :meth:`TrainingState.to_dict`: networks, optimisers, G's moving average, class Gaussians,
phase, epoch, recoveries, learning-rate scale, the classes watched for collapse and the loss history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from seraug.checkpoint import Checkpoint
from seraug.errors import ConfigError
from seraug.files import fingerprint
from seraug.gan.config import GANConfig
from seraug.gan.diversity import mean_pairwise_distance
from seraug.gan.latent import ClassGaussians
from seraug.gan.models import ConvEncoder, Generator, Networks, build
from seraug.gan.steps import Profile, ReconstructionLoss, texture_loss
from seraug.runtime import bf16_available


FINE_TUNING = ("gan_lr", "g_ema", "gan_epochs", "max_recoveries")
"""The settings that act only in step (c): a run may take its autoencoder from a run that differs in them
(``train_gan(autoencoder=...)``), and resume its own checkpoint with more ``gan_epochs``."""


@dataclass(frozen=True)
class Variant:
    """The one hook for research that no recipe uses (``benchmarks/gan_variants.py``): another generator,
    another reconstruction loss, feature-matching terms for G. The defaults are the recipes' own.

    Attributes:
        name: recorded in the checkpoint, so a variant's run is never resumed as another's.
        generator: ``(config, n_classes) -> Generator`` built in place of :func:`build`'s G (after the same
            seed, so D and the encoder start as in the recipe).
        reconstruction_loss: ``generator -> loss`` in place of the config's (:func:`texture_loss`).
        matching: ``(weight, profile)`` terms of G's fine-tuning loss (:func:`seraug.gan.steps.gan_step`).
    """

    name: str = ""
    generator: Callable[[GANConfig, int], Generator] | None = None
    reconstruction_loss: Callable[[Generator], ReconstructionLoss] | None = None
    matching: tuple[tuple[float, Profile], ...] = ()


def adam(params, lr: float, config: GANConfig) -> torch.optim.Adam:
    return torch.optim.Adam(params, lr=lr, betas=(config.beta1, config.beta2))


@dataclass
class TrainingState:
    """One run's networks, optimisers and place in training, on ``device``, with its data as tensors."""

    config: GANConfig
    device: torch.device
    variant: Variant
    class_names: list[str]
    data: torch.Tensor
    """``(N, 1, 128, 128)`` training segments in [-1, 1], in the run's memory format."""
    labels: torch.Tensor
    nets: Networks
    reconstruction_loss: ReconstructionLoss
    opt_ae: torch.optim.Adam | None
    opt_g: torch.optim.Adam | None = None
    opt_d: torch.optim.Adam | None = None
    generator_ema: AveragedModel | None = None
    gaussians: ClassGaussians | None = None
    phase: str = "ae"
    epoch: int = 0
    recoveries: int = 0
    lr_scale: float = 1.0
    watched: list[bool] = field(default_factory=list)
    """Per class: checked for mode collapse in fine-tuning (:mod:`seraug.gan.watch`)."""
    history: list[dict] = field(default_factory=list)
    real_diversity: list[float] = field(default_factory=list)
    """Per class: the mean pairwise distance of its real training segments (collapse is judged against it)."""

    @classmethod
    def new(cls, X: np.ndarray, y: np.ndarray, class_names: list[str], config: GANConfig, device: torch.device,
            variant: Variant = Variant()) -> TrainingState:
        """A fresh run: networks initialised from ``config.seed``, the autoencoder's optimiser."""
        layout = torch.channels_last if config.channels_last else torch.contiguous_format
        data = torch.from_numpy(X).unsqueeze(1).to(device, memory_format=layout)
        torch.manual_seed(config.seed)  # weight initialisation
        n_classes = len(class_names)
        nets = build(config.arch, n_classes, config.width, config.latent_dim, config.hidden, config.dropout,
                     config.leaky_slope)
        if variant.generator is not None:
            nets = nets._replace(generator=variant.generator(config, n_classes))
        for net in nets:
            net.to(device, memory_format=layout)
        loss = (variant.reconstruction_loss(nets.generator) if variant.reconstruction_loss
                else texture_loss(config.ae_texture_weight))  # weight 0: the paper's MSE
        optimizer = adam([*nets.encoder.parameters(), *nets.generator.parameters()], config.ae_lr, config)
        diversity = [mean_pairwise_distance(X[y == k], config.seed) for k in range(n_classes)]
        return cls(config, device, variant, class_names, data, torch.from_numpy(y).to(device), nets, loss, optimizer,
                   real_diversity=diversity)

    @property
    def encoder(self) -> ConvEncoder:
        return self.nets.encoder

    @property
    def generator(self) -> Generator:
        return self.nets.generator

    @property
    def discriminator(self) -> ConvEncoder:
        return self.nets.discriminator

    @property
    def amp(self) -> bool:
        """bf16 autocast: asked for and native on the device."""
        return self.config.amp and bf16_available(self.device)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def lr(self) -> float:
        """The present phase's learning rate, halved once per recovery."""
        return (self.config.ae_lr if self.phase == "ae" else self.config.fine_tuning_lr) * self.lr_scale

    @property
    def sampling_generator(self) -> Generator:
        """The G that generates (collapse checks, the model): G's moving average with ``g_ema`` > 0, else G."""
        return self.generator_ema.module if self.generator_ema is not None else self.generator

    def codes(self, n: int, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` codes of uniformly drawn classes (paper: "uniformly distributed class labels"), and the classes."""
        conditioning = torch.randint(self.n_classes, (n,), generator=rng)
        return self.gaussians.sample(conditioning, rng).to(self.device), conditioning.to(self.device)

    def start_fine_tuning(self) -> None:
        """Fresh Adam optimisers for G and D (``fine_tuning_lr``), none for the autoencoder, and with
        ``g_ema`` > 0 a moving average of G starting from G's present weights."""
        lr = self.config.fine_tuning_lr
        self.opt_g = adam(self.generator.parameters(), lr, self.config)
        self.opt_d = adam(self.discriminator.parameters(), lr, self.config)
        self.opt_ae = None
        self.generator_ema = None
        if self.config.g_ema:  # batch-norm statistics are not averaged: seraug.gan.watch measures them
            self.generator_ema = AveragedModel(self.generator, multi_avg_fn=get_ema_multi_avg_fn(self.config.g_ema))
            self.generator_ema.requires_grad_(False)

    def to_dict(self) -> dict:
        """The checkpoint's content (:class:`seraug.checkpoint.Checkpoint` adds the config and fingerprint)."""
        optimizers = {"opt_ae": self.opt_ae, "opt_g": self.opt_g, "opt_d": self.opt_d}
        return {
            "phase": self.phase, "epoch": self.epoch, "recoveries": self.recoveries, "lr_scale": self.lr_scale,
            "history": self.history, "gaussians": self.gaussians.to_dict() if self.gaussians else None,
            "watched": self.watched, "encoder": self.encoder.state_dict() if self.phase == "ae" else None,
            "generator": self.generator.state_dict(), "discriminator": self.discriminator.state_dict(),
            "generator_ema": self.generator_ema.state_dict() if self.generator_ema is not None else None,
            **{name: opt.state_dict() if opt else None for name, opt in optimizers.items()},
        }

    def load(self, s: dict) -> None:
        """Continue from a checkpoint's content (:meth:`to_dict`)."""
        self.phase, self.epoch, self.recoveries, self.lr_scale = s["phase"], s["epoch"], s["recoveries"], s["lr_scale"]
        self.history[:], self.watched = s["history"], s["watched"]  # in place: the log holds this list
        self.gaussians = ClassGaussians.from_dict(s["gaussians"]) if s["gaussians"] else None
        if s["encoder"] is not None:
            self.encoder.load_state_dict(s["encoder"])
        self.generator.load_state_dict(s["generator"])
        self.discriminator.load_state_dict(s["discriminator"])
        if self.phase == "gan":
            self.start_fine_tuning()
            if s.get("generator_ema") is not None:
                self.generator_ema.load_state_dict(s["generator_ema"])
        for name in ("opt_ae", "opt_g", "opt_d"):
            if s[name] is not None:
                getattr(self, name).load_state_dict(s[name])


def _comparable(config: dict) -> dict:
    """A recorded GAN config (of any version: migrated, a field it lacks at its default) as today's, with its
    variant's name: the form two runs' configs are compared in."""
    config = dict(config)
    variant = config.pop("variant", "")
    return asdict(GANConfig.from_dict(config)) | {"variant": variant}


def checkpoint_of(folder: Path | None, state: TrainingState, X: np.ndarray, y: np.ndarray, free=("gan_epochs",)):
    """The checkpoint of ``state``'s run in ``folder`` (:class:`seraug.checkpoint.Checkpoint`)."""
    return Checkpoint(folder / "checkpoint.pt" if folder else None,
                      state.config.to_dict() | {"variant": state.variant.name}, fingerprint(X, y), free=free,
                      same_form=_comparable, weights_only=False)


def resume_or_start(state: TrainingState, checkpoint: Checkpoint, autoencoder: Path | None, X, y) -> None:
    """Resume the run's own checkpoint; else, with ``autoencoder``, take steps (a) and (b) from that folder's."""
    saved = checkpoint.load(state.device)
    if saved is not None:
        if saved["phase"] == "gan" and saved["epoch"] > state.config.gan_epochs:
            raise ConfigError(f"{checkpoint.path}: holds {saved['epoch']} fine-tuning epochs, more than "
                              f"gan_epochs={state.config.gan_epochs}; use another folder, or more epochs")
        state.load(saved)
        return
    if autoencoder is not None:
        donor = checkpoint_of(autoencoder, state, X, y, free=FINE_TUNING).load(state.device)
        if donor is None:
            raise ConfigError(f"{autoencoder}: no checkpoint.pt to take the autoencoder from")
        if (donor["phase"], donor["epoch"]) not in (("gan", 0), ("ae", state.config.ae_epochs)):
            raise ConfigError(f"{autoencoder / 'checkpoint.pt'}: its autoencoder has not finished ({donor['phase']} "
                              f"epoch {donor['epoch']}); train it to the end of step (a) first (gan_epochs=0)")
        state.load({**donor, "opt_g": None, "opt_d": None, "generator_ema": None})  # fine-tuning starts afresh
    checkpoint.save(state.to_dict())  # the fresh start is the first "last good" state
