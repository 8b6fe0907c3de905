"""``benchmark``: the model's metrics on every labelled split, and what makes them lie:
held-out rows that copy train rows, share a ``data.id`` with train or predate it
(``data.time``), single features that give the target away, feature types that differ from
train, predictions that change when repeated, and non-numeric features fed to a bare model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, mean_squared_error, r2_score, roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from mlready.checks.benchmark import BenchmarkCheck
from mlready.numbers import fmt
from mlready.results import Status
from mlready.testing import make_context, run_check
from tests.checks.common import evidence

CANCER = ["mean radius", "mean texture", "mean perimeter", "mean area"]
TEST_ROWS = 100  # one copied row is exactly 1% of test


def scaled_logistic() -> object:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def fitted(model, train: pd.DataFrame, features: list[str]):
    return model.fit(train[features], train["y"])


def benchmark(splits: dict, model, options=None, checklist=None, **run):
    context = make_context(splits, model=model, target="y", checklist=checklist)
    return run_check(BenchmarkCheck, context, options, **run)


def labelled(cancer, **columns) -> dict:
    """The cancer train and test splits, with ``columns`` (as ``DataFrame.assign`` takes
    them) added to both."""
    train, test, _ = cancer
    return {"train": train.assign(**columns), "test": test.assign(**columns)}


def with_copies(test: pd.DataFrame, train: pd.DataFrame, copies: int) -> pd.DataFrame:
    """``test`` with its last ``copies`` rows replaced by train rows: the same row count."""
    return pd.concat([test.iloc[: len(test) - copies], train.iloc[:copies]], ignore_index=True)


def separable(rows: int, seed: int, strength: float) -> pd.DataFrame:
    """A binary target and a feature x that separates its classes by ``strength`` standard
    deviations, plus pure noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, rows)
    x = strength * y + rng.normal(size=rows)
    return pd.DataFrame({"x": x, "noise": rng.normal(size=rows), "y": y})


class Jittery(ClassifierMixin, BaseEstimator):
    """A logistic regression whose scores move towards 1/2 a little more at every call: the
    same row never scores the same twice (its labels stay the same)."""

    def fit(self, X, y):
        self.inner_ = LogisticRegression().fit(X, y)
        self.classes_ = self.inner_.classes_
        self.calls_ = 0
        return self

    def predict_proba(self, X):
        self.calls_ += 1
        proba = self.inner_.predict_proba(X)
        return proba + 1e-3 * self.calls_ * (0.5 - proba)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


