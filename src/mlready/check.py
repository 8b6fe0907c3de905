"""The plugin author's API: what a check is.

A check is a class with five class attributes and one method::

    class MyCheck:
        id = "my_check"                 # stable snake_case id used in YAML and JSON
        title = "My check"
        question = 3                    # the checklist question it answers (1-11)
        Params = MyParams               # a CheckParams subclass: options with defaults
        capabilities = Capabilities(monitors=True, automates=("Monitoring 2",))

        def run(self, context: AuditContext, params: MyParams) -> Outcome: ...

registered under the ``mlready.checks`` entry-point group::

    [project.entry-points."mlready.checks"]
    my_check = "my_package.checks:MyCheck"

``run`` computes and returns an :class:`~mlready.results.Outcome`; raising
:class:`SkipCheck` records ``skip`` with the reason; any other exception is
recorded as ``error`` while the other checks still run. A check whose capabilities
name others in ``reads`` runs after them and is given their results:
``run(context, params, earlier)``. Its docstring should have "What it checks", "Why it
matters" and "Example" sections: ``mlready explain ID`` prints it.
``mlready.testing`` runs a check on in-memory data, as its tests would. The built-in
checks import their computation inside ``run`` (``mlready.checks.compute``), so that
``mlready checks``, ``explain`` and ``init`` import no data library; a plugin may too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from mlready.results import CheckResult, Evidence, Outcome, Plot, Status, Table, worst

if TYPE_CHECKING:
    from mlready.context import AuditContext


@dataclass(frozen=True)
class Capabilities:
    """What a check does beyond ``run``, declared in one place (every field has its
    default here); the registry validates it when the check is loaded."""

    runs_alone: bool = False  # it times things: it runs by itself, after the others
    reads: tuple[str, ...] = ()  # ids of checks whose results it is given (it runs after them)
    streams_production: bool = False  # runs on streamed production (--engine stream|dask)
    monitors: bool = False  # part of 'mlready monitor'
    # ML Test Score tests it automates, as "<section> <number>" (scorecard.RUBRIC):
    # "Data 1", "Model 5", "Infrastructure 4", "Monitoring 7"...
    automates: tuple[str, ...] = ()
    off_by_default: bool = False  # runs only when the checklist enables it


class CheckParams(BaseModel):
    """Base for a check's options; unknown options are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Check(Protocol):
    """A check, as the runner sees it (see the module docstring)."""

    id: ClassVar[str]
    title: ClassVar[str]
    question: ClassVar[int]
    Params: ClassVar[type[CheckParams]]
    capabilities: ClassVar[Capabilities]

    def run(self, context: AuditContext, params: Any) -> Outcome: ...


class ReadingCheck(Check, Protocol):
    """A check whose capabilities name others in ``reads``: it is given their results."""

    def run(  # type: ignore[override]
        self, context: AuditContext, params: Any, earlier: Mapping[str, CheckResult]
    ) -> Outcome: ...


class SkipCheck(Exception):
    """Raised by a check that does not apply to this audit (the reason is shown)."""


@dataclass
class Finding:
    """One part of a check's verdict: its numbers, tables, notes, and any verdicts worse
    than pass (a part may raise several, e.g. one per split)."""

    evidence: list[Evidence] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    verdicts: list[tuple[Status, str]] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        status: Status,
        message: str,
        evidence: list[Evidence] | None = None,
        tables: list[Table] | None = None,
    ) -> Finding:
        """A finding with a single verdict."""
        return cls(evidence or [], tables or [], verdicts=[(status, message)])


def combine(findings: list[Finding], summary: str) -> Outcome:
    """One outcome from several findings: the worst status, every verdict's message (the
    worst first; ``summary`` when nothing is worse than pass), all numbers, tables, notes."""
    verdicts = [v for f in findings for v in f.verdicts if v[0] != Status.PASS]
    status = worst([s for s, _ in verdicts])
    ordered = sorted(verdicts, key=lambda v: v[0] != status)
    return Outcome(
        status=status,
        message="; ".join(text for _, text in ordered) if verdicts else summary,
        evidence=[e for f in findings for e in f.evidence],
        tables=[t for f in findings for t in f.tables],
        notes=[n for f in findings for n in f.notes],
        plots=[p for f in findings for p in f.plots],
    )
