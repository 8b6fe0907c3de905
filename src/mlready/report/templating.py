"""The Jinja environment shared by the file renderers (templates live beside it)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from mlready.numbers import fmt
from mlready.report.sentences import sandbox_summary

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
    """Text safe inside a markdown table cell."""
    return fmt(value).replace("|", "\\|").replace("\n", " ")


def environment(html: bool = False) -> Environment:
    """Jinja environment with the report filters (num, cell) and status icons; ``html``
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
    env.globals["status_icon"] = STATUS_ICONS.__getitem__
    env.globals["coverage_icon"] = COVERAGE_ICONS.__getitem__
    env.globals["max_rows"] = MAX_TABLE_ROWS
    env.globals["sandbox_summary"] = sandbox_summary
    return env
