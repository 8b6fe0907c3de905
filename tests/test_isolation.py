"""The model's process: a model that crashes the interpreter, hangs or exhausts memory
there becomes an error of the checks that need it, saying why, and the rest of the audit
still runs; a sound model gives the same audit sandboxed as in mlready's own process; every
command that runs a model runs it there."""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from tests.conftest import check_of, save_pickle
from tests.hostile import crafted_tree

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the sandbox needs POSIX")


@pytest.fixture(autouse=True)
def _default_settings(monkeypatch) -> None:
    """The suite runs most models in-process (conftest.py); these tests use the default."""
    monkeypatch.delenv("MLREADY_ISOLATE", raising=False)


class Sleeper(DecisionTreeClassifier):
    """A model whose predict never returns (in time)."""

    def predict(self, X):
        time.sleep(3600)
        return super().predict(X)


class Hog(DecisionTreeClassifier):
    """A model whose predict takes memory until there is none."""

    def predict(self, X):
        held = []
        while True:
            held.append(np.ones(25_000_000))  # 200 MB at a time


def _run(cli, tmp_path, model, splits, *extra):
    path = save_pickle(model, tmp_path / "model.pkl")
    return cli.audit(path, splits, *extra)


def test_a_model_that_crashes_the_interpreter_is_an_error_and_the_audit_goes_on(
    cli, tmp_path, cancer, cancer_splits
):
    result = _run(cli, tmp_path, crafted_tree(cancer[0]), cancer_splits)
    assert result.exit_code == 1, result.output
    statuses = {c["id"]: c["status"] for c in result.json["checks"]}
    for needs_predictions in ("baseline", "metric_parity", "latency"):
        assert statuses[needs_predictions] == "error", needs_predictions
        assert "SIGSEGV" in check_of(result, needs_predictions)["message"]
    assert statuses["split_distribution"] in ("pass", "warn")  # data checks still run
    assert result.json["sandbox"]["mode"] == "sandboxed"


@pytest.mark.parametrize(
    ("model", "limits", "says"),
    [
        (Sleeper(), ["--model-timeout", "10"], "took longer than 10 s calling predict"),
        (Hog(), ["--model-memory-mb", "2000"], "ran out of its 2,000 MB while calling predict"),
        (Sleeper(), ["--model-total-timeout", "5"], "used up the 5 s it may run in all"),
    ],
    ids=["hangs", "exhausts-memory", "over-its-total-time"],
)
def test_a_model_that_hangs_or_exhausts_memory_is_an_error(
    cli, tmp_path, cancer, cancer_splits, model, limits, says
):
    train = cancer[0]
    model.fit(train.drop(columns="target"), train["target"])
    result = _run(cli, tmp_path, model, cancer_splits, "--trust-model", *limits)
    assert result.exit_code == 1, result.output
    assert says in check_of(result, "metric_parity")["message"]
    assert check_of(result, "split_distribution")["status"] != "error"


def test_a_sound_model_gives_the_same_audit_sandboxed_or_not(
    cli, tmp_path, good_classifier, cancer_splits
):
    sandboxed = cli.audit(good_classifier, cancer_splits).json
    direct = cli.audit(good_classifier, cancer_splits, "--isolate", "off").json
    assert sandboxed["sandbox"]["mode"] == "sandboxed"
    assert direct["sandbox"] == {"mode": "in-process", "layers": []}
    assert sandboxed["verdict"] == direct["verdict"]
    assert sandboxed["model"] == direct["model"]
    for mine, theirs in zip(sandboxed["checks"], direct["checks"], strict=True):
        if mine["id"] != "latency":  # timings differ from run to run
            assert (mine["status"], mine["evidence"]) == (theirs["status"], theirs["evidence"])


def test_the_sandbox_passes_on_the_models_own_errors_and_refusals(
    cli, tmp_path, cancer, cancer_splits
):
    from tests.test_bad_inputs import PredictRaises

    train = cancer[0]
    raises = PredictRaises(max_depth=2).fit(train.drop(columns="target"), train["target"])
    result = _run(cli, tmp_path, raises, cancer_splits, "--trust-model")
    assert result.exit_code == 1, result.output
    assert (
        "RuntimeError: the feature store is unreachable" in check_of(result, "benchmark")["message"]
    )
    hostile = save_pickle(Sleeper(), tmp_path / "untrusted.pkl")  # a class off the allow-list
    refused = cli.audit(hostile, cancer_splits)
    assert refused.exit_code == 2
    assert "was refused" in refused.output and "nothing from it was run" in refused.output


def test_compare_sandboxes_every_candidate(cli, tmp_path, cancer, cancer_splits, good_classifier):
    crashing = save_pickle(crafted_tree(cancer[0]), tmp_path / "crafted.pkl")
    args = ("--data", str(cancer_splits), "--quick", "--report", str(tmp_path / "compare.md"))
    result = cli("compare", str(good_classifier), str(crashing), *args)
    assert result.exit_code == 2, result.output
    assert "crafted.pkl" in result.output and "SIGSEGV" in result.output
    assert not (tmp_path / "compare.md").exists()

    json_path = tmp_path / "compare.json"
    sound = cli(
        "compare", str(good_classifier), str(good_classifier), *args, "--json", str(json_path)
    )
    assert sound.exit_code == 0, sound.output
    candidates = json.loads(json_path.read_text())["candidates"]
    assert candidates[0]["metric"] == candidates[1]["metric"] > 0.9


def test_a_custom_baseline_model_runs_sandboxed_too(
    cli, tmp_path, cancer, good_classifier, cancer_splits
):
    save_pickle(crafted_tree(cancer[0]), tmp_path / "crafted.pkl")
    checklist = tmp_path / "checklist.yaml"  # the model path is relative to the checklist
    checklist.write_text(
        "checks:\n  baseline:\n    custom:\n      - {name: rival, model: crafted.pkl}\n"
    )
    result = cli.audit(good_classifier, cancer_splits, "-c", str(checklist))
    assert result.exit_code == 1, result.output
    baseline = check_of(result, "baseline")
    assert baseline["status"] == "error"
    assert "crafted.pkl" in baseline["message"] and "SIGSEGV" in baseline["message"]
    assert check_of(result, "metric_parity")["status"] != "error"  # the audited model is fine


def test_profile_sandboxes_the_model(cli, tmp_path, cancer, cancer_splits, good_classifier):
    from mlready.io.profile import load_profile

    crashing = save_pickle(crafted_tree(cancer[0]), tmp_path / "crafted.pkl")
    train = cancer_splits / "train.csv"
    out = tmp_path / "train.profile"
    result = cli("profile", str(train), "-o", str(out), "--model", str(crashing))
    assert result.exit_code == 2, result.output
    assert "crafted.pkl" in result.output and "SIGSEGV" in result.output
    assert not out.exists()

    isolated, direct = tmp_path / "isolated.profile", tmp_path / "direct.profile"
    for path, how in ((isolated, "full"), (direct, "off")):
        made = cli(
            "profile",
            str(train),
            "-o",
            str(path),
            "--model",
            str(good_classifier),
            "--isolate",
            how,
        )
        assert made.exit_code == 0, made.output
    ours, theirs = load_profile(isolated).predictions, load_profile(direct).predictions
    assert ours is not None and theirs is not None
    np.testing.assert_array_equal(
        ours.numeric["prediction"].values, theirs.numeric["prediction"].values
    )
