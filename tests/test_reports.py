"""Report formats: self-contained HTML with plots, markdown assets, JUnit, GitHub Actions,
comparison with an earlier audit, and the shipped JSON Schema."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from mlready.demo import build_example
from mlready.numbers import fmt
from mlready.report.schema import generated_schema, shipped_schema
from tests.conftest import assert_ready_but_for_timing, check_of, save_pickle


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> dict[str, Path]:
    """The bundled example, audited once with every output."""
    from typer.testing import CliRunner

    from mlready.cli import app

    folder = tmp_path_factory.mktemp("example")
    model, checklist = build_example(folder)
    outputs = {
        name: folder / name
        for name in ("report.html", "report.md", "report.json", "junit.xml", "assets")
    }
    result = CliRunner().invoke(
        app,
        [
            "audit",
            str(model),
            "--checklist",
            str(checklist),
            "--quick",
            "--isolate",
            "full",
            "--html",
            str(outputs["report.html"]),
            "--report",
            str(outputs["report.md"]),
            "--json",
            str(outputs["report.json"]),
            "--junit",
            str(outputs["junit.xml"]),
            "--assets",
            str(outputs["assets"]),
        ],
        env={"GITHUB_ACTIONS": "", "GITHUB_STEP_SUMMARY": ""},
    )
    assert outputs["report.json"].exists(), result.output
    assert_ready_but_for_timing(result.exit_code, json.loads(outputs["report.json"].read_text()))
    return {**outputs, "folder": folder, "model": model, "checklist": checklist}


def test_the_html_report_is_self_contained_with_one_svg_per_plot(example):
    html = example["report.html"].read_text()
    report = json.loads(example["report.json"].read_text())
    drawn = [  # a plot of fewer than three numbers is a sentence, not a picture
        p
        for c in report["checks"]
        for p in c["plots"]
        if sum(v is not None for s in p["series"] for v in s["y"]) >= 3
    ]
    assert len(drawn) >= 15  # every check that measures something draws it
    assert html.count("<svg") == len(drawn)
    links = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']*)["\']', html)
    assert links and all(link.startswith("#") for link in links), [
        link for link in links if not link.startswith("#")
    ]
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ["<script>"] and "@import" not in html  # one inline script, no source
    assert not re.search(r"(fetch|XMLHttpRequest|import\(|\.src\s*=)", html.split("<script>")[1])
    assert all(ref.startswith("#") for ref in re.findall(r"url\(([^)]*)\)", html))  # internal
    assert report["verdict"] in html.split("</h1>", 1)[1][:500]  # the verdict comes first
    assert 'id="check-drift"' in html and 'href="#q9"' in html


def test_markdown_assets_are_written_and_linked(example):
    markdown = example["report.md"].read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert links
    for link in links:
        png = example["report.md"].parent / link
        assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.with_suffix(".svg").read_text().startswith("<svg")


def test_the_junit_file_has_a_testcase_per_check_grouped_by_question(example):
    root = ET.parse(example["junit.xml"]).getroot()
    report = json.loads(example["report.json"].read_text())
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(report["checks"]) == int(root.get("tests"))
    failed = [c for c in report["checks"] if c["status"] == "fail"]
    assert (
        len(root.findall("./testsuite/testcase/failure"))
        == len(failed)
        == int(root.get("failures"))
    )
    skipped = [c for c in report["checks"] if c["status"] == "skip"]
    assert len(root.findall("./testsuite/testcase/skipped")) == len(skipped)
    suites = {s.get("name").split(":")[0] for s in root.findall("testsuite")}
    assert suites == {f"Q{q}" for q in {c["question"] for c in report["checks"]}}


JUNIT_SCHEMA = Path(__file__).parent / "formats" / "junit-10.xsd"  # Surefire's, MIT


def test_the_junit_file_is_valid_surefire_junit_with_what_ci_shows(example):
    import xmlschema

    schema = xmlschema.XMLSchema(JUNIT_SCHEMA)
    schema.validate(example["junit.xml"])
    root = ET.parse(example["junit.xml"]).getroot()
    report = json.loads(example["report.json"].read_text())
    assert float(root.get("time")) == pytest.approx(
        sum(c["duration_s"] for c in report["checks"]), abs=0.01
    )
    for suite in root.findall("testsuite"):
        assert suite.get("timestamp") == report["created_at"]
        assert suite.get("hostname") and suite.get("file") == report["checklist"]
        properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert properties["mlready.seed"] == str(report["seed"])
        assert properties["mlready.model.sha256"] == report["model"]["sha256"]
        assert properties["mlready.version"] == report["mlready_version"]
        # GitLab shows the classname as the suite: it keeps the question
        assert {c.get("classname") for c in suite.iter("testcase")} == {suite.get("name")}


def test_the_junit_schema_is_live() -> None:
    """pytest-style output with a 'skipped' count on <testsuites> is refused by it."""
    import xmlschema

    schema = xmlschema.XMLSchema(JUNIT_SCHEMA)
    bad = '<testsuites skipped="1"><testsuite name="a" tests="0" failures="0" errors="0"/>'
    assert not schema.is_valid(bad + "</testsuites>")
    assert schema.is_valid(bad.replace(' skipped="1"', "") + "</testsuites>")


def test_every_report_says_how_the_model_was_contained(example):
    report = json.loads(example["report.json"].read_text())
    sandbox = report["sandbox"]
    assert sandbox["mode"] == "sandboxed"
    names = [layer["name"] for layer in sandbox["layers"]]
    assert names == ["privileges", "limits", "landlock", "seccomp", "memory"]
    markdown, html = example["report.md"].read_text(), example["report.html"].read_text()
    assert "| Sandbox | the model ran only in a locked-down process (privileges" in markdown
    for layer in sandbox["layers"]:
        assert f"| {layer['name']} | {'yes' if layer['in_force'] else '**no**'} |" in markdown
        assert f"<td>{layer['name']}</td>" in html
    assert "Sandbox: the model ran only in a locked-down process" in html
    root = ET.parse(example["junit.xml"]).getroot()
    values = {
        p.get("value")
        for p in root.findall("./testsuite/properties/property")
        if p.get("name") == "mlready.sandbox"
    }
    assert len(values) == 1 and values.pop().startswith("the model ran only in a locked-down")


def test_a_failing_audit_puts_failures_in_junit(cli, tmp_path, cancer_splits):
    model = save_pickle(DummyClassifier().fit([[0]] * 4, [0, 1, 0, 1]), tmp_path / "dummy.pkl")
    spec = tmp_path / "checklist.yaml"
    spec.write_text(
        yaml.safe_dump(
            {"data": {"features": ["mean_radius"]}, "checks": {"latency": {"enabled": False}}}
        )
    )
    junit = tmp_path / "junit.xml"
    result = cli.audit(model, cancer_splits, "--checklist", str(spec), "--junit", str(junit))
    assert result.exit_code == 1
    root = ET.parse(junit).getroot()
    failures = root.findall("./testsuite/testcase/failure")
    failed = [c["id"] for c in result.json["checks"] if c["status"] == "fail"]
    names = sorted(
        c.get("name") for c in root.findall("./testsuite/testcase") if c.find("failure") is not None
    )
    assert names == sorted(failed) and len(failures) == len(failed) > 0
    assert "baseline" in names


def test_github_actions_summary_and_annotations(
    cli, tmp_path, cancer_splits, good_classifier, monkeypatch
):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = cli.audit(good_classifier, cancer_splits)
    text = summary.read_text()
    assert text.startswith("earlier step\n## mlready:")  # appended, not overwritten
    assert "| 1 | `baseline` |" in text
    warned = [c for c in result.json["checks"] if c["status"] == "warn"]
    assert warned  # the default audit of this model warns (baseline, latency limits)
    model = result.json["model"]["path"]  # no checklist key configures them: the model file
    for check in warned:
        title = f"title=mlready {check['id']} (question {check['question']})::"
        assert f"::warning file={model},{title}" in result.stdout


def test_annotations_point_at_the_checklist_line_that_configures_the_check(
    cli, tmp_path, cancer_splits, good_classifier, monkeypatch
):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    checklist = tmp_path / "ci" / "checklist.yaml"
    checklist.parent.mkdir()
    # a bar no honest model meets, set on line 4, and a title that needs escaping
    checklist.write_text("seed: 0\nchecks:\n  baseline:\n    naive: {min_margin: 0.9}\n")
    result = cli.audit(good_classifier, cancer_splits, "--checklist", str(checklist))
    baseline = next(c for c in result.json["checks"] if c["id"] == "baseline")
    assert baseline["status"] == "fail" and baseline["checklist_line"] == 3
    line = next(x for x in result.stdout.splitlines() if x.startswith("::error "))
    assert line.startswith("::error file=ci/checklist.yaml,line=3,title=mlready baseline")
    message = line.split("::", 2)[2]
    assert "\n" not in message and ("%0A" in message or "," in message)


def test_annotation_properties_escape_colons_commas_and_newlines():
    from mlready.report.github import _escape, _escape_property

    assert _escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    assert _escape("a:b,c\r\n") == "a:b,c%0D%0A"  # a message keeps ':' and ','


def test_compare_to_a_better_earlier_model_fails_no_regression(
    cli, tmp_path, cancer, cancer_splits
):
    X, y = cancer[0].drop(columns="target"), cancer[0]["target"]
    strong = save_pickle(
        RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y), tmp_path / "strong.pkl"
    )
    weak = save_pickle(
        DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y), tmp_path / "weak.pkl"
    )
    spec = tmp_path / "checklist.yaml"
    spec.write_text(yaml.safe_dump({"checks": {"latency": {"enabled": False}}}))
    before = cli.audit(strong, cancer_splits, "--checklist", str(spec))
    previous = tmp_path / "production.json"
    shutil.copy(tmp_path / "report.json", previous)
    assert check_of(before, "no_regression")["status"] == "skip"

    after = cli.audit(weak, cancer_splits, "--checklist", str(spec), "--compare-to", str(previous))
    check = check_of(after, "no_regression")
    assert check["status"] == "fail", check["message"]
    assert check["message"].startswith("worse than the earlier model: roc_auc")
    assert after.exit_code == 1
    baseline = check_of(after, "baseline")
    model = next(e for e in baseline["evidence"] if e["name"] == "model")
    old = next(e for e in check_of(before, "baseline")["evidence"] if e["name"] == "model")
    assert model["previous"] == pytest.approx(old["value"])
    assert model["delta"] == pytest.approx(model["value"] - old["value"]) and model["delta"] < 0
    shown = fmt(model["delta"], signed=True)
    assert f"| {shown} |" in after.markdown  # the renderer shows the report's delta
    assert "| Compared with |" in after.markdown and "Before | Δ |" in after.markdown
    assert after.json["compared_to"] == str(previous)

    same = cli.audit(strong, cancer_splits, "--checklist", str(spec), "--compare-to", str(previous))
    assert check_of(same, "no_regression")["status"] == "pass"


def test_compare_to_something_that_is_not_a_report_is_a_clear_error(
    cli, tmp_path, cancer_splits, good_classifier
):
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"status": "pass"}')
    result = cli.audit(good_classifier, cancer_splits, "--compare-to", str(bogus))
    assert result.exit_code == 2
    assert "bogus.json is not an mlready JSON report" in result.output


def test_the_json_report_validates_against_the_shipped_schema(example):
    assert shipped_schema() == generated_schema(), (
        "the shipped schema is stale: run python -m mlready.report.schema"
    )
    report = json.loads(example["report.json"].read_text())
    jsonschema.validate(report, shipped_schema())
    assert report["schema_version"] == 3


_NUMBER = r"[-+]?[0-9][0-9,]*(\.[0-9]+)?(e[-+]?[0-9]+)?%?"


def _numeric_text(cell: object) -> bool:
    """A string that is only a number, an interval or a percentage: prose a CI consumer
    would have to parse."""
    pattern = f"{_NUMBER}( to {_NUMBER})?( \\({_NUMBER} to {_NUMBER}\\))?"
    return isinstance(cell, str) and re.fullmatch(pattern, cell) is not None


def test_table_cells_in_the_json_report_are_numbers_where_the_value_is_a_number(example):
    report = json.loads(example["report.json"].read_text())
    cells = [
        (check["id"], table["title"], column, cell)
        for check in report["checks"]
        for table in check["tables"]
        for row in table["rows"]
        for column, cell in zip(table["columns"], row, strict=True)
    ]
    assert len(cells) > 500
    assert [c for c in cells if _numeric_text(c[3])] == []
    prose = r"\bp=|\(>= |mean .* median|[0-9]% -> "
    assert [c for c in cells if isinstance(c[3], str) and re.search(prose, c[3])] == []
    drift = next(
        row
        for c in report["checks"]
        if c["id"] == "drift"
        for t in c["tables"]
        if t["title"].startswith("Features, train vs production")
        for row in t["rows"]
        if row[0] == "mean_texture"
    )
    test, effect, missing, reference = drift[2:6]
    assert test["type"] == "measure" and test["kind"] == "p_value" and test["statistic"] == "ks"
    assert 0 <= test["value"] < 0.05
    assert effect["statistic"] == "wasserstein" and effect["value"] > effect["threshold"] == 0.1
    assert missing == {**missing, "kind": "share", "value": 0.0, "before": 0.0}
    assert (
        reference["type"] == "summary" and reference["p5"] < reference["median"] < reference["p95"]
    )
    baseline = next(c for c in report["checks"] if c["id"] == "baseline")["tables"][0]
    model_row = baseline["rows"][0]
    assert model_row[0] == "model" and isinstance(model_row[2], float)
    assert model_row[3]["kind"] == "interval" and model_row[3]["low"] <= model_row[2]


def test_long_tables_are_capped_in_markdown_but_complete_in_json(
    cli, tmp_path, cancer_splits, good_classifier
):
    spec = tmp_path / "checklist.yaml"
    spec.write_text(
        yaml.safe_dump(
            {"checks": {"metric_parity": {"top_slices": 40}, "latency": {"enabled": False}}}
        )
    )
    result = cli.audit(good_classifier, cancer_splits, "--checklist", str(spec))
    tables = [t for c in result.json["checks"] for t in c["tables"] if len(t["rows"]) > 25]
    assert tables, "expected a table longer than the cap"
    assert f"… {len(tables[0]['rows']) - 25} more rows (every row is in the JSON report)." in (
        result.markdown
    )


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    if os.environ.get("MLREADY_NO_BROWSER_INSTALL") or not shutil.which("apt-get"):
        return None
    if os.geteuid() != 0:
        return None
    try:  # the test setup installs Debian's chromium where it can
        subprocess.run(["apt-get", "update", "-qq"], check=True, timeout=300, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"],
            check=True,
            timeout=900,
            capture_output=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    except (subprocess.SubprocessError, OSError):
        return None
    return shutil.which("chromium")


@pytest.mark.heavy  # a real browser
def test_the_html_report_renders_in_headless_chromium(example, tmp_path):
    browser = _browser()
    if browser is None:
        pytest.skip(
            "no Chromium here and it could not be installed from Debian's packages "
            "(apt-get as root); the HTML checks above still ran"
        )
    from PIL import Image

    shot = tmp_path / "report.png"
    subprocess.run(
        [
            browser,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--screenshot={shot}",
            "--window-size=1280,2000",
            example["report.html"].resolve().as_uri(),
        ],
        check=True,
        timeout=180,
        capture_output=True,
    )
    image = Image.open(shot).convert("L")
    colours = image.getcolors(maxcolors=1 << 16) or []
    assert len(colours) > 50, "the screenshot is blank"
    lo, hi = image.getextrema()
    assert hi - lo > 100


def test_the_gitlab_code_quality_report_puts_each_unpassed_check_on_its_line(
    cli, tmp_path, cancer_splits, good_classifier, monkeypatch
):
    monkeypatch.setenv("CI_PROJECT_DIR", str(tmp_path))
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text("seed: 0\nchecks:\n  baseline:\n    naive: {min_margin: 0.9}\n")
    quality = tmp_path / "gl-code-quality.json"
    args = ("--checklist", str(checklist), "--gitlab", str(quality))
    result = cli.audit(good_classifier, cancer_splits, *args)
    issues = json.loads(quality.read_text())
    statuses = {c["id"]: c["status"] for c in result.json["checks"]}
    not_passed = {i for i, s in statuses.items() if s not in ("pass", "skip")}
    assert {issue["check_name"].removeprefix("mlready.") for issue in issues} == not_passed
    for issue in issues:  # the fields GitLab requires, with its severities
        assert issue["description"] and issue["fingerprint"]
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"] and issue["location"]["lines"]["begin"] >= 1
    baseline = next(i for i in issues if i["check_name"] == "mlready.baseline")
    assert baseline["severity"] == "major"
    assert baseline["location"] == {"path": "checklist.yaml", "lines": {"begin": 3}}
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    again = cli.audit(good_classifier, cancer_splits, *args)
    assert again.exit_code == result.exit_code
    assert [i["fingerprint"] for i in json.loads(quality.read_text())] == [
        i["fingerprint"] for i in issues
    ]  # the same finding keeps its fingerprint, so GitLab does not call it new
