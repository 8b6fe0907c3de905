"""Reference profiles (``mlready profile``): what they store, that audits and monitoring
with a profile give the results of the raw training data, and clear errors."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.ensemble import RandomForestClassifier

from mlready.api import make_profile
from mlready.io.profile import GRID, load_profile, save_profile
from mlready.stats.drift import Reference, compare
from tests.conftest import check_of, save_pickle, write_splits


def mixed(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Numeric columns (one with ties and missing values) and a categorical one."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "a": rng.normal(shift, 1, rows),
            "b": rng.exponential(2, rows),
            "c": rng.integers(0, 5, rows).astype(float),
            "colour": rng.choice(["red", "green", "blue"], rows, p=[0.5, 0.3, 0.2]),
        }
    )
    frame.loc[rng.random(rows) < 0.05, "c"] = np.nan
    frame["target"] = (frame["a"] + rng.normal(0, 1, rows) > 0).astype(int)
    return frame


def coded(frame: pd.DataFrame) -> pd.DataFrame:
    """The colour as a number, for a model without an encoder."""
    return frame.assign(colour=frame["colour"].map({"red": 0, "green": 1, "blue": 2}))


@pytest.fixture
def case(tmp_path: Path):
    """A fitted model on 30,000 training rows (more than the profile's grid holds)."""
    train, test, production = (
        coded(f) for f in (mixed(30_000, 0), mixed(3_000, 1), mixed(4_000, 2, shift=0.3))
    )
    model = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0)
    model.fit(train.drop(columns="target"), train["target"])
    splits = write_splits(tmp_path / "splits", train, test, production=production)
    return save_pickle(model, tmp_path / "model.pkl"), splits


def test_a_stored_profile_compares_like_the_raw_reference(tmp_path: Path) -> None:
    train, current = mixed(50_000, 0), mixed(20_000, 1, shift=0.05)
    columns = ["a", "b", "c", "colour"]
    raw = Reference.of(train, columns, ["colour"])
    train.to_parquet(tmp_path / "train.parquet")
    save_profile(make_profile(tmp_path / "train.parquet"), tmp_path / "train.profile")
    stored = load_profile(tmp_path / "train.profile").reference
    assert stored.numeric["a"].values.size == GRID + 1
    assert stored.numeric["a"].count == raw.numeric["a"].count == 50_000
    assert stored.missing == pytest.approx(raw.missing)
    pd.testing.assert_series_equal(
        stored.level_counts["colour"],
        raw.level_counts["colour"],
        check_names=False,
        check_index_type=False,
    )
    exact = {r.column: r for r in compare(raw, current)}
    approx = {r.column: r for r in compare(stored, current)}
    for column in columns:
        e, a = exact[column], approx[column]
        assert a.drifted == e.drifted and set(a.effects) == set(e.effects)
        assert a.effects["psi"] == pytest.approx(e.effects["psi"], abs=1e-3)
        assert a.p_value == pytest.approx(e.p_value, rel=0.05, abs=1e-6)
        if column != "colour":
            assert a.effects["ks"] == pytest.approx(e.effects["ks"], abs=2 / GRID)
            assert a.effects["wasserstein"] == pytest.approx(e.effects["wasserstein"], abs=2e-3)


