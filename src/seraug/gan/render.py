"""What a person looks at and listens to: spectrogram grids (like the paper's Figs. 2 and 3) and WAVs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seraug.audio import write_wav
from seraug.features import invert_log_mel
from seraug.gan.bundle import GANModel, generate


def real_and_generated(models: dict[str, GANModel], X: np.ndarray, y: np.ndarray, class_names: list[str],
                       n: int = 4, seed: int = 0) -> dict[str, dict[str, np.ndarray]]:
    """Columns for :func:`spectrogram_grid`: ``n`` real segments per class, then ``n`` of each model.

    Args:
        X: real segments ``(N, 128, 128)`` in [-1, 1]; y: ``(N,)`` indices into ``class_names``.
    """
    rng = np.random.default_rng(seed)
    columns = {"real": {}}
    for k, name in enumerate(class_names):
        rows = np.flatnonzero(y == k)
        columns["real"][name] = X[rng.choice(rows, min(n, len(rows)), replace=False)]
    for model_name, model in models.items():
        columns[model_name] = {name: generate(model, name, n, seed=seed + k) for k, name in enumerate(class_names)}
    return columns


def spectrogram_grid(path: str | Path, columns: dict[str, dict[str, np.ndarray]], title: str = "") -> None:
    """Write a PNG: one row per class, for each column group its segments side by side.

    Args:
        columns: ``{group name: {class name: (n, 128, 128) array in [-1, 1]}}``, e.g. ``{"real": ...,
            "proposed": ..., "bagan": ...}``; classes are taken from the first group.
        title: figure title.

    Segments are drawn as images with the lowest mel band at the bottom, time left to right, on a fixed
    [-1, 1] colour scale, so saturated regions (the paper's Fig. 2a) show as flat colour.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(columns)
    classes = list(columns[groups[0]])
    per_group = max(len(a) for g in groups for a in columns[g].values())
    fig, axes = plt.subplots(len(classes), len(groups) * per_group, squeeze=False,
                             figsize=(1.3 * len(groups) * per_group, 1.4 * len(classes) + 0.6))
    for row, name in enumerate(classes):
        for g, group in enumerate(groups):
            images = columns[group].get(name, [])
            for i in range(per_group):
                ax = axes[row, g * per_group + i]
                ax.set_xticks([])
                ax.set_yticks([])
                if i < len(images):
                    ax.imshow(images[i], origin="lower", aspect="auto", cmap="magma", vmin=-1, vmax=1)
                else:
                    ax.axis("off")
                if row == 0 and i == 0:
                    ax.set_title(group, loc="left", fontsize=9)
                if g == 0 and i == 0:
                    ax.set_ylabel(name, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def write_wavs(model: GANModel, images: np.ndarray, directory: str | Path, stem: str, n_iter: int = 32) -> list[Path]:
    """Render segments ``(n, 128, 128)`` in [-1, 1] to audio: ``directory/<stem>_<i>.wav`` (about 3.2 s each).

    Undoes the normalisation (``model.scaler``) and the log (dB -> power), inverts the mel projection
    and runs Griffin-Lim with the STFT parameters of ``model.features``
    (:func:`seraug.features.invert_log_mel`), then writes 16-bit PCM.

    Raises:
        ValueError: the model has no scaler or no log-mel config (trained on data normalised elsewhere).
    """
    if model.scaler is None or model.features is None:
        raise ValueError("this model stores no MinMaxScaler or LogMelConfig, so its spectrograms cannot be "
                         "mapped back to audio; train it with `seraug gan train --features DIR`")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for i, image in enumerate(images):
        audio = invert_log_mel(model.scaler.inverse_transform(image), model.features, n_iter=n_iter)
        written.append(directory / f"{stem}_{i}.wav")
        write_wav(written[-1], audio, model.features.sample_rate)
    return written
