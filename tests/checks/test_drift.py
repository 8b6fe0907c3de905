"""``drift``: production against a reference split, feature by feature, for the dataset,
the model's outputs and the target, and window by window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from scipy import stats
from scipy.spatial.distance import jensenshannon
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from mlready.checks.drift import DriftCheck
from mlready.results import Status
from mlready.testing import make_context, run_check
from tests.checks.common import chi2_p_value, evidence, ks_p_value

NUMERIC = [f"x{i}" for i in range(8)]
FEATURES = [*NUMERIC, "channel"]
CHANNELS = ["web", "shop", "phone"]
TIMED = {"data": {"time": "when"}}


def population(
    seed: int,
    rows: int,
    *,
    shift: dict[str, float] | None = None,
    scale: dict[str, float] | None = None,
    channels=(0.5, 0.3, 0.2),
    labelled: bool = True,
) -> pd.DataFrame:
    """Eight normal features and a channel; the target depends on x0, x2 and the channel
    only (the model ignores x1 and x3 to x7). ``shift``/``scale`` move features after
    the target is drawn, as drift in production does."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: rng.normal(size=rows) for c in NUMERIC})
    frame["channel"] = rng.choice(CHANNELS, rows, p=channels)
    logit = 2 * frame["x0"] - frame["x2"] + (frame["channel"] == "web")
    frame["y"] = (logit + rng.logistic(size=rows) > 0.5).astype(int)
    for column, by in (scale or {}).items():
        frame[column] *= by
    for column, by in (shift or {}).items():
        frame[column] += by
    return frame if labelled else frame.drop(columns="y")


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return population(1, 1000)


@pytest.fixture(scope="module")
def test_split() -> pd.DataFrame:
    return population(99, 400)


@pytest.fixture(scope="module")
def model(train):
    return make_pipeline(
        make_column_transformer((OneHotEncoder(), ["channel"]), (SimpleImputer(), NUMERIC)),
        LogisticRegression(max_iter=500),
    ).fit(train[FEATURES], train["y"])


@pytest.fixture(scope="module")
def context_of(train, test_split, model):
    def make(production=None, checklist=None, **splits):
        given = {"train": train, "test": test_split, **splits}
        if production is not None:
            given["production"] = production
        return make_context(given, model=model, target="y", checklist=checklist, quick=True)

    return make


@pytest.fixture(scope="module")
def drift(context_of):
    def run(production=None, options=None, checklist=None, **splits):
        return run_check(DriftCheck, context_of(production, checklist, **splits), options)

    return run


def table(result, title_start):
    return next(t for t in result.tables if t.title.startswith(title_start))


def shares(values: pd.Series) -> np.ndarray:
    return values.value_counts(normalize=True).reindex(CHANNELS, fill_value=0).to_numpy()


# --- skip, pass ----------------------------------------------------------------------------


def test_without_production_the_check_skips(drift):
    result = drift()
    assert result.status == Status.SKIP
    assert "no production split" in result.message


def test_a_reference_split_that_is_not_there_skips(drift):
    result = drift(population(2, 600, labelled=False), {"reference": "validation"})
    assert result.status == Status.SKIP
    assert "the reference split 'validation' is not there" in result.message


@pytest.fixture(scope="module")
def steady(drift):
    return drift(population(2, 600, labelled=False))


def test_production_like_train_passes(steady):
    assert steady.status == Status.PASS, steady.message
    assert steady.message == (
        "no drift in 9 features or the predictions (600 production rows vs train)"
    )
    share = evidence(steady, "drifted_share")
    assert share.value == 0 and share.threshold == 0.3 and share.op == "<="
    for column in NUMERIC:
        effect = evidence(steady, f"effect_{column}")
        assert effect.unit == "wasserstein" and effect.threshold == 0.1 and effect.op == "<"
    assert evidence(steady, "effect_channel").unit == "psi"
    assert evidence(steady, "prediction_drift_effect").value < 0.1
    assert "target drift not checked: production has no labels" in steady.notes
    assert [t.title for t in steady.tables] == [
        "Features, train vs production (drifted first)",
        "Prediction, train vs production",
    ]
    assert len(table(steady, "Features").rows) == 9


