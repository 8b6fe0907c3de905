"""Building the plots checks attach to their results (numbers only; report/ draws them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mlready.results import Plot, Series

_BINS = 20
_LEVELS = 10


def _clean(values: Sequence[float | None]) -> list[float | None]:
    return [None if v is None or not np.isfinite(v) else float(v) for v in values]


def interval_bars(
    title: str,
    y_label: str,
    names: Sequence[str],
    values: Sequence[float | None],
    intervals: Sequence[tuple[float, float]] | None = None,
    reference: float | None = None,
    reference_label: str | None = None,
) -> Plot:
    """One bar per name, with its interval as an error bar."""
    low = _clean([i[0] for i in intervals]) if intervals is not None else None
    high = _clean([i[1] for i in intervals]) if intervals is not None else None
    series = Series(name=y_label, x=list(names), y=_clean(values), low=low, high=high)
    return Plot(
        kind="bars",
        title=title,
        y_label=y_label,
        series=[series],
        reference=reference,
        reference_label=reference_label,
    )


def window_lines(
    title: str,
    x_label: str,
    y_label: str,
    windows: Sequence[str],
    lines: Mapping[str, tuple[Sequence[float | None], Sequence[tuple[float, float]] | None]],
    reference: float | None = None,
    reference_label: str | None = None,
    reference_interval: tuple[float, float] | None = None,
    marked: Sequence[str] = (),
) -> Plot:
    """A line per named series over ordered windows, with an interval band when given; the
    reference line with its own interval, and the ``marked`` windows."""
    series = [
        Series(
            name=name,
            x=list(windows),
            y=_clean(values),
            low=_clean([i[0] for i in intervals]) if intervals is not None else None,
            high=_clean([i[1] for i in intervals]) if intervals is not None else None,
        )
        for name, (values, intervals) in lines.items()
    ]
    return Plot(
        kind="lines",
        title=title,
        x_label=x_label,
        y_label=y_label,
        series=series,
        reference=reference,
        reference_label=reference_label,
        reference_low=reference_interval[0] if reference_interval else None,
        reference_high=reference_interval[1] if reference_interval else None,
        marked=list(marked),
    )


def distribution(
    column: str, samples: dict[str, pd.Series], categorical: bool, title: str | None = None
) -> Plot:
    """The share of rows per bin (numeric: shared bins over the central 99% of all values) or
    per level (the most frequent levels of the first sample), one outline per sample.
    A categorical sample is given as its level counts (level -> rows)."""
    title = title or f"{column}: " + " vs ".join(samples)
    if categorical:
        first = next(iter(samples.values())).sort_values(ascending=False)
        levels = list(first.index[:_LEVELS])
        series = [
            Series(
                name=name,
                x=levels,
                y=[
                    float(v)
                    for v in (counts / max(counts.sum(), 1)).reindex(levels, fill_value=0.0)
                ],
            )
            for name, counts in samples.items()
        ]
        return Plot(
            kind="distribution", title=title, x_label=column, y_label="share of rows", series=series
        )
    numbers = {
        n: pd.to_numeric(v, errors="coerce").to_numpy(dtype=float) for n, v in samples.items()
    }
    finite = np.concatenate([v[np.isfinite(v)] for v in numbers.values()])
    if finite.size == 0:
        return Plot(kind="distribution", title=title, x_label=column, series=[])
    low, high = np.quantile(finite, [0.005, 0.995])
    edges = np.linspace(low, high if high > low else low + 1.0, _BINS + 1)
    series = []
    for name, values in numbers.items():
        kept = values[np.isfinite(values)]
        counts = np.histogram(np.clip(kept, edges[0], edges[-1]), edges)[0]
        shares = counts / max(kept.size, 1)
        series.append(Series(name=name, x=[float(e) for e in edges], y=[float(s) for s in shares]))
    return Plot(
        kind="distribution", title=title, x_label=column, y_label="share of rows", series=series
    )


def curves(
    title: str,
    x_label: str,
    y_label: str,
    lines: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    diagonal: bool = False,
    alt: str | None = None,
) -> Plot:
    """A line per named curve over numeric x (ROC, precision-recall, reliability); curves
    without points are left out."""
    series = [Series(name=name, x=list(x), y=_clean(y)) for name, (x, y) in lines.items() if len(x)]
    return Plot(
        kind="curve",
        title=title,
        x_label=x_label,
        y_label=y_label,
        series=series,
        diagonal=diagonal,
        alt=alt,
    )


def points(
    title: str,
    x_label: str,
    y_label: str,
    x: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    reference: float | None = None,
    diagonal: bool = False,
    max_points: int = 400,
) -> Plot:
    """A point per row (a seeded sample of ``max_points`` rows when there are more), with
    the line y = x or a horizontal reference line."""
    keep = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if keep.size > max_points:
        keep = np.sort(rng.choice(keep, max_points, replace=False))
    sampled = f" ({keep.size:,} of {x.size:,} rows, sampled)" if keep.size < x.size else ""
    return Plot(
        kind="points",
        title=title + sampled,
        x_label=x_label,
        y_label=y_label,
        series=[Series(name=y_label, x=[float(v) for v in x[keep]], y=_clean(list(y[keep])))],
        reference=reference,
        diagonal=diagonal,
    )


def matrix(
    title: str, row_label: str, column_label: str, labels: Sequence[str], cells: np.ndarray
) -> Plot:
    """A matrix of counts: a row per label (``row_label``, e.g. actual), a column per label
    (``column_label``, e.g. predicted)."""
    return Plot(
        kind="matrix",
        title=title,
        x_label=column_label,
        y_label=row_label,
        series=[
            Series(name=str(label), x=[str(c) for c in labels], y=[float(v) for v in row])
            for label, row in zip(labels, cells, strict=True)
        ],
    )
