"""``latency``: speed, memory, size and cost of the model, against the hard limits."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt

from mlready.check import Capabilities, CheckParams, Finding, SkipCheck, combine
from mlready.checks._plots import interval_bars
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


class LatencyParams(CheckParams):
    calls: int = Field(300, ge=20, description="Single-row predictions timed per repeat.")
    repeats: int = Field(3, ge=1, le=20, description="Times every measurement is repeated.")
    batch_sizes: list[PositiveInt] = Field(
        default_factory=lambda: [1, 32, 1024],
        description="Batch sizes for throughput (the whole sample is always added).",
    )
    sample_rows: int = Field(10_000, ge=10, description="Test rows sampled for the timings.")
    threads: int = Field(1, ge=1, description="BLAS/OpenMP threads while measuring.")
    method: Literal["predict", "predict_proba"] = Field(
        "predict", description="Model method timed: predict or predict_proba."
    )
    measure_memory: bool = Field(True, description="Measure peak memory in a child process.")
    quick: bool = Field(False, description="Fewer calls and repeats, for CI (--quick).")


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


class LatencyCheck:
    """Have goals and hard limits for performance, speed and cost been set, and are they met?

    What it checks:
        On rows sampled from test: the model file's size; single-row latency
        (p50, p95, p99, max over repeated calls after warm-up); throughput at
        several batch sizes (1, 32, 1024 and the whole sample); peak memory and
        CPU time of one batch prediction, load time and in-memory size,
        measured in a fresh child process from its resident set size (so
        native allocations count); cost per 1,000 predictions from
        cost.per_hour. Each measurement is repeated; the spread is reported.
        BLAS/OpenMP threads are pinned (``threads``) and the machine, cores and
        library versions are recorded. Each of the checklist's ``limits`` that
        is exceeded fails, with the measured value next to it. The question is
        answered when performance (min_primary_metric), speed (a latency or
        throughput limit) and cost (cost, memory or size) each have a limit;
        until then, and while a set limit cannot be measured, it warns.

    Why it matters:
        A model that is accurate but too slow, too big or too expensive to serve
        is not ready; honest, repeatable numbers let a team trade accuracy
        against speed and cost.

    Example:
        limits:
          p95_latency_ms: 50
          min_throughput_rps: 1000
          max_memory_mb: 512
          max_cost_per_1k: 0.01
        cost:
          per_hour: 0.40
    """

    id = "latency"
    title = "Speed, memory and cost within limits"
    question = 6
    Params = LatencyParams
    capabilities = Capabilities(
        runs_alone=True,  # timings need the machine to themselves (see --jobs)
        automates=("Monitoring 6",),
    )

    def run(self, context: AuditContext, params: LatencyParams) -> Outcome:
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
            parts.append(
                Finding.of(Status.WARN, "limit set but not judged: " + "; ".join(unmeasured))
            )
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
