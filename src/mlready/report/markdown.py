"""GitHub-flavoured markdown report, rendered from ``templates/report.md.j2``."""

from __future__ import annotations

from mlready.report.templating import environment
from mlready.results import AuditReport


def render_markdown(report: AuditReport) -> str:
    """The whole report as markdown text."""
    return environment().get_template("report.md.j2").render(report=report)
