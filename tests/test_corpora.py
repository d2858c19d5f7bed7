"""Corpus loaders: the real EmoDB and EMOVO, and fixture trees with the official naming for the rest."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from seraug.cli import main
from seraug.corpora import MANIFEST_COLUMNS, CorpusError, load_manifest


def test_emodb(emodb_root):
    m = load_manifest("emodb", emodb_root)
    assert list(m.columns) == MANIFEST_COLUMNS
    assert len(m) == 535 and m["speaker"].nunique() == 10 and m["utterance"].is_unique
    assert m["label"].value_counts().to_dict() == {"anger": 127, "boredom": 81, "neutral": 79, "happiness": 71,
                                                   "fear": 69, "sadness": 62, "disgust": 46}
    row = m.set_index("utterance").loc["03a01Fa"]
    assert (row.speaker, row.label, row.code) == ("03", "happiness", "F")
    assert len(load_manifest("emodb", emodb_root / "wav")) == 535  # the wav folder itself works too


def test_emovo(emovo_root):
    m = load_manifest("emovo", emovo_root)
    assert len(m) == 588 and sorted(m["speaker"].unique()) == ["f1", "f2", "f3", "m1", "m2", "m3"]
    assert set(m["label"].value_counts()) == {84} and m["label"].nunique() == 7
    assert m.set_index("utterance").loc["dis-f1-b1", "label"] == "disgust"


def _tree(root, names, source):
    """Copy one real wav under each official file name (tests only; never in the repo)."""
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)


@pytest.fixture
def wav(emodb_root):
    return emodb_root / "wav" / "03a01Fa.wav"


def test_ravdess_speech_files(tmp_path, wav):
    names = [f"Actor_{a:02d}/03-01-{e:02d}-0{1 + (e > 1)}-01-01-{a:02d}.wav" for a in (1, 2, 24) for e in range(1, 9)]
    left_out = ["Actor_01/03-02-03-01-01-01-01.wav", "Actor_01/01-01-03-01-01-01-01.wav"]  # song; audio-video
    _tree(tmp_path, names + left_out, wav)
    m = load_manifest("ravdess", tmp_path)
    assert len(m) == 24 and sorted(m["speaker"].unique()) == ["01", "02", "24"]
    assert set(m["label"]) == {"neutral", "calm", "happiness", "sadness", "anger", "fear", "disgust", "surprise"}
    four = load_manifest("ravdess", tmp_path, classes="anger,happiness,sadness,neutral")
    assert set(four["label"]) == {"anger", "happiness", "sadness", "neutral"} and len(four) == 12


def test_crema_d(tmp_path, wav):
    _tree(tmp_path, ["AudioWAV/1001_DFA_ANG_XX.wav", "AudioWAV/1001_IEO_HAP_HI.wav", "AudioWAV/1091_TIE_SAD_LO.wav"], wav)
    m = load_manifest("crema_d", tmp_path)
    assert m[["speaker", "label", "code"]].values.tolist() == [
        ["1001", "anger", "ANG"], ["1001", "happiness", "HAP"], ["1091", "sadness", "SAD"]]


def test_tess(tmp_path, wav):
    _tree(tmp_path, ["OAF_angry/OAF_back_angry.wav", "OAF_Pleasant_surprise/OAF_bite_ps.wav",
                     "YAF_sad/YAF_youth_sad.wav", "YAF_neutral/YAF_back_neutral.wav",
                     "YAF_pleasant_surprised/YAF_germ_pleasant.wav"], wav)  # a deviating name: its folder says it
    m = load_manifest("tess", tmp_path)
    assert sorted(zip(m["speaker"], m["label"])) == [("OAF", "anger"), ("OAF", "surprise"), ("YAF", "neutral"),
                                                     ("YAF", "sadness"), ("YAF", "surprise")]
    _tree(tmp_path, ["stray/notes.wav"], wav)  # neither the name nor the folder says what it is
    with pytest.raises(CorpusError, match="notes.wav"):
        load_manifest("tess", tmp_path)
    (tmp_path / "stray/notes.wav").unlink()
    shutil.copytree(tmp_path / "OAF_angry", tmp_path / "copy" / "OAF_angry")  # Kaggle's nested duplicate folder
    with pytest.raises(CorpusError) as info:
        load_manifest("tess", tmp_path)
    assert str(tmp_path / "OAF_angry/OAF_back_angry.wav") in str(info.value)
    assert str(tmp_path / "copy/OAF_angry/OAF_back_angry.wav") in str(info.value)


def _iemocap(root, wav):
    lines = {1: [("Ses01F_impro01_F000", "neu"), ("Ses01F_impro01_M001", "exc"), ("Ses01F_impro01_F002", "fru"),
                 ("Ses01F_impro01_M003", "ang")],
             2: [("Ses02M_script01_1_F000", "hap"), ("Ses02M_script01_1_M001", "sad"), ("Ses02M_script01_1_F002", "xxx")]}
    for session, utts in lines.items():
        dialog = utts[0][0].rsplit("_", 1)[0]
        txt = root / f"Session{session}" / "dialog" / "EmoEvaluation" / f"{dialog}.txt"
        txt.parent.mkdir(parents=True)
        body = "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"
        for i, (utt, code) in enumerate(utts):
            body += f"[{i}.0 - {i}.9]\t{utt}\t{code}\t[2.5000, 2.5000, 2.5000]\nC-E1:\tNeutral;\t()\n\n"
        txt.write_text(body)
        _tree(root, [f"Session{session}/sentences/wav/{dialog}/{u}.wav" for u, _ in utts], wav)


def test_iemocap_official_layout(tmp_path, wav):
    _iemocap(tmp_path, wav)
    m = load_manifest("iemocap", tmp_path)  # the paper's four classes, excitement merged into happiness
    assert sorted(m["label"].value_counts().items()) == [("anger", 1), ("happiness", 2), ("neutral", 1), ("sadness", 1)]
    assert set(m["session"]) == {"Session1", "Session2"}
    assert m.set_index("utterance").loc["Ses01F_impro01_M001", "speaker"] == "Ses01M"
    assert len(load_manifest("iemocap", tmp_path, classes="all")) == 7
    four = load_manifest("iemocap", tmp_path, classes="anger,happiness,sadness,neutral")
    assert four.equals(m)  # naming the paper's classes keeps the excitement rows, merged into happiness
    merged = load_manifest("iemocap", tmp_path, merge={"frustration": "anger"})
    assert merged["label"].value_counts()[["anger", "happiness"]].tolist() == [2, 2]  # a user's merge adds to it
    apart = load_manifest("iemocap", tmp_path, classes="happiness,excitement")
    assert sorted(apart["label"]) == ["excitement", "happiness"]  # excitement named: not merged
    assert "excitement" in set(load_manifest("iemocap", tmp_path, classes="all")["label"])
    (tmp_path / "Session2/sentences/wav/Ses02M_script01_1/Ses02M_script01_1_M001.wav").unlink()
    with pytest.raises(CorpusError, match="Ses02M_script01_1_M001.wav: labelled in Ses02M_script01_1.txt but missing"):
        load_manifest("iemocap", tmp_path)


def test_csv_corpus(tmp_path, wav):
    _tree(tmp_path, ["audio/a.wav", "audio/b.flac"], wav)
    pd.DataFrame({"path": ["audio/a.wav", str(tmp_path / "audio/b.flac")], "label": ["Angry", "calm"],
                  "speaker": ["s1", "s2"], "session": ["1", "2"]}).to_csv(tmp_path / "c.csv", index=False)
    m = load_manifest("csv", tmp_path / "c.csv")
    assert m[["utterance", "label", "code", "speaker", "session"]].values.tolist() == [
        ["a", "anger", "Angry", "s1", "1"], ["b", "calm", "calm", "s2", "2"]]
    pd.DataFrame({"path": ["audio/missing.wav"], "label": ["x"], "speaker": ["s"]}).to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(CorpusError, match="missing.wav"):
        load_manifest("csv", tmp_path / "d.csv")
    pd.DataFrame({"path": ["audio/a.wav"], "label": ["x"]}).to_csv(tmp_path / "e.csv", index=False)
    with pytest.raises(CorpusError, match="missing column.*speaker"):
        load_manifest("csv", tmp_path / "e.csv")
    pd.DataFrame({"path": ["audio/a.wav", "audio/b.flac"], "label": ["x", "y"], "speaker": ["s", "s"],
                  "utterance": ["u1", " "]}).to_csv(tmp_path / "f.csv", index=False)
    with pytest.raises(CorpusError, match=r"f.csv: empty 'utterance' on line\(s\) 3"):
        load_manifest("csv", tmp_path / "f.csv")


def test_misnamed_files_and_missing_classes_are_errors(tmp_path, wav, emodb_root):
    _tree(tmp_path, ["wav/03a01Fa.wav", "wav/notes.wav"], wav)
    with pytest.raises(CorpusError, match="notes.wav"):
        load_manifest("emodb", tmp_path)
    with pytest.raises(CorpusError, match="calm have no utterances"):
        load_manifest("emodb", emodb_root, classes="anger,calm")
    with pytest.raises(CorpusError, match="unknown corpus"):
        load_manifest("nope", tmp_path)


def test_merge_of_an_absent_label_is_an_error(emodb_root, capsys):
    assert main(["manifest", "--corpus", "emodb", "--root", str(emodb_root), "--merge", "excitment=happiness"]) == 2
    err = capsys.readouterr().err
    assert "cannot merge 'excitment'" in err and "labels present: anger, boredom, disgust" in err
    by_code = load_manifest("emodb", emodb_root, merge={"L": "neutral"})  # EmoDB's own code for boredom
    assert by_code["label"].value_counts()["neutral"] == 79 + 81 and "boredom" not in set(by_code["label"])


def test_cli_manifest_and_corpora(emodb_root, capsys):
    assert main(["corpora"]) == 0
    assert "iemocap" in capsys.readouterr().out
    assert main(["manifest", "--corpus", "emodb", "--root", str(emodb_root)]) == 0
    out = capsys.readouterr().out
    assert "535 utterances, 10 speakers, 7 labels" in out and "total" in out
    assert main(["manifest", "--corpus", "emodb", "--root", "/no/such/dir"]) == 2
    assert "/no/such/dir: not a folder" in capsys.readouterr().err
