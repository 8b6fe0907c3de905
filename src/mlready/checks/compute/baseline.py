"""What the ``baseline`` check computes (declared in mlready.checks.baseline)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from mlready.check import SkipCheck
from mlready.checks.baseline import (
    BaselineParams,
    CustomBaseline,
    TierParams,
)
from mlready.checks.compute._plots import curves, interval_bars
from mlready.context import AuditContext
from mlready.errors import DataError
from mlready.io.predictor import ColumnPredictor, EstimatorPredictor
from mlready.numbers import fmt
from mlready.results import Cell, Evidence, Measure, Outcome, Plot, Status, Table, worst
from mlready.stats.bootstrap import paired_bootstrap, percentile_interval
from mlready.stats.columns import as_text
from mlready.stats.curves import precision_recall_curve, roc_curve
from mlready.stats.metrics import Metric, Prediction, point_estimate

TierName = Literal["naive", "simple"]


# One class per tier so that a partial override (``naive: {min_margin: 0.01}``) keeps
# the tier's own default severity instead of demanding it.


@dataclass(frozen=True)
class _Candidate:
    name: str
    tier: TierName
    prediction: Prediction | None  # None for a known metric value
    value: float | None = None


def _prepare(
    train: pd.DataFrame, test: pd.DataFrame, categorical: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Categoricals as integer codes of train's levels (missing is a level; a level train
    never saw is -1, which the one-hot encoder treats as unknown), numeric infinities as
    missing. Integer codes keep the encoders' work vectorised (text makes them sort Python
    objects). Numeric columns are converted as one block: a frame rebuilt column by column
    costs seconds on thousands of columns."""
    listed = set(categorical)
    levels = {c: pd.unique(as_text(train[c])) for c in train.columns if c in listed}
    prepared = []
    for frame in (train, test):
        columns: dict[str, Any] = {}
        numeric = [c for c in frame.columns if c not in listed]
        dtypes = dict(zip(frame.columns, frame.dtypes, strict=True))
        ready = [c for c in numeric if pd.api.types.is_numeric_dtype(dtypes[c])]
        block = frame[ready].to_numpy(dtype=float, na_value=np.nan)
        columns |= dict(zip(ready, np.where(np.isinf(block), np.nan, block).T, strict=True))
        for c in numeric:
            if c not in columns:  # text or dates where numbers were expected
                values = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
                columns[c] = np.where(np.isinf(values), np.nan, values)
        for c, known in levels.items():
            columns[c] = pd.Index(known).get_indexer(pd.Index(as_text(frame[c])))  # unseen: -1
        prepared.append(pd.DataFrame({c: columns[c] for c in train.columns}, index=frame.index))
    return prepared[0], prepared[1]


def _encoder(X: pd.DataFrame, categorical: list[str], scale: bool) -> ColumnTransformer:
    numeric = [c for c in X.columns if c not in categorical]
    numeric_steps: list[Any] = [SimpleImputer(strategy="median", keep_empty_features=True)]
    if scale:
        numeric_steps.append(StandardScaler())
    return ColumnTransformer(
        [
            ("numeric", make_pipeline(*numeric_steps), numeric),
            (
                "categorical",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist", max_categories=30, sparse_output=False
                ),
                [c for c in X.columns if c in categorical],
            ),
        ]
    )


def _on_features(X: pd.DataFrame, categorical: list[str], scale: bool, model: Any) -> Pipeline:
    """``model`` behind imputation and one-hot encoding, so it can read the raw columns."""
    return Pipeline([("encode", _encoder(X, categorical, scale)), ("model", model)])


def _builtin_baselines(
    task: str, X: pd.DataFrame, categorical: list[str], seed: int
) -> list[tuple[str, TierName, Any]]:
    """The checklist's baselines: naive (no features) and simple (one split, or linear)."""
    if task == "regression":
        return [
            ("mean", "naive", DummyRegressor(strategy="mean")),
            ("median", "naive", DummyRegressor(strategy="median")),
            (
                "stump",
                "simple",
                _on_features(X, categorical, False, DecisionTreeRegressor(max_depth=1)),
            ),
            ("linear_regression", "simple", _on_features(X, categorical, True, LinearRegression())),
        ]
    stump = DecisionTreeClassifier(max_depth=1, random_state=seed)
    return [
        ("majority", "naive", DummyClassifier(strategy="most_frequent")),
        ("stratified", "naive", DummyClassifier(strategy="stratified", random_state=seed)),
        ("stump", "simple", _on_features(X, categorical, False, stump)),
        (
            "logistic_regression",
            "simple",
            _on_features(X, categorical, True, LogisticRegression(max_iter=1000)),
        ),
    ]


