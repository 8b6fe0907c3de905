"""``performance_monitoring`` on worlds where the truth is known: labels drawn from a
logistic model, so a logistic regression fitted on them is calibrated, and a batch whose
labels are partly flipped is degraded by a known amount while its inputs stay the same."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import roc_auc_score

from mlready.checks.monitoring import PerformanceMonitoringCheck
from mlready.results import Status
from mlready.stats.bootstrap import bootstrap_metrics, percentile_interval
from mlready.stats.estimation import calibration_error
from mlready.testing import make_context, run_check

BETA = np.array([1.5, -1.0, 0.8, 0.0, 0.5])
FEATURES = [f"x{i}" for i in range(BETA.size)]
ACCURACY = {"metrics": {"primary": "accuracy"}}
FAST = {"resamples": 100}


def world(
    rows: int, seed: int, shift: float = 0.0, column: int = 0, scale: float = 1.0
) -> pd.DataFrame:
    """Rows whose label is drawn from sigmoid(x . beta), x of spread ``scale``; ``shift``
    then moves one input (the labels follow the inputs as they were)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, BETA.size)) * scale
    y = rng.random(rows) < 1 / (1 + np.exp(-(X @ BETA)))
    X[:, column] += shift
    return pd.DataFrame(X, columns=FEATURES).assign(y=y.astype(int))


