"""Seeded, vectorised bootstrap.

Resamples are drawn as count matrices (how often each row is drawn), in
chunks so that memory stays bounded on large samples; see
:mod:`mlready.stats.metrics` for why metrics take weights.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mlready.stats.metrics import Metric, Prediction

# Cells of one weight chunk (resamples x rows): 4M float64 = 32 MiB.
_CHUNK_CELLS = 4_000_000


def resample_weights(
    n_rows: int, n_resamples: int, rng: np.random.Generator
) -> Iterator[NDArray[np.float64]]:
    """Yield ``(chunk, n_rows)`` matrices of bootstrap draw counts.

    Each row of a matrix is one resample: ``n_rows`` indices drawn with
    replacement, counted per original row with a single ``bincount``.
    """
    per_chunk = max(1, _CHUNK_CELLS // max(n_rows, 1))
    done = 0
    while done < n_resamples:
        size = min(per_chunk, n_resamples - done)
        draws = rng.integers(0, n_rows, size=(size, n_rows))
        draws += np.arange(size)[:, None] * n_rows
        counts = np.bincount(draws.ravel(), minlength=size * n_rows)
        # Column-major: the sparse group sums (see metrics) read it without a copy.
        yield np.asfortranarray(counts.reshape(size, n_rows), dtype=np.float64)
        done += size


@dataclass(frozen=True)
class PairedBootstrap:
    """Metric values of several predictions on the same resamples.

    ``point[j]`` is the metric of prediction ``j`` on the full sample;
    ``samples[:, j]`` its values over the resamples (same resamples for all
    ``j``, so differences between columns are paired).
    """

    point: NDArray[np.float64]
    samples: NDArray[np.float64]


def paired_bootstrap(
    metric: Metric,
    y: NDArray[np.generic],
    predictions: Sequence[Prediction],
    n_resamples: int,
    rng: np.random.Generator,
) -> PairedBootstrap:
    """Evaluate ``metric`` for every prediction on shared bootstrap resamples."""
    ones = np.ones((1, y.size))
    point = np.array([metric.compute(y, p, ones)[0] for p in predictions])
    chunks = []
    for w in resample_weights(y.size, n_resamples, rng):
        chunks.append(np.column_stack([metric.compute(y, p, w) for p in predictions]))
    samples = np.vstack(chunks) if chunks else np.empty((0, len(predictions)))
    return PairedBootstrap(point=point, samples=samples)


def bootstrap_metrics(
    metrics: Sequence[Metric],
    y: NDArray[np.generic],
    prediction: Prediction,
    n_resamples: int,
    rng: np.random.Generator,
) -> dict[str, NDArray[np.float64]]:
    """Resampled values of several metrics of one prediction (same resamples for all)."""
    chunks: dict[str, list[NDArray[np.float64]]] = {m.name: [] for m in metrics}
    for w in resample_weights(y.size, n_resamples, rng):
        for metric in metrics:
            chunks[metric.name].append(metric.compute(y, prediction, w))
    return {name: np.concatenate(parts) for name, parts in chunks.items()}


def percentile_interval(samples: NDArray[np.float64], confidence: float) -> tuple[float, float]:
    """Two-sided percentile interval of bootstrap ``samples`` (NaNs ignored)."""
    alpha = (1.0 - confidence) / 2.0
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return (float("nan"), float("nan"))
    low, high = np.quantile(finite, [alpha, 1.0 - alpha])
    return (float(low), float(high))
