"""ROC and precision-recall curves of a binary score, as the points a plot needs.

One sort of the scores and cumulative counts give every threshold's true and false
positives at once; a curve is then thinned to at most ``max_points`` points spread along
it, so that a million rows draw as quickly as a hundred.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

MAX_POINTS = 200


def _threshold_counts(
    positive: NDArray[np.bool_], score: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """True and false positives when every row scoring at least each distinct score (from
    the highest down) is called positive."""
    order = np.argsort(-score, kind="stable")
    ranked, hits = score[order], positive[order]
    ends = np.r_[np.flatnonzero(np.diff(ranked)), ranked.size - 1]
    true_positives = np.cumsum(hits, dtype=np.float64)[ends]
    return true_positives, ends + 1.0 - true_positives


def _thinned(x: FloatArray, y: FloatArray, max_points: int) -> tuple[list[float], list[float]]:
    if x.size > max_points:
        keep = np.unique(np.round(np.linspace(0, x.size - 1, max_points)).astype(np.int64))
        x, y = x[keep], y[keep]
    return [float(v) for v in x], [float(v) for v in y]


def roc_curve(
    positive: NDArray[np.bool_], score: FloatArray, max_points: int = MAX_POINTS
) -> tuple[list[float], list[float]]:
    """False positive rate (x) and true positive rate (y) from (0, 0) to (1, 1); empty
    when the rows hold one class only."""
    n_positive = float(positive.sum())
    n_negative = positive.size - n_positive
    if n_positive == 0 or n_negative == 0:
        return [], []
    tp, fp = _threshold_counts(positive, score)
    return _thinned(np.r_[0.0, fp / n_negative], np.r_[0.0, tp / n_positive], max_points)


def precision_recall_curve(
    positive: NDArray[np.bool_], score: FloatArray, max_points: int = MAX_POINTS
) -> tuple[list[float], list[float]]:
    """Recall (x) and precision (y), from the highest threshold down; empty without a
    positive row."""
    n_positive = float(positive.sum())
    if n_positive == 0:
        return [], []
    tp, fp = _threshold_counts(positive, score)
    recall, precision = tp / n_positive, tp / (tp + fp)
    return _thinned(np.r_[0.0, recall], np.r_[precision[0], precision], max_points)
