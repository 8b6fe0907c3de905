"""The whole audit at scale: wall time and peak RSS of ``mlready audit``, per check, and the floor.

    python benchmarks/run.py --rows 100000,1000000 --cols 50 [--jobs 2] [--keep DIR]

For each size, a deterministic synthetic problem is written as Parquet: ``--rows`` train
rows, a test split of a fifth of that, and ``--rows`` production rows in which the first
three numeric columns drift (mixed numeric and categorical columns, binary target). A
HistGradientBoosting pipeline is fitted and pickled, and ``mlready audit --quick`` (latency
in its quick mode) runs in a child process; its peak RSS is the child's own high-water mark
(benchmarks/peak.py).
The floor is the bare work any such audit does: read the Parquet files and one vectorised
pass of KS, PSI, chi-square, Wasserstein and Jensen-Shannon over every column, train vs
production.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent))
from peak import measure

CATEGORICAL_SHARE = 0.2
DRIFTED = 3


def make(rows: int, cols: int, seed: int, drift: bool) -> pd.DataFrame:
    """Numeric columns x0.. (the first DRIFTED shift in production) and categorical c0..;
    the target depends on a few of each."""
    rng = np.random.default_rng(seed)
    n_cat = int(cols * CATEGORICAL_SHARE)
    data: dict[str, np.ndarray] = {}
    for i in range(cols - n_cat):
        shift = 0.5 if drift and i < DRIFTED else 0.0
        data[f"x{i}"] = rng.normal(shift, 1.0, rows).astype(np.float32).astype(float)
    for j in range(n_cat):
        data[f"c{j}"] = np.asarray(["a", "b", "c", "d", "e"], dtype=object)[
            rng.integers(0, 5, rows)
        ]
    frame = pd.DataFrame(data)
    logit = frame["x0"] - 0.8 * frame["x3"] + 0.5 * (frame["c0"] == "a") + 0.3 * frame["x5"]
    frame["target"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


def fit_model(train: pd.DataFrame, model_path: Path) -> None:
    """The benchmark model (categoricals ordinal-encoded, HistGradientBoosting), pickled."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    categorical = [c for c in train.columns if c.startswith("c")]
    model = Pipeline(
        [
            (
                "encode",
                ColumnTransformer(
                    [("cat", OrdinalEncoder(), categorical)], remainder="passthrough"
                ),
            ),
            ("model", HistGradientBoostingClassifier(max_iter=50, random_state=0)),
        ]
    )
    model.fit(train.drop(columns="target"), train["target"])
    with model_path.open("wb") as handle:
        pickle.dump(model, handle)


def write_problem(folder: Path, rows: int, cols: int) -> tuple[Path, Path, float]:
    """Splits, model and checklist; returns the model, the checklist and the data's MB."""
    splits = folder / "splits"
    splits.mkdir(parents=True)
    train = make(rows, cols, 0, drift=False)
    test = make(rows // 5, cols, 1, drift=False)
    production = make(rows, cols, 2, drift=True)
    for name, frame in (("train", train), ("test", test), ("production", production)):
        frame.to_parquet(splits / f"{name}.parquet", index=False)
    model_path = folder / "model.pkl"
    fit_model(train, model_path)
    checklist = folder / "checklist.yaml"
    checklist.write_text("data:\n  dir: splits\n")
    megabytes = sum(f.memory_usage(deep=True).sum() for f in (train, test, production)) / 2**20
    return model_path, checklist, float(megabytes)


def reuse_or_write(folder: Path, rows: int, cols: int) -> tuple[Path, Path, float]:
    """The problem kept in ``folder`` by an earlier run (``--keep``), else a new one."""
    done = folder / "problem.json"
    if done.exists():
        megabytes = json.loads(done.read_text())["data_mb"]
        return folder / "model.pkl", folder / "checklist.yaml", float(megabytes)
    model, checklist, megabytes = write_problem(folder, rows, cols)
    done.write_text(json.dumps({"data_mb": megabytes}))
    return model, checklist, megabytes


def floor(folder: Path) -> float:
    """Seconds to read train and production and compare every column once."""
    started = time.perf_counter()
    train = pq.read_table(folder / "splits" / "train.parquet").to_pandas()
    current = pq.read_table(folder / "splits" / "production.parquet").to_pandas()
    for column in train.columns:
        if column.startswith("c"):
            a = train[column].value_counts()
            b = current[column].value_counts().reindex(a.index, fill_value=0)
            stats.chisquare(b, a / a.sum() * b.sum())
            p, q = a / a.sum(), b / b.sum()
            np.sum((q - p) * np.log((q + 1e-6) / (p + 1e-6)))
            stats.distributions.entropy(p, q)
        else:
            x, y = np.sort(train[column].to_numpy()), np.sort(current[column].to_numpy())
            grid = np.concatenate([x, y])
            np.abs(
                np.searchsorted(x, grid, "right") / x.size
                - np.searchsorted(y, grid, "right") / y.size
            ).max()  # KS
            edges = np.quantile(x, np.linspace(0, 1, 11))
            p = np.histogram(x, edges)[0] / x.size
            q = np.histogram(np.clip(y, edges[0], edges[-1]), edges)[0] / y.size
            np.sum((q - p) * np.log((q + 1e-6) / (p + 1e-6)))  # PSI
            np.abs(
                np.quantile(x, np.linspace(0, 1, 1001)) - np.quantile(y, np.linspace(0, 1, 1001))
            ).mean()  # Wasserstein
    return time.perf_counter() - started


def audit(folder: Path, model: Path, checklist: Path, jobs: int, isolate: str) -> dict[str, object]:
    report = folder / "report.json"
    measured = measure(
        "mlready.cli",
        "audit",
        str(model),
        "--checklist",
        str(checklist),
        "--json",
        str(report),
        "--report",
        str(folder / "report.md"),
        "--quick",
        "--quiet",
        "--jobs",
        str(jobs),
        "--isolate",
        isolate,
    )
    result = json.loads(report.read_text())
    return {
        "seconds": measured["seconds"],
        "peak_rss_mb": measured["peak_rss_mb"],
        "exit_code": measured["exit_code"],
        "checks": {c["id"]: c["duration_s"] for c in result["checks"]},
        "statuses": {c["id"]: c["status"] for c in result["checks"]},
        "drift": next(c["message"] for c in result["checks"] if c["id"] == "drift"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000")
    parser.add_argument("--cols", type=int, default=50)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the generated files here")
    parser.add_argument("--jobs", type=int, default=1, help="mlready audit --jobs")
    parser.add_argument("--isolate", default="full", help="mlready audit --isolate (full, off)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}", flush=True)
    for rows in (int(r) for r in args.rows.split(",")):
        folder = args.keep / str(rows) if args.keep else Path(tempfile.mkdtemp())
        folder.mkdir(parents=True, exist_ok=True)
        try:
            model, checklist, megabytes = reuse_or_write(folder, rows, args.cols)
            floor_s = round(floor(folder), 1)
            measured = audit(folder, model, checklist, args.jobs, args.isolate)
            result = {
                "rows": rows,
                "cols": args.cols,
                "data_mb": round(megabytes),
                "floor_s": floor_s,
                "jobs": args.jobs,
                "isolate": args.isolate,
                **measured,
            }
            print(json.dumps(result), flush=True)
        finally:
            if args.keep is None:
                shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
