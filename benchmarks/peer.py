"""Side by side with the peer a user would pick instead: mlready's whole audit (default
options) against Evidently's ``DataDriftPreset`` report on the same Parquet files, both as
whole processes, in one run.

    python benchmarks/peer.py --rows 100000[,1000000] [--pairs 1] [--peer-venv DIR] [--keep DIR]

The problem is the one issue 22 describes: 35 numeric and 15 categorical columns, 12 of
them drifted in production, a binary target, a HistGradientBoosting pipeline; train and
production have ``--rows`` rows each, test a fifth of that. Evidently (0.7) is installed
into a throwaway virtual environment (``--peer-venv``, kept between runs to save the
download), never into mlready's. Each pair runs both tools in turn, the first of the pair
alternating; printed: wall seconds, peak RSS, the ratio mlready / Evidently, mlready's
per-check split, which columns each tool found drifted, and the floor (reading the files
and one vectorised pass of the drift statistics, benchmarks/run.py's floor).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from peak import measure
from run import fit_model, floor

NUMERIC, CATEGORICAL, DRIFTED_NUMERIC, DRIFTED_CATEGORICAL = 35, 15, 8, 4
LEVELS = np.array(["a", "b", "c", "d", "e", "f"], dtype=object)
PEER = ["evidently==0.7.*", "pandas<3"]  # Evidently 0.7 imports a helper pandas 3 removed


def make(rows: int, seed: int, drift: bool) -> pd.DataFrame:
    """x0..x34 and c0..c14; in production x0..x7 shift and c0..c3 change level shares."""
    rng = np.random.default_rng(seed)
    data: dict[str, np.ndarray] = {}
    for i in range(NUMERIC):
        shift = 0.25 if drift and i < DRIFTED_NUMERIC else 0.0
        data[f"x{i}"] = rng.normal(shift, 1.0, rows)
    base = np.array([0.3, 0.25, 0.2, 0.1, 0.1, 0.05])
    moved = np.array([0.15, 0.2, 0.2, 0.15, 0.15, 0.15])
    for j in range(CATEGORICAL):
        shares = moved if drift and j < DRIFTED_CATEGORICAL else base
        data[f"c{j}"] = LEVELS[rng.choice(len(LEVELS), rows, p=shares)]
    frame = pd.DataFrame(data)
    logit = frame["x0"] - 0.8 * frame["x9"] + 0.6 * (frame["c0"] == "a") + 0.4 * frame["x12"]
    frame["target"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


def expected_drifted() -> set[str]:
    return {f"x{i}" for i in range(DRIFTED_NUMERIC)} | {f"c{j}" for j in range(DRIFTED_CATEGORICAL)}


def write_problem(folder: Path, rows: int) -> Path:
    """Splits as Parquet, the pickled pipeline and a checklist naming the folder."""
    splits = folder / "splits"
    splits.mkdir(parents=True, exist_ok=True)
    train = make(rows, 0, drift=False)
    for name, frame in (
        ("train", train),
        ("test", make(rows // 5, 1, drift=False)),
        ("production", make(rows, 2, drift=True)),
    ):
        frame.to_parquet(splits / f"{name}.parquet", index=False)
    fit_model(train, folder / "model.pkl")  # benchmarks/run.py's pipeline: c* ordinal-encoded
    (folder / "checklist.yaml").write_text("data:\n  dir: splits\n")
    (folder / "problem.json").write_text(json.dumps({"rows": rows}))
    return folder


def peer_python(venv: Path) -> Path:
    """The throwaway environment's interpreter, with the peer installed (once)."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([python, "-c", "import evidently"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "-q", *PEER, "pyarrow"], check=True)
    return python


def run_mlready(folder: Path) -> dict[str, object]:
    report = folder / "mlready.json"
    measured = measure(
        "mlready.cli",
        "audit",
        str(folder / "model.pkl"),
        "--checklist",
        str(folder / "checklist.yaml"),
        "--json",
        str(report),
        "--quiet",
    )
    result = json.loads(report.read_text())
    drift = next(c for c in result["checks"] if c["id"] == "drift")
    features = next(t for t in drift["tables"] if t["title"].startswith("Features"))
    return {
        **measured,
        "checks": {c["id"]: c["duration_s"] for c in result["checks"]},
        "drifted": sorted(r[0] for r in features["rows"] if "drifted" in str(r[-1])),
    }


def run_peer(folder: Path, python: Path) -> dict[str, object]:
    found = folder / "peer.json"
    measured = measure(
        str(Path(__file__).with_name("peer_evidently.py")),
        str(folder / "splits"),
        str(folder / "peer.html"),
        str(found),
        interpreter=str(python),
    )
    return {**measured, "drifted": sorted(json.loads(found.read_text()))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000")
    parser.add_argument("--pairs", type=int, default=1)
    parser.add_argument("--peer-venv", type=Path, default=Path(tempfile.gettempdir()) / "peer")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the generated files here")
    args = parser.parse_args()
    python = peer_python(args.peer_venv)
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}", flush=True)
    for rows in (int(r) for r in args.rows.split(",")):
        folder = args.keep / str(rows) if args.keep else Path(tempfile.mkdtemp())
        try:
            if not (folder / "problem.json").exists():
                write_problem(folder, rows)
            for pair in range(args.pairs):
                order = ["mlready", "peer"] if pair % 2 == 0 else ["peer", "mlready"]
                runs = {
                    name: run_mlready(folder) if name == "mlready" else run_peer(folder, python)
                    for name in order
                }
                mine, theirs = runs["mlready"], runs["peer"]
                print(
                    json.dumps(
                        {
                            "rows": rows,
                            "pair": pair,
                            "ratio": round(float(mine["seconds"]) / float(theirs["seconds"]), 2),
                            "mlready": mine,
                            "evidently": theirs,
                            "expected_drifted": sorted(expected_drifted()),
                            "floor_s": round(floor(folder), 1),
                        }
                    ),
                    flush=True,
                )
        finally:
            if args.keep is None:
                shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
