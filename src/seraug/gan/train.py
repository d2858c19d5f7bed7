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

Divergence (:mod:`seraug.gan.watch`): after every epoch the mean losses must be finite and, in fine-tuning,
every watched class's diversity ratio (generated over real variation; about 0 when G ignores its code) must stay
at or above ``collapse_ratio``. Otherwise training goes back to the last good checkpoint with half the learning
rate, at most ``max_recoveries`` times per step, then raises :class:`TrainingDivergedError` (the last good
checkpoint stays on disk; weights from a bad epoch are never saved).

Speed: bf16 autocast where the hardware has native bf16 (:func:`seraug.runtime.bf16_available`: bf16
GPUs, CPUs with AMX or AVX512-BF16) and channels_last (``amp``, ``channels_last`` in the config); on
CUDA also cuDNN autotuning (``cudnn.benchmark``, for the duration of the call).
"""

from __future__ import annotations

import math
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from seraug.checkpoint import Checkpoint
from seraug.errors import ConfigError, DataError
from seraug.features.logmel import LogMelConfig
from seraug.features.normalise import MinMaxScaler
from seraug.gan.bundle import GANModel
from seraug.gan.config import GANConfig
from seraug.gan.latent import ClassGaussians
from seraug.gan.logger import LossLog
from seraug.gan.models import ConvEncoder, Generator
from seraug.gan.state import TrainingState, Variant, checkpoint_of, resume_or_start
from seraug.gan.steps import autoencoder_step, gan_step, recalibrate_batch_norm
from seraug.gan.watch import calibrate_generator, collapsed, diversity_ratios, recover
from seraug.runtime import autocast, check_labels, check_segments, epoch_seed, phase, resolve_device, training_scope

PHASES = ("ae", "gan")


class _Diverged(Exception):
    """Internal: this epoch went bad; the message says how."""


# ----------------------------------------------------------------------------- the three steps

def _batches(state: TrainingState, rng: torch.Generator) -> list[torch.Tensor]:
    """Index batches of ``batch_size`` covering one epoch: a shuffle of all segments (the ragged tail is
    dropped; batch norm needs >= 2)."""
    n, size = len(state.data), min(state.config.batch_size, len(state.data))
    order = torch.randperm(n, generator=rng).to(state.device)
    return [order[i : i + size] for i in range(0, len(order) - size + 1, size)]


def autoencoder_epoch(state: TrainingState, rng: torch.Generator) -> dict:
    """Step (a), one epoch: reconstruct every segment (encoder -> G), the config's reconstruction loss."""
    state.encoder.train()
    state.generator.train()
    total, batches = torch.zeros((), device=state.device), _batches(state, rng)
    for idx in batches:
        total += autoencoder_step(state.encoder, state.generator, state.opt_ae, state.data[idx], state.amp,
                                  state.reconstruction_loss)
    loss = float(total) / len(batches)
    if not math.isfinite(loss):
        raise _Diverged(f"autoencoder loss is {loss}")
    return {"ae_loss": loss, "samples": len(batches) * len(batches[0])}


def init_gan(state: TrainingState) -> str | None:
    """Step (b): class Gaussians of the encoder's codes, encoder trunk -> D trunk, fresh optimisers; the
    classes to watch for collapse. Returns a warning when a class already varies too little to watch."""
    state.encoder.eval()
    with phase("gan class normals"), torch.no_grad(), autocast(state.device, state.amp):
        recalibrate_batch_norm(state.encoder, state.data.split(state.config.batch_size))
        codes = torch.cat([state.encoder(batch).float().cpu() for batch in state.data.split(256)])
        state.gaussians = ClassGaussians.fit(codes.numpy(), state.labels.cpu().numpy(), state.n_classes)
    state.discriminator.trunk.load_state_dict(state.encoder.trunk.state_dict())
    state.start_fine_tuning()
    calibrate_generator(state)
    state.phase, state.epoch, state.recoveries, state.lr_scale = "gan", 0, 0, 1.0
    ratios = diversity_ratios(state)
    state.watched = [ratio >= state.config.collapse_ratio for ratio in ratios]
    low = [f"{name} ({ratio:.2g})" for name, ratio, ok in zip(state.class_names, ratios, state.watched) if not ok]
    if not low:
        return None
    return (f"after the autoencoder, generated segments of {', '.join(low)} vary less than "
            f"collapse_ratio={state.config.collapse_ratio} times as much as the real ones: the autoencoder "
            "is undertrained (raise ae_epochs); these classes are not watched for mode collapse")


