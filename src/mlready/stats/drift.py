"""Comparing a reference sample with a current one, column by column.

One engine for split analysis, production drift and (later) monitoring.

Method, by column type:

- numeric: two-sample Kolmogorov-Smirnov (statistic D and p-value), Wasserstein
  distance in units of the reference's standard deviation, PSI and
  Jensen-Shannon distance on bins fixed at reference deciles;
- categorical: chi-square on the level counts (levels rare in the reference
  pooled, levels unseen in the reference named), PSI and Jensen-Shannon
  distance on level frequencies, and the largest change of one level's share;
- every column: the missing-value rate on both sides.

A column has drifted when its change is both *real* and *large enough to
matter*: the Benjamini-Hochberg-adjusted p-value of its test is below
``alpha`` (this is what protects small samples from noise) and its effect
size reaches a threshold (normalised Wasserstein for numeric, PSI for
categorical columns by default, or a level's share moving by ``max_level_shift``;
this is what keeps a 1M-row comparison from flagging a 0.1% shift that any p-value
would call significant). Both the effect statistic and its threshold can be chosen
per column.

Numeric columns are sorted once each and kept as at most 100,001 quantiles (the
distribution to within 1e-5, whatever the rows); columns are compared in a thread pool
(numpy releases the GIL while sorting and searching). Wide data costs array operations,
not Python calls per column: numeric columns are sorted a block at a time, and columns
whose samples have the same sizes are compared together.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

Effect = Literal["wasserstein", "ks", "psi", "js"]
RARE = "(rare)"
_EPS = 1e-4  # floor for empty bins in PSI, as is customary
_QUANTILES = 1000  # quantile grid for the Wasserstein distance
_KS_GRID = 20_000  # evaluation points per sample for the KS statistic of large samples
_MIN_EXPECTED = 5  # chi-square: pool reference levels expected fewer times than this
# A prepared numeric column keeps at most this many + 1 equal-weight quantiles: its
# distribution to within 1e-5, in 0.8 MB instead of 8 bytes a row.
_KEPT_QUANTILES = 100_000
# Cells of one block of columns sorted at once when preparing a sample (32 MiB of float64).
_BLOCK_CELLS = 4_000_000


_T = TypeVar("_T")
_R = TypeVar("_R")
_THREADS = 2


def _in_threads(function: Callable[[_T], _R], items: list[_T]) -> list[_R]:
    """``function`` of every item, in order, in a small thread pool (numpy releases the GIL
    while sorting and searching). One task per thread's share of the items, not per item:
    10,000 columns as 10,000 futures spend seconds on scheduling alone."""
    size = -(-len(items) // _THREADS) or 1
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        done = pool.map(lambda chunk: [function(item) for item in chunk], chunks)
        return [result for chunk in done for result in chunk]


@dataclass(frozen=True)
class DriftSettings:
    """How drift is judged; the defaults are documented in the checks that use them."""

    alpha: float = 0.05
    numeric_effect: Effect = "wasserstein"
    numeric_threshold: float = 0.1
    categorical_effect: Effect = "psi"
    categorical_threshold: float = 0.1
    # PSI weighs relative changes: a tenth of the mass moved between two common levels
    # (44.5% -> 32.2%) scores 0.085. A level whose share moves this much drifts too.
    max_level_shift: float = 0.1
    bins: int = 10
    max_missing_change: float = 0.05
    per_column: Mapping[str, tuple[Effect, float]] = field(default_factory=dict)

    def effect_for(self, column: str, categorical: bool) -> tuple[Effect, float]:
        """The effect statistic and threshold that judge ``column``."""
        if column in self.per_column:
            return self.per_column[column]
        if categorical:
            return self.categorical_effect, self.categorical_threshold
        return self.numeric_effect, self.numeric_threshold


@dataclass(frozen=True)
class Brief:
    """A sample in a few numbers: a numeric one's mean, median, 5th and 95th percentiles;
    a categorical one's three most common levels with their shares (none: no values)."""

    mean: float | None = None
    median: float | None = None
    p5: float | None = None
    p95: float | None = None
    levels: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class ColumnDrift:
    """Everything measured about one column, and the verdict."""

    column: str
    kind: Literal["numeric", "categorical"]
    test: Literal["ks", "chi2"]
    statistic: float  # KS D, or the chi-square statistic
    p_value: float
    effects: dict[str, float]  # wasserstein, ks, psi, js, level_shift (those that apply)
    effect: Effect
    threshold: float
    missing_reference: float
    missing_current: float
    reference_rows: int
    current_rows: int
    p_adjusted: float = float("nan")
    drifted: bool = False
    missing_drifted: bool = False
    unseen_levels: tuple[str, ...] = ()
    summary_reference: Brief = field(default_factory=lambda: Brief())
    summary_current: Brief = field(default_factory=lambda: Brief())

    @property
    def effect_value(self) -> float:
        return self.effects.get(self.effect, float("nan"))


