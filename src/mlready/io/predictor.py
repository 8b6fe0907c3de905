"""Where predictions come from: a loaded estimator, or precomputed columns.

Both produce a :class:`~mlready.stats.metrics.Prediction` with labels encoded
as integer codes into the audit's class list (classification) so every check
and metric sees one representation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from mlready.errors import DataError, ModelLoadError
from mlready.sandbox.process import SANDBOX_HINT
from mlready.sandbox.remote import model_outputs
from mlready.stats.metrics import Prediction


class Predictor(Protocol):
    """Turns a split's rows into predictions."""

    kind: str

    def predict(self, split: str, frame: pd.DataFrame, features: list[str]) -> Prediction: ...


def encode(values: Any, classes: pd.Index) -> np.ndarray:
    """Integer codes of ``values`` in ``classes`` (-1 for a label not among them)."""
    return np.asarray(classes.get_indexer(pd.Index(values)), dtype=np.int64)


PREDICT_CHUNK_ROWS = 100_000


@dataclass
class UnusableModel:
    """A model that failed in its sandboxed process: every prediction is an error saying why."""

    problem: str
    kind: str = "unusable"

    def predict(self, split: str, frame: pd.DataFrame, features: list[str]) -> Prediction:
        raise ModelLoadError(
            f"no predictions: {self.problem}",
            hint=SANDBOX_HINT,
        )


def output_column(prediction: Prediction, classes: pd.Index | None) -> pd.Series:
    """The model's output as one column named "prediction": the positive class's score,
    a predicted value, or a predicted class (as text). Prediction drift compares it."""
    if classes is None:
        return pd.Series(np.asarray(prediction.label, dtype=float), name="prediction")
    if prediction.score is not None and prediction.score.ndim == 1:
        return pd.Series(prediction.score, name="prediction")
    labels = np.asarray(classes.astype(str))[np.asarray(prediction.label)]
    return pd.Series(labels, name="prediction")


def _class_matrix(proba: np.ndarray, model_classes: Any, classes: pd.Index) -> np.ndarray:
    """Spread the model's probability columns onto the audit's class order."""
    out = np.zeros((proba.shape[0], len(classes)))
    out[:, encode(model_classes, classes)] = proba
    return out


@dataclass
class EstimatorPredictor:
    """Predictions from a scikit-learn-style estimator (predict / predict_proba)."""

    estimator: Any
    classes: pd.Index | None  # None for regression
    kind: str = "estimator"

    def predict(self, split: str, frame: pd.DataFrame, features: list[str]) -> Prediction:
        # In chunks: a model's own working copies (encoded, stacked feature matrices) then
        # cost memory in proportion to a chunk, not to the whole split.
        parts = [
            self._predict(frame.iloc[start : start + PREDICT_CHUNK_ROWS][features])
            for start in range(0, max(len(frame), 1), PREDICT_CHUNK_ROWS)
        ]
        if len(parts) == 1:
            return parts[0]
        label = np.concatenate([p.label for p in parts])
        scores = [p.score for p in parts if p.score is not None]
        if len(scores) < len(parts):
            return Prediction(label=label)
        return Prediction(label=label, score=np.concatenate(scores))

    def _score_method(self) -> str | None:
        """The method whose output scores the classes: probabilities, else (binary) the
        decision function; None for regression or a model with neither."""
        if self.classes is None:
            return None
        if hasattr(self.estimator, "predict_proba"):
            return "predict_proba"
        if hasattr(self.estimator, "decision_function") and len(self.classes) == 2:
            return "decision_function"
        return None

    def _predict(self, X: pd.DataFrame) -> Prediction:
        scored_by = self._score_method()
        methods = ("predict",) if scored_by is None else ("predict", scored_by)
        outputs = model_outputs(self.estimator, X, methods)
        raw = outputs["predict"]
        if self.classes is None:
            return Prediction(label=raw.astype(float))
        score = None if scored_by is None else self._scores(scored_by, outputs[scored_by])
        return Prediction(label=encode(raw, self.classes), score=score)

    def _scores(self, method: str, output: np.ndarray) -> np.ndarray | None:
        assert self.classes is not None
        # Read after predicting: an ONNX graph's classes are known once it has predicted.
        model_classes = getattr(self.estimator, "classes_", None)
        if model_classes is None:
            return None
        if method == "predict_proba":
            proba = _class_matrix(output, model_classes, self.classes)
            return proba[:, 1] if len(self.classes) == 2 else proba
        decision = np.asarray(output, dtype=float)
        # decision_function scores the model's second class; flip if that is not ours.
        same = encode(model_classes[1:2], self.classes)[0] == 1
        return decision if same else -decision


@dataclass
class ColumnPredictor:
    """Predictions-only mode: predictions (and scores) precomputed in each split."""

    prediction: str
    score: str | None
    classes: pd.Index | None
    kind: str = "predictions"

    def predict(self, split: str, frame: pd.DataFrame, features: list[str]) -> Prediction:
        for column in (self.prediction, self.score):
            if column is not None and column not in frame.columns:
                raise DataError(
                    f"the {split} split has no column {column!r}",
                    hint="predictions-only mode needs it in every split it scores",
                )
        values = frame[self.prediction].to_numpy()
        score = None
        if self.score is not None:
            score = pd.to_numeric(frame[self.score], errors="coerce").to_numpy(dtype=float)
        if self.classes is None:
            return Prediction(
                label=pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
            )
        codes = encode(values, self.classes)
        if (codes < 0).any():
            unknown = sorted({str(v) for v in values[codes < 0]})[:5]
            raise DataError(
                f"{split}: column {self.prediction!r} holds labels that are not "
                f"classes of the target: {', '.join(unknown)}"
            )
        return Prediction(label=codes, score=score)
