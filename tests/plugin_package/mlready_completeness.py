"""A third-party mlready check: production features must not be mostly missing."""

from __future__ import annotations

from pydantic import Field

from mlready.check import Capabilities, CheckParams, SkipCheck
from mlready.results import Evidence, Outcome, Status


class CompletenessParams(CheckParams):
    max_missing: float = Field(0.5, ge=0, le=1, description="Largest missing share allowed.")


class FeatureCompletenessCheck:
    """What it checks
        The share of missing values of every feature in production.

    Why it matters
        A feature missing in most production rows means a broken upstream source.

    Example
        checks: {feature_completeness: {enabled: true, max_missing: 0.2}}
    """

    id = "feature_completeness"
    title = "Production features are filled in"
    question = 8
    Params = CompletenessParams
    capabilities = Capabilities(
        streams_production=True, monitors=True, automates=("Monitoring 2",), off_by_default=True
    )

    def run(self, context, params: CompletenessParams) -> Outcome:
        if not context.has_production:
            raise SkipCheck("no production data")
        summary = context.production_summary("train", "week")
        missing = summary.features.missing
        evidence = [
            Evidence(name=f"missing_{c}", value=missing[c], threshold=params.max_missing, op="<=")
            for c in context.features
        ]
        empty = [c for c in context.features if missing[c] > params.max_missing]
        if empty:
            return Outcome(
                status=Status.FAIL,
                message=f"mostly missing in production: {', '.join(empty)}",
                evidence=evidence,
            )
        return Outcome(
            status=Status.PASS, message=f"{summary.rows} production rows", evidence=evidence
        )
