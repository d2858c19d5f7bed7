"""Folds never mix a speaker across training and test, on every corpus in ../shared/data."""

from __future__ import annotations

import pytest

from seraug.corpora import load_manifest
from seraug.experiment.folds import make_folds, simulate_imbalance


@pytest.fixture(scope="module", params=["emodb", "emovo"])
def manifest(request, emodb_root, emovo_root):
    return load_manifest(request.param, {"emodb": emodb_root, "emovo": emovo_root}[request.param])


@pytest.mark.parametrize("scheme,n_groups", [("speaker", 0), ("groups", 2), ("groups", 3)])
def test_no_speaker_in_two_parts(manifest, scheme, n_groups):
    folds = make_folds(manifest, scheme, n_groups=n_groups or 6, seed=1)
    speaker = manifest.set_index("utterance")["speaker"]
    tested = []
    for fold in folds:
        parts = [set(speaker[list(p)]) for p in (fold.train, fold.validation, fold.test)]
        assert all(parts) and not (parts[0] & parts[2]) and not (parts[1] & parts[2]) and not (parts[0] & parts[1])
        assert len(fold.train) + len(fold.validation) + len(fold.test) == len(manifest)
        tested += fold.test
    assert sorted(tested) == sorted(manifest["utterance"])  # every utterance tested exactly once
    assert len(folds) == (manifest["speaker"].nunique() if scheme == "speaker" else n_groups)


def test_folds_are_seeded(manifest):
    assert make_folds(manifest, "speaker", seed=3) == make_folds(manifest, "speaker", seed=3)
    assert make_folds(manifest, "groups", n_groups=3, seed=3) != make_folds(manifest, "groups", n_groups=3, seed=4)


def test_session_scheme_needs_sessions(manifest):
    with pytest.raises(ValueError, match=f"{len(manifest)} of {len(manifest)} have none"):
        make_folds(manifest, "session")
    partly = manifest.assign(session=["s1"] * 10 + [None] * (len(manifest) - 10))
    with pytest.raises(ValueError, match=f"{len(manifest) - 10} of {len(manifest)} have none, e.g. "):
        make_folds(partly, "session")
    with_sessions = manifest.assign(session=manifest["speaker"].str[0])  # two pseudo-sessions: f and m speakers / 0 and 1
    folds = make_folds(with_sessions, "session")
    assert len(folds) == with_sessions["session"].nunique()


def test_speakers_in_every_session_are_an_error_not_an_empty_training_part(manifest):
    """Each speaker recorded in both sessions: no fold has a speaker left to train on."""
    both = manifest.assign(session=["a", "b"] * (len(manifest) // 2) + ["a"] * (len(manifest) % 2))
    with pytest.raises(ValueError, match="fold session-a: no utterances left for training"):
        make_folds(both, "session")


def test_no_validation_part_gives_every_training_speaker_to_training(manifest):
    folds = make_folds(manifest, "groups", n_groups=5, validation_fraction=0)
    for fold in folds:
        assert fold.validation == () and len(fold.train) + len(fold.test) == len(manifest)
    assert len(set().union(*(f.test for f in folds))) == len(manifest)  # every utterance tested once


def test_shuffle_split_with_separate_test_corpus(emodb_root, emovo_root):
    train, test = load_manifest("emodb", emodb_root), load_manifest("emovo", emovo_root)
    (fold,) = make_folds(train, "shuffle", seed=0, test=test)
    assert len(fold.validation) == round(0.1 * 535) and len(fold.train) == 535 - len(fold.validation)
    assert set(fold.test) == set(test["utterance"])


def test_simulate_imbalance_removes_80_percent_of_one_class(manifest):
    reduced = simulate_imbalance(manifest, "sadness", 0.8, seed=0)
    before, after = manifest["label"].value_counts(), reduced["label"].value_counts()
    assert after["sadness"] == before["sadness"] - round(0.8 * before["sadness"])
    assert (after.drop("sadness") == before.drop("sadness")).all()
    assert reduced.equals(simulate_imbalance(manifest, "sadness", 0.8, seed=0))
    with pytest.raises(ValueError, match="no utterances"):
        simulate_imbalance(manifest, "calm")


@pytest.mark.parametrize("n,kept", [(1, 1), (2, 1), (3, 1), (10, 2)])
def test_simulate_imbalance_keeps_one_utterance_of_a_tiny_class(manifest, n, kept):
    """round(0.8 * n) == n for n <= 2, yet the class must stay in the training part."""
    sad = manifest.index[manifest["label"] == "sadness"]
    few = manifest.drop(index=sad[n:])
    reduced = simulate_imbalance(few, "sadness", 0.8, seed=0)
    assert (reduced["label"] == "sadness").sum() == kept and len(few) - len(reduced) == n - kept
