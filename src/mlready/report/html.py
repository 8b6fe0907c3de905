"""The HTML report: one self-contained file (inline CSS, plots as inline SVG, one short
inline script that sorts tables and opens every section for printing).

No request leaves the file: no scripts, fonts, stylesheets or images from elsewhere, so
it opens offline, attaches to a ticket, and prints. It is short by default (checks that
need attention open, the others one line each; long tables and the raw numbers behind a
"show") and bounded whatever the data's width (rows, numbers and plots per check capped;
the JSON report keeps everything).
"""

from __future__ import annotations

from markupsafe import Markup

from mlready.report.plots import drawn, to_svg
from mlready.report.templating import environment
from mlready.results import AuditReport, CheckResult
from mlready.verdict import needs_attention

# Rows of a table (and numbers of a check) in the page; tables longer than SHORT_TABLE
# start collapsed.
HTML_ROWS = 200
SHORT_TABLE = 10
# Plots drawn per check: a plugin's plots, like the built-in ones, stay bounded.
MAX_PLOTS_PER_CHECK = 30


def _figures(check: CheckResult) -> list[Markup]:
    """The check's plots worth drawing (three numbers or more), as inline SVG."""
    shown = [plot for plot in check.plots if drawn(plot)][:MAX_PLOTS_PER_CHECK]
    return [Markup(to_svg(plot, f"{check.id}-{i}")) for i, plot in enumerate(shown)]


def render_html(report: AuditReport) -> str:
    """The whole report as one HTML document."""
    svgs = {check.id: _figures(check) for check in report.checks}
    return (
        environment(html=True)
        .get_template("report.html.j2")
        .render(
            report=report,
            attention=needs_attention(report),
            svgs=svgs,
            html_rows=HTML_ROWS,
            short_table=SHORT_TABLE,
        )
    )
