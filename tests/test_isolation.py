"""Isolation: the model's first run happens in a child process with memory and time limits.
A model that crashes the interpreter, hangs or exhausts memory is not loaded; the checks
that need predictions report an error saying why, and the data checks still run."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from tests.conftest import check_of, save_pickle

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX resource limits")


class Sleeper(DecisionTreeClassifier):
    """A model whose predict never returns (in time)."""

    def predict(self, X):
        time.sleep(60)
        return super().predict(X)


class Hog(DecisionTreeClassifier):
    """A model whose predict takes memory until there is none."""

    def predict(self, X):
        held = []
        while True:
            held.append(np.ones(25_000_000))  # 200 MB at a time


def _crafted_tree(train):
    """A fitted tree whose root points outside the node array: scikit-learn's predict reads
    out of bounds and the interpreter dies (SIGSEGV). It passes the allow-list: every class
    in it is scikit-learn's or numpy's."""
    X, y = train.drop(columns="target"), train["target"]
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    state = model.tree_.__getstate__()
    nodes = state["nodes"].copy()
    nodes["left_child"][0] = nodes["right_child"][0] = 2**40
    model.tree_.__setstate__({**state, "nodes": nodes})
    return model


def _run(cli, tmp_path, model, splits, *extra):
    return cli.audit(save_pickle(model, tmp_path / "model.pkl"), splits, "--isolate", *extra)


def test_a_model_that_crashes_the_interpreter_is_an_error_and_the_audit_goes_on(
    cli, tmp_path, cancer, cancer_splits
):
    result = _run(cli, tmp_path, _crafted_tree(cancer[0]), cancer_splits)
    assert result.exit_code == 1, result.output
    statuses = {c["id"]: c["status"] for c in result.json["checks"]}
    for needs_predictions in ("baseline", "metric_parity", "latency"):
        assert statuses[needs_predictions] == "error", needs_predictions
        assert "SIGSEGV" in check_of(result, needs_predictions)["message"]
    assert statuses["split_distribution"] in ("pass", "warn")  # data checks still run
    assert result.json["model"]["kind"] == "failed its isolated first run"
    assert any("SIGSEGV" in note for note in result.json["notes"])


@pytest.mark.parametrize(
    ("model", "limits", "says"),
    [
        (Sleeper(), ["--model-timeout", "3"], "within 3 s"),
        (Hog(), ["--model-memory-mb", "2000"], "ran out of memory (limit 2,000 MB)"),
    ],
    ids=["hangs", "exhausts-memory"],
)
def test_a_model_that_hangs_or_exhausts_memory_is_an_error(
    cli, tmp_path, cancer, cancer_splits, model, limits, says
):
    train = cancer[0]
    model.fit(train.drop(columns="target"), train["target"])
    result = _run(cli, tmp_path, model, cancer_splits, "--trust-model", *limits)
    assert result.exit_code == 1, result.output
    assert says in check_of(result, "metric_parity")["message"]


def test_a_sound_model_passes_its_isolated_run_unchanged(cli, tmp_path, good_classifier,
                                                         cancer_splits):  # fmt: skip
    isolated = cli.audit(good_classifier, cancer_splits, "--isolate")
    direct = cli.audit(good_classifier, cancer_splits, "--no-isolate")
    assert isolated.json["verdict"] == direct.json["verdict"]
    assert isolated.json["model"] == direct.json["model"]
