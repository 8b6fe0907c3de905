"""Inferring a starting data contract from training data.

The inferred contract is a draft for people to edit: types from the data,
ranges that clean data of the same population stays inside (see ``CLEAN_BATCH_ROWS``),
levels for low-cardinality text, ``unique`` for id columns, a pattern where every value
has the same obvious shape. Everything is computed column-wise with pandas/pyarrow.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.tseries.api import guess_datetime_format

from mlready.contract import (
    BatchContract,
    ColumnContract,
    ColumnType,
    CsvFormat,
    DataContract,
    Freshness,
    Level,
)
from mlready.errors import DataError
from mlready.io.data import read_table
from mlready.io.stream import CsvDialect, sniff_csv
from mlready.quality.defaults import DEFAULT_MARGIN
from mlready.spec import DataSpec, suggest
from mlready.stats.tails import MIN_ROWS, tail_size, upper_limits

# Well-known shapes, tried in order before a shape is derived from the values.
_KNOWN_PATTERNS = {
    "uuid": r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    "email": r"[^@\s]+@[^@\s]+\.[^@\s]+",
}
_MIN_ROWS_FOR_SHAPES = 20  # fewer values say too little about a column's shape or uniqueness
# Ranges are plausibility bounds that catch errors (unit changes, sign flips, sentinel
# values), not a distribution test (that is drift's job): at least half the span on each
# side, and as far as the column's fitted tail says a clean batch of CLEAN_BATCH_ROWS rows
# reaches in all but CLEAN_BATCH_MISSES of batches (over every ranged column at once);
# DEFAULT_MARGIN is the half.
CLEAN_BATCH_ROWS = 1_000
CLEAN_BATCH_MISSES = 0.001
# Cells (rows x columns) of float columns whose statistics are computed together (32 MiB).
_BLOCK_CELLS = 4_000_000


def infer_contract(
    frame: pd.DataFrame,
    source: str,
    target: str | None = None,
    time: str | None = None,
    ids: tuple[str, ...] = (),
    margin: float = DEFAULT_MARGIN,
    max_levels: int = 50,
    *,
    with_labels: tuple[str, ...] = (),
) -> DataContract:
    """A draft contract for batches that look like ``frame``.

    ``margin`` widens each numeric range by at least that share of its span on both sides,
    and further where the column's tail reaches further (see ``CLEAN_BATCH_ROWS``); text
    columns with at most ``max_levels`` distinct values (and values that repeat)
    get a list of levels. The target, and the columns in ``with_labels`` that arrive with
    it (label times, annotators), are not required and may be missing: production batches
    come before their labels. ``time`` drives the freshness rule.
    """
    dtypes = dict(zip(frame.columns, frame.dtypes, strict=True))
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(dtypes[c])]
    numeric = sum(pd.api.types.is_numeric_dtype(dtype) for dtype in dtypes.values())
    widen = _Widening(margin, CLEAN_BATCH_MISSES / (2 * CLEAN_BATCH_ROWS * max(numeric, 1)))
    inferred: dict[str, ColumnContract] = {}
    step = max(1, _BLOCK_CELLS // max(len(frame), 1))  # a block at a time, not the whole frame
    for start in range(0, len(floats), step):
        inferred |= _infer_floats(frame[floats[start : start + step]], widen, set(ids))
    columns = {
        str(name): inferred[name]
        if name in inferred
        else _infer_column(frame[name], widen, max_levels, is_id=name in ids)
        for name in frame.columns
    }
    for late in (target, *with_labels):
        if late is not None and late in columns:
            columns[late] = columns[late].model_copy(
                update={"required": False, "nullable": True, "max_null_fraction": None}
            )
    freshness = None
    if time is not None and time in columns:
        if columns[time].type != "datetime":
            columns[time] = ColumnContract(type="datetime", nullable=columns[time].nullable)
        freshness = Freshness(column=time)
    # Rows compared by a 64-bit hash (as validate does): 8 bytes a row, where
    # DataFrame.duplicated would factorize every column at once.
    row_hashes = pd.util.hash_pandas_object(frame, index=False)
    duplicates = int(row_hashes.duplicated().sum()) / max(len(frame), 1)
    batch = BatchContract(
        max_duplicate_fraction=_round_up(max(0.01, 2 * duplicates)), freshness=freshness
    )
    return DataContract(source=source, columns=columns, batch=batch)


def draft_contract(
    train: pd.DataFrame, data: DataSpec, target: str, margin: float = DEFAULT_MARGIN
) -> DataContract:
    """The contract an audit holds data to when the checklist names none: inferred from
    train, with the checklist's id and time columns. The model's own outputs
    (predictions-only mode) keep only their type: they are no incoming data to bound."""
    outputs = [c for c in (data.prediction, data.score) if c is not None and c in train]
    ids = (data.id,) if data.id is not None and data.id in train else ()
    time = data.time if data.time in train else None
    with_labels = tuple(c for c in (data.label_time, *(data.labels_from or ())) if c is not None)
    contract = infer_contract(train, "train", target, time, ids, margin, with_labels=with_labels)
    for name in outputs:
        inferred = contract.columns[name]
        contract.columns[name] = ColumnContract(type=inferred.type, required=False)
    return contract


@dataclass(frozen=True)
class _Widening:
    """How far an inferred range reaches beyond the values seen: at least ``margin`` of the
    span, and to where a clean row falls outside with at most ``probability`` per side."""

    margin: float
    probability: float


def _infer_column(
    series: pd.Series, widen: _Widening, max_levels: int, is_id: bool
) -> ColumnContract:
    present = series.dropna()
    null_share = 1 - len(present) / max(len(series), 1)
    nulls: dict = (
        {"nullable": False}
        if null_share == 0
        else {"max_null_fraction": _round_up(min(1.0, 1.5 * null_share + 0.01))}
    )
    kind, datetime_format = _infer_type(present)
    distinct = present.nunique()
    unique = (is_id or len(present) >= _MIN_ROWS_FOR_SHAPES) and distinct == len(present)
    rules: dict = {"type": kind, **nulls}
    if kind in ("integer", "number") and len(present):
        if kind == "integer" and distinct <= 2 and not is_id:
            rules["levels"] = sorted(int(v) for v in present.unique())
        else:
            rules.update(_range(present.to_numpy(dtype=float), widen, kind == "integer"))
        rules["unique"] = unique and kind == "integer"
    elif kind == "string":
        # A level seen once says more unseen levels exist (Good-Turing): a clean batch would
        # bring one, so such a column gets no list.
        seen_once = int((present.value_counts() == 1).sum())
        levels = distinct <= max_levels and distinct <= len(present) / 2 and not seen_once
        if levels:
            rules["levels"] = sorted(_level(v) for v in present.unique())
        else:
            rules["unique"] = unique
            rules["pattern"] = _pattern(present)
    elif kind == "datetime" and datetime_format is not None:
        rules["format"] = datetime_format
    return ColumnContract(**rules)


def _infer_floats(
    frame: pd.DataFrame, widen: _Widening, ids: set[str]
) -> dict[str, ColumnContract]:
    """``_infer_column`` of float columns, their statistics computed for all at once (on
    thousands of columns, a pandas round per column costs seconds)."""
    values = frame.to_numpy(dtype=float, na_value=np.nan)
    present = ~np.isnan(values)
    finite = np.isfinite(values)
    counts = present.sum(axis=0)
    with np.errstate(invalid="ignore"):
        whole = finite.any(axis=0) & (~finite | (values == np.round(values))).all(axis=0)
    ordered = np.sort(values, axis=0)  # missing values sort last
    distinct = present[:1].sum(axis=0) + (present[1:] & (ordered[1:] != ordered[:-1])).sum(axis=0)
    low = np.where(finite, values, np.inf).min(axis=0, initial=np.inf)
    high = np.where(finite, values, -np.inf).max(axis=0, initial=-np.inf)
    tail_low, tail_high = _tails(ordered, counts, finite.sum(axis=0) == counts, widen.probability)
    inferred = {}
    for j, name in enumerate(frame.columns):
        is_id, n = name in ids, int(counts[j])
        null_share = 1 - n / max(len(frame), 1)
        rules: dict = {
            "type": "integer" if whole[j] else "number",
            **(
                {"nullable": False}
                if null_share == 0
                else {"max_null_fraction": _round_up(min(1.0, 1.5 * null_share + 0.01))}
            ),
        }
        if n:
            unique = (is_id or n >= _MIN_ROWS_FOR_SHAPES) and distinct[j] == n
            if whole[j] and distinct[j] <= 2 and not is_id:
                rules["levels"] = sorted(int(v) for v in np.unique(values[present[:, j], j]))
            elif np.isfinite(low[j]):
                reach = (float(tail_low[j]), float(tail_high[j]))
                rules.update(
                    _bounds(float(low[j]), float(high[j]), widen.margin, bool(whole[j]), reach)
                )
            rules["unique"] = bool(unique and whole[j])
        inferred[str(name)] = ColumnContract(**rules)
    return inferred


def _infer_type(present: pd.Series) -> tuple[ColumnType, str | None]:
    dtype = present.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean", None
    if pd.api.types.is_integer_dtype(dtype):
        return "integer", None
    if pd.api.types.is_float_dtype(dtype):
        values = present.to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        whole = len(finite) > 0 and bool(np.all(finite == np.round(finite)))
        return ("integer" if whole else "number"), None
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime", None
    if len(present) == 0:
        return "string", None
    text = present.astype("string")
    datetime_format = guess_datetime_format(str(text.iloc[0]))
    if datetime_format is not None:
        parsed = pd.to_datetime(text, format=datetime_format, utc=True, errors="coerce")
        if parsed.notna().all():
            iso = datetime_format.startswith("%Y-%m-%d")
            return "datetime", None if iso else datetime_format
    return "string", None


def _range(values: np.ndarray, widen: _Widening, whole: bool) -> dict[str, float]:
    """min/max widened by ``widen``, kept at 0 for non-negative data and rounded outward to
    a readable number."""
    finite = np.sort(values[np.isfinite(values)])
    if not len(finite):
        return {}
    usable = np.array([len(finite) == len(values)])  # as for floats: no tail past an infinity
    tail_low, tail_high = _tails(
        finite[:, None], np.array([len(finite)]), usable, widen.probability
    )
    reach = (float(tail_low[0]), float(tail_high[0]))
    return _bounds(float(finite[0]), float(finite[-1]), widen.margin, whole, reach)


def _tails(
    ordered: np.ndarray, counts: np.ndarray, usable: np.ndarray, probability: float
) -> tuple[np.ndarray, np.ndarray]:
    """Where each column's fitted lower and upper tails reach (``stats.tails``), from its
    values sorted ascending with missing values last; NaN for a column with too few values
    or an infinite one. Columns with the same count of values are fitted together."""
    reach_low = np.full(ordered.shape[1], np.nan)
    reach_high = np.full(ordered.shape[1], np.nan)
    for rows in np.unique(counts[usable & (counts >= MIN_ROWS)]):
        same = np.flatnonzero(usable & (counts == rows))
        size = tail_size(int(rows)) + 1
        block = ordered[:rows, same]
        reach_high[same] = upper_limits(block[rows - size :], int(rows), probability)
        reach_low[same] = -upper_limits(-block[size - 1 :: -1], int(rows), probability)
    return reach_low, reach_high


def _bounds(
    low: float, high: float, margin: float, whole: bool, reach: tuple[float, float]
) -> dict[str, float]:
    """``_range`` of finite values from ``low`` to ``high`` whose tails ``reach`` that far
    (NaN: not fitted)."""
    span = high - low or abs(high) or 1.0
    lower, upper = low - margin * span, high + margin * span
    lower, upper = float(np.fmin(lower, reach[0])), float(np.fmax(upper, reach[1]))
    if low >= 0:
        lower = max(lower, 0.0)
    step = 1.0 if whole else 10.0 ** (math.floor(math.log10(span)) - 3)
    lower, upper = math.floor(lower / step) * step, math.ceil(upper / step) * step
    if whole:
        return {"min": int(lower), "max": int(upper)}
    return {"min": float(f"{lower:.12g}"), "max": float(f"{upper:.12g}")}


def _round_up(share: float) -> float:
    return min(1.0, math.ceil(share * 1000) / 1000)


def _level(value: object) -> Level:
    return value if isinstance(value, str | int | float | bool) else str(value)


def _pattern(present: pd.Series) -> str | None:
    """A regular expression every value matches, when the values share an obvious shape:
    a well-known one (uuid, email) or the same sequence of letter/digit runs and
    punctuation (e.g. ``[A-Z]{2}-[0-9]{4}``); None for free text."""
    if len(present) < _MIN_ROWS_FOR_SHAPES:
        return None
    text = pa.array(present.astype("string"), pa.string())
    for pattern in _KNOWN_PATTERNS.values():
        if pc.all(pc.match_substring_regex(text, f"^(?:{pattern})$")).as_py():
            return pattern
    shapes = pc.replace_substring_regex(text, "[A-Z]", "A")
    shapes = pc.replace_substring_regex(shapes, "[a-z]", "a")
    shapes = pc.replace_substring_regex(shapes, "[0-9]", "9")
    distinct = pc.unique(shapes)
    if len(distinct) != 1:
        return None
    return _shape_regex(distinct[0].as_py())


def _shape_regex(shape: str) -> str | None:
    """``AA-9999`` -> ``[A-Z]{2}-[0-9]{4}``; None when the shape is not a code (spaces,
    or no letters/digits at all)."""
    if " " in shape or not any(ch in "Aa9" for ch in shape):
        return None
    classes = {"A": "[A-Z]", "a": "[a-z]", "9": "[0-9]"}
    parts: list[str] = []
    run_char, run_len = "", 0
    for ch in [*shape, ""]:
        if ch == run_char:
            run_len += 1
            continue
        if run_char:
            if run_char in classes:
                parts.append(classes[run_char] + (f"{{{run_len}}}" if run_len > 1 else ""))
            else:
                parts.append(re.escape(run_char) * run_len)
        run_char, run_len = ch, 1
    return "".join(parts)


def infer_contract_file(
    path: Path,
    target: str | None = None,
    time: str | None = None,
    ids: tuple[str, ...] = (),
    margin: float = DEFAULT_MARGIN,
    max_levels: int = 50,
    *,
    with_labels: tuple[str, ...] = (),
) -> DataContract:
    """Read a training file (CSV delimiter and encoding detected) and infer its contract."""
    dialect = sniff_csv(path, None, None) if path.suffix.lower() == ".csv" else None
    frame = read_table(path, dialect.delimiter, dialect.encoding) if dialect else read_table(path)
    roles = [("--target", target), ("--time", time), *(("--id", i) for i in ids)]
    for role, name in roles + [("--label-column", c) for c in with_labels]:
        if name is not None and name not in frame.columns:
            raise DataError(
                f"{path}: no column {name!r} ({role}){suggest(name, list(frame.columns))}",
                hint=f"columns: {', '.join(map(str, frame.columns[:20]))}",
            )
    contract = infer_contract(
        frame, path.name, target, time, ids, margin, max_levels, with_labels=with_labels
    )
    if dialect is not None and dialect != CsvDialect(",", "utf-8"):
        contract.csv = CsvFormat(delimiter=dialect.delimiter, encoding=dialect.encoding)
    return contract
