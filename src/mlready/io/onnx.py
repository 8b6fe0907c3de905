"""ONNX models run through onnxruntime behind the scikit-learn surface mlready relies on, so the
exported graph a team serves is audited like the estimator it came from. onnxruntime is imported
only when a session is built: :func:`max_abs_difference` works without the optional extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.metaestimators import available_if

if TYPE_CHECKING:
    from sklearn.utils import Tags

__all__ = ["OnnxModel", "max_abs_difference"]

_DTYPES: dict[str, Any] = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(bool)": np.bool_,
    "tensor(string)": object,
}
_LABEL_TYPES = ("tensor(int64)", "tensor(int32)", "tensor(string)")
_FLOAT_TYPES = ("tensor(float)", "tensor(double)")


def _width(node: Any) -> int | None:
    """The declared number of columns of a ``[n, width]`` input, when fixed."""
    return node.shape[1] if len(node.shape) == 2 and isinstance(node.shape[1], int) else None


def _dtype(node: Any) -> Any:
    if node.type not in _DTYPES:
        raise ValueError(f"input {node.name!r} has type {node.type}, which mlready cannot feed")
    return _DTYPES[node.type]


def _roles(outputs: list[Any]) -> tuple[str | None, str | None, str | None]:
    """(label, probabilities, value) output names: classifiers emit a label, regressors a value."""
    label = next((o.name for o in outputs if o.type in _LABEL_TYPES), None)
    if label is None:
        value = next((o.name for o in outputs if o.type in _FLOAT_TYPES), None)
        if value is None:
            raise ValueError("the graph has neither a label nor a numeric prediction output")
        return None, None, value
    scores = (o for o in outputs if o.type.startswith("seq(map(") or o.type in _FLOAT_TYPES)
    return label, next((o.name for o in scores if o.name != label), None), None


def _as_array(frame: pd.DataFrame, dtype: Any) -> np.ndarray:
    if dtype is object:  # onnxruntime takes string tensors as object arrays of str
        return frame.astype(str).to_numpy(dtype=object)
    return frame.to_numpy(dtype=dtype)


class OnnxModel:
    """An onnxruntime session that predicts like a fitted scikit-learn estimator.

    Inputs may be one ``[n, n_features]`` tensor (fed the columns of X in order) or one
    ``[n, 1]`` input per column (fed by name; their names become ``feature_names_in_``).
    ``classes_`` is set once the model has predicted: from the ZipMap keys, else from the
    label predicted whenever a probability column wins, once every column has won.
    """

    feature_names_in_: np.ndarray
    n_features_in_: int

    def __init__(self, session: Any) -> None:
        self.session = session
        inputs = session.get_inputs()
        self._feeds = [(node.name, _dtype(node)) for node in inputs]
        self._per_column = len(inputs) > 1
        if self._per_column:
            if any(_width(node) not in (None, 1) for node in inputs):
                raise ValueError("a graph with several inputs must take one column per input")
            self.feature_names_in_ = np.array([name for name, _ in self._feeds], dtype=object)
            self.n_features_in_ = len(inputs)
        elif (width := _width(inputs[0])) is not None:
            self.n_features_in_ = width
        self._label, self._proba, self._value = _roles(session.get_outputs())
        # sklearn < 1.6 reads _estimator_type; later versions read __sklearn_tags__.
        self._estimator_type = "regressor" if self._label is None else "classifier"
        self._classes: np.ndarray | None = None
        self._winners: dict[int, Any] = {}

    @classmethod
    def from_bytes(cls, data: bytes) -> OnnxModel:
        """Build a CPU session from a serialized model; no custom-op library is registered."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.use_deterministic_compute = True  # onnxruntime has no per-session seed
        options.log_severity_level = 3  # optimizer notices would clutter the CLI's output
        return cls(ort.InferenceSession(data, options, providers=["CPUExecutionProvider"]))

    @property
    def classes_(self) -> np.ndarray:
        """Class labels in the order of the ``predict_proba`` columns."""
        if self._classes is None:
            raise AttributeError("classes_ is known once the model has predicted every class")
        return self._classes

    def __sklearn_tags__(self) -> Tags:
        """Tags for sklearn >= 1.6, whose ``is_classifier``/``is_regressor`` read them."""
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

        classifier = self._estimator_type == "classifier"
        return Tags(
            estimator_type=self._estimator_type,
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags() if classifier else None,
            regressor_tags=None if classifier else RegressorTags(),
        )

    def __sklearn_is_fitted__(self) -> bool:
        """An exported graph is always fitted."""
        return True

    def fit(self, X: Any = None, y: Any = None, **fit_params: Any) -> OnnxModel:
        """Do nothing, as sklearn's FrozenEstimator: helpers such as permutation_importance
        insist on a ``fit`` method even for a model they never refit."""
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Class labels (classifiers) or predicted values (regressors), one per row."""
        if self._value is None:
            return self._classify(X)[0]
        (value,) = self.session.run([self._value], self._inputs(X))
        value = np.asarray(value, dtype=np.float64)
        return value.ravel() if value.ndim == 2 and value.shape[1] == 1 else value

    @available_if(lambda self: self._proba is not None)
    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Class probabilities, shape (n, k), columns in the order of ``classes_``."""
        proba = self._classify(X)[1]
        assert proba is not None  # guaranteed by available_if
        return proba

    def score(self, X: pd.DataFrame, y: Any, sample_weight: Any = None) -> float:
        """Accuracy or R², as scikit-learn's mixins score (permutation importance uses it)."""
        metric = accuracy_score if self._value is None else r2_score
        return float(metric(y, self.predict(X), sample_weight=sample_weight))

    def _inputs(self, X: Any) -> dict[str, np.ndarray]:
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(np.asarray(X), columns=getattr(self, "feature_names_in_", None))
        if not self._per_column:
            name, dtype = self._feeds[0]
            return {name: _as_array(X, dtype)}
        missing = [name for name, _ in self._feeds if name not in X.columns]
        if missing:
            raise ValueError(f"X lacks the model's input columns: {', '.join(missing[:10])}")
        return {name: _as_array(X[[name]], dtype) for name, dtype in self._feeds}

    def _classify(self, X: Any) -> tuple[np.ndarray, np.ndarray | None]:
        # One run yields both outputs, so predict() learns classes_ for the predict_proba after it.
        names = [self._label] if self._proba is None else [self._label, self._proba]
        outputs = self.session.run(names, self._inputs(X))
        label = np.asarray(outputs[0]).ravel()
        if self._proba is None:
            return label, None
        if isinstance(outputs[1], list):  # ZipMap: one {class: probability} dict per row
            return label, self._from_maps(outputs[1])
        proba = np.asarray(outputs[1], dtype=np.float64)
        self._learn_classes(label, proba)
        return label, proba

    def _from_maps(self, rows: list[dict[Any, float]]) -> np.ndarray:
        if self._classes is None and rows:
            self._classes = np.array(list(rows[0]))
        classes = [] if self._classes is None else self._classes.tolist()
        matrix = np.array([[row[c] for c in classes] for row in rows], dtype=np.float64)
        return matrix.reshape(len(rows), len(classes))

    def _learn_classes(self, label: np.ndarray, proba: np.ndarray) -> None:
        # A tensor output does not carry the class labels; a column's label is the one predicted
        # when it has the highest probability. Until every column has won, classes_ stays unset
        # rather than guessed: a wrong label order would silently swap scores between classes.
        if self._classes is not None or proba.ndim != 2:
            return
        winners = proba.argmax(axis=1)
        for column in np.unique(winners).tolist():
            self._winners.setdefault(column, label[np.argmax(winners == column)])
        if len(self._winners) == proba.shape[1]:
            self._classes = np.array([self._winners[j] for j in range(proba.shape[1])])


