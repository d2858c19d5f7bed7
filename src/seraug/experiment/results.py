"""Pages across run folders, never typed by hand: ``seraug results`` (a markdown page such as ``docs/results.md``)
and the README's results block (:func:`readme_table` between the :data:`README_BLOCK` marks)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seraug.errors import ConfigError
from seraug.experiment.report import cell_machines, summarise
from seraug.experiment.statistics import summary_numbers, summary_table
from seraug.files import read_json


README_BLOCK = ("<!-- results-table -->", "<!-- /results-table -->")
"""The marks around the block of a page (the README) that :func:`readme_table` rewrites."""


def readme_table(run: str | Path) -> str:
    """A short table of a run folder for the README, from its cells: each current strategy's UAR (mean ± std
    over folds and seeds), its paired difference with ``imbalanced`` (95% interval, verdict) and, for Table 2,
    the reduced class's recall; the cells behind each row and the mean seconds a cell took. Rows: ``imbalanced``
    first, then by mean UAR; retired strategies are left out."""
    summary = summarise(run)
    column = "average" if summary.protocol == "table2" else "UAR"
    means = summary.numbers[f"{column}_mean"]
    keep = sorted((s for s in summary.order if not s.endswith("(retired)")),
                  key=lambda s: (s != "imbalanced", -means[s]))
    uar = summary.table[column]
    recall = (summary_table(summary_numbers(summary.results, summary.protocol, keep, metric="reduced_recall"))
              ["average"] if summary.protocol == "table2" else None)
    seconds = summary.results.groupby("strategy")["seconds"].mean()
    paired = summary.comparison.set_index("strategy") if not summary.comparison.empty else pd.DataFrame()
    rows = ["| strategy | UAR % | vs `imbalanced`, UAR points (95% interval) | "
            + ("reduced class's recall % | " if recall is not None else "") + "cells | s a cell |",
            "| --- | --- | --- | " + ("--- | " if recall is not None else "") + "---: | ---: |"]
    for strategy in keep:
        versus = ""
        if strategy in paired.index:
            p = paired.loc[strategy]
            versus = f"{p['mean_uar_diff']:+.1f} ({p['ci95_low']:.1f} to {p['ci95_high']:.1f}): {p['verdict']}"
        rows.append(f"| `{strategy}` | {uar[strategy]} | {versus} | "
                    + (f"{recall[strategy]} | " if recall is not None else "")
                    + f"{summary.numbers.loc[strategy, f'{column}_n']:.0f} | {seconds[strategy]:.0f} |")
    return "\n".join(rows)


def rewrite_block(page: str | Path, text: str) -> None:
    """Replace what lies between the :data:`README_BLOCK` marks of ``page`` with ``text``; ConfigError naming the
    page when it has no such block."""
    page = Path(page)
    content = page.read_text()
    start, end = README_BLOCK
    if start not in content or end not in content:
        raise ConfigError(f"{page}: no block marked {start} ... {end} to write the table into")
    before, rest = content.split(start, 1)
    page.write_text(before + start + "\n" + text + "\n" + end + rest.split(end, 1)[1])


def results_page(runs: list[str | Path], path: str | Path, title: str = "Results") -> str:
    """The markdown of :func:`write_results`'s page, ``path`` being where it will lie; reads, writes nothing."""
    parts = [f"# {title}\n",
             f"Written by `seraug results {' '.join(str(r) for r in runs)} --out {path}` from the run folders' "
             "cells; rerun it after adding cells. UAR and F-score in percent, mean ± std (ddof 0) over "
             "folds and seeds; the paired comparison gives each strategy's UAR minus `imbalanced`'s on the "
             "same fold and seed, with a 95% t interval: `within noise` where it includes 0.\n"]
    for run in map(Path, runs):
        summarised = summarise(run)
        config, cells = read_json(run / "config.json"), summarised.cells
        minutes = sum(c["seconds"] for c in cells if "reused_from" not in c) / 60  # a copy cost nothing here
        versions = ", ".join(f"{k} {v}" for k, v in config.get("versions", {}).items())
        summary = summarised.text.split("\n", 1)[1]  # without its own title line
        parts += [f"## {config['corpus']}, {config['protocol']}, preset `{config['preset']}` ({run.name})\n",
                  "```bash\n" + "\n".join(config.get("commands") or ["(command not recorded)"]) + "\n```\n",
                  f"{len(cells)} cells, {config.get('fold_scheme', '?')} folds, seeds "
                  f"{', '.join(map(str, sorted({c['seed'] for c in cells})))}; {minutes:.0f} min of compute summed over "
                  f"cells ({cell_machines(cells, config)}); {versions}.\n",
                  summary.strip() + "\n"]
    return "\n".join(parts)


def write_results(runs: list[str | Path], path: str | Path, title: str = "Results") -> str:
    """One markdown page (e.g. ``docs/results.md``) from finished run folders, never typed by hand.

    Per run: the commands that made it (``config.json``'s ``commands``), the preset, folds and seeds, the
    summary table with its spread and the paired comparison (rebuilt from the cells), the reduced class's
    recall (Table 2), the compute time summed over cells, and the machine and versions it ran on. Writes only
    ``path``: the run folders are read, not changed. Returns the text written.
    """
    text = results_page(runs, path, title)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)
    return text
