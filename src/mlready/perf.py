"""Measuring what a model costs to run: latency, throughput, memory, CPU, size.

Timings run in this process with BLAS/OpenMP threads pinned (threadpoolctl),
so numbers are comparable between models and machines. Memory is measured in
a fresh child process from its resident set size, which, unlike tracemalloc,
counts numpy and other native allocations: the child loads the model (the
same vetted bytes, pinned by digest), resets its peak RSS, predicts the
sample in one batch, and reports the new peak.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_info, threadpool_limits

from mlready.errors import MlreadyError
from mlready.io.isolation import RemoteModel

LIBRARIES = ("numpy", "scipy", "pandas", "scikit-learn", "onnxruntime", "mlready")
# Single-row calls timed per repeat at the least, however slow the model.
_MIN_CALLS = 10


@dataclass(frozen=True)
class PerfSettings:
    calls: int = 300  # single-row predictions per repeat
    warmup: int = 20
    repeats: int = 3
    batch_sizes: tuple[int, ...] = (1, 32, 1024)  # plus the whole sample
    threads: int = 1
    seconds_per_phase: float = 1.0  # time budget of one repeat of one measurement
    memory_rows: int = 100_000
    measure_memory: bool = True
    method: str = "predict"


@dataclass(frozen=True)
class Memory:
    load_s: float
    in_memory_mb: float
    predict_peak_mb: float
    predict_cpu_s: float
    rows: int


@dataclass(frozen=True)
class Measurement:
    """Everything measured about one model on one sample, and under which conditions."""

    file_size_mb: float
    latency_ms: dict[str, float]  # p50, p95, p99, max over every timed single-row call
    latency_calls: int
    p95_by_repeat: list[float]
    throughput_rps: dict[int, float]  # batch size -> rows per second (median of repeats)
    throughput_spread: dict[int, tuple[float, float]]  # batch size -> (min, max) of repeats
    memory: Memory | None
    conditions: dict[str, Any] = field(default_factory=dict)


def conditions(threads: int) -> dict[str, Any]:
    """The machine and software the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]  # fmt: skip
        cpu = names[0] if names else cpu
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    pools = sorted({f"{p['user_api']}:{p['internal_api']}" for p in threadpool_info()})
    return {"cpu": cpu, "cores": os.cpu_count() or 1, "threads": threads,
            "thread_pools": pools, "python": platform.python_version(), **versions}  # fmt: skip


def _call(model: Any, method: str) -> Any:
    return getattr(model, method)


def _single_row_latency(predict: Any, X: pd.DataFrame, s: PerfSettings) -> list[list[float]]:
    """Milliseconds of each single-row call, per repeat (after warm-up).

    A slow model gets fewer calls: past the phase's time budget a repeat stops at 50 calls,
    and past ten times the budget at ``_MIN_CALLS`` (a model that takes a second a row would
    otherwise hold the audit for minutes)."""
    rows = [X.iloc[[i % len(X)]] for i in range(max(s.calls, s.warmup))]
    started = time.perf_counter()
    for row in rows[: s.warmup]:
        predict(row)
        if time.perf_counter() - started > s.seconds_per_phase:
            break  # warmed up: the first call pays the one-off costs
    hard_budget = max(10 * s.seconds_per_phase, 1.0)
    repeats = []
    for _ in range(s.repeats):
        times, started = [], time.perf_counter()
        for row in rows[: s.calls]:
            t0 = time.perf_counter_ns()
            predict(row)
            times.append((time.perf_counter_ns() - t0) / 1e6)
            elapsed = time.perf_counter() - started
            if (elapsed > s.seconds_per_phase and len(times) >= 50) or (
                elapsed > hard_budget and len(times) >= _MIN_CALLS
            ):
                break  # a slow model: fewer calls, still enough for a rough p95
        repeats.append(times)
    return repeats


def _throughput(predict: Any, batch: pd.DataFrame, s: PerfSettings) -> list[float]:
    """Rows per second of repeated calls on ``batch``, per repeat."""
    predict(batch)  # warm-up
    hard_budget = max(10 * s.seconds_per_phase, 1.0)
    rates = []
    for _ in range(s.repeats):
        calls, started = 0, time.perf_counter()
        while calls < 3 or time.perf_counter() - started < min(0.1, s.seconds_per_phase):
            predict(batch)
            calls += 1
            if time.perf_counter() - started > hard_budget:
                break  # a slow model: one long call already measures its rate
        rates.append(calls * len(batch) / (time.perf_counter() - started))
    return rates


