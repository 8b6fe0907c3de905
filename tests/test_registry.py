"""Checks are found through the mlready.checks entry-point group, plugins included."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from mlready import registry
from mlready.check import Capabilities, CheckParams
from mlready.errors import MlreadyError
from mlready.results import Outcome, Status


class ThirdPartyCheck:
    """A plugin check as a third party would ship it."""

    id = "always_passes"
    title = "A plugin"
    question = 7
    Params = CheckParams
    capabilities = Capabilities()

    def run(self, context, params):
        return Outcome(status=Status.PASS, message="fine")


def _with_entry_points(monkeypatch, *values: str) -> None:
    found = registry.entry_points(group=registry.ENTRY_POINT_GROUP)
    extra = [
        EntryPoint(name=v.rsplit(":", 1)[1], value=v, group=registry.ENTRY_POINT_GROUP)
        for v in values
    ]
    monkeypatch.setattr(registry, "entry_points", lambda group: [*found, *extra])


def test_built_in_checks_come_from_the_entry_point_group():
    assert "baseline" in registry.load_checks()


def test_a_third_party_check_is_discovered_and_listed(monkeypatch, cli):
    _with_entry_points(monkeypatch, "tests.test_registry:ThirdPartyCheck")
    checks = registry.load_checks()
    ordered = [c.question for c in checks.values() if not c.capabilities.reads]
    assert ordered == sorted(ordered)  # ordered by checklist question
    assert list(checks)[-1] == "no_regression"  # it reads the others' results, so runs last
    assert "always_passes" in checks and "baseline" in checks
    result = cli("checks")
    assert "always_passes" in result.output and "question 7" in result.output


def test_a_broken_plugin_is_a_clear_error(monkeypatch):
    _with_entry_points(monkeypatch, "tests.test_registry:Missing")
    with pytest.raises(MlreadyError, match="failed to import"):
        registry.load_checks()


def test_a_plugin_without_the_interface_is_rejected(monkeypatch):
    _with_entry_points(monkeypatch, "tests.test_registry:CheckParams")
    with pytest.raises(MlreadyError, match="lacks id, title, question, Params, capabilities"):
        registry.load_checks()
