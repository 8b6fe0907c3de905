"""``no_regression``: with ``--compare-to`` an earlier report (the model in production), the
primary metric on test against the earlier one, with a one-sided test of the drop from both
bootstrap intervals, and p95 latency and the cost per 1,000 predictions (read from this
audit's latency check) against the earlier latency check's."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError
from scipy import stats
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error, roc_auc_score

from mlready.checks.latency import LatencyCheck
from mlready.checks.no_regression import NoRegressionCheck
from mlready.numbers import fmt
from mlready.numbers import p_value as format_p
from mlready.results import (
    AuditReport,
    CheckResult,
    Evidence,
    ModelFingerprint,
    SplitFingerprint,
    Status,
)
from mlready.testing import make_context, run_check
from tests.checks.common import CANCER_FEATURES, evidence, fitted

FAST = {"resamples": 200}
Z95 = 1.959964  # a 95% interval is this many standard errors either side


def report(*checks: CheckResult, primary: str, test_sha: str, model_path: str) -> AuditReport:
    """The earlier audit's JSON report, as --compare-to reads it."""
    return AuditReport(
        mlready_version="0.1.0",
        created_at="2026-01-01T00:00:00+00:00",
        status=Status.PASS,
        verdict="ready",
        fail_on="fail",
        seed=0,
        task="binary",
        target="y",
        primary_metric=primary,
        checklist=None,
        model=ModelFingerprint(
            path=model_path, sha256="0" * 64, format="joblib", kind="Pipeline", trusted=True
        ),
        splits=[SplitFingerprint(name="test", path="test.csv", sha256=test_sha, rows=1, columns=1)],
        questions=[],
        checks=list(checks),
    )


def result(check_id: str, *evidence: Evidence) -> CheckResult:
    return CheckResult(
        id=check_id,
        title=check_id,
        question=1,
        status=Status.PASS,
        severity="fail",
        message="",
        evidence=list(evidence),
    )


def earlier_metric(value, low=None, high=None, *, name="test_roc_auc", check="no_regression"):
    """The earlier report's primary metric on test, as a check of it recorded it."""
    return result(check, Evidence(name=name, value=value, ci_low=low, ci_high=high))


def latency_numbers(**numbers: float | None) -> CheckResult:
    """A latency check's result holding these numbers (p95_latency_ms, cost_per_1k)."""
    return result("latency", *(Evidence(name=k, value=v) for k, v in numbers.items()))


def below(value: float) -> float:
    return math.nextafter(value, -math.inf)


def standard_error(e: Evidence) -> float:
    return 0.0 if e.ci_low is None or e.ci_high is None else (e.ci_high - e.ci_low) / (2 * Z95)


def one_sided_p(before: Evidence, now: Evidence, greater_is_better: bool = True) -> float:
    """The p-value of the drop from ``before`` to ``now`` (normal approximation, unpaired)."""
    se = float(np.hypot(standard_error(now), standard_error(before)))
    z = (float(before.value) - now.value) / se
    return float(stats.norm.sf(z if greater_is_better else -z))


@pytest.fixture(scope="module")
def ridge(diabetes):
    return fitted(Ridge(), diabetes)


def context(splits, model, previous=None, checklist=None):
    train, test = splits
    return make_context(
        {"train": train, "test": test},
        model=model,
        target="y",
        checklist=checklist,
        previous=previous,
    )


@pytest.fixture(scope="module")
def compare(cancer, pipeline):
    """Run the check against an earlier report holding these check results (on the same
    test set unless ``test_sha`` says otherwise), given this audit's ``earlier`` results;
    ``model=None``: predictions-only mode."""
    same_test = context(cancer, pipeline).split_sha256("test")

    def run(
        *checks,
        options=None,
        earlier=None,
        splits=None,
        model=pipeline,
        primary="roc_auc",
        test_sha=same_test,
        model_path="production.joblib",
        checklist=None,
    ):
        previous = report(*checks, primary=primary, test_sha=test_sha, model_path=model_path)
        audited = context(splits or cancer, model, previous, checklist)
        return run_check(NoRegressionCheck, audited, {**FAST, **(options or {})}, earlier=earlier)

    return run