# --- dataset drift: drift_share ----------------------------------------------------------------


@pytest.fixture(scope="module")
def three_moved():
    """x1, x3 and the channel move; the model uses the channel only of the three."""
    return population(3, 600, shift={"x1": 0.6, "x3": 0.6}, channels=(0.2, 0.3, 0.5))


def test_three_of_nine_features_drifted_fail_the_default_share(drift, three_moved):
    result = drift(three_moved.drop(columns="y"))
    assert result.status == Status.FAIL
    assert result.message.startswith("dataset drift: 3 of 9 features drifted (share 0.3333 > 0.3)")
    for column in ("x1", "x3", "channel"):
        assert column in result.message
    assert result.metrics["drifted_share"] == pytest.approx(1 / 3)


def test_a_drift_share_equal_to_the_drifted_share_warns_and_just_below_fails(drift, three_moved):
    production = three_moved.drop(columns="y")
    at = drift(production, {"drift_share": 1 / 3, "prediction_drift": "warn"})
    below = drift(production, {"drift_share": 0.333})
    assert at.status == Status.WARN
    assert at.message.startswith("3 of 9 features drifted (share 0.3333)")
    assert "dataset drift" not in at.message
    assert evidence(at, "drifted_share").threshold == pytest.approx(1 / 3)
    assert below.status == Status.FAIL and below.message.startswith("dataset drift")


def test_drift_share_one_never_fails_on_features(drift, three_moved):
    result = drift(three_moved.drop(columns="y"), {"drift_share": 1})
    assert "dataset drift" not in result.message
    assert result.status == Status.WARN


# --- weight_by_importance --------------------------------------------------------------------


def expected_weighted_share(context, model, drifted):
    rng = context.rng("drift.importance")
    test = context.labelled("test")
    found = permutation_importance(
        model, test[FEATURES], test["y"], n_repeats=3, random_state=int(rng.integers(2**31))
    )
    weights = np.clip(found.importances_mean, 0, None)
    by_name = dict(zip(FEATURES, weights, strict=True))
    return sum(by_name[c] for c in drifted) / weights.sum()


def test_an_unused_feature_drifting_weighs_little_when_weighted_by_importance(
    drift, context_of, model
):
    production = population(4, 600, shift={"x6": 1.0}, labelled=False)
    plain = drift(production)
    weighted = drift(production, {"weight_by_importance": True})
    assert plain.metrics["drifted_share"] == pytest.approx(1 / 9)
    assert "1 of 9 features drifted (share 0.1111)" in plain.message
    expected = expected_weighted_share(context_of(production), model, ["x6"])
    assert weighted.metrics["drifted_share"] == pytest.approx(expected, rel=1e-9)
    assert weighted.metrics["drifted_share"] < 0.02
    assert "importance-weighted share" in weighted.message
    assert weighted.status == Status.WARN


def test_a_used_feature_drifting_weighs_more_than_its_count(drift, context_of, model):
    production = population(4, 600, shift={"x0": 0.3}, labelled=False)
    weighted = drift(production, {"weight_by_importance": True, "prediction_drift": "warn"})
    expected = expected_weighted_share(context_of(production), model, ["x0"])
    assert weighted.metrics["drifted_share"] == pytest.approx(expected, rel=1e-9)
    assert weighted.metrics["drifted_share"] > 0.3  # x0 is what the model uses most
    assert weighted.status == Status.FAIL
    assert "dataset drift: 1 of 9 features drifted (importance-weighted share" in weighted.message


# --- prediction and target drift ---------------------------------------------------------------


@pytest.fixture(scope="module")
def scores_moved():
    """x0 moves: one feature of nine (a warning), and the model's scores with it."""
    return population(5, 600, shift={"x0": 0.5}, labelled=False)


