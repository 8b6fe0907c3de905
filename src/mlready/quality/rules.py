"""Row rules of a data contract, evaluated on one chunk of rows at a time (vectorised).

Each value is first read as its contract type. A missing value can only break
``null``; a value that cannot be read as the type breaks ``type``; a readable
value can break ``range``, ``level``, ``pattern`` or ``unique``. So every bad
cell has exactly one reason, and a row fails when any of its cells does.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mlready.contract import ColumnContract

# Rule ids as they appear in reports and in the quarantine file's ``_reasons``.
ROW_RULES = {
    "malformed": "a line the parser could not split into the columns",
    "type": "a value that cannot be read as the column's type",
    "null": "a missing value where none is allowed",
    "range": "a value outside min/max",
    "level": "a value not among the levels",
    "pattern": "text not matching the pattern",
    "unique": "a repeated value where values must be unique",
}

_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


@dataclass(frozen=True)
class Coerced:
    """One column read as its contract type."""

    values: pd.Series  # float for numbers, bool for booleans, UTC timestamps, else text
    null: np.ndarray  # missing in the file
    bad_type: np.ndarray  # present but not readable as the type

    @property
    def valid(self) -> np.ndarray:
        return ~(self.null | self.bad_type)


def coerce(series: pd.Series, rule: ColumnContract) -> Coerced:
    """Read ``series`` as ``rule.type``; unreadable values are flagged, never guessed."""
    null = series.isna().to_numpy()
    if rule.type in ("integer", "number"):
        values = _as_float(series)
        bad = ~null & np.isnan(values)
        if rule.type == "integer":
            with np.errstate(invalid="ignore"):
                bad |= np.isfinite(values) & (values != np.round(values))
        return Coerced(pd.Series(values, index=series.index), null, bad)
    if rule.type == "boolean":
        if pd.api.types.is_bool_dtype(series.dtype):
            return Coerced(series.astype(bool), null, np.zeros(len(series), bool))
        text = series.astype("string").str.strip().str.lower()
        true = text.isin(_TRUE).to_numpy(dtype=bool, na_value=False)
        false = text.isin(_FALSE).to_numpy(dtype=bool, na_value=False)
        return Coerced(pd.Series(true, index=series.index), null, ~null & ~true & ~false)
    if rule.type == "datetime":
        stamps = _as_utc(series, rule.format)
        return Coerced(stamps, null, ~null & stamps.isna().to_numpy())
    return Coerced(series, null, np.zeros(len(series), bool))


# What a number looks like in text (pyarrow's own parser decides the rest).
_NUMBER = r"(?i)^[-+]?((\d+\.?\d*|\.\d+)(e[-+]?\d+)?|inf|infinity|nan)$"


def _as_float(series: pd.Series) -> np.ndarray:
    """Numbers as floats; text that is not a number becomes NaN (to be flagged)."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=float, na_value=np.nan)
    text = _arrow_text(series)
    try:  # one vectorised parse when every value is a number (the common case)
        return _float_array(pc.cast(text, pa.float64()))
    except pa.ArrowInvalid:
        trimmed = pc.utf8_trim_whitespace(text)
        numbers = pc.if_else(pc.match_substring_regex(trimmed, _NUMBER), trimmed, None)
        try:
            return _float_array(pc.cast(numbers, pa.float64()))
        except pa.ArrowInvalid:  # a number-shaped text pyarrow still refuses: ask pandas
            parsed = pd.to_numeric(series.astype("string").str.strip(), errors="coerce")
            return parsed.to_numpy(dtype=float, na_value=np.nan)


def _arrow_text(series: pd.Series) -> pa.Array:
    """The values as an arrow string array (zero-copy for arrow-backed text)."""
    values = pa.array(series.array) if hasattr(series.array, "__arrow_array__") else None
    if values is None or not (
        pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
    ):
        values = pa.array(series.astype("string").array)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _float_array(values: pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False).astype(float, copy=False)


def _as_utc(series: pd.Series, format: str | None) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(series.dtype):
        return series.dt.tz_localize("UTC")
    return pd.to_datetime(
        series.astype("string"), format=format or "ISO8601", utc=True, errors="coerce"
    )


def value_rules(column: Coerced, rule: ColumnContract) -> dict[str, np.ndarray]:
    """Masks of the readable values that break ``range``, ``level`` or ``pattern``."""
    valid = column.valid
    broken: dict[str, np.ndarray] = {}
    if rule.min is not None or rule.max is not None:
        values = column.values.to_numpy(dtype=float, na_value=np.nan)
        low = -np.inf if rule.min is None else rule.min
        high = np.inf if rule.max is None else rule.max
        with np.errstate(invalid="ignore"):
            broken["range"] = valid & ((values < low) | (values > high))
    if rule.levels is not None:
        broken["level"] = valid & ~_in_levels(column.values, rule)
    if rule.pattern is not None:
        text = _arrow_text(column.values)
        matched = pc.match_substring_regex(text, f"^(?:{rule.pattern})$")
        broken["pattern"] = valid & ~matched.to_numpy(zero_copy_only=False).astype(bool)
    return broken


