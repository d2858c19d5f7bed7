"""``seraug experiment``: its command-line options, turned into an :class:`ExperimentConfig` and run."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from seraug.arguments import add_corpus_arguments, add_device_argument, merge_from_args
from seraug.errors import ConfigError
from seraug.experiment.strategies import IMPROVED_GAN, STRATEGIES
from seraug.experiment.folds import SCHEMES as FOLD_SCHEMES
from seraug.gan.recipes import SIZES

PRESET_NAMES = (*SIZES, "quick")
EXECUTORS = ("local", "ray")  # seraug.experiment.run.EXECUTORS, named here without importing torch

DESCRIPTION = f"""\
Compare balancing strategies as in the paper's Tables 2 and 3, with speaker-independent folds.

A run is a grid of cells (scenario, fold, strategy, seed). table3 trains on the corpus as it is; table2
removes 80% of one class at a time from the training part (--reduce), and its strategy 'full' trains
on the part before the removal (the ceiling). Each cell balances its training part by one strategy, trains the VGG19 and tests it on
held-out speakers. Finished cells are written to OUT/cells/, so running the same command again resumes
an interrupted run, and adding strategies or seeds to the same --out runs only the new cells. OUT gets
summary.md (UAR and F-score, mean +- std over folds and seeds, each strategy paired with 'imbalanced' on
the same folds with a 95% interval), summary.csv and report.html (figures, and audio of real and
generated segments).

Which strategy: {IMPROVED_GAN} is the GAN to use (gan is the paper's settings, bagan the original
BAGAN); on EmoDB the signal strategy sa is level with it or better (docs/results.md).
"""


def add_parser(subparsers, help: str) -> None:
    """Register ``seraug experiment`` (one-line ``help``) on an argparse subparsers object."""
    p = subparsers.add_parser(
        "experiment", help=help, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="seraug experiment --corpus NAME [--root DIR] --out DIR [options]\n"
              "       seraug experiment --summary-only --out DIR")
    add_corpus_arguments(p, required=False, skip_bad=False)  # a grid runs on a clean corpus
    p.add_argument("--protocol", choices=["table2", "table3"], default="table3",
                   help="table2: remove 80%% of one class at a time from training, columns = reduced class + average; "
                        "table3: the corpus as it is, UAR and F-score columns (default)")
    p.add_argument("--strategies", default=f"imbalanced,sa,{IMPROVED_GAN}",
                   help=f"comma-separated, from: {', '.join(STRATEGIES)} (default %(default)s, which needs "
                        "--noise-dir for sa; Table 1's names in either case). GANs: gan (the paper's settings), "
                        f"bagan (the original BAGAN), {IMPROVED_GAN} (the one to use)")
    p.add_argument("--seeds", default="1", help="comma-separated seeds (default %(default)s)")
    p.add_argument("--preset", choices=PRESET_NAMES, default="cpu",
                   help="cpu (default): VGG19 at width 1/8 with a one-cycle schedule, every fold, tables worth "
                        "reading on 2 CPU cores; smoke: tiny networks, 2 folds, minutes (numbers say little); "
                        "paper: the paper's full-width networks, every fold (for a GPU); quick: old name of smoke")
    p.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None,
                   help="bf16 autocast for the classifier and the GAN where the hardware has native bf16 (CPUs "
                        "with AMX / AVX512-BF16, bf16 GPUs); --no-amp trains in fp32 (default: the preset's)")
    p.add_argument("--folds", choices=["auto", *FOLD_SCHEMES], default="auto",
                   help="speaker: leave one speaker out; session: leave one session out; groups: --n-groups "
                        "speaker groups; shuffle: an 80/20 training/validation split with --test-corpus as the "
                        "test set (the paper's FEEL-25k protocol); auto (default): shuffle with --test-corpus, "
                        "else session when every utterance has one (IEMOCAP), else speaker")
    p.add_argument("--n-groups", type=int, default=5, help="speaker groups for --folds groups (default 5)")
    p.add_argument("--max-folds", type=int, help="use only the first N folds (default: the preset's)")
    p.add_argument("--reduce", help="table2: classes to reduce in turn (default: every class but neutral)")
    p.add_argument("--test-corpus", help="with --folds shuffle: the separate test corpus's loader name")
    p.add_argument("--test-root", help="with --folds shuffle: the separate test corpus's folder")
    p.add_argument("--noise-dir", help="folder of background-noise clips for BN (sa, sar, sar_m, sar_b)")
    add_device_argument(p)
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the classifier (faster epochs on a GPU after a slower first one)")
    p.add_argument("--only", action="append",
                   help="run only cells whose id matches this glob, e.g. 'reduce-sadness/*/gan/*' (repeatable); "
                        "ids are scenario/fold/strategy/seedN")
    p.add_argument("--reuse", action="append", metavar="DIR",
                   help="another run folder (repeatable) whose finished cells are copied instead of trained again "
                        "where they compute the same: the same cell made with the same settings (a strategy without "
                        "a GAN ignores the GAN's sizes), or a cell on a fold's whole training part (table2's full, "
                        "table3's imbalanced: the same whatever class is reduced); this run's own are always reused")
    p.add_argument("--summary-only", action="store_true",
                   help="run no cell; rebuild the tables from OUT/cells (e.g. after copying cells of several "
                        "machines together); the other options are ignored")
    p.add_argument("--executor", choices=EXECUTORS, default="local",
                   help="local (default): cells one after another here; ray: each cell a Ray task (pip install "
                        "'seraug[ray]'), the real segments sent through Ray's object store and results written "
                        "here, so workers need no shared file system (except the signal strategies cp, sa, sar*: "
                        "the corpus audio and --noise-dir at the same paths on every node)")
    p.add_argument("--ray-address", metavar="ADDRESS",
                   help="with --executor ray: the cluster to join, 'auto' (the one `ray start --head` runs here) "
                        "or HOST:PORT (default: $RAY_ADDRESS, else a new Ray instance on this machine)")
    p.add_argument("--out", required=True, help="output folder (re-running with the same folder resumes)")
    p.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    from seraug.experiment.config import ExperimentConfig
    from seraug.experiment.report import write_report
    from seraug.experiment.run import run_experiment

    if args.summary_only:
        write_report(args.out)
    elif not args.corpus:
        raise ConfigError("--corpus is required unless --summary-only (see `seraug corpora`)")
    else:
        config = ExperimentConfig(
            corpus=args.corpus, root=args.root, out=args.out, protocol=args.protocol,
            strategies=[s.strip() for s in args.strategies.split(",") if s.strip()],
            seeds=[int(s) for s in args.seeds.split(",")], preset=args.preset, folds=args.folds,
            n_groups=args.n_groups, max_folds=args.max_folds,
            reduce=[c.strip() for c in args.reduce.split(",")] if args.reduce else None, classes=args.classes,
            merge=merge_from_args(args),
            test_corpus=args.test_corpus, test_root=args.test_root, noise_dir=args.noise_dir, device=args.device,
            compile=args.compile, amp=args.amp, only=args.only, reuse=args.reuse,
            command=shlex.join(["seraug", *args.argv]))
        run_experiment(config, executor=args.executor, ray_address=args.ray_address)
    print((Path(args.out) / "summary.md").read_text())
    return 0
