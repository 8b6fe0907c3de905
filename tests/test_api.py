"""The Python API: ``from mlready import audit`` on paths given as ``str`` and on objects in
memory, the report's conveniences, and docs/api.md's examples, run as written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import mlready
from mlready import AuditReport, ExitCode, MlreadyError, Status, audit
from tests.conftest import _xy

API_DOC = Path(__file__).parent.parent / "docs" / "api.md"
NO_LATENCY = {"checks": {"latency": {"enabled": False}}}


def test_the_package_exports_the_api_and_import_stays_light() -> None:
    assert set(mlready.__all__) >= {"audit", "AuditReport", "Status", "ExitCode"}
    probe = (
        "import sys, mlready; print(sorted(m for m in ('pandas', 'pydantic') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "[]"
    with pytest.raises(AttributeError):
        _ = mlready.no_such_name  # type: ignore[attr-defined]


def test_str_paths_audit_like_the_command_line(cli, good_classifier, cancer_splits) -> None:
    report = audit(str(good_classifier), str(cancer_splits), checklist=None, quick=True)
    assert isinstance(report, AuditReport)
    cli_run = cli.audit(good_classifier, cancer_splits)
    assert {c.id: c.status.value for c in report.checks} == {
        c["id"]: c["status"] for c in cli_run.json["checks"]
    }
    assert report.exit_code == cli_run.exit_code
    assert report.model.sha256 == cli_run.json["model"]["sha256"]


def test_an_estimator_and_frames_in_memory(cancer) -> None:
    from sklearn.ensemble import RandomForestClassifier

    train, test = cancer
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(*_xy(train))
    report = audit(model, {"train": train, "test": test}, checklist=NO_LATENCY)
    assert report.sandbox is not None and report.sandbox.mode == "in memory"
    assert report.splits[0].path == "<train in memory>"
    assert report.model.path == "<model in memory>" and len(report.model.sha256) == 64
    benchmark = next(c for c in report.checks if c.id == "benchmark")
    assert benchmark.metrics["test_roc_auc"] > 0.9
    assert report.passed is (report.exit_code == ExitCode.OK)
    assert json.loads(report.to_json())["sandbox"]["mode"] == "in memory"
    assert "no loading rules apply" in report.to_markdown()
    assert report._repr_html_().startswith("<!DOCTYPE html>")


def test_a_failing_report_reads_well_in_an_assertion(cancer) -> None:
    from sklearn.dummy import DummyClassifier

    train, test = cancer
    model = DummyClassifier().fit(*_xy(train))
    report = audit(model, {"train": train, "test": test}, checklist=NO_LATENCY)
    assert not report.passed and report.exit_code == ExitCode.CHECKS_FAILED
    summary = report.summary()
    assert summary.startswith(f"Verdict: {report.verdict}")
    failed = [c for c in report.checks if c.status == Status.FAIL]
    for check in failed:
        assert f"fail   {check.id}: {check.message}" in summary
    assert re.search(r"\d+ failed, .* in \d+\.\ds$", summary)
    assert len(summary.splitlines()) < 15
    assert repr(report).startswith("<AuditReport fail:") and len(repr(report)) < 400


def test_what_cannot_run_raises_a_clear_error(cancer) -> None:
    train, _ = cancer
    with pytest.raises(MlreadyError, match="no test split among the frames given"):
        audit(None, {"train": train}, checklist={"data": {"prediction": "p"}})
    with pytest.raises(MlreadyError, match="the test split is a list, not a DataFrame"):
        audit(None, {"train": train, "test": [1, 2]}, checklist={"data": {"prediction": "p"}})
    with pytest.raises(MlreadyError, match=r"checklist: checks\.baselin: unknown check"):
        audit(None, {"train": train, "test": train}, checklist={"checks": {"baselin": {}}})


def _python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, re.DOTALL)


def test_the_api_docs_examples_run_as_written(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # the notebook audit looks for ./checklist.yaml
    blocks = _python_blocks(API_DOC.read_text())
    assert len(blocks) == 3  # the imports, the notebook, the test suite
    for block in blocks:
        namespace: dict[str, object] = {"__name__": "docs_api"}
        exec(compile(block, str(API_DOC), "exec"), namespace)
        for name, value in namespace.items():
            if name.startswith("test_") and callable(value):
                value(tmp_path)
    assert (tmp_path / "readiness.md").read_text().startswith("# ")