@pytest.fixture(scope="module")
def cancer():
    """Four breast cancer features: 400 train rows, 100 test rows, 69 validation rows."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    frame = X[CANCER].assign(y=y)
    return frame.iloc[:400], frame.iloc[400:500], frame.iloc[500:]


@pytest.fixture(scope="module")
def model(cancer):
    return fitted(scaled_logistic(), cancer[0], CANCER)


@pytest.fixture(scope="module")
def run(cancer, model):
    """The check on the cancer splits (``test`` and others replaced as given)."""
    train, test, _ = cancer

    def go(options=None, checklist=None, model=model, **splits):
        return benchmark({"train": train, "test": test, **splits}, model, options, checklist)

    return go


@pytest.fixture(scope="module")
def clean(run):
    return run()


# --- metrics and the clean case ------------------------------------------------------------


def test_a_clean_iid_split_passes_with_the_test_metric_in_the_message(clean, cancer, model):
    _, test, _ = cancer
    assert clean.status == Status.PASS, clean.message
    expected = roc_auc_score(test.y, model.predict_proba(test[CANCER])[:, 1])
    assert clean.message.startswith(f"roc_auc {fmt(expected)} on test; no leakage between splits")
    assert "from single features, and training and serving read the data alike" in clean.message
    for name in ("duplicate_rows_test", "dtype_mismatches", "nondeterministic_rows"):
        assert clean.metrics[name] == 0
        assert evidence(clean, name).threshold in (None, 0)


def test_the_primary_metric_is_recorded_on_every_labelled_split(run, cancer, model):
    train, _, validation = cancer
    result = run(validation=validation)
    for name, split in (("train", train), ("validation", validation), ("test", cancer[1])):
        expected = roc_auc_score(split.y, model.predict_proba(split[CANCER])[:, 1])
        assert result.metrics[f"{name}_roc_auc"] == pytest.approx(expected)


def test_extra_metrics_are_recorded_too(run, cancer, model):
    _, test, _ = cancer
    result = run(checklist={"metrics": {"extra": ["accuracy"]}})
    expected = accuracy_score(test.y, model.predict(test[CANCER]))
    assert result.metrics["test_accuracy"] == pytest.approx(expected)
    assert "train_accuracy" in result.metrics


def test_a_test_split_of_one_class_fails_as_it_has_no_benchmark(run, cancer):
    _, test, _ = cancer
    result = run(test=test[test.y == 1])
    assert result.status == Status.FAIL
    assert "roc_auc cannot be computed on test" in result.message
    assert "every labelled test row has class 1; put rows of every class in test" in result.message
    assert math.isnan(result.metrics["test_roc_auc"])
    assert "max_single_feature_score" not in result.metrics
    assert any("target leakage not checked" in note for note in result.notes)


def test_a_validation_split_of_one_class_only_warns(run, cancer):
    _, _, validation = cancer
    result = run(validation=validation[validation.y == 0])
    assert result.status == Status.WARN
    assert "roc_auc cannot be computed on validation" in result.message
    assert not math.isnan(result.metrics["test_roc_auc"])


def test_the_one_class_message_names_the_class_label(cancer):
    splits = labelled(cancer, y=lambda f: np.where(f.y == 1, "benign", "malignant"))
    splits["test"] = splits["test"][splits["test"].y == "malignant"]
    result = benchmark(splits, fitted(scaled_logistic(), splits["train"], CANCER))
    assert "every labelled test row has class malignant" in result.message


def test_a_disabled_check_is_skipped(cancer, model):
    result = benchmark({"train": cancer[0], "test": cancer[1]}, model, enabled=False)
    assert result.status == Status.SKIP
    assert "disabled" in result.message


def diabetes(**columns) -> tuple[dict, Ridge]:
    """Diabetes (300 train rows, 142 test rows), ``columns`` added, and a ridge on it all."""
    frame = load_diabetes(as_frame=True).frame.rename(columns={"target": "y"}).assign(**columns)
    train, test = frame.iloc[:300], frame.iloc[300:]
    return {"train": train, "test": test}, Ridge().fit(train.drop(columns="y"), train.y)


@pytest.fixture(scope="module")
def regression():
    return diabetes()


def test_a_regression_metric_is_recorded_in_its_own_units(regression):
    splits, model = regression
    result = benchmark(*regression)
    assert result.status == Status.PASS, result.message
    test = splits["test"]
    rmse = math.sqrt(mean_squared_error(test.y, model.predict(test.drop(columns="y"))))
    assert result.metrics["test_rmse"] == pytest.approx(rmse)
    assert evidence(result, "max_single_feature_score").unit == "R²"
    assert evidence(result, "max_single_feature_score").value < 0.5


# --- max_duplicate_share ---------------------------------------------------------------------


def test_a_copy_share_equal_to_max_duplicate_share_warns(run, cancer):
    train, test, _ = cancer
    result = run(test=with_copies(test, train, 1))
    assert result.status == Status.WARN
    assert result.message == "1 test row (1.0%) is a copy of a train row"
    assert result.metrics["duplicate_rows_test"] == 1
    assert evidence(result, "duplicate_share_test").value == 1 / TEST_ROWS
    assert result.metrics["chance_duplicate_share"] == 0  # no two train rows are alike
    excess = evidence(result, "excess_duplicate_share_test")
    assert excess.value == 1 / TEST_ROWS == excess.threshold == 0.01 and excess.op == "<="


def test_a_copy_share_just_above_max_duplicate_share_fails(run, cancer):
    train, test, _ = cancer
    copied = with_copies(test, train, 1)
    result = run({"max_duplicate_share": math.nextafter(0.01, 0)}, test=copied)
    assert result.status == Status.FAIL
    assert "1 test row (1.0%) is a copy of a train row" in result.message
    two = run(test=with_copies(test, train, 2))
    assert two.status == Status.FAIL
    assert two.message == "2 test rows (2.0%) are copies of train rows"
    assert two.metrics["duplicate_share_test"] == pytest.approx(0.02)


@pytest.mark.parametrize(("limit", "status"), [(0.0, Status.FAIL), (1.0, Status.WARN)])
def test_max_duplicate_share_at_its_bounds(run, cancer, limit, status):
    train, test, _ = cancer
    result = run({"max_duplicate_share": limit}, test=with_copies(test, train, 2))
    assert result.status == status
    assert "are copies of train rows" in result.message


@pytest.mark.parametrize("limit", [-0.01, 1.01, "some"])
def test_a_max_duplicate_share_outside_zero_to_one_is_rejected(run, limit):
    with pytest.raises(ValidationError):
        run({"max_duplicate_share": limit})


def test_copies_in_validation_count_but_copies_in_production_do_not(run, cancer):
    train, _, validation = cancer
    result = run(
        validation=with_copies(validation, train, 3),
        production=train.drop(columns="y").iloc[:50],
    )
    assert result.status == Status.FAIL
    assert "3 validation rows (4.3%) are copies of train rows" in result.message
    assert result.metrics["duplicate_rows_validation"] == 3
    assert result.metrics["duplicate_rows_test"] == 0
    assert "duplicate_rows_production" not in result.metrics


def survey(rows: int, seed: int) -> pd.DataFrame:
    """Answers to five coarse questions (two to four levels each, 96 combinations): different
    people often answer alike, as in statsmodels' fair data set."""
    rng = np.random.default_rng(seed)
    answers = pd.DataFrame(
        {f"q{i}": rng.integers(0, levels, rows) for i, levels in enumerate((2, 3, 4, 2, 2))}
    )
    return answers.assign(y=(answers.sum(axis=1) + rng.normal(0, 1, rows) > 5).astype(int))


