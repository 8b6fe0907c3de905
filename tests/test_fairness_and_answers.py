"""The fairness check, written answers, waivers, the ML Test Score card and coverage."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LogisticRegression

from mlready.cli import app
from mlready.questions import QUESTIONS
from tests.conftest import check_of, save_pickle, table, write_splits

TODAY = dt.date.today()


def population(rows: int, seed: int, bias: float) -> pd.DataFrame:
    """Applicants in groups a and b (and a handful in c); with ``bias``, the historical
    labels of group b were mostly turned down, so a model learns to select b less."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], rows)
    group[:8] = "c"
    skill = rng.normal(size=rows)
    label = (skill + rng.normal(scale=0.5, size=rows)) > 0
    label &= ~((group == "b") & (rng.random(rows) < bias))
    return pd.DataFrame(
        {
            "skill": skill,
            "is_b": (group == "b").astype(int),
            "group": group,
            "target": label.astype(int),
        }
    )


def case(tmp_path: Path, bias: float):
    train, test = population(4000, 0, bias), population(2000, 1, bias)
    model = LogisticRegression().fit(train[["skill", "is_b"]], train["target"])
    return save_pickle(model, tmp_path / "model.pkl"), write_splits(
        tmp_path / "splits", train, test
    )


def checklist(tmp_path: Path, **extra) -> Path:
    spec = {
        "data": {"sensitive": ["group"], "features": ["skill", "is_b"]},
        "checks": {
            "latency": {"enabled": False},
            "benchmark": {"enabled": False},
            "split_distribution": {"enabled": False},
        },
    }
    for key, value in extra.items():
        if key == "checks":
            spec["checks"].update(value)
        else:
            spec[key] = value
    path = tmp_path / "checklist.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, default_flow_style=False))
    return path


def test_a_biased_model_fails_the_four_fifths_rule_naming_the_groups(cli, tmp_path):
    model, splits = case(tmp_path, bias=0.6)
    result = cli.audit(model, splits, "--checklist", str(checklist(tmp_path)))
    check = check_of(result, "fairness")
    assert check["status"] == "fail"
    assert "group b is selected at" in check["message"] and "group a at" in check["message"]
    assert "parity ratio below the bar" in check["message"]
    ratio = next(e for e in check["evidence"] if e["name"] == "group_parity_ratio")
    assert ratio["value"] < 0.8 and ratio["ci_high"] < 0.8 and ratio["threshold"] == 0.8
    groups = table(check, "Groups of group").set_index("group")
    test = pd.read_csv(splits / "test.csv")
    selected = model_selection(model, test)
    for name in ("a", "b"):
        assert groups.loc[name, "selection rate"] == pytest.approx(
            selected[test["group"] == name].mean()
        )
    assert result.exit_code == 1


def model_selection(model_path: Path, frame: pd.DataFrame) -> np.ndarray:
    with model_path.open("rb") as handle:
        model = pickle.load(handle)
    return model.predict(frame[["skill", "is_b"]])


def test_without_sensitive_attributes_question_11_rests_on_the_written_answer(cli, tmp_path):
    model, splits = case(tmp_path, bias=0.0)
    spec = checklist(tmp_path, data={"features": ["skill", "is_b"]})
    result = cli.audit(model, splits, "--checklist", str(spec))
    assert check_of(result, "fairness")["status"] == "skip"
    q11 = next(q for q in result.json["questions"] if q["number"] == 11)
    assert q11["status"] == "unmet"
    assert "answers.ethics_review missing" in q11["missing"]
    assert "Who could be harmed by a wrong prediction" in " ".join(q11["guidance"])


def answer(days_ago: int = 0, **more) -> dict:
    return {
        "answer": "Nightly batch scoring; an analyst reviews every decision.",
        "owner": "Dana Lee",
        "evidence": "https://wiki.example/model-42",
        "date": str(TODAY - dt.timedelta(days=days_ago)),
        **more,
    }