@pytest.mark.parametrize(("severity", "status"), [("warn", Status.WARN), ("fail", Status.FAIL)])
def test_prediction_drift_gives_the_status_asked_for(drift, scores_moved, severity, status):
    result = drift(scores_moved, {"prediction_drift": severity})
    assert result.status == status
    assert "prediction drift:" in result.message
    assert "in train" in result.message and "in production" in result.message
    assert evidence(result, "prediction_drift_effect").value >= 0.1
    assert result.metrics["drifted_share"] == pytest.approx(1 / 9)


@pytest.fixture(scope="module")
def labels_moved():
    production = population(6, 600)
    rng = np.random.default_rng(6)
    production["y"] = np.where(rng.random(600) < 0.35, 1, production["y"])
    return production


@pytest.mark.parametrize(("severity", "status"), [("warn", Status.WARN), ("fail", Status.FAIL)])
def test_target_drift_in_labelled_production_gives_the_status_asked_for(
    drift, labels_moved, severity, status
):
    result = drift(labels_moved, {"target_drift": severity})
    assert result.status == status
    assert result.message.startswith("target drift:")
    assert "dataset drift" not in result.message and "prediction drift" not in result.message
    target = evidence(result, "target_drift_effect")
    assert target.unit == "psi" and target.value >= 0.1
    assert "Target, train vs production" in [t.title for t in result.tables]


def test_a_labelled_production_like_train_shows_no_target_drift(drift):
    result = drift(population(7, 600))
    assert result.status == Status.PASS, result.message
    assert evidence(result, "target_drift_effect").value < 0.1
    assert not any("target drift not checked" in n for n in result.notes)
    assert result.message.startswith("no drift in 9 features, the predictions or the target")


# --- reference ---------------------------------------------------------------------------------


@pytest.mark.parametrize("reference", ["validation", "test"])
def test_production_is_judged_against_the_reference_asked_for(drift, reference):
    moved = {"x3": 0.8}
    other = {reference: population(8, 400, shift=moved)}
    if reference == "test":
        other["validation"] = population(9, 400)
    production = population(10, 600, shift=moved, labelled=False)
    against_train = drift(production, **other)
    against_reference = drift(production, {"reference": reference}, **other)
    assert against_train.status == Status.WARN and "x3" in against_train.message
    assert against_reference.status == Status.PASS, against_reference.message
    assert f"vs {reference})" in against_reference.message
    assert f"Features, {reference} vs production (drifted first)" in [
        t.title for t in against_reference.tables
    ]


# --- the drift engine's options ---------------------------------------------------------------


@pytest.fixture(scope="module")
def x3_moved():
    return population(11, 600, shift={"x3": 0.3}, labelled=False)


@pytest.fixture(scope="module")
def x3_result(drift, x3_moved):
    return drift(x3_moved)


def test_a_numeric_threshold_equal_to_the_effect_flags_it_and_just_above_does_not(
    drift, x3_moved, x3_result, train
):
    effect = x3_result.metrics["effect_x3"]
    scipy_w = stats.wasserstein_distance(train["x3"], x3_moved["x3"]) / train["x3"].std(ddof=0)
    assert effect == pytest.approx(scipy_w, rel=0.05)
    at = drift(x3_moved, {"numeric_threshold": effect})
    above = drift(x3_moved, {"numeric_threshold": effect * 1.001})
    assert at.status == Status.WARN and at.message.startswith("1 of 9 features drifted")
    assert evidence(at, "effect_x3").threshold == effect
    assert above.status == Status.PASS, above.message


@pytest.mark.parametrize("effect", ["ks", "psi", "js"])
def test_the_numeric_effect_statistic_is_the_one_asked_for(drift, x3_moved, train, effect):
    result = drift(x3_moved, {"numeric_effect": effect})
    x3 = evidence(result, "effect_x3")
    assert x3.unit == effect
    assert evidence(result, "prediction_drift_effect").unit == effect  # scores are numeric
    assert evidence(result, "effect_channel").unit == "psi"
    if effect == "ks":
        assert x3.value == pytest.approx(stats.ks_2samp(train["x3"], x3_moved["x3"]).statistic)
    elif effect == "js":
        assert 0 < x3.value < 1


