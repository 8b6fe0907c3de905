"""GitHub Actions: a job summary and workflow annotations for the checks that failed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from mlready.numbers import fmt
from mlready.quality.results import ValidationReport
from mlready.report.paths import in_checkout
from mlready.report.templating import environment
from mlready.results import AuditReport, CheckResult, Status
from mlready.verdict import fails_build

if TYPE_CHECKING:
    from mlready.compare import Comparison


def render_summary(report: AuditReport) -> str:
    """A short markdown summary: the verdict, the checks, and the checklist coverage."""
    return environment().get_template("summary.md.j2").render(report=report)


def _escape(text: str) -> str:
    """Workflow-command data escaping (GitHub's rules for %, CR and LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """A workflow-command property (file, title) escapes ':' and ',' as well."""
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


def _where(report: AuditReport, check: CheckResult) -> str:
    """``file=...,line=...,`` of the checklist key that configures the check, else the model
    file (the thing judged), else nothing."""
    if report.checklist and check.checklist_line is not None:
        file = _escape_property(in_checkout(report.checklist, "GITHUB_WORKSPACE"))
        return f"file={file},line={check.checklist_line},"
    if report.model.path and not report.model.path.startswith("<"):
        return f"file={_escape_property(in_checkout(report.model.path, 'GITHUB_WORKSPACE'))},"
    return ""


def workflow_commands(report: AuditReport) -> list[str]:
    """``::error`` workflow commands for the checks that fail the build, ``::warning`` for
    the other warnings and waivers."""
    commands = []
    for check in report.checks:
        if fails_build(check.status, report.fail_on):
            level = "error"
        elif check.status in (Status.WARN, Status.WAIVED):
            level = "warning"
        else:
            continue
        title = _escape_property(f"mlready {check.id} (question {check.question})")
        where = _where(report, check)
        commands.append(f"::{level} {where}title={title}::{_escape(check.message)}")
    if report.sandbox is not None and report.sandbox.missing:
        what = _escape("the model's sandbox is incomplete: " + "; ".join(report.sandbox.missing))
        commands.append(f"::warning title=mlready sandbox::{what}")
    return commands


def validation_commands(report: ValidationReport) -> list[str]:
    """``::error`` for each rule that fails a batch, ``::warning`` for each that warns, on
    the batch file."""
    commands = []
    for batch in report.batches:
        where = f"file={_escape_property(in_checkout(batch.source, 'GITHUB_WORKSPACE'))},"
        for rule in batch.problems:
            level = "error" if rule.status == Status.FAIL else "warning"
            what = f"mlready contract: {rule.rule}" + (f" {rule.column}" if rule.column else "")
            title = _escape_property(what)
            commands.append(f"::{level} {where}title={title}::{_escape(rule.message)}")
    return commands


def render_validation_summary(report: ValidationReport) -> str:
    """A short markdown summary of a validation: the verdict and one row per batch."""
    verdict = "breaks the contract" if report.status == Status.FAIL else "meets the contract"
    lines = [
        f"## mlready validate: {verdict} ({report.contract})",
        "",
        "| batch | status | rows | quarantined | rules not met |",
        "|---|---|---|---|---|",
    ]
    for batch in report.batches:
        rules = ", ".join(sorted({r.rule for r in batch.problems})) or "-"
        lines.append(
            f"| `{batch.source}` | {batch.status.value} | {batch.rows:,} | "
            f"{batch.quarantined_rows:,} | {rules} |"
        )
    return "\n".join(lines) + "\n"


def comparison_commands(comparison: Comparison) -> list[str]:
    """A ``::warning`` on each candidate model that breaks a hard limit, and an
    ``::error`` when none meets them all (what fails ``mlready compare``)."""
    commands = []
    for candidate in comparison.candidates:
        if candidate.breaches:
            where = f"file={_escape_property(in_checkout(candidate.path, 'GITHUB_WORKSPACE'))},"
            title = _escape_property("mlready compare: limits broken")
            message = _escape("; ".join(candidate.breaches))
            commands.append(f"::warning {where}title={title}::{message}")
    if all(candidate.breaches for candidate in comparison.candidates):
        title = _escape_property("mlready compare")
        commands.append(f"::error title={title}::no candidate meets every hard limit")
    return commands


def render_comparison_summary(comparison: Comparison) -> str:
    """A short markdown summary of a comparison: one row per candidate."""
    metric = comparison.primary_metric
    lines = [
        f"## mlready compare ({metric})",
        "",
        f"| model | {metric} | p95 ms | limits | Pareto |",
        "|---|---|---|---|---|",
    ]
    for c in comparison.candidates:
        limits = "all met" if not c.breaches else f"{len(c.breaches)} broken"
        lines.append(
            f"| `{c.path}` | {fmt(c.metric)} | {fmt(c.p95_latency_ms)} | {limits} | "
            f"{'yes' if c.pareto else ''} |"
        )
    return "\n".join(lines) + "\n"


def _append_summary(text: str) -> None:
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")


def _in_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def publish(report: AuditReport) -> list[str]:
    """Inside GitHub Actions: append the summary to ``GITHUB_STEP_SUMMARY`` (when set) and
    return the annotations to print (when ``GITHUB_ACTIONS`` is true)."""
    _append_summary(render_summary(report))
    return workflow_commands(report) if _in_actions() else []


def publish_comparison(comparison: Comparison) -> list[str]:
    """What :func:`publish` does, for ``mlready compare``."""
    _append_summary(render_comparison_summary(comparison))
    return comparison_commands(comparison) if _in_actions() else []


def publish_validation(report: ValidationReport) -> list[str]:
    """What :func:`publish` does, for ``mlready validate``."""
    _append_summary(render_validation_summary(report))
    return validation_commands(report) if _in_actions() else []
