"""Utterance-level evaluation: majority voting of segment predictions, UAR, macro F-score, accuracy.

The paper (Section 3.2) classifies 128-frame segments, labels every utterance by the majority vote of
its segments' predicted classes, and reports the Unweighted Average Recall (UAR, the mean of the
per-class recalls) and the macro F-score of those utterance labels.

Conventions (those of scikit-learn's ``balanced_accuracy_score`` and ``f1_score(average="macro")``):

- classes are integers ``0 .. K-1``;
- UAR averages the recall of the classes that occur in ``y_true`` (a class with no true example has
  no recall); a class that is never predicted has recall 0;
- the macro F-score averages the per-class F1 over the classes that occur in ``y_true`` or ``y_pred``;
  a class that is never predicted (precision 0/0) or never true (recall 0/0) scores F1 = 0.
"""

from __future__ import annotations

import numpy as np

from seraug.errors import DataError


def _labels(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate a pair of label vectors: 1-D, same non-zero length, non-negative integers."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.ndim != 1 or len(y) == 0:
            raise DataError(f"{name} must be a non-empty 1-D array of class indices, got shape {y.shape}")
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
            raise DataError(f"{name} must hold non-negative integer class indices, got dtype {y.dtype}")
    if len(y_true) != len(y_pred):
        raise DataError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    return y_true, y_pred


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """Confusion matrix ``(K, K)`` int64: ``C[i, j]`` counts examples of true class ``i`` predicted ``j``.

    ``K`` is ``n_classes`` if given, else ``1 + max`` of both label vectors.
    """
    y_true, y_pred = _labels(y_true, y_pred)
    k = int(max(y_true.max(), y_pred.max())) + 1
    if n_classes is not None:
        if n_classes < k:
            raise DataError(f"n_classes={n_classes} but the labels go up to class {k - 1}")
        k = n_classes
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def uar(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Unweighted Average Recall: the mean over the classes present in ``y_true`` of their recall."""
    matrix = confusion(y_true, y_pred)
    support = matrix.sum(axis=1)
    present = support > 0
    return float(np.mean(np.diag(matrix)[present] / support[present]))


def f_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Macro F1 over the classes present in ``y_true`` or ``y_pred`` (0 for a class with no hit)."""
    matrix = confusion(y_true, y_pred)
    hits, true_count, pred_count = np.diag(matrix), matrix.sum(axis=1), matrix.sum(axis=0)
    present = (true_count + pred_count) > 0
    # F1 = 2 TP / (2 TP + FP + FN) = 2 TP / (true count + predicted count); 0 when TP = 0.
    return float(np.mean(2 * hits[present] / (true_count[present] + pred_count[present])))


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of examples predicted correctly."""
    y_true, y_pred = _labels(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def _segment_table(segment_probs: np.ndarray, utterance_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probs, ids = np.asarray(segment_probs), np.asarray(utterance_ids)
    if probs.ndim != 2 or len(probs) == 0:
        raise DataError(f"segment_probs must have shape (N, K) with N > 0, got {probs.shape}")
    if ids.shape != (len(probs),):
        raise DataError(f"utterance_ids must have shape ({len(probs)},) like segment_probs' rows, got {ids.shape}")
    if not np.isfinite(probs).all():  # a diverged model: NaN would silently vote for class 0
        raise DataError(f"segment_probs holds {int((~np.isfinite(probs)).sum())} non-finite values "
                         "(a diverged model?)")
    return probs, ids


def vote(segment_probs: np.ndarray, utterance_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Utterance labels by majority vote of their segments' predicted classes.

    Each segment votes for its most probable class. The class with the most votes wins; a tie is
    broken by the larger sum of the tied classes' probabilities over the utterance's segments (then,
    if those sums are exactly equal, by the lower class index).

    Args:
        segment_probs: ``(N, K)`` class probabilities (or any scores) per segment.
        utterance_ids: ``(N,)`` the utterance each segment belongs to (any sortable ids).

    Returns:
        ``(utterances, predicted)``: the unique utterance ids in sorted order ``(U,)`` and each one's
        predicted class ``(U,)`` int64.
    """
    probs, ids = _segment_table(segment_probs, utterance_ids)
    utterances, owner = np.unique(ids, return_inverse=True)
    n_classes = probs.shape[1]
    votes = np.zeros((len(utterances), n_classes), dtype=np.int64)
    np.add.at(votes, (owner, probs.argmax(axis=1)), 1)
    summed = np.zeros((len(utterances), n_classes), dtype=np.float64)
    np.add.at(summed, owner, probs)
    most_voted = votes == votes.max(axis=1, keepdims=True)
    return utterances, np.where(most_voted, summed, -np.inf).argmax(axis=1)


def utterance_labels(segment_labels: np.ndarray, utterance_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The one true label of each utterance ``(utterances sorted (U,), labels (U,))`` from its segments'.

    Raises ValueError if some utterance's segments disagree (a bookkeeping error upstream).
    """
    labels, ids = np.asarray(segment_labels), np.asarray(utterance_ids)
    if labels.shape != ids.shape or labels.ndim != 1:
        raise DataError(f"segment labels {labels.shape} and utterance_ids {ids.shape} must be equal-length 1-D arrays")
    utterances, owner = np.unique(ids, return_inverse=True)
    first = np.zeros(len(utterances), dtype=labels.dtype)
    first[owner] = labels
    mismatch = first[owner] != labels
    if mismatch.any():
        raise DataError(f"utterance {str(ids[mismatch][0])!r} has segments with different labels")
    return utterances, first


def evaluate(segment_probs: np.ndarray, segment_labels: np.ndarray, utterance_ids: np.ndarray) -> dict:
    """Utterance-level metrics after majority voting (the paper's evaluation).

    Args:
        segment_probs: ``(N, K)`` predicted class probabilities per segment.
        segment_labels: ``(N,)`` int true class of each segment (equal within an utterance).
        utterance_ids: ``(N,)`` the utterance of each segment.

    Returns:
        ``{"uar", "f_score", "accuracy"}`` (floats in [0, 1]), ``"confusion"`` ``(K, K)`` int64 array
        (rows true, columns predicted), ``"n_utterances"`` and ``"segment_accuracy"`` (before voting).
    """
    probs, ids = _segment_table(segment_probs, utterance_ids)
    utterances, truth = utterance_labels(segment_labels, ids)
    _, predicted = vote(probs, ids)
    return {
        "uar": uar(truth, predicted),
        "f_score": f_score(truth, predicted),
        "accuracy": accuracy(truth, predicted),
        "confusion": confusion(truth, predicted, n_classes=probs.shape[1]),
        "n_utterances": len(utterances),
        "segment_accuracy": accuracy(np.asarray(segment_labels), probs.argmax(axis=1)),
    }
