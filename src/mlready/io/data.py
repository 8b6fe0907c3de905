"""Finding and reading the data splits (train, test, validation, production).

A split is found in the data folder by name: ``train.csv``, ``test.parquet``,
a name given in the checklist, or a folder of batch files (production).
Files are only ever read.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from mlready.errors import DataError
from mlready.io.files import file_sha256
from mlready.io.stream import sniff_csv
from mlready.spec import SPLIT_NAMES, SplitNames

REQUIRED_SPLITS = ("train", "test")


# Above this many columns a table becomes one pandas block per dtype, not one per column.
_MAX_SPLIT_COLUMNS = 256


def _arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow's buffers are freed column by column as pandas takes them over, so reading
    needs about the frame's memory, not twice it. A wide table is consolidated instead:
    with a block per column, every frame-wide operation (isna, selecting the features,
    to_numpy) loops over thousands of blocks and costs 20 times more."""
    return table.to_pandas(self_destruct=True, split_blocks=table.num_columns <= _MAX_SPLIT_COLUMNS)


_READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    ".csv": pd.read_csv,
    ".parquet": lambda path: _arrow_to_pandas(pq.read_table(path)),
    ".feather": lambda path: _arrow_to_pandas(feather.read_table(path, memory_map=False)),
    # Arrow's JSON reader parses every float exactly (pandas' JSON parser can be a unit
    # off in the last place, which turns equal values into different ones).
    ".jsonl": lambda path: _arrow_to_pandas(pa_json.read_json(path)),
}
SUPPORTED_SUFFIXES = tuple(_READERS)


# A split given in memory: one frame, or (production, say) a frame per batch, in order.
SplitData = pd.DataFrame | Mapping[str, pd.DataFrame]


@dataclass(frozen=True)
class Split:
    """One data split as read from disk."""

    name: str
    path: Path
    frame: pd.DataFrame
    sha256: str
    files: tuple[Path, ...]
    batch: pd.Series | None = None  # per row, the batch file it came from (folder splits)


def _frame_digest(frame: pd.DataFrame) -> str:
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def split_in_memory(name: str, data: SplitData) -> Split:
    """A split from frames the caller already holds (a mapping is a folder of batches)."""
    where = Path(f"<{name} in memory>")
    if isinstance(data, pd.DataFrame):
        return Split(name, where, data.reset_index(drop=True), _frame_digest(data), ())
    frame = pd.concat(list(data.values()), ignore_index=True)
    batch = pd.Series(
        [b for b, part in data.items() for _ in range(len(part))], name="batch", dtype=object
    )
    return Split(name, where, frame, _frame_digest(frame), (), batch)


def read_table(
    path: Path, delimiter: str | None = None, encoding: str | None = None
) -> pd.DataFrame:
    """Read one data file by its suffix; raise :class:`DataError` naming the file.

    ``delimiter`` and ``encoding`` apply to CSV files (default: comma, UTF-8).
    """
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise DataError(
            f"{path}: unsupported file type {path.suffix!r}",
            hint=f"use one of {', '.join(SUPPORTED_SUFFIXES)}",
        )
    if path.suffix.lower() == ".csv":
        # Semicolon, tab and pipe CSVs are read as 'contract infer' and 'validate' read them.
        delimiter = delimiter or sniff_csv(path, None, encoding or "utf-8").delimiter

        def reader(path: Path) -> pd.DataFrame:
            return pd.read_csv(path, sep=delimiter, encoding=encoding)

    try:
        frame = reader(path)
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{path} is empty", hint="write the split with a header row and data"
        ) from None
    except UnicodeDecodeError as exc:
        line = _first_undecodable_line(path, encoding or "utf-8")
        raise DataError(
            f"{path} is not valid {encoding or 'UTF-8'} text ({exc.reason} on line {line})",
            hint="re-export the file as UTF-8",
        ) from None
    except Exception as exc:  # readers raise many types for a malformed file
        raise DataError(
            f"cannot read {path}: {exc}",
            hint=f"check the file is a valid {path.suffix.lstrip('.')} file",
        ) from None
    if frame.empty:
        raise DataError(f"{path} has no data rows", hint="a split needs at least one row")
    frame.columns = [str(c) for c in frame.columns]
    repeated = _repeated_names(path, list(frame.columns), delimiter, encoding)
    if repeated:
        raise DataError(
            f"{path}: column names appear more than once: {', '.join(repeated)}",
            hint="give every column a unique name",
        )
    return frame


def _first_undecodable_line(path: Path, encoding: str) -> int:
    """The line of the first byte that is not valid in ``encoding`` (the reader's own
    offset is only within its buffer)."""
    decoder, line = codecs.getincrementaldecoder(encoding)(), 1
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            try:
                line += decoder.decode(chunk).count("\n")
            except UnicodeDecodeError as exc:
                return line + exc.object[: exc.start].count(b"\n")
    return line