def test_a_missing_integration_answer_leaves_question_7_unmet_with_guidance(cli, tmp_path):
    model, splits = case(tmp_path, bias=0.0)
    result = cli.audit(model, splits, "--checklist", str(checklist(tmp_path)))
    q7 = next(q for q in result.json["questions"] if q["number"] == 7)
    assert q7["status"] == "unmet" and q7["missing"] == "answers.integration missing"
    assert "Is there a human in the loop?" in q7["guidance"]
    assert "- Is there a fallback when things go wrong?" in result.markdown
    assert "answers.integration missing" in result.json["verdict"]
    assert result.exit_code == 0  # answer_rules.severity is warn by default

    spec = checklist(tmp_path, answer_rules={"severity": "fail"})
    strict = cli.audit(model, splits, "--checklist", str(spec))
    assert strict.exit_code == 1
    assert strict.json["verdict"].startswith("not ready: answers.integration, answers.")


def test_answers_meet_their_questions_and_go_stale(cli, tmp_path):
    model, splits = case(tmp_path, bias=0.0)
    spec = checklist(
        tmp_path,
        answers={
            "integration": answer(10),
            "ethics_review": answer(400),
            "data_lineage": {
                "not_applicable": True,
                "reason": "public benchmark data",
                "owner": "Dana Lee",
                "date": str(TODAY),
            },
        },
    )
    result = cli.audit(model, splits, "--checklist", str(spec))
    answers = {a["id"]: a for a in result.json["answers"]}
    assert answers["integration"]["state"] == "answered"
    assert (
        answers["ethics_review"]["state"] == "stale" and answers["ethics_review"]["age_days"] == 400
    )
    assert "older than 365 days" in answers["ethics_review"]["message"]
    assert answers["data_lineage"]["state"] == "not applicable"
    questions = {q["number"]: q for q in result.json["questions"]}
    assert questions[7]["status"] == "met"
    assert questions[11]["status"] == "unmet"  # fairness passes, but its answer is stale
    assert "stale (400 days old)" in result.markdown


def test_not_applicable_without_a_reason_is_rejected(cli, tmp_path):
    model, splits = case(tmp_path, bias=0.0)
    spec = checklist(
        tmp_path,
        answers={"integration": {"not_applicable": True, "owner": "Dana", "date": str(TODAY)}},
    )
    result = cli.audit(model, splits, "--checklist", str(spec))
    assert result.exit_code == 2
    assert "answers.integration: 'not applicable' needs a reason" in result.output
    assert "checklist.yaml:" in result.output


def test_an_unknown_answer_topic_is_rejected_with_a_suggestion(cli, tmp_path):
    model, splits = case(tmp_path, bias=0.0)
    spec = checklist(tmp_path, answers={"integraton": answer()})
    result = cli.audit(model, splits, "--checklist", str(spec))
    assert result.exit_code == 2
    assert "unknown topic 'integraton' (did you mean 'integration'?)" in result.output


@pytest.mark.parametrize(("expires_in", "status", "code"), [(10, "waived", 0), (-1, "fail", 1)])
def test_a_waived_failure_passes_until_its_expiry_date(cli, tmp_path, expires_in, status, code):
    model, splits = case(tmp_path, bias=0.6)
    waiver = {
        "reason": "retraining with reweighting is scheduled",
        "owner": "Dana Lee",
        "expires": str(TODAY + dt.timedelta(days=expires_in)),
    }
    spec = checklist(tmp_path, checks={"fairness": {"waive": waiver}})
    result = cli.audit(model, splits, "--checklist", str(spec))
    check = check_of(result, "fairness")
    assert check["status"] == status
    assert check["waiver"]["expired"] is (expires_in < 0)
    assert result.exit_code == code
    if status == "waived":
        assert check["message"].startswith(f"waived until {waiver['expires']} by Dana Lee")
        assert (
            "ready with waivers: fairness" in result.json["verdict"]
            or "(waived: fairness)" in (result.json["verdict"])
        )
        assert "🛡️ `fairness`" in result.markdown
    else:
        assert f"expired on {waiver['expires']}" in check["message"]


