"""One way to show a number, in messages and reports alike."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from mlready.results import Measure, Summary


def fmt(value: Any, signed: bool = False) -> str:
    """Up to four decimals for everyday magnitudes, trailing zeros dropped (1.5, not
    1.5000), fewer for large ones (thousands separated), three significant digits in
    scientific notation at the extremes.

    Text and other non-floats are passed through; None shows as a dash.
    """
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, float | int):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    sign = "+" if signed else ""
    magnitude = abs(value)
    if isinstance(value, int):
        return f"{value:{sign}d}"
    if magnitude >= 1e9 or (0 < magnitude < 1e-4):
        return f"{value:{sign}.2e}"
    if magnitude >= 1000:
        return f"{value:{sign},.0f}"
    return _trimmed(f"{value:{sign}.1f}" if magnitude >= 100 else f"{value:{sign}.4f}")


def _trimmed(text: str) -> str:
    """Trailing zeros dropped, one decimal kept: '1.5000' -> '1.5', '28.0000' -> '28.0'."""
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.rstrip('0') or '0'}"


def p_value(value: float | None) -> str:
    """A p-value as 'p=0.032', 'p=8.7e-05', or 'p<1e-16' below what doubles resolve."""
    if value is None or math.isnan(value):
        return "p=n/a"
    if value < 1e-16:
        return "p<1e-16"
    return f"p={value:.2g}"


def with_unit(value: Any, unit: str | None) -> str:
    """A number with its unit; a duration in days shows in days, hours or minutes,
    whichever reads best ('28 days', '1.5 days', '6 hours', '20 minutes')."""
    if unit != "days" or not isinstance(value, float | int) or isinstance(value, bool):
        return fmt(value) if unit is None else f"{fmt(value)} {unit}"
    if math.isnan(value):
        return "n/a"
    for size, name in ((1.0, "day"), (1 / 24, "hour"), (1 / 1440, "minute")):
        if abs(value) >= size or name == "minute":
            amount = f"{value / size:.1f}".removesuffix(".0")
            return f"{amount} {name}{'' if amount == '1' else 's'}"
    raise AssertionError("unreachable")


def listed(items: Iterable[object], shown: int = 4, sep: str = ", ") -> str:
    """The first ``shown`` items joined, and how many more there are: a message never cuts
    a list silently ("a, b, c, d and 3 more")."""
    names = [str(item) for item in items]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return sep.join(names[:shown]) + more


def percent(share: float) -> str:
    """A share (0-1) as a percentage with two decimals; tiny non-zero shares stay visible."""
    if share == 0:
        return "0%"
    if 0 < share < 1e-4:
        return "<0.01%"
    return f"{100 * share:.2f}%"


def interval(low: float | None, high: float | None) -> str:
    """An interval as 'low to high' (empty when either end is missing or not a number)."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return ""
    return f"{fmt(low)} to {fmt(high)}"


def estimate_parts(value: Any, low: float | None, high: float | None) -> tuple[str, str]:
    """An estimate and its interval ('low to high', empty without one), both to the
    decimals the interval's width justifies (two significant digits of the half-width)."""
    span = interval(low, high)
    if not span or not isinstance(value, float | int) or not math.isfinite(value):
        return fmt(value), span
    assert low is not None and high is not None
    half = (high - low) / 2
    if half <= 0:
        return fmt(value), span
    decimals = min(6, max(0, 1 - math.floor(math.log10(half))))
    return f"{value:.{decimals}f}", f"{low:.{decimals}f} to {high:.{decimals}f}"


def estimate(value: Any, low: float | None, high: float | None) -> str:
    """An estimate with its interval, '0.993 (0.977 to 1.000)'; the value alone by
    :func:`fmt` when there is no interval."""
    text, span = estimate_parts(value, low, high)
    return f"{text} ({span})" if span else text


def _short(value: float) -> str:
    return f"{value:.4g}"


def summary_text(summary: Summary) -> str:
    """A sample's summary in a phrase: 'mean 1.2, median 1.1, p5-p95 0.5 to 2.3', or the
    top levels 'a 62.6%, b 37.4%'."""
    unseen = f"; unseen: {', '.join(summary.unseen[:3])}" if summary.unseen else ""
    if summary.levels:
        return ", ".join(f"{level} {share:.1%}" for level, share in summary.levels) + unseen
    if summary.mean is None or summary.median is None or summary.p5 is None:
        return "no values" + unseen
    assert summary.p95 is not None
    return (
        f"mean {_short(summary.mean)}, median {_short(summary.median)}, "
        f"p5-p95 {_short(summary.p5)} to {_short(summary.p95)}{unseen}"
    )


def measure_text(cell: Measure) -> str:
    """A typed number as a report shows it, e.g. 'ks p=0.96', '0.993 (0.977 to 1.000)',
    'wasserstein 0.1694 (must be >= 0.1)', '0.0% -> 1.2%', '+0.0551', '28 days'."""
    if cell.kind == "interval":
        return interval(cell.low, cell.high)
    if cell.kind == "p_value":
        text = p_value(cell.value)
    elif cell.kind == "share":
        text = "-" if cell.value is None else f"{cell.value:.1%}"
        if cell.before is not None:
            text = f"{cell.before:.1%} -> {text}"
    else:
        text = (
            estimate(cell.value, cell.low, cell.high)
            if cell.kind == "number"
            else fmt(cell.value, signed=True)
        )
        if cell.before is not None:
            text = f"{fmt(cell.before)} -> {text}"
    if cell.unit and cell.kind == "number" and cell.low is None and cell.before is None:
        text = with_unit(cell.value, cell.unit)
    elif cell.unit:
        text = f"{text} {cell.unit}"
    if cell.statistic:
        text = f"{cell.statistic} {text}"
    span = interval(cell.low, cell.high)
    if span and cell.kind != "number":  # a number's interval is part of its estimate
        text = f"{text} ({span})"
    if cell.threshold is not None:
        bar = f"must be {cell.op}" if cell.op is not None else ">="
        text = f"{text} ({bar} {fmt(cell.threshold)})"
    return text


def cell_text(cell: Any) -> str:
    """Any table cell as text: typed numbers by kind, plain numbers by :func:`fmt`."""
    if isinstance(cell, Measure):
        return measure_text(cell)
    if isinstance(cell, Summary):
        return summary_text(cell)
    if isinstance(cell, list):
        return " ".join(fmt(value) for value in cell)
    return fmt(cell)
