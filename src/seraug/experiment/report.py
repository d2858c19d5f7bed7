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
from scipy.stats import binomtest, t, wilcoxon  # noqa: E402

from seraug.errors import ConfigError
from seraug.files import read_json, read_or_set_aside  # noqa: E402
from seraug.experiment.report_page import write_page  # noqa: E402
from seraug.experiment.strategies import IMPROVED_GAN, RETIRED  # noqa: E402

METRICS = ("uar", "f_score", "accuracy")


def shown_name(strategy: str) -> str:
    """A strategy's name in the tables: a retired one (:data:`seraug.experiment.strategies.RETIRED`) marked so."""
    return f"{strategy} (retired)" if strategy in RETIRED else strategy


def load_cells(out: Path) -> list[dict]:
    cells = [read_or_set_aside(p, read_json) for p in sorted((out / "cells").glob("*.json"))]
    cells = [cell for cell in cells if cell is not None]
    if not cells:
        raise FileNotFoundError(f"{out}: no finished cells in {out / 'cells'}")
    return cells


def _table_columns(results: pd.DataFrame, protocol: str, metric: str = "uar") -> dict[str, pd.DataFrame]:
    """The cells behind each column of the paper's table: ``{column: rows with strategy and value}``.

    Table 2: one column per reduced class (its UAR) and ``average`` (per fold and seed, the mean UAR
    over the reduced classes). Table 3: ``UAR`` and ``F-score``.
    """
    if protocol == "table2":
        columns = {scenario.removeprefix("reduce-"): group[["strategy", metric]].rename(columns={metric: "value"})
                   for scenario, group in results.groupby("scenario")}
        per_run = results.groupby(["strategy", "fold", "seed"], as_index=False)[metric].mean()
        columns["average"] = per_run[["strategy", metric]].rename(columns={metric: "value"})
        return columns
    return {"UAR": results[["strategy", "uar"]].rename(columns={"uar": "value"}),
            "F-score": results[["strategy", "f_score"]].rename(columns={"f_score": "value"})}


def summary_numbers(results: pd.DataFrame, protocol: str, order: list[str], metric: str = "uar") -> pd.DataFrame:
    """Per strategy (rows in ``order``) and table column: ``<column>_mean`` and ``<column>_std``
    (percent, std with ddof 0) and ``<column>_n`` (cells behind the mean). Table 2's columns hold ``metric``
    (UAR, or ``reduced_recall``)."""
    parts = []
    for column, rows in _table_columns(results, protocol, metric).items():
        stats = rows.groupby("strategy")["value"].agg(["mean", lambda v: v.std(ddof=0), "size"])
        stats.columns = [f"{column}_mean", f"{column}_std", f"{column}_n"]
        stats[[f"{column}_mean", f"{column}_std"]] *= 100
        parts.append(stats)
    return pd.concat(parts, axis=1).reindex(order)


def summary_table(numbers: pd.DataFrame) -> pd.DataFrame:
    """The paper's table from :func:`summary_numbers`: one ``mean ± std`` (percent) column per table
    column, and ``folds x seeds``, the cells behind each row."""
    columns = [c.removesuffix("_mean") for c in numbers.columns if c.endswith("_mean")]
    table = pd.DataFrame({c: [f"{m:.1f} ± {s:.1f}" if pd.notna(m) else np.nan
                              for m, s in zip(numbers[f"{c}_mean"], numbers[f"{c}_std"])]
                          for c in columns}, index=numbers.index)
    return table.assign(**{"folds x seeds": numbers[f"{columns[-1]}_n"]})


def _metric(results: pd.DataFrame, strategy: str, metric: str = "uar") -> pd.Series:
    """``strategy``'s ``metric`` (a fraction) indexed by scenario, fold and seed."""
    return results[results["strategy"] == strategy].set_index(["scenario", "fold", "seed"])[metric]


def paired_differences(results: pd.DataFrame, strategy: str, baseline: str = "imbalanced",
                       metric: str = "uar") -> pd.Series:
    """``strategy``'s ``metric`` minus ``baseline``'s (fractions) per scenario, fold and seed both have."""
    return (_metric(results, strategy, metric) - _metric(results, baseline, metric)).dropna()


def _interval(diff: pd.Series) -> tuple[float, float]:
    """95% t interval of the mean of paired differences (NaN, NaN for fewer than two pairs)."""
    if len(diff) < 2:
        return np.nan, np.nan
    half = t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    return diff.mean() - half, diff.mean() + half


