"""Drawing the checks' plots (pure numbers) with matplotlib, as SVG or PNG.

matplotlib is imported only when a plot is drawn (commands that draw none start
faster), always with the Agg backend (no display, no network).
SVG output keeps text as text and carries no dates or external references, so the
same report gives the same bytes. Each SVG says in words what it shows
(:func:`mlready.report.describe.describe`, as its ``aria-label``), and its bars, points
and cells carry their values as ``<title>`` (a browser shows them on hover).
A plot that carries fewer than three numbers is not drawn (:func:`drawn`): a sentence
says it better, and the report's message and tables already do.
"""

from __future__ import annotations

import html
import io
import math
import re
from typing import Any

from mlready.numbers import fmt
from mlready.report.describe import describe
from mlready.results import Plot, Series

_COLOURS = ("#1f6feb", "#d1242f", "#2da44e", "#bf8700", "#8250df", "#57606a")
_GREY = "#57606a"
_MARKED = "#d1242f"


def drawn(plot: Plot) -> bool:
    """Whether ``plot`` is worth drawing: three numbers or more."""
    return sum(1 for s in plot.series for v in s.y if v is not None and math.isfinite(v)) >= 3


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "mlready", "font.size": 9})
    return plt


class _Hover:
    """Values to show on hover, keyed by the gid given to the artist that draws them."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.titles: dict[str, str] = {}

    def tag(self, artist: Any, text: str) -> None:
        gid = f"{self.prefix}-{len(self.titles)}"
        artist.set_gid(gid)
        self.titles[gid] = text


def _nan(values: list[float | None]) -> list[float]:
    return [float("nan") if v is None else float(v) for v in values]


def _value_text(series: Series, j: int) -> str:
    value = fmt(series.y[j])
    if series.low is not None and series.high is not None and series.low[j] is not None:
        value += f" ({fmt(series.low[j])} to {fmt(series.high[j])})"
    return value


def _category_ticks(ax: Any, labels: list[str], axis: str = "x") -> None:
    if axis == "y":
        ax.set_yticks(range(len(labels)), labels)
        return
    slanted = len(labels) > 4
    ax.set_xticks(
        range(len(labels)),
        labels,
        rotation=30 if slanted else 0,
        ha="right" if slanted else "center",
    )


def _bars(ax: Any, plot: Plot, hover: _Hover) -> None:
    """Values with intervals as dots and whiskers on an axis fitted to them (a bar from 0
    would flatten every difference that matters); plain values as bars from 0."""
    categories = [str(x) for x in plot.series[0].x]
    with_intervals = any(s.low is not None for s in plot.series)
    width = 0.8 / len(plot.series)
    for i, series in enumerate(plot.series):
        colour = _COLOURS[i % len(_COLOURS)]
        for j, value in enumerate(series.y):
            if value is None:
                continue
            position = j + (i - (len(plot.series) - 1) / 2) * width
            text = f"{series.x[j]}: {_value_text(series, j)}"
            if with_intervals:
                low = series.low[j] if series.low is not None else None
                high = series.high[j] if series.high is not None else None
                error = None
                if low is not None and high is not None:
                    error = [[max(0.0, value - low)], [max(0.0, high - value)]]
                bar = ax.errorbar([value], [position], xerr=error, fmt="o", capsize=3, color=colour)
                hover.tag(bar.lines[0], text)
            else:
                rectangle = ax.barh([position], [value], width, color=colour)[0]
                hover.tag(rectangle, text)
    ax.set_yticks(range(len(categories)), categories)
    ax.invert_yaxis()  # the first category on top, as in the tables
    ax.set_xlabel(plot.y_label)
    ax.grid(axis="x", alpha=0.3)


def _lines(ax: Any, plot: Plot, hover: _Hover) -> None:
    labels = [str(x) for x in plot.series[0].x]
    positions = list(range(len(labels)))
    for i, series in enumerate(plot.series):
        colour = _COLOURS[i % len(_COLOURS)]
        values = _nan(series.y)
        ax.plot(positions, values, color=colour, label=series.name, linewidth=1.5)
        if series.low is not None and series.high is not None:
            ax.fill_between(
                positions, _nan(series.low), _nan(series.high), color=colour, alpha=0.15
            )
        for j, value in enumerate(series.y):
            if value is not None:
                (point,) = ax.plot([j], [value], "o", color=colour, markersize=4)
                hover.tag(point, f"{labels[j]}, {series.name}: {_value_text(series, j)}")
    for j, label in enumerate(labels):
        if label in plot.marked:
            ax.axvspan(j - 0.4, j + 0.4, color=_MARKED, alpha=0.12, linewidth=0)
    _category_ticks(ax, labels)
    ax.grid(axis="y", alpha=0.3)


def _distribution(ax: Any, plot: Plot, hover: _Hover) -> None:
    for i, series in enumerate(plot.series):
        colour = _COLOURS[i % len(_COLOURS)]
        if len(series.x) == len(series.y) + 1:  # numeric: bin edges
            edges = [float(x) for x in series.x]
            ax.stairs(_nan(series.y), edges, label=series.name, color=colour, linewidth=1.5)
        else:
            width = 0.8 / len(plot.series)
            for j, share in enumerate(series.y):
                position = j + (i - (len(plot.series) - 1) / 2) * width
                rectangle = ax.bar([position], [share or 0.0], width, color=colour, alpha=0.8)[0]
                hover.tag(rectangle, f"{series.x[j]}, {series.name}: {fmt(share)}")
            ax.bar([], [], color=colour, label=series.name)  # one legend entry per series
            _category_ticks(ax, [str(x) for x in series.x])
    ax.grid(axis="y", alpha=0.3)


def _curve(ax: Any, plot: Plot, hover: _Hover) -> None:
    for i, series in enumerate(plot.series):
        (line,) = ax.plot(
            [float(x) for x in series.x],
            _nan(series.y),
            color=_COLOURS[i % len(_COLOURS)],
            label=series.name,
            linewidth=1.5,
            marker="o" if len(series.x) <= 20 else None,
            markersize=3,
        )
        hover.tag(line, series.name)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)


def _points(ax: Any, plot: Plot, hover: _Hover) -> None:
    for i, series in enumerate(plot.series):
        dots = ax.scatter(
            [float(x) for x in series.x], _nan(series.y), s=6, color=_COLOURS[i], alpha=0.5
        )
        hover.tag(dots, f"{series.name}: {len(series.x)} rows")
    ax.grid(alpha=0.3)


def _matrix(ax: Any, plot: Plot, hover: _Hover) -> None:
    """A cell per pair, shaded by its share of its row, drawn as vector squares (an image
    would be a raster inside the SVG)."""
    from matplotlib import colormaps
    from matplotlib.patches import Rectangle

    blues = colormaps["Blues"]
    rows = [_nan(s.y) for s in plot.series]
    columns = [str(x) for x in plot.series[0].x]
    for r, row in enumerate(rows):
        total = sum(v for v in row if math.isfinite(v)) or 1.0
        for c, value in enumerate(row):
            share = value / total if math.isfinite(value) else 0.0
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, color=blues(0.08 + 0.85 * share)))
            text = ax.text(
                c,
                r,
                f"{value:,.0f}",
                ha="center",
                va="center",
                color="white" if share > 0.6 else "#1f2328",
            )
            hover.tag(
                text,
                f"{plot.y_label} {plot.series[r].name}, {plot.x_label} {columns[c]}: "
                f"{value:,.0f} rows ({share:.1%} of the row)",
            )
    ax.set_xlim(-0.5, len(columns) - 0.5)
    ax.set_ylim(len(rows) - 0.5, -0.5)  # the first row on top, as in a table
    _category_ticks(ax, columns)
    _category_ticks(ax, [s.name for s in plot.series], axis="y")


_DRAW = {
    "bars": _bars,
    "lines": _lines,
    "distribution": _distribution,
    "curve": _curve,
    "points": _points,
    "matrix": _matrix,
}


def _figure(plot: Plot, hover: _Hover) -> Any:
    plt = _pyplot()
    rows = len(plot.series[0].x) if plot.kind == "bars" and plot.series else 0
    square = plot.kind in ("curve", "matrix")
    size = (4.4, 4.0) if square else (5.2, max(3.0, 0.9 + 0.26 * rows))
    figure, ax = plt.subplots(figsize=size)
    _DRAW[plot.kind](ax, plot, hover)
    if plot.diagonal:
        ends = [0, 1] if plot.kind == "curve" else _data_range(ax)
        ax.plot(ends, ends, color=_GREY, linestyle=":", linewidth=1)
    _reference(ax, plot)
    ax.set_title(plot.title, fontsize=10, wrap=True)
    if plot.kind != "bars":
        ax.set_xlabel(plot.x_label)
        ax.set_ylabel(plot.y_label)
    ax.spines[["top", "right"]].set_visible(False)
    if (len(plot.series) > 1 or plot.reference_label) and plot.kind not in ("matrix", "points"):
        ax.legend(fontsize=8, frameon=False)
    figure.tight_layout()
    return figure


def _data_range(ax: Any) -> list[float]:
    low = min(ax.get_xlim()[0], ax.get_ylim()[0])
    high = max(ax.get_xlim()[1], ax.get_ylim()[1])
    return [low, high]


def _reference(ax: Any, plot: Plot) -> None:
    """The benchmark or threshold line, across the values' axis, with its interval."""
    if plot.reference is None:
        return
    vertical = plot.kind == "bars"  # bars run horizontally: their values are on x
    line = ax.axvline if vertical else ax.axhline
    line(plot.reference, color=_GREY, linestyle="--", linewidth=1, label=plot.reference_label)
    if plot.reference_low is not None and plot.reference_high is not None:
        band = ax.axvspan if vertical else ax.axhspan
        band(plot.reference_low, plot.reference_high, color=_GREY, alpha=0.12, linewidth=0)


def to_svg(plot: Plot, key: str = "plot") -> str:
    """The plot as an SVG element, for inlining in HTML (no XML header or doctype):
    described in words, with values on hover; ``key`` keeps its element ids unique in a
    page of many plots."""
    plt = _pyplot()
    hover = _Hover(re.sub(r"[^A-Za-z0-9_-]", "-", key))
    figure = _figure(plot, hover)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(figure)
    text = re.sub(r"^.*?(?=<svg)", "", buffer.getvalue(), flags=re.DOTALL)
    for gid, title in hover.titles.items():
        text = text.replace(
            f'<g id="{gid}">', f'<g id="{gid}"><title>{html.escape(title)}</title>', 1
        )
    label = html.escape(describe(plot), quote=True)
    return text.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def to_png(plot: Plot) -> bytes:
    """The plot as PNG bytes."""
    plt = _pyplot()
    figure = _figure(plot, _Hover("png"))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()