@pytest.fixture(scope="module")
def now(compare) -> Evidence:
    """This model's roc_auc on test, with its bootstrap interval (FAST)."""
    return evidence(compare(), "test_roc_auc")


# --- skip and error -----------------------------------------------------------------------


def test_without_an_earlier_report_it_skips(cancer, pipeline):
    found = run_check(NoRegressionCheck, context(cancer, pipeline), FAST)
    assert found.status == Status.SKIP
    assert "no earlier report to compare with: pass --compare-to" in found.message


def test_an_earlier_report_with_another_primary_metric_skips(compare):
    found = compare(earlier_metric(0.9, name="test_accuracy"), primary="accuracy")
    assert found.status == Status.SKIP
    assert found.message == (
        "the earlier report's primary metric is accuracy, not roc_auc: set metrics.primary alike"
    )


def test_a_model_that_cannot_predict_the_test_split_is_an_error(compare, cancer, pipeline):
    train, test = cancer
    broken = test.copy()
    broken.iloc[3, 0] = np.inf
    found = compare(earlier_metric(0.9), splits=(train, broken))
    assert found.status == Status.ERROR
    assert "the model failed to predict the test split" in found.message


# --- the primary metric -------------------------------------------------------------------


def test_an_earlier_report_without_the_metric_passes_with_a_note(compare, cancer, pipeline, now):
    found = compare()
    assert found.status == Status.PASS
    assert found.message == "not worse than production.joblib"
    assert found.notes == ["the earlier report holds no primary metric on test"]
    assert list(found.metrics) == ["test_roc_auc"]
    _, test = cancer
    expected = roc_auc_score(test["y"], pipeline.predict_proba(test[CANCER_FEATURES])[:, 1])
    assert now.value == pytest.approx(expected)
    assert now.ci_low < now.value < now.ci_high


def test_a_clearly_worse_model_fails_with_the_drop_and_its_p_value(compare, now):
    before = earlier_metric(now.value + 0.05)
    found = compare(before)
    assert found.status == Status.FAIL
    drop = evidence(found, "roc_auc_drop")
    assert drop.value == pytest.approx(0.05)
    assert (drop.threshold, drop.op) == (0.0, "<=")
    assert found.message.startswith("worse than the earlier model: roc_auc ")
    assert "before (drop 0.05, one-sided p" in found.message
    assert one_sided_p(before.evidence[0], now) < 1e-6
    assert found.notes == []  # measured on the same test set
    assert found.plots[0].series[0].y == [before.evidence[0].value, now.value]


def test_a_drop_within_sampling_error_only_warns(compare, now):
    before = earlier_metric(now.value + 0.01, now.value - 0.01, now.value + 0.03)
    found = compare(before)
    assert found.status == Status.WARN
    assert found.message.startswith("possibly worse, within sampling error: roc_auc ")
    p_value = one_sided_p(before.evidence[0], now)
    assert 0.05 < p_value < 0.5
    assert f"one-sided {format_p(p_value)})" in found.message


def test_alpha_exactly_at_the_p_value_warns_and_just_above_it_fails(compare, now):
    before = earlier_metric(now.value + 0.01, now.value - 0.01, now.value + 0.03)
    p_value = one_sided_p(before.evidence[0], now)
    at = compare(before, options={"alpha": p_value})
    assert at.status == Status.WARN, at.message
    over = compare(before, options={"alpha": math.nextafter(p_value, 1)})
    assert over.status == Status.FAIL
    assert "worse than the earlier model" in over.message


def test_a_drop_exactly_at_max_regression_passes_and_just_over_it_fails(compare, now):
    before = earlier_metric(now.value + 0.05)
    drop = evidence(compare(before), "roc_auc_drop").value
    at = compare(before, options={"max_regression": drop})
    assert at.status == Status.PASS, at.message
    assert evidence(at, "roc_auc_drop").threshold == drop
    over = compare(before, options={"max_regression": below(drop)})
    assert over.status == Status.FAIL
    assert "worse than the earlier model" in over.message


