"""``fairness``: per group of each sensitive attribute (data.sensitive; numeric ones binned;
pairs with ``intersections``) the selection rate, true and false positive rates and the
primary metric; across the groups large enough to judge, the demographic parity ratio and
difference and the equalized odds difference with bootstrap intervals. A gap fails when
its whole interval is past its limit and warns when only its value is."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_diabetes, load_wine
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import f1_score, mean_squared_error, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlready.checks.fairness import FairnessCheck
from mlready.results import Status
from mlready.testing import make_context, run_check
from tests.checks.common import evidence

FEATURES = ["x0", "x1", "x2"]
SITES = {"north": 0.45, "south": 0.45, "island": 0.1}  # island: 60 of 600 test rows
FAST = {"resamples": 100}
# No gap can fail or warn: to judge one gap at a time.
NO_LIMITS = {
    "min_parity_ratio": 0.01,
    "max_parity_difference": None,
    "max_equalized_odds_diff": None,
}
# Each gap: its option, its evidence, whether a higher value is worse, words of its verdict.
GAPS = [
    ("min_parity_ratio", "parity_ratio", False, "parity ratio below the bar"),
    ("max_parity_difference", "parity_difference", True, "parity difference above the bar"),
    (
        "max_equalized_odds_diff",
        "equalized_odds_difference",
        True,
        "true or false positive rates differ between groups (equalized odds difference)",
    ),
]
LIMITS = [option for option, *_ in GAPS]


def people(rows: int, seed: int, bias: float = 0.0) -> pd.DataFrame:
    """Three features whose sum drives the label; half the rows F, half M; ``bias`` raises
    x0 (so the label and the model's score) for M. Site and age are drawn independently
    of everything else."""
    rng = np.random.default_rng(seed)
    sex = rng.permutation(np.repeat(["F", "M"], [rows // 2, rows - rows // 2]))
    site = rng.permutation(np.repeat(list(SITES), [round(s * rows) for s in SITES.values()]))
    X = rng.normal(size=(rows, len(FEATURES)))
    X[:, 0] += np.where(sex == "M", bias, 0.0)
    y = rng.random(rows) < 1 / (1 + np.exp(-2 * X.sum(axis=1)))
    age = rng.integers(18, 80, size=rows)
    return pd.DataFrame(X, columns=FEATURES).assign(sex=sex, site=site, age=age, y=y.astype(int))


def sensitive(*attributes) -> dict:
    return {"data": {"sensitive": list(attributes)}}


def gaps(frame: pd.DataFrame, model, groups) -> dict:
    """Fairlearn's demographic parity ratio and difference and equalized odds difference
    of the model's decisions across ``groups`` (one label per row of ``frame``)."""
    decided = pd.DataFrame(
        {
            "group": np.asarray(groups),
            "selected": model.predict(frame[FEATURES]) == 1,
            "positive": frame["y"].to_numpy() == 1,
        }
    )
    selection = decided.groupby("group")["selected"].mean()
    tpr = decided[decided["positive"]].groupby("group")["selected"].mean()
    fpr = decided[~decided["positive"]].groupby("group")["selected"].mean()
    return {
        "selection": selection,
        "parity_ratio": selection.min() / selection.max(),
        "parity_difference": selection.max() - selection.min(),
        "equalized_odds_difference": max(np.ptp(tpr), np.ptp(fpr)),
    }


def table(result, column: str):
    return next(t for t in result.tables if t.title.startswith(f"Groups of {column} "))


def labels(result, column: str) -> list[str]:
    return [row[0] for row in table(result, column).rows]


def stricter(limit: float, higher_is_worse: bool) -> float:
    """The next limit past ``limit``: a gap of that value is then past it."""
    return float(np.nextafter(limit, -np.inf if higher_is_worse else np.inf))


@pytest.fixture(scope="module")
def worlds():
    """A model blind to sex (fair) and one whose scores rise for M (biased), each with
    its train and test."""
    made = {}
    for name, bias in (("fair", 0.0), ("biased", 1.0)):
        train, test = people(600, 4, bias), people(600, 5, bias)
        model = LogisticRegression().fit(train[FEATURES], train["y"])
        made[name] = {"train": train, "test": test, "model": model}
    return made


@pytest.fixture(scope="module")
def fairness(worlds):
    """Run the check on a world with this checklist and these options (splits replaced
    or added by keyword)."""

    def run(world: str, checklist=None, options=None, **splits):
        given = worlds[world]
        context = make_context(
            {"train": given["train"], "test": given["test"], **splits},
            model=given["model"],
            target="y",
            checklist=checklist,
        )
        return run_check(FairnessCheck, context, {**FAST, **(options or {})})

    return run


@pytest.fixture(scope="module")
def biased(fairness):
    return fairness("biased", sensitive("sex"))


@pytest.fixture(scope="module")
def unequal_errors():
    """Test rows whose x0 reads 1.0 higher for M after the label was drawn (a measurement
    biased by group): the fair model then selects more M at every true label, so its true
    and false positive rates differ between the groups."""
    test = people(600, 5)
    return test.assign(x0=test["x0"] + np.where(test["sex"] == "M", 1.0, 0.0))


@pytest.fixture(scope="module")
def gapped(fairness, biased, unequal_errors):
    """Per option: the world, the splits replaced, and the result whose gap is judged."""
    odds = fairness("fair", sensitive("sex"), test=unequal_errors)
    return {
        "min_parity_ratio": ("biased", {}, biased),
        "max_parity_difference": ("biased", {}, biased),
        "max_equalized_odds_diff": ("fair", {"test": unequal_errors}, odds),
    }


# --- skips and errors -----------------------------------------------------------------------


def test_without_sensitive_attributes_the_check_skips(fairness):
    result = fairness("fair")
    assert result.status == Status.SKIP
    assert "no sensitive attributes: set data.sensitive" in result.message
    assert "answers.ethics_review" in result.message


def test_judging_validation_without_a_validation_split_skips(fairness):
    result = fairness("fair", sensitive("sex"), {"split": "validation"})
    assert result.status == Status.SKIP
    assert "the validation split has no labels" in result.message


def test_a_sensitive_column_missing_from_the_judged_split_is_an_error(fairness, worlds):
    result = fairness("fair", sensitive("sex"), test=worlds["fair"]["test"].drop(columns="sex"))
    assert result.status == Status.ERROR
    assert "no column 'sex'" in result.message


# --- the gaps and the verdict ---------------------------------------------------------------


def test_a_model_that_treats_the_groups_alike_passes(fairness):
    result = fairness("fair", sensitive("sex"))
    assert result.status == Status.PASS, result.message
    assert result.message == "no gap between groups beyond the limits (sex, test split)"
    assert sorted(labels(result, "sex")) == ["F", "M"]


def test_the_gaps_are_fairlearns_parity_ratio_and_difference_and_equalized_odds(biased, worlds):
    test, model = worlds["biased"]["test"], worlds["biased"]["model"]
    expected = gaps(test, model, test["sex"])
    for name in ("parity_ratio", "parity_difference", "equalized_odds_difference"):
        found = evidence(biased, f"sex_{name}")
        assert found.value == pytest.approx(expected[name])
        assert found.ci_low < found.ci_high
    assert evidence(biased, "sex_parity_ratio").threshold == 0.8
    assert evidence(biased, "sex_parity_ratio").op == ">="
    assert evidence(biased, "sex_equalized_odds_difference").threshold == 0.1
    assert evidence(biased, "sex_equalized_odds_difference").op == "<="


def test_the_worst_group_is_the_one_with_the_lowest_primary_metric(biased, worlds):
    test, model = worlds["biased"]["test"], worlds["biased"]["model"]
    scores = {
        sex: roc_auc_score(part["y"], model.predict_proba(part[FEATURES])[:, 1])
        for sex, part in test.groupby("sex")
    }
    worst = evidence(biased, "sex_worst_group_roc_auc")
    assert worst.reference == min(scores, key=scores.get)
    assert worst.value == pytest.approx(min(scores.values()))
    assert worst.ci_low < worst.value < worst.ci_high


def test_a_model_that_selects_one_group_far_less_fails_the_four_fifths_rule(biased, worlds):
    test, model = worlds["biased"]["test"], worlds["biased"]["model"]
    selection = gaps(test, model, test["sex"])["selection"]
    assert biased.status == Status.FAIL
    assert biased.message.startswith(
        f"sex: group F is selected at {selection['F']:.4f}, group M at {selection['M']:.4f}: "
        "parity ratio below the bar"
    )
    assert "limit 0.8" in biased.message
    ratio = evidence(biased, "sex_parity_ratio")
    assert ratio.ci_high < 0.8  # the whole interval is below the bar


@pytest.mark.parametrize(("option", "name", "higher_is_worse", "words"), GAPS, ids=LIMITS)
def test_a_limit_at_the_gap_passes_and_just_past_it_warns(
    fairness, biased, option, name, higher_is_worse, words
):
    value = evidence(biased, f"sex_{name}").value
    at = fairness("biased", sensitive("sex"), {**NO_LIMITS, option: value})
    assert at.status == Status.PASS, at.message
    assert evidence(at, f"sex_{name}").threshold == value
    past = stricter(value, higher_is_worse)
    result = fairness("biased", sensitive("sex"), {**NO_LIMITS, option: past})
    assert result.status == Status.WARN
    assert words in result.message
    assert "but within sampling error" in result.message
    assert "collect more data for the small groups" in result.message


@pytest.mark.parametrize(("option", "name", "higher_is_worse", "words"), GAPS, ids=LIMITS)
def test_a_gap_fails_only_when_its_whole_interval_is_past_the_limit(
    fairness, gapped, option, name, higher_is_worse, words
):
    world, splits, measured = gapped[option]
    gap = evidence(measured, f"sex_{name}")
    near = gap.ci_low if higher_is_worse else gap.ci_high  # the end nearest the limit
    assert 0 < near < 1
    at = fairness(world, sensitive("sex"), {**NO_LIMITS, option: near}, **splits)
    assert at.status == Status.WARN
    past = stricter(near, higher_is_worse)
    result = fairness(world, sensitive("sex"), {**NO_LIMITS, option: past}, **splits)
    assert result.status == Status.FAIL
    assert words in result.message and f"limit {past}" in result.message
    assert "within sampling error" not in result.message


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("min_parity_ratio", 0.0),
        ("min_parity_ratio", 1.01),
        ("max_parity_difference", 0.0),
        ("max_parity_difference", 1.0),
        ("max_equalized_odds_diff", 0.0),
        ("max_equalized_odds_diff", 1.0),
    ],
)
def test_a_limit_outside_its_range_is_rejected(fairness, option, value):
    with pytest.raises(ValidationError):
        fairness("fair", sensitive("sex"), {option: value})