def test_alpha_just_above_the_bh_adjusted_p_value_flags_the_feature_and_just_below_not(
    drift, train
):
    production = population(12, 600, shift={"x3": 0.15}, labelled=False)
    raw = [ks_p_value(train[c], production[c]) for c in NUMERIC]
    raw.append(chi2_p_value(train["channel"], production["channel"]))
    p_x3 = float(stats.false_discovery_control(raw, method="bh")[NUMERIC.index("x3")])
    assert 0 < p_x3 < 0.45
    above = drift(production, {"alpha": p_x3 * 1.01})
    below = drift(production, {"alpha": p_x3 * 0.99})
    assert above.status == Status.WARN and "x3" in above.message
    assert below.status == Status.PASS, below.message


@pytest.fixture(scope="module")
def rechannelled():
    return population(13, 600, channels=(0.3, 0.3, 0.4), labelled=False)


def test_a_categorical_threshold_equal_to_the_psi_flags_it_and_just_above_does_not(
    drift, rechannelled, train
):
    options = {"prediction_drift": "warn"}
    psi = drift(rechannelled, options).metrics["effect_channel"]
    e, a = shares(train["channel"]), shares(rechannelled["channel"])
    assert psi == pytest.approx(float(np.sum((a - e) * np.log(a / e))), rel=1e-9)
    options = {**options, "max_level_shift": 1.0}  # a level's share alone: no drift
    at = drift(rechannelled, {**options, "categorical_threshold": psi})
    above = drift(rechannelled, {**options, "categorical_threshold": psi * 1.001})
    assert "1 of 9 features drifted" in at.message and "channel" in at.message
    assert "features drifted" not in above.message


def test_the_categorical_effect_can_be_jensen_shannon(drift, rechannelled, train):
    result = drift(rechannelled, {"categorical_effect": "js"})
    channel = evidence(result, "effect_channel")
    expected = jensenshannon(shares(train["channel"]), shares(rechannelled["channel"]), base=2)
    assert channel.unit == "js"
    assert channel.value == pytest.approx(float(expected), rel=1e-9)


def test_a_spread_change_is_invisible_to_psi_on_two_bins_but_not_on_ten(drift):
    wider = population(14, 600, scale={"x5": 2.0}, labelled=False)
    options = {"numeric_effect": "psi"}
    two = drift(wider, {**options, "bins": 2})
    ten = drift(wider, {**options, "bins": 10})
    assert two.status == Status.PASS, two.message
    assert two.metrics["effect_x5"] < 0.05
    assert ten.status == Status.WARN and "x5" in ten.message


def test_a_per_column_rule_overrides_the_defaults_for_that_column_only(drift, x3_moved):
    result = drift(x3_moved, {"columns": {"x3": {"effect": "psi", "threshold": 5.0}}})
    assert result.status == Status.PASS, result.message
    x3 = evidence(result, "effect_x3")
    assert x3.unit == "psi" and x3.threshold == 5.0
    assert evidence(result, "effect_x0").unit == "wasserstein"


@pytest.fixture(scope="module")
def holed():
    production = population(15, 600, labelled=False)
    production.loc[production.index[:60], "x4"] = np.nan  # 10% missing, none in train
    return production


def test_a_missing_rate_change_equal_to_the_limit_warns_and_just_under_it_does_not(drift, holed):
    at = drift(holed, {"max_missing_change": 0.1})
    above = drift(holed, {"max_missing_change": 0.10001})
    assert at.status == Status.WARN
    assert at.message == "missing-value rates changed in production: x4"
    assert at.metrics["drifted_share"] == 0
    assert above.status == Status.PASS, above.message


# --- windows: window, min_window_rows ------------------------------------------------------------


