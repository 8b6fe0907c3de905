"""The audit context: the read-only view every check uses, built once.

:func:`build_context` receives everything an audit knows (checklist, splits, the model or
why it cannot be used, the engine that streams production, the earlier report), resolves
the target, task, classes, features and metrics (:mod:`mlready.resolve`), stops on input
that does not fit (:mod:`mlready.preflight`), and returns an :class:`AuditContext` that no
one changes afterwards. Checks read the splits through it (labelled rows, features, target,
windows, batches), the model's predictions (computed once per split, also when checks run
in threads), references for the drift engine, and production in memory or streamed alike.
"""

from __future__ import annotations

import datetime as dt
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from mlready import preflight, production, resolve
from mlready.errors import DataError, MlreadyError
from mlready.io.data import Split
from mlready.io.model import LoadedModel, encodes_its_features
from mlready.io.predictor import (
    ColumnPredictor,
    EstimatorPredictor,
    Predictor,
    UnusableModel,
    encode,
    output_column,
)
from mlready.io.profile import Profile
from mlready.io.streamed import Engine, SketchPlan, StreamedBatch
from mlready.production import BatchSource, Summary
from mlready.results import AuditReport
from mlready.sandbox.settings import SandboxSettings
from mlready.spec import ChecklistSpec, Window
from mlready.stats.drift import Reference
from mlready.stats.metrics import Metric, Prediction, Task

T = TypeVar("T")


