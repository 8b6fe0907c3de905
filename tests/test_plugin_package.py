"""A third-party check, installed from its own package (tests/plugin_package) the way a user
installs one, runs everywhere a built-in check does: audit, monitor, the streamed engine,
the ML Test Score, off by default; and it is unit-tested with mlready.testing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from sklearn.ensemble import HistGradientBoostingClassifier

from mlready import registry
from tests.conftest import check_of, save_pickle, write_splits

PACKAGE = Path(__file__).parent / "plugin_package"
PLUGIN = "feature_completeness"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The plugin package installed (with its entry point) into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--target",
            str(target),
            str(PACKAGE),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert list(target.glob("mlready_completeness-0.3.0.dist-info"))
    return target


@pytest.fixture
def plugin(installed, monkeypatch):
    """The installed plugin on the path, so its entry point is found like any other."""
    monkeypatch.syspath_prepend(str(installed))
    import mlready_completeness

    return mlready_completeness


@pytest.fixture(scope="module")
def case(tmp_path_factory, cancer):
    """Cancer splits and a model; production in two batch files, one feature 80% empty."""
    folder = tmp_path_factory.mktemp("plugin-case")
    train, test = cancer
    features = [c for c in train.columns if c != "target"][:5]
    train, test = train[[*features, "target"]], test[[*features, "target"]]
    # a model that takes missing values, as production here has them
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    model.fit(train[features], train["target"])
    production = test[features].reset_index(drop=True).copy()
    empty = np.random.default_rng(0).random(len(production)) < 0.8
    production.loc[empty, features[1]] = np.nan
    data = write_splits(folder / "splits", train, test)
    (data / "production").mkdir()
    half = len(production) // 2
    production.iloc[:half].to_parquet(data / "production" / "2026-11-02.parquet")
    production.iloc[half:].to_parquet(data / "production" / "2026-11-09.parquet")
    model_path = save_pickle(model, folder / "model.pkl")
    enabled = folder / "enabled.yaml"
    enabled.write_text(yaml.safe_dump({"checks": {PLUGIN: {"enabled": True, "max_missing": 0.5}}}))
    return {
        "model": model,
        "model_path": model_path,
        "data": data,
        "enabled": enabled,
        "features": features,
        "train": train,
        "test": test,
        "production": production,
        "missing": float(production[features[1]].isna().mean()),
    }


def test_it_is_found_through_its_entry_point_with_its_package_and_version(plugin):
    checks = registry.load_checks()
    assert type(checks[PLUGIN]) is plugin.FeatureCompletenessCheck
    assert checks.origins[PLUGIN] == registry.Origin("mlready-completeness", "0.3.0")
    assert checks.origins["baseline"].package == "mlready"


def test_it_is_off_by_default(plugin, cli, case):
    result = cli.audit(case["model_path"], case["data"])
    ran = check_of(result, PLUGIN)
    assert ran["status"] == "skip"
    assert ran["message"] == f"off by default: set checks.{PLUGIN}.enabled in the checklist"


def test_enabled_it_runs_in_the_audit_and_counts_in_the_ml_test_score(plugin, cli, case):
    result = cli.audit(case["model_path"], case["data"], "--checklist", str(case["enabled"]))
    ran = check_of(result, PLUGIN)
    column = case["features"][1]
    assert ran["status"] == "fail" and ran["message"] == f"mostly missing in production: {column}"
    assert ran["metrics"][f"missing_{column}"] == pytest.approx(case["missing"])
    assert (ran["package"], ran["version"]) == ("mlready-completeness", "0.3.0")
    assert result.exit_code == 1
    item = next(
        i
        for i in result.json["scorecard"]["items"]
        if (i["section"], i["number"]) == ("Monitoring", 2)
    )
    assert item["points"] == 1.0 and f"{PLUGIN} (fail)" in item["how"]
    others = [i for i in result.json["scorecard"]["items"] if i is not item]
    assert all(PLUGIN not in i["how"] for i in others)  # only the item it declares


def test_monitor_and_the_streamed_engine_run_it(plugin, cli, case, tmp_path):
    checklist = str(case["enabled"])
    for extra in ((), ("--engine", "stream")):
        out = tmp_path / f"monitor{len(extra)}.json"
        result = cli(
            "monitor",
            str(case["model_path"]),
            "-d",
            str(case["data"]),
            "-c",
            checklist,
            "--json",
            str(out),
            "--report",
            str(tmp_path / "m.md"),
            *extra,
        )
        assert result.exit_code == 1, result.output
        result.json = yaml.safe_load(out.read_text())
        ran = check_of(result, PLUGIN)
        assert ran["status"] == "fail", (extra, ran["message"])
        assert ran["metrics"][f"missing_{case['features'][1]}"] == pytest.approx(case["missing"])


def test_its_author_unit_tests_it_with_mlready_testing(plugin, case):
    from mlready.testing import make_context, run_check

    splits = {
        "train": case["train"],
        "test": case["test"],
        "production": {"2026-11-02": case["production"]},
    }
    context = make_context(splits, case["model"], target="target")
    column = case["features"][1]
    failing = run_check(plugin.FeatureCompletenessCheck, context, {"max_missing": 0.5})
    assert failing.status == "fail" and failing.metrics[f"missing_{column}"] > 0.5
    assert failing.package == "mlready-completeness" and failing.version == "0.3.0"
    passing = run_check(plugin.FeatureCompletenessCheck, context, {"max_missing": 0.9})
    assert passing.status == "pass"
    without = make_context({"train": case["train"], "test": case["test"]}, case["model"])
    assert run_check(plugin.FeatureCompletenessCheck, without).status == "skip"


def test_the_starter_checklist_lists_it_switched_off(plugin, cli, tmp_path, case):
    written = tmp_path / "checklist.yaml"
    assert cli("init", "--output", str(written)).exit_code == 0
    sections = yaml.safe_load(written.read_text())["checks"]
    assert sections[PLUGIN] == {"enabled": False, "severity": "fail", "max_missing": 0.5}
    assert sections["baseline"]["enabled"] is True
    assert (
        check_of(cli.audit(case["model_path"], case["data"], "-c", str(written)), PLUGIN)["status"]
        == "skip"
    )