@pytest.fixture(scope="module")
def answers():
    train = survey(2000, 1)
    model = DecisionTreeClassifier(max_depth=3, random_state=0)
    return train, model.fit(train.drop(columns="y"), train.y)


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_rows_that_answer_alike_by_chance_are_no_copies(answers, seed):
    train, model = answers
    test = survey(600, seed)
    result = benchmark({"train": train, "test": test}, model)
    assert result.metrics["chance_duplicate_share"] > 0.9  # 2,000 rows, 96 answer patterns
    assert result.metrics["duplicate_share_test"] > 0.9
    assert result.status == Status.PASS, result.message
    note = next(n for n in result.notes if "copies of train rows" in n)
    assert note.endswith(
        "no more than chance collisions give, so not judged; without data.id a copied "
        "record cannot be told from another with the same values"
    )


def test_copies_beyond_the_chance_rate_fail():
    """Continuous answers: chance collisions are rare, so 40 copied rows of 300 are leakage
    even next to train's own few repeats."""
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"a": rng.normal(size=2300).round(1), "b": rng.normal(size=2300)})
    frame["y"] = (frame.a + frame.b > 0).astype(int)
    train, test = frame.iloc[:2000], frame.iloc[2000:].copy()
    test.iloc[:40] = train.iloc[2:42].to_numpy()
    train.iloc[1] = train.iloc[0]  # a repeat within train: chance is no longer zero
    model = LogisticRegression().fit(train[["a", "b"]], train.y)
    result = benchmark({"train": train, "test": test}, model)
    assert result.metrics["chance_duplicate_share"] == pytest.approx(2 / 2000)
    assert result.status == Status.FAIL
    excess = 40 / 300 - 2 / 2000
    assert f"40 test rows (13.3%) are copies of train rows, {100 * excess:.2f}% beyond" in (
        result.message
    )


# --- shared_ids ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def with_ids(cancer):
    """Patient ids: three test rows (two of them the same patient) were seen in train."""
    train, test, _ = cancer
    test = test.assign(patient=np.arange(len(test)) + 10_000)
    test.loc[test.index[:3], "patient"] = [5, 8, 8]
    return {"train": train.assign(patient=np.arange(len(train))), "test": test}


IDS = {"data": {"id": "patient"}}


