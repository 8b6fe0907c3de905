"""The plots of the model's own predictions on test that a reviewer looks for: a
confusion matrix and a reliability diagram (classification), predicted against actual and
the residuals (regression)."""

from __future__ import annotations

import numpy as np

from mlready.checks.compute._plots import curves, matrix, points
from mlready.context import AuditContext
from mlready.numbers import fmt
from mlready.results import Plot
from mlready.stats.estimation import calibration_error, reliability_bins, top_probability
from mlready.stats.metrics import Prediction

# A confusion matrix of more classes is a table no one reads as a picture.
_MAX_MATRIX_CLASSES = 20


def test_plots(context: AuditContext) -> list[Plot]:
    """The model's plots on the labelled rows of test."""
    y, prediction = context.y("test"), context.prediction("test")
    if context.classes is None:
        return _regression(context, np.asarray(y, dtype=float), prediction)
    plots = _confusion(context, y, prediction)
    return plots + _reliability(context.task, y, prediction)


def _confusion(context: AuditContext, y: np.ndarray, prediction: Prediction) -> list[Plot]:
    assert context.classes is not None
    k = len(context.classes)
    if k > _MAX_MATRIX_CLASSES:
        return []
    actual, predicted = np.asarray(y, dtype=np.int64), np.asarray(prediction.label, np.int64)
    cells = np.bincount(actual * k + predicted, minlength=k * k).reshape(k, k)
    labels = [str(c) for c in context.classes]
    return [matrix("Confusion matrix on test (rows)", "actual", "predicted", labels, cells)]


def _reliability(task: str, y: np.ndarray, prediction: Prediction) -> list[Plot]:
    """Observed frequency against mean predicted probability over ten equal-count bins:
    of the positive class (binary) or of the predicted class being right (multiclass)."""
    score = prediction.score
    if score is None or top_probability(score) is None:  # no probabilities
        return []
    if task == "binary":
        proba = np.asarray(score[:, 1] if score.ndim == 2 else score, dtype=float)
        hit, what = np.asarray(y) == 1, "positive class"
    else:
        proba = np.asarray(score.max(axis=1), dtype=float)
        hit, what = np.asarray(prediction.label) == np.asarray(y), "predicted class right"
    predicted, observed, _ = reliability_bins(hit, proba)
    error = calibration_error(hit, proba)
    return [
        curves(
            f"Reliability on test ({what}; expected calibration error {fmt(error)})",
            "mean predicted probability",
            "observed frequency",
            {"model": (list(predicted), list(observed))},
            diagonal=True,
        )
    ]


def _regression(context: AuditContext, y: np.ndarray, prediction: Prediction) -> list[Plot]:
    predicted = np.asarray(prediction.label, dtype=float)
    rng = context.rng("metric_parity:plots")
    return [
        points(
            "Predicted against actual on test",
            "actual",
            "predicted",
            y,
            predicted,
            rng,
            diagonal=True,
        ),
        points(
            "Residuals on test",
            "predicted",
            "residual (actual - predicted)",
            predicted,
            y - predicted,
            rng,
            reference=0.0,
        ),
    ]
