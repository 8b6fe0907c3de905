"""What one run was asked to do: filled once by the CLI (or a Python caller)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlready.results import Severity
from mlready.sandbox.settings import DEFAULT_SANDBOX, SandboxSettings


@dataclass(frozen=True)
class AuditOptions:
    """The inputs and settings of an audit (``mlready audit``, ``monitor``)."""

    model: Path | None = None  # optional in predictions-only mode
    data: Path | None = None  # default: the checklist's data.dir
    # The checklist file, or what it would hold as a mapping (the Python API); default:
    # ./checklist.yaml, else built-in defaults.
    checklist: Path | Mapping[str, Any] | None = None
    # In memory (the Python API): a fitted model the caller holds, which runs in the
    # caller's process, and splits as frames (name -> frame, or -> {batch: frame}).
    estimator: Any = None
    frames: Mapping[str, Any] | None = None
    target: str | None = None  # overrides data.target
    seed: int | None = None  # overrides the checklist's seed
    trust_model: bool = False  # model files skip the name scan (they still run sandboxed)
    fail_on: Severity = "fail"
    quick: bool = False  # measure less (latency): for CI
    debug: bool = False  # tracebacks in crashed checks' messages
    compare_to: Path | None = None  # an earlier JSON report: deltas, no_regression
    jobs: int = 1  # checks run at once, in threads; the numbers do not depend on it
    profile: Path | None = None  # train's reference profile instead of its rows
    engine: str = "memory"  # memory, stream or dask: how production is read
    scheduler: str | None = None  # a Dask scheduler's address (engine dask)
    sandbox: SandboxSettings | None = DEFAULT_SANDBOX  # None: the model runs in-process
    monitor: bool = False  # only the checks that monitor production; production required
    outputs: Mapping[str, Path | None] = field(default_factory=dict)  # option -> file
    today: dt.date | None = None  # dates waivers and written answers (default: today)
