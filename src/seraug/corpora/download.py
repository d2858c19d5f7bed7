"""Download corpora whose authors publish a direct archive (EmoDB, RAVDESS) into a cache folder.

The cache is ``$SERAUG_CACHE`` or ``~/.cache/seraug``; corpus ``NAME`` unpacks into ``CACHE/NAME``.
The archive is fetched to a temporary file with a progress bar, its SHA-256 checked when one is known
(``--sha256``), unpacked into a temporary folder (refusing members whose path would leave it, links
and special files, and archives that unpack to more than :data:`MAX_UNPACKED_BYTES`), checked by
reading it with the corpus's loader, counting the files and opening a sample of them as audio, and
only then renamed into place; an interrupted download leaves no half tree.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path

import soundfile as sf
from tqdm.auto import tqdm

from seraug.corpora import corpus_module
from seraug.corpora.base import CorpusError, cache_dir

MAX_UNPACKED_BYTES = 16 * 2**30
"""Largest unpacked archive accepted (16 GiB; RAVDESS speech is about 1 GiB): a zip bomb stops here."""

AUDIO_SAMPLE = 20
"""Files of an unpacked corpus decoded as audio (spread over the sorted list) before it counts as ready."""


def corpus_root(name: str, root: str | Path | None) -> Path:
    """``root`` when given, else the corpus's folder in the download cache (downloaded on first use):
    what ``--root`` means when it is left out."""
    return Path(root) if root is not None else ensure_corpus(corpus_module(name).NAME)


def ensure_corpus(name: str, cache: str | Path | None = None, url: str | None = None) -> Path:
    """The corpus's folder in the cache, downloading it first if it is not there yet."""
    target = Path(cache or cache_dir()) / name
    return target if target.is_dir() else download(name, cache, url)


def download(name: str, cache: str | Path | None = None, url: str | None = None, progress: bool = True,
             sha256: str | None = None) -> Path:
    """Fetch, unpack and check a corpus archive; returns the unpacked corpus folder.

    Args:
        name: corpus name with a published archive (``emodb``, ``ravdess``).
        cache: cache folder (default :func:`cache_dir`).
        url: archive address; default the corpus's ``DOWNLOAD_URL``.
        sha256: the archive's expected SHA-256 (hex); default the corpus's ``SHA256`` when it has one.

    Raises:
        CorpusError: no archive is published for this corpus, the network is unreachable (the message
            says how to pass ``--root`` instead), the archive's checksum differs, it holds unsafe members,
            or the unpacked tree is not the expected corpus.
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
        expected = sha256 or getattr(module, "SHA256", None)
        if expected:
            digest = hashlib.sha256(archive.read_bytes()).hexdigest()
            if digest != expected.lower():
                raise CorpusError(f"{url}: SHA-256 {digest} differs from the expected {expected}; not unpacked")
        unpacked = Path(tmp) / module.NAME
        _unzip(archive, unpacked, url)
        manifest = module.load(unpacked)
        if len(manifest) != module.EXPECTED_FILES:
            raise CorpusError(
                f"{url}: unpacked {len(manifest)} {module.NAME} utterances, expected {module.EXPECTED_FILES}"
            )
        paths = manifest["path"].tolist()
        for path in paths[:: max(1, len(paths) // AUDIO_SAMPLE)]:
            try:  # libsndfile opens it; the full checks (silence, length, a cut file) come when it is read
                sf.info(path)
            except (sf.LibsndfileError, RuntimeError) as err:
                raise CorpusError(f"{url}: the archive's files are not usable audio, e.g. {path}: unreadable audio "
                                  f"({err})") from None
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


def _unzip(archive: Path, dest: Path, source: str) -> None:
    """Unpack ``archive`` (downloaded from ``source``, which error messages name), refusing members
    that would write outside ``dest`` (absolute paths, '..'), links and special files, and more than
    :data:`MAX_UNPACKED_BYTES` in all; damaged data is a named error."""
    try:
        with zipfile.ZipFile(archive) as zf:
            root = dest.resolve()
            members = zf.infolist()
            for member in members:
                if not (root / member.filename).resolve().is_relative_to(root):
                    raise CorpusError(f"{source}: member {member.filename!r} would unpack outside the cache; refused")
                kind = stat.S_IFMT(member.external_attr >> 16)  # 0 when the archiver recorded no file type
                if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                    kind = "a symbolic link" if kind == stat.S_IFLNK else "a special file"
                    raise CorpusError(f"{source}: member {member.filename!r} is {kind}; refused")
            size = sum(member.file_size for member in members)
            if size > MAX_UNPACKED_BYTES:
                raise CorpusError(f"{source}: would unpack to {size / 2**30:.1f} GiB, more than the "
                                  f"{MAX_UNPACKED_BYTES / 2**30:.0f} GiB a corpus archive needs; refused")
            zf.extractall(dest)
    except zipfile.BadZipFile as err:
        raise CorpusError(f"{source}: not a zip archive ({err})") from None
    except (zlib.error, EOFError) as err:
        raise CorpusError(f"{source}: damaged archive data ({err}); download it again") from None
