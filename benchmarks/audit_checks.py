"""Time and peak memory of a whole audit, per check, on synthetic data.

    python benchmarks/audit_checks.py --rows 100000 --test-rows 100000 --cols 30

Writes the data and model to a temporary folder, runs ``mlready.api.audit`` in
this process and prints wall time per phase and the peak RSS. Results are
recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import pickle
import platform
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier

from mlready.api import audit
from mlready.stats.bootstrap import bootstrap_metrics, paired_bootstrap
from mlready.stats.metrics import METRICS, Prediction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="train rows")
    parser.add_argument("--test-rows", type=int, default=100_000)
    parser.add_argument("--cols", type=int, default=30)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()

    X, y = make_classification(
        n_samples=args.rows + args.test_rows,
        n_features=args.cols,
        n_informative=args.cols // 3,
        random_state=0,
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(args.cols)]).assign(target=y)
    train, test = frame.iloc[: args.rows], frame.iloc[args.rows :]
    model = HistGradientBoostingClassifier(max_iter=50, random_state=0)
    model.fit(train.drop(columns="target"), train["target"])

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train.to_parquet(folder / "train.parquet")
        test.to_parquet(folder / "test.parquet")
        with (folder / "model.pkl").open("wb") as handle:
            pickle.dump(model, handle)
        checklist = folder / "checklist.yaml"
        checklist.write_text(
            "metrics: {extra: [accuracy, f1, log_loss]}\nchecks:\n"
            f"  baseline: {{n_resamples: {args.resamples}}}\n"
            f"  metric_parity: {{n_resamples: {args.resamples}}}\n"
        )

        started = time.perf_counter()
        report = audit(folder / "model.pkl", folder, checklist=checklist)
        total = time.perf_counter() - started

    score = model.predict_proba(test.drop(columns="target"))[:, 1]
    prediction = Prediction(label=(score > 0.5).astype(np.int64), score=score)
    y_test = test["target"].to_numpy()
    started = time.perf_counter()
    paired_bootstrap(
        METRICS["roc_auc"], y_test, [prediction] * 5, args.resamples, np.random.default_rng(0)
    )
    paired = time.perf_counter() - started
    started = time.perf_counter()
    names = ("roc_auc", "accuracy", "f1", "log_loss")
    bootstrap_metrics(
        [METRICS[n] for n in names], y_test, prediction, args.resamples, np.random.default_rng(0)
    )
    several = time.perf_counter() - started

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    print(f"data: {args.rows} train + {args.test_rows} test rows x {args.cols} columns")
    print(f"whole audit ({args.resamples} resamples): {total:.2f} s, status {report.status}")
    for check in report.checks:
        print(f"  {check.id}: {check.duration_s:.2f} s ({check.status})")
    print(
        f"paired bootstrap, roc_auc, 5 predictions x {args.resamples} resamples of the test "
        f"rows: {paired:.2f} s"
    )
    print(
        f"bootstrap of roc_auc, accuracy, f1, log_loss x {args.resamples} resamples of the "
        f"test rows: {several:.2f} s"
    )
    print(f"peak RSS of the process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
