"""The library entry point: ``audit(...) -> AuditReport``. The CLI and tests call it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from pathlib import Path

from pydantic import ValidationError

from mlready import __version__
from mlready.answers import TOPICS, evaluate_answers
from mlready.context import AuditContext, build_context
from mlready.errors import MlreadyError, ModelLoadError
from mlready.io.data import REQUIRED_SPLITS, Split, batch_files, find_split, load_splits
from mlready.io.files import file_sha256, refuse_overwriting_inputs
from mlready.io.model import LoadedModel, describe_estimator
from mlready.io.predictor import UnusableModel
from mlready.io.profile import Profile, load_profile
from mlready.io.streamed import engine_named
from mlready.model_under_audit import ModelUnderAudit
from mlready.questions import QUESTIONS
from mlready.registry import load_checks
from mlready.results import (
    AnswerResult,
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
from mlready.sandbox.process import DEFAULT_SANDBOX, SandboxSettings
from mlready.scorecard import score_card
from mlready.spec import ChecklistSpec, default_spec, load_spec

DEFAULT_CHECKLIST = Path("checklist.yaml")


def resolve_spec(checklist: Path | None) -> ChecklistSpec:
    """The given checklist, else ``./checklist.yaml`` if present, else built-in defaults."""
    if checklist is not None:
        return load_spec(checklist)
    if DEFAULT_CHECKLIST.is_file():
        return load_spec(DEFAULT_CHECKLIST)
    return default_spec()


_UNANSWERED = ("missing", "empty", "stale")


def _question_status(checks: list[CheckResult], answers: list[AnswerResult]) -> CoverageStatus:
    judged = [r.status for r in checks if r.status != Status.SKIP]
    if any(s in (Status.FAIL, Status.ERROR) for s in judged) or any(
        a.state in _UNANSWERED for a in answers
    ):
        return "unmet"
    if any(s in (Status.WARN, Status.WAIVED) for s in judged):
        return "partly met"
    if judged or any(a.state == "answered" for a in answers):
        return "met"
    return "not applicable" if answers else "unmet"


def _missing(number: int, checks: list[CheckResult], answers: list[AnswerResult]) -> str:
    """What would answer a question that is not met, in one line."""
    parts = [
        f"{r.id} {r.status.value}"
        for r in checks
        if r.status in (Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED)
    ]
    parts += [f"answers.{a.id} {a.state}" for a in answers if a.state in _UNANSWERED]
    if parts:
        return "; ".join(parts)
    skipped = [f"{r.id} skipped ({r.message})" for r in checks]
    topics = [t for t, topic in TOPICS.items() if topic.question == number]
    answer = f"a written answer ({', '.join(f'answers.{t}' for t in topics)})" if topics else ""
    ran = "; ".join(skipped) or "no check answers it"
    return f"{ran}; {answer or 'configure the check that answers it'}"


def _coverage(
    results: list[CheckResult], answers: list[AnswerResult], partial: bool
) -> list[QuestionCoverage]:
    """How each checklist question is answered, by checks and written answers; ``partial``
    when only some checks ran (``mlready monitor``)."""
    coverage = []
    for q in QUESTIONS:
        checks = [r for r in results if r.question == q.number]
        written = [a for a in answers if a.question == q.number]
        reason = "; ".join(
            [f"{r.id}: {r.status.value}" for r in checks]
            + [f"answers.{a.id}: {a.state}" for a in written]
        )
        if partial and not checks:
            status: CoverageStatus = "not assessed"
            reason = "not part of this run"
        else:
            status = _question_status(checks, written)
        unmet = status in ("unmet", "partly met")
        guidance = [g for t in TOPICS.values() if t.question == q.number for g in t.guidance]
        coverage.append(
            QuestionCoverage(
                number=q.number,
                key=q.key,
                text=q.text,
                status=status,
                checks=[r.id for r in checks],
                answers=[a.id for a in written],
                reason=reason or "nothing answers it",
                missing=_missing(q.number, checks, written) if unmet else None,
                guidance=guidance if status == "unmet" else [],
            )
        )
    return coverage


def blocking(
    results: list[CheckResult], answers: list[AnswerResult], fail_on: Severity
) -> list[str]:
    """What fails the build at the ``fail_on`` level: failed or crashed checks, required
    answers whose severity is fail (and, with ``fail_on: warn``, warnings and waivers)."""
    levels = {Status.FAIL, Status.ERROR}
    if fail_on == "warn":
        levels |= {Status.WARN, Status.WAIVED}
    return [r.id for r in results if r.status in levels] + [
        f"answers.{a.id}" for a in answers if a.status in levels
    ]


def exit_code(report: AuditReport) -> ExitCode:
    """0 when nothing at or above ``fail_on`` failed, else 1."""
    failed = blocking(report.checks, report.answers, report.fail_on)
    return ExitCode.CHECKS_FAILED if failed else ExitCode.OK


def _overall(results: list[CheckResult], answers: list[AnswerResult]) -> Status:
    statuses: list[Status] = [r.status for r in results] + [a.status for a in answers]
    return worst([s for s in statuses if s != Status.SKIP])


def _verdict(results: list[CheckResult], answers: list[AnswerResult], fail_on: Severity) -> str:
    """One sentence: ready, ready with warnings, or not ready, and why."""
    failed = blocking(results, answers, fail_on)
    waived = [r.id for r in results if r.status == Status.WAIVED and r.id not in failed]
    warned = [r.id for r in results if r.status == Status.WARN and r.id not in failed] + [
        f"answers.{a.id} {a.state}"
        for a in answers
        if a.status == Status.WARN and f"answers.{a.id}" not in failed
    ]
    if failed:
        return f"not ready: {', '.join(failed)} failed"
    extra = f" (waived: {', '.join(waived)})" if waived else ""
    if warned:
        return f"ready with warnings: {', '.join(warned)}{extra}"
    if waived:
        return f"ready with waivers: {', '.join(waived)}"
    return "ready: every check that ran passed and every required answer is given"


def load_report(path: Path) -> AuditReport:
    """An earlier audit's JSON report (``--compare-to``); exit 2 when it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MlreadyError(
            f"report {path} does not exist", hint="pass the --json output of an earlier audit"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MlreadyError(f"cannot read report {path}: {exc}") from None
    try:
        data = json.loads(text)
        for check in data.get("checks", []) if isinstance(data, dict) else []:
            if isinstance(check, dict):
                check.pop("metrics", None)  # computed from evidence when the report is read
        return AuditReport.model_validate(data)
    except json.JSONDecodeError as exc:
        raise MlreadyError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise MlreadyError(
            f"{path} is not an mlready JSON report ({where}: {first['msg']})",
            hint="pass the --json output of an earlier mlready audit of the same version",
        ) from None


