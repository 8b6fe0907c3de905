"""Isolation: the model runs in a child process with memory and time limits, for a first
run on a sample (--isolate probe) or for every call (--isolate full). A model that crashes
the interpreter, hangs or exhausts memory there becomes an error of the checks that need
it, saying why, and the rest of the audit still runs."""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

from tests.conftest import check_of, save_pickle, write_splits

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


def _run(cli, tmp_path, model, splits, mode, *extra):
    path = save_pickle(model, tmp_path / "model.pkl")
    return cli.audit(path, splits, "--isolate", mode, *extra)


MODES = ["probe", "full"]


@pytest.mark.parametrize("mode", MODES)
def test_a_model_that_crashes_the_interpreter_is_an_error_and_the_audit_goes_on(
    cli, tmp_path, cancer, cancer_splits, mode
):
    result = _run(cli, tmp_path, _crafted_tree(cancer[0]), cancer_splits, mode)
    assert result.exit_code == 1, result.output
    statuses = {c["id"]: c["status"] for c in result.json["checks"]}
    for needs_predictions in ("baseline", "metric_parity", "latency"):
        assert statuses[needs_predictions] == "error", needs_predictions
        assert "SIGSEGV" in check_of(result, needs_predictions)["message"]
    assert statuses["split_distribution"] in ("pass", "warn")  # data checks still run
    if mode == "probe":
        assert result.json["model"]["kind"] == "failed its isolated first run"
        assert any("SIGSEGV" in note for note in result.json["notes"])


def test_full_isolation_catches_a_crash_on_rows_the_probe_never_sees(cli, tmp_path, cancer):
    """The crafted tree crashes only on rows that pass one small inner node. Train, test and
    production's first 1,000 rows (all the probe samples) avoid it; production's last rows
    (up to 20) reach it. In full isolation that crash takes down the model's process, not the
    audit."""
    train, test = cancer
    X, y = train.drop(columns="target"), train["target"]
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    tree = model.tree_
    inner = np.flatnonzero(tree.children_left >= 0)[1:]  # inner nodes below the root
    node = int(inner[np.argmin(tree.n_node_samples[inner])])

    def reaches(frame):
        return model.decision_path(frame.drop(columns="target")).toarray()[:, node] > 0

    rng = np.random.default_rng(0)
    everything = pd.concat([train, test])
    safe, deadly = everything[~reaches(everything)], everything[reaches(everything)]
    production = pd.concat([safe.iloc[rng.integers(len(safe), size=1_000)], deadly.head(20)])
    splits = write_splits(tmp_path / "splits", train[~reaches(train)], test[~reaches(test)],
                          production=production.drop(columns="target"))  # fmt: skip
    state = tree.__getstate__()
    nodes = state["nodes"].copy()
    nodes["left_child"][node] = nodes["right_child"][node] = 2**40
    tree.__setstate__({**state, "nodes": nodes})

    result = _run(cli, tmp_path, model, splits, "full")

    assert result.exit_code == 1, result.output
    crashed = [c for c in result.json["checks"] if "SIGSEGV" in c["message"]]
    assert crashed and all(c["status"] == "error" for c in crashed)
    assert len(deadly) > 0 and len(production) > 1_000
    assert f"calling predict on {len(production):,} rows" in crashed[0]["message"]
    statuses = {c["id"]: c["status"] for c in result.json["checks"]}
    assert statuses["metric_parity"] != "error"  # train and test were predicted
    assert statuses["data_quality"] != "error"
    assert (tmp_path / "report.md").is_file()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("model", "limits", "says"),
    [
        (Sleeper(), ["--model-timeout", "3"], "within 3 s"),
        (Hog(), ["--model-memory-mb", "2000"], "ran out of memory (limit 2,000 MB)"),
    ],
    ids=["hangs", "exhausts-memory"],
)
def test_a_model_that_hangs_or_exhausts_memory_is_an_error(
    cli, tmp_path, cancer, cancer_splits, model, limits, says, mode
):
    train = cancer[0]
    model.fit(train.drop(columns="target"), train["target"])
    result = _run(cli, tmp_path, model, cancer_splits, mode, "--trust-model", *limits)
    assert result.exit_code == 1, result.output
    assert says in check_of(result, "metric_parity")["message"]
    assert check_of(result, "split_distribution")["status"] != "error"


