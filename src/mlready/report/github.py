"""GitHub Actions: a job summary and workflow annotations for the checks that failed."""

from __future__ import annotations

import os
from pathlib import Path

from mlready.report.paths import in_checkout
from mlready.report.templating import environment
from mlready.results import AuditReport, CheckResult, Status
from mlready.verdict import fails_build


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


def publish(report: AuditReport) -> list[str]:
    """Inside GitHub Actions: append the summary to ``GITHUB_STEP_SUMMARY`` (when set) and
    return the annotations to print (when ``GITHUB_ACTIONS`` is true)."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(render_summary(report) + "\n")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return workflow_commands(report)
    return []
