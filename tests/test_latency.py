"""latency end to end: every timing of a sandboxed model in the JSON report, and the memory a
model of its own class allocates, measured in a child process. Every option and verdict is
tested as a unit in ``tests/checks/test_latency.py``."""

from __future__ import annotations

import pytest

from tests.conftest import save_pickle


def latency(result) -> dict:
    return next(c for c in result.json["checks"] if c["id"] == "latency")


def checklist(tmp_path, text: str) -> str:
    path = tmp_path / "checklist.yaml"
    path.write_text(text)
    return str(path)


GENEROUS = """\
limits:
  p95_latency_ms: 5000
  p99_latency_ms: 10000
  min_throughput_rps: 1
  max_memory_mb: 4000
  max_model_size_mb: 500
  max_cost_per_1k: 100
  min_primary_metric: 0.5
cost:
  per_hour: 0.4
"""


def test_generous_limits_pass_and_the_json_holds_every_number(
    cli, tmp_path, good_classifier, cancer_splits
):
    result = cli.audit(
        good_classifier, cancer_splits, "-c", checklist(tmp_path, GENEROUS), quick=False
    )
    check = latency(result)
    assert check["status"] == "pass", check["message"]
    metrics = check["metrics"]
    for name in (
        "p50_latency_ms",
        "p95_latency_ms",
        "p99_latency_ms",
        "max_latency_ms",
        "throughput_rps_batch_1",
        "throughput_rps_batch_32",
        "peak_memory_mb",
        "model_size_mb",
        "cost_per_1k",
        "load_s",
        "in_memory_mb",
    ):
        assert metrics[name] is not None and metrics[name] >= 0, name
    assert 0 < metrics["p50_latency_ms"] <= metrics["p95_latency_ms"] <= metrics["p99_latency_ms"]
    assert metrics["p99_latency_ms"] <= metrics["max_latency_ms"]
    test_rows = next(s for s in result.json["splits"] if s["name"] == "test")["rows"]
    assert f"throughput_rps_batch_{test_rows}" in metrics  # the whole sample as one batch
    assert metrics["model_size_mb"] == pytest.approx(good_classifier.stat().st_size / 2**20)
    # cost per 1k at batch throughput: price per second x seconds for 1,000 rows
    expected = 0.4 / 3600 * 1000 / metrics["throughput_rps"]
    assert metrics["cost_per_1k"] == pytest.approx(expected)
    conditions = next(t for t in check["tables"] if t["title"] == "Measuring conditions")
    items = dict(conditions["rows"])
    assert items["threads"] == 1 and "scikit-learn" in items and "cpu" in items


def test_memory_is_measured_in_a_child_process(cli, tmp_path, cancer, cancer_splits):
    """A model that allocates 200 MB while predicting shows it in its peak memory."""
    from tests.benchmark_models import MemoryHungryClassifier

    train, _ = cancer
    model = MemoryHungryClassifier().fit(train.drop(columns="target"), train["target"])
    path = save_pickle(model, tmp_path / "hungry.pkl")
    text = "model:\n  allow: [tests.benchmark_models]\nlimits:\n  max_memory_mb: 100\n"
    check = latency(cli.audit(path, cancer_splits, "-c", checklist(tmp_path, text)))
    assert check["metrics"]["peak_memory_mb"] > 190
    assert check["status"] == "fail" and "peak_memory_mb" in check["message"]