def test_held_out_rows_sharing_an_id_with_train_fail_by_default(with_ids, model):
    result = benchmark(with_ids, model, checklist=IDS)
    assert result.status == Status.FAIL
    assert result.message == "3 test rows share a patient with train"
    shared = evidence(result, "shared_ids_test")
    assert shared.value == 3 and shared.threshold == 0 and shared.op == "<="


def test_shared_ids_warn_makes_that_a_warning(with_ids, model):
    result = benchmark(with_ids, model, {"shared_ids": "warn"}, IDS)
    assert result.status == Status.WARN
    assert "3 test rows share a patient with train" in result.message


def test_ids_match_across_int_and_float_columns_and_one_row_shares(with_ids, model):
    test = with_ids["test"].astype({"patient": float})
    test.loc[test.index[1:3], "patient"] = [20_001.0, 20_002.0]
    result = benchmark({**with_ids, "test": test}, model, checklist=IDS)
    assert result.message == "1 test row shares a patient with train"
    assert result.metrics["shared_ids_test"] == 1


def test_a_held_out_split_without_the_id_column_is_noted(with_ids, model, cancer):
    result = benchmark({**with_ids, "test": cancer[1]}, model, checklist=IDS)
    assert result.status == Status.PASS, result.message
    assert "test: no id column 'patient', so shared ids were not checked" in result.notes
    assert "shared_ids_test" not in result.metrics


@pytest.mark.parametrize("option", ["shared_ids", "temporal"])
def test_a_severity_other_than_fail_or_warn_is_rejected(run, option):
    with pytest.raises(ValidationError):
        run({option: "error"})


# --- temporal --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dated(cancer):
    """Hourly train times; test starts exactly at the newest train row."""
    train, test, _ = cancer
    train = train.assign(when=pd.date_range("2024-01-01", periods=len(train), freq="h"))
    newest = train.when.max()
    test = test.assign(when=pd.date_range(newest, periods=len(test), freq="h"))
    return {"train": train, "test": test}, newest


TIMES = {"data": {"time": "when"}}


def one_second_early(dated) -> dict:
    splits, newest = dated
    test = splits["test"].copy()
    test.loc[test.index[0], "when"] = newest - pd.Timedelta(seconds=1)
    return {**splits, "test": test}


def test_a_held_out_row_at_the_newest_train_time_is_not_older(dated, model):
    result = benchmark(dated[0], model, checklist=TIMES)
    assert result.status == Status.PASS, result.message
    older = evidence(result, "older_than_train_test")
    assert older.value == 0 and older.threshold == 0 and older.op == "<="


def test_a_held_out_row_one_second_older_than_train_warns_by_default(dated, model):
    result = benchmark(one_second_early(dated), model, checklist=TIMES)
    assert result.status == Status.WARN
    assert result.message.startswith("1 test row (1.0%) predates the newest train row (2024-01")
    assert result.metrics["older_than_train_test"] == 1


def test_temporal_fail_suits_an_out_of_time_split(dated, model):
    result = benchmark(one_second_early(dated), model, {"temporal": "fail"}, TIMES)
    assert result.status == Status.FAIL
    assert "predates the newest train row" in result.message


def test_a_held_out_split_without_the_time_column_is_noted(dated, model, cancer):
    result = benchmark({**dated[0], "test": cancer[1]}, model, checklist=TIMES)
    assert "test: no time column 'when', so its times were not checked" in result.notes
    assert "older_than_train_test" not in result.metrics


def test_an_unreadable_held_out_timestamp_is_an_error(dated, model):
    test = dated[0]["test"].astype({"when": object})
    test.loc[test.index[0], "when"] = "last tuesday"
    result = benchmark({**dated[0], "test": test}, model, checklist=TIMES)
    assert result.status == Status.ERROR
    assert "column 'when' is not a timestamp" in result.message


# --- max_single_feature_score and confidence -------------------------------------------------


@pytest.fixture(scope="module")
def leaky(cancer):
    """The cancer splits with the target copied into a feature."""
    splits = labelled(cancer, leak=lambda f: f.y.astype(float))
    return splits, fitted(scaled_logistic(), splits["train"], [*CANCER, "leak"])


