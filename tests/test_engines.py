"""Production beyond memory: mergeable sketches, ``monitor --engine stream`` and
``--engine dask`` (a LocalCluster of two workers) against the in-memory engine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from mlready.stats.drift import Reference, compare
from mlready.stats.sketch import SKETCH_GRID, FrameSketch
from tests.conftest import check_of, save_pickle

FEATURES = ["x0", "x1", "x2", "level"]


def rows(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x0": rng.normal(shift, 1, n),
            "x1": rng.gamma(2, 1, n),
            "x2": rng.integers(0, 4, n).astype(float),
            "level": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
        }
    )
    frame.loc[rng.random(n) < 0.02, "x1"] = np.nan
    frame["target"] = (frame["x0"] + rng.normal(0, 1, n) > 0).astype(int)
    return frame


def test_sketches_merge_in_any_order_and_compare_like_the_rows() -> None:
    train, current = rows(100_000, 0), rows(150_000, 1, shift=0.15)
    reference = Reference.of(train, FEATURES, ["level"])
    pieces = np.array_split(np.arange(len(current)), 9)

    def merged(order: list[int]) -> FrameSketch:
        total = FrameSketch.like(reference)
        for i in order:
            piece = FrameSketch.like(reference)
            piece.add(current.iloc[pieces[i]])
            total.merge(piece)
        return total

    forward, backward = merged(list(range(9))), merged(list(reversed(range(9))))
    for name in ("x0", "x1", "x2"):
        a, b = forward.columns[name], backward.columns[name]
        assert np.array_equal(a.inside, b.inside) and np.array_equal(a.at_edge, b.at_edge)
        assert a.mean == pytest.approx(b.mean, rel=1e-12) and a.m2 == pytest.approx(b.m2)
    assert forward.rows == len(current)
    assert forward.columns["x0"].mean == pytest.approx(current["x0"].mean(), rel=1e-12)
    assert forward.columns["x1"].missing == current["x1"].isna().sum()

    exact = {r.column: r for r in compare(reference, current)}
    sketched = {r.column: r for r in compare(reference, forward.reference())}
    for name in FEATURES:
        e, s = exact[name], sketched[name]
        assert s.drifted == e.drifted
        assert s.missing_current == pytest.approx(e.missing_current)
        assert s.effects["psi"] == pytest.approx(e.effects["psi"], abs=1e-3)
        if name != "level":
            assert s.effects["ks"] == pytest.approx(e.effects["ks"], abs=1 / SKETCH_GRID + 1e-4)
            assert s.effects["wasserstein"] == pytest.approx(e.effects["wasserstein"], abs=3e-3)
    assert exact["x0"].drifted  # the shifted column is found either way


@pytest.fixture
def streamed_case(tmp_path: Path):
    """A model, train/test, and production as three Parquet batches, the last drifted."""
    train, test = rows(20_000, 0), rows(3_000, 1)
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    model.fit(train[["x0", "x1", "x2"]], train["target"])
    data = tmp_path / "data"
    (data / "production").mkdir(parents=True)
    train.to_csv(data / "train.csv", index=False)
    test.to_csv(data / "test.csv", index=False)
    for i, shift in enumerate([0.0, 0.0, 0.8]):
        batch = rows(15_000, 10 + i, shift)
        batch["target"] = np.nan  # no labels yet
        batch.to_parquet(data / "production" / f"2026-11-{20 + i}.parquet", row_group_size=4000)
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text("data:\n  features: [x0, x1, x2]\n")
    return save_pickle(model, tmp_path / "model.pkl"), data, checklist


def _drift(cli, tmp_path: Path, model: Path, data: Path, checklist: Path, *extra: str) -> dict:
    out = tmp_path / f"drift-{'-'.join(extra) or 'memory'}.json"
    result = cli(
        "monitor",
        str(model),
        "-d",
        str(data),
        "-c",
        str(checklist),
        "--json",
        str(out),
        "--report",
        str(tmp_path / "m.md"),
        *extra,
    )
    assert result.exit_code in (0, 1), result.output
    return next(c for c in json.loads(out.read_text())["checks"] if c["id"] == "drift")


def _numbers(check: dict) -> dict[str, float]:
    return {e["name"]: e["value"] for e in check["evidence"] if isinstance(e["value"], float)}


def test_streamed_monitoring_finds_what_the_in_memory_one_finds(
    cli, streamed_case, tmp_path: Path
) -> None:
    model, data, checklist = streamed_case
    memory = _drift(cli, tmp_path, model, data, checklist)
    stream = _drift(cli, tmp_path, model, data, checklist, "--engine", "stream")
    assert stream["status"] == memory["status"] == "fail"
    assert stream["message"] == memory["message"]
    ours, theirs = _numbers(stream), _numbers(memory)
    assert set(ours) == set(theirs)
    for name, value in theirs.items():
        assert ours[name] == pytest.approx(value, abs=3e-3), name
    by_batch = next(t for t in stream["tables"] if t["title"] == "Drift by batch")
    assert [r[0] for r in by_batch["rows"]] == ["2026-11-20", "2026-11-21", "2026-11-22"]
    assert [r[1] for r in by_batch["rows"]] == [15_000, 15_000, 15_000]
    assert "x0" in by_batch["rows"][2][3] and by_batch["rows"][0][3] == "-"


def test_the_stream_engine_reports_each_batch_it_streams_as_a_step(
    cli, streamed_case, tmp_path: Path
) -> None:
    model, data, checklist = streamed_case
    args = ["monitor", str(model), "-d", str(data), "-c", str(checklist), "--engine", "stream"]
    result = cli(*args, "--report", str(tmp_path / "m.md"), "-v")
    assert result.exit_code in (0, 1), result.output
    steps = [line.split(": ", 1)[1] for line in result.stderr.splitlines() if "streaming" in line]
    names = [f"2026-11-{day}.parquet" for day in (20, 21, 22)]
    assert steps == [f"streaming batch {i} of 3 ({name})" for i, name in enumerate(names, 1)]


@pytest.mark.heavy  # a Dask LocalCluster
@pytest.mark.parametrize("isolate", ["off", "full"])
def test_dask_engine_on_a_local_cluster_equals_the_stream_engine(
    cli, streamed_case, tmp_path: Path, isolate: str
) -> None:
    """With --isolate full, each worker runs the model in an isolated process of its own."""
    pytest.importorskip("distributed", reason="the Dask engine is the optional extra mlready[dask]")
    model, data, checklist = streamed_case
    stream = _drift(cli, tmp_path, model, data, checklist, "--engine", "stream")
    dask = _drift(cli, tmp_path, model, data, checklist, "--engine", "dask", "--isolate", isolate)
    assert dask["status"] == stream["status"] and dask["message"] == stream["message"]
    ours, theirs = _numbers(dask), _numbers(stream)
    assert ours.keys() == theirs.keys()
    for name, value in theirs.items():
        assert ours[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_engine_options_are_checked(cli, streamed_case, tmp_path: Path) -> None:
    model, data, checklist = streamed_case
    result = cli(
        "monitor",
        str(model),
        "-d",
        str(data),
        "-c",
        str(checklist),
        "--scheduler",
        "tcp://127.0.0.1:1",
    )
    assert result.exit_code == 2 and "--scheduler needs --engine dask" in result.output
    result = cli("monitor", str(model), "-d", str(data / "nowhere"), "--engine", "stream")
    assert result.exit_code == 2 and "does not exist" in result.output


def test_a_streamed_audit_runs_drift_and_data_quality_like_the_in_memory_one(
    cli, streamed_case, tmp_path: Path
) -> None:
    model, data, checklist = streamed_case
    batch = data / "production" / "2026-11-21.parquet"
    broken = pd.read_parquet(batch)
    broken.loc[:9, "x1"] = -1e9  # far below train's range: ten rows break the contract
    broken.to_parquet(batch)
    memory = cli.audit(model, data, "-c", str(checklist))
    stream = cli.audit(model, data, "-c", str(checklist), "--engine", "stream")
    assert stream.exit_code == 1, stream.output
    ran = {c["id"]: c for c in stream.json["checks"]}
    assert set(ran) == {"drift", "data_quality"}
    for check in ("drift", "data_quality"):
        assert ran[check]["status"] == check_of(memory, check)["status"], check
    quality = {e["name"]: e["value"] for e in ran["data_quality"]["evidence"]}
    expected = {e["name"]: e["value"] for e in check_of(memory, "data_quality")["evidence"]}
    assert quality["production_rows"] == expected["production_rows"] == 45_000
    assert quality["production_invalid_share"] == expected["production_invalid_share"]
    assert "production/2026-11-21" in ran["data_quality"]["message"]
    skipped = [q for q in stream.json["questions"] if q["status"] == "not assessed"]
    assert {q["number"] for q in skipped} >= {1, 2, 3, 10}
    streamed = next(s for s in stream.json["splits"] if s["name"].startswith("production"))
    assert streamed["name"] == "production (streamed, --engine stream)"
    assert streamed["rows"] == 45_000

    # With a train profile, a streamed audit reads neither train nor production.
    profile = tmp_path / "train.profile"
    made = cli(
        "profile",
        str(data / "train.csv"),
        "-o",
        str(profile),
        "--model",
        str(model),
        "-c",
        str(checklist),
    )
    assert made.exit_code == 0, made.output
    (data / "train.csv").rename(tmp_path / "train-elsewhere.csv")
    daily = cli.audit(
        model, data, "-c", str(checklist), "--engine", "stream", "--profile", str(profile)
    )
    assert daily.exit_code == 1, daily.output
    assert {c["id"]: c["status"] for c in daily.json["checks"]} == {
        c: ran[c]["status"] for c in ("drift", "data_quality")
    }
