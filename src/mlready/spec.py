"""The checklist file (``checklist.yaml``): pydantic models and loading.

Unknown keys are errors (with a "did you mean" suggestion) and every error
names the file, the line and the key, because a typo in a gate's config must
never silently turn a check off. Paths in the spec are relative to the spec
file, so the same checklist works from any working directory.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from mlready.errors import SpecError
from mlready.results import Severity
from mlready.stats.metrics import METRICS

if TYPE_CHECKING:
    import pandas as pd

M = TypeVar("M", bound=BaseModel)

SPLIT_NAMES = ("train", "test", "validation", "production")
Window = Literal["day", "week", "month", "quarter"]  # calendar windows of data.time


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SplitNames(_Strict):
    """Where each split lives inside the data folder: a file stem, a file name or a folder."""

    train: str = Field("train", description="Training split (required).")
    test: str = Field("test", description="Test split (required).")
    validation: str = Field("validation", description="Validation split (optional).")
    production: str = Field(
        "production", description="Production data (optional): a file or a folder of batch files."
    )


class SliceSpec(_Strict):
    """A column to slice metrics by; numeric columns are binned."""

    column: str = Field(description="Column to slice by.")
    edges: list[float] | None = Field(
        None, description="Bin edges for a numeric column (e.g. [18, 30, 45, 65])."
    )
    quantiles: int | None = Field(
        None, ge=2, le=20, description="Number of quantile bins for a numeric column."
    )


class DataSpec(_Strict):
    """Which columns mean what, and where the splits are."""

    dir: str | None = Field(
        None, description="Folder holding the splits, relative to this file (--data overrides)."
    )
    target: str | None = Field(
        None, description="Target column (--target overrides; default: a column named 'target')."
    )
    splits: SplitNames = Field(default_factory=SplitNames, description="Split locations.")
    features: list[str] | None = Field(
        None,
        description="Feature columns (default: the model's feature_names_in_, else every "
        "column that is not the target, a prediction/score column or dropped).",
    )
    categorical: list[str] | None = Field(
        None, description="Categorical feature columns (default: inferred from dtypes)."
    )
    drop: list[str] = Field(
        default_factory=list, description="Columns to ignore (ids, timestamps, free text)."
    )
    prediction: str | None = Field(
        None,
        description="Predictions-only mode: column holding the model's precomputed predictions.",
    )
    score: str | None = Field(
        None, description="Predictions-only mode: column holding the positive-class score."
    )
    positive_label: str | int | float | bool | None = Field(
        None, description="Positive class for binary metrics (default: the larger label)."
    )
    id: str | None = Field(None, description="Row id column (never a feature).")
    time: str | None = Field(
        None, description="Timestamp column, for per-window metrics and temporal leakage."
    )
    sample_weight: str | None = Field(
        None, description="Column of the sample weights used in training (never a feature)."
    )
    sensitive: list[str | SliceSpec] | None = Field(
        None,
        description="Sensitive attributes for the fairness check (e.g. [sex, {column: age, "
        "edges: [30, 50]}]); numeric columns are binned.",
    )
    label_time: str | None = Field(
        None,
        description="Column holding when each label arrived; with data.time it gives the "
        "label delay (ground_truth check).",
    )
    labels_from: list[str] | None = Field(
        None,
        min_length=2,
        max_length=2,
        description="Two columns with labels from different annotators: their agreement "
        "(Cohen's kappa) is the human accuracy the model is compared with.",
    )
    slices: list[str | SliceSpec] | None = Field(
        None,
        description="Columns to report metrics by (e.g. [region, {column: age, edges: [30, 50]}])"
        "; default: the worst slices are searched for automatically.",
    )

    def reserved(self) -> set[str]:
        """Columns that are never model features."""
        named = (
            self.prediction,
            self.score,
            self.id,
            self.time,
            self.sample_weight,
            self.label_time,
            *(self.labels_from or ()),
        )
        return {c for c in named if c is not None} | set(self.drop)


class MetricsSpec(_Strict):
    """The metrics the model is judged by."""

    primary: str | None = Field(
        None,
        description="Primary metric (default: roc_auc binary, f1_macro multiclass, rmse "
        "regression). One of: " + ", ".join(METRICS) + ".",
    )
    extra: list[str] = Field(default_factory=list, description="Further metrics to report.")

    @field_validator("primary")
    @classmethod
    def _known_primary(cls, name: str | None) -> str | None:
        if name is not None:
            _require_metric(name)
        return name

    @field_validator("extra")
    @classmethod
    def _known_extra(cls, names: list[str]) -> list[str]:
        for name in names:
            _require_metric(name)
        return names


def _require_metric(name: str) -> None:
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}{suggest(name, list(METRICS))}")


class ModelSpec(_Strict):
    """How far the model file is trusted."""

    sha256: str | None = Field(
        None,
        pattern=r"^[0-9a-fA-F]{64}$",
        description="Pinned sha256 of the model file: a file with this digest skips the name "
        "scan (it still runs in its sandbox).",
    )
    allow: list[str] = Field(
        default_factory=list,
        description="Modules whose own classes and functions a pickled model may reference, by "
        "exact name (e.g. my_pkg.features); their submodules and what they import are not "
        "admitted.",
    )
    sandbox: Literal["best-effort", "required"] = Field(
        "best-effort",
        description="required: the audit stops (exit 2) unless every layer of the model's "
        "sandbox is in force on this machine; best-effort: a missing layer is a warning.",
    )


class LimitsSpec(_Strict):
    """Goals and hard limits for performance, speed and cost (checklist question 6).

    Performance, speed and cost each need one limit for the question to be answered
    (:data:`mlready.limits.LIMIT_GROUPS`)."""

    p95_latency_ms: float | None = Field(None, gt=0, description="Single-row p95 latency, ms.")
    p99_latency_ms: float | None = Field(None, gt=0, description="Single-row p99 latency, ms.")
    min_throughput_rps: float | None = Field(
        None, gt=0, description="Batch throughput, rows per second, at the largest batch size."
    )
    max_memory_mb: float | None = Field(
        None, gt=0, description="Extra memory of predicting the test sample in one batch, MB."
    )
    max_model_size_mb: float | None = Field(None, gt=0, description="Model file size, MB.")
    max_cost_per_1k: float | None = Field(
        None, gt=0, description="Cost of 1,000 predictions, in the currency of cost.per_hour."
    )
    min_primary_metric: float | None = Field(
        None, description="Performance goal: the primary metric on test (for errors: a maximum)."
    )


class CostSpec(_Strict):
    """What serving costs, to turn throughput into a price per prediction."""

    per_hour: float | None = Field(None, gt=0, description="Price of the serving machine per hour.")
    mode: Literal["batch", "online"] = Field(
        "batch",
        description="batch: priced at batch throughput; online: at single-row latency.",
    )


class Waiver(_Strict):
    """An accepted failure: shown as waived, not failing the build until it expires."""

    reason: str = Field(min_length=1, description="Why the failure is accepted for now.")
    owner: str = Field(min_length=1, description="Who accepted it.")
    expires: dt.date = Field(description="Last day the waiver holds (YYYY-MM-DD).")

    @field_validator("reason", "owner")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class CheckConfig(BaseModel):
    """A ``checks.<id>`` section: switches common to every check plus its own options."""

    model_config = ConfigDict(extra="allow")

    enabled: bool = Field(True, description="Run this check.")
    severity: Severity = Field(
        "fail", description="fail: a failure fails the build; warn: it only warns."
    )
    waive: Waiver | None = Field(
        None, description="Accept a failure until a date: {reason, owner, expires}."
    )

    def options(self) -> dict[str, Any]:
        """The check-specific options (everything but ``enabled``/``severity``/``waive``)."""
        return dict(self.model_extra or {})


class WrittenAnswer(_Strict):
    """A person's answer to a part of the checklist no data can answer."""

    answer: str | None = Field(None, description="The answer, in a few sentences.")
    owner: str = Field(min_length=1, description="Who answers for it (name or e-mail).")
    evidence: str | None = Field(None, description="Link or path to the evidence.")
    date: dt.date = Field(description="When it was answered (YYYY-MM-DD).")
    not_applicable: bool = Field(False, description="true: the topic does not apply (say why).")
    reason: str | None = Field(None, description="Why it does not apply.")
    max_age_days: int | None = Field(
        None, ge=1, description="Stale after this many days (default: answer_rules)."
    )

    @model_validator(mode="after")
    def _reasoned(self) -> WrittenAnswer:
        if self.not_applicable and not (self.reason and self.reason.strip()):
            raise ValueError("'not applicable' needs a reason: say why in reason")
        return self


