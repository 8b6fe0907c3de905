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


def as_text(column: pd.Series) -> pd.Series:
    """Values as text, with missing values as one level of their own."""
    return column.astype(object).where(column.notna(), MISSING).astype(str)


def canonical(column: pd.Series) -> pd.Series:
    """One representation per value: 1 (int) and 1.0 (an int column with gaps) compare equal."""
    return column.astype(float) if column_kind(column) in ("numeric", "bool") else as_text(column)