def _predict(estimator: Any, X: pd.DataFrame, n_classes: int | None) -> Prediction:
    """Predictions of a baseline fitted on class codes, spread onto all classes."""
    label = np.asarray(estimator.predict(X))
    if n_classes is None:
        return Prediction(label=label.astype(float))
    proba = np.zeros((len(X), n_classes))
    proba[:, np.asarray(estimator.classes_, dtype=np.int64)] = estimator.predict_proba(X)
    score = proba[:, 1] if n_classes == 2 else proba
    return Prediction(label=label.astype(np.int64), score=score)


def _train_sample(y: np.ndarray, size: int, rng: np.random.Generator, by_class: bool) -> np.ndarray:
    """Sorted row numbers of a seeded sample of ``size`` train rows; stratified by class
    (each class keeps its share) when ``by_class``."""
    if not by_class:
        return np.sort(rng.choice(y.size, size, replace=False))
    classes, codes = np.unique(y, return_inverse=True)
    quotas = np.maximum(1, np.round(np.bincount(codes) * size / y.size)).astype(np.int64)
    picked = [
        rng.choice(np.flatnonzero(codes == c), min(quota, int((codes == c).sum())), replace=False)
        for c, quota in zip(range(classes.size), quotas, strict=True)
    ]
    return np.sort(np.concatenate(picked))


def _fit_builtins(
    context: AuditContext, params: BaselineParams
) -> tuple[list[_Candidate], list[str]]:
    """The built-in baselines, fitted on train (a stratified sample of at most
    max_train_rows when it is larger), with their predictions on test; and a note when
    they were fitted on a sample."""
    X_train, y_train = context.X("train"), context.y("train")
    notes = []
    if len(X_train) > params.max_train_rows:
        keep = _train_sample(
            y_train,
            params.max_train_rows,
            context.rng("baseline.sample"),
            context.task != "regression",
        )
        notes.append(
            f"baselines fitted on a seeded{' stratified' if context.task != 'regression' else ''} "
            f"sample of {keep.size:,} of {len(X_train):,} train rows (max_train_rows); their "
            "intervals cover the test rows, not the choice of that sample"
        )
        X_train, y_train = X_train.iloc[keep], y_train[keep]
    X_train, X_test = _prepare(X_train, context.X("test"), context.categorical)
    n_classes = None if context.classes is None else len(context.classes)
    candidates = []
    for name, tier, estimator in _builtin_baselines(
        context.task, X_train, context.categorical, context.seed
    ):
        estimator.fit(X_train, y_train)
        candidates.append(_Candidate(name, tier, _predict(estimator, X_test, n_classes)))
    return candidates, notes


def _custom(context: AuditContext, spec: CustomBaseline) -> _Candidate:
    if spec.value is not None:
        return _Candidate(spec.name, spec.tier, None, spec.value)
    test = context.labelled("test")
    if spec.column is not None:
        predictor = ColumnPredictor(spec.column, spec.score_column, context.classes)
        return _Candidate(spec.name, spec.tier, predictor.predict("test", test, context.features))
    assert spec.model is not None
    path = context.spec.base_dir / spec.model
    with context.open_model(path) as baseline:  # as the audited model is, in its sandbox
        prediction = _predict_test(baseline, context, test)
    return _Candidate(spec.name, spec.tier, prediction)


def _predict_test(estimator: Any, context: AuditContext, test: pd.DataFrame) -> Prediction:
    return EstimatorPredictor(estimator, context.classes).predict("test", test, context.features)


def _usable(prediction: Prediction, metric: Metric, name: str) -> Prediction:
    """The prediction, with hard labels standing in for missing ranking scores."""
    if metric.needs == "label" or prediction.score is not None:
        return prediction
    if metric.needs == "score" and name != "model":
        return Prediction(label=prediction.label, score=np.asarray(prediction.label, float))
    raise DataError(
        f"{name} has no scores, which {metric.name} needs",
        hint="give a score column (data.score, or score_column for a baseline), "
        "or choose another primary metric in metrics.primary",
    )