@pytest.fixture(scope="module")
def batches():
    sizes = {"b1": 70, "b2": 60, "b3": 50}
    return {
        name: population(20 + i, n, labelled=False) for i, (name, n) in enumerate(sizes.items())
    }


def test_a_batch_of_exactly_min_window_rows_is_kept_and_one_row_more_leaves_it_out(drift, batches):
    at = drift(batches, {"min_window_rows": 50})
    above = drift(batches, {"min_window_rows": 51})
    assert len(table(at, "Drift by batch").rows) == 3
    assert len(table(above, "Drift by batch").rows) == 2
    assert not any(n.startswith("drift over time not analysed") for n in at.notes)


def test_one_window_large_enough_leaves_a_note_instead(drift, batches):
    result = drift(batches, {"min_window_rows": 61})  # only b1 (70 rows) is large enough
    assert "drift over time not analysed: fewer than two batches of at least 61 rows" in (
        result.notes
    )
    assert not any(t.title.startswith("Drift by") for t in result.tables)


def test_a_step_and_a_trend_across_batches_are_told_apart(drift):
    production = {}
    for batch in range(8):
        frame = population(30 + batch, 200, labelled=False)
        frame["x4"] += 1.0 if batch >= 4 else 0.0  # a step at the fifth batch
        frame["x5"] += 0.15 * batch  # a slow trend
        production[f"w{batch + 1}"] = frame
    result = drift(production, {"prediction_drift": "warn"})
    note = next(n for n in result.notes if n.startswith("drift over batches: "))
    assert "x4 (abrupt at w5)" in note
    assert "x5 (gradual from" in note
    changes = table(result, "How drifted features changed, batch by batch")
    assert changes.columns == ["feature", "pattern", "change", "first drifted batch", "effects"]
    assert len(table(result, "Drift by batch").rows) == 8


def test_a_trend_with_setbacks_is_still_gradual(drift):
    setbacks = [0, 0.1, -0.05, 0.05, 0.25, 0.1, 0.3, 0.2]
    production = {
        f"w{batch + 1}": population(30 + batch, 200, labelled=False).assign(
            x5=lambda f, by=0.15 * batch + setbacks[batch]: f["x5"] + by
        )
        for batch in range(8)
    }
    changes = table(drift(production), "How drifted features changed, batch by batch")
    [(feature, pattern, *_, effects)] = changes.rows
    tau = stats.kendalltau(np.arange(len(effects)), effects)[0]
    assert (feature, pattern) == ("x5", "gradual")
    assert 0.5 <= tau < 1  # rising on the whole, not at every step


@pytest.fixture(scope="module")
def timed(train, test_split):
    """Four months of production, a row every six hours (Feb to May 2024)."""
    production = population(40, 480, labelled=False)
    production["when"] = pd.date_range("2024-02-01", periods=480, freq="6h").astype(str)
    splits = {
        "train": train.assign(when="2024-01-01"),
        "test": test_split.assign(when="2024-01-15"),
    }
    return production, splits


@pytest.mark.parametrize(("window", "windows"), [("month", 4), ("quarter", 2)])
def test_production_is_cut_into_the_calendar_windows_asked_for(timed, model, window, windows):
    production, splits = timed
    context = make_context(
        {**splits, "production": production}, model=model, target="y", checklist=TIMED
    )
    result = run_check(DriftCheck, context, {"window": window})
    assert len(table(result, f"Drift by {window}").rows) == windows


@pytest.mark.parametrize("window", ["day", "week"])
def test_windows_too_small_for_min_window_rows_are_named_by_their_unit(timed, model, window):
    production, splits = timed
    context = make_context(
        {**splits, "production": production}, model=model, target="y", checklist=TIMED
    )
    result = run_check(DriftCheck, context, {"window": window})
    assert f"drift over time not analysed: fewer than two {window}s of at least 50 rows" in (
        result.notes
    )


