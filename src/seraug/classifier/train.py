"""Training the VGG19 segment classifier: AdamW, an optional one-cycle schedule, early stopping on
validation UAR, best epoch kept.

The loop (:func:`fit`) reads top to bottom like nanoGPT's: set up the device (and the process group
under ``torchrun``), build the model, then per epoch shuffle, take gradient steps, validate, keep the
best weights, checkpoint, and stop when the validation UAR has not improved for ``patience`` epochs.

Inputs are segments ``X`` float32 ``(N, 128, 128)`` already min-max normalised to [-1, 1] by the caller
(:class:`seraug.features.normalise.MinMaxScaler` fitted on the training part) and labels ``y`` int64 ``(N,)``.
Validation is measured like the paper's test metric: segment probabilities voted per utterance, then
UAR (:mod:`seraug.classifier.metrics`). The validation set comes from training speakers only; the
caller builds it (:mod:`seraug.experiment.folds`).

Speed: channels-last memory layout and bf16 autocast (``amp``) where the hardware has native bf16
(:func:`seraug.runtime.bf16_available`: bf16 GPUs, CPUs with AMX / AVX512-BF16); on CUDA also fused
AdamW, cuDNN autotuning and the training set staged on the GPU when it fits; optionally ``torch.compile``.

Reproducibility: every random step is seeded from ``config.seed`` (initial weights; a per-epoch
shuffle generator; a per-epoch, per-rank seed for dropout), so a run on the CPU with the same seed,
data and thread count gives identical weights and metrics; deterministic algorithms are enforced on
the CPU. CUDA runs use autotuned (non-deterministic) kernels. :func:`fit` restores the caller's global
RNG state when it returns. A run resumed from a checkpoint continues exactly as if uninterrupted.

Several GPUs: run the caller's script under ``torchrun --nproc_per_node N``. :func:`fit` reads
``WORLD_SIZE``/``RANK``/``LOCAL_RANK``, joins the process group (NCCL on CUDA, gloo on the CPU), wraps
the model in DistributedDataParallel and shards every epoch with a DistributedSampler, each rank taking
``batch_size / N`` segments per step; gradients are averaged, so a step sees the same ``batch_size``
segments as one process would. On CUDA batch norm is synchronised across ranks (SyncBatchNorm), which
makes the N-process run the one-process run up to floating-point rounding, except for dropout masks
(each rank draws its own). On the CPU (gloo) PyTorch has no SyncBatchNorm: each rank normalises with
the statistics of its own ``batch_size / N`` segments, a small change of the training noise, not of
the method. Rank 0 validates and writes checkpoints while the others wait; the scores are broadcast,
so every rank keeps the same history, stops at the same epoch and returns the same model.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel
from torch.utils.data.distributed import DistributedSampler
from tqdm.auto import tqdm

from seraug.classifier.config import TrainConfig
from seraug.classifier.inference import as_input, predict_proba, save_model
from seraug.classifier.metrics import evaluate
from seraug.classifier.optim import average_into, lr_schedule
from seraug.classifier.vgg import VGG19
from seraug.errors import ConfigError, DataError
from seraug.checkpoint import Checkpoint
from seraug.files import fingerprint
from seraug.features.normalise import MinMaxScaler
from seraug.runtime import (
    Distributed,
    autocast,
    check_labels,
    check_segments,
    epoch_seed,
    init_distributed,
    phase,
    resolve_device,
    training_scope,
)

UNNORMALISED = 10.0
"""|value| above which training segments are taken for un-normalised dB and refused."""


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes:
        model: the VGG19 with the weights of the best validation epoch, in eval mode, on the training
            device (a plain model: no DDP wrapper, no compilation, no SyncBatchNorm).
        history: one dict per epoch run: ``epoch`` (1-based), ``train_loss`` (mean cross-entropy over
            the epoch's steps), ``val_uar``, ``val_f_score``, ``val_accuracy`` (utterance level),
            ``train_seconds`` (wall time of the epoch's steps) and ``samples_per_s`` (training
            segments per second, all ranks). ``pandas.DataFrame(history).to_csv(...)`` saves it.
        best_epoch: 1-based epoch whose weights ``model`` holds.
        best_val_uar: its validation UAR.
        stopped_early: True if training stopped on ``patience`` before ``epochs``.
    """

    model: VGG19
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_val_uar: float = -1.0
    stopped_early: bool = False


