"""``ground_truth``: how much of production is labelled (overall and per window), how late
the labels arrive, and how well two annotators agree."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score

from mlready.checks.ground_truth import GroundTruthCheck
from mlready.results import Status
from mlready.testing import make_context, run_check

FEATURES = ["x0", "x1", "x2"]
TODAY = dt.date(2026, 3, 1)
PLAN = "A 2% random sample is labelled by two nurses each week."


def world(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, len(FEATURES)))
    y = rng.random(rows) < 1 / (1 + np.exp(-2 * X[:, 0]))
    return pd.DataFrame(X, columns=FEATURES).assign(y=y.astype(int))


def hide(frame: pd.DataFrame, keep: int = 0) -> pd.DataFrame:
    out = frame.copy()
    out["y"] = out["y"].astype(float)
    out.loc[out.index[keep:], "y"] = np.nan
    return out


def timed(frame: pd.DataFrame, start: str, freq: str) -> pd.DataFrame:
    return frame.assign(scored_at=pd.date_range(start, periods=len(frame), freq=freq))


def plan(date: dt.date = TODAY, **more) -> dict:
    return {
        "answers": {
            "ground_truth_process": {"answer": PLAN, "owner": "Dana Lee", "date": date, **more}
        }
    }


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return world(300, 0)


@pytest.fixture(scope="module")
def test_split() -> pd.DataFrame:
    return world(200, 1)


@pytest.fixture(scope="module")
def model(train) -> LogisticRegression:
    return LogisticRegression().fit(train[FEATURES], train["y"])


@pytest.fixture(scope="module")
def truth(train, test_split, model):
    """Run the check on this production (and these options, checklist, other splits)."""

    def run(production, options=None, checklist=None, splits=None):
        given = {"train": train, "test": test_split, **(splits or {})}
        if production is not None:
            given["production"] = production
        ctx = make_context(given, model=model, target="y", checklist=checklist, today=TODAY)
        return run_check(GroundTruthCheck, ctx, options)

    return run


@pytest.fixture(scope="module")
def timed_splits(train, test_split):
    """train and test with data.time, as the checklist then requires."""
    return {
        "train": timed(train, "2025-01-01", "h"),
        "test": timed(test_split, "2025-06-01", "h"),
    }


@pytest.fixture(scope="module")
def four_weeks() -> pd.DataFrame:
    """28 days from Monday 2026-01-05, 20 rows a day; the last week not labelled yet."""
    frame = timed(world(560, 2), "2026-01-05", "72min")
    frame["y"] = frame["y"].astype(float)
    frame.loc[frame["scored_at"] >= "2026-01-26", "y"] = np.nan
    return frame


@pytest.fixture(scope="module")
def delayed(timed_splits) -> dict:
    """11 production rows scored a day apart whose labels come 0, 1, ..., 10 days later:
    median delay 5 days, 90th percentile exactly 9."""
    production = timed(world(11, 3), "2026-01-05", "D")
    production["labelled_at"] = production["scored_at"] + pd.to_timedelta(np.arange(11), "D")
    return {
        "production": production,
        "splits": timed_splits,
        "checklist": {"data": {"time": "scored_at", "label_time": "labelled_at"}},
    }


def table(result, title: str):
    return next(t for t in result.tables if t.title.startswith(title))


def column(result, title: str, name: str) -> list:
    found = table(result, title)
    return [row[found.columns.index(name)] for row in found.rows]


# --- coverage ---------------------------------------------------------------------------


def test_no_production_split_skips(truth):
    result = truth(None)
    assert result.status == Status.SKIP
    assert "no production split" in result.message


def test_labelled_production_passes_with_its_share(truth):
    result = truth(hide(world(400, 4), keep=100))
    assert result.status == Status.PASS, result.message
    assert result.message == "ground truth arrives: 25.00% of production rows are labelled"
    assert result.metrics["production_label_share"] == pytest.approx(0.25)
    assert result.metrics["production_labels"] == 100
    assert result.tables == []  # one undated file: no windows


def test_no_label_in_production_fails_and_says_how_to_get_some(truth):
    result = truth(hide(world(300, 5)))
    assert result.status == Status.FAIL
    assert "no ground truth in production: none of 300 rows has a 'y' label" in result.message
    assert "--label-queue" in result.message
    assert "answers.ground_truth_process" in result.message
    assert result.metrics["production_label_share"] == 0.0
    assert result.metrics["production_labels"] == 0


def test_production_without_a_target_column_fails_and_measures_no_delay(truth, delayed):
    production = delayed["production"].drop(columns="y")
    result = truth(production, {"max_label_delay": "1d"}, delayed["checklist"], delayed["splits"])
    assert result.status == Status.FAIL
    assert "none of 11 rows has a 'y' label" in result.message
    assert "label_delay_p90_days" not in result.metrics


def test_a_written_plan_turns_missing_labels_into_a_warning(truth):
    result = truth(hide(world(300, 5)), checklist=plan())
    assert result.status == Status.WARN
    assert "no ground truth in production yet (300 rows unlabelled)" in result.message
    assert f"the written answer says how it will be obtained: {PLAN}" in result.message


def test_a_stale_plan_does_not_count(truth):
    stale = TODAY - dt.timedelta(days=366)  # answer_rules.max_age_days is 365
    result = truth(hide(world(300, 5)), checklist=plan(stale))
    assert result.status == Status.FAIL
    kept = truth(hide(world(300, 5)), checklist=plan(TODAY - dt.timedelta(days=365)))
    assert kept.status == Status.WARN


def test_a_not_applicable_plan_does_not_count(truth):
    answer = plan(not_applicable=True, reason="labels come from billing")
    result = truth(hide(world(300, 5)), checklist=answer)
    assert result.status == Status.FAIL


def test_batches_are_tabled_and_the_latest_unlabelled_ones_noted(truth):
    batches = {
        "b1": world(100, 6),
        "b2": hide(world(100, 7)),  # no label, but later batches have some: not waiting
        "b3": hide(world(100, 8), keep=40),
        "b4": hide(world(100, 9)),
        "b5": hide(world(50, 10)),
    }
    result = truth(batches, {"window": "month"})  # batches are the windows regardless
    assert result.status == Status.PASS, result.message
    found = table(result, "Ground truth by batch")
    assert found.columns == ["batch", "rows", "labelled", "share"]
    assert column(result, "Ground truth by batch", "batch") == ["b1", "b2", "b3", "b4", "b5"]
    assert column(result, "Ground truth by batch", "labelled") == [100, 0, 40, 0, 0]
    assert result.metrics["production_label_share"] == pytest.approx(140 / 450)
    assert (
        "no labels yet for the latest 2 batch(s) (b4, b5): expected when labels arrive with "
        "a delay; their performance is estimated only"
    ) in result.notes


@pytest.mark.parametrize(
    ("window", "count"), [("day", 28), ("week", 4), ("month", 2), ("quarter", 1)]
)
def test_window_cuts_data_time_into_calendar_windows(
    truth, timed_splits, four_weeks, window, count
):
    checklist = {"data": {"time": "scored_at"}}
    result = truth(four_weeks, {"window": window}, checklist, timed_splits)
    assert result.status == Status.PASS, result.message
    found = table(result, f"Ground truth by {window}")
    assert found.columns[0] == window
    assert len(found.rows) == count
    assert sum(column(result, f"Ground truth by {window}", "rows")) == 560
    assert sum(column(result, f"Ground truth by {window}", "labelled")) == 420
    assert result.metrics["production_label_share"] == pytest.approx(0.75)


def test_the_last_unlabelled_week_is_noted_as_waiting(truth, timed_splits, four_weeks):
    result = truth(four_weeks, {"window": "week"}, {"data": {"time": "scored_at"}}, timed_splits)
    last = column(result, "Ground truth by week", "week")[-1]
    assert last.startswith("2026-01-26")
    assert any(f"no labels yet for the latest 1 week(s) ({last})" in n for n in result.notes)
    checklist = {"data": {"time": "scored_at"}}
    monthly = truth(four_weeks, {"window": "month"}, checklist, timed_splits)
    assert any("no labels yet for the latest 1 month(s) (2026-02)" in n for n in monthly.notes)
    quarterly = truth(four_weeks, {"window": "quarter"}, checklist, timed_splits)
    assert not any("no labels yet" in n for n in quarterly.notes)  # the quarter has some


def test_an_unknown_window_is_rejected(truth):
    with pytest.raises(ValidationError):
        truth(world(50, 11), {"window": "fortnight"})


# --- label delay ------------------------------------------------------------------------


def test_label_delay_is_measured_from_data_time_to_data_label_time(truth, delayed):
    result = truth(**delayed)
    assert result.status == Status.PASS, result.message
    assert result.metrics["label_delay_median_days"] == pytest.approx(5.0)
    assert result.metrics["label_delay_p90_days"] == pytest.approx(9.0)
    p90 = {e.name: e for e in result.evidence}["label_delay_p90_days"]
    assert p90.unit == "days" and p90.threshold is None


@pytest.mark.parametrize("limit", ["9d", "216h"])
def test_max_label_delay_at_the_90th_percentile_passes(truth, delayed, limit):
    result = truth(**delayed, options={"max_label_delay": limit})
    assert result.status == Status.PASS, result.message
    p90 = {e.name: e for e in result.evidence}["label_delay_p90_days"]
    assert p90.threshold == pytest.approx(9.0) and p90.op == "<="


def test_max_label_delay_just_under_the_90th_percentile_warns(truth, delayed):
    result = truth(**delayed, options={"max_label_delay": "215h"})
    assert result.status == Status.WARN
    assert "labels arrive late: 90% within 9 days, more than 215h" in result.message
    p90 = {e.name: e for e in result.evidence}["label_delay_p90_days"]
    assert p90.threshold == pytest.approx(215 / 24)


@pytest.mark.parametrize("limit", ["0d", "-3D", "soon"])
def test_a_max_label_delay_that_is_no_positive_duration_is_rejected(truth, limit):
    with pytest.raises(ValidationError):
        truth(world(50, 11), {"max_label_delay": limit})


def test_a_label_before_its_prediction_warns(truth, delayed):
    production = delayed["production"].copy()
    production.loc[3, "labelled_at"] = production.loc[3, "scored_at"] - pd.Timedelta(hours=1)
    result = truth(production, checklist=delayed["checklist"], splits=delayed["splits"])
    assert result.status == Status.WARN
    assert "1 label(s) arrived before their prediction was made" in result.message
    assert "(labelled_at < scored_at)" in result.message


def test_label_delay_without_data_label_time_is_a_note(truth, timed_splits):
    production = timed(world(30, 12), "2026-01-05", "D")
    result = truth(production, checklist={"data": {"time": "scored_at"}}, splits=timed_splits)
    assert result.status == Status.PASS
    assert any("label delay not measured: set data.label_time" in n for n in result.notes)
    assert "label_delay_median_days" not in result.metrics


def test_label_delay_without_data_time_is_a_note(truth):
    production = world(30, 12).assign(labelled_at=pd.Timestamp("2026-01-05"))
    result = truth(production, checklist={"data": {"label_time": "labelled_at"}})
    assert result.status == Status.PASS
    assert "label delay not measured: data.time is not set" in result.notes


def test_label_delay_with_no_row_having_both_times_is_a_note(truth, delayed):
    production = delayed["production"].assign(labelled_at=pd.NaT)
    result = truth(production, checklist=delayed["checklist"], splits=delayed["splits"])
    assert result.status == Status.PASS
    assert "label delay not measured: no row has both timestamps" in result.notes


def test_a_missing_label_time_column_is_an_error(truth, delayed):
    production = delayed["production"].drop(columns="labelled_at")
    result = truth(production, checklist=delayed["checklist"], splits=delayed["splits"])
    assert result.status == Status.ERROR
    assert "no column 'labelled_at' (data.label_time)" in result.message


# --- annotator agreement ----------------------------------------------------------------


@pytest.fixture(scope="module")
def annotated(test_split):
    """test labelled twice: annotator b disagrees with a on a seeded 15% of rows."""
    frame = test_split.copy()
    wrong = np.random.default_rng(13).random(len(frame)) < 0.15
    frame["annotator_a"] = frame["y"]
    frame["annotator_b"] = np.where(wrong, 1 - frame["y"], frame["y"])
    kappa = cohen_kappa_score(frame["annotator_a"], frame["annotator_b"])
    return frame, float(kappa), float(1 - wrong.mean())


ANNOTATORS = {"data": {"labels_from": ["annotator_a", "annotator_b"]}}


def test_annotator_agreement_is_cohens_kappa(truth, annotated):
    frame, kappa, agreement = annotated
    result = truth(world(100, 14), checklist=ANNOTATORS, splits={"test": frame})
    assert result.status == Status.PASS, result.message
    assert result.metrics["annotator_kappa"] == pytest.approx(kappa)
    assert result.metrics["annotator_agreement"] == pytest.approx(agreement)
    assert result.metrics["rows_labelled_twice"] == 200
    evidence = {e.name: e for e in result.evidence}["annotator_kappa"]
    assert evidence.threshold == 0.6 and evidence.op == ">="
    assert any("the human accuracy the model is compared with" in n for n in result.notes)


def test_min_kappa_at_the_kappa_passes_and_just_above_it_warns(truth, annotated):
    frame, kappa, _ = annotated
    at = truth(world(100, 14), {"min_kappa": kappa}, ANNOTATORS, {"test": frame})
    assert at.status == Status.PASS, at.message
    above = float(np.nextafter(kappa, 1))
    over = truth(world(100, 14), {"min_kappa": above}, ANNOTATORS, {"test": frame})
    assert over.status == Status.WARN
    assert "annotators annotator_a and annotator_b agree on" in over.message
    assert f"below {above}: the labels are noisy" in over.message
    assert {e.name: e for e in over.evidence}["annotator_kappa"].threshold == above


@pytest.mark.parametrize(("min_kappa", "status"), [(-1.0, Status.PASS), (1.0, Status.WARN)])
def test_min_kappa_at_its_bounds(truth, annotated, min_kappa, status):
    frame, _, _ = annotated
    result = truth(world(100, 14), {"min_kappa": min_kappa}, ANNOTATORS, {"test": frame})
    assert result.status == status


@pytest.mark.parametrize("min_kappa", [-1.01, 1.01])
def test_min_kappa_outside_minus_one_to_one_is_rejected(truth, min_kappa):
    with pytest.raises(ValidationError):
        truth(world(50, 11), {"min_kappa": min_kappa})


def test_agreement_pools_the_rows_labelled_twice_in_every_split(truth, annotated):
    frame, _, _ = annotated
    production = world(100, 15)
    production["annotator_a"] = production["y"]
    production["annotator_b"] = production["y"]
    production.loc[production.index[30:], ["annotator_a", "annotator_b"]] = np.nan
    result = truth(production, checklist=ANNOTATORS, splits={"test": frame})
    assert result.metrics["rows_labelled_twice"] == 230
    a = pd.concat([frame["annotator_a"], production["annotator_a"][:30]])
    b = pd.concat([frame["annotator_b"], production["annotator_b"][:30]])
    expected = cohen_kappa_score(a.astype(int), b.astype(int))
    assert result.metrics["annotator_kappa"] == pytest.approx(expected)


def test_fewer_than_two_rows_labelled_twice_is_a_note(truth, test_split):
    frame = test_split.assign(annotator_a=test_split["y"], annotator_b=np.nan)
    frame.loc[0, "annotator_b"] = frame.loc[0, "annotator_a"]
    result = truth(world(100, 14), checklist=ANNOTATORS, splits={"test": frame})
    assert result.status == Status.PASS
    assert "annotator agreement not measured: 1 row(s) labelled by both" in result.notes
    assert "annotator_kappa" not in result.metrics


def test_annotator_columns_in_no_split_are_an_error(truth):
    result = truth(world(100, 14), checklist=ANNOTATORS)
    assert result.status == Status.ERROR
    assert "no split has both annotator columns 'annotator_a' and 'annotator_b'" in result.message


def test_a_second_annotator_who_labelled_a_sample_is_compared_by_value(truth, annotated):
    frame, _, _ = annotated
    sample = frame.copy()
    sample.loc[sample.index[:50], "annotator_b"] = np.nan  # b labelled 150 of 200 rows
    kept = sample.dropna(subset=["annotator_b"])
    kappa = cohen_kappa_score(kept["annotator_a"], kept["annotator_b"].astype(int))
    result = truth(world(100, 14), checklist=ANNOTATORS, splits={"test": sample})
    assert result.metrics["rows_labelled_twice"] == 150
    assert result.metrics["annotator_kappa"] == pytest.approx(kappa)
    assert result.status == Status.PASS, result.message