class _Memo:
    """Values computed once per key, also when checks run in threads (``--jobs``): a
    second thread asking for a key being computed waits for it."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: str, compute: Callable[[], T]) -> T:
        if key not in self._values:
            with self._guard:
                lock = self._locks.setdefault(key, threading.Lock())
            with lock:
                if key not in self._values:
                    self._values[key] = compute()
        value: T = self._values[key]
        return value

    def known(self, prefix: str) -> list[Any]:
        """The values computed so far whose key starts with ``prefix``."""
        return [v for k, v in list(self._values.items()) if k.startswith(prefix)]


@dataclass(frozen=True)
class AuditContext:
    """What every check reads: resolved once by :func:`build_context`, changed by no one."""

    spec: ChecklistSpec
    task: Task
    target: str
    features: list[str]
    categorical: list[str]
    classes: pd.Index | None
    primary: Metric
    extra_metrics: list[Metric]
    seed: int
    predictor: Predictor
    notes: tuple[str, ...] = ()
    loaded_model: LoadedModel | None = None  # None in predictions-only mode
    model_problem: str | None = None  # why the model cannot be used (it failed in its process)
    quick: bool = False  # a faster, rougher run (CI): checks may measure less
    today: dt.date = field(default_factory=dt.date.today)  # dates waivers and answers
    previous: AuditReport | None = None  # the --compare-to report
    profile: Profile | None = None  # train's reference statistics (--profile)
    engine: Engine | None = None  # streams production instead of reading it (--engine)
    production_files: tuple[Path, ...] = ()  # production's batch files, when streamed
    sandbox: SandboxSettings | None = None  # how model files run; None: in-process
    trust_model: bool = False  # --trust-model: model files skip the name scan
    _splits: dict[str, Split] = field(default_factory=dict, repr=False)
    _memo: _Memo = field(default_factory=_Memo, repr=False, compare=False)

    @property
    def is_classification(self) -> bool:
        return self.task != "regression"

    # --- the splits --------------------------------------------------------------------

    @property
    def split_names(self) -> tuple[str, ...]:
        """The splits read into memory, in the order they were found."""
        return tuple(self._splits)

    def has_split(self, split: str) -> bool:
        """Whether ``split`` was read into memory (streamed production is not)."""
        return split in self._splits

    def _split(self, split: str) -> Split:
        if split not in self._splits:
            raise DataError(f"the audit has no {split} split")
        return self._splits[split]

    def frame(self, split: str) -> pd.DataFrame:
        """Every row of ``split``, as read (labelled or not)."""
        return self._split(split).frame

    def split_path(self, split: str) -> Path:
        """The file or folder ``split`` was read from."""
        return self._split(split).path

    def split_sha256(self, split: str) -> str:
        """The digest of ``split``'s bytes, as the report records it."""
        return self._split(split).sha256

    def batch_labels(self, split: str) -> pd.Series | None:
        """Per row, the batch file it came from (a split given as a folder), else None."""
        return self._split(split).batch

    def batch_sources(self, split: str) -> list[BatchSource]:
        """``split``'s batches to hold to a data contract: its batch files (a folder), else
        the split as one batch; streamed production's files, to be read chunk by chunk."""
        if split == "production" and self.engine is not None:
            files = self.production_files
            return [
                BatchSource(path.name if len(files) == 1 else f"production/{path.stem}", path=path)
                for path in files
            ]
        data = self._split(split)
        if data.batch is None:
            return [BatchSource(Path(data.path).name, frame=data.frame)]
        return [
            BatchSource(f"{split}/{batch}", frame=data.frame[(data.batch == batch).to_numpy()])
            for batch in data.batch.unique()
        ]

    def has_labels(self, split: str) -> bool:
        """Whether ``split`` was given and has at least one row with a known target."""
        frame = self._splits[split].frame if split in self._splits else None
        return frame is not None and self.target in frame and bool(frame[self.target].notna().any())

    def labelled(self, split: str) -> pd.DataFrame:
        """Rows of ``split`` whose target is known (computed once)."""

        def compute() -> pd.DataFrame:
            frame = self.frame(split)
            if self.target not in frame.columns:
                raise DataError(f"the {split} split has no target column {self.target!r}")
            known = frame[self.target].notna()
            # All labelled (train, test): the frame itself, not a copy of every row.
            return frame if known.all() else frame[known]

        return self._memo.get(f"labelled:{split}", compute)

    def column(self, split: str, name: str) -> pd.Series:
        """Column ``name`` of the labelled rows of ``split``."""
        frame = self.labelled(split)
        if name not in frame.columns:
            raise DataError(f"{self.split_path(split)}: the {split} split has no column {name!r}")
        return frame[name]

    def times(self, split: str, all_rows: bool = False) -> pd.Series:
        """The ``data.time`` column of the labelled (or all) rows, as UTC timestamps."""
        name = self.spec.data.time
        if name is None:
            raise DataError("no time column is configured", hint="set data.time")
        frame = self.frame(split) if all_rows else self.labelled(split)
        where = self.split_path(split)
        if name not in frame.columns:
            raise DataError(f"{where}: the {split} split has no column {name!r}")
        return preflight.utc_timestamps(frame[name], f"{where}: column {name!r}")

    def X(self, split: str) -> pd.DataFrame:
        """Feature columns of the labelled rows of ``split``."""
        return self.labelled(split)[self.features]

    def y(self, split: str) -> np.ndarray:
        """Target of the labelled rows: class codes (classification) or floats."""
        values = self.labelled(split)[self.target]
        if self.classes is None:
            return values.to_numpy(dtype=float)
        return encode(values, self.classes)

    # --- the model -----------------------------------------------------------------------

    @property
    def estimator(self) -> Any | None:
        """The model, when it can be called (in its sandbox, or in-process with
        ``--isolate off``); None in predictions-only mode or when it failed to load."""
        if self.loaded_model is None or self.model_problem is not None:
            return None
        return self.loaded_model.estimator

    @property
    def model_encodes_features(self) -> bool:
        """Whether the model turns raw features (text, categories) into numbers itself:
        see :func:`mlready.io.model.encodes_its_features`."""
        return self.estimator is not None and encodes_its_features(self.estimator)

    @contextmanager
    def open_model(self, path: Path) -> Iterator[Any]:
        """Another model file (a custom baseline), opened as the audited model is: in its
        sandbox unless ``--isolate off``, by the same name scan, ``model.allow`` and
        ``--trust-model``. The estimator is usable while the block runs."""
        from mlready.sandbox.remote import open_model

        options = {"trust": self.trust_model, "extra_allowed": list(self.spec.model.allow)}
        with open_model(path, options, self.sandbox) as loaded:
            yield loaded.estimator

    def prediction(self, split: str, all_rows: bool = False) -> Prediction:
        """The model's predictions on the labelled (or all) rows of ``split``. The model
        scores every row of a split once; the labelled rows are a subset of that."""
        every = self._memo.get(f"prediction:{split}", lambda: self._predict(split))
        if all_rows:
            return every
        frame = self.frame(split)
        if self.target not in frame.columns:
            self.labelled(split)  # raises: the split has no target column

        def labelled() -> Prediction:
            known = frame[self.target].notna().to_numpy()
            return every if known.all() else every.take(np.flatnonzero(known))

        return self._memo.get(f"prediction:{split}:labelled", labelled)

    def _predict(self, split: str) -> Prediction:
        frame = self.frame(split)
        try:
            return self.predictor.predict(split, frame, self.features)
        except MlreadyError:
            raise
        except Exception as exc:  # the model's own code failed on these rows
            raise DataError(
                f"{self.split_path(split)}: the model failed to predict the {split} "
                f"split: {type(exc).__name__}: {exc}",
                hint=_predict_hint(frame[self.features]),
            ) from exc

    def output(self, split: str, all_rows: bool = False) -> pd.Series:
        """The model's output on the labelled (or all) rows of ``split`` as one column
        (see :func:`~mlready.io.predictor.output_column`)."""
        return output_column(self.prediction(split, all_rows=all_rows), self.classes)

    # --- production ----------------------------------------------------------------------

    @property
    def has_production(self) -> bool:
        """Whether production data was given, read into memory or to be streamed."""
        return "production" in self._splits or bool(self.production_files)

    @property
    def production_streamed(self) -> bool:
        """Whether production is streamed (``--engine``): its rows are never in memory."""
        return self.engine is not None

    def production_windows(self, window: Window) -> tuple[str, Any] | None:
        """Production's batch files, or calendar windows of ``data.time`` (the grouping of
        its rows); None when production is one undated file."""
        return production.windows_of(self, window)

    def production_summary(self, reference: str, window: Window) -> Summary:
        """Production's features, outputs, targets and windows, read into memory or
        summarised from streamed batches against ``reference``."""
        if self.engine is None:
            return production.in_memory(self, window)
        return production.streamed(self, reference)

    def streamed(self, reference: str) -> list[StreamedBatch]:
        """Production's batch files, each summarised by the engine against ``reference``
        (features on its quantile edges, the model's outputs, labelled targets); once."""

        def compute() -> list[StreamedBatch]:
            assert self.engine is not None
            plan = SketchPlan.of(
                self.reference(reference),
                self.output_reference(reference),
                self.target_reference(reference),
                self.predictor,
                self.classes,
            )
            return self.engine.run(list(self.production_files), plan)

        return self._memo.get(f"streamed:{reference}", compute)

    @property
    def streamed_rows(self) -> int:
        """Production rows the engine has summarised (0 until a check streamed them)."""
        batches: list[StreamedBatch] = next(iter(self._memo.known("streamed:")), [])
        return sum(batch.sketch.features.rows for batch in batches)

    # --- references for the drift engine -------------------------------------------------

    def has_reference(self, split: str) -> bool:
        """Whether ``split`` can be compared against: read, or train given as a profile."""
        return split in self._splits or (split == "train" and self.profile is not None)

    def _from_profile(self, split: str) -> Profile | None:
        return self.profile if split == "train" else None

    def reference(self, split: str) -> Reference:
        """The drift engine's prepared sample of ``split``'s features (each numeric column
        sorted once), shared by every check that compares against it. Train's comes from
        the profile when one was given."""

        def compute() -> Reference:
            profile = self._from_profile(split)
            if profile is not None:
                return profile.features(self.features)
            return Reference.of(self.frame(split), self.features, self.categorical)

        return self._memo.get(f"reference:{split}", compute)

    def target_reference(self, split: str) -> Reference:
        """The target's distribution in the labelled rows of ``split``."""
        profile = self._from_profile(split)
        if profile is not None:
            return profile.target
        categorical = [self.target] if self.is_classification else []
        return Reference.of(self.labelled(split)[[self.target]], [self.target], categorical)

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


