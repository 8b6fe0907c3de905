"""Pure data: what checks produce and what renderers consume.

A check returns an :class:`Outcome`; the runner wraps it into a
:class:`CheckResult` (adding id, question, severity, duration); the audit
collects those into an :class:`AuditReport`, whose JSON is the contract CI
consumers rely on (``status``, ``checks[]`` with ``id``, ``status``,
``severity``, ``message``, ``metrics``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import IntEnum, StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

# 2: table cells are typed (numbers stay numbers; Measure and Summary cells), evidence
# carries its change from the --compare-to report, results name their check's package.
SCHEMA_VERSION = 3


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    WAIVED = "waived"  # a failure accepted in the checklist until its waiver expires
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


# Order used to pick the worst of several statuses.
_STATUS_RANK = {
    Status.SKIP: 0,
    Status.PASS: 1,
    Status.WARN: 2,
    Status.WAIVED: 3,
    Status.FAIL: 4,
    Status.ERROR: 5,
}


def worst(statuses: Sequence[Status]) -> Status:
    """The most severe status of ``statuses`` (``pass`` for an empty list)."""
    return max(statuses, key=_STATUS_RANK.__getitem__, default=Status.PASS)


Severity = Literal["fail", "warn"]
Comparison = Literal[">=", ">", "<=", "<"]


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
    op: Comparison | None = None
    unit: str | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    reference: str | None = None
    previous: float | None = None  # the same number in the --compare-to report

    @computed_field  # type: ignore[prop-decorator]
    @property
    def delta(self) -> float | None:
        """How much the number moved since the --compare-to report (now - before)."""
        if self.previous is None or self.value is None:
            return None
        return self.value - self.previous


class Measure(_Frozen):
    """A number in a table with what it is, for renderers to format.

    ``kind``: a plain ``number``; a ``share`` (0-1, shown as a percentage); a ``p_value``;
    a signed ``difference``; an ``interval`` (``low`` to ``high``, no value). Where it has
    them: the ``statistic`` it is (``ks``, ``wasserstein``), an interval around it, the bar
    it is judged by (``op`` ``threshold``: what must hold), the value it changed from
    (``before``) and its ``unit``.
    """

    type: Literal["measure"] = "measure"
    kind: Literal["number", "share", "p_value", "difference", "interval"] = "number"
    value: int | float | None = None
    statistic: str | None = None
    low: float | None = None
    high: float | None = None
    threshold: float | None = None
    op: Comparison | None = None
    before: float | None = None
    unit: str | None = None

    @classmethod
    def between(cls, low: float | None, high: float | None) -> Measure:
        """An interval on its own (e.g. a confidence interval column)."""
        return cls(kind="interval", low=_number(low), high=_number(high))

    @classmethod
    def share_of(cls, value: float | None, before: float | None = None) -> Measure:
        """A share (0-1), and what it was before when it changed."""
        return cls(kind="share", value=_number(value), before=_number(before))

    @classmethod
    def change(cls, value: float | None) -> Measure:
        """A signed difference (a margin, a shortfall, a drop)."""
        return cls(kind="difference", value=_number(value))


def _number(value: float | None) -> float | None:
    return None if value is None else float(value)


class Summary(_Frozen):
    """A sample in brief: a numeric one's mean, median and 5th and 95th percentiles, or a
    categorical one's most common levels with their shares (0-1); no numbers: no values."""

    type: Literal["summary"] = "summary"
    mean: float | None = None
    median: float | None = None
    p5: float | None = None
    p95: float | None = None
    levels: list[tuple[str, float]] = Field(default_factory=list)
    unseen: list[str] = Field(default_factory=list)  # levels the reference never had


# A table cell: text, a plain number (counts stay whole), a flag, empty, a typed number, or
# a series of numbers (one per window, say).
Cell = (
    Annotated[Measure | Summary, Field(discriminator="type")]
    | str
    | int
    | float
    | bool
    | None
    | list[float | None]
)


class Table(_Frozen):
    """A small table a check wants shown in the report: cells hold values, renderers
    format them."""

    title: str
    columns: list[str]
    rows: list[list[Cell]]


class Series(_Frozen):
    """One named series of a plot: y per x, with an optional interval per point."""

    name: str
    x: list[float | str]
    y: list[float | None]
    low: list[float | None] | None = None
    high: list[float | None] | None = None


class Plot(_Frozen):
    """What a check wants drawn, as numbers: renderers turn it into SVG or PNG.

    ``bars``: categories on x, a value per series (intervals as whiskers); ``lines``:
    ordered categories (windows) on x, a line per series (intervals as a band);
    ``distribution``: shares per bin (x holds the bin edges, one more than y) or per level,
    one outline per series; ``curve``: numeric x and y, a line per series (ROC and
    precision-recall curves, a reliability diagram); ``points``: numeric x and y, a point
    per row (predicted against actual, residuals); ``matrix``: a row per series (its name
    the row's label), x the column labels, y the cells (a confusion matrix).
    """

    kind: Literal["bars", "lines", "distribution", "curve", "points", "matrix"]
    title: str
    x_label: str = ""
    y_label: str = ""
    series: list[Series]
    reference: float | None = None  # a horizontal line: a benchmark or a threshold
    reference_label: str | None = None
    reference_low: float | None = None  # the benchmark's interval, drawn as a band
    reference_high: float | None = None
    diagonal: bool = False  # the line y = x: chance (ROC), perfect calibration, no error
    marked: list[str] = Field(default_factory=list)  # x categories to mark (degraded windows)
    alt: str | None = None  # what the plot shows in words; renderers describe it otherwise


