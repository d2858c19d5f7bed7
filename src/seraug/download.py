"""Download corpora whose authors publish a direct archive (EmoDB, RAVDESS) into a cache folder.

The cache is ``$SERAUG_CACHE`` or ``~/.cache/seraug``; corpus ``NAME`` unpacks into ``CACHE/NAME``.
The archive is fetched to a temporary file with a progress bar, unpacked into a temporary folder
(refusing any member whose path would leave it), checked by reading it with the corpus's loader and
counting the files, and only then renamed into place; an interrupted download leaves no half tree.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from tqdm.auto import tqdm

from seraug.corpora import corpus_module
from seraug.corpora.base import CorpusError


def cache_dir() -> Path:
    """Where downloaded corpora live: ``$SERAUG_CACHE`` or ``~/.cache/seraug``."""
    return Path(os.environ.get("SERAUG_CACHE", Path.home() / ".cache" / "seraug")).expanduser()


def ensure_corpus(name: str, cache: str | Path | None = None, url: str | None = None) -> Path:
    """The corpus's folder in the cache, downloading it first if it is not there yet."""
    target = Path(cache or cache_dir()) / name
    return target if target.is_dir() else download(name, cache, url)


def download(name: str, cache: str | Path | None = None, url: str | None = None, progress: bool = True) -> Path:
    """Fetch, unpack and check a corpus archive; returns the unpacked corpus folder.

    Args:
        name: corpus name with a published archive (``emodb``, ``ravdess``).
        cache: cache folder (default :func:`cache_dir`).
        url: archive address; default the corpus's ``DOWNLOAD_URL``.

    Raises:
        CorpusError: no archive is published for this corpus, the network is unreachable (the message
            says how to pass ``--root`` instead), or the unpacked tree is not the expected corpus.
    """
    module = corpus_module(name)
    url = url or getattr(module, "DOWNLOAD_URL", None)
    if url is None:
        raise CorpusError(
            f"{module.NAME} has no public direct download; obtain it from its authors and pass its folder with --root DIR"
        )
    cache = Path(cache or cache_dir())
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / module.NAME
    with tempfile.TemporaryDirectory(dir=cache, prefix=f".{module.NAME}-") as tmp:
        archive = Path(tmp) / "archive.zip"
        _fetch(url, archive, progress)
        unpacked = Path(tmp) / module.NAME
        _unzip(archive, unpacked)
        manifest = module.load(unpacked)
        if len(manifest) != module.EXPECTED_FILES:
            raise CorpusError(
                f"{url}: unpacked {len(manifest)} {module.NAME} utterances, expected {module.EXPECTED_FILES}"
            )
        if target.exists():
            shutil.rmtree(target)
        os.replace(unpacked, target)
    return target


def _fetch(url: str, dest: Path, progress: bool) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=f"download {url.rsplit('/', 1)[-1]}",
                      disable=not progress) as bar:
                while block := response.read(1 << 20):
                    out.write(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError) as err:
        raise CorpusError(
            f"{url}: download failed ({getattr(err, 'reason', err)}). Without network access, download the archive "
            f"elsewhere, unpack it and pass its folder with --root DIR"
        ) from None


def _unzip(archive: Path, dest: Path) -> None:
    """Unpack, refusing absolute paths and '..' members (a zip must not write outside ``dest``)."""
    try:
        with zipfile.ZipFile(archive) as zf:
            root = dest.resolve()
            for member in zf.namelist():
                if not (root / member).resolve().is_relative_to(root):
                    raise CorpusError(f"{archive}: member {member!r} would unpack outside the cache; refused")
            zf.extractall(dest)
    except zipfile.BadZipFile as err:
        raise CorpusError(f"{archive}: not a zip archive ({err})") from None
