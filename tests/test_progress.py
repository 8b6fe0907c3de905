"""Progress as an audit runs, and the closing line after it: one plain line per check in
a CI log, a live ``[n/N] check`` line on a terminal, and pytest's counts at the end."""

from __future__ import annotations

import os
import re
import sys
from collections import Counter

from mlready.report.progress import closing_line
from mlready.results import Status
from tests.terminal import on_a_terminal

CLOSING = re.compile(r"^(\d+ (failed|errors?|warned|waived|passed|skipped)(, )?)+ in \d+\.\ds$")


def test_closing_line_counts_each_status_in_pytests_words() -> None:
    statuses = [Status.FAIL, Status.WARN, Status.WARN, Status.PASS, Status.SKIP]
    assert closing_line(statuses, 42.13) == "1 failed, 2 warned, 1 passed, 1 skipped in 42.1s"
    errors = [Status.ERROR, Status.ERROR, Status.WAIVED]
    assert closing_line(errors, 0.04) == "2 errors, 1 waived in 0.0s"
    assert closing_line([Status.ERROR], 1) == "1 error in 1.0s"
    assert closing_line([], 3) == "no checks in 3.0s"


def test_a_log_shows_a_line_per_check_as_it_ends_and_the_closing_line(
    cli, good_classifier, cancer_splits
) -> None:
    result = cli.audit(good_classifier, cancer_splits)
    assert result.exit_code in (0, 1), result.output
    checks = {c["id"]: c for c in result.json["checks"]}
    lines = result.stderr.splitlines()
    assert len(lines) == len(checks)
    for line in lines:
        check_id, status, seconds = line.split()[:3]
        assert status == checks[check_id]["status"], line
        assert re.fullmatch(r"\d+\.\ds", seconds), line
    assert {line.split()[0] for line in lines} == set(checks)
    last = result.stdout.strip().splitlines()[-1]
    assert CLOSING.fullmatch(last), last
    counts = Counter(c["status"] for c in checks.values())
    words = {"fail": "failed", "warn": "warned", "pass": "passed", "skip": "skipped"}
    for status, count in counts.items():
        assert f"{count} {words[status]}" in last, (status, last)


def test_quiet_prints_neither_progress_nor_the_closing_line(
    cli, good_classifier, cancer_splits
) -> None:
    result = cli.audit(good_classifier, cancer_splits, "--quiet")
    assert result.stderr == ""
    assert result.stdout.strip().splitlines() == [result.stdout.strip()]
    assert result.stdout.startswith("Verdict: ")


def _through_a_terminal(args: list[str], cwd) -> str:
    """Everything the command writes to a pseudo-terminal, as a user would see it."""
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "160", "MLREADY_ISOLATE": "off"}
    raw = on_a_terminal([sys.executable, "-m", "mlready.cli", *args], env, cwd)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw)
    return text.replace("\r\n", "\n").replace("\r", "\n")  # a redrawn line is a line here


def test_a_terminal_shows_which_check_of_how_many_is_running(
    good_classifier, cancer_splits, tmp_path
) -> None:
    shown = _through_a_terminal(
        ["audit", str(good_classifier), "--data", str(cancer_splits), "--quick"], tmp_path
    )
    assert "[1/11] baseline" in shown
    assert "[11/11] " in shown
    # the live line is redrawn when a check ends: it shows the step the check was at
    assert re.search(r"\[\d+/11\] split_distribution: adversarial validation, fold \d of \d", shown)
    assert re.search(r"^baseline\s+(pass|warn|fail)\s+\d+\.\ds", shown, re.MULTILINE), shown
    assert CLOSING.fullmatch(shown.strip().splitlines()[-1]), shown[-500:]


def test_verbose_puts_each_checks_numbers_under_its_line(
    cli, good_classifier, cancer_splits
) -> None:
    result = cli.audit(good_classifier, cancer_splits, "-v")
    lines = result.stderr.splitlines()
    benchmark = next(c for c in result.json["checks"] if c["id"] == "benchmark")
    at = next(i for i, line in enumerate(lines) if line.startswith("benchmark "))
    detail = []
    for line in lines[at + 1 :]:
        if not line.startswith("    "):
            break
        detail.append(line.strip())
    assert [line.split(":")[0] for line in detail if not line.startswith("note:")] == [
        e["name"] for e in benchmark["evidence"]
    ]
    score = next(e for e in benchmark["evidence"] if e["name"] == "test_roc_auc")
    assert f"test_roc_auc: {score['value']:.4f}" in detail
    plain = cli.audit(good_classifier, cancer_splits)
    assert not any(line.startswith("    ") for line in plain.stderr.splitlines())


def test_a_step_outside_a_run_is_heard_by_no_one_and_inside_by_its_listener() -> None:
    from mlready.steps import step, steps_heard_by

    step("nobody listens")  # does nothing, raises nothing
    heard: list[str] = []
    with steps_heard_by(heard.append):
        step("fold 1 of 3")
    step("after the block")
    assert heard == ["fold 1 of 3"]


def test_a_long_bootstrap_reports_each_tenth_of_its_resamples_and_a_short_one_nothing() -> None:
    import numpy as np

    from mlready.stats.bootstrap import bootstrap_metrics
    from mlready.stats.metrics import METRICS, Prediction
    from mlready.steps import steps_heard_by

    rng = np.random.default_rng(0)
    y = rng.normal(size=200_000)  # regression: 20 resamples per chunk of draws
    prediction = Prediction(label=y + rng.normal(size=y.size))
    heard: list[str] = []
    with steps_heard_by(heard.append):
        samples = bootstrap_metrics([METRICS["rmse"]], y, prediction, 100, rng)
    assert samples["rmse"].shape == (100,)
    assert heard == [f"bootstrap, {n} of 100 resamples" for n in (20, 40, 60, 80, 100)]
    heard.clear()
    with steps_heard_by(heard.append):
        bootstrap_metrics([METRICS["rmse"]], y[:1000], Prediction(label=y[:1000]), 100, rng)
    assert heard == []  # one chunk: quick, and silent


def test_long_checks_report_their_steps_in_the_log_with_verbose(
    cli, good_classifier, cancer_splits
) -> None:
    lines = cli.audit(good_classifier, cancer_splits, "-v").stderr.splitlines()
    folds = [line for line in lines if line.startswith("  split_distribution: adversarial")]
    assert folds and folds[-1].endswith(f"fold {len(folds)} of {len(folds)}")
    ended = next(i for i, line in enumerate(lines) if line.startswith("split_distribution "))
    assert lines.index(folds[-1]) < ended  # the steps come before the check's own line
    quiet_log = cli.audit(good_classifier, cancer_splits).stderr
    assert "adversarial validation, fold" not in quiet_log
