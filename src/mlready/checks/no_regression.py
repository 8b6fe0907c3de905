"""``no_regression``: is this model at least as good as the one in production?"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import Field

from mlready.check import Capabilities, CheckParams
from mlready.results import CheckResult, Outcome

if TYPE_CHECKING:
    from mlready.context import AuditContext


class NoRegressionParams(CheckParams):
    max_regression: float = Field(
        0.0,
        ge=0,
        description="Largest accepted drop of a metric on test (the primary and each extra "
        "one the earlier report holds; absolute for scores, relative for errors); the drop "
        "must also be beyond sampling error, Bonferroni over the metrics compared.",
    )
    max_latency_regression: float = Field(
        0.2,
        ge=0,
        description="Largest accepted relative rise of p95 latency (timings are noisy: 0.2 = 20%).",
    )
    max_cost_regression: float = Field(
        0.1, ge=0, description="Largest accepted relative rise of the cost per 1,000 predictions."
    )
    alpha: float = Field(0.05, gt=0, lt=0.5, description="One-sided test level of the drop.")
    resamples: int = Field(1000, ge=100, description="Bootstrap resamples for the interval.")


class NoRegressionCheck:
    """What it checks
        With --compare-to PREVIOUS.json (the JSON report of the model in
        production today): the primary metric and each extra one on test
        against the previous report's, with a one-sided test (Bonferroni over
        the metrics compared) on the difference of the two
        estimates (normal approximation from both intervals; the previous
        model's predictions are not available, so the test cannot be
        paired); and p95 latency and cost per 1,000 predictions against the
        previous latency check's. A drop beyond max_regression that is also
        beyond sampling error fails; latency or cost beyond their relative
        allowances fail.

    Why it matters
        Checklist question 1: the model in production is the baseline that
        matters most; a new model should not be worse than it.

    Example
        mlready audit model.pkl --data splits/ --compare-to production-audit.json
        checks:
          no_regression:
            max_regression: 0.01
            max_latency_regression: 0.2
    """

    id = "no_regression"
    title = "Not worse than the model it replaces"
    question = 1
    Params = NoRegressionParams
    capabilities = Capabilities(reads=("latency",))  # it compares latency's numbers

    def run(
        self,
        context: AuditContext,
        params: NoRegressionParams,
        earlier: Mapping[str, CheckResult],
    ) -> Outcome:
        from mlready.checks.compute import no_regression

        return no_regression.run(context, params, earlier)
