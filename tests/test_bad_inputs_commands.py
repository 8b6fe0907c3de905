"""The bad-input corpus for the commands besides ``audit`` (tests/test_bad_inputs.py):
monitor, compare, profile, validate, contract infer, and audit's streaming engine. Each
case: exit 2, the file/key/column at fault and what to do in the message, no traceback, no
output file written, and no payload from a model file run."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from .conftest import write_splits


class RunsShell:
    """Pickles as ``os.system(command)``: a model file that runs code when loaded."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, ...]:
        return os.system, (self.command,)


@dataclass
class Scene:
    tmp_path: Path
    train: pd.DataFrame
    test: pd.DataFrame
    model: Path

    @property
    def canary(self) -> Path:
        return self.tmp_path / "canary"

    @property
    def output(self) -> Path:
        """The output every case names; it must not exist afterwards."""
        return self.tmp_path / "out" / "result"

    def splits(self, **more: pd.DataFrame) -> Path:
        return write_splits(self.tmp_path / "splits", self.train, self.test, **more)

    def hostile_model(self) -> Path:
        path = self.tmp_path / "evil.pkl"
        path.write_bytes(pickle.dumps(RunsShell(f"touch {self.canary}")))
        return path

    def file(self, name: str, text: str) -> Path:
        path = self.tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    def train_csv(self) -> Path:
        return self.splits() / "train.csv"


@dataclass(frozen=True)
class Case:
    id: str
    args: Callable[[Scene], list[str]]
    fragments: tuple[str, ...]


def _monitor(s: Scene, data: Path, *extra: str) -> list[str]:
    return ["monitor", str(s.model), "--data", str(data), "--json", str(s.output), *extra]


def _no_production(s: Scene) -> list[str]:
    return _monitor(s, s.splits())


def _production_lacks_a_feature(s: Scene) -> list[str]:
    production = s.test.drop(columns=["target", "mean_radius"])
    return _monitor(s, s.splits(production=production))


def _stream_without_production(s: Scene) -> list[str]:
    return [
        "audit",
        str(s.model),
        "--data",
        str(s.splits()),
        "--engine",
        "stream",
        "--json",
        str(s.output),
    ]


def _compare(s: Scene, *models: Path, data: Path | None = None) -> list[str]:
    data = data or s.splits()
    return ["compare", *map(str, models), "--data", str(data), "--json", str(s.output)]


def _profile(s: Scene, train: Path, *extra: str) -> list[str]:
    return ["profile", str(train), "-o", str(s.output), *extra]


def _validate(s: Scene, contract: Path) -> list[str]:
    return ["validate", str(s.train_csv()), "--contract", str(contract), "--clean", str(s.output)]


def _infer(s: Scene, train: Path, *extra: str) -> list[str]:
    return ["contract", "infer", str(train), "-o", str(s.output), *extra]


CASES = [
    Case(
        "monitor-no-production",
        _no_production,
        ("no production split found", "production.csv", "production/ folder"),
    ),
    Case(
        "monitor-production-lacks-a-feature",
        _production_lacks_a_feature,
        (
            "production.csv: the production split lacks columns the model needs: mean_radius",
            "re-export the split",
        ),
    ),
    Case(
        "audit-stream-without-production",
        _stream_without_production,
        ("no production split to stream", "add production.parquet"),
    ),
    Case(
        "compare-a-hostile-model",
        lambda s: _compare(s, s.model, s.hostile_model()),
        (
            "evil.pkl was refused",
            "posix.system" if os.name == "posix" else "system",
            "nothing from it was run",
            "--trust-model",
        ),
    ),
    Case(
        "compare-one-model", lambda s: _compare(s, s.model), ("compare needs at least two models",)
    ),
    Case(
        "compare-missing-data",
        lambda s: _compare(s, s.model, s.model, data=s.tmp_path / "nowhere"),
        ("data folder", "nowhere does not exist", "--data DIR"),
    ),
    Case(
        "profile-unknown-target",
        lambda s: _profile(s, s.train_csv(), "--target", "nope"),
        ("train.csv: target column 'nope' not found", "--target COLUMN"),
    ),
    Case(
        "profile-a-hostile-model",
        lambda s: _profile(s, s.train_csv(), "--model", str(s.hostile_model())),
        ("evil.pkl was refused", "nothing from it was run"),
    ),
    Case(
        "profile-header-only",
        lambda s: _profile(s, s.file("head.csv", "a,b\n")),
        ("head.csv has no data rows",),
    ),
    Case(
        "validate-contract-yaml-syntax",
        lambda s: _validate(s, s.file("contract.yaml", "columns:\n  a: {type: numeric\n")),
        ("contract.yaml:3:1: YAML syntax error",),
    ),
    Case(
        "validate-contract-unknown-key",
        lambda s: _validate(s, s.file("contract.yaml", "colums: {}\n")),
        ("contract.yaml:1: colums: unknown key", "did you mean 'columns'"),
    ),
    Case(
        "validate-contract-missing",
        lambda s: _validate(s, s.tmp_path / "nope.yaml"),
        ("nope.yaml does not exist",),
    ),
    Case(
        "infer-empty-file",
        lambda s: _infer(s, s.file("empty.csv", "")),
        ("empty.csv is empty", "header row"),
    ),
    Case(
        "infer-unknown-time-column",
        lambda s: _infer(s, s.train_csv(), "--time", "nope"),
        ("train.csv: no column 'nope' (--time)", "mean_radius"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, cli, tmp_path: Path, cancer, good_classifier) -> None:
    scene = Scene(tmp_path, *cancer, good_classifier)
    result = cli(*case.args(scene))

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in case.fragments:
        assert fragment in result.output, result.output
    assert not scene.output.exists()
    assert not scene.canary.exists(), "a payload from the model file ran"
