"""``OUT/examples/``: per class a real and a generated segment of each GAN strategy, to look at and listen to.

The run writes them from the first finished cell of each GAN strategy (what :func:`seraug.experiment.run.run_cell`
returns under ``examples``), and ``report.html`` embeds them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from seraug.features.audio import write_wav
from seraug.features.logmel import LogMelConfig, invert_log_mel
from seraug.features.normalise import MinMaxScaler


def write_examples(folder: Path, strategy: str, examples: dict[str, dict[int, np.ndarray]], scaler: MinMaxScaler,
                   labels: list[str], features: LogMelConfig) -> None:
    """Write ``folder/real/<class>.wav`` (once per run), ``folder/<strategy>/<class>.wav`` and
    ``folder/<strategy>/grid.png`` (real beside generated), unless ``folder/<strategy>`` exists.

    ``examples``: ``{"real": ..., "generated": ...}``, class index -> ``(128, 128)`` segment in the cell's
    normalised scale (``scaler`` maps it back to dB). Both kinds go through the same inversion (dB to power,
    mel to linear, Griffin-Lim), so they differ only by what the GAN made, not by the vocoder. Each folder
    is written aside and renamed into place, so it appears complete or not at all.
    """
    from seraug.gan.render import spectrogram_grid

    real, fake = examples["real"], examples["generated"]
    for kind, segments in (("real", real), (strategy, fake)):
        if (folder / kind).exists():
            continue
        tmp = folder / f".{kind}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        for k, segment in segments.items():
            write_wav(tmp / f"{labels[k]}.wav", invert_log_mel(scaler.inverse_transform(segment), features))
        if kind != "real":
            spectrogram_grid(tmp / "grid.png", {"real": {labels[k]: real[k][None] for k in real},
                                                kind: {labels[k]: fake[k][None] for k in fake}},
                             title=f"one real and one {kind} segment per class", features=features)
        try:
            os.rename(tmp, folder / kind)
        except OSError:  # another process (a Ray task, a second run on the folder) wrote this kind first: keep its
            shutil.rmtree(tmp, ignore_errors=True)