def flip(frame: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """A labelling fault: a share of the labels turned round, the inputs unchanged."""
    out = frame.copy()
    rows = np.random.default_rng(seed).random(len(out)) < share
    out.loc[rows, "y"] = 1 - out.loc[rows, "y"]
    return out


def hide(frame: pd.DataFrame, keep: int = 0) -> pd.DataFrame:
    """The same rows with all labels but the first ``keep`` not yet known."""
    out = frame.copy()
    out["y"] = out["y"].astype(float)
    out.loc[out.index[keep:], "y"] = np.nan
    return out


def timed(frame: pd.DataFrame, start: str, freq: str) -> pd.DataFrame:
    return frame.assign(scored_at=pd.date_range(start, periods=len(frame), freq=freq))


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return world(3000, 0)


@pytest.fixture(scope="module")
def test_split() -> pd.DataFrame:
    return world(2000, 1)


@pytest.fixture(scope="module")
def validation() -> pd.DataFrame:
    return world(1000, 2)


@pytest.fixture(scope="module")
def model(train) -> LogisticRegression:
    return LogisticRegression().fit(train[FEATURES], train["y"])


@pytest.fixture(scope="module")
def monitor(train, test_split, validation, model):
    """Run the check on this production with these options (train, test, validation and
    the model fixed); ``splits`` replaces or removes (None) other splits."""

    def run(production, options=None, checklist=ACCURACY, splits=None, **context):
        given = {"train": train, "test": test_split, "validation": validation}
        given.update(splits or {})
        if production is not None:
            given["production"] = production
        given = {name: frame for name, frame in given.items() if frame is not None}
        ctx = make_context(given, model=model, target="y", checklist=checklist, **context)
        return run_check(PerformanceMonitoringCheck, ctx, {**FAST, **(options or {})}), ctx

    return run


@pytest.fixture(scope="module")
def labelling_fault(monitor):
    """Three batches: a healthy one, then two with 30% and 40% of labels flipped."""
    batches = {
        "b1": world(400, 10),
        "b2": flip(world(400, 11), 0.3, 1),
        "b3": flip(world(400, 12), 0.4, 2),
    }
    return batches, *monitor(batches)


@pytest.fixture(scope="module")
def one_bad_batch(monitor):
    """One batch, 25% of its labels flipped: its drop from test is the measured one."""
    batches = {"b1": flip(world(600, 20), 0.25, 3)}
    result, _ = monitor(batches, {"max_drop": 1.0})
    return batches, result


def table(result, title: str):
    return next(t for t in result.tables if t.title.startswith(title))


def column(result, title: str, name: str) -> list:
    found = table(result, title)
    return [row[found.columns.index(name)] for row in found.rows]


def number(cell) -> float:
    """A numeric table cell's value, whether it is a plain number or a typed cell."""
    value = getattr(cell, "value", cell)
    return float("nan") if value is None else float(value)


def interval(cell) -> tuple[float, float]:
    """An interval table cell's bounds, whether it is a typed cell or a pair."""
    if hasattr(cell, "low"):
        return float(cell.low), float(cell.high)
    low, high = cell
    return float(low), float(high)


# --- skip, pass, warn, fail ------------------------------------------------------------


def test_no_production_split_skips(monitor):
    result, _ = monitor(None)
    assert result.status == Status.SKIP
    assert "no production split to monitor" in result.message


def test_healthy_batches_pass_with_the_test_benchmark(monitor, model, test_split):
    batches = {"b1": world(400, 30), "b2": world(400, 31)}
    result, _ = monitor(batches)
    assert result.status == Status.PASS, result.message
    assert result.message.startswith("no degradation in 2 batch(s)")
    assert "100.00% of 800 rows labelled" in result.message
    expected = model.score(test_split[FEATURES], test_split["y"])
    assert result.metrics["test_accuracy"] == pytest.approx(expected)
    assert result.metrics["windows"] == 2
    assert result.metrics["degraded_windows"] == 0
    assert result.metrics["labelled_share"] == 1.0
    latest = model.score(batches["b2"][FEATURES], batches["b2"]["y"])
    assert result.metrics["latest_accuracy"] == pytest.approx(latest)
    evidence = {e.name: e for e in result.evidence}
    assert evidence["latest_accuracy"].reference == "b2"
    assert evidence["latest_accuracy"].ci_low < latest < evidence["latest_accuracy"].ci_high
    assert table(result, "accuracy by batch").columns[0] == "batch"
    assert len(table(result, "accuracy by batch").rows) == 2
    assert not any(t.title == "Recommendations" for t in result.tables)


def test_two_degraded_batches_in_a_row_fail_and_say_where(labelling_fault):
    _, result, _ = labelling_fault
    assert result.status == Status.FAIL
    assert "accuracy degraded in 2 batch(s) (b2, b3; 2 in a row" in result.message
    assert "worst b3" in result.message
    # the inputs did not move: a labelling or concept problem, not a reason to retrain
    assert "investigate the labels and a change of concept" in result.message
    assert result.metrics["degraded_windows"] == 2
    assert column(result, "accuracy by batch", "status") == ["ok", "degraded", "degraded"]
    assert len(table(result, "Recommendations").rows) == 2
    plot = next(p for p in result.plots if p.kind == "lines")
    assert plot.marked == ["b2", "b3"]  # the degraded windows, marked on the plot
    assert plot.reference == result.metrics["test_accuracy"]  # judged against test
    assert plot.reference_low < plot.reference < plot.reference_high


def test_the_drop_is_test_minus_the_window_and_its_interval_excludes_zero(labelling_fault, model):
    batches, result, _ = labelling_fault
    realised = model.score(batches["b3"][FEATURES], batches["b3"]["y"])
    assert result.metrics["latest_accuracy"] == pytest.approx(realised)
    drops = [number(c) for c in column(result, "accuracy by batch", "drop vs test")]
    assert drops[2] == pytest.approx(result.metrics["test_accuracy"] - realised)
    low, high = interval(column(result, "accuracy by batch", "drop CI")[2])
    assert 0 < low < drops[2] < high


def test_degraded_inputs_that_drifted_recommend_retraining(monitor):
    # x0 moved and the labels follow the old inputs: the model is wrong where it now looks
    drifted = world(600, 40)
    drifted["x0"] += 2.5
    drifted = flip(drifted, 0.3, 4)
    result, _ = monitor({"b1": world(400, 41), "b2": drifted}, {"escalate_after": 1})
    assert result.status == Status.FAIL
    assert "retrain on recent data: the inputs drifted (x0" in result.message


def test_drifted_inputs_without_a_drop_only_say_watch(monitor):
    # x3 has no weight: it moves, the predictions and the accuracy do not
    result, _ = monitor({"b1": world(600, 42, shift=1.5, column=3)})
    assert result.status == Status.PASS, result.message
    advice = column(result, "Recommendations", "what to do")
    assert advice == ["watch: the inputs drifted (x3) without a measured drop in accuracy"]


def test_shifted_outputs_warn_without_labels(monitor):
    result, _ = monitor({"b1": world(400, 43), "b2": hide(world(600, 44, shift=2.0))})
    assert result.status == Status.WARN
    assert "the model's outputs shifted from test in 1 batch(s) (b2)" in result.message
    shifted = column(result, "Model outputs by batch", "outputs shifted vs test")
    assert shifted[0] == "-" and "predicted class" in shifted[1]


def test_production_without_any_label_warns_that_it_is_only_estimated(monitor):
    result, _ = monitor({"b1": hide(world(400, 45))})
    assert result.status == Status.WARN
    assert (
        "no batch has 30 labelled rows, so performance in production is not measured "
        "(only estimated)" in result.message
    )
    assert result.metrics["labelled_share"] == 0.0
    assert "latest_accuracy" not in result.metrics


def test_production_without_a_target_column_is_monitored_on_outputs_alone(monitor):
    result, _ = monitor({"b1": world(400, 46).drop(columns="y")})
    assert result.status == Status.WARN
    assert "performance in production is not measured" in result.message
    assert column(result, "accuracy by batch", "labelled") == [0]


def test_a_regression_drop_is_relative_and_never_estimated(monitor):
    data = load_diabetes(as_frame=True).frame
    data = data.sample(frac=1.0, random_state=0).reset_index(drop=True)
    train, test, production = data.iloc[:250], data.iloc[250:350], data.iloc[350:]
    model = Ridge(alpha=0.1).fit(train.drop(columns="target"), train["target"])
    noisy = production.iloc[46:].copy()
    noisy["target"] += np.random.default_rng(5).normal(0, 120, len(noisy))
    ctx = make_context(
        {"train": train, "test": test, "production": {"b1": production.iloc[:46], "b2": noisy}},
        model=model,
        target="target",
        checklist={"metrics": {"primary": "rmse"}},
    )
    # max_single_drop None: the relative drop is judged as a degradation, not a disaster
    options = {**FAST, "min_labels": 40, "max_single_drop": None}
    result = run_check(PerformanceMonitoringCheck, ctx, options)
    assert result.status == Status.WARN  # one degraded batch, escalate_after 2
    assert "rmse degraded in 1 batch(s) (b2; 1 in a row)" in result.message
    rmse = float(
        np.sqrt(np.mean((model.predict(noisy[model.feature_names_in_]) - noisy["target"]) ** 2))
    )
    assert result.metrics["latest_rmse"] == pytest.approx(rmse)
    drops = [number(c) for c in column(result, "rmse by batch", "drop vs test")]
    test_rmse = result.metrics["test_rmse"]
    assert drops[1] == pytest.approx((rmse - test_rmse) / test_rmse)
    assert "no label-free estimate of a regression model's performance" in " ".join(result.notes)

    # an error's min_metric is a maximum, judged by the interval's lower bound
    low = {e.name: e for e in result.evidence}["latest_rmse"].ci_low
    at = run_check(PerformanceMonitoringCheck, ctx, {**FAST, "min_labels": 40, "min_metric": low})
    assert "b2; 1 in a row" in at.message  # degraded by the drop, not below the maximum
    assert column(at, "rmse by batch", "status")[1] == "degraded"
    above = run_check(
        PerformanceMonitoringCheck,
        ctx,
        {**FAST, "min_labels": 40, "min_metric": float(np.nextafter(low, -np.inf))},
    )
    assert column(above, "rmse by batch", "status")[1] == "below minimum"


# --- options at their boundaries -------------------------------------------------------


def test_max_drop_just_below_the_drop_degrades_and_at_the_drop_does_not(monitor, one_bad_batch):
    batches, measured = one_bad_batch
    drop = measured.metrics["test_accuracy"] - measured.metrics["latest_accuracy"]
    assert drop > 0.1
    at, _ = monitor(batches, {"max_drop": drop, "escalate_after": 1})
    # not degraded, but a drop that far beyond chance still warns
    assert at.status == Status.WARN, at.message
    assert at.metrics["degraded_windows"] == 0
    assert column(at, "accuracy by batch", "status")[-1] == "small drop"
    assert f"each by less than max_drop {drop}" in at.message
    below, _ = monitor(batches, {"max_drop": float(np.nextafter(drop, 0)), "escalate_after": 1})
    assert below.status == Status.FAIL
    assert below.metrics["degraded_windows"] == 1


def test_a_drop_within_sampling_error_is_not_degraded_even_with_max_drop_zero(monitor):
    # 40 rows, 10% flipped: worse than test on the point estimate, but not surely
    small = flip(world(40, 47), 0.1, 5)
    result, _ = monitor({"b1": small}, {"max_drop": 0.0, "min_labels": 40, "escalate_after": 1})
    drop = result.metrics["test_accuracy"] - result.metrics["latest_accuracy"]
    assert drop > 0
    low, _ = interval(column(result, "accuracy by batch", "drop CI")[0])
    assert low <= 0
    assert column(result, "accuracy by batch", "status") == ["ok"]
    assert result.metrics["degraded_windows"] == 0
    assert "degraded" not in result.message


def test_min_labels_is_the_fewest_labels_a_window_is_judged_on(monitor):
    batch = {"b1": hide(flip(world(400, 48), 0.5, 6), keep=40)}  # 40 labels, half wrong
    judged, _ = monitor(batch, {"min_labels": 40, "escalate_after": 1})
    assert judged.status == Status.FAIL
    assert column(judged, "accuracy by batch", "status") == ["degraded"]
    assert judged.metrics["labelled_share"] == pytest.approx(0.1)
    not_judged, _ = monitor(batch, {"min_labels": 41, "escalate_after": 1})
    assert column(not_judged, "accuracy by batch", "status") == ["not enough ground truth"]
    assert "latest_accuracy" not in not_judged.metrics
    assert not_judged.status == Status.WARN
    assert "no batch has 41 labelled rows" in not_judged.message
    assert "degraded" not in not_judged.message


def test_min_labels_below_five_is_rejected(monitor):
    with pytest.raises(ValidationError):
        monitor({"b1": world(50, 49)}, {"min_labels": 4})
    result, _ = monitor({"b1": world(50, 49)}, {"min_labels": 5})
    assert result.status == Status.PASS, result.message


def test_escalate_after_counts_degraded_windows_in_a_row(labelling_fault, monitor):
    batches, two_in_a_row, _ = labelling_fault
    assert two_in_a_row.status == Status.FAIL  # escalate_after 2 (default)
    no_disaster = {"max_single_drop": None}  # only runs of degraded windows fail
    three, _ = monitor(batches, {**no_disaster, "escalate_after": 3})
    assert three.status == Status.WARN
    assert "accuracy degraded in 2 batch(s) (b2, b3; 2 in a row)" in three.message
    apart = {"b1": batches["b2"], "b2": world(400, 50), "b3": batches["b3"]}
    interrupted, _ = monitor(apart, {**no_disaster, "escalate_after": 2})
    assert interrupted.status == Status.WARN
    assert "(b1, b3; 1 in a row)" in interrupted.message
    single, _ = monitor(apart, {**no_disaster, "escalate_after": 1})
    assert single.status == Status.FAIL


def test_escalate_after_zero_is_rejected(monitor):
    with pytest.raises(ValidationError):
        monitor({"b1": world(50, 49)}, {"escalate_after": 0})


def test_min_metric_fails_a_window_surely_below_it(monitor, one_bad_batch):
    batches, measured = one_bad_batch
    high = {e.name: e for e in measured.evidence}["latest_accuracy"].ci_high
    options = {"max_drop": 1.0, "escalate_after": 1}
    at, _ = monitor(batches, {**options, "min_metric": high})
    assert column(at, "accuracy by batch", "status") == ["small drop"]  # not below minimum
    assert at.status == Status.WARN, at.message
    above, _ = monitor(batches, {**options, "min_metric": float(np.nextafter(high, 1))})
    assert above.status == Status.FAIL
    assert column(above, "accuracy by batch", "status") == ["below minimum"]
    assert "accuracy degraded in 1 batch(s) (b1; 1 in a row; b1 alone fails" in above.message


def test_one_window_surely_far_below_test_fails_at_once(monitor, one_bad_batch):
    """A quarter of one batch's labels flipped: far more than max_single_drop below test,
    so it fails though escalate_after asks for two windows in a row."""
    batches, measured = one_bad_batch
    low = interval(column(measured, "accuracy by batch", "drop CI")[0])[0]
    at, _ = monitor(batches, {"max_single_drop": low})
    assert at.status == Status.WARN, at.message  # its interval reaches the limit
    beyond, _ = monitor(batches, {"max_single_drop": float(np.nextafter(low, 0))})
    assert beyond.status == Status.FAIL
    assert "(b1; 1 in a row; b1 alone fails: surely more than max_single_drop" in beyond.message
    assert monitor(batches, {"max_single_drop": None})[0].status == Status.WARN


def test_a_window_surely_below_min_metric_fails_at_once(monitor, one_bad_batch):
    batches, measured = one_bad_batch
    high = {e.name: e for e in measured.evidence}["latest_accuracy"].ci_high
    options = {"max_drop": 1.0, "escalate_after": 3, "min_metric": float(np.nextafter(high, 1))}
    assert monitor(batches, options)[0].status == Status.FAIL
    assert monitor(batches, {**options, "max_single_drop": None})[0].status == Status.WARN


def test_max_single_drop_below_zero_is_rejected(monitor):
    with pytest.raises(ValidationError):
        monitor({"b1": world(50, 49)}, {"max_single_drop": -0.01})


def test_min_metric_defaults_to_the_checklists_performance_goal(monitor, one_bad_batch):
    batches, measured = one_bad_batch
    high = {e.name: e for e in measured.evidence}["latest_accuracy"].ci_high
    goal = {**ACCURACY, "limits": {"min_primary_metric": float(np.nextafter(high, 1))}}
    options = {"max_drop": 1.0, "escalate_after": 1}
    from_limits, _ = monitor(batches, options, checklist=goal)
    assert from_limits.status == Status.FAIL
    # the option wins over the checklist's goal
    overridden, _ = monitor(batches, {**options, "min_metric": high}, checklist=goal)
    assert column(overridden, "accuracy by batch", "status") == ["small drop"]
    assert overridden.status == Status.WARN, overridden.message


def test_resamples_and_confidence_set_the_benchmark_interval(monitor, one_bad_batch):
    batches, _ = one_bad_batch
    for resamples, confidence in [(100, 0.95), (137, 0.8)]:
        result, ctx = monitor(batches, {"resamples": resamples, "confidence": confidence})
        samples = bootstrap_metrics(
            [ctx.primary],
            ctx.y("test"),
            ctx.prediction("test"),
            resamples,
            ctx.rng("performance_monitoring"),
        )["accuracy"]
        benchmark = {e.name: e for e in result.evidence}["test_accuracy"]
        assert (benchmark.ci_low, benchmark.ci_high) == pytest.approx(
            percentile_interval(samples, confidence)
        )


def test_resamples_below_one_hundred_are_rejected(monitor):
    with pytest.raises(ValidationError):
        monitor({"b1": world(50, 49)}, {"resamples": 99})


def test_a_higher_confidence_widens_the_interval_a_window_is_judged_by(monitor, one_bad_batch):
    batches, _ = one_bad_batch
    options = {"max_drop": 1.0, "escalate_after": 1}
    narrow, _ = monitor(batches, {**options, "confidence": 0.8})
    wide, _ = monitor(batches, {**options, "confidence": 0.99})
    n = {e.name: e for e in narrow.evidence}["latest_accuracy"]
    w = {e.name: e for e in wide.evidence}["latest_accuracy"]
    assert w.ci_low < n.ci_low < n.value < n.ci_high < w.ci_high
    # a goal between the two upper bounds: surely missed at 80%, not at 99%
    goal = (n.ci_high + w.ci_high) / 2
    missed, _ = monitor(batches, {**options, "confidence": 0.8, "min_metric": goal})
    assert missed.status == Status.FAIL
    unsure, _ = monitor(batches, {**options, "confidence": 0.99, "min_metric": goal})
    assert column(unsure, "accuracy by batch", "status") == ["small drop"]
    assert unsure.status == Status.WARN, unsure.message


@pytest.mark.parametrize("confidence", [0.5, 1.0])
def test_confidence_outside_its_range_is_rejected(monitor, confidence):
    with pytest.raises(ValidationError):
        monitor({"b1": world(50, 49)}, {"confidence": confidence})


def test_low_confidence_counts_predictions_strictly_below_it(monitor, model):
    batch = world(400, 51)
    confidence = model.predict_proba(batch[FEATURES]).max(axis=1)
    cut = float(np.sort(confidence)[100])  # the 101st least confident prediction
    name = "Model outputs by batch"
    at, _ = monitor({"b1": batch}, {"low_confidence": cut})
    assert f"share with confidence < {cut}" in table(at, name).columns
    share = number(column(at, name, f"share with confidence < {cut}")[0])
    assert share == pytest.approx(np.mean(confidence < cut))
    above = float(np.nextafter(cut, 1))
    past, _ = monitor({"b1": batch}, {"low_confidence": above})
    share_past = number(column(past, name, f"share with confidence < {above}")[0])
    assert share_past == pytest.approx(share + 1 / 400)


@pytest.mark.parametrize("low_confidence", [0.0, 1.0])
def test_low_confidence_outside_zero_to_one_is_rejected(monitor, low_confidence):
    with pytest.raises(ValidationError):
        monitor({"b1": world(50, 49)}, {"low_confidence": low_confidence})


def test_estimate_switch_decides_whether_unlabelled_windows_are_estimated(monitor, model):
    # every row near the decision boundary: the model is unsure, and its accuracy low
    unsure = world(1500, 52, scale=0.2)
    truth = model.score(unsure[FEATURES], unsure["y"])
    batches = {"b0": world(400, 53), "b1": hide(unsure)}
    estimated, _ = monitor(batches, {"estimate": True})
    assert estimated.status == Status.WARN
    assert (
        "estimated accuracy dropped beyond chance in 1 batch(s) without enough labels to "
        "confirm (b1)" in estimated.message
    )
    assert column(estimated, "accuracy by batch", "status") == ["ok", "estimated drop"]
    value = number(column(estimated, "accuracy by batch", "estimated accuracy")[1])
    assert value == pytest.approx(truth, abs=0.04)
    assert "estimation_error_accuracy" in estimated.metrics  # b0 has both
    assert "estimated without labels from calibrated probabilities" in " ".join(estimated.notes)

    off, _ = monitor(batches, {"estimate": False})
    assert "estimated accuracy dropped" not in off.message
    assert column(off, "accuracy by batch", "status") == ["ok", "not enough ground truth"]
    assert all(c is None for c in column(off, "accuracy by batch", "estimated accuracy"))
    assert "estimation_error_accuracy" not in off.metrics
    assert off.notes == []


def test_an_estimated_drop_below_max_drop_warns_and_never_fails(monitor):
    unsure = world(1500, 52, scale=0.2)
    batches = {"b0": world(400, 53), "b1": hide(unsure), "b2": hide(unsure)}
    result, _ = monitor(batches, {"max_drop": 0.5, "escalate_after": 1})
    assert column(result, "accuracy by batch", "status")[1:] == ["estimated drop"] * 2
    assert result.status == Status.WARN, result.message
    assert result.metrics["degraded_windows"] == 0


def test_healthy_small_unlabelled_windows_raise_no_estimated_drop(monitor):
    # the model is calibrated and every batch is drawn as test was: nothing dropped
    healthy = {f"b{i}": hide(world(20, 500 + i)) for i in range(28)}
    result, _ = monitor(healthy)
    assert "estimated accuracy dropped" not in result.message


def test_no_labels_and_no_estimate_says_not_measured_without_only_estimated(monitor):
    result, _ = monitor({"b1": hide(world(400, 45))}, {"estimate": False})
    assert result.status == Status.WARN
    assert "performance in production is not measured" in result.message
    assert "(only estimated)" not in result.message


def test_on_few_reference_rows_max_calibration_error_decides_whether_to_recalibrate(
    monitor, model, test_split
):
    score = model.predict_proba(test_split[FEATURES])[:, 1]
    ece = calibration_error(test_split["y"].to_numpy() == 1, score)
    batches = {"b1": hide(world(400, 54))}
    few = {"validation": world(999, 2)}  # under 1,000 rows: isotonic would overfit
    kept, _ = monitor(batches, {"max_calibration_error": ece}, splits=few)
    notes = " ".join(kept.notes)
    assert "calibrated" in notes and "recalibrated" not in notes
    below = float(np.nextafter(ece, 0))
    repaired, _ = monitor(batches, {"max_calibration_error": below}, splits=few)
    notes = " ".join(repaired.notes)
    assert "miscalibrated on test" in notes
    assert "recalibrated with sigmoid on validation" in notes


class Sharpened(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose probabilities are a little too sure of themselves
    (logits times ``factor``): its calibration error stays under 0.05."""

    def __init__(self, inner=None, factor: float = 1.2):
        self.inner = inner
        self.factor = factor

    def fit(self, X, y):
        self.classes_ = self.inner.classes_
        return self

    def predict_proba(self, X):
        p = self.inner.predict_proba(X)[:, 1]
        sharp = 1 / (1 + np.exp(-self.factor * np.log(p / (1 - p))))
        return np.column_stack([1 - sharp, sharp])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def test_from_1000_reference_rows_even_a_small_calibration_error_is_repaired(
    train, test_split, validation, model
):
    """NannyML's car loan: an error of 0.029, under the 0.05 that used to trigger a repair,
    left estimated ROC AUC 4x less accurate. Fitted on validation's 1,000 rows, isotonic
    regression brings the estimate nearer the realised value."""
    sure = Sharpened(model).fit(train[FEATURES], train["y"])
    ece = calibration_error(
        test_split["y"].to_numpy() == 1, sure.predict_proba(test_split[FEATURES])[:, 1]
    )
    assert 0.01 < ece < 0.05
    production = world(6000, 77)
    realised = roc_auc_score(production["y"], sure.predict_proba(production[FEATURES])[:, 1])
    splits = {
        "train": train,
        "test": test_split,
        "validation": validation,
        "production": {"b1": hide(production)},
    }
    context = make_context(splits, model=sure, target="y")

    def estimate_error(calibration: str) -> tuple[float, str]:
        result = run_check(
            PerformanceMonitoringCheck, context, {**FAST, "calibration": calibration}
        )
        rows = next(t for t in result.tables if "by batch" in t.title)
        column = rows.columns.index("estimated roc_auc")
        return abs(float(rows.rows[0][column]) - realised), " ".join(result.notes)

    repaired, notes = estimate_error("auto")
    assert "recalibrated with isotonic on validation" in notes
    kept, _ = estimate_error("none")
    assert repaired < kept / 2, (repaired, kept, ece)


def test_max_calibration_error_must_be_positive(monitor):
    with pytest.raises(ValidationError):
        monitor({"b1": world(50, 49)}, {"max_calibration_error": 0.0})


@pytest.mark.parametrize(
    ("calibration", "validation_rows", "said"),
    [
        ("auto", 1000, "recalibrated with isotonic on validation"),
        ("auto", 999, "recalibrated with sigmoid on validation"),
        ("isotonic", 999, "recalibrated with isotonic on validation"),
        ("sigmoid", 1000, "recalibrated with sigmoid on validation"),
        ("sigmoid", 0, "recalibrated with sigmoid on test"),
        ("none", 1000, "not calibrated (not repaired)"),
    ],
)
def test_calibration_picks_the_recalibration(monitor, calibration, validation_rows, said):
    options = {"max_calibration_error": 1e-9, "calibration": calibration}
    splits = {"validation": world(validation_rows, 2) if validation_rows else None}
    result, _ = monitor({"b1": hide(world(400, 54))}, options, splits=splits)
    notes = " ".join(result.notes)
    assert said in notes
    if validation_rows == 0:
        assert "no validation split, so this is optimistic" in notes


def test_an_unknown_calibration_is_rejected(monitor):
    with pytest.raises(ValidationError):
        monitor({"b1": world(50, 49)}, {"calibration": "platt"})


# --- windows ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def four_weeks(train, test_split, validation, model):
    """28 days from Monday 2026-01-05, 20 rows a day; the checklist sets data.time."""

    def run(options):
        splits = {
            "train": timed(train, "2025-01-01", "h"),
            "test": timed(test_split, "2025-06-01", "h"),
            "validation": timed(validation, "2025-09-01", "h"),
            "production": timed(world(560, 60), "2026-01-05", "72min"),
        }
        checklist = {**ACCURACY, "data": {"time": "scored_at"}}
        ctx = make_context(splits, model=model, target="y", checklist=checklist)
        return run_check(PerformanceMonitoringCheck, ctx, {**FAST, **options})

    return run


@pytest.mark.parametrize(
    ("window", "count"), [("day", 28), ("week", 4), ("month", 2), ("quarter", 1)]
)
def test_window_cuts_data_time_into_calendar_windows(four_weeks, window, count):
    result = four_weeks({"window": window, "min_labels": 20})
    assert result.metrics["windows"] == count
    assert result.message.startswith(f"no degradation in {count} {window}(s)")
    performance = table(result, f"accuracy by {window}")
    assert performance.columns[0] == window
    assert len(performance.rows) == count
    assert sum(column(result, f"accuracy by {window}", "rows")) == 560


def test_a_day_with_fewer_labels_than_min_labels_is_not_judged(four_weeks):
    result = four_weeks({"window": "day", "estimate": False})  # 20 rows a day, min_labels 30
    assert result.status == Status.WARN
    assert "no day has 30 labelled rows" in result.message
    assert set(column(result, "accuracy by day", "status")) == {"not enough ground truth"}


def test_batches_are_the_windows_whatever_the_window_option(monitor):
    result, _ = monitor({"first": world(300, 61), "second": world(300, 62)}, {"window": "month"})
    assert result.metrics["windows"] == 2
    assert column(result, "accuracy by batch", "batch") == ["first", "second"]


def test_one_undated_production_file_is_one_window(monitor):
    result, _ = monitor(world(300, 63))
    assert result.metrics["windows"] == 1
    assert result.message.startswith("no degradation in 1 window(s)")
    assert column(result, "accuracy by window", "window") == ["production"]


def test_extra_metrics_are_reported_per_window(monitor):
    checklist = {"metrics": {"primary": "accuracy", "extra": ["f1"]}}
    result, _ = monitor({"b1": world(300, 64)}, checklist=checklist)
    extras = table(result, "Extra metrics by batch")
    assert extras.columns == ["batch", "f1", "estimated f1"]
    assert len(extras.rows) == 1


def test_the_same_seed_gives_the_same_result(monitor, labelling_fault):
    batches, first, _ = labelling_fault
    again, _ = monitor(batches)
    assert again.evidence == first.evidence
    assert again.message == first.message


def test_a_long_list_of_windows_says_how_many_it_leaves_out(monitor):
    faulty = {f"b{i}": flip(world(300, 700 + i), 0.4, i) for i in range(1, 7)}
    result, _ = monitor(faulty)
    assert "accuracy degraded in 6 batch(s) (b1, b2, b3, b4 and 2 more; 6 in a row" in (
        result.message
    )


def test_a_model_perfect_on_test_raises_no_estimated_drop_on_windows_drawn_as_test() -> None:
    """A small test set the model happens to rank perfectly: every bootstrap resample
    scores ROC AUC 1.0, so the realised metric shows no sampling spread at all. The
    estimate's own spread over resamples of test must still keep windows drawn as test was
    from alerting (seed 1188: the first 120-row draw of this world ranked perfectly)."""
    train, test = world(3000, 0, scale=6), world(120, 1188, scale=6)
    model = LogisticRegression().fit(train[FEATURES], train["y"])
    assert roc_auc_score(test["y"], model.predict_proba(test[FEATURES])[:, 1]) == 1
    production = {f"b{i}": hide(world(120, 2000 + i, scale=6)) for i in range(10)}
    ctx = make_context(
        {"train": train, "test": test, "production": production},
        model=model,
        target="y",
        checklist={"metrics": {"primary": "roc_auc"}},
    )
    result = run_check(PerformanceMonitoringCheck, ctx, FAST)
    assert column(result, "roc_auc by batch", "status") == ["not enough ground truth"] * 10
    assert "estimated roc_auc dropped" not in result.message
