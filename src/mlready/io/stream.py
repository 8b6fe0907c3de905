"""Reading a batch file in chunks, so a file larger than memory is read in bounded memory.

CSV (pyarrow's streaming reader), Parquet (row-group batches), Feather (record
batches, memory-mapped) and JSONL (blocks of lines). CSV and JSONL values are
read as text, exactly as written, so that the checks decide what a bad value is
and the clean/quarantine outputs carry the original text. A CSV line with the
wrong number of fields, or a JSONL line that is not a JSON object, does not stop
the read: it comes back as a :class:`MalformedRecord` with the parser's reason.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from mlready.errors import DataError

STREAM_SUFFIXES = (".csv", ".parquet", ".feather", ".jsonl")
_SNIFF_BYTES = 1 << 16
# pyarrow reads up to 32 blocks ahead of the parser: small blocks keep that bounded.
_CSV_BLOCK_BYTES = 1 << 20
_ROWS_PER_CHUNK = 50_000
_DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class MalformedRecord:
    """A record the parser could not split into the file's columns."""

    row: int | None  # 1-based line number (None when the parser does not know it)
    reason: str
    text: str


@dataclass(frozen=True)
class Chunk:
    """Consecutive records of a batch file."""

    table: pa.Table  # the well-formed records, columns as in the file
    rows: np.ndarray  # for each record, its 1-based line (CSV, JSONL) or row number
    malformed: list[MalformedRecord] = field(default_factory=list)


@dataclass(frozen=True)
class CsvDialect:
    delimiter: str
    encoding: str


def _detect_encoding(head: bytes) -> str:
    """The encoding of a file's first bytes: a BOM, else UTF-8 if it decodes, else cp1252
    (Windows exports), else latin-1 (which decodes anything)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"  # pyarrow skips the BOM itself
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp1252"):
        try:
            # An incremental decoder accepts a multi-byte character cut at the end.
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


def sniff_csv(path: Path, delimiter: str | None, encoding: str | None) -> CsvDialect:
    """Delimiter and encoding of a CSV file: the configured ones, else detected from its
    first 64 KiB."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise DataError(f"{path} does not exist", hint="check the path") from None
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError(
            f"{path} holds binary data, not CSV text",
            hint="export the file as CSV, or give it its real suffix (.parquet, .feather)",
        )
    encoding = encoding or _detect_encoding(head)
    if delimiter is None:
        text = head.decode(encoding, errors="ignore").lstrip("\ufeff")
        lines = text.splitlines()[:50]
        if len(text) == _SNIFF_BYTES and len(lines) > 1:
            lines = lines[:-1]  # the last line may be cut
        try:
            delimiter = csv.Sniffer().sniff("\n".join(lines), delimiters=_DELIMITERS).delimiter
        except csv.Error:
            delimiter = ","
    return CsvDialect(delimiter, encoding)


