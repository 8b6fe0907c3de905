"""GitLab: a Code Quality report (``--gitlab FILE``) with one issue per check that did not
pass, on the checklist line that configures it, so merge requests show them inline."""

from __future__ import annotations

import hashlib
import json

from mlready.report.paths import in_checkout
from mlready.results import AuditReport, CheckResult, Status
from mlready.verdict import fails_build

# GitLab's severities: info, minor, major, critical, blocker.
_CRASHED = "critical"
_FAILS = "major"
_WARNS = "minor"
_ACCEPTED = "info"


def _severity(check: CheckResult, report: AuditReport) -> str | None:
    if check.status == Status.ERROR:
        return _CRASHED
    if fails_build(check.status, report.fail_on):
        return _FAILS
    if check.status == Status.WARN:
        return _WARNS
    if check.status == Status.WAIVED:
        return _ACCEPTED
    return None


def _location(check: CheckResult, report: AuditReport) -> dict[str, object]:
    """The checklist line that configures the check, else the model file's first line."""
    if report.checklist and check.checklist_line is not None:
        path = in_checkout(report.checklist, "CI_PROJECT_DIR")
        return {"path": path, "lines": {"begin": check.checklist_line}}
    return {"path": in_checkout(report.model.path, "CI_PROJECT_DIR"), "lines": {"begin": 1}}


def render_code_quality(report: AuditReport) -> str:
    """The report as GitLab Code Quality JSON (an array of issues)."""
    issues = []
    for check in report.checks:
        severity = _severity(check, report)
        if severity is None:
            continue
        location = _location(check, report)
        # Stable across runs for the same check on the same file, so GitLab can tell a
        # new finding from one that stayed.
        key = f"mlready:{check.id}:{location['path']}"
        issues.append(
            {
                "type": "issue",
                "check_name": f"mlready.{check.id}",
                "description": f"{check.title} (question {check.question}): {check.message}",
                "categories": ["Bug Risk"],
                "severity": severity,
                "fingerprint": hashlib.sha256(key.encode("utf-8")).hexdigest(),
                "location": location,
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
