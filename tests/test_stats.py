"""The vectorised metrics and bootstrap agree with scikit-learn and are seeded."""

import numpy as np
import pytest
from sklearn import metrics as skm

from mlready.stats.bootstrap import paired_bootstrap, percentile_interval, resample_weights
from mlready.stats.metrics import METRICS, Prediction, point_estimate


@pytest.fixture
def binary():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    score = np.clip(y * 0.3 + rng.normal(0.35, 0.25, 300), 0, 1).round(2)  # ties on purpose
    return y, Prediction(label=(score > 0.5).astype(np.int64), score=score)


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("accuracy", lambda y, p: skm.accuracy_score(y, p.label)),
        ("balanced_accuracy", lambda y, p: skm.balanced_accuracy_score(y, p.label)),
        ("precision", lambda y, p: skm.precision_score(y, p.label)),
        ("recall", lambda y, p: skm.recall_score(y, p.label)),
        ("f1", lambda y, p: skm.f1_score(y, p.label)),
        ("f1_macro", lambda y, p: skm.f1_score(y, p.label, average="macro")),
        ("roc_auc", lambda y, p: skm.roc_auc_score(y, p.score)),
        ("log_loss", lambda y, p: skm.log_loss(y, p.score)),
    ],
)
def test_binary_metrics_match_scikit_learn(binary, name, reference):
    y, prediction = binary
    assert point_estimate(METRICS[name], y, prediction) == pytest.approx(reference(y, prediction))


def test_multiclass_metrics_match_scikit_learn():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 200)
    proba = rng.dirichlet([1, 1, 1], 200)
    proba[np.arange(200), y] += 0.5
    proba /= proba.sum(axis=1, keepdims=True)
    p = Prediction(label=proba.argmax(axis=1), score=proba)
    assert point_estimate(METRICS["f1_macro"], y, p) == pytest.approx(
        skm.f1_score(y, p.label, average="macro")
    )
    assert point_estimate(METRICS["roc_auc_ovr"], y, p) == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr")
    )
    assert point_estimate(METRICS["log_loss"], y, p) == pytest.approx(skm.log_loss(y, proba))


def test_regression_metrics_match_scikit_learn():
    rng = np.random.default_rng(3)
    y = rng.normal(size=100)
    p = Prediction(label=y + rng.normal(scale=0.5, size=100))
    assert point_estimate(METRICS["rmse"], y, p) == pytest.approx(
        skm.root_mean_squared_error(y, p.label)
    )
    assert point_estimate(METRICS["mae"], y, p) == pytest.approx(
        skm.mean_absolute_error(y, p.label)
    )
    assert point_estimate(METRICS["r2"], y, p) == pytest.approx(skm.r2_score(y, p.label))


def test_weighted_metric_equals_metric_on_the_resampled_rows(binary):
    y, prediction = binary
    w = next(resample_weights(y.size, 3, np.random.default_rng(0)))
    rows = np.repeat(np.arange(y.size), w[0].astype(int))
    resampled = Prediction(label=prediction.label[rows], score=prediction.score[rows])
    for name in ("accuracy", "f1_macro", "roc_auc"):
        metric = METRICS[name]
        assert metric.compute(y, prediction, w)[0] == pytest.approx(
            point_estimate(metric, y[rows], resampled)
        )


def test_resample_weights_count_every_draw_and_are_seeded():
    chunks = list(resample_weights(1000, 2500, np.random.default_rng(7)))
    w = np.vstack(chunks)
    assert w.shape == (2500, 1000)
    assert np.all(w.sum(axis=1) == 1000)
    again = np.vstack(list(resample_weights(1000, 2500, np.random.default_rng(7))))
    assert np.array_equal(w, again)


def test_bootstrap_interval_covers_the_true_accuracy_at_about_its_nominal_rate():
    # 200 simulated test sets from a classifier whose true accuracy is 0.8.
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(200):
        y = np.zeros(200, dtype=np.int64)
        pred = (rng.random(200) > 0.8).astype(np.int64)
        boot = paired_bootstrap(METRICS["accuracy"], y, [Prediction(label=pred)], 400, rng)
        low, high = percentile_interval(boot.samples[:, 0], 0.95)
        covered += low <= 0.8 <= high
    assert 0.90 <= covered / 200 <= 0.99


@pytest.mark.parametrize("n", [40_000, 150_000])
def test_large_samples_are_bootstrapped_as_cells_with_the_same_intervals(monkeypatch, n):
    """Above COLLAPSE_ABOVE rows, resampling (target, label, score bin) cells with Poisson
    counts gives intervals centred on the exact estimate and as wide as the row bootstrap."""
    from mlready.stats import bootstrap as boot
    from mlready.stats.metrics import METRICS, Prediction

    rng = np.random.default_rng(0)
    score = rng.random(n)
    y = (rng.random(n) < score).astype(np.int64)
    prediction = Prediction(label=(score > 0.5).astype(np.int64), score=score)
    metrics = [METRICS[m] for m in ("roc_auc", "accuracy", "f1", "log_loss")]
    assert boot.cells_of(y, prediction) is not None
    by_cells = boot.bootstrap_metrics(metrics, y, prediction, 300, np.random.default_rng(1))
    monkeypatch.setattr(boot, "COLLAPSE_ABOVE", 10**9)
    by_rows = boot.bootstrap_metrics(metrics, y, prediction, 300, np.random.default_rng(1))
    for metric in metrics:
        exact = metric.compute(y, prediction, np.ones((1, n)))[0]
        cells, rows = by_cells[metric.name], by_rows[metric.name]
        assert np.median(cells) == pytest.approx(exact, abs=cells.std())
        assert cells.std() == pytest.approx(rows.std(), rel=0.2), metric.name


@pytest.mark.parametrize("n", [10_000, 150_000])
def test_large_paired_bootstraps_bin_scores_but_keep_the_pairing(monkeypatch, n):
    """Above BIN_PAIRED_ABOVE rows the paired bootstrap ranks score bins: the same exact
    estimates, differences as spread as with every distinct score, and still paired (the
    difference of two close models is far narrower than either metric)."""
    from mlready.stats import bootstrap as boot
    from mlready.stats.metrics import METRICS, Prediction

    rng = np.random.default_rng(0)
    truth = rng.random(n)
    y = (rng.random(n) < truth).astype(np.int64)
    noisy = np.clip(truth + rng.normal(0, 0.05, n), 0, 1)
    models = [Prediction(label=(s > 0.5).astype(np.int64), score=s) for s in (truth, noisy)]
    auc = METRICS["roc_auc"]
    binned = boot.paired_bootstrap(auc, y, models, 300, np.random.default_rng(1))
    monkeypatch.setattr(boot, "BIN_PAIRED_ABOVE", 10**9)
    exact = boot.paired_bootstrap(auc, y, models, 300, np.random.default_rng(1))
    assert np.array_equal(binned.point, exact.point)
    gap_binned = binned.samples[:, 0] - binned.samples[:, 1]
    gap_exact = exact.samples[:, 0] - exact.samples[:, 1]
    assert gap_binned.mean() == pytest.approx(gap_exact.mean(), abs=gap_exact.std() / 3)
    assert gap_binned.std() == pytest.approx(gap_exact.std(), rel=0.2)
    assert gap_binned.std() < binned.samples[:, 0].std() / 2  # paired
