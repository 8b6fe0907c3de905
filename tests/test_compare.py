"""mlready compare: candidates side by side, hard limits, the Pareto set."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import xmlschema
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlready.compare import Candidate, pareto_flags
from tests.conftest import save_pickle


def candidate(name: str, metric: float, p95: float, size: float) -> Candidate:
    return Candidate(
        path=name,
        format="pickle",
        metric=metric,
        metric_ci=(metric, metric),
        p95_latency_ms=p95,
        throughput_rps=1000 / p95,
        peak_memory_mb=None,
        model_size_mb=size,
        cost_per_1k=None,
        breaches=[],
    )


def test_pareto_set_keeps_every_trade_off_and_drops_the_dominated():
    fast = candidate("fast", 0.90, 1.0, 1.0)
    accurate = candidate("accurate", 0.95, 10.0, 50.0)
    dominated = candidate("dominated", 0.89, 12.0, 60.0)
    assert pareto_flags([fast, accurate, dominated], greater_is_better=True) == [True, True, False]
    # For an error metric lower is better: the "accurate" one becomes the worst on every axis.
    assert pareto_flags([fast, accurate], greater_is_better=False) == [True, False]


def test_logistic_regression_vs_a_large_forest(cli, tmp_path, cancer, cancer_splits):
    train, _ = cancer
    X, y = train.drop(columns="target"), train["target"]
    small = save_pickle(
        make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y), tmp_path / "small.pkl"
    )
    large = save_pickle(
        RandomForestClassifier(n_estimators=300, random_state=0).fit(X, y), tmp_path / "large.pkl"
    )
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text("limits:\n  max_model_size_mb: 0.1\n")
    out = tmp_path / "compare.json"
    result = cli(
        "compare",
        str(small),
        str(large),
        "--data",
        str(cancer_splits),
        "-c",
        str(checklist),
        "--json",
        str(out),
        "--report",
        str(tmp_path / "c.md"),
        "--quick",
    )
    assert result.exit_code == 0, result.output  # the small model meets every limit
    report = json.loads(out.read_text())
    lr, rf = report["candidates"]
    assert lr["model_size_mb"] < rf["model_size_mb"] and lr["p95_latency_ms"] < rf["p95_latency_ms"]
    assert lr["pareto"] is True
    assert {lr["rank"], rf["rank"]} == {1, 2}
    assert (lr["rank"] == 1) is (lr["metric"] >= rf["metric"])
    assert rf["pareto"] is (rf["metric"] > lr["metric"])  # it is worse on every other axis
    assert lr["breaches"] == [] and rf["breaches"][0].startswith("model_size_mb")
    assert lr["metric_ci"][0] <= lr["metric"] <= lr["metric_ci"][1]
    markdown = (tmp_path / "c.md").read_text()
    assert "Pareto-optimal:" in markdown and "small.pkl" in markdown


def test_compare_exits_1_when_no_candidate_meets_the_limits(
    cli, tmp_path, good_classifier, shuffled_label_classifier, cancer_splits, monkeypatch
):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text("limits:\n  p95_latency_ms: 0.000001\n")
    result = cli(
        "compare",
        str(good_classifier),
        str(shuffled_label_classifier),
        "--data",
        str(cancer_splits),
        "-c",
        str(checklist),
        "--quick",
        "--report",
        str(tmp_path / "c.md"),
        "--junit",
        str(tmp_path / "compare.xml"),
    )
    assert result.exit_code == 1
    # CI sees it too: a valid JUnit file with a failure per model, annotations, a summary
    schema = xmlschema.XMLSchema(Path(__file__).parent / "formats" / "junit-10.xsd")
    schema.validate(tmp_path / "compare.xml")
    root = ET.parse(tmp_path / "compare.xml").getroot()
    assert root.get("tests") == root.get("failures") == "2"
    failures = [c.find("failure").get("message") for c in root.iter("testcase")]
    assert all("p95_latency_ms" in message for message in failures)
    assert "::error title=mlready compare::no candidate meets every hard limit" in result.stdout
    assert result.stdout.count("::warning file=") == 2
    assert (tmp_path / "summary.md").read_text().startswith("## mlready compare (roc_auc)")
    one = cli("compare", str(good_classifier), "--data", str(cancer_splits))
    assert one.exit_code == 2 and "at least two models" in one.stderr


def test_an_onnx_export_is_benchmarked_and_matches_its_original(
    cli, tmp_path, cancer, cancer_splits
):
    import numpy as np
    import pytest

    pytest.importorskip("onnxruntime")
    skl2onnx = pytest.importorskip("skl2onnx")
    train, _ = cancer
    X, y = train.drop(columns="target"), train["target"]
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    exported = skl2onnx.to_onnx(
        model, X.to_numpy(np.float32)[:1], options={id(model): {"zipmap": False}}
    )
    (tmp_path / "model.onnx").write_bytes(exported.SerializeToString())
    out = tmp_path / "compare.json"
    result = cli(
        "compare",
        str(save_pickle(model, tmp_path / "model.pkl")),
        str(tmp_path / "model.onnx"),
        "--data",
        str(cancer_splits),
        "--json",
        str(out),
        "--quick",
        "--report",
        str(tmp_path / "c.md"),
    )
    assert result.exit_code == 0, result.output
    native, onnx = json.loads(out.read_text())["candidates"]
    assert onnx["format"] == "onnx" and onnx["p95_latency_ms"] > 0
    assert onnx["max_abs_difference"]["predict"] == 0  # no label differs
    assert onnx["max_abs_difference"]["predict_proba"] < 1e-5
    assert abs(onnx["metric"] - native["metric"]) < 1e-4
