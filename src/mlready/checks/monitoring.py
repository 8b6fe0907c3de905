"""``performance_monitoring``: how is the model doing in production, window by window?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from mlready.check import Capabilities, CheckParams
from mlready.results import Outcome
from mlready.spec import Window

if TYPE_CHECKING:
    from mlready.context import AuditContext


Calibration = Literal["auto", "isotonic", "sigmoid", "none"]


class MonitoringParams(CheckParams):
    window: Window = Field(
        "week", description="Window over production's data.time (batch files are windows too)."
    )
    min_labels: int = Field(
        30, ge=5, description="Fewer labelled rows in a window: 'not enough ground truth'."
    )
    max_drop: float = Field(
        0.05,
        ge=0,
        description="A window is degraded when the primary metric is worse than on test by "
        "more than this (absolute for scores such as roc_auc, relative for errors such as "
        "rmse) and the drop is beyond sampling error; a smaller drop beyond sampling error "
        "warns ('small drop').",
    )
    min_metric: float | None = Field(
        None,
        description="Alert when a window is surely below this (default: limits."
        "min_primary_metric).",
    )
    escalate_after: int = Field(
        2, ge=1, description="This many degraded windows in a row fail; fewer warn."
    )
    max_single_drop: float | None = Field(
        0.15,
        ge=0,
        description="One window whose drop is surely beyond this (its whole interval), or "
        "that is surely below min_metric, fails at once, whatever escalate_after says "
        "(None: only escalate_after fails).",
    )
    resamples: int = Field(1000, ge=100, description="Bootstrap resamples per window.")
    confidence: float = Field(0.95, gt=0.5, lt=1.0, description="Confidence of the intervals.")
    low_confidence: float = Field(
        0.6,
        gt=0,
        lt=1,
        description="A prediction whose top probability is below this is "
        "low-confidence (its share per window is reported).",
    )
    estimate: bool = Field(
        True,
        description="Estimate performance without labels (CBPE) for classifiers with "
        "probabilities.",
    )
    max_calibration_error: float = Field(
        0.05,
        gt=0,
        description="With calibration auto and fewer than 1,000 labelled reference rows, "
        "recalibrate (sigmoid) only when the expected calibration error on test is above "
        "this; from 1,000 rows isotonic regression is always fitted.",
    )
    calibration: Calibration = Field(
        "auto",
        description="Recalibration on validation (else test): auto (isotonic from 1,000 "
        "rows, always; else sigmoid beyond max_calibration_error), isotonic or sigmoid "
        "(always), or none.",
    )


class PerformanceMonitoringCheck:
    """What it checks
        Production window by window (its batch files, or calendar windows of
        data.time): rows, the share with ground truth, the primary and extra
        metrics with bootstrap intervals where labels exist, and the test
        value as the benchmark. A window is degraded when its drop from test
        exceeds max_drop and the drop's interval excludes zero, or when it is
        surely below min_metric; escalate_after degraded windows in a row
        fail, fewer warn, but one window surely beyond max_single_drop (or
        surely below min_metric) fails at once. A smaller drop that is still
        beyond sampling error (one-sided, shared among the windows) warns as a
        small drop. Windows with fewer than
        min_labels labels are "not enough ground truth", never a noisy
        verdict. Without labels: the share of low-confidence predictions and
        whether the predicted classes (or values) shifted from test, and, for
        classifiers with probabilities, performance estimated from calibrated
        confidence (CBPE, after checking calibration on test), shown next to
        the realised value where there is one; an estimated drop warns when it
        is beyond how much the estimate moves over resamples of test and
        beyond what a labelled test-like window of its size loses by sampling
        (so that a sample of labels could confirm it). Each
        alert comes with what to do: degraded with drifted inputs: retrain on
        recent data; degraded without drift: investigate labels and concept
        change; drift alone: watch.

    Why it matters
        Checklist question 10: a model's performance in production must be
        watched against what was benchmarked before launch, and a drop
        beyond noise acted on.

    Example
        checks:
          performance_monitoring:
            window: week
            max_drop: 0.03
            min_labels: 50
    """

    id = "performance_monitoring"
    title = "Performance is monitored in production"
    question = 10
    Params = MonitoringParams
    capabilities = Capabilities(monitors=True, automates=("Model 2", "Monitoring 7"))

    def run(self, context: AuditContext, params: MonitoringParams) -> Outcome:
        from mlready.checks.compute import monitoring

        return monitoring.run(context, params)
