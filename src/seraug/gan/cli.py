"""``seraug gan train|generate|report``: train a GAN on a feature store, sample from it, judge it.

Heavy imports (torch, sklearn, matplotlib) happen inside the commands, so registering the parser is cheap.
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

from seraug.arguments import add_device_argument, add_speaker_arguments, chosen_speakers, speaker_list
from seraug.errors import ConfigError
from seraug.gan.config import ARCHS, GANConfig
from seraug.gan.recipes import IMPROVED, RECIPES, SIZES

OPTION_GROUPS = {
    "size": ("the networks' size", ("width", "latent_dim", "hidden", "batch_size")),
    "schedule": ("how long and how fast it learns: (a) the autoencoder, then (c) the adversarial fine-tuning",
                 ("ae_epochs", "ae_lr", "gan_epochs", "gan_lr", "g_ema")),
    "advanced": ("everything else (G is the generator, D the discriminator; defaults: the recipe's)",
                 ("arch", "dropout", "leaky_slope", "ae_texture_weight", "beta1", "beta2", "max_recoveries",
                  "collapse_ratio", "seed", "amp", "channels_last")),
}
"""``seraug gan train``'s :class:`GANConfig` options by group; each overrides the recipe's value."""


def add_parser(subparsers, help: str) -> None:
    """Register ``gan`` (one-line ``help``) with its ``train``, ``generate`` and ``report`` actions."""
    gan = subparsers.add_parser(
        "gan", help=help,
        description="The paper's GAN (Chatziagapi et al. 2019, Sections 2.2-2.4) and the original BAGAN: "
                    "autoencoder -> class Gaussians -> adversarial fine-tuning, then per-class generation.")
    actions = gan.add_subparsers(dest="gan_command", required=True, metavar="ACTION")

    p = actions.add_parser(
        "train", help="train on a feature store (seraug features --out DIR)",
        description="Train a GAN recipe on the segments of a feature store (all, or those of --speakers / without "
                    "--exclude-speakers, so held-out speakers stay out of the GAN and its scaler), normalised into "
                    "[-1, 1] with a min-max scaler fitted on them. Recipes: "
                    + "; ".join(f"{r.name}: {r.description}" for r in RECIPES.values())
                    + f". Without options it trains {IMPROVED} at the cpu size (about 16 minutes for EmoDB's "
                    "535 utterances on 2 CPU cores in fp32). MODEL receives checkpoint.pt after every epoch "
                    "(re-running the same command resumes an interrupted run), losses.csv, the model "
                    "(weights.pt, latent.npz, model.json) and, unless --no-report, grid.png (real beside "
                    "generated per class), quality.json (also printed, with its bars) and samples/*.wav.")
    p.add_argument("--features", required=True, help="feature store folder (spectrograms.npy, segments.csv)")
    p.add_argument("--out", required=True, metavar="MODEL", help="model folder to write (or resume)")
    recipe = p.add_argument_group("recipe", "what to train, and at which size")
    recipe.add_argument("--recipe", choices=list(RECIPES), default=IMPROVED,
                        help=f"default {IMPROVED}, the one to use (docs/gan-choice.md)")
    recipe.add_argument("--preset", choices=list(SIZES), default="cpu",
                        help="smoke: minutes, for a first look; cpu (default): what 2 CPU cores train in about a "
                             "quarter of an hour; paper: the paper's full-width networks, hours: for a GPU")
    add_device_argument(p)
    p.add_argument("--no-report", action="store_true", help="skip grid, quality report and WAVs after training")
    add_speaker_arguments(p)
    _add_report_options(p)
    by_name = {f.name: f for f in fields(GANConfig)}
    for title, (about, names) in OPTION_GROUPS.items():
        group = p.add_argument_group(title, about)
        for name in names:
            f = by_name[name]
            flag = "--" + name.replace("_", "-")
            if isinstance(f.default, bool):  # --amp / --no-amp
                group.add_argument(flag, dest=name, default=None, action=argparse.BooleanOptionalAction,
                                   help=f.metadata["help"])
            else:
                kind = float if f.default is None else type(f.default)
                group.add_argument(flag, dest=name, type=kind, default=None, help=f.metadata["help"],
                                   choices=ARCHS if name == "arch" else None)
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
    add_device_argument(p, "generator runs")
    _add_sampling_options(p)
    p.set_defaults(func=_generate)

    p = actions.add_parser(
        "report", help="quality report and grids of one or more models, side by side",
        description="For each model: per-class Fréchet distance (band-statistics embedding) over its real-halves "
                    "floor, GAN-test (how often a classifier trained on real segments recognises generated ones), "
                    "diversity (mode-collapse flag), striations (the harmonic fine structure of voiced speech "
                    "below 1 kHz) and pauses, generated over real; with --test-speakers GAN-train (a classifier "
                    "trained on generated segments only, tested on held-out speakers); with --classifier the "
                    "Fréchet distances and GAN-train again in the evaluation VGG19's penultimate layer. Each "
                    "measure is printed beside its bar and saved to OUT/quality_<name>.json; one grid OUT/grid.png "
                    "with real segments beside each model's; OUT/samples/<name>_<class>_<i>.wav.")
    p.add_argument("--model", required=True, action="append", help="model folder (repeat to compare models)")
    p.add_argument("--features", required=True, help="feature store with the real segments to compare with")
    p.add_argument("--out", required=True, help="folder for the report files")
    add_device_argument(p)
    add_speaker_arguments(p)
    p.add_argument("--test-speakers", type=speaker_list, metavar="A,B,...",
                   help="held-out speakers of the feature store (none of the models' training speakers) for "
                        "GAN-train; they are left out of the real segments compared with")
    p.add_argument("--classifier", metavar="FILE.pt",
                   help="a VGG19 saved by seraug.classifier.save_model whose penultimate layer is the learned "
                        "embedding; if FILE.pt does not exist, one is trained with --classifier-preset on the "
                        "real segments compared with (not the test speakers) and saved there")
    p.add_argument("--classifier-preset", default="cpu", choices=list(SIZES),
                   help="the preset whose classifier recipe trains FILE.pt (default cpu; smoke for a quick look), "
                        "always keeping the last epoch")
    _add_report_options(p)
    _add_sampling_options(p)
    p.set_defaults(func=_report_command)


def _at_least_two(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2 (a Fréchet distance needs 2 samples), got {value}")
    return value


def _add_sampling_options(p: argparse.ArgumentParser) -> None:
    """``--spread`` and ``--best-of``: how a trained model's codes are drawn (:func:`seraug.gan.generate`)."""
    p.add_argument("--spread", type=float, default=1.0, metavar="S",
                   help="draw the codes at S times the class normals' fitted spread (default 1, the paper; below 1 "
                        "the samples keep nearer their class's mean: less varied, more typical)")
    p.add_argument("--best-of", type=int, default=1, metavar="N",
                   help="decode N codes per sample and keep the one the discriminator rates most likely a real "
                        "segment of its class (default 1: every draw kept, the paper), for N times the decoding")