def _with_previous(result: CheckResult, previous: AuditReport) -> CheckResult:
    """``result`` with each number's value in the earlier report (same check and name)."""
    before = next((c for c in previous.checks if c.id == result.id), None)
    if before is None:
        return result
    values = {e.name: e.value for e in before.evidence if isinstance(e.value, int | float)}
    evidence = [e.model_copy(update={"previous": values.get(e.name)}) for e in result.evidence]
    return result.model_copy(update={"evidence": evidence})


def _model_fingerprint(
    model_path: Path | None, loaded: LoadedModel | None, problem: str | None = None
) -> ModelFingerprint:
    if loaded is not None:
        return ModelFingerprint(
            path=str(loaded.path),
            sha256=loaded.sha256,
            format=loaded.format,
            kind=describe_estimator(loaded.estimator),
            trusted=loaded.trusted,
        )
    if problem is not None and model_path is not None:
        return ModelFingerprint(
            path=str(model_path),
            sha256=file_sha256(model_path),
            format="not loaded",
            kind="failed in its sandboxed process",
            trusted=False,
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


def audit_inputs(
    models: list[Path | None],
    spec: ChecklistSpec,
    splits: dict[str, Split],
    profile: Path | None = None,
    compare_to: Path | None = None,
) -> list[tuple[str, Path]]:
    """Every file an audit (or a comparison of ``models``) reads, with what it is."""
    named: list[tuple[str, Path | None]] = [
        (f"the model file {path.name}", path) for path in models if path is not None
    ]
    named += [
        ("the checklist", spec.source),
        ("the train profile", profile),
        ("the earlier report", compare_to),
    ]
    found = [(what, path) for what, path in named if path is not None]
    return found + [(f"the {name} split", split.path) for name, split in splits.items()]


def _production_files(data_dir: Path, spec: ChecklistSpec) -> tuple[Path, ...]:
    """Production's batch files, for an engine to stream (they are not read here)."""
    location = find_split(data_dir, spec.data.splits, "production")
    if location is None:
        raise MlreadyError(
            f"{data_dir}: no production split to stream",
            hint="add production.parquet or a production/ folder",
        )
    return batch_files(location)


def _streamed_fingerprint(context: AuditContext) -> list[SplitFingerprint]:
    """Streamed production as a split of the report. Its files are not hashed (that would
    read them once more): the digest is of their names, sizes and modification times."""
    if context.engine is None:
        return []
    digest = hashlib.sha256()
    for path in context.production_files:
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return [
        SplitFingerprint(
            name=f"production (streamed, --engine {context.engine.name})",
            path=str(context.production_files[0].parent),
            sha256=digest.hexdigest(),
            rows=context.streamed_rows,
            columns=len(context.features),
        )
    ]


def _profile_fingerprint(profile: Profile | None) -> list[SplitFingerprint]:
    """The train profile as a split of the report: its file, and the data it describes."""
    if profile is None:
        return []
    meta = profile.meta
    return [
        SplitFingerprint(
            name="train profile",
            path=f"{profile.path} (of {meta.source})",
            sha256=meta.source_sha256,
            rows=meta.rows,
            columns=len(meta.columns),
        )
    ]


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
    today: dt.date | None = None,
    compare_to: Path | None = None,
    jobs: int = 1,
    profile: Path | None = None,
    engine: str = "memory",
    scheduler: str | None = None,
    sandbox: SandboxSettings | None = DEFAULT_SANDBOX,
    needs_production: bool = False,
    outputs: Mapping[str, Path | None] | None = None,
) -> AuditReport:
    """Run an audit and return its report. Raises :class:`MlreadyError` when it cannot run.

    ``only`` runs just those checks (``mlready monitor``); ``with_context`` is called with
    the audit's context after the checks, for outputs that need the data and model (the
    labelling queue). ``today`` dates waivers and written answers (default: today).
    ``compare_to`` is an earlier JSON report whose numbers every result is compared with;
    ``jobs`` runs that many checks at once (threads), with the same numbers as one.
    ``profile`` is a reference profile of train (``mlready profile``) that the distribution
    and quality checks use instead of the raw rows; with it, train may be absent when only
    such checks run (``mlready monitor``). ``engine`` "stream" or "dask" summarises
    production without reading it into memory (on the Dask ``scheduler``, or a local
    cluster); then only the checks that can use such summaries run. ``sandbox`` runs the
    model in a locked-down child process under its limits (:mod:`mlready.sandbox`); a model
    that crashes, hangs, runs out of memory or tries what the sandbox forbids there becomes
    an error of the checks that need it, and the rest still run. ``sandbox=None`` loads the
    model in this process: only for files you made yourself. ``needs_production`` makes a
    missing production split an error (``mlready monitor``). ``outputs`` are the files the
    caller will write, by option name: one that is an input stops the audit.
    """
    today = today or dt.date.today()
    previous = load_report(compare_to) if compare_to is not None else None
    spec = resolve_spec(checklist)
    planned = plan(spec, load_checks())
    if only is not None:
        planned = [item for item in planned if item.check.id in only]
    if data_dir is None:
        if spec.data.dir is None:
            raise MlreadyError("no data folder given", hint="pass --data DIR or set data.dir")
        data_dir = spec.base_dir / spec.data.dir
    streaming = engine_named(engine, scheduler)
    if streaming is not None:
        planned = [item for item in planned if getattr(item.check, "streams_production", False)]
    partial = only is not None or streaming is not None  # some checks are left out
    train_profile = load_profile(profile) if profile is not None else None
    # A partial run with a train profile runs no check that needs train's rows.
    needed = tuple(
        s for s in REQUIRED_SPLITS if s != "train" or train_profile is None or not partial
    )
    if needs_production:
        needed += ("production",)
    skip = ("production",) if streaming is not None else ()
    run_seed = spec.seed if seed is None else seed
    with ModelUnderAudit(model_path, spec, trust_model, sandbox) as model:
        splits = load_splits(data_dir, spec.data.splits, required=needed, skip=skip)
        inputs = audit_inputs([model_path], spec, splits, profile, compare_to)
        refuse_overwriting_inputs(outputs or {}, inputs)
        loaded, problem = model.load(), model.problem
        context = build_context(spec, splits, loaded, target, run_seed, quick, today, train_profile)
        context.sandbox = model.sandbox
        if problem:
            context.model_problem = problem
            context.predictor = UnusableModel(problem)
            context.notes.append(f"model not loaded: {problem}")
        if streaming is not None:
            context.engine = streaming
            context.production_files = _production_files(data_dir, spec)
        context.previous = previous
        results = run_checks(planned, context, on_start=on_start, debug=debug, jobs=jobs)
        if previous is not None:
            results = [_with_previous(r, previous) for r in results]
        if with_context is not None:
            with_context(context)
    answers = [] if partial else evaluate_answers(spec, today)
    return AuditReport(
        mlready_version=__version__,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        status=_overall(results, answers),
        verdict=_verdict(results, answers, fail_on),
        fail_on=fail_on,
        seed=run_seed,
        task=context.task,
        target=context.target,
        primary_metric=context.primary.name,
        checklist=str(spec.source) if spec.source else None,
        model=_model_fingerprint(model_path, loaded, problem),
        splits=[
            SplitFingerprint(
                name=s.name,
                path=str(s.path),
                sha256=s.sha256,
                rows=len(s.frame),
                columns=s.frame.shape[1],
            )
            for s in splits.values()
        ]
        + _profile_fingerprint(train_profile)
        + _streamed_fingerprint(context),
        notes=context.notes,
        questions=_coverage(results, answers, partial=partial),
        checks=results,
        answers=answers,
        scorecard=None if partial else score_card(results, answers),
        compared_to=str(compare_to) if compare_to is not None else None,
        sandbox=model.sandbox_record(),
    )


