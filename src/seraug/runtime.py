"""Torch plumbing shared by every trainer: the device, bf16 autocast, per-epoch seeds.

- :func:`resolve_device`: a device name (``auto``, ``cpu``, ``cuda``, ``cuda:N``) checked once.
- :func:`bf16_available` / :func:`autocast`: bf16 mixed precision where the hardware runs it fast:
  CUDA GPUs with bf16 support, and CPUs with AMX tiles or AVX512-BF16 (Intel Sapphire Rapids and later,
  AMD Zen 4 and later), where oneDNN runs bf16 convolutions on those units when the tensors are
  channels-last. Elsewhere (an older CPU) bf16 would be emulated and slower, so autocast stays off and
  training runs in fp32. The check happens at run time, on the machine that trains.
- :func:`training_scope`: the random state and cuDNN settings every trainer runs inside.
- :func:`epoch_seed`: an independent, reproducible seed per (run, epoch, ...) so that a resumed run
  draws the same dropout masks and batches as an uninterrupted one.
- :func:`init_distributed`: this process's place in a ``torchrun`` job (:class:`Distributed`).
- :func:`check_segments` / :func:`check_labels`: the input checks every trainer makes, with one wording.
- :func:`phase` / :func:`take_phases`: where a cell's time goes (a cell records it; ``benchmarks/cell_cost.py``).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist

from seraug.errors import ConfigError, DataError


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """The torch device to compute on: ``"auto"`` (CUDA when available, else the CPU), ``"cpu"``,
    ``"cuda"`` or ``"cuda:N"``.

    Raises ValueError for any other name (``"gpu"``) or a CUDA device this machine's torch cannot see.
    """
    name = str(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not re.fullmatch(r"cpu|cuda(:\d+)?", name):
        raise ConfigError(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N")
    resolved = torch.device(name)
    if resolved.type == "cuda" and (resolved.index or 0) >= torch.cuda.device_count():
        raise ConfigError(f"device {name!r} is not available: torch sees {torch.cuda.device_count()} CUDA "
                         f"device(s) here; use auto or cpu")
    return resolved


@functools.cache
def cpu_has_bf16() -> bool:
    """True when this CPU has AMX tiles or AVX512-BF16 instructions (native bf16 maths for oneDNN)."""
    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def bf16_available(device: torch.device) -> bool:
    """Whether bf16 autocast is native (fast) on ``device``: a bf16 GPU, or a CPU with AMX / AVX512-BF16."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and cpu_has_bf16()


def autocast(device: torch.device, amp: bool) -> contextlib.AbstractContextManager:
    """bf16 autocast on ``device`` when ``amp`` and :func:`bf16_available`; a no-op context otherwise.

    Under it convolutions and matrix products run in bf16 (8-bit mantissa) and reductions such as the
    loss in fp32; weights and optimiser state stay fp32.
    """
    if amp and bf16_available(device):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


@contextlib.contextmanager
def training_scope(device: torch.device) -> Iterator[None]:
    """What every trainer runs inside: the caller's random state restored afterwards (a trainer seeds each of its
    own steps, :func:`epoch_seed`), and on CUDA autotuned convolutions (``cudnn.benchmark``: faster, not bitwise
    reproducible) for the duration."""
    cuda = device.type == "cuda"
    autotune = torch.backends.cudnn.flags(enabled=True, benchmark=True) if cuda else contextlib.nullcontext()
    with torch.random.fork_rng(devices=[device] if cuda else []), autotune:
        yield


def epoch_seed(seed: int, *parts: int) -> int:
    """A 32-bit seed for one ``(seed, *parts)`` (e.g. run seed, epoch, rank), independent of the others."""
    return int(np.random.SeedSequence([seed, *parts]).generate_state(1)[0])


@dataclass(frozen=True)
class Distributed:
    """This process's place in a torchrun job (``world_size`` 1 without torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed(device_type: str) -> Distributed:
    """Join the torchrun process group if ``WORLD_SIZE`` > 1 (NCCL for CUDA, gloo for the CPU).

    Idempotent: a group that is already initialised is reused, so a caller may call :func:`fit` many
    times. The caller may ``torch.distributed.destroy_process_group()`` at the end of its script.
    Collective operations wait up to 12 hours, since ranks may wait while rank 0 prepares data.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return Distributed()
    if not dist.is_initialized():  # a long timeout: other ranks may wait while rank 0 trains a GAN
        dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo",
                                timeout=datetime.timedelta(hours=12))
    return Distributed(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def check_segments(name: str, X: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
    """``X`` as a contiguous float32 ``(N, H, W)`` array of segments, N > 0, all finite (and ``(H, W) ==
    size`` when given); a ValueError naming ``name`` otherwise."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    if X.ndim != 3 or len(X) == 0 or (size is not None and X.shape[1:] != tuple(size)):
        shape = f"(N, {size[0]}, {size[1]})" if size is not None else "(N, n_mels, frames)"
        raise DataError(f"{name} must be a non-empty {shape} array of segments, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise DataError(f"{name} holds non-finite values (NaN or infinity)")
    return X


def check_labels(name: str, y: np.ndarray, n: int, n_classes: int) -> np.ndarray:
    """``y`` as ``(n,)`` int64 class indices in ``[0, n_classes)``; a ValueError naming ``name`` otherwise."""
    y = np.asarray(y)
    if n == 0 and y.size == 0:
        return np.zeros(0, dtype=np.int64)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{name} must be ({n},) integer class indices, got shape {y.shape} dtype {y.dtype}")
    if y.min() < 0 or y.max() >= n_classes:
        raise DataError(f"{name} must be in [0, {n_classes - 1}] (n_classes={n_classes}), got [{y.min()}, {y.max()}]")
    return y.astype(np.int64)


_OPEN: list[list] = []  # the phases being timed, innermost last: [name, start, seconds of nested phases]
_SECONDS: dict[str, float] = {}


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the block as ``name``: its wall-clock seconds, less those of phases nested in it, are added to
    ``name``'s total (read by :func:`take_phases`). So the totals of one cell add up to its time, once each."""
    _OPEN.append([name, time.perf_counter(), 0.0])
    try:
        yield
    finally:
        name, start, nested = _OPEN.pop()
        elapsed = time.perf_counter() - start
        _SECONDS[name] = _SECONDS.get(name, 0.0) + elapsed - nested
        if _OPEN:
            _OPEN[-1][2] += elapsed


def take_phases() -> dict[str, float]:
    """Seconds per phase timed since the last call, in the order first timed, and start again from zero."""
    taken = {name: round(seconds, 2) for name, seconds in _SECONDS.items()}
    _SECONDS.clear()
    return taken
