"""SpecAugment's masks on log-mel segments (Park et al., Interspeech 2019), for the ``specaug`` baseline.

audiomentations removed its spectrogram transforms (its PR #391), and the masks are a few lines: each segment
gets ``freq_masks`` bands of up to ``freq_width`` adjacent mel bands and ``time_masks`` spans of up to
``time_width`` frames set to the segment's mean, widths and places drawn uniformly from a seeded generator.
Time warping, SpecAugment's third part, is left out (its authors found it the least useful).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from seraug.errors import AugmentError


@dataclass(frozen=True)
class SpecAugment:
    """Frequency and time masks on segments ``(N, n_mels, frames)``.

    Defaults: two masks of up to 20 of the 128 mel bands and two of up to 20 frames (0.5 s at the 25 ms hop):
    SpecAugment's LibriSpeech-double policy (F = 27 of 80 bands, two masks each) scaled to a 3.2 s segment,
    narrower in time so that a short emotional cue is not masked away whole.
    """

    freq_masks: int = 2
    freq_width: int = 20
    time_masks: int = 2
    time_width: int = 20

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value < 0:
                raise AugmentError(f"SpecAugment.{name} must not be negative, got {value}")

    def __call__(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A masked copy of ``X`` ``(N, n_mels, frames)``; ``rng`` draws every width and place."""
        X = np.array(X, copy=True)
        n, bands, frames = X.shape
        for i in range(n):
            fill = X[i].mean()
            for axis, count, width, size in ((0, self.freq_masks, self.freq_width, bands),
                                             (1, self.time_masks, self.time_width, frames)):
                for _ in range(count):
                    w = int(rng.integers(0, min(width, size) + 1))
                    start = int(rng.integers(0, size - w + 1))
                    if axis == 0:
                        X[i, start:start + w, :] = fill
                    else:
                        X[i, :, start:start + w] = fill
        return X
