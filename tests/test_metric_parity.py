"""metric_parity: overfitting, sample size, priors, windows and slices on real models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from tests.conftest import save_pickle, write_splits


def parity(result) -> dict:
    return next(c for c in result.json["checks"] if c["id"] == "metric_parity")


def evidence(check: dict, name: str) -> dict:
    return next(e for e in check["evidence"] if e["name"] == name)


def checklist(tmp_path, text: str) -> str:
    path = tmp_path / "checklist.yaml"
    path.write_text(text)
    return str(path)


def test_well_behaved_model_on_an_iid_split_passes(cli, tmp_path, cancer, cancer_splits):
    train, _ = cancer
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        train.drop(columns="target"), train["target"]
    )
    result = cli.audit(save_pickle(model, tmp_path / "lr.pkl"), cancer_splits)
    check = parity(result)
    assert check["status"] == "pass", check["message"]
    assert check["metrics"]["test_roc_auc"] > 0.95
    benchmark = next(c for c in result.json["checks"] if c["id"] == "benchmark")
    assert benchmark["status"] == "pass", benchmark["message"]
    assert result.exit_code == 0
    split_table = check["tables"][0]
    assert [row[0] for row in split_table["rows"]] == ["train", "test"]
    assert "automatically" in check["tables"][-1]["title"]


def test_deep_tree_on_noisy_data_is_flagged_for_its_train_test_gap(cli, tmp_path):
    X, y = make_classification(n_samples=1200, n_features=8, flip_y=0.3, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)]).assign(target=y)
    train, test = frame.iloc[:800], frame.iloc[800:]
    model = DecisionTreeClassifier(random_state=0).fit(
        train.drop(columns="target"), train["target"]
    )
    result = cli.audit(
        save_pickle(model, tmp_path / "tree.pkl"), write_splits(tmp_path / "s", train, test)
    )
    check = parity(result)
    assert check["status"] == "fail"
    assert check["message"].startswith("overfit: roc_auc drops by")
    gap = evidence(check, "train_test_gap")
    assert gap["value"] > 0.2 and gap["ci_low"] > 0 and gap["threshold"] == 0.05
    assert result.exit_code == 1


def test_small_test_set_gets_the_sample_size_warning(cli, tmp_path, cancer, good_classifier):
    train, test = cancer
    result = cli.audit(good_classifier, write_splits(tmp_path / "s", train, test.iloc[:40]))
    check = parity(result)
    assert check["status"] == "warn"
    assert "test set too small for roc_auc to be trusted" in check["message"]
    needed = int(check["message"].split("about ")[1].split(" ")[0])
    assert needed > 40
    assert evidence(check, "test_ci_halfwidth")["value"] > 0.05


def _grouped_data(seed: int = 0, n: int = 4000) -> pd.DataFrame:
    """Four regions; in region 'd' the label is noise the features cannot explain."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"x1": rng.normal(size=n), "x2": rng.normal(size=n), "region": rng.choice(list("abcd"), n)}
    )
    signal = (frame["x1"] + 0.5 * frame["x2"] + rng.normal(scale=0.5, size=n)) > 0
    frame["target"] = np.where(frame["region"] == "d", rng.integers(0, 2, n), signal).astype(int)
    return frame


@pytest.fixture
def region_case(tmp_path):
    frame = _grouped_data()
    train, test = frame.iloc[:2500], frame.iloc[2500:]
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["region"]), remainder="passthrough"),
        LogisticRegression(),
    ).fit(train.drop(columns="target"), train["target"])
    return save_pickle(model, tmp_path / "m.pkl"), write_splits(tmp_path / "s", train, test)


def test_a_subgroup_the_model_fails_is_named(cli, tmp_path, region_case):
    model, splits = region_case
    result = cli.audit(model, splits, "-c", checklist(tmp_path, "data:\n  slices: [region]\n"))
    check = parity(result)
    assert check["status"] == "fail"
    assert "worse than" in check["message"] and "region=d" in check["message"]
    assert "region=a" not in check["message"]
    worst = evidence(check, "worst_slice")
    assert worst["reference"] == "region=d" and worst["value"] < 0.65
    slice_table = check["tables"][-1]
    assert slice_table["rows"][0][:2] == ["region", "d"]  # worst first
    assert slice_table["rows"][0][-1] == "below the bar"


