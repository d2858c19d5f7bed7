"""The GAN quality measures declared once (:data:`MEASURES`: column, meaning, bar, failure wording) and what reads
them: the verdict on a report (its ``problems``), the printed report, the benchmark's summary row, the bars' text.
:mod:`seraug.gan.quality` computes the numbers (what each measure is: its module docstring).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

def _ratio(value: float, floor: float | None) -> float | None:
    """``value / floor``; None without a floor (too few real segments), inf over a floor of 0."""
    if floor is None:
        return None
    return value / floor if floor > 0 else (math.inf if value > 0 else 1.0)


@dataclass(frozen=True)
class Measure:
    """One quality measure: its column, what it means, how it is read off a report, and its bar.

    ``value`` reads it off one class's entry of :func:`quality_report` (``per_class``) or off the whole report
    (GAN-train); None where it was not measured. ``bar``: the figure a usable model reaches (``at_least``: at
    or above it, else at or below); None: shown, not judged. ``failure``: what missing the bar means, in words.
    """

    column: str
    meaning: str
    value: Callable[[dict], float | None]
    bar: float | None = None
    at_least: bool = True
    per_class: bool = True
    failure: str = ""

    def passes(self, value: float | None) -> bool:
        """Whether ``value`` meets the bar (True where there is no bar or no value; NaN fails)."""
        if self.bar is None or value is None:
            return True
        return value >= self.bar if self.at_least else value <= self.bar

    @property
    def bar_text(self) -> str:
        return f"{self.column} {'>=' if self.at_least else '<='} {self.bar:g}" if self.bar is not None else ""


MEASURES: tuple[Measure, ...] = (
    Measure("FD/floor", "Fréchet distance of generated to real segments in the band-statistics embedding, over "
            "that of two random halves of the real ones (what finite samples allow)",
            lambda c: _ratio(c["frechet_distance"], c["frechet_real_halves"]), 3.0, at_least=False,
            failure="unlike real segments"),
    Measure("FD/floor clf", "the same in the evaluation VGG19's embedding (when given); no bar: held-out real speech "
            "of other speakers itself lies about 30 times above this floor on EmoDB",
            lambda c: _ratio(c["frechet_distance_classifier"], c["frechet_real_halves_classifier"])
            if "frechet_distance_classifier" in c else None),
    Measure("GAN-test gap", "share of generated segments a classifier trained on real ones gives their class, minus "
            "its cross-validated recall on real ones",
            lambda c: c["recognition_rate"] - c["real_recall_cv"] if c["real_recall_cv"] is not None else None,
            -0.15, failure="they do not carry their class"),
    Measure("diversity", "mean pairwise distance of generated segments over that of real ones (near 0: mode "
            "collapse)", lambda c: c["diversity_ratio"], 0.7, failure="too alike"),
    Measure("striations", "harmonic striation energy below 1 kHz, generated over real",
            lambda c: c["striation_ratio"] if c["striations_real"] > 0 else None, 0.7,
            failure="no harmonic striations like real speech"),
    Measure("pauses", "share of frames in a pause (silent across the bands), generated over real; no bar",
            lambda c: c["pause_ratio"]),
    Measure("GAN-train", "UAR on held-out speakers of a classifier trained on generated segments only, over that "
            "of one trained on real ones (band statistics; when held-out segments are given)",
            lambda r: r["gan_train"].get("band statistics", {}).get("ratio"), 0.6, per_class=False,
            failure="generated segments teach the emotions much worse than real ones"),
    Measure("GAN-train clf", "the same in the evaluation VGG19's embedding",
            lambda r: r["gan_train"].get("classifier", {}).get("ratio"), 0.6, per_class=False,
            failure="generated segments teach the emotions much worse than real ones"),
)
"""The quality measures, their columns and bars (see the module docstring)."""


def bars_text() -> str:
    """The bars of :data:`MEASURES` in one line, as the report and the benchmark print them."""
    return "bars for usable: " + ", ".join(m.bar_text for m in MEASURES if m.bar is not None)


def summary_row(report: dict) -> dict[str, float | None]:
    """Every measure of :data:`MEASURES` for one model: the class mean of a per-class one (classes where it was
    measured), the report's own value of a model-level one; None where not measured."""
    row = {}
    for m in MEASURES:
        if m.per_class:
            values = [v for v in map(m.value, report["classes"].values()) if v is not None]
            row[m.column] = float(np.mean(values)) if values else None
        else:
            row[m.column] = m.value(report)
    return row


COLUMNS = {
    "n": "real segments of the class",
    "FD gen": "Fréchet distance, generated vs real segments, in the embedding",
    "FD floor": "the same between two random halves of the real segments (what finite samples allow)",
    "recog gen": "share of generated segments a classifier trained on real ones assigns to their class",
    "recog real": "the same classifier's cross-validated recall on real segments of the class",
    "diversity": "mean pairwise distance of generated segments / of real ones",
    "striations": "striation energy (harmonic fine structure below 1 kHz) of generated segments / of real ones",
    "pauses": "share of frames in a pause (silent across the bands), generated / real (a dense texture: low)",
    "FD clf": "Fréchet distance in the learned embedding (when given), generated vs real",
    "clf floor": "the same between two random halves of the real segments",
    "gen/held": "FD of generated segments over that of held-out real ones (other speakers), as many of each, "
                "to the training segments of the class (when held-out segments are given)",
    "clf gen/held": "the same in the learned embedding",
}
"""The per-class table's raw columns and what each holds (printed under the table)."""




