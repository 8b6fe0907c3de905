"""What the sandbox costs a whole audit: ``mlready audit`` sandboxed (the default) against
``--isolate off`` on the same files, in the same run, alternating.

    python benchmarks/isolation.py --keep DIR [--rows 1000000] [--pairs 3]

Uses the problem benchmarks/run.py writes (and keeps with --keep): ``--rows`` train and
production rows of 50 columns and a HistGradientBoosting pipeline. Each pair runs both
ways, the first of the pair alternating, so that a slow period of the shared machine hits
both alike; the figure to quote is the median of the pairs' ratios (sandboxed / off).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import audit, reuse_or_write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=50)
    parser.add_argument("--keep", type=Path, required=True)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    folder = args.keep / str(args.rows)
    folder.mkdir(parents=True, exist_ok=True)
    model, checklist, megabytes = reuse_or_write(folder, args.rows, args.cols)
    runs: dict[str, list[dict[str, object]]] = {"full": [], "off": []}
    ratios = []
    for pair in range(args.pairs):
        order = ("full", "off") if pair % 2 == 0 else ("off", "full")
        for mode in order:
            runs[mode].append(audit(folder, model, checklist, 1, mode))
            print(json.dumps({"pair": pair, "isolate": mode, **runs[mode][-1]}), flush=True)
        ratios.append(float(runs["full"][-1]["seconds"]) / float(runs["off"][-1]["seconds"]))
    checks = list(runs["off"][0]["checks"])  # type: ignore[call-overload]
    per_check = {
        check: {
            mode: round(statistics.median(float(r["checks"][check]) for r in runs[mode]), 1)  # type: ignore[index]
            for mode in runs
        }
        for check in checks
    }
    summary = {
        "rows": args.rows,
        "cols": args.cols,
        "data_mb": round(megabytes),
        "seconds": {mode: [r["seconds"] for r in runs[mode]] for mode in runs},
        "peak_rss_mb": {mode: [r["peak_rss_mb"] for r in runs[mode]] for mode in runs},
        "ratio_by_pair": [round(r, 3) for r in ratios],
        "median_ratio": round(statistics.median(ratios), 3),
        "same_statuses": all(
            r["statuses"] == runs["off"][0]["statuses"] for mode in runs for r in runs[mode]
        ),
        "per_check_median_s": per_check,
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
