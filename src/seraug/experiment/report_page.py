"""``OUT/report.html``: one self-contained page per experiment run, to look and listen.

It holds the summary table (with the cells behind each row), the paired comparison, the figures, the
examples of :func:`seraug.experiment.write_examples` (per class a real and a generated segment, as
spectrogram grids and as ``<audio>`` players), and the commands, settings, machine and versions from
``config.json``. Figures and audio are embedded as base64 ``data:`` URIs, so the one file can be
mailed, archived or opened offline.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd

from seraug.files import atomic_path, read_json

STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}img{max-width:100%}
pre{background:#f6f6f6;padding:8px;overflow-x:auto}audio{width:220px}"""


def _data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _examples(out: Path) -> list[str]:
    """Per class, ``<audio>`` players of the real segment and of every strategy's generated one, and the grids."""
    folder = out / "examples"
    if not (folder / "real").is_dir():
        return ["<p>No examples: they are written by the run's first <code>gan</code> or <code>bagan</code> "
                "cell.</p>"]
    kinds = ["real", *sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name != "real"
                             and not p.name.startswith("."))]
    classes = sorted(p.stem for p in (folder / "real").glob("*.wav"))
    rows = ["<table><tr><th>class</th>" + "".join(f"<th>{html.escape(k)}</th>" for k in kinds) + "</tr>"]
    for name in classes:
        cells = []
        for kind in kinds:
            wav = folder / kind / f"{name}.wav"
            cells.append(f'<td><audio controls preload="none" src="{_data_uri(wav, "audio/wav")}"></audio></td>'
                         if wav.exists() else "<td>-</td>")
        rows.append(f"<tr><td>{html.escape(name)}</td>{''.join(cells)}</tr>")
    rows.append("</table>")
    rows.append("<p>Both kinds went through the same inversion (normalisation undone, mel to linear, "
                "Griffin-Lim), so they differ by what the GAN made, not by the vocoder.</p>")
    for kind in kinds[1:]:
        if (folder / kind / "grid.png").exists():
            rows.append(f'<img alt="{html.escape(kind)} grid" style="width:420px" '
                        f'src="{_data_uri(folder / kind / "grid.png", "image/png")}">')
    return rows


def write_page(out: str | Path, summary: pd.DataFrame, machines: str = "?", recall: pd.DataFrame | None = None) -> Path:
    """Write ``out/report.html`` from the tables and figures :func:`seraug.experiment.report.write_report` wrote;
    ``summary``: the ``mean ± std`` table with its ``cells`` column; ``machines`` says which machines made the
    cells (:func:`seraug.experiment.report.cell_machines`); ``recall``: Table 2's reduced class's recall paired
    with imbalanced (None or empty: not shown)."""
    out = Path(out)
    config = read_json(out / "config.json") if (out / "config.json").exists() else {}
    preset = config.get("preset", "?")
    preset = preset if isinstance(preset, str) else "custom (see settings below)"
    title = f"{config.get('corpus', out.name)}, {config.get('protocol', '')}, preset {preset}"
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>seraug: {html.escape(title)}</title>"
             f"<style>{STYLE}</style></head><body>", f"<h1>seraug: {html.escape(title)}</h1>",
             f"<p>Run folder <code>{html.escape(str(out.resolve()))}</code>. UAR and F-score in percent, mean ± "
             "std over folds and seeds; <em>cells</em> = folds x seeds behind each row.</p>",
             "<h2>Summary</h2>", summary.to_html(na_rep="-")]
    if (out / "comparison.csv").exists() and (out / "comparison.csv").stat().st_size > 1:
        comparison = pd.read_csv(out / "comparison.csv")
        parts += ["<h2>Paired with imbalanced</h2><p>UAR points, same fold and seed; 95% t interval over the "
                  "pairs; <em>within noise</em> where it includes 0.</p>",
                  comparison.round(3).to_html(index=False, na_rep="-")]
    if recall is not None and not recall.empty:
        parts += ["<h2>The reduced class's recall, paired with imbalanced</h2><p>Recall points on the class "
                  "Table 2 reduced, same fold and seed: what balancing acts on.</p>",
                  recall.drop(columns="uar_ratio").round(3).to_html(index=False, na_rep="-")]
    for name, caption in (("comparison.png", "Paired differences"), ("confusion.png", "Confusion matrices")):
        if (out / name).exists():
            parts.append(f"<h2>{caption}</h2><img alt='{name}' src='{_data_uri(out / name, 'image/png')}'>")
    parts += ["<h2>Listen: real and generated segments</h2>", *_examples(out)]
    parts += ["<h2>How it was made</h2><pre>" + html.escape("\n".join(config.get("commands") or
                                                                  ["(command not recorded)"])) + "</pre>",
              f"<p>Machines: {html.escape(machines)}</p>",
              "<details><summary>settings and versions</summary><pre>"
              + html.escape(json.dumps({k: config.get(k) for k in ("sizes", "features", "fold_scheme", "seeds",
                                                                   "versions")}, indent=1)) + "</pre></details>",
              "</body></html>"]
    path = out / "report.html"
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
    return path