def psi(expected: NDArray[np.float64], actual: NDArray[np.float64]) -> float:
    """Population stability index of two frequency vectors (empty bins floored)."""
    e = np.maximum(expected / max(expected.sum(), 1), _EPS)
    a = np.maximum(actual / max(actual.sum(), 1), _EPS)
    return float(np.sum((a - e) * np.log(a / e)))


def js_distance(expected: NDArray[np.float64], actual: NDArray[np.float64]) -> float:
    """Jensen-Shannon distance (base 2, so within 0-1) of two frequency vectors."""
    if expected.sum() == 0 or actual.sum() == 0:
        return float("nan")
    from scipy.spatial.distance import jensenshannon

    return float(jensenshannon(expected, actual, base=2))


def level_counts(values: pd.Series) -> pd.Series:
    """Counts per level, levels as text (1 and "1" are one level), missing left out."""
    counts = values.value_counts(dropna=True)
    return counts.groupby(counts.index.astype(str)).sum().sort_values(ascending=False)


@dataclass(frozen=True)
class NumericSample:
    """One numeric column, ready to compare: its finite values sorted, or an equal-weight
    quantile grid standing for them (a stored profile, a streamed sketch), with the true
    count and moments of the values."""

    values: NDArray[np.float64]  # sorted
    count: int  # finite values the sample stands for
    mean: float
    std: float

    @classmethod
    def of(cls, values: pd.Series) -> tuple[NumericSample, float]:
        """The sorted finite values of ``values`` (at most _KEPT_QUANTILES + 1 quantiles of
        them) and the share missing (or infinite)."""
        array = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        return cls._of_sorted(np.sort(array[np.isfinite(array)]), array.size)

    @classmethod
    def of_block(cls, frame: pd.DataFrame) -> list[tuple[NumericSample, float]]:
        """``of`` for every column of ``frame``, whose dtypes are all numeric: the columns
        are sorted together, a block at a time, instead of one pandas call per column."""
        results = []
        step = max(1, _BLOCK_CELLS // max(len(frame), 1))
        for start in range(0, frame.shape[1], step):
            block = frame.iloc[:, start : start + step].to_numpy(dtype=float, na_value=np.nan)
            rows = np.array(block.T, order="C")  # a copy, one column per row: contiguous sorts
            counts = np.isfinite(rows).sum(axis=1)
            rows[~np.isfinite(rows)] = np.inf  # sorts after every finite value
            rows.sort(axis=1)
            results += [
                cls._of_sorted(row[:n].copy(), len(frame))
                for row, n in zip(rows, counts, strict=True)
            ]
        return results

    @classmethod
    def _of_sorted(cls, finite: NDArray[np.float64], total: int) -> tuple[NumericSample, float]:
        mean = float(finite.mean()) if finite.size else float("nan")
        std = float(finite.std()) if finite.size else float("nan")
        sample = cls(finite, finite.size, mean, std).grid(_KEPT_QUANTILES)
        return sample, (total - finite.size) / max(total, 1)

    def quantiles(self, levels: NDArray[np.float64]) -> NDArray[np.float64]:
        """Values at ``levels`` (0-1), by the same rule for a full sample and a grid."""
        index = np.minimum((levels * self.values.size).astype(int), self.values.size - 1)
        return self.values[index]

    def grid(self, points: int) -> NumericSample:
        """At most ``points`` + 1 equal-weight quantiles standing for this sample."""
        if self.values.size <= points + 1:
            return self
        index = np.round(np.linspace(0, self.values.size - 1, points + 1)).astype(int)
        return NumericSample(self.values[index], self.count, self.mean, self.std)


@dataclass(frozen=True)
class Reference:
    """A sample prepared once (numeric columns sorted, levels counted), so it can be
    compared with many others: production batches, time windows. Built from a frame,
    read from a stored profile (``mlready profile``), or from merged streamed chunks."""

    numeric: dict[str, NumericSample]
    level_counts: dict[str, pd.Series]
    missing: dict[str, float]
    rows: int

    @classmethod
    def of(cls, frame: pd.DataFrame, columns: list[str], categorical: list[str]) -> Reference:
        """Prepare ``columns`` of ``frame``; those in ``categorical`` are counted by level."""
        listed = set(categorical)
        numeric = [c for c in columns if c not in listed]

        def prepare(column: str) -> tuple[NumericSample, float]:
            return NumericSample.of(frame[column])

        dtypes = dict(zip(frame.columns, frame.dtypes, strict=True))
        # Columns numeric by dtype are prepared as blocks; others (text where numbers were
        # expected) one by one.
        block = [c for c in numeric if pd.api.types.is_numeric_dtype(dtypes[c])]
        prepared = dict(zip(block, NumericSample.of_block(frame[block]), strict=True))
        rest = [c for c in numeric if c not in prepared]
        prepared |= dict(zip(rest, _in_threads(prepare, rest), strict=True))
        levels = {c: level_counts(frame[c]) for c in columns if c in listed}
        missing = {c: prepared[c][1] for c in numeric}
        missing |= {c: float(frame[c].isna().mean()) if len(frame) else 0.0 for c in levels}
        return cls({c: prepared[c][0] for c in numeric}, levels, missing, len(frame))

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.level_counts]

    def subset(self, columns: list[str]) -> Reference:
        """The same reference restricted to ``columns`` (those it has)."""
        return Reference(
            {c: v for c, v in self.numeric.items() if c in columns},
            {c: v for c, v in self.level_counts.items() if c in columns},
            {c: v for c, v in self.missing.items() if c in columns},
            self.rows,
        )

    def plot_sample(self, column: str) -> pd.Series:
        """What a distribution plot draws: the (quantile) values of a numeric column, the
        level counts of a categorical one."""
        if column in self.numeric:
            return pd.Series(self.numeric[column].values)
        return self.level_counts[column]


