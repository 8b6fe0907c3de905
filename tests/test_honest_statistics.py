"""Honest statistics, checked by simulation with fixed seeds: intervals cover the truth at
about their nominal rate, drift verdicts on data without drift are wrong at most as often
as alpha allows, and a model no better than a baseline is never passed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats
from sklearn.dummy import DummyClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlready.stats.bootstrap import bootstrap_metrics, percentile_interval
from mlready.stats.drift import DriftSettings, Reference, compare
from mlready.stats.metrics import METRICS, Prediction
from tests.conftest import check_of, save_pickle

SIMULATIONS = 200


def _coverage(draw, metric: str, truth: float, rows: int) -> float:
    """Share of simulated samples whose 95% bootstrap interval holds ``truth``."""
    rng = np.random.default_rng(11)
    covered = 0
    for i in range(SIMULATIONS):
        y, prediction = draw(rng, rows)
        samples = bootstrap_metrics(
            [METRICS[metric]], y, prediction, 400, np.random.default_rng(i)
        )[metric]
        low, high = percentile_interval(samples, 0.95)
        covered += low <= truth <= high
    return covered / SIMULATIONS


def test_bootstrap_intervals_of_accuracy_cover_the_true_value_at_the_nominal_rate() -> None:
    # A classifier right with probability 0.8 on every row: true accuracy 0.8.
    def draw(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, Prediction]:
        y = rng.integers(0, 2, rows)
        right = rng.random(rows) < 0.8
        return y, Prediction(label=np.where(right, y, 1 - y))

    assert 0.90 <= _coverage(draw, "accuracy", 0.8, 300) <= 0.99


def test_bootstrap_intervals_of_roc_auc_cover_the_true_value_at_the_nominal_rate() -> None:
    # Binormal scores: negatives N(0, 1), positives N(1, 1); true AUC = Phi(1 / sqrt 2).
    truth = float(stats.norm.cdf(1 / np.sqrt(2)))

    def draw(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, Prediction]:
        y = rng.integers(0, 2, rows)
        score = rng.normal(y.astype(float), 1.0)
        return y, Prediction(label=(score > 0.5).astype(np.int64), score=score)

    assert 0.89 <= _coverage(draw, "roc_auc", truth, 400) <= 0.99


def test_without_drift_the_drift_verdict_is_wrong_at_most_alpha_of_the_time() -> None:
    """The test part of the verdict alone (effect thresholds near zero): across 150 datasets
    of 20 columns with no drift, Benjamini-Hochberg keeps the chance of flagging any column
    at or below alpha (under no drift at all the false discovery rate is that chance)."""
    rng = np.random.default_rng(5)
    columns = [f"x{i}" for i in range(15)] + [f"c{i}" for i in range(5)]
    settings = DriftSettings(alpha=0.05, numeric_threshold=1e-12, categorical_threshold=1e-12)

    def frame(rows: int) -> pd.DataFrame:
        data = {f"x{i}": rng.normal(size=rows) for i in range(15)}
        data |= {f"c{i}": rng.choice(list("abcd"), rows, p=[0.4, 0.3, 0.2, 0.1]) for i in range(5)}
        return pd.DataFrame(data)

    any_flagged = 0
    for _ in range(150):
        reference = Reference.of(frame(300), columns, [c for c in columns if c[0] == "c"])
        any_flagged += any(r.drifted for r in compare(reference, frame(300), settings))
    assert any_flagged / 150 <= 0.05 + 0.03  # alpha plus Monte Carlo slack (2 SE)


def _baseline_only(tmp_path: Path) -> Path:
    checks = {
        c: {"enabled": False}
        for c in (
            "metric_parity",
            "benchmark",
            "latency",
            "split_distribution",
            "data_quality",
            "drift",
            "performance_monitoring",
            "ground_truth",
            "fairness",
            "no_regression",
        )
    }
    path = tmp_path / "checklist.yaml"
    path.write_text(yaml.safe_dump({"checks": checks}))
    return path


@pytest.mark.parametrize("tier", ["naive", "simple"])
def test_a_model_that_equals_a_baseline_is_not_passed(cli, tmp_path, cancer, cancer_splits, tier):
    train, _ = cancer
    X, y = train.drop(columns="target"), train["target"]
    if tier == "naive":  # the majority-class baseline itself
        model = DummyClassifier(strategy="most_frequent").fit(X, y)
    else:  # the logistic regression baseline: same imputation, scaling and solver
        model = make_pipeline(
            SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=1000)
        ).fit(X, y)
    result = cli.audit(
        save_pickle(model, tmp_path / "model.pkl"),
        cancer_splits,
        "--checklist",
        str(_baseline_only(tmp_path)),
    )
    baseline = check_of(result, "baseline")
    margin = next(e for e in baseline["evidence"] if e["name"] == f"margin_{tier}")
    # Equal to one baseline, so no better than the tier's strongest (0 or below).
    assert margin["value"] <= 1e-9 and margin["ci_low"] <= 0
    assert baseline["status"] == ("fail" if tier == "naive" else "warn")
    assert result.exit_code == (1 if tier == "naive" else 0)
