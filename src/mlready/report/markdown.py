"""GitHub-flavoured markdown report, rendered from ``templates/report.md.j2``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from mlready.report.templating import environment
from mlready.results import AuditReport

if TYPE_CHECKING:
    from mlready.compare import Comparison
    from mlready.quality.results import ValidationReport


def render_markdown(report: AuditReport, assets: dict[tuple[str, int], str] | None = None) -> str:
    """The whole report as markdown text; ``assets`` maps (check id, plot index) to the
    relative path of its image, to link the plots (see :func:`render_assets`)."""
    return environment().get_template("report.md.j2").render(report=report, assets=assets or {})


def render_assets(
    report: AuditReport, folder: Path, markdown: Path
) -> tuple[dict[Path, bytes], dict[tuple[str, int], str]]:
    """Every plot as SVG and PNG files for ``folder`` (path and bytes), and each PNG's path
    relative to the markdown file, for :func:`render_markdown`."""
    from mlready.report.plots import to_png, to_svg

    files: dict[Path, bytes] = {}
    links = {}
    for check in report.checks:
        for index, plot in enumerate(check.plots):
            stem = f"{check.id}-{index + 1}"
            files[folder / f"{stem}.svg"] = to_svg(plot).encode("utf-8")
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