def paired_comparison(results: pd.DataFrame, order: list[str], baseline: str = "imbalanced",
                      metric: str = "uar") -> pd.DataFrame:
    """Each strategy's ``metric`` (UAR, or ``reduced_recall``) minus the baseline's on the same scenario, fold
    and seed; rows in ``order``. The columns keep UAR's names whatever the metric.

    ``uar_ratio``: the strategy's mean over those pairs divided by the baseline's (the paper states its goal
    as a ratio: the GAN at 1.10 times the imbalanced training set or more).
    """
    rows = []
    base = _metric(results, baseline, metric) if baseline in set(results["strategy"]) else pd.Series(dtype=float)
    for strategy in order:
        diff = (paired_differences(results, strategy, baseline, metric) if strategy != baseline and not base.empty
                else pd.Series(dtype=float))
        if diff.empty:
            continue
        nonzero = diff[diff != 0]
        low, high = _interval(diff)
        rows.append({
            "strategy": strategy, "pairs": len(diff), "mean_uar_diff": 100 * diff.mean(),
            "sem": 100 * diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.nan,
            "ci95_low": 100 * low, "ci95_high": 100 * high,
            "uar_ratio": 1 + diff.mean() / base.loc[diff.index].mean() if base.loc[diff.index].mean() > 0 else np.nan,
            "verdict": "higher" if low > 0 else "lower" if high < 0 else "within noise",
            "wins": int((diff > 0).sum()), "losses": int((diff < 0).sum()),
            "wilcoxon_p": wilcoxon(nonzero).pvalue if len(nonzero) >= 2 else np.nan,
            "sign_test_p": binomtest(int((diff > 0).sum()), len(nonzero)).pvalue if len(nonzero) else np.nan,
        })
    return pd.DataFrame(rows)


def head_to_head(results: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Every pair of strategies: the row's UAR minus the column's (points), averaged over the scenario,
    fold and seed both have, with ``*`` where the 95% interval excludes 0 (as in :func:`paired_comparison`).

    Answers "is the GAN above ``cp`` and ``sa``?", not only "above ``imbalanced``?"; empty where a pair
    shares no cell.
    """
    table = pd.DataFrame("", index=order, columns=order)
    for row in order:
        for column in order:
            diff = paired_differences(results, row, column) if row != column else pd.Series(dtype=float)
            if diff.empty:
                continue
            low, high = _interval(diff)
            table.loc[row, column] = f"{100 * diff.mean():+.1f}" + ("*" if low > 0 or high < 0 else "")
    return table


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


def reduced_recall(cell: dict) -> float:
    """The recall, on the test utterances, of the class a Table 2 cell reduced (NaN for a Table 3 cell)."""
    if not cell["scenario"].startswith("reduce-"):
        return np.nan
    k = cell["labels"].index(cell["scenario"].removeprefix("reduce-"))
    row = np.asarray(cell["confusion"])[k]
    return row[k] / row.sum() if row.sum() else np.nan


BASELINES = ("sa", "weighted", "specaug", "copypaste")
"""The baselines the improved GAN is judged against by the rule of ``docs/confirmation.md``."""
MIN_PAIRS = 5
"""The pairs (fold, seed) a verdict of that rule needs; with fewer the table is marked incomplete."""


def _read(diff: pd.Series, above: str, below: str, level: str) -> str:
    """A verdict from paired differences: ``above`` / ``below`` where the 95% interval is above / below 0."""
    low, high = _interval(diff)
    word = above if low > 0 else below if high < 0 else level
    return f"{word}: {100 * diff.mean():+.1f} points ({100 * low:.1f} to {100 * high:.1f}) over {len(diff)} pairs"


def verdicts(results: pd.DataFrame) -> list[str]:
    """The rule of ``docs/confirmation.md`` on a Table 2 run's cells, as markdown lines: does the improved GAN
    help (paired with ``imbalanced``), and does it beat the best of :data:`BASELINES` present (the one with the
    highest mean UAR over the pairs it shares with the GAN)? Empty where the run lacks the GAN, ``imbalanced`` or
    every baseline; a verdict from fewer than :data:`MIN_PAIRS` pairs is marked incomplete."""
    present = set(results["strategy"])
    baselines = [b for b in BASELINES if b in present]
    if not {IMPROVED_GAN, "imbalanced"} <= present or not baselines:
        return []
    helps = paired_differences(results, IMPROVED_GAN)
    shared = {b: paired_differences(results, IMPROVED_GAN, b) for b in baselines}
    best = max(baselines, key=lambda b: _metric(results, b).loc[shared[b].index].mean() if len(shared[b]) else -1)
    beats = shared[best]

    def mark(diff: pd.Series) -> str:
        return "" if len(diff) >= MIN_PAIRS else f" (incomplete: {MIN_PAIRS} pairs needed)"

    return ["", f"## Verdicts by the rule of docs/confirmation.md (`{IMPROVED_GAN}`)\n",
            f"- against `imbalanced`: {_read(helps, 'helps', 'hurts', 'within noise')}{mark(helps)}",
            f"- against the best baseline here, `{best}`: "
            f"{_read(beats, 'beats it', 'loses to it', 'level with it')}{mark(beats)}"]


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
