"""Atomic file writing: a file appears under its name only when it is complete.

Every long job in seraug (features, augmented audio, checkpoints, experiment cells) resumes by trusting
the files it finds, so each is written to a temporary sibling and renamed into place (``os.replace`` is
atomic on one file system). An interrupted write leaves no file under the final name.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without error, rename it to ``path``.

    The temporary name (``.NAME.PID.tmp``) has no meaningful extension, so writers that infer a format
    from it must be told the format (``soundfile.write(..., format="WAV")``, ``np.save`` to an open file).
    Parent folders are created. On error the temporary file is removed and the error propagates.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
