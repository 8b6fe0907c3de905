"""What a plot shows, in words: the alternative text of every drawn plot (a screen reader
reads it; so does anyone whose browser shows no images), made from the plot's numbers
unless the check wrote its own (``Plot.alt``)."""

from __future__ import annotations

import math

from mlready.numbers import fmt, listed
from mlready.results import Plot, Series

_SHOWN = 8  # values named in a description before "and N more"


def _finite(values: list[float | None]) -> list[tuple[int, float]]:
    return [(j, v) for j, v in enumerate(values) if v is not None and math.isfinite(v)]


def _reference(plot: Plot) -> str:
    if plot.reference is None:
        return ""
    span = ""
    if plot.reference_low is not None and plot.reference_high is not None:
        span = f" ({fmt(plot.reference_low)} to {fmt(plot.reference_high)})"
    return f"; reference line {plot.reference_label or ''} at {fmt(plot.reference)}{span}"


def _bars(plot: Plot) -> str:
    parts = []
    for series in plot.series:
        for j, value in _finite(series.y):
            text = f"{series.x[j]} {fmt(value)}"
            if series.low is not None and series.high is not None:
                low, high = series.low[j], series.high[j]
                if low is not None and high is not None:
                    text += f" ({fmt(low)} to {fmt(high)})"
            parts.append(text)
    return f"{plot.y_label or 'value'} per category: {listed(parts, _SHOWN)}"


def _trend(series: Series) -> str:
    values = _finite(series.y)
    if not values:
        return f"{series.name}: no values"
    low = min(values, key=lambda p: p[1])
    high = max(values, key=lambda p: p[1])
    first, last = values[0], values[-1]
    return (
        f"{series.name} from {fmt(first[1])} ({series.x[first[0]]}) to {fmt(last[1])} "
        f"({series.x[last[0]]}), lowest {fmt(low[1])} ({series.x[low[0]]}), highest "
        f"{fmt(high[1])} ({series.x[high[0]]})"
    )


def _lines(plot: Plot) -> str:
    text = f"{plot.y_label} per {plot.x_label or 'window'}: " + "; ".join(
        _trend(s) for s in plot.series
    )
    if plot.marked:
        text += f"; marked: {listed(plot.marked, _SHOWN)}"
    return text


def _distribution(plot: Plot) -> str:
    names = " and ".join(s.name for s in plot.series)
    first = plot.series[0] if plot.series else None
    if first is None:
        return f"no values of {plot.x_label}"
    if len(first.x) == len(first.y) + 1:
        return (
            f"share of rows of {plot.x_label} in {len(first.y)} bins from {fmt(first.x[0])} "
            f"to {fmt(first.x[-1])}, for {names}"
        )
    levels = [
        f"{level}: " + ", ".join(f"{s.name} {fmt(s.y[j])}" for s in plot.series if j < len(s.y))
        for j, level in enumerate(first.x)
    ]
    return f"share of rows per level of {plot.x_label}: {listed(levels, _SHOWN, '; ')}"


def _curve(plot: Plot) -> str:
    ends = [
        f"{s.name} ({len(s.x)} points, from ({fmt(s.x[0])}, {fmt(s.y[0])}) to "
        f"({fmt(s.x[-1])}, {fmt(s.y[-1])}))"
        for s in plot.series
        if s.x
    ]
    diagonal = "; dotted diagonal for reference" if plot.diagonal else ""
    return f"{plot.y_label} against {plot.x_label}: {listed(ends, _SHOWN, '; ')}{diagonal}"


def _points(plot: Plot) -> str:
    series = plot.series[0]
    values = [v for _, v in _finite(series.y)]
    if not values:
        return "no points"
    return (
        f"{len(values)} points of {plot.y_label} against {plot.x_label}; {plot.y_label} from "
        f"{fmt(min(values))} to {fmt(max(values))}{_reference(plot)}"
    )


def _matrix(plot: Plot) -> str:
    cells = [(s.name, str(x), v or 0.0) for s in plot.series for x, v in zip(s.x, s.y, strict=True)]
    total = sum(v for _, _, v in cells)
    agree = sum(v for row, column, v in cells if row == column)
    off = [c for c in cells if c[0] != c[1]]
    worst = max(off, key=lambda c: c[2]) if off else None
    text = (
        f"{len(plot.series)} by {len(plot.series[0].x)} matrix, rows {plot.y_label}, columns "
        f"{plot.x_label}: {agree:,.0f} of {total:,.0f} rows on the diagonal"
    )
    if worst is not None and worst[2] > 0:
        text += (
            f"; largest other cell: {plot.y_label} {worst[0]}, {plot.x_label} {worst[1]}, "
            f"{worst[2]:,.0f} rows"
        )
    return text


_DESCRIBE = {
    "bars": _bars,
    "lines": _lines,
    "distribution": _distribution,
    "curve": _curve,
    "points": _points,
    "matrix": _matrix,
}


def describe(plot: Plot) -> str:
    """``plot`` in words: its title, then what its numbers show."""
    if plot.alt:
        return f"{plot.title}: {plot.alt}"
    if not plot.series:
        return f"{plot.title}: nothing to show"
    words = _DESCRIBE[plot.kind](plot)
    if plot.kind not in ("points",):
        words += _reference(plot)
    return f"{plot.title}: {words}"
