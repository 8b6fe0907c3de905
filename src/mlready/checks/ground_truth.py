"""``ground_truth``: does ground truth arrive in production, how soon, and how good is it?"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from mlready.check import Capabilities, CheckParams
from mlready.results import Outcome
from mlready.spec import Window, parse_duration

if TYPE_CHECKING:
    from mlready.context import AuditContext


class GroundTruthParams(CheckParams):
    window: Window = Field(
        "week", description="Window over production's data.time (batch files are windows too)."
    )
    max_label_delay: str | None = Field(
        None,
        description="Warn when the 90th percentile of the label delay is longer, e.g. "
        "'14d' (needs data.time and data.label_time).",
    )
    min_kappa: float = Field(
        0.6,
        ge=-1,
        le=1,
        description="Warn when two annotators agree less than this (Cohen's "
        "kappa; 0.6 is 'substantial' agreement).",
    )

    @field_validator("max_label_delay")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value


class GroundTruthCheck:
    """What it checks
        Whether ground truth reaches production: the share of production rows
        with a label, overall and per batch or window (the latest windows
        typically wait for theirs); the label delay (data.label_time minus
        data.time: median and 90th percentile, against max_label_delay); and,
        with two annotator columns (data.labels_from), their agreement
        (Cohen's kappa and percent agreement), the human accuracy the model
        is measured against. Production without any label fails: performance
        can then only be estimated.

    Why it matters
        Checklist question 4: without ground truth in production, performance
        cannot be monitored, only estimated; knowing how much arrives and how
        late says how soon a degradation can be seen.

    Example
        data:
          time: scored_at
          label_time: labelled_at
          labels_from: [annotator_a, annotator_b]
        checks:
          ground_truth:
            max_label_delay: 14d
    """

    id = "ground_truth"
    title = "Ground truth can be obtained in production"
    question = 4
    Params = GroundTruthParams
    capabilities = Capabilities(monitors=True)

    def run(self, context: AuditContext, params: GroundTruthParams) -> Outcome:
        from mlready.checks.compute import ground_truth

        return ground_truth.run(context, params)
