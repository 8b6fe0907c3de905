"""mlready: audit a trained model against the ML production-readiness checklist.

::

    from mlready import audit

    report = audit("model.pkl", "splits/")
    assert report.passed, report.summary()

The names below are imported on first use, so that ``import mlready`` (and
``mlready --version``) stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# The one place the version is written (pyproject.toml reads it from here): a constant, so
# that 'mlready --version' costs no package-metadata lookup.
__version__ = "0.1.0"

__all__ = [
    "AuditReport",
    "CheckResult",
    "ExitCode",
    "MlreadyError",
    "Status",
    "__version__",
    "audit",
]

_WHERE = {
    "audit": "mlready.api",
    "AuditReport": "mlready.results",
    "CheckResult": "mlready.results",
    "ExitCode": "mlready.results",
    "Status": "mlready.results",
    "MlreadyError": "mlready.errors",
}

if TYPE_CHECKING:
    from mlready.api import audit
    from mlready.errors import MlreadyError
    from mlready.results import AuditReport, CheckResult, ExitCode, Status


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'mlready' has no attribute {name!r}")
