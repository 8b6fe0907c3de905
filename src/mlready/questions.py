"""The eleven questions of the ML production-readiness checklist.

Every report answers all of them: by a check, or visibly as not assessed.
The texts follow ``docs/checklist-guide.md``.
"""

from __future__ import annotations

from typing import NamedTuple


class Question(NamedTuple):
    """A checklist question; ``key`` names its topic (checks name their question by number)."""

    number: int
    key: str
    text: str


QUESTIONS: tuple[Question, ...] = (
    Question(
        1,
        "beats_baseline",
        "Is there a well defined baseline? Is the model performing better than the baseline?",
    ),
    Question(
        2,
        "metrics",
        "Are machine learning performance metrics defined for both training and scoring?",
    ),
    Question(3, "benchmarked", "Is the model benchmarked?"),
    Question(
        4,
        "ground_truth_in_production",
        "Can ground truth be obtained or inferred in production?",
    ),
    Question(
        5,
        "split_distributions",
        "Has the data distribution of training, testing and validation sets been analyzed?",
    ),
    Question(
        6,
        "limits",
        "Have goals and hard limits for performance, speed of prediction and costs been "
        "established so they can be considered if trade-offs need to be made?",
    ),
    Question(
        7,
        "integration",
        "How will the model be integrated into other systems, and what impact will it have?",
    ),
    Question(
        8,
        "incoming_data_quality",
        "How will incoming data quality be monitored?",
    ),
    Question(
        9,
        "drift_monitoring",
        "How will drift in data characteristics be monitored?",
    ),
    Question(
        10,
        "performance_monitored",
        "How will performance be monitored?",
    ),
    Question(
        11,
        "ethics",
        "Have any ethical concerns been taken into account?",
    ),
)


def question(number: int) -> Question:
    """Return checklist question ``number`` (1-11)."""
    return QUESTIONS[number - 1]
