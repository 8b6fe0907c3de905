"""split_distribution and drift end to end through the CLI: a real data set sorted into its
splits, and production as a folder of batch files named by week. Their options and verdicts
are tested as units in ``tests/checks/``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from tests.conftest import save_pickle, write_splits


def check(result, check_id: str) -> dict:
    return next(c for c in result.json["checks"] if c["id"] == check_id)


# --- split_distribution -------------------------------------------------------------


def test_a_sorted_split_is_caught_by_adversarial_validation(cli, tmp_path, cancer):
    frame = pd.concat(cancer).sort_values("mean_radius")
    train, test = frame.iloc[:400], frame.iloc[400:]
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        train.drop(columns="target"), train["target"]
    )
    result = cli.audit(
        save_pickle(model, tmp_path / "m.pkl"), write_splits(tmp_path / "s", train, test)
    )
    split = check(result, "split_distribution")
    assert split["status"] == "fail"
    assert "a classifier tells train from test apart" in split["message"]
    auc = next(e for e in split["evidence"] if e["name"] == "test_adversarial_auc")
    assert auc["value"] > 0.9
    size_features = {
        "mean_radius",
        "mean_perimeter",
        "mean_area",
        "worst_radius",
        "worst_perimeter",
        "worst_area",
    }
    adversarial = next(t for t in split["tables"] if t["title"].startswith("Adversarial"))
    assert adversarial["rows"][0][0] in size_features
    assert "re-shuffling" in split["message"]


# --- drift ----------------------------------------------------------------------------


def _population(
    rng: np.random.Generator, n: int, shift: float = 0.0, channels=(0.5, 0.3, 0.2)
) -> pd.DataFrame:
    frame = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(8)})
    frame[["x0", "x1"]] += shift
    frame["channel"] = rng.choice(["web", "shop", "phone"], n, p=channels)
    logit = frame["x0"] - frame["x2"] + 0.5 * frame["x3"] + (frame["channel"] == "web")
    frame["target"] = (logit + rng.logistic(size=n) > 0.5).astype(int)
    return frame


@pytest.fixture
def drift_case(tmp_path):
    rng = np.random.default_rng(0)
    train, test = _population(rng, 3000), _population(rng, 1000)
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["channel"]), remainder="passthrough"),
        LogisticRegression(max_iter=500),
    ).fit(train.drop(columns="target"), train["target"])
    return rng, train, test, save_pickle(model, tmp_path / "model.pkl")


def test_batches_over_time_tell_abrupt_from_gradual(cli, tmp_path, drift_case):
    rng, train, test, model = drift_case
    splits = write_splits(tmp_path / "s", train, test)
    (splits / "production").mkdir()
    for batch in range(8):
        frame = _population(rng, 400).drop(columns="target")
        frame["x4"] += 1.0 if batch >= 4 else 0.0  # a step at the fifth batch
        frame["x5"] += 0.15 * batch  # a slow trend
        frame.to_csv(splits / "production" / f"2024-w{batch + 1:02d}.csv", index=False)
    drift = check(cli.audit(model, splits), "drift")
    patterns = next(t for t in drift["tables"] if t["title"].startswith("How drifted features"))
    by_feature = {row[0]: row for row in patterns["rows"]}
    assert by_feature["x4"][1] == "abrupt" and by_feature["x4"][2] == "at 2024-w05"
    assert by_feature["x5"][1] == "gradual"
    windows = next(t for t in drift["tables"] if t["title"] == "Drift by batch")
    assert [row[0] for row in windows["rows"]] == [f"2024-w{i:02d}" for i in range(1, 9)]
    assert windows["rows"][0][3] == "-"  # the first batch looks like train
