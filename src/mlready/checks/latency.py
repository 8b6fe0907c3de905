"""``latency``: speed, memory, size and cost of the model, against the hard limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, PositiveInt

from mlready.check import Capabilities, CheckParams
from mlready.results import Outcome

if TYPE_CHECKING:
    from mlready.context import AuditContext


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
        from mlready.checks.compute import latency

        return latency.run(context, params)
