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
    answers: tuple[str, ...] = ()  # written answers that document it by hand


# Which checks automate a test is theirs to declare (Capabilities.automates), by the
# test's key: its section and number, "Model 5".
RUBRIC: tuple[RubricTest, ...] = (
    RubricTest("Data", "Feature expectations are captured in a schema"),
    RubricTest("Data", "All features are beneficial"),
    RubricTest("Data", "No feature's cost is too much"),
    RubricTest("Data", "Features adhere to meta-level requirements", ("data_lineage",)),
    RubricTest("Data", "The data pipeline has appropriate privacy controls", ("ethics_review",)),
    RubricTest("Data", "New features can be added quickly"),
    RubricTest("Data", "All input feature code is tested"),
    RubricTest("Model", "Model specs are reviewed and submitted"),
    RubricTest("Model", "Offline and online metrics correlate"),
    RubricTest("Model", "All hyperparameters have been tuned"),
    RubricTest("Model", "The impact of model staleness is known", ("drift_strategy",)),
    RubricTest("Model", "A simpler model is not better"),
    RubricTest("Model", "Model quality is sufficient on important data slices"),
    RubricTest("Model", "The model is tested for considerations of inclusion", ("ethics_review",)),
    RubricTest("Infrastructure", "Training is reproducible"),
    RubricTest("Infrastructure", "Model specs are unit tested"),
    RubricTest("Infrastructure", "The ML pipeline is integration tested", ("integration",)),
    RubricTest("Infrastructure", "Model quality is validated before serving"),
    RubricTest("Infrastructure", "The model is debuggable"),
    RubricTest("Infrastructure", "Models are canaried before serving"),
    RubricTest("Infrastructure", "Serving models can be rolled back", ("integration",)),
    RubricTest("Monitoring", "Dependency changes result in notification"),
    RubricTest("Monitoring", "Data invariants hold for inputs"),
    RubricTest("Monitoring", "Training and serving are not skewed"),
    RubricTest("Monitoring", "Models are not too stale", ("drift_strategy",)),
    RubricTest("Monitoring", "Models are numerically stable"),
    RubricTest("Monitoring", "Computing performance has not regressed"),
    RubricTest("Monitoring", "Prediction quality has not regressed", ("monitoring_plan",)),
)


def _keys() -> list[str]:
    keys, counts = [], dict.fromkeys((t.section for t in RUBRIC), 0)
    for test in RUBRIC:
        counts[test.section] += 1
        keys.append(f"{test.section} {counts[test.section]}")
    return keys


RUBRIC_KEYS: tuple[str, ...] = tuple(_keys())  # "Data 1" ... "Monitoring 7", in RUBRIC order


# What a final score means, from the paper (upper bound of each band).
MEANINGS = (
    (0.0, "more of a research project than a productionised system"),
    (1.0, "not totally untested, but there may be serious holes in reliability"),
    (2.0, "a first pass at basic productionisation; more investment may be needed"),
    (3.0, "reasonably tested, but more tests and procedures could be automated"),
    (5.0, "strong automated testing and monitoring, fit for mission-critical systems"),
    (float("inf"), "exceptional automated testing and monitoring"),
)


def _item(
    key: str, test: RubricTest, automated: list[tuple[str, Status]], answered: set[str]
) -> ScoreItem:
    documented = [a for a in test.answers if a in answered]
    if automated:
        points = 1.0
        how = "automated: " + ", ".join(f"{check} ({status.value})" for check, status in automated)
    elif documented:
        points, how = 0.5, "manual, documented: " + ", ".join(f"answers.{a}" for a in documented)
    else:
        points = 0.0
        written = [f"answers.{a}" for a in test.answers]
        how = f"not done: needs {' or '.join(written)} or a check that automates it"
        if not written:
            how = "not assessed by the installed checks"
    number = int(key.rsplit(" ", 1)[1])
    return ScoreItem(section=test.section, number=number, test=test.test, points=points, how=how)


def score_card(
    results: list[CheckResult], answers: list[AnswerResult], automates: dict[str, tuple[str, ...]]
) -> ScoreCard:
    """The card for an audit's check results and written answers; ``automates`` says
    which rubric tests each check (by id) automates. A check that ran counts."""
    ran = [r for r in results if r.status not in (Status.SKIP, Status.ERROR)]
    answered = {a.id for a in answers if a.state == "answered"}
    items: list[ScoreItem] = []
    sections: dict[str, float] = {}
    for key, test in zip(RUBRIC_KEYS, RUBRIC, strict=True):
        automated = [(r.id, r.status) for r in ran if key in automates.get(r.id, ())]
        items.append(_item(key, test, automated, answered))
        sections[test.section] = sections.get(test.section, 0.0) + items[-1].points
    final = min(sections.values())
    meaning = next(text for bound, text in MEANINGS if final <= bound)
    return ScoreCard(sections=sections, final=final, meaning=meaning, items=items)
