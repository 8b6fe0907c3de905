"""A count of events against the share a limit or chance allows: one-sided binomial tests."""

from __future__ import annotations

from scipy import stats


def more_than_share(count: int, rows: int, share: float) -> float:
    """The p-value of ``count`` or more events among ``rows`` when each row has one with
    probability ``share``: small when the count is beyond what that share gives by chance
    (a batch's missing values against its limit, held-out rows equal to train rows)."""
    if count <= 0:
        return 1.0
    return float(stats.binom.sf(count - 1, rows, share))
