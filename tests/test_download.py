"""`seraug download` against an HTTP server on 127.0.0.1 serving an archive built from the real EmoDB."""

from __future__ import annotations

import functools
import http.server
import threading
import zipfile

import pytest

from seraug.cli import main
from seraug.corpora import CorpusError, load_manifest
from seraug.download import download


@pytest.fixture(scope="module")
def server(tmp_path_factory, emodb_root):
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(site / "download.zip", "w") as zf:  # the release's layout: wav/, erkennung.txt, ...
        for wav in sorted((emodb_root / "wav").glob("*.wav")):
            zf.write(wav, f"wav/{wav.name}")
        zf.write(emodb_root / "erkennung.txt", "erkennung.txt")
    with zipfile.ZipFile(site / "short.zip", "w") as zf:
        zf.write(emodb_root / "wav" / "03a01Fa.wav", "wav/03a01Fa.wav")
    with zipfile.ZipFile(site / "evil.zip", "w") as zf:
        zf.writestr("../outside.txt", "x")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_unpacks_checks_and_feeds_the_loader(server, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    assert main(["download", "emodb", "--cache", str(cache), "--url", f"{server}/download.zip"]) == 0
    assert len(list((cache / "emodb" / "wav").glob("*.wav"))) == 535
    assert sorted(p.name for p in cache.iterdir()) == ["emodb"]  # no temporary leftovers
    monkeypatch.setenv("SERAUG_CACHE", str(cache))
    assert len(load_manifest("emodb")) == 535  # no --root: the cache


def test_incomplete_archive_is_refused(server, tmp_path):
    with pytest.raises(CorpusError, match="unpacked 1 emodb utterances, expected 535"):
        download("emodb", tmp_path, f"{server}/short.zip", progress=False)
    assert not (tmp_path / "emodb").exists()


def test_archive_member_outside_cache_is_refused(server, tmp_path):
    with pytest.raises(CorpusError, match="outside the cache"):
        download("emodb", tmp_path / "cache", f"{server}/evil.zip", progress=False)
    assert not (tmp_path / "outside.txt").exists()


def test_no_network_says_how_to_pass_root(tmp_path, capsys):
    assert main(["download", "ravdess", "--cache", str(tmp_path), "--url", "http://127.0.0.1:9/x.zip"]) == 2
    assert "--root DIR" in capsys.readouterr().err
    with pytest.raises(CorpusError, match="no public direct download"):
        download("emovo", tmp_path)
