"""``metric_parity``: the primary metric on train, validation and test with bootstrap
intervals; the train-to-test gap (overfitting), validation against test, whether the test
set is large enough, class shares by split, and the metric per time window and per slice
(each judged beyond sampling error, Bonferroni-corrected)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from scipy import stats
from sklearn.datasets import load_diabetes, load_wine
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import f1_score, mean_squared_error, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from mlready.checks.baseline import BaselineCheck
from mlready.checks.metric_parity import MetricParityCheck
from mlready.numbers import fmt
from mlready.results import Status
from mlready.stats import groups as grouping
from mlready.testing import make_context, run_check
from tests.checks.common import evidence

FEATURES = ["x0", "x1", "x2", "x3"]
REGIONS = {"a": 0.3, "b": 0.26, "c": 0.24, "d": 0.2}  # of the rows; d: 100 of 500 test rows
FAST = {"n_resamples": 100}
TIMED = {"data": {"time": "at"}}
BY_REGION = {"data": {"slices": ["region"]}}
# Rows per test month: April, the last, has 60, and its labels are half noise.
MONTHS = {"2025-01": 120, "2025-02": 110, "2025-03": 110, "2025-04": 60}
REL = 1e-6  # "just past" a bar computed from sampling error, relative to it
PERIODS = {"day": "D", "week": "W", "month": "M", "quarter": "Q"}


def world(rows: int, seed: int) -> pd.DataFrame:
    """Four features whose sum drives a binary label, and a region the model never sees."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, len(FEATURES)))
    counts = [round(share * rows) for share in REGIONS.values()]
    region = rng.permutation(np.repeat(list(REGIONS), counts))
    y = rng.random(rows) < 1 / (1 + np.exp(-1.5 * X.sum(axis=1)))
    return pd.DataFrame(X, columns=FEATURES).assign(region=region, y=y.astype(int))


def scramble(frame: pd.DataFrame, rows, seed: int) -> pd.DataFrame:
    """Flip a seeded half of the labels of ``rows``: there the label is noise."""
    flip = np.asarray(rows) & (np.random.default_rng(seed).random(len(frame)) < 0.5)
    return frame.assign(y=np.where(flip, 1 - frame["y"], frame["y"]))


def regional(rows: int, seed: int) -> pd.DataFrame:
    """A world whose region d has noise for labels."""
    frame = world(rows, seed)
    return scramble(frame, frame["region"] == "d", seed + 100)