def test_a_feature_equal_to_the_target_is_target_leakage(leaky):
    test = leaky[0]["test"]
    result = benchmark(*leaky)
    assert result.status == Status.FAIL
    assert result.message == "feature 'leak' alone scores AUC 1.0 on test (likely target leakage)"
    score = evidence(result, "max_single_feature_score")
    assert score.reference == "leak" and score.unit == "AUC"
    assert score.value == roc_auc_score(test.y, test.leak) == 1.0
    assert score.ci_low == 1.0 and score.threshold == 0.999 and score.op == "<="


# The absolute bar alone: x is the one strong feature among noise, which the relative rule
# (max_error_ratio) flags on its own (see the wine tests below).
ABSOLUTE = {"max_error_ratio": 0}


def test_a_leak_scoring_exactly_the_limit_passes_and_just_below_it_fails(leaky):
    at = benchmark(*leaky, {**ABSOLUTE, "max_single_feature_score": 1.0})
    assert at.status == Status.PASS, at.message
    assert evidence(at, "max_single_feature_score").ci_low is None  # not above: no bootstrap
    below = benchmark(*leaky, {**ABSOLUTE, "max_single_feature_score": math.nextafter(1.0, 0)})
    assert below.status == Status.FAIL
    assert "likely target leakage" in below.message


def test_an_id_like_categorical_feature_scores_like_chance(cancer):
    splits = labelled(cancer, row_id=lambda f: f.index)
    model = fitted(scaled_logistic(), splits["train"], ["row_id"])
    as_level = benchmark(splits, model, checklist={"data": {"categorical": ["row_id"]}})
    # Every test id is unseen in train, so every row gets the overall train rate: AUC 1/2.
    assert evidence(as_level, "max_single_feature_score").value == 0.5
    as_number = benchmark(splits, model)  # the same column read as numbers: ranked as such
    auc = roc_auc_score(splits["test"].y, splits["test"].row_id)
    assert evidence(as_number, "max_single_feature_score").value == pytest.approx(max(auc, 1 - auc))


def test_several_leaks_are_named_together_in_either_direction(cancer):
    splits = labelled(cancer, leak=lambda f: f.y * 2.0, reversed=lambda f: -f.y * 3.0)
    model = fitted(scaled_logistic(), splits["train"], [*CANCER, "leak", "reversed"])
    result = benchmark(splits, model)
    assert result.status == Status.FAIL
    assert "features 'leak', 'reversed' alone score up to AUC 1.0" in result.message


def test_numeric_features_of_a_binary_task_score_by_their_auc(clean, cancer):
    _, test, _ = cancer
    aucs = {c: roc_auc_score(test.y, test[c]) for c in CANCER}
    either = {c: max(auc, 1 - auc) for c, auc in aucs.items()}
    best = max(either, key=either.get)
    score = evidence(clean, "max_single_feature_score")
    assert score.reference == best
    assert score.value == pytest.approx(either[best])


def test_a_regression_feature_copying_the_target_is_leakage():
    result = benchmark(*diabetes(leak=lambda f: f.y * 2 + 1))
    assert result.status == Status.FAIL
    assert "feature 'leak' alone scores R²" in result.message
    assert evidence(result, "max_single_feature_score").value > 0.999


@pytest.fixture(scope="module")
def strong():
    """x separates the classes with AUC about 0.993 on 100 test rows: near a 0.98 limit by
    its point estimate, but not beyond sampling error at 95%."""
    frame = separable(400, 4, 3.5)
    train, test = frame.iloc[:300], frame.iloc[300:]
    model = LogisticRegression().fit(train[["x", "noise"]], train.y)
    return {"train": train, "test": test}, model


def strong_score(strong, **options):
    result = benchmark(*strong, {**ABSOLUTE, "max_single_feature_score": 0.98, **options})
    return result, evidence(result, "max_single_feature_score")


def test_a_strong_honest_feature_whose_interval_reaches_the_limit_is_no_leak(strong):
    result, score = strong_score(strong)
    assert result.status == Status.PASS, result.message
    assert score.reference == "x"
    assert score.ci_low < 0.98 < score.value
    test = strong[0]["test"]
    assert score.value == pytest.approx(roc_auc_score(test.y, test.x))


