"""``seraug gan train|generate|report``: train a GAN on a feature store, sample from it, judge it.

Heavy imports (torch, sklearn, matplotlib) happen inside the commands, so registering the parser is cheap.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path

from seraug.arguments import add_speaker_arguments, chosen_speakers
from seraug.errors import ConfigError
from seraug.gan.config import ARCHS, GANConfig


def add_parser(subparsers, help: str) -> None:
    """Register ``gan`` (one-line ``help``) with its ``train``, ``generate`` and ``report`` actions."""
    gan = subparsers.add_parser(
        "gan", help=help,
        description="The paper's GAN (Chatziagapi et al. 2019, Sections 2.2-2.4) and the original BAGAN: "
                    "autoencoder -> class Gaussians -> adversarial fine-tuning, then per-class generation.")
    actions = gan.add_subparsers(dest="gan_command", required=True, metavar="ACTION")

    p = actions.add_parser(
        "train", help="train on a feature store (seraug features --out DIR)",
        description="Train on the segments of a feature store (all, or those of --speakers / without "
                    "--exclude-speakers, so held-out speakers stay out of the GAN and its scaler), normalised "
                    "into [-1, 1] with a min-max scaler fitted on them. MODEL receives checkpoint.pt after every "
                    "epoch (re-running the same command resumes an interrupted run), losses.csv, the model "
                    "(weights.pt, latent.npz, model.json) "
                    "and, unless --no-report, grid.png (real beside generated per class), quality.json (also "
                    "printed) and samples/*.wav.")
    p.add_argument("--features", required=True, help="feature store folder (spectrograms.npy, segments.csv)")
    p.add_argument("--out", required=True, metavar="MODEL", help="model folder to write (or resume)")
    p.add_argument("--device", default="auto", help="torch device: auto (CUDA when available), cpu, cuda")
    p.add_argument("--no-report", action="store_true", help="skip grid, quality report and WAVs after training")
    add_speaker_arguments(p)
    _add_report_options(p)
    for f in fields(GANConfig):
        flag = "--" + f.name.replace("_", "-")
        help_text = f"{f.metadata['help']} (default: {f.default})"
        if isinstance(f.default, bool):  # --amp / --no-amp
            p.add_argument(flag, dest=f.name, default=f.default, action=argparse.BooleanOptionalAction,
                           help=help_text)
        elif f.default is None:  # gan_lr: the help text names the per-arch defaults
            p.add_argument(flag, dest=f.name, type=float, default=None, help=f.metadata["help"])
        else:
            p.add_argument(flag, dest=f.name, type=type(f.default), default=f.default, help=help_text,
                           choices=ARCHS if f.name == "arch" else None)
    p.set_defaults(func=_train)

    p = actions.add_parser(
        "generate", help="generate spectrograms of one class to .npy",
        description="Write N generated segments of one class as an (N, 128, 128) float32 .npy, in the model's "
                    "normalised [-1, 1] scale (or in dB with --db).")
    p.add_argument("--model", required=True, help="model folder written by `seraug gan train`")
    p.add_argument("--label", required=True, help="class name, e.g. sadness")
    p.add_argument("--n", type=int, required=True, help="number of segments")
    p.add_argument("--out", required=True, metavar="FILE.npy", help="output file")
    p.add_argument("--seed", type=int, default=0, help="seed of the latent draws (default 0)")
    p.add_argument("--db", action="store_true", help="undo the normalisation: write dB values")
    p.add_argument("--wav-dir", help="also render each segment to DIR/<label>_<i>.wav (Griffin-Lim)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.set_defaults(func=_generate)

    p = actions.add_parser(
        "report", help="quality report and grids of one or more models, side by side",
        description="For each model: per-class Fréchet distance (band-statistics embedding), recognition rate "
                    "by a classifier trained on real segments, diversity ratio (mode-collapse flag), printed "
                    "and saved to OUT/quality_<name>.json; one grid OUT/grid.png with real segments beside "
                    "each model's; OUT/samples/<name>_<class>_<i>.wav.")
    p.add_argument("--model", required=True, action="append", help="model folder (repeat to compare models)")
    p.add_argument("--features", required=True, help="feature store with the real segments to compare with")
    p.add_argument("--out", required=True, help="folder for the report files")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    add_speaker_arguments(p)
    _add_report_options(p)
    p.set_defaults(func=_report_command)


def _at_least_two(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2 (a Fréchet distance needs 2 samples), got {value}")
    return value


def _add_report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--report-n", type=_at_least_two, default=None,
                   help="generated segments per class for the quality report, at least 2 (default: as many as "
                        "real ones, at least 16)")
    p.add_argument("--grid-n", type=int, default=4, help="segments per class and column in the grid (default 4)")
    p.add_argument("--wavs", type=int, default=2, help="WAV files per class (default 2; 0 for none)")
    p.add_argument("--report-seed", type=int, default=0, help="seed of the report's samples (default 0)")


def _labelled(X_db, segments, model):
    """Normalised segments of the classes the model knows, and their class indices."""
    import numpy as np

    if model.scaler is None:
        raise ConfigError("the model stores no MinMaxScaler; it was not trained by `seraug gan train`")
    keep = segments["label"].isin(model.class_names).to_numpy()
    if not keep.any():
        raise ConfigError(f"the feature store has none of the model's classes {model.class_names}")
    y = np.array([model.class_names.index(label) for label in segments["label"][keep]])
    return model.scaler.transform(X_db[keep]), y


def _report(models: dict, X_db, segments, out: Path, args: argparse.Namespace) -> None:
    """Grid, quality JSON (printed) and WAVs for ``{name: GANModel}``; one model => unsuffixed file names."""
    from seraug.gan.quality import format_report, quality_report
    from seraug.gan.render import real_and_generated, spectrogram_grid, write_wavs
    from seraug.gan.bundle import generate

    out.mkdir(parents=True, exist_ok=True)
    single = len(models) == 1
    first = next(iter(models.values()))
    X, y = _labelled(X_db, segments, first)
    grid = real_and_generated(models, X, y, first.class_names, args.grid_n, args.report_seed)
    title = "real beside generated: " + ", ".join(n if n == m.config.arch else f"{n} ({m.config.arch})"
                                                   for n, m in models.items())
    spectrogram_grid(out / "grid.png", grid, title=title)
    print(f"wrote {out / 'grid.png'}")
    for name, model in models.items():
        X, y = _labelled(X_db, segments, model)
        report = quality_report(model, X, y, args.report_n, args.report_seed)
        path = out / ("quality.json" if single else f"quality_{name}.json")
        path.write_text(json.dumps(report, indent=2))
        print(format_report(report, f"{name} ({model.config.arch}); FD in {report['embedding']}"))
        print(f"wrote {path}\n")
        for k, label in enumerate(model.class_names):
            if args.wavs > 0:
                images = generate(model, k, args.wavs, seed=args.report_seed + k)
                write_wavs(model, images, out / "samples", label if single else f"{name}_{label}")
    if args.wavs > 0:
        print(f"wrote {out / 'samples'}/*.wav")


def _train(args: argparse.Namespace) -> int:
    from seraug.features import load_features
    from seraug.gan.train import train_gan
    from seraug.normalise import MinMaxScaler

    config = GANConfig(**{f.name: getattr(args, f.name) for f in fields(GANConfig)})
    X_db, segments, features = load_features(args.features)
    keep = chosen_speakers(segments, args, "the feature store")
    X_db, segments = X_db[keep], segments[keep].reset_index(drop=True)
    class_names = sorted(segments["label"].unique())
    y = segments["label"].map({name: k for k, name in enumerate(class_names)}).to_numpy()
    scaler = MinMaxScaler().fit(X_db)
    print(f"{args.features}: training on {len(X_db)} segments of speakers "
          f"{', '.join(sorted(segments['speaker'].unique()))}; classes "
          + ", ".join(f"{n} {int((y == k).sum())}" for k, n in enumerate(class_names)))
    model = train_gan(scaler.transform(X_db), y, len(class_names), config, args.out, args.device,
                      class_names=class_names, scaler=scaler, features=features,
                      speakers=sorted(segments["speaker"].unique()))
    print(f"wrote {args.out} ({config.arch}, width {config.width})")
    if not args.no_report:
        _report({"generated": model}, X_db, segments, Path(args.out), args)
    return 0


def _generate(args: argparse.Namespace) -> int:
    import numpy as np

    from seraug.gan.bundle import GANModel, generate
    from seraug.gan.render import write_wavs

    model = GANModel.load(args.model, args.device)
    images = generate(model, args.label, args.n, args.seed)
    if args.wav_dir:
        paths = write_wavs(model, images, args.wav_dir, args.label)
        print(f"wrote {len(paths)} WAV files to {args.wav_dir}")
    if args.db:
        if model.scaler is None:
            raise ConfigError(f"{args.model}: the model stores no scaler, so --db is not possible")
        images = model.scaler.inverse_transform(images)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, images)
    print(f"wrote {args.out}: {images.shape} {'dB' if args.db else 'normalised'} in "
          f"[{images.min():.3g}, {images.max():.3g}]" if len(images) else f"wrote {args.out}: empty")
    return 0


def _report_command(args: argparse.Namespace) -> int:
    from seraug.features import load_features
    from seraug.gan.bundle import GANModel

    models = {}
    for i, folder in enumerate(args.model):
        name = Path(folder).resolve().name
        models[name if name not in models else f"{name}{i}"] = GANModel.load(folder, args.device)
    X_db, segments, _ = load_features(args.features)
    keep = chosen_speakers(segments, args, "the feature store")
    X_db, segments = X_db[keep], segments[keep].reset_index(drop=True)
    for name, model in models.items():  # say what the comparison is against: its own speakers or others
        shared = sorted(set(model.speakers or []) & set(segments["speaker"]))
        if model.speakers is None:
            print(f"{name}: its model.json records no training speakers (trained before seraug recorded them)")
        elif shared:
            print(f"{name}: compared with segments of its own training speakers {', '.join(shared)}; "
                  "--exclude-speakers (or --speakers) compares it with others")
    _report(models, X_db, segments, Path(args.out), args)
    return 0
