"""A first run of the model in a child process, under memory and time limits.

A model file that passes the allow-list can still crash the interpreter (a crafted tree
whose nodes point outside it makes scikit-learn's ``predict`` read out of bounds), hang or
exhaust memory. Before the audit loads a model, :func:`probe_model` loads it in a child
process and predicts a sample of every split there; if the child dies by a signal, runs out
of time or memory, the audit does not load the model and the checks that need predictions
report an error saying why, while the data checks still run.

The probe costs a second or two (a fresh interpreter, the model loaded twice). It catches
what the sampled rows trigger; a model that crashes on other rows only is not caught.
"""

from __future__ import annotations

import json
import pickle
import resource
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

SAMPLE_ROWS = 1_000  # rows of each split the child predicts


@dataclass(frozen=True)
class Limits:
    """What the child may use."""

    memory_mb: int | None = 16_384  # address space; None: no limit
    timeout_s: float = 300.0


def probe_model(
    path: Path,
    samples: dict[str, pd.DataFrame],
    not_features: list[str],
    limits: Limits,
    load_options: dict[str, Any],
) -> str | None:
    """None when the model loads and predicts every sample in a child process within
    ``limits``; otherwise what went wrong, in one sentence. Errors the model raises
    normally (a missing column, a bad value) are left to the audit, which explains them."""
    with tempfile.TemporaryDirectory(prefix="mlready-probe-") as folder:
        work = Path(folder)
        with (work / "samples.pkl").open("wb") as handle:  # written here, read by our child
            pickle.dump({name: frame.head(SAMPLE_ROWS) for name, frame in samples.items()},
                        handle)  # fmt: skip
        (work / "job.json").write_text(json.dumps(
            {"model": str(path), "not_features": not_features, "load": load_options}))  # fmt: skip
        try:
            done = subprocess.run(
                [sys.executable, "-m", "mlready.io.isolation", folder],
                capture_output=True, text=True, timeout=limits.timeout_s,
                preexec_fn=_limit(limits.memory_mb),
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return (f"the model did not finish loading and predicting {SAMPLE_ROWS:,} rows "
                    f"within {limits.timeout_s:g} s (it may hang)")  # fmt: skip
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        return (f"the model crashed the Python interpreter ({name}) while predicting "
                f"{SAMPLE_ROWS:,} rows in an isolated process; a crafted or corrupted "
                "model file can do this")  # fmt: skip
    if "MemoryError" in done.stderr:
        return (f"the model ran out of memory (limit {limits.memory_mb:,} MB) while "
                f"predicting {SAMPLE_ROWS:,} rows in an isolated process")  # fmt: skip
    return None


def _limit(memory_mb: int | None) -> Any:
    def apply() -> None:  # runs in the child, before it starts Python
        if memory_mb is not None:
            size = memory_mb * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    return apply


def _child(folder: Path) -> None:
    """Load the model and predict each sample; an exception exits 1 (left to the audit)."""
    from mlready.io.model import load_model

    job = json.loads((folder / "job.json").read_text())
    with (folder / "samples.pkl").open("rb") as handle:
        samples: dict[str, pd.DataFrame] = pickle.load(handle)  # our own file, just written
    estimator = load_model(Path(job["model"]), **job["load"]).estimator
    for frame in samples.values():
        named = getattr(estimator, "feature_names_in_", None)
        X = frame[list(named)] if named is not None else frame.drop(
            columns=[c for c in job["not_features"] if c in frame.columns])  # fmt: skip
        estimator.predict(X)
        if hasattr(estimator, "predict_proba"):
            estimator.predict_proba(X)


if __name__ == "__main__":
    _child(Path(sys.argv[1]))