def test_a_lower_bound_exactly_at_the_limit_passes_and_just_above_it_fails(strong):
    _, score = strong_score(strong)
    low = score.ci_low
    at = benchmark(*strong, {**ABSOLUTE, "max_single_feature_score": low})
    assert at.status == Status.PASS, at.message
    assert evidence(at, "max_single_feature_score").ci_low == low  # seeded: the same draws
    below = benchmark(*strong, {**ABSOLUTE, "max_single_feature_score": math.nextafter(low, 0)})
    assert below.status == Status.FAIL
    assert "feature 'x' alone scores AUC" in below.message


def test_confidence_sets_the_interval_whose_lower_bound_must_clear_the_limit(strong):
    lows = {c: strong_score(strong, confidence=c)[1].ci_low for c in (0.6, 0.95)}
    assert lows[0.6] > lows[0.95]
    limit = (lows[0.6] + lows[0.95]) / 2
    narrow = benchmark(*strong, {**ABSOLUTE, "max_single_feature_score": limit, "confidence": 0.6})
    wide = benchmark(*strong, {**ABSOLUTE, "max_single_feature_score": limit, "confidence": 0.95})
    assert narrow.status == Status.FAIL
    assert "60% lower bound" in narrow.tables[-1].columns
    assert wide.status == Status.PASS, wide.message


@pytest.mark.parametrize("confidence", [0.5, 1.0])
def test_confidence_must_lie_strictly_between_one_half_and_one(run, confidence):
    with pytest.raises(ValidationError):
        run({"confidence": confidence})


@pytest.mark.parametrize(("confidence", "status"), [(0.501, Status.FAIL), (0.999, Status.PASS)])
def test_confidence_just_inside_its_bounds_is_accepted(strong, confidence, status):
    # Almost no interval: the bound is about the point estimate, above the limit; almost
    # all of the interval: far below it.
    result, score = strong_score(strong, confidence=confidence)
    assert result.status == status
    assert score.ci_low <= score.value


def test_a_max_single_feature_score_that_is_no_number_is_rejected(run):
    with pytest.raises(ValidationError):
        run({"max_single_feature_score": "high"})


def test_the_leak_message_gives_the_leaking_feature_its_own_score():
    # a: perfect but for two positives below every negative (AUC 0.98, a wide interval);
    # b: a steady overlap (AUC 0.978, a narrow one). Their 95% lower bounds are 0.953 and
    # 0.958: at a limit of 0.9558 only b leaks.
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 200)
    a = np.where(y == 1, 10 + rng.random(400), rng.random(400))
    frame = pd.DataFrame({"a": a, "b": y + rng.normal(scale=0.35, size=400), "y": y})
    train, test = frame.iloc[:200], frame.iloc[200:].copy()
    test.loc[test.index[test.y == 1][:2], "a"] = -5.0
    model = LogisticRegression().fit(train[["a", "b"]], train.y)
    result = benchmark({"train": train, "test": test}, model, {"max_single_feature_score": 0.9558})
    assert result.status == Status.FAIL
    assert evidence(result, "max_single_feature_score").reference == "a"
    assert f"feature 'b' alone scores AUC {fmt(roc_auc_score(test.y, test.b))}" in result.message


@pytest.fixture(scope="module")
def wine_with_a_code():
    """Wine, with a 'batch_code' column equal to the class but for 2% of rows: alone it
    scores one-vs-rest AUC 0.99, under the 0.999 bar, while the best honest feature
    scores 0.89."""
    frame = load_wine(as_frame=True).frame
    rng = np.random.default_rng(0)
    wrong = rng.random(len(frame)) < 0.02
    frame["batch_code"] = np.where(wrong, (frame.target + 1) % 3, frame.target)
    order = rng.permutation(len(frame))
    train, test = frame.iloc[order[:89]], frame.iloc[order[89:]]
    features = [c for c in frame.columns if c != "target"]
    honest = [c for c in features if c != "batch_code"]
    forest = RandomForestClassifier(random_state=0)

    def audit(columns: list[str], options: dict | None = None):
        model = forest.fit(train[columns], train.target)
        splits = {"train": train[[*columns, "target"]], "test": test[[*columns, "target"]]}
        return run_check(BenchmarkCheck, make_context(splits, model, target="target"), options)

    return audit, features, honest


