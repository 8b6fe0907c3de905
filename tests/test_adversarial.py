"""Adversarial validation tells apart splits that differ, and only those."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from threadpoolctl import threadpool_limits

from mlready.stats.adversarial import AdversarialResult, adversarial_validation


@pytest.fixture(autouse=True, scope="module")
def _one_openmp_thread() -> Iterator[None]:
    # These samples are tiny, so threads buy nothing; and when another process holds a
    # core, HistGradientBoosting's OpenMP threads wait on each other at every split (this
    # file went from 4 s to almost 5 minutes on a busy 2-core machine).
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    return load_breast_cancer(as_frame=True).data


def _iid_split(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = int(0.7 * len(frame))
    return frame.iloc[order[:cut]], frame.iloc[order[cut:]]


def _run(
    reference: pd.DataFrame, current: pd.DataFrame, categorical: list[str] | None = None
) -> AdversarialResult:
    features = list(reference.columns)
    return adversarial_validation(
        reference, current, features, categorical or [], np.random.default_rng(0)
    )


def test_iid_split_looks_alike(cancer: pd.DataFrame) -> None:
    frame = cancer.copy()
    frame["constant"] = 1.0
    # Gaps and infinities are read as missing, not as a reason to fail.
    frame.loc[frame.index[::7], "mean texture"] = np.nan
    frame.loc[frame.index[::11], "mean area"] = np.inf
    result = _run(*_iid_split(frame, seed=1))
    assert result.auc < 0.6
    # Not above chance; out of fold, a small null sample can even land a little below 0.5.
    assert result.ci_low < 0.5
    assert result.rows_used == len(frame)
    assert 0 < len(result.importances) <= 5


def test_split_sorted_on_a_feature_is_found(cancer: pd.DataFrame) -> None:
    ordered = cancer.sort_values("mean radius")
    cut = int(0.7 * len(ordered))
    result = _run(ordered.iloc[:cut], ordered.iloc[cut:])
    assert result.auc > 0.9
    assert result.ci_low > 0.85
    assert result.importances[0][0] == "mean radius"
    # Shuffling it undoes most of the separation.
    assert result.importances[0][1] > 0.3


def test_shifted_category_frequencies_are_found() -> None:
    rng = np.random.default_rng(3)

    def split(shares: list[float], n: int = 1500) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "region": rng.choice(["north", "south", "east"], n, p=shares),
                "x1": rng.normal(size=n),
                "x2": rng.exponential(size=n),
            }
        )

    result = _run(split([0.6, 0.3, 0.1]), split([0.2, 0.3, 0.5]), categorical=["region"])
    assert result.auc > 0.65
    assert result.ci_low > 0.6
    assert result.importances[0][0] == "region"
    values = [value for _, value in result.importances]
    assert values == sorted(values, reverse=True)
    assert all(value > 0 for value in values)


def test_time_sorted_split_is_visible_through_a_datetime_column() -> None:
    rng = np.random.default_rng(4)
    n = 1000
    frame = pd.DataFrame(
        {
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 365, n), "D"),
            "x": rng.normal(size=n),
        }
    ).sort_values("when")
    # Listed as categorical, as inferred categoricals would: still compared as time.
    result = _run(frame.iloc[:700], frame.iloc[700:], categorical=["when"])
    assert result.auc > 0.95
    assert result.importances[0][0] == "when"


def test_unique_id_column_does_not_separate_iid_splits(cancer: pd.DataFrame) -> None:
    frame = cancer.assign(customer=[f"C{i:06d}" for i in range(len(cancer))])
    result = _run(*_iid_split(frame, seed=2), categorical=["customer"])
    assert result.auc < 0.6
    # Every level is unique, so all are pooled into one: the column carries nothing.
    assert "customer" not in dict(result.importances)


def test_sampling_bounds_rows_and_same_seed_gives_same_result(cancer: pd.DataFrame) -> None:
    reference, current = _iid_split(cancer, seed=5)

    def run() -> AdversarialResult:
        return adversarial_validation(
            reference,
            current,
            list(cancer.columns),
            [],
            np.random.default_rng(11),
            max_rows=150,
            n_resamples=200,
            top_features=3,
        )

    first = run()
    assert first == run()
    assert first.rows_used == 300
    assert len(first.importances) <= 3


@pytest.mark.parametrize(
    ("rows", "features", "message"),
    [
        (5, ["a"], "needs at least 6"),
        (100, [], "at least one feature"),
        (100, ["a", "b"], "lacks feature columns: b"),
    ],
)
def test_inputs_that_cannot_be_compared_raise(rows: int, features: list[str], message: str) -> None:
    small = pd.DataFrame({"a": np.arange(rows, dtype=float)})
    large = pd.DataFrame({"a": np.arange(100, dtype=float)})
    with pytest.raises(ValueError, match=message):
        adversarial_validation(small, large, features, [], np.random.default_rng(0))
