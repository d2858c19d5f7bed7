"""Atomic file writing, and reading back what a run left: a file appears under its name only when
it is complete, and one that cannot be read is set aside, not trusted.

Every long job in seraug (features, augmented audio, checkpoints, experiment cells) resumes by trusting
the files it finds, so each is written to a temporary sibling and renamed into place (``os.replace`` is
atomic on one file system). An interrupted write leaves no file under the final name. A file damaged
afterwards (a copy cut short, a disk error) is moved to ``NAME.corrupt`` with a warning by
:func:`read_or_set_aside`, and its work is redone.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

UNREADABLE = (OSError, EOFError, RuntimeError, ValueError, KeyError, TypeError, pickle.UnpicklingError,
              zipfile.BadZipFile, json.JSONDecodeError)
"""What reading a damaged file raises: torch's zip reader (RuntimeError), a cut JSON (JSONDecodeError,
a ValueError), a cut pickle (EOFError, UnpicklingError), a file missing a key a reader expects."""


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