def _add_report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--report-n", type=_at_least_two, default=None,
                   help="generated segments per class for the quality report, at least 2 (default: as many as "
                        "real ones, at least 16)")
    p.add_argument("--grid-n", type=int, default=4, help="segments per class and column in the grid (default 4)")
    p.add_argument("--wavs", type=int, default=2, help="WAV files per class (default 2; 0 for none)")
    p.add_argument("--report-seed", type=int, default=0, help="seed of the report's samples (default 0)")


def _report_arguments(args: argparse.Namespace) -> dict:
    """The options of :func:`seraug.gan.assess.assess` that the commands share."""
    return {"report_n": args.report_n, "grid_n": args.grid_n, "wavs": args.wavs, "seed": args.report_seed,
            "spread": getattr(args, "spread", 1.0), "best_of": getattr(args, "best_of", 1)}


def _train(args: argparse.Namespace) -> int:
    from seraug.features.store import load_features
    from seraug.gan.assess import assess
    from seraug.gan.recipes import recipe_config
    from seraug.gan.train import train_gan
    from seraug.features.normalise import MinMaxScaler
    from seraug.runtime import resolve_device

    overrides = {f.name: getattr(args, f.name) for f in fields(GANConfig) if getattr(args, f.name) is not None}
    config = recipe_config(args.recipe, args.preset, **overrides)
    print(f"recipe {args.recipe} at the {args.preset} size: width {config.width:g}, {config.ae_epochs} autoencoder "
          f"+ {config.gan_epochs} fine-tuning epochs" + (", set by options: " + ", ".join(overrides) if overrides else ""))
    if args.preset == "paper" and resolve_device(args.device).type == "cpu":
        print("the paper size is a GPU's work: on a CPU it takes hours (--preset cpu trains in about a quarter of "
              "an hour)")
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
    print(f"wrote {args.out} ({args.recipe}: {config.arch}, width {config.width:g})")
    if not args.no_report:
        assess({"generated": model}, X_db, segments, Path(args.out), **_report_arguments(args))
    return 0


