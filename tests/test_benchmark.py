"""The benchmark check end to end (question 3): reading errors named by file and column, a
numeric column read as text from CSV, a model process whose predictions change. Every option
and verdict is tested as a unit in ``tests/checks/test_benchmark.py``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlready.stats.leakage import copied_rows, single_feature

from .benchmark_models import CoercingClassifier, NoisyClassifier
from .conftest import save_pickle, write_splits

ALLOW_TESTS = "model:\n  allow: [tests.benchmark_models]\n"


def benchmark(result) -> dict:
    return next(c for c in result.json["checks"] if c["id"] == "benchmark")


def table(check: dict, title_start: str) -> dict:
    return next(t for t in check["tables"] if t["title"].startswith(title_start))


def checklist(tmp_path: Path, text: str) -> str:
    path = tmp_path / "checklist.yaml"
    path.write_text(text)
    return str(path)


def city_data(n: int = 400) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A numeric and a text feature; no row repeats."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=n), "city": rng.choice(["oslo", "lima", "pune"], n)})
    noise = rng.normal(scale=0.5, size=n)
    frame["target"] = (frame["x"] + (frame["city"] == "lima") + noise > 0.5).astype(int)
    return frame.iloc[: n * 3 // 4], frame.iloc[n * 3 // 4 :]


def fit_coercing(train: pd.DataFrame, path: Path, cls: type = CoercingClassifier) -> Path:
    return save_pickle(cls().fit(train.drop(columns="target"), train["target"]), path)


def _dated(cancer, older: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    train, test = cancer
    train = train.assign(when=pd.date_range("2024-01-01", periods=len(train), freq="h"))
    after = pd.date_range(train["when"].max(), periods=len(test) + 1, freq="h")[1:]
    test = test.assign(when=after)
    test.loc[test.index[:older], "when"] = pd.Timestamp("2023-06-01")
    return train, test


def test_an_unreadable_timestamp_names_the_file_and_column(cli, tmp_path, good_classifier, cancer):
    train, test = _dated(cancer, older=0)
    test = test.astype({"when": object})
    test.loc[test.index[0], "when"] = "last tuesday"
    splits = write_splits(tmp_path / "s", train, test)
    result = cli.audit(good_classifier, splits, "-c", checklist(tmp_path, "data:\n  time: when\n"))
    check = benchmark(result)
    assert check["status"] == "error"
    assert "test.csv: column 'when' is not a timestamp" in check["message"]


def test_a_numeric_column_read_as_text_in_test_is_a_dtype_mismatch(cli, tmp_path):
    train, test = city_data()
    test = test.astype({"x": object})
    test.loc[test.index[0], "x"] = "0,5"  # a decimal comma from another locale
    model = fit_coercing(train, tmp_path / "m.pkl")
    splits = write_splits(tmp_path / "s", train, test)
    result = cli.audit(model, splits, "-c", checklist(tmp_path, ALLOW_TESTS))
    check = benchmark(result)
    assert check["status"] == "fail"
    assert check["message"].startswith(
        "feature types differ from train: 'x' (numeric in train, text in test)"
    )
    assert table(check, "Feature types that differ")["rows"] == [["x", "test", "numeric", "text"]]


def test_a_model_whose_predictions_change_when_repeated_fails(cli, tmp_path):
    train, test = city_data()
    model = fit_coercing(train, tmp_path / "noisy.pkl", NoisyClassifier)
    splits = write_splits(tmp_path / "s", train, test)
    check = benchmark(cli.audit(model, splits, "-c", checklist(tmp_path, ALLOW_TESTS)))
    assert check["status"] == "fail"
    assert check["metrics"]["nondeterministic_rows"] == len(test)
    assert f"predicting {len(test)} test rows again changed {len(test)}" in check["message"]


@pytest.mark.parametrize("n_classes", [None, 2, 3])
def test_single_feature_score_learns_on_train_so_ids_look_like_chance(n_classes):
    rng = np.random.default_rng(1)
    n = 600
    y = rng.normal(size=n) if n_classes is None else rng.integers(0, n_classes, n)
    ids = pd.Series(np.arange(n).astype(str))
    leak = pd.Series(y.astype(float))
    halves = slice(0, n // 2), slice(n // 2, n)

    def score(x: pd.Series, categorical: bool) -> float:
        tr, te = halves
        return float(single_feature(x[tr], x[te], y[tr], n_classes, categorical).score(y[te])[0])

    assert score(leak, categorical=False) > 0.99
    assert score(ids, categorical=True) <= 0.5  # every test id is unseen in train


def test_rows_match_across_int_and_float_columns():
    train = pd.DataFrame({"a": [1, 2, 3], "b": ["u", "v", "w"]})
    test = pd.DataFrame({"a": [1.0, 2.0, np.nan], "b": ["u", "x", "w"]})
    assert copied_rows(test, train, ["a", "b"]).tolist() == [True, False, False]


def test_explain_describes_the_check(cli):
    output = cli("explain", "benchmark").output
    assert "What it checks" in output and "max_duplicate_share" in output
