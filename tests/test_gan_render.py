"""The spectrogram grid: what a reader of the README's figures sees."""

from __future__ import annotations

import matplotlib.image
import numpy as np

from seraug.gan import spectrogram_grid


def _dark_share(path) -> float:
    """Share of the PNG's pixels near black (magma's -1)."""
    pixels = matplotlib.image.imread(path)[..., :3]
    return float((pixels.max(axis=-1) < 0.1).mean())


def test_crop_draws_only_the_lowest_bands_of_the_first_frames(tmp_path):
    # lowest 64 bands of the first 64 frames at +1 (bright), the rest of the segment at -1 (black)
    segment = -np.ones((128, 128), dtype=np.float32)
    segment[:64, :64] = 1.0
    columns = {"real": {"anger": segment[None], "sadness": segment[None]}}
    spectrogram_grid(tmp_path / "full.png", columns)
    spectrogram_grid(tmp_path / "zoom.png", columns, crop=(64, 64))
    full, zoom = _dark_share(tmp_path / "full.png"), _dark_share(tmp_path / "zoom.png")
    assert full > 0.2  # three quarters of each drawn segment are black
    assert zoom < full / 10  # the crop shows the bright corner only (what stays dark: the labels)
