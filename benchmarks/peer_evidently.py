"""Evidently's data drift report on a problem of benchmarks/peer.py (run in the peer's own
virtual environment): train as reference, production as current, every column but the
target; the HTML report is written as a user would write it, and the columns Evidently
found drifted go to a JSON file.

    python benchmarks/peer_evidently.py SPLITS_DIR REPORT.html DRIFTED.json
"""

from __future__ import annotations

import json
import re
import sys

import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset


def main() -> None:
    splits, html, found = sys.argv[1:4]
    reference = pd.read_parquet(f"{splits}/train.parquet").drop(columns="target")
    current = pd.read_parquet(f"{splits}/production.parquet").drop(columns="target")
    snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
    snapshot.save_html(html)
    drifted = []
    for metric in snapshot.dict()["metrics"]:
        column = re.search(r"ValueDrift\(column=([^,)]+)", metric.get("metric_name", ""))
        threshold = metric.get("config", {}).get("threshold")
        value = metric.get("value")
        if column and isinstance(value, float) and threshold is not None:
            method = metric["config"].get("method", "")
            # p-value tests drift below the threshold; distances drift above it
            p_value = "p_value" in method
            if (value < threshold) if p_value else (value >= threshold):
                drifted.append(column.group(1))
    with open(found, "w") as handle:
        json.dump(sorted(drifted), handle)


if __name__ == "__main__":
    main()
