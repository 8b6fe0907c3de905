"""``performance_monitoring`` and ``mlready monitor`` end to end, on generated worlds where
the truth is known: labels drawn from a logistic model, so a logistic regression is
calibrated and its true accuracy on any batch can be computed. Each option and verdict of
``performance_monitoring`` and ``ground_truth`` is tested as a unit in ``tests/checks/``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LogisticRegression

from mlready.registry import load_checks
from tests.conftest import check_of, save_pickle, table, write_splits

BETA = np.array([1.5, -1.0, 0.8, 0.0, 0.5])
FEATURES = [f"x{i}" for i in range(BETA.size)]


def world(rows: int, seed: int, shift: float = 0.0, beta: np.ndarray = BETA) -> pd.DataFrame:
    """Rows whose label is drawn from sigmoid(x . beta); ``shift`` moves x0."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, BETA.size))
    X[:, 0] += shift
    y = rng.random(rows) < 1 / (1 + np.exp(-(X @ beta)))
    return pd.DataFrame(X, columns=FEATURES).assign(target=y.astype(int))


def flip(frame: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """Corrupt a share of the labels (a labelling fault: the inputs do not change)."""
    out = frame.copy()
    rows = np.random.default_rng(seed).random(len(out)) < share
    out.loc[rows, "target"] = 1 - out.loc[rows, "target"]
    return out


def hide_labels(frame: pd.DataFrame, keep: int = 0) -> pd.DataFrame:
    out = frame.copy()
    out["target"] = out["target"].astype(float)
    out.loc[out.index[keep:], "target"] = np.nan
    return out


@pytest.fixture
def deployment(tmp_path: Path):
    """A calibrated logistic regression and a data folder to add production to."""
    train, test, validation = world(3000, 0), world(2000, 1), world(1000, 2)
    for frame in (train, test, validation):  # data.time must be in every split when set
        frame["scored_at"] = pd.date_range("2026-01-01", periods=len(frame), freq="min")
    model = LogisticRegression().fit(train[FEATURES], train["target"])
    model_path = save_pickle(model, tmp_path / "model.pkl")
    splits = write_splits(tmp_path / "splits", train, test, validation=validation)
    return model, model_path, splits


def write_batches(splits: Path, batches: dict[str, pd.DataFrame]) -> None:
    folder = splits / "production"
    folder.mkdir()
    for name, frame in batches.items():
        frame.to_csv(folder / f"{name}.csv", index=False)


def checklist(
    tmp_path: Path,
    data: dict | None = None,
    primary: str | None = "accuracy",
    model: dict | None = None,
    **checks: dict,
) -> Path:
    path = tmp_path / "checklist.yaml"
    spec: dict = {
        "metrics": {"primary": primary} if primary else {},
        "checks": {
            "latency": {"enabled": False},
            "benchmark": {"enabled": False},
            "metric_parity": {"enabled": False},
            "split_distribution": {"enabled": False},
            "baseline": {"enabled": False},
            **checks,
        },
    }
    if data:
        spec["data"] = data
    if model:
        spec["model"] = model
    path.write_text(yaml.safe_dump(spec))
    return path


def test_corrupted_labels_raise_an_alert_at_the_right_window(cli, tmp_path, deployment):
    _, model_path, splits = deployment
    shares = [0.0, 0.0, 0.0, 0.3, 0.4]
    write_batches(
        splits,
        {f"2026-11-0{i + 1}": flip(world(400, 10 + i), share, i) for i, share in enumerate(shares)},
    )
    result = cli.audit(model_path, splits, "--checklist", str(checklist(tmp_path)))
    check = check_of(result, "performance_monitoring")
    windows = table(check, "accuracy by batch")
    assert list(windows["status"]) == ["ok", "ok", "ok", "degraded", "degraded"]
    assert check["status"] == "fail"  # two degraded batches in a row
    assert (
        "accuracy degraded in 2 batch(s) (2026-11-04, 2026-11-05; 2 in a row)" in check["message"]
    )
    assert "investigate the labels and a change of concept" in check["message"]
    assert check["metrics"]["degraded_windows"] == 2
    drop = windows.iloc[3]
    assert 0.1 < drop["drop vs test"] < 0.3 and drop["drop CI"]["low"] > 0
    assert result.exit_code == 1


def test_estimated_accuracy_tracks_the_true_accuracy_without_labels(cli, tmp_path, deployment):
    model, model_path, splits = deployment
    batches = {f"b{i}": world(1500, 40 + i, shift=shift) for i, shift in enumerate([0, 1, 2])}
    truth = {name: model.score(b[FEATURES], b["target"]) for name, b in batches.items()}
    write_batches(
        splits,
        {"b0": batches["b0"], **{n: hide_labels(b) for n, b in batches.items() if n != "b0"}},
    )
    result = cli.audit(model_path, splits, "--checklist", str(checklist(tmp_path)))
    check = check_of(result, "performance_monitoring")
    windows = table(check, "accuracy by batch").set_index("batch")
    for name, accuracy in truth.items():
        assert windows.loc[name, "estimated accuracy"] == pytest.approx(accuracy, abs=0.03)
    # realised and estimated side by side where labels exist; the estimator's error is shown
    assert windows.loc["b0", "accuracy"] == pytest.approx(truth["b0"])
    assert check["metrics"]["estimation_error_accuracy"] < 0.03
    assert "calibration error on test" in " ".join(check["notes"])
    assert list(windows["status"]) == ["ok", "not enough ground truth", "not enough ground truth"]


def test_a_miscalibrated_model_is_recalibrated_on_validation(cli, tmp_path, deployment):
    model, _, splits = deployment
    overconfident = _ScaledInputs(model, 4.0)  # same ranking, far too extreme probabilities
    model_path = save_pickle(overconfident, tmp_path / "overconfident.pkl")
    hidden = world(1500, 50)
    write_batches(splits, {"b0": hide_labels(hidden)})
    spec = checklist(tmp_path, model={"allow": ["tests.test_monitoring"]})
    result = cli.audit(model_path, splits, "--checklist", str(spec))
    check = check_of(result, "performance_monitoring")
    notes = " ".join(check["notes"])
    assert "miscalibrated on test" in notes and "recalibrated with isotonic on validation" in notes
    true_accuracy = (overconfident.predict(hidden[FEATURES]) == hidden["target"]).mean()
    estimated = table(check, "accuracy by batch")["estimated accuracy"].item()
    assert estimated == pytest.approx(true_accuracy, abs=0.03)


class _ScaledInputs:
    """Multiplies the inputs before a logistic regression: same ranking, extreme
    probabilities."""

    def __init__(self, model: LogisticRegression, factor: float) -> None:
        self.model, self.factor = model, factor
        self.classes_ = model.classes_
        self.feature_names_in_ = np.array(FEATURES)

    def predict(self, X):
        return self.model.predict(X * self.factor)

    def predict_proba(self, X):
        return self.model.predict_proba(X * self.factor)


def test_monitor_runs_the_monitoring_checks_and_queues_rows_for_labelling(
    cli, tmp_path, deployment
):
    _, model_path, splits = deployment
    write_batches(splits, {"b1": world(300, 90), "b2": hide_labels(world(300, 91))})
    queue_path = tmp_path / "queue.csv"
    args = (
        "monitor",
        str(model_path),
        "--data",
        str(splits),
        "--checklist",
        str(checklist(tmp_path)),
        "--json",
        str(tmp_path / "m.json"),
        "--report",
        str(tmp_path / "m.md"),
        "--label-queue",
        "40",
        "--label-queue-file",
        str(queue_path),
        "--junit",
        str(tmp_path / "m.xml"),
    )
    result = cli(*args)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "m.json").read_text())
    cases = ET.parse(tmp_path / "m.xml").getroot().findall("./testsuite/testcase")
    monitoring = [c.id for c in load_checks().values() if c.capabilities.monitors]
    assert sorted(c.get("name") for c in cases) == sorted(monitoring)
    assert [c["id"] for c in report["checks"]] == [
        "ground_truth",
        "drift",
        "performance_monitoring",
    ]
    assert next(q for q in report["questions"] if q["number"] == 1)["reason"] == (
        "not part of this run"
    )
    queue = pd.read_csv(queue_path)
    assert len(queue) == 40 and queue["_batch"].eq("b2").all()
    assert queue["target"].isna().all()
    assert (queue["_reason"] == "random sample (unbiased estimate)").sum() == 20
    unsure = queue[queue["_reason"] == "uncertain prediction (most informative)"]
    assert (
        unsure["_confidence"].max()
        < queue.loc[queue["_reason"].str.startswith("random"), "_confidence"].median()
    )
    first = queue_path.read_bytes()
    assert cli(*args).exit_code == 0
    assert queue_path.read_bytes() == first  # seeded: the same rows every time


