"""GAN training in the paper's three steps (Section 2.2), readable top to bottom in :func:`train_gan`.

(a) **Autoencoder**: encoder (D's trunk + dense 100) and decoder (G) learn to reconstruct all training
    segments, labels unused; mean squared error, Adam at ``ae_lr`` (paper: 5e-5).
(b) **Initialisation**: the encoder's trunk weights go into D's trunk and the decoder is G; the codes
    of each class's segments give a class Gaussian (:class:`~seraug.gan.latent.ClassGaussians`).
(c) **Fine-tuning**, per batch of real segments: conditioning classes drawn uniformly, codes from their
    Gaussians, fakes from G. D learns real -> its class and fake -> class K ("fake") with sparse
    categorical cross-entropy; G learns to make D answer the conditioning class. Adam at
    ``GANConfig.fine_tuning_lr`` (paper: 1e-6; BAGAN: 5e-5) for G and D. How real and fake batches are
    formed differs per architecture (:func:`gan_step`). With ``g_ema`` > 0 a moving average of G's
    weights, updated after every step, is the G that generates (diversity checks, the model); off in the
    paper.

Batch norm in eval mode (the codes of step b, generation) normalises with running statistics. Those
are exponential averages (momentum 0.1, from mean 0 and variance 1) over earlier batches and weights;
after a short training they are far off, every layer then scales its signal by a wrong factor, and over
8 layers the codes and the generated segments lose almost all their variation. So the statistics are
recomputed exactly (:func:`recalibrate_batch_norm`): the encoder's on the training segments before
its codes are taken, G's on class codes after step (b) and after every fine-tuning epoch.

Checkpoints: after every epoch the whole state (networks, optimisers, class Gaussians, loss history,
phase and epoch) is written atomically to ``out_dir/checkpoint.pt`` (:class:`seraug.checkpoint.Checkpoint`);
calling :func:`train_gan` again with the same data and config resumes after the last finished epoch (with
more ``gan_epochs``, fine-tuning goes on). ``train_gan(autoencoder=FOLDER)`` starts fine-tuning from another
run's finished autoencoder, for comparing fine-tuning settings on one autoencoder. Each epoch's randomness (batch
order, dropout, conditioning classes, codes) is seeded from ``(seed, phase, epoch, recoveries)``, so a
resumed run gives the same numbers as an uninterrupted one on the CPU.

Divergence: after every epoch the mean losses must be finite and, in fine-tuning, every class's
diversity ratio must stay at or above ``collapse_ratio`` (default 0.1): the mean pairwise RMS distance
of ``DIVERSITY_SAMPLES`` generated segments (G in eval mode) over that of the class's real training
segments. A G that ignores its code gives about 0 (so did every model before the recalibration above);
on EmoDB at width 1/16 after 4 autoencoder and 2 fine-tuning epochs the proposed model's classes gave
0.29-0.68. A class already below the threshold when fine-tuning starts has an undertrained autoencoder,
which going back cannot mend: it gets a warning (also in ``losses.csv``) and is not watched. When a
check fails, training returns to the last good checkpoint and halves the learning rate, at most
``max_recoveries`` times in each step (the count starts again at fine-tuning); after that it raises
:class:`TrainingDivergedError` and writes no model (the last good checkpoint stays on disk). Weights
from a bad epoch are never saved.

Speed: bf16 autocast where the hardware has native bf16 (:func:`seraug.runtime.bf16_available`: bf16
GPUs, CPUs with AMX or AVX512-BF16) and channels_last (``amp``, ``channels_last`` in the config); on
CUDA also cuDNN autotuning (``cudnn.benchmark``, for the duration of the call).
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm.auto import tqdm

from seraug.errors import ConfigError, DataError, TrainingDivergedError
from seraug.features.logmel import LogMelConfig
from seraug.checkpoint import Checkpoint
from seraug.files import fingerprint
from seraug.gan.bundle import GANModel, sample_images
from seraug.gan.config import GANConfig
from seraug.gan.latent import ClassGaussians
from seraug.gan.logger import LossLog
from seraug.gan.models import ConvEncoder, Generator, build
from seraug.gan.diversity import mean_pairwise_distance
from seraug.gan.steps import Profile, ReconstructionLoss, autoencoder_step, gan_step, recalibrate_batch_norm, texture_loss
from seraug.features.normalise import MinMaxScaler
from seraug.runtime import autocast, bf16_available, check_labels, check_segments, epoch_seed, phase, resolve_device

PHASES = ("ae", "gan")
FINE_TUNING = ("gan_lr", "g_ema", "gan_epochs", "max_recoveries")
"""The settings that act only in step (c): a run may take its autoencoder from a run that differs in them
(``train_gan(autoencoder=...)``), and resume its own checkpoint with more ``gan_epochs``."""
DIVERSITY_SAMPLES = 16
"""Segments per class generated after every fine-tuning epoch to watch for mode collapse."""
CALIBRATION_CODES = 256
"""Codes (classes drawn uniformly, fixed seed) that G's batch-norm statistics are recomputed on."""


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