class Outcome(_Frozen):
    """What a check's ``run`` returns: a verdict, one line why, and the numbers."""

    status: Status
    message: str
    evidence: list[Evidence] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    plots: list[Plot] = Field(default_factory=list)


class WaiverRecord(_Frozen):
    """The checklist's waiver of a check, and whether it held on the audit's date."""

    reason: str
    owner: str
    expires: dt.date
    expired: bool


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
    waiver: WaiverRecord | None = None
    plots: list[Plot] = Field(default_factory=list)
    package: str | None = None  # the distribution that provides the check, and its version
    version: str | None = None
    # The line of the checklist file (AuditReport.checklist) that configures the check, for
    # CI annotations on it; None when the checklist leaves the check at its defaults.
    checklist_line: int | None = None

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


class SandboxLayer(_Frozen):
    """One layer of the model's sandbox, and whether it was in force in this run."""

    name: str  # privileges, limits, landlock, seccomp, memory
    in_force: bool
    detail: str


class SandboxRecord(_Frozen):
    """How the model's code was contained: ``sandboxed`` (a locked-down child process, with
    the layers that were in force), ``in-process`` (``--isolate off``: mlready's own
    process), ``in memory`` (the Python API was given a fitted model: it is the caller's
    own object, in the caller's process), or ``not run`` (predictions-only mode: the file
    is never loaded)."""

    mode: Literal["sandboxed", "in-process", "in memory", "not run"]
    layers: list[SandboxLayer] = Field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """The layers that were not in force, each with why."""
        return [f"{layer.name}: {layer.detail}" for layer in self.layers if not layer.in_force]


# "not assessed" only when a run leaves out the checks of a question (mlready monitor).
CoverageStatus = Literal["met", "partly met", "unmet", "not applicable", "not assessed"]
AnswerState = Literal["answered", "not applicable", "missing", "empty", "stale"]


class AnswerResult(_Frozen):
    """A written answer (or its absence) as judged on the audit's date."""

    id: str
    question: int
    title: str
    required: bool
    state: AnswerState
    status: Status  # pass when answered, skip when not applicable, else warn/fail
    message: str
    owner: str | None = None
    date: dt.date | None = None
    age_days: int | None = None
    evidence: str | None = None
    answer: str | None = None
    guidance: list[str] = Field(default_factory=list)


class QuestionCoverage(_Frozen):
    """How one of the eleven checklist questions was answered."""

    number: int
    key: str
    text: str
    status: CoverageStatus
    checks: list[str]
    answers: list[str] = Field(default_factory=list)
    reason: str
    missing: str | None = None  # what would answer it, when it is not met
    guidance: list[str] = Field(default_factory=list)  # the guide's sub-questions, if unmet


class ScoreItem(_Frozen):
    """One of the 28 tests of the ML Test Score rubric and how this audit covers it."""

    section: str
    number: int
    test: str
    points: float  # 1 automated (a check ran), 0.5 manual (a written answer), 0 otherwise
    how: str


class ScoreCard(_Frozen):
    """The ML Test Score (Breck et al., 2017): the final score is the lowest section's."""

    sections: dict[str, float]
    final: float
    meaning: str
    items: list[ScoreItem]


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
    answers: list[AnswerResult] = Field(default_factory=list)
    scorecard: ScoreCard | None = None
    compared_to: str | None = None  # the earlier report the numbers are compared with
    sandbox: SandboxRecord | None = None  # None in reports written before it was recorded

    # What a Python caller asks of a report (the renderers are imported on first use, so
    # reading a report stays light).

    @property
    def exit_code(self) -> ExitCode:
        """What ``mlready audit`` would exit with: 0, or 1 when a check at or above
        ``fail_on`` failed (or a required answer is missing)."""
        from mlready.verdict import exit_code

        return exit_code(self)

    @property
    def passed(self) -> bool:
        """Whether the audit would let the build pass (exit code 0)."""
        return self.exit_code == ExitCode.OK

    def summary(self) -> str:
        """A few lines: the verdict, each check that did not pass and why, and the counts;
        short enough for a pytest assertion message (``assert report.passed,
        report.summary()``)."""
        from mlready.report.progress import closing_line

        lines = [f"Verdict: {self.verdict}"]
        for check in self.checks:
            if check.status not in (Status.PASS, Status.SKIP):
                lines.append(f"  {check.status.value:<6} {check.id}: {check.message}")
        seconds = sum(check.duration_s for check in self.checks)
        lines.append(closing_line((check.status for check in self.checks), seconds))
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """The markdown report (what ``--report`` writes)."""
        from mlready.report.markdown import render_markdown

        return render_markdown(self)

    def to_html(self) -> str:
        """The self-contained HTML report with its plots (what ``--html`` writes)."""
        from mlready.report.html import render_html

        return render_html(self)

    def to_json(self) -> str:
        """The JSON report (what ``--json`` writes; its schema is versioned)."""
        from mlready.report.json import render_json

        return render_json(self)

    def _repr_html_(self) -> str:
        """A notebook shows the HTML report."""
        return self.to_html()

    def __repr__(self) -> str:
        failing = [c.id for c in self.checks if c.status in (Status.FAIL, Status.ERROR)]
        return f"<AuditReport {self.status.value}: {self.verdict!r}; failing {failing}>"
