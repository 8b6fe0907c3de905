"""Where the memory of an audit goes: resident memory after loading, and the peak while
each check runs (sampled every 20 ms from /proc/self/status).

    python benchmarks/memory_by_check.py --rows 1000000 --cols 50 [--keep DIR]

Uses the synthetic problem of benchmarks/run.py (reused from ``--keep DIR/ROWS`` when there).
Linux only (reads /proc).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

from run import reuse_or_write  # benchmarks/run.py: the shared synthetic problem


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Sampler(threading.Thread):
    """Keeps the highest RSS seen under the current label."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.label = "loading"
        self.peaks: dict[str, float] = {}
        self.running = True

    def run(self) -> None:
        while self.running:
            rss = rss_mb()
            self.peaks[self.label] = max(self.peaks.get(self.label, 0.0), rss)
            time.sleep(0.02)


class Labeller:
    """The audit's listener: names the running check for the sampler."""

    def __init__(self, sampler: Sampler) -> None:
        self.sampler = sampler

    def planned(self, items: object) -> None:
        pass

    def started(self, item: object) -> None:
        self.sampler.label = item.check.id  # type: ignore[attr-defined]

    def step(self, check_id: str, text: str) -> None:
        pass

    def finished(self, result: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cols", type=int, default=50)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    folder = (args.keep or Path(tempfile.mkdtemp())) / str(args.rows)
    folder.mkdir(parents=True, exist_ok=True)
    reuse_or_write(folder, args.rows, args.cols)
    from mlready import api

    sampler = Sampler()
    sampler.start()
    report = api.audit(
        folder / "model.pkl",
        folder / "splits",
        checklist=folder / "checklist.yaml",
        quick=True,
        listener=Labeller(sampler),
    )
    sampler.label = "done"
    time.sleep(0.1)
    sampler.running = False
    print(
        json.dumps(
            {
                "rows": args.rows,
                "verdict": report.verdict,
                "peak_rss_mb": {k: round(v) for k, v in sampler.peaks.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