class _Diverged(Exception):
    """Internal: this epoch went bad; the message says how."""


# ----------------------------------------------------------------------------- the run

def _adam(params, lr: float, config: GANConfig) -> torch.optim.Adam:
    return torch.optim.Adam(params, lr=lr, betas=(config.beta1, config.beta2))


def _comparable(config: dict) -> dict:
    """A recorded GAN config (of any version: migrated, a field it lacks at its default) as today's, with its
    variant's name: the form two runs' configs are compared in."""
    config = dict(config)
    variant = config.pop("variant", "")
    return asdict(GANConfig.from_dict(config)) | {"variant": variant}

class _Run:
    """The mutable state of one training run: networks, optimisers, phase, epoch, history."""

    def __init__(self, X: np.ndarray, y: np.ndarray, class_names: list[str], config: GANConfig,
                 out_dir: Path | None, device: torch.device, progress: bool, variant: Variant = Variant()) -> None:
        self.config, self.device, self.out_dir = config, device, out_dir
        self.class_names, self.n_classes = class_names, len(class_names)
        self.amp = config.amp and bf16_available(device)
        self.memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
        self.checkpoint = Checkpoint(out_dir / "checkpoint.pt" if out_dir else None,
                                     config.to_dict() | {"variant": variant.name},
                                     fingerprint(X, y),
                                     free={"gan_epochs"}, same_form=_comparable, weights_only=False)
        self.data = torch.from_numpy(X).unsqueeze(1).to(device, memory_format=self.memory_format)
        self.labels = torch.from_numpy(y).to(device)
        torch.manual_seed(config.seed)  # weight initialisation
        self.nets = build(config.arch, self.n_classes, config.width, config.latent_dim, config.hidden,
                          config.dropout, config.leaky_slope)
        if variant.generator is not None:
            self.nets = self.nets._replace(generator=variant.generator(config, self.n_classes))
        self.variant = variant
        for net in self.nets:
            net.to(device, memory_format=self.memory_format)
        self.encoder, self.generator, self.discriminator = self.nets
        self.opt_ae = _adam([*self.encoder.parameters(), *self.generator.parameters()], config.ae_lr, config)
        self.reconstruction_loss: ReconstructionLoss = (variant.reconstruction_loss(self.generator)
                                                        if variant.reconstruction_loss else
                                                        texture_loss(config.ae_texture_weight))  # 0: the paper's MSE
        self.opt_g = self.opt_d = None
        self.generator_ema: AveragedModel | None = None  # fine-tuning with g_ema > 0 only
        self.phase, self.epoch, self.recoveries, self.lr_scale = "ae", 0, 0, 1.0
        self.gaussians: ClassGaussians | None = None
        self.real_diversity = [mean_pairwise_distance(X[y == k], config.seed) for k in range(self.n_classes)]
        self.watched: list[bool] = []  # per class: checked for mode collapse in fine-tuning
        self.progress = progress
        self.losses = LossLog(out_dir, progress)  # losses.csv, TensorBoard, events on the console

    # --- batches and checks

    def batches(self, generator: torch.Generator):
        """Index batches of ``batch_size`` covering one epoch: a shuffle of all segments (the ragged tail
        is dropped; batch norm needs >= 2)."""
        n, size = len(self.data), min(self.config.batch_size, len(self.data))
        order = torch.randperm(n, generator=generator).to(self.device)
        return [order[i : i + size] for i in range(0, len(order) - size + 1, size)]

    def codes(self, n: int, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` codes of uniformly drawn classes (paper: "uniformly distributed class labels"), and the classes."""
        conditioning = torch.randint(self.n_classes, (n,), generator=rng)
        return self.gaussians.sample(conditioning, rng).to(self.device), conditioning.to(self.device)

    def calibrate_generator(self) -> None:
        """G's batch-norm statistics from ``CALIBRATION_CODES`` fixed-seed codes (see the module docstring)."""
        z, _ = self.codes(CALIBRATION_CODES, torch.Generator().manual_seed(self.config.seed))
        with phase("gan batch-norm recalibration"), autocast(self.device, self.amp):
            recalibrate_batch_norm(self.sampling_generator, z.split(self.config.batch_size))

    def diversity_ratios(self) -> list[float]:
        """Per class: mean pairwise distance of ``DIVERSITY_SAMPLES`` fixed-seed samples (G in eval mode)
        divided by that of the class's real training segments (inf for a class with fewer than 2)."""
        ratios = []
        with phase("gan collapse watch"):
            for k, real in enumerate(self.real_diversity):
                samples = sample_images(self.sampling_generator, self.gaussians, k, DIVERSITY_SAMPLES,
                                        self.config.seed + k)
                ratios.append(mean_pairwise_distance(samples, self.config.seed) / real if real > 0 else math.inf)
        return ratios

    # --- the phases

    def autoencoder_epoch(self, rng: torch.Generator) -> dict:
        self.encoder.train()
        self.generator.train()
        total, batches = torch.zeros((), device=self.device), self.batches(rng)
        for idx in batches:
            total += autoencoder_step(self.encoder, self.generator, self.opt_ae, self.data[idx], self.amp,
                                      self.reconstruction_loss)
        loss = float(total) / len(batches)
        if not math.isfinite(loss):
            raise _Diverged(f"autoencoder loss is {loss}")
        return {"ae_loss": loss, "samples": len(batches) * len(batches[0])}

    def init_gan(self) -> None:
        """Step (b): class Gaussians of the encoder's codes, encoder trunk -> D trunk, fresh optimisers.

        The recovery count and learning-rate scale start again for fine-tuning.
        """
        self.encoder.eval()
        with phase("gan class normals"), torch.no_grad(), autocast(self.device, self.amp):
            recalibrate_batch_norm(self.encoder, self.data.split(self.config.batch_size))
            codes = torch.cat([self.encoder(batch).float().cpu() for batch in self.data.split(256)])
            self.gaussians = ClassGaussians.fit(codes.numpy(), self.labels.cpu().numpy(), self.n_classes)
        self.discriminator.trunk.load_state_dict(self.encoder.trunk.state_dict())
        self.fine_tuning_state()
        self.calibrate_generator()
        self.phase, self.epoch, self.recoveries, self.lr_scale = "gan", 0, 0, 1.0
        ratios = self.diversity_ratios()
        self.watched = [ratio >= self.config.collapse_ratio for ratio in ratios]
        low = [f"{name} ({ratio:.2g})" for name, ratio, ok in zip(self.class_names, ratios, self.watched) if not ok]
        if low:
            message = (f"after the autoencoder, generated segments of {', '.join(low)} vary less than "
                       f"collapse_ratio={self.config.collapse_ratio} times as much as the real ones: the autoencoder "
                       "is undertrained (raise ae_epochs); these classes are not watched for mode collapse")
            warnings.warn(message, stacklevel=2)
            self.log({"phase": self.phase, "epoch": self.epoch, "event": message})

    def fine_tuning_state(self) -> None:
        """Fresh Adam optimisers for G and D (``fine_tuning_lr``), none for the autoencoder, and with
        ``g_ema`` > 0 a moving average of G starting from G's present weights."""
        lr = self.config.fine_tuning_lr
        self.opt_g = _adam(self.generator.parameters(), lr, self.config)
        self.opt_d = _adam(self.discriminator.parameters(), lr, self.config)
        self.opt_ae = None
        self.generator_ema = None
        if self.config.g_ema:  # batch-norm statistics are not averaged: calibrate_generator measures them
            self.generator_ema = AveragedModel(self.generator, multi_avg_fn=get_ema_multi_avg_fn(self.config.g_ema))
            self.generator_ema.requires_grad_(False)

    @property
    def sampling_generator(self) -> Generator:
        """The G that generates (diversity checks, the model): G's moving average with ``g_ema`` > 0, else G."""
        return self.generator_ema.module if self.generator_ema is not None else self.generator

    def gan_epoch(self, rng: torch.Generator) -> dict:
        self.generator.train()
        self.discriminator.train()
        batches = self.batches(rng)
        total = torch.zeros(6, device=self.device)
        for idx in batches:
            total += gan_step(self.generator, self.discriminator, self.opt_g, self.opt_d, self.data[idx],
                              self.labels[idx], partial(self.codes, rng=rng), self.config.arch, self.amp,
                              self.variant.matching)
            if self.generator_ema is not None:
                self.generator_ema.update_parameters(self.generator)
        stats = (total / len(batches)).tolist()
        if not all(math.isfinite(v) for v in stats):
            raise _Diverged(f"fine-tuning losses are not finite (D real {stats[0]}, D fake {stats[1]}, G {stats[2]})")
        self.calibrate_generator()
        for k, ratio in enumerate(self.diversity_ratios()):
            threshold = self.config.collapse_ratio
            if self.watched[k] and not ratio >= threshold:  # NaN counts as collapse
                raise _Diverged(f"mode collapse in class {self.class_names[k]}: its generated segments vary "
                                f"{ratio:.2g} times as much as its real ones (collapse_ratio={threshold})")
        return {"d_loss_real": stats[0], "d_loss_fake": stats[1], "g_loss": stats[2], "d_acc_real": stats[3],
                "d_acc_fake": stats[4], "g_acc": stats[5], "samples": len(batches) * len(batches[0])}

    def run_epoch(self) -> None:
        """One epoch of the current phase; on divergence back to the last good state with half the LR."""
        seed = epoch_seed(self.config.seed, PHASES.index(self.phase), self.epoch, self.recoveries)
        torch.manual_seed(seed)  # dropout
        rng = torch.Generator().manual_seed(seed)  # batch order, classes, codes
        start = time.perf_counter()
        try:
            with phase("gan autoencoder" if self.phase == "ae" else "gan fine-tuning"):
                stats = (self.autoencoder_epoch if self.phase == "ae" else self.gan_epoch)(rng)
        except _Diverged as why:
            self.recover(str(why))
            return
        samples = stats.pop("samples")
        self.epoch += 1
        self.log({"phase": self.phase, "epoch": self.epoch, **stats, "lr": self.lr,
                  "samples_per_s": round(samples / (time.perf_counter() - start), 1)})
        self.save()

    def recover(self, why: str) -> None:
        where = f"{self.phase} epoch {self.epoch + 1}"
        if self.recoveries >= self.config.max_recoveries:
            kept = f"; the last good checkpoint is kept in {self.checkpoint.path}" if self.out_dir else ""
            raise TrainingDivergedError(
                f"training diverged in {where}: {why}. Gave up after {self.recoveries} recoveries "
                f"(max_recoveries={self.config.max_recoveries}){kept}. Try a lower learning rate.")
        recoveries, lr_scale = self.recoveries + 1, self.lr_scale / 2
        self.restore(self.checkpoint.last_good_state(self.device))
        self.recoveries, self.lr_scale = recoveries, lr_scale
        for optimizer in (self.opt_ae, self.opt_g, self.opt_d):
            for group in optimizer.param_groups if optimizer else ():
                group["lr"] = self.lr
        self.log({"phase": self.phase, "epoch": self.epoch, "lr": self.lr,
                  "event": f"{where}: {why}; back to the last good checkpoint, learning rate halved"})
        self.save()

    @property
    def lr(self) -> float:
        return (self.config.ae_lr if self.phase == "ae" else self.config.fine_tuning_lr) * self.lr_scale

    # --- checkpoints and logs

    def state(self) -> dict:
        optimizers = {"opt_ae": self.opt_ae, "opt_g": self.opt_g, "opt_d": self.opt_d}
        return {
            "phase": self.phase, "epoch": self.epoch,
            "recoveries": self.recoveries, "lr_scale": self.lr_scale, "history": self.losses.rows,
            "gaussians": self.gaussians.to_dict() if self.gaussians else None, "watched": self.watched,
            "encoder": self.encoder.state_dict() if self.phase == "ae" else None,
            "generator": self.generator.state_dict(), "discriminator": self.discriminator.state_dict(),
            "generator_ema": self.generator_ema.state_dict() if self.generator_ema is not None else None,
            **{name: opt.state_dict() if opt else None for name, opt in optimizers.items()},
        }

    def save(self) -> None:
        """The state as the last good one, on disk with ``out_dir`` (:class:`seraug.checkpoint.Checkpoint`)."""
        self.checkpoint.save(self.state())

    def restore(self, s: dict) -> None:
        self.phase, self.epoch, self.recoveries, self.lr_scale = s["phase"], s["epoch"], s["recoveries"], s["lr_scale"]
        self.losses.rows, self.watched = s["history"], s["watched"]
        self.gaussians = ClassGaussians.from_dict(s["gaussians"]) if s["gaussians"] else None
        if s["encoder"] is not None:
            self.encoder.load_state_dict(s["encoder"])
        self.generator.load_state_dict(s["generator"])
        self.discriminator.load_state_dict(s["discriminator"])
        if self.phase == "gan":
            self.fine_tuning_state()
            if s.get("generator_ema") is not None:
                self.generator_ema.load_state_dict(s["generator_ema"])
        for name in ("opt_ae", "opt_g", "opt_d"):
            if s[name] is not None:
                getattr(self, name).load_state_dict(s[name])

    def resume(self) -> bool:
        """Load ``out_dir/checkpoint.pt`` if there is one; ConfigError if it belongs to another run."""
        saved = self.checkpoint.load(self.device)
        if saved is not None and saved["phase"] == "gan" and saved["epoch"] > self.config.gan_epochs:
            raise ConfigError(f"{self.checkpoint.path}: holds {saved['epoch']} fine-tuning epochs, more than "
                              f"gan_epochs={self.config.gan_epochs}; use another folder, or more epochs")
        if saved is not None:
            self.restore(saved)
        return saved is not None

    def adopt_autoencoder(self, folder: Path) -> None:
        """Steps (a) and (b) from the checkpoint in ``folder``, of a run on the same data whose settings differ
        at most in :data:`FINE_TUNING` and whose autoencoder has finished; fine-tuning then starts afresh
        under this run's settings (its optimisers and G's moving average new)."""
        path = Path(folder) / "checkpoint.pt"
        donor = Checkpoint(path, self.checkpoint.config, self.checkpoint.fingerprint, free=FINE_TUNING,
                           same_form=_comparable, weights_only=False).load(self.device)
        if donor is None:
            raise ConfigError(f"{folder}: no checkpoint.pt to take the autoencoder from")
        if (donor["phase"], donor["epoch"]) not in (("gan", 0), ("ae", self.config.ae_epochs)):
            raise ConfigError(f"{path}: its autoencoder has not finished ({donor['phase']} epoch {donor['epoch']}); "
                              "train it to the end of step (a) first (gan_epochs=0)")
        self.restore({**donor, "opt_g": None, "opt_d": None, "generator_ema": None})

    def log(self, row: dict) -> None:
        self.losses.add(row, step=self.epoch + (self.config.ae_epochs if self.phase == "gan" else 0))

    def close(self) -> None:
        self.losses.close()


def _validate(X: np.ndarray, y: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    X = check_segments("X", X, (128, 128))
    y = check_labels("y", y, len(X), n_classes)
    if len(X) < 2:
        raise DataError(f"need at least 2 training segments, got {len(X)}")
    if X.min() < -1.001 or X.max() > 1.001:
        raise DataError(f"X must be min-max normalised into [-1, 1] (seraug.features.normalise.MinMaxScaler); "
                         f"got values in [{X.min():.3g}, {X.max():.3g}]")
    missing = np.flatnonzero(np.bincount(y, minlength=n_classes) == 0)
    if len(missing):
        raise DataError(f"classes {missing.tolist()} have no training segments")
    return X, y


# ----------------------------------------------------------------------------- the public entry point

def train_gan(
    X: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    config: GANConfig = GANConfig(),
    out_dir: str | Path | None = None,
    device: str | torch.device = "auto",
    *,
    class_names: list[str] | None = None,
    scaler: MinMaxScaler | None = None,
    features: LogMelConfig | None = None,
    speakers: list[str] | None = None,
    progress: bool = True,
    variant: Variant = Variant(),
    autoencoder: str | Path | None = None,
) -> GANModel:
    """Train the GAN of ``config.arch`` on normalised segments, in the paper's three steps.

    Args:
        X: training segments ``(N, 128, 128)``, min-max normalised into [-1, 1].
        y: ``(N,)`` integer classes in ``[0, n_classes)``; every class needs at least one segment.
        n_classes: K; D has K + 1 outputs.
        config: hyperparameters (see :class:`GANConfig`).
        out_dir: model folder: checkpoint after every epoch, ``losses.csv``, TensorBoard logs (when
            installed) and the final model. An unfinished run there is resumed; None keeps all in memory.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``...
        class_names: names of the K classes (default ``"0"``..``"K-1"``).
        scaler, features: stored in the model, so it can map samples back to dB and audio.
        speakers: the speakers of ``X``, recorded in the model (``model.json``) against speaker leakage.
        variant: research hooks (:class:`Variant`; ``benchmarks/gan_variants.py``); a variant's model is kept in
            memory and in ``out_dir``'s checkpoint, but :meth:`GANModel.load` rebuilds only the recipes' networks.
        progress: show a progress bar over epochs.
        autoencoder: a model folder (``out_dir`` of another run on the same data, trained with ``gan_epochs=0``)
            whose autoencoder and class Gaussians to start fine-tuning from instead of training them; its
            settings may differ from ``config`` only in :data:`FINE_TUNING`. Ignored when ``out_dir`` holds a
            checkpoint of this run (that is resumed).

    Returns:
        The trained :class:`GANModel` (networks in eval mode, on ``device``).

    Raises:
        ValueError: bad ``X``/``y``, or ``out_dir`` holds a checkpoint of another run.
        TrainingDivergedError: non-finite losses or mode collapse persisted through ``max_recoveries``.
    """
    X, y = _validate(X, y, n_classes)
    if class_names is not None and len(class_names) != n_classes:
        raise ConfigError(f"class_names has {len(class_names)} names for {n_classes} classes")
    class_names = list(class_names or map(str, range(n_classes)))
    out = Path(out_dir) if out_dir is not None else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(device)
    cuda = device.type == "cuda"
    autotune = torch.backends.cudnn.flags(enabled=True, benchmark=True) if cuda else contextlib.nullcontext()
    with torch.random.fork_rng(devices=[device] if cuda else []), autotune:
        run = _Run(X, y, class_names, config, out, device, progress, variant)
        total = config.ae_epochs + config.gan_epochs
        try:
            if not run.resume():
                if autoencoder is not None:
                    run.adopt_autoencoder(Path(autoencoder))
                run.save()  # the fresh start is the first "last good" state
            with tqdm(total=total, desc=f"gan ({config.arch})", unit="epoch", disable=not progress) as bar:
                def show() -> None:
                    bar.n = run.epoch + (config.ae_epochs if run.phase == "gan" else 0)
                    last = run.losses.rows[-1] if run.losses.rows else {}
                    bar.set_postfix({k: f"{last[k]:.4g}" for k in ("ae_loss", "d_loss_real", "g_loss")
                                     if isinstance(last.get(k), float)})

                show()
                while run.phase == "ae" and run.epoch < config.ae_epochs:  # step (a)
                    run.run_epoch()
                    show()
                if run.phase == "ae":  # step (b)
                    run.init_gan()
                    run.save()
                while run.epoch < config.gan_epochs:  # step (c)
                    run.run_epoch()
                    show()
        finally:
            run.close()
    # Back to the default layout: the model then generates exactly what it will after GANModel.load.
    generator, discriminator = (net.eval().to(memory_format=torch.contiguous_format)
                                for net in (run.sampling_generator, run.discriminator))
    model = GANModel(config, class_names, generator, discriminator, run.gaussians, scaler, features, speakers)
    if out:
        model.save(out)
    return model


def train_autoencoder(
    X: np.ndarray, y: np.ndarray, n_classes: int, config: GANConfig = GANConfig(), device: str | torch.device = "auto",
    variant: Variant = Variant(),
) -> tuple[ConvEncoder, Generator]:
    """Step (a) alone, in memory: the encoder and decoder (G) after ``config.ae_epochs`` epochs, in eval mode.

    The same epochs as in :func:`train_gan` (seeds, recovery), without checkpoints. For diagnosis: every
    generated segment is this decoder's drawing, sharpened by fine-tuning, so what it cannot reconstruct
    (``benchmarks/gan_autoencoder.py``: the harmonic striations) fine-tuning has to add from nothing.
    ``X``, ``y`` as in :func:`train_gan`; ``variant``: another G or reconstruction loss to try (:class:`Variant`).
    """
    X, y = _validate(X, y, n_classes)
    device = resolve_device(device)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        run = _Run(X, y, list(map(str, range(n_classes))), config, None, device, progress=False, variant=variant)
        while run.epoch < config.ae_epochs:
            run.run_epoch()
    run.encoder.eval()
    with torch.no_grad(), autocast(device, run.amp):
        recalibrate_batch_norm(run.encoder, run.data.split(config.batch_size))
        recalibrate_batch_norm(run.generator, [run.encoder(batch) for batch in run.data.split(config.batch_size)])
    return run.encoder.eval(), run.generator.eval()

