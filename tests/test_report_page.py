"""``OUT/report.html``: a self-contained page of a real (tiny) EmoDB run, checked in a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from seraug.classifier import TrainConfig
from seraug.experiment import ExperimentConfig, Preset, run_experiment
from seraug.gan import GANConfig

TINY = Preset(TrainConfig(width=1 / 32, epochs=1, batch_size=64, select="last"),
              GANConfig(width=1 / 32, ae_epochs=1, gan_epochs=1), validation_fraction=0, max_folds=2)


@pytest.fixture(scope="module")
def run(tmp_path_factory, emodb_root):
    out = tmp_path_factory.mktemp("run")
    run_experiment(ExperimentConfig(corpus="emodb", root=str(emodb_root), out=str(out), protocol="table3",
                                    strategies=["imbalanced", "gan"], classes=["anger", "sadness", "neutral"],
                                    device="cpu", preset=TINY, command="seraug experiment --tiny"), progress=False)
    return out


def test_examples_are_real_and_generated_audio_of_every_class(run):
    for kind in ("real", "gan"):
        for name in ("anger", "neutral", "sadness"):
            audio, rate = sf.read(run / "examples" / kind / f"{name}.wav")
            assert rate == 16000 and 3.0 < len(audio) / rate < 3.4 and np.abs(audio).max() > 0
    assert (run / "examples" / "gan" / "grid.png").exists()
    assert not list((run / "examples").glob(".*"))  # no half-written example folder


def test_the_page_is_self_contained_with_tables_figures_and_players(run):
    page = (run / "report.html").read_text()
    assert page.count("<audio controls") == 6 and page.count('src="data:audio/wav;base64,') == 6
    assert len(re.findall(r"src=.data:image/png;base64,", page)) == 3  # comparison, confusion, examples grid
    assert not re.search(r"""(src|href)=["']?(https?:|/)""", page)  # nothing to fetch: works offline
    assert "seraug experiment --tiny" in page and ">imbalanced<" in page and ">gan<" in page
    assert "<th>cells</th>" in page


def test_the_page_renders_in_headless_chromium(run, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no Chromium here (Debian: apt-get install chromium); the page was checked without a browser")
    shot = tmp_path / "page.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=1200,2400", (run / "report.html").as_uri()], check=True, capture_output=True,
                   timeout=120)
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (2400, 1200) and pixels[..., :3].std() > 0.05  # drawn, not a blank page
