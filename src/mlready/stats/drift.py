"""Comparing a reference sample with a current one, column by column.

One engine for split analysis, production drift and (later) monitoring.

Method, by column type:

- numeric: two-sample Kolmogorov-Smirnov (statistic D and p-value), Wasserstein
  distance in units of the reference's standard deviation, PSI and
  Jensen-Shannon distance on bins fixed at reference deciles;
- categorical: chi-square on the level counts (levels rare in the reference
  pooled, levels unseen in the reference named), PSI and Jensen-Shannon
  distance on level frequencies;
- every column: the missing-value rate on both sides.

A column has drifted when its change is both *real* and *large enough to
matter*: the Benjamini-Hochberg-adjusted p-value of its test is below
``alpha`` (this is what protects small samples from noise) and its effect
size reaches a threshold (normalised Wasserstein for numeric, PSI for
categorical columns by default; this is what keeps a 1M-row comparison from
flagging a 0.1% shift that any p-value would call significant). Both the
effect statistic and its threshold can be chosen per column.

Numeric columns are sorted once each and kept as at most 100,001 quantiles (the
distribution to within 1e-5, whatever the rows); columns are compared in a thread pool
(numpy releases the GIL while sorting and searching).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

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


@dataclass(frozen=True)
class DriftSettings:
    """How drift is judged; the defaults are documented in the checks that use them."""

    alpha: float = 0.05
    numeric_effect: Effect = "wasserstein"
    numeric_threshold: float = 0.1
    categorical_effect: Effect = "psi"
    categorical_threshold: float = 0.1
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
class ColumnDrift:
    """Everything measured about one column, and the verdict."""

    column: str
    kind: Literal["numeric", "categorical"]
    test: Literal["ks", "chi2"]
    statistic: float  # KS D, or the chi-square statistic
    p_value: float
    effects: dict[str, float]  # wasserstein, ks, psi, js (those that apply)
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
    summary_reference: str = ""
    summary_current: str = ""

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
        finite = np.sort(array[np.isfinite(array)])
        mean = float(finite.mean()) if finite.size else float("nan")
        std = float(finite.std()) if finite.size else float("nan")
        sample = cls(finite, finite.size, mean, std).grid(_KEPT_QUANTILES)
        return sample, (array.size - finite.size) / max(array.size, 1)

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
        numeric = [c for c in columns if c not in categorical]

        def prepare(column: str) -> tuple[NumericSample, float]:
            return NumericSample.of(frame[column])

        with ThreadPoolExecutor(max_workers=2) as pool:
            prepared = dict(zip(numeric, pool.map(prepare, numeric), strict=True))
        levels = {c: level_counts(frame[c]) for c in columns if c in categorical}
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


def _summary_numeric(x: NumericSample) -> str:
    if x.values.size == 0:
        return "no values"
    p5, p50, p95 = x.values[(np.array([0.05, 0.5, 0.95]) * (x.values.size - 1)).astype(int)]
    return f"mean {x.mean:.4g}, median {p50:.4g}, p5-p95 {p5:.4g} to {p95:.4g}"


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


def _compare_numeric(name: str, ref: Reference, cur: Reference, s: DriftSettings) -> ColumnDrift:
    r, c = ref.numeric[name], cur.numeric[name]
    effect, threshold = s.effect_for(name, categorical=False)
    effects = _numeric_effects(r, c, s.bins) if r.count and c.count else {}
    d = effects.get("ks", float("nan"))
    en = r.count * c.count / max(r.count + c.count, 1)
    return ColumnDrift(
        column=name, kind="numeric", test="ks", statistic=d,
        p_value=float(stats.kstwo.sf(d, np.round(en))) if effects and en >= 1 else 1.0,
        effects=effects, effect=effect, threshold=threshold,
        missing_reference=ref.missing[name], missing_current=cur.missing[name],
        reference_rows=ref.rows, current_rows=cur.rows,
        summary_reference=_summary_numeric(r), summary_current=_summary_numeric(c),
    )  # fmt: skip


def _top_levels(counts: pd.Series, total: int) -> str:
    if total == 0:
        return "no values"
    return ", ".join(f"{level} {count / total:.1%}" for level, count in counts.head(3).items())


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
        column=name, kind="categorical", test="chi2", statistic=float(chi2),
        p_value=float(p_value), effects={"psi": psi(ref_f, cur_f), "js": js_distance(ref_f, cur_f)},
        effect=effect, threshold=threshold, missing_reference=ref.missing[name],
        missing_current=cur.missing[name], reference_rows=ref.rows, current_rows=cur.rows,
        unseen_levels=tuple(sorted(set(cc.index) - set(rc.index))),
        summary_reference=_top_levels(rc, int(rc.sum())),
        summary_current=_top_levels(cc, int(cc.sum())),
    )  # fmt: skip


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
        change = abs(r.missing_current - r.missing_reference)
        judged.append(
            ColumnDrift(
                **{
                    **r.__dict__,
                    "p_adjusted": float(p_adj),
                    "drifted": bool(p_adj < s.alpha and effect >= r.threshold),
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

    def one(name: str) -> ColumnDrift:
        if name in reference.level_counts:
            return _compare_categorical(name, reference, current, s)
        return _compare_numeric(name, reference, current, s)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, reference.columns))
    ranked = sorted(_judged(results, s), key=lambda r: -np.nan_to_num(r.effect_value / r.threshold))
    return sorted(ranked, key=lambda r: not r.drifted)