def _generate(args: argparse.Namespace) -> int:
    import numpy as np

    from seraug.gan.bundle import GANModel, generate
    from seraug.gan.render import write_wavs

    model = GANModel.load(args.model, args.device)
    images = generate(model, args.label, args.n, args.seed, spread=args.spread, best_of=args.best_of)
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
    from seraug.features.store import load_features
    from seraug.gan.assess import assess, hold_out
    from seraug.gan.bundle import GANModel

    models = {}
    for i, folder in enumerate(args.model):
        name = Path(folder).resolve().name
        models[name if name not in models else f"{name}{i}"] = GANModel.load(folder, args.device)
    X_db, segments, _ = load_features(args.features)
    test = None
    if args.test_speakers:
        (X_db, segments), test = hold_out(X_db, segments, args.test_speakers, models, args.features)
    keep = chosen_speakers(segments, args, "the feature store")
    X_db, segments = X_db[keep], segments[keep].reset_index(drop=True)
    embed_db = _embedding(args, X_db, segments, next(iter(models.values()))) if args.classifier else None
    for name, model in models.items():  # say what the comparison is against: its own speakers or others
        shared = sorted(set(model.speakers or []) & set(segments["speaker"]))
        if model.speakers is None:
            print(f"{name}: its model.json records no training speakers (trained before seraug recorded them)")
        elif shared:
            print(f"{name}: compared with segments of its own training speakers {', '.join(shared)}; "
                  "--exclude-speakers (or --speakers) compares it with others")
    assess(models, X_db, segments, Path(args.out), test=test, embed_db=embed_db, **_report_arguments(args))
    return 0


def _embedding(args: argparse.Namespace, X_db, segments, model):
    """Segments in dB -> the penultimate layer of the VGG19 of ``--classifier``: loaded, or trained on the real
    segments (dB) of the model's classes and saved first."""
    from dataclasses import replace

    import numpy as np

    from seraug.classifier import embed, fit_or_load
    from seraug.classifier.recipes import CLASSIFIER_PRESETS

    path = Path(args.classifier)
    keep = segments["label"].isin(model.class_names).to_numpy()
    y = np.array([model.class_names.index(label) for label in segments["label"][keep]])
    if not path.exists():
        print(f"training the embedding's VGG19 ({args.classifier_preset} recipe) on {int(keep.sum())} real segments")
    vgg = fit_or_load(path, X_db[keep], y, len(model.class_names),
                      replace(CLASSIFIER_PRESETS[args.classifier_preset], device=args.device))
    return lambda Z_db: embed(vgg, vgg.scaler.transform(Z_db))
