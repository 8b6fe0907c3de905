"""Choosing unlabelled production rows to send for human labelling.

Half the queue (``random_share``) is a seeded simple random sample: labels on it
give unbiased estimates of production performance. The rest are the rows the
model is least sure about (smallest top-class probability): the most
informative for finding where it fails and for retraining. Regression models
and models without probabilities give no uncertainty, so their queue is random.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlready.context import AuditContext
from mlready.errors import DataError
from mlready.stats.estimation import top_probability


def label_queue(context: AuditContext, size: int, random_share: float = 0.5) -> pd.DataFrame:
    """Up to ``size`` unlabelled production rows with every original column, plus ``_row``
    (1-based position in production), ``_batch`` (file of a production folder), ``_reason``
    and ``_confidence`` (the model's top-class probability, when it has one)."""
    if not context.has_split("production"):
        raise DataError("no production split to pick rows for labelling from")
    frame = context.frame("production")
    unlabelled = (
        frame[context.target].isna().to_numpy()
        if context.target in frame.columns
        else np.ones(len(frame), bool)
    )
    candidates = np.flatnonzero(unlabelled)
    confidence = (
        None
        if context.task == "regression"
        else top_probability(context.prediction("production", all_rows=True).score)
    )
    size = min(size, candidates.size)
    n_random = size if confidence is None else round(size * random_share)
    rng = context.rng("label_queue")
    random_rows = np.sort(rng.choice(candidates, n_random, replace=False))
    rest = np.setdiff1d(candidates, random_rows)
    chosen, reasons = [random_rows], [np.full(n_random, "random sample (unbiased estimate)")]
    if confidence is not None and size > n_random:
        unsure = rest[np.argsort(confidence[rest], kind="stable")[: size - n_random]]
        chosen.append(unsure)
        reasons.append(np.full(unsure.size, "uncertain prediction (most informative)"))
    rows = np.concatenate(chosen).astype(np.int64)
    queue = frame.iloc[rows].copy()
    queue["_row"] = rows + 1
    batch = context.batch_labels("production")
    if batch is not None:
        queue["_batch"] = batch.to_numpy()[rows]
    queue["_reason"] = np.concatenate(reasons)
    if confidence is not None:
        queue["_confidence"] = confidence[rows]
    return queue.reset_index(drop=True)
