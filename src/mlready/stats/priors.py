"""Class shares of two samples: how far they moved, and how much of that is beyond chance."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import stats


def share_shift(
    reference: NDArray[np.int64], current: NDArray[np.int64], confidence: float, tests: int = 1
) -> tuple[float, float]:
    """The largest change of a class's share from the ``reference`` class counts to the
    ``current`` ones, and the largest lower confidence bound of a class's change (the
    normal approximation of a difference of two proportions, pooled; ``confidence`` over
    ``tests`` comparisons, Bonferroni). A bound at or below a limit: the shares may differ
    by less than it, by sampling alone."""
    n_ref, n_cur = int(reference.sum()), int(current.sum())
    change = np.abs(reference / n_ref - current / n_cur)
    pooled = (reference + current) / (n_ref + n_cur)
    error = np.sqrt(pooled * (1 - pooled) * (1 / n_ref + 1 / n_cur))
    z = float(stats.norm.ppf(1 - (1 - confidence) / (2 * tests)))
    return float(change.max()), float((change - z * error).max())
