"""What an audit is about, resolved from the checklist, the data and the model: the target,
the task, the classes, the feature columns, which of them are categorical, and the metrics.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import is_classifier, is_regressor

from mlready.errors import DataError, SpecError
from mlready.io.data import Split
from mlready.io.profile import Profile
from mlready.spec import ChecklistSpec
from mlready.stats.metrics import DEFAULT_PRIMARY, METRICS, Metric, Task

# Integer-valued targets with at most this many distinct values are taken as classes.
_MAX_INFERRED_CLASSES = 20


def normalise_labels(values: pd.Series) -> pd.Series:
    """Floats that are all whole numbers (ints read next to NaN) become ints."""
    if pd.api.types.is_float_dtype(values):
        present = values.dropna()
        if len(present) and np.all(np.mod(present, 1) == 0):
            return values.astype("Int64")
    return values


def _sklearn_says(question: Callable[[Any], bool], estimator: Any) -> bool:
    """``is_classifier``/``is_regressor`` for any object: scikit-learn >= 1.6 raises for
    duck-typed models outside its tag system, which are then simply not known to be."""
    try:
        return bool(question(estimator))
    except AttributeError:
        return False


def infer_task(target: pd.Series, estimator: Any, declared: str | None) -> str:
    """classification or regression, from the checklist, the model, else the target."""
    if declared:
        return declared
    if estimator is not None:
        if hasattr(estimator, "classes_") or _sklearn_says(is_classifier, estimator):
            return "classification"
        if _sklearn_says(is_regressor, estimator):
            return "regression"
    values = target.dropna()
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "classification"
    whole = bool(np.all(np.mod(values.to_numpy(dtype=float), 1) == 0))
    return "classification" if whole and values.nunique() <= _MAX_INFERRED_CLASSES else "regression"


def class_labels(
    splits: dict[str, Split], target: str, estimator: Any, positive: Any, known: list[Any]
) -> pd.Index:
    """Sorted class labels seen in the model, any labelled split or ``known`` (a profile's);
    positive class last."""
    labels: set[Any] = set(known)
    for split in splits.values():
        if target in split.frame.columns:
            labels.update(normalise_labels(split.frame[target]).dropna().unique().tolist())
    labels.update(np.asarray(getattr(estimator, "classes_", [])).tolist())
    try:
        ordered = sorted(labels)
    except TypeError:  # mixed label types: order by text
        ordered = sorted(labels, key=str)
    if positive is not None:
        if positive not in labels:
            raise SpecError(
                f"data.positive_label {positive!r} is not a class of the target",
                hint=f"the classes are {', '.join(map(str, ordered))}",
            )
        ordered = [c for c in ordered if c != positive] + [positive]
    return pd.Index(ordered)


def target_name(splits: dict[str, Split], declared: str | None, profile: Profile | None) -> str:
    if "train" not in splits and profile is not None:
        return declared or profile.meta.target
    target = declared or "target"
    train = splits["train"]
    if target not in train.frame.columns:
        how = "" if declared else " (no target was named, so 'target' was assumed)"
        raise DataError(
            f"{train.path}: target column {target!r} not found{how}; columns are "
            f"{', '.join(map(str, train.frame.columns[:20]))}",
            hint="name the target with --target COLUMN or data.target in checklist.yaml",
        )
    return target


def feature_columns(
    spec: ChecklistSpec,
    train: pd.DataFrame | None,
    target: str,
    estimator: Any,
    profile: Profile | None,
) -> list[str]:
    if spec.data.features:
        return list(spec.data.features)
    named = getattr(estimator, "feature_names_in_", None)
    if named is not None:
        return [str(c) for c in named]
    if train is None and profile is not None:
        return list(profile.meta.features)
    assert train is not None
    reserved = {target, *spec.data.reserved()}
    features = [c for c in train.columns if c not in reserved]
    expected = getattr(estimator, "n_features_in_", None)
    if expected is not None and expected != len(features):
        raise DataError(
            f"the model expects {expected} features but train has {len(features)} candidate "
            "columns and the model does not record their names",
            hint="list them in data.features (in training order) or drop extras via data.drop",
        )
    return features


def _metric(spec: ChecklistSpec, name: str, key: str, task: Task) -> Metric:
    metric = METRICS[name]
    if task not in metric.tasks:
        raise SpecError(
            f"{spec.where('metrics', key)}: metric {name!r} does not apply to a {task} task",
            hint="pick one of " + ", ".join(m for m in METRICS if task in METRICS[m].tasks),
        )
    return metric


def chosen_metrics(
    spec: ChecklistSpec, task: Task, has_scores: bool, notes: list[str]
) -> tuple[Metric, list[Metric]]:
    """The primary metric (defaulted by task) and the computable extra metrics."""
    name = spec.metrics.primary
    if name is None:
        name = DEFAULT_PRIMARY[task]
        if METRICS[name].needs != "label" and not has_scores:
            name = "accuracy"  # the model gives no scores to rank by
    elif METRICS[name].needs != "label" and not has_scores:
        raise SpecError(
            f"{spec.where('metrics', 'primary')}: metrics.primary {name!r} needs the model's "
            "scores, and there are none: the model has no predict_proba or decision_function "
            "(or, in predictions-only mode, data.score names no column)",
            hint="set data.score to the score column, or choose a metric of labels such as "
            "accuracy or f1",
        )
    extra = [_metric(spec, m, "extra", task) for m in spec.metrics.extra if m != name]
    if not has_scores:
        for metric in (m for m in extra if m.needs != "label"):
            notes.append(f"metric {metric.name} left out: the model gives no scores")
        extra = [m for m in extra if m.needs == "label"]
    return _metric(spec, name, "primary", task), extra


def categorical_features(
    spec: ChecklistSpec, train: pd.DataFrame | None, features: list[str], profile: Profile | None
) -> list[str]:
    """The features read as categories: the checklist's, else the profile's, else those of
    a non-numeric (or boolean) dtype in train."""
    if spec.data.categorical is not None:
        return list(spec.data.categorical)
    if train is None:
        assert profile is not None
        return [c for c in profile.meta.categorical if c in features]
    # Read once: taking 10,000 columns out one by one costs seconds.
    dtypes = dict(zip(train.columns, train.dtypes, strict=True))
    return [
        c
        for c in features
        if not pd.api.types.is_numeric_dtype(dtypes[c]) or pd.api.types.is_bool_dtype(dtypes[c])
    ]


def with_normalised_target(splits: dict[str, Split], target: str) -> dict[str, Split]:
    """The splits with whole-number float targets (ints read next to NaN) as integers: new
    Split objects; the frames read from disk are not changed (columns are shared)."""
    fixed = {}
    for name, split in splits.items():
        if target in split.frame.columns:
            frame = split.frame.assign(**{target: normalise_labels(split.frame[target])})
            split = dataclasses.replace(split, frame=frame)
        fixed[name] = split
    return fixed
