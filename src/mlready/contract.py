"""The data contract (``contract.yaml``): what every batch of incoming data must look like.

A contract is inferred from training data by ``mlready contract infer`` and then
edited by people; ``mlready validate`` and the ``data_quality`` check hold batches
to it. Like the checklist, unknown keys are errors naming the line and key, so a
typo never silently switches a rule off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mlready.spec import parse_duration, read_yaml_model

ColumnType = Literal["integer", "number", "boolean", "string", "datetime"]
Level = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ColumnContract(_Strict):
    """Rules for one column. Row rules send a failing row to quarantine; the null
    fraction is judged over the whole batch."""

    type: ColumnType = Field(
        description="integer, number, boolean, string or datetime; a value that cannot be "
        "read as this type fails the row."
    )
    required: bool = Field(True, description="A batch without this column fails.")
    nullable: bool = Field(True, description="false: a missing value fails the row.")
    max_null_fraction: float | None = Field(
        None,
        ge=0,
        le=1,
        description="The batch fails when a larger share of values is missing, beyond what "
        "a batch of its size shows by chance (one-sided binomial test at 0.001).",
    )
    min: float | None = Field(None, description="Smallest allowed value (numeric types).")
    max: float | None = Field(None, description="Largest allowed value (numeric types).")
    levels: list[Level] | None = Field(
        None, description="Allowed values; any other value fails the row."
    )
    unique: bool = Field(False, description="true: a value seen before in the batch fails.")
    pattern: str | None = Field(
        None, description="Regular expression (RE2 syntax) every string value must match fully."
    )
    format: str | None = Field(
        None, description="strftime format of a datetime column (default: ISO 8601)."
    )

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                pc.match_substring_regex(pa.array([""], pa.string()), pattern)
            except pa.ArrowInvalid as exc:
                raise ValueError(f"not a valid RE2 regular expression: {exc}") from None
        return pattern

    @model_validator(mode="after")
    def _coherent(self) -> ColumnContract:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        numeric = self.type in ("integer", "number")
        if not numeric and (self.min is not None or self.max is not None):
            raise ValueError(f"min/max apply to integer and number columns, not {self.type}")
        if self.pattern is not None and self.type != "string":
            raise ValueError("pattern applies to string columns only")
        if self.format is not None and self.type != "datetime":
            raise ValueError("format applies to datetime columns only")
        return self


class Freshness(_Strict):
    """How recent the newest row of a batch must be."""

    column: str = Field(description="Timestamp column (a datetime column of the contract).")
    max_age: str | None = Field(
        None,
        description="Largest allowed age of the newest timestamp, e.g. '36h', '2d', '15min' "
        "(unset: the age is reported, not judged).",
    )

    @field_validator("max_age")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value


class BatchContract(_Strict):
    """Rules over a whole batch."""

    min_rows: int | None = Field(1, ge=0, description="Fewest rows a batch may have.")
    max_rows: int | None = Field(None, ge=1, description="Most rows a batch may have.")
    extra_columns: Literal["allow", "warn", "fail"] = Field(
        "warn", description="What a column the contract does not list does to the batch."
    )
    max_duplicate_fraction: float | None = Field(
        None, ge=0, le=1, description="Largest share of rows that repeat an earlier row."
    )
    max_invalid_fraction: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Largest share of rows sent to quarantine before the batch fails "
        "(0: any failing row fails the batch; the rows are quarantined either way).",
    )
    freshness: Freshness | None = Field(None, description="Freshness of the newest row.")

    @model_validator(mode="after")
    def _row_range(self) -> BatchContract:
        if (
            self.min_rows is not None
            and self.max_rows is not None
            and self.min_rows > self.max_rows
        ):
            raise ValueError(f"min_rows ({self.min_rows}) is larger than max_rows")
        return self


class CsvFormat(_Strict):
    """How CSV batches are read; unset values are detected from the start of each file."""

    delimiter: str | None = Field(None, min_length=1, max_length=1, description="e.g. ',' ';'")
    encoding: str | None = Field(None, description="e.g. utf-8, cp1252, latin-1.")


class DataContract(_Strict):
    """The whole contract file."""

    version: Literal[1] = Field(1, description="Contract format version.")
    source: str | None = Field(None, description="What the contract was inferred from.")
    columns: dict[str, ColumnContract] = Field(description="Rules per column, by name.")
    batch: BatchContract = Field(default_factory=BatchContract, description="Batch rules.")
    csv: CsvFormat = Field(default_factory=CsvFormat, description="Reading CSV batches.")

    @model_validator(mode="after")
    def _freshness_column(self) -> DataContract:
        fresh = self.batch.freshness
        if fresh is not None:
            column = self.columns.get(fresh.column)
            if column is None:
                raise ValueError(f"batch.freshness.column {fresh.column!r} is not in columns")
            if column.type != "datetime":
                raise ValueError(f"batch.freshness.column {fresh.column!r} must be a datetime")
        if not self.columns:
            raise ValueError("columns is empty: a contract needs at least one column")
        return self


_HEADER = """\
# mlready data contract: what every incoming batch must look like.
# Inferred from {source}; edit it. Row rules (type, nullable, min/max, levels,
# unique, pattern) send a failing row to quarantine; batch rules (required
# columns, max_null_fraction, rows, duplicates, freshness) fail the batch.
# Check it with: mlready validate BATCH --contract {name}
"""


def dump_contract(contract: DataContract, name: str) -> str:
    """The contract as commented, human-editable YAML."""
    body = yaml.safe_dump(
        contract.model_dump(mode="json", exclude_defaults=True, exclude_none=True),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return _HEADER.format(source=contract.source or "data", name=name) + body


def load_contract(path: Path) -> DataContract:
    """Read and validate a contract file; raise :class:`SpecError` naming line and key."""
    contract, _ = read_yaml_model(
        path,
        DataContract,
        "contract",
        missing_hint="write one with 'mlready contract infer TRAIN_FILE -o contract.yaml'",
    )
    return contract
