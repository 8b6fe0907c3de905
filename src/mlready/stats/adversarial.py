"""Adversarial validation: could a classifier tell the rows of one split from another's?

Rows of ``reference`` are labelled 0 and rows of ``current`` 1; a gradient-boosted
classifier learns the label out of fold. An AUC near 0.5 means the splits look alike; a
high AUC means they differ (a split sorted on time instead of shuffled, drift), and the
permutation importances name the features that give them away.

Wide data (more than ``_MAX_MODEL_FEATURES`` features) is screened fold by fold: a random
forest fitted on the fold's training rows ranks the features by impurity importance, the
boosted classifier learns from the top ones only, and only the very top are shuffled for
importance. Screening inside the fold keeps the held-out AUC honest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from mlready.stats.bootstrap import bootstrap_metrics, percentile_interval
from mlready.stats.columns import as_text, column_kinds
from mlready.stats.metrics import METRICS, Prediction, point_estimate
from mlready.steps import step

Matrix = NDArray[np.float64]
Labels = NDArray[np.int64]

# Levels kept per categorical: an id-like column collapses into one pooled level, so the
# model cannot memorise it. Levels rarer than HistGradientBoosting's own minimum category
# support (10 rows) could not be split on anyway.
_MAX_LEVELS = 50
_MIN_LEVEL_ROWS = 10
# Held-out rows per fold scored for permutation importance: enough to rank features,
# and it bounds the cost at n_features x 3,000 predictions per fold.
_IMPORTANCE_ROWS = 3_000
# Cells of one stack of permuted copies predicted in a single call (32 MiB of float64).
_CHUNK_CELLS = 4_000_000
# HistGradientBoosting scans every feature's histogram at every split: 10,000 features cost
# about 40 s a fold. Above this many, a fold's classifier sees the ones a random forest
# (which tries only sqrt(features) per split) ranks highest on that fold's training rows.
_MAX_MODEL_FEATURES = 200
# On screened (wide) data, the features shuffled for permutation importance in a fold: the
# top of the forest's ranking. A feature the classifier never splits on would drop 0 anyway.
_MAX_PERMUTED = 20
# Cells of the encoded sample (160 MB of float64): wide data gets fewer rows per split.
_MAX_CELLS = 20_000_000
_MIN_ROWS_WIDE = 500


@dataclass(frozen=True)
class AdversarialResult:
    """How well ``current`` rows can be told from ``reference`` rows."""

    auc: float  # out-of-fold ROC AUC of telling current rows from reference rows
    ci_low: float  # seeded bootstrap percentile interval of that AUC
    ci_high: float
    rows_used: int  # rows actually used after sampling (both splits together)
    importances: list[tuple[str, float]]  # (feature, mean AUC drop when shuffled), descending
    model_features: int = 0  # features each fold's classifier learned from (all, or screened)
    permuted: int = 0  # features shuffled for importance in each fold

    @property
    def screened(self) -> bool:
        """Whether the features were screened (wide data): see the module docstring."""
        return self.permuted < self.model_features


def adversarial_validation(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    features: list[str],
    categorical: list[str],
    rng: np.random.Generator,
    *,
    max_rows: int = 20_000,
    folds: int = 3,
    n_resamples: int = 500,
    confidence: float = 0.95,
    top_features: int = 5,
) -> AdversarialResult:
    """Out-of-fold AUC of a classifier telling ``current`` rows from ``reference`` rows.

    At most ``max_rows`` rows of each split are sampled (fewer on wide data, so the sample
    stays within ``_MAX_CELLS`` cells). The interval is a bootstrap of
    the out-of-fold scores (the fitted models are held fixed). ``importances`` lists the
    features (at most ``top_features``) whose shuffling lowers the held-out AUC most,
    averaged over folds; features whose shuffling lowers it not at all are left out. On
    alike splits the drops are small noise. With more than ``_MAX_MODEL_FEATURES``
    features, each fold learns from the ``_MAX_MODEL_FEATURES`` a random forest ranks
    highest on its training rows and shuffles only the top ``_MAX_PERMUTED`` of them. Every
    random draw comes from ``rng``, so equal seeds give equal results.

    Raises ``ValueError`` when ``features`` is empty, a feature is missing, or either
    split has fewer than ``2 * folds`` rows.
    """
    wide = len(features) > _MAX_MODEL_FEATURES
    if wide:
        max_rows = min(max_rows, max(_MAX_CELLS // len(features), _MIN_ROWS_WIDE))
    _validate(reference, current, features, folds, max_rows)
    ref = _sample(reference[features], max_rows, rng)
    cur = _sample(current[features], max_rows, rng)
    X, is_categorical = _encode(ref, cur, categorical)
    y = np.repeat(np.array([0, 1], dtype=np.int64), [len(ref), len(cur)])

    splitter = StratifiedKFold(folds, shuffle=True, random_state=_seed(rng))
    model_seed = _seed(rng)
    # Drawn only for wide data, so narrow data keeps its draws (and its results) as they were.
    forest_seed = _seed(rng) if wide else 0
    scores = np.empty(y.size)
    drops = np.zeros(len(features))
    # One OpenMP thread: about 1.5x slower on an idle machine, but OpenMP's spin-waiting
    # threads slow down 100x when another process holds a core (shared CI runners).
    with threadpool_limits(limits=1, user_api="openmp"):
        for fold, (train, test) in enumerate(splitter.split(X, y), start=1):
            step(f"adversarial validation, fold {fold} of {folds}")
            columns = (
                _ranked(X[train], y[train], forest_seed)[:_MAX_MODEL_FEATURES]
                if wide
                else np.arange(len(features))
            )
            X_train, X_test = X[train][:, columns], X[test][:, columns]
            # early_stopping="auto" (on above 10,000 rows) ends fits that learn nothing after
            # a few trees: identical splits, the common case, cost least.
            model = HistGradientBoostingClassifier(
                max_iter=100,
                early_stopping="auto",
                categorical_features=is_categorical[columns],
                random_state=model_seed,
            ).fit(X_train, y[train])
            scores[test] = model.predict_proba(X_test)[:, 1]
            shuffled = np.arange(_MAX_PERMUTED if wide else len(columns))
            drops[columns[shuffled]] += _permutation_drops(model, X_test, y[test], shuffled, rng)

    auc, (low, high) = _auc_interval(y, scores, n_resamples, confidence, rng)
    # A feature whose shuffling costs no AUC does not separate the splits: left out, so a
    # split told apart by one feature lists that one alone. Stable sort: ties keep order.
    order = [j for j in np.argsort(-drops, kind="stable") if drops[j] > 0][:top_features]
    importances = [(features[j], float(drops[j] / folds)) for j in order]
    model_features = min(len(features), _MAX_MODEL_FEATURES) if wide else len(features)
    permuted = min(model_features, _MAX_PERMUTED) if wide else len(features)
    return AdversarialResult(auc, low, high, int(y.size), importances, model_features, permuted)


def _ranked(X: Matrix, y: Labels, seed: int) -> NDArray[np.intp]:
    """Feature positions, highest random-forest impurity importance first (stable ties)."""
    forest = RandomForestClassifier(
        n_estimators=50,
        max_features="sqrt",
        min_samples_leaf=3,
        max_depth=6,
        random_state=seed,
        n_jobs=1,
    ).fit(X, y)
    return np.argsort(-forest.feature_importances_, kind="stable")


def _validate(
    reference: pd.DataFrame, current: pd.DataFrame, features: list[str], folds: int, max_rows: int
) -> None:
    """Fail early, with a message a caller can show, on inputs that cannot be compared."""
    if not features:
        raise ValueError("adversarial validation needs at least one feature")
    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}")
    needed = 2 * folds
    for name, frame in (("reference", reference), ("current", current)):
        missing = [f for f in features if f not in frame.columns]
        if missing:
            raise ValueError(f"{name} split lacks feature columns: {', '.join(missing)}")
        usable = min(len(frame), max_rows)
        if usable < needed:
            raise ValueError(
                f"{name} split has {usable} usable rows; adversarial validation with "
                f"{folds} folds needs at least {needed} in each split"
            )


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def _sample(frame: pd.DataFrame, max_rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """At most ``max_rows`` rows, drawn without replacement, in their original order."""
    if len(frame) <= max_rows:
        return frame
    return frame.iloc[np.sort(rng.choice(len(frame), max_rows, replace=False))]


def _encode(
    ref: pd.DataFrame, cur: pd.DataFrame, categorical: list[str]
) -> tuple[Matrix, NDArray[np.bool_]]:
    """Both splits as one float matrix HistGradientBoosting reads natively, and which
    columns are categorical.

    A column's type is read from ``ref``: a numeric column holding text in ``cur`` stays
    numeric, so its unreadable values show up as missing rather than hiding the column
    among text levels. Categoricals become level codes with a mask instead of pandas
    ``category`` columns with ``from_dtype``: the model sees the same thing, and permuting
    a column for importance is plain numpy indexing, not a DataFrame rebuilt per feature.
    """
    categorical_set = set(categorical)
    n_rows = len(ref) + len(cur)
    X = np.empty((n_rows, len(ref.columns)))
    is_categorical = np.zeros(len(ref.columns), dtype=bool)
    plain: list[int] = []  # numeric on both sides: converted in one block, not column by column
    ref_kinds, cur_kinds = column_kinds(ref), column_kinds(cur)
    for j, name in enumerate(ref.columns):
        kind = ref_kinds[j]
        # Datetimes are compared as time even when listed as categorical (inferred
        # categoricals include them): a split sorted on time must stay visible. Text not
        # listed is still levels: as numbers it would be all missing, and carry nothing.
        as_levels = kind != "datetime" and (name in categorical_set or kind == "text")
        is_categorical[j] = as_levels
        if kind == "numeric" and not as_levels and cur_kinds[j] == "numeric":
            plain.append(j)
            continue
        both = pd.concat([ref[name], cur[name]], ignore_index=True)
        if kind == "datetime":
            X[:, j] = _epoch_seconds(both)
        elif as_levels:
            X[:, j] = _level_codes(both)
        else:
            X[:, j] = _numbers(both)
    if plain:
        block = np.vstack(
            [frame.iloc[:, plain].to_numpy(dtype=float, na_value=np.nan) for frame in (ref, cur)]
        )
        X[:, plain] = np.where(np.isfinite(block), block, np.nan)
    return X, is_categorical


def _epoch_seconds(column: pd.Series) -> Matrix:
    stamps = pd.to_datetime(column, utc=True, errors="coerce", format="mixed")
    seconds = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return np.asarray(seconds, dtype=np.float64)  # NaT is already NaN here


def _numbers(column: pd.Series) -> Matrix:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(values), values, np.nan)


def _level_codes(column: pd.Series) -> Matrix:
    """Codes of the most frequent levels (missing is a level); the rest share one code."""
    text = as_text(column)
    counts = text.value_counts()
    kept = counts.index[counts.to_numpy() >= _MIN_LEVEL_ROWS][:_MAX_LEVELS]
    codes = pd.Index(kept).get_indexer(text)
    return np.where(codes >= 0, codes, len(kept)).astype(float)


def _scored(score: Matrix) -> Prediction:
    return Prediction(label=(score >= 0.5).astype(np.int64), score=score)


def _auc(y: Labels, score: Matrix) -> float:
    return point_estimate(METRICS["roc_auc"], y, _scored(score))


def _auc_interval(
    y: Labels, scores: Matrix, n_resamples: int, confidence: float, rng: np.random.Generator
) -> tuple[float, tuple[float, float]]:
    samples = bootstrap_metrics([METRICS["roc_auc"]], y, _scored(scores), n_resamples, rng)
    return _auc(y, scores), percentile_interval(samples["roc_auc"], confidence)


def _importance_rows(X: Matrix, y: Labels, rng: np.random.Generator) -> tuple[Matrix, Labels]:
    """A class-stratified sample of at most ``_IMPORTANCE_ROWS`` held-out rows."""
    if y.size <= _IMPORTANCE_ROWS:
        return X, y
    keep = []
    for label in (0, 1):
        rows = np.flatnonzero(y == label)
        # At least one row per class, so the AUC stays defined for a tiny split.
        size = min(rows.size, max(1, round(_IMPORTANCE_ROWS * rows.size / y.size)))
        keep.append(rng.choice(rows, size, replace=False))
    chosen = np.sort(np.concatenate(keep))
    return X[chosen], y[chosen]


def _permutation_drops(
    model: HistGradientBoostingClassifier,
    X: Matrix,
    y: Labels,
    shuffled: NDArray[np.intp],
    rng: np.random.Generator,
) -> Matrix:
    """For each column of ``X`` listed in ``shuffled``, the held-out AUC lost when that
    column alone is shuffled.

    Permuted copies of the held-out rows are stacked and predicted in one call per chunk:
    the model's per-call overhead is paid once, not once per feature.
    """
    X, y = _importance_rows(X, y, rng)
    base = _auc(y, model.predict_proba(X)[:, 1])
    n_rows = X.shape[0]
    per_chunk = max(1, _CHUNK_CELLS // max(X.size, 1))
    drops = np.empty(shuffled.size)
    for start in range(0, shuffled.size, per_chunk):
        block = np.arange(start, min(start + per_chunk, shuffled.size))
        stacked = np.tile(X, (block.size, 1))
        for copy, feature in enumerate(shuffled[block]):
            stacked[copy * n_rows : (copy + 1) * n_rows, feature] = rng.permutation(X[:, feature])
        scores = model.predict_proba(stacked)[:, 1].reshape(block.size, n_rows)
        drops[block] = [base - _auc(y, s) for s in scores]
    return drops
