"""Atomic file writing, and reading back what a run left: a file appears under its name only when
it is complete, and one that cannot be read is set aside, not trusted.

Every long job in seraug (features, augmented audio, checkpoints, experiment cells) resumes by trusting
the files it finds, so each is written to a temporary sibling and renamed into place (``os.replace`` is
atomic on one file system). An interrupted write leaves no file under the final name. A file damaged
afterwards (a copy cut short, a disk error) is moved to ``NAME.corrupt`` with a warning by
:func:`read_or_set_aside`, and its work is redone. A :class:`Claim` keeps two processes off one work
folder.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pickle
import socket
import time
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import numpy as np

from seraug.errors import ConfigError

T = TypeVar("T")

UNREADABLE = (EOFError, RuntimeError, ValueError, KeyError, TypeError, pickle.UnpicklingError, zipfile.BadZipFile)
"""What decoding a damaged file raises: torch's zip reader (RuntimeError), a cut JSON or array
(ValueError, JSONDecodeError among them), a cut pickle (EOFError, UnpicklingError), a file missing a key
a reader expects. Not OSError: a file that cannot be opened (permissions, a failing disk) is an error
naming it, not a file to set aside."""


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without error, rename it to ``path``.

    The temporary name (``.NAME.PID.tmp``) has no meaningful extension, so writers that infer a format
    from it must be told the format (``soundfile.write(..., format="WAV")``, ``np.save`` to an open file).
    Parent folders are created. On error the temporary file is removed and the error propagates.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OSError(err.errno, f"cannot create the folder ({err.strerror})", str(path.parent)) from None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as err:
        raise OSError(err.errno, f"cannot write {path.name} ({err.strerror})", str(path.parent)) from None
    except RuntimeError as err:  # torch.save's zip writer reports a full disk as an enforce failure
        if "PytorchStreamWriter" not in str(err) and "unexpected pos" not in str(err):
            raise
        raise OSError(errno.EIO, f"cannot write {path.name}: the write stopped short (is the disk full?)",
                      str(path.parent)) from None
    finally:
        tmp.unlink(missing_ok=True)


def fingerprint(*parts, size: int = 16) -> str:
    """The one hash seraug compares things by: BLAKE2b over ``parts`` in order, ``size`` bytes as hex.

    An array enters by its shape, dtype and bytes (so a checkpoint resumes only on the data it was made
    from), a string by its UTF-8 bytes, anything else as JSON with sorted keys (settings, configs).
    """
    h = hashlib.blake2b(digest_size=size)
    for part in parts:
        if isinstance(part, np.ndarray):
            a = np.ascontiguousarray(part) if part.dtype != object else np.asarray(part, dtype=str)
            h.update(repr((a.shape, str(a.dtype))).encode())
            h.update(a.tobytes())
        else:
            h.update((part if isinstance(part, str) else json.dumps(part, sort_keys=True)).encode())
    return h.hexdigest()


def check_same_run(path: str | Path, what: str, theirs: dict, ours: dict, free: Iterable[str] = ()) -> None:
    """The one "is this the same run?" check, before resuming what ``path`` holds (a checkpoint, a run folder).

    ``theirs``: the settings recorded there; ``ours``: this run's; keys in ``free`` may differ (the epochs of
    a run being extended, the grid of a run folder). A key ``fingerprint`` stands for the data. Raises a
    ConfigError naming ``path``, ``what`` it holds and the settings that differ, or saying the data differ.
    """
    free = set(free)
    changed = sorted(k for k in theirs.keys() | ours.keys() if k not in free and theirs.get(k) != ours.get(k))
    settings = [k for k in changed if k != "fingerprint"]
    if settings:
        raise ConfigError(f"{path}: holds {what} with other settings: {', '.join(settings)}; use another folder, "
                          "or delete it to start over")
    if changed:  # a checkpoint of an older seraug has no fingerprint: another run
        raise ConfigError(f"{path}: holds {what} on other data; use another folder, or delete it to start over")


def read_json(path: str | Path) -> dict:
    """The JSON object in ``path`` (a ``ValueError`` if it is cut short)."""
    return json.loads(Path(path).read_text())


def read_or_set_aside(path: str | Path, read: Callable[[Path], T]) -> T | None:
    """``read(path)``, or None when ``path`` does not exist or cannot be read.

    A file that exists but cannot be read (see :data:`UNREADABLE`) is renamed to ``NAME.corrupt`` (kept
    for a look, never read again) with a warning naming it, so the caller recomputes what it held.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        return read(path)
    except UNREADABLE as err:
        aside = path.with_name(path.name + ".corrupt")
        os.replace(path, aside)
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        warnings.warn(f"{path}: unreadable ({reason}); moved to {aside.name} and recomputed", stacklevel=2)
        return None


class Claim:
    """One process's hold on a work folder (``folder/lock.json``), so two runs on one output folder
    never train the same cell at once, and the time every process spent on it adds up.

    :meth:`take` writes the lock whole under a temporary name and links it into place (``os.link``
    fails if a lock exists, so of two processes one wins). A lock whose process has died (same host,
    pid gone) is taken over by renaming it away first (again, one process wins); a live one, or one of
    another host (whose processes cannot be checked), is left alone. ``spent`` is the seconds earlier processes worked in the folder: those that ended
    normally recorded theirs in ``spent.json``; a killed one counts up to its last written file (its
    last checkpoint: later work was lost and is redone).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.lock = self.folder / "lock.json"
        self.started = 0.0
        self.spent = 0.0

    def take(self) -> bool:
        """Hold the folder (True), or leave it to the live process that holds it (False)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        spent_before = read_or_set_aside(self.folder / "spent.json", read_json) or {}
        while True:
            held = read_or_set_aside(self.lock, read_json)
            if held is not None:
                if held.get("host") != socket.gethostname() or _alive(int(held.get("pid", -1))):
                    return False
                stale = self.folder / f".lock.{os.getpid()}.stale"
                try:
                    os.rename(self.lock, stale)  # only one of several takers gets the dead lock
                except FileNotFoundError:
                    continue
                stale.unlink()
                own = {self.lock, self.folder / "spent.json"}
                written = [p.stat().st_mtime for p in self.folder.rglob("*") if p.is_file() and p not in own]
                spent_before = {"seconds": spent_before.get("seconds", 0.0)
                                + max(0.0, max(written, default=held["started"]) - held["started"])}
                with atomic_path(self.folder / "spent.json") as tmp:  # kept if this process dies too
                    tmp.write_text(json.dumps(spent_before))
            self.started, self.spent = time.time(), float(spent_before.get("seconds", 0.0))
            mine = self.folder / f".lock.{os.getpid()}.tmp"
            mine.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": self.started}))
            try:
                os.link(mine, self.lock)  # atomic, and refused when a lock exists: written whole or not at all
            except FileExistsError:  # another process took it between our read and our link
                continue
            finally:
                mine.unlink()
            return True

    def total_seconds(self) -> float:
        """Seconds spent on the folder's work by every process so far, this one included."""
        return self.spent + time.time() - self.started

    def release(self) -> None:
        """Record this process's time in ``spent.json`` and drop the lock (the folder's work is kept)."""
        with atomic_path(self.folder / "spent.json") as tmp:
            tmp.write_text(json.dumps({"seconds": round(self.total_seconds(), 1)}))
        self.lock.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True