def problems(report: dict) -> list[str]:
    """Each failure of a bar of :data:`MEASURES`, in plain words: per class, then the model-level ones."""
    problems = []
    for name, c in report["classes"].items():
        for m in MEASURES:
            value = m.value(c) if m.per_class else None
            if not m.passes(value):
                problems.append(f"{name}: {m.column} {value:.2f} (bar: {m.bar_text}): {m.failure}"
                                + (_beside_held_out(c) if m.column == "FD/floor" else ""))
        if c["mode_collapse"]:
            problems.append(f"{name}: diversity {c['diversity_ratio']:.2f}, below the training's collapse ratio "
                            f"{report['collapse_ratio']:g}: mode collapse")
    for m in MEASURES:
        value = None if m.per_class else m.value(report)
        if not m.passes(value):
            problems.append(f"{m.column} {value:.2f} (bar: {m.bar_text}): {m.failure}")
    return problems


def _beside_held_out(c: dict) -> str:
    """Where held-out real segments were given: how far the generated ones lie beside them."""
    held = c.get("heldout", {}).get("band statistics")
    if not held or not held["real"] > 0:
        return ""
    return f"; {c['heldout']['n']} generated ones lie {held['generated'] / held['real']:.1f}x as far as " \
           f"{c['heldout']['n']} held-out real ones"


def format_report(report: dict, title: str = "") -> str:
    """The report as a fixed-width table, one row per class, the columns explained; then each measure of
    :data:`MEASURES` (class mean) beside its bar, and the verdict."""
    learned = any("frechet_distance_classifier" in c for c in report["classes"].values())
    held = any("heldout" in c for c in report["classes"].values())
    header = (f"{'class':12s} {'n':>5s} {'FD gen':>8s} {'FD floor':>9s} {'recog gen':>10s} {'recog real':>10s} "
              f"{'diversity':>9s} {'striations':>10s} {'pauses':>6s}  collapse"
              + (f" {'FD clf':>8s} {'clf floor':>9s}" if learned else "")
              + (f" {'gen/held':>8s}" + (f" {'clf gen/held':>12s}" if learned else "") if held else ""))
    lines = [title or f"GAN quality ({report['arch']}); FD in {report['embedding']}", header]

    def num(value, fmt: str) -> str:
        return format(value, fmt) if value is not None else "-"

    def over_held(c: dict, space: str, width: int) -> str:
        distances = c.get("heldout", {}).get(space)
        return f" {distances['generated'] / distances['real']:{width}.2f}" if distances else f" {'-':>{width}s}"

    for name, c in report["classes"].items():
        lines.append((f"{name:12s} {c['n_real']:5d} {c['frechet_distance']:8.3f} "
                     f"{num(c['frechet_real_halves'], '9.3f')} {c['recognition_rate']:10.2f} "
                     f"{num(c['real_recall_cv'], '10.2f')} {c['diversity_ratio']:9.2f} {c['striation_ratio']:10.2f} "
                     f"{c['pause_ratio']:6.2f}  {'YES' if c['mode_collapse'] else 'no':8s}"
                     + (f" {c['frechet_distance_classifier']:8.3f} {num(c['frechet_real_halves_classifier'], '9.3f')}"
                        if learned else "")
                     + (over_held(c, "band statistics", 8) + (over_held(c, "classifier", 12) if learned else "")
                        if held else "")).rstrip())
    lines += [f"  {name}: {meaning}" for name, meaning in COLUMNS.items()
              if (learned or "clf" not in name) and (held or "held" not in name)]
    lines.append("measures (class mean; model-level for GAN-train) beside their bars:")
    for m, value in zip(MEASURES, summary_row(report).values()):
        if value is not None:
            verdict = "" if m.bar is None else ("  meets " if m.passes(value) else "  MISSES ") + m.bar_text
            lines.append(f"  {m.column:14s} {value:8.2f}{verdict}")
    for name, t in report.get("gan_train", {}).items():
        lines.append(f"GAN-train ({name}): UAR on held-out real segments {t['uar_generated']:.3f} trained on "
                     f"generated, {t['uar_real']:.3f} trained on real: ratio {t['ratio']:.2f}")
    lines.append(bars_text() + " (per class; GAN-train for the model)")
    if report.get("problems"):
        lines.append(f"WARNING: unusable for balancing ({len(report['problems'])} problem(s)):")
        lines += [f"  {problem}" for problem in report["problems"]]
    elif report["classes"]:
        lines.append("usable: every class meets every bar")
    return "\n".join(lines)