def test_automatic_search_lists_the_worst_slices_as_a_warning(cli, region_case):
    result = cli.audit(*region_case)
    check = parity(result)
    assert check["status"] == "warn"
    assert "found automatically" in check["message"] and "region=d" in check["message"]


def test_per_window_metrics_and_a_degrading_forecaster(cli, tmp_path):
    # Sales that a linear model forecasts well in January but worse every month after.
    rng = np.random.default_rng(1)
    n = 2400
    dates = pd.date_range("2024-01-01", periods=n, freq="3h")
    x = rng.normal(size=n)
    month = dates.month.to_numpy()
    sales = 10 + 3 * x + rng.normal(scale=0.2 * month**1.5, size=n)
    frame = pd.DataFrame({"date": dates.astype(str), "x": x, "sales": sales})
    train, test = frame.iloc[::2], frame.iloc[1::2]
    model = LinearRegression().fit(train[["x"]], train["sales"])
    text = (
        "data: {target: sales, time: date}\n"
        "checks:\n  metric_parity: {max_window_gap: 0.3, auto_slices: false}\n"
    )
    result = cli.audit(
        save_pickle(model, tmp_path / "lr.pkl"),
        write_splits(tmp_path / "s", train, test),
        "-c",
        checklist(tmp_path, text),
    )
    check = parity(result)
    windows = next(t for t in check["tables"] if t["title"].startswith("rmse by month on test"))
    assert len(windows["rows"]) == 10  # January to October
    assert windows["rows"][0][0] == "2024-10"  # worst first
    assert check["status"] == "fail", (check["message"], windows)
    assert "rmse is worse than" in check["message"] and "month(s) of test" in check["message"]
    assert check["metrics"]["window_trend_slope_test"] > 0  # errors grow month by month
    assert check["metrics"]["window_trend_tau_test"] > 0.8
    assert check["metrics"]["window_trend_p_test"] < 0.01


def test_training_weights_or_a_prior_shift_show_prior_independent_metrics(
    cli, tmp_path, cancer, good_classifier
):
    train, test = cancer
    # Keep every malignant test case but only a fifth of the benign ones.
    benign = test[test["target"] == 1]
    shifted = pd.concat([test[test["target"] == 0], benign.iloc[: len(benign) // 5]])
    result = cli.audit(good_classifier, write_splits(tmp_path / "s", train, shifted))
    check = parity(result)
    assert check["status"] == "warn"
    assert "class shares differ between train and test" in check["message"]
    prior_table = next(t for t in check["tables"] if "class priors" in t["title"])
    kinds = {row[0]: row[1] for row in prior_table["rows"]}
    assert kinds["roc_auc"] == "prior-independent" and kinds["precision"] == "prior-dependent"


def test_validation_and_test_that_disagree_are_flagged(cli, tmp_path, cancer, good_classifier):
    train, test = cancer
    # A validation split whose labels were collected differently: 40% of them flipped.
    validation = test.copy()
    flip = np.random.default_rng(0).random(len(validation)) < 0.4
    validation.loc[flip, "target"] = 1 - validation.loc[flip, "target"]
    result = cli.audit(
        good_classifier, write_splits(tmp_path / "s", train, test, validation=validation)
    )
    check = parity(result)
    assert check["status"] == "warn"
    assert "validation and test disagree" in check["message"]
    assert evidence(check, "validation_minus_test")["ci_high"] < 0


def test_training_with_sample_weights_is_called_out(cli, tmp_path, cancer, good_classifier):
    train, test = cancer
    train = train.assign(weight=np.where(train["target"] == 0, 3.0, 1.0))
    result = cli.audit(
        good_classifier,
        write_splits(tmp_path / "s", train, test),
        "-c",
        checklist(tmp_path, "data:\n  sample_weight: weight\n"),
    )
    check = parity(result)
    assert check["status"] == "warn"
    assert "training used sample weights" in check["message"]
    # A declared weight column is not reported as a column the model ignores.
    assert not any("weight" in note for note in result.json["notes"])