def test_the_default_window_is_a_week(timed, model):
    production, splits = timed
    context = make_context(
        {**splits, "production": production}, model=model, target="y", checklist=TIMED
    )
    result = run_check(DriftCheck, context, {"min_window_rows": 28})
    weeks = table(result, "Drift by week")
    assert len(weeks.rows) == 16  # the part-weeks at either end have fewer rows
    assert weeks.columns == ["week", "rows", "drifted share", "drifted features"]


# --- option bounds ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"reference": "production"},
        {"drift_share": 0},
        {"drift_share": 1.01},
        {"prediction_drift": "error"},
        {"target_drift": "skip"},
        {"window": "year"},
        {"min_window_rows": 9},
        {"alpha": 0.5},
        {"bins": 101},
        {"max_missing_change": 1.5},
        {"categorical_effect": "chi2"},
        {"weight_by_importance": "sometimes"},
    ],
)
def test_options_out_of_bounds_are_rejected(options):
    with pytest.raises(ValidationError):
        DriftCheck.Params.model_validate(options)


def test_options_on_their_bounds_are_accepted():
    params = DriftCheck.Params.model_validate(
        {"drift_share": 1, "min_window_rows": 10, "bins": 2, "alpha": 0.001}
    )
    assert params.drift_share == 1 and params.min_window_rows == 10


# --- dataset drift batch by batch -------------------------------------------------------------


def test_dataset_drift_in_some_batches_fails_though_the_pooled_share_is_under_the_bar(drift):
    """NannyML's car loan: chunks 5-9 each have 4 of 7 features drifted while the pooled
    production shows 2 of 7. Here: 4 of 9 features move by 0.45 standard deviations in the
    last two of ten batches, under 0.1 once pooled."""
    moved = {c: 0.45 for c in ("x1", "x3", "x4", "x5")}
    batches = {
        f"b{i:02d}": population(40 + i, 400, shift=moved if i >= 9 else None, labelled=False)
        for i in range(1, 11)
    }
    result = drift(batches)
    pooled = evidence(result, "drifted_share")
    assert pooled.value <= 0.3  # pooled, drift_share passes it
    assert result.status == Status.FAIL, result.message
    assert "dataset drift in 2 of 10 batches: b09 (share 0.4444), b10 (share 0.4444)" in (
        result.message
    )
    peak = evidence(result, "max_batch_drifted_share")
    assert peak.value == pytest.approx(4 / 9) and peak.threshold == 0.3
    by_batch = table(result, "Drift by batch")
    assert [row[2] for row in by_batch.rows] == pytest.approx([0] * 8 + [4 / 9] * 2)


def test_batches_that_drift_no_more_than_drift_share_pass_it(drift, batches):
    result = drift(batches, {"drift_share": 0.3})
    assert "dataset drift in" not in result.message
    assert evidence(result, "max_batch_drifted_share").value <= 0.3


# --- plots -----------------------------------------------------------------------------------


def _overlaid(result) -> list[str]:
    return [p.x_label for p in result.plots if p.kind == "distribution"]


def test_every_drifted_feature_gets_a_distribution_overlay_and_none_two(drift, steady):
    moved = population(6, 600, shift={c: 0.8 for c in ("x1", "x3", "x4", "x5", "x6")})
    result = drift(moved.drop(columns="y"), {"drift_share": 1.0})
    drifted = [r[0] for r in table(result, "Features").rows if "drifted" in str(r[-1])]
    assert sorted(drifted) == ["x1", "x3", "x4", "x5", "x6"]
    assert sorted(_overlaid(result)) == sorted(drifted)
    assert len(_overlaid(steady)) == 2  # nothing drifted: the two that differ most


def test_importance_is_drawn_when_drift_is_weighted_by_it(drift):
    production = population(4, 600, shift={"x0": 0.3}, labelled=False)
    weighted = drift(production, {"weight_by_importance": True, "prediction_drift": "warn"})
    importance = next(p for p in weighted.plots if p.title.startswith("Permutation importance"))
    assert importance.series[0].x[0] == "x0"  # what the model uses most, first
    assert not any(p.title.startswith("Permutation") for p in drift(production).plots)
