"""The checklist to copy: checklist.yaml at the top of the repository is the bundled
example's, documents every key exactly as 'mlready init' does, and is what 'mlready demo'
writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from mlready.demo import EXAMPLE_SETTINGS, build_example, example_checklist
from mlready.registry import load_checks
from mlready.runner import plan
from mlready.spec import ChecklistSpec, load_spec
from mlready.starter import ANSWERS_EXAMPLE, starter_checklist

TOP_LEVEL = Path(__file__).parent.parent / "checklist.yaml"


def _answered(text: str) -> dt.date:
    return dt.date.fromisoformat(str(yaml.safe_load(text)["answers"]["integration"]["date"]))


def test_the_top_level_checklist_is_the_examples_as_generated() -> None:
    text = TOP_LEVEL.read_text()
    assert text == example_checklist(_answered(text)), "regenerate: see mlready.demo"


def test_it_documents_every_key_as_init_does() -> None:
    """The same comment lines, but for the header and the example of answers (the
    example has real ones)."""
    starter = starter_checklist(load_checks()).splitlines()
    example = TOP_LEVEL.read_text().splitlines()
    skipped = set(ANSWERS_EXAMPLE.splitlines())

    def comments(lines: list[str]) -> list[str]:
        body = [line for line in lines if not line.startswith("# ") or line.startswith("#  ")]
        return [line for line in body if line.lstrip().startswith("#") and line not in skipped]

    header = [line for line in starter if line.startswith("# ")][:3]
    assert comments(starter[len(header) :]) == comments(example[5:])


def test_it_holds_the_examples_settings() -> None:
    spec = load_spec(TOP_LEVEL)
    settings = yaml.safe_load(EXAMPLE_SETTINGS.replace("TODAY", "2026-12-08"))
    expected = ChecklistSpec.model_validate(settings)
    assert spec.model_dump(exclude={"answers", "checks"}) == expected.model_dump(
        exclude={"answers", "checks"}
    )
    # every check runs as the example's settings say (the file spells out the defaults)
    registry = load_checks()
    assert [(i.check.id, i.params, i.severity, i.enabled) for i in plan(spec, registry)] == [
        (i.check.id, i.params, i.severity, i.enabled) for i in plan(expected, registry)
    ]
    assert set(spec.answers) == {"integration", "ethics_review"}
    assert spec.limits.p95_latency_ms == 50 and spec.data.target == "diagnosis"


def test_the_demo_writes_the_same_checklist_dated_today(tmp_path) -> None:
    _, checklist = build_example(tmp_path / "demo")
    written = checklist.read_text()
    assert _answered(written) == dt.date.today()
    assert written == example_checklist(dt.date.today())


HOOKS = Path(__file__).parent.parent / ".pre-commit-hooks.yaml"


def test_check_config_validates_without_data_and_names_each_error(tmp_path) -> None:
    from typer.testing import CliRunner

    from mlready.cli import app

    contract = tmp_path / "contract.yaml"
    contract.write_text("columns:\n  age: {type: integer, min: 0}\n")
    bad = tmp_path / "checklist.yaml"
    bad.write_text("checks:\n  drift:\n    alpha: 2\n")
    broken_contract = tmp_path / "other-contract.yaml"
    broken_contract.write_text("columns:\n  age: {type: intger}\n")

    good = CliRunner().invoke(app, ["check-config", str(TOP_LEVEL), str(contract)])
    assert good.exit_code == 0, good.output
    assert f"ok: {TOP_LEVEL}: a checklist" in good.stdout
    assert f"ok: {contract}: a data contract of 1 column" in good.stdout

    result = CliRunner().invoke(
        app, ["check-config", str(bad), str(broken_contract), str(contract)]
    )
    assert result.exit_code == 2
    assert f"{bad}:3: checks.drift.alpha" in result.stderr
    assert f"{broken_contract}:2: columns.age.type" in result.stderr
    assert f"ok: {contract}" in result.stdout  # the files after an invalid one are checked


def test_the_pre_commit_hook_runs_check_config_on_checklists_and_contracts(tmp_path) -> None:
    import re
    import shlex
    import subprocess
    import sys

    (hook,) = yaml.safe_load(HOOKS.read_text())
    pattern = re.compile(hook["files"])
    for name in (
        "checklist.yaml",
        "ml/checklist.yml",
        "contract.yaml",
        "data/orders-contract.yaml",
    ):
        assert pattern.search(name), name
    for name in ("docker-compose.yaml", "checklist.yaml.bak", "contracts/readme.md"):
        assert not pattern.search(name), name
    entry = shlex.split(hook["entry"])
    assert entry[0] == "mlready"
    bad = tmp_path / "checklist.yaml"
    bad.write_text("data:\n  targt: y\n")
    command = [sys.executable, "-m", "mlready", *entry[1:], str(TOP_LEVEL), str(bad)]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 2 and "data.targt: unknown key" in done.stderr
