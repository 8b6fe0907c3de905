"""A report people want to look at: the plots a reviewer expects, drawn from the checks'
numbers; short by default; bounded in size whatever the data; numbers formatted by
meaning; markdown that fits a pull-request comment."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import precision_recall_curve as sk_precision_recall
from sklearn.metrics import roc_curve as sk_roc

from mlready.numbers import estimate, fmt, p_value, with_unit
from mlready.report.describe import describe
from mlready.report.html import render_html
from mlready.report.markdown import MAX_CHARACTERS, render_markdown
from mlready.results import AuditReport, CheckResult, Evidence, Plot, Series, Status, Table
from mlready.stats.curves import precision_recall_curve, roc_curve
from tests.test_reports import example  # noqa: F401  (the bundled example, audited once)


def _loaded(path: Path) -> AuditReport:
    """A JSON report as the model it was written from (computed fields left out)."""
    data = json.loads(path.read_text())
    for check in data["checks"]:
        check.pop("metrics")
        for evidence in check["evidence"]:
            evidence.pop("delta")
    return AuditReport.model_validate(data)


def _plots(report: dict, check_id: str) -> list[dict]:
    return next(c for c in report["checks"] if c["id"] == check_id)["plots"]


def test_roc_and_precision_recall_points_are_scikit_learns_and_thinned_on_big_data() -> None:
    rng = np.random.default_rng(0)
    positive = rng.random(5000) < 0.3
    score = np.round(rng.random(5000) + 0.5 * positive, 2)  # ties, as real scores have
    fpr, tpr = roc_curve(positive, score, max_points=10**9)
    expected_fpr, expected_tpr, _ = sk_roc(positive, score, drop_intermediate=False)
    assert np.allclose(fpr, expected_fpr) and np.allclose(tpr, expected_tpr)
    recall, precision = precision_recall_curve(positive, score, max_points=10**9)
    sk_precision, sk_recall, _ = sk_precision_recall(positive, score)
    assert np.allclose(recall[1:], sk_recall[::-1][1:])
    assert np.allclose(precision[1:], sk_precision[::-1][1:])
    big = rng.random(200_000)
    fpr, tpr = roc_curve(big < 0.5, big)
    assert len(fpr) <= 200 and (fpr[0], tpr[0]) == (0.0, 0.0) and (fpr[-1], tpr[-1]) == (1, 1)
    assert roc_curve(np.ones(10, bool), big[:10]) == ([], [])  # one class: no curve


def test_the_classifier_report_has_the_plots_a_reviewer_looks_for(example) -> None:  # noqa: F811
    report = json.loads(example["report.json"].read_text())
    baseline = {p["title"] for p in _plots(report, "baseline")}
    assert "ROC curve on test, model and baselines" in baseline
    assert any(t.startswith("Precision-recall curve on test") for t in baseline)
    roc = next(p for p in _plots(report, "baseline") if p["title"].startswith("ROC"))
    names = {s["name"] for s in roc["series"]}
    assert {"model", "logistic_regression", "stump"} <= names and roc["diagonal"]
    model_curve = next(s for s in roc["series"] if s["name"] == "model")
    assert model_curve["x"][0] == 0 and model_curve["x"][-1] == 1  # the whole curve

    parity = _plots(report, "metric_parity")
    matrix = next(p for p in parity if p["kind"] == "matrix")
    counts = sum(v for s in matrix["series"] for v in s["y"])
    test_rows = next(s["rows"] for s in report["splits"] if s["name"] == "test")
    assert counts == test_rows and len(matrix["series"]) == 2 == len(matrix["series"][0]["x"])
    reliability = next(p for p in parity if p["title"].startswith("Reliability"))
    assert "expected calibration error" in reliability["title"] and reliability["diagonal"]
    assert all(0 <= v <= 1 for s in reliability["series"] for v in s["x"] + s["y"])


def test_every_drifted_feature_gets_its_distribution_and_windows_their_benchmark(
    example,  # noqa: F811
) -> None:
    report = json.loads(example["report.json"].read_text())
    drift = next(c for c in report["checks"] if c["id"] == "drift")
    features = next(t for t in drift["tables"] if t["title"].startswith("Features"))
    drifted = [row[0] for row in features["rows"] if "drifted" in str(row[-1])]
    assert drifted, "the example's production has a drifted feature"
    overlays = {p["x_label"] for p in drift["plots"] if p["kind"] == "distribution"}
    assert set(drifted) <= overlays
    windows = next(p for p in _plots(report, "performance_monitoring") if p["kind"] == "lines")
    test_value = next(
        e
        for e in next(c for c in report["checks"] if c["id"] == "performance_monitoring")[
            "evidence"
        ]
        if e["name"] == "test_roc_auc"
    )["value"]
    assert windows["reference"] == pytest.approx(test_value)
    assert windows["reference_low"] is not None and windows["reference_high"] is not None


def test_a_regression_gets_predicted_against_actual_and_its_residuals(
    cli, diabetes_case, tmp_path
) -> None:
    model, splits = diabetes_case
    page = tmp_path / "report.html"
    result = cli.audit(model, splits, "--html", str(page))
    parity = _plots(result.json, "metric_parity")
    residuals = next(p for p in parity if p["title"].startswith("Residuals on test"))
    assert residuals["kind"] == "points" and residuals["reference"] == 0.0
    predicted = next(p for p in parity if p["title"].startswith("Predicted against actual"))
    assert predicted["diagonal"] and len(predicted["series"][0]["x"]) == 133  # every test row
    html = page.read_text()
    assert 'aria-label="Residuals on test: 133 points of residual' in html
    assert not any(p["kind"] == "matrix" for p in parity)  # no confusion matrix for regression


def test_the_html_report_is_short_by_default_and_every_plot_says_what_it_shows(
    example,  # noqa: F811
) -> None:
    html = example["report.html"].read_text()
    report = json.loads(example["report.json"].read_text())
    for check in report["checks"]:
        opening = re.search(rf'<details class="check" id="check-{check["id"]}"( open)?>', html)
        assert opening, check["id"]
        needs_attention = check["status"] in ("fail", "warn", "error", "waived")
        assert bool(opening.group(1)) == needs_attention, check["id"]
    svgs = re.findall(r"<svg [^>]*>", html)
    assert svgs and all('role="img" aria-label="' in s for s in svgs)
    labels = re.findall(r'aria-label="([^"]*)"', html)
    assert any("model 1.0" in label and "majority 0.5" in label for label in labels)
    assert "<title>" in html  # values on hover
    assert len(html.encode()) < 1_000_000
    assert "ML Test Score: 1.5<" in html and "1.5000" not in html


def _wide_report(example_json: Path, columns: int) -> AuditReport:
    """The example's report as if its data had ``columns`` features: a table row, a
    number and a distribution plot per column in every check."""
    base = _loaded(example_json)
    plot = Plot(
        kind="distribution",
        title="x",
        x_label="x",
        series=[Series(name="train", x=[0.0, 0.5, 1.0, 1.5], y=[0.2, 0.5, 0.3])],
    )
    wide = CheckResult(
        id="drift",
        title="wide",
        question=9,
        status=Status.WARN,
        severity="fail",
        message="many columns drifted",
        evidence=[Evidence(name=f"c{i}", value=float(i)) for i in range(columns)],
        tables=[
            Table(title="Features", columns=["column"], rows=[[f"c{i}"] for i in range(columns)])
        ],
        plots=[plot] * columns,
    )
    return base.model_copy(update={"checks": [wide]})


def test_wide_data_cannot_make_a_huge_report(example) -> None:  # noqa: F811
    report = _wide_report(example["report.json"], 10_000)
    html = render_html(report)
    assert len(html.encode()) < 3_000_000  # 10,000 columns, not a 100 MB page
    assert html.count("<svg") == 30
    assert "… 9800 more rows (every row is in the JSON report)." in html
    assert "… 9800 more numbers (every number is in the JSON report)." in html
    markdown = render_markdown(report)
    assert len(markdown) <= MAX_CHARACTERS
    assert "… 9975 more rows (every row is in the JSON report)." in markdown


def test_markdown_puts_what_needs_attention_first_and_fits_a_pull_request(example) -> None:  # noqa: F811
    markdown = example["report.md"].read_text()
    attention = markdown.index("## Needs attention")
    others = markdown.index("## Other checks")
    assert attention < markdown.index("### ⚠️ `baseline`") < others
    assert "<details><summary>✅ <code>metric_parity</code>" in markdown[others:]
    assert len(markdown) <= MAX_CHARACTERS and "Shortened" not in markdown
    report = _loaded(example["report.json"])
    whole = render_markdown(report)
    for limit, said in [
        (len(whole) - 1, "passing checks shown as one line each"),
        (8_000, "the raw numbers left out"),
    ]:
        shorter = render_markdown(report, limit=limit)
        assert len(shorter) <= limit and said in shorter, limit
    tiny = render_markdown(report, limit=3_000)
    assert len(tiny) <= 3_000 and tiny.endswith("(see the JSON or HTML report).\n")


def test_numbers_are_formatted_by_what_they_mean() -> None:
    assert [fmt(1.5), fmt(28.0), fmt(0.99935), fmt(1234.5), fmt(7)] == [
        "1.5",
        "28.0",
        "0.9993",
        "1,234",
        "7",
    ]
    assert [p_value(8.674e-19), p_value(0.0321), p_value(0.96)] == ["p<1e-16", "p=0.032", "p=0.96"]
    assert [with_unit(28.0, "days"), with_unit(0.25, "days"), with_unit(3, "rows")] == [
        "28 days",
        "6 hours",
        "3 rows",
    ]
    assert estimate(0.99281, 0.977, 1.0) == "0.993 (0.977 to 1.000)"
    assert estimate(0.5, 0.2, 0.8) == "0.50 (0.20 to 0.80)"
    assert estimate(0.5, None, None) == "0.5"


def test_a_plot_is_described_in_words_from_its_numbers() -> None:
    bars = Plot(
        kind="bars",
        title="AUC by split",
        y_label="roc_auc",
        series=[
            Series(
                name="roc_auc",
                x=["train", "test"],
                y=[0.99, 0.91],
                low=[0.98, 0.88],
                high=[1.0, 0.94],
            )
        ],
        reference=0.9,
        reference_label="bar",
    )
    assert describe(bars) == (
        "AUC by split: roc_auc per category: train 0.99 (0.98 to 1.0), test 0.91 (0.88 to "
        "0.94); reference line bar at 0.9"
    )
    matrix = Plot(
        kind="matrix",
        title="Confusion",
        x_label="predicted",
        y_label="actual",
        series=[
            Series(name="a", x=["a", "b"], y=[50, 3]),
            Series(name="b", x=["a", "b"], y=[7, 40]),
        ],
    )
    assert describe(matrix).endswith(
        "90 of 100 rows on the diagonal; largest other cell: actual b, predicted a, 7 rows"
    )


_QUIET_BROWSER = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
]


def _page_requests(net_log: Path) -> list[str]:
    """URLs the page asked for, from Chromium's network log (the browser's own background
    requests carry no file:// isolation key and are left out)."""
    events = json.loads(net_log.read_text())["events"]
    return sorted(
        {
            e["params"]["url"]
            for e in events
            if "url" in e.get("params", {})
            and "file://" in e["params"].get("network_isolation_key", "")
        }
    )


