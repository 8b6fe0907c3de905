"""Monitoring production larger than memory: a train profile, then ``mlready monitor`` with
each engine, wall time and peak RSS.

    python benchmarks/monitor_scale.py --train-rows 1000000 --batches 20 \\
        --batch-rows 1000000 --cols 50 --engines memory,stream,dask [--keep DIR]

Writes the synthetic problem of benchmarks/run.py (mixed numeric and categorical columns,
binary target, a HistGradientBoosting pipeline): train and test as Parquet, and production
as ``--batches`` Parquet files of ``--batch-rows`` rows, the second half drifted. Then, in
child processes: ``mlready profile train.parquet --model model.pkl`` and ``mlready monitor
--profile train.profile --engine E`` on a folder that holds only test and production (train
is not read), running the drift check. Peak RSS is the process's own high-water mark, and
the largest child's (a Dask worker) beside it (benchmarks/peak.py). ``--memory-limit-gb``
skips the memory engine on production larger than that in memory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from peak import measure
from run import fit_model, make  # benchmarks/run.py: the shared synthetic problem

CHECKLIST = """\
checks:
  ground_truth: {enabled: false}
  performance_monitoring: {enabled: false}
"""


def write_problem(folder: Path, train_rows: int, batches: int, batch_rows: int, cols: int) -> dict:
    daily = folder / "daily"
    (daily / "production").mkdir(parents=True)
    train = make(train_rows, cols, 0, drift=False)
    train.to_parquet(folder / "train.parquet", index=False)
    make(max(train_rows // 5, 1000), cols, 1, drift=False).to_parquet(daily / "test.parquet")
    fit_model(train, folder / "model.pkl")
    memory = 0
    for i in range(batches):
        batch = make(batch_rows, cols, 10 + i, drift=i >= batches // 2)
        memory += int(batch.memory_usage(deep=True).sum())
        batch.to_parquet(
            daily / "production" / f"batch-{i:03d}.parquet", index=False, row_group_size=100_000
        )
    (folder / "checklist.yaml").write_text(CHECKLIST)
    on_disk = sum(p.stat().st_size for p in (daily / "production").iterdir())
    return {
        "production_rows": batches * batch_rows,
        "production_in_memory_gb": round(memory / 2**30, 2),
        "production_on_disk_gb": round(on_disk / 2**30, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-rows", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=50)
    parser.add_argument("--engines", default="memory,stream,dask")
    parser.add_argument("--memory-limit-gb", type=float, default=8.0)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the generated files here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp())
    try:
        info_file = folder / "problem.json"
        if not info_file.exists():
            folder.mkdir(parents=True, exist_ok=True)
            info = write_problem(folder, args.train_rows, args.batches, args.batch_rows, args.cols)
            info_file.write_text(json.dumps(info))
        info = json.loads(info_file.read_text())
        print(json.dumps({"cores": os.cpu_count(), "train_rows": args.train_rows, **info}))
        profile = folder / "train.profile"
        made = measure(
            "mlready.cli",
            "profile",
            str(folder / "train.parquet"),
            "-o",
            str(profile),
            "--model",
            str(folder / "model.pkl"),
            "--quiet",
        )
        made["profile_mb"] = round(profile.stat().st_size / 2**20, 1)
        print(json.dumps({"step": "profile", **made}), flush=True)
        for engine in args.engines.split(","):
            if engine == "memory" and info["production_in_memory_gb"] > args.memory_limit_gb:
                print(json.dumps({"step": "monitor", "engine": engine, "skipped": "too large"}))
                continue
            report = folder / f"monitor-{engine}.json"
            run = measure(
                "mlready.cli",
                "monitor",
                str(folder / "model.pkl"),
                "-d",
                str(folder / "daily"),
                "-c",
                str(folder / "checklist.yaml"),
                "--profile",
                str(profile),
                "--engine",
                engine,
                "--json",
                str(report),
                "--report",
                str(folder / f"monitor-{engine}.md"),
                "--quiet",
            )
            drift = next(c for c in json.loads(report.read_text())["checks"] if c["id"] == "drift")
            print(
                json.dumps(
                    {"step": "monitor", "engine": engine, **run, "drift": drift["message"][:120]}
                ),
                flush=True,
            )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
