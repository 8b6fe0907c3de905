"""Start-up: mlready's quick commands against a bare ``python -c pass``, in one run.

    python benchmarks/startup.py [--pairs 15]

Each pair runs the command and the bare interpreter in turn (the first of the pair
alternating), as whole processes; the figure to quote is the median of the pairs' wall
time ratios (command / python -c pass), with the peak resident memory of each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = [sys.executable, "-c", "pass"]
MLREADY = [sys.executable, "-m", "mlready"]
COMMANDS = {
    "--version": ["--version"],
    "--help": ["--help"],
    "audit --help": ["audit", "--help"],
    "checks": ["checks"],
    "explain baseline": ["explain", "baseline"],
    "check-config": ["check-config", str(Path(__file__).parents[1] / "checklist.yaml")],
}


def _run(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one whole process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        commands = {
            **COMMANDS,
            "init": ["init", "--output", str(Path(folder) / "checklist.yaml"), "--force"],
        }
        print(f"{'command':<18} {'ratio to python -c pass':>24} {'wall s':>8} {'peak MiB':>9}")
        for name, extra in commands.items():
            ratios, walls, peaks = [], [], []
            _run([*MLREADY, *extra])  # warm the file cache
            for pair in range(args.pairs):
                order = ((MLREADY + extra, True), (BARE, False))
                measured = {}
                for command, is_mlready in order if pair % 2 == 0 else order[::-1]:
                    measured[is_mlready] = _run(command)
                ratios.append(measured[True][0] / measured[False][0])
                walls.append(measured[True][0])
                peaks.append(measured[True][1])
            print(
                f"{name:<18} {statistics.median(ratios):>23.1f}x {statistics.median(walls):>8.3f} "
                f"{statistics.median(peaks):>9.0f}"
            )


if __name__ == "__main__":
    main()
