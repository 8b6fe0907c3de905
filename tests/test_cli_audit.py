"""End-to-end audits through the real CLI: exit codes, reports, verdicts."""

from __future__ import annotations

import os
import pickle

import pandas as pd
import yaml

from mlready.questions import QUESTIONS

from .conftest import save_pickle, write_splits


def baseline(result) -> dict:
    return next(c for c in result.json["checks"] if c["id"] == "baseline")


def test_good_model_beats_the_naive_baselines_and_exits_0(cli, good_classifier, cancer_splits):
    result = cli.audit(good_classifier, cancer_splits)
    assert result.exit_code == 0, result.output
    check = baseline(result)
    assert check["status"] in {"pass", "warn"}
    margin = next(e for e in check["evidence"] if e["name"] == "margin_naive")
    assert margin["value"] > 0.4 and margin["ci_low"] > 0
    assert check["metrics"]["model"] > 0.95
    assert check["metrics"]["majority"] == 0.5  # a constant score has AUC 0.5
    assert result.json["status"] == check["status"]
    assert result.json["primary_metric"] == "roc_auc"


def test_json_report_has_the_documented_fields(cli, good_classifier, cancer_splits):
    report = cli.audit(good_classifier, cancer_splits).json
    assert {"status", "checks", "schema_version", "seed", "model", "splits"} <= set(report)
    for check in report["checks"]:
        assert {"id", "status", "severity", "message", "metrics"} <= set(check)
    assert [s["name"] for s in report["splits"]] == ["train", "test"]
    assert len(report["model"]["sha256"]) == 64
    assert [q["number"] for q in report["questions"]] == list(range(1, 12))


def test_markdown_report_lists_all_eleven_questions(cli, good_classifier, cancer_splits):
    markdown = cli.audit(good_classifier, cancer_splits).markdown
    for q in QUESTIONS:
        assert q.text in markdown
    assert markdown.splitlines()[2].startswith("**Verdict:")
    assert "Model vs baselines on test" in markdown
    assert "| 7 | How will the model be integrated" in markdown
    assert "❌ unmet" in markdown  # unanswered questions are visible, with the guide's questions
    assert "- Is there a human in the loop?" in markdown


def test_model_trained_on_shuffled_labels_fails_and_exits_1(
    cli, shuffled_label_classifier, cancer_splits
):
    result = cli.audit(shuffled_label_classifier, cancer_splits)
    assert result.exit_code == 1, result.output
    check = baseline(result)
    assert check["status"] == "fail"
    assert "not better than a naive baseline" in check["message"]
    assert result.json["verdict"].startswith("not ready")


def test_multiclass_string_labels(cli, tmp_path, iris_case):
    model, splits = iris_case
    # iris holds duplicate rows, which the benchmark check rightly reports as leakage.
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text("checks:\n  benchmark:\n    enabled: false\n")
    result = cli.audit(model, splits, "--target", "species", "-c", str(checklist))
    assert result.exit_code == 0, result.output
    assert result.json["task"] == "multiclass"
    assert result.json["primary_metric"] == "f1_macro"
    assert baseline(result)["metrics"]["model"] > 0.85


def test_predictions_only_mode_needs_no_model_file(cli, tmp_path, cancer):
    train, test = (f.copy() for f in cancer)
    for frame in (train, test):  # a "model" that thresholds one strong feature
        frame["pred"] = (frame["worst_concave_points"] < 0.14).astype(int)
        frame["proba"] = 1 - frame["worst_concave_points"] / 0.3
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text("data:\n  prediction: pred\n  score: proba\n")
    splits = write_splits(tmp_path / "pred-splits", train, test)
    result = cli.audit(None, splits, "-c", str(checklist))
    assert result.exit_code == 0, result.output
    assert result.json["model"]["kind"] == "predictions-only"
    assert baseline(result)["metrics"]["model"] > 0.9


def test_same_inputs_and_seed_give_the_same_numbers(cli, good_classifier, cancer_splits):
    first = baseline(cli.audit(good_classifier, cancer_splits, "--seed", "3"))
    second = baseline(cli.audit(good_classifier, cancer_splits, "--seed", "3"))
    assert first["evidence"] == second["evidence"]


