"""Command-line options shared by several ``seraug`` commands: how a corpus is named."""

from __future__ import annotations

import argparse

import pandas as pd

from seraug.corpora import CORPORA, CorpusError, load_manifest


def add_corpus_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """``--corpus``, ``--root``, ``--classes`` and ``--merge``: how every command names its input corpus."""
    parser.add_argument("--corpus", required=required, choices=sorted(CORPORA), help="corpus loader (see `seraug corpora`)")
    parser.add_argument("--root", help="corpus folder (for csv: the CSV file); default: the download cache "
                        "(EmoDB and RAVDESS are downloaded on first use)")
    parser.add_argument("--classes", help="comma-separated labels to keep, or 'all' (default: every label; "
                        "IEMOCAP: anger,happiness,sadness,neutral). IEMOCAP merges excitement into happiness "
                        "unless --classes is 'all' or names excitement, or --merge names it")
    parser.add_argument("--merge", action="append", default=[], metavar="FROM=TO",
                        help="rename a label (or the corpus's own code) before selection, e.g. "
                             "excitement=happiness (repeatable); FROM must occur in the corpus")


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
    return load_manifest(args.corpus, args.root, args.classes, merge_from_args(args))