def _rss_mb(field_name: str) -> float:
    """A field of /proc/self/status in MB (VmRSS: now, VmHWM: peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name):
            return int(line.split()[1]) / 1024
    return float("nan")


def _child_memory(path: str, digest: str, X: pd.DataFrame, method: str, threads: int) -> Memory:
    """Runs in a fresh process: load the model, then one batch prediction."""
    from mlready.io.model import load_model

    started = time.perf_counter()
    # Cold load: imports the model's libraries too. It stays alive so that the second copy
    # cannot reuse its freed memory: that copy's growth of the RSS is the model alone.
    first = load_model(Path(path), pinned_sha256=digest)
    load_s = time.perf_counter() - started
    gc.collect()
    before = _rss_mb("VmRSS")
    model = load_model(Path(path), pinned_sha256=digest).estimator
    loaded = _rss_mb("VmRSS")
    del first
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS to the current RSS
    with threadpool_limits(limits=threads):
        cpu = time.process_time()
        _call(model, method)(X)
        cpu = time.process_time() - cpu
    peak = _rss_mb("VmHWM")
    return Memory(load_s, loaded - before, max(peak - loaded, 0.0), cpu, len(X))


def child_main() -> None:
    """Entry point of the measuring child: a pickled job on stdin, Memory as JSON out (the
    child runs the model's code, so what it sends back is not unpickled)."""
    job = pickle.load(sys.stdin.buffer)
    sys.stdout.write(json.dumps(dataclasses.asdict(_child_memory(**job))))


def _memory(model_path: Path, digest: str, X: pd.DataFrame, s: PerfSettings) -> Memory | None:
    if not (s.measure_memory and Path("/proc/self/clear_refs").exists()):
        return None  # peak-RSS reset is Linux-only
    job = {"path": str(model_path), "digest": digest, "X": X, "method": s.method,
           "threads": s.threads}  # fmt: skip
    # A fresh interpreter: nothing inherited inflates or hides the model's memory. The pipe
    # carries only our own objects (the sample and the result), never the model file.
    done = subprocess.run(
        [sys.executable, "-c", "from mlready.perf import child_main; child_main()"],
        input=pickle.dumps(job), capture_output=True, timeout=600, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise MlreadyError(
            f"measuring memory in a child process failed: {done.stderr.decode()[-500:]}"
        )
    return Memory(**json.loads(done.stdout))


def measure(model: Any, model_path: Path, digest: str, X: pd.DataFrame,
            settings: PerfSettings | None = None) -> Measurement:  # fmt: skip
    """Time and size ``model`` (loaded from ``model_path``) on the rows of ``X``. A model
    isolated in its own process is timed there, so that no pipe is in the timings."""
    s = settings or PerfSettings()
    if isinstance(model, RemoteModel):
        return _measurement(model.process.call("measure", X, dataclasses.asdict(s)))
    predict = _call(model, s.method)
    with threadpool_limits(limits=s.threads):
        repeats = _single_row_latency(predict, X, s)
        sizes = sorted({b for b in s.batch_sizes if b < len(X)} | {len(X)})
        rates = {b: _throughput(predict, X.iloc[:b], s) for b in sizes}
    pooled = np.concatenate([np.asarray(r) for r in repeats])
    latency = dict(zip(("p50", "p95", "p99"), np.percentile(pooled, [50, 95, 99]), strict=True))
    memory_sample = X.iloc[: s.memory_rows]
    return Measurement(
        file_size_mb=model_path.stat().st_size / 2**20,
        latency_ms={**{k: float(v) for k, v in latency.items()}, "max": float(pooled.max())},
        latency_calls=int(pooled.size),
        p95_by_repeat=[float(np.percentile(r, 95)) for r in repeats],
        throughput_rps={b: statistics.median(r) for b, r in rates.items()},
        throughput_spread={b: (min(r), max(r)) for b, r in rates.items()},
        memory=_memory(model_path, digest, memory_sample, s),
        conditions=conditions(s.threads),
    )


def _measurement(fields: dict[str, Any]) -> Measurement:
    """A :class:`Measurement` from its fields sent as JSON (batch sizes became text)."""
    return Measurement(
        **{**fields,
           "throughput_rps": {int(b): r for b, r in fields["throughput_rps"].items()},
           "throughput_spread": {int(b): (lo, hi)
                                 for b, (lo, hi) in fields["throughput_spread"].items()},
           "memory": None if fields["memory"] is None else Memory(**fields["memory"])}
    )  # fmt: skip
