"""Production as the checks see it, whether it was read into memory or streamed.

With ``--engine stream`` or ``--engine dask`` production is never read into memory: each
batch file is summarised (mergeable sketches) against a reference. The checks that can work
from summaries (``Capabilities.streams_production``) ask :class:`AuditContext` for
:func:`summary` and :func:`batch_sources` and get the same kind of answer either way.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mlready.spec import Window
from mlready.stats import groups as grouping
from mlready.stats.drift import Reference

if TYPE_CHECKING:
    from mlready.context import AuditContext
    from mlready.contract import DataContract
    from mlready.quality.results import BatchResult


@dataclass(frozen=True)
class Windows:
    """Production cut into batches or calendar windows: each one's rows, on demand."""

    unit: str  # batch, day, week, ...
    labels: list[str]
    rows: list[int]
    sample: Callable[[int], pd.DataFrame | Reference]


@dataclass(frozen=True)
class Summary:
    """Production's features, model outputs and labelled targets (rows in memory, or
    merged sketches of streamed batches), and its windows."""

    features: Reference
    output: Callable[[], pd.DataFrame | Reference]
    target: Callable[[], pd.DataFrame | Reference | None]
    windows: Callable[[], Windows | None]
    rows: int


@dataclass(frozen=True)
class BatchSource:
    """One batch of a split to hold to a data contract: rows in memory, or a file read
    chunk by chunk (streamed production)."""

    name: str
    frame: pd.DataFrame | None = None
    path: Path | None = None

    def validate(self, contract: DataContract) -> BatchResult:
        """The batch held to ``contract``."""
        from mlready.quality.validate import validate_file, validate_frame

        if self.frame is not None:
            return validate_frame(self.frame, contract, self.name)
        assert self.path is not None
        return validate_file(self.path, contract, self.name)


def windows_of(context: AuditContext, window: Window) -> tuple[str, grouping.Groups] | None:
    """The batch files of a production folder (in file order) or, with data.time, calendar
    windows of production's timestamps; None when production is one undated file."""
    batch = context.batch_labels("production")
    if batch is not None:
        batches = pd.Categorical(batch, categories=pd.unique(batch))
        codes = np.asarray(batches.codes, dtype=np.int64)
        return "batch", grouping.Groups("batch", codes, [str(c) for c in batches.categories])
    if context.spec.data.time is not None:
        return window, grouping.by_window(context.times("production", all_rows=True), window)
    return None


def in_memory(context: AuditContext, window: Window) -> Summary:
    """The summary of production read into memory."""
    frame = context.frame("production")

    def windows() -> Windows | None:
        found = windows_of(context, window)
        if found is None:
            return None
        unit, groups = found
        return Windows(
            unit,
            groups.labels,
            [int(n) for n in groups.sizes()],
            lambda g: frame[groups.codes == g],
        )

    def target() -> pd.DataFrame | None:
        if not context.has_labels("production"):
            return None
        return context.labelled("production")[[context.target]]

    return Summary(
        features=context.reference("production"),
        output=lambda: context.output("production", all_rows=True).to_frame(),
        target=target,
        windows=windows,
        rows=len(frame),
    )


def streamed(context: AuditContext, reference: str) -> Summary:
    """The summary of streamed production: the batches' sketches merged, each batch a
    window."""
    batches = context.streamed(reference)
    total = copy.deepcopy(batches[0].sketch)  # the batches' own sketches stay per window
    for batch in batches[1:]:
        total.merge(batch.sketch)

    def output() -> Reference:
        assert total.output is not None  # asked only when the reference has outputs
        return total.output.reference()

    def windows() -> Windows:
        return Windows(
            "batch",
            [b.name for b in batches],
            [b.sketch.features.rows for b in batches],
            lambda g: batches[g].sketch.features.reference(),
        )

    return Summary(
        features=total.features.reference(),
        output=output,
        target=lambda: total.target.reference() if total.target.rows else None,
        windows=windows if len(batches) > 1 else lambda: None,
        rows=total.features.rows,
    )