@dataclass
class _Board:
    """The model and every baseline on the same bootstrap resamples of test."""

    metric: Metric
    model: float
    model_ci: tuple[float, float]
    values: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    margins: dict[str, tuple[float, float, float]]  # margin, CI low, CI high
    extras: dict[str, dict[str, float | None]]  # extra metric -> name -> point estimate

    def evidence(self) -> list[Evidence]:
        unit = self.metric.name
        return [
            Evidence(
                name="model",
                value=self.model,
                ci_low=self.model_ci[0],
                ci_high=self.model_ci[1],
                unit=unit,
            )
        ] + [
            Evidence(
                name=name,
                value=value,
                ci_low=self.intervals[name][0],
                ci_high=self.intervals[name][1],
                unit=unit,
            )
            for name, value in self.values.items()
        ]

    def table(self, tiers: dict[str, str], params: BaselineParams) -> Table:
        """Model first, then baselines from the strongest; extra metrics as point values."""
        strongest_first = sorted(self.values, key=lambda n: self.margins[n][0])
        rows: list[list[Cell]] = [
            ["model", "", float(self.model), Measure.between(*self.model_ci), None, None]
        ]
        rows += [
            [
                name,
                tiers[name],
                float(self.values[name]),
                Measure.between(*self.intervals[name]),
                Measure.change(self.margins[name][0]),
                Measure.between(*self.margins[name][1:]),
            ]
            for name in strongest_first
        ]
        for values in self.extras.values():
            for row in rows:
                extra = values.get(str(row[0]))
                row.append(None if extra is None else float(extra))
        return Table(
            title=f"Model vs baselines on test ({self.metric.name}, {params.confidence:.0%} CI, "
            f"{params.n_resamples} paired bootstrap resamples)",
            columns=[
                "model or baseline",
                "tier",
                self.metric.name,
                "CI",
                "model margin",
                "margin CI",
                *self.extras,
            ],
            rows=rows,
        )


def _score(context: AuditContext, candidates: list[_Candidate], params: BaselineParams) -> _Board:
    """Paired bootstrap of the model against every baseline; margins favour the model."""
    metric, y = context.primary, context.y("test")
    named = {"model": context.prediction("test")}
    named |= {c.name: c.prediction for c in candidates if c.prediction is not None}
    scored = [c for c in candidates if c.prediction is not None]
    predictions = [_usable(p, metric, name) for name, p in named.items()]
    boot = paired_bootstrap(metric, y, predictions, params.n_resamples, context.rng("baseline"))
    sign = 1.0 if metric.greater_is_better else -1.0
    model_samples = boot.samples[:, 0]
    values = {c.name: float(boot.point[j]) for j, c in enumerate(scored, start=1)}
    samples = {c.name: boot.samples[:, j] for j, c in enumerate(scored, start=1)}
    for c in candidates:
        if c.value is not None:  # a known value: no sampling error of its own
            values[c.name] = c.value
            samples[c.name] = np.full_like(model_samples, c.value)
    model = float(boot.point[0])
    return _Board(
        metric=metric,
        model=model,
        model_ci=percentile_interval(model_samples, params.confidence),
        values=values,
        intervals={n: percentile_interval(samples[n], params.confidence) for n in values},
        margins={
            n: (
                sign * (model - values[n]),
                *percentile_interval(sign * (model_samples - samples[n]), params.confidence),
            )
            for n in values
        },
        extras={
            m.name: {n: _point_or_none(m, y, p, n) for n, p in named.items()}
            for m in context.extra_metrics
        },
    )


def _point_or_none(
    metric: Metric, y: np.ndarray, prediction: Prediction, name: str
) -> float | None:
    """An extra metric's value, or None where the prediction lacks what it needs."""
    try:
        return point_estimate(metric, y, _usable(prediction, metric, name))
    except DataError:
        return None


