"""Nothing lost: a run stopped by SIGINT (Ctrl-C) or SIGTERM (a cancelled CI job) in the
middle of its work exits 130, says so, and leaves no report, no quarantine or clean file and
no temporary file behind. Real signals sent to a real ``mlready`` process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from tests.conftest import save_pickle

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
    pytest.mark.heavy,  # large inputs, real signals to a real mlready process
]


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


def _wait_for(condition, seconds: float = 300) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass (a bound, not a pace)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        threading.Event().wait(0.05)
    return condition()


def _as_from_a_terminal() -> None:
    """Start mlready with SIGINT and SIGTERM unblocked and at their defaults, as a shell or
    a CI runner starts it: a test worker may have inherited or set another disposition or
    signal mask (seen: an audit that never saw its SIGINT and ran on to exit 0)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stopped(
    command: list[str], working: Callable[[int], bool], signum: int, env: dict[str, str]
) -> subprocess.CompletedProcess:
    """Run ``mlready command``; once ``working(pid)`` says it is at work (not a fixed wait:
    a loaded machine may still be importing), send it ``signum``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mlready.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=_as_from_a_terminal,
    )
    try:
        assert _wait_for(lambda: process.poll() is not None or working(process.pid))
        assert process.poll() is None, "finished before it could be interrupted"
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
        process.wait()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _model_processes(pid: int) -> list[int]:
    """The sandboxed model processes ``pid`` has started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid and b"mlready.sandbox.child" in command:
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_audit_leaves_no_report(large_case, tmp_path: Path, signum) -> None:
    model, splits = large_case
    out = tmp_path / "out"
    out.mkdir()
    started: list[int] = []

    def auditing(pid: int) -> bool:  # the audit starts the model's process once it runs
        started.extend(_model_processes(pid))
        return bool(started)

    sandboxed = {k: v for k, v in os.environ.items() if k != "MLREADY_ISOLATE"}
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
        auditing,
        signum,
        sandboxed,
    )
    assert done.returncode == 130, done.stderr
    assert "interrupted" in done.stderr and "Traceback" not in done.stderr
    assert list(out.iterdir()) == []
    assert _wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in started))


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
        lambda pid: any(out.iterdir()),  # its temporary outputs are open
        signal.SIGTERM,
        dict(os.environ),
    )
    assert done.returncode == 130, done.stderr
    assert "interrupted" in done.stderr
    assert list(out.iterdir()) == []
