"""What the ``latency`` check computes (declared in mlready.checks.latency)."""

from __future__ import annotations

from mlready.check import Finding, SkipCheck, combine
from mlready.checks.compute._plots import interval_bars
from mlready.checks.latency import LatencyParams
from mlready.context import AuditContext
from mlready.errors import ModelLoadError
from mlready.limits import (
    breaches_of,
    cost_per_1k,
    groups_without_a_limit,
    limit_evidence,
    plan,
    unjudged,
)
from mlready.numbers import fmt
from mlready.perf import Measurement, PerfSettings, measure
from mlready.results import Evidence, Outcome, Plot, Status, Table
from mlready.spec import LimitsSpec
from mlready.stats.metrics import point_estimate


def settings(params: LatencyParams, quick: bool, limits: LimitsSpec) -> PerfSettings:
    """The measuring plan of the check's options (see :func:`mlready.limits.plan`)."""
    return plan(
        quick or params.quick,
        limits,
        calls=params.calls,
        repeats=params.repeats,
        batch_sizes=tuple(params.batch_sizes),
        threads=params.threads,
        method=params.method,
        measure_memory=params.measure_memory,
    )


def _plots(m: Measurement, limits: LimitsSpec) -> list[Plot]:
    """Single-row latency percentiles against the p95 limit; throughput by batch size."""
    names = ("p50", "p95", "p99", "max")
    limit = limits.p95_latency_ms
    latency = interval_bars(
        "Single-row latency (ms)",
        "ms",
        names,
        [m.latency_ms[n] for n in names],
        reference=limit,
        reference_label="p95 limit" if limit else None,
    )
    sizes = sorted(m.throughput_rps)
    throughput = interval_bars(
        "Throughput by batch size (rows/s; min to max of repeats)",
        "rows/s",
        [str(b) for b in sizes],
        [m.throughput_rps[b] for b in sizes],
        [m.throughput_spread[b] for b in sizes],
        reference=limits.min_throughput_rps,
        reference_label="minimum" if limits.min_throughput_rps else None,
    )
    return [latency, throughput]


def _goal(context: AuditContext) -> Finding:
    goal = context.spec.limits.min_primary_metric
    if goal is None or not context.has_labels("test"):
        return Finding()
    metric = context.primary
    value = point_estimate(metric, context.y("test"), context.prediction("test"))
    op = ">=" if metric.greater_is_better else "<="
    evidence = Evidence(name=f"test_{metric.name}", value=value, threshold=goal, op=op)
    met = value >= goal if metric.greater_is_better else value <= goal
    if met:
        return Finding(evidence=[evidence])
    return Finding.of(
        Status.FAIL,
        f"{metric.name} {fmt(value)} misses the goal min_primary_metric {fmt(goal)}",
        [evidence],
    )


def _conditions_table(m: Measurement) -> Table:
    return Table(
        title="Measuring conditions",
        columns=["item", "value"],
        rows=[[k, ", ".join(v) if isinstance(v, list) else v] for k, v in m.conditions.items()],
    )


def run(context: AuditContext, params: LatencyParams) -> Outcome:
    """The outcome of the check declared in mlready.checks.latency, on ``context``."""
    model = context.loaded_model
    if context.model_problem is not None:
        raise ModelLoadError(f"nothing to time: {context.model_problem}")
    if model is None:
        raise SkipCheck("predictions-only mode: there is no model to time")
    frame = context.X("test") if context.has_labels("test") else context.frame("test")
    if len(frame) > params.sample_rows:
        rows = context.rng("latency").choice(len(frame), params.sample_rows, replace=False)
        frame = frame.iloc[sorted(rows)]
    plan = settings(params, context.quick, context.spec.limits)
    m = measure(
        model.estimator,
        model.path,
        model.sha256,
        frame[context.features],
        plan,
        context.sandbox,
    )
    limits, cost = context.spec.limits, context.spec.cost
    evidence = limit_evidence(m, limits, cost_per_1k(m, cost.per_hour, cost.mode))
    parts = [
        Finding(evidence=evidence, tables=[_conditions_table(m)], plots=_plots(m, limits)),
        _goal(context),
    ]
    # Below 50 calls a repeat, the time bound on a slow model cut the timings short.
    enough = min(plan.calls, 50) * plan.repeats
    if m.latency_calls < enough:
        parts[0].notes.append(
            f"single-row calls take about {fmt(m.latency_ms['p50'])} ms, so only "
            f"{m.latency_calls} were timed (of {plan.calls * plan.repeats} planned): the "
            "latency percentiles are rougher than usual"
        )
    breaches = breaches_of(evidence)
    if breaches:
        parts.append(Finding.of(Status.FAIL, "over the limit: " + "; ".join(breaches)))
    unmeasured = unjudged(limits, evidence)
    if unmeasured:
        parts.append(Finding.of(Status.WARN, "limit set but not judged: " + "; ".join(unmeasured)))
    missing = groups_without_a_limit(limits)
    if missing:
        parts.append(
            Finding.of(
                Status.WARN,
                f"no limit set for {'; '.join(missing)}: set one for each under limits "
                "in checklist.yaml",
            )
        )
    return combine(
        parts,
        f"within every limit: p95 {fmt(m.latency_ms['p95'])} ms, "
        f"{fmt(m.throughput_rps[max(m.throughput_rps)])} rows/s",
    )
