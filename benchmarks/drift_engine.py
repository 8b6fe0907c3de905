"""Time and peak memory of the drift engine, reference vs current, on synthetic data.

    python benchmarks/drift_engine.py --rows 100000,1000000 --cols 50

Each size runs in a fresh child process so that its peak RSS is its own. The
floor is the bare work any such engine does: sorting every numeric column of
both samples once and counting the categorical levels.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from mlready.stats.drift import Reference, compare

CATEGORICAL_SHARE = 0.2


def make(rows: int, cols: int, seed: int, shift: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_cat = int(cols * CATEGORICAL_SHARE)
    data = {f"x{i}": rng.normal(size=rows) + (shift if i < 3 else 0.0) for i in range(cols - n_cat)}
    for j in range(n_cat):
        data[f"c{j}"] = pd.Categorical(rng.choice(["a", "b", "c", "d", "e"], rows))
    return pd.DataFrame(data)


def run_one(rows: int, cols: int) -> dict[str, float]:
    reference, current = make(rows, cols, 0, 0.0), make(rows, cols, 1, 0.3)
    categorical = [c for c in reference.columns if c.startswith("c")]
    numeric = [c for c in reference.columns if c not in categorical]
    started = time.perf_counter()
    for frame in (reference, current):
        for c in numeric:
            np.sort(frame[c].to_numpy())
        for c in categorical:
            frame[c].value_counts()
    floor = time.perf_counter() - started
    started = time.perf_counter()
    results = compare(Reference.of(reference, list(reference.columns), categorical), current)
    engine = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    data_mb = (
        reference.memory_usage(deep=True).sum() + current.memory_usage(deep=True).sum()
    ) / 2**20
    drifted = sorted(r.column for r in results if r.drifted)
    return {
        "rows": rows,
        "cols": cols,
        "engine_s": engine,
        "floor_s": floor,
        "peak_mb": peak,
        "data_mb": data_mb,
        "drifted": drifted,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", default="100000,1000000")
    parser.add_argument("--cols", type=int, default=50)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(int(args.rows), args.cols)))
        return
    print("rows      cols  engine   floor (sort+count)  peak RSS   data in memory  drifted")
    for rows in (int(r) for r in args.rows.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--rows", str(rows), "--cols", str(args.cols)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout)
        print(
            f"{r['rows']:<9} {r['cols']:<5} {r['engine_s']:6.2f} s {r['floor_s']:8.2f} s "
            f"{r['peak_mb']:10.0f} MB {r['data_mb']:10.0f} MB   {', '.join(r['drifted'])}"
        )


if __name__ == "__main__":
    main()