def make_profile(
    train_path: Path,
    *,
    checklist: Path | None = None,
    target: str | None = None,
    model_path: Path | None = None,
    trust_model: bool = False,
    sandbox: SandboxSettings | None = DEFAULT_SANDBOX,
) -> Profile:
    """The reference profile of the training data at ``train_path`` (a file or a folder of
    batch files): what the distribution and quality checks need of train. With a model
    (or in predictions-only mode), its outputs on train are profiled for prediction drift,
    the model run as ``sandbox`` says (see :func:`audit`).
    """
    from mlready.checks.data_quality import DataQualityParams
    from mlready.io.data import read_split
    from mlready.io.profile import FORMAT, VERSION, ProfileMeta
    from mlready.quality.infer import draft_contract
    from mlready.stats.drift import Reference

    spec = resolve_spec(checklist)
    if not train_path.exists():
        raise MlreadyError(
            f"training data {train_path} does not exist",
            hint="pass the file (or folder) the model was trained on",
        )
    with_model = model_path is not None or spec.data.prediction is not None
    opened = ModelUnderAudit(model_path, spec, trust_model, sandbox) if with_model else None
    with opened or nullcontext():
        split = read_split("train", train_path)
        loaded = opened.load() if opened is not None else None
        if opened is not None and opened.problem is not None:
            raise ModelLoadError(opened.problem, hint="profile without --model, or fix the model")
        context = build_context(spec, {"train": split}, loaded, target, spec.seed)
        predictions = context.output_reference("train") if with_model else None
    frame = split.frame
    planned = [p.params for p in plan(spec, load_checks())]
    margin = next(
        (p.margin for p in planned if isinstance(p, DataQualityParams)), DataQualityParams().margin
    )
    meta = ProfileMeta(
        format=FORMAT,
        version=VERSION,
        mlready_version=__version__,
        source=str(train_path),
        source_sha256=split.sha256,
        rows=len(frame),
        columns={str(c): str(t) for c, t in frame.dtypes.items()},
        target=context.target,
        task="regression" if context.classes is None else "classification",
        classes=None if context.classes is None else list(context.classes.tolist()),
        features=context.features,
        categorical=context.categorical,
        model_sha256=loaded.sha256 if loaded is not None else None,
        margin=margin,
    )
    return Profile(
        meta=meta,
        reference=Reference.of(frame, context.features, context.categorical),
        target=context.target_reference("train"),
        contract=draft_contract(frame, spec.data, context.target, meta.margin),
        predictions=predictions,
    )
