"""Production's windows: its batch files, or calendar windows of ``data.time``."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from mlready.context import AuditContext
from mlready.stats import groups as grouping

Window = Literal["day", "week", "month", "quarter"]


def production_windows(context: AuditContext, window: Window) -> tuple[str, grouping.Groups] | None:
    """The batch files of a production folder (in file order) or, with data.time, calendar
    windows of production's timestamps; None when production is one undated file."""
    production = context.splits["production"]
    if production.batch is not None:
        batches = pd.Categorical(production.batch, categories=pd.unique(production.batch))
        codes = np.asarray(batches.codes, dtype=np.int64)
        return "batch", grouping.Groups("batch", codes, [str(c) for c in batches.categories])
    if context.spec.data.time is not None:
        return window, grouping.by_window(context.times("production", all_rows=True), window)
    return None
