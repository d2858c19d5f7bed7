"""`seraug download` against an HTTP server on 127.0.0.1 serving archives built from the real EmoDB."""

from __future__ import annotations

import functools
import http.server
import stat
import threading
import zipfile

import pytest

from seraug.cli import main
from seraug.corpora import CorpusError, load_manifest, ravdess
from seraug.corpora.download import download


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
    with zipfile.ZipFile(site / "fake.zip", "w") as zf:  # the right names, no audio in them
        for wav in sorted((emodb_root / "wav").glob("*.wav")):
            zf.writestr(f"wav/{wav.name}", "not audio")
    with zipfile.ZipFile(site / "link.zip", "w") as zf:
        link = zipfile.ZipInfo("wav/03a01Fa.wav")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    with zipfile.ZipFile(site / "damaged.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(emodb_root / "wav" / "03a01Fa.wav", "wav/03a01Fa.wav")
    data = bytearray((site / "damaged.zip").read_bytes())
    data[200:400] = bytes(200)  # zeros inside the compressed stream
    (site / "damaged.zip").write_bytes(bytes(data))
    speech = emodb_root / "wav" / "03a01Fa.wav"  # RAVDESS's official zip: Actor_NN/ at the top, one per actor here
    for name, folder in (("ravdess.zip", ""), ("ravdess-nested.zip", "Audio_Speech_Actors_01-24/")):
        with zipfile.ZipFile(site / name, "w") as zf:
            for actor in range(1, 25):
                zf.write(speech, f"{folder}Actor_{actor:02d}/03-01-01-01-01-01-{actor:02d}.wav")
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


def test_ravdess_archive_with_official_naming(server, tmp_path, monkeypatch):
    monkeypatch.setattr(ravdess, "EXPECTED_FILES", 24)  # the fixture archive: one utterance per actor
    with pytest.raises(CorpusError, match="no ravdess audio files found"):  # one folder too deep
        download("ravdess", tmp_path, f"{server}/ravdess-nested.zip", progress=False)
    assert not (tmp_path / "ravdess").exists()
    root = download("ravdess", tmp_path, f"{server}/ravdess.zip", progress=False)
    assert root == tmp_path / "ravdess" and load_manifest("ravdess", root)["speaker"].nunique() == 24


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


def test_archives_with_the_right_names_but_no_audio_links_or_damage_are_refused(server, tmp_path):
    with pytest.raises(CorpusError, match="not usable audio, e.g. .*03a01Fa.wav: unreadable audio"):
        download("emodb", tmp_path, f"{server}/fake.zip", progress=False)
    with pytest.raises(CorpusError, match="'wav/03a01Fa.wav' is a symbolic link; refused"):
        download("emodb", tmp_path, f"{server}/link.zip", progress=False)
    with pytest.raises(CorpusError, match="damaged.zip: (damaged archive data|not a zip archive)"):
        download("emodb", tmp_path, f"{server}/damaged.zip", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing unpacked, no leftovers


def test_checksum_and_size_cap(server, tmp_path, monkeypatch, capsys):
    assert main(["download", "emodb", "--cache", str(tmp_path), "--url", f"{server}/download.zip",
                 "--sha256", "0" * 64]) == 2
    assert "differs from the expected" in capsys.readouterr().err and not (tmp_path / "emodb").exists()
    import seraug.corpora.download

    monkeypatch.setattr(seraug.corpora.download, "MAX_UNPACKED_BYTES", 2**20)
    with pytest.raises(CorpusError, match="would unpack to .* GiB, more than"):
        download("emodb", tmp_path, f"{server}/download.zip", progress=False)
