"""``split_distribution``: do train, test and validation come from one distribution?"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from mlready.check import Capabilities
from mlready.checks._params import DistributionParams
from mlready.results import Outcome

if TYPE_CHECKING:
    from mlready.context import AuditContext


class SplitDistributionParams(DistributionParams):
    max_adversarial_auc: float = Field(
        0.6,
        gt=0.5,
        le=1.0,
        description="Fail when a classifier tells the splits apart with an AUC whose interval "
        "lies above this (0.5: indistinguishable).",
    )
    adversarial_rows: int = Field(
        20_000, ge=100, description="Rows per split used for adversarial validation."
    )
    confidence: float = Field(0.95, gt=0.5, lt=1.0, description="Confidence of the AUC interval.")


class SplitDistributionCheck:
    """Has the data distribution of the training, test and validation sets been analysed?

    What it checks:
        Test (and validation) against train: every feature with the drift engine
        (KS / chi-square with Benjamini-Hochberg control across columns, plus an
        effect-size threshold: normalised Wasserstein or PSI), missing-value
        rates, the target's distribution, and adversarial validation: a
        classifier trained to tell train rows from test rows, whose
        cross-validated AUC (with a bootstrap interval) is 0.5 when the splits
        come from one distribution; the features it relies on most are listed.
        A different target distribution or a clearly separable split fails
        (Bonferroni over these two tests per split, so honest splits fail at
        most alpha of the time); features that differ on their own warn.

    Why it matters:
        Splits from different distributions (a split sorted by time or id, a
        filtered test set) make the test metric say little about production.
        Options: re-shuffle, re-sample, gather more data, or drop features.

    Example:
        checks:
          split_distribution:
            max_adversarial_auc: 0.6
            numeric_effect: wasserstein
            numeric_threshold: 0.1
            columns: {income: {effect: psi, threshold: 0.2}}
    """

    id = "split_distribution"
    title = "Splits come from one distribution"
    question = 5
    Params = SplitDistributionParams
    capabilities = Capabilities()

    def run(self, context: AuditContext, params: SplitDistributionParams) -> Outcome:
        from mlready.checks.compute import split_distribution

        return split_distribution.run(context, params)
