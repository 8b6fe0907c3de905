"""Sentences that renderers share, built from a report's values (no computation)."""

from __future__ import annotations

from mlready.results import SandboxRecord


def sandbox_summary(record: SandboxRecord | None) -> str:
    """One sentence on how the model's code was contained (and what was missing)."""
    if record is None:
        return "not recorded (a report from before mlready recorded it)"
    if record.mode == "not run":
        return "not needed: predictions-only mode never loads the model file"
    if record.mode == "in memory":
        return (
            "not applicable: the model is the caller's own object, already in its process "
            "(mlready.audit given an estimator), so no loading rules apply"
        )
    if record.mode == "in-process":
        return "off (--isolate off): the model ran in mlready's own process"
    held = ", ".join(layer.name for layer in record.layers if layer.in_force)
    text = f"the model ran only in a locked-down process ({held or 'no layer in force'})"
    if record.missing:
        text += f"; NOT in force: {'; '.join(record.missing)}"
    return text