def test_a_better_model_passes(compare, now):
    found = compare(earlier_metric(now.value - 0.05, now.value - 0.08, now.value - 0.02))
    assert found.status == Status.PASS
    assert evidence(found, "roc_auc_drop").value == pytest.approx(-0.05)


def test_an_earlier_model_with_no_path_is_called_the_earlier_model(compare, now):
    found = compare(earlier_metric(now.value), model_path="")
    assert found.status == Status.PASS
    assert found.message == "not worse than the earlier model"


def test_the_earlier_no_regression_number_is_preferred_to_the_baseline_one(compare, now):
    own = earlier_metric(now.value + 0.05)
    baseline = earlier_metric(0.5, name="model", check="baseline")
    found = compare(baseline, own)
    assert found.status == Status.FAIL
    assert evidence(found, "roc_auc_drop").value == pytest.approx(0.05)


def test_the_baseline_check_s_model_number_is_read_when_it_is_the_only_one(compare, now):
    empty = earlier_metric(None)  # a recorded number without a value does not count
    found = compare(empty, earlier_metric(0.5, name="model", check="baseline"))
    assert found.status == Status.PASS
    assert evidence(found, "roc_auc_drop").value == pytest.approx(0.5 - now.value)


def test_an_earlier_report_on_another_test_set_is_noted(compare, now):
    found = compare(earlier_metric(now.value), test_sha="f" * 64)
    assert found.status == Status.PASS
    assert found.notes == [
        "the earlier report was measured on another test set: the comparison mixes model "
        "and data differences"
    ]


def test_an_error_metric_drops_relatively_and_rising_is_worse(compare, diabetes, ridge):
    _, test = diabetes
    rmse = math.sqrt(mean_squared_error(test["y"], ridge.predict(test.drop(columns="y"))))
    for before, status in ((rmse * 0.9, Status.FAIL), (rmse * 1.1, Status.PASS)):
        found = compare(
            earlier_metric(before, name="test_rmse"),
            primary="rmse",
            splits=diabetes,
            model=ridge,
        )
        assert found.status == status, found.message
        now = evidence(found, "test_rmse")
        assert now.value == pytest.approx(rmse)
        assert evidence(found, "rmse_drop").value == pytest.approx((rmse - before) / before)


def test_an_error_metric_rise_within_sampling_error_warns_with_the_p_value(
    compare, diabetes, ridge
):
    now = evidence(compare(primary="rmse", splits=diabetes, model=ridge), "test_rmse")
    before = earlier_metric(now.value * 0.98, now.value * 0.8, now.value * 1.1, name="test_rmse")
    found = compare(before, primary="rmse", splits=diabetes, model=ridge)
    p_value = one_sided_p(before.evidence[0], now, greater_is_better=False)
    assert 0.05 < p_value < 0.5
    assert found.status == Status.WARN
    assert f"one-sided {format_p(p_value)})" in found.message


def test_two_intervals_of_no_width_make_any_drop_significant(compare, diabetes):
    """Predictions off by exactly 1 have an rmse of 1 on every resample: no sampling error."""
    train, test = (frame.assign(pred=frame["y"] + 1) for frame in diabetes)
    found = compare(
        earlier_metric(0.99, name="test_rmse"),
        primary="rmse",
        splits=(train, test),
        model=None,
        checklist={"data": {"prediction": "pred"}},
    )
    now = evidence(found, "test_rmse")
    assert now.value == now.ci_low == now.ci_high == 1.0
    assert found.status == Status.FAIL
    assert "one-sided p<1e-16)" in found.message