def test_an_estimated_drop_without_labels_warns_and_asks_for_labels(cli, tmp_path, deployment):
    _, model_path, splits = deployment
    near_boundary = world(1500, 100)
    near_boundary[FEATURES] *= 0.2  # every row close to the decision boundary
    write_batches(splits, {"b0": world(400, 101), "b1": hide_labels(near_boundary)})
    result = cli.audit(model_path, splits, "--checklist", str(checklist(tmp_path)))
    check = check_of(result, "performance_monitoring")
    windows = table(check, "accuracy by batch").set_index("batch")
    assert windows.loc["b1", "status"] == "estimated drop"
    assert windows.loc["b1", "estimated accuracy"] < 0.65
    assert check["status"] == "warn"
    assert (
        "estimated accuracy dropped beyond chance in 1 batch(s) without enough labels"
        in check["message"]
    )
    advice = table(check, "Recommendations").set_index("batch")
    assert advice.loc["b1", "what to do"].startswith("label a sample of this window")


def test_multiclass_accuracy_is_estimated_from_the_top_class_probability(cli, iris_case, tmp_path):
    model, splits = iris_case
    test = pd.read_csv(splits / "test.csv")
    test.drop(columns="species").to_csv(splits / "production.csv", index=False)
    spec = checklist(tmp_path, {"target": "species"})
    result = cli.audit(model, splits, "--checklist", str(spec))
    check = check_of(result, "performance_monitoring")
    assert "from the top-class probability" in " ".join(check["notes"])
    estimated = table(check, "accuracy by window")["estimated accuracy"].item()
    assert 0.8 < estimated <= 1.0