def gan_epoch(state: TrainingState, rng: torch.Generator) -> dict:
    """Step (c), one epoch: D and G take turns on every batch of real segments (:func:`gan_step`); then G's
    batch-norm statistics are measured and every watched class is checked for collapse."""
    state.generator.train()
    state.discriminator.train()
    batches = _batches(state, rng)
    total = torch.zeros(6, device=state.device)
    for idx in batches:
        total += gan_step(state.generator, state.discriminator, state.opt_g, state.opt_d, state.data[idx],
                          state.labels[idx], partial(state.codes, rng=rng), state.config.arch, state.amp,
                          state.variant.matching)
        if state.generator_ema is not None:
            state.generator_ema.update_parameters(state.generator)
    stats = (total / len(batches)).tolist()
    if not all(math.isfinite(v) for v in stats):
        raise _Diverged(f"fine-tuning losses are not finite (D real {stats[0]}, D fake {stats[1]}, G {stats[2]})")
    calibrate_generator(state)
    why = collapsed(state)
    if why:
        raise _Diverged(why)
    return {"d_loss_real": stats[0], "d_loss_fake": stats[1], "g_loss": stats[2], "d_acc_real": stats[3],
            "d_acc_fake": stats[4], "g_acc": stats[5], "samples": len(batches) * len(batches[0])}


def run_epoch(state: TrainingState, checkpoint: Checkpoint, log: LossLog) -> None:
    """One epoch of the present step, seeded by ``(seed, step, epoch, recoveries)``, then logged and saved; on
    divergence back to the last good state with half the learning rate (:func:`seraug.gan.watch.recover`)."""
    seed = epoch_seed(state.config.seed, PHASES.index(state.phase), state.epoch, state.recoveries)
    torch.manual_seed(seed)  # dropout
    rng = torch.Generator().manual_seed(seed)  # batch order, classes, codes
    start = time.perf_counter()
    try:
        with phase("gan autoencoder" if state.phase == "ae" else "gan fine-tuning"):
            stats = (autoencoder_epoch if state.phase == "ae" else gan_epoch)(state, rng)
    except _Diverged as why:
        event = recover(state, checkpoint, str(why))
        _log(state, log, {"lr": state.lr, "event": event})
        checkpoint.save(state.to_dict())
        return
    samples = stats.pop("samples")
    state.epoch += 1
    _log(state, log, {**stats, "lr": state.lr, "samples_per_s": round(samples / (time.perf_counter() - start), 1)})
    checkpoint.save(state.to_dict())


def _log(state: TrainingState, log: LossLog, row: dict) -> None:
    log.add({"phase": state.phase, "epoch": state.epoch, **row},
            step=state.epoch + (state.config.ae_epochs if state.phase == "gan" else 0))


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
            settings may differ from ``config`` only in :data:`seraug.gan.state.FINE_TUNING`. Ignored when ``out_dir`` holds a
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
    with training_scope(device):
        state = TrainingState.new(X, y, class_names, config, device, variant)
        checkpoint = checkpoint_of(out, state, X, y)
        log = LossLog(out, progress)  # losses.csv, TensorBoard, events on the console
        log.rows = state.history
        try:
            resume_or_start(state, checkpoint, Path(autoencoder) if autoencoder is not None else None, X, y)
            with tqdm(total=config.ae_epochs + config.gan_epochs, desc=f"gan ({config.arch})", unit="epoch",
                      disable=not progress) as bar:
                def show() -> None:
                    bar.n = state.epoch + (config.ae_epochs if state.phase == "gan" else 0)
                    last = state.history[-1] if state.history else {}
                    bar.set_postfix({k: f"{last[k]:.4g}" for k in ("ae_loss", "d_loss_real", "g_loss")
                                     if isinstance(last.get(k), float)})

                show()
                while state.phase == "ae" and state.epoch < config.ae_epochs:  # step (a)
                    run_epoch(state, checkpoint, log)
                    show()
                if state.phase == "ae":  # step (b)
                    warning = init_gan(state)
                    if warning:
                        warnings.warn(warning, stacklevel=2)
                        _log(state, log, {"event": warning})
                    checkpoint.save(state.to_dict())
                while state.epoch < config.gan_epochs:  # step (c)
                    run_epoch(state, checkpoint, log)
                    show()
        finally:
            log.close()
    # Back to the default layout: the model then generates exactly what it will after GANModel.load.
    generator, discriminator = (net.eval().to(memory_format=torch.contiguous_format)
                                for net in (state.sampling_generator, state.discriminator))
    model = GANModel(config, class_names, generator, discriminator, state.gaussians, scaler, features, speakers)
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
    with training_scope(device):
        state = TrainingState.new(X, y, list(map(str, range(n_classes))), config, device, variant)
        checkpoint, log = checkpoint_of(None, state, X, y), LossLog(None, progress=False)
        checkpoint.save(state.to_dict())
        while state.epoch < config.ae_epochs:
            run_epoch(state, checkpoint, log)
    state.encoder.eval()
    with torch.no_grad(), autocast(device, state.amp):
        recalibrate_batch_norm(state.encoder, state.data.split(config.batch_size))
        recalibrate_batch_norm(state.generator, [state.encoder(b) for b in state.data.split(config.batch_size)])
    return state.encoder.eval(), state.generator.eval()

