"""Leakage statistics: rows copied between splits, and single features that give the answer away.

Everything is vectorised over rows; a caller loops over features at most.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from mlready.stats.columns import as_text, column_kinds
from mlready.stats.metrics import METRICS, Metric, Prediction, Task

Codes = tuple[np.ndarray, np.ndarray, int]  # train codes, test codes (-1: unseen), n groups
# Cells (rows x columns) of numeric data hashed in one call (32 MiB of float64).
_HASH_CELLS = 4_000_000


def copied_rows(frame: pd.DataFrame, reference: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Per row of ``frame``: does a row of ``reference`` hold the same values in ``columns``?"""
    return np.isin(_row_hashes(frame, columns), _row_hashes(reference, columns))


def chance_copy_share(reference: pd.DataFrame, columns: list[str]) -> float:
    """The share of ``reference``'s rows whose values in ``columns`` another of its rows
    repeats: how often a new row of the same population equals one of them by chance
    (coarse features collide; a copied record is a copy only beyond this rate)."""
    if len(reference) < 2:
        return 0.0
    hashes = _row_hashes(reference, columns)
    _, inverse, counts = np.unique(hashes, return_inverse=True, return_counts=True)
    return float((counts[inverse] > 1).mean())


def _row_hashes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """A 64-bit hash of each row's canonical values, combined column by column. Numeric
    columns are hashed a block at a time (one call for many columns, and no copy of the
    whole frame); other columns one at a time."""
    kinds = dict(zip(frame.columns, column_kinds(frame), strict=True))
    step = max(1, _HASH_CELLS // max(len(frame), 1))
    combined: np.ndarray = np.zeros(len(frame), dtype=np.uint64)
    for start in range(0, len(columns), step):
        chunk = columns[start : start + step]
        numeric = [c for c in chunk if kinds[c] in ("numeric", "bool")]
        block = frame[numeric].to_numpy(dtype=float, na_value=np.nan)
        # Column-major, so each column's hashes are one contiguous row of ``hashed``.
        hashed = pd.util.hash_array(block.ravel(order="F")).reshape(len(numeric), len(frame))
        position = {c: j for j, c in enumerate(numeric)}
        for column in chunk:
            if column in position:
                cells = hashed[position[column]]
            else:
                text = as_text(frame[column])
                cells = pd.util.hash_pandas_object(text, index=False).to_numpy(dtype=np.uint64)
            combined = (combined * np.uint64(1_000_003)) ^ cells  # wraps around: a hash
    return combined


def _numbers(column: pd.Series) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(values), values, np.nan)


def _level_codes(train: pd.Series, test: pd.Series) -> Codes:
    train_codes, levels = pd.factorize(as_text(train))
    return train_codes, pd.Index(levels).get_indexer(as_text(test)), len(levels)


def _bin_codes(x_train: np.ndarray, x_test: np.ndarray, bins: int) -> Codes:
    """Bins at train quantiles; missing values form the last group, as missingness can leak."""
    known = x_train[~np.isnan(x_train)]
    quantiles = np.quantile(known, np.linspace(0, 1, bins + 1)[1:-1]) if known.size else []
    edges = np.unique(quantiles)

    def code(x: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(x), edges.size + 1, np.searchsorted(edges, x, side="right"))

    return code(x_train), code(x_test), edges.size + 2


def _group_means(codes: Codes, y_train: np.ndarray, n_classes: int | None) -> np.ndarray:
    """Per test row, its group's train mean target or class distribution (overall if unseen)."""
    train_codes, test_codes, n = codes
    if n_classes is None:
        sums = np.bincount(train_codes, weights=y_train, minlength=n)[:, None]
        counts = np.bincount(train_codes, minlength=n)[:, None]
        overall = np.array([y_train.mean()])
    else:
        k = n_classes
        sums = np.bincount(train_codes * k + y_train, minlength=n * k).reshape(n, k)
        counts = sums.sum(axis=1, keepdims=True)
        overall = np.bincount(y_train, minlength=k) / y_train.size
    table = np.vstack([np.where(counts > 0, sums / np.maximum(counts, 1), overall), overall])
    predicted = table[np.where(test_codes >= 0, test_codes, n)]  # row n: unseen in train
    return predicted[:, 0] if n_classes is None else predicted