@pytest.mark.parametrize("missing", ["reason", "owner", "expires"])
def test_a_waiver_needs_reason_owner_and_expiry(cli, tmp_path, missing):
    model, splits = case(tmp_path, bias=0.6)
    waiver = {"reason": "scheduled fix", "owner": "Dana", "expires": str(TODAY)}
    del waiver[missing]
    spec = checklist(tmp_path, checks={"fairness": {"waive": waiver}})
    result = cli.audit(model, splits, "--checklist", str(spec))
    assert result.exit_code == 2
    assert f"checks.fairness.waive.{missing}: Field required" in result.output


def test_the_coverage_table_lists_all_eleven_questions_and_the_score_card_adds_up(cli, tmp_path):
    model, splits = case(tmp_path, bias=0.0)
    spec = checklist(tmp_path, answers={"integration": answer(), "ethics_review": answer()})
    result = cli.audit(model, splits, "--checklist", str(spec))
    assert [q["number"] for q in result.json["questions"]] == [q.number for q in QUESTIONS]
    assert all(
        q["status"] in ("met", "partly met", "unmet", "not applicable")
        for q in result.json["questions"]
    )
    card = result.json["scorecard"]
    assert len(card["items"]) == 28
    sections = {}
    for item in card["items"]:
        sections[item["section"]] = sections.get(item["section"], 0) + item["points"]
    assert sections == card["sections"] and set(sections) == {
        "Data",
        "Model",
        "Infrastructure",
        "Monitoring",
    }
    assert card["final"] == min(sections.values())
    simpler = next(i for i in card["items"] if i["test"] == "A simpler model is not better")
    assert simpler["points"] == 1 and simpler["how"].startswith("automated: baseline")
    rollback = next(i for i in card["items"] if i["test"] == "Serving models can be rolled back")
    assert (
        rollback["points"] == 0.5 and rollback["how"] == "manual, documented: answers.integration"
    )
    assert "## ML Test Score" in result.markdown


def test_interactive_init_writes_a_valid_checklist_with_the_answers(cli, tmp_path):
    from mlready.spec import load_spec

    output = tmp_path / "checklist.yaml"
    answers = [
        "splits",
        "diagnosis",
        "sex, age",
        "roc_auc",
        "fast",
        "50",
        "0.9",
        "Dana Lee",
        "",  # ground_truth_process: skipped for now
        "n/a",
        "",
        "public benchmark data",  # data_lineage: a reason is insisted on
        "",  # goals
        "Nightly batch; a clinician reviews every result.",
        "https://wiki.example/42",
        "",
        "",  # drift_strategy, monitoring_plan
        "Reviewed by the responsible-AI board.",
        "",
    ]
    result = cli.runner.invoke(
        app, ["init", "--interactive", "-o", str(output)], input="\n".join(answers) + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "'fast' is not a number" in result.output
    assert "Is there a human in the loop?" in result.output  # the guide's questions are shown
    spec = load_spec(output)
    assert spec.data.target == "diagnosis" and spec.data.sensitive == ["sex", "age"]
    assert spec.limits.p95_latency_ms == 50 and spec.metrics.primary == "roc_auc"
    assert spec.answers["integration"].evidence == "https://wiki.example/42"
    assert spec.answers["integration"].date == TODAY
    assert spec.answers["data_lineage"].reason == "public benchmark data"
    assert set(spec.answers) == {"data_lineage", "integration", "ethics_review"}


def test_plain_init_stays_non_interactive(cli, tmp_path):
    output = tmp_path / "checklist.yaml"
    result = cli("init", "-o", str(output))
    assert result.exit_code == 0
    text = output.read_text()
    assert "# answers:" in text and "# waive: {reason:" in text


def test_interactive_init_without_a_terminal_is_a_clear_error(cli, tmp_path):
    output = tmp_path / "checklist.yaml"
    result = cli.runner.invoke(app, ["init", "--interactive", "-o", str(output)], input="")
    assert result.exit_code == 2
    assert "needs answers typed at a terminal" in result.output
    assert not output.exists()
