"""Measuring what a model costs to run: latency, throughput, memory, CPU, size.

Timings run where the model runs (its sandboxed process, unless ``--isolate off``) with
BLAS/OpenMP threads pinned (threadpoolctl), so numbers are comparable between models and
machines and no pipe is in them. Memory is measured in a fresh sandboxed model process from
its resident set size, which, unlike tracemalloc, counts numpy and other native
allocations: mlready reads the child's resident set after it loads the model (the same
vetted bytes, pinned by digest) and after a second copy, resets its peak, has it predict
the sample in one batch, and reads the new peak.
"""

from __future__ import annotations

import dataclasses
import math
import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_info, threadpool_limits

from mlready.sandbox.process import ModelProcess
from mlready.sandbox.remote import RemoteModel
from mlready.sandbox.settings import DEFAULT_SANDBOX, SandboxSettings

LIBRARIES = ("numpy", "scipy", "pandas", "scikit-learn", "onnxruntime", "mlready")
# Single-row calls timed per repeat at the least, however slow the model.
_MIN_CALLS = 10
# A repeat stops early once its p95 is pinned down: after at least _SETTLED_CALLS calls,
# when the distribution-free 95% interval of the p95 spans at most _P95_SPREAD of it
# (checked every _SETTLE_EVERY calls). Stable timings need few calls; noisy ones get all.
_SETTLED_CALLS = 125  # fewer cannot bound a p95 from above (its upper rank is past n)
_SETTLE_EVERY = 25
_P95_SPREAD = 0.2
# Throughput repeats stop once they agree within this share of the lower rate.
_RATE_AGREEMENT = 0.1


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
    p99_by_repeat: list[float]
    throughput_rps: dict[int, float]  # batch size -> rows per second (median of repeats)
    throughput_spread: dict[int, tuple[float, float]]  # batch size -> (min, max) of repeats
    memory: Memory | None
    conditions: dict[str, Any] = field(default_factory=dict)


def conditions(threads: int) -> dict[str, Any]:
    """The machine and software the numbers were measured on."""
    cpuinfo = Path("/proc/cpuinfo")
    names = []
    if cpuinfo.exists():  # read first: platform.processor() may start a program (uname)
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
    cpu = names[0] if names else platform.processor() or platform.machine()
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    pools = sorted({f"{p['user_api']}:{p['internal_api']}" for p in threadpool_info()})
    return {
        "cpu": cpu,
        "cores": os.cpu_count() or 1,
        "threads": threads,
        "thread_pools": pools,
        "python": platform.python_version(),
        **versions,
    }


def _call(model: Any, method: str) -> Any:
    return getattr(model, method)


def _p95_settled(times: list[float]) -> bool:
    """Whether the p95 of ``times`` is known well enough: the order statistics that bound
    its 95% interval (binomial ranks around 0.95 n) lie within _P95_SPREAD of it."""
    n = len(times)
    if n < _SETTLED_CALLS:
        return False
    spread = 1.96 * math.sqrt(n * 0.95 * 0.05)
    low, high = math.floor(0.95 * n - spread), math.ceil(0.95 * n + spread)
    if high >= n:
        return False
    ranked = np.sort(np.asarray(times))
    return bool(ranked[high] - ranked[low] <= _P95_SPREAD * ranked[int(0.95 * n)])


def _single_row_latency(predict: Any, X: pd.DataFrame, s: PerfSettings) -> list[list[float]]:
    """Milliseconds of each single-row call, per repeat (after warm-up).

    A repeat stops once its p95 is pinned down (:func:`_p95_settled`), so stable timings
    cost a third of the calls. A slow model gets fewer calls: past the phase's time budget
    a repeat stops at 50 calls, and past ten times the budget at ``_MIN_CALLS`` (a model
    that takes a second a row would otherwise hold the audit for minutes)."""
    rows = [X.iloc[[i % len(X)]] for i in range(max(s.calls, s.warmup))]
    started = time.perf_counter()
    for row in rows[: s.warmup]:
        predict(row)
        if time.perf_counter() - started > s.seconds_per_phase:
            break  # warmed up: the first call pays the one-off costs
    hard_budget = max(10 * s.seconds_per_phase, 1.0)
    repeats: list[list[float]] = []
    for _ in range(s.repeats):
        times: list[float] = []
        started = time.perf_counter()
        for row in rows[: s.calls]:
            t0 = time.perf_counter_ns()
            predict(row)
            times.append((time.perf_counter_ns() - t0) / 1e6)
            elapsed = time.perf_counter() - started
            if (elapsed > s.seconds_per_phase and len(times) >= 50) or (
                elapsed > hard_budget and len(times) >= _MIN_CALLS
            ):
                break  # a slow model: fewer calls, still enough for a rough p95
            # The first repeat pins the p95 down on its own; a later one (there to catch a
            # machine busy during one of them) stops at 50 calls once all of them do.
            if len(times) % _SETTLE_EVERY == 0 and (
                _p95_settled(times)
                if not repeats
                else len(times) >= 50 and _p95_settled([t for r in repeats for t in r] + times)
            ):
                break
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
        if len(rates) >= 2 and max(rates) <= (1 + _RATE_AGREEMENT) * min(rates):
            break  # two repeats agree: a steady rate, no need for a third
    return rates


