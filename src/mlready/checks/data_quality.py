"""``data_quality``: do test, validation and production data meet the data contract?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from mlready.check import Capabilities, CheckParams
from mlready.quality.defaults import DEFAULT_MARGIN
from mlready.results import Outcome

if TYPE_CHECKING:
    from mlready.context import AuditContext

SplitName = Literal["test", "validation", "production"]
_DEFAULT_SPLITS: tuple[SplitName, ...] = ("test", "validation", "production")


class DataQualityParams(CheckParams):
    contract: str | None = Field(
        None,
        description="Data contract file, relative to the checklist (write one with 'mlready "
        "contract infer'). Unset: a draft is inferred from train and its findings only warn.",
    )
    splits: list[SplitName] = Field(
        default_factory=lambda: list(_DEFAULT_SPLITS),
        description="Splits held to the contract (those present).",
    )
    margin: float = Field(
        DEFAULT_MARGIN,
        ge=0,
        description="Least range margin of an inferred contract (share of span; the "
        "column's fitted tail may reach further).",
    )


class DataQualityCheck:
    """What it checks
        Holds test, validation and production data to a data contract:
        column types, missing values, ranges, allowed levels, unique ids and
        patterns (row rules); required columns, missing-value shares, batch
        size, duplicates and freshness (batch rules). A production folder is
        checked batch file by batch file. The contract is the file named in
        checks.data_quality.contract; without one, a draft inferred from
        train is used and its findings only warn.

    Why it matters
        Checklist question 8: incoming data quality must be monitored, and
        failing data re-routed for diagnosis. Errors in data (a value out of
        range, a new category, a column gone) are not drift: they are fixed,
        not learned. The same contract runs in the pipeline, before the
        model scores:
            mlready validate BATCH --contract contract.yaml \\
                --quarantine bad.csv --clean good.csv

    Example
        checks:
          data_quality:
            contract: contract.yaml
    """

    id = "data_quality"
    title = "Incoming data quality: a data contract"
    question = 8
    Params = DataQualityParams
    capabilities = Capabilities(
        streams_production=True,  # production batch files are validated chunk by chunk
        automates=("Data 1", "Monitoring 2"),
    )

    def run(self, context: AuditContext, params: DataQualityParams) -> Outcome:
        from mlready.checks.compute import data_quality

        return data_quality.run(context, params)
