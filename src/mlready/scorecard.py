"""The ML Test Score card: this audit mapped onto Google's 28-test rubric.

Breck et al., "The ML Test Score: A Rubric for ML Production Readiness and
Technical Debt Reduction" (IEEE Big Data 2017): 7 tests in each of 4 sections;
half a point for a test run by hand with documented results, a full point when it
is automated and repeated. A section scores the sum of its points, and the final
score is the lowest section score. A check that ran in this audit is automated
(it runs on every audit in CI), whatever its verdict; a written answer is a
documented manual test; tests mlready cannot see are not assessed.
"""

from __future__ import annotations

from typing import NamedTuple

from mlready.results import AnswerResult, CheckResult, ScoreCard, ScoreItem, Status


class RubricTest(NamedTuple):
    section: str
    test: str
    checks: tuple[str, ...] = ()  # checks that automate it
    answers: tuple[str, ...] = ()  # written answers that document it by hand


RUBRIC: tuple[RubricTest, ...] = (
    RubricTest("Data", "Feature expectations are captured in a schema", ("data_quality",)),
    RubricTest("Data", "All features are beneficial"),
    RubricTest("Data", "No feature's cost is too much"),
    RubricTest("Data", "Features adhere to meta-level requirements", (), ("data_lineage",)),
    RubricTest(
        "Data", "The data pipeline has appropriate privacy controls", (), ("ethics_review",)
    ),
    RubricTest("Data", "New features can be added quickly"),
    RubricTest("Data", "All input feature code is tested"),
    RubricTest("Model", "Model specs are reviewed and submitted"),
    RubricTest("Model", "Offline and online metrics correlate", ("performance_monitoring",)),
    RubricTest("Model", "All hyperparameters have been tuned"),
    RubricTest(
        "Model", "The impact of model staleness is known", ("metric_parity",), ("drift_strategy",)
    ),
    RubricTest("Model", "A simpler model is not better", ("baseline",)),
    RubricTest("Model", "Model quality is sufficient on important data slices", ("metric_parity",)),
    RubricTest(
        "Model",
        "The model is tested for considerations of inclusion",
        ("fairness",),
        ("ethics_review",),
    ),
    RubricTest("Infrastructure", "Training is reproducible"),
    RubricTest("Infrastructure", "Model specs are unit tested"),
    RubricTest("Infrastructure", "The ML pipeline is integration tested", (), ("integration",)),
    RubricTest(
        "Infrastructure", "Model quality is validated before serving", ("baseline", "benchmark")
    ),
    RubricTest("Infrastructure", "The model is debuggable"),
    RubricTest("Infrastructure", "Models are canaried before serving"),
    RubricTest("Infrastructure", "Serving models can be rolled back", (), ("integration",)),
    RubricTest("Monitoring", "Dependency changes result in notification"),
    RubricTest("Monitoring", "Data invariants hold for inputs", ("data_quality",)),
    RubricTest("Monitoring", "Training and serving are not skewed", ("benchmark", "drift")),
    RubricTest("Monitoring", "Models are not too stale", ("drift",), ("drift_strategy",)),
    RubricTest("Monitoring", "Models are numerically stable"),
    RubricTest("Monitoring", "Computing performance has not regressed", ("latency",)),
    RubricTest(
        "Monitoring",
        "Prediction quality has not regressed",
        ("performance_monitoring",),
        ("monitoring_plan",),
    ),
)

# What a final score means, from the paper (upper bound of each band).
MEANINGS = (
    (0.0, "more of a research project than a productionised system"),
    (1.0, "not totally untested, but there may be serious holes in reliability"),
    (2.0, "a first pass at basic productionisation; more investment may be needed"),
    (3.0, "reasonably tested, but more tests and procedures could be automated"),
    (5.0, "strong automated testing and monitoring, fit for mission-critical systems"),
    (float("inf"), "exceptional automated testing and monitoring"),
)


def _item(number: int, test: RubricTest, ran: dict[str, Status], answered: set[str]) -> ScoreItem:
    automated = [c for c in test.checks if c in ran]
    documented = [a for a in test.answers if a in answered]
    if automated:
        points = 1.0
        how = "automated: " + ", ".join(f"{c} ({ran[c].value})" for c in automated)
    elif documented:
        points, how = 0.5, "manual, documented: " + ", ".join(f"answers.{a}" for a in documented)
    else:
        points = 0.0
        what = [*test.checks, *(f"answers.{a}" for a in test.answers)]
        how = f"not done: needs {' or '.join(what)}" if what else "not assessed by mlready"
    return ScoreItem(section=test.section, number=number, test=test.test, points=points, how=how)


def score_card(results: list[CheckResult], answers: list[AnswerResult]) -> ScoreCard:
    """The card for an audit's check results and written answers."""
    ran: dict[str, Status] = {
        r.id: r.status for r in results if r.status not in (Status.SKIP, Status.ERROR)
    }
    answered = {a.id for a in answers if a.state == "answered"}
    items: list[ScoreItem] = []
    sections: dict[str, float] = {}
    for test in RUBRIC:
        number = len([i for i in items if i.section == test.section]) + 1
        items.append(_item(number, test, ran, answered))
        sections[test.section] = sections.get(test.section, 0.0) + items[-1].points
    final = min(sections.values())
    meaning = next(text for bound, text in MEANINGS if final <= bound)
    return ScoreCard(sections=sections, final=final, meaning=meaning, items=items)
