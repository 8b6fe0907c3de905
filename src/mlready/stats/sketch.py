"""Mergeable statistics of rows, for data that does not fit in memory.

A :class:`FrameSketch` summarises any number of rows relative to a reference: each numeric
column as counts between (and at) the reference's quantile edges plus count, mean and
variance (merged with Chan's formula); each categorical column as level counts. Sketches
of chunks merge by addition, in any order and on any machine (the streaming and Dask
engines), and become a :class:`~mlready.stats.drift.Reference` the drift engine compares
like an in-memory sample: the quantiles are read off the piecewise-linear distribution
the counts describe, with values that repeat kept as point masses at the edges.

Accuracy: the KS statistic is within 1 / ``SKETCH_GRID`` of the in-memory one (a
reference quantile interval holds that share of the reference); see docs/benchmarks.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mlready.stats.drift import NumericSample, Reference, level_counts

SKETCH_GRID = 2_000  # reference quantile intervals a streamed numeric column is counted in
_SAMPLE = 10_000  # quantiles read off a sketch for the drift engine


@dataclass
class NumericSketch:
    """Counts of one numeric column's values inside and at the reference edges."""

    edges: NDArray[np.float64]
    inside: NDArray[np.int64]  # len(edges) + 1: below the first, between, above the last
    at_edge: NDArray[np.int64]  # len(edges): values equal to an edge
    missing: int = 0
    count: int = 0
    mean: float = 0.0
    m2: float = 0.0  # sum of squared deviations from the mean
    low: float = np.inf
    high: float = -np.inf

    @classmethod
    def empty(cls, edges: NDArray[np.float64]) -> NumericSketch:
        return cls(edges, np.zeros(edges.size + 1, np.int64), np.zeros(edges.size, np.int64))

    def add(self, values: pd.Series) -> None:
        """Count a chunk's values."""
        array = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        finite = array[np.isfinite(array)]
        self.missing += array.size - finite.size
        if finite.size == 0:
            return
        # One search: the values at or below edge i are right of it; on the edge if equal.
        right = np.searchsorted(self.edges, finite, "right")
        on_edge = right > 0
        on_edge[on_edge] = self.edges[right[on_edge] - 1] == finite[on_edge]
        self.at_edge += np.bincount(right[on_edge] - 1, minlength=self.edges.size)
        self.inside += np.bincount(right[~on_edge], minlength=self.edges.size + 1)
        mean = float(finite.mean())
        self._add_moments(
            finite.size,
            mean,
            float(((finite - mean) ** 2).sum()),
            float(finite.min()),
            float(finite.max()),
        )

    def _add_moments(self, count: int, mean: float, m2: float, low: float, high: float) -> None:
        """Chan et al.'s pairwise update of count, mean and squared deviations."""
        total = self.count + count
        if count == 0:
            return
        delta = mean - self.mean
        self.mean += delta * count / total
        self.m2 += m2 + delta**2 * self.count * count / total
        self.count = total
        self.low, self.high = min(self.low, low), max(self.high, high)

    def merge(self, other: NumericSketch) -> None:
        """Add ``other`` (a sketch on the same edges) to this one."""
        self.inside += other.inside
        self.at_edge += other.at_edge
        self.missing += other.missing
        self._add_moments(other.count, other.mean, other.m2, other.low, other.high)

    def sample(self) -> NumericSample:
        """Equal-weight quantiles of the counted values, with their exact count and moments."""
        if self.count == 0:
            return NumericSample(np.array([]), 0, float("nan"), float("nan"))
        edges = np.clip(self.edges, self.low, self.high)
        # Knots of the distribution function: before and after each edge's point mass.
        x = np.concatenate([[self.low], np.repeat(edges, 2), [self.high]])
        steps = np.empty(2 * self.edges.size + 1, np.int64)
        steps[0::2], steps[1::2] = self.inside, self.at_edge
        cumulative = np.concatenate([[0], np.cumsum(steps)]).astype(float)
        levels = (np.arange(_SAMPLE) + 0.5) / _SAMPLE * self.count
        values = np.interp(levels, cumulative, x)
        std = float(np.sqrt(self.m2 / self.count))
        return NumericSample(values, self.count, self.mean, std)


@dataclass
class LevelSketch:
    """Counts of one categorical column's levels (as text)."""

    counts: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    missing: int = 0

    def add(self, values: pd.Series) -> None:
        self.missing += int(values.isna().sum())
        self.counts = self.counts.add(level_counts(values), fill_value=0).astype("int64")

    def merge(self, other: LevelSketch) -> None:
        self.counts = self.counts.add(other.counts, fill_value=0).astype("int64")
        self.missing += other.missing


@dataclass
class FrameSketch:
    """Mergeable statistics of rows: one sketch per column of a reference."""

    columns: dict[str, NumericSketch | LevelSketch]
    rows: int = 0

    @classmethod
    def like(cls, reference: Reference) -> FrameSketch:
        """An empty sketch for the columns of ``reference``, on its quantile edges."""
        columns: dict[str, NumericSketch | LevelSketch] = {
            name: NumericSketch.empty(np.unique(sample.grid(SKETCH_GRID).values))
            for name, sample in reference.numeric.items()
        }
        columns |= {name: LevelSketch() for name in reference.level_counts}
        return cls(columns)

    def add(self, frame: pd.DataFrame) -> None:
        """Count the rows of ``frame`` (it has every column of the sketch)."""
        self.rows += len(frame)
        for name, sketch in self.columns.items():
            sketch.add(frame[name])

    def merge(self, other: FrameSketch) -> FrameSketch:
        """Add ``other`` (a sketch of the same reference) to this one; returns self."""
        self.rows += other.rows
        for name, sketch in self.columns.items():
            sketch.merge(other.columns[name])  # type: ignore[arg-type]
        return self

    def reference(self) -> Reference:
        """The counted rows as a sample the drift engine compares."""
        numeric, levels, missing = {}, {}, {}
        for name, sketch in self.columns.items():
            if isinstance(sketch, NumericSketch):
                numeric[name] = sketch.sample()
            else:
                levels[name] = sketch.counts.sort_values(ascending=False, kind="stable")
            missing[name] = sketch.missing / self.rows if self.rows else 0.0
        return Reference(numeric, levels, missing, self.rows)