class AnswerRules(_Strict):
    """Which written answers an audit requires, and how old they may be."""

    required: list[str] = Field(
        default_factory=lambda: ["integration", "ethics_review"],
        description="Topics that must be answered (see 'answers').",
    )
    max_age_days: int = Field(365, ge=1, description="An older answer is stale.")
    severity: Severity = Field(
        "warn", description="What a missing, empty or stale required answer does to the build."
    )

    @field_validator("required")
    @classmethod
    def _known(cls, topics: list[str]) -> list[str]:
        from mlready.answers import TOPICS

        for topic in topics:
            if topic not in TOPICS:
                raise ValueError(f"unknown topic {topic!r}{suggest(topic, list(TOPICS))}")
        return topics


class ChecklistSpec(_Strict):
    """The whole checklist file."""

    version: Literal[1] = Field(1, description="Checklist format version.")
    task: Literal["classification", "regression"] | None = Field(
        None, description="classification or regression (default: inferred from model/target)."
    )
    seed: int = Field(0, description="Seed for every random draw (bootstrap, baselines).")
    data: DataSpec = Field(default_factory=DataSpec, description="Data columns and splits.")
    metrics: MetricsSpec = Field(default_factory=MetricsSpec, description="Metrics.")
    model: ModelSpec = Field(default_factory=ModelSpec, description="Model file trust.")
    limits: LimitsSpec = Field(
        default_factory=LimitsSpec, description="Goals and hard limits (question 6)."
    )
    cost: CostSpec = Field(default_factory=CostSpec, description="Serving cost.")
    answers: dict[str, WrittenAnswer] = Field(
        default_factory=dict,
        description="Written answers by topic: ground_truth_process, data_lineage, goals, "
        "integration, drift_strategy, monitoring_plan, ethics_review.",
    )
    answer_rules: AnswerRules = Field(
        default_factory=AnswerRules, description="Required answers and their maximum age."
    )
    checks: dict[str, CheckConfig] = Field(
        default_factory=dict, description="Per-check settings, by check id."
    )

    @field_validator("answers")
    @classmethod
    def _known_topics(cls, answers: dict[str, WrittenAnswer]) -> dict[str, WrittenAnswer]:
        from mlready.answers import TOPICS

        for topic in answers:
            if topic not in TOPICS:
                raise ValueError(f"unknown topic {topic!r}{suggest(topic, list(TOPICS))}")
        return answers

    _source: Path | None = PrivateAttr(default=None)
    _lines: dict[tuple[str, ...], int] = PrivateAttr(default_factory=dict)

    @property
    def source(self) -> Path | None:
        """The file this spec was read from (None for built-in defaults)."""
        return self._source

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in the spec are resolved against."""
        return self._source.parent if self._source else Path.cwd()

    def line(self, *key: str) -> int | None:
        """The line of the checklist file that sets ``key`` exactly (None: it does not)."""
        return self._lines.get(tuple(key))

    def where(self, *key: str) -> str:
        """``file:line`` of a key (or the file alone), for error messages."""
        if self._source is None:  # built in, or given as a mapping (the Python API)
            return "checklist"
        line = line_of(self._lines, key)
        return f"{self._source}:{line}" if line else str(self._source)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(w|d|h|min|m|s)\s*$", re.IGNORECASE)
_DURATION_UNITS: dict[str, Literal["W", "D", "h", "min", "s"]] = {
    "w": "W",
    "d": "D",
    "h": "h",
    "min": "min",
    "m": "min",
    "s": "s",
}


def parse_duration(text: str) -> pd.Timedelta:
    """A duration such as '36h', '14d', '2w', '15min' (or anything pandas reads); raises
    ValueError naming the expected form, and for zero or negative durations."""
    import pandas as pd  # here, not at the top: reading a checklist must not import pandas

    match = _DURATION.match(text)
    try:
        if match:
            delta = pd.Timedelta(float(match[1]), unit=_DURATION_UNITS[match[2].lower()])
        else:
            delta = pd.Timedelta(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a duration (use e.g. '36h', '14d', '2w')") from None
    if delta <= pd.Timedelta(0):
        raise ValueError(f"{text!r} is not a positive duration")
    return delta


def suggest(word: str, choices: list[str]) -> str:
    """A " (did you mean 'x'?)" suffix for a mistyped name, or an empty string."""
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _key_lines(node: yaml.Node, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """Map every mapping key path in a composed YAML document to its 1-based line."""
    lines: dict[tuple[str, ...], int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, str(key_node.value))
            lines[path] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, path))
    return lines


def _allowed_keys(model: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    """The field names valid at ``path`` inside ``model``, for suggestions."""
    current: Any = model
    for part in path:
        if typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]  # ``part`` is a key of the mapping
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = _model_of(field.annotation)
    return list(getattr(_model_of(current), "model_fields", {}))


def _model_of(annotation: Any) -> Any:
    """The pydantic model inside ``X | None``, else the annotation itself."""
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return annotation
    for arg in typing.get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return annotation


def line_of(lines: dict[tuple[str, ...], int], key: Sequence[str]) -> int | None:
    """Line of ``key`` or, for a key the file leaves out (a required field), of its
    nearest parent that the file has: the place where the missing key belongs."""
    for end in range(len(key), 0, -1):
        if (line := lines.get(tuple(key[:end]))) is not None:
            return line
    return None


def format_validation_error(
    error: ValidationError, where: Any, model: type[BaseModel], prefix: tuple[str, ...] = ()
) -> str:
    """Turn a pydantic error into lines like ``file:12: data.targt: unknown key …``."""
    lines = []
    for item in error.errors():
        loc = tuple(str(p) for p in item["loc"])
        full = (*prefix, *loc)
        key = ".".join(full) or "(top level)"
        if item["type"] == "extra_forbidden":
            hint = suggest(loc[-1], _allowed_keys(model, item["loc"][:-1]))
            message = f"unknown key{hint}"
        else:
            message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{where(*full)}: {key}: {message}")
    return "\n".join(lines)


def read_yaml_model(
    path: Path, model: type[M], kind: str, missing_hint: str
) -> tuple[M, dict[tuple[str, ...], int]]:
    """Read a YAML file into ``model``; raise :class:`SpecError` naming file, line and key.

    Returns the model and the line of every key, for later messages. ``kind`` names the
    file in messages ("checklist", "contract").
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{kind} file {path} does not exist", hint=missing_hint) from None
    except UnicodeDecodeError as exc:
        raise SpecError(
            f"{kind} file {path} is not valid UTF-8 text ({exc.reason})",
            hint="save it as UTF-8",
        ) from None
    except OSError as exc:
        raise SpecError(f"cannot read {kind} file {path}: {exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(f"{place}: YAML syntax error: {problem}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: the {kind} must be a mapping of keys, got {type(raw).__name__}")
    lines = _key_lines(node) if node is not None else {}

    def where(*key: str) -> str:
        line = line_of(lines, key)
        return f"{path}:{line}" if line else str(path)

    try:
        return model.model_validate(raw), lines
    except ValidationError as exc:
        raise SpecError(format_validation_error(exc, where, model)) from None


def load_spec(path: Path) -> ChecklistSpec:
    """Read and validate a checklist file; raise :class:`SpecError` naming line and key."""
    spec, lines = read_yaml_model(
        path, ChecklistSpec, "checklist", missing_hint="run 'mlready init' to write one"
    )
    spec._source = path.resolve()
    spec._lines = lines
    return spec


def default_spec() -> ChecklistSpec:
    """The built-in checklist used when no ``checklist.yaml`` is given or found."""
    return ChecklistSpec()
