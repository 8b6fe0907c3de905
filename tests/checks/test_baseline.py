"""``baseline``: the model against naive and simple baselines (and the user's own) on test,
with a paired bootstrap of every margin."""

from __future__ import annotations

import math

import joblib
import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from mlready.checks.baseline import BaselineCheck
from mlready.errors import SpecError
from mlready.results import Status
from mlready.testing import make_context, run_check
from tests.checks.common import evidence

XOR_FEATURES = ["a", "b", "c", "d"]
FAST = {"n_resamples": 100}


def xor(rows: int, seed: int) -> pd.DataFrame:
    """A label no single feature and no linear model can predict, but a small tree can."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(rows, len(XOR_FEATURES)))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    y = np.where(rng.random(rows) < 0.05, 1 - y, y)
    return pd.DataFrame(X, columns=XOR_FEATURES).assign(y=y)


class LabelsOnly(ClassifierMixin, BaseEstimator):
    """A classifier without predict_proba or decision_function: it gives no scores."""

    def fit(self, X, y):
        self.inner_ = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
        self.classes_ = self.inner_.classes_
        return self

    def predict(self, X):
        return self.inner_.predict(X)


@pytest.fixture(scope="module")
def xor_splits():
    return xor(400, 0), xor(300, 1)


@pytest.fixture(scope="module")
def strong(xor_splits):
    """A depth-4 tree on XOR: well above every built-in baseline."""
    train, test = xor_splits
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(train[XOR_FEATURES], train.y)
    return make_context({"train": train, "test": test}, model=model, target="y")


@pytest.fixture(scope="module")
def strong_result(strong):
    return run_check(BaselineCheck, strong, FAST)


@pytest.fixture(scope="module")
def constant(xor_splits):
    """A model that always predicts the majority class: no better than the naive tier."""
    train, test = xor_splits
    model = DummyClassifier(strategy="most_frequent").fit(train[XOR_FEATURES], train.y)
    return make_context({"train": train, "test": test}, model=model, target="y")


@pytest.fixture(scope="module")
def linear():
    """A scaled logistic regression on breast cancer: the simple tier's own model."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    frame = X.assign(y=y)
    train, test = frame.iloc[:400], frame.iloc[400:]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(train[X.columns], train.y)
    return make_context({"train": train, "test": test}, model=model, target="y")


@pytest.fixture(scope="module")
def regression():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    frame = X.assign(y=y)
    train, test = frame.iloc[:300], frame.iloc[300:]
    model = Ridge(alpha=0.1).fit(train[X.columns], train.y)
    return make_context({"train": train, "test": test}, model=model, target="y")


# --- statuses ------------------------------------------------------------------------------


def test_a_model_above_both_tiers_passes_with_both_margins(strong_result):
    result = strong_result
    assert result.status == Status.PASS, result.message
    assert "beats the naive baselines" in result.message
    assert "beats the simple baselines" in result.message
    assert result.message.startswith("roc_auc ")
    for tier in ("naive", "simple"):
        margin = evidence(result, f"margin_{tier}")
        assert margin.op == ">=" and margin.threshold == 0.0
        assert margin.value > 0.3 and margin.ci_low > 0
        assert margin.ci_low <= margin.value <= margin.ci_high
        assert margin.value == pytest.approx(
            result.metrics["model"] - result.metrics[margin.reference]
        )


def test_every_built_in_classification_baseline_is_scored(strong_result):
    names = {"majority", "stratified", "stump", "logistic_regression"}
    assert names <= set(strong_result.metrics)
    assert strong_result.metrics["majority"] == 0.5  # a constant score ranks nothing
    for name in names | {"model"}:
        e = evidence(strong_result, name)
        assert e.unit == "roc_auc" and e.ci_low <= e.value <= e.ci_high
    # The margin is held against the strongest baseline of each tier.
    assert evidence(strong_result, "margin_naive").reference == max(
        ["majority", "stratified"], key=strong_result.metrics.__getitem__
    )
    assert evidence(strong_result, "margin_simple").reference == max(
        ["stump", "logistic_regression"], key=strong_result.metrics.__getitem__
    )