def _stage(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """The whole array as a tensor: on the GPU if it takes under a quarter of the free memory, else on the CPU."""
    tensor = torch.from_numpy(array)
    if device.type == "cuda" and tensor.nbytes < torch.cuda.mem_get_info(device)[0] // 4:
        return tensor.to(device)
    return tensor


def _cpu_copy(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def _check_inputs(X_train, y_train, X_val, y_val, val_utterances, n_classes: int, select: str
                  ) -> tuple[np.ndarray, ...]:
    """Validate :func:`fit`'s arrays; return them as float32 / int64 / 1-D ids.

    An empty validation set is allowed with ``select="last"`` (nothing to select an epoch by).
    """
    X_train = check_segments("X_train", X_train)
    if select == "last" and len(X_val) == 0:
        X_val = np.zeros((0, *X_train.shape[1:]), dtype=np.float32)
    else:
        X_val = check_segments("X_val", X_val)
    y_train = check_labels("y_train", y_train, len(X_train), n_classes)
    y_val = check_labels("y_val", y_val, len(X_val), n_classes)
    val_utterances = np.asarray(val_utterances)
    if val_utterances.shape != (len(X_val),):
        raise DataError(f"val_utterances must have shape ({len(X_val)},) like X_val, got {val_utterances.shape}")
    if X_val.shape[1:] != X_train.shape[1:]:
        raise DataError(f"X_val segments are {X_val.shape[1:]} but X_train segments {X_train.shape[1:]}")
    low, high = float(X_train.min()), float(X_train.max())
    if max(-low, high) > UNNORMALISED:
        raise DataError(f"X_train spans [{low:.1f}, {high:.1f}]: segments must be min-max normalised to [-1, 1] "
                         "first (seraug.features.normalise.MinMaxScaler fitted on the training part)")
    return X_train, y_train, X_val, y_val, val_utterances


def _setup_device(config: TrainConfig) -> tuple[torch.device, Distributed]:
    """The device this process trains on (``cuda:LOCAL_RANK`` under torchrun) and its place in the job."""
    device = resolve_device(config.device)
    ddp = init_distributed(device.type)
    if config.batch_size % ddp.world_size:
        raise ConfigError(f"batch_size {config.batch_size} is not divisible by the {ddp.world_size} processes")
    if device.type == "cuda":
        device = torch.device("cuda", ddp.local_rank if ddp.world_size > 1 else device.index or 0)
        torch.cuda.set_device(device)
    return device, ddp


def fit(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    val_utterances: np.ndarray,
    n_classes: int,
    config: TrainConfig = TrainConfig(),
    checkpoint_dir: str | Path | None = None,
    progress: bool = True,
    scaler: MinMaxScaler | None = None,
    class_weight: np.ndarray | None = None,
) -> FitResult:
    """Train VGG19 on segments; keep the weights of the epoch with the best validation UAR.

    Args:
        X_train: ``(N, H, W)`` float32 training segments, min-max normalised to [-1, 1].
        y_train: ``(N,)`` int class indices in ``[0, n_classes)``.
        X_val: ``(M, H, W)`` validation segments (training speakers only), normalised the same way.
        y_val: ``(M,)`` int class indices.
        val_utterances: ``(M,)`` utterance id of each validation segment (segments are voted per utterance).
        n_classes: number of classes ``K``.
        config: hyper-parameters and device (:class:`TrainConfig`).
        checkpoint_dir: if given, rank 0 writes ``checkpoint.pt`` after every epoch (and resumes from
            it when it already holds the same run on the same data, raising ValueError if it holds a
            different one; only ``epochs`` may change) and ``model.pt`` (:func:`save_model`) at the end.
        progress: show a progress bar (rank 0 only).
        scaler: the normalisation that made ``X_train`` (kept as ``model.scaler`` and saved in ``model.pt``).
        class_weight: ``(n_classes,)`` weights of each class's segments in the cross-entropy (None: all 1; the
            ``weighted`` strategy passes inverse class frequencies).

    Returns:
        A :class:`FitResult` (the best model and the per-epoch history), the same on every rank.
    """
    X_train, y_train, X_val, y_val, val_utterances = _check_inputs(
        X_train, y_train, X_val, y_val, val_utterances, n_classes, config.select)
    device, ddp = _setup_device(config)
    layout = torch.channels_last if config.channels_last else torch.contiguous_format
    weights = (np.ones(n_classes) if class_weight is None else np.asarray(class_weight, dtype=np.float64))
    if weights.shape != (n_classes,) or not (weights > 0).all():
        raise ConfigError(f"class_weight must be {n_classes} positive numbers, got {class_weight!r}")
    # Under the constant schedule `epochs` may differ on resume (a run extended); onecycle spans `epochs`.
    checkpoint = Checkpoint(
        Path(checkpoint_dir) / "checkpoint.pt", config.to_dict(),
        fingerprint(X_train, y_train, X_val, y_val, val_utterances, *([weights] if class_weight is not None else [])),
        free={"epochs"} if config.schedule == "constant" else ()) if checkpoint_dir is not None else None

    with contextlib.ExitStack() as scope:
        scope.enter_context(training_scope(device))
        if device.type == "cpu":
            scope.callback(torch.use_deterministic_algorithms, torch.are_deterministic_algorithms_enabled())
            torch.use_deterministic_algorithms(True)

        # Model and optimiser, resumed from the checkpoint if it holds this run.
        torch.manual_seed(config.seed)
        model = VGG19(n_classes, config.width, config.batch_norm, config.dropout, X_train.shape[1:], config.head)
        model_config = model.config
        if ddp.world_size > 1 and device.type == "cuda" and config.sync_batchnorm:
            model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
        model = model.to(device, memory_format=layout)
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                                      fused=device.type == "cuda")
        rank_batch = config.batch_size // ddp.world_size
        sampler = DistributedSampler(range(len(X_train)), num_replicas=ddp.world_size, rank=ddp.rank,
                                     shuffle=True, seed=config.seed)
        steps_per_epoch = -(-len(sampler) // rank_batch)
        schedule = lr_schedule(optimizer, config, steps_per_epoch)
        averaged = AveragedModel(model, use_buffers=False) if config.average_epochs else None
        history: list[dict] = []
        best_epoch, best_uar, best_weights, stopped = 0, -1.0, {}, False
        saved = checkpoint.load() if checkpoint is not None else None
        if saved is not None:
            model.load_state_dict(saved["model"])
            if averaged is not None:
                averaged.load_state_dict(saved["average"])
            optimizer.load_state_dict(saved["optimizer"])
            schedule.load_state_dict(saved["schedule"])
            history, best_epoch, best_uar = saved["history"], saved["best_epoch"], saved["best_uar"]
            best_weights, stopped = saved["best_weights"], saved["stopped"]
        train_model = torch.compile(model) if config.compile else model
        if ddp.world_size > 1:
            train_model = DistributedDataParallel(
                train_model, device_ids=[device.index] if device.type == "cuda" else None)

        # Data: one in-memory tensor indexed per batch; each rank takes its shard of every epoch.
        X_all, y_all = _stage(X_train, device), _stage(y_train, device)
        loss_weight = torch.tensor(weights, dtype=torch.float32, device=device) if class_weight is not None else None
        first_epoch, last_epoch = len(history), len(history) if stopped else config.epochs
        bar = tqdm(total=max(0, last_epoch - first_epoch) * steps_per_epoch, desc="VGG19",
                   unit="step", disable=not (progress and ddp.is_main))

        for epoch in range(first_epoch, last_epoch):
            # Train one epoch.
            torch.manual_seed(epoch_seed(config.seed, epoch, ddp.rank))
            sampler.set_epoch(epoch)
            order = torch.tensor(list(sampler), device=X_all.device)
            model.train()
            loss_sum = torch.zeros((), device=device)
            started = time.perf_counter()
            for start in range(0, len(order), rank_batch):
                index = order[start : start + rank_batch]
                x, y = as_input(X_all[index], device), y_all[index].to(device, non_blocking=True)
                with autocast(device, config.amp):
                    loss = F.cross_entropy(train_model(x), y, weight=loss_weight,
                                           label_smoothing=config.label_smoothing)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                loss_sum += loss.detach() * len(index)
                bar.update()
            totals = torch.stack([loss_sum, torch.tensor(float(len(order)), device=device)])
            if ddp.world_size > 1:
                dist.all_reduce(totals)
            loss_sum_all, seen = totals.tolist()  # waits for the GPU, so the time below is real
            seconds = time.perf_counter() - started
            if not np.isfinite(loss_sum_all):
                raise FloatingPointError(f"VGG19 training diverged in epoch {epoch + 1} (non-finite loss); "
                                         f"lower the learning rate (now {config.lr})")
            if averaged is not None and epoch >= config.epochs - config.average_epochs:
                averaged.update_parameters(model)
                if epoch + 1 == config.epochs:  # the average becomes the model validated, kept and returned
                    average_into(model, averaged, X_all[order], rank_batch, device, config.amp)

            # Validate on rank 0 (utterance-level, after voting) and share the scores with every rank.
            scores = torch.full((3,), float("nan"), dtype=torch.float64, device=device)
            if ddp.is_main and len(X_val):
                with phase("classifier validation"):
                    metrics = evaluate(predict_proba(model, X_val, config.eval_batch_size, amp=config.amp),
                                       y_val, val_utterances)
                scores = torch.tensor([metrics["uar"], metrics["f_score"], metrics["accuracy"]],
                                      dtype=torch.float64, device=device)
            if ddp.world_size > 1:
                dist.broadcast(scores, src=0)
            val_uar, val_f, val_acc = scores.tolist()
            history.append({"epoch": epoch + 1, "train_loss": loss_sum_all / seen, "val_uar": val_uar,
                            "val_f_score": val_f, "val_accuracy": val_acc, "train_seconds": seconds,
                            "samples_per_s": seen / seconds, "lr": optimizer.param_groups[0]["lr"]})

            # Keep the best weights and stop after `patience` epochs without a better UAR (or keep the last).
            if val_uar > best_uar or config.select == "last":
                best_epoch, best_uar, best_weights = epoch + 1, val_uar, _cpu_copy(model)
            stopped = config.select == "best" and epoch + 1 - best_epoch >= config.patience
            bar.set_postfix(loss=f"{loss_sum_all / seen:.3f}", val_uar=f"{val_uar:.3f}", best=best_epoch)
            if checkpoint is not None and ddp.is_main:
                checkpoint.save({
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
                    "average": averaged.state_dict() if averaged is not None else None,
                    "history": history, "best_epoch": best_epoch, "best_uar": best_uar,
                    "best_weights": best_weights, "stopped": stopped})
            if stopped:
                break
        bar.close()

        # The best weights, identical on every rank (rank 0's batch-norm statistics where they differ).
        if ddp.world_size > 1:
            for tensor in best_weights.values():
                shared = tensor.to(device)
                dist.broadcast(shared, src=0)
                tensor.copy_(shared.cpu())
        best = VGG19(**model_config)
        best.load_state_dict(best_weights)
        best = best.to(device, memory_format=layout).eval()
        best.scaler = scaler
        if checkpoint is not None and ddp.is_main:
            save_model(best, checkpoint.path.parent / "model.pt")
    return FitResult(best, history, best_epoch, best_uar, stopped and len(history) < config.epochs)
