"""``data_quality``: test, validation and production (batch file by batch file) held to a
data contract: the file ``contract`` names, or else a draft inferred from train (with range
margin ``margin``) whose findings only warn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError
from sklearn.tree import DecisionTreeClassifier

from mlready.checks.data_quality import DataQualityCheck
from mlready.results import Status
from mlready.spec import load_spec
from mlready.testing import make_context, run_check

FEATURES = ["age", "income"]
CITIES = ["lima", "oslo", "pune"]
CONTRACT = {
    "columns": {
        "age": {"type": "integer", "nullable": False, "min": 0, "max": 120},
        "income": {"type": "number", "min": 0},
        "city": {"type": "string", "levels": CITIES},
        "y": {"type": "integer", "required": False, "levels": [0, 1]},
    }
}
DRAFTED = "no data contract in the checklist, so nothing guards incoming data"
RANGE = "row(s) with a value outside min/max in age"


def world(rows: int, seed: int) -> pd.DataFrame:
    """Ages 0 to 100 (both ends present, values repeat), incomes, a city, a binary target."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.integers(0, 101, rows),
            "income": rng.normal(50, 10, rows).round(2),
            "city": rng.choice(CITIES, rows),
        }
    )
    frame.loc[:1, "age"] = [0, 100]
    frame["y"] = (frame["income"] + rng.normal(0, 5, rows) > 50).astype(int)
    return frame


def unlabelled(rows: int, seed: int, **changes) -> pd.DataFrame:
    """A production batch; ``changes`` maps a column to {row position: value}."""
    frame = world(rows, seed).drop(columns="y")
    for column, values in changes.items():
        if column not in frame:
            frame[column] = pd.Series(dtype=object)
        for row, value in values.items():
            frame.loc[row, column] = value
    return frame


def write(folder, name: str, content: dict) -> str:
    path = folder / name
    path.write_text(yaml.safe_dump(content))
    return str(path)


def with_batch(**rules) -> dict:
    return {**CONTRACT, "batch": rules}


@pytest.fixture(scope="module")
def splits() -> dict:
    return {"train": world(300, 0), "test": world(100, 1), "validation": world(80, 2)}


@pytest.fixture(scope="module")
def model(splits):
    train = splits["train"]
    return DecisionTreeClassifier(max_depth=3, random_state=0).fit(train[FEATURES], train.y)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("contracts")


@pytest.fixture(scope="module")
def contract(folder) -> str:
    return write(folder, "contract.yaml", CONTRACT)


@pytest.fixture(scope="module")
def quality(splits, model):
    """The check on train and test, plus the given splits (a None split is left out)."""

    def run(options=None, checklist=None, **given):
        chosen = {"train": splits["train"], "test": splits["test"], **given}
        present = {name: frame for name, frame in chosen.items() if frame is not None}
        context = make_context(present, model=model, target="y", checklist=checklist)
        return run_check(DataQualityCheck, context, options)

    return run


def broken_share(frame: pd.DataFrame) -> float:
    """The share of rows breaking a row rule of CONTRACT, computed here."""
    age = pd.to_numeric(frame["age"], errors="coerce")
    bad = age.isna() | (age < 0) | (age > 120) | ~frame["city"].isin(CITIES)
    return float(bad.mean())


# --- contract --------------------------------------------------------------------------------


def test_splits_that_meet_the_contract_pass_with_their_row_counts(quality, splits, contract):
    result = quality(
        {"contract": contract},
        validation=splits["validation"],
        production=unlabelled(50, 3),
    )
    assert result.status == Status.PASS, result.message
    assert result.message == (
        f"every rule of the data contract ({contract}) is met: test, validation, production, "
        "230 rows"
    )
    assert result.metrics == {
        "test_rows": 100,
        "test_invalid_share": 0.0,
        "validation_rows": 80,
        "validation_invalid_share": 0.0,
        "production_rows": 50,
        "production_invalid_share": 0.0,
    }
    share = next(e for e in result.evidence if e.name == "production_invalid_share")
    assert share.threshold == 0.0 and share.op == "<="  # the contract's max_invalid_fraction
    assert result.notes == []


