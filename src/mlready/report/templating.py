"""The Jinja environment shared by the file renderers (templates live beside it)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from mlready.numbers import fmt

STATUS_ICONS = {
    "pass": "✅", "warn": "⚠️", "waived": "🛡️", "fail": "❌", "error": "💥", "skip": "⏭️"
}  # fmt: skip
COVERAGE_ICONS = {
    "met": "✅", "partly met": "⚠️", "unmet": "❌", "not applicable": "⚪", "not assessed": "⬜"
}  # fmt: skip


def table_cell(value: Any) -> str:
    """Text safe inside a markdown table cell."""
    return fmt(value).replace("|", "\\|").replace("\n", " ")


def environment() -> Environment:
    """Jinja environment with the report filters (num, cell) and status icons."""
    env = Environment(
        loader=PackageLoader("mlready", "report/templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # markdown, not HTML
    )
    env.filters["num"] = fmt
    env.filters["cell"] = table_cell
    env.globals["status_icon"] = STATUS_ICONS.__getitem__
    env.globals["coverage_icon"] = COVERAGE_ICONS.__getitem__
    return env