def test_a_min_parity_ratio_of_one_asks_for_equal_selection_rates(fairness):
    result = fairness("fair", sensitive("sex"), {"min_parity_ratio": 1.0})
    ratio = evidence(result, "sex_parity_ratio")
    assert ratio.threshold == 1.0 and ratio.value < 1.0
    assert result.status != Status.PASS
    assert "parity ratio below the bar" in result.message


def test_max_parity_difference_is_off_by_default(biased):
    difference = evidence(biased, "sex_parity_difference")
    assert difference.threshold is None and difference.op is None
    assert "parity difference" not in biased.message


def test_without_max_equalized_odds_diff_unequal_error_rates_are_not_judged(fairness):
    options = {"min_parity_ratio": 0.01, "max_equalized_odds_diff": None}
    result = fairness("biased", sensitive("sex"), options)
    assert result.status == Status.PASS, result.message
    odds = evidence(result, "sex_equalized_odds_difference")
    assert odds.threshold is None and odds.op is None


def test_a_model_that_selects_no_one_has_no_parity_ratio_to_judge(worlds):
    train, test = worlds["fair"]["train"], worlds["fair"]["test"]
    never = DummyClassifier(strategy="constant", constant=0).fit(train[FEATURES], train["y"])
    context = make_context(
        {"train": train, "test": test}, model=never, target="y", checklist=sensitive("sex")
    )
    result = run_check(FairnessCheck, context, FAST)
    assert "sex_parity_ratio" not in result.metrics
    assert result.status == Status.PASS, result.message
    assert any("sex: 0 positive decision(s) among the groups judged" in n for n in result.notes)


