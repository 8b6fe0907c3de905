"""Performance metrics computed for many bootstrap resamples at once.

Every metric takes a weight matrix ``w`` of shape ``(n_resamples, n_rows)``:
row ``b`` holds how often each row was drawn in resample ``b`` (all ones for
the point estimate). Expressing resampling as weights lets a metric be a few
matrix products over the whole sample instead of a Python loop over
resamples or rows, and the same ``w`` applied to two models gives a *paired*
bootstrap.

Labels are integer codes ``0..K-1``; ``score`` is the positive-class score
(binary) or a ``(n_rows, K)`` probability matrix (multiclass).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Needs = Literal["label", "score", "proba"]
Task = Literal["binary", "multiclass", "regression"]


@dataclass(frozen=True)
class Prediction:
    """A model's output on one split: labels (or values) and optional scores."""

    label: NDArray[np.generic]
    score: Array | None = None

    def take(self, rows: NDArray[np.int64]) -> Prediction:
        """The predictions of the given rows."""
        score = None if self.score is None else self.score[rows]
        return Prediction(label=np.asarray(self.label)[rows], score=score)


@dataclass(frozen=True)
class Metric:
    name: str
    greater_is_better: bool
    needs: Needs
    tasks: frozenset[Task]
    compute: Callable[[NDArray[np.generic], Prediction, Array], Array]
    description: str


def _group_sums(w: Array, groups: NDArray[np.int64], n_groups: int) -> Array:
    """Per resample, the total weight of each group of rows: ``(n_resamples, n_groups)``.

    One sparse product: a single pass over ``w`` whatever the number of groups.
    """
    from scipy import sparse  # here: the checklist imports METRICS, and must stay light

    n = groups.size
    indicator = sparse.csr_matrix((np.ones(n), (np.arange(n), groups)), shape=(n, n_groups))
    return np.asarray((indicator.T @ w.T).T)


def _confusion(y: NDArray[np.generic], pred: NDArray[np.generic], w: Array, k: int) -> Array:
    """Weighted confusion counts, shape ``(n_resamples, k, k)`` as [true, predicted]."""
    cell = y.astype(np.int64) * k + pred.astype(np.int64)
    return _group_sums(w, cell, k * k).reshape(w.shape[0], k, k)


def _n_classes(y: NDArray[np.generic], p: Prediction) -> int:
    k = int(max(y.max(initial=0), np.asarray(p.label).max(initial=0))) + 1
    if p.score is not None and p.score.ndim == 2:
        k = max(k, p.score.shape[1])
    return max(k, 2)


def _divide(num: Array, den: Array) -> Array:
    """``num / den`` with 0 where ``den`` is 0 (scikit-learn's zero_division=0)."""
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


def accuracy(y: NDArray[np.generic], p: Prediction, w: Array) -> Array:
    correct = (np.asarray(p.label) == y).astype(float)
    return (w @ correct) / w.sum(axis=1)


def balanced_accuracy(y: NDArray[np.generic], p: Prediction, w: Array) -> Array:
    cm = _confusion(y, np.asarray(p.label), w, _n_classes(y, p))
    support = cm.sum(axis=2)
    recall = _divide(np.diagonal(cm, axis1=1, axis2=2), support)
    # Average over the classes present in the sample, as scikit-learn does.
    present = np.bincount(y.astype(np.int64), minlength=support.shape[1]) > 0
    return recall[:, present].mean(axis=1)


def _per_class_prf(y: NDArray[np.generic], p: Prediction, w: Array) -> tuple[Array, Array, Array]:
    cm = _confusion(y, np.asarray(p.label), w, _n_classes(y, p))
    tp = np.diagonal(cm, axis1=1, axis2=2)
    precision = _divide(tp, cm.sum(axis=1))
    recall = _divide(tp, cm.sum(axis=2))
    f1 = _divide(2 * tp, cm.sum(axis=1) + cm.sum(axis=2))
    return precision, recall, f1


def precision(y: NDArray[np.generic], p: Prediction, w: Array) -> Array:
    return _per_class_prf(y, p, w)[0][:, 1]


def recall(y: NDArray[np.generic], p: Prediction, w: Array) -> Array:
    return _per_class_prf(y, p, w)[1][:, 1]


def f1(y: NDArray[np.generic], p: Prediction, w: Array) -> Array:
    return _per_class_prf(y, p, w)[2][:, 1]


def f1_macro(y: NDArray[np.generic], p: Prediction, w: Array) -> Array:
    f1s = _per_class_prf(y, p, w)[2]
    # scikit-learn averages over the labels seen in y_true or y_pred.
    seen = np.union1d(np.unique(y), np.unique(np.asarray(p.label))).astype(np.int64)
    return f1s[:, seen].mean(axis=1)


# The score levels of recent score arrays: a bootstrap scores the same predictions for
# every chunk of resamples, and sorting them again each time cost more than the metric.
# Keyed by identity (checked through a weak reference); score arrays are never changed in
# place.
_LEVELS: dict[int, tuple[weakref.ref[Any], int, NDArray[np.int64]]] = {}


def _score_levels(score: Array) -> tuple[int, NDArray[np.int64]]:
    """The number of distinct scores and each row's level (rank among them)."""
    cached = _LEVELS.get(id(score))
    if cached is not None and cached[0]() is score:
        return cached[1], cached[2]
    levels, group = np.unique(score, return_inverse=True)
    if len(_LEVELS) > 32:
        _LEVELS.clear()
    _LEVELS[id(score)] = (weakref.ref(score), levels.size, group)
    return levels.size, group


