"""How far beyond the largest value of a sample a value of the same population may still
fall: a generalized Pareto tail fitted to the sample's largest values (peaks over a
threshold, probability-weighted moments), extrapolated to a small exceedance probability.

A plausibility bound set at the sample's maximum plus a fixed share of its span is crossed
by clean data of any skewed or heavy-tailed column (half of the breast cancer data set's
clean test batches crossed one); the fitted tail says how far out such a column reaches.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

MIN_ROWS = 30  # fewer values say too little about a tail to extrapolate it


def tail_size(rows: int) -> int:
    """How many of ``rows`` largest values the tail is fitted to (about 2 sqrt(n))."""
    return min(max(10, round(2 * np.sqrt(rows))), rows - 1)


def upper_limits(top: NDArray[np.float64], rows: int, probability: float) -> NDArray[np.float64]:
    """For each column of ``top``, the value a new row exceeds with at most ``probability``.

    ``top`` holds the ``tail_size(rows) + 1`` largest of ``rows`` values of each column in
    ascending order; its first row is the threshold, the rest the peaks over it. A tail that
    looks bounded is extrapolated as an exponential one (an end point estimated from a few
    dozen values is crossed by the next hundred), and every shape is taken one half of a
    standard error heavier than estimated (a light tail fitted on a few dozen values may be
    a heavy one). A column whose peaks are all equal gets its largest value.
    """
    peaks = top.shape[0] - 1
    threshold = top[0]
    excess = top[1:] - threshold
    plotting = (np.arange(1, peaks + 1) - 0.35) / peaks
    first = excess.mean(axis=0)
    second = ((1 - plotting)[:, None] * excess).mean(axis=0)
    spread = first - 2 * second
    fitted = (spread > 0) & (first > 0)
    estimated = np.clip(2 - first / np.where(fitted, spread, 1.0), 0.0, 1.0)
    scale = first * (1 - estimated)  # the mean excess of a generalized Pareto tail
    shape = np.minimum(estimated + 0.5 / np.sqrt(peaks), 1.0)
    odds = peaks / (rows * probability)
    reach = scale / shape * (odds**shape - 1)
    return np.where(fitted, threshold + reach, top[-1])
