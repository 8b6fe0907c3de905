"""``latency``: the model's file size, single-row latency, batch throughput, peak memory
and cost per 1,000 predictions, each held to the checklist's ``limits`` (an exceeded limit
fails, an unset one warns), and the performance goal ``limits.min_primary_metric``.

Timings depend on the machine, so the tests either use limits no machine can miss or meet
(1e-6 ms, 1e9 ms), or replace the clock of :mod:`mlready.perf` with a fake one on which
every single-row call takes exactly one tick: then every timing is the same on any machine
and the limits can be tested at their boundaries.
"""

from __future__ import annotations

import dataclasses
import math

import joblib
import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import mean_squared_error, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info

from mlready import perf
from mlready.checks.latency import LatencyCheck
from mlready.errors import SpecError
from mlready.results import Status
from mlready.testing import make_context, run_check
from tests.checks.common import evidence, fitted

# Few calls, one repeat, no child process: a run takes a fraction of a second.
FAST = {"calls": 20, "repeats": 1, "batch_sizes": [1], "measure_memory": False}
PRICED = {"per_hour": 0.4}
TEST_ROWS = 169
# Limits no model here can miss on any machine; memory is left out (it is not measured
# unless a test asks for it), and performance, speed and cost each still have a limit.
LOOSE = {
    "p95_latency_ms": 1e9,
    "p99_latency_ms": 1e9,
    "min_throughput_rps": 1e-9,
    "max_model_size_mb": 1e9,
    "max_cost_per_1k": 1e9,
    "min_primary_metric": 0.5,
}
# Fake clock ticks, powers of two so that readings subtract exactly. A 1/64 s tick (15.625
# ms a call): 20 calls fit in a repeat's 1 s time budget, and a repeat of 60 stops at 50
# calls. A 1/512 s tick: 50 calls fit in quick mode's 1 s hard budget. A 1 s tick: past
# the 10 s hard budget, a repeat stops at 10 calls.
TICK_S = 2**-6
QUICK_TICK_S = 2**-9
CRAWL_TICK_S = 1.0


class FakeClock:
    """Stands in for the ``time`` module in :mod:`mlready.perf`: every reading advances by
    ``tick`` seconds, so a timed single-row call (two readings) takes exactly one tick."""

    def __init__(self, tick: float) -> None:
        self.tick, self.ticks = tick, 0

    def perf_counter(self) -> float:
        self.ticks += 1
        return self.ticks * self.tick

    def perf_counter_ns(self) -> int:
        self.ticks += 1
        return self.ticks * round(self.tick * 1e9)


class BusyAtFirstClock(FakeClock):
    """A machine busy during the first ``slow_calls`` timed calls: each takes four ticks."""

    def __init__(self, tick: float, slow_calls: int) -> None:
        super().__init__(tick)
        self.slow_readings, self.readings = 2 * slow_calls, 0

    def perf_counter_ns(self) -> int:
        self.readings += 1
        self.ticks += 4 if self.readings <= self.slow_readings else 1
        return self.ticks * round(self.tick * 1e9)


class Recording(LogisticRegression):
    """Records each prediction's method and the BLAS/OpenMP thread counts it ran under."""

    def _seen(self, method: str) -> None:
        self.seen.append((method, {p["num_threads"] for p in threadpool_info()}))

    def predict(self, X):
        self._seen("predict")
        return super().predict(X)

    def predict_proba(self, X):
        self._seen("predict_proba")
        return super().predict_proba(X)


