"""What the ``no_regression`` check computes (declared in mlready.checks.no_regression)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import stats

from mlready.check import Finding, SkipCheck, combine
from mlready.checks.compute._plots import interval_bars
from mlready.checks.no_regression import NoRegressionParams
from mlready.context import AuditContext
from mlready.numbers import fmt
from mlready.numbers import p_value as format_p
from mlready.results import AuditReport, CheckResult, Evidence, Outcome, Status
from mlready.stats.bootstrap import bootstrap_metrics, percentile_interval
from mlready.stats.metrics import Metric, point_estimate, shortfall

# Where an earlier report holds a metric on test, in order of preference (baseline's
# "model" is the primary metric only).
_SOURCES = (
    ("no_regression", "test_{metric}"),
    ("metric_parity", "test_{metric}"),
    ("baseline", "model"),
)


def _interval(e: Evidence) -> tuple[float, float]:
    """An earlier number's interval, or the number itself where the report holds none."""
    assert e.value is not None
    low = e.value if e.ci_low is None else e.ci_low
    return low, e.value if e.ci_high is None else e.ci_high


def _previous_metric(previous: AuditReport, metric: str, primary: bool) -> Evidence | None:
    for check_id, name in _SOURCES:
        if name == "model" and not primary:
            continue
        for check in previous.checks:
            if check.id != check_id:
                continue
            for e in check.evidence:
                if e.name == name.format(metric=metric) and e.value is not None:
                    return e
    return None


def _previous_number(previous: AuditReport, check_id: str, name: str) -> float | None:
    for check in previous.checks:
        for e in check.evidence:
            if check.id == check_id and e.name == name and e.value is not None:
                return float(e.value)
    return None


def _se(e: Evidence) -> float:
    """Standard error from a 95% interval (normal approximation)."""
    if e.ci_low is None or e.ci_high is None:
        return 0.0
    return (e.ci_high - e.ci_low) / (2 * 1.959964)


def run(
    context: AuditContext,
    params: NoRegressionParams,
    earlier: Mapping[str, CheckResult],
) -> Outcome:
    """The outcome of the check declared in mlready.checks.no_regression, on ``context``."""
    previous = context.previous
    if previous is None:
        raise SkipCheck("no earlier report to compare with: pass --compare-to PREVIOUS.json")
    metric = context.primary
    if previous.primary_metric != metric.name:
        raise SkipCheck(
            f"the earlier report's primary metric is {previous.primary_metric}, "
            f"not {metric.name}: set metrics.primary alike"
        )
    findings = [
        _metrics(context, params, previous),
        _speed(earlier.get("latency"), params, previous),
    ]
    return combine(findings, f"not worse than {previous.model.path or 'the earlier model'}")


def _metrics(context: AuditContext, params: NoRegressionParams, previous: AuditReport) -> Finding:
    """Every metric the earlier report holds, primary first: a challenger whose balanced
    accuracy fell from 0.62 to 0.50 is worse even if its ROC AUC is not."""
    y, prediction = context.y("test"), context.prediction("test")
    metrics = [context.primary, *context.extra_metrics]
    metrics = [m for m in metrics if m.needs == "label" or prediction.score is not None]
    samples = bootstrap_metrics(
        metrics, y, prediction, params.resamples, context.rng("no_regression")
    )
    before = {m.name: _previous_metric(previous, m.name, m is context.primary) for m in metrics}
    compared = [m for m in metrics if before[m.name] is not None]
    finding = Finding()
    for metric in metrics:
        low, high = percentile_interval(samples[metric.name], 0.95)
        value = point_estimate(metric, y, prediction)
        current = Evidence(name=f"test_{metric.name}", value=value, ci_low=low, ci_high=high)
        finding.evidence.append(current)
        earlier = before[metric.name]
        if earlier is not None:
            _compare(finding, metric, current, earlier, params, len(compared))
    if not compared:
        finding.notes.append("the earlier report holds no primary metric on test")
    elif before[context.primary.name] is None:
        finding.notes.append(f"the earlier report holds no {context.primary.name} on test")
    splits = {s.name: s.sha256 for s in previous.splits}
    if compared and splits.get("test") != context.split_sha256("test"):
        finding.notes.append(
            "the earlier report was measured on another test set: the "
            "comparison mixes model and data differences"
        )
    return finding


def _compare(
    finding: Finding,
    metric: Metric,
    current: Evidence,
    before: Evidence,
    params: NoRegressionParams,
    tests: int,
) -> None:
    """One metric against the earlier report's: a one-sided test on the difference of
    the two estimates at ``alpha`` over ``tests`` metrics."""
    assert current.value is not None and before.value is not None
    value = current.value
    drop = float(shortfall(metric, before.value, value))
    se = float(np.hypot(_se(current), _se(before)))
    z = (float(before.value) - value) / se if se > 0 else float("inf")
    if not metric.greater_is_better:
        z = -z
    p_value = float(stats.norm.sf(z)) if np.isfinite(z) else 0.0
    finding.evidence.append(
        Evidence(name=f"{metric.name}_drop", value=drop, threshold=params.max_regression, op="<=")
    )
    finding.plots.append(
        interval_bars(
            f"{metric.name} on test: earlier model vs this one",
            metric.name,
            ["before", "now"],
            [before.value, value],
            [_interval(before), _interval(current)],
        )
    )
    text = (
        f"{metric.name} {fmt(value)} vs {fmt(before.value)} before (drop {fmt(drop)}, "
        f"one-sided {format_p(p_value)})"
    )
    if drop > params.max_regression and p_value < params.alpha / tests:
        finding.verdicts.append((Status.FAIL, f"worse than the earlier model: {text}"))
    elif drop > params.max_regression:
        finding.verdicts.append((Status.WARN, f"possibly worse, within sampling error: {text}"))


def _speed(
    latency: CheckResult | None, params: NoRegressionParams, previous: AuditReport
) -> Finding:
    finding = Finding()
    if latency is None:
        return finding
    now = {e.name: e.value for e in latency.evidence}
    for name, allowance in (
        ("p95_latency_ms", params.max_latency_regression),
        ("cost_per_1k", params.max_cost_regression),
    ):
        before = _previous_number(previous, "latency", name)
        current = now.get(name)
        if before is None or current is None or before <= 0:
            continue
        rise = float(current) / before - 1
        finding.evidence.append(
            Evidence(name=f"{name}_rise", value=rise, threshold=allowance, op="<=")
        )
        if rise > allowance:
            finding.verdicts.append(
                (
                    Status.FAIL,
                    (
                        f"{name} rose {fmt(100 * rise)}% ({fmt(before)} -> {fmt(current)}), "
                        "more "
                        f"than {fmt(100 * allowance)}%"
                    ),
                )
            )
    return finding
