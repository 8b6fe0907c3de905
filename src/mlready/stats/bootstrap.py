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
from mlready.steps import step

# Cells of one weight chunk (resamples x rows): 4M float64 = 32 MiB.
_CHUNK_CELLS = 4_000_000
# Above this many rows, a classifier's predictions are resampled as cells (see cells_of).
# With SCORE_BINS bins a binary sample has at most 4 x 2,000 cells, so from 32,000 rows on
# the cells are fewer than a quarter of the rows, and every resample costs per cell.
COLLAPSE_ABOVE = 30_000
# Score bins of the cells: as Spark's BinaryClassificationMetrics(numBins) does for ROC
# curves. Only the intervals' width comes from the bins (they are centred on the exact
# estimate); tests/test_stats.py holds that width to the row bootstrap's.
SCORE_BINS = 2_000
# Above this many rows (four a bin), the paired bootstrap ranks score bins: the rows and the
# pairing stay, and a ranking metric costs per bin instead of per distinct score.
BIN_PAIRED_ABOVE = 4 * SCORE_BINS


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
        _report(done, done + size, n_resamples, per_chunk)
        done += size


def _report(before: int, after: int, n_resamples: int, per_chunk: int) -> None:
    """Say how far a bootstrap of several chunks is, at each tenth of its resamples (a
    bootstrap done in one chunk is quick, and says nothing)."""
    if per_chunk < n_resamples and after * 10 // n_resamples > before * 10 // n_resamples:
        step(f"bootstrap, {after:,} of {n_resamples:,} resamples")


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
    """Evaluate ``metric`` for every prediction on shared bootstrap resamples.

    Above BIN_PAIRED_ABOVE rows, 1-D scores are resampled as SCORE_BINS bin means (the
    rows and the pairing stay; a ranking metric then costs per bin, not per distinct
    score) and each prediction's samples are shifted by its exact estimate minus the
    binned one, as :func:`bootstrap_metrics` does for cells.
    """
    ones = np.ones((1, y.size))
    point = np.array([metric.compute(y, p, ones)[0] for p in predictions])
    resampled = list(predictions)
    if y.size > BIN_PAIRED_ABOVE:
        resampled = [_with_binned_scores(p) for p in predictions]
    shift = np.array(
        [
            0.0 if r is p else point[j] - metric.compute(y, r, ones)[0]
            for j, (p, r) in enumerate(zip(predictions, resampled, strict=True))
        ]
    )
    chunks = []
    for w in resample_weights(y.size, n_resamples, rng):
        chunks.append(np.column_stack([metric.compute(y, p, w) for p in resampled]))
    samples = np.vstack(chunks) if chunks else np.empty((0, len(predictions)))
    return PairedBootstrap(point=point, samples=samples + shift)


def _score_bins(score: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Each row's bin among SCORE_BINS quantile bins of ``score``, and each bin's mean."""
    inner = np.linspace(0, 1, SCORE_BINS + 1)[1:-1]
    edges = np.unique(np.quantile(score[np.isfinite(score)], inner))
    bins = np.searchsorted(edges, score, side="right")
    per_bin = np.bincount(bins, minlength=edges.size + 1)
    bin_score = np.bincount(bins, weights=score, minlength=edges.size + 1) / np.maximum(per_bin, 1)
    return bins, bin_score


def _with_binned_scores(prediction: Prediction) -> Prediction:
    """``prediction`` with each 1-D score replaced by its bin's mean (others unchanged)."""
    score = prediction.score
    if score is None or score.ndim != 1 or not np.isfinite(score).all():
        return prediction
    bins, bin_score = _score_bins(score)
    return Prediction(label=prediction.label, score=bin_score[bins])


@dataclass(frozen=True)
class Cells:
    """A large classification sample grouped into cells of rows every metric treats alike:
    the same target, predicted label and score bin (the score of a cell is its bin's mean).
    Resampling cells with Poisson counts is the Poisson bootstrap of the rows, at a cost
    that grows with the number of cells instead of rows."""

    y: NDArray[np.generic]
    prediction: Prediction
    counts: NDArray[np.float64]


def cells_of(y: NDArray[np.generic], prediction: Prediction) -> Cells | None:
    """The cells of a classification sample of more than COLLAPSE_ABOVE rows, or None
    (regression, per-class score matrices, small samples, or too many cells to gain)."""
    label = np.asarray(prediction.label)
    score = prediction.score
    integral = np.issubdtype(y.dtype, np.integer) and np.issubdtype(label.dtype, np.integer)
    if y.size <= COLLAPSE_ABOVE or not integral or (score is not None and score.ndim != 1):
        return None
    classes = int(max(y.max(), label.max())) + 1
    key = y.astype(np.int64) * classes + label.astype(np.int64)
    bin_score = None
    if score is not None:
        bins, bin_score = _score_bins(score)
        key = key * bin_score.size + bins
    cells, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if cells.size * 4 > y.size:
        return None
    counts = np.bincount(inverse, minlength=cells.size).astype(float)
    cell_score = None if bin_score is None else bin_score[bins[first]]
    return Cells(y[first], Prediction(label=label[first], score=cell_score), counts)


def _poisson_weights(
    counts: NDArray[np.float64], n_resamples: int, rng: np.random.Generator
) -> Iterator[NDArray[np.float64]]:
    per_chunk = max(1, _CHUNK_CELLS // max(counts.size, 1))
    done = 0
    while done < n_resamples:
        size = min(per_chunk, n_resamples - done)
        yield np.asfortranarray(rng.poisson(counts, size=(size, counts.size)), dtype=np.float64)
        _report(done, done + size, n_resamples, per_chunk)
        done += size


def bootstrap_metrics(
    metrics: Sequence[Metric],
    y: NDArray[np.generic],
    prediction: Prediction,
    n_resamples: int,
    rng: np.random.Generator,
) -> dict[str, NDArray[np.float64]]:
    """Resampled values of several metrics of one prediction (same resamples for all).

    A large classification sample is resampled as cells (:func:`cells_of`); the samples
    are then shifted by the exact estimate minus the cells' own, so intervals centre on
    the exact value and only their width comes from the binned scores.
    """
    cells = cells_of(y, prediction)
    chunks: dict[str, list[NDArray[np.float64]]] = {m.name: [] for m in metrics}
    if cells is None:
        for w in resample_weights(y.size, n_resamples, rng):
            for metric in metrics:
                chunks[metric.name].append(metric.compute(y, prediction, w))
        return {name: np.concatenate(parts) for name, parts in chunks.items()}
    for w in _poisson_weights(cells.counts, n_resamples, rng):
        for metric in metrics:
            chunks[metric.name].append(metric.compute(cells.y, cells.prediction, w))
    samples = {}
    for metric in metrics:
        exact = metric.compute(y, prediction, np.ones((1, y.size)))[0]
        binned = metric.compute(cells.y, cells.prediction, cells.counts[None, :])[0]
        samples[metric.name] = np.concatenate(chunks[metric.name]) + (exact - binned)
    return samples


def percentile_interval(samples: NDArray[np.float64], confidence: float) -> tuple[float, float]:
    """Two-sided percentile interval of bootstrap ``samples`` (NaNs ignored)."""
    alpha = (1.0 - confidence) / 2.0
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return (float("nan"), float("nan"))
    low, high = np.quantile(finite, [alpha, 1.0 - alpha])
    return (float(low), float(high))
