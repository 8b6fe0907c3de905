"""GitHub-flavoured markdown report, rendered from ``templates/report.md.j2``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlready.report.templating import environment
from mlready.results import AuditReport

if TYPE_CHECKING:
    from mlready.compare import Comparison
    from mlready.quality.results import ValidationReport


def render_markdown(report: AuditReport) -> str:
    """The whole report as markdown text."""
    return environment().get_template("report.md.j2").render(report=report)


def render_comparison(report: Comparison) -> str:
    """A model comparison (``mlready compare``) as markdown text."""
    return environment().get_template("compare.md.j2").render(report=report)


def render_validation(report: ValidationReport) -> str:
    """A data validation (``mlready validate``) as markdown text."""
    from mlready.quality.validate import EXAMPLES_PER_RULE

    template = environment().get_template("validate.md.j2")
    return template.render(report=report, examples_per_rule=EXAMPLES_PER_RULE)
