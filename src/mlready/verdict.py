"""The rules, in one place: what fails the build, the verdict sentence, how each checklist
question is covered, and the exit codes. Pure functions of results; the API, the CLI and
every renderer (JUnit, GitHub annotations) ask them rather than deciding again.
"""

from __future__ import annotations

from mlready.answers import TOPICS
from mlready.questions import QUESTIONS
from mlready.results import (
    AnswerResult,
    AuditReport,
    CheckResult,
    CoverageStatus,
    ExitCode,
    QuestionCoverage,
    Severity,
    Status,
    worst,
)

_UNANSWERED = ("missing", "empty", "stale")


def _question_status(checks: list[CheckResult], answers: list[AnswerResult]) -> CoverageStatus:
    judged = [r.status for r in checks if r.status != Status.SKIP]
    if any(s in (Status.FAIL, Status.ERROR) for s in judged) or any(
        a.state in _UNANSWERED for a in answers
    ):
        return "unmet"
    if any(s in (Status.WARN, Status.WAIVED) for s in judged):
        return "partly met"
    if judged or any(a.state == "answered" for a in answers):
        return "met"
    return "not applicable" if answers else "unmet"


def _missing(number: int, checks: list[CheckResult], answers: list[AnswerResult]) -> str:
    """What would answer a question that is not met, in one line."""
    parts = [
        f"{r.id} {r.status.value}"
        for r in checks
        if r.status in (Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED)
    ]
    parts += [f"answers.{a.id} {a.state}" for a in answers if a.state in _UNANSWERED]
    if parts:
        return "; ".join(parts)
    skipped = [f"{r.id} skipped ({r.message})" for r in checks]
    topics = [t for t, topic in TOPICS.items() if topic.question == number]
    answer = f"a written answer ({', '.join(f'answers.{t}' for t in topics)})" if topics else ""
    ran = "; ".join(skipped) or "no check answers it"
    return f"{ran}; {answer or 'configure the check that answers it'}"


def coverage(
    results: list[CheckResult], answers: list[AnswerResult], partial: bool
) -> list[QuestionCoverage]:
    """How each checklist question is answered, by checks and written answers; ``partial``
    when only some checks ran (``mlready monitor``)."""
    coverage = []
    for q in QUESTIONS:
        checks = [r for r in results if r.question == q.number]
        written = [a for a in answers if a.question == q.number]
        reason = "; ".join(
            [f"{r.id}: {r.status.value}" for r in checks]
            + [f"answers.{a.id}: {a.state}" for a in written]
        )
        if partial and not checks:
            status: CoverageStatus = "not assessed"
            reason = "not part of this run"
        else:
            status = _question_status(checks, written)
        unmet = status in ("unmet", "partly met")
        guidance = [g for t in TOPICS.values() if t.question == q.number for g in t.guidance]
        coverage.append(
            QuestionCoverage(
                number=q.number,
                key=q.key,
                text=q.text,
                status=status,
                checks=[r.id for r in checks],
                answers=[a.id for a in written],
                reason=reason or "nothing answers it",
                missing=_missing(q.number, checks, written) if unmet else None,
                guidance=guidance if status == "unmet" else [],
            )
        )
    return coverage


def fails_build(status: Status, fail_on: Severity) -> bool:
    """Whether a check or answer of this status fails the build at the ``fail_on`` level:
    a failure or a crash; with ``fail_on: warn`` a warning or a waiver too."""
    if status in (Status.FAIL, Status.ERROR):
        return True
    return fail_on == "warn" and status in (Status.WARN, Status.WAIVED)


def blocking(
    results: list[CheckResult], answers: list[AnswerResult], fail_on: Severity
) -> list[str]:
    """What fails the build at the ``fail_on`` level: failed or crashed checks, required
    answers whose severity is fail (and, with ``fail_on: warn``, warnings and waivers)."""
    return [r.id for r in results if fails_build(r.status, fail_on)] + [
        f"answers.{a.id}" for a in answers if fails_build(a.status, fail_on)
    ]


def exit_code(report: AuditReport) -> ExitCode:
    """An audit's (or monitor's) exit code: 0 when nothing at or above ``fail_on`` failed,
    else 1."""
    failed = blocking(report.checks, report.answers, report.fail_on)
    return ExitCode.CHECKS_FAILED if failed else ExitCode.OK


def validation_exit_code(status: Status) -> ExitCode:
    """``mlready validate``: 1 when a rule of the contract failed (warnings pass)."""
    return ExitCode.CHECKS_FAILED if fails_build(status, "fail") else ExitCode.OK


def comparison_exit_code(breaches: list[list[str]]) -> ExitCode:
    """``mlready compare``: 0 when at least one candidate (given by the limits each one
    breaks) meets every hard limit, else 1."""
    return ExitCode.OK if any(not broken for broken in breaches) else ExitCode.CHECKS_FAILED


def overall(results: list[CheckResult], answers: list[AnswerResult]) -> Status:
    statuses: list[Status] = [r.status for r in results] + [a.status for a in answers]
    return worst([s for s in statuses if s != Status.SKIP])


def verdict_sentence(
    results: list[CheckResult],
    answers: list[AnswerResult],
    fail_on: Severity,
    *,
    partial: bool = False,
) -> str:
    """One sentence: ready, ready with warnings, or not ready, and why. A ``partial`` run
    (monitor, a streamed engine) evaluates no written answer, so it claims none."""
    failed = blocking(results, answers, fail_on)
    waived = [r.id for r in results if r.status == Status.WAIVED and r.id not in failed]
    warned = [r.id for r in results if r.status == Status.WARN and r.id not in failed] + [
        f"answers.{a.id} {a.state}"
        for a in answers
        if a.status == Status.WARN and f"answers.{a.id}" not in failed
    ]
    if failed:
        return f"not ready: {', '.join(failed)} failed"
    extra = f" (waived: {', '.join(waived)})" if waived else ""
    if warned:
        return f"ready with warnings: {', '.join(warned)}{extra}"
    if waived:
        return f"ready with waivers: {', '.join(waived)}"
    if partial:
        return "ready: every check that ran passed (written answers are not evaluated here)"
    return "ready: every check that ran passed and every required answer is given"


# The order in which reports list the checks that need attention.
_ATTENTION = {Status.ERROR: 0, Status.FAIL: 1, Status.WAIVED: 2, Status.WARN: 3}


def needs_attention(report: AuditReport) -> list[CheckResult]:
    """The checks a reviewer must read (errors, failures, waivers, warnings), worst first,
    then in checklist order."""
    flagged = [c for c in report.checks if c.status in _ATTENTION]
    return sorted(flagged, key=lambda c: (_ATTENTION[c.status], c.question))