def test_a_leak_far_ahead_of_every_honest_feature_warns_below_the_bar(wine_with_a_code):
    audit, features, _ = wine_with_a_code
    result = audit(features)
    assert result.status == Status.WARN, result.message
    assert result.message.startswith("feature 'batch_code' alone scores one-vs-rest AUC 0.9")
    assert "far ahead of the next feature ('flavanoids'" in result.message
    assert "likely target leakage" in result.message
    top = evidence(result, "max_single_feature_score")
    assert top.reference == "batch_code" and 0.98 < top.value < 0.999


def test_honest_features_that_score_alike_are_no_leak(wine_with_a_code):
    audit, _, honest = wine_with_a_code
    result = audit(honest)
    assert result.status == Status.PASS, result.message


def test_max_error_ratio_sets_how_far_ahead_a_leak_must_be(wine_with_a_code):
    audit, features, _ = wine_with_a_code
    assert audit(features, {"max_error_ratio": 0.05}).status == Status.PASS  # 9% of its error
    assert audit(features, {"max_error_ratio": 0}).status == Status.PASS  # 0: off
    with pytest.raises(ValidationError):
        audit(features, {"max_error_ratio": 1.5})


# --- bins ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    features = list(X.columns)
    frame = X.assign(y=y).drop_duplicates(subset=features).sample(frac=1, random_state=0)
    train, test = frame.iloc[:100], frame.iloc[100:]
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(train[features], train.y)
    return {"train": train, "test": test}, model, features


def binned_ovr_auc(train: pd.DataFrame, test: pd.DataFrame, column: str, bins: int) -> float:
    """A numeric feature alone on a multiclass test: the train class shares of its
    train-quantile bin, scored by macro one-vs-rest AUC."""
    edges = np.unique(np.quantile(train[column], np.linspace(0, 1, bins + 1)[1:-1]))
    codes = np.searchsorted(edges, train[column], side="right")
    shares = np.array(
        [np.bincount(train.y[codes == k], minlength=3) / (codes == k).sum() for k in range(bins)]
    )
    predicted = shares[np.searchsorted(edges, test[column], side="right")]
    return roc_auc_score(test.y, predicted, multi_class="ovr", average="macro")


@pytest.mark.parametrize("bins", [2, 3])
def test_bins_cuts_a_multiclass_feature_at_train_quantiles(iris, bins):
    splits, model, features = iris
    result = benchmark(splits, model, {"bins": bins})
    score = evidence(result, "max_single_feature_score")
    assert score.unit == "one-vs-rest AUC"
    expected = {c: binned_ovr_auc(splits["train"], splits["test"], c, bins) for c in features}
    assert score.value == pytest.approx(max(expected.values()))
    assert score.value == pytest.approx(expected[score.reference])


def test_more_bins_tell_a_multiclass_feature_more(iris):
    splits, model, _ = iris
    two, hundred = (
        evidence(benchmark(splits, model, {"bins": b}), "max_single_feature_score").value
        for b in (2, 100)
    )
    assert two < 0.8 < hundred


def test_bins_cuts_a_regression_feature_at_train_quantiles(regression):
    train, test = regression[0]["train"], regression[0]["test"]
    two = benchmark(*regression, {"bins": 2})
    score = evidence(two, "max_single_feature_score")
    # Two bins: the train means of y below and from the median on, joined by a line.
    column = train[score.reference]
    low = column < np.quantile(column, 0.5)
    centres = [column[low].mean(), column[~low].mean()]
    means = [train.y[low].mean(), train.y[~low].mean()]
    predicted = np.interp(test[score.reference], centres, means)
    assert score.value == pytest.approx(r2_score(test.y, predicted))
    twenty = benchmark(*regression, {"bins": 20})
    assert evidence(twenty, "max_single_feature_score").value != score.value


def test_bins_leaves_a_binary_numeric_feature_alone(run, clean):
    result = run({"bins": 2})
    assert result.metrics == clean.metrics


@pytest.mark.parametrize("bins", [1, 101])
def test_bins_outside_two_to_a_hundred_is_rejected(run, bins):
    with pytest.raises(ValidationError):
        run({"bins": bins})


# --- feature types ---------------------------------------------------------------------------