def test_the_table_lists_the_model_then_every_baseline(strong_result):
    (table,) = strong_result.tables
    assert table.title.startswith("Model vs baselines on test (roc_auc, 95% CI")
    assert "100 paired bootstrap resamples" in table.title
    assert table.columns == [
        "model or baseline",
        "tier",
        "roc_auc",
        "CI",
        "model margin",
        "margin CI",
    ]
    assert len(table.rows) == 5
    assert table.rows[0][0] == "model"


def test_a_model_no_better_than_the_majority_class_fails(constant):
    result = run_check(BaselineCheck, constant, FAST)
    assert result.status == Status.FAIL
    assert result.message.startswith("not better than a naive baseline")
    assert evidence(result, "margin_naive").value <= 0
    assert evidence(result, "margin_naive").ci_low <= 0


def test_naive_severity_warn_turns_that_failure_into_a_warning(constant):
    result = run_check(BaselineCheck, constant, {**FAST, "naive": {"severity": "warn"}})
    assert result.status == Status.WARN
    assert "not better than a naive baseline" in result.message


def test_a_model_matched_by_logistic_regression_warns_by_default(linear):
    result = run_check(BaselineCheck, linear, FAST)
    assert result.status == Status.WARN, result.message
    assert result.message.startswith("a simpler model does about as well")
    assert "logistic_regression" in result.message
    simple = evidence(result, "margin_simple")
    assert simple.reference == "logistic_regression"
    assert simple.ci_low <= 0 <= simple.ci_high
    assert evidence(result, "margin_naive").ci_low > 0  # naive is beaten


def test_simple_severity_fail_makes_that_a_failure(linear):
    result = run_check(BaselineCheck, linear, {**FAST, "simple": {"severity": "fail"}})
    assert result.status == Status.FAIL
    assert "a simpler model does about as well" in result.message


def test_a_partial_tier_override_keeps_the_tier_default_severity(strong):
    result = run_check(BaselineCheck, strong, {**FAST, "simple": {"min_margin": 0.9}})
    assert result.status == Status.WARN  # simple's default severity
    result = run_check(BaselineCheck, strong, {**FAST, "naive": {"min_margin": 0.9}})
    assert result.status == Status.FAIL  # naive's default severity
    assert result.params["naive"] == {"severity": "fail", "min_margin": 0.9}


def test_a_test_split_with_one_labelled_row_is_skipped(xor_splits):
    train, test = xor_splits
    test = test.assign(y=test.y.astype(float))
    test.loc[test.index[1:], "y"] = np.nan
    model = DummyClassifier().fit(train[XOR_FEATURES], train.y)
    context = make_context({"train": train, "test": test}, model=model, target="y")
    result = run_check(BaselineCheck, context, FAST)
    assert result.status == Status.SKIP
    assert "fewer than 2 labelled rows" in result.message


def test_a_model_without_scores_under_a_ranking_metric_is_refused_before_any_check(xor_splits):
    train, test = xor_splits
    model = LabelsOnly().fit(train[XOR_FEATURES], train.y)
    with pytest.raises(SpecError, match=r"metrics\.primary 'roc_auc' needs the model's scores"):
        make_context(
            {"train": train, "test": test},
            model=model,
            target="y",
            checklist={"metrics": {"primary": "roc_auc"}},
        )


def test_without_scores_the_default_metric_is_accuracy(xor_splits):
    train, test = xor_splits
    model = LabelsOnly().fit(train[XOR_FEATURES], train.y)
    context = make_context({"train": train, "test": test}, model=model, target="y")
    result = run_check(BaselineCheck, context, FAST)
    assert result.status == Status.PASS, result.message
    assert evidence(result, "model").unit == "accuracy"
    assert result.metrics["majority"] == pytest.approx(max(test.y.mean(), 1 - test.y.mean()))


# --- min_margin ----------------------------------------------------------------------------


@pytest.mark.parametrize("tier", ["naive", "simple"])
def test_a_margin_exactly_at_min_margin_passes(strong, strong_result, tier):
    margin = evidence(strong_result, f"margin_{tier}").value
    result = run_check(BaselineCheck, strong, {**FAST, tier: {"min_margin": margin}})
    assert result.status == Status.PASS, result.message
    assert evidence(result, f"margin_{tier}").threshold == margin


