"""The library entry point: ``audit(...) -> AuditReport`` (``from mlready import audit``),
and :func:`run`, which the command line fills with :class:`~mlready.options.AuditOptions`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from mlready import __version__
from mlready.answers import evaluate_answers
from mlready.errors import MlreadyError, ModelLoadError, SpecError
from mlready.io.files import file_sha256, refuse_overwriting_inputs
from mlready.io.model import LoadedModel, describe_estimator
from mlready.model_under_audit import CallersModel, ModelUnderAudit
from mlready.options import AuditOptions
from mlready.quality.defaults import DEFAULT_MARGIN
from mlready.registry import load_checks
from mlready.results import (
    AuditReport,
    CheckResult,
    ModelFingerprint,
    Severity,
    SplitFingerprint,
)
from mlready.runner import Listener, plan, run_checks
from mlready.sandbox.settings import DEFAULT_SANDBOX, SandboxSettings
from mlready.scorecard import score_card
from mlready.spec import (
    SPLIT_NAMES,
    ChecklistSpec,
    default_spec,
    format_validation_error,
    load_spec,
)
from mlready.verdict import coverage, overall, verdict_sentence

if TYPE_CHECKING:
    from mlready.context import AuditContext
    from mlready.io.data import Split
    from mlready.io.profile import Profile

DEFAULT_CHECKLIST = Path("checklist.yaml")


def resolve_spec(checklist: Path | Mapping[str, Any] | None) -> ChecklistSpec:
    """The given checklist (a file, or what one would hold as a mapping), else
    ``./checklist.yaml`` if present, else built-in defaults."""
    if isinstance(checklist, Mapping):
        try:
            return ChecklistSpec.model_validate(dict(checklist))
        except ValidationError as exc:
            raise SpecError(
                format_validation_error(exc, default_spec().where, ChecklistSpec)
            ) from None
    if checklist is not None:
        return load_spec(checklist)
    if DEFAULT_CHECKLIST.is_file():
        return load_spec(DEFAULT_CHECKLIST)
    return default_spec()


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
            if isinstance(check, dict):  # computed fields are computed again when it is read
                check.pop("metrics", None)
                for evidence in check.get("evidence", []):
                    if isinstance(evidence, dict):
                        evidence.pop("delta", None)
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
    model_path: Path | None,
    loaded: LoadedModel | None,
    problem: str | None = None,
    estimator: Any = None,
) -> ModelFingerprint:
    if loaded is not None:
        return ModelFingerprint(
            # the caller's object has no file of its own (the sha256 is of its joblib dump)
            path="<model in memory>" if estimator is not None else str(loaded.path),
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


def _data_folder(options: AuditOptions, spec: ChecklistSpec) -> Path | None:
    """Where the splits are: --data, else the checklist's data.dir (None: frames given)."""
    if options.frames is not None:
        return None
    if options.data is not None:
        return options.data
    if spec.data.dir is None:
        raise MlreadyError("no data folder given", hint="pass --data DIR or set data.dir")
    return spec.base_dir / spec.data.dir


def _splits_in_memory(frames: Mapping[str, Any], needed: tuple[str, ...]) -> dict[str, Split]:
    """The caller's frames as splits; the required ones must be there."""
    import pandas as pd

    from mlready.io.data import split_in_memory

    missing = [name for name in needed if name not in frames]
    if missing:
        raise MlreadyError(
            f"no {', '.join(missing)} split among the frames given ({', '.join(frames)})",
            hint="pass data={'train': ..., 'test': ...} (validation and production optional)",
        )
    unknown = [name for name in frames if name not in SPLIT_NAMES]
    if unknown:
        raise MlreadyError(
            f"unknown split name(s) {', '.join(unknown)}", hint=f"use {', '.join(SPLIT_NAMES)}"
        )
    for name, data in frames.items():
        parts = data.values() if isinstance(data, Mapping) else [data]
        if not parts or not all(isinstance(part, pd.DataFrame) for part in parts):
            raise MlreadyError(
                f"the {name} split is a {type(data).__name__}, not a DataFrame",
                hint="pass a DataFrame, or {batch_name: DataFrame} for batches",
            )
    return {name: split_in_memory(name, data) for name, data in frames.items()}


