"""Metrics per group of rows (time windows, slices of a column), with intervals.

Groups are integer codes per row (-1 for a row in no group). Point estimates
of every group come from one metric call: the weight matrix is the group
indicator matrix, one row per group. Intervals bootstrap within each group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from mlready.stats.bootstrap import bootstrap_metrics, percentile_interval
from mlready.stats.columns import MISSING
from mlready.stats.metrics import Metric, Prediction

OTHER = "(other)"
WINDOWS = {"day": "D", "week": "W", "month": "M", "quarter": "Q"}


@dataclass(frozen=True)
class Groups:
    """Which group each row belongs to, and the groups' labels (in display order)."""

    column: str
    codes: NDArray[np.int64]
    labels: list[str]

    def sizes(self) -> NDArray[np.int64]:
        return np.bincount(self.codes[self.codes >= 0], minlength=len(self.labels))


@dataclass(frozen=True)
class GroupStat:
    """A metric on one group: value, bootstrap interval and standard error."""

    label: str
    rows: int
    value: float
    ci_low: float
    ci_high: float
    se: float


def _from_categorical(column: str, values: pd.Categorical, missing: NDArray[np.bool_]) -> Groups:
    codes = np.asarray(values.codes, dtype=np.int64)
    labels = [str(c) for c in values.categories]
    if missing.any():
        codes = np.where(missing, len(labels), codes)
        labels.append(MISSING)
    return Groups(column, codes, labels)


def by_level(values: pd.Series, max_levels: int = 20) -> Groups:
    """One group per level; levels beyond the ``max_levels`` most frequent are pooled."""
    text = values.astype(object).where(values.notna(), None)
    counts = text.value_counts()
    top = counts.index[:max_levels]
    pooled = text.where(text.isin(top) | text.isna(), OTHER)
    categories = [str(level) for level in top] + ([OTHER] if len(counts) > max_levels else [])
    as_text = pooled.map(lambda v: None if v is None else str(v))
    return _from_categorical(
        str(values.name), pd.Categorical(as_text, categories=categories), values.isna().to_numpy()
    )


def by_bins(
    values: pd.Series, edges: list[float] | None = None, quantiles: int | None = None
) -> Groups:
    """Numeric bins: explicit inner ``edges``, or ``quantiles`` equal-count bins."""
    numeric = pd.to_numeric(values, errors="coerce")
    if edges is not None:
        binned = pd.cut(numeric, [-np.inf, *sorted(edges), np.inf])
    else:
        binned = pd.qcut(numeric, quantiles or 4, duplicates="drop")
    return _from_categorical(str(values.name), pd.Categorical(binned), numeric.isna().to_numpy())


def by_window(times: pd.Series, window: str) -> Groups:
    """Calendar windows (day, week, month, quarter) of UTC timestamps, in time order."""
    periods = times.dt.tz_convert(None).dt.to_period(WINDOWS[window])
    return _from_categorical(
        str(times.name),
        pd.Categorical(periods.astype(str).where(periods.notna())),
        times.isna().to_numpy(),
    )


def group_points(
    metric: Metric, y: NDArray[np.generic], prediction: Prediction, groups: Groups
) -> NDArray[np.float64]:
    """The metric of every group at once (NaN for an empty or undefined group)."""
    indicator = np.zeros((len(groups.labels), y.size))
    rows = np.flatnonzero(groups.codes >= 0)
    indicator[groups.codes[rows], rows] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return metric.compute(y, prediction, indicator)


def group_stats(
    metric: Metric,
    y: NDArray[np.generic],
    prediction: Prediction,
    groups: Groups,
    selected: list[int],
    n_resamples: int,
    rng: np.random.Generator,
    confidence: float,
) -> list[GroupStat]:
    """Value, percentile interval and bootstrap standard error of the selected groups."""
    results = []
    for group in selected:
        rows = np.flatnonzero(groups.codes == group)
        y_group, p_group = y[rows], prediction.take(rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = float(metric.compute(y_group, p_group, np.ones((1, rows.size)))[0])
            samples = bootstrap_metrics([metric], y_group, p_group, n_resamples, rng)[metric.name]
        finite = samples[np.isfinite(samples)]
        low, high = percentile_interval(samples, confidence)
        se = float(finite.std(ddof=1)) if finite.size > 1 else float("nan")
        results.append(GroupStat(groups.labels[group], int(rows.size), value, low, high, se))
    return results


def trend(values: NDArray[np.float64], rows: NDArray[np.int64]) -> tuple[float, float, float]:
    """Row-weighted least-squares slope per window, Kendall's tau and its p-value."""
    index = np.arange(values.size, dtype=float)
    slope = float(np.polyfit(index, values, 1, w=np.sqrt(rows))[0])
    tau, p_value = stats.kendalltau(index, values)
    return slope, float(tau), float(p_value)


def worse_than(metric: Metric, stat: GroupStat, bar: float, alpha: float) -> bool:
    """One-sided: is the group's metric worse than ``bar`` beyond sampling error at ``alpha``?"""
    if not np.isfinite(stat.se) or not np.isfinite(stat.value):
        return False
    margin = float(stats.norm.ppf(1.0 - alpha)) * stat.se
    if metric.greater_is_better:
        return stat.value + margin < bar
    return stat.value - margin > bar
