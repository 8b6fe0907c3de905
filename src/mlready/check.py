"""The plugin author's API: what a check is.

A check is a class with four class attributes and one method::

    class MyCheck:
        id = "my_check"                 # stable snake_case id used in YAML and JSON
        title = "My check"
        question = 3                    # the checklist question it answers (1-11)
        Params = MyParams               # a CheckParams subclass: options with defaults

        def run(self, context: AuditContext, params: MyParams) -> Outcome: ...

registered under the ``mlready.checks`` entry-point group::

    [project.entry-points."mlready.checks"]
    my_check = "my_package.checks:MyCheck"

``run`` computes and returns an :class:`~mlready.results.Outcome`; raising
:class:`SkipCheck` records ``skip`` with the reason; any other exception is
recorded as ``error`` while the other checks still run. Its docstring should
have "What it checks", "Why it matters" and "Example" sections:
``mlready explain ID`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from mlready.results import Evidence, Outcome, Plot, Status, Table, worst

if TYPE_CHECKING:
    from mlready.context import AuditContext


class CheckParams(BaseModel):
    """Base for a check's options; unknown options are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Check(Protocol):
    id: ClassVar[str]
    title: ClassVar[str]
    question: ClassVar[int]
    Params: ClassVar[type[CheckParams]]

    def run(self, context: AuditContext, params: Any) -> Outcome: ...


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
