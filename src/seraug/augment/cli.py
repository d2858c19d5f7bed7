"""`seraug augment`: balance a corpus's training part with a Table 1 strategy or random undersampling."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from seraug.augment.render import write_augmented
from seraug.augment.strategies import (
    STRATEGIES,
    class_counts,
    make_plan,
    original_plan,
    strategy_name,
    undersample,
)
from seraug.augment.transforms import (
    DEFAULT_BN_SNR_DB,
    DEFAULT_GN_SNR_DB,
    DEFAULT_RATES,
    DEFAULT_SEMITONES,
    AugmentError,
    BackgroundNoise,
    Copy,
    GaussianNoise,
    NoiseBank,
    PitchShift,
    TimeStretch,
    Transform,
)
from seraug.arguments import add_corpus_arguments, add_speaker_arguments, chosen_speakers, manifest_from_args

DESCRIPTION = """\
Balance the training part of a corpus and write it to OUT: the augmented audio as WAV (32-bit float,
unclipped, in OUT/audio/) and OUT/manifest.csv, one row per utterance of the balanced set with its
source utterance, kind (original / added / replacement), transform and exact parameters (JSON), and
path (relative to OUT; originals keep their own file). Read it back with
`--corpus csv --root OUT/manifest.csv`. Re-running the same command resumes an interrupted run.

Strategies (the paper's Table 1, in either case; every class ends with the majority-class count;
the same names as `seraug experiment --strategies`):
  imbalanced  the training part as it is (the paper's "Initial Dataset"; old name: none)
  under       random undersampling to --ratio = N_minority / N_majority (1.0: fully balanced), or
              underR (e.g. under0.6); no audio (old name: RU)
  cp          add copies of originals drawn at random from the class
  sa          add augmented originals, each with one of TS, PS, GN, BN drawn at random
  sar         SA, and in every class replace (its count - the minority count) originals by
              augmented versions of themselves, so every class has the same share of processed audio
  sar_m       SA with replacement in the majority class only
  sar_b       SAR with background noise (BN) only
  sar_s       SAR with time stretch (TS) and pitch shift (PS) only
Transforms: TS time stretch (duration / rate, pitch kept), PS pitch shift (duration kept), GN white
Gaussian noise, BN a background sound from --noise-dir, each at an SNR drawn in dB.

Use only a fold's training speakers (--speakers, or --exclude-speakers for the test and validation
speakers): augmentation draws from nothing else. Without either, every speaker is balanced and a
warning says so: such output must not train a model tested on speakers of the same corpus.

example: seraug augment --corpus emodb --root ../shared/data/emodb --strategy sar \\
           --noise-dir ../shared/data/esc10 --exclude-speakers 03,08 --seed 1 --out runs/emodb-sar
