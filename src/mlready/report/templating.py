"""The Jinja environment shared by the file renderers (templates live beside it)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from mlready.numbers import cell_text, estimate_parts, fmt, with_unit
from mlready.report.sentences import sandbox_summary
from mlready.results import Evidence, Measure

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


def evidence_value(evidence: Evidence) -> str:
    """An evidence's value as the reports show it: to the precision its interval
    justifies, with its unit (durations in days, hours or minutes)."""
    if evidence.ci_low is None or evidence.ci_high is None:
        return with_unit(evidence.value, evidence.unit)
    text = estimate_parts(evidence.value, evidence.ci_low, evidence.ci_high)[0]
    return f"{text} {evidence.unit}" if evidence.unit else text


def evidence_interval(evidence: Evidence) -> str:
    """An evidence's interval, 'low to high', to its value's precision (or empty)."""
    return estimate_parts(evidence.value, evidence.ci_low, evidence.ci_high)[1]


def sort_key(cell: Any) -> str:
    """The number a table column sorts by (empty for text, which sorts as text)."""
    value = cell.value if isinstance(cell, Measure) else cell
    if is_number(cell) and isinstance(value, int | float) and value == value:
        return repr(float(value))
    return ""


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
    env.filters["evidence_value"] = evidence_value
    env.filters["evidence_interval"] = evidence_interval
    env.globals["sort_key"] = sort_key
    env.globals["is_number"] = is_number
    env.globals["status_icon"] = STATUS_ICONS.__getitem__
    env.globals["coverage_icon"] = COVERAGE_ICONS.__getitem__
    env.globals["max_rows"] = MAX_TABLE_ROWS
    env.globals["sandbox_summary"] = sandbox_summary
    return env
