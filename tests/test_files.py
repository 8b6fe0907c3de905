"""Outputs are replaced atomically: a reader sees the old file or the new one."""

from __future__ import annotations

import os
import stat

import pyarrow as pa
import pytest

from mlready.errors import MlreadyError
from mlready.io.files import write_atomic
from mlready.io.sink import open_sink
from tests.conftest import write_splits


def test_write_atomic_replaces_and_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "out" / "report.md"
    write_atomic(target, "first")
    write_atomic(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["report.md"]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "report.md"
    target.write_text("old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(MlreadyError, match=r"cannot write .*report\.md: No space left"):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_quiet_audit_prints_only_the_verdict(cli, good_classifier, cancer_splits):
    result = cli.audit(good_classifier, cancer_splits, "--quiet")
    assert result.exit_code == 0
    assert result.stdout.strip().startswith("Verdict: ready")
    assert len(result.stdout.strip().splitlines()) == 1


@pytest.fixture
def umask():
    """Sets the process's umask for one test, then puts the old one back."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_get_the_mode_the_umask_gives_a_new_file(
    cli, good_classifier, cancer_splits, tmp_path, umask, mask, mode
):
    """mkstemp makes every temporary file 0600; the renamed output must not keep that."""
    umask(mask)
    junit, sink = tmp_path / "checks.xml", tmp_path / "rows.jsonl"
    result = cli.audit(good_classifier, cancer_splits, "--junit", str(junit))
    assert result.exit_code in (0, 1), result.output
    with open_sink(sink, pa.schema([("x", pa.int64())])) as writer:
        writer.write(pa.table({"x": [1]}))
    for path in (cli.tmp_path / "report.json", cli.tmp_path / "report.md", junit, sink):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path


@pytest.mark.parametrize("separator", [";", "\t", "|"])
def test_semicolon_tab_and_pipe_csv_splits_are_read_as_comma_ones(
    cli, good_classifier, cancer, tmp_path, separator
):
    """A split exported with another delimiter gives the same audit as the comma one."""
    train, test = cancer
    comma = write_splits(tmp_path / "comma", train, test)
    other = tmp_path / "other"
    other.mkdir()
    for name, frame in (("train", train), ("test", test)):
        frame.to_csv(other / f"{name}.csv", index=False, sep=separator)

    def numbers(splits):
        result = cli.audit(good_classifier, splits, "--checklist", str(latency_off))
        assert result.exit_code in (0, 1), result.output
        return {c["id"]: (c["status"], c["metrics"]) for c in result.json["checks"]}

    latency_off = tmp_path / "checklist.yaml"
    latency_off.write_text("checks:\n  latency:\n    enabled: false\n")
    assert numbers(other) == numbers(comma)