@pytest.mark.parametrize(("tier", "status"), [("naive", Status.FAIL), ("simple", Status.WARN)])
def test_a_margin_just_below_min_margin_does_not_count(strong, strong_result, tier, status):
    margin = evidence(strong_result, f"margin_{tier}").value
    above = math.nextafter(margin, math.inf)
    result = run_check(BaselineCheck, strong, {**FAST, tier: {"min_margin": above}})
    assert result.status == status
    assert f"below min_margin {above}" in result.message
    other = "simple" if tier == "naive" else "naive"
    assert f"beats the {other} baselines" not in result.message  # only the worst verdicts


def test_an_exact_tie_is_not_beaten_even_with_a_negative_min_margin(linear):
    # The model is the simple tier's logistic regression: a margin of 0 with a [0, 0]
    # interval. min_margin may be negative, but the lower bound must still be above 0.
    result = run_check(BaselineCheck, linear, {**FAST, "simple": {"min_margin": -1.0}})
    simple = evidence(result, "margin_simple")
    assert simple.value == 0.0 and simple.ci_low == 0.0 and simple.threshold == -1.0
    assert result.status == Status.WARN
    assert "not clearly better than logistic_regression" in result.message
    assert "includes 0" in result.message


# --- custom baselines ----------------------------------------------------------------------


def test_a_known_value_above_the_model_wins_its_tier(strong, strong_result):
    model = strong_result.metrics["model"]
    custom = [{"name": "human_labellers", "value": model + 0.01}]
    result = run_check(BaselineCheck, strong, {**FAST, "custom": custom})
    assert result.status == Status.WARN  # it joins the simple tier by default
    assert "human_labellers wins" in result.message
    simple = evidence(result, "margin_simple")
    assert simple.reference == "human_labellers"
    assert simple.value == pytest.approx(-0.01)
    # A known value has no sampling error: its interval is the value itself.
    human = evidence(result, "human_labellers")
    assert human.ci_low == human.ci_high == human.value == model + 0.01


def test_a_known_value_just_below_the_model_interval_is_beaten(strong, strong_result):
    low = evidence(strong_result, "model").ci_low
    result = run_check(
        BaselineCheck, strong, {**FAST, "custom": [{"name": "human", "value": low - 1e-6}]}
    )
    assert result.status == Status.PASS, result.message
    assert evidence(result, "margin_simple").reference == "human"
    assert evidence(result, "margin_simple").ci_low == pytest.approx(1e-6, abs=1e-9)


def test_a_known_value_just_inside_the_model_interval_is_not_clearly_beaten(strong, strong_result):
    low = evidence(strong_result, "model").ci_low
    result = run_check(
        BaselineCheck, strong, {**FAST, "custom": [{"name": "human", "value": low + 1e-6}]}
    )
    assert result.status == Status.WARN
    assert "not clearly better than human" in result.message
    assert "includes 0" in result.message


def test_a_naive_baseline_the_model_leads_within_sampling_error_warns_not_fails(
    strong, strong_result
):
    """Ahead of it, but not beyond chance (diabetes' 66 test rows): the lead is unproven,
    which is a warning; losing or tying is the verdict."""
    low = evidence(strong_result, "model").ci_low
    custom = [{"name": "coin", "tier": "naive", "value": low + 1e-6}]
    result = run_check(BaselineCheck, strong, {**FAST, "custom": custom})
    naive = evidence(result, "margin_naive")
    assert naive.reference == "coin" and naive.value > 0 and naive.ci_low <= 0
    assert result.status == Status.WARN
    assert result.message.startswith(
        "not better than a naive baseline: not clearly better than coin"
    )


def test_a_custom_baseline_in_the_naive_tier_fails_when_it_wins(strong):
    custom = [{"name": "coin_toss_oracle", "tier": "naive", "value": 0.99}]
    result = run_check(BaselineCheck, strong, {**FAST, "custom": custom})
    assert result.status == Status.FAIL
    assert evidence(result, "margin_naive").reference == "coin_toss_oracle"
    assert "not better than a naive baseline: coin_toss_oracle wins" in result.message