def _summary_numeric(x: NumericSample) -> Brief:
    if x.values.size == 0:
        return Brief()
    p5, p50, p95 = x.values[(np.array([0.05, 0.5, 0.95]) * (x.values.size - 1)).astype(int)]
    return Brief(mean=float(x.mean), median=float(p50), p5=float(p5), p95=float(p95))


def _ks_statistic(r: NDArray[np.float64], c: NDArray[np.float64]) -> float:
    """Largest gap between the two empirical CDFs.

    Evaluated at every value of small samples; for large ones at ``_KS_GRID``
    quantiles of each sample, which is exact to within 2 / _KS_GRID and avoids
    searching every value of one sample in the other.
    """

    def points(x: NDArray[np.float64]) -> NDArray[np.float64]:
        if x.size <= _KS_GRID:
            return x
        return x[(np.arange(_KS_GRID) * (x.size / _KS_GRID)).astype(int)]

    at = np.sort(np.concatenate([points(r), points(c)]))  # sorted: cache-friendly searches
    gap = np.searchsorted(r, at, "right") / r.size - np.searchsorted(c, at, "right") / c.size
    return float(np.abs(gap).max())


def _numeric_effects(ref: NumericSample, cur: NumericSample, bins: int) -> dict[str, float]:
    """KS D, normalised Wasserstein, PSI and Jensen-Shannon of two sorted samples."""
    r, c = ref.values, cur.values
    # Wasserstein-1 as the mean distance between matching quantiles.
    levels = (np.arange(_QUANTILES) + 0.5) / _QUANTILES
    qr, qc = ref.quantiles(levels), cur.quantiles(levels)
    spread = ref.std or (np.abs(qr - qr.mean()).mean() or 1.0)
    # Bins at reference quantiles; counts from the sorted arrays, no pass over rows.
    edges = np.unique(r[(np.linspace(0, 1, bins + 1)[1:-1] * (r.size - 1)).astype(int)])
    ref_counts = np.diff(np.r_[0, np.searchsorted(r, edges, "right"), r.size]).astype(float)
    cur_counts = np.diff(np.r_[0, np.searchsorted(c, edges, "right"), c.size]).astype(float)
    return {
        "ks": _ks_statistic(r, c),
        "wasserstein": float(np.abs(qr - qc).mean() / spread),
        "psi": psi(ref_counts, cur_counts),
        "js": js_distance(ref_counts, cur_counts),
    }