def _predictor(
    spec: ChecklistSpec, model: LoadedModel | None, problem: str | None, classes: pd.Index | None
) -> tuple[Predictor, bool]:
    """Where predictions come from, and whether they carry scores (a model that could not
    be used is taken to: each of its predictions is an error saying why)."""
    if spec.data.prediction is not None:
        return ColumnPredictor(spec.data.prediction, spec.data.score, classes), (
            spec.data.score is not None
        )
    if problem is not None:
        return UnusableModel(problem), True
    estimator = model.estimator if model else None
    scores = any(hasattr(estimator, m) for m in ("predict_proba", "decision_function"))
    return EstimatorPredictor(estimator, classes), scores


def build_context(
    spec: ChecklistSpec,
    splits: dict[str, Split],
    *,
    model: LoadedModel | None = None,
    model_problem: str | None = None,
    target: str | None = None,
    seed: int | None = None,
    quick: bool = False,
    today: dt.date | None = None,
    profile: Profile | None = None,
    sandbox: SandboxSettings | None = None,
    trust_model: bool = False,
    engine: Engine | None = None,
    production_files: tuple[Path, ...] = (),
    previous: AuditReport | None = None,
) -> AuditContext:
    """Resolve target, task, classes and features, check every split fits them, and
    return the context every check reads. ``model_problem`` says why a model that failed
    in its process cannot be used: every prediction is then an error saying so.

    With a ``profile``, train's statistics come from it; train itself may then be absent
    (monitoring), and its schema (target, task, classes, features) is the profile's.
    """
    estimator = model.estimator if model and model_problem is None else None
    target_name = resolve.target_name(splits, target or spec.data.target, profile)
    splits = resolve.with_normalised_target(splits, target_name)
    train = splits["train"].frame if "train" in splits else None
    if train is not None:
        kind = resolve.infer_task(train[target_name], estimator, spec.task)
    else:
        assert profile is not None
        kind = resolve.infer_task(pd.Series(dtype=float), estimator, spec.task or profile.meta.task)
    classes = None
    if kind == "classification":
        if train is not None:
            preflight.check_classes(splits, target_name)
        known = list(profile.meta.classes or []) if profile is not None else []
        classes = resolve.class_labels(
            splits, target_name, estimator, spec.data.positive_label, known
        )
    task: Task = (
        "regression" if classes is None else ("binary" if len(classes) == 2 else "multiclass")
    )
    features = resolve.feature_columns(spec, train, target_name, estimator, profile)
    if profile is not None:
        preflight.check_profile(profile, target_name, features)
    notes = [f"model not loaded: {model_problem}"] if model_problem else []
    notes += preflight.check_columns(splits, features, target_name, spec.data.reserved())
    preflight.check_named_columns(spec, splits)
    preflight.check_times(spec, splits)
    predictor, has_scores = _predictor(spec, model, model_problem, classes)
    primary, extra_metrics = resolve.chosen_metrics(spec, task, has_scores, notes)
    categorical = resolve.categorical_features(spec, train, features, profile)
    if train is not None:
        notes += preflight.identifier_notes(train, [c for c in categorical if c in features])
    return AuditContext(
        spec=spec,
        task=task,
        target=target_name,
        features=features,
        categorical=categorical,
        classes=classes,
        primary=primary,
        extra_metrics=extra_metrics,
        seed=spec.seed if seed is None else seed,
        predictor=predictor,
        notes=tuple(notes),
        loaded_model=model,
        model_problem=model_problem,
        quick=quick,
        today=today or dt.date.today(),
        previous=previous,
        profile=profile,
        engine=engine,
        production_files=production_files,
        sandbox=sandbox,
        trust_model=trust_model,
        _splits=splits,
    )