class ChoosesRows(ClassifierMixin, BaseEstimator):
    """Says yes to the rows at the given positions, no to every other."""

    def __init__(self, rows=()):
        self.rows = rows

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X):
        return np.isin(np.arange(len(X)), self.rows).astype(int)


def test_a_handful_of_positive_decisions_is_shown_not_judged(worlds):
    """Five positive decisions in all: a parity ratio of 0 (interval 0 to 0) would be
    chance, not evidence."""
    train, test = worlds["fair"]["train"], worlds["fair"]["test"]
    chooser = ChoosesRows(rows=(0, 1, 2, 3, 4)).fit(train[FEATURES], train["y"])
    context = make_context(
        {"train": train, "test": test}, model=chooser, target="y", checklist=sensitive("sex")
    )
    result = run_check(FairnessCheck, context, FAST)
    assert result.status == Status.PASS, result.message
    assert any("5 positive decision(s)" in n and "no gap is judged" in n for n in result.notes)
    judged = run_check(FairnessCheck, context, {**FAST, "min_group_events": 5})
    assert "sex_parity_ratio" in judged.metrics  # judged: five decisions give a number


def test_a_group_with_few_rows_of_a_class_is_reported_not_judged(fairness, worlds):
    test = worlds["biased"]["test"]
    group = test.sex.iloc[0]
    positives = test.index[(test.sex == group) & (test.y == 1)]
    few = test.drop(positives[6:])  # six positives left in that group
    result = fairness("biased", sensitive("sex"), test=few)
    assert any(
        "groups with fewer than min_group_events (10) rows of a class are reported, not "
        f"judged: {group} (6 of its rarest class)" in n
        for n in result.notes
    ), result.notes