"""


def add_parser(subparsers: argparse._SubParsersAction, help: str) -> None:
    """Register `seraug augment` (one-line ``help``) on a subparsers object; its ``func`` returns an exit code."""
    p = subparsers.add_parser("augment", help=help,
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_corpus_arguments(p)
    p.add_argument("--strategy", required=True, type=strategy_name, metavar="STRATEGY",
                   help="imbalanced, under (or underR), cp, sa, sar, sar_m, sar_b, sar_s (see above)")
    p.add_argument("--out", required=True, help="output folder (manifest.csv, audio/, settings.json)")
    p.add_argument("--seed", type=int, default=0, help="seeds every random choice; same seed, same audio (default 0)")
    p.add_argument("--ratio", type=float,
                   help="under only: N_minority / N_majority after undersampling, in (0, 1] (default 1.0)")
    add_speaker_arguments(p)
    p.add_argument("--noise-dir", help="folder of background-noise clips (wav/flac/ogg/mp3, searched recursively), "
                                       "e.g. ESC-50; needed (and read) by SA, SAR, SAR_M and SAR_B only")
    p.add_argument("--no-noise-loop", action="store_true",
                   help="refuse a noise clip shorter than the utterance, when planning, before any audio is "
                        "written (default: loop it, joins cross-faded over 20 ms); silent clip edges are cut "
                        "before the length is compared")
    p.add_argument("--ts-rates", type=float, nargs=2, metavar=("MIN", "MAX"), default=DEFAULT_RATES,
                   help="time-stretch rates, >1 is faster (default %(default)s)")
    p.add_argument("--ps-semitones", type=float, nargs=2, metavar=("MIN", "MAX"), default=DEFAULT_SEMITONES,
                   help="pitch shift in semitones (default %(default)s)")
    p.add_argument("--gn-snr", type=float, nargs=2, metavar=("MIN", "MAX"), default=DEFAULT_GN_SNR_DB,
                   help="Gaussian-noise SNR in dB (default %(default)s)")
    p.add_argument("--bn-snr", type=float, nargs=2, metavar=("MIN", "MAX"), default=DEFAULT_BN_SNR_DB,
                   help="background-noise SNR in dB (default %(default)s)")
    p.add_argument("--jobs", type=int, help="processes rendering audio (default: one per CPU core)")
    p.add_argument("--plan-only", action="store_true",
                   help="write only OUT/plan.csv (what would be made, with parameters), no audio")
    p.set_defaults(func=run)


def training_manifest(args: argparse.Namespace) -> tuple[pd.DataFrame, list[str]]:
    """The corpus restricted to the chosen speakers, and every class of the corpus (each must remain)."""
    corpus = manifest_from_args(args)
    manifest = corpus[chosen_speakers(corpus, args, "the corpus")]
    return manifest.reset_index(drop=True), sorted(corpus["label"].unique())


def transforms_from_args(args: argparse.Namespace) -> dict[str, Transform]:
    """The transforms with the ranges given on the command line; BN (which reads --noise-dir) only when
    the strategy uses it."""
    transforms: list[Transform] = [Copy(), TimeStretch(*args.ts_rates), PitchShift(*args.ps_semitones),
                                   GaussianNoise(*args.gn_snr)]
    table1 = STRATEGIES.get(args.strategy.upper())
    uses_noise = table1 is not None and "BN" in table1.transforms
    if args.noise_dir and uses_noise:
        transforms.append(BackgroundNoise(NoiseBank(args.noise_dir, loop=not args.no_noise_loop), *args.bn_snr))
    return {t.name: t for t in transforms}


def run(args: argparse.Namespace) -> int:
    """`seraug augment`; a file system error (e.g. permission denied on --out) becomes a one-line AugmentError."""
    try:
        return _run(args)
    except OSError as err:
        reason = (err.strerror or str(err)).lower()
        raise AugmentError(f"{err.filename}: {reason}" if err.filename else reason) from None


def _undersampling_ratio(strategy: str, ratio: float | None) -> float | None:
    """The ratio of ``under`` (``--ratio``, default 1.0) or ``underR``; None for other strategies, which
    must be known ones."""
    if strategy.startswith("under"):
        named = strategy.removeprefix("under")
        try:
            from_name = float(named) if named else None
        except ValueError:
            raise AugmentError(f"unknown strategy {strategy!r}; undersampling is under or underR, e.g. under0.6") from None
        if from_name is not None and ratio is not None and ratio != from_name:
            raise AugmentError(f"--strategy {strategy} and --ratio {ratio} disagree; give one")
        return from_name if from_name is not None else 1.0 if ratio is None else ratio
    if strategy != "imbalanced" and strategy.upper() not in STRATEGIES:
        raise AugmentError(f"unknown strategy {strategy!r}; choose imbalanced, under, "
                           f"{', '.join(s.lower() for s in STRATEGIES)}")
    if ratio is not None:
        raise AugmentError(f"--ratio applies to --strategy under only, not {strategy}")
    return None


def _run(args: argparse.Namespace) -> int:
    ratio = _undersampling_ratio(args.strategy, args.ratio)
    manifest, classes = training_manifest(args)
    if not (args.speakers or args.exclude_speakers):
        print("seraug augment: warning: no --speakers or --exclude-speakers, so the output holds every speaker of "
              "the corpus; do not train on it for a speaker-independent test on the same corpus", file=sys.stderr)
    transforms = transforms_from_args(args)
    if args.strategy == "imbalanced":
        plan = original_plan(manifest)
    elif ratio is not None:
        plan = undersample(manifest, ratio, args.seed, classes)
    else:
        plan = make_plan(manifest, args.strategy.upper(), args.seed, transforms, classes)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k != "func"}
    (out / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")
    before = class_counts(manifest).rename("before")
    after = pd.crosstab(plan["label"], plan["kind"]).assign(after=plan["label"].value_counts())
    print(f"{args.strategy}: {len(manifest)} training utterances ({manifest['speaker'].nunique()} speakers) "
          f"-> {len(plan)}\n")
    print(pd.concat([before, after], axis=1).fillna(0).astype(int).to_string(), "\n")
    if args.plan_only:
        plan.to_csv(out / "plan.csv", index=False)
        print(f"wrote {out / 'plan.csv'}")
        return 0
    write_augmented(plan, out, transforms, jobs=args.jobs)
    print(f"wrote {out / 'manifest.csv'} and {(plan['kind'] != 'original').sum()} WAV files in {out / 'audio'}")
    return 0
