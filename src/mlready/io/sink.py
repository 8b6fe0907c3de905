"""Writing tables chunk by chunk into one file that appears only when complete.

Rows stream into a temporary file next to the target; :func:`open_sink` renames
it into place when the block ends normally and deletes it when anything goes
wrong (including Ctrl-C), so a reader never sees a partial quarantine or clean
file. The format follows the file suffix: CSV, Parquet, Feather or JSONL.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from mlready.errors import MlreadyError
from mlready.io.files import new_file_mode

if TYPE_CHECKING:
    import pandas as pd

SINK_SUFFIXES = (".csv", ".parquet", ".feather", ".jsonl")


def unify_schemas(schemas: list[pa.Schema]) -> pa.Schema:
    """One schema for tables from several files: columns in first-seen order; a column
    whose type differs between files becomes text."""
    types: dict[str, list[pa.DataType]] = {}
    for schema in schemas:
        for name, dtype in zip(schema.names, schema.types, strict=True):
            types.setdefault(name, []).append(dtype)
    return pa.schema(
        [
            (name, ts[0] if all(t == ts[0] for t in ts) else pa.string())
            for name, ts in types.items()
        ]
    )


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly ``schema``'s columns: missing ones null, others cast."""
    columns = []
    for target in schema:
        if target.name in table.column_names:
            column = table.column(target.name)
            columns.append(column if column.type == target.type else pc.cast(column, target.type))
        else:
            columns.append(pa.nulls(table.num_rows, target.type))
    return pa.table(columns, schema=schema)


class _Writer:
    """Appends tables to an open file in one format."""

    def __init__(self, path: str, schema: pa.Schema, kind: str) -> None:
        self.schema = schema
        self.kind = kind
        self._text: IO[str] | None = None
        self._arrow: Any = None
        if kind == "csv":
            self._arrow = pacsv.CSVWriter(
                path, schema, write_options=pacsv.WriteOptions(quoting_style="needed")
            )
        elif kind == "parquet":
            self._arrow = pq.ParquetWriter(path, schema)
        elif kind == "feather":
            self._arrow = pa.ipc.new_file(path, schema)
        else:
            self._text = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115

    def write(self, table: pa.Table) -> None:
        table = conform(table, self.schema)
        if self._text is not None:
            if table.num_rows:
                self._text.write(_json_lines(table))
        else:
            self._arrow.write_table(table)

    def close(self) -> None:
        if self._text is not None:
            self._text.close()
        else:
            self._arrow.close()


def _json_lines(table: pa.Table) -> str:
    """One JSON object per row. Floats keep every digit (pandas' to_json rounds them to 10
    significant digits), NaN is null, dates and times are ISO 8601."""
    columns = [
        pc.if_else(pc.is_nan(column), None, column) if pa.types.is_floating(column.type) else column
        for column in table.columns
    ]
    rows = pa.Table.from_arrays(columns, names=table.column_names).to_pylist()
    return "".join(json.dumps(row, ensure_ascii=False, default=_iso) + "\n" for row in rows)


def _iso(value: object) -> str:
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if isoformat is not None else str(value)


@contextlib.contextmanager
def open_sink(path: Path, schema: pa.Schema) -> Iterator[_Writer]:
    """A writer for ``path`` whose file appears, complete, only when the block succeeds."""
    kind = path.suffix.lower().lstrip(".")
    if f".{kind}" not in SINK_SUFFIXES:
        raise MlreadyError(
            f"{path}: cannot write {path.suffix!r} files",
            hint=f"name the output with one of {', '.join(SINK_SUFFIXES)}",
        )
    # One handler from the temporary file's creation on: an interrupt that lands while the
    # writer is being opened must not leave the file behind either.
    tmp: str | None = None
    writer: _Writer | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        new_file_mode(fd)
        os.close(fd)
        writer = _Writer(tmp, schema, kind)
        yield writer
        writer.close()
        os.replace(tmp, path)
    except BaseException as exc:
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.close()
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(exc, OSError):
            raise MlreadyError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def write_table_atomic(path: Path, frame: pd.DataFrame) -> None:
    """Write a table (format by suffix: .csv, .parquet, .feather, .jsonl) atomically."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with open_sink(path, table.schema) as sink:
        sink.write(table)
