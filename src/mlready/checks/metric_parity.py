"""``metric_parity``: will the test number hold in production?"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import Field

from mlready.check import Capabilities
from mlready.checks._params import GAP_NOTE, SegmentParams
from mlready.results import CheckResult, Outcome

if TYPE_CHECKING:
    from mlready.context import AuditContext


class MetricParityParams(SegmentParams):
    max_train_test_gap: float | None = Field(
        None,
        ge=0,
        description="Largest train-to-test drop of the primary metric "
        f"({GAP_NOTE}). Unset: a drop beyond chance fails only when test's own number "
        "cannot be trusted (validation disagrees, or its interval is too wide).",
    )
    max_ci_halfwidth: float = Field(
        0.05, gt=0, description=f"Widest acceptable half-width of the test interval ({GAP_NOTE})."
    )
    max_prior_shift: float = Field(
        0.1,
        ge=0,
        le=1,
        description="Largest change of a class's share from train to test or labelled "
        "production (warns only beyond sampling error).",
    )


class MetricParityCheck:
    """Are the metrics defined for training and scoring, and will the test number hold?

    What it checks:
        The primary and extra metrics on train, validation and test, each with a
        seeded bootstrap interval; the train-to-test drop (overfitting: judged
        against max_train_test_gap when set, else only when validation disagrees
        with test or a naive baseline scores better than the model, since
        flexible models fit their training rows); whether
        validation and test agree; whether the test set is large enough for its
        number to be trusted (and how many rows would be); class shares by split
        and, when training used weights or the shares moved, the prior-independent
        metrics next to the prior-dependent ones; the primary metric per time
        window (with data.time) and per slice (data.slices, or the worst slices
        found automatically among all features). Windows and slices fail only
        when they are worse than the bar beyond sampling error, with a
        Bonferroni correction over all windows or slices judged.

    Why it matters:
        A model often performs worse in production than in training: the test
        number may come from an overfit model, a test set too small to mean
        anything, another class balance, a good season, or an average that hides
        a subgroup the model fails.

    Example:
        data:
          time: created_at
          slices: [region, {column: age, edges: [20, 30, 45, 65]}]
        checks:
          metric_parity:
            max_train_test_gap: 0.05
            window: month
            min_window_metric: 0.8
            max_slice_gap: 0.1
    """

    id = "metric_parity"
    title = "Metrics hold from training to scoring"
    question = 2
    Params = MetricParityParams
    # baseline's naive tier: a model that scores worse puts its test number, and so its
    # drop from train, in doubt
    capabilities = Capabilities(reads=("baseline",), automates=("Model 4", "Model 6"))

    def run(
        self,
        context: AuditContext,
        params: MetricParityParams,
        earlier: Mapping[str, CheckResult],
    ) -> Outcome:
        from mlready.checks.compute import metric_parity

        return metric_parity.run(context, params, earlier)
