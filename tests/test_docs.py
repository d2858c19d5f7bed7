"""The README and docs hold no number a command from the committed run folders would not write again, and
read as a user guide: a README under 200 lines with its two commands, distinct page titles, plain help."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from seraug.experiment.report import summarise
from seraug.experiment.results import README_BLOCK, readme_table, results_page
from seraug.experiment.statistics import paired_comparison
from seraug.gan.measures import MEASURES

ROOT = Path(__file__).parents[1]
TABLE2 = ROOT / "docs" / "runs" / "emodb-table2"
MAIN = ROOT / "docs" / "runs" / "main-emodb-sadness"


def _block(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def test_readme_results_table_is_what_seraug_results_writes():
    readme = (ROOT / "README.md").read_text()
    assert _block(readme, *README_BLOCK) == readme_table(MAIN)


def test_results_page_is_what_seraug_results_writes_from_the_committed_run_folders(monkeypatch):
    page = (ROOT / "docs" / "results.md").read_text()
    command = re.search(r"Written by `seraug results (.+?) --out (\S+)`", page)
    runs = command.group(1).split()
    assert str(TABLE2.relative_to(ROOT)) in runs
    monkeypatch.chdir(ROOT)  # the page names the folders as the command did, relative to the repository
    assert page == results_page(runs, command.group(2))


def test_the_gan_choice_table_is_read_from_the_committed_cells():
    """docs/gan-choice.md's rows: the paired UAR difference with imbalanced, its interval and the mean cell time,
    recomputed from the run folder; the rule's winner is its first row."""
    text = _block((ROOT / "docs" / "gan-choice.md").read_text(), "<!-- choice-table -->", "<!-- /choice-table -->")
    summary = summarise(TABLE2)
    results = summary.results.assign(strategy=summary.results["strategy"].str.removesuffix(" (retired)"))
    comparison = paired_comparison(results, sorted(set(results["strategy"]))).set_index("strategy")
    seconds = results.groupby("strategy")["seconds"].mean()
    rows = [line.strip("| ").split(" | ") for line in text.splitlines()[2:]]
    assert len(rows) == 4
    for name, pairs, diff, interval, cell_seconds in rows:
        c = comparison.loc[name]
        assert (int(pairs), diff, interval) == (c["pairs"], f"{c['mean_uar_diff']:+.3f}",
                                                f"{c['ci95_low']:.3f} to {c['ci95_high']:.3f}"), name
        assert cell_seconds == f"{seconds[name]:.0f}", name
    scores = [float(diff) for _, _, diff, _, _ in rows]
    assert scores == sorted(scores, reverse=True) and rows[0][0] == "gan_texture"


def test_the_gan_page_declares_every_quality_measure_with_its_bar():
    page = (ROOT / "docs" / "gan.md").read_text()
    for m in MEASURES:
        assert f"| `{m.column}` | {m.meaning} | {m.bar_text or 'shown, no bar'} |" in page, m.column


def test_readme_is_a_short_user_guide_with_both_commands_and_the_advice():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    assert "<!-- main-command -->" in readme and "<!-- test-command -->" in readme
    advice = readme.split("## Which strategy to use", 1)[1].split("\n## ", 1)[0]
    assert "docs/results.md" in advice or "docs/gan-choice.md" in advice
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / link).exists(), link


def test_docs_pages_have_distinct_titles():
    titles = {}
    for page in (ROOT / "docs").rglob("*.md"):
        if "runs" in page.relative_to(ROOT / "docs").parts:
            continue
        title = page.read_text().splitlines()[0]
        assert title.startswith("# "), page
        assert title not in titles, (page, titles.get(title))
        titles[title] = page


@pytest.mark.parametrize("command", [["experiment"], ["gan", "train"], ["gan", "report"], ["gan", "generate"],
                                     ["augment"], ["results"], ["features"]])
def test_help_is_plain_text(command):
    shown = subprocess.run([sys.executable, "-m", "seraug.cli", *command, "--help"], capture_output=True, text=True,
                           check=True).stdout
    assert "``" not in shown and ":mod:" not in shown and ":data:" not in shown and ":func:" not in shown
    if command == ["experiment"]:
        assert "usage: seraug experiment --corpus NAME" in shown and "gan_texture is the GAN to use" in shown
        assert "--device" in shown and "default auto" in shown


def test_every_link_and_image_of_the_docs_is_there():
    for page in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]:
        if "runs" in page.relative_to(ROOT).parts:
            continue
        text = page.read_text()
        for target in re.findall(r"\]\(([^)#]+)", text) + re.findall(r'src="([^"]+)"', text):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)}: {target}"
