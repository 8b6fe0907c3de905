"""``fairness``: does the model treat the groups of a sensitive attribute alike?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from mlready.check import Capabilities, CheckParams
from mlready.results import Outcome

if TYPE_CHECKING:
    from mlready.context import AuditContext


class FairnessParams(CheckParams):
    split: Literal["test", "validation"] = Field("test", description="Labelled split judged.")
    min_parity_ratio: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Fail when the lowest group's selection rate is less "
        "than this share of the highest's (0.8: the four-fifths rule).",
    )
    max_parity_difference: float | None = Field(
        None, gt=0, lt=1, description="Fail when selection rates differ by more than this."
    )
    max_equalized_odds_diff: float | None = Field(
        0.1,
        gt=0,
        lt=1,
        description="Fail when true or false positive rates differ between "
        "groups by more than this.",
    )
    min_group_size: int = Field(30, ge=1, description="Smaller groups are reported but not judged.")
    min_group_events: int = Field(
        10,
        ge=1,
        description="Classification: a group is judged only with at least this many rows of "
        "each class, and parity only with this many positive decisions among the groups "
        "judged (five positive decisions give a parity ratio of 0 or 1 by chance).",
    )
    intersections: bool = Field(
        False, description="Also judge the groups of every pair of sensitive attributes."
    )
    resamples: int = Field(1000, ge=100, description="Bootstrap resamples for the intervals.")
    confidence: float = Field(0.95, gt=0.5, lt=1.0, description="Confidence of the intervals.")


class FairnessCheck:
    """What it checks
        For each sensitive attribute in data.sensitive (numeric ones binned,
        as for slices) and, with intersections, each pair: per group the
        count, selection rate, true and false positive rates and accuracy
        (each with a Wilson interval) and the primary metric (bootstrap
        interval); across the groups with at least min_group_size rows and
        min_group_events rows of each class (and, for the gaps, that many
        positive decisions among them), the demographic parity difference and
        ratio of selection rates and the equalized odds difference
        (Fairlearn's definitions), with bootstrap intervals, and the worst
        group for the primary metric. A gap fails when its whole interval is
        past the threshold and warns when only its value is. Multiclass and
        regression models get per-group metrics and the worst group (parity
        applies to binary decisions).

    Why it matters
        Checklist question 11: ethical concerns. A model that selects one
        group far less often, or errs more for it, can harm people and break
        law (the four-fifths rule of US employment law is the default bar).

    Example
        data:
          sensitive: [sex, {column: age, edges: [30, 50]}]
        checks:
          fairness:
            min_parity_ratio: 0.8
            max_equalized_odds_diff: 0.1
            intersections: true
    """

    id = "fairness"
    title = "Groups are treated alike"
    question = 11
    Params = FairnessParams
    capabilities = Capabilities(automates=("Model 7",))

    def run(self, context: AuditContext, params: FairnessParams) -> Outcome:
        from mlready.checks.compute import fairness

        return fairness.run(context, params)
