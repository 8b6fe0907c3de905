"""What the ``metric_parity`` check computes (declared in mlready.checks.metric_parity)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mlready.check import Finding, SkipCheck, combine
from mlready.checks.compute._model_plots import test_plots
from mlready.checks.compute._plots import interval_bars
from mlready.checks.compute._segments import slices, windows
from mlready.checks.metric_parity import MetricParityParams
from mlready.context import AuditContext
from mlready.numbers import fmt, percent
from mlready.results import CheckResult, Evidence, Measure, Outcome, Status, Table
from mlready.stats.bootstrap import bootstrap_metrics, percentile_interval
from mlready.stats.metrics import (
    METRICS,
    PRIOR_INDEPENDENT,
    Metric,
    point_estimate,
    shortfall,
)
from mlready.stats.priors import share_shift

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class _SplitMetrics:
    rows: int
    points: dict[str, float]
    samples: dict[str, NDArray[np.float64]]


def _usable_metrics(context: AuditContext) -> list[Metric]:
    metrics = [context.primary, *context.extra_metrics]
    has_scores = context.prediction("test").score is not None
    return [m for m in metrics if m.needs == "label" or has_scores]


def _measure_splits(
    context: AuditContext, metrics: list[Metric], params: MetricParityParams
) -> dict[str, _SplitMetrics]:
    measured = {}
    for split in (s for s in SPLITS if context.has_labels(s)):
        y, prediction = context.y(split), context.prediction(split)
        samples = bootstrap_metrics(
            metrics, y, prediction, params.n_resamples, context.rng(f"metric_parity.{split}")
        )
        points = {m.name: point_estimate(m, y, prediction) for m in metrics}
        measured[split] = _SplitMetrics(y.size, points, samples)
    return measured


def _split_table(
    measured: dict[str, _SplitMetrics], metrics: list[Metric], confidence: float
) -> Table:
    def cell(split: _SplitMetrics, name: str) -> Measure:
        low, high = percentile_interval(split.samples[name], confidence)
        return Measure(value=float(split.points[name]), low=low, high=high)

    return Table(
        title=f"Metrics by split ({confidence:.0%} bootstrap intervals)",
        columns=["split", "rows", *(m.name for m in metrics)],
        rows=[[name, s.rows, *(cell(s, m.name) for m in metrics)] for name, s in measured.items()],
    )


def _split_evidence(
    measured: dict[str, _SplitMetrics], metric: Metric, confidence: float
) -> list[Evidence]:
    evidence = []
    for split, m in measured.items():
        low, high = percentile_interval(m.samples[metric.name], confidence)
        evidence.append(
            Evidence(
                name=f"{split}_{metric.name}",
                value=m.points[metric.name],
                ci_low=low,
                ci_high=high,
                unit=metric.name,
            )
        )
    return evidence


def _overfit_gap(
    measured: dict[str, _SplitMetrics],
    metric: Metric,
    params: MetricParityParams,
    doubts: list[str],
) -> Finding:
    """The drop from train to test. A flexible model scores near perfectly on its own
    training rows, so a drop alone is evidence to show: it fails beyond the user's bar, or,
    without one, when validation disagrees with test or a naive baseline scores better
    (``doubts``: why test's number may not hold)."""
    train, test = measured["train"], measured["test"]
    gap = float(shortfall(metric, train.points[metric.name], test.points[metric.name]))
    samples = shortfall(metric, train.samples[metric.name], test.samples[metric.name])
    low, high = percentile_interval(np.asarray(samples, dtype=float), params.confidence)
    bar = params.max_train_test_gap
    evidence = Evidence(
        name="train_test_gap",
        value=gap,
        threshold=bar,
        op="<=" if bar is not None else None,
        ci_low=low,
        ci_high=high,
    )
    drop = (
        f"{metric.name} drops by {fmt(gap)} from train ({fmt(train.points[metric.name])}) to "
        f"test ({fmt(test.points[metric.name])}; {params.confidence:.0%} CI {fmt(low)} to "
        f"{fmt(high)})"
    )
    if low <= 0:
        return Finding(evidence=[evidence])
    if bar is not None:
        if gap <= bar:
            return Finding(evidence=[evidence])
        return Finding.of(
            Status.FAIL, f"overfit: {drop}, above max_train_test_gap {bar}", [evidence]
        )
    if doubts:
        return Finding.of(
            Status.FAIL,
            f"overfit: {drop}, and test's number is in doubt ({'; '.join(doubts)})",
            [evidence],
        )
    return Finding(
        evidence=[evidence],
        notes=[
            f"{drop}: shown, not judged: nothing puts test's number in doubt (no validation "
            "split disagrees with it, no naive baseline scores better); set max_train_test_gap "
            "for a bar"
        ],
    )


def _loses_to_naive(baseline: CheckResult | None) -> list[str]:
    """The baseline check's naive tier, when it scores better than the model: a model worse
    than predicting the mean has a test number no one should ship on (the gap it joins is
    beyond chance already). Not beating it clearly is the baseline check's own verdict."""
    naive = (
        next((e for e in baseline.evidence if e.name == "margin_naive"), None) if baseline else None
    )
    if naive is None or naive.value is None or naive.value >= 0:
        return []
    return [
        f"it scores worse than the naive baseline {naive.reference} (margin "
        f"{fmt(naive.value)}, CI {fmt(naive.ci_low)} to {fmt(naive.ci_high)})"
    ]


def _validation_vs_test(
    measured: dict[str, _SplitMetrics], metric: Metric, confidence: float
) -> Finding:
    if "validation" not in measured:
        return Finding()
    valid, test = measured["validation"], measured["test"]
    diff = valid.points[metric.name] - test.points[metric.name]
    low, high = percentile_interval(
        valid.samples[metric.name] - test.samples[metric.name], confidence
    )
    evidence = Evidence(name="validation_minus_test", value=diff, ci_low=low, ci_high=high)
    if low > 0 or high < 0:
        return Finding.of(
            Status.WARN,
            f"validation and test disagree: {metric.name} "
            f"{fmt(valid.points[metric.name])} vs {fmt(test.points[metric.name])} "
            f"(difference {fmt(diff, signed=True)}, {confidence:.0%} CI {fmt(low)} to "
            f"{fmt(high)}); they may not come from the same distribution",
            [evidence],
        )
    return Finding(evidence=[evidence])


def _sample_size(test: _SplitMetrics, metric: Metric, params: MetricParityParams) -> Finding:
    low, high = percentile_interval(test.samples[metric.name], params.confidence)
    absolute = half = (high - low) / 2
    width = f"±{fmt(absolute)}"
    if not metric.greater_is_better:  # errors: relative to their size
        half /= abs(test.points[metric.name]) or 1.0
        width = f"±{fmt(absolute)} {metric.name}, {percent(half)} of its value,"
    evidence = Evidence(
        name="test_ci_halfwidth", value=half, threshold=params.max_ci_halfwidth, op="<="
    )
    if half > params.max_ci_halfwidth:
        # Interval width shrinks with the square root of the number of rows.
        needed = math.ceil(test.rows * (half / params.max_ci_halfwidth) ** 2)
        return Finding.of(
            Status.WARN,
            f"test set too small for {metric.name} to be trusted: its "
            f"{params.confidence:.0%} interval is {width} wide (max_ci_halfwidth "
            f"{params.max_ci_halfwidth}); about {needed} test rows would be needed at "
            "the current variance",
            [evidence],
        )
    return Finding(evidence=[evidence])


def _priors(context: AuditContext, params: MetricParityParams) -> Finding:
    """Class shares of test and labelled production against train: a shift beyond
    ``max_prior_shift`` (surely, allowing for sampling error) or training weights mean
    prior-dependent metrics may not carry over."""
    assert context.classes is not None
    k = len(context.classes)
    counts = {
        s: np.bincount(context.y(s), minlength=k)
        for s in (*SPLITS, "production")
        if context.has_labels(s)
    }
    compared = [s for s in ("test", "production") if s in counts]
    shifts = {
        s: share_shift(counts["train"], counts[s], params.confidence, k * len(compared))
        for s in compared
    }
    moved = max(compared, key=lambda s: shifts[s][1])  # the split surest to have moved
    shift, lower = max(change for change, _ in shifts.values()), shifts[moved][1]
    table = Table(
        title="Class shares by split",
        columns=["split", *map(str, context.classes)],
        rows=[[s, *(Measure.share_of(v) for v in c / c.sum())] for s, c in counts.items()],
    )
    evidence = [
        Evidence(
            name="prior_shift",
            value=shift,
            ci_low=lower,
            threshold=params.max_prior_shift,
            op="<=",
        )
    ]
    weighted = context.spec.data.sample_weight is not None
    if lower <= params.max_prior_shift and not weighted:
        return Finding(evidence=evidence, tables=[table])
    reason = (
        "training used sample weights"
        if weighted
        else f"class shares differ between train and {moved} by up to "
        f"{fmt(shifts[moved][0])}, beyond sampling error"
    )
    return Finding.of(
        Status.WARN,
        f"{reason}: prior-dependent metrics (accuracy, precision) on test "
        "may not carry over; compare the prior-independent ones in the report",
        evidence,
        [table, _prior_table(context)],
    )


def _prior_table(context: AuditContext) -> Table:
    y, prediction = context.y("test"), context.prediction("test")
    rows = []
    for metric in METRICS.values():
        if context.task in metric.tasks and (
            metric.needs == "label" or prediction.score is not None
        ):
            kind = "prior-independent" if metric.name in PRIOR_INDEPENDENT else "prior-dependent"
            rows.append([metric.name, kind, fmt(point_estimate(metric, y, prediction))])
    rows.sort(key=lambda r: r[1], reverse=True)
    return Table(
        title="Test metrics by dependence on class priors",
        columns=["metric", "kind", "test"],
        rows=rows,
    )


def run(
    context: AuditContext,
    params: MetricParityParams,
    earlier: Mapping[str, CheckResult],
) -> Outcome:
    """The outcome of the check declared in mlready.checks.metric_parity, on ``context``."""
    if not context.has_labels("test"):
        raise SkipCheck("the test split has no labelled rows")
    metrics, primary = _usable_metrics(context), context.primary
    measured = _measure_splits(context, metrics, params)
    names = list(measured)
    by_split = interval_bars(
        f"{primary.name} by split ({params.confidence:.0%} CI)",
        primary.name,
        names,
        [measured[n].points[primary.name] for n in names],
        [percentile_interval(measured[n].samples[primary.name], params.confidence) for n in names],
    )
    parts = [
        Finding(
            evidence=_split_evidence(measured, primary, params.confidence)
            + [
                e
                for extra in metrics[1:]
                for e in _split_evidence({"test": measured["test"]}, extra, params.confidence)
            ],
            tables=[_split_table(measured, metrics, params.confidence)],
            plots=[by_split, *test_plots(context)],
        )
    ]
    agreement = _validation_vs_test(measured, primary, params.confidence)
    size = _sample_size(measured["test"], primary, params)
    # A small test set makes its number imprecise (``size`` says so), not wrong: a
    # validation split that disagrees, or a loss to the baselines, puts it in doubt.
    doubts = ["validation and test disagree, see below"] if agreement.verdicts else []
    doubts += _loses_to_naive(earlier.get("baseline"))
    parts += [_overfit_gap(measured, primary, params, doubts), agreement, size]
    if context.classes is not None:
        parts.append(_priors(context, params))
    parts += [*windows(context, primary, params), slices(context, primary, params)]
    test, train = (measured[s].points[primary.name] for s in ("test", "train"))
    return combine(
        parts,
        f"test {primary.name} {fmt(test)}, train {fmt(train)}: test's number holds up "
        "(no judged overfitting, subgroup or window shortfall beyond chance)",
    )
