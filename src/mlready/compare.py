"""``mlready compare``: candidate models side by side on the same data and machine.

For each candidate: the primary metric on test (with a bootstrap interval),
latency, throughput, memory, size and cost; which candidates meet every hard
limit of the checklist; and the Pareto set: candidates that no other candidate
beats on one axis without being worse on another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from mlready import __version__
from mlready.api import audit_inputs, resolve_spec
from mlready.context import AuditContext, build_context
from mlready.errors import MlreadyError, ModelLoadError, SpecError
from mlready.io.data import load_splits
from mlready.io.files import refuse_overwriting_inputs
from mlready.io.model import LoadedModel
from mlready.limits import breaches_of, cost_per_1k, limit_evidence, plan
from mlready.model_under_audit import ModelUnderAudit
from mlready.perf import PerfSettings, conditions, measure
from mlready.sandbox.settings import DEFAULT_SANDBOX, SandboxSettings
from mlready.stats.bootstrap import bootstrap_metrics, percentile_interval
from mlready.stats.metrics import point_estimate


class Candidate(BaseModel):
    """One model's numbers, the limits it breaks, and whether it is Pareto-optimal."""

    model_config = ConfigDict(frozen=True)

    path: str
    format: str
    metric: float
    metric_ci: tuple[float, float]
    p95_latency_ms: float
    throughput_rps: float
    peak_memory_mb: float | None
    model_size_mb: float
    cost_per_1k: float | None
    breaches: list[str]
    rank: int = 0  # by the primary metric, 1 = best
    pareto: bool = False
    max_abs_difference: dict[str, float] | None = None  # an export vs the first native model


class Comparison(BaseModel):
    model_config = ConfigDict(frozen=True)

    mlready_version: str
    created_at: str
    primary_metric: str
    greater_is_better: bool
    seed: int
    conditions: dict[str, object]
    candidates: list[Candidate]


def _axes(c: Candidate, greater_is_better: bool) -> list[float]:
    """Every axis as lower-is-better; memory and cost only when measured for all."""
    return [
        -c.metric if greater_is_better else c.metric,
        c.p95_latency_ms,
        -c.throughput_rps,
        c.model_size_mb,
        c.peak_memory_mb or 0.0,
        c.cost_per_1k or 0.0,
    ]


def pareto_flags(candidates: Sequence[Candidate], greater_is_better: bool) -> list[bool]:
    """True for each candidate that no other candidate dominates (as good on every axis,
    better on one)."""
    axes = [_axes(c, greater_is_better) for c in candidates]

    def dominated(i: int) -> bool:
        return any(
            all(b <= a for a, b in zip(axes[i], axes[j], strict=True)) and axes[j] != axes[i]
            for j in range(len(axes))
            if j != i
        )

    return [not dominated(i) for i in range(len(axes))]


def _candidate(context: AuditContext, loaded: LoadedModel, quick: bool) -> Candidate:
    limits, cost = context.spec.limits, context.spec.cost
    X = context.X("test")
    m = measure(
        loaded.estimator,
        loaded.path,
        loaded.sha256,
        X,
        plan(quick, limits),
        context.sandbox,
    )
    metric, y, prediction = context.primary, context.y("test"), context.prediction("test")
    samples = bootstrap_metrics([metric], y, prediction, 1000, context.rng("compare"))
    value = point_estimate(metric, y, prediction)
    price = cost_per_1k(m, cost.per_hour, cost.mode)
    breaches = breaches_of(limit_evidence(m, limits, price))
    goal = limits.min_primary_metric
    if goal is not None and (value < goal if metric.greater_is_better else value > goal):
        breaches.append(f"{metric.name} {value:.4f} (goal {goal})")
    return Candidate(
        path=str(loaded.path),
        format=loaded.format,
        metric=value,
        metric_ci=percentile_interval(samples[metric.name], 0.95),
        p95_latency_ms=m.latency_ms["p95"],
        throughput_rps=m.throughput_rps[max(m.throughput_rps)],
        peak_memory_mb=m.memory.predict_peak_mb if m.memory else None,
        model_size_mb=m.file_size_mb,
        cost_per_1k=price,
        breaches=breaches,
    )


def compare_models(
    models: Sequence[Path],
    data_dir: Path | None,
    *,
    checklist: Path | None = None,
    target: str | None = None,
    seed: int | None = None,
    trust_model: bool = False,
    quick: bool = False,
    sandbox: SandboxSettings | None = DEFAULT_SANDBOX,
    outputs: Mapping[str, Path | None] | None = None,
) -> Comparison:
    """Measure every model on the same splits; raise MlreadyError when it cannot run, or
    when a model fails in its process. ``sandbox`` runs each model as for an audit;
    ``outputs`` are the files the caller will write (none may be an input)."""
    if len(models) < 2:
        raise MlreadyError("compare needs at least two models", hint="mlready compare A B ...")
    spec = resolve_spec(checklist)
    if data_dir is None:
        if spec.data.dir is None:
            raise MlreadyError("no data folder given", hint="pass --data DIR or set data.dir")
        data_dir = spec.base_dir / spec.data.dir
    if spec.data.prediction is not None:
        raise SpecError(
            "compare measures model files: data.prediction (predictions-only mode) does not apply",
            hint="remove data.prediction from the checklist",
        )
    with ExitStack() as open_models:
        opened = [
            open_models.enter_context(ModelUnderAudit(path, spec, trust_model, sandbox))
            for path in models
        ]
        splits = load_splits(data_dir, spec.data.splits)
        refuse_overwriting_inputs(outputs or {}, audit_inputs(list(models), spec, splits))
        loaded = [_loaded(model) for model in opened]
        contexts = [
            build_context(
                spec,
                splits,
                model=m,
                target=target,
                seed=seed,
                quick=quick,
                sandbox=model.sandbox,
                trust_model=trust_model,
            )
            for m, model in zip(loaded, opened, strict=True)
        ]
        return _compare(loaded, contexts, quick)


def _loaded(model: ModelUnderAudit) -> LoadedModel:
    loaded = model.load()
    if model.problem is not None or loaded is None:
        raise ModelLoadError(
            model.problem or f"{model.path} could not be loaded",
            hint="fix the model, or leave it out of the comparison",
        )
    return loaded


def _compare(loaded: list[LoadedModel], contexts: list[AuditContext], quick: bool) -> Comparison:
    candidates = [_candidate(c, m, quick) for c, m in zip(contexts, loaded, strict=True)]
    native = next((m for m in loaded if m.format != "onnx"), None)
    if native is not None:
        from mlready.io.onnx import max_abs_difference

        X = contexts[0].X("test")
        candidates = [
            c.model_copy(
                update={"max_abs_difference": max_abs_difference(native.estimator, m.estimator, X)}
            )
            if m.format == "onnx"
            else c
            for c, m in zip(candidates, loaded, strict=True)
        ]
    primary = contexts[0].primary
    flags = pareto_flags(candidates, primary.greater_is_better)
    order = sorted(
        range(len(candidates)),
        key=lambda i: candidates[i].metric,
        reverse=primary.greater_is_better,
    )
    ranks = {i: position + 1 for position, i in enumerate(order)}
    return Comparison(
        mlready_version=__version__,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        primary_metric=primary.name,
        greater_is_better=primary.greater_is_better,
        seed=contexts[0].seed,
        conditions=conditions(PerfSettings().threads),
        candidates=[
            c.model_copy(update={"pareto": f, "rank": ranks[i]})
            for i, (c, f) in enumerate(zip(candidates, flags, strict=True))
        ],
    )
