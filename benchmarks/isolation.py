"""What --isolate full costs: predicting a split in-process versus through the model's child
process (rows pickled to it, answers back as .npy), and starting that process.

    python benchmarks/isolation.py --keep DIR [--rows 1000000] [--repeats 3]

Uses the problem benchmarks/run.py writes (and keeps with --keep): its model and train
split. The two ways alternate, so a slow period of the shared machine hits both alike; on a
busy machine compare the fastest runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import pandas as pd
from run import reuse_or_write

from mlready.io.isolation import Isolation, ModelProcess, RemoteModel
from mlready.io.model import load_model
from mlready.io.predictor import EstimatorPredictor


def _timed(predictor: EstimatorPredictor, frame: pd.DataFrame, features: list[str]) -> float:
    started = time.perf_counter()
    predictor.predict("train", frame, features)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=50)
    parser.add_argument("--keep", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    folder = args.keep / str(args.rows)
    folder.mkdir(parents=True, exist_ok=True)
    model_path, _, _ = reuse_or_write(folder, args.rows, args.cols)
    frame = pd.read_parquet(folder / "splits" / "train.parquet")
    local = load_model(model_path, trust=True).estimator
    features = list(local.feature_names_in_)
    classes = pd.Index(local.classes_)

    started = time.perf_counter()
    process = ModelProcess(model_path, {"trust": True}, Isolation("full"))
    start_s = time.perf_counter() - started
    with process:
        remote = RemoteModel(process)
        in_process, isolated = [], []
        for _ in range(args.repeats):
            in_process.append(_timed(EstimatorPredictor(local, classes), frame, features))
            isolated.append(_timed(EstimatorPredictor(remote, classes), frame, features))
    print(json.dumps({
        "rows": len(frame), "cols": len(features),
        "process_start_s": round(start_s, 2),
        "predict_in_process_s": [round(t, 2) for t in in_process],
        "predict_isolated_s": [round(t, 2) for t in isolated],
        "median_overhead_s": round(statistics.median(isolated) - statistics.median(in_process), 2),
        "fastest_overhead_s": round(min(isolated) - min(in_process), 2),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