def _judge_tier(
    board: _Board, tier: TierName, names: list[str], params: TierParams, confidence: float
) -> tuple[Status, str, Evidence]:
    """Compare the model with the tier's strongest baseline (the smallest margin)."""
    best = min(names, key=lambda n: board.margins[n][0])
    margin, low, high = board.margins[best]
    evidence = Evidence(
        name=f"margin_{tier}",
        value=margin,
        threshold=params.min_margin,
        op=">=",
        ci_low=low,
        ci_high=high,
        reference=best,
    )
    ci = f"{confidence:.0%} CI {fmt(low)} to {fmt(high)}"
    signed = fmt(margin, signed=True)
    if margin >= params.min_margin and low > 0:
        return (
            Status.PASS,
            f"beats the {tier} baselines (best: {best}) by {signed} ({ci})",
            evidence,
        )
    metric, model, theirs = board.metric.name, fmt(board.model), fmt(board.values[best])
    status = Status.FAIL if params.severity == "fail" else Status.WARN
    if margin < 0:
        why = f"{best} wins: it scores {metric} {theirs} vs the model's {model} ({signed}, {ci})"
    elif margin < params.min_margin:
        why = f"the margin over {best} is {signed}, below min_margin {params.min_margin} ({ci})"
    else:
        why = f"not clearly better than {best}: {metric} {model} vs {theirs} ({ci} includes 0)"
        if margin > 0:
            # Ahead, but within sampling error: a test set too small to show it is a
            # warning, not a verdict (diabetes' 66 test rows leave a real lead unproven).
            status = Status.WARN
    lead = (
        "a simpler model does about as well"
        if tier == "simple"
        else ("not better than a naive baseline")
    )
    return status, f"{lead}: {why}", evidence


def _positive_scores(prediction: Prediction | None) -> np.ndarray | None:
    if prediction is None or prediction.score is None:
        return None
    score = prediction.score
    return np.asarray(score[:, 1] if score.ndim == 2 else score, dtype=float)


def _curves(context: AuditContext, candidates: list[_Candidate]) -> list[Plot]:
    """ROC and precision-recall curves on test of the model and every baseline with scores
    (binary tasks: one-vs-rest curves of many classes would bury each other)."""
    if context.task != "binary":
        return []
    positive = context.y("test") == 1
    named = {"model": context.prediction("test")} | {c.name: c.prediction for c in candidates}
    scores = {n: s for n, p in named.items() if (s := _positive_scores(p)) is not None}
    prevalence = float(positive.mean())
    return [
        curves(
            "ROC curve on test, model and baselines",
            "false positive rate",
            "true positive rate",
            {n: roc_curve(positive, s) for n, s in scores.items()},
            diagonal=True,
        ),
        curves(
            f"Precision-recall curve on test (positive share {prevalence:.1%})",
            "recall",
            "precision",
            {n: precision_recall_curve(positive, s) for n, s in scores.items()},
        ),
    ]


def run(context: AuditContext, params: BaselineParams) -> Outcome:
    """The outcome of the check declared in mlready.checks.baseline, on ``context``."""
    y = context.y("test")
    if y.size < 2:
        raise SkipCheck("the test split has fewer than 2 labelled rows")
    builtins, notes = _fit_builtins(context, params)
    candidates = builtins + [_custom(context, c) for c in params.custom]
    board = _score(context, candidates, params)
    evidence = board.evidence()
    verdicts = []
    for tier in ("naive", "simple"):
        names = [c.name for c in candidates if c.tier == tier]
        status, message, margin = _judge_tier(
            board, tier, names, getattr(params, tier), params.confidence
        )
        verdicts.append((status, message))
        evidence.append(margin)
    overall = worst([status for status, _ in verdicts])
    if overall == Status.PASS:
        headline = f"{board.metric.name} {fmt(board.model)} " + " and ".join(m for _, m in verdicts)
    else:
        headline = "; ".join(m for s, m in verdicts if s == overall)
    names = ["model", *board.values]
    plot = interval_bars(
        f"Model vs baselines on test ({board.metric.name}, {params.confidence:.0%} CI)",
        board.metric.name,
        names,
        [board.model, *board.values.values()],
        [board.model_ci, *(board.intervals[n] for n in board.values)],
    )
    return Outcome(
        status=overall,
        message=headline,
        evidence=evidence,
        tables=[board.table({c.name: c.tier for c in candidates}, params)],
        notes=notes,
        plots=[plot, *_curves(context, candidates)],
    )
