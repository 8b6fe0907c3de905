"""The planted family: the null family's honest splits with one known problem each. The
right check must name the right thing, and the honest checks around it must stay quiet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.tree import DecisionTreeRegressor

from mlready.contract import dump_contract
from mlready.quality.infer import infer_contract
from mlready.results import Status
from tests.verdicts.cases import Case, audit, features_of, fitted, make_model, null_case

QUIET = (Status.PASS, Status.WARN, Status.SKIP)


@pytest.fixture(scope="module")
def cancer() -> Case:
    return null_case("breast_cancer", 0)


def _production(case: Case) -> pd.DataFrame:
    return pd.concat(case.production.values(), ignore_index=True)


def test_test_rows_copied_from_train_beyond_chance_fail_benchmark(cancer) -> None:
    copies = cancer.train.sample(40, random_state=1)
    test = pd.concat([cancer.test.iloc[:45], copies], ignore_index=True)
    results = audit(cancer.replace(test=test), fitted(cancer, "forest"))
    benchmark = results["benchmark"]
    assert benchmark.status == Status.FAIL
    assert "40 test rows (47.1%) are copies of train rows" in benchmark.message


def test_a_column_that_is_the_class_98_percent_of_the_time_is_named_as_a_leak() -> None:
    case = null_case("wine", 0)
    rng = np.random.default_rng(0)

    def coded(frame: pd.DataFrame) -> pd.DataFrame:
        wrong = rng.random(len(frame)) < 0.02
        return frame.assign(batch_code=np.where(wrong, (frame.target + 1) % 3, frame.target))

    leaky = case.replace(
        train=coded(case.train),
        validation=coded(case.validation),
        test=coded(case.test),
        production={name: coded(batch) for name, batch in case.production.items()},
    )
    result = audit(leaky, fitted(leaky, "forest"))["benchmark"]
    # FAIL when test happens to hold none of its 2% of wrong rows (AUC 1.0, above the bar),
    # else WARN: far ahead of every honest feature.
    assert result.status in (Status.WARN, Status.FAIL)
    assert result.message.startswith("feature 'batch_code' alone scores one-vs-rest AUC")


def test_a_shifted_feature_in_production_is_the_one_drift_names(cancer) -> None:
    shift = 2 * cancer.train["mean texture"].std()
    moved = {
        name: batch.assign(**{"mean texture": batch["mean texture"] + shift})
        for name, batch in cancer.production.items()
    }
    results = audit(cancer.replace(production=moved), fitted(cancer, "linear"))
    drift = results["drift"]
    assert drift.status in (Status.WARN, Status.FAIL)
    assert "mean texture" in drift.message
    others = [c for c in cancer.train.columns if c not in ("mean texture", "target", "group")]
    assert not [c for c in others if c in drift.message], drift.message  # no other feature


def test_a_missing_value_spike_in_one_batch_is_named_by_data_quality(cancer, tmp_path) -> None:
    batch = cancer.production["batch_2"].copy()
    batch.loc[batch.sample(frac=0.3, random_state=2).index, "mean texture"] = np.nan
    spiked = cancer.replace(production={**cancer.production, "batch_2": batch})
    model = fitted(cancer, "boosting")  # reads missing values natively
    drafted = audit(spiked, model)["data_quality"]
    assert drafted.status == Status.WARN  # a draft only warns
    assert "mean texture" in drafted.message and "missing" in drafted.message
    contract = tmp_path / "contract.yaml"
    contract.write_text(dump_contract(infer_contract(cancer.train, "train", "target"), "c"))
    held = audit(spiked, model, {"checks": {"data_quality": {"contract": str(contract)}}})
    quality = held["data_quality"]
    assert quality.status == Status.FAIL
    assert "batch_2" in quality.message and "mean texture" in quality.message
    clean = audit(cancer, model, {"checks": {"data_quality": {"contract": str(contract)}}})
    assert clean["data_quality"].status == Status.PASS, clean["data_quality"].message


def test_labels_flipped_in_one_batch_are_named_by_performance_monitoring(cancer) -> None:
    """57 rows with a fifth of their labels flipped: ROC AUC 0.81, 0.19 below test. Its
    interval reaches down to a drop of 0.09, so it is not surely beyond max_single_drop
    (0.15) and warns; the unit tests show a larger batch failing at once."""
    batch = cancer.production["batch_2"].copy()
    flip = batch.sample(frac=0.2, random_state=3).index
    batch.loc[flip, "target"] = 1 - batch.loc[flip, "target"]
    flipped = cancer.replace(production={**cancer.production, "batch_2": batch})
    monitoring = audit(flipped, fitted(cancer, "linear"))["performance_monitoring"]
    assert monitoring.status == Status.WARN
    assert monitoring.message.startswith("roc_auc degraded in 1 batch(s) (batch_2;")
    clean = audit(cancer, fitted(cancer, "linear"))["performance_monitoring"]
    assert "degraded" not in clean.message, clean.message


def test_a_model_biased_against_a_group_fails_fairness(cancer) -> None:
    rng = np.random.default_rng(4)

    def grouped(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(group=rng.integers(0, 2, len(frame)))  # 1: the group wronged

    case = cancer.replace(
        train=grouped(cancer.train),
        validation=grouped(cancer.validation),
        test=grouped(cancer.test),
        production={n: grouped(b) for n, b in cancer.production.items()},
    )
    biased_train = case.train.copy()  # group 1's positives mostly recorded as negatives
    demoted = (
        (biased_train.group == 1)
        & (biased_train.target == 1)
        & (rng.random(len(biased_train)) < 0.8)
    )
    biased_train.loc[demoted, "target"] = 0
    # the group is a feature the model learns from, and the attribute fairness judges
    sees_group = {"data": {"features": [*features_of(case), "group"], "sensitive": ["group"]}}
    columns = sees_group["data"]["features"]
    model = make_model("breast_cancer", "forest").fit(biased_train[columns], biased_train.target)
    results = audit(case, model, sees_group)
    fairness = results["fairness"]
    assert fairness.status == Status.FAIL, fairness.message
    assert fairness.message.startswith("group: group 1 is selected at"), fairness.message
    honest_model = make_model("breast_cancer", "forest").fit(case.train[columns], case.train.target)
    honest = audit(case, honest_model, sees_group)["fairness"]
    assert honest.status in QUIET, honest.message


def test_a_model_worse_than_the_majority_class_fails_baseline(cancer) -> None:
    features = features_of(cancer)
    shuffled = cancer.train.assign(target=np.random.default_rng(5).permutation(cancer.train.target))
    model = DummyClassifier(strategy="stratified", random_state=0)
    model.fit(shuffled[features], shuffled.target)
    baseline = audit(cancer, model)["baseline"]
    assert baseline.status == Status.FAIL
    assert baseline.message.startswith("not better than a naive baseline")


def test_an_overfit_tree_regressor_fails_metric_parity_and_says_why() -> None:
    case = null_case("diabetes", 0)
    features = features_of(case)
    tree = DecisionTreeRegressor(random_state=0).fit(case.train[features], case.train.target)
    results = audit(case, tree)
    parity = results["metric_parity"]
    assert parity.status == Status.FAIL
    assert parity.message.startswith("overfit: rmse drops by 1.0 from train (0.0)")
    assert "in doubt (it scores worse than the naive baseline" in parity.message
    assert results["baseline"].status == Status.FAIL


def test_the_honest_case_these_are_planted_in_is_ready(cancer) -> None:
    for kind in ("linear", "forest", "boosting"):
        results = audit(cancer, fitted(cancer, kind))
        failing = {c: r.message for c, r in results.items() if r.status not in QUIET}
        assert not failing, (kind, failing)
