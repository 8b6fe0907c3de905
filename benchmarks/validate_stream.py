"""Throughput and peak memory of ``mlready validate`` on a generated multi-GB CSV.

    python benchmarks/validate_stream.py --gb 1,5 [--no-hash-sets] [--keep DIR]

For each size, a deterministic CSV (an id, 12 numeric, 3 integer and 3 text
columns and a timestamp; one row in 10,000 broken in a known way, plus some
malformed lines) is generated in chunks, a contract is inferred from a 20,000-row
sample of the same generator, and ``mlready validate`` runs in a child process
with --quarantine and --clean. Reported: rows, file size, wall time, rows/s, MB/s,
peak RSS of the child (from the kernel's accounting), and whether the counts add up.
Memory is bounded except for the 64-bit hash sets of ``unique`` columns and duplicate
counting (8 bytes per row each); --no-hash-sets switches both off.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from peak import measure

CHUNK_ROWS = 200_000
BROKEN_EVERY = 10_000  # one row in this many gets a bad value
MALFORMED_PER_CHUNK = 2


def make_chunk(start: int, rows: int, seed: int) -> pd.DataFrame:
    """Rows ``start``..``start+rows`` of the synthetic batch (same seed, same rows)."""
    rng = np.random.default_rng([seed, start])
    frame = pd.DataFrame({"id": [f"C-{i:09d}" for i in range(start, start + rows)]})
    for j in range(12):
        frame[f"x{j}"] = np.round(rng.normal(j, 10, rows), 4)
    for j in range(3):
        frame[f"n{j}"] = rng.integers(0, 100, rows)
    for j, levels in enumerate((["a", "b", "c"], ["red", "green", "blue", "grey"], ["yes", "no"])):
        frame[f"c{j}"] = np.asarray(levels, dtype=object)[rng.integers(0, len(levels), rows)]
    base = np.datetime64("2026-11-01T00:00:00")
    seconds = np.sort(rng.integers(0, 86_400 * 20, rows)).astype("timedelta64[s]")
    frame["ts"] = (base + seconds).astype(str)
    return frame


def break_rows(frame: pd.DataFrame, rng: np.random.Generator) -> int:
    """Break one row in BROKEN_EVERY (null, out of range, unknown level, text in a number)."""
    picked = np.flatnonzero(rng.random(len(frame)) < 1 / BROKEN_EVERY)
    kinds = rng.integers(0, 4, len(picked))
    for kind, column, value in (
        (0, "x0", None),
        (1, "x1", "1e9"),
        (2, "c0", "zzz"),
        (3, "x2", "oops"),
    ):
        text = frame[column].astype("string")  # a CSV column is text until read
        text.iloc[picked[kinds == kind]] = value
        frame[column] = text
    return len(picked)


def write_csv(path: Path, gigabytes: float, seed: int) -> tuple[int, int, int]:
    """Write about ``gigabytes`` of CSV; return (well-formed rows, broken rows, malformed lines)."""
    target = int(gigabytes * 1e9)
    rows = broken = malformed = 0
    rng = np.random.default_rng(seed)
    with path.open("wb") as handle:
        while handle.tell() < target:
            frame = make_chunk(rows, CHUNK_ROWS, seed)
            broken += break_rows(frame, rng)
            options = pacsv.WriteOptions(include_header=rows == 0, quoting_style="needed")
            sink = pa.BufferOutputStream()
            pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), sink, options)
            handle.write(sink.getvalue().to_pybytes())
            handle.write(b"this,line,is,broken\n" * MALFORMED_PER_CHUNK)
            rows += len(frame)
            malformed += MALFORMED_PER_CHUNK
    return rows, broken, malformed


def without_hash_sets(contract: Path) -> None:
    """Switch off the two rules that remember hashes (unique id, duplicate rows)."""
    data = yaml.safe_load(contract.read_text())
    data["columns"]["id"]["unique"] = False
    data["batch"]["max_duplicate_fraction"] = None
    contract.write_text(yaml.safe_dump(data, sort_keys=False))


def run(gigabytes: float, folder: Path, seed: int, hash_sets: bool) -> dict[str, object]:
    batch = folder / "batch.csv"
    rows, broken, malformed = write_csv(batch, gigabytes, seed)
    sample = folder / "train.csv"
    make_chunk(0, 20_000, seed + 1).to_csv(sample, index=False)
    contract = folder / "contract.yaml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mlready.cli",
            "contract",
            "infer",
            str(sample),
            "-o",
            str(contract),
            "--id",
            "id",
            "--time",
            "ts",
            "--force",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if not hash_sets:
        without_hash_sets(contract)
    report = folder / "report.json"
    measured = measure(
        "mlready.cli",
        "validate",
        str(batch),
        "--contract",
        str(contract),
        "--quarantine",
        str(folder / "quarantine.csv"),
        "--clean",
        str(folder / "clean.csv"),
        "--json",
        str(report),
        "--now",
        "2026-11-21T00:00Z",
        "--quiet",
    )
    seconds, rss, code = measured["seconds"], measured["peak_rss_mb"], measured["exit_code"]
    result = json.loads(report.read_text())
    size_mb = batch.stat().st_size / 1e6
    return {
        "file_gb": round(size_mb / 1000, 2),
        "hash_sets": hash_sets,
        "records": rows + malformed,
        "seconds": round(seconds, 1),
        "rows_per_s": round((rows + malformed) / seconds),
        "mb_per_s": round(size_mb / seconds, 1),
        "peak_rss_mb": round(rss),
        "exit_code": code,
        "quarantined": result["quarantined_rows"],
        "expected_quarantined": broken + malformed,
        "counts_add_up": result["rows"]
        == result["clean_rows"] + result["quarantined_rows"]
        == rows + malformed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", default="0.5", help="comma-separated file sizes in GB")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    parser.add_argument(
        "--no-hash-sets",
        action="store_true",
        help="switch off unique ids and duplicate counting (the rules whose memory grows)",
    )
    args = parser.parse_args()
    for size in (float(s) for s in args.gb.split(",")):
        folder = args.keep or Path(tempfile.mkdtemp(prefix="mlready-validate-"))
        folder.mkdir(parents=True, exist_ok=True)
        try:
            print(json.dumps(run(size, folder, args.seed, not args.no_hash_sets)), flush=True)
        finally:
            if args.keep is None:
                shutil.rmtree(folder)


if __name__ == "__main__":
    main()