@dataclass(frozen=True)
class Timings:
    """What :func:`time_model` measures: single-row latency and batch throughput."""

    latency_ms: dict[str, float]
    latency_calls: int
    p95_by_repeat: list[float]
    p99_by_repeat: list[float]
    throughput_rps: dict[int, float]
    throughput_spread: dict[int, tuple[float, float]]
    conditions: dict[str, Any]


def time_model(model: Any, X: pd.DataFrame, s: PerfSettings) -> Timings:
    """Time ``model`` on the rows of ``X`` in this process (where the model lives)."""
    predict = _call(model, s.method)
    with threadpool_limits(limits=s.threads):
        repeats = _single_row_latency(predict, X, s)
        sizes = sorted({b for b in s.batch_sizes if b < len(X)} | {len(X)})
        # One row at a time is what the single-row calls just timed: their rate, not a
        # second measurement of the same thing.
        rates = {
            b: [1000 * len(r) / sum(r) for r in repeats]
            if b == 1
            else _throughput(predict, X.iloc[:b], s)
            for b in sizes
        }
    pooled = np.concatenate([np.asarray(r) for r in repeats])
    latency = dict(zip(("p50", "p95", "p99"), np.percentile(pooled, [50, 95, 99]), strict=True))
    return Timings(
        latency_ms={**{k: float(v) for k, v in latency.items()}, "max": float(pooled.max())},
        latency_calls=int(pooled.size),
        p95_by_repeat=[float(np.percentile(r, 95)) for r in repeats],
        p99_by_repeat=[float(np.percentile(r, 99)) for r in repeats],
        throughput_rps={b: statistics.median(r) for b, r in rates.items()},
        throughput_spread={b: (min(r), max(r)) for b, r in rates.items()},
        conditions=conditions(s.threads),
    )


def _timings(fields: dict[str, Any]) -> Timings:
    """:class:`Timings` from its fields sent as JSON (batch sizes became text)."""
    rates, spread = fields["throughput_rps"], fields["throughput_spread"]
    return Timings(
        **{
            **fields,
            "throughput_rps": {int(b): r for b, r in rates.items()},
            "throughput_spread": {int(b): (lo, hi) for b, (lo, hi) in spread.items()},
        }
    )


def _memory(
    model_path: Path, digest: str, X: pd.DataFrame, s: PerfSettings, sandbox: SandboxSettings
) -> Memory | None:
    """The model's memory, measured in a fresh model process: what loading a second copy
    adds to its resident set, and the peak of one batch prediction above that."""
    if not (s.measure_memory and Path("/proc/self/clear_refs").exists()):
        return None  # reading and resetting another process's peak RSS is Linux-only
    # The file's digest is pinned: these are the bytes the audit already vetted and loaded.
    with ModelProcess(model_path, {"pinned_sha256": digest}, sandbox) as process:
        load_s = float(process.info["load_s"])
        before = process.memory_mb("VmRSS")
        process.call("load_again")
        loaded = process.memory_mb("VmRSS")
        process.call("forget_first")  # its freed memory may serve the prediction
        process.reset_peak_memory()
        cpu = float(process.call("predict_once", X, s.method, s.threads))
        peak = process.memory_mb("VmHWM")
    return Memory(load_s, loaded - before, max(peak - loaded, 0.0), cpu, len(X))


def measure(
    model: Any,
    model_path: Path,
    digest: str,
    X: pd.DataFrame,
    settings: PerfSettings | None = None,
    sandbox: SandboxSettings | None = None,
) -> Measurement:
    """Time and size ``model`` (loaded from ``model_path``) on the rows of ``X``. A model in
    its sandboxed process is timed there; memory is measured in a fresh one, with
    ``sandbox``'s limits (the defaults when the audit runs the model in-process)."""
    s = settings or PerfSettings()
    if isinstance(model, RemoteModel):
        timed = _timings(model.process.call("time", X, dataclasses.asdict(s)))
        sandbox = model.process.settings
    else:
        timed = time_model(model, X, s)
    memory = _memory(model_path, digest, X.iloc[: s.memory_rows], s, sandbox or DEFAULT_SANDBOX)
    return Measurement(
        file_size_mb=model_path.stat().st_size / 2**20,
        memory=memory,
        **dataclasses.asdict(timed),
    )
