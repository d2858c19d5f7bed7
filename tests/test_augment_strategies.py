"""Table 1 strategies and random undersampling: per-class counts on all of EmoDB (planning decodes no speech)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from imblearn.under_sampling import RandomUnderSampler

from seraug.augment import (
    PLAN_COLUMNS,
    STRATEGIES,
    AugmentError,
    NoiseBank,
    default_transforms,
    make_plan,
    original_plan,
    undersample,
)

EMODB_COUNTS = {"anger": 127, "boredom": 81, "neutral": 79, "happiness": 71, "fear": 69, "sadness": 62, "disgust": 46}
MAJORITY, MINORITY = 127, 46


@pytest.fixture(scope="module")
def transforms(esc10_root):
    return default_transforms(NoiseBank(esc10_root))


def kinds_per_class(plan: pd.DataFrame) -> pd.DataFrame:
    return pd.crosstab(plan["label"], plan["kind"]).reindex(columns=["original", "added", "replacement"], fill_value=0)


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_every_class_reaches_the_majority_count(emodb_manifest, transforms, strategy):
    plan = make_plan(emodb_manifest, strategy, seed=0, transforms=transforms)
    assert list(plan.columns) == PLAN_COLUMNS
    assert plan.groupby("label").size().to_dict() == {label: MAJORITY for label in EMODB_COUNTS}
    assert plan["utterance"].is_unique
    kinds = kinds_per_class(plan)
    for label, n in EMODB_COUNTS.items():
        replaced = {"none": 0, "all": n - MINORITY, "majority": (n - MINORITY) * (n == MAJORITY)}[
            STRATEGIES[strategy].replace]
        assert kinds.loc[label].to_dict() == {"original": n - replaced, "added": MAJORITY - n, "replacement": replaced}
    new = plan[plan["kind"] != "original"]
    assert set(new["transform"]) == set(STRATEGIES[strategy].transforms)


@pytest.mark.parametrize("strategy", ["SAR", "SAR_B", "SAR_S"])
def test_replacement_gives_every_class_the_same_share_of_processed_audio(emodb_manifest, transforms, strategy):
    plan = make_plan(emodb_manifest, strategy, seed=0, transforms=transforms)
    share = (plan["kind"] != "original").groupby(plan["label"]).mean()
    np.testing.assert_allclose(share, (MAJORITY - MINORITY) / MAJORITY)
    replaced = plan[plan["kind"] == "replacement"]
    assert not set(replaced["source"]) & set(plan.loc[plan["kind"] == "original", "utterance"])  # source gone
    assert replaced["source"].is_unique


def test_augmented_rows_come_from_their_own_class_and_keep_its_metadata(emodb_manifest, transforms):
    plan = make_plan(emodb_manifest, "SA", seed=3, transforms=transforms)
    sources = emodb_manifest.set_index("utterance").loc[plan["source"]]
    for column in ("label", "speaker", "code", "corpus"):
        assert (sources[column].to_numpy() == plan[column].to_numpy()).all()
    assert (sources["path"].to_numpy() == plan["source_path"].to_numpy()).all()
    params = plan.loc[plan["transform"] == "TS", "params"].map(lambda p: json.loads(p)["rate"])
    assert params.between(0.81, 1.23).all() and params.nunique() == len(params)


def test_copy_adds_exact_copies_drawn_from_the_class(emodb_manifest):
    plan = make_plan(emodb_manifest, "CP", seed=0)
    added = plan[plan["kind"] == "added"]
    assert (added["params"] == "{}").all() and (added["transform"] == "CP").all()
    assert added.groupby("label")["source"].nunique().loc["disgust"] > 30  # drawn across the class, not one file


def test_majority_tie_replaces_in_every_majority_class(emodb_manifest, transforms):
    anger = emodb_manifest[emodb_manifest["label"] == "anger"].head(EMODB_COUNTS["boredom"])  # ties boredom: 81
    tied = pd.concat([anger, emodb_manifest[emodb_manifest["label"].isin(["boredom", "disgust"])]])
    kinds = kinds_per_class(make_plan(tied, "SAR_M", seed=0, transforms=transforms))
    assert kinds["replacement"].to_dict() == {"anger": 81 - MINORITY, "boredom": 81 - MINORITY, "disgust": 0}


def test_repeated_index_labels_do_not_change_the_plan(emodb_manifest, transforms):
    halves = [part.reset_index(drop=True) for part in (emodb_manifest.iloc[::2], emodb_manifest.iloc[1::2])]
    stacked = pd.concat(halves)  # index 0, 1, ... twice, as pd.concat of two tables gives
    assert not stacked.index.is_unique
    plan = make_plan(stacked, "SAR", seed=0, transforms=transforms)
    pd.testing.assert_frame_equal(plan, make_plan(stacked.reset_index(drop=True), "SAR", seed=0, transforms=transforms))
    assert plan.groupby("label").size().to_dict() == {label: MAJORITY for label in EMODB_COUNTS}
    kept_or_replaced = plan.loc[plan["kind"] != "added", "source"]
    assert kept_or_replaced.is_unique and set(kept_or_replaced) == set(stacked["utterance"])  # each original once


def test_same_seed_same_plan_other_seed_other_plan(emodb_manifest, transforms):
    one, again, other = (make_plan(emodb_manifest, "SAR", seed=s, transforms=transforms) for s in (5, 5, 6))
    pd.testing.assert_frame_equal(one, again)
    assert not one["params"].equals(other["params"])


def test_only_the_given_training_part_is_used(emodb_manifest, transforms):
    test_speakers = {"03", "08"}
    train = emodb_manifest[~emodb_manifest["speaker"].isin(test_speakers)]
    plan = make_plan(train, "SAR", seed=0, transforms=transforms)
    assert not set(plan["speaker"]) & test_speakers
    assert set(plan["source"]) <= set(train["utterance"])
    assert set(plan["source_path"]) <= set(train["path"])


@pytest.mark.parametrize("ratio", [0.4, 0.6, 0.8, 1.0])
def test_undersampling_reaches_the_ratio(emodb_manifest, ratio):
    plan = undersample(emodb_manifest, ratio, seed=0)
    counts = plan["label"].value_counts()
    cap = int(MINORITY / ratio)
    assert counts.to_dict() == {label: min(n, cap) for label, n in EMODB_COUNTS.items()}
    assert counts.min() / counts.max() >= ratio - 1e-9 and counts.min() / counts.max() < ratio + 0.01
    assert (plan["kind"] == "original").all() and set(plan["utterance"]) <= set(emodb_manifest["utterance"])
    pd.testing.assert_frame_equal(plan, undersample(emodb_manifest, ratio, seed=0))
    assert not plan["utterance"].equals(undersample(emodb_manifest, ratio, seed=1)["utterance"])


def test_undersampling_a_binary_task_matches_imbalanced_learn_float(emodb_manifest):
    two = emodb_manifest[emodb_manifest["label"].isin(["anger", "disgust"])].reset_index(drop=True)
    ours = undersample(two, 0.6, seed=0)["label"].value_counts()
    theirs = RandomUnderSampler(sampling_strategy=0.6, random_state=0).fit_resample(two[["utterance"]], two["label"])[1]
    assert ours.to_dict() == theirs.value_counts().to_dict() == {"anger": 76, "disgust": 46}


def test_original_plan_keeps_the_training_set(emodb_manifest):
    plan = original_plan(emodb_manifest)
    assert (plan["utterance"] == emodb_manifest["utterance"]).all() and (plan["kind"] == "original").all()


def test_bad_input_is_a_clear_error(emodb_manifest):
    with pytest.raises(AugmentError, match="unknown strategy 'SARX'; choose one of CP, SA, SAR"):
        make_plan(emodb_manifest, "SARX")
    with pytest.raises(AugmentError, match="needs transform.*BN.*noise folder"):
        make_plan(emodb_manifest, "SA")  # default transforms have no noise bank
    speaker_08 = emodb_manifest[emodb_manifest["speaker"] == "08"]  # never expresses disgust
    with pytest.raises(AugmentError, match="class.*disgust have no utterances"):
        make_plan(speaker_08, "CP", classes=emodb_manifest["label"].unique())
    with pytest.raises(AugmentError, match="disgust have no utterances"):
        undersample(speaker_08, 1.0, classes=emodb_manifest["label"].unique())
    with pytest.raises(AugmentError, match="no utterances to balance"):
        make_plan(emodb_manifest.iloc[:0], "CP")
    for ratio in (0.0, 1.5):
        with pytest.raises(AugmentError, match="ratio must be in"):
            undersample(emodb_manifest, ratio)
