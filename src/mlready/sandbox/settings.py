"""The model process's limits: a plain dataclass, so that the command line can declare its
options without importing the sandbox machinery."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SandboxSettings:
    """The model process's limits, and whether every layer of the sandbox is required."""

    memory_mb: int | None = 16_384  # beyond the interpreter and its libraries; None: none
    call_timeout_s: float = 300.0  # loading, or one call of a model method
    total_timeout_s: float = 3_600.0  # every call of the run together
    required: bool | None = None  # every layer must be in force; None: as model.sandbox says


DEFAULT_SANDBOX = SandboxSettings()
