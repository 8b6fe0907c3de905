"""The audit context: everything a check needs, prepared once and shared.

It holds the splits, the resolved target, task, classes and feature columns,
where predictions come from, and the seed. Predictions are memoised so that
each model prediction on a split is computed once for all checks.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import is_classifier, is_regressor

from mlready.errors import DataError, MlreadyError, SpecError
from mlready.io.data import Split
from mlready.io.model import LoadedModel
from mlready.io.predictor import (
    ColumnPredictor,
    EstimatorPredictor,
    Predictor,
    encode,
    output_column,
)
from mlready.io.profile import Profile
from mlready.io.streamed import Engine, SketchPlan, StreamedBatch
from mlready.results import AuditReport, CheckResult
from mlready.sandbox.process import SandboxSettings
from mlready.spec import ChecklistSpec
from mlready.stats.drift import Reference
from mlready.stats.metrics import DEFAULT_PRIMARY, METRICS, Metric, Prediction, Task

# Integer-valued targets with at most this many distinct values are taken as classes.
_MAX_INFERRED_CLASSES = 20
# The end of a timestamp written with its UTC offset (Z, +02:00, -0500 or +05) after a
# time of day: a date alone (2024-05-01) ends in digits that would look like an offset.
_OFFSET = r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"
# A categorical feature with a distinct value in at least this share of at least this many
# train rows is an identifier (a few rows of free text are naturally all distinct).
_ID_DISTINCT_SHARE = 0.95
_MIN_ID_ROWS = 100
_EMPTY_TARGET_HINT = (
    "fill in the labels, or name the right column with --target or data.target "
    "(only production may be unlabelled)"
)


@dataclass
class AuditContext:
    """Shared, read-only inputs of every check (plus memoised predictions)."""

    spec: ChecklistSpec
    splits: dict[str, Split]
    task: Task
    target: str
    features: list[str]
    categorical: list[str]
    classes: pd.Index | None
    predictor: Predictor
    primary: Metric
    extra_metrics: list[Metric]
    seed: int
    notes: list[str] = field(default_factory=list)
    loaded_model: LoadedModel | None = None  # None in predictions-only mode
    quick: bool = False  # a faster, rougher run (CI): checks may measure less
    today: dt.date = field(default_factory=dt.date.today)  # dates waivers and answers
    previous: AuditReport | None = None  # the --compare-to report
    results: list[CheckResult] = field(default_factory=list)  # checks run so far, in order
    profile: Profile | None = None  # train's reference statistics (--profile)
    engine: Engine | None = None  # streams production instead of reading it (--engine)
    production_files: tuple[Path, ...] = ()  # production's batch files, when streamed
    model_problem: str | None = None  # why the model cannot be used (it failed in its process)
    sandbox: SandboxSettings | None = None  # how model files run; None: in-process
    _predictions: dict[str, Prediction] = field(default_factory=dict, repr=False)
    _labelled: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _references: dict[str, Reference] = field(default_factory=dict, repr=False)
    _streamed: dict[str, list[StreamedBatch]] = field(default_factory=dict, repr=False)

    @property
    def is_classification(self) -> bool:
        return self.task != "regression"

    def has_labels(self, split: str) -> bool:
        """Whether ``split`` was given and has at least one row with a known target."""
        frame = self.splits[split].frame if split in self.splits else None
        return frame is not None and self.target in frame and bool(frame[self.target].notna().any())

    def labelled(self, split: str) -> pd.DataFrame:
        """Rows of ``split`` whose target is known (computed once)."""
        if split not in self._labelled:
            frame = self.splits[split].frame
            if self.target not in frame.columns:
                raise DataError(f"the {split} split has no target column {self.target!r}")
            known = frame[self.target].notna()
            # All labelled (train, test): the frame itself, not a copy of every row.
            self._labelled[split] = frame if known.all() else frame[known]
        return self._labelled[split]

    def column(self, split: str, name: str) -> pd.Series:
        """Column ``name`` of the labelled rows of ``split``."""
        frame = self.labelled(split)
        if name not in frame.columns:
            raise DataError(f"{self.splits[split].path}: the {split} split has no column {name!r}")
        return frame[name]

    def times(self, split: str, all_rows: bool = False) -> pd.Series:
        """The ``data.time`` column of the labelled (or all) rows, as UTC timestamps."""
        name = self.spec.data.time
        if name is None:
            raise DataError("no time column is configured", hint="set data.time")
        frame = self.splits[split].frame if all_rows else self.labelled(split)
        if name not in frame.columns:
            raise DataError(f"{self.splits[split].path}: the {split} split has no column {name!r}")
        return utc_timestamps(frame[name], f"{self.splits[split].path}: column {name!r}")

    def X(self, split: str) -> pd.DataFrame:
        """Feature columns of the labelled rows of ``split``."""
        return self.labelled(split)[self.features]

    def y(self, split: str) -> np.ndarray:
        """Target of the labelled rows: class codes (classification) or floats."""
        values = self.labelled(split)[self.target]
        if self.classes is None:
            return values.to_numpy(dtype=float)
        return encode(values, self.classes)

    def prediction(self, split: str, all_rows: bool = False) -> Prediction:
        """The model's predictions on the labelled (or all) rows of ``split``. The model
        scores every row of a split once; the labelled rows are a subset of that."""
        if split not in self._predictions:
            frame = self.splits[split].frame
            try:
                self._predictions[split] = self.predictor.predict(split, frame, self.features)
            except MlreadyError:
                raise
            except Exception as exc:  # the model's own code failed on these rows
                raise DataError(
                    f"{self.splits[split].path}: the model failed to predict the {split} "
                    f"split: {type(exc).__name__}: {exc}",
                    hint=_predict_hint(frame[self.features]),
                ) from exc
        every = self._predictions[split]
        frame = self.splits[split].frame
        if all_rows:
            return every
        if self.target not in frame.columns:
            self.labelled(split)  # raises: the split has no target column
        key = f"{split}:labelled"
        if key not in self._predictions:
            labelled = frame[self.target].notna().to_numpy()
            self._predictions[key] = (
                every if labelled.all() else every.take(np.flatnonzero(labelled))
            )
        return self._predictions[key]

    @property
    def has_production(self) -> bool:
        """Whether production data was given, read into memory or to be streamed."""
        return "production" in self.splits or bool(self.production_files)

    def streamed(self, reference: str) -> list[StreamedBatch]:
        """Production's batch files, each summarised by the engine against ``reference``
        (features on its quantile edges, the model's outputs, labelled targets); once."""
        if reference not in self._streamed:
            assert self.engine is not None
            plan = SketchPlan.of(
                self.reference(reference),
                self.output_reference(reference),
                self.target_reference(reference),
                self.predictor,
                self.classes,
            )
            self._streamed[reference] = self.engine.run(list(self.production_files), plan)
        return self._streamed[reference]

    @property
    def streamed_rows(self) -> int:
        """Production rows the engine has summarised (0 until a check streamed them)."""
        batches = next(iter(self._streamed.values()), [])
        return sum(batch.sketch.features.rows for batch in batches)

    def has_reference(self, split: str) -> bool:
        """Whether ``split`` can be compared against: read, or train given as a profile."""
        return split in self.splits or (split == "train" and self.profile is not None)

    def _from_profile(self, split: str) -> Profile | None:
        return self.profile if split == "train" else None

    def reference(self, split: str) -> Reference:
        """The drift engine's prepared sample of ``split``'s features (each numeric column
        sorted once), shared by every check that compares against it. Train's comes from
        the profile when one was given."""
        key = f"reference:{split}"
        if key not in self._references:
            profile = self._from_profile(split)
            self._references[key] = (
                profile.features(self.features)
                if profile is not None
                else Reference.of(self.splits[split].frame, self.features, self.categorical)
            )
        return self._references[key]

    def target_reference(self, split: str) -> Reference:
        """The target's distribution in the labelled rows of ``split``."""
        profile = self._from_profile(split)
        if profile is not None:
            return profile.target
        categorical = [self.target] if self.is_classification else []
        return Reference.of(self.labelled(split)[[self.target]], [self.target], categorical)

    def output(self, split: str, all_rows: bool = False) -> pd.Series:
        """The model's output on the labelled (or all) rows of ``split`` as one column
        (see :func:`~mlready.io.predictor.output_column`)."""
        return output_column(self.prediction(split, all_rows=all_rows), self.classes)

    def output_reference(self, split: str) -> Reference | None:
        """The distribution of the model's outputs on the labelled rows of ``split``; None
        when train is a profile made without this model."""
        profile = self._from_profile(split)
        if profile is None:
            output = self.output(split)
            categorical = [] if pd.api.types.is_numeric_dtype(output) else ["prediction"]
            return Reference.of(output.to_frame(), ["prediction"], categorical)
        model = self.loaded_model.sha256 if self.loaded_model else None
        if profile.predictions is None or profile.meta.model_sha256 != model:
            return None
        return profile.predictions

    def rng(self, key: str) -> np.random.Generator:
        """A generator seeded by the audit seed and ``key``: a check's draws do not
        depend on which other checks ran."""
        return np.random.default_rng([self.seed, zlib.crc32(key.encode())])


def utc_timestamps(values: pd.Series, where: str) -> pd.Series:
    """Timestamps as one UTC time line: values written with different UTC offsets are
    converted to UTC. Raises :class:`DataError` (naming ``where``) for values that are not
    timestamps, and for text that mixes values with an offset and values without one: a
    value without an offset could be in any time zone, and reading it as UTC would shift
    it by hours, silently, and reorder the rows around it."""
    _check_offsets(values, where)
    try:
        return pd.to_datetime(values, utc=True, format="mixed")
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"{where} is not a timestamp: {exc}",
            hint="use ISO 8601 timestamps (2024-05-01 or 2024-05-01T12:00:00Z)",
        ) from None


