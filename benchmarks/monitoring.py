"""Time of ``mlready monitor`` (ground_truth, drift, performance_monitoring) on generated data.

    python benchmarks/monitoring.py --rows 100000,1000000 --windows 20

Labels are drawn from a logistic model over 20 numeric features (so a logistic
regression is calibrated); production has ``--rows`` rows in ``--windows`` batch
files, the last 30% of them without labels. Each size runs in a fresh child process;
reported: wall time of the whole monitor run, seconds per check, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

FEATURES = 20


def world(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, FEATURES))
    X[:, 0] += shift
    beta = np.linspace(1.0, -1.0, FEATURES)
    y = rng.random(rows) < 1 / (1 + np.exp(-(X @ beta)))
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(FEATURES)]).assign(target=y.astype(int))


def child(rows: int, windows: int) -> dict[str, object]:
    from mlready import api

    folder = Path(tempfile.mkdtemp(prefix="mlready-monitor-"))
    splits = folder / "splits"
    (splits / "production").mkdir(parents=True)
    train, test = world(50_000, 0), world(20_000, 1)
    train.to_parquet(splits / "train.parquet")
    test.to_parquet(splits / "test.parquet")
    per_window = rows // windows
    for w in range(windows):
        batch = world(per_window, 100 + w, shift=0.05 * w).astype({"target": float})
        if w >= 0.7 * windows:
            batch["target"] = np.nan
        batch.to_parquet(splits / "production" / f"week-{w:02d}.parquet")
    model = LogisticRegression(max_iter=500).fit(train.drop(columns="target"), train["target"])
    with (folder / "model.pkl").open("wb") as handle:
        pickle.dump(model, handle)
    started = time.perf_counter()
    # what 'mlready monitor' runs: ground_truth, performance_monitoring and drift
    report = api.audit(folder / "model.pkl", splits, monitor=True)
    return {
        "rows": rows,
        "windows": windows,
        "seconds": round(time.perf_counter() - started, 1),
        "checks": {c.id: c.duration_s for c in report.checks},
        "statuses": {c.id: c.status.value for c in report.checks},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000")
    parser.add_argument("--windows", type=int, default=20)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(int(args.rows), args.windows)))
        return
    for rows in args.rows.split(","):
        command = [
            sys.executable,
            __file__,
            "--child",
            "--rows",
            rows,
            "--windows",
            str(args.windows),
        ]
        print(subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip())


if __name__ == "__main__":
    main()
