"""``benchmark``: are the model's metrics recorded, and can they be trusted?"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from mlready.check import Capabilities, CheckParams
from mlready.results import Outcome, Severity

if TYPE_CHECKING:
    from mlready.context import AuditContext


class BenchmarkParams(CheckParams):
    max_duplicate_share: float = Field(
        0.01,
        ge=0,
        le=1,
        description="Fail when held-out rows copy train rows this much more often than "
        "train's rows repeat each other by chance; copies beyond chance warn.",
    )
    shared_ids: Severity = Field("fail", description="Status when held-out rows share a data.id.")
    temporal: Severity = Field(
        "warn",
        description="Status when held-out rows are older than the newest train row "
        "(data.time); fail suits an out-of-time split.",
    )
    max_single_feature_score: float = Field(
        0.999,
        description="Fail when one feature alone, learned on train, scores above this on "
        "test (AUC, one-vs-rest AUC or R²).",
    )
    max_error_ratio: float = Field(
        0.25,
        ge=0,
        le=1,
        description="Warn when one feature alone leaves at most this share of the next-best "
        "feature's error (1 - score), beyond sampling error: a leak far ahead of every "
        "honest feature, below max_single_feature_score (0: off).",
    )
    bins: int = Field(20, ge=2, le=100, description="Train-quantile bins of a numeric feature.")
    determinism_rows: int = Field(1000, ge=1, description="Test rows predicted twice.")
    confidence: float = Field(
        0.95,
        gt=0.5,
        lt=1.0,
        description="A feature leaks when this interval's lower bound is above the limit.",
    )


class BenchmarkCheck:
    """Is the model benchmarked, and can the benchmark be trusted?

    What it checks:
        Records the primary and extra metrics on train, validation and test,
        then looks for what makes such numbers lie.
        Leakage between splits: validation/test rows equal to a train row in
        every feature beyond the rate train's own rows repeat each other by
        chance (beyond chance warns; ``max_duplicate_share`` more fails),
        rows sharing a ``data.id`` with train (``shared_ids``), rows
        older than the newest train row (``data.time``; ``temporal``).
        Target leakage: each feature alone, scored on test with anything it
        needs learned on train: binary, a numeric feature's values as a score
        (AUC in either direction) or a level's train positive rate (AUC);
        multiclass, the train class distribution of a level or quantile bin
        (macro one-vs-rest AUC); regression, train means of levels, or of
        quantile bins joined by straight lines (R²). An id-like column scores
        like chance because its test values were never seen in train. A
        feature fails when its score and the lower bound of its bootstrap
        interval are above ``max_single_feature_score``.
        Training/serving consistency: feature types (numeric, text, bool,
        datetime) that differ from train fail, as do predictions that change
        when the model predicts the same rows again; non-numeric features fed
        to a model that is not a Pipeline warn.

    Why it matters:
        A metric measured on rows the model has already seen, or with a
        feature that is the answer in disguise, is not a benchmark; a model
        that reads its columns differently in production will not reproduce it.

    Example:
        data: {id: customer_id, time: signup_date}
        checks:
          benchmark:
            max_duplicate_share: 0.0
            shared_ids: fail
            temporal: fail            # an out-of-time split
            max_single_feature_score: 0.98
    """

    id = "benchmark"
    title = "Model is benchmarked"
    question = 3
    Params = BenchmarkParams
    capabilities = Capabilities(automates=("Infrastructure 4", "Monitoring 3"))

    def run(self, context: AuditContext, params: BenchmarkParams) -> Outcome:
        from mlready.checks.compute import benchmark

        return benchmark.run(context, params)
