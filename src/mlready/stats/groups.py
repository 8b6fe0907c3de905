"""Metrics per group of rows (time windows, slices of a column), with intervals.

Groups are integer codes per row (-1 for a row in no group). Point estimates
of every group come from one metric call: the weight matrix is the group
indicator matrix, one row per group. Intervals bootstrap within each group.
"""

from __future__ import annotations

import warnings
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
# Cells (groups x rows) of one stacked indicator matrix in ``points_of_many`` (32 MiB).
_CHUNK_CELLS = 4_000_000


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
    fewest: int  # rows of the group's rarest class (every row, for a regression metric)


def _from_categorical(column: str, values: pd.Categorical, missing: NDArray[np.bool_]) -> Groups:
    codes = np.asarray(values.codes, dtype=np.int64)
    labels = [str(c) for c in values.categories]
    if missing.any():
        codes = np.where(missing, len(labels), codes)
        labels.append(MISSING)
    return Groups(column, codes, labels)


def by_level(values: pd.Series, max_levels: int = 20) -> Groups:
    """One group per level; levels beyond the ``max_levels`` most frequent are pooled."""
    missing = values.isna().to_numpy()
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    # Most frequent first, ties in order of first appearance (as value_counts orders them).
    order = np.argsort(-counts, kind="stable")
    top = order[:max_levels]
    rank = np.full(len(uniques), len(top), dtype=np.int64)  # a pooled level: OTHER's code
    rank[top] = np.arange(len(top))
    labels = [str(level) for level in np.asarray(uniques, dtype=object)[top]]
    if len(uniques) > max_levels:
        labels.append(OTHER)
    grouped = np.full(len(codes), -1, dtype=np.int64)  # missing: no level
    known = codes >= 0
    grouped[known] = rank[codes[known]]
    categories = pd.Index(labels, dtype=object)
    return _from_categorical(
        str(values.name), pd.Categorical.from_codes(grouped, categories=categories), missing
    )


def _interval_labels(edges: NDArray[np.float64]) -> list[str]:
    """Labels of the bins between sorted ``edges``: right-closed, the first closed on both
    sides (it holds the smallest value)."""
    text = [f"{edge:.4g}" for edge in edges]
    return [f"{'[' if k == 0 else '('}{text[k]}, {text[k + 1]}]" for k in range(len(edges) - 1)]


