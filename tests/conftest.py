"""Tiny real models on data scikit-learn ships, written to split folders in tmp_path."""

from __future__ import annotations

import json
import pickle
import socket
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from typer.testing import CliRunner

from mlready.cli import app


def write_splits(
    folder: Path,
    train: pd.DataFrame,
    test: pd.DataFrame,
    **more: pd.DataFrame,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in {"train": train, "test": test, **more}.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def save_pickle(model: object, path: Path) -> Path:
    with path.open("wb") as handle:
        pickle.dump(model, handle)
    return path


def check_of(result, check_id: str) -> dict:
    """The JSON result of one check in an audit run through the CLI."""
    assert result.json is not None, result.output
    return next(c for c in result.json["checks"] if c["id"] == check_id)


def assert_ready_but_for_timing(exit_code: int, report: dict) -> None:
    """The bundled example is ready (with warnings) wherever it runs, but for the latency
    check: it times this machine against hard limits, which a loaded machine may break."""
    failed = {c["id"] for c in report["checks"] if c["status"] in ("fail", "error")}
    assert failed <= {"latency"}, failed
    assert exit_code == (1 if failed else 0)


def table(check: dict, title_start: str) -> pd.DataFrame:
    """A check's table whose title starts with ``title_start``, as a DataFrame."""
    found = next(t for t in check["tables"] if t["title"].startswith(title_start))
    return pd.DataFrame(found["rows"], columns=found["columns"])


class Audit:
    """Runs ``mlready`` through typer's CliRunner and keeps the outputs."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.runner = CliRunner()

    def __call__(self, *args: str):
        result = self.runner.invoke(app, list(args), catch_exceptions=False)
        return result

    def audit(self, model: Path | None, data: Path, *extra: str, quick: bool = True):
        """``mlready audit``; ``--quick`` (fewer latency timings) unless a test needs more."""
        json_path = self.tmp_path / "report.json"
        md_path = self.tmp_path / "report.md"
        for stale in (json_path, md_path):  # never read an earlier run's report
            stale.unlink(missing_ok=True)
        args = (
            ["audit"]
            + ([str(model)] if model else [])
            + ["--data", str(data), "--json", str(json_path), "--report", str(md_path), *extra]
            + (["--quick"] if quick else [])
        )
        result = self(*args)
        result.json = json.loads(json_path.read_text()) if json_path.exists() else None
        result.markdown = md_path.read_text() if md_path.exists() else None
        return result


@pytest.fixture(autouse=True)
def _run_in_an_empty_folder(tmp_path_factory, monkeypatch) -> None:
    """Every test runs from its own empty folder, as a user runs mlready from a project:
    the repository's own checklist.yaml (the bundled example's) is never picked up as
    './checklist.yaml', and no default output lands in the repository."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))  # beside tmp_path, not in it


@pytest.fixture(autouse=True)
def _models_made_here_run_in_process(monkeypatch) -> None:
    """The suite's own models (made by the tests, on data scikit-learn ships) run in
    mlready's process: the sandboxed process costs 1-2 s an audit. The sandbox itself is
    tested with mlready's defaults in tests/test_sandbox*.py and tests/test_isolation.py, and
    the bundled example (tests/test_reports.py, tests/test_cli_commands.py) runs sandboxed."""
    monkeypatch.setenv("MLREADY_ISOLATE", "off")


@pytest.fixture
def tcp_listener():
    """A TCP server on 127.0.0.1: its port, and the first bytes of each connection."""
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed
                return
            with conn:
                received.append(conn.recv(100))

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1], received
    server.close()


@pytest.fixture
def cli(tmp_path: Path) -> Audit:
    return Audit(tmp_path)


@pytest.fixture(scope="session")
def cancer() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = load_breast_cancer(as_frame=True).frame
    frame.columns = [c.replace(" ", "_") for c in frame.columns]
    train, test = train_test_split(frame, test_size=0.3, random_state=0, stratify=frame["target"])
    return train, test


@pytest.fixture
def cancer_splits(tmp_path: Path, cancer) -> Path:
    return write_splits(tmp_path / "splits", *cancer)


def _xy(frame: pd.DataFrame, target: str = "target"):
    return frame.drop(columns=target), frame[target]


@pytest.fixture
def good_classifier(tmp_path: Path, cancer) -> Path:
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(*_xy(cancer[0]))
    return save_pickle(model, tmp_path / "forest.pkl")


@pytest.fixture
def shuffled_label_classifier(tmp_path: Path, cancer) -> Path:
    X, y = _xy(cancer[0])
    shuffled = np.random.default_rng(0).permutation(y.to_numpy())
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, shuffled)
    return save_pickle(model, tmp_path / "shuffled.pkl")


@pytest.fixture
def diabetes_case(tmp_path: Path) -> tuple[Path, Path]:
    frame = load_diabetes(as_frame=True).frame
    train, test = train_test_split(frame, test_size=0.3, random_state=0)
    model = Ridge(alpha=0.1).fit(*_xy(train))
    return save_pickle(model, tmp_path / "ridge.pkl"), write_splits(
        tmp_path / "splits", train, test
    )


@pytest.fixture
def iris_case(tmp_path: Path) -> tuple[Path, Path]:
    frame = load_iris(as_frame=True).frame
    frame["species"] = np.array(["setosa", "versicolor", "virginica"])[frame.pop("target")]
    frame.columns = [c.replace(" ", "_").replace("(", "").replace(")", "") for c in frame.columns]
    train, test = train_test_split(frame, test_size=0.4, random_state=0, stratify=frame["species"])
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(*_xy(train, "species"))
    return save_pickle(model, tmp_path / "iris.pkl"), write_splits(tmp_path / "splits", train, test)