def _check_offsets(values: pd.Series, where: str) -> None:
    """Raise :class:`DataError` when text timestamps are written some with a UTC offset and
    some without (see :func:`utc_timestamps`); parsed or numeric columns have no offsets
    to mix."""
    if not (pd.api.types.is_datetime64_any_dtype(values) or pd.api.types.is_numeric_dtype(values)):
        text = values.dropna().astype(str).str.strip()
        with_offset = text.str.contains(_OFFSET, regex=True).to_numpy(dtype=bool)
        if with_offset.any() and not with_offset.all():
            first = int(np.argmax(~with_offset))
            row = int(np.flatnonzero(values.notna().to_numpy())[first]) + 1
            raise DataError(
                f"{where} mixes timestamps with a UTC offset and without one ("
                f"{int((~with_offset).sum())} without, e.g. {text.iloc[first]!r} in data row "
                f"{row}), so their order is unknown",
                hint="write every value with an offset (2024-05-01T12:00:00+02:00, or Z for "
                "UTC), or every value without one",
            )


def _check_times(spec: ChecklistSpec, splits: dict[str, Split]) -> None:
    """No split's data.time column mixes values with and without a UTC offset: the order of
    its rows, which the checks rely on, would be a guess. (A value that is no timestamp at
    all is reported by the checks that read the column.)"""
    name = spec.data.time
    if name is None:
        return
    for split in splits.values():
        if name in split.frame.columns:
            _check_offsets(
                split.frame[name],
                f"{split.path}: column {name!r} (data.time, {spec.where('data', 'time')})",
            )