@pytest.fixture(scope="module")
def broken() -> pd.DataFrame:
    """Three bad rows in 50: an age out of range, an unknown city, a missing age."""
    return unlabelled(50, 3, age={4: 150, 9: np.nan}, city={7: "paris"})


def test_rows_breaking_row_rules_fail_with_the_share_quarantined(quality, contract, broken):
    result = quality({"contract": contract}, production=broken)
    assert result.status == Status.FAIL
    assert result.message.startswith("production (<production in memory>): ")
    assert f"1 {RANGE}" in result.message
    assert "1 row(s) with a value not among the levels in city" in result.message
    assert "1 row(s) with a missing value where none is allowed in age" in result.message
    assert result.metrics["production_invalid_share"] == broken_share(broken) == 3 / 50
    assert result.metrics["test_invalid_share"] == 0.0
    assert any(
        "production: 3 of 50 rows (6.00%) break a row rule" in note
        and "mlready validate --quarantine FILE" in note
        for note in result.notes
    )


def test_an_invalid_share_at_max_invalid_fraction_only_warns(quality, folder, broken):
    at = write(folder, "tolerant.yaml", with_batch(max_invalid_fraction=0.06))
    result = quality({"contract": at}, production=broken)
    assert result.status == Status.WARN
    assert f"1 {RANGE}" in result.message
    share = next(e for e in result.evidence if e.name == "production_invalid_share")
    assert share.value == 0.06 == share.threshold


def test_an_invalid_share_just_above_max_invalid_fraction_fails(quality, folder, broken):
    below = write(folder, "strict.yaml", with_batch(max_invalid_fraction=0.0599))
    result = quality({"contract": below}, production=broken)
    assert result.status == Status.FAIL
    assert "3 of 50 rows (6.00%) quarantined" in result.message


def test_a_missing_required_column_fails(quality, contract):
    result = quality({"contract": contract}, production=unlabelled(30, 4).drop(columns="city"))
    assert result.status == Status.FAIL
    assert "required column 'city' is missing" in result.message


@pytest.mark.parametrize(("extra", "status"), [("warn", Status.WARN), ("fail", Status.FAIL)])
def test_a_column_the_contract_does_not_list_does_what_extra_columns_says(
    quality, folder, extra, status
):
    path = write(folder, f"extra-{extra}.yaml", with_batch(extra_columns=extra))
    result = quality({"contract": path}, production=unlabelled(30, 4, note={0: "call back"}))
    assert result.status == status
    assert "production (<production in memory>): columns the contract does not list: 'note'" in (
        result.message
    )


def test_a_production_folder_is_checked_batch_by_batch(quality, contract, broken):
    batches = {"2026-11-01": unlabelled(40, 5), "2026-11-02": broken}
    result = quality({"contract": contract}, production=batches)
    assert result.status == Status.FAIL
    assert "production (production/2026-11-02)" in result.message
    assert "2026-11-01" not in result.message
    assert result.metrics["production_rows"] == 90
    assert result.metrics["production_invalid_share"] == pytest.approx(3 / 90)


@pytest.fixture(scope="module")
def timed(folder) -> str:
    """CONTRACT with a timestamp whose newest value must be at most a day old."""
    columns = {**CONTRACT["columns"], "seen": {"type": "datetime"}}
    fresh = {"freshness": {"column": "seen", "max_age": "1d"}}
    return write(folder, "fresh.yaml", {"columns": columns, "batch": fresh})


def stamped(frame: pd.DataFrame, newest: pd.Timestamp) -> pd.DataFrame:
    return frame.assign(seen=pd.date_range(end=newest, periods=len(frame), freq="min"))


def test_only_production_has_an_age_to_judge(quality, splits, timed):
    old = pd.Timestamp("2020-01-01", tz="UTC")
    result = quality(
        {"contract": timed},
        test=stamped(splits["test"], old),
        production=stamped(unlabelled(30, 6), old),
    )
    assert result.status == Status.FAIL
    assert "production (<production in memory>): newest seen is 2020-01-01" in result.message
    assert "(at most 1d)" in result.message
    assert "test (" not in result.message