def test_an_earlier_interval_starting_at_zero_is_drawn_as_it_is(compare, diabetes, ridge):
    found = compare(
        earlier_metric(0.2, 0.0, 0.4, name="test_r2"),
        primary="r2",
        splits=diabetes,
        model=ridge,
        checklist={"metrics": {"primary": "r2"}},
    )
    bars = found.plots[0].series[0]
    assert (bars.low[0], bars.high[0]) == (0.0, 0.4)


# --- latency and cost ---------------------------------------------------------------------


def test_latency_and_cost_rising_beyond_their_allowances_fail(compare):
    found = compare(
        latency_numbers(p95_latency_ms=4.0, cost_per_1k=0.8),
        earlier={"latency": latency_numbers(p95_latency_ms=5.0, cost_per_1k=0.9)},
    )
    assert found.status == Status.FAIL
    assert "p95_latency_ms rose 25.0% (4.0 -> 5.0), more than 20.0%" in found.message
    assert "cost_per_1k rose 12.5% (0.8 -> 0.9), more than 10.0%" in found.message
    rise = evidence(found, "p95_latency_ms_rise")
    assert (rise.value, rise.threshold, rise.op) == (0.25, 0.2, "<=")
    assert evidence(found, "cost_per_1k_rise").value == 0.125


@pytest.mark.parametrize(
    ("option", "name", "before", "after", "rise", "said"),
    [
        ("max_latency_regression", "p95_latency_ms", 4.0, 5.0, 0.25, "25.0%"),
        ("max_cost_regression", "cost_per_1k", 0.8, 0.9, 0.125, "12.5%"),
    ],
)
def test_a_rise_exactly_at_its_allowance_passes_and_just_over_it_fails(
    compare, option, name, before, after, rise, said
):
    def run(allowance):
        return compare(
            latency_numbers(**{name: before}),
            earlier={"latency": latency_numbers(**{name: after})},
            options={option: allowance},
        )

    assert run(rise).status == Status.PASS
    over = run(below(rise))
    assert over.status == Status.FAIL
    assert over.message.startswith(f"{name} rose {said} ")
    assert over.message.endswith(f"more than {fmt(100 * below(rise))}%")


def test_zero_allowances_pass_an_unchanged_latency_and_cost(compare):
    numbers = latency_numbers(p95_latency_ms=4.0, cost_per_1k=0.8)
    zero = {"max_latency_regression": 0.0, "max_cost_regression": 0.0}
    found = compare(numbers, earlier={"latency": numbers}, options=zero)
    assert found.status == Status.PASS
    assert found.metrics["p95_latency_ms_rise"] == found.metrics["cost_per_1k_rise"] == 0.0


@pytest.mark.parametrize(
    ("before", "after", "compared"),
    [
        ({"p95_latency_ms": 4.0}, {"p95_latency_ms": 9.0, "cost_per_1k": 0.9}, ["p95"]),
        ({"p95_latency_ms": 4.0, "cost_per_1k": 0.8}, {"p95_latency_ms": 9.0}, ["p95"]),
        ({"p95_latency_ms": 0.0, "cost_per_1k": 0.8}, {"p95_latency_ms": 9.0}, []),
    ],
)
def test_only_numbers_both_reports_hold_and_a_positive_before_are_compared(
    compare, before, after, compared
):
    found = compare(latency_numbers(**before), earlier={"latency": latency_numbers(**after)})
    rises = [name.split("_")[0] for name in found.metrics if name.endswith("_rise")]
    assert rises == compared
    assert found.status == (Status.FAIL if compared else Status.PASS)


def test_without_this_audit_s_latency_result_speed_is_not_compared(compare):
    found = compare(latency_numbers(p95_latency_ms=4.0, cost_per_1k=0.8))
    assert found.status == Status.PASS
    assert not any(name.endswith("_rise") for name in found.metrics)


