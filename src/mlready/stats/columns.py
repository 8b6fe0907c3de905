"""How a column is typed and compared, the same way everywhere."""

from __future__ import annotations

import pandas as pd

MISSING = "(missing)"


def column_kind(column: pd.Series) -> str:
    """numeric / text / bool / datetime: the type a serving system sees."""
    if pd.api.types.is_bool_dtype(column):
        return "bool"
    if pd.api.types.is_numeric_dtype(column):
        return "numeric"
    return "datetime" if pd.api.types.is_datetime64_any_dtype(column) else "text"


def column_kinds(frame: pd.DataFrame) -> list[str]:
    """``column_kind`` of every column, read from the dtypes: each distinct dtype is judged
    once, and no column is taken out of the frame (which costs more than the judging on a
    frame of thousands of columns). An object column is judged by its values."""
    judged: dict[object, str] = {}
    kinds = []
    for position, dtype in enumerate(frame.dtypes):
        if pd.api.types.is_object_dtype(dtype):
            kinds.append(column_kind(frame.iloc[:, position]))
            continue
        if dtype not in judged:
            judged[dtype] = column_kind(pd.Series([], dtype=dtype))
        kinds.append(judged[dtype])
    return kinds


def as_text(column: pd.Series) -> pd.Series:
    """Values as text, with missing values as one level of their own."""
    return column.astype(object).where(column.notna(), MISSING).astype(str)


def canonical(column: pd.Series) -> pd.Series:
    """One representation per value: 1 (int) and 1.0 (an int column with gaps) compare equal."""
    return column.astype(float) if column_kind(column) in ("numeric", "bool") else as_text(column)