@pytest.fixture(scope="module")
def guessing(xor_splits):
    """Test with a baseline's columns: labels right on 80% of rows, scores always right."""
    train, test = xor_splits
    rng = np.random.default_rng(7)
    wrong = rng.random(len(test)) < 0.2
    test = test.assign(
        guess=np.where(wrong, 1 - test.y, test.y),
        guess_score=np.where(test.y == 1, 0.9, 0.1),
    )
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(train[XOR_FEATURES], train.y)
    return make_context({"train": train, "test": test}, model=model, target="y"), test


def test_a_column_baseline_without_scores_is_ranked_by_its_labels(guessing):
    context, test = guessing
    custom = [{"name": "rules", "column": "guess"}]
    result = run_check(BaselineCheck, context, {**FAST, "custom": custom})
    assert result.metrics["rules"] == pytest.approx(roc_auc_score(test.y, test.guess))
    assert result.metrics["rules"] < 0.9


def test_a_column_baseline_with_a_score_column_is_ranked_by_its_scores(guessing):
    context, _ = guessing
    custom = [{"name": "rules", "column": "guess", "score_column": "guess_score"}]
    result = run_check(BaselineCheck, context, {**FAST, "custom": custom})
    assert result.metrics["rules"] == 1.0
    assert result.status == Status.WARN
    assert "rules wins" in result.message


def test_a_model_file_baseline_is_loaded_relative_to_the_checklist(
    strong, strong_result, xor_splits, tmp_path, monkeypatch
):
    train, test = xor_splits
    other = LogisticRegression().fit(train[XOR_FEATURES], train.y)
    joblib.dump(other, tmp_path / "other.joblib")
    monkeypatch.chdir(tmp_path)  # an in-memory checklist resolves paths against the cwd
    custom = [{"name": "old_model", "model": "other.joblib", "tier": "naive"}]
    result = run_check(BaselineCheck, strong, {**FAST, "custom": custom})
    expected = roc_auc_score(test.y, other.predict_proba(test[XOR_FEATURES])[:, 1])
    assert result.metrics["old_model"] == pytest.approx(expected)
    assert result.status == Status.PASS
    # The built-in baselines score the same with a custom one added.
    assert result.metrics["stump"] == strong_result.metrics["stump"]


def test_a_missing_model_file_baseline_is_an_error(strong, tmp_path):
    custom = [{"name": "old", "model": str(tmp_path / "absent.joblib")}]
    result = run_check(BaselineCheck, strong, {**FAST, "custom": custom})
    assert result.status == Status.ERROR


def test_custom_baselines_add_rows_to_the_table(strong):
    custom = [{"name": "h1", "value": 0.6}, {"name": "h2", "tier": "naive", "value": 0.55}]
    result = run_check(BaselineCheck, strong, {**FAST, "custom": custom})
    assert len(result.tables[0].rows) == 7
    assert {"h1", "h2"} <= set(result.metrics)


@pytest.mark.parametrize(
    "spec",
    [
        {"name": "nothing"},
        {"name": "two", "column": "guess", "value": 0.9},
        {"name": "three", "column": "guess", "model": "m.joblib", "value": 0.9},
        {"name": "tier", "value": 0.9, "tier": "hard"},
    ],
)
def test_a_custom_baseline_needs_exactly_one_source_and_a_known_tier(strong, spec):
    with pytest.raises(ValidationError):
        run_check(BaselineCheck, strong, {"custom": [spec]})


# --- confidence, n_resamples, max_train_rows -----------------------------------------------


def test_confidence_sets_the_interval_that_must_clear_zero(strong):
    """A known value between the model's 60% and 95% lower bounds is beaten at 60% only."""
    bounds = {
        c: evidence(run_check(BaselineCheck, strong, {**FAST, "confidence": c}), "model").ci_low
        for c in (0.6, 0.95)
    }
    assert bounds[0.95] < bounds[0.6]
    value = (bounds[0.95] + bounds[0.6]) / 2
    options = {**FAST, "custom": [{"name": "human", "value": value}]}
    narrow = run_check(BaselineCheck, strong, {**options, "confidence": 0.6})
    wide = run_check(BaselineCheck, strong, {**options, "confidence": 0.95})
    assert narrow.status == Status.PASS, narrow.message
    assert "60% CI" in narrow.message and "60% CI" in narrow.tables[0].title
    assert wide.status == Status.WARN
    assert "95% CI" in wide.message and "includes 0" in wide.message


