"""Peak memory of a command, measured so that the benchmark's own memory does not leak in.

    PEAK_FILE=peak.txt python benchmarks/peak.py mlready.cli audit ...

runs a Python module as a program and writes, at exit, its peak resident memory (VmHWM from
/proc, kB) and the largest of its child processes (Dask workers; ru_maxrss, an upper bound)
to $PEAK_FILE. ``measure`` runs a command that way and times it. Why not ``wait4``'s
ru_maxrss: a child started with vfork (as subprocess does) carries its parent's high-water
mark into ru_maxrss, so a benchmark that generated gigabytes of data would report that peak
for every command it timed. Linux only.
"""

from __future__ import annotations

import atexit
import os
import resource
import runpy
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _record_peak() -> None:
    status = Path("/proc/self/status").read_text().splitlines()
    own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    Path(os.environ["PEAK_FILE"]).write_text(f"{own} {children}")


def measure(module: str, *args: str, interpreter: str = sys.executable) -> dict[str, float | int]:
    """Run ``python -m module args`` (or a script, when ``module`` ends in .py) in a child,
    with ``interpreter``; wall seconds, peak RSS (MB) of the process and of its largest
    child process, exit code."""
    with tempfile.TemporaryDirectory() as folder:
        peak_file = Path(folder) / "peak"
        started = time.perf_counter()
        done = subprocess.run(
            [interpreter, __file__, module, *args],
            check=False,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "PEAK_FILE": str(peak_file)},
        )
        seconds = time.perf_counter() - started
        own, children = (int(v) for v in peak_file.read_text().split())
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(own / 1024),
        "largest_child_mb": round(children / 1024),
        "exit_code": done.returncode,
    }


if __name__ == "__main__":
    atexit.register(_record_peak)
    module, sys.argv = sys.argv[1], sys.argv[1:]
    if module.endswith(".py"):
        runpy.run_path(module, run_name="__main__")
    else:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
