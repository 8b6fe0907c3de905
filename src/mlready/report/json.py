"""The JSON report: the versioned contract CI consumers read."""

from __future__ import annotations

from mlready.results import AuditReport


def render_json(report: AuditReport) -> str:
    """The report as indented JSON (``status``, ``checks[]`` with ``metrics``, …)."""
    return report.model_dump_json(indent=2) + "\n"