def test_recent_production_is_fresh(quality, splits, timed):
    now = pd.Timestamp.now(tz="UTC").floor("min")
    old = pd.Timestamp("2020-01-01", tz="UTC")
    result = quality(
        {"contract": timed},
        test=stamped(splits["test"], old),
        production=stamped(unlabelled(30, 6), now - pd.Timedelta("1h")),
    )
    assert result.status == Status.PASS, result.message


def test_a_missing_contract_file_is_an_error_naming_it(quality, folder):
    result = quality({"contract": str(folder / "nowhere.yaml")})
    assert result.status == Status.ERROR
    assert f"contract file {folder / 'nowhere.yaml'} does not exist" in result.message
    assert "mlready contract infer" in result.message


def test_a_contract_with_an_unknown_key_is_an_error_naming_it(quality, folder):
    path = write(folder, "typo.yaml", {"colums": CONTRACT["columns"]})
    result = quality({"contract": path})
    assert result.status == Status.ERROR
    assert "colums: unknown key" in result.message


def test_the_contract_path_is_relative_to_the_checklist(splits, model, tmp_path, monkeypatch):
    settings = tmp_path / "settings"
    settings.mkdir()
    write(settings, "contract.yaml", CONTRACT)
    write(settings, "checklist.yaml", {"checks": {"data_quality": {"contract": "contract.yaml"}}})
    monkeypatch.chdir(tmp_path)  # not the checklist's folder
    spec = load_spec(settings / "checklist.yaml")
    context = make_context(
        {"train": splits["train"], "test": splits["test"]}, model=model, target="y", checklist=spec
    )
    result = run_check(DataQualityCheck, context, spec.checks["data_quality"].options())
    assert result.status == Status.PASS, result.message
    assert "(contract.yaml) is met: test, 100 rows" in result.message


def test_an_in_memory_checklist_reads_the_contract_from_the_working_folder(
    quality, tmp_path, monkeypatch
):
    write(tmp_path, "contract.yaml", CONTRACT)
    monkeypatch.chdir(tmp_path)
    result = quality({"contract": "contract.yaml"})
    assert result.status == Status.PASS, result.message


# --- a draft inferred from train -------------------------------------------------------------


def test_without_a_contract_a_draft_from_train_is_used_and_only_warns(quality):
    result = quality()
    assert result.status == Status.WARN
    assert result.message.startswith(DRAFTED)
    assert "a draft inferred from train was used" in result.message
    assert "set checks.data_quality.contract" in result.message
    assert result.metrics == {"test_rows": 100, "test_invalid_share": 0.0}


def test_a_draft_turns_failures_into_warnings(quality, broken):
    result = quality(production=broken.drop(columns="city"))
    assert result.status == Status.WARN
    assert "required column 'city' is missing" in result.message
    # The draft allows ages past 150 (see margin below): only the missing age breaks a rule.
    assert "1 row(s) with a missing value where none is allowed in age" in result.message
    assert result.metrics["production_invalid_share"] == broken.age.isna().mean() == 1 / 50


def test_the_drafted_range_reaches_exactly_margin_times_the_span(quality):
    # train ages span 0 to 100: margin 3 allows up to 400 (further than the tail reaches).
    result = quality({"margin": 3}, production=unlabelled(50, 3, age={4: 400, 5: 401}))
    assert f"1 {RANGE}" in result.message
    assert result.metrics["production_invalid_share"] == 1 / 50


def test_a_margin_just_under_it_puts_the_bound_below(quality):
    result = quality({"margin": 2.99}, production=unlabelled(50, 3, age={4: 400, 5: 401}))
    assert f"2 {RANGE}" in result.message
    assert result.metrics["production_invalid_share"] == 2 / 50


def test_a_zero_margin_still_allows_what_the_tail_of_train_reaches(quality):
    # A clean batch may go past train's largest age; ten times a typical age is an error.
    result = quality({"margin": 0}, production=unlabelled(50, 3, age={4: 101, 5: 500}))
    assert f"1 {RANGE}" in result.message


