"""init, checks, explain, demo and --version."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from mlready import __version__
from mlready.registry import load_checks
from mlready.runner import plan
from mlready.spec import load_spec
from tests.conftest import assert_ready_but_for_timing


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_init_writes_a_valid_commented_checklist_with_every_default(cli, tmp_path):
    target = tmp_path / "checklist.yaml"
    result = cli("init", "--output", str(target))
    assert result.exit_code == 0
    text = target.read_text()
    spec = load_spec(target)
    planned = {p.check.id: p for p in plan(spec, load_checks())}
    assert planned["baseline"].params.n_resamples == 1000
    assert planned["baseline"].params.simple.severity == "warn"
    raw = yaml.safe_load(text)
    assert raw["metrics"]["primary"] is None and raw["seed"] == 0
    assert "# Primary metric" in text and "# Bootstrap resamples." in text
    # It refuses to overwrite without --force.
    again = cli("init", "--output", str(target))
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert cli("init", "--output", str(target), "--force").exit_code == 0


def test_checks_lists_ids_questions_and_options(cli):
    result = cli("checks")
    assert result.exit_code == 0
    assert "baseline" in result.output and "question 1" in result.output
    assert "min_margin" in result.output or "naive" in result.output


def test_explain(cli):
    result = cli("explain", "baseline")
    assert result.exit_code == 0
    assert "What it checks" in result.output and "Why it matters" in result.output
    bad = cli("explain", "baselin")
    assert bad.exit_code == 2 and "did you mean 'baseline'" in bad.stderr


def test_demo_builds_and_audits_the_bundled_example(cli, tmp_path: Path):
    folder = tmp_path / "demo"
    result = cli("demo", "--dir", str(folder))
    assert "Verdict" in result.output, result.output
    report = json.loads((folder / "report.json").read_text())
    assert_ready_but_for_timing(result.exit_code, report)
    assert report["sandbox"]["mode"] == "sandboxed"
    assert (folder / "report.md").read_text().startswith("# mlready readiness report")
    assert (folder / "report.json").exists() and (folder / "model.pkl").exists()


def test_a_partial_baseline_tier_keeps_the_tiers_own_severity(tmp_path):
    target = tmp_path / "checklist.yaml"
    target.write_text(
        "checks:\n  baseline:\n    naive: {min_margin: 0.01}\n    simple: {min_margin: 0.02}\n"
    )
    params = {p.check.id: p for p in plan(load_spec(target), load_checks())}["baseline"].params
    assert (params.naive.severity, params.naive.min_margin) == ("fail", 0.01)
    assert (params.simple.severity, params.simple.min_margin) == ("warn", 0.02)
