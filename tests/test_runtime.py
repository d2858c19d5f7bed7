"""seraug.runtime: bf16 autocast only where the hardware runs it natively, and per-epoch seeds."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import seraug.runtime as runtime
from seraug.runtime import autocast, bf16_available, epoch_seed

CPU = torch.device("cpu")


def conv_output_dtype(amp: bool) -> torch.dtype:
    conv = torch.nn.Conv2d(1, 4, 3).to(memory_format=torch.channels_last)
    with autocast(CPU, amp):
        return conv(torch.randn(2, 1, 16, 16)).dtype


def test_cpu_bf16_follows_the_processor_flags():
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        pytest.skip("no /proc/cpuinfo to compare with")
    flags = cpuinfo.read_text().split()
    assert bf16_available(CPU) == ("amx_bf16" in flags or "avx512_bf16" in flags)


@pytest.mark.skipif(not bf16_available(CPU), reason="this CPU has neither AMX nor AVX512-BF16")
def test_autocast_runs_convolutions_in_bf16_where_native():
    assert conv_output_dtype(amp=True) == torch.bfloat16
    assert conv_output_dtype(amp=False) == torch.float32


def test_autocast_is_fp32_on_a_cpu_without_native_bf16(monkeypatch):
    monkeypatch.setattr(runtime, "cpu_has_bf16", lambda: False)
    assert not bf16_available(CPU)
    assert conv_output_dtype(amp=True) == torch.float32


def test_epoch_seeds_are_stable_and_distinct():
    assert epoch_seed(1, 0, 0) == epoch_seed(1, 0, 0)
    assert len({epoch_seed(s, e, r) for s in (0, 1) for e in range(5) for r in (0, 1)}) == 20