def dated(frame: pd.DataFrame, months: dict[str, int]) -> pd.DataFrame:
    """``frame`` with a time column ``at``: the given number of rows in each month."""
    at = [
        pd.Timestamp(month) + pd.Timedelta(minutes=i * 27 * 24 * 60 // n)
        for month, n in months.items()
        for i in range(n)
    ]
    return frame.assign(at=at)


def table(result, title: str):
    return next(t for t in result.tables if t.title.startswith(title))


def auc(model, frame: pd.DataFrame) -> float:
    return roc_auc_score(frame["y"], model.predict_proba(frame[FEATURES])[:, 1])


def rmse(model, frame: pd.DataFrame) -> float:
    return math.sqrt(mean_squared_error(frame["y"], model.predict(frame.drop(columns="y"))))


def shares(frame: pd.DataFrame) -> np.ndarray:
    return frame["y"].value_counts(normalize=True).reindex([0, 1], fill_value=0).to_numpy()


def bootstrap_stats(context, groups, key: str, min_rows: int):
    """Each group's metric and bootstrap standard error on test, from the same seeded
    draws the check makes (its generator ``key``, the groups it selects, in order)."""
    sizes = groups.sizes()
    selected = [g for g in range(len(sizes)) if sizes[g] >= min_rows]
    return grouping.group_stats(
        context.primary,
        context.y("test"),
        context.prediction("test"),
        groups,
        selected,
        FAST["n_resamples"],
        context.rng(key),
        0.95,
    )


def critical(stat, alpha: float, n_tests: int) -> float:
    """The bar a group's metric is worse than beyond chance just above: its value plus the
    one-sided, Bonferroni-corrected z of ``alpha`` standard errors."""
    return stat.value + stats.norm.ppf(1 - alpha / n_tests) * stat.se


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def splits():
    return {"train": regional(600, 6), "test": regional(500, 7)}


@pytest.fixture(scope="module")
def model(splits) -> LogisticRegression:
    train = splits["train"]
    return LogisticRegression().fit(train[FEATURES], train["y"])


@pytest.fixture(scope="module")
def parity(splits, model):
    """Run the check on the regional world (other splits and a checklist may be added)."""

    def run(options=None, checklist=None, **more):
        context = make_context({**splits, **more}, model=model, target="y", checklist=checklist)
        return run_check(MetricParityCheck, context, {**FAST, **(options or {})})

    return run


@pytest.fixture(scope="module")
def calm(parity):
    return parity()


@pytest.fixture(scope="module")
def by_region(splits, model):
    return make_context(splits, model=model, target="y", checklist=BY_REGION)


@pytest.fixture(scope="module")
def region_d(by_region):
    """Region d's metric and standard error as the check computes them (4 slices judged)."""
    groups = grouping.by_level(by_region.column("test", "region"))
    found = bootstrap_stats(by_region, groups, "metric_parity.slices", min_rows=30)
    return next(s for s in found if s.label == "d")


@pytest.fixture(scope="module")
def overfit(splits):
    """An unpruned tree: perfect on train, much worse on test."""
    train = splits["train"]
    tree = DecisionTreeClassifier(random_state=0).fit(train[FEATURES], train["y"])
    context = make_context(splits, model=tree, target="y")
    return context, tree, run_check(MetricParityCheck, context, FAST)


@pytest.fixture(scope="module")
def seasonal():
    """Four test months, the last of them (60 rows) with noise for labels; a noisy train.
    Production (on request) has two months, the second noisy."""
    train = dated(world(600, 30), {"2024-01": 200, "2024-02": 200, "2024-03": 200})
    train = scramble(train, np.random.default_rng(16).random(600) < 0.15, 17)
    test = dated(world(400, 31), MONTHS)
    test = scramble(test, test["at"] >= "2025-04-01", 18)
    production = dated(world(300, 34), {"2025-05": 150, "2025-06": 150})
    production = scramble(production, production["at"] >= "2025-06-01", 19)
    model = LogisticRegression().fit(train[FEATURES], train["y"])

    def context(**more):
        return make_context(
            {"train": train, "test": test, **more}, model=model, target="y", checklist=TIMED
        )

    return {
        "train": train,
        "test": test,
        "production": production,
        "model": model,
        "context": context,
    }


@pytest.fixture(scope="module")
def seasonal_result(seasonal):
    return run_check(MetricParityCheck, seasonal["context"](), FAST)


@pytest.fixture(scope="module")
def april(seasonal):
    """April's metric and standard error as the check computes them (4 months judged)."""
    context = seasonal["context"]()
    groups = grouping.by_window(context.times("test"), "month")
    found = bootstrap_stats(context, groups, "metric_parity.windows.test", min_rows=2)
    return next(s for s in found if s.label == "2025-04")


@pytest.fixture(scope="module")
def regression():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    frame = X.assign(y=y)
    train, test = frame.iloc[:300], frame.iloc[300:]
    model = Ridge(alpha=0.1).fit(train[X.columns], train["y"])
    context = make_context({"train": train, "test": test}, model=model, target="y")
    return {
        "train": train,
        "test": test,
        "model": model,
        "result": run_check(MetricParityCheck, context, FAST),
    }


# --- the splits and the overall verdict -----------------------------------------------------


def test_a_model_that_holds_from_train_to_test_passes(calm, splits, model):
    assert calm.status == Status.PASS, calm.message
    test, train = auc(model, splits["test"]), auc(model, splits["train"])
    assert calm.message == (
        f"test roc_auc {fmt(test)}, train {fmt(train)}: test's number holds up (no judged "
        "overfitting, subgroup or window shortfall beyond chance)"
    )
    for split, value in (("train", train), ("test", test)):
        measured = evidence(calm, f"{split}_roc_auc")
        assert measured.value == pytest.approx(value)
        assert measured.ci_low < measured.value < measured.ci_high
        assert measured.unit == "roc_auc"
    assert calm.tables[0].columns == ["split", "rows", "roc_auc"]
    assert [row[:2] for row in calm.tables[0].rows] == [["train", 600], ["test", 500]]


def test_without_a_test_split_the_check_skips(splits, model):
    context = make_context({"train": splits["train"]}, model=model, target="y")
    result = run_check(MetricParityCheck, context, FAST)
    assert result.status == Status.SKIP
    assert "the test split has no labelled rows" in result.message


def test_extra_metrics_get_a_column_in_the_split_table_and_test_evidence(parity, splits, model):
    result = parity(checklist={"metrics": {"extra": ["accuracy"]}})
    assert result.tables[0].columns == ["split", "rows", "roc_auc", "accuracy"]
    test = splits["test"]
    accuracy = evidence(result, "test_accuracy")  # what no_regression compares later
    assert accuracy.value == pytest.approx((model.predict(test[FEATURES]) == test.y).mean())
    assert accuracy.ci_low < accuracy.value < accuracy.ci_high
    assert "train_accuracy" not in result.metrics  # other splits: the primary metric's only


def test_validation_from_the_same_distribution_agrees_with_test(parity, splits, model):
    validation = regional(300, 9)
    result = parity(validation=validation)
    assert result.status == Status.PASS, result.message
    diff = evidence(result, "validation_minus_test")
    assert diff.value == pytest.approx(auc(model, validation) - auc(model, splits["test"]))
    assert diff.ci_low <= 0 <= diff.ci_high
    assert [row[0] for row in result.tables[0].rows] == ["train", "validation", "test"]


def test_validation_that_disagrees_with_test_beyond_chance_warns(parity, splits, model):
    validation = regional(300, 9)
    validation = scramble(validation, np.ones(300, dtype=bool), 10)
    result = parity(validation=validation)
    assert result.status == Status.WARN
    assert "validation and test disagree: roc_auc" in result.message
    assert "they may not come from the same distribution" in result.message
    diff = evidence(result, "validation_minus_test")
    assert diff.value == pytest.approx(auc(model, validation) - auc(model, splits["test"]))
    assert diff.ci_high < 0


def test_a_missing_slice_column_in_test_is_an_error(parity, splits):
    result = parity(checklist=BY_REGION, test=splits["test"].drop(columns="region"))
    assert result.status == Status.ERROR
    assert "no column 'region'" in result.message


# --- overfitting: max_train_test_gap --------------------------------------------------------


def test_an_overfit_model_whose_test_number_holds_is_shown_not_judged(overfit, splits):
    """An unpruned tree is perfect on train by construction: with test large enough and
    validation agreeing, the drop is evidence, not a verdict."""
    _, tree, result = overfit
    assert result.status == Status.PASS, result.message
    gap = evidence(result, "train_test_gap")
    expected = auc(tree, splits["train"]) - auc(tree, splits["test"])
    assert gap.value == pytest.approx(expected) and gap.value > 0.2
    assert gap.threshold is None and gap.op is None
    assert 0 < gap.ci_low < gap.value < gap.ci_high
    assert any(n.startswith("roc_auc drops by") and "shown, not judged" in n for n in result.notes)


def test_an_overfit_model_fails_beyond_the_bar_the_user_sets(overfit):
    context, _, _ = overfit
    result = run_check(MetricParityCheck, context, {**FAST, "max_train_test_gap": 0.05})
    assert result.status == Status.FAIL
    assert result.message.startswith("overfit: roc_auc drops by")
    assert "above max_train_test_gap 0.05" in result.message
    gap = evidence(result, "train_test_gap")
    assert gap.threshold == 0.05 and gap.op == "<="


def test_an_overfit_model_fails_when_validation_puts_its_test_number_in_doubt(overfit, splits):
    _, tree, _ = overfit
    validation = scramble(regional(300, 8), np.ones(300, bool), 3)  # labels half noise
    doubtful = make_context({**splits, "validation": validation}, model=tree, target="y")
    result = run_check(MetricParityCheck, doubtful, FAST)
    assert result.status == Status.FAIL
    assert "and test's number is in doubt (validation and test disagree, see below)" in (
        result.message
    )
    assert result.message.count("validation and test disagree") == 2  # the doubt, its verdict


def test_a_small_test_set_makes_the_number_imprecise_not_the_gap_a_verdict(overfit):
    """diabetes' 88 test rows put any rmse at about +-17%: a forest's drop from its train
    score is still shown, not failed, and the size is a warning of its own."""
    context, _, _ = overfit
    imprecise = run_check(MetricParityCheck, context, {**FAST, "max_ci_halfwidth": 0.001})
    assert imprecise.status == Status.WARN, imprecise.message
    assert imprecise.message.startswith("test set too small for roc_auc to be trusted")
    assert "overfit:" not in imprecise.message


def test_max_train_test_gap_at_the_gap_passes_and_just_below_it_fails(overfit):
    context, _, result = overfit
    gap = evidence(result, "train_test_gap").value
    at = run_check(MetricParityCheck, context, {**FAST, "max_train_test_gap": gap})
    assert "overfit:" not in at.message
    assert evidence(at, "train_test_gap").threshold == gap
    below = float(np.nextafter(gap, 0))
    under = run_check(MetricParityCheck, context, {**FAST, "max_train_test_gap": below})
    assert under.status == Status.FAIL
    assert f"above max_train_test_gap {below}" in under.message


def test_a_gap_above_the_limit_but_within_sampling_error_does_not_fail(parity, calm):
    gap = evidence(calm, "train_test_gap")
    assert gap.value > 0 and gap.ci_low < 0
    result = parity({"max_train_test_gap": 0.0})
    assert result.status == Status.PASS, result.message
    assert "overfit:" not in result.message


def test_a_negative_max_train_test_gap_is_rejected(parity):
    with pytest.raises(ValidationError):
        parity({"max_train_test_gap": -0.01})


def test_the_gap_of_an_error_metric_is_relative_to_train(regression):
    result, model = regression["result"], regression["model"]
    train, test = rmse(model, regression["train"]), rmse(model, regression["test"])
    assert evidence(result, "train_test_gap").value == pytest.approx((test - train) / train)
    assert result.metrics["test_rmse"] == pytest.approx(test)
    assert "prior_shift" not in result.metrics  # no classes: no class shares


def test_a_regressor_without_training_error_is_overfit_by_the_whole_test_error(regression):
    """A fully grown tree memorises train (rmse 0): nothing to be relative to, so the gap is
    the whole of test's error, 1.0. On diabetes it also scores worse than predicting the
    mean, which puts test's number in doubt: it fails, saying so."""
    train, test = regression["train"], regression["test"]
    features = [c for c in train.columns if c != "y"]
    tree = DecisionTreeRegressor(random_state=0).fit(train[features], train["y"])
    assert rmse(tree, train) == 0
    context = make_context({"train": train, "test": test}, model=tree, target="y")
    baseline = run_check(BaselineCheck, context, {"n_resamples": 200})
    assert baseline.status == Status.FAIL, baseline.message
    result = run_check(MetricParityCheck, context, FAST, earlier={"baseline": baseline})
    gap = evidence(result, "train_test_gap")
    assert gap.value == 1.0 and gap.ci_low == 1.0
    assert result.status == Status.FAIL
    assert "overfit: rmse" in result.message
    assert "in doubt (it scores worse than the naive baseline mean (margin -" in result.message
    alone = run_check(MetricParityCheck, context, FAST)  # the drop alone: shown, not judged
    assert "overfit:" not in alone.message


# --- sample size: max_ci_halfwidth ----------------------------------------------------------


def test_the_test_halfwidth_is_half_the_test_interval(calm):
    test = evidence(calm, "test_roc_auc")
    half = evidence(calm, "test_ci_halfwidth")
    assert half.value == pytest.approx((test.ci_high - test.ci_low) / 2)
    assert half.threshold == 0.05 and half.op == "<="


def test_max_ci_halfwidth_at_the_halfwidth_passes_and_below_it_warns_with_rows_needed(parity, calm):
    half = evidence(calm, "test_ci_halfwidth").value
    assert parity({"max_ci_halfwidth": half}).status == Status.PASS
    below = parity({"max_ci_halfwidth": float(np.nextafter(half, 0))})
    assert below.status == Status.WARN
    assert "test set too small for roc_auc to be trusted" in below.message
    # Intervals shrink with the square root of the rows: half the width, four times the rows.
    quarter = parity({"max_ci_halfwidth": half / 2})
    assert "about 2000 test rows would be needed" in quarter.message


def test_the_halfwidth_of_an_error_metric_is_relative_to_its_value(regression):
    result = regression["result"]
    test = evidence(result, "test_rmse")
    half = evidence(result, "test_ci_halfwidth").value
    assert half == pytest.approx((test.ci_high - test.ci_low) / 2 / test.value)
    context = make_context(
        {"train": regression["train"], "test": regression["test"]},
        model=regression["model"],
        target="y",
    )
    strict = run_check(MetricParityCheck, context, {**FAST, "max_ci_halfwidth": half / 2})
    absolute = (test.ci_high - test.ci_low) / 2
    assert f"interval is ±{fmt(absolute)} rmse, {100 * half:.2f}% of its value, wide" in (
        strict.message
    )


def test_max_ci_halfwidth_must_be_positive(parity):
    with pytest.raises(ValidationError):
        parity({"max_ci_halfwidth": 0.0})


# --- class shares: max_prior_shift ----------------------------------------------------------


@pytest.fixture(scope="module")
def fewer_positives(splits):
    """The test split with only a third of its positives."""
    test = splits["test"]
    positives = test.index[test["y"] == 1]
    return test.drop(positives[len(positives) // 3 :])


def test_prior_shift_is_the_largest_change_of_a_class_share(calm, splits):
    shift = np.abs(shares(splits["train"]) - shares(splits["test"])).max()
    found = evidence(calm, "prior_shift")
    assert found.value == pytest.approx(shift)
    assert found.threshold == 0.1 and found.op == "<="
    assert table(calm, "Class shares by split").columns == ["split", "0", "1"]


def surely_moved_by(train: pd.DataFrame, other: pd.DataFrame, tests: int = 2) -> float:
    """The lower 95% bound of the change of the positive share (two proportions, pooled;
    Bonferroni over ``tests``: each class of one split compared)."""
    n, m = len(train), len(other)
    change = abs(train.y.mean() - other.y.mean())
    pooled = (train.y.sum() + other.y.sum()) / (n + m)
    error = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / m))
    return change - stats.norm.ppf(1 - 0.05 / (2 * tests)) * error


def test_max_prior_shift_at_the_surely_moved_share_passes_and_just_below_it_warns(
    parity, splits, fewer_positives
):
    options = {"max_ci_halfwidth": 1.0}  # fewer rows: a wider interval, not judged here
    found = evidence(
        parity({**options, "max_prior_shift": 1.0}, test=fewer_positives), "prior_shift"
    )
    assert found.ci_low == pytest.approx(surely_moved_by(splits["train"], fewer_positives))
    shift = np.abs(shares(splits["train"]) - shares(fewer_positives)).max()
    assert found.value == pytest.approx(shift)
    at = parity({**options, "max_prior_shift": found.ci_low}, test=fewer_positives)
    assert at.status == Status.PASS, at.message
    below = float(np.nextafter(found.ci_low, 0))
    result = parity({**options, "max_prior_shift": below}, test=fewer_positives)
    assert result.status == Status.WARN
    assert (
        f"class shares differ between train and test by up to {fmt(shift)}, beyond sampling "
        "error" in result.message
    )
    assert "compare the prior-independent ones" in result.message
    kinds = table(result, "Test metrics by dependence on class priors").rows
    independent = {row[0] for row in kinds if row[1] == "prior-independent"}
    assert independent == {"roc_auc", "roc_auc_ovr", "balanced_accuracy"}
    assert {"accuracy", "precision"} <= {row[0] for row in kinds if row[1] == "prior-dependent"}


def test_a_shift_above_the_limit_within_sampling_error_is_not_judged(parity, splits):
    """Few labelled production rows (58, as on anes96): a share 0.12 off may be chance."""
    train = splits["train"]
    few = train.sample(58, random_state=0)
    few = pd.concat([few[few.y == 1].iloc[:7], few[few.y == 0]]).head(58)
    result = parity(production=few)
    found = evidence(result, "prior_shift")
    assert found.value > 0.1 >= found.ci_low
    assert "class shares differ" not in result.message


def test_the_default_max_prior_shift_warns_for_a_shift_above_a_tenth(parity, fewer_positives):
    result = parity({"max_ci_halfwidth": 1.0}, test=fewer_positives)
    assert result.metrics["prior_shift"] > 0.1
    assert result.status == Status.WARN


def test_a_max_prior_shift_of_one_never_warns(parity, fewer_positives):
    result = parity({"max_ci_halfwidth": 1.0, "max_prior_shift": 1.0}, test=fewer_positives)
    assert result.status == Status.PASS, result.message


@pytest.mark.parametrize("shift", [-0.01, 1.01])
def test_a_max_prior_shift_outside_zero_to_one_is_rejected(parity, shift):
    with pytest.raises(ValidationError):
        parity({"max_prior_shift": shift})


def test_labelled_production_counts_in_the_prior_shift(parity, splits, fewer_positives):
    result = parity(production=fewer_positives)
    shift = np.abs(shares(splits["train"]) - shares(fewer_positives)).max()
    assert result.metrics["prior_shift"] == pytest.approx(shift)
    assert result.status == Status.WARN
    rows = table(result, "Class shares by split").rows
    assert [row[0] for row in rows] == ["train", "test", "production"]


def test_a_prior_shift_in_production_only_is_reported_as_production(parity, fewer_positives):
    result = parity(production=fewer_positives)
    assert result.status == Status.WARN
    assert "between train and test" not in result.message
    assert "production" in result.message


def test_training_with_sample_weights_always_shows_the_prior_independent_metrics(parity, splits):
    weighted = {name: part.assign(w=1.0) for name, part in splits.items()}
    result = parity(checklist={"data": {"sample_weight": "w"}}, **weighted)
    assert result.metrics["prior_shift"] <= 0.1
    assert result.status == Status.WARN
    assert "training used sample weights: prior-dependent metrics" in result.message
    assert table(result, "Test metrics by dependence on class priors")


def test_multiclass_shares_and_f1_macro_are_measured_per_class():
    X, y = load_wine(return_X_y=True, as_frame=True)
    frame = X.assign(y=y).sample(frac=1, random_state=0).reset_index(drop=True)
    train, test = frame.iloc[:100], frame.iloc[100:]
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(train[X.columns], train.y)
    context = make_context({"train": train, "test": test}, model=model, target="y")
    result = run_check(MetricParityCheck, context, {**FAST, "auto_slices": False})
    expected = f1_score(test.y, model.predict(test[X.columns]), average="macro")
    assert result.metrics["test_f1_macro"] == pytest.approx(expected)
    train_shares = train.y.value_counts(normalize=True).sort_index().to_numpy()
    test_shares = test.y.value_counts(normalize=True).sort_index().to_numpy()
    assert result.metrics["prior_shift"] == pytest.approx(np.abs(train_shares - test_shares).max())
    assert table(result, "Class shares by split").columns == ["split", "0", "1", "2"]


# --- windows: data.time, window, min_window_rows, min_window_metric, max_window_gap ------


def test_without_data_time_no_window_is_judged(calm):
    assert not any(name.startswith("worst_window") for name in calm.metrics)
    assert not any(" by month " in t.title for t in calm.tables)


def test_a_month_the_model_fails_fails_the_check(seasonal, seasonal_result):
    result, test = seasonal_result, seasonal["test"]
    assert result.status == Status.FAIL
    april = test[test["at"] >= "2025-04-01"]
    worst = evidence(result, "worst_window_test")
    assert worst.reference == "2025-04"
    assert worst.value == pytest.approx(auc(seasonal["model"], april))
    assert worst.threshold == pytest.approx(result.metrics["test_roc_auc"] - 0.1)
    assert worst.op == ">="
    assert f"roc_auc is worse than {fmt(worst.threshold)} in 1 month(s) of test" in result.message
    assert "(worst 2025-04:" in result.message


def test_window_spread_and_trend_are_measured_over_the_judged_windows(seasonal, seasonal_result):
    test, model = seasonal["test"], seasonal["model"]
    month = test["at"].dt.to_period("M")
    values = np.array([auc(model, test[month == m]) for m in sorted(month.unique())])
    rows = month.value_counts().sort_index().to_numpy()
    result = seasonal_result
    assert result.metrics["window_spread_test"] == pytest.approx(values.max() - values.min())
    tau, p_value = stats.kendalltau(np.arange(4), values)
    assert result.metrics["window_trend_tau_test"] == pytest.approx(tau)
    assert result.metrics["window_trend_p_test"] == pytest.approx(p_value)
    slope = np.polyfit(np.arange(4), values, 1, w=np.sqrt(rows))[0]
    assert result.metrics["window_trend_slope_test"] == pytest.approx(slope)
    assert evidence(result, "window_trend_slope_test").unit == "per month"


@pytest.mark.parametrize("window", ["day", "week", "month", "quarter"])
def test_window_cuts_test_into_calendar_windows(seasonal, window):
    context = seasonal["context"]()
    options = {**FAST, "window": window, "min_window_rows": 2}
    result = run_check(MetricParityCheck, context, options)
    periods = seasonal["test"]["at"].dt.to_period(PERIODS[window])
    sizes = periods.value_counts()
    found = table(result, f"roc_auc by {window} on test")
    assert found.columns[0] == window
    assert len(found.rows) == int((sizes >= 2).sum())
    assert sum(row[1] for row in found.rows) == int(sizes[sizes >= 2].sum())


def test_an_unknown_window_is_rejected(parity):
    with pytest.raises(ValidationError):
        parity({"window": "fortnight"})


def test_min_window_rows_at_a_windows_size_judges_it_and_above_it_does_not(seasonal):
    context = seasonal["context"]()
    at = run_check(MetricParityCheck, context, {**FAST, "min_window_rows": 60})
    assert at.status == Status.FAIL
    assert evidence(at, "worst_window_test").reference == "2025-04"
    above = run_check(MetricParityCheck, context, {**FAST, "min_window_rows": 61})
    assert above.status == Status.PASS, above.message
    assert evidence(above, "worst_window_test").reference != "2025-04"
    found = table(above, "roc_auc by month on test")
    assert "windows under 61 rows not judged" in found.title
    assert [row[0] for row in found.rows if row[0] == "2025-04"] == []


def test_min_window_rows_below_two_is_rejected(parity):
    with pytest.raises(ValidationError):
        parity({"min_window_rows": 1})


def test_min_window_metric_just_above_the_critical_value_fails_and_just_below_passes(
    seasonal, april
):
    context = seasonal["context"]()
    bar = critical(april, 0.05, n_tests=4)
    options = {**FAST, "max_window_gap": None}
    over = run_check(MetricParityCheck, context, {**options, "min_window_metric": bar * (1 + REL)})
    assert over.status == Status.FAIL
    assert evidence(over, "worst_window_test").threshold == pytest.approx(bar)
    under = run_check(MetricParityCheck, context, {**options, "min_window_metric": bar * (1 - REL)})
    assert under.status == Status.PASS, under.message


def test_max_window_gap_just_under_the_critical_gap_fails_and_just_over_passes(
    seasonal, seasonal_result, april
):
    context = seasonal["context"]()
    gap = seasonal_result.metrics["test_roc_auc"] - critical(april, 0.05, n_tests=4)
    narrow = run_check(MetricParityCheck, context, {**FAST, "max_window_gap": gap * (1 - REL)})
    assert narrow.status == Status.FAIL
    wide = run_check(MetricParityCheck, context, {**FAST, "max_window_gap": gap * (1 + REL)})
    assert wide.status == Status.PASS, wide.message


def test_the_stricter_of_min_window_metric_and_max_window_gap_is_the_bar(seasonal, seasonal_result):
    context = seasonal["context"]()
    overall = seasonal_result.metrics["test_roc_auc"]
    for minimum, bar in ((0.2, overall - 0.1), (0.8, 0.8)):
        result = run_check(MetricParityCheck, context, {**FAST, "min_window_metric": minimum})
        assert evidence(result, "worst_window_test").threshold == pytest.approx(bar)


def test_without_a_window_bar_no_window_fails(seasonal):
    context = seasonal["context"]()
    result = run_check(MetricParityCheck, context, {**FAST, "max_window_gap": None})
    assert result.status == Status.PASS, result.message
    assert evidence(result, "worst_window_test").threshold is None


def test_a_negative_max_window_gap_is_rejected(parity):
    with pytest.raises(ValidationError):
        parity({"max_window_gap": -0.01})


def test_labelled_production_is_cut_into_windows_too(seasonal):
    production = seasonal["production"]
    context = seasonal["context"](production=production)
    result = run_check(MetricParityCheck, context, FAST)
    assert result.status == Status.FAIL
    worst = evidence(result, "worst_window_production")
    june = production[production["at"] >= "2025-06-01"]
    assert worst.reference == "2025-06"
    assert worst.value == pytest.approx(auc(seasonal["model"], june))
    assert "in 1 month(s) of production" in result.message
    assert "window_trend_tau_production" not in result.metrics  # two windows: no trend
    assert table(result, "roc_auc by month on production")


def test_a_production_worse_than_test_throughout_fails_the_window_gap(seasonal):
    production = seasonal["production"]
    everywhere = scramble(production, np.ones(len(production), dtype=bool), 20)
    result = run_check(MetricParityCheck, seasonal["context"](production=everywhere), FAST)
    worst = evidence(result, "worst_window_production")
    assert worst.threshold == pytest.approx(result.metrics["test_roc_auc"] - 0.1)
    assert result.status == Status.FAIL


def test_timestamps_that_are_no_timestamps_are_an_error(seasonal):
    test = seasonal["test"].assign(at="soon")
    context = make_context(
        {"train": seasonal["train"], "test": test},
        model=seasonal["model"],
        target="y",
        checklist=TIMED,
    )
    result = run_check(MetricParityCheck, context, FAST)
    assert result.status == Status.ERROR
    assert "is not a timestamp" in result.message


# --- slices: data.slices, min_slice_size, min_slice_metric, max_slice_gap, alpha ---------


def test_a_named_slice_the_model_fails_fails_the_check(parity, splits, model):
    result = parity(checklist=BY_REGION)
    assert result.status == Status.FAIL
    test = splits["test"]
    worst = evidence(result, "worst_slice")
    assert worst.reference == "region=d"
    assert worst.value == pytest.approx(auc(model, test[test["region"] == "d"]))
    assert worst.threshold == pytest.approx(result.metrics["test_roc_auc"] - 0.1)
    assert "region=d" in result.message and "100 rows" in result.message
    found = table(result, "roc_auc by slice on test, from data.slices")
    assert found.rows[0][1] == "d"  # worst first
    assert sorted(row[1] for row in found.rows) == ["a", "b", "c", "d"]


def test_a_slice_with_too_few_of_a_class_is_shown_not_judged(parity, splits):
    """Region d's noisy labels fail it with its usual class mix; with all but a few of its
    positives dropped, its ROC AUC rests on those few rows and is not judged."""
    test = splits["test"]
    d_positives = test.index[(test["region"] == "d") & (test["y"] == 1)]
    kept = {"few": 3, "enough": 10}
    results = {
        name: parity({"min_class_rows": 10}, checklist=BY_REGION, test=test.drop(d_positives[n:]))
        for name, n in kept.items()
    }
    few = table(results["few"], "roc_auc by slice on test, from data.slices")
    row = next(r for r in few.rows if r[1] == "d")
    assert row[-1] == "not judged: 3 rows of its rarest class"
    assert results["few"].status == Status.PASS, results["few"].message
    judged_anyway = parity(
        {"min_class_rows": 1}, checklist=BY_REGION, test=test.drop(d_positives[3:])
    )
    assert judged_anyway.status == Status.FAIL and "region=d" in judged_anyway.message
    assert results["enough"].status == Status.FAIL
    assert "region=d" in results["enough"].message


def test_min_class_rows_below_one_is_rejected(parity):
    with pytest.raises(ValidationError):
        parity({"min_class_rows": 0})


def test_a_slice_with_bin_edges_is_cut_at_them(parity, splits, model):
    checklist = {"data": {"slices": [{"column": "x0", "edges": [0.0]}]}}
    result = parity(checklist=checklist)
    rows = table(result, "roc_auc by slice on test").rows
    test = splits["test"]
    low = test[test["x0"] <= 0]
    by_label = {row[1]: row for row in rows}
    assert set(by_label) == {"(-inf, 0.0]", "(0.0, inf]"}
    assert by_label["(-inf, 0.0]"][2] == len(low)
    assert by_label["(-inf, 0.0]"][3] == pytest.approx(auc(model, low))


def test_min_slice_size_at_a_slices_size_judges_it_and_above_it_does_not(parity):
    at = parity({"min_slice_size": 100}, checklist=BY_REGION)
    assert at.status == Status.FAIL
    above = parity({"min_slice_size": 101}, checklist=BY_REGION)
    assert above.status == Status.PASS, above.message
    assert evidence(above, "worst_slice").reference != "region=d"
    found = table(above, "roc_auc by slice on test")
    assert "slices under 101 rows not judged" in found.title
    assert sorted(row[1] for row in found.rows) == ["a", "b", "c"]


def test_min_slice_size_below_two_is_rejected(parity):
    with pytest.raises(ValidationError):
        parity({"min_slice_size": 1})


def test_min_slice_metric_just_above_the_critical_value_fails_and_just_below_passes(
    parity, region_d
):
    bar = critical(region_d, 0.05, n_tests=4)
    options = {"max_slice_gap": 1.0}  # the gap bar is then below 0: the minimum decides
    over = parity({**options, "min_slice_metric": bar * (1 + REL)}, checklist=BY_REGION)
    assert over.status == Status.FAIL
    assert evidence(over, "worst_slice").threshold == pytest.approx(bar)
    under = parity({**options, "min_slice_metric": bar * (1 - REL)}, checklist=BY_REGION)
    assert under.status == Status.PASS, under.message


def test_max_slice_gap_just_under_the_critical_gap_fails_and_just_over_passes(
    parity, calm, region_d
):
    gap = calm.metrics["test_roc_auc"] - critical(region_d, 0.05, n_tests=4)
    assert parity({"max_slice_gap": gap * (1 - REL)}, checklist=BY_REGION).status == Status.FAIL
    wide = parity({"max_slice_gap": gap * (1 + REL)}, checklist=BY_REGION)
    assert wide.status == Status.PASS, wide.message


def test_a_negative_max_slice_gap_is_rejected(parity):
    with pytest.raises(ValidationError):
        parity({"max_slice_gap": -0.01})


def test_alpha_is_the_family_wise_error_rate_over_every_slice_judged(parity, calm, region_d):
    """d is judged at alpha / 4 (Bonferroni over four regions): it fails just above the
    alpha at which its shortfall is exactly significant, and passes just below."""
    bar = calm.metrics["test_roc_auc"] - 0.1
    exact = 4 * stats.norm.sf((bar - region_d.value) / region_d.se)
    assert 0 < exact < 0.5
    assert parity({"alpha": exact * (1 + REL)}, checklist=BY_REGION).status == Status.FAIL
    below = parity({"alpha": exact * (1 - REL)}, checklist=BY_REGION)
    assert below.status == Status.PASS, below.message


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_alpha_outside_zero_to_one_half_is_rejected(parity, alpha):
    with pytest.raises(ValidationError):
        parity({"alpha": alpha})


def test_for_an_error_metric_the_worst_slice_is_the_highest_and_the_bar_a_ceiling(regression):
    train, test, model = regression["train"], regression["test"], regression["model"]
    checklist = {"data": {"slices": ["sex"]}}
    context = make_context(
        {"train": train, "test": test}, model=model, target="y", checklist=checklist
    )
    result = run_check(MetricParityCheck, context, FAST)
    worst = evidence(result, "worst_slice")
    assert worst.value == pytest.approx(max(rmse(model, part) for _, part in test.groupby("sex")))
    assert worst.op == "<="
    # max_slice_gap is relative for errors: 10% above the overall error.
    assert worst.threshold == pytest.approx(rmse(model, test) * 1.1)
    capped = run_check(MetricParityCheck, context, {**FAST, "min_slice_metric": 10.0})
    assert evidence(capped, "worst_slice").threshold == 10.0
    assert capped.status == Status.FAIL
    assert "rmse is" in capped.message and "worse than 10.0" in capped.message


# --- the automatic slice search: auto_slices, top_slices, quantile_bins ------------------


def test_without_data_slices_the_worst_slices_are_searched_among_the_features(calm):
    found = table(calm, "roc_auc by slice on test, found automatically")
    assert "the 5 worst of 16 slices of 4 features" in found.title
    assert len(found.rows) == 5
    assert {row[0] for row in found.rows} <= set(FEATURES)
    shortfalls = [row[5].value for row in found.rows]
    assert shortfalls == sorted(shortfalls, reverse=True)
    assert evidence(calm, "worst_slice").reference.split("=")[0] in FEATURES


def test_a_slice_found_automatically_below_the_bar_only_warns(parity):
    result = parity({"min_slice_metric": 0.95})
    assert result.status == Status.WARN
    assert "found automatically; name the columns that matter in data.slices" in result.message


def test_auto_slices_off_leaves_slices_out(parity):
    result = parity({"auto_slices": False})
    assert "worst_slice" not in result.metrics
    assert not any("by slice" in t.title for t in result.tables)


@pytest.mark.parametrize("top", [1, 3])
def test_top_slices_is_how_many_found_slices_are_shown(parity, top):
    result = parity({"top_slices": top})
    found = table(result, "roc_auc by slice on test")
    assert len(found.rows) == top
    assert f"the {top} worst of 16 slices" in found.title


def test_top_slices_below_one_is_rejected(parity):
    with pytest.raises(ValidationError):
        parity({"top_slices": 0})


@pytest.mark.parametrize(("bins", "size", "count"), [(2, 30, 8), (5, 30, 20), (20, 25, 80)])
def test_quantile_bins_is_how_many_equal_count_bins_each_feature_is_cut_into(
    parity, bins, size, count
):
    result = parity({"quantile_bins": bins, "min_slice_size": size})
    found = table(result, "roc_auc by slice on test")
    assert f"of {count} slices of 4 features" in found.title
    assert {row[2] for row in found.rows} == {500 // bins}


@pytest.mark.parametrize("bins", [1, 21])
def test_quantile_bins_outside_two_to_twenty_is_rejected(parity, bins):
    with pytest.raises(ValidationError):
        parity({"quantile_bins": bins})


# --- confidence and n_resamples ------------------------------------------------------------


def test_confidence_sets_every_interval(parity, calm):
    narrow = parity({"confidence": 0.6})
    wide, slim = evidence(calm, "test_roc_auc"), evidence(narrow, "test_roc_auc")
    assert slim.value == wide.value
    assert wide.ci_low < slim.ci_low < slim.ci_high < wide.ci_high
    assert narrow.metrics["test_ci_halfwidth"] == pytest.approx((slim.ci_high - slim.ci_low) / 2)
    assert narrow.tables[0].title == "Metrics by split (60% bootstrap intervals)"


@pytest.mark.parametrize("confidence", [0.5, 1.0])
def test_confidence_outside_one_half_to_one_is_rejected(parity, confidence):
    with pytest.raises(ValidationError):
        parity({"confidence": confidence})


def test_n_resamples_changes_the_intervals_but_not_the_point_estimates(parity, calm):
    more = parity({"n_resamples": 300})
    for name in ("train_roc_auc", "test_roc_auc", "train_test_gap", "prior_shift"):
        assert more.metrics[name] == calm.metrics[name]
    assert evidence(more, "test_roc_auc").ci_low != evidence(calm, "test_roc_auc").ci_low


@pytest.mark.parametrize("n", [99, 100_001])
def test_n_resamples_outside_its_bounds_is_rejected(parity, n):
    with pytest.raises(ValidationError):
        parity({"n_resamples": n})


def test_an_unknown_option_is_rejected(parity):
    with pytest.raises(ValidationError):
        parity({"max_gap": 0.1})
