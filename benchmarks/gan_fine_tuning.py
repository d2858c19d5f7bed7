"""Which fine-tuning settings make the proposed GAN's samples usable: variants from one shared autoencoder.

    python benchmarks/gan_fine_tuning.py [--variants NAME,NAME] [--stages 8,12,16,20,24] [--ae-epochs 60]
                                         [--fold group-1] [--out runs/gan-fine-tuning] [--data ../shared/data]

The variants differ only in step (c), fine-tuning (learning rates, G's moving average, how D learns): steps (a) and
(b), the autoencoder and the class Gaussians, are the same for all, so they are trained once (the
``gan_tuned`` strategy's settings with ``--ae-epochs``) on the training speakers of one fold of the
README's main command, and every variant's fine-tuning starts from it (``train_gan(autoencoder=...)``, which
checks that a variant differs only in fine-tuning settings). Each
variant is fine-tuned in stages (stage 16 continues stage 12 from its checkpoint) and scored after each
by :func:`seraug.gan.quality_report` as in ``benchmarks/gan_quality.py`` (whose fold, evaluation VGG19
and table columns it shares); ``GAN s`` is the fine-tuning time of the stage alone. The first variant is
the baseline of the ``vs base`` column (its FD over floor at the same stage). A re-run reuses the
autoencoder and fine-tunes every other variant again from it; a grid of real beside the last stage's segments
lands in ``--out``. Rows are printed as they are scored, so a run stopped midway keeps the rows it
printed; a variant whose folder holds a finished model at the first stage is scored again without
training (its ``GAN s`` is then the time to load it).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path


sys.path.insert(0, str(Path(__file__).parent))
# the sibling benchmark: the same fold, evaluation VGG19 and columns
from gan_quality import cell, fold_and_classifier, fold_arguments, summary  # noqa: E402

from seraug.classifier import embed  # noqa: E402
from seraug.gan import GANConfig, quality_report, real_and_generated, spectrogram_grid, train_gan  # noqa: E402
from seraug.gan.recipes import SIZES  # noqa: E402

TUNED = SIZES["cpu"].tuned
BEFORE = replace(TUNED, gan_lr=1e-4, g_ema=0.0)
VARIANTS: dict[str, GANConfig] = {
    "lr-1e-4": BEFORE,
    "lr-2e-4": replace(BEFORE, gan_lr=2e-4),
    "lr-2e-4-ema-0.9": replace(BEFORE, gan_lr=2e-4, g_ema=0.9),
    "lr-2e-4-ema-0.97": replace(BEFORE, gan_lr=2e-4, g_ema=0.97),
}
"""name -> fine-tuning settings. ``lr-1e-4`` is the fine-tuning of the earlier ``gan_tuned`` (Adam 1e-4 for
G and D, G's last weights generate); ``lr-2e-4`` doubles both rates; the ``ema`` rows let a moving average of
G's weights (decay per step) generate; ``lr-2e-4-ema-0.97`` is the tuned schedule's fine-tuning (the ``texture``
recipe's). Rows measured before (D learning 4 times as fast, class-balanced real batches, an R1 penalty) are in
``docs/gan-research.md``; their settings were retired."""


def finished(folder: Path, config: GANConfig) -> bool:
    """Whether ``folder`` holds a model trained to the end under ``config`` (then it is scored, not trained
    again; its ``GAN s`` is the time to load it)."""
    path = folder / "model.json"
    return path.exists() and GANConfig.from_dict(json.loads(path.read_text())["config"]) == config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--stages", default="8,12,16,20,24", help="fine-tuning epochs after which to score")
    parser.add_argument("--ae-epochs", type=int, default=TUNED.ae_epochs, help="autoencoder epochs (shared)")
    fold_arguments(parser, "runs/gan-fine-tuning")
    args = parser.parse_args()
    out, X, y, X_test, y_test, labels, scaler, vgg = fold_and_classifier(args)
    stages = [int(s) for s in args.stages.split(",")]
    autoencoder = replace(TUNED, ae_epochs=args.ae_epochs, gan_epochs=0)
    started = time.perf_counter()
    train_gan(X, y, len(labels), autoencoder, out / "autoencoder", args.device, class_names=labels, scaler=scaler,
              progress=False)
    print(f"autoencoder, {args.ae_epochs} epochs: {time.perf_counter() - started:.0f} s", flush=True)
    print(f"\nEmoDB fold {args.fold}: {len(X)} training segments, {len(X_test)} test segments; "
          f"autoencoder {args.ae_epochs} epochs, shared", flush=True)
    rows, models = {}, {}
    for name in args.variants.split(","):
        config = VARIANTS[name]
        folder = out / name
        if not finished(folder, replace(config, ae_epochs=args.ae_epochs, gan_epochs=stages[0])):
            shutil.rmtree(folder, ignore_errors=True)  # a finished run's later stages are past this first one
        for stage in stages:  # each stage resumes the last one's checkpoint with more fine-tuning epochs
            staged = replace(config, ae_epochs=args.ae_epochs, gan_epochs=stage)
            started = time.perf_counter()
            models[name] = train_gan(X, y, len(labels), staged, folder, args.device, class_names=labels, scaler=scaler,
                                     progress=False, autoencoder=out / "autoencoder")
            seconds = time.perf_counter() - started
            report = quality_report(models[name], X, y, seed=0, X_test=X_test, y_test=y_test,
                                    embed=lambda Z: embed(vgg, Z))
            rows[name, stage] = row = summary(report, seconds, models[name], X)
            if len(rows) == 1:
                print("| variant | fine-tuning epochs | " + " | ".join(row) + " | FD/floor vs base |")
                print("| --- " * (len(row) + 3) + "|")
            base = rows.get((next(iter(rows))[0], stage))
            print(f"| {name} | {stage} | " + " | ".join(cell(v) for v in row.values()) + " | "
                  + (f"{row['FD/floor'] / base['FD/floor']:.2f}x |" if base else "|"), flush=True)
    spectrogram_grid(out / "grid.png", real_and_generated(models, X, y, labels, n=2),
                     title=f"EmoDB {args.fold} training speakers: real beside each variant after {stages[-1]} "
                           "fine-tuning epochs")
    print("bars for usable (every class): FD/floor <= 3, GAN-test gap >= -0.15, diversity >= 0.7, striations >= 0.7, "
          "GAN-train >= 0.6")
    print(f"wrote {out / 'grid.png'}")


if __name__ == "__main__":
    main()