@pytest.mark.parametrize("mode", MODES)
def test_a_sound_model_gives_the_same_audit_isolated_or_not(
    cli, tmp_path, good_classifier, cancer_splits, mode
):
    isolated = cli.audit(good_classifier, cancer_splits, "--isolate", mode).json
    direct = cli.audit(good_classifier, cancer_splits, "--isolate", "off").json
    assert isolated["verdict"] == direct["verdict"]
    assert isolated["model"] == direct["model"]
    for mine, theirs in zip(isolated["checks"], direct["checks"], strict=True):
        if mine["id"] != "latency":  # timings differ from run to run
            assert (mine["status"], mine["evidence"]) == (theirs["status"], theirs["evidence"])


def test_full_isolation_passes_on_the_models_own_errors_and_refusals(cli, tmp_path, cancer,
                                                                     cancer_splits):  # fmt: skip
    from tests.test_bad_inputs import PredictRaises

    train = cancer[0]
    raises = PredictRaises(max_depth=2).fit(train.drop(columns="target"), train["target"])
    result = _run(cli, tmp_path, raises, cancer_splits, "full", "--trust-model")
    assert result.exit_code == 1, result.output
    assert (
        "RuntimeError: the feature store is unreachable" in check_of(result, "benchmark")["message"]
    )
    hostile = save_pickle(Sleeper(), tmp_path / "untrusted.pkl")  # a class off the allow-list
    refused = cli.audit(hostile, cancer_splits, "--isolate", "full")
    assert refused.exit_code == 2
    assert "was refused" in refused.output and "nothing from it was run" in refused.output


@pytest.mark.parametrize("mode", MODES)
def test_compare_isolates_every_candidate(cli, tmp_path, cancer, cancer_splits, good_classifier,
                                          mode):  # fmt: skip
    crashing = save_pickle(_crafted_tree(cancer[0]), tmp_path / "crafted.pkl")
    args = ("--data", str(cancer_splits), "--quick", "--isolate", mode, "--report",
            str(tmp_path / "compare.md"))  # fmt: skip
    result = cli("compare", str(good_classifier), str(crashing), *args)
    assert result.exit_code == 2, result.output
    assert "crafted.pkl" in result.output and "SIGSEGV" in result.output
    assert not (tmp_path / "compare.md").exists()

    json_path = tmp_path / "compare.json"
    sound = cli("compare", str(good_classifier), str(good_classifier), *args,
                "--json", str(json_path))  # fmt: skip
    assert sound.exit_code == 0, sound.output
    candidates = json.loads(json_path.read_text())["candidates"]
    assert candidates[0]["metric"] == candidates[1]["metric"] > 0.9


def test_a_custom_baseline_model_runs_isolated_too(cli, tmp_path, cancer, good_classifier,
                                                   cancer_splits):  # fmt: skip
    save_pickle(_crafted_tree(cancer[0]), tmp_path / "crafted.pkl")
    checklist = tmp_path / "checklist.yaml"  # the model path is relative to the checklist
    checklist.write_text(
        "checks:\n  baseline:\n    custom:\n      - {name: rival, model: crafted.pkl}\n"
    )
    result = cli.audit(good_classifier, cancer_splits, "-c", str(checklist), "--isolate", "probe")
    assert result.exit_code == 1, result.output
    baseline = check_of(result, "baseline")
    assert baseline["status"] == "error"
    assert "crafted.pkl" in baseline["message"] and "SIGSEGV" in baseline["message"]
    assert check_of(result, "metric_parity")["status"] != "error"  # the audited model is fine


@pytest.mark.parametrize("mode", MODES)
def test_profile_isolates_the_model(cli, tmp_path, cancer, cancer_splits, good_classifier, mode):
    from mlready.io.profile import load_profile

    crashing = save_pickle(_crafted_tree(cancer[0]), tmp_path / "crafted.pkl")
    train = cancer_splits / "train.csv"
    out = tmp_path / "train.profile"
    result = cli("profile", str(train), "-o", str(out), "--model", str(crashing), "--isolate", mode)
    assert result.exit_code == 2, result.output
    assert "crafted.pkl" in result.output and "SIGSEGV" in result.output
    assert not out.exists()

    isolated, direct = tmp_path / "isolated.profile", tmp_path / "direct.profile"
    for path, how in ((isolated, mode), (direct, "off")):
        made = cli("profile", str(train), "-o", str(path), "--model", str(good_classifier),
                   "--isolate", how)  # fmt: skip
        assert made.exit_code == 0, made.output
    ours, theirs = load_profile(isolated).predictions, load_profile(direct).predictions
    assert ours is not None and theirs is not None
    np.testing.assert_array_equal(ours.numeric["prediction"].values,
                                  theirs.numeric["prediction"].values)  # fmt: skip
