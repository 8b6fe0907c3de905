"""Production data that does not fit in memory: streamed, scored and summarised chunk by
chunk (``--engine stream``), or partition by partition on a Dask cluster
(``--engine dask``). Both engines run the same :class:`SketchPlan` on each piece of data
and merge the mergeable sketches (:mod:`mlready.stats.sketch`), so they give the same
statistics; memory stays bounded by the chunk size and the sketches, not the data.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from mlready.errors import DataError, MlreadyError
from mlready.io.predictor import Predictor, output_column
from mlready.io.stream import BatchFile
from mlready.stats.drift import Reference
from mlready.stats.sketch import FrameSketch
from mlready.steps import step

ENGINES = ("memory", "stream", "dask")


@dataclass
class BatchSketch:
    """What one batch file (or a piece of it) adds up to."""

    features: FrameSketch
    output: FrameSketch | None  # the model's outputs on every row
    target: FrameSketch  # the labelled rows' target

    def merge(self, other: BatchSketch) -> BatchSketch:
        """Add ``other`` to this one; returns self."""
        self.features.merge(other.features)
        self.target.merge(other.target)
        if self.output is not None and other.output is not None:
            self.output.merge(other.output)
        return self


@dataclass
class SketchPlan:
    """What to compute on a piece of production data: the feature, output and target
    sketches on the reference's edges. Picklable, so Dask workers can run it."""

    features: list[str]
    target: str
    predictor: Predictor | None  # None: predictions are not computed
    classes: pd.Index | None
    empty: BatchSketch

    @classmethod
    def of(
        cls,
        features: Reference,
        output: Reference | None,
        target: Reference,
        predictor: Predictor | None,
        classes: pd.Index | None,
    ) -> SketchPlan:
        empty = BatchSketch(
            FrameSketch.like(features),
            FrameSketch.like(output) if output is not None else None,
            FrameSketch.like(target),
        )
        name = target.columns[0]
        return cls(features.columns, name, predictor if output else None, classes, empty)

    def start(self) -> BatchSketch:
        """An empty sketch to add pieces to."""
        return copy.deepcopy(self.empty)

    def sketch(self, frame: pd.DataFrame) -> BatchSketch:
        """The sketch of one piece (a chunk or a partition): features counted, rows scored."""
        missing = [c for c in self.features if c not in frame.columns]
        if missing:
            raise DataError(f"production lacks columns the model needs: {', '.join(missing)}")
        piece = self.start()
        piece.features.add(frame)
        if piece.output is not None and self.predictor is not None and len(frame):
            prediction = self.predictor.predict("production", frame, self.features)
            piece.output.add(output_column(prediction, self.classes).to_frame())
        if self.target in frame.columns:
            labelled = frame.loc[frame[self.target].notna(), [self.target]]
            piece.target.add(labelled)
        return piece


@dataclass
class StreamedBatch:
    """One production batch file, summarised."""

    name: str  # the file's stem, like a batch of an in-memory folder
    path: Path
    sketch: BatchSketch


class Engine(Protocol):
    """Runs a plan over batch files; one merged sketch per file, in file order."""

    name: str

    def run(self, files: list[Path], plan: SketchPlan) -> list[StreamedBatch]: ...


class StreamEngine:
    """This process, chunk by chunk (io.stream reads CSV, Parquet, Feather, JSONL)."""

    name = "stream"

    def run(self, files: list[Path], plan: SketchPlan) -> list[StreamedBatch]:
        batches = []
        for number, path in enumerate(files, 1):
            step(f"streaming batch {number} of {len(files)} ({path.name})")
            batches.append(StreamedBatch(path.stem, path, _merged(plan, self._pieces(path))))
        return batches

    @staticmethod
    def _pieces(path: Path) -> Iterator[pd.DataFrame]:
        # Each chunk is sketched as soon as it is read: one chunk is in memory at a time.
        for chunk in BatchFile(path).chunks():
            yield chunk.table.to_pandas()


def _merged(plan: SketchPlan, pieces: Iterable[pd.DataFrame]) -> BatchSketch:
    return reduce(lambda total, piece: total.merge(plan.sketch(piece)), pieces, plan.start())


class DaskEngine:
    """Partitions on a Dask cluster: a running one (``scheduler`` address) or a local
    one started for the run. The workers must see the files at the same paths."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int = 2) -> None:
        self.scheduler = scheduler
        self.workers = workers

    def run(self, files: list[Path], plan: SketchPlan) -> list[StreamedBatch]:
        dask, dd, distributed = _import_dask()
        with self._client(distributed) as client:
            per_file = []
            for path in files:
                parts = _read_dask(dd, path).to_delayed()
                sketches = [dask.delayed(plan.sketch)(part) for part in parts]
                per_file.append(_tree(dask.delayed(_merge_two), sketches) if sketches else None)
            step(f"summarising {len(files)} batch files on the Dask cluster")
            computed = client.compute([s for s in per_file if s is not None], sync=True)
        merged = iter(computed)
        return [
            StreamedBatch(f.stem, f, next(merged) if s is not None else plan.start())
            for f, s in zip(files, per_file, strict=True)
        ]

    def _client(self, distributed: Any) -> Any:
        try:
            if self.scheduler is not None:
                return distributed.Client(self.scheduler, timeout="20s")
            return distributed.Client(
                distributed.LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, dashboard_address=None
                )
            )
        except OSError as exc:
            raise MlreadyError(
                f"cannot reach the Dask scheduler {self.scheduler}: {exc}",
                hint="check the address (tcp://HOST:8786) and that the scheduler runs",
            ) from None


def _merge_two(a: BatchSketch, b: BatchSketch) -> BatchSketch:
    return a.merge(b)


def _tree(merge: Callable[[Any, Any], Any], items: list[Any]) -> Any:
    """Pairwise merging, so partial results combine in log(n) rounds across workers."""
    while len(items) > 1:
        items = [
            merge(*items[i : i + 2]) if i + 1 < len(items) else items[i]
            for i in range(0, len(items), 2)
        ]
    return items[0]


def _read_dask(dd: Any, path: Path) -> Any:
    suffix = path.suffix.lower()
    if suffix == ".parquet":  # partitions of about 64 MiB bound each worker's memory
        return dd.read_parquet(str(path), split_row_groups="adaptive", blocksize="64MiB")
    if suffix == ".csv":
        return dd.read_csv(str(path), blocksize="64MB")
    if suffix == ".jsonl":
        return dd.read_json(str(path), lines=True, blocksize=64_000_000)
    raise DataError(
        f"{path}: the Dask engine reads .parquet, .csv and .jsonl files",
        hint="convert the batch to Parquet, or use --engine stream",
    )


def _import_dask() -> tuple[Any, Any, Any]:
    try:
        import dask
        import dask.dataframe as dd
        import distributed
    except ImportError:
        raise MlreadyError("--engine dask needs Dask", hint="pip install 'mlready[dask]'") from None
    return dask, dd, distributed


def engine_named(name: str, scheduler: str | None) -> Engine | None:
    """The engine for ``--engine NAME`` (None: production is read into memory)."""
    if name not in ENGINES:
        raise MlreadyError(f"unknown engine {name!r}", hint=f"use one of {', '.join(ENGINES)}")
    if scheduler is not None and name != "dask":
        raise MlreadyError("--scheduler needs --engine dask")
    if name == "stream":
        return StreamEngine()
    if name == "dask":
        _import_dask()
        return DaskEngine(scheduler)
    return None