@functools.lru_cache(maxsize=65_536)
def _ks_p_value(d: float, n: int) -> float:
    """P-value of a KS statistic ``d`` at effective sample size ``n``.

    Cached: scipy's exact distribution costs about 1.5 ms a call, and columns with the same
    row counts share few distinct values of D (multiples of 1 / (rows of both samples)), so
    10,000 such columns need a few hundred calls, not 10,000.
    """
    return float(stats.kstwo.sf(d, n))


def _numeric_effects_block(
    R: NDArray[np.float64], C: NDArray[np.float64], ref_std: NDArray[np.float64], bins: int
) -> tuple[dict[str, NDArray[np.float64]], NDArray[np.bool_]]:
    """``_numeric_effects`` of many columns at once: row ``i`` of ``R`` and ``C`` holds a
    column's sorted values (all of them, at most ``_KS_GRID``) in reference and current.
    Also returns which rows have strictly increasing bin edges: only those get the same
    numbers as ``_numeric_effects`` (repeated edges merge bins there)."""
    k, nr = R.shape
    nc = C.shape[1]
    levels = (np.arange(_QUANTILES) + 0.5) / _QUANTILES
    qr = R[:, np.minimum((levels * nr).astype(int), nr - 1)]
    qc = C[:, np.minimum((levels * nc).astype(int), nc - 1)]
    # Means row by row: a mean along an axis sums in another order than ``_numeric_effects``
    # does, and would differ from it in the last digits.
    fallback = np.array([np.abs(q - q.mean()).mean() for q in qr])
    spread = np.where(ref_std != 0, ref_std, np.where(fallback != 0, fallback, 1.0))
    edges = R[:, (np.linspace(0, 1, bins + 1)[1:-1] * (nr - 1)).astype(int)]
    increasing = np.asarray((np.diff(edges, axis=1) > 0).all(axis=1), dtype=bool)

    def counts(X: NDArray[np.float64]) -> NDArray[np.float64]:
        below = (X[:, :, None] <= edges[:, None, :]).sum(axis=1)
        ends = np.concatenate([np.zeros((k, 1), int), below, np.full((k, 1), X.shape[1])], 1)
        return np.diff(ends, axis=1).astype(float)

    ref_counts, cur_counts = counts(R), counts(C)
    e = np.maximum(ref_counts / np.maximum(ref_counts.sum(axis=1, keepdims=True), 1), _EPS)
    a = np.maximum(cur_counts / np.maximum(cur_counts.sum(axis=1, keepdims=True), 1), _EPS)
    from scipy.spatial.distance import jensenshannon

    # KS: both empirical CDFs at the end of every run of equal values, from running counts.
    values = np.concatenate([R, C], axis=1)
    order = np.argsort(values, axis=1, kind="stable")
    ordered = np.take_along_axis(values, order, axis=1)
    from_ref = np.cumsum(order < nr, axis=1)
    from_cur = np.arange(1, nr + nc + 1) - from_ref
    run_end = np.concatenate([ordered[:, :-1] != ordered[:, 1:], np.ones((k, 1), bool)], 1)
    gap = np.abs(from_ref / nr - from_cur / nc)
    return {
        "ks": np.where(run_end, gap, 0.0).max(axis=1),
        "wasserstein": np.array([d.mean() for d in np.abs(qr - qc)]) / spread,
        "psi": np.sum((a - e) * np.log(a / e), axis=1),
        "js": np.asarray(jensenshannon(ref_counts, cur_counts, base=2, axis=1)),
    }, increasing