def _production_files(data_dir: Path, spec: ChecklistSpec) -> tuple[Path, ...]:
    """Production's batch files, for an engine to stream (they are not read here)."""
    from mlready.io.data import batch_files, find_split

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
    model: str | os.PathLike[str] | Any = None,
    data: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    *,
    checklist: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    target: str | None = None,
    seed: int | None = None,
    fail_on: Severity = "fail",
    quick: bool = False,
    trust_model: bool = False,
    isolate: bool = True,
    compare_to: str | os.PathLike[str] | None = None,
    profile: str | os.PathLike[str] | None = None,
    monitor: bool = False,
    jobs: int = 1,
    listener: Listener | None = None,
) -> AuditReport:
    """Audit a model, as ``mlready audit`` does, and return the report (never exits).

    ``model`` is a model file (a path, as ``str`` or ``Path``), a fitted estimator you
    already hold, or None (predictions-only mode). A file runs sandboxed (``isolate=False``:
    in this process, as ``--isolate off``) and is name-scanned unless ``trust_model``; an
    estimator is already in your process, so no loading rule applies to it (the report
    says so). ``data`` is the splits folder, or frames in memory: ``{"train": df, "test":
    df}``, optionally ``validation`` and ``production`` (a frame, or ``{batch: frame}``).
    ``checklist`` is a file, or what it would hold as a mapping (default:
    ``./checklist.yaml`` if present, else built-in defaults). The other arguments are the
    command's options. Raises :class:`~mlready.errors.MlreadyError` when the audit cannot
    run (what exit 2 reports on the command line).
    """
    frames = data if isinstance(data, Mapping) else None
    folder = None if isinstance(data, Mapping) else _path(data)
    is_file = model is None or isinstance(model, str | os.PathLike)
    options = AuditOptions(
        model=Path(model) if is_file and model is not None else None,
        estimator=None if is_file else model,
        data=folder,
        frames=frames,
        checklist=checklist if isinstance(checklist, Mapping) else _path(checklist),
        target=target,
        seed=seed,
        trust_model=trust_model,
        fail_on=fail_on,
        quick=quick,
        compare_to=_path(compare_to),
        jobs=jobs,
        profile=_path(profile),
        sandbox=DEFAULT_SANDBOX if isolate else None,
        monitor=monitor,
    )
    return run(options, listener=listener)


def _path(value: str | os.PathLike[str] | None) -> Path | None:
    return None if value is None else Path(value)