def _in_levels(values: pd.Series, rule: ColumnContract) -> np.ndarray:
    levels = rule.levels or []
    if rule.type in ("integer", "number"):
        allowed = [float(v) for v in levels if _is_number(v)]
        return np.isin(values.to_numpy(dtype=float, na_value=np.nan), allowed)
    if rule.type == "boolean":
        return values.isin([bool(v) for v in levels]).to_numpy()
    allowed_text = [_level_text(v) for v in levels]
    return values.astype("string").isin(allowed_text).to_numpy(dtype=bool, na_value=False)


def _is_number(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
        return True
    except (TypeError, ValueError):
        return False


def _level_text(value: object) -> str:
    """A level as the text a file would hold (YAML may have read '1' as the number 1)."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def value_hashes(values: pd.Series) -> np.ndarray:
    """A 64-bit hash per value, equal for equal values (missing values hash alike).

    Numbers, booleans and timestamps hash their binary values; text is dictionary-
    encoded first so that each distinct string is hashed once.
    """
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        return float_hashes(values.to_numpy(dtype=float, na_value=np.nan))
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = (
            values.dt.tz_convert("UTC") if isinstance(values.dtype, pd.DatetimeTZDtype) else values
        )
        return _mix(stamps.to_numpy(dtype="datetime64[ns]").view(np.uint64))
    encoded = pc.dictionary_encode(_arrow_text(values))
    distinct = pd.util.hash_array(encoded.dictionary.to_numpy(zero_copy_only=False))
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    hashes = np.zeros(len(values), dtype=np.uint64)  # missing text hashes to 0
    present = ~values.isna().to_numpy()
    hashes[present] = distinct[codes[present].astype(np.int64)]
    return hashes


def float_hashes(numbers: np.ndarray) -> np.ndarray:
    """``value_hashes`` of float values, in an array of any shape (-0.0 hashes as 0.0, and
    every NaN alike)."""
    numbers = numbers + 0.0
    return _mix(np.where(np.isnan(numbers), np.nan, numbers).view(np.uint64))


def _mix(bits: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads 64 input bits over the whole hash, vectorised."""
    x = bits ^ (bits >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def combine_hashes(columns: list[np.ndarray]) -> np.ndarray:
    """One hash per row from the hashes of its cells (order matters)."""
    combined = np.zeros(len(columns[0]) if columns else 0, dtype=np.uint64)
    for hashes in columns:
        combined = (combined * np.uint64(0x100000001B3)) ^ hashes  # FNV-style; wraps mod 2**64
    return combined


class _SortedRuns:
    """A set of uint64 kept as sorted runs, merged when a newer run grows as large as an
    older one (as in a log-structured merge tree): inserts are amortised O(log n) and
    lookups are vectorised ``searchsorted`` calls."""

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []

    def contains(self, values: np.ndarray) -> np.ndarray:
        """Membership of sorted ``values``."""
        found = np.zeros(len(values), bool)
        for run in self._runs:
            at = np.minimum(np.searchsorted(run, values), len(run) - 1)
            found |= run[at] == values
        return found

    def add(self, values: np.ndarray) -> None:
        """Add sorted, distinct ``values`` that are not in the set yet."""
        if len(values):
            self._runs.append(values)
        while len(self._runs) > 1 and len(self._runs[-2]) <= 2 * len(self._runs[-1]):
            newer = self._runs.pop()
            merged = np.concatenate([self._runs[-1], newer])
            merged.sort()
            self._runs[-1] = merged


class SeenHashes:
    """The 64-bit hashes seen so far in a batch, to find repeats across chunks.

    Memory is 8 bytes per distinct value. The set is split by the top bits of the hash
    into partitions, each a :class:`_SortedRuns`, so that merging never copies more than
    a sixteenth of it at once.
    """

    _PARTITION_BITS = 4

    def __init__(self) -> None:
        self._partitions = [_SortedRuns() for _ in range(1 << self._PARTITION_BITS)]

    def repeated(self, hashes: np.ndarray) -> np.ndarray:
        """Mark hashes already seen (earlier in ``hashes`` or in an earlier call); remember
        the new ones."""
        repeat = pd.Series(hashes).duplicated().to_numpy(copy=True)
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]  # sorted, so each partition is one slice
        shift = np.uint64(64 - self._PARTITION_BITS)
        edges = np.searchsorted(ordered >> shift, np.arange(len(self._partitions) + 1))
        for part, (start, stop) in enumerate(itertools.pairwise(edges)):
            if start == stop:
                continue
            values = ordered[start:stop]
            seen = self._partitions[part].contains(values)
            repeat[order[start:stop][seen]] = True
            self._partitions[part].add(np.unique(values[~seen]))
        return repeat
