"""The ``seraug`` command. Each subcommand has ``--help``; a :class:`~seraug.errors.SeraugError` or an
operating-system error prints one line and exits with code 2 (handled here only, for every command)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import pandas as pd

from seraug import __version__
from seraug.arguments import add_corpus_arguments, add_device_argument, manifest_from_args
from seraug.corpora import CORPORA
from seraug.errors import SeraugError

HEAVY_COMMANDS = {
    "augment": ("seraug.augment.cli", "balance a training set: Table 1 augmentation or undersampling"),
    "gan": ("seraug.gan.cli", "train a class-conditional GAN on log-mel segments, generate, report quality"),
    "experiment": ("seraug.experiment.cli", "compare balancing strategies as in the paper's Tables 2 and 3"),
}
"""Commands whose modules import torch, librosa and scikit-learn (seconds on a small machine): name ->
(module with ``add_parser(subparsers, help)``, one-line help). A module is imported only when its
command runs, so ``seraug --help``, ``--version`` and the light commands answer at once."""


def _corpora(args: argparse.Namespace) -> int:
    """List the corpus loaders."""
    for name, module in CORPORA.items():
        download = " [seraug download]" if hasattr(module, "DOWNLOAD_URL") else ""
        print(f"{name:8s} {module.DESCRIPTION}{download}")
    return 0


def _manifest(args: argparse.Namespace) -> int:
    """Read a corpus and print its utterances per speaker and class."""
    manifest = manifest_from_args(args)
    print(f"{args.corpus}: {len(manifest)} utterances, {manifest['speaker'].nunique()} speakers, "
          f"{manifest['label'].nunique()} labels\n")
    print(pd.crosstab(manifest["speaker"], manifest["label"], margins=True, margins_name="total").to_string())
    if args.out:
        manifest.to_csv(args.out, index=False)
        print(f"\nwrote {args.out}")
    return 0


def _download(args: argparse.Namespace) -> int:
    """Download, unpack and check a corpus archive into the cache ($SERAUG_CACHE or ~/.cache/seraug). Loaders use
    it when --root is not given."""
    from seraug.corpora.download import download

    print(f"{args.name}: ready at {download(args.name, args.cache, args.url, sha256=args.sha256)}")
    return 0


def _features(args: argparse.Namespace) -> int:
    """Compute the paper's log-mel segments (16 kHz, 50 ms Hann window, 25 ms hop, 128 mels, log power, 128-frame
    segments) and write OUT/spectrograms.npy (N x 128 x 128, dB), OUT/segments.csv and OUT/config.json.
    Re-running with the same inputs and config reuses the store."""
    from seraug.features.store import extract_features
    from seraug.features.logmel import LogMelConfig

    manifest = manifest_from_args(args)
    config = LogMelConfig(segment_hop=args.segment_hop)
    X, segments = extract_features(manifest, args.out, config, device=args.device, skip_bad=args.skip_bad)
    skipped = pd.read_csv(f"{args.out}/skipped.csv")
    print(f"{args.out}: {len(X)} segments of {X.shape[1]}x{X.shape[2]} from {segments['utterance'].nunique()} "
          f"utterances, {segments['speaker'].nunique()} speakers, {segments['label'].nunique()} labels")
    for row in skipped.itertuples():
        print(f"skipped {row.path}: {row.reason}")
    return 0


def _results(args: argparse.Namespace) -> int:
    """Rebuild each run folder's tables from its cells and write them, with the command that made each run, its
    compute time, machine and versions, into one markdown page (e.g. docs/results.md). Writes only --out (and
    --readme): the run folders are read, not changed."""
    from seraug.experiment.results import readme_table, rewrite_block, write_results

    write_results(args.runs, args.out)
    print(f"wrote {args.out}")
    if args.readme:
        rewrite_block(args.readme, readme_table(args.runs[0]))
        print(f"wrote the results table of {args.readme} from {args.runs[0]}")
    return 0


def _command(sub, name: str, func, help: str) -> argparse.ArgumentParser:
    """A light subcommand: ``func`` runs it, its docstring is the ``--help`` description."""
    p = sub.add_parser(name, help=help, description=" ".join(func.__doc__.split()))
    p.set_defaults(func=func)
    return p


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``seraug`` parser; of the :data:`HEAVY_COMMANDS`, only ``command``'s options are built."""
    parser = argparse.ArgumentParser(
        prog="seraug",
        description="Class balancing for speech emotion recognition: log-mel segments, signal augmentation, "
                    "a class-conditional GAN and a speaker-independent VGG19 evaluation.",
    )
    parser.add_argument("--version", action="version", version=f"seraug {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _command(sub, "corpora", _corpora, "list the corpus loaders")

    p = _command(sub, "manifest", _manifest, "utterances per class and speaker of a corpus")
    add_corpus_arguments(p)
    p.add_argument("--out", help="also write the manifest as CSV here")

    p = _command(sub, "download", _download, "download a corpus with a public archive (emodb, ravdess)")
    p.add_argument("name", help="emodb or ravdess")
    p.add_argument("--cache", help="cache folder (default $SERAUG_CACHE or ~/.cache/seraug)")
    p.add_argument("--url", help="archive address (default: the authors' published archive)")
    p.add_argument("--sha256", help="the archive's SHA-256 (hex): refused unpacked if it differs")

    p = _command(sub, "features", _features, "log-mel 128x128 segments of a corpus, stored on disk")
    add_corpus_arguments(p)
    p.add_argument("--out", required=True, help="feature store folder")
    p.add_argument("--segment-hop", type=int, default=128,
                   help="frames between segment starts (128 = no overlap; 64 = 50%% overlap)")
    add_device_argument(p, "spectrograms are computed")

    p = _command(sub, "results", _results, "one markdown page of results from experiment run folders")
    p.add_argument("runs", nargs="+", help="run folders of seraug experiment (their --out)")
    p.add_argument("--out", required=True, help="markdown file to write, e.g. docs/results.md")
    p.add_argument("--readme", metavar="PAGE",
                   help="also rewrite the table between <!-- results-table --> and <!-- /results-table --> in PAGE "
                        "(e.g. README.md) with the first run's short table (current strategies only)")

    for name, (module, text) in HEAVY_COMMANDS.items():
        if name == command:
            importlib.import_module(module).add_parser(sub, text)
        else:  # listed in `seraug --help`; its options are built when it is the command
            sub.add_parser(name, help=text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(command).parse_args(argv)
    args.argv = argv  # the command line as given, recorded by `seraug experiment` in its config.json
    try:
        return args.func(args)
    except SeraugError as err:  # bad input, a config that cannot work, a training that diverged
        print(f"seraug {args.command}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a full disk, a read-only folder, a missing file: the path and the cause
        where = f"{err.filename}: " if err.filename else ""
        print(f"seraug {args.command}: error: {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"seraug {args.command}: interrupted; finished work is kept, re-run to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
