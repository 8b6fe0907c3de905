"""Written answers: the parts of the checklist that only people can answer.

Each topic belongs to a checklist question and carries the guide's sub-questions
as guidance. An answer names its owner and date; it goes stale after
``max_age_days``; "not applicable" needs a reason. A required topic without a
usable answer leaves its question unmet.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from mlready.results import AnswerResult, AnswerState, Status
from mlready.spec import ChecklistSpec, WrittenAnswer


class Topic(NamedTuple):
    question: int
    title: str
    guidance: tuple[str, ...]


TOPICS: dict[str, Topic] = {
    "ground_truth_process": Topic(
        4,
        "How ground truth is obtained in production",
        (
            "Can the ground truth be obtained as the model scores, automatically or by people?",
            "How long until labels arrive, and for what share of the predictions?",
            "If people label: how is their accuracy known (two annotators, adjudication)?",
            "Where there is no ground truth, which proxy measures performance?",
        ),
    ),
    "data_lineage": Topic(
        5,
        "Where the data came from",
        (
            "Where did the data come from, and how was it collected and labelled?",
            "How well do the training and test data represent what the model will see?",
            "Can collection and labelling be automated?",
        ),
    ),
    "goals": Topic(
        6,
        "Who set the goals and hard limits, and on what basis",
        (
            "Who agreed the limits for performance, speed of prediction and cost?",
            "Which trade-offs are acceptable (a cheaper, less accurate model)?",
        ),
    ),
    "integration": Topic(
        7,
        "How the model is integrated, and what impact it has",
        (
            "Where does the model fit in the larger system; what output is expected, and how "
            "is it used?",
            "Batch or real-time inference?",
            "Is there a human in the loop?",
            "How is feedback collected (how do we know a prediction was wrong)?",
            "Is there a fallback when things go wrong?",
            "Is it transparent to users that a model decides, and on which data?",
            "What does a wrong prediction cost?",
        ),
    ),
    "drift_strategy": Topic(
        9,
        "How drift is adapted to",
        (
            "What drift has been seen in the past, or is expected?",
            "What triggers retraining, and at what cadence?",
            "Does the adaptation strategy fit the expected kinds of change (abrupt, gradual)?",
        ),
    ),
    "monitoring_plan": Topic(
        10,
        "How performance is monitored, and who acts",
        (
            "Who watches the model's performance, and how often?",
            "What happens on an alert: who decides to retrain or roll back?",
        ),
    ),
    "ethics_review": Topic(
        11,
        "Ethics and responsible-AI review",
        (
            "Has the project been through a responsible-AI review (fairness, reliability and "
            "safety, privacy and security, inclusiveness, transparency, accountability)?",
            "Who could be harmed by a wrong prediction, and how is that mitigated?",
            "Is the data used with consent, and protected?",
        ),
    ),
}


def _judge(
    topic_id: str,
    given: WrittenAnswer,
    required: bool,
    max_age: int,
    problem: Status,
    today: dt.date,
) -> tuple[AnswerState, Status, str]:
    """The state of a given answer, its status, and a one-line message."""
    age = (today - given.date).days
    if given.not_applicable:
        return "not applicable", Status.SKIP, f"not applicable: {given.reason}"
    problem = problem if required else Status.WARN
    if not (given.answer and given.answer.strip()):
        return "empty", problem, f"answers.{topic_id} is empty"
    if age > max_age:
        return (
            "stale",
            problem,
            (
                f"answered {given.date} by {given.owner}, {age} days ago: older than {max_age} "
                "days, review it"
            ),
        )
    return "answered", Status.PASS, f"answered {given.date} by {given.owner}"


def evaluate_answers(spec: ChecklistSpec, today: dt.date) -> list[AnswerResult]:
    """Every topic that is answered or required, judged: answered, not applicable, or
    missing / empty / stale (those take ``answer_rules.severity``)."""
    rules = spec.answer_rules
    problem = Status.FAIL if rules.severity == "fail" else Status.WARN
    results = []
    for topic_id, topic in TOPICS.items():
        given = spec.answers.get(topic_id)
        required = topic_id in rules.required
        if given is None and not required:
            continue
        common = {
            "id": topic_id,
            "question": topic.question,
            "title": topic.title,
            "guidance": list(topic.guidance),
            "required": required,
        }
        if given is None:
            missing = f"no written answer (answers.{topic_id})"
            results.append(AnswerResult(**common, state="missing", status=problem, message=missing))
            continue
        max_age = given.max_age_days or rules.max_age_days
        state, status, message = _judge(topic_id, given, required, max_age, problem, today)
        results.append(
            AnswerResult(
                **common,
                state=state,
                status=status,
                message=message,
                owner=given.owner,
                date=given.date,
                age_days=(today - given.date).days,
                evidence=given.evidence,
                answer=given.answer if state != "not applicable" else None,
            )
        )
    return results


def usable_answer(spec: ChecklistSpec, topic_id: str, today: dt.date) -> str | None:
    """The text of a topic's answer if it is answered and not stale, else None."""
    for result in evaluate_answers(spec, today):
        if result.id == topic_id and result.state == "answered":
            return result.answer
    return None
