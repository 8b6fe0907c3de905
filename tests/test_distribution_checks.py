"""split_distribution and drift, end to end through the CLI on real models."""

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


def checklist(tmp_path, text: str) -> str:
    path = tmp_path / "checklist.yaml"
    path.write_text(text)
    return str(path)


# --- split_distribution -------------------------------------------------------------


def test_an_iid_split_passes(cli, good_classifier, cancer_splits):
    result = check(cli.audit(good_classifier, cancer_splits), "split_distribution")
    assert result["status"] == "pass", result["message"]
    auc = next(e for e in result["evidence"] if e["name"] == "test_adversarial_auc")
    assert auc["ci_low"] < 0.6


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


def test_a_label_shift_between_splits_fails(cli, tmp_path, good_classifier, cancer):
    train, test = cancer
    benign = test[test["target"] == 1]
    shifted = pd.concat([test[test["target"] == 0], benign.iloc[: len(benign) // 4]])
    result = cli.audit(good_classifier, write_splits(tmp_path / "s", train, shifted))
    split = check(result, "split_distribution")
    assert split["status"] == "fail"
    assert "the target is distributed differently in train and test" in split["message"]


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


def test_no_production_split_skips_drift(cli, good_classifier, cancer_splits):
    assert check(cli.audit(good_classifier, cancer_splits), "drift")["status"] == "skip"


def test_iid_production_shows_no_drift(cli, tmp_path, drift_case):
    rng, train, test, model = drift_case
    production = _population(rng, 1500).drop(columns="target")
    drift = check(
        cli.audit(model, write_splits(tmp_path / "s", train, test, production=production)), "drift"
    )
    assert drift["status"] == "pass", drift["message"]
    assert drift["metrics"]["drifted_share"] == 0


def test_shifted_production_flags_exactly_the_changed_features(cli, tmp_path, drift_case):
    rng, train, test, model = drift_case
    production = _population(rng, 1500, shift=0.6, channels=(0.2, 0.3, 0.5))
    result = cli.audit(
        model,
        write_splits(tmp_path / "s", train, test, production=production.drop(columns="target")),
    )
    drift = check(result, "drift")
    features = next(t for t in drift["tables"] if t["title"].startswith("Features"))
    flagged = {row[0] for row in features["rows"] if row[-1] == "drifted"}
    assert flagged == {"x0", "x1", "channel"}
    assert drift["status"] == "fail"  # 3 of 9 features > drift_share 0.3
    assert drift["message"].startswith("dataset drift: 3 of 9 features drifted")
    assert "prediction drift" in drift["message"]  # x0 and channel move the model's scores
    channel = next(row for row in features["rows"] if row[0] == "channel")
    # the most common level on each side, with its share
    assert channel[5]["levels"][0][0] == "web" and channel[6]["levels"][0][0] == "phone"
    assert channel[6]["levels"][0][1] == pytest.approx(0.5, abs=0.05)


def test_a_label_shift_in_labelled_production_is_target_drift(cli, tmp_path, drift_case):
    rng, train, test, model = drift_case
    production = _population(rng, 1500)
    production["target"] = np.where(rng.random(1500) < 0.35, 1, production["target"])
    result = cli.audit(
        model,
        write_splits(tmp_path / "s", train, test, production=production),
        "-c",
        checklist(tmp_path, "checks:\n  drift:\n    prediction_drift: warn\n"),
    )
    drift = check(result, "drift")
    assert drift["status"] == "fail"
    assert "target drift" in drift["message"]
    assert "dataset drift" not in drift["message"]


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
    assert windows["rows"][0][2] == "-"  # the first batch looks like train


def test_importance_weighting_counts_what_the_model_uses(cli, tmp_path, drift_case):
    rng, train, test, model = drift_case
    production = _population(rng, 1500).drop(columns="target")
    production["x6"] += 1.0  # a feature the model barely uses
    splits = write_splits(tmp_path / "s", train, test, production=production)
    plain = check(cli.audit(model, splits), "drift")
    weighted = check(
        cli.audit(
            model,
            splits,
            "-c",
            checklist(tmp_path, "checks:\n  drift:\n    weight_by_importance: true\n"),
        ),
        "drift",
    )
    assert plain["metrics"]["drifted_share"] == pytest.approx(1 / 9)
    assert weighted["metrics"]["drifted_share"] < 0.02
    assert "importance-weighted share" in weighted["message"]


def test_windows_of_a_time_column_in_production(cli, tmp_path, drift_case):
    rng, train, test, model = drift_case
    production = _population(rng, 1200).drop(columns="target")
    production["when"] = pd.date_range("2024-03-04", periods=1200, freq="h").astype(str)
    production.loc[600:, "x3"] += 1.0  # from 29 March, within the fourth week
    for frame in (train, test):
        frame["when"] = "2024-01-01"
    splits = write_splits(tmp_path / "s", train, test, production=production)
    drift = check(
        cli.audit(model, splits, "-c", checklist(tmp_path, "data:\n  time: when\n")), "drift"
    )
    windows = next(t for t in drift["tables"] if t["title"] == "Drift by week")
    assert len(windows["rows"]) == 7  # the eighth week has 24 rows, under min_window_rows
    patterns = next(t for t in drift["tables"] if t["title"].startswith("How drifted features"))
    x3 = next(row for row in patterns["rows"] if row[0] == "x3")
    assert x3[1] == "abrupt"
    assert x3[2] in ("at 2024-03-25/2024-03-31", "at 2024-04-01/2024-04-07")