def _predict_hint(X: pd.DataFrame) -> str:
    """What to do when the model raised: infinite values are the usual cause."""
    numeric = X.select_dtypes("number")
    infinite = [
        str(c)
        for c in numeric.columns
        if np.isinf(numeric[c].to_numpy(float, na_value=np.nan)).any()
    ]
    if infinite:
        return (
            f"columns with infinite values: {', '.join(infinite[:10])}; replace them, or "
            "add a step to the model's pipeline that handles them"
        )
    return "check that the model runs on this split's feature columns (dtypes, values)"


def _normalise_labels(values: pd.Series) -> pd.Series:
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


def _classes(
    splits: dict[str, Split], target: str, estimator: Any, positive: Any, known: list[Any]
) -> pd.Index:
    """Sorted class labels seen in the model, any labelled split or ``known`` (a profile's);
    positive class last."""
    labels: set[Any] = set(known)
    for split in splits.values():
        if target in split.frame.columns:
            labels.update(_normalise_labels(split.frame[target]).dropna().unique().tolist())
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


def _target_name(splits: dict[str, Split], declared: str | None, profile: Profile | None) -> str:
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


def _feature_columns(
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


def _check_columns(
    splits: dict[str, Split],
    features: list[str],
    target: str,
    ignored: set[str],
    notes: list[str],
) -> None:
    used = {*features, target, *ignored}  # built once: a set per column is quadratic
    for split in splits.values():
        columns = set(split.frame.columns)
        extra = [c for c in split.frame.columns if c not in used]
        if extra:
            notes.append(
                f"{split.name}: columns the model does not use: "
                f"{', '.join(extra[:10])}{' …' if len(extra) > 10 else ''}"
            )
        missing = [c for c in features if c not in columns]
        if missing:
            raise DataError(
                f"{split.path}: the {split.name} split lacks columns the model needs: "
                f"{', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}",
                hint="re-export the split with every feature column",
            )
        if split.name != "production" and target not in columns:
            raise DataError(
                f"{split.path}: the {split.name} split has no target column {target!r}",
                hint="every labelled split needs the target",
            )
        missing_everywhere = split.frame.isna().all()  # one pass, not one per column
        all_missing = set(missing_everywhere.index[missing_everywhere.to_numpy()])
        empty = [c for c in features if c in all_missing]
        if empty:
            notes.append(f"{split.name}: columns with no values at all: {', '.join(empty)}")
        if target in columns:
            values = split.frame[target]
            if values.isna().all():
                if split.name != "production":
                    raise DataError(
                        f"{split.path}: target column {target!r} has no values",
                        hint=_EMPTY_TARGET_HINT,
                    )
                notes.append("production: no label has arrived yet (the target column is empty)")
            elif values.isna().any():
                notes.append(
                    f"{split.name}: {int(values.isna().sum())} rows without a target "
                    "were left out of the metrics"
                )


def _identifier_notes(train: pd.DataFrame, categorical: list[str]) -> list[str]:
    """A note per categorical feature whose train values are (almost) all distinct: an
    identifier, not a category. The checks cap the levels they keep, so such a column costs
    no more than any other; the note says why its statistics carry nothing."""
    notes = []
    for column in categorical:
        present = train[column].dropna()
        if len(present) < _MIN_ID_ROWS:
            continue
        distinct = int(present.nunique())
        if distinct >= _ID_DISTINCT_SHARE * len(present):
            notes.append(
                f"train: feature {column!r} has {distinct:,} distinct values in {len(present):,} "
                "rows: no category but an identifier (or a timestamp, or free text). The checks "
                "keep its most frequent levels and pool the rest, so its drift and "
                "distribution statistics say little (new values in test and production are "
                "expected); a model that uses it as a category can memorise rows: drop it "
                "from the features, or name it in data.id"
            )
    return notes


def _check_named_columns(spec: ChecklistSpec, splits: dict[str, Split]) -> None:
    """Columns the checklist names (id, time, weights, slices) must exist in train."""
    data = spec.data
    slices = [s if isinstance(s, str) else s.column for s in data.slices or []]
    named: dict[str, list[str | None]] = {
        "data.id": [data.id],
        "data.time": [data.time],
        "data.sample_weight": [data.sample_weight],
        "data.slices": list(slices),
    }
    if "train" not in splits:
        return  # train is a profile: the checklist was checked when it was made
    train = splits["train"]
    for key, columns in named.items():
        for column in columns:
            if column is not None and column not in train.frame.columns:
                raise DataError(
                    f"{train.path}: column {column!r} named in {key} is not in train",
                    hint=f"fix {key} in {spec.where(*key.split('.'))}",
                )


def _check_classes(splits: dict[str, Split], target: str) -> None:
    train = splits["train"]
    levels = train.frame[target].dropna().unique()
    if len(levels) == 0:
        raise DataError(
            f"{train.path}: target column {target!r} has no values", hint=_EMPTY_TARGET_HINT
        )
    if len(levels) < 2:
        raise DataError(
            f"{train.path}: target {target!r} has a single class ({levels[0]!r}) in train",
            hint="a classifier needs at least two classes; check the split and the target",
        )


def _metric(spec: ChecklistSpec, name: str, key: str, task: Task) -> Metric:
    metric = METRICS[name]
    if task not in metric.tasks:
        raise SpecError(
            f"{spec.where('metrics', key)}: metric {name!r} does not apply to a {task} task",
            hint="pick one of " + ", ".join(m for m in METRICS if task in METRICS[m].tasks),
        )
    return metric


def _chosen_metrics(
    spec: ChecklistSpec, task: Task, has_scores: bool, notes: list[str]
) -> tuple[Metric, list[Metric]]:
    """The primary metric (defaulted by task) and the computable extra metrics."""
    name = spec.metrics.primary
    if name is None:
        name = DEFAULT_PRIMARY[task]
        if METRICS[name].needs != "label" and not has_scores:
            name = "accuracy"  # the model gives no scores to rank by
    extra = [_metric(spec, m, "extra", task) for m in spec.metrics.extra if m != name]
    if not has_scores:
        for metric in (m for m in extra if m.needs != "label"):
            notes.append(f"metric {metric.name} left out: the model gives no scores")
        extra = [m for m in extra if m.needs == "label"]
    return _metric(spec, name, "primary", task), extra


def _check_profile(profile: Profile, target: str, features: list[str]) -> None:
    """The profile must describe this model's training data: its target and features."""
    if profile.meta.target != target:
        raise DataError(
            f"{profile.path}: the profile's target is {profile.meta.target!r}, not {target!r}",
            hint="remake the profile with the audit's target (mlready profile --target)",
        )
    profile.features(features)  # raises naming a feature the profile lacks


def build_context(
    spec: ChecklistSpec,
    splits: dict[str, Split],
    loaded: LoadedModel | None,
    target: str | None,
    seed: int,
    quick: bool = False,
    today: dt.date | None = None,
    profile: Profile | None = None,
) -> AuditContext:
    """Resolve target, task, classes and features, and check every split fits them.

    With a ``profile``, train's statistics come from it; train itself may then be absent
    (monitoring), and its schema (target, task, classes, features) is the profile's.
    """
    estimator = loaded.estimator if loaded else None
    target_name = _target_name(splits, target or spec.data.target, profile)
    for split in splits.values():
        if target_name in split.frame.columns:
            split.frame[target_name] = _normalise_labels(split.frame[target_name])
    train = splits["train"].frame if "train" in splits else None
    if train is not None:
        kind = infer_task(train[target_name], estimator, spec.task)
    else:
        assert profile is not None
        kind = infer_task(pd.Series(dtype=float), estimator, spec.task or profile.meta.task)
    classes = None
    if kind == "classification":
        if train is not None:
            _check_classes(splits, target_name)
        known = list(profile.meta.classes or []) if profile is not None else []
        classes = _classes(splits, target_name, estimator, spec.data.positive_label, known)
    task: Task = (
        "regression" if classes is None else ("binary" if len(classes) == 2 else "multiclass")
    )
    features = _feature_columns(spec, train, target_name, estimator, profile)
    if profile is not None:
        _check_profile(profile, target_name, features)
    notes: list[str] = []
    _check_columns(splits, features, target_name, spec.data.reserved(), notes)
    _check_named_columns(spec, splits)
    _check_times(spec, splits)
    predictor: Predictor
    if spec.data.prediction is not None:
        predictor = ColumnPredictor(spec.data.prediction, spec.data.score, classes)
        has_scores = spec.data.score is not None
    else:
        predictor = EstimatorPredictor(estimator, classes)
        has_scores = any(hasattr(estimator, m) for m in ("predict_proba", "decision_function"))
    primary, extra_metrics = _chosen_metrics(spec, task, has_scores, notes)
    categorical = spec.data.categorical
    if categorical is None and train is None:
        assert profile is not None
        categorical = [c for c in profile.meta.categorical if c in features]
    elif categorical is None:
        assert train is not None
        # Read once: taking 10,000 columns out one by one costs seconds.
        dtypes = dict(zip(train.columns, train.dtypes, strict=True))
        categorical = [
            c
            for c in features
            if not pd.api.types.is_numeric_dtype(dtypes[c]) or pd.api.types.is_bool_dtype(dtypes[c])
        ]
    if train is not None:
        notes += _identifier_notes(train, [c for c in categorical if c in features])
    return AuditContext(
        spec=spec,
        splits=splits,
        task=task,
        target=target_name,
        features=features,
        categorical=list(categorical),
        classes=classes,
        predictor=predictor,
        primary=primary,
        extra_metrics=extra_metrics,
        seed=seed,
        notes=notes,
        loaded_model=loaded,
        quick=quick,
        today=today or dt.date.today(),
        profile=profile,
    )
