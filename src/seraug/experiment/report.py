"""Tables and figures of an experiment, built from its finished cells (``OUT/cells/*.json``).

Writes into ``OUT``:

- ``results.csv``: one row per cell (scenario, fold, strategy, seed, uar, f_score, accuracy, seconds);
- ``summary.md``: mean ± std over folds and seeds, in percent. Table 2 layout (rows = strategies, columns =
  reduced class + ``average``) or Table 3 layout (rows = strategies, columns = UAR and F-score); Table 2 also
  gives the reduced class's recall, the quantity balancing acts on, with its paired comparison;
- ``summary.csv``: the same numbers as columns ``<column>_mean``, ``<column>_std`` (percent) and
  ``<column>_n`` (the cells behind each mean), for pandas and plotting;
- ``comparison.csv``: every strategy against ``imbalanced`` on the same scenario, fold and seed: mean UAR
  difference and its 95% confidence interval (t distribution over the pairs), in UAR points, the ratio
  of the mean UARs (``uar_ratio``), wins / losses, a two-sided Wilcoxon signed-rank p, a sign-test p,
  and a ``verdict``: ``higher`` or ``lower`` when the interval excludes 0, else ``within noise``;
  ``summary.md`` adds every pair of strategies head to head (row minus column, the same interval);
- ``comparison.png``: that difference per strategy, a bar for the mean, whiskers for the 95% interval
  and one dot per fold x seed pair; ``confusion.png``: utterance counts per true and predicted class
  summed over a strategy's cells, coloured by row share, with a colour bar;
- ``report.html``: all of it on one self-contained page, with the run's examples to listen to
  (:mod:`seraug.experiment.report_page`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from seraug.errors import ConfigError
from seraug.files import read_json, read_or_set_aside  # noqa: E402
from seraug.experiment.report_page import write_page  # noqa: E402
from seraug.experiment.statistics import (  # noqa: E402
    METRICS,
    head_to_head,
    paired_comparison,
    paired_differences,
    reduced_recall,
    summary_numbers,
    summary_table,
    verdicts,
)
from seraug.experiment.strategies import RETIRED  # noqa: E402

def shown_name(strategy: str) -> str:
    """A strategy's name in the tables: a retired one (:data:`seraug.experiment.strategies.RETIRED`) marked so."""
    return f"{strategy} (retired)" if strategy in RETIRED else strategy


def load_cells(out: Path) -> list[dict]:
    cells = [read_or_set_aside(p, read_json) for p in sorted((out / "cells").glob("*.json"))]
    cells = [cell for cell in cells if cell is not None]
    if not cells:
        raise FileNotFoundError(f"{out}: no finished cells in {out / 'cells'}")
    return cells


