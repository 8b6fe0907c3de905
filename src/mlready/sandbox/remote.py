"""The model as mlready's process sees it when it lives in a sandboxed model process.

:class:`RemoteModel` stands in for the estimator: what the checks read of it (classes,
feature names, the steps of a pipeline, scikit-learn tags), copied when it loaded, and its
methods as calls into the child. :func:`open_model` is the one way mlready opens a model
file: sandboxed, unless the user explicitly asked for it to run in-process.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from mlready.errors import ModelLoadError
from mlready.io.model import LoadedModel, load_model, require_predict
from mlready.io.outputs import outputs
from mlready.sandbox.process import ModelProcess
from mlready.sandbox.settings import SandboxSettings

METHODS = ("predict", "predict_proba", "decision_function", "score")


class RemoteModel:
    """The estimator in a :class:`ModelProcess`. A method the model lacks is missing here
    too (``hasattr`` tells, as with the model)."""

    def __init__(self, process: ModelProcess) -> None:
        info = process.info
        self.process = process
        self.description: str = info["description"]
        self._methods = frozenset(info["methods"])
        self._estimator_type: str | None = info["estimator_type"]
        if info["classes"] is not None:
            self.classes_ = np.asarray(info["classes"])
        if info["feature_names"] is not None:
            self.feature_names_in_ = np.asarray(info["feature_names"], dtype=object)
        if info["n_features"] is not None:
            self.n_features_in_ = int(info["n_features"])
        if info["steps"] is not None:  # a Pipeline: step names and their types
            self.steps = [tuple(step) for step in info["steps"]]
        self.encodes_features = bool(info["encodes_features"])

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent to another process (a Dask worker): there it opens a process of its own for
        # the same file, checked to be the same bytes.
        process = self.process
        return _reopened, (process.path, process.load_options, process.settings, process.sha256)

    def __getattr__(self, name: str) -> Any:
        if name in METHODS and name in self.__dict__.get("_methods", ()):
            return lambda *args: self.process.call(name, *args)
        raise AttributeError(name)

    def outputs(self, X: Any, methods: Sequence[str]) -> dict[str, np.ndarray]:
        """Several methods on the same rows, which then cross the pipe once. The model's
        classes come back too (an ONNX graph knows them only once it has predicted)."""
        answer = dict(self.process.call("outputs", X, tuple(methods)))
        classes = answer.pop("classes_", None)
        if classes is not None and not hasattr(self, "classes_"):
            self.classes_ = np.asarray(classes)
        return answer

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

        kind = self._estimator_type
        return Tags(
            estimator_type=kind,
            target_tags=TargetTags(required=kind is not None),
            classifier_tags=ClassifierTags() if kind == "classifier" else None,
            regressor_tags=RegressorTags() if kind == "regressor" else None,
        )


def model_outputs(estimator: Any, X: Any, methods: Sequence[str]) -> dict[str, np.ndarray]:
    """``{method: estimator.method(X)}``; a sandboxed model answers them in one call."""
    if isinstance(estimator, RemoteModel):
        return estimator.outputs(X, methods)
    return outputs(estimator, X, methods)


def permutation_importance(
    estimator: Any, X: Any, y: Any, n_repeats: int, random_state: int
) -> np.ndarray:
    """scikit-learn's permutation importance of each column of ``X`` (the mean drop of
    ``estimator.score``): for a sandboxed model computed in its process, in one call
    instead of one per column and repeat, with the same numbers."""
    if isinstance(estimator, RemoteModel):
        return np.asarray(
            estimator.process.call("permutation_importance", X, y, n_repeats, random_state)
        )
    from sklearn.inspection import permutation_importance as importances

    found = importances(estimator, X, y, n_repeats=n_repeats, random_state=random_state)
    return np.asarray(found.importances_mean)


_REOPENED: dict[tuple[str, str], RemoteModel] = {}  # one model process per file and process
_REOPENING = threading.Lock()


def _reopened(
    path: Path, load_options: dict[str, Any], settings: SandboxSettings, sha256: str
) -> RemoteModel:
    """The model of an unpickled :class:`RemoteModel`, in a process opened once per process
    that receives it (closed when that process exits)."""
    with _REOPENING:
        key = (str(path), sha256)
        if key not in _REOPENED:
            process = ModelProcess(path, load_options, settings)
            atexit.register(process.close)
            if process.sha256 != sha256:
                process.close()
                raise ModelLoadError(
                    f"{path} changed while the audit ran (sha256 {sha256} at "
                    f"the start, {process.sha256} now)"
                )
            _REOPENED[key] = RemoteModel(process)
        return _REOPENED[key]


@contextmanager
def open_model(
    path: Path, load_options: dict[str, Any], sandbox: SandboxSettings | None
) -> Iterator[LoadedModel]:
    """The model file at ``path``, loaded in a sandboxed process for as long as the block
    runs (``sandbox``), or in this process when ``sandbox`` is None (``--isolate off``).
    ``load_options`` are :func:`~mlready.io.model.load_model`'s keywords. Raises
    :class:`~mlready.sandbox.process.ModelProcessFailure` when the model fails in its
    process, :class:`ModelLoadError` when it is refused or unreadable."""
    if sandbox is None:
        loaded = load_model(path, **load_options)
        require_predict(loaded)
        yield loaded
        return
    with ModelProcess(path, load_options, sandbox) as process:
        yield launched(process)


def launched(process: ModelProcess) -> LoadedModel:
    """The model of a started :class:`ModelProcess`, once it has loaded."""
    info = process.info
    return LoadedModel(
        RemoteModel(process), process.path, info["format"], process.sha256, info["trusted"]
    )