def test_inputs_are_not_modified(cli, good_classifier, cancer_splits):
    before = {p: p.read_bytes() for p in [good_classifier, *cancer_splits.iterdir()]}
    cli.audit(good_classifier, cancer_splits)
    assert {p: p.read_bytes() for p in before} == before


def test_joblib_parquet_and_validation_split(cli, tmp_path, cancer):
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train, test = cancer
    folder = tmp_path / "pq"
    folder.mkdir()
    train.to_parquet(folder / "train.parquet")
    test.iloc[:80].to_parquet(folder / "test.parquet")
    test.iloc[80:].to_json(folder / "validation.jsonl", orient="records", lines=True)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        train.drop(columns="target"), train["target"]
    )
    joblib.dump(model, tmp_path / "model.joblib", compress=3)
    result = cli.audit(tmp_path / "model.joblib", folder)
    assert result.exit_code == 0, result.output
    assert [s["name"] for s in result.json["splits"]] == ["train", "test", "validation"]
    assert result.json["model"]["format"] == "joblib"


def test_hostile_pickle_is_refused_and_never_runs(cli, tmp_path, cancer_splits):
    canary = tmp_path / "canary"

    class Hostile:
        def __reduce__(self):
            return (os.system, (f"touch {canary}",))

    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(Hostile()))
    result = cli.audit(path, cancer_splits)
    assert result.exit_code == 2
    assert "system" in result.stderr and "model.pkl" in result.stderr
    assert "Traceback" not in result.output
    assert not canary.exists()
    assert result.json is None and result.markdown is None
    # ... unless the user says they trust it.
    trusted = cli.audit(path, cancer_splits, "--trust-model")
    assert canary.exists()
    assert trusted.exit_code == 2  # it is not a model, so the audit cannot run


def test_a_pinned_sha256_trusts_the_file(cli, tmp_path, cancer, cancer_splits):
    import hashlib
    from uuid import UUID

    from sklearn.ensemble import RandomForestClassifier

    train, _ = cancer
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(
        train.drop(columns="target"), train["target"]
    )
    model.run_id = UUID(int=7)  # a harmless global that is not on the allow-list
    path = save_pickle(model, tmp_path / "model.pkl")
    assert cli.audit(path, cancer_splits).exit_code == 2
    checklist = tmp_path / "checklist.yaml"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    checklist.write_text(f"model:\n  sha256: {digest}\n")
    result = cli.audit(path, cancer_splits, "-c", str(checklist))
    assert result.exit_code == 0, result.output
    assert result.json["model"]["trusted"] is True


def test_a_check_that_crashes_becomes_an_error_and_the_others_still_run(
    cli, monkeypatch, good_classifier, cancer_splits
):
    from mlready import api
    from mlready.check import Capabilities, CheckParams
    from mlready.checks.baseline import BaselineCheck
    from mlready.registry import Origin, Registry

    class Broken:
        id, title, question, Params = "broken", "Always crashes", 3, CheckParams
        capabilities = Capabilities()

        def run(self, context, params):
            raise ZeroDivisionError("boom")

    here = Origin("tests", "0")
    checks = {"baseline": BaselineCheck(), "broken": Broken()}
    monkeypatch.setattr(api, "load_checks", lambda: Registry(checks, dict.fromkeys(checks, here)))
    result = cli.audit(good_classifier, cancer_splits)
    assert result.exit_code == 1
    statuses = {c["id"]: c["status"] for c in result.json["checks"]}
    assert statuses["broken"] == "error" and statuses["baseline"] in {"pass", "warn"}
    assert "ZeroDivisionError: boom" in result.json["checks"][1]["message"]


def test_extra_columns_and_rows_without_target_are_reported(cli, tmp_path, good_classifier, cancer):
    train, test = (f.copy() for f in cancer)
    test["comment"] = "x"
    test.loc[test.index[:3], "target"] = None
    splits = write_splits(tmp_path / "s", train, test)
    result = cli.audit(good_classifier, splits)
    assert result.exit_code == 0, result.output
    notes = " ".join(result.json["notes"])
    assert "test: columns the model does not use: comment" in notes
    assert "3 rows without a target" in notes


