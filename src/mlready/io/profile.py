"""Reference profiles: the statistics of a training set that the distribution and quality
checks need, kept in one small versioned file (``mlready profile``), so that daily
monitoring compares production with them instead of re-reading the training data.

A profile holds, per numeric column, an equal-weight grid of ``GRID`` + 1 quantiles with
the exact count, mean, standard deviation and missing share; per categorical column the
count of every level; the target the same way; optionally the model's outputs on the
training rows (for prediction drift); the draft data contract inferred from the rows;
and fingerprints (source file digest, rows, columns and types, mlready version).

The file is a zip archive: ``profile.json`` (everything but the grids) and one ``.npy``
array per numeric column, read with ``allow_pickle=False``: loading a profile runs no
code. Results with a profile equal those with the raw data within the grid's resolution
(the KS statistic within 1 / GRID; see docs/benchmarks.md for the measured tolerance).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from mlready.contract import DataContract
from mlready.errors import DataError
from mlready.io.files import write_bytes_atomic
from mlready.stats.drift import NumericSample, Reference

FORMAT = "mlready-profile"
VERSION = 1
GRID = 10_000  # quantile intervals per numeric column
_META = "profile.json"


class NumericColumn(BaseModel):
    """A numeric column's exact summary; its quantile grid is stored beside it."""

    model_config = ConfigDict(extra="forbid")
    array: str
    count: int
    mean: float | None
    std: float | None
    missing: float


class CategoricalColumn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    levels: list[tuple[str, int]]
    missing: float


class StoredReference(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rows: int
    numeric: dict[str, NumericColumn]
    categorical: dict[str, CategoricalColumn]


class ProfileMeta(BaseModel):
    """What a profile was made from, and for which audit settings."""

    model_config = ConfigDict(extra="forbid")
    format: str
    version: int
    mlready_version: str
    source: str
    source_sha256: str
    rows: int
    columns: dict[str, str]  # name -> dtype of the source
    target: str
    task: str
    classes: list[Any] | None
    features: list[str]
    categorical: list[str]
    model_sha256: str | None  # the model whose outputs ``predictions`` holds
    margin: float  # range margin of the draft contract


@dataclass(frozen=True)
class Profile:
    """A training set's reference statistics (see the module docstring)."""

    meta: ProfileMeta
    reference: Reference  # the features
    target: Reference  # the target, over the labelled rows
    contract: DataContract
    predictions: Reference | None = None  # one column, "prediction", over the labelled rows
    path: Path | None = None

    def features(self, columns: list[str]) -> Reference:
        """The reference of ``columns``; raise naming the first one the profile lacks."""
        missing = [c for c in columns if c not in self.reference.columns]
        if missing:
            raise DataError(
                f"{self.path}: the profile has no column {missing[0]!r}",
                hint="remake it from the training data the model was trained on: "
                "mlready profile TRAIN -o FILE",
            )
        return self.reference.subset(columns)


def _store(reference: Reference, arrays: dict[str, np.ndarray], prefix: str) -> StoredReference:
    numeric = {}
    for i, (name, sample) in enumerate(reference.numeric.items()):
        key = f"{prefix}{i}.npy"
        arrays[key] = sample.grid(GRID).values
        numeric[name] = NumericColumn(
            array=key,
            count=sample.count,
            missing=reference.missing[name],
            mean=None if np.isnan(sample.mean) else sample.mean,
            std=None if np.isnan(sample.std) else sample.std,
        )
    categorical = {
        name: CategoricalColumn(
            levels=[(str(k), int(v)) for k, v in counts.items()], missing=reference.missing[name]
        )
        for name, counts in reference.level_counts.items()
    }
    return StoredReference(rows=reference.rows, numeric=numeric, categorical=categorical)


def _restore(stored: StoredReference, arrays: dict[str, np.ndarray]) -> Reference:
    numeric = {
        name: NumericSample(
            arrays[column.array],
            column.count,
            float("nan") if column.mean is None else column.mean,
            float("nan") if column.std is None else column.std,
        )
        for name, column in stored.numeric.items()
    }
    levels = {
        name: pd.Series(
            [count for _, count in column.levels],
            index=pd.Index([level for level, _ in column.levels], dtype=object),
            dtype="int64",
        )
        for name, column in stored.categorical.items()
    }
    missing = {name: c.missing for name, c in stored.numeric.items()}
    missing |= {name: c.missing for name, c in stored.categorical.items()}
    return Reference(numeric, levels, missing, stored.rows)


def save_profile(profile: Profile, path: Path) -> None:
    """Write ``profile`` to ``path`` (atomically)."""
    arrays: dict[str, np.ndarray] = {}
    document = {
        "meta": profile.meta.model_dump(mode="json"),
        "reference": _store(profile.reference, arrays, "reference/").model_dump(mode="json"),
        "target": _store(profile.target, arrays, "target/").model_dump(mode="json"),
        "predictions": None
        if profile.predictions is None
        else _store(profile.predictions, arrays, "predictions/").model_dump(mode="json"),
        "contract": profile.contract.model_dump(mode="json", exclude_none=True),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_META, json.dumps(document, indent=1, sort_keys=False))
        for key, array in arrays.items():
            stream = io.BytesIO()
            np.save(stream, np.ascontiguousarray(array, dtype=np.float64), allow_pickle=False)
            archive.writestr(key, stream.getvalue())
    write_bytes_atomic(path, buffer.getvalue())


def load_profile(path: Path) -> Profile:
    """Read a profile file; raise :class:`DataError` naming the file when it is not one."""
    remake = "make it with: mlready profile TRAIN -o FILE"
    if not path.is_file():
        raise DataError(f"profile {path} does not exist", hint=remake)
    try:
        with zipfile.ZipFile(path) as archive:
            document = json.loads(archive.read(_META))
            arrays = {
                name: np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
                for name in archive.namelist()
                if name.endswith(".npy")
            }
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, ValueError, OSError) as exc:
        raise DataError(f"{path} is not an mlready profile ({exc})", hint=remake) from None
    try:
        meta = ProfileMeta.model_validate(document["meta"])
        if meta.format != FORMAT:
            raise DataError(f"{path} is not an mlready profile", hint=remake)
        if meta.version != VERSION:
            raise DataError(
                f"{path} is a version {meta.version} profile; this mlready reads version {VERSION}",
                hint=f"remake it with this mlready ({remake})",
            )
        reference = _restore(StoredReference.model_validate(document["reference"]), arrays)
        target = _restore(StoredReference.model_validate(document["target"]), arrays)
        predictions = document.get("predictions")
        return Profile(
            meta=meta,
            reference=reference,
            target=target,
            contract=DataContract.model_validate(document["contract"]),
            predictions=None
            if predictions is None
            else _restore(StoredReference.model_validate(predictions), arrays),
            path=path,
        )
    except (ValidationError, KeyError, TypeError) as exc:
        raise DataError(f"{path} is not a valid mlready profile ({exc})", hint=remake) from None
