"""What validating batches against a contract produces: pure data for the renderers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mlready.results import SCHEMA_VERSION, Status


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Example(_Frozen):
    """One offending value (or malformed line), to show what went wrong."""

    row: int | None = Field(description="1-based line (CSV, JSONL) or row number in the file.")
    value: str | None


class RuleResult(_Frozen):
    """One rule's outcome over a batch. For a row rule, ``count`` rows broke it; for a
    batch rule, ``observed`` is measured and ``limit`` is the contract's bar."""

    rule: str
    column: str | None = None
    kind: str = Field(description="row or batch")
    status: Status
    count: int = 0
    observed: float | str | None = None
    limit: float | str | None = None
    message: str
    examples: list[Example] = Field(default_factory=list)


class BatchResult(_Frozen):
    """A batch's verdict: its row counts and every rule that is not simply met."""

    source: str
    status: Status
    rows: int = Field(description="Records in the batch, malformed lines included.")
    clean_rows: int
    quarantined_rows: int
    rules: list[RuleResult]

    @property
    def problems(self) -> list[RuleResult]:
        """Rules that warn or fail, failures first."""
        bad = [r for r in self.rules if r.status in (Status.FAIL, Status.WARN)]
        return sorted(bad, key=lambda r: r.status != Status.FAIL)


class ValidationReport(_Frozen):
    """The result of ``mlready validate``; its JSON is documented in the README."""

    schema_version: int = SCHEMA_VERSION
    mlready_version: str
    contract: str
    status: Status
    batches: list[BatchResult]
    rows: int
    clean_rows: int
    quarantined_rows: int
    quarantine: str | None = None
    clean: str | None = None