def test_groups_drawn_at_random_are_not_failed_beyond_sampling_error(worlds):
    """Six teams of 100 rows assigned at random: every true gap between them is zero, so
    a gap past its limit is sampling error, which should at most warn."""
    train, model = worlds["fair"]["train"], worlds["fair"]["model"]
    statuses = []
    for seed in range(100, 105):
        team = np.random.default_rng(seed).permutation(np.repeat(list("abcdef"), 100))
        test = people(600, seed).assign(team=team)
        context = make_context(
            {"train": train, "test": test}, model=model, target="y", checklist=sensitive("team")
        )
        statuses.append(run_check(FairnessCheck, context, FAST).status)
    assert statuses.count(Status.FAIL) <= 1, statuses


# --- min_group_size -------------------------------------------------------------------------


def test_a_group_of_min_group_size_rows_is_judged_and_a_smaller_one_only_reported(fairness, worlds):
    test, model = worlds["fair"]["test"], worlds["fair"]["model"]
    judged = fairness("fair", sensitive("site"), {**NO_LIMITS, "min_group_size": 60})
    every = gaps(test, model, test["site"])
    assert judged.metrics["site_parity_ratio"] == pytest.approx(every["parity_ratio"])
    assert not judged.notes
    smaller = fairness("fair", sensitive("site"), {**NO_LIMITS, "min_group_size": 61})
    mainland = test[test["site"] != "island"]
    two = gaps(mainland, model, mainland["site"])
    for name in ("parity_ratio", "parity_difference", "equalized_odds_difference"):
        assert smaller.metrics[f"site_{name}"] == pytest.approx(two[name])
    assert smaller.notes == [
        "site: groups below min_group_size (61) are reported, not judged: island (60 rows)"
    ]
    assert "island" in labels(smaller, "site")  # still in the table


