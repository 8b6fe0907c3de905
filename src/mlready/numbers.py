"""One way to show a number, in messages and reports alike."""

from __future__ import annotations

import math
from typing import Any


def fmt(value: Any, signed: bool = False) -> str:
    """Four decimals for everyday magnitudes, fewer for large ones (thousands separated),
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
        return f"{value:{sign}.3e}"
    if magnitude >= 1000:
        return f"{value:{sign},.0f}"
    return f"{value:{sign}.1f}" if magnitude >= 100 else f"{value:{sign}.4f}"


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
