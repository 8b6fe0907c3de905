"""Nothing lost: an audit never changes its inputs, and two runs writing the same output
path never interleave (each output appears whole, from one run, by an atomic rename)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def _digests(paths: list[Path]) -> dict[Path, tuple[str, int]]:
    """Each file's contents digest and modification time."""
    return {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in paths}


def test_an_audit_leaves_its_inputs_byte_for_byte_untouched(
    cli, tmp_path, good_classifier, cancer_splits
) -> None:
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text("checks:\n  latency: {enabled: false}\n")
    inputs = [good_classifier, checklist, *sorted(cancer_splits.rglob("*.csv"))]
    before = _digests(inputs)
    result = cli.audit(good_classifier, cancer_splits, "--checklist", str(checklist))
    assert result.exit_code in (0, 1), result.output
    assert _digests(inputs) == before  # contents and modification times
    assert sorted(p.name for p in cancer_splits.iterdir()) == sorted(p.name for p in inputs[2:])


def test_two_runs_writing_the_same_outputs_never_interleave(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"x": rng.normal(size=2000), "level": rng.choice(list("abc"), 2000)})
    train.to_csv(tmp_path / "train.csv", index=False)
    batches = []
    for i, rows in enumerate((300_000, 200_000)):  # two different batches, same outputs
        batch = train.sample(rows, replace=True, random_state=i)  # every row meets the contract
        batch.to_csv(tmp_path / f"batch{i}.csv", index=False)
        batches.append(rows)
    mlready = [sys.executable, "-m", "mlready.cli"]
    subprocess.run(
        [
            *mlready,
            "contract",
            "infer",
            str(tmp_path / "train.csv"),
            "-o",
            str(tmp_path / "contract.yaml"),
        ],
        check=True,
        capture_output=True,
    )
    out = tmp_path / "out"
    commands = [
        [
            *mlready,
            "validate",
            str(tmp_path / f"batch{i}.csv"),
            "--contract",
            str(tmp_path / "contract.yaml"),
            "--clean",
            str(out / "clean.csv"),
            "--json",
            str(out / "report.json"),
            "--quiet",
        ]
        for i in range(2)
    ]
    runs = [subprocess.Popen(command, stdout=subprocess.DEVNULL) for command in commands]
    assert all(run.wait(timeout=120) in (0, 1) for run in runs)
    # Each file is one run's whole output, not a mix of the two (which run's file is last
    # is up to the scheduler, and may differ between the two files).
    assert len(pd.read_csv(out / "clean.csv")) in batches
    assert json.loads((out / "report.json").read_text())["rows"] in batches
    assert sorted(p.name for p in out.iterdir()) == ["clean.csv", "report.json"]  # no temp files


def _audit_in(cwd: Path, model: Path, splits: Path, *outputs: str, monkeypatch):
    """``mlready audit`` run from ``cwd`` with exactly the output options given."""
    from typer.testing import CliRunner

    from mlready.cli import app

    monkeypatch.chdir(cwd)
    args = ["audit", str(model), "--data", str(splits), "--quick", *outputs]
    return CliRunner().invoke(app, args)


def test_an_output_that_cannot_be_written_leaves_no_other_behind(
    tmp_path, good_classifier, cancer_splits, monkeypatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the HTML report's folder should be")
    result = _audit_in(
        work,
        good_classifier,
        cancer_splits,
        "--report",
        "report.md",
        "--json",
        "report.json",
        "--junit",
        "checks.xml",
        "--assets",
        "plots",
        "--html",
        str(blocker / "report.html"),
        monkeypatch=monkeypatch,
    )
    assert result.exit_code == 2, result.output
    assert f"cannot write {blocker}" in result.output
    assert "no output was written" in result.output
    assert sorted(p.name for p in work.rglob("*")) == []


def test_naming_outputs_writes_exactly_those(
    tmp_path, good_classifier, cancer_splits, monkeypatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    only_json = _audit_in(
        work, good_classifier, cancer_splits, "--json", "r.json", monkeypatch=monkeypatch
    )
    assert only_json.exit_code in (0, 1), only_json.output
    assert sorted(p.name for p in work.iterdir()) == ["r.json"]
    (work / "r.json").unlink()
    nothing_named = _audit_in(work, good_classifier, cancer_splits, monkeypatch=monkeypatch)
    assert nothing_named.exit_code in (0, 1), nothing_named.output
    assert sorted(p.name for p in work.iterdir()) == ["mlready-report.md"]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the point
def test_an_interrupt_whose_keyboardinterrupt_a_finalizer_swallowed_still_stops_the_audit(
    cli, good_classifier, cancer_splits, tmp_path, monkeypatch
) -> None:
    """A signal's KeyboardInterrupt raised while a finalizer runs is only printed by
    Python; the audit still stops before writing anything, with exit 130."""
    import signal

    from mlready import api
    from mlready import cli as command_line

    real_run = api.run

    class Finalized:
        def __del__(self) -> None:  # as a SIGTERM landing in a finalizer during an import
            command_line._interrupt(signal.SIGTERM, None)

    def run_with_a_lost_interrupt(*args, **kwargs):
        report = real_run(*args, **kwargs)
        Finalized()  # collected at once: the handler's KeyboardInterrupt is swallowed
        return report

    monkeypatch.setattr(api, "run", run_with_a_lost_interrupt)
    out = tmp_path / "out"
    result = cli(
        "audit",
        str(good_classifier),
        "--data",
        str(cancer_splits),
        "--quick",
        "--report",
        str(out / "report.md"),
        "--json",
        str(out / "report.json"),
    )
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.output
    assert not out.exists() or list(out.iterdir()) == []