def _numeric_block(
    names: list[str], ref: Reference, cur: Reference, s: DriftSettings
) -> dict[str, ColumnDrift]:
    """``_compare_numeric`` of the columns that can be compared together: both samples
    hold all their values (no quantile grid), at most ``_KS_GRID`` of them, in sizes shared
    with other columns. Thousands of columns cost a few array operations, not thousands of
    Python calls each."""
    groups: dict[tuple[int, int], list[str]] = {}
    for name in names:
        r, c = ref.numeric[name], cur.numeric[name]
        plain = r.values.size == r.count and c.values.size == c.count
        if plain and 0 < r.count <= _KS_GRID and 0 < c.count <= _KS_GRID:
            groups.setdefault((r.count, c.count), []).append(name)
    done = {}
    for (nr, nc), group in groups.items():
        if len(group) < 2:
            continue  # one column: the plain path is as fast
        step = max(1, _BLOCK_CELLS // ((nr + nc) * s.bins))
        for start in range(0, len(group), step):
            chunk = group[start : start + step]
            R = np.stack([ref.numeric[n].values for n in chunk])
            C = np.stack([cur.numeric[n].values for n in chunk])
            std = np.array([ref.numeric[n].std for n in chunk])
            effects, increasing = _numeric_effects_block(R, C, std, s.bins)
            for i in np.flatnonzero(increasing):
                name = chunk[i]
                done[name] = _numeric_drift(
                    name, ref, cur, s, {key: float(v[i]) for key, v in effects.items()}
                )
    return done


def _compare_numeric(name: str, ref: Reference, cur: Reference, s: DriftSettings) -> ColumnDrift:
    r, c = ref.numeric[name], cur.numeric[name]
    effects = _numeric_effects(r, c, s.bins) if r.count and c.count else {}
    return _numeric_drift(name, ref, cur, s, effects)


def _numeric_drift(
    name: str, ref: Reference, cur: Reference, s: DriftSettings, effects: dict[str, float]
) -> ColumnDrift:
    r, c = ref.numeric[name], cur.numeric[name]
    effect, threshold = s.effect_for(name, categorical=False)
    d = effects.get("ks", float("nan"))
    en = r.count * c.count / max(r.count + c.count, 1)
    return ColumnDrift(
        column=name,
        kind="numeric",
        test="ks",
        statistic=d,
        p_value=_ks_p_value(d, int(np.round(en))) if effects and en >= 1 else 1.0,
        effects=effects,
        effect=effect,
        threshold=threshold,
        missing_reference=ref.missing[name],
        missing_current=cur.missing[name],
        reference_rows=ref.rows,
        current_rows=cur.rows,
        summary_reference=_summary_numeric(r),
        summary_current=_summary_numeric(c),
    )


def _top_levels(counts: pd.Series, total: int) -> Brief:
    if total == 0:
        return Brief()
    return Brief(
        levels=tuple((str(level), count / total) for level, count in counts.head(3).items())
    )


def _pooled_table(rc: pd.Series, cc: pd.Series) -> NDArray[np.float64]:
    """Level counts (reference, current) with levels too rare in the reference for the
    chi-square approximation pooled into one."""
    table = pd.concat([rc, cc], axis=1, keys=["ref", "cur"]).fillna(0.0)
    expected = table["ref"] / max(rc.sum(), 1) * cc.sum()
    rare = expected < _MIN_EXPECTED
    if rare.any():
        table = pd.concat([table[~rare], table[rare].sum().rename(RARE).to_frame().T])
    return table[table.sum(axis=1) > 0].to_numpy(dtype=float)


def _compare_categorical(
    name: str, ref: Reference, cur: Reference, s: DriftSettings
) -> ColumnDrift:
    rc, cc = ref.level_counts[name], cur.level_counts[name]
    counts = _pooled_table(rc, cc)
    if counts.shape[0] >= 2 and rc.sum() > 0 and cc.sum() > 0:
        chi2, p_value = stats.chi2_contingency(counts.T, correction=False)[:2]
    else:
        chi2, p_value = 0.0, 1.0
    effect, threshold = s.effect_for(name, categorical=True)
    ref_f, cur_f = counts[:, 0], counts[:, 1]
    return ColumnDrift(
        column=name,
        kind="categorical",
        test="chi2",
        statistic=float(chi2),
        p_value=float(p_value),
        effects={
            "psi": psi(ref_f, cur_f),
            "js": js_distance(ref_f, cur_f),
            "level_shift": _level_shift(ref_f, cur_f),
        },
        effect=effect,
        threshold=threshold,
        missing_reference=ref.missing[name],
        missing_current=cur.missing[name],
        reference_rows=ref.rows,
        current_rows=cur.rows,
        unseen_levels=tuple(sorted(set(cc.index) - set(rc.index))),
        summary_reference=_top_levels(rc, int(rc.sum())),
        summary_current=_top_levels(cc, int(cc.sum())),
    )


def _level_shift(expected: NDArray[np.float64], actual: NDArray[np.float64]) -> float:
    """The largest change of one level's share between two count vectors."""
    if expected.sum() == 0 or actual.sum() == 0:
        return 0.0
    return float(np.abs(expected / expected.sum() - actual / actual.sum()).max())


def _missing_p_value(result: ColumnDrift) -> float:
    """Two-proportion z-test of the missing rates."""
    n1, n2 = result.reference_rows, result.current_rows
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (result.missing_reference * n1 + result.missing_current * n2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = abs(result.missing_reference - result.missing_current) / se
    return float(2 * stats.norm.sf(z))


def _adjust(p_values: list[float]) -> NDArray[np.float64]:
    if not p_values:
        return np.array([])
    return np.asarray(stats.false_discovery_control(np.nan_to_num(p_values, nan=1.0), method="bh"))


def _judged(results: list[ColumnDrift], s: DriftSettings) -> list[ColumnDrift]:
    """Apply Benjamini-Hochberg across columns, then the effect-size thresholds."""
    adjusted = _adjust([r.p_value for r in results])
    missing_adjusted = _adjust([_missing_p_value(r) for r in results])
    judged = []
    for r, p_adj, p_missing in zip(results, adjusted, missing_adjusted, strict=True):
        effect = r.effects.get(r.effect, float("nan"))
        large = effect >= r.threshold or r.effects.get("level_shift", 0.0) >= s.max_level_shift
        change = abs(r.missing_current - r.missing_reference)
        judged.append(
            ColumnDrift(
                **{
                    **r.__dict__,
                    "p_adjusted": float(p_adj),
                    "drifted": bool(p_adj < s.alpha and large),
                    "missing_drifted": bool(p_missing < s.alpha and change >= s.max_missing_change),
                }
            )
        )
    return judged


def compare(
    reference: Reference,
    current: pd.DataFrame | Reference,
    settings: DriftSettings | None = None,
) -> list[ColumnDrift]:
    """Compare every reference column with ``current`` (a frame, or one prepared already);
    drifted columns first, then by effect."""
    s = settings or DriftSettings()
    if isinstance(current, pd.DataFrame):
        current = Reference.of(current, reference.columns, list(reference.level_counts))

    numeric = [n for n in reference.columns if n not in reference.level_counts]
    together = _numeric_block(numeric, reference, current, s)

    def one(name: str) -> ColumnDrift:
        if name in reference.level_counts:
            return _compare_categorical(name, reference, current, s)
        return _compare_numeric(name, reference, current, s)

    alone = [n for n in reference.columns if n not in together]
    each = dict(zip(alone, _in_threads(one, alone), strict=True))
    results = [together[n] if n in together else each[n] for n in reference.columns]
    ranked = sorted(_judged(results, s), key=lambda r: -np.nan_to_num(r.effect_value / r.threshold))
    return sorted(ranked, key=lambda r: not r.drifted)
