"""The GAN trainer's log: one row per epoch (and per recovery or warning) in ``losses.csv``, rewritten
atomically after every row; the same numbers in TensorBoard when it is installed; events on the console."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tqdm.auto import tqdm

from seraug.files import atomic_path

LOSS_COLUMNS = ["phase", "epoch", "ae_loss", "d_loss_real", "d_loss_fake", "g_loss", "d_acc_real", "d_acc_fake",
                "g_acc", "lr", "samples_per_s", "event"]
"""Columns of ``losses.csv``, one row per finished epoch (and one per recovery or warning, saying why in ``event``):
epoch means of the reconstruction MSE (step a); of D's cross-entropy on real and on fake batches, G's
cross-entropy, D's accuracy on real (right emotion) and fake (said "fake"), and ``g_acc``, how often D
gave a fake its conditioning class (step c); the learning rate and real segments per second."""


class LossLog:
    """The rows logged so far (``rows``, kept in every checkpoint) and where they are written.

    ``out_dir`` None keeps the rows in memory only; ``progress`` prints events (rows with ``event``).
    """

    def __init__(self, out_dir: Path | None, progress: bool) -> None:
        self.rows: list[dict] = []
        self.out_dir, self.progress = out_dir, progress
        self.tensorboard = _tensorboard(out_dir)

    def add(self, row: dict, step: int) -> None:
        """Log ``row`` (keys of :data:`LOSS_COLUMNS`; ``phase`` names the TensorBoard group) at global epoch ``step``."""
        self.rows.append({column: row.get(column, "") for column in LOSS_COLUMNS})
        if self.out_dir:
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, LOSS_COLUMNS)
            writer.writeheader()
            writer.writerows(self.rows)
            with atomic_path(self.out_dir / "losses.csv") as tmp:
                tmp.write_text(buffer.getvalue())
        if self.tensorboard:
            for key, value in row.items():
                if isinstance(value, float):
                    self.tensorboard.add_scalar(f"{row['phase']}/{key}", value, step)
        if self.progress and row.get("event"):
            tqdm.write(f"gan: {row['event']}")

    def close(self) -> None:
        """Flush and close the TensorBoard writer (if any)."""
        if self.tensorboard:
            self.tensorboard.close()


def _tensorboard(out_dir: Path | None):
    """A SummaryWriter in ``out_dir/tensorboard`` when tensorboard is installed, else None."""
    if out_dir is None:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(out_dir / "tensorboard"))