def test_min_group_size_at_both_groups_sizes_judges_them_and_above_it_judges_none(fairness, biased):
    at = fairness("biased", sensitive("sex"), {"min_group_size": 300})
    assert at.metrics == biased.metrics
    above = fairness("biased", sensitive("sex"), {"min_group_size": 301})
    assert above.status == Status.PASS, above.message
    assert "sex: fewer than two groups of 301+ rows, so no gap is judged" in above.notes
    assert not any(name.startswith("sex_") for name in above.metrics)


def test_with_a_single_group_large_enough_no_gap_is_judged(fairness, worlds):
    test = worlds["biased"]["test"]
    older = int((test["age"] > 40).sum())
    assert older > len(test) - older
    by_age = sensitive({"column": "age", "edges": [40]})
    result = fairness("biased", by_age, {"min_group_size": older})
    assert f"age: fewer than two groups of {older}+ rows, so no gap is judged" in result.notes
    assert set(result.metrics) == {"age_worst_group_roc_auc"}  # the one judged group's
    assert evidence(result, "age_worst_group_roc_auc").reference == "(40.0, inf]"
    assert result.status == Status.PASS, result.message


def test_min_group_size_below_one_is_rejected(fairness):
    with pytest.raises(ValidationError):
        fairness("fair", sensitive("sex"), {"min_group_size": 0})


# --- attributes: binning and intersections --------------------------------------------------


def test_a_numeric_attribute_with_edges_is_cut_at_them(fairness, worlds):
    test, model = worlds["fair"]["test"], worlds["fair"]["model"]
    result = fairness("fair", sensitive({"column": "age", "edges": [40]}), NO_LIMITS)
    assert labels(result, "age") == ["(-inf, 40.0]", "(40.0, inf]"]
    expected = gaps(test, model, test["age"] <= 40)
    assert result.metrics["age_parity_ratio"] == pytest.approx(expected["parity_ratio"])
    assert [row[1] for row in table(result, "age").rows] == [
        int((test["age"] <= 40).sum()),
        int((test["age"] > 40).sum()),
    ]


def test_a_numeric_attribute_with_many_values_is_cut_into_quartiles(fairness, worlds):
    result = fairness("fair", sensitive("age"), NO_LIMITS)
    rows = table(result, "age").rows
    assert len(rows) == 4
    assert sum(row[1] for row in rows) == len(worlds["fair"]["test"])


def test_intersections_judge_every_pair_of_attributes(fairness, worlds):
    test, model = worlds["fair"]["test"], worlds["fair"]["model"]
    options = {**NO_LIMITS, "intersections": True}
    result = fairness("fair", sensitive("sex", "site"), options)
    assert result.message == (
        "no gap between groups beyond the limits (sex, site, sex & site, test split)"
    )
    pairs = test["sex"] + " & " + test["site"]
    expected = gaps(test, model, pairs)
    for name in ("parity_ratio", "parity_difference", "equalized_odds_difference"):
        assert result.metrics[f"sex & site_{name}"] == pytest.approx(expected[name])
    assert sorted(labels(result, "sex & site")) == sorted(pairs.unique())


def test_without_intersections_each_attribute_is_judged_alone(fairness):
    result = fairness("fair", sensitive("sex", "site"), NO_LIMITS)
    assert {"sex_parity_ratio", "site_parity_ratio"} <= set(result.metrics)
    assert not any("&" in name for name in result.metrics)


# --- split, resamples, confidence -----------------------------------------------------------


def test_split_validation_judges_the_validation_split(fairness, worlds):
    validation = people(400, 9)
    model = worlds["fair"]["model"]
    result = fairness("fair", sensitive("sex"), {"split": "validation"}, validation=validation)
    assert result.status == Status.PASS, result.message
    assert result.message.endswith("(sex, validation split)")
    expected = gaps(validation, model, validation["sex"])
    assert result.metrics["sex_parity_ratio"] == pytest.approx(expected["parity_ratio"])
    assert sum(row[1] for row in table(result, "sex").rows) == 400