def test_model_file_of_another_split_order_still_works(cli, tmp_path, good_classifier, cancer):
    train, test = cancer
    splits = write_splits(tmp_path / "s", train, test[test.columns[::-1]])
    assert cli.audit(good_classifier, splits).exit_code == 0


def test_production_folder_of_batches_is_read(cli, tmp_path, good_classifier, cancer):
    train, test = cancer
    splits = write_splits(tmp_path / "s", train, test)
    (splits / "production").mkdir()
    test.iloc[:50].drop(columns="target").to_csv(splits / "production" / "b1.csv", index=False)
    test.iloc[50:].drop(columns="target").to_csv(splits / "production" / "b2.csv", index=False)
    result = cli.audit(good_classifier, splits)
    production = next(s for s in result.json["splits"] if s["name"] == "production")
    assert production["rows"] == len(test)


def test_read_csv_categorical_pipeline(cli, tmp_path):
    """A raw-data pipeline with a categorical column, as teams ship them."""
    import numpy as np
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame({"x": rng.normal(size=n), "city": rng.choice(["oslo", "lima", "pune"], n)})
    frame["target"] = (
        (frame["x"] + (frame["city"] == "lima") * 1.5 + rng.normal(scale=0.5, size=n)) > 0.7
    ).astype(int)
    # stratified: the first 400 rows hold 38.8% positives and the last 200 50% (p = 0.009)
    train, test = train_test_split(frame, test_size=200, stratify=frame["target"], random_state=0)
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["city"]), remainder="passthrough"),
        HistGradientBoostingClassifier(max_iter=30),
    ).fit(train[["x", "city"]], train["target"])
    path = save_pickle(model, tmp_path / "m.pkl")
    result = cli.audit(path, write_splits(tmp_path / "s", train, test))
    assert result.exit_code == 0, result.output
    assert baseline(result)["metrics"]["model"] > 0.8


def test_a_second_model_file_can_be_a_custom_baseline(
    cli, tmp_path, good_classifier, cancer, cancer_splits
):
    from sklearn.naive_bayes import GaussianNB

    train, _ = cancer
    save_pickle(
        GaussianNB().fit(train.drop(columns="target"), train["target"]), tmp_path / "nb.pkl"
    )
    checklist = tmp_path / "checklist.yaml"  # the model path is relative to the checklist
    checklist.write_text(
        "checks:\n  baseline:\n    custom:\n"
        "      - {name: naive_bayes, tier: simple, model: nb.pkl}\n"
    )
    result = cli.audit(good_classifier, cancer_splits, "-c", str(checklist))
    assert result.exit_code == 0, result.output
    assert 0.9 < baseline(result)["metrics"]["naive_bayes"] <= 1.0


def test_an_all_empty_feature_column_is_noted_not_fatal(cli, tmp_path, good_classifier, cancer):
    train, test = cancer
    test = test.assign(mean_texture=float("nan"))
    result = cli.audit(good_classifier, write_splits(tmp_path / "s", train, test))
    assert result.exit_code == 1, result.output  # the audit runs, and judges the splits
    assert "test: columns with no values at all: mean_texture" in result.json["notes"]
    split = next(c for c in result.json["checks"] if c["id"] == "split_distribution")
    assert "missing-value rates changed between train and test: mean_texture" in split["message"]


def test_jobs_do_not_change_a_single_number(cli, tmp_path, good_classifier, cancer_splits):
    """Checks run in threads with --jobs 2; each draws from its own seeded generator, so the
    report equals the one-job report except for timings."""

    spec = tmp_path / "checklist.yaml"
    spec.write_text(yaml.safe_dump({"checks": {"latency": {"enabled": False}}}))

    def stable(report: dict) -> list:
        return [{k: v for k, v in c.items() if k != "duration_s"} for c in report["checks"]]

    one = cli.audit(good_classifier, cancer_splits, "--checklist", str(spec)).json
    two = cli.audit(good_classifier, cancer_splits, "--checklist", str(spec), "--jobs", "2").json
    assert stable(one) == stable(two)
    assert [c["id"] for c in two["checks"]][-1] == "fairness"  # question order, as reports list
