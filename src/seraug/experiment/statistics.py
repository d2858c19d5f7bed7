"""The numbers of a run's tables, from its cells' results: means and spreads per strategy, every strategy paired
with ``imbalanced`` on the same fold and seed (difference, 95% t interval, Wilcoxon and sign tests, verdict), head
to head, the reduced class's recall, and the verdicts of the confirmation rule (``docs/confirmation.md``).
Plain pandas and scipy; :mod:`seraug.experiment.report` writes them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binomtest, t, wilcoxon

from seraug.experiment.strategies import IMPROVED_GAN

METRICS = ("uar", "f_score", "accuracy")


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
