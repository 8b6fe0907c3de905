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

from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from mlready.context import AuditContext
    from mlready.results import Outcome


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