def _quantile_groups(names: list[str], block: NDArray[np.float64], quantiles: int) -> list[Groups]:
    """``quantiles`` equal-count bins of every column of ``block`` (rows x columns): the
    quantiles of all columns in one call, bins that share an edge merged. Missing (or
    infinite) values form a group of their own."""
    finite = np.isfinite(block)
    values = np.where(finite, block, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing column: NaN edges
        edges = np.nanquantile(values, np.linspace(0, 1, quantiles + 1), axis=0)
    groups = []
    for j, name in enumerate(names):
        column_edges = np.unique(edges[:, j][np.isfinite(edges[:, j])])
        if column_edges.size == 1:  # one value: one bin
            column_edges = np.repeat(column_edges, 2)
        inner = column_edges[1:-1]
        # Right-closed bins: a value equal to an inner edge falls in the bin below it.
        codes = np.searchsorted(inner, values[:, j], side="left").astype(np.int64)
        codes[~finite[:, j]] = -1
        labels = _interval_labels(column_edges) if column_edges.size else []
        missing = ~finite[:, j]
        if missing.any():
            codes[missing] = len(labels)
            labels.append(MISSING)
        groups.append(Groups(name, codes, labels))
    return groups


def by_bins(
    values: pd.Series, edges: list[float] | None = None, quantiles: int | None = None
) -> Groups:
    """Numeric bins: explicit inner ``edges``, or ``quantiles`` equal-count bins."""
    numeric = pd.to_numeric(values, errors="coerce")
    if edges is None:
        block = numeric.to_numpy(dtype=float, na_value=np.nan)[:, None]
        return _quantile_groups([str(values.name)], block, quantiles or 4)[0]
    binned = pd.cut(numeric, [-np.inf, *sorted(edges), np.inf])
    return _from_categorical(str(values.name), pd.Categorical(binned), numeric.isna().to_numpy())


def _distinct_counts(block: NDArray[np.float64]) -> NDArray[np.int64]:
    """Distinct non-missing values of every column of ``block``, from one sort."""
    ordered = np.sort(block, axis=0)  # missing values sort last
    present = ~np.isnan(ordered)
    new = present[1:] & (ordered[1:] != ordered[:-1])
    return (present[:1].sum(axis=0) + new.sum(axis=0)).astype(np.int64)


def search_groups(
    frame: pd.DataFrame, categorical: list[str], quantiles: int, max_distinct: int = 10
) -> list[Groups]:
    """The groups a slice search tries, one per column of ``frame``: levels of categorical
    columns and of numeric ones with at most ``max_distinct`` values, else ``quantiles``
    equal-count bins. Numeric columns are binned together, not one by one."""
    listed = set(categorical)
    numeric = [
        str(c)
        for c, dtype in zip(frame.columns, frame.dtypes, strict=True)
        if c not in listed
        and pd.api.types.is_numeric_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype)
    ]
    binned: dict[str, Groups] = {}
    step = max(1, _CHUNK_CELLS // max(len(frame), 1))  # a block at a time, not the whole frame
    for start in range(0, len(numeric), step):
        chunk = numeric[start : start + step]
        block = frame[chunk].to_numpy(dtype=float, na_value=np.nan)
        many = np.flatnonzero(_distinct_counts(block) > max_distinct)
        names = [chunk[j] for j in many]
        binned.update(zip(names, _quantile_groups(names, block[:, many], quantiles), strict=True))
    return [binned[c] if c in binned else by_level(frame[c]) for c in map(str, frame.columns)]


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


def points_of_many(
    metric: Metric, y: NDArray[np.generic], prediction: Prediction, many: list[Groups]
) -> list[NDArray[np.float64]]:
    """``group_points`` of every ``Groups`` in ``many``, from one metric call per chunk of
    stacked indicator matrices instead of one call per column."""
    results: list[NDArray[np.float64]] = []
    start = 0
    while start < len(many):
        stop, cells = start + 1, len(many[start].labels) * y.size
        while stop < len(many) and cells + len(many[stop].labels) * y.size <= _CHUNK_CELLS:
            cells += len(many[stop].labels) * y.size
            stop += 1
        chunk = many[start:stop]
        sizes = [len(g.labels) for g in chunk]
        offsets = np.cumsum([0, *sizes])
        indicator = np.zeros((int(offsets[-1]), y.size))
        for groups, offset in zip(chunk, offsets[:-1], strict=True):
            rows = np.flatnonzero(groups.codes >= 0)
            indicator[offset + groups.codes[rows], rows] = 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            values = metric.compute(y, prediction, indicator)
        results += np.split(np.asarray(values, dtype=float), offsets[1:-1])
        start = stop
    return results


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
    classes = 0 if "regression" in metric.tasks else int(np.max(y, initial=0)) + 1
    for group in selected:
        rows = np.flatnonzero(groups.codes == group)
        y_group, p_group = y[rows], prediction.take(rows)
        fewest = (
            int(np.bincount(y_group.astype(np.int64), minlength=classes).min())
            if classes
            else int(rows.size)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            value = float(metric.compute(y_group, p_group, np.ones((1, rows.size)))[0])
            samples = bootstrap_metrics([metric], y_group, p_group, n_resamples, rng)[metric.name]
        finite = samples[np.isfinite(samples)]
        low, high = percentile_interval(samples, confidence)
        se = float(finite.std(ddof=1)) if finite.size > 1 else float("nan")
        results.append(
            GroupStat(groups.labels[group], int(rows.size), value, low, high, se, fewest)
        )
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