def run(
    options: AuditOptions,
    *,
    listener: Listener | None = None,
    with_context: Callable[[AuditContext], None] | None = None,
) -> AuditReport:
    """Run an audit and return its report. Raises :class:`MlreadyError` when it cannot run.

    ``options`` says what to audit and how (:class:`~mlready.options.AuditOptions`): the
    model runs in its sandbox (:mod:`mlready.sandbox`) unless ``options.sandbox`` is None;
    a model that crashes, hangs, runs out of memory or tries what the sandbox forbids there
    becomes an error of the checks that need it, and the rest still run. With
    ``options.monitor`` only the checks that monitor production run, and production must be
    there. With ``options.engine`` "stream" or "dask", production is summarised without
    being read into memory, and only the checks that can use such summaries run.
    ``listener`` is told what runs, and each check as it starts and ends (progress);
    ``with_context`` with the audit's context
    after the checks, for outputs that need the data and model (the labelling queue).
    """
    today = options.today or dt.date.today()
    previous = load_report(options.compare_to) if options.compare_to is not None else None
    spec = resolve_spec(options.checklist)
    registry = load_checks()
    planned = plan(spec, registry)
    if options.monitor:
        planned = [item for item in planned if item.check.capabilities.monitors]
    data_dir = _data_folder(options, spec)
    opened = (
        CallersModel(options.estimator)
        if options.estimator is not None
        else ModelUnderAudit(options.model, spec, options.trust_model, options.sandbox)
    )
    with opened as model:
        # Imported now, not at the top: the model's process starts (imports its libraries,
        # loads the model) while mlready imports its own.
        from mlready.context import build_context
        from mlready.io.data import REQUIRED_SPLITS, load_splits
        from mlready.io.profile import load_profile
        from mlready.io.streamed import engine_named

        streaming = engine_named(options.engine, options.scheduler)
        if streaming is not None and options.frames is not None:
            raise MlreadyError(
                "frames in memory are read in memory", hint="use engine 'memory' with frames"
            )
        if streaming is not None:
            planned = [item for item in planned if item.check.capabilities.streams_production]
        partial = options.monitor or streaming is not None  # some checks are left out
        train_profile = load_profile(options.profile) if options.profile is not None else None
        # A partial run with a train profile runs no check that needs train's rows.
        needed = tuple(
            s for s in REQUIRED_SPLITS if s != "train" or train_profile is None or not partial
        )
        if options.monitor:
            needed += ("production",)
        skip = ("production",) if streaming is not None else ()
        if data_dir is None:
            assert options.frames is not None  # _data_folder gives None only for frames
            splits = _splits_in_memory(options.frames, needed)
        else:
            splits = load_splits(data_dir, spec.data.splits, required=needed, skip=skip)
        inputs = audit_inputs([options.model], spec, splits, options.profile, options.compare_to)
        refuse_overwriting_inputs(options.outputs, inputs)
        loaded = model.load()
        context = build_context(
            spec,
            splits,
            model=loaded,
            model_problem=model.problem,
            target=options.target,
            seed=options.seed,
            quick=options.quick,
            today=today,
            profile=train_profile,
            sandbox=model.sandbox,
            trust_model=options.trust_model,
            engine=streaming,
            production_files=_production_files(data_dir, spec) if data_dir and streaming else (),
            previous=previous,
        )
        results = run_checks(
            planned, context, listener=listener, debug=options.debug, jobs=options.jobs
        )
        if previous is not None:
            results = [_with_previous(r, previous) for r in results]
        if with_context is not None:
            with_context(context)
    answers = [] if partial else evaluate_answers(spec, today)
    automates = {check_id: check.capabilities.automates for check_id, check in registry.items()}
    return AuditReport(
        mlready_version=__version__,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        status=overall(results, answers),
        verdict=verdict_sentence(results, answers, options.fail_on, partial=partial),
        fail_on=options.fail_on,
        seed=context.seed,
        task=context.task,
        target=context.target,
        primary_metric=context.primary.name,
        checklist=str(spec.source) if spec.source else None,
        model=_model_fingerprint(options.model, loaded, model.problem, options.estimator),
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
        notes=list(context.notes),
        questions=coverage(results, answers, partial=partial),
        checks=results,
        answers=answers,
        scorecard=None if partial else score_card(results, answers, automates),
        compared_to=str(options.compare_to) if options.compare_to is not None else None,
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
    margin: float = DEFAULT_MARGIN,
) -> Profile:
    """The reference profile of the training data at ``train_path`` (a file or a folder of
    batch files): what the distribution and quality checks need of train. With a model
    (or in predictions-only mode), its outputs on train are profiled for prediction drift,
    the model run as ``sandbox`` says (see :func:`audit`). ``margin`` widens each numeric
    range of the draft data contract by that share of the column's span.
    """
    from mlready.context import build_context
    from mlready.io.data import read_split
    from mlready.io.profile import FORMAT, VERSION, Profile, ProfileMeta
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
        context = build_context(
            spec,
            {"train": split},
            model=loaded,
            model_problem=opened.problem if opened is not None else None,
            target=target,
            sandbox=opened.sandbox if opened is not None else None,
            trust_model=trust_model,
        )
        predictions = context.output_reference("train") if with_model else None
    frame = split.frame
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