def _binary_auc(positive: NDArray[np.bool_], score: Array, w: Array) -> Array:
    """Weighted ROC AUC (ties count one half), for every row of ``w`` at once."""
    # Rows with equal scores form one group; positives and negatives get separate groups.
    n_levels, group = _score_levels(score)
    sums = _group_sums(w, group + n_levels * ~positive, 2 * n_levels)
    pos_w, neg_w = sums[:, :n_levels], sums[:, n_levels:]
    neg_below = np.cumsum(neg_w, axis=1) - neg_w
    wins = np.einsum("bg,bg->b", pos_w, neg_below + 0.5 * neg_w)
    pairs = pos_w.sum(axis=1) * neg_w.sum(axis=1)
    return np.divide(wins, pairs, out=np.full(w.shape[0], np.nan), where=pairs > 0)


def roc_auc(y: NDArray[np.generic], p: Prediction, w: Array) -> Array:
    assert p.score is not None
    score = p.score[:, 1] if p.score.ndim == 2 else p.score
    return _binary_auc(y == 1, score, w)


def roc_auc_ovr(y: NDArray[np.generic], p: Prediction, w: Array) -> Array:
    assert p.score is not None
    if p.score.ndim == 1:  # binary: one-vs-rest is plain ROC AUC
        return roc_auc(y, p, w)
    present = np.unique(y).astype(np.int64)
    aucs = [_binary_auc(y == k, p.score[:, k], w) for k in present]
    return np.nanmean(np.vstack(aucs), axis=0)


def log_loss(y: NDArray[np.generic], p: Prediction, w: Array) -> Array:
    assert p.score is not None
    if p.score.ndim == 2:
        p_true = p.score[np.arange(y.size), y.astype(np.int64)]
    else:
        p_true = np.where(y == 1, p.score, 1.0 - p.score)
    eps = np.finfo(float).eps
    loss = -np.log(np.clip(p_true, eps, 1.0))
    return (w @ loss) / w.sum(axis=1)


def _residuals(y: NDArray[np.generic], p: Prediction) -> Array:
    return np.asarray(p.label, dtype=float) - np.asarray(y, dtype=float)


def rmse(y: NDArray[np.generic], p: Prediction, w: Array) -> Array:
    return np.sqrt((w @ _residuals(y, p) ** 2) / w.sum(axis=1))


def mae(y: NDArray[np.generic], p: Prediction, w: Array) -> Array:
    return (w @ np.abs(_residuals(y, p))) / w.sum(axis=1)


def r2(y: NDArray[np.generic], p: Prediction, w: Array) -> Array:
    yf = np.asarray(y, dtype=float)
    total = w.sum(axis=1)
    mean = (w @ yf) / total
    # Weighted total sum of squares via E[y^2] - E[y]^2, per resample.
    ss_tot = (w @ yf**2) - total * mean**2
    ss_res = w @ _residuals(y, p) ** 2
    return 1.0 - _divide(ss_res, ss_tot)


_CLASSIFICATION: frozenset[Task] = frozenset({"binary", "multiclass"})
_BINARY: frozenset[Task] = frozenset({"binary"})
_REGRESSION: frozenset[Task] = frozenset({"regression"})

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", True, "label", _CLASSIFICATION, accuracy, "share of correct labels"),
        Metric(
            "balanced_accuracy",
            True,
            "label",
            _CLASSIFICATION,
            balanced_accuracy,
            "mean recall over classes",
        ),
        Metric("precision", True, "label", _BINARY, precision, "precision of the positive class"),
        Metric("recall", True, "label", _BINARY, recall, "recall of the positive class"),
        Metric("f1", True, "label", _BINARY, f1, "F1 of the positive class"),
        Metric("f1_macro", True, "label", _CLASSIFICATION, f1_macro, "unweighted mean F1"),
        Metric("roc_auc", True, "score", _BINARY, roc_auc, "area under the ROC curve"),
        Metric("roc_auc_ovr", True, "proba", _CLASSIFICATION, roc_auc_ovr, "one-vs-rest macro AUC"),
        Metric("log_loss", False, "proba", _CLASSIFICATION, log_loss, "cross-entropy"),
        Metric("rmse", False, "label", _REGRESSION, rmse, "root mean squared error"),
        Metric("mae", False, "label", _REGRESSION, mae, "mean absolute error"),
        Metric("r2", True, "label", _REGRESSION, r2, "coefficient of determination"),
    )
}

DEFAULT_PRIMARY: dict[Task, str] = {
    "binary": "roc_auc",
    "multiclass": "f1_macro",
    "regression": "rmse",
}


# Metrics that do not move when class priors change (sampling, reweighting).
PRIOR_INDEPENDENT = frozenset({"roc_auc", "roc_auc_ovr", "balanced_accuracy"})


def shortfall(metric: Metric, reference: Any, value: Any) -> Any:
    """How much worse ``value`` is than ``reference`` (positive = worse).

    Scores where higher is better live on a fixed 0-1 scale, so the shortfall is
    their difference; errors (rmse, mae, log_loss) depend on the target's units,
    so theirs is relative to the reference. A reference without error (a tree that
    memorised train) leaves nothing to be relative to: the whole error of ``value`` is
    the shortfall (1.0), and two errors of 0 differ by 0. Works on floats and arrays alike.
    """
    if metric.greater_is_better:
        return reference - value
    reference, value = np.asarray(reference, dtype=float), np.asarray(value, dtype=float)
    scale = np.where(reference != 0, np.abs(reference), np.abs(value))
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(scale == 0, 0.0, (value - reference) / scale)
    return float(relative) if relative.ndim == 0 else relative


def point_estimate(metric: Metric, y: NDArray[np.generic], prediction: Prediction) -> float:
    """The metric on the sample as drawn (every row weighted once)."""
    return float(metric.compute(y, prediction, np.ones((1, y.size)))[0])
