"""Utterance voting and the paper's metrics, against cases computed by hand (and scikit-learn)."""

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, f1_score

from seraug.classifier import accuracy, confusion, evaluate, f_score, uar, utterance_labels, vote

# Class 2 occurs but is never predicted.
Y_TRUE = np.array([0, 0, 0, 1, 1, 2])
Y_PRED = np.array([0, 0, 1, 1, 0, 0])


def test_confusion_rows_are_truth_columns_predictions():
    expected = np.array([[2, 1, 0], [1, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(confusion(Y_TRUE, Y_PRED), expected)
    padded = confusion(Y_TRUE, Y_PRED, n_classes=5)
    assert padded.shape == (5, 5) and padded.sum() == 6 and padded[3:].sum() == padded[:, 3:].sum() == 0


def test_metrics_with_a_class_never_predicted():
    # Recalls 2/3, 1/2, 0 -> UAR 7/18. F1 = 2TP / (true + predicted): 4/7, 2/4, 0 -> 5/14.
    assert uar(Y_TRUE, Y_PRED) == pytest.approx(7 / 18)
    assert f_score(Y_TRUE, Y_PRED) == pytest.approx(5 / 14)
    assert accuracy(Y_TRUE, Y_PRED) == pytest.approx(0.5)
    assert uar(Y_TRUE, Y_PRED) == pytest.approx(balanced_accuracy_score(Y_TRUE, Y_PRED))
    assert f_score(Y_TRUE, Y_PRED) == pytest.approx(f1_score(Y_TRUE, Y_PRED, average="macro", zero_division=0))


def test_metrics_with_a_class_predicted_but_never_true():
    y_true, y_pred = np.array([0, 0, 1, 1]), np.array([0, 2, 1, 1])
    assert uar(y_true, y_pred) == pytest.approx((1 / 2 + 1) / 2)  # recall only of classes that occur
    assert f_score(y_true, y_pred) == pytest.approx((2 / 3 + 1 + 0) / 3)  # class 2 counts, with F1 = 0


def test_metric_inputs_are_validated():
    with pytest.raises(ValueError, match="y_pred has 2"):
        uar([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="y_true must hold non-negative integer"):
        f_score(np.array([0.0, 1.0]), np.array([0, 1]))
    with pytest.raises(ValueError, match="n_classes=2"):
        confusion([0, 2], [0, 1], n_classes=2)


def test_vote_majority_then_summed_probabilities():
    ids = np.array(["b", "a", "b", "c", "a", "b", "d"])
    probs = np.array([
        [0.40, 0.35, 0.25],  # b votes 0
        [0.60, 0.40, 0.00],  # a votes 0
        [0.40, 0.30, 0.30],  # b votes 0
        [0.20, 0.30, 0.50],  # c votes 2
        [0.10, 0.90, 0.00],  # a votes 1: tie 1-1, summed 0.7 vs 1.3 -> class 1
        [0.00, 0.05, 0.95],  # b votes 2: 2 votes for class 0 beat class 2's larger sum (1.5 vs 0.8)
        [0.50, 0.50, 0.00],  # d: equal votes and sums -> the lower class index
    ])
    utterances, predicted = vote(probs, ids)
    np.testing.assert_array_equal(utterances, ["a", "b", "c", "d"])
    np.testing.assert_array_equal(predicted, [1, 0, 2, 0])


def test_vote_rejects_misaligned_ids():
    with pytest.raises(ValueError, match="utterance_ids must have shape"):
        vote(np.ones((3, 2)), np.array(["a", "b"]))


def test_evaluate_scores_utterances_not_segments():
    ids = np.array(["u1", "u1", "u1", "u2", "u3", "u3"])
    labels = np.array([0, 0, 0, 1, 2, 2])
    probs = np.array([[.9, .1, 0], [.2, .8, 0], [.7, .3, 0], [.1, .9, 0], [.6, .4, 0], [.3, .1, .6]])
    # u1 -> 0 (2 of 3 segments, right), u2 -> 1 (right), u3 -> tie 0/2 broken by sums 0.9 vs 0.6 -> 0 (wrong).
    metrics = evaluate(probs, labels, ids)
    assert metrics["n_utterances"] == 3
    assert metrics["accuracy"] == pytest.approx(2 / 3)
    assert metrics["segment_accuracy"] == pytest.approx(4 / 6)
    assert metrics["uar"] == pytest.approx((1 + 1 + 0) / 3)
    np.testing.assert_array_equal(metrics["confusion"], [[1, 0, 0], [0, 1, 0], [1, 0, 0]])


def test_utterance_labels_must_agree_within_an_utterance():
    utterances, labels = utterance_labels(np.array([1, 0, 1]), np.array(["x", "y", "x"]))
    np.testing.assert_array_equal(utterances, ["x", "y"])
    np.testing.assert_array_equal(labels, [1, 0])
    with pytest.raises(ValueError, match="utterance 'x' has segments with different labels"):
        utterance_labels(np.array([1, 0, 2]), np.array(["x", "y", "x"]))
