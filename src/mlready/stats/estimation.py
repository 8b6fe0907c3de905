"""Performance without labels: confidence-based performance estimation (CBPE).

If a classifier's probabilities are calibrated, the probability ``p`` that a row
is positive is also the chance that a prediction of "positive" is right. The
expected confusion matrix of a batch is then a sum of probabilities, and every
metric built from it (accuracy, precision, recall, F1, balanced accuracy) and the
expected ROC curve follow without a single label, as in NannyML's CBPE. The
estimate is only as good as the calibration, so calibration is measured first
(expected calibration error) and repaired on held-out labels when needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

FloatArray = NDArray[np.float64]
ESTIMABLE_BINARY = ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc")
ESTIMABLE_MULTICLASS = ("accuracy",)
_EPS = 1e-6


def top_probability(score: FloatArray | None) -> FloatArray | None:
    """The probability of each row's most likely class (how sure the model is), or None
    when the scores are not probabilities (decision-function values, or none at all)."""
    if score is None or score.size == 0 or np.nanmin(score) < 0 or np.nanmax(score) > 1:
        return None
    return np.maximum(score, 1 - score) if score.ndim == 1 else score.max(axis=1)


def reliability_bins(
    positive: NDArray[np.bool_], proba: FloatArray, bins: int = 10
) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    """Mean predicted probability, observed frequency and rows of each of ``bins``
    equal-count bins of the probability (fewer when there are fewer rows)."""
    order = np.argsort(proba, kind="stable")
    parts = [part for part in np.array_split(order, min(bins, proba.size)) if part.size]
    predicted = np.array([proba[part].mean() for part in parts], dtype=np.float64)
    observed = np.array([positive[part].mean() for part in parts], dtype=np.float64)
    return predicted, observed, np.array([part.size for part in parts], dtype=np.int64)


def calibration_error(positive: NDArray[np.bool_], proba: FloatArray, bins: int = 10) -> float:
    """Expected calibration error: the row-weighted gap between mean predicted probability
    and observed frequency, over equal-count bins of the probability."""
    if proba.size == 0:
        return float("nan")
    predicted, observed, rows = reliability_bins(positive, proba, bins)
    return float(np.sum(np.abs(predicted - observed) * rows) / proba.size)


@dataclass(frozen=True)
class Calibrator:
    """A monotone map from the model's probabilities to calibrated ones."""

    method: Literal["none", "isotonic", "sigmoid"]
    model: IsotonicRegression | LogisticRegression | None = None

    def __call__(self, proba: FloatArray) -> FloatArray:
        if self.model is None:
            return proba
        if isinstance(self.model, IsotonicRegression):
            return np.asarray(self.model.predict(proba), dtype=float)
        return np.asarray(self.model.predict_proba(_logit(proba)[:, None])[:, 1], dtype=float)


def _logit(proba: FloatArray) -> FloatArray:
    clipped = np.clip(proba, _EPS, 1 - _EPS)
    return np.asarray(np.log(clipped / (1 - clipped)), dtype=float)


def fit_calibrator(
    positive: NDArray[np.bool_], proba: FloatArray, method: Literal["isotonic", "sigmoid"]
) -> Calibrator:
    """Fit isotonic regression or a sigmoid (Platt scaling on the logit) to labelled rows."""
    if method == "isotonic":
        isotonic = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        return Calibrator("isotonic", isotonic.fit(proba, positive.astype(float)))
    platt = LogisticRegression(C=1e6).fit(_logit(proba)[:, None], positive.astype(int))
    return Calibrator("sigmoid", platt)


def expected_binary(proba: FloatArray, predicted: NDArray[np.bool_]) -> dict[str, float]:
    """Expected metrics of binary predictions, given calibrated positive-class probabilities."""
    if proba.size == 0:
        return {}
    tp = float(proba[predicted].sum())
    fp = float((1 - proba[predicted]).sum())
    fn = float(proba[~predicted].sum())
    tn = float((1 - proba[~predicted]).sum())
    positives, negatives = tp + fn, tn + fp
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / positives if positives > 0 else 0.0
    specificity = tn / negatives if negatives > 0 else 0.0
    return {
        "accuracy": (tp + tn) / proba.size,
        "balanced_accuracy": (recall + specificity) / 2,
        "precision": precision,
        "recall": recall,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else 0.0,
        "roc_auc": expected_roc_auc(proba),
    }


def expected_roc_auc(proba: FloatArray) -> float:
    """Area under the expected ROC curve: each row counts ``p`` as a positive and ``1 - p``
    as a negative at its own score (ties share one point of the curve)."""
    scores, inverse = np.unique(-proba, return_inverse=True)  # descending score levels
    positives = np.bincount(inverse, weights=proba, minlength=scores.size)
    negatives = np.bincount(inverse, weights=1 - proba, minlength=scores.size)
    if positives.sum() <= 0 or negatives.sum() <= 0:
        return float("nan")
    tpr = np.concatenate([[0.0], np.cumsum(positives) / positives.sum()])
    fpr = np.concatenate([[0.0], np.cumsum(negatives) / negatives.sum()])
    return float(np.trapezoid(tpr, fpr))


def expected_accuracy_se(correct_proba: FloatArray) -> float:
    """Standard error of the expected accuracy: the number of correct predictions is a sum
    of independent Bernoulli(p) draws (a Poisson-binomial), so its variance is sum p(1-p)."""
    if correct_proba.size == 0:
        return float("nan")
    return float(np.sqrt((correct_proba * (1 - correct_proba)).sum()) / correct_proba.size)
