"""JUnit XML: one testcase per check, one testsuite per checklist question, valid against
the Surefire schema (``junit-10.xsd``) that CI servers read.

Failed checks carry a ``<failure>``, crashed ones an ``<error>``, skipped ones a
``<skipped>``; warnings and waived failures pass, with the message in
``<system-out>`` (with ``--fail-on warn`` warnings and waivers are failures too). A
testcase's ``classname`` is its question ("Q3: ..."), which GitLab and Jenkins show as the
suite. Each suite has the audit's timestamp, the host, the checklist file and
``<properties>``: mlready's version, the seed, the model file and its sha256, the verdict
and how the model's code was contained (``mlready.sandbox``).
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from mlready.numbers import fmt
from mlready.quality.results import RuleResult, ValidationReport
from mlready.questions import question
from mlready.report.sentences import sandbox_summary
from mlready.results import AuditReport, CheckResult, Severity, Status
from mlready.verdict import fails_build

if TYPE_CHECKING:
    from mlready.compare import Comparison


def _details(check: CheckResult) -> str:
    lines = [check.message, ""]
    for e in check.evidence:
        bar = f" (must be {e.op} {fmt(e.threshold)})" if e.op else ""
        lines.append(f"{e.name}: {fmt(e.value)}{bar}")
    return "\n".join(lines).strip()


def _suite_name(number: int) -> str:
    return f"Q{number}: {question(number).text}"


def _testcase(check: CheckResult, fail_on: Severity) -> ET.Element:
    case = ET.Element(
        "testcase",
        name=check.id,
        classname=_suite_name(check.question),
        time=f"{check.duration_s:.3f}",
    )
    if check.status != Status.ERROR and fails_build(check.status, fail_on):
        ET.SubElement(
            case, "failure", message=check.message, type=check.status.value
        ).text = _details(check)
    elif check.status == Status.ERROR:
        ET.SubElement(case, "error", message=check.message, type="error").text = _details(check)
    elif check.status == Status.SKIP:
        ET.SubElement(case, "skipped", message=check.message)
    if check.status in (Status.WARN, Status.WAIVED):
        ET.SubElement(case, "system-out").text = f"{check.status.value}: {check.message}"
    return case


def _properties(report: AuditReport) -> dict[str, str]:
    return {
        "mlready.version": report.mlready_version,
        "mlready.seed": str(report.seed),
        "mlready.model": report.model.path,
        "mlready.model.sha256": report.model.sha256,
        "mlready.verdict": report.verdict,
        "mlready.sandbox": sandbox_summary(report.sandbox),
    }


def render_junit(report: AuditReport) -> str:
    """The report as JUnit XML text."""
    suites = ET.Element("testsuites", name="mlready")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    host = socket.gethostname()
    for number in sorted({c.question for c in report.checks}):
        cases = [_testcase(c, report.fail_on) for c in report.checks if c.question == number]
        counts = {
            "tests": len(cases),
            "failures": sum(c.find("failure") is not None for c in cases),
            "errors": sum(c.find("error") is not None for c in cases),
            "skipped": sum(c.find("skipped") is not None for c in cases),
        }
        seconds = sum(c.duration_s for c in report.checks if c.question == number)
        attributes = {
            "name": _suite_name(number),
            "time": f"{seconds:.3f}",
            "timestamp": report.created_at,
            "hostname": host,
            **({"file": report.checklist} if report.checklist else {}),
            **{k: str(v) for k, v in counts.items()},
        }
        suite = ET.SubElement(suites, "testsuite", attributes)
        properties = ET.SubElement(suite, "properties")
        for name, value in _properties(report).items():
            ET.SubElement(properties, "property", name=name, value=value)
        suite.extend(cases)
        for key in totals:
            totals[key] += counts[key]
    for key, total in totals.items():
        suites.set(key, str(total))  # the schema gives <testsuites> no 'skipped'
    suites.set("time", f"{sum(c.duration_s for c in report.checks):.3f}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def render_validation_junit(report: ValidationReport) -> str:
    """``mlready validate`` as JUnit XML: a testsuite per batch, a testcase per rule that is
    not simply met (a failure when it fails the batch), or one passing testcase for a batch
    that meets the contract."""
    suites = ET.Element("testsuites", name="mlready validate")
    host = socket.gethostname()
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for batch in report.batches:
        suite = ET.SubElement(suites, "testsuite", name=batch.source, hostname=host)
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("mlready.version", report.mlready_version),
            ("mlready.contract", report.contract),
            ("mlready.rows", str(batch.rows)),
            ("mlready.quarantined_rows", str(batch.quarantined_rows)),
        ):
            ET.SubElement(properties, "property", name=name, value=value)
        cases = [_rule_case(batch.source, rule) for rule in batch.problems] or [
            ET.Element("testcase", name="contract", classname=batch.source)
        ]
        suite.extend(cases)
        counts = {
            "tests": len(cases),
            "failures": sum(c.find("failure") is not None for c in cases),
            "errors": 0,
        }
        for key, count in counts.items():
            suite.set(key, str(count))
            totals[key] += count
    for key, total in totals.items():
        suites.set(key, str(total))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def _rule_case(source: str, rule: RuleResult) -> ET.Element:
    name = f"{rule.rule}: {rule.column}" if rule.column else rule.rule
    case = ET.Element("testcase", name=name, classname=source)
    if rule.status == Status.FAIL:
        ET.SubElement(case, "failure", message=rule.message, type=rule.rule).text = rule.message
    else:
        ET.SubElement(case, "system-out").text = f"{rule.status.value}: {rule.message}"
    return case


def render_comparison_junit(comparison: Comparison) -> str:
    """``mlready compare`` as JUnit XML: a testcase per candidate model, a failure listing
    the hard limits it breaks."""
    suites = ET.Element("testsuites", name="mlready compare")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"mlready compare ({comparison.primary_metric})",
        timestamp=comparison.created_at,
        hostname=socket.gethostname(),
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("mlready.version", comparison.mlready_version),
        ("mlready.seed", str(comparison.seed)),
        ("mlready.primary_metric", comparison.primary_metric),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    for candidate in comparison.candidates:
        case = ET.SubElement(suite, "testcase", name=candidate.path, classname="mlready compare")
        if candidate.breaches:
            broken = "; ".join(candidate.breaches)
            ET.SubElement(case, "failure", message=broken, type="limits").text = broken
        else:
            summary = f"{comparison.primary_metric} {fmt(candidate.metric)}"
            ET.SubElement(case, "system-out").text = summary + (
                "; Pareto-optimal" if candidate.pareto else ""
            )
    failures = sum(bool(c.breaches) for c in comparison.candidates)
    for element in (suite, suites):
        element.set("tests", str(len(comparison.candidates)))
        element.set("failures", str(failures))
        element.set("errors", "0")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, "unicode") + "\n"