def _open(browser: str, page: Path, tmp_path: Path) -> tuple[str, list[str]]:
    """The DOM after the page's script ran, and the page's network requests."""
    import subprocess

    net_log = tmp_path / f"{page.stem}-net.json"
    done = subprocess.run(
        [browser, *_QUIET_BROWSER, f"--log-net-log={net_log}", "--dump-dom", page.as_uri()],
        check=True,
        timeout=180,
        capture_output=True,
        text=True,
    )
    return done.stdout, _page_requests(net_log)


@pytest.mark.heavy  # a real browser
def test_in_a_browser_the_report_requests_nothing_sorts_and_shows_the_plots(
    example,  # noqa: F811
    tmp_path,
) -> None:
    from tests.test_reports import _browser

    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium here and it could not be installed from Debian's packages")
    html = example["report.html"].read_text()
    dom, requests = _open(browser, example["report.html"], tmp_path)
    assert requests == []
    labels = re.findall(r'<svg [^>]*aria-label="([^"]*)"', dom)
    for title in ("ROC curve on test", "Precision-recall curve", "Reliability on test"):
        assert any(label.startswith(title) for label in labels), title
    assert any(label.startswith("Confusion matrix on test") for label in labels)
    statuses = [c["status"] for c in json.loads(example["report.json"].read_text())["checks"]]
    attention = sum(s in ("fail", "warn", "error", "waived") for s in statuses)
    assert len(re.findall(r'<details class="check" id="[^"]*" open="">', dom)) == attention
    assert len(re.findall(r'<details class="check" id="[^"]*">', dom)) == len(statuses) - attention

    # Live: the same file with an image from elsewhere is seen asking for it, and a click
    # on a column header sorts the table by that column's numbers.
    probe = tmp_path / "probe.html"
    click = (
        '<img src="http://127.0.0.1:9/probe.png"><script>'
        "var t = document.querySelector('#check-baseline table.sortable');"
        "t.querySelectorAll('th')[2].click();"
        "document.body.dataset.order = Array.from(t.tBodies[0].rows)"
        ".map(function (r) { return r.cells[0].textContent; }).join(',');</script></body>"
    )
    probe.write_text(html.replace("</body>", click))
    dom, requests = _open(browser, probe, tmp_path)
    assert requests == ["http://127.0.0.1:9/probe.png"]
    order = re.search(r'data-order="([^"]*)"', dom)
    assert order and order.group(1).split(",")[0] == "stratified", order  # lowest roc_auc