def test_profile_audit_gives_the_raw_audit_verdicts_and_monitor_needs_no_train(
    cli, case, tmp_path: Path
) -> None:
    model, splits = case
    profile = tmp_path / "train.profile"
    made = cli("profile", str(splits / "train.csv"), "-o", str(profile), "--model", str(model))
    assert made.exit_code == 0, made.output
    assert "30,000 rows, 4 features" in made.output and "with the model's outputs" in made.output
    assert profile.stat().st_size < 1_000_000

    raw = cli.audit(model, splits)
    with_profile = cli.audit(model, splits, "--profile", str(profile))
    assert with_profile.exit_code == raw.exit_code
    assert with_profile.json["verdict"] == raw.json["verdict"]
    for ours, theirs in zip(with_profile.json["checks"], raw.json["checks"], strict=True):
        assert ours["status"] == theirs["status"], ours["id"]
    drift = {e["name"]: e["value"] for e in check_of(with_profile, "drift")["evidence"]}
    exact = {e["name"]: e["value"] for e in check_of(raw, "drift")["evidence"]}
    assert drift["effect_a"] == pytest.approx(exact["effect_a"], abs=2e-3)
    assert drift["prediction_drift_effect"] == pytest.approx(
        exact["prediction_drift_effect"], abs=2e-3
    )
    assert any(s["name"] == "train profile" for s in with_profile.json["splits"])

    # Daily monitoring: production and test only, train replaced by the profile.
    daily = tmp_path / "daily"
    daily.mkdir()
    for name in ("test.csv", "production.csv"):
        (daily / name).write_bytes((splits / name).read_bytes())
    json_path = tmp_path / "monitor.json"
    run = cli(
        "monitor",
        str(model),
        "-d",
        str(daily),
        "--profile",
        str(profile),
        "--json",
        str(json_path),
        "--report",
        str(tmp_path / "m.md"),
    )
    assert run.exit_code in (0, 1), run.output
    import json

    monitored = json.loads(json_path.read_text())
    drift_check = next(c for c in monitored["checks"] if c["id"] == "drift")
    raw_drift = check_of(raw, "drift")
    assert drift_check["status"] == raw_drift["status"]
    assert "a" in drift_check["message"] and drift_check["status"] != "error"


def test_profile_without_the_model_says_prediction_drift_was_not_checked(
    cli, case, tmp_path: Path
) -> None:
    model, splits = case
    profile = tmp_path / "train.profile"
    assert cli("profile", str(splits / "train.csv"), "-o", str(profile)).exit_code == 0
    result = cli.audit(
        model, splits, "--profile", str(profile), "--checklist", str(_only(tmp_path, "drift"))
    )
    drift = check_of(result, "drift")
    assert any("prediction drift not checked" in n for n in drift["notes"])


ALL_CHECKS = (
    "baseline",
    "metric_parity",
    "benchmark",
    "latency",
    "fairness",
    "ground_truth",
    "split_distribution",
    "data_quality",
    "drift",
    "performance_monitoring",
    "no_regression",
)


def _only(tmp_path: Path, check: str) -> Path:
    """A checklist that runs just ``check``."""
    path = tmp_path / "only.yaml"
    disabled = [f"  {c}: {{enabled: false}}\n" for c in ALL_CHECKS if c != check]
    path.write_text("checks:\n" + "".join(disabled))
    return path


def test_validate_holds_batches_to_the_profile_contract(cli, case, tmp_path: Path) -> None:
    _, splits = case
    profile = tmp_path / "train.profile"
    assert cli("profile", str(splits / "train.csv"), "-o", str(profile)).exit_code == 0
    bad = pd.read_csv(splits / "test.csv")
    bad.loc[:9, "b"] = -1e6  # far outside train's range
    bad.to_csv(tmp_path / "batch.csv", index=False)
    result = cli("validate", str(tmp_path / "batch.csv"), "--profile", str(profile))
    assert result.exit_code == 1, result.output
    assert "range" in result.output
    both = cli(
        "validate", str(tmp_path / "batch.csv"), "--profile", str(profile), "--contract", "c.yaml"
    )
    assert both.exit_code == 2 and "not both" in both.output


