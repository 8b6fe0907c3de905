"""Nothing lost: a run stopped by SIGINT (Ctrl-C) or SIGTERM (a cancelled CI job) in the
middle of its work exits 130, says so, and leaves no report, no quarantine or clean file and
no temporary file behind. Real signals sent to a real ``mlready`` process."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from tests.conftest import save_pickle

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _rows(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 12)), columns=[f"x{i}" for i in range(12)])
    frame["target"] = (frame["x0"] + rng.normal(size=n) > 0).astype(int)
    return frame


@pytest.fixture(scope="module")
def large_case(tmp_path_factory) -> tuple[Path, Path]:
    """Enough rows that an audit runs for several seconds."""
    folder = tmp_path_factory.mktemp("interrupts")
    splits = folder / "splits"
    splits.mkdir()
    train = _rows(300_000, 0)
    for name, frame in (
        ("train", train),
        ("test", _rows(150_000, 1)),
        ("production", _rows(300_000, 2)),
    ):
        frame.to_parquet(splits / f"{name}.parquet")
    model = LogisticRegression().fit(train.drop(columns="target"), train["target"])
    return save_pickle(model, folder / "model.pkl"), splits


def _stopped(command: list[str], after: float, signum: int) -> subprocess.CompletedProcess:
    process = subprocess.Popen(
        [sys.executable, "-m", "mlready.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(after)
    assert process.poll() is None, "finished before it could be interrupted"
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_audit_leaves_no_report(large_case, tmp_path: Path, signum) -> None:
    model, splits = large_case
    out = tmp_path / "out"
    out.mkdir()
    done = _stopped(
        [
            "audit",
            str(model),
            "--data",
            str(splits),
            "--report",
            str(out / "report.md"),
            "--json",
            str(out / "report.json"),
            "--html",
            str(out / "report.html"),
        ],
        after=4.0,
        signum=signum,
    )
    assert done.returncode == 130, done.stderr
    assert "interrupted" in done.stderr and "Traceback" not in done.stderr
    assert list(out.iterdir()) == []


def test_an_interrupted_validate_leaves_no_quarantine_or_clean_file(
    large_case, tmp_path: Path
) -> None:
    _, splits = large_case
    batch = tmp_path / "batch.csv"
    pd.concat([_rows(300_000, 3)] * 4).to_csv(batch, index=False)  # about 1.2M rows
    contract = tmp_path / "contract.yaml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mlready.cli",
            "contract",
            "infer",
            str(splits / "train.parquet"),
            "-o",
            str(contract),
        ],
        check=True,
        capture_output=True,
    )
    out = tmp_path / "out"
    out.mkdir()
    done = _stopped(
        [
            "validate",
            str(batch),
            "--contract",
            str(contract),
            "--quarantine",
            str(out / "bad.csv"),
            "--clean",
            str(out / "good.parquet"),
        ],
        after=2.5,
        signum=signal.SIGTERM,
    )
    assert done.returncode == 130, done.stderr
    assert "interrupted" in done.stderr
    assert list(out.iterdir()) == []