def _repeated_names(
    path: Path, names: list[str], delimiter: str | None, encoding: str | None
) -> list[str]:
    """Column names that appear more than once. pandas renames a CSV's repeats ('a',
    'a.1'), so when such a pair is seen the header row is read again as it is."""
    if path.suffix.lower() == ".csv":
        known = set(names)  # membership per name: a list would be quadratic in the columns
        renamed = [
            n for n in names if re.fullmatch(r".+\.\d+", n) and n.rpartition(".")[0] in known
        ]
        if not renamed:
            return []
        header = pd.read_csv(
            path, sep=delimiter or ",", encoding=encoding, header=None, nrows=1, dtype=str
        )
        names = [str(n) for n in header.iloc[0]]
    return sorted(n for n, count in Counter(names).items() if count > 1)


def _candidates(data_dir: Path, location: str) -> list[Path]:
    """Files or folders in ``data_dir`` that ``location`` (a stem, file or folder) names."""
    direct = data_dir / location
    if direct.is_dir() or (direct.is_file() and direct.suffix.lower() in SUPPORTED_SUFFIXES):
        return [direct]
    return sorted(
        data_dir / f"{location}{suffix}"
        for suffix in SUPPORTED_SUFFIXES
        if (data_dir / f"{location}{suffix}").is_file()
    )


def batch_files(location: Path) -> tuple[Path, ...]:
    """The data files of a split: the file itself, or a folder's batch files by name."""
    if not location.is_dir():
        return (location,)
    files = tuple(
        sorted(
            p for p in location.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
        )
    )
    if not files:
        raise DataError(
            f"{location} holds no data files",
            hint=f"put batch files ({', '.join(SUPPORTED_SUFFIXES)}) in it",
        )
    return files


def _read_folder(folder: Path) -> tuple[pd.DataFrame, tuple[Path, ...], list[int]]:
    files = batch_files(folder)
    frames = [read_table(f) for f in files]
    first = list(frames[0].columns)
    for path, frame in zip(files[1:], frames[1:], strict=True):
        if set(frame.columns) != set(first):
            raise DataError(
                f"{path} has other columns than {files[0].name}",
                hint="every batch file of a split needs the same columns",
            )
    return pd.concat(frames, ignore_index=True), files, [len(f) for f in frames]


def _folder_digest(files: tuple[Path, ...]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.name}:{file_sha256(path)}\n".encode())
    return digest.hexdigest()


def read_split(name: str, path: Path) -> Split:
    """Read a split from a file or a folder of batch files."""
    if path.is_dir():
        frame, files, lengths = _read_folder(path)
        batch = pd.Series(np.repeat([f.stem for f in files], lengths), name="batch")
        return Split(name, path, frame, _folder_digest(files), files, batch)
    return Split(name, path, read_table(path), file_sha256(path), (path,))


def find_split(data_dir: Path, names: SplitNames, split: str) -> Path | None:
    """Where ``split`` is in ``data_dir`` (a file or a folder), or None."""
    found = _candidates(data_dir, getattr(names, split))
    if len(found) > 1:
        listed = ", ".join(p.name for p in found)
        raise DataError(
            f"{data_dir}: the {split} split is ambiguous ({listed})",
            hint="keep one file per split, or name it in data.splits",
        )
    return found[0] if found else None


def load_splits(
    data_dir: Path,
    names: SplitNames,
    required: tuple[str, ...] = REQUIRED_SPLITS,
    skip: tuple[str, ...] = (),
) -> dict[str, Split]:
    """Find and read every split present in ``data_dir`` but those in ``skip``; the
    ``required`` ones must be there."""
    if not data_dir.is_dir():
        raise DataError(
            f"data folder {data_dir} {'is a file' if data_dir.exists() else 'does not exist'}",
            hint="pass --data DIR with train and test files in it",
        )
    splits: dict[str, Split] = {}
    for split in SPLIT_NAMES:
        location = getattr(names, split)
        found = find_split(data_dir, names, split)
        if found and split not in skip:
            splits[split] = read_split(split, found)
        elif not found and split in required:
            present = ", ".join(sorted(p.name for p in data_dir.iterdir())) or "nothing"
            raise DataError(
                f"{data_dir}: no {split} split found (looked for {location} with suffix "
                f"{', '.join(SUPPORTED_SUFFIXES)}; the folder holds {present})",
                hint=f"add {location}.csv (or a {location}/ folder of batch files), or name "
                f"the file in data.splits.{split}",
            )
    # Reading Parquet leaves freed Arrow buffers cached in pyarrow's pool (a third of the
    # data again at 1M rows); hand them back before the checks allocate their own.
    pa.default_memory_pool().release_unused()
    return splits