def test_the_latency_check_s_own_numbers_are_read(compare, cancer, pipeline):
    """A real latency result as both the earlier report's and this audit's: nothing rose."""
    train, test = cancer
    priced = make_context(
        {"train": train, "test": test},
        model=pipeline,
        target="y",
        checklist={"cost": {"per_hour": 0.4}},
    )
    options = {"calls": 20, "repeats": 1, "batch_sizes": [1], "measure_memory": False}
    timed = run_check(LatencyCheck, priced, options)
    found = compare(timed, earlier={"latency": timed})
    assert found.status == Status.PASS, found.message
    assert found.metrics["p95_latency_ms_rise"] == 0.0
    assert found.metrics["cost_per_1k_rise"] == 0.0


# --- options ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("max_regression", -1e-9),
        ("max_latency_regression", -1e-9),
        ("max_cost_regression", -1e-9),
        ("alpha", 0.0),
        ("alpha", 0.5),
        ("resamples", 99),
        ("confidence", 0.9),
    ],
)
def test_options_outside_their_bounds_or_unknown_are_rejected(compare, option, value):
    with pytest.raises(ValidationError):
        compare(options={option: value})


def test_resamples_sets_the_interval_but_not_the_estimate(compare, now):
    fewer = evidence(compare(options={"resamples": 100}), "test_roc_auc")
    assert fewer.value == now.value
    assert (fewer.ci_low, fewer.ci_high) != (now.ci_low, now.ci_high)
    again = evidence(compare(options={"resamples": 100}), "test_roc_auc")
    assert (again.ci_low, again.ci_high) == (fewer.ci_low, fewer.ci_high)  # seeded


def test_the_defaults_are_strict_on_the_metric_and_allow_noise_in_timings():
    params = NoRegressionCheck.Params()
    assert params.model_dump() == {
        "max_regression": 0.0,
        "max_latency_regression": 0.2,
        "max_cost_regression": 0.1,
        "alpha": 0.05,
        "resamples": 1000,
    }


# --- every metric, not the primary one alone -------------------------------------------------

BALANCED = {"metrics": {"extra": ["balanced_accuracy"]}}


def test_an_extra_metric_that_fell_fails_though_the_primary_one_held(compare, now):
    """The issue's challenger: balanced accuracy 0.62 -> 0.50 while roc_auc held."""
    mine = evidence(compare(checklist=BALANCED), "test_balanced_accuracy")
    before = result(
        "metric_parity",
        Evidence(name="test_roc_auc", value=now.value, ci_low=now.ci_low, ci_high=now.ci_high),
        Evidence(
            name="test_balanced_accuracy",
            value=mine.value + 0.12,
            ci_low=mine.ci_low + 0.12,
            ci_high=mine.ci_high + 0.12,
        ),
    )
    found = compare(before, checklist=BALANCED)
    assert found.status == Status.FAIL, found.message
    assert found.message.startswith("worse than the earlier model: balanced_accuracy ")
    assert evidence(found, "roc_auc_drop").value == pytest.approx(0.0)
    assert evidence(found, "balanced_accuracy_drop").value == pytest.approx(0.12)


def test_a_drop_is_judged_at_alpha_shared_among_the_metrics_compared(compare, now):
    """Two metrics compared: a drop with a one-sided p between alpha / 2 and alpha warns."""
    mine = evidence(compare(checklist=BALANCED), "test_balanced_accuracy")
    se = standard_error(mine)
    shift = 1.9 * np.hypot(se, se)  # one-sided p = 0.029: beyond 0.05, not beyond 0.025
    before = result(
        "no_regression",
        Evidence(name="test_roc_auc", value=now.value, ci_low=now.ci_low, ci_high=now.ci_high),
        Evidence(
            name="test_balanced_accuracy",
            value=mine.value + shift,
            ci_low=mine.ci_low + shift,
            ci_high=mine.ci_high + shift,
        ),
    )
    shared = compare(before, checklist=BALANCED)
    assert shared.status == Status.WARN, shared.message
    assert shared.message.startswith("possibly worse, within sampling error: balanced_accuracy")
    alone = compare(before.model_copy(update={"evidence": before.evidence[1:]}), checklist=BALANCED)
    assert alone.status == Status.FAIL, alone.message  # one metric compared: alpha whole
