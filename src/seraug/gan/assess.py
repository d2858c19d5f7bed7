"""Judging trained GANs against real segments of a feature store: what ``seraug gan train`` prints after training
and ``seraug gan report`` prints for one or more models (grid, quality report, WAVs).

The numbers are :func:`seraug.gan.quality.quality_report`'s; this module picks the real segments they are
compared with (the model's classes, in its normalised scale), keeps held-out speakers apart for GAN-train, and
writes the files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from seraug.errors import ConfigError
from seraug.gan.bundle import GANModel, generate
from seraug.gan.measures import format_report
from seraug.gan.quality import quality_report
from seraug.gan.render import real_and_generated, spectrogram_grid, write_wavs


def labelled(X_db: np.ndarray, segments: pd.DataFrame, model: GANModel) -> tuple[np.ndarray, np.ndarray]:
    """The segments ``(N, 128, 128)`` in dB of the classes ``model`` knows, in its normalised scale, and their
    class indices; ConfigError when the model has no scaler or the store none of its classes."""
    if model.scaler is None:
        raise ConfigError("the model stores no MinMaxScaler; it was not trained by `seraug gan train`")
    keep = segments["label"].isin(model.class_names).to_numpy()
    if not keep.any():
        raise ConfigError(f"the feature store has none of the model's classes {model.class_names}")
    y = np.array([model.class_names.index(label) for label in segments["label"][keep]])
    return model.scaler.transform(X_db[keep]), y


def hold_out(X_db: np.ndarray, segments: pd.DataFrame, speakers: list[str], models: dict[str, GANModel],
             source: str) -> tuple[tuple[np.ndarray, pd.DataFrame], tuple[np.ndarray, pd.DataFrame]]:
    """Split a feature store into the segments to compare with and those of held-out ``speakers`` (for GAN-train).

    Raises ConfigError naming a speaker missing from ``source``, or a model trained on a held-out speaker
    (GAN-train needs speakers the GAN has not seen)."""
    missing = sorted(set(speakers) - set(segments["speaker"]))
    if missing:
        raise ConfigError(f"test speakers {', '.join(missing)} not in {source}")
    for name, model in models.items():
        seen = sorted(set(model.speakers or []) & set(speakers))
        if seen:
            raise ConfigError(f"{name} was trained on test speaker(s) {', '.join(seen)}: GAN-train needs speakers "
                              "the GAN has not seen")
    held = segments["speaker"].isin(speakers).to_numpy()
    return ((X_db[~held], segments[~held].reset_index(drop=True)),
            (X_db[held], segments[held].reset_index(drop=True)))


def assess(models: dict[str, GANModel], X_db: np.ndarray, segments: pd.DataFrame, out: Path, *,
           report_n: int | None = None, grid_n: int = 4, wavs: int = 2, seed: int = 0,
           test: tuple[np.ndarray, pd.DataFrame] | None = None,
           embed_db: Callable[[np.ndarray], np.ndarray] | None = None,
           spread: float = 1.0, best_of: int = 1, log: Callable[[str], None] = print) -> dict[str, dict]:
    """Grid, quality reports (printed) and WAVs of ``{name: model}`` against real segments in dB.

    Writes ``out/grid.png`` (real beside each model's segments), ``out/quality.json`` for one model or
    ``out/quality_<name>.json`` for several, and ``out/samples/*.wav`` (``wavs`` per class). ``test``: segments
    of held-out speakers, for GAN-train; ``embed_db``: segments in dB -> a learned embedding (e.g. the
    evaluation VGG19's penultimate layer); ``spread``, ``best_of``: how samples are drawn
    (:func:`seraug.gan.generate`). Returns the reports by name."""
    out.mkdir(parents=True, exist_ok=True)
    single = len(models) == 1
    first = next(iter(models.values()))
    X, y = labelled(X_db, segments, first)
    grid = real_and_generated(models, X, y, first.class_names, grid_n, seed, spread=spread, best_of=best_of)
    title = "real beside generated: " + ", ".join(n if n == m.config.arch else f"{n} ({m.config.arch})"
                                                   for n, m in models.items())
    spectrogram_grid(out / "grid.png", grid, title=title)
    log(f"wrote {out / 'grid.png'}")
    sampled = "".join(f", {name} {value}" for name, value, default in (("spread", spread, 1.0),
                                                                        ("best of", best_of, 1)) if value != default)
    reports = {}
    for name, model in models.items():
        X, y = labelled(X_db, segments, model)
        X_test, y_test = labelled(*test, model) if test is not None else (None, None)
        learned = (lambda Z, m=model: embed_db(m.scaler.inverse_transform(Z))) if embed_db is not None else None
        report = quality_report(model, X, y, report_n, seed, X_test=X_test, y_test=y_test, embed=learned,
                                spread=spread, best_of=best_of)
        path = out / ("quality.json" if single else f"quality_{name}.json")
        path.write_text(json.dumps(report, indent=2))
        log(format_report(report, f"{name} ({model.config.arch}{sampled}); FD in {report['embedding']}"))
        log(f"wrote {path}\n")
        for k, label in enumerate(model.class_names):
            if wavs > 0:
                images = generate(model, k, wavs, seed=seed + k, spread=spread, best_of=best_of)
                write_wavs(model, images, out / "samples", label if single else f"{name}_{label}")
        reports[name] = report
    if wavs > 0:
        log(f"wrote {out / 'samples'}/*.wav")
    return reports
