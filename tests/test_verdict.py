"""The rules of verdict.py: what fails the build and the verdict sentence, on results as
checks and written answers give them."""

from __future__ import annotations

import pytest

from mlready.results import AnswerResult, CheckResult, Status
from mlready.verdict import blocking, verdict_sentence


def check(check_id: str, status: Status) -> CheckResult:
    return CheckResult(
        id=check_id, title=check_id, question=1, status=status, severity="fail", message=""
    )


def answer(topic: str, status: Status) -> AnswerResult:
    return AnswerResult(
        id=topic, question=7, title=topic, required=True, state="missing", status=status, message=""
    )


PASSING = [check("baseline", Status.PASS), check("drift", Status.SKIP)]


def test_a_full_run_that_passed_claims_its_answers():
    sentence = verdict_sentence(PASSING, [answer("integration", Status.PASS)], "fail")
    assert sentence == "ready: every check that ran passed and every required answer is given"


def test_a_partial_run_evaluates_no_answer_so_it_claims_none():
    sentence = verdict_sentence(PASSING, [], "fail", partial=True)
    assert sentence == (
        "ready: every check that ran passed (written answers are not evaluated here)"
    )


@pytest.mark.parametrize(
    ("fail_on", "failed"),
    [
        ("fail", ["drift", "answers.integration"]),
        ("warn", ["baseline", "drift", "answers.integration", "answers.ethics"]),
    ],
)
def test_fail_on_decides_what_blocks_the_build(fail_on, failed):
    results = [check("baseline", Status.WARN), check("drift", Status.ERROR)]
    answers = [answer("integration", Status.FAIL), answer("ethics", Status.WARN)]
    assert blocking(results, answers, fail_on) == failed
    sentence = verdict_sentence(results, answers, fail_on)
    assert sentence == f"not ready: {', '.join(failed)} failed"


def test_warnings_name_the_checks_and_answers_that_warned():
    results = [check("baseline", Status.WARN), check("latency", Status.PASS)]
    sentence = verdict_sentence(results, [answer("ethics", Status.WARN)], "fail")
    assert sentence == "ready with warnings: baseline, answers.ethics missing"
