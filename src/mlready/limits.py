"""A model's measured cost held to the checklist's hard limits: the measuring plan, the
numbers as evidence with their limits, the price of 1,000 predictions, and what breaks.
Shared by the latency check and ``mlready compare``.
"""

from __future__ import annotations

from mlready.numbers import fmt
from mlready.perf import Measurement, PerfSettings
from mlready.results import Evidence
from mlready.spec import LimitsSpec


def plan(
    quick: bool,
    limits: LimitsSpec,
    *,
    calls: int = 300,
    repeats: int = 3,
    batch_sizes: tuple[int, ...] = (1, 32, 1024),
    threads: int = 1,
    method: str = "predict",
    measure_memory: bool = True,
) -> PerfSettings:
    """The measuring plan. ``quick`` (CI) times fewer calls, and measures memory in a
    child process only when a memory limit needs judging."""
    if quick:
        return PerfSettings(
            calls=50,
            warmup=5,
            repeats=2,
            batch_sizes=(1,),
            threads=threads,
            seconds_per_phase=0.03,  # a rough rate: CI machines are noisy anyway
            measure_memory=measure_memory and limits.max_memory_mb is not None,
            method=method,
        )
    return PerfSettings(
        calls=calls,
        repeats=repeats,
        batch_sizes=batch_sizes,
        threads=threads,
        measure_memory=measure_memory,
        method=method,
    )


def limit_evidence(m: Measurement, limits: LimitsSpec, cost: float | None) -> list[Evidence]:
    """Every measured number, with its limit where the checklist sets one."""
    largest = max(m.throughput_rps)
    evidence = [
        Evidence(
            name="model_size_mb",
            value=m.file_size_mb,
            unit="MB",
            threshold=limits.max_model_size_mb,
            op="<=" if limits.max_model_size_mb else None,
        ),
        Evidence(name="p50_latency_ms", value=m.latency_ms["p50"], unit="ms"),
        Evidence(
            name="p95_latency_ms",
            value=m.latency_ms["p95"],
            unit="ms",
            threshold=limits.p95_latency_ms,
            op="<=" if limits.p95_latency_ms else None,
            ci_low=min(m.p95_by_repeat),
            ci_high=max(m.p95_by_repeat),
        ),
        Evidence(
            name="p99_latency_ms",
            value=m.latency_ms["p99"],
            unit="ms",
            threshold=limits.p99_latency_ms,
            op="<=" if limits.p99_latency_ms else None,
            ci_low=min(m.p99_by_repeat),
            ci_high=max(m.p99_by_repeat),
        ),
        Evidence(name="max_latency_ms", value=m.latency_ms["max"], unit="ms"),
        Evidence(name="latency_calls", value=m.latency_calls, unit="calls"),
        *[
            Evidence(
                name=f"throughput_rps_batch_{b}",
                value=rate,
                unit="rows/s",
                ci_low=m.throughput_spread[b][0],
                ci_high=m.throughput_spread[b][1],
            )
            for b, rate in m.throughput_rps.items()
        ],
        Evidence(
            name="throughput_rps",
            value=m.throughput_rps[largest],
            unit="rows/s",
            threshold=limits.min_throughput_rps,
            op=">=" if limits.min_throughput_rps else None,
            ci_low=m.throughput_spread[largest][0],
            ci_high=m.throughput_spread[largest][1],
        ),
    ]
    if m.memory is not None:
        evidence += [
            Evidence(
                name="peak_memory_mb",
                value=m.memory.predict_peak_mb,
                unit="MB",
                threshold=limits.max_memory_mb,
                op="<=" if limits.max_memory_mb else None,
            ),
            Evidence(name="in_memory_mb", value=m.memory.in_memory_mb, unit="MB"),
            Evidence(name="load_s", value=m.memory.load_s, unit="s"),
            Evidence(name="predict_cpu_s", value=m.memory.predict_cpu_s, unit="s"),
        ]
    if cost is not None:
        evidence.append(
            Evidence(
                name="cost_per_1k",
                value=cost,
                threshold=limits.max_cost_per_1k,
                op="<=" if limits.max_cost_per_1k else None,
            )
        )
    return evidence


def cost_per_1k(m: Measurement, per_hour: float | None, mode: str) -> float | None:
    """Price of 1,000 predictions: at batch throughput, or one row at a time (median latency)."""
    if per_hour is None:
        return None
    if mode == "batch":
        seconds = 1000 / m.throughput_rps[max(m.throughput_rps)]
    else:
        seconds = m.latency_ms["p50"]  # 1,000 calls x p50 milliseconds
    return per_hour / 3600 * seconds


# Each hard limit and the evidence it judges (the goal, min_primary_metric, is the check's).
_JUDGES = {
    "max_model_size_mb": "model_size_mb",
    "p95_latency_ms": "p95_latency_ms",
    "p99_latency_ms": "p99_latency_ms",
    "min_throughput_rps": "throughput_rps",
    "max_memory_mb": "peak_memory_mb",
    "max_cost_per_1k": "cost_per_1k",
}
_WHY_UNMEASURED = {
    "max_memory_mb": "memory was not measured (measure_memory is off)",
    "max_cost_per_1k": "there is no price to judge it by: set cost.per_hour",
}


# Checklist question 6 asks for goals and hard limits for performance, speed and cost: it is
# answered when each of the three has at least one limit.
LIMIT_GROUPS = {
    "performance": ("min_primary_metric",),
    "speed": ("p95_latency_ms", "p99_latency_ms", "min_throughput_rps"),
    "cost": ("max_cost_per_1k", "max_memory_mb", "max_model_size_mb"),
}


def groups_without_a_limit(limits: LimitsSpec) -> list[str]:
    """The groups of question 6 with no limit set, each with the limits that would do, as
    'speed (p95_latency_ms, p99_latency_ms or min_throughput_rps)'."""
    set_limits = limits.model_dump(exclude_none=True)
    return [
        f"{group} ({', '.join(names[:-1]) + ' or ' if len(names) > 1 else ''}{names[-1]})"
        for group, names in LIMIT_GROUPS.items()
        if not set_limits.keys() & set(names)
    ]


def unjudged(limits: LimitsSpec, evidence: list[Evidence]) -> list[str]:
    """Limits the checklist sets whose number was not measured, each with the reason: a
    limit that cannot be judged is not met."""
    measured = {e.name for e in evidence if e.value is not None}
    set_limits = limits.model_dump(exclude_none=True)
    return [
        f"{limit} ({_WHY_UNMEASURED.get(limit, 'not measured')})"
        for limit, name in _JUDGES.items()
        if limit in set_limits and name not in measured
    ]


def breaches_of(evidence: list[Evidence]) -> list[str]:
    """Judged numbers on the wrong side of their limit, as 'name value (limit x)'. A timing
    repeated several times breaks its limit only when every repeat does (its best repeat,
    the interval's near end, is past it): a busy machine slows some repeats, not a model's
    every one."""
    out = []
    for e in evidence:
        if e.op is None or e.threshold is None or e.value is None:
            continue
        best = e.ci_low if e.op == "<=" else e.ci_high
        judged = e.value if best is None else best
        ok = judged <= e.threshold if e.op == "<=" else judged >= e.threshold
        if not ok:
            every = "" if best in (None, e.value) else f", {fmt(best)} in its best repeat"
            out.append(
                f"{e.name} {fmt(e.value)}{' ' + e.unit if e.unit else ''}{every} "
                f"(limit {e.op} {fmt(e.threshold)})"
            )
    return out
