"""Command-line options shared by several ``seraug`` commands: how a corpus is named."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from seraug.corpora import CORPORA, CorpusError, load_manifest
from seraug.errors import ConfigError


def add_corpus_arguments(parser: argparse.ArgumentParser, required: bool = True, skip_bad: bool = True) -> None:
    """``--corpus``, ``--root``, ``--classes``, ``--merge`` (and ``--skip-bad`` unless ``skip_bad=False``):
    how every command names its input corpus."""
    parser.add_argument("--corpus", required=required, choices=sorted(CORPORA), help="corpus loader (see `seraug corpora`)")
    parser.add_argument("--root", help="corpus folder (for csv: the CSV file); default: the download cache "
                        "(EmoDB and RAVDESS are downloaded on first use)")
    parser.add_argument("--classes", help="comma-separated labels to keep, or 'all' (default: every label; "
                        "IEMOCAP: anger,happiness,sadness,neutral). IEMOCAP merges excitement into happiness "
                        "unless --classes is 'all' or names excitement, or --merge names it")
    parser.add_argument("--merge", action="append", default=[], metavar="FROM=TO",
                        help="rename a label (or the corpus's own code) before selection, e.g. "
                             "excitement=happiness (repeatable); FROM must occur in the corpus")
    if skip_bad:
        parser.add_argument("--skip-bad", action="store_true",
                            help="leave out what cannot be used, each listed with its reason: files that do not "
                                 "follow the corpus's naming, folders named like audio, CSV rows whose file is "
                                 "missing, and (features) unreadable, empty, truncated, silent, non-finite, "
                                 "absurdly loud or too short audio, listed in OUT/skipped.csv (default: stop "
                                 "with an error naming the first)")


def merge_from_args(args: argparse.Namespace) -> dict[str, str] | None:
    """``--merge FROM=TO`` options as a dict (None when there are none)."""
    merge = {}
    for item in args.merge:
        if "=" not in item:
            raise CorpusError(f"--merge expects FROM=TO, got {item!r}")
        source, target = item.split("=", 1)
        merge[source.strip()] = target.strip()
    return merge or None


def manifest_from_args(args: argparse.Namespace) -> pd.DataFrame:
    """The manifest that ``--corpus/--root/--classes/--merge`` describe."""
    from seraug.corpora.download import corpus_root  # urllib and zipfile load only when a command reads a corpus

    return load_manifest(args.corpus, corpus_root(args.corpus, args.root), args.classes, merge_from_args(args),
                         skip_bad=getattr(args, "skip_bad", False))


def speaker_list(text: str) -> list[str]:
    """``"03, 08"`` -> ``["03", "08"]``."""
    return [name.strip() for name in text.split(",") if name.strip()]


def add_speaker_arguments(parser: argparse.ArgumentParser) -> None:
    """``--speakers`` / ``--exclude-speakers``: the training part of a fold, so held-out speakers stay out."""
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--speakers", type=speaker_list, metavar="A,B,...",
                     help="keep only these speakers (the fold's training part)")
    who.add_argument("--exclude-speakers", type=speaker_list, metavar="A,B,...",
                     help="drop these speakers (the fold's test and validation speakers)")


def chosen_speakers(table: pd.DataFrame, args: argparse.Namespace, source: str) -> np.ndarray:
    """Boolean mask over the rows of ``table`` (a manifest or a feature store's segments) of the speakers that
    ``--speakers`` / ``--exclude-speakers`` choose (all rows when neither is given).

    Raises:
        ValueError: a named speaker is not in ``table`` (``source`` says where it was looked for), or the
            choice leaves a class of ``table`` without rows.
    """
    named = args.speakers or args.exclude_speakers or []
    unknown = sorted(set(named) - set(table["speaker"]))
    if unknown:
        raise ConfigError(f"speaker(s) {', '.join(unknown)} not in {source}; present: "
                         f"{', '.join(sorted(table['speaker'].unique()))}")
    mask = table["speaker"].isin(named).to_numpy()
    mask = mask if args.speakers else ~mask
    lost = sorted(set(table["label"]) - set(table.loc[mask, "label"]))
    if lost:
        raise ConfigError(f"the chosen speakers have no {', '.join(lost)}: every class must keep some of its data")
    return mask


def add_device_argument(parser: argparse.ArgumentParser, what: str = "networks train and run") -> None:
    """``--device``, declared once for every command: where the ``what`` (default auto)."""
    parser.add_argument("--device", default="auto",
                        help=f"where the {what}: auto (a CUDA GPU when there is one, else the CPU), cpu, cuda or "
                             "cuda:N (default auto)")
