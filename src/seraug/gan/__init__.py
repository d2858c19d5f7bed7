"""Class-conditional GANs for spectrogram augmentation: the paper's proposed model and the original BAGAN.

    from seraug.gan import GANConfig, train_gan, generate, GANOverSampler

* :func:`train_gan` (``train.py``): the paper's three steps on normalised segments -> :class:`GANModel`.
* :func:`generate` (``bundle.py``): ``(n, 128, 128)`` spectrograms of one class in [-1, 1].
* :class:`GANOverSampler` (``sampler.py``): imbalanced-learn style ``fit_resample(X, y)``.
* :func:`quality_report` (``quality.py``), :func:`spectrogram_grid` / :func:`write_wavs` (``render.py``).
* ``seraug gan train|generate|report`` (``cli.py``).

Names are imported on first use, so ``seraug --help`` does not pay for torch.
"""

from __future__ import annotations

from seraug.lazy import lazy_exports

_EXPORTS = {
    "GANConfig": "config", "ARCHS": "config",
    "build": "models",
    "ClassGaussians": "latent",
    "GANModel": "bundle", "generate": "bundle",
    "train_gan": "train", "TrainingDivergedError": "watch",  # defined in seraug.errors
    "GANOverSampler": "sampler",
    "quality_report": "quality", "format_report": "measures",
    "spectrogram_grid": "render", "real_and_generated": "render", "write_wavs": "render",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
