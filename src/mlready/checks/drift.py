"""``drift``: has production data moved away from the data the model learned from?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from mlready.check import Capabilities
from mlready.checks._params import DistributionParams
from mlready.results import Outcome, Severity
from mlready.spec import Window

if TYPE_CHECKING:
    from mlready.context import AuditContext


class DriftParams(DistributionParams):
    reference: Literal["train", "validation", "test"] = Field(
        "train", description="Split that production is compared with."
    )
    drift_share: float = Field(
        0.3,
        gt=0,
        le=1,
        description="Dataset drift (fail) when more than this share of features drifted.",
    )
    weight_by_importance: bool = Field(
        False, description="Weigh features by permutation importance on test in that share."
    )
    prediction_drift: Severity = Field("warn", description="Status when the predictions drift.")
    target_drift: Severity = Field(
        "fail", description="Status when the target drifts (labelled production only)."
    )
    window: Window = Field(
        "week", description="Window over production's data.time (batch files are windows too)."
    )
    min_window_rows: int = Field(50, ge=10, description="Smaller windows are left out.")


class DriftCheck:
    """How will drift in data characteristics be monitored? Has production drifted already?

    What it checks:
        Production against a reference split (train by default) with the drift
        engine: per feature a test (KS or chi-square, Benjamini-Hochberg across
        features) and an effect size that must also reach its threshold
        (normalised Wasserstein for numeric, PSI for categorical features), so
        that large samples do not flag negligible shifts. Dataset drift when the
        share of drifted features (optionally weighted by permutation
        importance) exceeds ``drift_share``; prediction drift (the model's
        outputs); target drift when production is labelled. Alpha is shared
        (Bonferroni) among the tests that can fail the check, so honest data
        fails at most alpha of the time. When production is
        a folder of batch files or has data.time, drift per batch or window and,
        for every drifted feature, whether the change was abrupt (one step
        carries most of it), gradual (a steady trend) or intermittent, and
        from which window (each window judged at alpha divided by the number of
        windows).

    Why it matters:
        Data drift means the model now sees data unlike what it learned from;
        knowing which features moved, how much and since when guides the
        retraining or adaptation strategy.

    Example:
        checks:
          drift:
            reference: train
            drift_share: 0.3
            weight_by_importance: true
            window: week
    """

    id = "drift"
    title = "Production data has not drifted"
    question = 9
    Params = DriftParams
    capabilities = Capabilities(
        streams_production=True,  # runs on summaries of streamed production (--engine)
        monitors=True,
        automates=("Monitoring 3", "Monitoring 4"),
    )

    def run(self, context: AuditContext, params: DriftParams) -> Outcome:
        from mlready.checks.compute import drift

        return drift.run(context, params)
