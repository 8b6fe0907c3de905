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
    ordered = [c.question for c in checks.values()]
    assert ordered == sorted(ordered)  # ordered by checklist question (as reports list them)
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


class ReadsThePlugin:
    """A question-7 check that reads another check's result."""

    id = "reads_plugin"
    title = "Reads the plugin"
    question = 7
    Params = CheckParams
    capabilities = Capabilities(reads=("always_passes",))

    def run(self, context, params, earlier):
        return Outcome(status=Status.PASS, message=f"it said {earlier['always_passes'].message}")


class ReadsALaterQuestion:
    """Listed under question 1, it reads the result of a question-7 check that reads."""

    id = "reads_later"
    title = "Reads a later check"
    question = 1
    Params = CheckParams
    capabilities = Capabilities(reads=("reads_plugin",))

    def run(self, context, params, earlier):
        said = earlier["reads_plugin"].message if "reads_plugin" in earlier else "nothing"
        return Outcome(status=Status.PASS, message=f"reads_plugin said {said}")


def test_a_check_listed_first_runs_after_the_checks_it_reads(monkeypatch, cancer):
    from sklearn.dummy import DummyClassifier

    from mlready.runner import plan, run_checks
    from mlready.spec import ChecklistSpec
    from mlready.testing import make_context

    _with_entry_points(
        monkeypatch,
        "tests.test_registry:ThirdPartyCheck",
        "tests.test_registry:ReadsThePlugin",
        "tests.test_registry:ReadsALaterQuestion",
    )
    checks = registry.load_checks()
    assert list(checks).index("reads_later") < list(checks).index("reads_plugin")
    mine = ("reads_later", "reads_plugin", "always_passes")
    spec = ChecklistSpec.model_validate(
        {"checks": {c: {"enabled": False} for c in checks if c not in mine}}
    )
    train, test = cancer
    model = DummyClassifier().fit(train.drop(columns="target"), train["target"])
    context = make_context({"train": train, "test": test}, model, target="target", checklist=spec)
    results = {r.id: r for r in run_checks(plan(spec, checks), context)}
    assert results["reads_later"].message == "reads_plugin said it said fine"
