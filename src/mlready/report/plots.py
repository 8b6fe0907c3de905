"""Drawing the checks' plots (pure numbers) with matplotlib, as SVG or PNG.

matplotlib is imported only when a plot is drawn (commands that draw none start
faster), always with the Agg backend (no display, no network).
SVG output keeps text as text and carries no dates or external references, so the
same report gives the same bytes.
"""

from __future__ import annotations

import io
import re
from typing import Any

from mlready.results import Plot

_COLOURS = ("#1f6feb", "#d1242f", "#2da44e", "#bf8700", "#8250df", "#57606a")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "mlready", "font.size": 9})
    return plt


def _errors(
    values: list[float | None], low: list[float | None] | None, high: list[float | None] | None
) -> Any:
    if low is None or high is None:
        return None
    below = [
        max(0.0, (v or 0) - lo) if v is not None and lo is not None else 0.0
        for v, lo in zip(values, low, strict=True)
    ]
    above = [
        max(0.0, hi - (v or 0)) if v is not None and hi is not None else 0.0
        for v, hi in zip(values, high, strict=True)
    ]
    return [below, above]


def _nan(values: list[float | None]) -> list[float]:
    return [float("nan") if v is None else float(v) for v in values]


def _bars(ax: Any, plot: Plot) -> None:
    categories = [str(x) for x in plot.series[0].x]
    width = 0.8 / len(plot.series)
    for i, series in enumerate(plot.series):
        positions = [j + (i - (len(plot.series) - 1) / 2) * width for j in range(len(categories))]
        ax.bar(
            positions,
            _nan(series.y),
            width,
            label=series.name,
            color=_COLOURS[i % len(_COLOURS)],
            yerr=_errors(series.y, series.low, series.high),
            capsize=3,
        )
    ax.set_xticks(
        range(len(categories)),
        categories,
        rotation=30 if len(categories) > 4 else 0,
        ha="right" if len(categories) > 4 else "center",
    )


def _lines(ax: Any, plot: Plot) -> None:
    for i, series in enumerate(plot.series):
        positions = list(range(len(series.x)))
        colour = _COLOURS[i % len(_COLOURS)]
        ax.errorbar(
            positions,
            _nan(series.y),
            yerr=_errors(series.y, series.low, series.high),
            marker="o",
            capsize=3,
            label=series.name,
            color=colour,
        )
    labels = [str(x) for x in plot.series[0].x]
    ax.set_xticks(
        range(len(labels)),
        labels,
        rotation=30 if len(labels) > 4 else 0,
        ha="right" if len(labels) > 4 else "center",
    )


def _distribution(ax: Any, plot: Plot) -> None:
    for i, series in enumerate(plot.series):
        colour = _COLOURS[i % len(_COLOURS)]
        if len(series.x) == len(series.y) + 1:  # numeric: bin edges
            ax.stairs(
                _nan(series.y),
                [float(x) for x in series.x],
                label=series.name,
                color=colour,
                linewidth=1.5,
            )
        else:
            width = 0.8 / len(plot.series)
            positions = [j + (i - (len(plot.series) - 1) / 2) * width for j in range(len(series.x))]
            ax.bar(positions, _nan(series.y), width, label=series.name, color=colour, alpha=0.8)
            ax.set_xticks(range(len(series.x)), [str(x) for x in series.x])


def _figure(plot: Plot) -> Any:
    plt = _pyplot()
    figure, ax = plt.subplots(figsize=(6.4, 3.2))
    {"bars": _bars, "lines": _lines, "distribution": _distribution}[plot.kind](ax, plot)
    if plot.reference is not None:
        ax.axhline(
            plot.reference, color="#57606a", linestyle="--", linewidth=1, label=plot.reference_label
        )
    ax.set_title(plot.title, fontsize=10)
    ax.set_xlabel(plot.x_label)
    ax.set_ylabel(plot.y_label)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    if len(plot.series) > 1 or plot.reference_label:
        ax.legend(fontsize=8, frameon=False)
    figure.tight_layout()
    return figure


def to_svg(plot: Plot) -> str:
    """The plot as an SVG element, for inlining in HTML (no XML header or doctype)."""
    plt = _pyplot()
    figure = _figure(plot)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(figure)
    text = buffer.getvalue()
    return re.sub(r"^.*?(?=<svg)", "", text, flags=re.DOTALL)


def to_png(plot: Plot) -> bytes:
    """The plot as PNG bytes."""
    plt = _pyplot()
    figure = _figure(plot)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()
