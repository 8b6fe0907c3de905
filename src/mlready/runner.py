"""Run the configured checks in checklist order, each isolated from the others."""

from __future__ import annotations

import datetime as dt
import functools
import time
import traceback
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from mlready.check import Check, CheckParams, ReadingCheck, SkipCheck
from mlready.errors import MlreadyError, SpecError
from mlready.registry import Origin, Registry
from mlready.results import CheckResult, Outcome, Severity, Status, WaiverRecord
from mlready.spec import ChecklistSpec, Waiver, format_validation_error, suggest
from mlready.steps import steps_heard_by

if TYPE_CHECKING:
    from mlready.context import AuditContext


@dataclass(frozen=True)
class PlannedCheck:
    """A check with its validated options, as the checklist configures it."""

    check: Check
    params: CheckParams
    severity: Severity
    enabled: bool
    origin: Origin
    waiver: Waiver | None = None


class Listener(Protocol):
    """Told how a run goes, for progress: what will run, then each check as it starts, the
    steps it reports (:func:`mlready.steps.step`) and as it ends (from the threads that run
    them when ``jobs`` > 1)."""

    def planned(self, items: Sequence[PlannedCheck]) -> None: ...

    def started(self, item: PlannedCheck) -> None: ...

    def step(self, check_id: str, text: str) -> None: ...

    def finished(self, result: CheckResult) -> None: ...


def plan(spec: ChecklistSpec, registry: Registry) -> list[PlannedCheck]:
    """Validate every ``checks.<id>`` section against its check; unknown ids are errors."""
    for check_id in spec.checks:
        if check_id not in registry:
            raise SpecError(
                f"{spec.where('checks', check_id)}: checks.{check_id}: unknown check"
                f"{suggest(check_id, list(registry))}",
                hint="'mlready checks' lists the installed checks",
            )
    planned = []
    for check_id, check in registry.items():
        config = spec.checks.get(check_id)
        options: dict[str, Any] = config.options() if config else {}
        try:
            params = check.Params.model_validate(options)
        except ValidationError as exc:
            raise SpecError(
                format_validation_error(exc, spec.where, check.Params, prefix=("checks", check_id))
            ) from None
        said = config.enabled if config else None
        planned.append(
            PlannedCheck(
                check=check,
                params=params,
                severity=config.severity if config else "fail",
                enabled=not check.capabilities.off_by_default if said is None else said,
                origin=registry.origins[check_id],
                waiver=config.waive if config else None,
            )
        )
    return planned


def _apply_severity(outcome: Outcome, severity: Severity) -> Status:
    """A check configured with ``severity: warn`` can warn but never fail the build."""
    if severity == "warn" and outcome.status == Status.FAIL:
        return Status.WARN
    return outcome.status


def _apply_waiver(
    status: Status, message: str, waiver: Waiver | None, today: dt.date
) -> tuple[Status, str, WaiverRecord | None]:
    """A failure covered by an unexpired waiver becomes ``waived`` (shown, not failing the
    build); after its expiry date it fails again, and says so."""
    if waiver is None:
        return status, message, None
    expired = today > waiver.expires
    record = WaiverRecord(
        reason=waiver.reason, owner=waiver.owner, expires=waiver.expires, expired=expired
    )
    if status != Status.FAIL:
        return status, message, record
    if expired:
        return status, f"waiver by {waiver.owner} expired on {waiver.expires}: {message}", record
    return (
        Status.WAIVED,
        (f"waived until {waiver.expires} by {waiver.owner} ({waiver.reason}): {message}"),
        record,
    )


