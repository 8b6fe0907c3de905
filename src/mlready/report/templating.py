"""The Jinja environment shared by the file renderers (templates live beside it)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from mlready.numbers import cell_text, fmt
from mlready.report.sentences import sandbox_summary
from mlready.results import Measure

STATUS_ICONS = {"pass": "✅", "warn": "⚠️", "waived": "🛡️", "fail": "❌", "error": "💥", "skip": "⏭️"}
COVERAGE_ICONS = {
    "met": "✅",
    "partly met": "⚠️",
    "unmet": "❌",
    "not applicable": "⚪",
    "not assessed": "⬜",
}


# Longer tables are cut in the markdown and HTML reports (the JSON keeps every row).
MAX_TABLE_ROWS = 25


def table_cell(value: Any) -> str:
    """Text safe inside a markdown table cell (typed numbers formatted by their kind)."""
    return cell_text(value).replace("|", "\\|").replace("\n", " ")


def is_number(cell: Any) -> bool:
    """Whether a table cell is a number (right-aligned in the HTML report)."""
    if isinstance(cell, bool):
        return False
    return isinstance(cell, int | float | Measure)


def environment(html: bool = False) -> Environment:
    """Jinja environment with the report filters (num, cell, value) and status icons; ``html``
    escapes every value (markdown templates are not escaped)."""
    env = Environment(
        loader=PackageLoader("mlready", "report/templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=html,
    )
    env.filters["num"] = fmt
    env.filters["cell"] = table_cell
    env.filters["value"] = cell_text
    env.globals["is_number"] = is_number
    env.globals["status_icon"] = STATUS_ICONS.__getitem__
    env.globals["coverage_icon"] = COVERAGE_ICONS.__getitem__
    env.globals["max_rows"] = MAX_TABLE_ROWS
    env.globals["sandbox_summary"] = sandbox_summary
    return env
