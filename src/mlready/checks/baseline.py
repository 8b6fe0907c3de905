"""``baseline``: is the model better than the simplest models one can come up with?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from mlready.check import Capabilities, CheckParams
from mlready.results import Outcome, Severity

if TYPE_CHECKING:
    from mlready.context import AuditContext

TierName = Literal["naive", "simple"]


class TierParams(CheckParams):
    severity: Severity = Field(description="Status when the model does not beat this tier.")
    min_margin: float = Field(
        0.0, description="Smallest improvement over the tier's best baseline that counts."
    )


class NaiveTier(TierParams):
    severity: Severity = Field("fail", description="Status when the model does not beat it.")


class SimpleTier(TierParams):
    severity: Severity = Field("warn", description="Status when the model does not beat it.")


class CustomBaseline(CheckParams):
    """A baseline of the user's: a predictions column, a model file, or a known metric value."""

    name: str = Field(description="Name shown in the report.")
    tier: TierName = Field("simple", description="Tier it joins: naive or simple.")
    column: str | None = Field(None, description="Test-split column with its predictions.")
    score_column: str | None = Field(None, description="Test-split column with its scores.")
    model: str | None = Field(None, description="Model file, relative to the checklist.")
    value: float | None = Field(
        None, description="Known primary-metric value (e.g. measured human accuracy)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> CustomBaseline:
        sources = [s for s in (self.column, self.model, self.value) if s is not None]
        if len(sources) != 1:
            raise ValueError(f"baseline {self.name!r} needs exactly one of column, model, value")
        return self


class BaselineParams(CheckParams):
    naive: NaiveTier = Field(
        default_factory=NaiveTier,
        description="Majority class / stratified guess (classification), mean / median "
        "(regression).",
    )
    simple: SimpleTier = Field(
        default_factory=SimpleTier,
        description="Best single-feature threshold (decision stump) and a linear model.",
    )
    custom: list[CustomBaseline] = Field(default_factory=list, description="Your own baselines.")
    confidence: float = Field(0.95, gt=0.5, lt=1.0, description="Confidence of the intervals.")
    n_resamples: int = Field(1000, ge=100, le=100_000, description="Bootstrap resamples.")
    max_train_rows: int = Field(
        200_000,
        ge=100,
        description="Baselines are fitted on a seeded sample (stratified by class) of at most "
        "this many train rows: bounded on big data, yet as many rows as a linear model "
        "learns from (fewer would make a simple baseline look weaker than it is).",
    )


class BaselineCheck:
    """Is there a well-defined baseline, and is the model better than it?

    What it checks:
        Fits baselines on train and scores them and the model on test with the
        primary metric. Naive tier: majority class and stratified random guess
        (classification), mean and median (regression). Simple tier: the best
        single-feature threshold (a decision stump) and logistic / linear
        regression. Your own baselines (a predictions column, a model file, or
        a known metric value such as human labelling accuracy) join either tier.
        A tier is beaten when the margin over its best baseline is at least
        ``min_margin`` and the lower bound of a seeded paired bootstrap
        confidence interval of that margin is above 0. A tier not beaten gets
        its severity, except a lead whose interval includes 0: that warns
        (the test set is too small to show the lead).

    Why it matters:
        A model that cannot beat a random guess or always predicting the most
        common value is not ready, however good its metric looks. One that a
        logistic regression matches may not be worth its cost.

    Example:
        checks:
          baseline:
            naive: {severity: fail, min_margin: 0.0}
            simple: {severity: warn}
            custom:
              - {name: human_labellers, tier: simple, value: 0.91}
    """

    id = "baseline"
    title = "Model beats baselines"
    question = 1
    Params = BaselineParams
    capabilities = Capabilities(automates=("Model 5", "Infrastructure 4"))

    def run(self, context: AuditContext, params: BaselineParams) -> Outcome:
        from mlready.checks.compute import baseline

        return baseline.run(context, params)