def _outcome(
    item: PlannedCheck, context: AuditContext, earlier: dict[str, CheckResult], debug: bool
) -> Outcome:
    if not item.enabled:
        said = item.check.capabilities.off_by_default
        why = f"off by default: set checks.{item.check.id}.enabled" if said else "disabled"
        return Outcome(status=Status.SKIP, message=f"{why} in the checklist")
    check = item.check
    try:
        if check.capabilities.reads:
            reading: ReadingCheck = check  # type: ignore[assignment]
            return reading.run(
                context,
                item.params,
                {r: earlier[r] for r in check.capabilities.reads if r in earlier},
            )
        return check.run(context, item.params)
    except SkipCheck as exc:
        return Outcome(status=Status.SKIP, message=str(exc))
    except MlreadyError as exc:
        return Outcome(status=Status.ERROR, message=str(exc))
    except Exception as exc:
        detail = traceback.format_exc() if debug else f"{type(exc).__name__}: {exc}"
        return Outcome(status=Status.ERROR, message=f"the check crashed: {detail}")


def run_check(
    item: PlannedCheck,
    context: AuditContext,
    earlier: dict[str, CheckResult] | None = None,
    debug: bool = False,
) -> CheckResult:
    """Run one check (given the results of those it reads); a skip or a crash becomes a
    result, never an exception."""
    check = item.check
    started = time.perf_counter()
    outcome = _outcome(item, context, earlier or {}, debug)
    status, message, waiver = _apply_waiver(
        _apply_severity(outcome, item.severity), outcome.message, item.waiver, context.today
    )
    return CheckResult(
        id=check.id,
        title=check.title,
        question=check.question,
        status=status,
        severity=item.severity,
        message=message,
        waiver=waiver,
        evidence=outcome.evidence,
        tables=outcome.tables,
        notes=outcome.notes,
        plots=outcome.plots,
        params=item.params.model_dump(mode="json"),
        duration_s=round(time.perf_counter() - started, 3),
        package=item.origin.package,
        version=item.origin.version,
        checklist_line=context.spec.line("checks", check.id),
    )


def _run_one(
    item: PlannedCheck,
    context: AuditContext,
    earlier: dict[str, CheckResult],
    listener: Listener | None,
    debug: bool,
) -> CheckResult:
    if listener is None:
        return run_check(item, context, earlier, debug)
    listener.started(item)
    with steps_heard_by(functools.partial(listener.step, item.check.id)):
        result = run_check(item, context, earlier, debug)
    listener.finished(result)
    return result


def run_checks(
    planned: list[PlannedCheck],
    context: AuditContext,
    listener: Listener | None = None,
    debug: bool = False,
    jobs: int = 1,
) -> list[CheckResult]:
    """Run every planned check; results come back in plan order whatever ``jobs`` is.

    With ``jobs`` > 1 the checks run in that many threads (numpy, scipy and scikit-learn
    release the GIL in their heavy loops); every check draws from its own seeded generator,
    so the numbers do not depend on ``jobs``. A check that times things (``runs_alone``)
    runs by itself afterwards, and one that reads others' results (``reads``) after them.
    """
    alone = [i for i in planned if i.check.capabilities.runs_alone]
    reading = [i for i in planned if i.check.capabilities.reads and i not in alone]
    together = [i for i in planned if i not in alone and i not in reading]
    done: dict[str, CheckResult] = {}
    if listener is not None:
        listener.planned(planned)
    if jobs > 1 and len(together) > 1:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {
                i.check.id: pool.submit(_run_one, i, context, {}, listener, debug) for i in together
            }
            done |= {key: future.result() for key, future in futures.items()}
    else:
        done |= {i.check.id: _run_one(i, context, {}, listener, debug) for i in together}
    for item in _after_what_they_read(alone + reading, {i.check.id for i in planned}):
        done[item.check.id] = _run_one(item, context, dict(done), listener, debug)
    return [done[i.check.id] for i in planned]


def _after_what_they_read(items: list[PlannedCheck], planned: set[str]) -> list[PlannedCheck]:
    """``items`` in their order, except that a check comes after the planned checks it
    reads (the registry refuses circles)."""
    ordered: list[PlannedCheck] = []
    placed = {i.check.id for i in items} ^ planned  # the others ran before these
    pending = list(items)
    while pending:
        ready = next(
            i
            for i in pending
            if all(r in placed or r not in planned for r in i.check.capabilities.reads)
        )
        ordered.append(ready)
        placed.add(ready.check.id)
        pending.remove(ready)
    return ordered
