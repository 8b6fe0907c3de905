"""How far a column's clean values reach (stats.tails), and what inferred ranges still
catch: checked on simulated samples with fixed seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlready.quality.infer import infer_contract
from mlready.stats.tails import tail_size, upper_limits

DRAWS = {
    "normal": lambda rng, n: rng.normal(14, 3.5, n),
    "exponential": lambda rng, n: rng.exponential(1.0, n),
    "lognormal": lambda rng, n: rng.lognormal(0.0, 1.0, n),
    "student t, 3 df": lambda rng, n: rng.standard_t(3, n),
}


def _limit(sample: np.ndarray, probability: float) -> float:
    ordered = np.sort(sample)
    top = ordered[len(ordered) - tail_size(len(ordered)) - 1 :]
    return float(upper_limits(top[:, None], len(ordered), probability)[0])


@pytest.mark.parametrize("name", list(DRAWS))
def test_new_values_pass_the_fitted_limit_about_as_often_as_promised(name) -> None:
    """At a per-row probability of 1e-3 (large enough to count), fresh values of the same
    population cross the limit fitted on 500 at most about twice as often (heavy tails are
    the hard case: the README states it)."""
    rng = np.random.default_rng(7)
    crossed = [
        float((DRAWS[name](rng, 20_000) > _limit(DRAWS[name](rng, 500), 1e-3)).mean())
        for _ in range(40)
    ]
    assert np.mean(crossed) <= 2e-3


def test_the_limit_moves_out_as_the_promise_tightens_and_never_falls_below_the_maximum() -> None:
    sample = np.random.default_rng(8).lognormal(0, 1, 500)
    limits = [_limit(sample, p) for p in (1e-3, 1e-5, 1e-7)]
    assert sample.max() <= limits[0] < limits[1] < limits[2]
    flat = np.ones(100)
    assert _limit(flat, 1e-6) == 1.0  # all peaks equal: nothing to extrapolate


def test_an_inferred_range_still_catches_unit_errors_sentinels_and_sign_flips() -> None:
    rng = np.random.default_rng(9)
    train = pd.DataFrame({"area": rng.lognormal(6.4, 0.5, 500), "radius": rng.normal(14, 3.5, 500)})
    columns = infer_contract(train, "train").columns
    area, radius = columns["area"], columns["radius"]
    assert area.min == 0 and radius.min == 0  # non-negative columns keep 0 as their floor
    assert area.max < 1000 * float(train["area"].median())  # grams read as kilograms
    assert radius.max < 10 * float(train["radius"].median())  # millimetres read as centimetres
    assert area.max < 99_999  # a sentinel
    clean = pd.DataFrame(
        {"area": rng.lognormal(6.4, 0.5, 1000), "radius": rng.normal(14, 3.5, 1000)}
    )
    assert (clean["area"].between(area.min, area.max)).all()
    assert (clean["radius"].between(radius.min, radius.max)).all()