def _is_classifier(model: Any) -> bool:
    try:
        return bool(is_classifier(model))
    except AttributeError:  # objects outside sklearn's tag system
        return hasattr(model, "classes_")


def _spread(proba: np.ndarray, classes: Any, union: pd.Index) -> np.ndarray:
    out = np.zeros((proba.shape[0], len(union)))
    out[:, union.get_indexer(pd.Index(classes))] = proba
    return out


def _proba_gap(a: Any, b: Any, X: pd.DataFrame) -> float:
    qa = np.asarray(a.predict_proba(X), dtype=np.float64)
    qb = np.asarray(b.predict_proba(X), dtype=np.float64)
    ca, cb = getattr(a, "classes_", None), getattr(b, "classes_", None)
    if ca is not None and cb is not None:  # align columns by class, not by position
        union = pd.Index(ca).append(pd.Index(cb)).unique()
        qa, qb = _spread(qa, ca, union), _spread(qb, cb, union)
    elif qa.shape != qb.shape:
        raise ValueError(f"predict_proba shapes differ: {qa.shape} and {qb.shape}")
    return float(np.max(np.abs(qa - qb), initial=0.0))


def max_abs_difference(a: Any, b: Any, X: pd.DataFrame) -> dict[str, float]:
    """How far model ``b`` (say, an export) strays from model ``a`` on the rows of ``X``.

    ``predict``: the largest absolute difference of predicted values (regressors), or the share
    of rows whose labels differ (classifiers). ``predict_proba``: the largest absolute
    difference of a class probability; present only when both models have predict_proba.
    """
    pa, pb = np.asarray(a.predict(X)).ravel(), np.asarray(b.predict(X)).ravel()
    if not (_is_classifier(a) or _is_classifier(b)):
        gap = np.abs(pa.astype(np.float64) - pb.astype(np.float64))
        return {"predict": float(np.max(gap, initial=0.0))}
    result = {"predict": float(np.mean(pa != pb)) if len(pa) else 0.0}
    if hasattr(a, "predict_proba") and hasattr(b, "predict_proba"):
        result["predict_proba"] = _proba_gap(a, b, X)
    return result
