"""The classifier's optimisation beyond AdamW's step: the learning-rate schedule of a :class:`TrainConfig`, and the
average of the last epochs' weights (``average_epochs``) with its batch-norm statistics measured again."""

from __future__ import annotations

import torch
from torch.optim.swa_utils import AveragedModel, update_bn

from seraug.classifier.config import TrainConfig
from seraug.classifier.inference import as_input
from seraug.runtime import autocast


def lr_schedule(optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int
              ) -> torch.optim.lr_scheduler.LRScheduler:
    """The learning-rate schedule of ``config.schedule``, stepped once per optimiser step."""
    if config.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, epochs=config.epochs,
                                                   steps_per_epoch=steps_per_epoch, pct_start=config.warmup)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)


def average_into(model: torch.nn.Module, averaged: AveragedModel, X: torch.Tensor, batch_size: int,
                  device: torch.device, amp: bool) -> None:
    """Copy the averaged weights into ``model`` and recompute its batch-norm statistics on ``X``.

    Running statistics gathered along the way belong to no single one of the averaged weights, so they
    are measured again: one pass over the training segments in train mode, without gradients
    (``torch.optim.swa_utils.update_bn``, a cumulative average over the batches).
    """
    with torch.no_grad():
        for target, source in zip(model.parameters(), averaged.module.parameters()):
            target.copy_(source)
    with autocast(device, amp):
        update_bn((as_input(X[start : start + batch_size], device) for start in range(0, len(X), batch_size)), model)