def test_a_numeric_feature_read_as_text_in_test_fails(run, cancer):
    test = cancer[1].astype({"mean radius": str})
    result = run(test=test)
    assert result.status == Status.FAIL
    assert result.message == (
        "feature types differ from train: 'mean radius' (numeric in train, text in test)"
    )
    assert result.metrics["dtype_mismatches"] == 1


def test_production_feature_types_are_compared_but_an_empty_column_has_none(run, cancer):
    production = cancer[2].drop(columns="y")
    production["mean texture"] = production["mean texture"] > 20
    production["mean area"] = pd.Series([None] * len(production), dtype=object)
    result = run(production=production)
    assert result.status == Status.FAIL
    assert "'mean texture' (numeric in train, bool in production)" in result.message
    assert "mean area" not in result.message
    assert result.metrics["dtype_mismatches"] == 1


# --- determinism_rows ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jittery(cancer):
    return fitted(make_pipeline(StandardScaler(), Jittery()), cancer[0], CANCER)


def test_predictions_that_change_when_repeated_fail(run, jittery):
    result = run(model=jittery)
    assert result.status == Status.FAIL
    assert f"predicting {TEST_ROWS} test rows again changed {TEST_ROWS} predictions" in (
        result.message
    )
    count = evidence(result, "nondeterministic_rows")
    assert count.value == TEST_ROWS and count.threshold == 0 and count.op == "<="


@pytest.mark.parametrize(("rows", "predicted"), [(1, 1), (99, 99), (100, 100), (101, 100)])
def test_determinism_rows_caps_the_test_rows_predicted_again(run, jittery, rows, predicted):
    result = run({"determinism_rows": rows}, model=jittery)
    assert result.metrics["nondeterministic_rows"] == predicted
    assert f"predicting {predicted} test rows again changed {predicted}" in result.message


def test_determinism_rows_below_one_is_rejected(run):
    with pytest.raises(ValidationError):
        run({"determinism_rows": 0})


def test_predictions_only_mode_predicts_nothing_again(cancer, model):
    splits = labelled(cancer, pred=lambda f: model.predict(f[CANCER]))
    result = benchmark(splits, None, checklist={"data": {"prediction": "pred"}})
    assert result.status == Status.PASS, result.message
    assert "nondeterministic_rows" not in result.metrics
    assert result.metrics["test_accuracy"] == accuracy_score(splits["test"].y, splits["test"].pred)


# --- the model's own preprocessing ----------------------------------------------------------


@pytest.fixture(scope="module")
def flagged(cancer):
    """The cancer splits with a boolean feature (a category to the audit)."""
    return labelled(cancer, large=lambda f: f["mean area"] > 700)


def test_a_non_numeric_feature_fed_to_a_bare_model_warns(flagged):
    bare = fitted(DecisionTreeClassifier(max_depth=3), flagged["train"], [*CANCER, "large"])
    result = benchmark(flagged, bare)
    assert result.status == Status.WARN
    assert "ship the preprocessing inside the model (a Pipeline)" in result.message
    assert result.message.endswith("non-numeric features: large")


def test_the_same_feature_inside_a_pipeline_passes(flagged):
    pipeline = fitted(scaled_logistic(), flagged["train"], [*CANCER, "large"])
    result = benchmark(flagged, pipeline)
    assert result.status == Status.PASS, result.message


def test_a_search_over_a_pipeline_carries_its_preprocessing_too(flagged):
    search = GridSearchCV(scaled_logistic(), {"logisticregression__C": [0.1, 1.0]}, cv=3)
    result = benchmark(flagged, fitted(search, flagged["train"], [*CANCER, "large"]))
    assert result.status == Status.PASS, result.message


def test_a_model_that_reads_categories_natively_carries_its_preprocessing(cancer):
    splits = labelled(
        cancer, size=lambda f: pd.cut(f["mean area"], [0, 500, 900, 1e9], labels=["s", "m", "l"])
    )
    features = [*CANCER, "size"]
    native = fitted(
        HistGradientBoostingClassifier(max_iter=20, categorical_features="from_dtype"),
        splits["train"],
        features,
    )
    assert native.is_categorical_.tolist() == [False] * len(CANCER) + [True]
    result = benchmark(splits, native)
    assert result.status == Status.PASS, result.message
