"""The model process: lock down, then load the model from the bytes mlready sends, then
answer calls until the pipe closes.

Started by :class:`~mlready.sandbox.process.ModelProcess` as ``python -I -B -m
mlready.sandbox.child`` with an empty working directory, a scrubbed environment and three
pipes. Before importing numpy (which starts BLAS threads) it applies every layer of
:mod:`~mlready.sandbox.lockdown`, so that each thread the libraries start later inherits
them. Only this process ever unpickles the model; what it sends back is JSON and ``.npy``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import IO, Any


def _read_json(stream: IO[bytes]) -> Any:
    from mlready.sandbox.channel import read_message

    payload = read_message(stream)
    if payload is None:
        raise SystemExit(0)  # mlready has gone
    return json.loads(payload)


def main() -> None:
    """Entry point of the model process."""
    requests = sys.stdin.buffer
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # mlready stops this process with SIGKILL

    from mlready.sandbox import lockdown

    job = _read_json(requests)
    if job["die_with_parent"]:
        lockdown.die_with_parent()
    layers = lockdown.lock_down(job["readable"])
    # Answers go on a private copy of stdout; whatever the model prints goes to stderr.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.path[:] = job["sys_path"]
    from mlready.sandbox.serve import Server  # numpy, pandas, joblib: after the lockdown

    Server(requests, answers, layers, job["memory_mb"]).run()


if __name__ == "__main__":
    main()
