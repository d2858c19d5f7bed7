"""``seraug gan train|generate|report``: train a GAN on a feature store, sample from it, judge it.

Heavy imports (torch, sklearn, matplotlib) happen inside the commands, so registering the parser is cheap.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path

from seraug.arguments import add_speaker_arguments, chosen_speakers, speaker_list
from seraug.errors import ConfigError
from seraug.gan.config import ARCHS, SAMPLING_FIELDS, GANConfig


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
    _add_sampling_options(p)
    p.set_defaults(func=_generate)

    p = actions.add_parser(
        "report", help="quality report and grids of one or more models, side by side",
        description="For each model: per-class Fréchet distance (band-statistics embedding), recognition rate "
                    "by a classifier trained on real segments (GAN-test), diversity ratio (mode-collapse flag), "
                    "striation ratio (the harmonic striations of voiced speech below 1 kHz, generated / real), "
                    "with --test-speakers GAN-train (a classifier trained on generated segments only, tested "
                    "on held-out speakers), with --classifier the Fréchet distances and GAN-train again in the "
                    "evaluation VGG19's penultimate layer; printed and saved to OUT/quality_<name>.json; one "
                    "grid OUT/grid.png with real segments beside each model's; OUT/samples/<name>_<class>_<i>.wav.")
    p.add_argument("--model", required=True, action="append", help="model folder (repeat to compare models)")
    p.add_argument("--features", required=True, help="feature store with the real segments to compare with")
    p.add_argument("--out", required=True, help="folder for the report files")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    add_speaker_arguments(p)
    p.add_argument("--test-speakers", type=speaker_list, metavar="A,B,...",
                   help="held-out speakers of the feature store (none of the models' training speakers) for "
                        "GAN-train; they are left out of the real segments compared with")
    p.add_argument("--classifier", metavar="FILE.pt",
                   help="a VGG19 saved by seraug.classifier.save_model whose penultimate layer is the learned "
                        "embedding; if FILE.pt does not exist, one is trained with --classifier-preset on the "
                        "real segments compared with (not the test speakers) and saved there")
    p.add_argument("--classifier-preset", default="cpu",
                   help="the `seraug experiment` preset whose classifier recipe trains FILE.pt (default cpu; "
                        "smoke for a quick look), always keeping the last epoch")
    _add_report_options(p)
    _add_sampling_options(p)
    p.set_defaults(func=_report_command)


def _at_least_two(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2 (a Fréchet distance needs 2 samples), got {value}")
    return value


def _add_sampling_options(p: argparse.ArgumentParser) -> None:
    """``--sample-spread`` and ``--sample-best-of``: sample a trained model otherwise than it was trained with
    (:data:`seraug.gan.config.SAMPLING_FIELDS`, no retraining), with the fields' own help; default: the model's."""
    for f in fields(GANConfig):
        if f.name in SAMPLING_FIELDS:
            p.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=type(f.default), default=None,
                           metavar="N" if isinstance(f.default, int) else "S",
                           help=f.metadata["help"] + " (default: the model's own)")


def _load_model(folder: str, device: str, args: argparse.Namespace):
    """A trained model, sampling with the options of :func:`_add_sampling_options` that are given."""
    from dataclasses import replace

    from seraug.gan.bundle import GANModel

    model = GANModel.load(folder, device)
    given = {name: getattr(args, name) for name in SAMPLING_FIELDS if getattr(args, name) is not None}
    return replace(model, config=replace(model.config, **given)) if given else model


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


def _report(models: dict, X_db, segments, out: Path, args: argparse.Namespace, test=None, classifier=None) -> None:
    """Grid, quality JSON (printed) and WAVs for ``{name: GANModel}``; one model => unsuffixed file names.

    ``test``: ``(X_db, segments)`` of held-out speakers for GAN-train; ``classifier``: a VGG19 whose
    penultimate layer is the learned embedding (its own scaler maps dB to its input)."""
    from seraug.classifier import embed
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
        X_test, y_test = _labelled(*test, model) if test is not None else (None, None)
        learned = (lambda Z, m=model: embed(classifier, classifier.scaler.transform(m.scaler.inverse_transform(Z)))
                   ) if classifier is not None else None
        report = quality_report(model, X, y, args.report_n, args.report_seed, X_test=X_test, y_test=y_test,
                                embed=learned)
        path = out / ("quality.json" if single else f"quality_{name}.json")
        path.write_text(json.dumps(report, indent=2))
        sampled = "".join(f", {field} {getattr(model.config, field)}" for field in SAMPLING_FIELDS
                          if getattr(model.config, field) != getattr(GANConfig(), field))
        print(format_report(report, f"{name} ({model.config.arch}{sampled}); FD in {report['embedding']}"))
        print(f"wrote {path}\n")
        for k, label in enumerate(model.class_names):
            if args.wavs > 0:
                images = generate(model, k, args.wavs, seed=args.report_seed + k)
                write_wavs(model, images, out / "samples", label if single else f"{name}_{label}")
    if args.wavs > 0:
        print(f"wrote {out / 'samples'}/*.wav")


def _train(args: argparse.Namespace) -> int:
    from seraug.feature_store import load_features
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

    from seraug.gan.bundle import generate
    from seraug.gan.render import write_wavs

    model = _load_model(args.model, args.device, args)
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
    from seraug.feature_store import load_features

    models = {}
    for i, folder in enumerate(args.model):
        name = Path(folder).resolve().name
        models[name if name not in models else f"{name}{i}"] = _load_model(folder, args.device, args)
    X_db, segments, _ = load_features(args.features)
    test = None
    if args.test_speakers:
        held = segments["speaker"].isin(args.test_speakers).to_numpy()
        missing = sorted(set(args.test_speakers) - set(segments["speaker"]))
        if missing:
            raise ConfigError(f"--test-speakers {', '.join(missing)} not in {args.features}")
        for name, model in models.items():
            seen = sorted(set(model.speakers or []) & set(args.test_speakers))
            if seen:
                raise ConfigError(f"{name} was trained on test speaker(s) {', '.join(seen)}: GAN-train needs speakers "
                                  "the GAN has not seen")
        test = (X_db[held], segments[held].reset_index(drop=True))
        X_db, segments = X_db[~held], segments[~held].reset_index(drop=True)
    keep = chosen_speakers(segments, args, "the feature store")
    X_db, segments = X_db[keep], segments[keep].reset_index(drop=True)
    classifier = _classifier(args, X_db, segments, next(iter(models.values()))) if args.classifier else None
    for name, model in models.items():  # say what the comparison is against: its own speakers or others
        shared = sorted(set(model.speakers or []) & set(segments["speaker"]))
        if model.speakers is None:
            print(f"{name}: its model.json records no training speakers (trained before seraug recorded them)")
        elif shared:
            print(f"{name}: compared with segments of its own training speakers {', '.join(shared)}; "
                  "--exclude-speakers (or --speakers) compares it with others")
    _report(models, X_db, segments, Path(args.out), args, test, classifier)
    return 0


def _classifier(args: argparse.Namespace, X_db, segments, model):
    """The VGG19 of ``--classifier``: loaded, or trained on the real segments (dB) and saved first."""
    from dataclasses import replace

    import numpy as np

    from seraug.classifier import fit_or_load
    from seraug.experiment.config import PRESETS

    path = Path(args.classifier)
    if args.classifier_preset not in PRESETS:
        raise ConfigError(f"unknown --classifier-preset {args.classifier_preset!r}; choose {', '.join(PRESETS)}")
    keep = segments["label"].isin(model.class_names).to_numpy()
    y = np.array([model.class_names.index(label) for label in segments["label"][keep]])
    if not path.exists():
        print(f"training the embedding's VGG19 ({args.classifier_preset} recipe) on {int(keep.sum())} real segments")
    return fit_or_load(path, X_db[keep], y, len(model.class_names),
                       replace(PRESETS[args.classifier_preset].classifier, device=args.device))
