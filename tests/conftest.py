"""Shared fixtures: the real corpora in ../shared/data, read in place (never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SERAUG_DATA", REPO.parent / "shared" / "data"))


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"test data missing: {path} (set SERAUG_DATA to the folder holding emodb/, emovo/, esc10/)")
    return path


@pytest.fixture(scope="session")
def emodb_root() -> Path:
    """EmoDB as released: 535 wav files in emodb/wav, 10 speakers, 7 emotions."""
    return _need(DATA / "emodb")


@pytest.fixture(scope="session")
def emovo_root() -> Path:
    """EMOVO: 588 wav files in f1..m3/, 6 speakers, 7 emotions, 84 each."""
    return _need(DATA / "emovo")


@pytest.fixture(scope="session")
def esc10_root() -> Path:
    """ESC-10 noise clips (ogg, 44.1 kHz, 5 s) for background-noise augmentation."""
    return _need(DATA / "esc10")


@pytest.fixture(scope="session")
def emodb_manifest(emodb_root):
    from seraug.corpora import load_manifest

    return load_manifest("emodb", emodb_root)


@pytest.fixture(scope="session")
def emodb_features(tmp_path_factory, emodb_manifest):
    """(X, segments, config): the real log-mel segments of all of EmoDB (about 690 x 128 x 128, dB)."""
    from seraug.features.store import extract_features, load_features

    out = tmp_path_factory.mktemp("emodb-features")
    extract_features(emodb_manifest, out, device="cpu", progress=False)
    return load_features(out)
