"""Discovery of checks through the ``mlready.checks`` entry-point group.

Built-in checks are registered in mlready's own ``pyproject.toml`` exactly as a
third-party plugin registers its checks, so there is a single route. Each check's
declared contract (attributes, :class:`~mlready.check.Capabilities`) is validated here,
once, and the package and version that provide it are recorded for the report.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from mlready.check import Capabilities, Check, CheckParams
from mlready.errors import MlreadyError
from mlready.scorecard import RUBRIC_KEYS

ENTRY_POINT_GROUP = "mlready.checks"
_REQUIRED = ("id", "title", "question", "Params", "capabilities", "run")


@dataclass(frozen=True)
class Origin:
    """The distribution a check comes from, as a report records it."""

    package: str
    version: str


class Registry(dict[str, Check]):
    """The installed checks by id, in the order they run, and where each comes from."""

    def __init__(self, checks: dict[str, Check], origins: dict[str, Origin]) -> None:
        super().__init__(checks)
        self.origins = origins


def validate_check(check: Any, source: str) -> None:
    """Raise :class:`MlreadyError` naming what of the check contract ``check`` breaks."""
    missing = [a for a in _REQUIRED if not hasattr(check, a)]
    if missing:
        raise MlreadyError(
            f"check plugin {source} lacks {', '.join(missing)}",
            hint="see mlready.check for what a check declares",
        )
    if not (isinstance(check.Params, type) and issubclass(check.Params, CheckParams)):
        raise MlreadyError(f"check plugin {source}: Params must subclass mlready.check.CheckParams")
    if not 1 <= int(check.question) <= 11:
        raise MlreadyError(f"check plugin {source}: question must be 1-11, got {check.question}")
    caps = check.capabilities
    if not isinstance(caps, Capabilities):
        raise MlreadyError(
            f"check plugin {source}: capabilities must be an mlready.check.Capabilities"
        )
    unknown = [item for item in caps.automates if item not in RUBRIC_KEYS]
    if unknown:
        raise MlreadyError(
            f"check plugin {source}: automates names tests the ML Test Score does not have: "
            f"{', '.join(unknown)}",
            hint="name them as '<section> <number>', e.g. 'Monitoring 2' (mlready.scorecard)",
        )
    if caps.reads and len(inspect.signature(check.run).parameters) < 4:
        raise MlreadyError(
            f"check plugin {source} reads {', '.join(caps.reads)}, so its run takes "
            "(self, context, params, earlier)"
        )


def _origin(ep: EntryPoint) -> Origin:
    dist = ep.dist
    if dist is None:  # an entry point outside any installed distribution
        return Origin(package=ep.value.split(":")[0].split(".")[0], version="unknown")
    return Origin(package=dist.name, version=dist.version)


def _depths(checks: dict[str, Check]) -> dict[str, int]:
    """How many checks' results each one waits for, in a chain (0: none)."""
    depths: dict[str, int] = {}

    def depth(check_id: str, seen: tuple[str, ...]) -> int:
        if check_id in seen:
            raise MlreadyError(f"checks read each other's results in a circle: {', '.join(seen)}")
        if check_id not in depths:
            reads = checks[check_id].capabilities.reads
            unknown = [r for r in reads if r not in checks]
            if unknown:
                raise MlreadyError(
                    f"check {check_id!r} reads the results of {', '.join(unknown)}, which "
                    "is not installed"
                )
            depths[check_id] = 1 + max((depth(r, (*seen, check_id)) for r in reads), default=-1)
        return depths[check_id]

    for check_id in checks:
        depth(check_id, ())
    return depths


def load_checks() -> Registry:
    """Instantiate every registered check, keyed by id, in checklist-question order (the
    runner runs a check that reads others' results after them)."""
    checks: dict[str, Check] = {}
    origins: dict[str, Origin] = {}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            cls = ep.load()
        except Exception as exc:
            raise MlreadyError(
                f"check plugin {ep.value!r} failed to import: {exc}",
                hint=f"fix or uninstall the package that provides {ep.name!r}",
            ) from exc
        validate_check(cls, ep.value)
        if cls.id in checks:
            raise MlreadyError(f"two installed checks share the id {cls.id!r}")
        checks[cls.id] = cls()
        origins[cls.id] = _origin(ep)
    if not checks:
        raise MlreadyError(
            "no checks are registered: mlready seems not to be installed",
            hint="install it with 'pip install .' (or 'pip install -e .') from the repository",
        )
    _depths(checks)  # refuses a check that reads one not installed, or reads in a circle
    order = sorted(checks, key=lambda c: (checks[c].question, c))
    return Registry({c: checks[c] for c in order}, origins)