def test_bad_profiles_are_clear_errors(cli, case, tmp_path: Path) -> None:
    model, splits = case
    garbage = tmp_path / "garbage.profile"
    garbage.write_bytes(b"not a zip at all")
    result = cli.audit(model, splits, "--profile", str(garbage))
    assert result.exit_code == 2 and "is not an mlready profile" in result.output
    assert "Traceback" not in result.output

    missing = cli.audit(model, splits, "--profile", str(tmp_path / "nope.profile"))
    assert missing.exit_code == 2 and "does not exist" in missing.output

    # A profile of other data: it lacks a feature the model needs.
    other = write_splits(tmp_path / "other", mixed(100, 0).drop(columns="b"), mixed(50, 1))
    narrow = tmp_path / "narrow.profile"
    assert cli("profile", str(other / "train.csv"), "-o", str(narrow)).exit_code == 0
    result = cli.audit(model, splits, "--profile", str(narrow))
    assert result.exit_code == 2 and "has no column 'b'" in result.output

    # A newer format version is refused with what to do.
    newer = tmp_path / "newer.profile"
    with zipfile.ZipFile(narrow) as source, zipfile.ZipFile(newer, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "profile.json":
                data = data.replace(b'"version": 1', b'"version": 99')
            target.writestr(name, data)
    result = cli.audit(model, splits, "--profile", str(newer))
    assert result.exit_code == 2 and "version 99" in result.output


def test_make_profile_records_schema_and_contract(case) -> None:
    model, splits = case
    made = make_profile(splits / "train.csv", model_path=model)
    assert made.meta.target == "target" and made.meta.classes == [0, 1]
    assert made.meta.features == ["a", "b", "c", "colour"]
    assert made.target.level_counts["target"].sum() == 30_000
    assert made.predictions is not None and "prediction" in made.predictions.numeric
    assert set(made.contract.columns) >= {"a", "b", "c", "colour"}


def test_the_bundled_example_gets_the_same_verdicts_from_its_profile(cli, tmp_path: Path) -> None:
    from mlready.demo import build_example

    model, example_checklist = build_example(tmp_path / "demo")
    spec = yaml.safe_load(example_checklist.read_text())
    spec.setdefault("checks", {})["latency"] = {"enabled": False}  # it times this machine
    checklist = tmp_path / "demo" / "no-latency.yaml"
    checklist.write_text(yaml.safe_dump(spec))
    splits = tmp_path / "demo" / "splits"
    profile = tmp_path / "train.profile"
    made = cli(
        "profile",
        str(splits / "train.csv"),
        "-o",
        str(profile),
        "--model",
        str(model),
        "-c",
        str(checklist),
    )
    assert made.exit_code == 0, made.output
    raw = cli.audit(model, splits, "-c", str(checklist))
    with_profile = cli.audit(model, splits, "-c", str(checklist), "--profile", str(profile))
    assert with_profile.json["verdict"] == raw.json["verdict"]
    assert with_profile.exit_code == raw.exit_code
    statuses = {c["id"]: c["status"] for c in with_profile.json["checks"]}
    assert statuses == {c["id"]: c["status"] for c in raw.json["checks"]}
    # Train has fewer rows than the grid: the profile holds every value, numbers are equal.
    for check in ("drift", "split_distribution", "data_quality"):
        ours = {e["name"]: e["value"] for e in check_of(with_profile, check)["evidence"]}
        assert ours == {e["name"]: e["value"] for e in check_of(raw, check)["evidence"]}, check


def test_the_profile_margin_widens_its_draft_contract_and_another_margin_is_noted(
    tmp_path: Path,
) -> None:
    from mlready.checks.data_quality import DataQualityCheck
    from mlready.testing import make_context, run_check

    train, test = mixed(2_000, 0), mixed(500, 1)
    train.to_parquet(tmp_path / "train.parquet")
    narrow = make_profile(tmp_path / "train.parquet", margin=0.0)
    wide = make_profile(tmp_path / "train.parquet", margin=5.0)
    span = train["a"].max() - train["a"].min()
    # margin 0: as far as the column's fitted tail reaches; margin 5: five spans, further.
    assert train["a"].min() - 2 * span < narrow.contract.columns["a"].min < train["a"].min()
    assert wide.contract.columns["a"].min == pytest.approx(train["a"].min() - 5 * span, rel=1e-3)
    assert wide.meta.margin == 5.0

    def notes(options: dict) -> list[str]:
        context = make_context({"test": test}, target="target", profile=wide)
        return run_check(DataQualityCheck, context, options).notes

    assert any("inferred with margin 5" in n and "--margin 0.5" in n for n in notes({}))
    assert not any("inferred with margin" in n for n in notes({"margin": 5.0}))
