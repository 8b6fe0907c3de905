"""The library entry point: ``audit(...) -> AuditReport``. The CLI and tests call it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlready import __version__
from mlready.context import AuditContext, build_context
from mlready.errors import MlreadyError, ModelLoadError, SpecError
from mlready.io.data import load_splits
from mlready.io.files import file_sha256
from mlready.io.model import LoadedModel, load_model
from mlready.questions import QUESTIONS
from mlready.registry import load_checks
from mlready.results import (
    AuditReport,
    CheckResult,
    CoverageStatus,
    ExitCode,
    ModelFingerprint,
    QuestionCoverage,
    Severity,
    SplitFingerprint,
    Status,
    worst,
)
from mlready.runner import PlannedCheck, plan, run_checks
from mlready.spec import ChecklistSpec, default_spec, load_spec

DEFAULT_CHECKLIST = Path("checklist.yaml")


def resolve_spec(checklist: Path | None) -> ChecklistSpec:
    """The given checklist, else ``./checklist.yaml`` if present, else built-in defaults."""
    if checklist is not None:
        return load_spec(checklist)
    if DEFAULT_CHECKLIST.is_file():
        return load_spec(DEFAULT_CHECKLIST)
    return default_spec()


def _describe(estimator: Any) -> str:
    steps = getattr(estimator, "steps", None)
    if steps:
        return f"{type(estimator).__name__}({', '.join(type(s).__name__ for _, s in steps)})"
    return type(estimator).__name__


_COVERAGE: dict[Status, CoverageStatus] = {Status.PASS: "met", Status.WARN: "partly met"}


def _coverage(results: list[CheckResult], partial: bool) -> list[QuestionCoverage]:
    """How each checklist question is answered; ``partial`` when only some checks ran."""
    missing = "not part of this run" if partial else "no mlready check answers this question yet"
    coverage = []
    for q in QUESTIONS:
        answering = [r for r in results if r.question == q.number]
        judged = [r for r in answering if r.status != Status.SKIP]
        if not judged:
            reason = "; ".join(f"{r.id}: {r.message}" for r in answering) or missing
            status: CoverageStatus = "not assessed"
        else:
            state = worst([r.status for r in judged])
            status = _COVERAGE.get(state, "unmet")
            reason = "; ".join(f"{r.id}: {r.status}" for r in answering)
        coverage.append(
            QuestionCoverage(
                number=q.number,
                key=q.key,
                text=q.text,
                status=status,
                checks=[r.id for r in answering],
                reason=reason,
            )
        )
    return coverage


def blocking(results: list[CheckResult], fail_on: Severity) -> list[CheckResult]:
    """The results that fail the build at the ``fail_on`` level (errors always do)."""
    levels = {Status.FAIL, Status.ERROR} | ({Status.WARN} if fail_on == "warn" else set())
    return [r for r in results if r.status in levels]


def exit_code(report: AuditReport) -> ExitCode:
    """0 when nothing at or above ``fail_on`` failed, else 1."""
    return ExitCode.CHECKS_FAILED if blocking(report.checks, report.fail_on) else ExitCode.OK


def _verdict(results: list[CheckResult], fail_on: Severity) -> str:
    failed = blocking(results, fail_on)
    warned = [r for r in results if r.status == Status.WARN and r not in failed]
    if failed:
        return f"not ready: {len(failed)} check(s) failed ({', '.join(r.id for r in failed)})"
    if warned:
        return f"ready with warnings: {', '.join(r.id for r in warned)}"
    return "ready: every check that ran passed"


def _load(model_path: Path | None, spec: ChecklistSpec, trust: bool) -> LoadedModel | None:
    if spec.data.prediction is not None:
        return None  # predictions-only: the model file is fingerprinted, never loaded
    if model_path is None:
        raise SpecError(
            "no model file given",
            hint="pass MODEL, or set data.prediction for predictions-only mode",
        )
    loaded = load_model(
        model_path, trust=trust, pinned_sha256=spec.model.sha256, extra_allowed=spec.model.allow
    )
    if not callable(getattr(loaded.estimator, "predict", None)):
        raise ModelLoadError(
            f"{model_path} holds a {type(loaded.estimator).__name__}, not a model with predict()",
            hint="save the fitted estimator or pipeline itself",
        )
    return loaded


def _model_fingerprint(model_path: Path | None, loaded: LoadedModel | None) -> ModelFingerprint:
    if loaded is not None:
        return ModelFingerprint(
            path=str(loaded.path),
            sha256=loaded.sha256,
            format=loaded.format,
            kind=_describe(loaded.estimator),
            trusted=loaded.trusted,
        )
    if model_path is not None and model_path.is_file():
        return ModelFingerprint(
            path=str(model_path),
            sha256=file_sha256(model_path),
            format="not loaded",
            kind="predictions-only",
            trusted=False,
        )
    return ModelFingerprint(
        path="", sha256="", format="none", kind="predictions-only", trusted=False
    )


def audit(
    model_path: Path | None,
    data_dir: Path | None,
    *,
    checklist: Path | None = None,
    target: str | None = None,
    seed: int | None = None,
    trust_model: bool = False,
    fail_on: Severity = "fail",
    quick: bool = False,
    on_start: Callable[[PlannedCheck], None] | None = None,
    debug: bool = False,
    only: tuple[str, ...] | None = None,
    with_context: Callable[[AuditContext], None] | None = None,
) -> AuditReport:
    """Run an audit and return its report. Raises :class:`MlreadyError` when it cannot run.

    ``only`` runs just those checks (``mlready monitor``); ``with_context`` is called with
    the audit's context after the checks, for outputs that need the data and model (the
    labelling queue).
    """
    spec = resolve_spec(checklist)
    planned = plan(spec, load_checks())
    if only is not None:
        planned = [item for item in planned if item.check.id in only]
    if data_dir is None:
        if spec.data.dir is None:
            raise MlreadyError("no data folder given", hint="pass --data DIR or set data.dir")
        data_dir = spec.base_dir / spec.data.dir
    splits = load_splits(data_dir, spec.data.splits)
    loaded = _load(model_path, spec, trust_model)
    run_seed = spec.seed if seed is None else seed
    context = build_context(spec, splits, loaded, target, run_seed, quick)
    results = run_checks(planned, context, on_start=on_start, debug=debug)
    if with_context is not None:
        with_context(context)
    return AuditReport(
        mlready_version=__version__,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        status=worst([r.status for r in results if r.status != Status.SKIP]),
        verdict=_verdict(results, fail_on),
        fail_on=fail_on,
        seed=run_seed,
        task=context.task,
        target=context.target,
        primary_metric=context.primary.name,
        checklist=str(spec.source) if spec.source else None,
        model=_model_fingerprint(model_path, loaded),
        splits=[
            SplitFingerprint(
                name=s.name,
                path=str(s.path),
                sha256=s.sha256,
                rows=len(s.frame),
                columns=s.frame.shape[1],
            )
            for s in splits.values()
        ],
        notes=context.notes,
        questions=_coverage(results, partial=only is not None),
        checks=results,
    )
