"""Run one check on data in memory, as its unit tests do: the harness for plugin authors.

::

    from mlready.testing import make_context, run_check

    context = make_context({"train": train, "test": test}, model=fitted, target="y")
    result = run_check(MyCheck, context, {"min_rows": 50})
    assert result.status == "fail" and result.metrics["rows"] == 12

:func:`make_context` builds the same read-only :class:`~mlready.context.AuditContext` an
audit builds from files (target, task, classes, features and metrics resolved the same way,
input validated the same way); :func:`run_check` validates the options with the check's own
``Params`` and runs it through the same runner an audit uses (severity, waivers, skips and
crashes become results). The model given here is the caller's own object and runs in the
calling process; an audit runs a model file in its sandbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from mlready.check import Check
from mlready.context import AuditContext, build_context
from mlready.errors import SpecError
from mlready.io.data import SplitData, split_in_memory
from mlready.io.model import loaded_in_memory
from mlready.io.profile import Profile
from mlready.registry import Origin, load_checks, validate_check
from mlready.results import AuditReport, CheckResult, Severity
from mlready.runner import PlannedCheck
from mlready.runner import run_check as run_planned
from mlready.spec import ChecklistSpec, Waiver


def make_context(
    splits: Mapping[str, SplitData],
    model: Any | None = None,
    *,
    target: str | None = None,
    checklist: Mapping[str, Any] | ChecklistSpec | None = None,
    seed: int = 0,
    quick: bool = False,
    today: dt.date | None = None,
    previous: AuditReport | None = None,
    profile: Profile | None = None,
) -> AuditContext:
    """The context an audit of these frames would build.

    ``splits`` maps split names (train, test, validation, production) to a DataFrame, or to
    a mapping of batch name to DataFrame for a split given as a folder of batches.
    ``model`` is a fitted estimator (None: predictions-only mode, with
    ``data.prediction`` naming the column in ``checklist``). ``checklist`` is the
    checklist as a mapping (what ``checklist.yaml`` would hold) or a parsed spec.
    ``previous`` is the earlier report (``--compare-to``); ``profile`` a train profile
    (``--profile``, from :func:`mlready.api.make_profile`), which may stand in for train.
    """
    if isinstance(checklist, ChecklistSpec):
        spec = checklist
    else:
        try:
            spec = ChecklistSpec.model_validate(dict(checklist or {}))
        except ValidationError as exc:
            raise SpecError(f"checklist: {exc}") from None
    return build_context(
        spec,
        {name: split_in_memory(name, data) for name, data in splits.items()},
        model=loaded_in_memory(model) if model is not None else None,
        target=target,
        seed=seed,
        quick=quick,
        today=today,
        trust_model=True,
        previous=previous,
        profile=profile,
    )


def _origin(check: Check) -> Origin:
    registry = load_checks()
    if check.id in registry and type(registry[check.id]) is type(check):
        return registry.origins[check.id]
    return Origin(package=type(check).__module__.split(".")[0], version="unknown")


def run_check(
    check: Check | type[Check],
    context: AuditContext,
    options: Mapping[str, Any] | None = None,
    *,
    earlier: Mapping[str, CheckResult] | None = None,
    severity: Severity = "fail",
    enabled: bool = True,
    waiver: Mapping[str, Any] | None = None,
) -> CheckResult:
    """Run ``check`` (a class or an instance) on ``context`` with ``options`` (what its
    ``checks.<id>`` section would hold; validated by its ``Params``) and return its result.

    ``earlier`` holds the results of the checks its capabilities ``reads``; ``severity``,
    ``enabled`` and ``waiver`` are the checklist's per-check settings. A check that breaks
    the contract (:mod:`mlready.check`) raises :class:`~mlready.errors.MlreadyError`, as
    it would when an audit loads it.
    """
    instance: Check = check() if isinstance(check, type) else check
    validate_check(type(instance), type(instance).__qualname__)
    planned = PlannedCheck(
        check=instance,
        params=instance.Params.model_validate(dict(options or {})),
        severity=severity,
        enabled=enabled,
        origin=_origin(instance),
        waiver=Waiver.model_validate(dict(waiver)) if waiver is not None else None,
    )
    return run_planned(planned, context, dict(earlier or {}), debug=True)