def test_an_unlabelled_kind_of_split_is_rejected(fairness):
    with pytest.raises(ValidationError):
        fairness("fair", sensitive("sex"), {"split": "train"})


def test_resamples_change_the_intervals_but_not_the_gaps(fairness, biased):
    more = fairness("biased", sensitive("sex"), {"resamples": 300})
    assert more.metrics == biased.metrics
    assert evidence(more, "sex_parity_ratio").ci_low != evidence(biased, "sex_parity_ratio").ci_low


def test_fewer_than_100_resamples_are_rejected(fairness):
    with pytest.raises(ValidationError):
        fairness("fair", sensitive("sex"), {"resamples": 99})


def test_confidence_sets_the_intervals(fairness, biased):
    narrow = fairness("biased", sensitive("sex"), {"confidence": 0.6})
    wide, slim = evidence(biased, "sex_parity_ratio"), evidence(narrow, "sex_parity_ratio")
    assert slim.value == wide.value
    assert wide.ci_low < slim.ci_low < slim.ci_high < wide.ci_high
    assert {plot.title for plot in narrow.plots} == {
        "roc_auc by sex (60% CI)",
        "Selection rate by sex (60% CI)",
    }


@pytest.mark.parametrize("confidence", [0.5, 1.0])
def test_confidence_outside_one_half_to_one_is_rejected(fairness, confidence):
    with pytest.raises(ValidationError):
        fairness("fair", sensitive("sex"), {"confidence": confidence})


def test_an_unknown_option_is_rejected(fairness):
    with pytest.raises(ValidationError):
        fairness("fair", sensitive("sex"), {"max_ratio": 0.8})


# --- other tasks: per-group metrics, no parity ----------------------------------------------


def test_a_multiclass_model_gets_per_group_metrics_and_its_worst_group():
    X, y = load_wine(return_X_y=True, as_frame=True)
    rng = np.random.default_rng(11)
    frame = X.assign(y=y, sex=rng.choice(["F", "M"], size=len(y))).sample(frac=1, random_state=0)
    train, test = frame.iloc[:100], frame.iloc[100:]
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(train[X.columns], train.y)
    context = make_context(
        {"train": train, "test": test}, model=model, target="y", checklist=sensitive("sex")
    )
    result = run_check(FairnessCheck, context, {**FAST, "min_group_size": 10})
    assert result.status == Status.PASS, result.message
    assert "sex: parity applies to binary decisions; per-group metrics shown" in result.notes
    assert not any("parity" in name or "odds" in name for name in result.metrics)
    scores = {
        sex: f1_score(part.y, model.predict(part[X.columns]), average="macro")
        for sex, part in test.groupby("sex")
    }
    worst = evidence(result, "sex_worst_group_f1_macro")
    assert worst.reference == min(scores, key=scores.get)
    assert worst.value == pytest.approx(min(scores.values()))
    assert "selection rate" not in table(result, "sex").columns


def test_for_a_regression_model_the_worst_group_has_the_highest_error():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    frame = X.assign(y=y)
    train, test = frame.iloc[:300], frame.iloc[300:]
    model = Ridge(alpha=0.1).fit(train[X.columns], train.y)
    context = make_context(
        {"train": train, "test": test}, model=model, target="y", checklist=sensitive("sex")
    )
    result = run_check(FairnessCheck, context, FAST)
    errors = {
        sex: math.sqrt(mean_squared_error(part.y, model.predict(part[X.columns])))
        for sex, part in test.groupby("sex")
    }
    worst = evidence(result, "sex_worst_group_rmse")
    assert worst.value == pytest.approx(max(errors.values()))
    assert worst.reference == str(max(errors, key=errors.get))
    assert "sex: parity applies to binary decisions; per-group metrics shown" in result.notes
