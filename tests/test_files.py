"""Outputs are replaced atomically: a reader sees the old file or the new one."""

from __future__ import annotations

import pytest

from mlready.errors import MlreadyError
from mlready.io.files import write_atomic


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
