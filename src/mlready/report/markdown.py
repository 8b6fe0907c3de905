"""GitHub-flavoured markdown report, rendered from ``templates/report.md.j2``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from mlready.report.templating import MAX_TABLE_ROWS, environment
from mlready.results import AuditReport
from mlready.verdict import needs_attention

if TYPE_CHECKING:
    from mlready.compare import Comparison
    from mlready.quality.results import ValidationReport


# GitHub cuts a comment at 65,536 characters; the report stays below it with room to spare
# for a bot's own header.
MAX_CHARACTERS = 60_000

# What goes, in this order, until the report fits: the bodies of passing checks, then
# rows of long tables, then the raw numbers, then the tail of the text itself.
_SHORTER = (
    ("passing checks shown as one line each", {"passing_bodies": False}),
    ("tables cut to 10 rows", {"passing_bodies": False, "table_rows": 10}),
    (
        "tables cut to 10 rows, the raw numbers left out",
        {"passing_bodies": False, "table_rows": 10, "with_numbers": False},
    ),
)


def render_markdown(
    report: AuditReport,
    assets: dict[tuple[str, int], str] | None = None,
    limit: int = MAX_CHARACTERS,
) -> str:
    """The whole report as markdown text, at most ``limit`` characters (a pull-request
    comment): failing and warning checks first and whole, the others one line each that
    opens; what had to be cut to fit is said at the top. ``assets`` maps (check id, plot
    index) to the relative path of its image, to link the plots (see
    :func:`render_assets`)."""
    template = environment().get_template("report.md.j2")
    settings: dict[str, object] = {
        "report": report,
        "assets": assets or {},
        "attention": needs_attention(report),
        "passing_bodies": True,
        "table_rows": MAX_TABLE_ROWS,
        "with_numbers": True,
        "cut": "",
    }
    text = template.render(**settings)
    for cut, shorter in _SHORTER:
        if len(text) <= limit:
            return text
        text = template.render(**(settings | shorter | {"cut": cut}))
    if len(text) <= limit:
        return text
    note = "\n\n… the rest of the report is cut here (see the JSON or HTML report).\n"
    return text[: text.rfind("\n", 0, limit - len(note))] + note


def render_assets(
    report: AuditReport, folder: Path, markdown: Path
) -> tuple[dict[Path, bytes], dict[tuple[str, int], str]]:
    """Every plot worth drawing as SVG and PNG files for ``folder`` (path and bytes), and
    each PNG's path relative to the markdown file, for :func:`render_markdown`."""
    from mlready.report.plots import drawn, to_png, to_svg

    files: dict[Path, bytes] = {}
    links = {}
    for check in report.checks:
        for index, plot in enumerate(check.plots):
            if not drawn(plot):
                continue
            stem = f"{check.id}-{index + 1}"
            files[folder / f"{stem}.svg"] = to_svg(plot, stem).encode("utf-8")
            files[folder / f"{stem}.png"] = to_png(plot)
            relative = os.path.relpath(folder / f"{stem}.png", markdown.parent)
            links[(check.id, index)] = relative.replace(os.sep, "/")
    return files, links


def render_comparison(report: Comparison) -> str:
    """A model comparison (``mlready compare``) as markdown text."""
    return environment().get_template("compare.md.j2").render(report=report)


def render_validation(report: ValidationReport) -> str:
    """A data validation (``mlready validate``) as markdown text."""
    from mlready.quality.validate import EXAMPLES_PER_RULE

    template = environment().get_template("validate.md.j2")
    return template.render(report=report, examples_per_rule=EXAMPLES_PER_RULE)