class BatchHungry(LogisticRegression):
    """Touches 64 MB of scratch memory whenever it predicts more than one row at once."""

    def predict(self, X):
        labels = super().predict(X)
        if len(X) > 1:
            scratch = np.ones(64 * 2**20 // 8)  # written, so its pages are really resident
            labels = labels if scratch[-1] == 1.0 else labels[::-1]
        return labels


def conditions(result) -> dict:
    """The measuring conditions table as item -> value."""
    return dict(next(t for t in result.tables if t.title == "Measuring conditions").rows)


def below(value: float) -> float:
    return math.nextafter(value, -math.inf)


def above(value: float) -> float:
    return math.nextafter(value, math.inf)


def throughput_batches(result) -> set[int]:
    prefix = "throughput_rps_batch_"
    return {int(name[len(prefix) :]) for name in result.metrics if name.startswith(prefix)}


@pytest.fixture
def clock(monkeypatch):
    """Install a fake clock (a 1/64 s tick unless another is given) in mlready.perf."""

    def install(tick: float = TICK_S) -> None:
        monkeypatch.setattr(perf, "time", FakeClock(tick))

    install()
    return install


@pytest.fixture(scope="module")
def latency(cancer, pipeline):
    """Run the check on the cancer splits (unless others are given) with these limits, cost
    and options (FAST, unless overridden); ``quick_audit``: the audit's --quick."""

    def run(limits=None, *, model=None, splits=None, cost=PRICED, quick_audit=False, **options):
        train, test = splits or cancer
        context = make_context(
            {"train": train, "test": test},
            model=pipeline if model is None else model,
            target="y",
            checklist={"limits": limits or {}, "cost": cost},
            quick=quick_audit,
        )
        return run_check(LatencyCheck, context, {**FAST, **options})

    return run


@pytest.fixture(scope="module")
def ticked(latency):
    """No limits, on the fake clock: the numbers every later run on it measures again."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(perf, "time", FakeClock(TICK_S))
        return latency()


@pytest.fixture(scope="module")
def measured(latency):
    """Every limit set and met, memory measured in a child process, on the real clock."""
    return latency({**LOOSE, "max_memory_mb": 1e9}, batch_sizes=[1, 32], measure_memory=True)


# --- skip and error -----------------------------------------------------------------------


def test_predictions_only_mode_skips_as_there_is_no_model_to_time(cancer):
    train, test = (frame.assign(pred=frame["y"]) for frame in cancer)
    context = make_context(
        {"train": train, "test": test}, target="y", checklist={"data": {"prediction": "pred"}}
    )
    result = run_check(LatencyCheck, context, FAST)
    assert result.status == Status.SKIP
    assert "predictions-only mode: there is no model to time" in result.message


def test_a_model_that_failed_in_its_process_is_an_error(cancer, pipeline):
    train, test = cancer
    context = make_context({"train": train, "test": test}, model=pipeline, target="y")
    broken = dataclasses.replace(context, model_problem="it was killed by SIGKILL")
    result = run_check(LatencyCheck, broken, FAST)
    assert result.status == Status.ERROR
    assert result.message == "nothing to time: it was killed by SIGKILL"


def test_a_method_the_model_does_not_have_is_an_error(latency, diabetes):
    ridge = fitted(Ridge(), diabetes)
    result = latency(model=ridge, splits=diabetes, method="predict_proba")
    assert result.status == Status.ERROR
    assert "the check crashed" in result.message
    assert "predict_proba" in result.message


# --- limits on the real clock -------------------------------------------------------------


def test_without_limits_performance_speed_and_cost_are_each_asked_for(latency, clock):
    result = latency(cost={})
    assert result.status == Status.WARN
    assert result.message == (
        "no limit set for performance (min_primary_metric); speed (p95_latency_ms, "
        "p99_latency_ms or min_throughput_rps); cost (max_cost_per_1k, max_memory_mb or "
        "max_model_size_mb): set one for each under limits in checklist.yaml"
    )
    assert evidence(result, "p95_latency_ms").op is None
    assert "cost_per_1k" not in result.metrics  # no cost.per_hour: no price


ONE_EACH = {"min_primary_metric": 0.5, "p99_latency_ms": 1e9, "max_model_size_mb": 1e9}


def test_one_limit_met_for_each_of_performance_speed_and_cost_passes(latency, clock):
    result = latency(ONE_EACH)
    assert result.status == Status.PASS, result.message
    assert result.message.startswith("within every limit: p95 ")


@pytest.mark.parametrize(
    ("left_out", "group"),
    [
        ("min_primary_metric", "performance (min_primary_metric)"),
        ("p99_latency_ms", "speed (p95_latency_ms, p99_latency_ms or min_throughput_rps)"),
        ("max_model_size_mb", "cost (max_cost_per_1k, max_memory_mb or max_model_size_mb)"),
    ],
)
def test_a_group_without_a_limit_warns_naming_only_it(latency, clock, left_out, group):
    result = latency({k: v for k, v in ONE_EACH.items() if k != left_out})
    assert result.status == Status.WARN
    assert result.message.startswith(f"no limit set for {group}: set one for each under")


def test_limits_no_machine_can_miss_pass_with_every_number_measured(measured, pipeline, tmp_path):
    assert measured.status == Status.PASS, measured.message
    assert measured.message.startswith("within every limit: p95 ")
    m = measured.metrics
    assert 0 < m["p50_latency_ms"] <= m["p95_latency_ms"] <= m["p99_latency_ms"]
    assert m["p99_latency_ms"] <= m["max_latency_ms"]
    assert throughput_batches(measured) == {1, 32, TEST_ROWS}  # the whole sample is added
    assert m["throughput_rps"] == m[f"throughput_rps_batch_{TEST_ROWS}"]
    for name in ("peak_memory_mb", "in_memory_mb", "load_s", "predict_cpu_s"):
        assert m[name] >= 0, name
    joblib.dump(pipeline, tmp_path / "model.joblib")
    assert m["model_size_mb"] == (tmp_path / "model.joblib").stat().st_size / 2**20
    assert m["cost_per_1k"] == pytest.approx(0.4 / 3600 * 1000 / m["throughput_rps"])


def test_every_set_limit_is_recorded_next_to_its_number(measured):
    judged = {
        "p95_latency_ms": (1e9, "<="),
        "p99_latency_ms": (1e9, "<="),
        "throughput_rps": (1e-9, ">="),
        "peak_memory_mb": (1e9, "<="),
        "model_size_mb": (1e9, "<="),
        "cost_per_1k": (1e9, "<="),
        "test_roc_auc": (0.5, ">="),
    }
    for name, (threshold, op) in judged.items():
        found = evidence(measured, name)
        assert (found.threshold, found.op) == (threshold, op), name
    p95 = evidence(measured, "p95_latency_ms")
    assert p95.ci_low == p95.ci_high == p95.value  # one repeat: no spread
    assert evidence(measured, "p50_latency_ms").threshold is None
    assert {"cpu", "cores", "threads", "scikit-learn"} <= set(conditions(measured))
    assert [p.reference for p in measured.plots] == [1e9, 1e-9]


def test_limits_no_machine_can_meet_fail_with_the_measured_values(latency):
    impossible = {"p95_latency_ms": 1e-6, "p99_latency_ms": 1e-6, "min_throughput_rps": 1e12}
    result = latency({**LOOSE, **impossible})
    assert result.status == Status.FAIL
    assert result.message.startswith("over the limit: p95_latency_ms ")
    assert "ms (limit <= 1.00e-06)" in result.message
    assert "p99_latency_ms " in result.message
    assert "throughput_rps " in result.message and "rows/s (limit >= " in result.message
    assert "no limit set" not in result.message  # every group has a limit


def test_a_memory_limit_in_quick_mode_is_measured_and_fails_a_hungry_model(latency, cancer):
    """Quick mode measures memory only when a limit needs judging: this one does."""
    hungry = fitted(make_pipeline(StandardScaler(), BatchHungry()), cancer)
    result = latency(
        {**LOOSE, "max_memory_mb": 32}, model=hungry, quick_audit=True, measure_memory=True
    )
    assert result.status == Status.FAIL
    assert result.metrics["peak_memory_mb"] > 60
    assert "over the limit: peak_memory_mb " in result.message
    assert "MB (limit <= 32.0)" in result.message


# --- limits at their boundaries, on the fake clock ----------------------------------------


def test_the_fake_clock_makes_every_single_row_call_take_one_tick(latency, clock, ticked):
    for name in ("p50_latency_ms", "p95_latency_ms", "p99_latency_ms", "max_latency_ms"):
        assert ticked.metrics[name] == 15.625, name
    assert latency().metrics == ticked.metrics  # and every number is the same again


@pytest.mark.parametrize("limit", ["p95_latency_ms", "p99_latency_ms"])
def test_a_latency_exactly_at_its_limit_passes_and_just_over_it_fails(latency, clock, limit):
    at = latency({**LOOSE, limit: TICK_S * 1000})
    assert at.status == Status.PASS, at.message
    assert "over the limit" not in at.message
    over = latency({**LOOSE, limit: below(TICK_S * 1000)})
    assert over.status == Status.FAIL
    assert over.message.startswith(f"over the limit: {limit} 15.625 ms (limit <= 15.625)")


def test_a_limit_broken_only_while_the_machine_was_busy_is_not_broken(latency, monkeypatch):
    """The first of two repeats ran on a busy machine (62.5 ms a call), the second did not
    (15.625 ms): the pooled p95 is over 30 ms, but the model met it in a repeat."""
    monkeypatch.setattr(perf, "time", BusyAtFirstClock(TICK_S, slow_calls=20))
    met = latency({**LOOSE, "p95_latency_ms": 30}, repeats=2)
    p95 = evidence(met, "p95_latency_ms")
    assert (p95.value, p95.ci_low, p95.ci_high) == (62.5, 15.625, 62.5)
    assert met.status == Status.PASS, met.message
    monkeypatch.setattr(perf, "time", BusyAtFirstClock(TICK_S, slow_calls=20))
    broken = latency({**LOOSE, "p95_latency_ms": 10}, repeats=2)
    assert broken.status == Status.FAIL
    assert broken.message.startswith(
        "over the limit: p95_latency_ms 62.5 ms, 15.625 in its best repeat (limit <= 10.0)"
    )


def test_a_throughput_exactly_at_its_minimum_passes_and_just_under_it_fails(latency, clock, ticked):
    rate = ticked.metrics["throughput_rps"]
    at = latency({**LOOSE, "min_throughput_rps": rate})
    assert at.status == Status.PASS, at.message
    assert evidence(at, "throughput_rps").value == rate
    short = latency({**LOOSE, "min_throughput_rps": above(rate)})
    assert short.status == Status.FAIL
    assert short.message.startswith("over the limit: throughput_rps ")


def test_a_model_file_exactly_at_its_size_limit_passes_and_just_over_it_fails(
    latency, clock, ticked
):
    size = ticked.metrics["model_size_mb"]
    at = latency({**LOOSE, "max_model_size_mb": size})
    assert at.status == Status.PASS, at.message
    over = latency({**LOOSE, "max_model_size_mb": below(size)})
    assert over.status == Status.FAIL
    assert over.message.startswith("over the limit: model_size_mb ")
    assert " MB (limit <= " in over.message


@pytest.mark.parametrize("mode", ["batch", "online"])
def test_the_cost_per_1k_is_priced_by_mode_and_held_to_its_limit(latency, clock, ticked, mode):
    """batch: at the largest batch's throughput; online: 1,000 calls of the p50 latency."""
    cost = {**PRICED, "mode": mode}
    seconds = 1000 / ticked.metrics["throughput_rps"] if mode == "batch" else TICK_S * 1000
    price = 0.4 / 3600 * seconds
    at = latency({**LOOSE, "max_cost_per_1k": price}, cost=cost)
    assert at.status == Status.PASS, at.message
    assert at.metrics["cost_per_1k"] == price
    over = latency({**LOOSE, "max_cost_per_1k": below(price)}, cost=cost)
    assert over.status == Status.FAIL
    assert over.message.startswith("over the limit: cost_per_1k ")


def test_a_score_goal_exactly_met_passes_and_just_missed_fails(latency, clock, cancer, pipeline):
    _, test = cancer
    expected = roc_auc_score(test["y"], pipeline.predict_proba(test.drop(columns="y"))[:, 1])
    auc = latency(LOOSE).metrics["test_roc_auc"]
    assert auc == pytest.approx(expected)
    met = latency({**LOOSE, "min_primary_metric": auc})
    assert met.status == Status.PASS, met.message
    missed = latency({**LOOSE, "min_primary_metric": above(auc)})
    assert missed.status == Status.FAIL
    assert "roc_auc " in missed.message and "misses the goal min_primary_metric" in missed.message


def test_an_error_goal_is_a_maximum(latency, clock, diabetes):
    ridge = fitted(Ridge(), diabetes)
    _, test = diabetes
    expected = math.sqrt(mean_squared_error(test["y"], ridge.predict(test.drop(columns="y"))))
    rmse = latency(LOOSE, model=ridge, splits=diabetes).metrics["test_rmse"]
    assert rmse == pytest.approx(expected)
    met = latency({**LOOSE, "min_primary_metric": rmse}, model=ridge, splits=diabetes)
    assert met.status == Status.PASS, met.message
    assert evidence(met, "test_rmse").op == "<="
    missed = latency({**LOOSE, "min_primary_metric": below(rmse)}, model=ridge, splits=diabetes)
    assert missed.status == Status.FAIL
    assert "rmse " in missed.message and "misses the goal min_primary_metric" in missed.message


def test_without_a_goal_the_primary_metric_is_not_computed(ticked):
    assert "test_roc_auc" not in ticked.metrics


def test_a_limit_that_is_not_a_positive_number_is_rejected_by_the_checklist(latency):
    with pytest.raises(SpecError, match="p95_latency_ms"):
        latency({"p95_latency_ms": 0})


# --- calls, repeats and the time budget ---------------------------------------------------


@pytest.mark.parametrize(("calls", "repeats"), [(20, 1), (25, 3)])
def test_calls_and_repeats_set_how_many_single_row_calls_are_timed(latency, clock, calls, repeats):
    result = latency(calls=calls, repeats=repeats)
    assert result.metrics["latency_calls"] == calls * repeats
    assert result.notes == []
    p95 = evidence(result, "p95_latency_ms")
    assert p95.ci_low == p95.ci_high == TICK_S * 1000  # the p95 of each repeat


@pytest.mark.parametrize(("option", "value"), [("calls", 19), ("repeats", 0), ("repeats", 21)])
def test_calls_and_repeats_outside_their_bounds_are_rejected(latency, option, value):
    with pytest.raises(ValidationError):
        latency(**{option: value})


def test_twenty_repeats_are_accepted():
    assert LatencyCheck.Params.model_validate({"repeats": 20}).repeats == 20


class HeavyTailedClock(FakeClock):
    """Timed calls whose durations have a heavy tail (1 / (1 - u) ticks, u spread evenly
    over [0, 1)): a p95 that more calls keep moving."""

    def __init__(self, tick: float) -> None:
        super().__init__(tick)
        self.readings = 0

    def perf_counter_ns(self) -> int:
        self.readings += 1
        u = (self.readings // 2 * 0.6180339887) % 1.0
        self.ticks += 1 if self.readings % 2 else round(1 / (1 - u))
        return self.ticks * round(self.tick * 1e9)


def test_a_repeat_stops_once_its_p95_is_pinned_down_and_noisy_timings_get_every_call(
    latency, monkeypatch
):
    monkeypatch.setattr(perf, "time", FakeClock(2**-12))
    steady = latency(calls=300, repeats=2)
    assert steady.metrics["latency_calls"] == 175  # 125 pin the p95, then 50 confirm it
    monkeypatch.setattr(perf, "time", HeavyTailedClock(2**-12))
    noisy = latency(calls=300, repeats=2)
    assert noisy.metrics["latency_calls"] == 600


def test_a_repeat_past_its_time_budget_stops_at_50_calls_without_a_note(latency, clock):
    result = latency(calls=60, repeats=2)
    assert result.metrics["latency_calls"] == 100
    assert result.notes == []  # 50 calls a repeat are enough


def test_a_model_too_slow_for_20_calls_is_noted_as_rougher(latency, clock):
    clock(CRAWL_TICK_S)
    result = latency(calls=20, repeats=2)
    assert result.metrics["latency_calls"] == 20  # 10 a repeat
    assert result.metrics["p95_latency_ms"] == 1000.0
    assert result.notes == [
        "single-row calls take about 1,000 ms, so only 20 were timed (of 40 planned): the "
        "latency percentiles are rougher than usual"
    ]


# --- batch sizes and sample rows ----------------------------------------------------------


@pytest.mark.parametrize(
    ("batch_sizes", "expected"),
    [([1, 32], {1, 32, TEST_ROWS}), ([1, TEST_ROWS, 500], {1, TEST_ROWS}), ([], {TEST_ROWS})],
)
def test_batch_sizes_below_the_sample_size_are_timed_and_the_whole_sample_always_is(
    latency, clock, batch_sizes, expected
):
    result = latency(batch_sizes=batch_sizes)
    assert throughput_batches(result) == expected
    assert result.metrics["throughput_rps"] == result.metrics[f"throughput_rps_batch_{TEST_ROWS}"]


@pytest.mark.parametrize("size", [0, -5])
def test_a_batch_size_below_one_is_rejected(latency, clock, size):
    with pytest.raises(ValidationError):
        latency(batch_sizes=[1, size])


@pytest.mark.parametrize(("sample_rows", "whole"), [(TEST_ROWS, TEST_ROWS), (168, 168), (10, 10)])
def test_sample_rows_caps_the_rows_timed(latency, clock, sample_rows, whole):
    result = latency(sample_rows=sample_rows, batch_sizes=[])
    assert throughput_batches(result) == {whole}


def test_sample_rows_below_10_is_rejected(latency):
    with pytest.raises(ValidationError):
        latency(sample_rows=9)


# --- threads, method, memory and quick ----------------------------------------------------


@pytest.fixture
def recording(cancer):
    """A scaled Recording model, with nothing recorded yet (``model[-1].seen``)."""
    model = fitted(make_pipeline(StandardScaler(), Recording()), cancer)
    model[-1].seen = []
    return model


@pytest.mark.parametrize("method", ["predict", "predict_proba"])
def test_method_is_the_model_method_timed(latency, clock, recording, method):
    result = latency(model=recording, method=method)
    assert result.status == Status.WARN, result.message
    assert {called for called, _ in recording[-1].seen} == {method}


def test_threads_pins_blas_and_openmp_while_timing_and_is_recorded(latency, clock, recording):
    """Every thread pool the model's predictions see runs the set number of threads."""
    result = latency(model=recording, threads=1)
    assert {n for _, pools in recording[-1].seen for n in pools} == {1}
    assert conditions(result)["threads"] == 1
    assert conditions(latency(threads=3))["threads"] == 3


def test_threads_below_one_is_rejected(latency):
    with pytest.raises(ValidationError):
        latency(threads=0)


def test_a_method_other_than_predict_or_predict_proba_is_rejected(latency):
    with pytest.raises(ValidationError):
        latency(method="fit")


def test_measure_memory_switches_the_child_process_measurement(latency, clock, measured):
    assert "peak_memory_mb" in measured.metrics
    assert "peak_memory_mb" not in latency(measure_memory=False).metrics


@pytest.mark.parametrize("where", ["option", "context"])
def test_quick_times_fewer_calls_whatever_the_options_say(latency, clock, where):
    clock(QUICK_TICK_S)
    options = {"quick": True} if where == "option" else {}
    result = latency(
        quick_audit=where == "context",
        calls=300,
        repeats=5,
        batch_sizes=[32],
        measure_memory=True,
        **options,
    )
    assert result.metrics["latency_calls"] == 100  # 50 calls, 2 repeats
    assert throughput_batches(result) == {1, TEST_ROWS}
    assert "peak_memory_mb" not in result.metrics  # no memory limit to judge


def test_a_memory_limit_without_measuring_memory_is_not_reported_as_met(latency, clock):
    result = latency({**LOOSE, "max_memory_mb": 1e9}, measure_memory=False)
    assert result.status == Status.WARN
    assert "limit set but not judged: max_memory_mb (memory was not measured" in result.message


def test_a_cost_limit_without_a_price_is_not_reported_as_met(latency, clock):
    result = latency(LOOSE, cost={})
    assert "cost_per_1k" not in result.metrics
    assert result.status == Status.WARN
    assert "max_cost_per_1k (there is no price to judge it by: set cost.per_hour)" in (
        result.message
    )


class SlowingClock(FakeClock):
    """A machine getting busier: each reading advances a little more than the one before."""

    def perf_counter(self) -> float:
        self.ticks += 1
        return self.ticks * self.tick * (1 + self.ticks / 50)


@pytest.mark.parametrize(("clock_type", "repeats"), [(FakeClock, 2), (SlowingClock, 3)])
def test_throughput_stops_repeating_once_two_repeats_agree(monkeypatch, clock_type, repeats):
    monkeypatch.setattr(perf, "time", clock_type(TICK_S))
    batch = pd.DataFrame({"x": range(8)})
    rates = perf._throughput(lambda rows: None, batch, perf.PerfSettings(repeats=3))
    assert len(rates) == repeats
