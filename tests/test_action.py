"""The GitHub Action, run locally as a runner runs it: its audit step (action/audit.sh)
with the inputs as environment variables and GITHUB_OUTPUT, GITHUB_JOB set; and its
metadata (every output written by the step, every input described)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEP = ROOT / "action" / "audit.sh"


def _run_step(cwd: Path, **inputs: str) -> tuple[int, dict[str, str]]:
    output = cwd / "github-output"
    output.write_text("")
    # the runner's PATH holds the Python mlready was installed into (setup-python's)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "PATH": path, "GITHUB_OUTPUT": str(output), "GITHUB_JOB": "readiness"}
    env |= inputs
    done = subprocess.run(["bash", str(STEP)], cwd=cwd, env=env, capture_output=True, text=True)
    pairs = [line.split("=", 1) for line in output.read_text().splitlines()]
    return done.returncode, dict(pairs)


def test_the_step_audits_and_sets_every_output(tmp_path, good_classifier, cancer_splits):
    code, outputs = _run_step(
        tmp_path, MODEL=str(good_classifier), DATA=str(cancer_splits), ARGS="--quick --seed 3"
    )
    assert code == int(outputs["exit-code"]) and code in (0, 1)
    declared = {name for name in ACTION["outputs"]}
    assert declared == set(outputs)
    report = tmp_path / outputs["json"]
    assert report.is_file() and (tmp_path / outputs["junit"]).is_file()
    import json

    written = json.loads(report.read_text())
    assert outputs["verdict"] == written["verdict"] and outputs["status"] == written["status"]
    assert written["seed"] == 3  # the extra arguments reached the audit
    assert outputs["artifact-name"].startswith("mlready-report-readiness-")


def test_matrix_jobs_get_artifact_names_of_their_own(tmp_path, good_classifier, cancer_splits):
    names = set()
    for python in ("3.11", "3.12"):
        folder = tmp_path / python
        folder.mkdir()
        _, outputs = _run_step(
            folder, MODEL=str(good_classifier), DATA=str(cancer_splits), PYTHON_VERSION=python
        )
        names.add(outputs["artifact-name"])
    assert len(names) == 2
    _, named = _run_step(tmp_path, DATA=str(cancer_splits), ARTIFACT_NAME="reports-a")
    assert named["artifact-name"] == "reports-a"


def test_an_audit_that_cannot_run_says_so_in_the_outputs(tmp_path):
    code, outputs = _run_step(tmp_path, MODEL="missing.pkl", DATA=str(tmp_path / "nothing"))
    assert code == 2 and outputs["exit-code"] == "2" and outputs["status"] == "error"


def test_the_action_declares_its_inputs_and_installs_what_the_model_needs():
    for name, spec in ACTION["inputs"].items():
        assert spec.get("description"), name
    assert {"python-version", "packages", "args", "artifact-name"} <= set(ACTION["inputs"])
    steps = ACTION["runs"]["steps"]
    setup = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["if"] == "inputs.python-version != ''"  # empty: the job's own Python
    install = next(s for s in steps if s.get("name", "").startswith("Install"))
    assert '"${extra[@]}"' in install["run"] and install["env"]["PACKAGES"]
    assert any(s.get("uses", "").startswith("actions/cache") for s in steps)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["name"] == "${{ steps.audit.outputs.artifact-name }}"
