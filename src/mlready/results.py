"""Pure data: what checks produce and what renderers consume.

A check returns an :class:`Outcome`; the runner wraps it into a
:class:`CheckResult` (adding id, question, severity, duration); the audit
collects those into an :class:`AuditReport`, whose JSON is the contract CI
consumers rely on (``status``, ``checks[]`` with ``id``, ``status``,
``severity``, ``message``, ``metrics``).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

SCHEMA_VERSION = 1


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


# Order used to pick the worst of several statuses.
_STATUS_RANK = {Status.SKIP: 0, Status.PASS: 1, Status.WARN: 2, Status.FAIL: 3, Status.ERROR: 4}


def worst(statuses: list[Status]) -> Status:
    """The most severe status of ``statuses`` (``pass`` for an empty list)."""
    return max(statuses, key=_STATUS_RANK.__getitem__, default=Status.PASS)


Severity = Literal["fail", "warn"]


class ExitCode(IntEnum):
    """Process exit codes of ``mlready``; documented in the README."""

    OK = 0
    CHECKS_FAILED = 1
    CANNOT_RUN = 2
    INTERNAL_ERROR = 3


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    """One measured number and, when judged, the bar it was held to.

    ``op`` reads "value op threshold must hold", e.g. ``>=``. ``ci_low`` and
    ``ci_high`` bound an estimated value (a bootstrap interval).
    """

    name: str
    value: int | float | None  # counts stay whole numbers
    threshold: float | None = None
    op: Literal[">=", ">", "<=", "<"] | None = None
    unit: str | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    reference: str | None = None


class Table(_Frozen):
    """A small table of numbers a check wants shown in the report."""

    title: str
    columns: list[str]
    rows: list[list[Any]]


class Outcome(_Frozen):
    """What a check's ``run`` returns: a verdict, one line why, and the numbers."""

    status: Status
    message: str
    evidence: list[Evidence] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class CheckResult(_Frozen):
    """An outcome as recorded by the runner for one configured check."""

    id: str
    title: str
    question: int
    status: Status
    severity: Severity
    message: str
    evidence: list[Evidence] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    duration_s: float = 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def metrics(self) -> dict[str, int | float | None]:
        """Every measured number by name: the flat view CI consumers read."""
        return {e.name: e.value for e in self.evidence}


class SplitFingerprint(_Frozen):
    name: str
    path: str
    sha256: str
    rows: int
    columns: int


class ModelFingerprint(_Frozen):
    path: str
    sha256: str
    format: str
    kind: str
    trusted: bool


CoverageStatus = Literal["met", "partly met", "unmet", "not assessed"]


class QuestionCoverage(_Frozen):
    """How one of the eleven checklist questions was answered."""

    number: int
    key: str
    text: str
    status: CoverageStatus
    checks: list[str]
    reason: str


class AuditReport(_Frozen):
    """Everything an audit found; renderers turn it into files, never compute."""

    schema_version: int = SCHEMA_VERSION
    mlready_version: str
    created_at: str
    status: Status
    verdict: str
    fail_on: Severity
    seed: int
    task: str
    target: str
    primary_metric: str
    checklist: str | None
    model: ModelFingerprint
    splits: list[SplitFingerprint]
    notes: list[str] = Field(default_factory=list)
    questions: list[QuestionCoverage]
    checks: list[CheckResult]
