"""Deterministic verdicts: the same inputs and seed give byte-identical JSON, across runs
and --jobs settings, once the fields that measure the run itself are set aside (the rule
the README states: ``created_at``, each check's ``duration_s`` and the latency check's
timings). And offline: an audit with networking disabled runs and passes."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml

from mlready.demo import build_example

# Fields that measure the run, not the model and data.
RUN_FIELDS = ("created_at", "duration_s")


def stable_json(path: Path) -> str:
    """The report with the run's own measurements removed, as canonical text."""

    def strip(value: object) -> object:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in RUN_FIELDS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return json.dumps(strip(json.loads(path.read_text())), sort_keys=True)


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple[Path, Path, Path]:
    """The bundled example (every check has something to do), latency off: it times."""
    folder = tmp_path_factory.mktemp("determinism") / "demo"
    model, checklist = build_example(folder)
    spec = yaml.safe_load(checklist.read_text())
    spec.setdefault("checks", {})["latency"] = {"enabled": False}
    quiet = folder / "no-latency.yaml"
    quiet.write_text(yaml.safe_dump(spec))
    return model, folder / "splits", quiet


def test_same_inputs_and_seed_give_byte_identical_json_across_runs_and_jobs(
    cli, tmp_path, example
) -> None:
    model, splits, checklist = example
    reports = []
    for run, jobs in enumerate(("1", "1", "2")):
        path = tmp_path / f"run{run}.json"
        result = cli(
            "audit",
            str(model),
            "--data",
            str(splits),
            "--checklist",
            str(checklist),
            "--json",
            str(path),
            "--report",
            str(tmp_path / f"run{run}.md"),
            "--jobs",
            jobs,
        )
        assert result.exit_code in (0, 1), result.output
        reports.append(stable_json(path))
    assert reports[0] == reports[1] == reports[2]
    checks = json.loads(reports[0])["checks"]
    assert {c["id"] for c in checks if c["status"] not in ("skip",)} >= {
        "baseline",
        "metric_parity",
        "drift",
        "performance_monitoring",
        "data_quality",
    }


def test_another_seed_changes_the_resampled_numbers_but_not_the_verdict(
    cli, tmp_path, example
) -> None:
    model, splits, checklist = example
    paths = [tmp_path / "seed0.json", tmp_path / "seed1.json"]
    for path, seed in zip(paths, ("0", "1"), strict=True):
        cli(
            "audit",
            str(model),
            "--data",
            str(splits),
            "--checklist",
            str(checklist),
            "--json",
            str(path),
            "--report",
            str(tmp_path / "r.md"),
            "--seed",
            seed,
        )
    first, second = (json.loads(p.read_text()) for p in paths)
    assert first["verdict"] == second["verdict"]
    assert stable_json(paths[0]) != stable_json(paths[1])  # the seed is really used


def test_an_audit_runs_with_networking_disabled(cli, tmp_path, example, monkeypatch) -> None:
    """No telemetry, no downloads: every way of opening a connection fails, and the audit
    (HTML report with plots included) still runs."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args))
        raise OSError("network access is disabled in this test")

    class NoSocket(socket.socket):
        def __init__(self, *args: object, **kwargs: object) -> None:
            refuse(*args)

    monkeypatch.setattr(socket, "socket", NoSocket)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    model, splits, checklist = example
    html = tmp_path / "report.html"
    result = cli(
        "audit",
        str(model),
        "--data",
        str(splits),
        "--checklist",
        str(checklist),
        "--json",
        str(tmp_path / "r.json"),
        "--report",
        str(tmp_path / "r.md"),
        "--html",
        str(html),
    )
    assert result.exit_code in (0, 1), result.output
    assert html.stat().st_size > 10_000 and (tmp_path / "r.json").exists()
    assert attempts == []