class BatchFile:
    """One batch file, read chunk by chunk; ``columns`` are known before the first chunk."""

    def __init__(self, path: Path, delimiter: str | None = None, encoding: str | None = None):
        if path.is_dir():
            raise DataError(f"{path} is a folder", hint=f"pass its batch files, e.g. {path}/*.csv")
        if not path.is_file():
            raise DataError(f"{path} does not exist", hint="check the path of the batch file")
        suffix = path.suffix.lower()
        if suffix not in STREAM_SUFFIXES:
            raise DataError(
                f"{path}: unsupported file type {path.suffix!r}",
                hint=f"use one of {', '.join(STREAM_SUFFIXES)}",
            )
        if path.stat().st_size == 0:
            raise DataError(f"{path} is empty", hint="a batch needs a header row and data")
        self.path = path
        self.kind = suffix.lstrip(".")
        self.dialect = sniff_csv(path, delimiter, encoding) if self.kind == "csv" else None
        self.schema = self._read_schema()
        duplicated = sorted({n for n in self.schema.names if self.schema.names.count(n) > 1})
        if duplicated:
            raise DataError(
                f"{path}: duplicate column names {', '.join(map(repr, duplicated))}",
                hint="give every column its own name",
            )

    @property
    def columns(self) -> list[str]:
        """Column names in file order."""
        return list(self.schema.names)

    def chunks(self) -> Iterator[Chunk]:
        """The file's records, chunk by chunk."""
        try:
            if self.kind == "csv":
                yield from self._csv_chunks()
            elif self.kind == "parquet":
                yield from self._numbered(
                    pq.ParquetFile(self.path).iter_batches(batch_size=_ROWS_PER_CHUNK)
                )
            elif self.kind == "feather":
                reader = pa.ipc.open_file(pa.memory_map(str(self.path)))
                batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
                yield from self._numbered(batches)
            else:
                yield from self._jsonl_chunks()
        except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
            raise self._unreadable(exc) from None

    def _unreadable(self, exc: Exception) -> DataError:
        hint = f"check the file is a valid {self.kind} file"
        if (self.kind == "csv" and "UTF8" in str(exc)) or isinstance(exc, UnicodeDecodeError):
            hint = "the file is not in the encoding detected: set csv.encoding in the contract"
        return DataError(f"cannot read {self.path}: {exc}", hint=hint)

    def _read_schema(self) -> pa.Schema:
        try:
            if self.kind == "csv":
                return pa.schema([(name, pa.string()) for name in self._csv_header()])
            if self.kind == "parquet":
                return pq.read_schema(self.path)
            if self.kind == "feather":
                return pa.ipc.open_file(pa.memory_map(str(self.path))).schema
            first = next(self._jsonl_chunks(), None)
            if first is None or not first.table.num_columns:
                raise DataError(f"{self.path} has no JSON records", hint="one object per line")
            return first.table.schema
        except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
            raise self._unreadable(exc) from None

    def _csv_header(self) -> list[str]:
        assert self.dialect is not None
        with self.path.open(encoding=self.dialect.encoding, newline="") as handle:
            header = next(csv.reader(handle, delimiter=self.dialect.delimiter), None)
        if not header:
            raise DataError(f"{self.path} has no header row", hint="the first line names columns")
        return [name.lstrip("\ufeff") for name in header]

    def _numbered(self, batches: Iterator[pa.RecordBatch]) -> Iterator[Chunk]:
        start = 1
        for batch in batches:
            yield Chunk(pa.Table.from_batches([batch]), np.arange(start, start + batch.num_rows))
            start += batch.num_rows

    def _csv_chunks(self) -> Iterator[Chunk]:
        assert self.dialect is not None
        malformed: list[MalformedRecord] = []

        def on_invalid(row: pacsv.InvalidRow) -> str:
            malformed.append(
                MalformedRecord(
                    row.number,
                    f"expected {row.expected_columns} fields, found {row.actual_columns}",
                    row.text,
                )
            )
            return "skip"

        names = self.columns
        reader = pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(
                block_size=_CSV_BLOCK_BYTES,
                encoding=self.dialect.encoding,
                use_threads=False,  # keeps line numbers of malformed lines known
                skip_rows=1,
                column_names=names,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=self.dialect.delimiter, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names}, strings_can_be_null=True
            ),
        )
        taken = 0  # malformed records already handed out
        valid = 0  # well-formed records already handed out
        for table in _regroup(reader):
            # Line of the k-th well-formed record: k plus the malformed lines before it,
            # plus the header line (pyarrow counts lines from 1).
            bad_lines = np.sort([m.row for m in malformed if m.row is not None])
            valid_before_bad = bad_lines - 2 - np.arange(len(bad_lines))
            index = np.arange(valid, valid + table.num_rows)
            rows = index + 2 + np.searchsorted(valid_before_bad, index, side="right")
            fresh = malformed[taken:]
            taken = len(malformed)
            valid += table.num_rows
            yield Chunk(table, rows, fresh)
        if len(malformed) > taken:
            empty = pa.table({n: pa.array([], pa.string()) for n in names})
            yield Chunk(empty, np.array([], dtype=np.int64), malformed[taken:])

    def _jsonl_chunks(self) -> Iterator[Chunk]:
        names: list[str] | None = None
        with self.path.open(encoding="utf-8") as handle:
            line_no = 0
            while lines := list(itertools.islice(handle, _ROWS_PER_CHUNK)):
                numbers = np.arange(line_no + 1, line_no + 1 + len(lines))
                line_no += len(lines)
                records, rows, malformed = _parse_json_lines(lines, numbers)
                names = names or list(dict.fromkeys(k for r in records[:1000] for k in r))
                yield Chunk(_as_text_table(records, names), rows, malformed)


def _regroup(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.Table]:
    """Small record batches gathered into tables of about _ROWS_PER_CHUNK rows."""
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        pending.append(batch)
        rows += batch.num_rows
        if rows >= _ROWS_PER_CHUNK:
            yield pa.Table.from_batches(pending)
            pending, rows = [], 0
    if pending:
        yield pa.Table.from_batches(pending)


def _parse_json_lines(
    lines: list[str], numbers: np.ndarray
) -> tuple[list[dict], np.ndarray, list[MalformedRecord]]:
    """Parse lines of JSON; a line that is not a JSON object becomes a MalformedRecord."""
    records, rows, malformed = [], [], []
    for number, line in zip(numbers.tolist(), lines, strict=True):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            malformed.append(MalformedRecord(number, f"invalid JSON: {exc.msg}", line.rstrip("\n")))
            continue
        if not isinstance(value, dict):
            malformed.append(MalformedRecord(number, "not a JSON object", line.rstrip("\n")))
            continue
        records.append(value)
        rows.append(number)
    return records, np.array(rows, dtype=np.int64), malformed


def _json_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _as_text_table(records: list[dict], names: list[str]) -> pa.Table:
    """JSON values as text (a JSON column may mix numbers and strings), in ``names``' order;
    keys missing from a record are nulls."""
    return pa.table(
        {name: pa.array([_json_text(r.get(name)) for r in records], pa.string()) for name in names}
    )
