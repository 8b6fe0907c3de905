"""The HTML report: one self-contained file (inline CSS, plots as inline SVG).

No request leaves the file: no scripts, fonts, stylesheets or images from
elsewhere, so it opens offline, attaches to a ticket, and prints.
"""

from __future__ import annotations

from markupsafe import Markup

from mlready.report.plots import to_svg
from mlready.report.templating import environment
from mlready.results import AuditReport, CheckResult, Status

# Checks listed first in the summary: the ones that need attention.
_ATTENTION = {Status.ERROR: 0, Status.FAIL: 1, Status.WAIVED: 2, Status.WARN: 3}


def _attention(report: AuditReport) -> list[CheckResult]:
    flagged = [c for c in report.checks if c.status in _ATTENTION]
    return sorted(flagged, key=lambda c: (_ATTENTION[c.status], c.question))


def render_html(report: AuditReport) -> str:
    """The whole report as one HTML document."""
    svgs = {(c.id, i): Markup(to_svg(p)) for c in report.checks for i, p in enumerate(c.plots)}
    return (
        environment(html=True)
        .get_template("report.html.j2")
        .render(report=report, attention=_attention(report), svgs=svgs)
    )
