"""Holding batches to a data contract: row rules per chunk, batch rules at the end.

:class:`BatchValidator` sees a batch chunk by chunk (so memory does not grow with
the file, except 8 bytes per distinct value of ``unique`` columns and per row
when duplicates are counted) and returns, for each row, the reasons it fails.
:func:`validate_files` streams batch files through it, writing the failing rows
to a quarantine file and the others to a clean file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from mlready import __version__
from mlready.contract import DataContract
from mlready.errors import MlreadyError
from mlready.io.sink import open_sink, unify_schemas
from mlready.io.stream import BatchFile, Chunk, MalformedRecord
from mlready.numbers import percent
from mlready.quality.results import BatchResult, Example, RuleResult, ValidationReport
from mlready.quality.rules import (
    ROW_RULES,
    Coerced,
    SeenHashes,
    coerce,
    combine_hashes,
    float_hashes,
    value_hashes,
    value_rules,
)
from mlready.results import Status, worst
from mlready.spec import parse_duration
from mlready.stats.proportions import more_than_share

EXAMPLES_PER_RULE = 5
# Columns the quarantine file adds to the batch's own.
QUARANTINE_COLUMNS = pa.schema(
    [
        ("_source", pa.string()),
        ("_row", pa.int64()),
        ("_reasons", pa.string()),
        ("_raw", pa.string()),
    ]
)

# A batch's missing share breaks its limit only beyond chance: a batch from a source exactly
# at the limit fails one time in a thousand.
NULL_ALPHA = 0.001


_FRAME_CHUNK_ROWS = 100_000  # validate_frame checks an in-memory frame this many rows at a time
_BLOCK_CELLS = 4_000_000  # cells of float columns read and judged together (32 MiB)


@dataclass
class _Tally:
    count: int = 0
    examples: list[Example] = field(default_factory=list)

    def add(self, mask: np.ndarray, rows: np.ndarray, values: pd.Series) -> None:
        hits = np.flatnonzero(mask)
        self.count += len(hits)
        for i in hits[: EXAMPLES_PER_RULE - len(self.examples)]:
            self.examples.append(Example(row=int(rows[i]), value=_text(values.iloc[i])))


@dataclass(frozen=True)
class _Numbers:
    """Float columns read and judged together (rows x columns): what ``coerce`` and the
    type, null and range rules find in each, and the hashes of their cells."""

    position: dict[str, int]
    null: np.ndarray
    bad_type: np.ndarray
    out_of_range: np.ndarray
    hashes: np.ndarray  # one row of cell hashes per column
    null_counts: np.ndarray
    flagged: dict[str, np.ndarray]  # per rule, whether a column has any row breaking it

    @classmethod
    def empty(cls) -> _Numbers:
        """No columns (before the first block)."""
        none = np.zeros((0, 0), dtype=bool)
        return cls({}, none, none, none, np.zeros((0, 0), np.uint64), np.zeros(0, int), {})

    @classmethod
    def of(cls, frame: pd.DataFrame, names: list[str], contract: DataContract) -> _Numbers:
        """Columns ``names`` of ``frame``, judged by their rules in ``contract``."""
        rules = [contract.columns[name] for name in names]
        values = frame[names].to_numpy(dtype=float, na_value=np.nan)
        null = np.isnan(values)  # a float column's missing values are its NaNs
        integer = np.array([r.type == "integer" for r in rules], dtype=bool)
        with np.errstate(invalid="ignore"):
            bad_type = integer & np.isfinite(values) & (values != np.round(values))
            low = np.array([-np.inf if r.min is None else r.min for r in rules])
            high = np.array([np.inf if r.max is None else r.max for r in rules])
            out_of_range = ~(null | bad_type) & ((values < low) | (values > high))
        hashes = float_hashes(np.ascontiguousarray(values.T))  # a row of hashes per column
        nullable = np.array([r.nullable for r in rules], dtype=bool)
        flagged = {
            "type": bad_type.any(axis=0),
            "null": null.any(axis=0) & ~nullable,
            "range": out_of_range.any(axis=0),
        }
        position = {name: j for j, name in enumerate(names)}
        return cls(position, null, bad_type, out_of_range, hashes, null.sum(axis=0), flagged)

    def masks(self, j: int) -> dict[str, np.ndarray]:
        """The rows of column ``j`` breaking each rule, for the rules broken at all (in the
        order ``coerce`` and ``value_rules`` report them)."""
        every = {"type": self.bad_type, "null": self.null, "range": self.out_of_range}
        return {name: every[name][:, j] for name, any_row in self.flagged.items() if any_row[j]}


def _cell_hashes(column: Coerced, original: pd.Series) -> np.ndarray:
    """Hashes of a column's values as read ('1.0' and '1' are the same number); a value
    that could not be read hashes as its text."""
    hashes = value_hashes(column.values)
    if column.bad_type.any():
        hashes[column.bad_type] = value_hashes(original[column.bad_type])
    return hashes


def _text(value: Any) -> str | None:
    return None if value is None or value is pd.NA or value != value else str(value)


class BatchValidator:
    """One batch's rule outcomes, accumulated chunk by chunk."""

    def __init__(self, contract: DataContract, source: str, columns: list[str]) -> None:
        self.contract = contract
        self.source = source
        given = set(columns)  # membership per contract column: a list would be quadratic
        self.present = [c for c in contract.columns if c in given]
        self.missing = [c for c, r in contract.columns.items() if r.required and c not in given]
        self.extra = [c for c in columns if c not in contract.columns]
        self.rows = 0
        self.quarantined = 0
        self._tallies: dict[tuple[str, str | None], _Tally] = {}
        self._nulls = dict.fromkeys(self.present, 0)
        self._unique = {c: SeenHashes() for c in self.present if contract.columns[c].unique}
        counting = contract.batch.max_duplicate_fraction is not None
        self._seen_rows = SeenHashes() if counting else None
        self._duplicates = 0
        self._newest: pd.Timestamp | None = None

    def _tally(self, rule: str, column: str | None) -> _Tally:
        return self._tallies.setdefault((rule, column), _Tally())

    def check(self, frame: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
        """Evaluate the row rules on ``frame``; return each row's reasons ('' when clean),
        as ``rule:column`` joined by '; '."""
        reasons = np.full(len(frame), "", dtype=object)
        cell_hashes = []
        blocks = self._number_blocks(frame)
        numbers = _Numbers.empty()
        for name in frame.columns:
            if name in blocks:
                if name not in numbers.position:  # the next block: one alive at a time
                    numbers = _Numbers.of(frame, blocks[name], self.contract)
                j = numbers.position[name]
                self._nulls[name] += int(numbers.null_counts[j])
                for rule, mask in numbers.masks(j).items():
                    self._tally(rule, name).add(mask, rows, frame[name])
                    reasons[mask] += f"{rule}:{name}; "
                if self._seen_rows is not None:
                    cell_hashes.append(numbers.hashes[j])
                continue
            original = frame[name]
            if name not in self.contract.columns:
                if self._seen_rows is not None:
                    cell_hashes.append(value_hashes(original))
                continue
            column = coerce(original, self.contract.columns[name])
            for rule, mask in self._column_rules(name, column).items():
                if mask.any():
                    self._tally(rule, name).add(mask, rows, original)
                    reasons[mask] += f"{rule}:{name}; "
            if self._seen_rows is not None:
                cell_hashes.append(_cell_hashes(column, original))
        if self._seen_rows is not None:
            repeated = self._seen_rows.repeated(combine_hashes(cell_hashes))
            self._duplicates += int(repeated.sum())
        failing = reasons != ""
        reasons[failing] = [r[:-2] for r in reasons[failing]]
        self.rows += len(frame)
        self.quarantined += int(failing.sum())
        return reasons

    def _number_blocks(self, frame: pd.DataFrame) -> dict[str, list[str]]:
        """The chunk's float columns whose rules are only type, null and range, each with
        the block of such columns (in frame order) judged together with it: on thousands
        of columns, a pandas round per column costs seconds."""
        freshness = self.contract.batch.freshness
        names = [
            name
            for name, dtype in zip(frame.columns, frame.dtypes, strict=True)
            if name in self.contract.columns
            and pd.api.types.is_float_dtype(dtype)
            and self.contract.columns[name].type in ("integer", "number")
            and self.contract.columns[name].levels is None
            and self.contract.columns[name].pattern is None
            and not self.contract.columns[name].unique
            and (freshness is None or freshness.column != name)
        ]
        step = max(1, _BLOCK_CELLS // max(len(frame), 1))
        blocks = [names[start : start + step] for start in range(0, len(names), step)]
        return {name: block for block in blocks for name in block}

    def _column_rules(self, name: str, column: Coerced) -> dict[str, np.ndarray]:
        rule = self.contract.columns[name]
        self._nulls[name] += int(column.null.sum())
        masks = {"type": column.bad_type}
        if not rule.nullable:
            masks["null"] = column.null
        masks.update(value_rules(column, rule))
        valid = column.valid
        if rule.unique:
            repeated = np.zeros(len(valid), bool)
            repeated[valid] = self._unique[name].repeated(value_hashes(column.values[valid]))
            masks["unique"] = repeated
        freshness = self.contract.batch.freshness
        if freshness is not None and freshness.column == name and valid.any():
            newest = column.values[valid].max()
            self._newest = newest if self._newest is None else max(self._newest, newest)
        return masks

    def malformed(self, records: list[MalformedRecord]) -> None:
        """Count lines the parser could not split (they always go to quarantine)."""
        if records:
            tally = self._tally("malformed", None)
            tally.count += len(records)
            for record in records[: EXAMPLES_PER_RULE - len(tally.examples)]:
                tally.examples.append(
                    Example(row=record.row, value=f"{record.reason}: {record.text}")
                )
            self.rows += len(records)
            self.quarantined += len(records)

    def finish(self, now: pd.Timestamp) -> BatchResult:
        """The batch's verdict, once every chunk has been checked."""
        rules = [*self._column_rules_results(), *self._batch_rules(now)]
        return BatchResult(
            source=self.source,
            status=worst([r.status for r in rules]),
            rows=self.rows,
            clean_rows=self.rows - self.quarantined,
            quarantined_rows=self.quarantined,
            rules=rules,
        )

    def _column_rules_results(self) -> list[RuleResult]:
        limit = self.contract.batch.max_invalid_fraction
        share = self.quarantined / self.rows if self.rows else 0.0
        status = Status.FAIL if share > limit else Status.WARN
        results = [
            RuleResult(
                rule=rule,
                column=column,
                kind="row",
                status=status,
                count=tally.count,
                message=f"{tally.count:,} row(s) with {ROW_RULES[rule]}"
                + (f" in {column}" if column else ""),
                examples=tally.examples,
            )
            for (rule, column), tally in self._tallies.items()
        ]
        if self.quarantined:
            results.append(
                _judged(
                    "invalid_rows",
                    None,
                    share,
                    limit,
                    share <= limit,
                    f"{self.quarantined:,} of {self.rows:,} rows ({percent(share)}) quarantined "
                    f"(at most {percent(limit)} may be: batch.max_invalid_fraction)",
                )
            )
        return results

    def _batch_rules(self, now: pd.Timestamp) -> list[RuleResult]:
        batch = self.contract.batch
        results = [
            _judged("missing_column", c, None, None, False, f"required column {c!r} is missing")
            for c in self.missing
        ]
        if self.extra and batch.extra_columns != "allow":
            listed = ", ".join(map(repr, self.extra[:10]))
            if len(self.extra) > 10:
                listed += f" and {len(self.extra) - 10} more"
            status = Status.FAIL if batch.extra_columns == "fail" else Status.WARN
            results.append(
                RuleResult(
                    rule="extra_column",
                    kind="batch",
                    status=status,
                    observed=listed,
                    message=f"columns the contract does not list: {listed}",
                )
            )
        rows_ok = (batch.min_rows is None or self.rows >= batch.min_rows) and (
            batch.max_rows is None or self.rows <= batch.max_rows
        )
        bounds = (
            f"{batch.min_rows if batch.min_rows is not None else 0} to {batch.max_rows or 'any'}"
        )
        results.append(
            _judged(
                "rows", None, self.rows, bounds, rows_ok, f"{self.rows:,} rows (allowed {bounds})"
            )
        )
        for name in self.present:
            limit = self.contract.columns[name].max_null_fraction
            if limit is not None and self.rows:
                results.append(self._null_fraction(name, limit))
        if batch.max_duplicate_fraction is not None and self.rows:
            share = self._duplicates / self.rows
            limit = batch.max_duplicate_fraction
            results.append(
                _judged(
                    "duplicates",
                    None,
                    share,
                    limit,
                    share <= limit,
                    f"{self._duplicates:,} rows repeat an earlier row ({percent(share)}, "
                    f"at most {percent(limit)})",
                )
            )
        if batch.freshness is not None and batch.freshness.column in self.present:
            results.append(self._freshness(now))
        return results

    def _null_fraction(self, name: str, limit: float) -> RuleResult:
        """A batch breaks ``max_null_fraction`` when its missing share is above the limit
        beyond what a batch of its size shows by chance (4 of 54 rows is 7.4%, and a
        source at 4.4% sends that many one batch in five)."""
        nulls = self._nulls[name]
        share = nulls / self.rows
        p_value = more_than_share(nulls, self.rows, limit)
        message = f"{percent(share)} of {name} missing ({nulls:,} of {self.rows:,} rows; "
        if share <= limit:
            message += f"at most {percent(limit)})"
        elif p_value >= NULL_ALPHA:
            message += (
                f"above {percent(limit)} but within chance for a batch this size, "
                f"p = {p_value:.2g})"
            )
        else:
            message += f"at most {percent(limit)}; beyond chance, p = {p_value:.2g})"
        return _judged("null_fraction", name, share, limit, p_value >= NULL_ALPHA, message)

    def _freshness(self, now: pd.Timestamp) -> RuleResult:
        freshness = self.contract.batch.freshness
        assert freshness is not None
        if self._newest is None:
            return _judged(
                "freshness",
                freshness.column,
                None,
                freshness.max_age,
                False,
                "no readable timestamp in the batch",
            )
        age = now - self._newest
        text = f"newest {freshness.column} is {self._newest.isoformat()}, {_age(age)} old"
        if freshness.max_age is None:
            return RuleResult(
                rule="freshness",
                column=freshness.column,
                kind="batch",
                status=Status.PASS,
                observed=_age(age),
                message=f"{text} (not judged: set batch.freshness.max_age)",
            )
        ok = age <= parse_duration(freshness.max_age)
        return _judged(
            "freshness",
            freshness.column,
            _age(age),
            freshness.max_age,
            ok,
            f"{text} (at most {freshness.max_age})",
        )


def _age(delta: pd.Timedelta) -> str:
    if delta < pd.Timedelta(0):
        return f"-{_age(-delta)} (in the future)"
    return str(delta.floor("s"))


def _judged(
    rule: str,
    column: str | None,
    observed: float | str | None,
    limit: float | str | None,
    ok: bool,
    message: str,
) -> RuleResult:
    return RuleResult(
        rule=rule,
        column=column,
        kind="batch",
        status=Status.PASS if ok else Status.FAIL,
        observed=observed,
        limit=limit,
        message=message,
    )


def validate_frame(
    frame: pd.DataFrame, contract: DataContract, source: str, now: pd.Timestamp | None = None
) -> BatchResult:
    """Hold an in-memory batch to ``contract`` (row numbers are 1-based positions), in
    chunks as a streamed file is, so the rules' working memory does not grow with it."""
    validator = BatchValidator(contract, source, [str(c) for c in frame.columns])
    for start in range(0, len(frame), _FRAME_CHUNK_ROWS):
        chunk = frame.iloc[start : start + _FRAME_CHUNK_ROWS].reset_index(drop=True)
        validator.check(chunk, np.arange(start + 1, start + len(chunk) + 1))
    return validator.finish(now or pd.Timestamp.now(tz="UTC"))


def _quarantine_rows(
    chunk: Chunk, failing: np.ndarray, reasons: np.ndarray, source: str
) -> pa.Table:
    """The failing rows plus where they came from and why; malformed lines with their text."""
    rows = chunk.table.filter(pa.array(failing))
    bad = chunk.malformed
    extra = {
        "_source": pa.array([source] * (rows.num_rows + len(bad)), pa.string()),
        "_row": pa.array([*chunk.rows[failing].tolist(), *(m.row for m in bad)], pa.int64()),
        "_reasons": pa.array(
            [*reasons[failing].tolist(), *(f"malformed: {m.reason}" for m in bad)]
        ),
        "_raw": pa.array([None] * rows.num_rows + [m.text for m in bad], pa.string()),
    }
    if bad:
        nulls = pa.table(
            {
                n: pa.nulls(len(bad), t)
                for n, t in zip(rows.schema.names, rows.schema.types, strict=True)
            }
        )
        rows = pa.concat_tables([rows, nulls])
    for name, values in extra.items():
        rows = rows.append_column(name, values)
    return rows


def _checked_chunks(
    batch: BatchFile, validator: BatchValidator
) -> Iterator[tuple[Chunk, np.ndarray]]:
    """The batch's chunks, each with its rows' reasons (validator updated as it goes)."""
    for chunk in batch.chunks():
        reasons = validator.check(chunk.table.to_pandas(), chunk.rows)
        validator.malformed(chunk.malformed)
        yield chunk, reasons


def validate_file(
    path: Path, contract: DataContract, source: str, now: pd.Timestamp | None = None
) -> BatchResult:
    """Hold a batch file of any size to ``contract``, chunk by chunk, writing nothing."""
    batch = BatchFile(path, contract.csv.delimiter, contract.csv.encoding)
    validator = BatchValidator(contract, source, batch.columns)
    for _ in _checked_chunks(batch, validator):
        pass
    return validator.finish(now or pd.Timestamp.now(tz="UTC"))


def validate_files(
    paths: list[Path],
    contract: DataContract,
    contract_path: str,
    quarantine: Path | None = None,
    clean: Path | None = None,
    now: pd.Timestamp | None = None,
) -> ValidationReport:
    """Validate batch files against ``contract``, streaming failing rows to ``quarantine``
    and the others to ``clean``; both files appear only if the whole run succeeds."""
    now = now or pd.Timestamp.now(tz="UTC")
    for output in (quarantine, clean):
        if output is not None and output.resolve() in {p.resolve() for p in paths}:
            raise MlreadyError(f"{output} is also an input batch", hint="write it elsewhere")
    files = [BatchFile(p, contract.csv.delimiter, contract.csv.encoding) for p in paths]
    schema = unify_schemas([f.schema for f in files])
    results = []
    with contextlib.ExitStack() as outputs:
        clean_sink = outputs.enter_context(open_sink(clean, schema)) if clean else None
        quarantine_sink = (
            outputs.enter_context(
                open_sink(quarantine, unify_schemas([schema, QUARANTINE_COLUMNS]))
            )
            if quarantine
            else None
        )
        for batch in files:
            validator = BatchValidator(contract, str(batch.path), batch.columns)
            for chunk, reasons in _checked_chunks(batch, validator):
                failing = reasons != ""
                if clean_sink is not None:
                    clean_sink.write(chunk.table.filter(pa.array(~failing)))
                if quarantine_sink is not None and (failing.any() or chunk.malformed):
                    quarantine_sink.write(
                        _quarantine_rows(chunk, failing, reasons, str(batch.path))
                    )
            results.append(validator.finish(now))
    return ValidationReport(
        mlready_version=__version__,
        contract=contract_path,
        status=worst([r.status for r in results]),
        batches=results,
        rows=sum(r.rows for r in results),
        clean_rows=sum(r.clean_rows for r in results),
        quarantined_rows=sum(r.quarantined_rows for r in results),
        quarantine=str(quarantine) if quarantine else None,
        clean=str(clean) if clean else None,
    )
