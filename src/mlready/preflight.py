"""Input validation that stops an audit before any check runs (exit 2).

Each function raises :class:`~mlready.errors.DataError` or
:class:`~mlready.errors.SpecError` naming the file, column or checklist key at fault, or
returns notes on what stands out without stopping the audit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlready.errors import DataError
from mlready.io.data import Split
from mlready.io.profile import Profile
from mlready.spec import ChecklistSpec

# The end of a timestamp written with its UTC offset (Z, +02:00, -0500 or +05) after a
# time of day: a date alone (2024-05-01) ends in digits that would look like an offset.
_OFFSET = r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"
# A categorical feature with a distinct value in at least this share of at least this many
# train rows is an identifier (a few rows of free text are naturally all distinct).
_ID_DISTINCT_SHARE = 0.95
_MIN_ID_ROWS = 100
EMPTY_TARGET_HINT = (
    "fill in the labels, or name the right column with --target or data.target "
    "(only production may be unlabelled)"
)


def utc_timestamps(values: pd.Series, where: str) -> pd.Series:
    """Timestamps as one UTC time line: values written with different UTC offsets are
    converted to UTC. Raises :class:`DataError` (naming ``where``) for values that are not
    timestamps, and for text that mixes values with an offset and values without one: a
    value without an offset could be in any time zone, and reading it as UTC would shift
    it by hours, silently, and reorder the rows around it."""
    check_offsets(values, where)
    try:
        return pd.to_datetime(values, utc=True, format="mixed")
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"{where} is not a timestamp: {exc}",
            hint="use ISO 8601 timestamps (2024-05-01 or 2024-05-01T12:00:00Z)",
        ) from None


def check_offsets(values: pd.Series, where: str) -> None:
    """Raise :class:`DataError` when text timestamps are written some with a UTC offset and
    some without (see :func:`utc_timestamps`); parsed or numeric columns have no offsets
    to mix."""
    if not (pd.api.types.is_datetime64_any_dtype(values) or pd.api.types.is_numeric_dtype(values)):
        text = values.dropna().astype(str).str.strip()
        with_offset = text.str.contains(_OFFSET, regex=True).to_numpy(dtype=bool)
        if with_offset.any() and not with_offset.all():
            first = int(np.argmax(~with_offset))
            row = int(np.flatnonzero(values.notna().to_numpy())[first]) + 1
            raise DataError(
                f"{where} mixes timestamps with a UTC offset and without one ("
                f"{int((~with_offset).sum())} without, e.g. {text.iloc[first]!r} in data row "
                f"{row}), so their order is unknown",
                hint="write every value with an offset (2024-05-01T12:00:00+02:00, or Z for "
                "UTC), or every value without one",
            )


def check_times(spec: ChecklistSpec, splits: dict[str, Split]) -> None:
    """No split's data.time column mixes values with and without a UTC offset: the order of
    its rows, which the checks rely on, would be a guess. (A value that is no timestamp at
    all is reported by the checks that read the column.)"""
    name = spec.data.time
    if name is None:
        return
    for split in splits.values():
        if name in split.frame.columns:
            check_offsets(
                split.frame[name],
                f"{split.path}: column {name!r} (data.time, {spec.where('data', 'time')})",
            )


def check_columns(
    splits: dict[str, Split], features: list[str], target: str, ignored: set[str]
) -> list[str]:
    """Raise :class:`DataError` when a split lacks a feature or (but for production) the
    target, or its target is empty; the notes on what else stands out (unused and empty
    columns, rows without a target)."""
    notes: list[str] = []
    used = {*features, target, *ignored}  # built once: a set per column is quadratic
    for split in splits.values():
        columns = set(split.frame.columns)
        extra = [c for c in split.frame.columns if c not in used]
        if extra:
            notes.append(
                f"{split.name}: columns the model does not use: "
                f"{', '.join(extra[:10])}{' …' if len(extra) > 10 else ''}"
            )
        missing = [c for c in features if c not in columns]
        if missing:
            raise DataError(
                f"{split.path}: the {split.name} split lacks columns the model needs: "
                f"{', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}",
                hint="re-export the split with every feature column",
            )
        if split.name != "production" and target not in columns:
            raise DataError(
                f"{split.path}: the {split.name} split has no target column {target!r}",
                hint="every labelled split needs the target",
            )
        missing_everywhere = split.frame.isna().all()  # one pass, not one per column
        all_missing = set(missing_everywhere.index[missing_everywhere.to_numpy()])
        empty = [c for c in features if c in all_missing]
        if empty:
            notes.append(f"{split.name}: columns with no values at all: {', '.join(empty)}")
        if target in columns:
            values = split.frame[target]
            if values.isna().all():
                if split.name != "production":
                    raise DataError(
                        f"{split.path}: target column {target!r} has no values",
                        hint=EMPTY_TARGET_HINT,
                    )
                notes.append("production: no label has arrived yet (the target column is empty)")
            elif values.isna().any():
                notes.append(
                    f"{split.name}: {int(values.isna().sum())} rows without a target "
                    "were left out of the metrics"
                )
    return notes


def identifier_notes(train: pd.DataFrame, categorical: list[str]) -> list[str]:
    """A note per categorical feature whose train values are (almost) all distinct: an
    identifier, not a category. The checks cap the levels they keep, so such a column costs
    no more than any other; the note says why its statistics carry nothing."""
    notes = []
    for column in categorical:
        present = train[column].dropna()
        if len(present) < _MIN_ID_ROWS:
            continue
        distinct = int(present.nunique())
        if distinct >= _ID_DISTINCT_SHARE * len(present):
            notes.append(
                f"train: feature {column!r} has {distinct:,} distinct values in {len(present):,} "
                "rows: no category but an identifier (or a timestamp, or free text). The checks "
                "keep its most frequent levels and pool the rest, so its drift and "
                "distribution statistics say little (new values in test and production are "
                "expected); a model that uses it as a category can memorise rows: drop it "
                "from the features, or name it in data.id"
            )
    return notes


def check_named_columns(spec: ChecklistSpec, splits: dict[str, Split]) -> None:
    """Columns the checklist names (id, time, weights, slices) must exist in train."""
    data = spec.data
    slices = [s if isinstance(s, str) else s.column for s in data.slices or []]
    named: dict[str, list[str | None]] = {
        "data.id": [data.id],
        "data.time": [data.time],
        "data.sample_weight": [data.sample_weight],
        "data.slices": list(slices),
    }
    if "train" not in splits:
        return  # train is a profile: the checklist was checked when it was made
    train = splits["train"]
    for key, columns in named.items():
        for column in columns:
            if column is not None and column not in train.frame.columns:
                raise DataError(
                    f"{train.path}: column {column!r} named in {key} is not in train",
                    hint=f"fix {key} in {spec.where(*key.split('.'))}",
                )


def check_classes(splits: dict[str, Split], target: str) -> None:
    train = splits["train"]
    levels = train.frame[target].dropna().unique()
    if len(levels) == 0:
        raise DataError(
            f"{train.path}: target column {target!r} has no values", hint=EMPTY_TARGET_HINT
        )
    if len(levels) < 2:
        raise DataError(
            f"{train.path}: target {target!r} has a single class ({levels[0]!r}) in train",
            hint="a classifier needs at least two classes; check the split and the target",
        )


def check_profile(profile: Profile, target: str, features: list[str]) -> None:
    """The profile must describe this model's training data: its target and features."""
    if profile.meta.target != target:
        raise DataError(
            f"{profile.path}: the profile's target is {profile.meta.target!r}, not {target!r}",
            hint="remake the profile with the audit's target (mlready profile --target)",
        )
    profile.features(features)  # raises naming a feature the profile lacks
