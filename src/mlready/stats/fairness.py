"""Group fairness of binary decisions: per-group rates and the gaps between groups.

Per group (integer codes per row, as in :mod:`mlready.stats.groups`): selection rate
(share predicted positive), true and false positive rates and accuracy, each a
proportion with a Wilson interval. Across groups: demographic parity difference and
ratio of the selection rates, and the equalized odds difference (the larger of the
TPR and FPR ranges), as Fairlearn defines them, with basic (reflected) bootstrap
intervals: each group's proportions are redrawn as binomial counts (exactly the
nonparametric bootstrap of a proportion), independently per group, thousands at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

FloatArray = NDArray[np.float64]


def wilson(
    successes: FloatArray, n: FloatArray, confidence: float
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval of proportions (NaN where ``n`` is 0)."""
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = successes / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


@dataclass(frozen=True)
class GroupRates:
    """Counts and rates per group (index = group code)."""

    n: FloatArray
    positives: FloatArray  # rows whose true label is positive
    negatives: FloatArray
    selected: FloatArray  # rows predicted positive
    true_positives: FloatArray
    false_positives: FloatArray
    correct: FloatArray

    def rate(self, name: str) -> FloatArray:
        """selection, tpr, fpr or accuracy per group (NaN when undefined)."""
        numerator, denominator = self._parts(name)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denominator > 0, numerator / denominator, np.nan)

    def interval(self, name: str, confidence: float) -> tuple[FloatArray, FloatArray]:
        return wilson(*self._parts(name), confidence)

    def _parts(self, name: str) -> tuple[FloatArray, FloatArray]:
        return {
            "selection": (self.selected, self.n),
            "tpr": (self.true_positives, self.positives),
            "fpr": (self.false_positives, self.negatives),
            "accuracy": (self.correct, self.n),
        }[name]


def group_rates(
    codes: NDArray[np.int64], n_groups: int, actual: NDArray[np.bool_], predicted: NDArray[np.bool_]
) -> GroupRates:
    """Counts per group from row codes (-1: no group) and positive truth/predictions."""
    kept = codes >= 0

    def count(mask: NDArray[np.bool_]) -> FloatArray:
        return np.bincount(codes[kept & mask], minlength=n_groups).astype(float)

    return GroupRates(
        n=count(np.ones_like(kept)),
        positives=count(actual),
        negatives=count(~actual),
        selected=count(predicted),
        true_positives=count(actual & predicted),
        false_positives=count(~actual & predicted),
        correct=count(actual == predicted),
    )


@dataclass(frozen=True)
class Gap:
    """A gap between groups with its bootstrap interval."""

    value: float
    ci: tuple[float, float]


@dataclass(frozen=True)
class Parity:
    """Demographic parity and equalized odds across the judged groups."""

    difference: Gap  # max - min selection rate
    ratio: Gap  # min / max selection rate
    equalized_odds: Gap  # max(TPR range, FPR range)
    lowest: int  # group with the lowest selection rate
    highest: int


def _ranges(rates: FloatArray) -> FloatArray:
    """max - min over groups (last axis), ignoring undefined rates."""
    with np.errstate(invalid="ignore"):
        return np.nanmax(rates, axis=-1) - np.nanmin(rates, axis=-1)


def _redraw(
    successes: FloatArray, n: FloatArray, resamples: int, rng: np.random.Generator
) -> FloatArray:
    p = np.divide(successes, n, out=np.zeros_like(n), where=n > 0)
    draws = rng.binomial(n.astype(np.int64), p, size=(resamples, n.size)).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, draws / n, np.nan)


def parity(
    rates: GroupRates,
    judged: NDArray[np.int64],
    resamples: int,
    rng: np.random.Generator,
    confidence: float,
) -> Parity:
    """Parity gaps over the ``judged`` groups (at least two)."""
    pick = lambda a: a[judged]  # noqa: E731
    selection = pick(rates.rate("selection"))
    tpr, fpr = pick(rates.rate("tpr")), pick(rates.rate("fpr"))
    boot_sel = _redraw(pick(rates.selected), pick(rates.n), resamples, rng)
    boot_tpr = _redraw(pick(rates.true_positives), pick(rates.positives), resamples, rng)
    boot_fpr = _redraw(pick(rates.false_positives), pick(rates.negatives), resamples, rng)
    alpha = (1 - confidence) / 2

    def gap(value: float, samples: FloatArray) -> Gap:
        finite = samples[np.isfinite(samples)]
        if not finite.size or not np.isfinite(value):
            return Gap(value, (float("nan"), float("nan")))
        low, high = np.quantile(finite, [alpha, 1 - alpha])
        # A range (max - min) or ratio (min / max) of group rates is an extreme: resampled,
        # every group's noise pushes it away from the estimate, so a percentile interval is
        # biased (groups drawn at random "differ beyond chance"). The basic bootstrap
        # reflects the quantiles about the estimate, which removes that bias.
        low, high = 2 * value - high, 2 * value - low
        return Gap(value, (float(np.clip(low, 0, 1)), float(np.clip(high, 0, 1))))

    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = float(selection.min() / selection.max()) if selection.max() > 0 else float("nan")
        boot_ratio = boot_sel.min(axis=1) / boot_sel.max(axis=1)
    odds = max(_ranges(tpr[None, :])[0], _ranges(fpr[None, :])[0])
    boot_odds = np.fmax(_ranges(boot_tpr), _ranges(boot_fpr))
    return Parity(
        difference=gap(float(selection.max() - selection.min()), _ranges(boot_sel)),
        ratio=gap(ratio, boot_ratio),
        equalized_odds=gap(float(odds), boot_odds),
        lowest=int(judged[np.argmin(selection)]),
        highest=int(judged[np.argmax(selection)]),
    )
