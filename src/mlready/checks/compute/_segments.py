"""Metrics per time window and per slice, for ``metric_parity``.

A window or slice fails only when it is worse than its bar beyond sampling
error: a one-sided test on its bootstrap standard error, Bonferroni-corrected
over every window or slice judged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlready.check import Finding
from mlready.checks._params import SegmentParams
from mlready.checks.compute._plots import interval_bars, window_lines
from mlready.context import AuditContext
from mlready.numbers import fmt, listed
from mlready.results import Cell, Evidence, Measure, Status, Table
from mlready.spec import SliceSpec
from mlready.stats import groups as grouping
from mlready.stats.metrics import Metric, point_estimate, shortfall


def _bar(
    metric: Metric, overall: float, minimum: float | None, max_gap: float | None
) -> float | None:
    """The value a window or slice must reach: the stricter of an absolute and a gap bar."""
    bars = [] if minimum is None else [minimum]
    if max_gap is not None:
        bars.append(overall - max_gap if metric.greater_is_better else overall * (1 + max_gap))
    if not bars:
        return None
    return max(bars) if metric.greater_is_better else min(bars)


@dataclass(frozen=True)
class _Segment:
    column: str
    stat: grouping.GroupStat
    shortfall: float
    failing: bool


def _judge(
    metric: Metric,
    stats: list[tuple[str, grouping.GroupStat]],
    overall: float,
    bar: float | None,
    n_tests: int,
    params: SegmentParams,
) -> list[_Segment]:
    """Each segment with its shortfall; failing when worse than the bar beyond chance,
    Bonferroni-corrected over ``n_tests`` judged segments."""
    alpha = params.alpha / max(n_tests, 1)
    return [
        _Segment(
            column,
            stat,
            float(shortfall(metric, overall, stat.value)),
            bar is not None
            and stat.fewest >= params.min_class_rows
            and grouping.worse_than(metric, stat, bar, alpha),
        )
        for column, stat in stats
    ]


def _badness(segment: _Segment) -> float:
    """The shortfall, with an undefined metric ranked below every defined one."""
    return segment.shortfall if math.isfinite(segment.shortfall) else -math.inf


def _segment_rows(
    segments: list[_Segment], with_column: bool, min_class_rows: int
) -> list[list[Cell]]:
    # Worst first; segments where the metric is undefined (one class only) last.
    ordered = sorted(segments, key=_badness, reverse=True)
    return [
        [
            *([s.column] if with_column else []),
            s.stat.label,
            s.stat.rows,
            _number(s.stat.value),
            Measure.between(s.stat.ci_low, s.stat.ci_high),
            Measure.change(s.shortfall),
            _verdict_of(s, min_class_rows),
        ]
        for s in ordered
    ]


def _verdict_of(segment: _Segment, min_class_rows: int) -> str:
    if segment.failing:
        return "below the bar"
    if segment.stat.fewest < min_class_rows:
        return f"not judged: {segment.stat.fewest} rows of its rarest class"
    return ""


def _number(value: float | None) -> float | None:
    return None if value is None else float(value)


def _worst_evidence(
    name: str, segment: _Segment, bar: float | None, metric: Metric, label: str
) -> Evidence:
    return Evidence(
        name=name,
        value=segment.stat.value,
        threshold=bar,
        op=">=" if metric.greater_is_better else "<=",
        ci_low=segment.stat.ci_low,
        ci_high=segment.stat.ci_high,
        reference=label,
        unit=metric.name,
    )


def _windows_of(
    context: AuditContext, split: str, metric: Metric, params: SegmentParams, benchmark: float
) -> Finding:
    """The windows of ``split`` held to the bar set by ``benchmark``, the metric on the
    whole test set (production is judged against what test promised, not its own mean)."""
    y, prediction = context.y(split), context.prediction(split)
    groups = grouping.by_window(context.times(split), params.window)
    sizes = groups.sizes()
    stats = grouping.group_stats(
        metric,
        y,
        prediction,
        groups,
        [g for g in range(len(sizes)) if sizes[g] >= 2],
        params.n_resamples,
        context.rng(f"metric_parity.windows.{split}"),
        params.confidence,
    )
    judged = [s for s in stats if s.rows >= params.min_window_rows]
    bar = _bar(metric, benchmark, params.min_window_metric, params.max_window_gap)
    segments = _judge(
        metric, [(params.window, s) for s in judged], benchmark, bar, len(judged), params
    )
    table = Table(
        title=f"{metric.name} by {params.window} on {split} (worst first; windows under "
        f"{params.min_window_rows} rows not judged)",
        columns=[params.window, "rows", metric.name, "CI", "shortfall", "verdict"],
        rows=_segment_rows(segments, with_column=False, min_class_rows=params.min_class_rows),
    )
    plot = window_lines(
        f"{metric.name} by {params.window} on {split} ({params.confidence:.0%} CI)",
        params.window,
        metric.name,
        [s.label for s in stats],
        {metric.name: ([s.value for s in stats], [(s.ci_low, s.ci_high) for s in stats])},
        reference=benchmark,
        reference_label="test overall",
    )
    if not segments:
        return Finding(tables=[table], plots=[plot])
    worst_segment = max(segments, key=_badness)
    evidence = [
        _worst_evidence(
            f"worst_window_{split}", worst_segment, bar, metric, worst_segment.stat.label
        )
    ]
    values = np.array([s.value for s in judged])
    evidence.append(
        Evidence(name=f"window_spread_{split}", value=float(values.max() - values.min()))
    )
    if len(judged) >= 3:
        slope, tau, p_value = grouping.trend(values, np.array([s.rows for s in judged]))
        evidence += [
            Evidence(name=f"window_trend_slope_{split}", value=slope, unit=f"per {params.window}"),
            Evidence(name=f"window_trend_tau_{split}", value=tau),
            Evidence(name=f"window_trend_p_{split}", value=p_value),
        ]
    failing = [s for s in segments if s.failing]
    finding = Finding(evidence=evidence, tables=[table], plots=[plot])
    if failing:
        labels = listed((s.stat.label for s in failing), 3)
        finding.verdicts.append(
            (
                Status.FAIL,
                f"{metric.name} is worse than {fmt(bar)} in {len(failing)} "
                f"{params.window}(s) of {split} (worst {worst_segment.stat.label}: "
                f"{fmt(worst_segment.stat.value)}; {labels})",
            )
        )
    return finding


def windows(context: AuditContext, metric: Metric, params: SegmentParams) -> list[Finding]:
    if context.spec.data.time is None or not context.has_labels("test"):
        return []
    benchmark = point_estimate(metric, context.y("test"), context.prediction("test"))
    return [
        _windows_of(context, split, metric, params, benchmark)
        for split in ("test", "production")
        if context.has_labels(split)
    ]


def column_groups(
    context: AuditContext, spec: str | SliceSpec, split: str = "test"
) -> grouping.Groups:
    """Groups of the labelled rows of ``split`` by a column: its levels, or bins of a
    numeric column (the given edges or quantiles, else quartiles beyond 20 values)."""
    slice_spec = SliceSpec(column=spec) if isinstance(spec, str) else spec
    values = context.column(split, slice_spec.column)
    if slice_spec.edges is not None or slice_spec.quantiles is not None:
        return grouping.by_bins(values, slice_spec.edges, slice_spec.quantiles)
    if slice_spec.column not in context.categorical and values.nunique() > 20:
        return grouping.by_bins(values, quantiles=4)
    return grouping.by_level(values)


def _search_groups(context: AuditContext, params: SegmentParams) -> list[grouping.Groups]:
    return grouping.search_groups(context.X("test"), context.categorical, params.quantile_bins)


def slices(context: AuditContext, metric: Metric, params: SegmentParams) -> Finding:
    explicit = context.spec.data.slices
    if not explicit and not params.auto_slices:
        return Finding()
    y, prediction = context.y("test"), context.prediction("test")
    overall = point_estimate(metric, y, prediction)
    all_groups = (
        [column_groups(context, s) for s in explicit]
        if explicit
        else _search_groups(context, params)
    )
    candidates = [
        (groups, g)
        for groups in all_groups
        for g, size in enumerate(groups.sizes())
        if size >= params.min_slice_size
    ]
    if not explicit:  # keep the worst few, but judge them as one of all the slices searched
        points = {
            id(groups): values
            for groups, values in zip(
                all_groups,
                grouping.points_of_many(metric, y, prediction, all_groups),
                strict=True,
            )
        }

        def badness(item: tuple[grouping.Groups, int]) -> float:
            value = float(shortfall(metric, overall, points[id(item[0])][item[1]]))
            return value if math.isfinite(value) else -math.inf

        candidates = sorted(candidates, key=badness, reverse=True)[: params.top_slices]
    rng = context.rng("metric_parity.slices")
    stats = [
        (groups.column, stat)
        for groups in all_groups
        for stat in grouping.group_stats(
            metric,
            y,
            prediction,
            groups,
            [g for gr, g in candidates if gr is groups],
            params.n_resamples,
            rng,
            params.confidence,
        )
    ]
    n_tests = sum(int((g.sizes() >= params.min_slice_size).sum()) for g in all_groups)
    bar = _bar(metric, overall, params.min_slice_metric, params.max_slice_gap)
    segments = _judge(metric, stats, overall, bar, n_tests, params)
    how = (
        "from data.slices"
        if explicit
        else f"found automatically: the {len(segments)} worst of {n_tests} slices of "
        f"{len(all_groups)} features"
    )
    table = Table(
        title=f"{metric.name} by slice on test, {how} (worst first; overall "
        f"{fmt(overall)}; slices under {params.min_slice_size} rows not judged)",
        columns=["column", "slice", "rows", metric.name, "CI", "shortfall", "verdict"],
        rows=_segment_rows(segments, with_column=True, min_class_rows=params.min_class_rows),
    )
    if not segments:
        return Finding(tables=[table])
    shown = segments[:12]
    plot = interval_bars(
        f"{metric.name} by slice on test (worst first, {params.confidence:.0%} CI)",
        metric.name,
        [f"{s.column}={s.stat.label}" for s in shown],
        [s.stat.value for s in shown],
        [(s.stat.ci_low, s.stat.ci_high) for s in shown],
        reference=overall,
        reference_label="overall",
    )
    worst_segment = max(segments, key=_badness)
    label = f"{worst_segment.column}={worst_segment.stat.label}"
    evidence = [_worst_evidence("worst_slice", worst_segment, bar, metric, label)]
    failing = [s for s in segments if s.failing]
    if not failing:
        return Finding(evidence=evidence, tables=[table], plots=[plot])
    named = ", ".join(
        f"{s.column}={s.stat.label} ({fmt(s.stat.value)}, {s.stat.rows} rows)"
        for s in sorted(failing, key=lambda s: -s.shortfall)[:3]
    )
    message = f"{metric.name} is {fmt(overall)} overall but worse than {fmt(bar)} for {named}"
    finding = Finding(evidence=evidence, tables=[table], plots=[plot])
    if explicit:
        finding.verdicts.append((Status.FAIL, message))
        return finding
    # Slices found by searching are leads to look into, not verdicts: slicing on the
    # features the model splits on lowers within-slice scores by construction.
    finding.verdicts.append(
        (
            Status.WARN,
            f"{message} (found automatically; name the columns that matter in data.slices to "
            "judge them)",
        )
    )
    return finding
