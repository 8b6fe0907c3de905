"""Discovery of checks through the ``mlready.checks`` entry-point group.

Built-in checks are registered in mlready's own ``pyproject.toml`` exactly as a
third-party plugin registers its checks, so there is a single route.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from mlready.check import Check, CheckParams
from mlready.errors import MlreadyError

ENTRY_POINT_GROUP = "mlready.checks"


def _validate(check: Any, source: str) -> None:
    missing = [a for a in ("id", "title", "question", "Params", "run") if not hasattr(check, a)]
    if missing:
        raise MlreadyError(f"check plugin {source} lacks {', '.join(missing)}")
    if not (isinstance(check.Params, type) and issubclass(check.Params, CheckParams)):
        raise MlreadyError(f"check plugin {source}: Params must subclass mlready.check.CheckParams")
    if not 1 <= int(check.question) <= 11:
        raise MlreadyError(f"check plugin {source}: question must be 1-11, got {check.question}")


def load_checks() -> dict[str, Check]:
    """Instantiate every registered check, keyed by id, in a stable order."""
    checks: dict[str, Check] = {}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            cls = ep.load()
        except Exception as exc:
            raise MlreadyError(
                f"check plugin {ep.value!r} failed to import: {exc}",
                hint=f"fix or uninstall the package that provides {ep.name!r}",
            ) from exc
        _validate(cls, ep.value)
        if cls.id in checks:
            raise MlreadyError(f"two installed checks share the id {cls.id!r}")
        checks[cls.id] = cls()
    if not checks:
        raise MlreadyError(
            "no checks are registered: mlready seems not to be installed",
            hint="install it with 'pip install .' (or 'pip install -e .') from the repository",
        )
    # Order by checklist question, then id, so reports follow the checklist; a check that
    # reads the others' results (runs_last) comes after them.
    return dict(
        sorted(
            checks.items(),
            key=lambda kv: (getattr(kv[1], "runs_last", False), kv[1].question, kv[0]),
        )
    )