def test_a_negative_margin_is_rejected(quality):
    with pytest.raises(ValidationError):
        quality({"margin": -0.01})


def test_margin_is_ignored_when_a_contract_is_given(quality, contract):
    result = quality(
        {"contract": contract, "margin": 0}, production=unlabelled(50, 3, age={4: 110})
    )
    assert result.status == Status.PASS, result.message  # CONTRACT allows ages up to 120


def test_a_draft_holds_data_id_to_unique_values(quality, splits):
    ids = {"data": {"id": "patient"}}
    train = splits["train"].assign(patient=np.arange(300))
    production = unlabelled(20, 7).assign(patient=[1, 1, *range(2, 20)])
    result = quality(checklist=ids, train=train, production=production)
    assert result.status == Status.WARN
    assert "1 row(s) with a repeated value where values must be unique in patient" in (
        result.message
    )


def test_a_draft_in_predictions_only_mode_does_not_flag_the_prediction_columns(splits):
    given = {
        name: frame.assign(pred=lambda f: (f.income > 50).astype(int), score=0.5)
        for name, frame in (("train", splits["train"]), ("test", splits["test"]))
    }
    checklist = {"data": {"prediction": "pred", "score": "score"}}
    context = make_context(given, target="y", checklist=checklist)
    result = run_check(DataQualityCheck, context)
    assert "'pred'" not in result.message


# --- splits ----------------------------------------------------------------------------------


def test_by_default_every_present_held_out_split_is_checked(quality, splits, contract):
    result = quality({"contract": contract}, validation=splits["validation"])
    assert result.message.endswith("is met: test, validation, 180 rows")
    assert "production_rows" not in result.metrics


def test_splits_limits_the_splits_held_to_the_contract(quality, contract, broken):
    result = quality({"contract": contract, "splits": ["test"]}, production=broken)
    assert result.status == Status.PASS, result.message
    assert set(result.metrics) == {"test_rows", "test_invalid_share"}


def test_production_alone_can_be_checked(quality, contract):
    result = quality({"contract": contract, "splits": ["production"]}, production=unlabelled(9, 8))
    assert result.message.endswith("is met: production, 9 rows")
    assert "test_rows" not in result.metrics


@pytest.mark.parametrize("chosen", [["validation"], ["validation", "production"], []])
def test_no_present_split_to_check_is_a_skip(quality, chosen):
    result = quality({"splits": chosen})
    assert result.status == Status.SKIP
    assert result.message.startswith("none of the splits")
    assert result.message.endswith("is present")
    assert ", ".join(chosen) in result.message


@pytest.mark.parametrize("chosen", [["train"], ["prod"], "test"])
def test_splits_other_than_test_validation_and_production_are_rejected(quality, chosen):
    with pytest.raises(ValidationError):
        quality({"splits": chosen})


def test_a_split_listed_twice_is_counted_once(quality, contract):
    try:
        result = quality({"contract": contract, "splits": ["test", "test"]})
    except ValidationError:
        return  # rejecting the list is a fix too
    assert result.message.endswith("is met: test, 100 rows")


def test_a_draft_treats_label_times_like_the_target_they_arrive_with(quality, splits):
    """Production is scored before its labels come: a missing label time, or a batch
    without the column, breaks no rule of a draft."""

    def dated(frame: pd.DataFrame, label_time: bool = True) -> pd.DataFrame:
        out = frame.assign(scored=pd.Timestamp("2026-01-01"))
        return out.assign(labelled=pd.Timestamp("2026-01-03")) if label_time else out

    waiting = dated(unlabelled(30, 5))
    waiting.loc[5:, "labelled"] = pd.NaT  # 25 of 30 labels not yet in
    checklist = {"data": {"time": "scored", "label_time": "labelled"}}
    result = quality(
        {"splits": ["test", "production"]},
        checklist,
        train=dated(splits["train"]),
        test=dated(splits["test"]),
        production={"b1": waiting, "b2": dated(unlabelled(30, 6), label_time=False)},
    )
    assert "labelled" not in result.message, result.message
    assert result.metrics["production_invalid_share"] == 0