def _plot_comparison(comparison: pd.DataFrame, results: pd.DataFrame, path: Path) -> None:
    """Bars: mean paired difference; whiskers: its 95% interval (as in the table); dots: the pairs."""
    fig, ax = plt.subplots(figsize=(max(4.5, 1.5 + 0.7 * len(comparison)), 4), layout="constrained")
    x = np.arange(len(comparison))
    mean = comparison["mean_uar_diff"].to_numpy()
    whisker = np.nan_to_num(np.vstack([mean - comparison["ci95_low"].to_numpy(),  # none from a single pair
                                       comparison["ci95_high"].to_numpy() - mean]))
    ax.bar(x, mean, width=0.6, yerr=whisker, color=["tab:green" if d > 0 else "tab:red" for d in mean], alpha=0.6,
           capsize=4, error_kw={"linewidth": 1})
    rng = np.random.default_rng(0)  # fixed horizontal jitter, so the figure is the same on every run
    for i, strategy in enumerate(comparison["strategy"]):
        points = 100 * paired_differences(results, strategy).to_numpy()
        ax.scatter(i + rng.uniform(-0.15, 0.15, len(points)), points, s=12, color="black", zorder=3)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, comparison["strategy"], rotation=45)
    ax.set_xlim(-0.8, len(comparison) - 0.2)
    ax.set_ylabel("UAR − imbalanced (points)")
    ax.set_title("Paired with imbalanced\nbar: mean, whiskers: 95% interval,\ndots: one fold x seed each", fontsize=9)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_confusions(cells: list[dict], strategies: list[str], path: Path) -> None:
    labels = cells[0]["labels"]
    cols = min(4, len(strategies))  # wrap many strategies into rows of 4 panels
    rows = -(-len(strategies) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols + 1, 4.2 * rows + 0.5), squeeze=False,
                             layout="constrained")
    for ax in axes.flat[len(strategies):]:
        ax.axis("off")
    for ax, strategy in zip(axes.flat, strategies):
        mine = [c for c in cells if c["strategy"] == strategy]
        total = sum(np.array(c["confusion"]) for c in mine)
        rates = total / np.maximum(total.sum(axis=1, keepdims=True), 1)
        image = ax.imshow(rates, vmin=0, vmax=1, cmap="Blues")
        for (i, j), count in np.ndenumerate(total):  # the counts behind each rate
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                    color="white" if rates[i, j] > 0.6 else "black")
        ax.set_title(f"{strategy} ({len(mine)} folds x seeds summed)", fontsize=9)
        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
        ax.set_yticks(range(len(labels)), [f"{label} ({n})" for label, n in zip(labels, total.sum(axis=1))],
                      fontsize=8)
        ax.set_xlabel("predicted")
    for ax in axes[:, 0]:
        ax.set_ylabel("true (test utterances)")
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="share of the true class (row-normalised)")
    fig.suptitle("Utterance confusion: counts in the cells, colour = row share (recall on the diagonal)", fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _check_one_run(cells: list[dict], out: Path) -> str:
    """The protocol of the cells, after checking they come from one run's settings (cells copied together
    from several machines must have been made with the same options)."""
    hashes = {c.get("settings") for c in cells}
    if len(hashes) > 1:
        raise ConfigError(f"{out / 'cells'}: holds cells of runs with different settings ({len(hashes)} kinds); "
                         "merge only cells made with the same options")
    reduced = {c["scenario"].startswith("reduce-") for c in cells}
    if len(reduced) > 1:
        raise ConfigError(f"{out / 'cells'}: mixes table2 (reduce-*) and table3 (natural) cells")
    return "table2" if reduced.pop() else "table3"


def cell_machines(cells: list[dict], config: dict) -> str:
    """Which machines made the cells, with their counts, e.g. ``"10 cells on A; 5 cells on B"``. A cell
    written before cells recorded their machine counts as made on the folder's last (``config.json``)."""
    counts = pd.Series([c.get("machine") or config.get("machine") or "an unrecorded machine" for c in cells])
    return "; ".join(f"{n} cell{'s' * (n > 1)} on {machine}" for machine, n in counts.value_counts().items())


@dataclass
class Summary:
    """A run folder's tables, computed from its cells without writing anything.

    Attributes:
        protocol: ``table2`` or ``table3``.
        results: one row per cell (scenario, fold, strategy, seed, metrics in fractions, seconds, and for Table 2
            ``reduced_recall``: the recall of the class the cell's scenario reduced).
        numbers: :func:`summary_numbers` (percent).
        comparison: :func:`paired_comparison` of UAR with ``imbalanced``.
        recall: the same for the reduced class's recall (Table 2; empty otherwise).
        text: the markdown of ``summary.md`` (and of the run's part of ``seraug results``).
        cells, config, order: the cells (strategy names as shown), ``config.json``, the row order.
    """

    protocol: str
    results: pd.DataFrame
    numbers: pd.DataFrame
    comparison: pd.DataFrame
    recall: pd.DataFrame
    text: str
    cells: list[dict]
    config: dict
    order: list[str]

    @property
    def table(self) -> pd.DataFrame:
        """The paper's table: one ``mean ± std`` (percent) column per table column, a row per strategy."""
        return summary_table(self.numbers).drop(columns="folds x seeds")


def summarise(out: str | Path) -> Summary:
    """The tables of a run folder's finished cells (see the module docstring); reads, writes nothing.

    The protocol follows from the cells' scenarios; the row order is the run's ``--strategies`` order
    (from ``out/config.json``) where there is one, else alphabetical. Retired strategies are marked
    (:func:`shown_name`)."""
    out = Path(out)
    config = read_json(out / "config.json") if (out / "config.json").exists() else {}
    cells = load_cells(out)
    protocol = _check_one_run(cells, out)
    cells = [c | {"strategy": shown_name(c["strategy"])} for c in cells]
    config = config | {"strategies": [shown_name(s) for s in config.get("strategies", [])]}
    results = pd.DataFrame([{k: c[k] for k in ("scenario", "fold", "strategy", "seed", *METRICS, "seconds")}
                            | ({"reduced_recall": reduced_recall(c)} if protocol == "table2" else {})
                            for c in cells])
    present = set(results["strategy"])
    order = list(dict.fromkeys([s for s in config.get("strategies", []) if s in present] + sorted(present)))
    numbers = summary_numbers(results, protocol, order)
    shown = summary_table(numbers)
    comparison = paired_comparison(results, order)
    recall = paired_comparison(results, order, metric="reduced_recall") if protocol == "table2" else pd.DataFrame()
    text = [f"# {'UAR %' if protocol == 'table2' else 'UAR and F-score %'}, mean ± std over folds and seeds\n",
            shown.to_markdown(), ""]
    if not comparison.empty:
        text += ["## Paired with `imbalanced` (UAR points; 95% interval over the pairs)\n",
                 comparison.round(3).to_markdown(index=False)]
    if protocol == "table2":
        text += ["", "## The reduced class's recall (percent, mean ± std; what balancing acts on)\n",
                 summary_table(summary_numbers(results, protocol, order, metric="reduced_recall")).to_markdown()]
        if not recall.empty:
            text += ["", "## Reduced class's recall paired with `imbalanced` (points; 95% interval over the pairs)\n",
                     recall.drop(columns="uar_ratio").round(3).to_markdown(index=False)]
    if protocol == "table2":
        text += verdicts(results)
    if len(order) > 2:
        text += ["", "## Head to head (row minus column, UAR points over the pairs both have; * where the 95% "
                 "interval excludes 0)\n", head_to_head(results, order).to_markdown()]
    if comparison.empty and "imbalanced" not in present:
        text += ["No paired comparison: add `imbalanced` to `--strategies` to compare every strategy with it."]
    return Summary(protocol, results, numbers, comparison, recall, "\n".join(text) + "\n", cells, config, order)


def write_report(out: str | Path) -> Summary:
    """Write the tables and figures of ``out`` (see the module docstring) from :func:`summarise`; returns it."""
    out = Path(out)
    summary = summarise(out)
    summary.results.to_csv(out / "results.csv", index=False)
    summary.numbers.to_csv(out / "summary.csv")
    (out / "summary_numbers.csv").unlink(missing_ok=True)  # an older seraug's name for summary.csv's numbers
    summary.comparison.to_csv(out / "comparison.csv", index=False)
    if not summary.comparison.empty:
        _plot_comparison(summary.comparison, summary.results, out / "comparison.png")
    else:
        (out / "comparison.png").unlink(missing_ok=True)  # not one of an earlier state of the folder
    (out / "summary.md").write_text(summary.text)
    _plot_confusions(summary.cells, summary.order, out / "confusion.png")
    shown = summary_table(summary.numbers).rename(columns={"folds x seeds": "cells"})
    write_page(out, shown, cell_machines(summary.cells, summary.config), summary.recall)
    return summary

