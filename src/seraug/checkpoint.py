"""A trainer's whole state after every epoch, one way for every trainer (the GAN's and the classifier's).

:class:`Checkpoint` keeps one run's state in one file:

- **written whole or not at all**: serialised once, kept in memory as the last good state (to go back to
  after a bad epoch) and written to a temporary sibling renamed into place (:func:`seraug.files.atomic_path`);
- **resumed only by the same run**: the file records the run's config and the fingerprint of its data
  (:func:`seraug.files.fingerprint`); another run's file is refused with an error naming what differs
  (:func:`seraug.files.check_same_run`);
- **never trusted when damaged**: a file that cannot be read is set aside as ``NAME.corrupt`` and training
  starts over (:func:`seraug.files.read_or_set_aside`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from pathlib import Path

import torch

from seraug.files import atomic_path, check_same_run, read_or_set_aside
from seraug.runtime import phase


class Checkpoint:
    """One run's state in ``path`` (None: kept in memory only, for recovery).

    Args:
        path: the checkpoint file, e.g. ``out_dir / "checkpoint.pt"``.
        config: the run's settings as plain data, written with every state and compared on resume.
        fingerprint: the run's data (:func:`seraug.files.fingerprint`), compared on resume.
        free: settings that may differ on resume (e.g. ``epochs``, to extend a run).
        same_form: maps a recorded config (possibly of an older version) to the form compared with ``config``.
        weights_only: load with ``torch.load(weights_only=...)``: True where the state is tensors and plain data.
    """

    def __init__(self, path: Path | None, config: dict, fingerprint: str, *, free: Iterable[str] = (),
                 same_form: Callable[[dict], dict] = dict, weights_only: bool = True) -> None:
        self.path, self.config, self.fingerprint = path, config, fingerprint
        self.free, self.same_form, self.weights_only = tuple(free), same_form, weights_only
        self.last_good: bytes | None = None

    def _decode(self, blob: bytes, device: torch.device | str = "cpu") -> dict:
        return torch.load(io.BytesIO(blob), map_location=device, weights_only=self.weights_only)

    def load(self, device: torch.device | str = "cpu") -> dict | None:
        """The state saved by this run, or None when there is none (or it was unreadable and set aside).

        Raises ConfigError when the file holds another run (other settings or other data). The state read
        becomes the last good one."""
        if self.path is None:
            return None
        read = read_or_set_aside(self.path, lambda p: (blob := p.read_bytes(), self._decode(blob, device)))
        if read is None:
            return None
        blob, state = read
        check_same_run(self.path, "a checkpoint of a run",
                       {**self.same_form(state.get("config", {})), "fingerprint": state.get("fingerprint")},
                       {**self.same_form(self.config), "fingerprint": self.fingerprint}, self.free)
        self.last_good = blob
        return state

    def save(self, state: dict) -> None:
        """Serialise ``state`` (with the run's config and fingerprint) once: kept as the last good state and,
        with a path, written atomically."""
        with phase("checkpoints"):
            buffer = io.BytesIO()
            torch.save({**state, "config": self.config, "fingerprint": self.fingerprint}, buffer)
            self.last_good = buffer.getvalue()
            if self.path:
                with atomic_path(self.path) as tmp:
                    tmp.write_bytes(self.last_good)

    def last_good_state(self, device: torch.device | str = "cpu") -> dict:
        """The last state saved or loaded, decoded afresh (to go back to after a bad epoch)."""
        if self.last_good is None:
            raise RuntimeError("no state saved yet")
        return self._decode(self.last_good, device)
