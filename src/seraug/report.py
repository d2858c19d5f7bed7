"""Tables and figures of an experiment, built from its finished cells (``OUT/cells/*.json``).

Writes into ``OUT``:

- ``results.csv``: one row per cell (scenario, fold, strategy, seed, uar, f_score, accuracy, seconds);
- ``summary.csv`` / ``summary.md``: mean ± std over folds and seeds, in percent. Table 2 layout (rows =
  strategies, columns = reduced class + ``average``) or Table 3 layout (rows = strategies, columns = UAR
  and F-score);
- ``comparison.csv``: every strategy against ``imbalanced`` on the same scenario, fold and seed: mean UAR
  difference, wins / losses, a two-sided Wilcoxon signed-rank p and a sign-test p;
- ``comparison.png`` (mean UAR difference per strategy with its standard error) and
  ``confusion.png`` (row-normalised confusion matrices summed over cells, one panel per strategy).
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import binomtest, wilcoxon  # noqa: E402

METRICS = ("uar", "f_score", "accuracy")


def load_cells(out: Path) -> list[dict]:
    cells = [json.loads(p.read_text()) for p in sorted((out / "cells").glob("*.json"))]
    if not cells:
        raise FileNotFoundError(f"{out}: no finished cells in {out / 'cells'}")
    return cells


def _mean_std(values: pd.Series) -> str:
    """Mean ± population standard deviation (ddof 0, so one fold gives ± 0.0), in percent."""
    return f"{100 * values.mean():.1f} ± {100 * values.std(ddof=0):.1f}"


def summary_table(results: pd.DataFrame, protocol: str, order: list[str]) -> pd.DataFrame:
    """Mean ± std (percent) over folds and seeds, in the layout of the paper's Table 2 or 3; rows in ``order``."""
    if protocol == "table2":
        table = results.pivot_table(index="strategy", columns="scenario", values="uar", aggfunc=_mean_std)
        table.columns = [c.removeprefix("reduce-") for c in table.columns]
        per_run = results.groupby(["strategy", "fold", "seed"])["uar"].mean()  # average over reduced classes
        table["average"] = per_run.groupby("strategy").agg(_mean_std)
    else:
        table = results.groupby("strategy").agg(UAR=("uar", _mean_std), F_score=("f_score", _mean_std))
        table.columns = ["UAR", "F-score"]
    return table.reindex(order)


def paired_comparison(results: pd.DataFrame, order: list[str], baseline: str = "imbalanced") -> pd.DataFrame:
    """Each strategy's UAR minus the baseline's on the same scenario, fold and seed; rows in ``order``."""
    keys = ["scenario", "fold", "seed"]
    base = results[results["strategy"] == baseline].set_index(keys)["uar"]
    rows = []
    for strategy in order:
        group = results[results["strategy"] == strategy]
        if strategy == baseline or group.empty:
            continue
        diff = (group.set_index(keys)["uar"] - base).dropna()
        if diff.empty:
            continue
        nonzero = diff[diff != 0]
        rows.append({
            "strategy": strategy, "pairs": len(diff), "mean_uar_diff": diff.mean(),
            "sem": diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.nan,
            "wins": int((diff > 0).sum()), "losses": int((diff < 0).sum()),
            "wilcoxon_p": wilcoxon(nonzero).pvalue if len(nonzero) >= 2 else np.nan,
            "sign_test_p": binomtest(int((diff > 0).sum()), len(nonzero)).pvalue if len(nonzero) else np.nan,
        })
    return pd.DataFrame(rows)


def _plot_comparison(comparison: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(1.2 + 0.6 * len(comparison), 3.5))
    ax.bar(comparison["strategy"], 100 * comparison["mean_uar_diff"], yerr=100 * comparison["sem"].fillna(0),
           color=["tab:green" if d > 0 else "tab:red" for d in comparison["mean_uar_diff"]], capsize=3)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("UAR − imbalanced (points)")
    ax.set_title("Paired with imbalanced", fontsize=10)
    ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_confusions(cells: list[dict], strategies: list[str], path: Path) -> None:
    labels = cells[0]["labels"]
    cols = min(5, len(strategies))  # wrap many strategies into rows of 5 panels
    rows = -(-len(strategies) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.flat[len(strategies):]:
        ax.axis("off")
    for ax, strategy in zip(axes.flat, strategies):
        total = sum(np.array(c["confusion"]) for c in cells if c["strategy"] == strategy)
        rates = total / np.maximum(total.sum(axis=1, keepdims=True), 1)
        ax.imshow(rates, vmin=0, vmax=1, cmap="Blues")
        ax.set_title(strategy)
        ax.set_xticks(range(len(labels)), [label[:4] for label in labels], rotation=90)
        ax.set_yticks(range(len(labels)), [label[:4] for label in labels])
        ax.set_xlabel("predicted")
    for ax in axes[:, 0]:
        ax.set_ylabel("true")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _check_one_run(cells: list[dict], out: Path) -> str:
    """The protocol of the cells, after checking they come from one run's settings (cells copied together
    from several machines must have been made with the same options)."""
    hashes = {c.get("settings") for c in cells}
    if len(hashes) > 1:
        raise ValueError(f"{out / 'cells'}: holds cells of runs with different settings ({len(hashes)} kinds); "
                         "merge only cells made with the same options")
    reduced = {c["scenario"].startswith("reduce-") for c in cells}
    if len(reduced) > 1:
        raise ValueError(f"{out / 'cells'}: mixes table2 (reduce-*) and table3 (natural) cells")
    return "table2" if reduced.pop() else "table3"


def write_report(out: str | Path) -> pd.DataFrame:
    """Write the tables and figures of ``out`` (see the module docstring); returns the summary table.

    The protocol follows from the cells' scenarios; the row order is the run's ``--strategies`` order
    (from ``out/config.json``) where there is one, else alphabetical.
    """
    out = Path(out)
    config = json.loads((out / "config.json").read_text()) if (out / "config.json").exists() else {}
    cells = load_cells(out)
    protocol = _check_one_run(cells, out)
    results = pd.DataFrame([{k: c[k] for k in ("scenario", "fold", "strategy", "seed", *METRICS, "seconds")}
                            for c in cells])
    results.to_csv(out / "results.csv", index=False)
    present = set(results["strategy"])
    order = list(dict.fromkeys([s for s in config.get("strategies", []) if s in present] + sorted(present)))
    summary = summary_table(results, protocol, order)
    summary.to_csv(out / "summary.csv")
    comparison = paired_comparison(results, order)
    comparison.to_csv(out / "comparison.csv", index=False)
    folds, seeds = results["fold"].nunique(), results["seed"].nunique()
    text = [f"# {'UAR %' if protocol == 'table2' else 'UAR and F-score %'}, mean ± std over {folds} fold(s) "
            f"x {seeds} seed(s)\n", summary.to_markdown(), ""]
    if not comparison.empty:
        shown = comparison.assign(mean_uar_diff=100 * comparison["mean_uar_diff"], sem=100 * comparison["sem"])
        text += ["## Paired with `imbalanced` (UAR points)\n",
                 shown.round(3).to_markdown(index=False)]
        _plot_comparison(comparison, out / "comparison.png")
    elif "imbalanced" not in present:
        text += ["No paired comparison: add `imbalanced` to `--strategies` to compare every strategy with it."]
    (out / "summary.md").write_text("\n".join(text) + "\n")
    _plot_confusions(cells, order, out / "confusion.png")
    return summary