def _interpolated(
    x_train: np.ndarray, x_test: np.ndarray, y_train: np.ndarray, codes: Codes
) -> np.ndarray:
    """Train bin means of y joined by straight lines between the bin means of x.

    Bin means alone cap the R² of a perfect leak near 0.99 (the spread within a bin);
    interpolating keeps it near 1 while a feature unrelated to y still scores about 0.
    """
    train_codes, _, n = codes
    predicted = _group_means(codes, y_train, None)  # missing x: the missing group's mean
    counts = np.bincount(train_codes, minlength=n)
    bins = np.flatnonzero(counts[:-1])  # the last group holds the missing values
    if bins.size:
        centres = np.bincount(train_codes, weights=np.nan_to_num(x_train), minlength=n)[bins]
        means = np.bincount(train_codes, weights=y_train, minlength=n)[bins]
        known = ~np.isnan(x_test)
        predicted[known] = np.interp(x_test[known], centres / counts[bins], means / counts[bins])
    return predicted


@dataclass(frozen=True)
class SingleFeature:
    """What one feature alone predicts on test, and the metric that scores it."""

    metric: Metric
    prediction: Prediction
    either_direction: bool  # a raw feature may rank the classes in reverse

    def score(self, y_test: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
        """The metric for every row of weights ``w`` (once, unweighted, by default)."""
        w = np.ones((1, y_test.size)) if w is None else w
        values = self.metric.compute(y_test, self.prediction, w)
        return np.maximum(values, 1.0 - values) if self.either_direction else values


def _as_prediction(predicted: np.ndarray, task: Task, either: bool = False) -> SingleFeature:
    if task == "regression":
        return SingleFeature(METRICS["r2"], Prediction(label=predicted), False)
    dummy = np.zeros(predicted.shape[0], dtype=np.int64)  # AUC reads scores only
    if task == "binary":
        score = predicted[:, 1] if predicted.ndim == 2 else predicted
        return SingleFeature(METRICS["roc_auc"], Prediction(dummy, score), either)
    return SingleFeature(METRICS["roc_auc_ovr"], Prediction(dummy, predicted), False)


def single_feature(
    train: pd.Series,
    test: pd.Series,
    y_train: np.ndarray,
    n_classes: int | None,
    categorical: bool,
    bins: int = 20,
) -> SingleFeature:
    """How one feature alone predicts the test target, with anything it needs from train.

    Binary: a numeric feature's values are the score (AUC in either direction); a categorical
    feature scores by its level's train positive rate. Multiclass: the train class distribution
    of the level or quantile bin, scored by macro one-vs-rest AUC. Regression: train means of
    levels, or of quantile bins joined by straight lines, scored by R². Levels unseen in train
    get the overall train rate, so an id-like column scores like chance. ``y_train`` holds
    class codes (classification, ``n_classes`` of them) or floats (regression: None).
    """
    task: Task = "regression" if n_classes is None else "binary" if n_classes == 2 else "multiclass"
    if categorical:
        return _as_prediction(_group_means(_level_codes(train, test), y_train, n_classes), task)
    x_train, x_test = _numbers(train), _numbers(test)
    if task == "binary":
        return _as_prediction(np.nan_to_num(x_test, nan=-np.inf), task, either=True)
    codes = _bin_codes(x_train, x_test, bins)
    if task == "regression":
        return _as_prediction(_interpolated(x_train, x_test, y_train, codes), task)
    return _as_prediction(_group_means(codes, y_train, n_classes), task)


# Cells (rows x columns) ranked at once by ``numeric_aucs`` (32 MiB of float64).
_RANK_CELLS = 4_000_000


def numeric_aucs(frame: pd.DataFrame, positive: np.ndarray) -> np.ndarray:
    """What ``single_feature`` scores for each numeric column of ``frame`` in a binary task,
    for all columns at once: the AUC of the column's values as scores of ``positive``, in
    either direction (missing and infinite values rank lowest, ties count one half)."""
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    aucs = np.full(frame.shape[1], np.nan)
    if n_pos == 0 or n_neg == 0:
        return aucs
    step = max(1, _RANK_CELLS // max(len(frame), 1))
    for start in range(0, frame.shape[1], step):
        block = frame.iloc[:, start : start + step].to_numpy(dtype=float, na_value=np.nan)
        ranks = stats.rankdata(np.where(np.isfinite(block), block, -np.inf), axis=0)
        # Mann-Whitney: the positives' rank sum beyond its least possible value.
        wins = ranks[positive].sum(axis=0) - n_pos * (n_pos + 1) / 2
        aucs[start : start + step] = wins / (n_pos * n_neg)
    return np.maximum(aucs, 1.0 - aucs)