@pytest.mark.parametrize("confidence", [0.5, 1.0])
def test_confidence_must_lie_strictly_between_one_half_and_one(strong, confidence):
    with pytest.raises(ValidationError):
        run_check(BaselineCheck, strong, {"confidence": confidence})


def test_confidence_just_inside_its_bounds_is_accepted(strong):
    for confidence in (0.501, 0.999):
        result = run_check(BaselineCheck, strong, {**FAST, "confidence": confidence})
        assert result.status == Status.PASS


@pytest.mark.parametrize("n", [99, 100_001])
def test_n_resamples_outside_its_bounds_is_rejected(strong, n):
    with pytest.raises(ValidationError):
        run_check(BaselineCheck, strong, {"n_resamples": n})


def test_n_resamples_sets_the_bootstrap_size_but_not_the_point_estimates(strong, strong_result):
    more = run_check(BaselineCheck, strong, {"n_resamples": 200})
    assert "200 paired bootstrap resamples" in more.tables[0].title
    assert more.metrics == strong_result.metrics  # point estimates do not resample
    assert evidence(more, "model").ci_low != evidence(strong_result, "model").ci_low


def test_regression_baselines_are_mean_median_stump_and_linear(regression):
    result = run_check(BaselineCheck, regression, FAST)
    assert {"mean", "median", "stump", "linear_regression"} <= set(result.metrics)
    naive = evidence(result, "margin_naive")
    # rmse: lower is better, so the margin is the baseline's error minus the model's.
    assert naive.value == pytest.approx(result.metrics[naive.reference] - result.metrics["model"])
    assert naive.value > 0 and naive.ci_low > 0
    # Ridge is a linear model: the linear regression baseline matches it.
    assert result.status == Status.WARN
    assert "not clearly better than linear_regression" in result.message


def test_max_train_rows_at_the_train_size_fits_on_every_row(regression):
    full = run_check(BaselineCheck, regression, FAST)
    at = run_check(BaselineCheck, regression, {**FAST, "max_train_rows": 300})
    assert at.metrics == full.metrics


def test_max_train_rows_just_below_the_train_size_fits_on_a_sample(regression):
    full = run_check(BaselineCheck, regression, FAST)
    below = run_check(BaselineCheck, regression, {**FAST, "max_train_rows": 299})
    assert below.metrics["model"] == full.metrics["model"]  # the model itself is not refit
    for name in ("mean", "linear_regression"):
        assert below.metrics[name] != full.metrics[name]
    again = run_check(BaselineCheck, regression, {**FAST, "max_train_rows": 299})
    assert again.metrics == below.metrics  # the sample is seeded


def test_max_train_rows_below_100_is_rejected(regression):
    with pytest.raises(ValidationError):
        run_check(BaselineCheck, regression, {"max_train_rows": 99})
    assert run_check(BaselineCheck, regression, {**FAST, "max_train_rows": 100}).status in (
        Status.PASS,
        Status.WARN,
    )


def test_extra_metrics_become_table_columns(xor_splits):
    train, test = xor_splits
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(train[XOR_FEATURES], train.y)
    context = make_context(
        {"train": train, "test": test},
        model=model,
        target="y",
        checklist={"metrics": {"extra": ["accuracy", "log_loss"]}},
    )
    result = run_check(BaselineCheck, context, FAST)
    assert result.tables[0].columns[-2:] == ["accuracy", "log_loss"]
    assert result.status == Status.PASS


def test_on_a_big_train_split_baselines_fit_on_a_stratified_sample_and_say_so(strong):
    from mlready.checks.compute.baseline import _train_sample

    sampled = run_check(BaselineCheck, strong, {**FAST, "max_train_rows": 100})
    assert sampled.notes[0].startswith(
        "baselines fitted on a seeded stratified sample of 100 of 400 train rows"
    )
    assert run_check(BaselineCheck, strong, FAST).notes == []  # 400 rows: all of them
    y = np.array([0] * 900 + [1] * 100)
    rows = _train_sample(y, 200, np.random.default_rng(0), by_class=True)
    assert rows.size == 200 and np.bincount(y[rows]).tolist() == [180, 20]  # shares kept
    assert np.array_equal(rows, np.sort(rows)) and np.unique(rows).size == 200
