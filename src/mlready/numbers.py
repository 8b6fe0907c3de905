"""One way to show a number, in messages and reports alike."""

from __future__ import annotations

import math
from typing import Any


def fmt(value: Any, signed: bool = False) -> str:
    """Four decimals for everyday magnitudes, scientific notation at the extremes.

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
    if isinstance(value, int) or magnitude == 0 or 1e-4 <= magnitude < 1e6:
        text = f"{value:{sign}.4f}" if isinstance(value, float) else f"{value:{sign}d}"
    else:
        text = f"{value:{sign}.3e}"
    return text
