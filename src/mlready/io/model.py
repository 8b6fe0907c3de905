"""Model files: which formats mlready reads, and how each is loaded.

Pickle and joblib files go through the allow-list (:mod:`mlready.io.unpickler`); ``.skops``
files through skops' own list of the types they hold, judged by the same allow-list;
``.onnx`` files are protobuf data handed to onnxruntime (an optional extra). All of this
runs in the sandboxed model process (:mod:`mlready.sandbox`) unless the user chose
``--isolate off``: the functions here load in whatever process calls them.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tempfile
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from mlready.errors import ModelLoadError
from mlready.io.files import file_sha256
from mlready.io.unpickler import HostilePickle, load_checked, scan_bytes

__all__ = [
    "LoadedModel",
    "check_model_file",
    "file_sha256",
    "load_model",
    "load_model_bytes",
    "scan_model_file",
]

_FORMATS = {
    ".pkl": "pickle",
    ".pickle": "pickle",
    ".joblib": "joblib",
    ".skops": "skops",
    ".onnx": "onnx",
}
_HINT = (
    "If you trust this file, pass --trust-model or pin its sha256 in checklist.yaml "
    "(model.sha256: {digest}); to allow a library, add its module to model.allow."
)
_VERSION_HINT = "The model may have been saved with other scikit-learn/numpy/pandas versions."
_DAMAGED_HINT = "The file may be truncated or damaged: save the fitted model again."
_TRUSTED_HINT = (
    "The file may be truncated or damaged, or need a module (or library version) that is "
    "not installed here."
)
MODEL_METHODS = ("predict", "predict_proba", "decision_function", "score")
_MISSING = "not found in the installed libraries (was the model saved with other versions?)"


@dataclass(frozen=True)
class LoadedModel:
    """A model file loaded into memory, with where it came from and how it was vetted."""

    estimator: Any
    path: Path
    format: str
    sha256: str
    trusted: bool


@contextmanager
def _reported(message: str, hint: str | None = None) -> Iterator[None]:
    """Turn any failure in the block into a ModelLoadError that starts with ``message``."""
    try:
        yield
    except (ModelLoadError, HostilePickle):  # they say more than a wrapper would
        raise
    except Exception as exc:
        raise ModelLoadError(f"{message}: {exc!r}", hint=hint) from exc


def _refused_skops_types(data: bytes, path: Path, extra_allowed: Sequence[str]) -> dict[str, bool]:
    """The types in a skops file that skops does not trust by default and the allow-list
    refuses, each with whether it cannot even be found. skops' audit lists the types; the
    allow-list judges them as it judges a pickle's globals, so one model is accepted or
    refused alike in either format (skops' defaults do not trust scikit-learn's own tree
    structures, which the allow-list admits). Nothing from the file is imported or run."""
    import skops.io  # imported on demand: most models are pickles

    from mlready.io.allowlist import Refused, allowed_object

    with _reported(f"{path} is not a valid skops file"):
        untrusted = skops.io.get_untrusted_types(data=data)
    refused = {}
    for qualified in untrusted:
        module, _, name = qualified.rpartition(".")
        try:
            allowed_object(module, name, extra_allowed)
        except Refused as exc:
            refused[qualified] = exc.missing
    return dict(sorted(refused.items()))


def _load_skops(data: bytes, path: Path) -> Any:
    import skops.io

    # Callers have refused whatever is not allowed, so every remaining type is trusted.
    with _reported(f"could not load {path}"):
        return skops.io.loads(data, trusted=skops.io.get_untrusted_types(data=data))


def _refusal(path: Path, refused: dict[str, bool], digest: str) -> ModelLoadError:
    clauses = []
    for missing, reason in ((False, "not on the allow-list"), (True, _MISSING)):
        names = sorted(name for name, is_missing in refused.items() if is_missing is missing)
        if names:
            clauses.append(f"{', '.join(names)}, which {'are' if names[1:] else 'is'} {reason}")
    message = f"{path} was refused: it references {'; and '.join(clauses)}; nothing from it was run"
    return ModelLoadError(message, hint=_HINT.format(digest=digest))


def _hostile(path: Path, exc: HostilePickle, digest: str) -> ModelLoadError:
    return ModelLoadError(
        f"{path} was refused: {exc}; nothing from it was run", hint=_HINT.format(digest=digest)
    )


def _refuse_unvetted(data: bytes, path: Path, fmt: str, extra_allowed: Sequence[str]) -> None:
    """Raise ModelLoadError when the file references code the allow-list refuses (or is a
    hostile pickle); runs nothing from it."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        if fmt == "skops":
            refused = _refused_skops_types(data, path, extra_allowed)
        else:
            refused = scan_bytes(data, path, extra_allowed)
    except HostilePickle as exc:
        raise _hostile(path, exc, digest) from None
    if refused:
        raise _refusal(path, refused, digest)


def check_model_file(
    path: Path,
    *,
    trust: bool = False,
    pinned_sha256: str | None = None,
    extra_allowed: Sequence[str] = (),
) -> None:
    """Refuse, before anything else is read, a model file that loading would refuse: a
    missing file, an unsupported suffix, or (unless trusted or pinned) code the allow-list
    does not admit. Runs nothing from the file; the scan takes milliseconds."""
    fmt = model_format(path)
    data = read_model_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    if fmt == "onnx" or trust or _pinned(pinned_sha256, digest):
        return
    with _pin_reported(pinned_sha256, digest):
        _refuse_unvetted(data, path, fmt, extra_allowed)


def _pinned(pinned_sha256: str | None, digest: str) -> bool:
    """Whether the checklist pins exactly this file (model.sha256)."""
    return pinned_sha256 is not None and pinned_sha256.strip().lower() == digest


@contextmanager
def _pin_reported(pinned_sha256: str | None, digest: str) -> Iterator[None]:
    """A refusal of a pinned file says that the pin did not match (why it was scanned)."""
    try:
        yield
    except ModelLoadError as exc:
        if pinned_sha256 is None:
            raise
        note = f"; the pinned sha256 did not match (pinned {pinned_sha256}, file {digest})"
        raise ModelLoadError(exc.message + note, hint=exc.hint) from exc


def _load_safely(data: bytes, path: Path, fmt: str, extra_allowed: Sequence[str]) -> Any:
    _refuse_unvetted(data, path, fmt, extra_allowed)
    try:
        if fmt == "skops":
            return _load_skops(data, path)
        with _reported(f"could not load {path}", _VERSION_HINT):
            return load_checked(data, path, extra_allowed)
    except HostilePickle as exc:  # the checked unpickler can still meet one
        raise _hostile(path, exc, hashlib.sha256(data).hexdigest()) from None


def _load_onnx(data: bytes, path: Path) -> Any:
    # The graph is data, so there is no allow-list to apply; only custom-op libraries could run
    # native code, and none is registered.
    try:
        import onnxruntime  # noqa: F401 - the optional "onnx" extra
    except ImportError as exc:
        raise ModelLoadError(
            f"{path} is an ONNX model, but onnxruntime is not installed ({exc})",
            hint='pip install "mlready[onnx]"',
        ) from exc
    from mlready.io.onnx import OnnxModel

    with _reported(f"{path} is not a loadable ONNX model"):
        return OnnxModel.from_bytes(data)


def _load_trusted(data: bytes, path: Path, fmt: str) -> Any:
    if fmt == "skops":
        return _load_skops(data, path)
    with _reported(f"could not load {path}", _TRUSTED_HINT):
        return joblib.load(io.BytesIO(data))


def model_format(path: Path) -> str:
    """The format a model file's suffix says (pickle, joblib, skops, onnx); refuses others."""
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(_FORMATS)
        raise ModelLoadError(f"{path} has an unsupported suffix; supported: {supported}")
    return fmt


def read_model_bytes(path: Path) -> bytes:
    """The file's bytes, read once: the bytes hashed and scanned are the bytes loaded."""
    if not path.is_file():
        raise ModelLoadError(f"model file {path} does not exist or is not a file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"cannot read model file {path}: {exc}") from exc


def scan_model_file(path: Path, extra_allowed: Sequence[str] = ()) -> list[str]:
    """Return the sorted list of globals ("module.name") in the file that are NOT allowed.

    Executes no code from the file.
    """
    path = Path(path)
    fmt = model_format(path)
    data = read_model_bytes(path)
    if fmt == "onnx":
        return []  # an ONNX graph references no Python globals
    if fmt == "skops":
        return list(_refused_skops_types(data, path, extra_allowed))
    try:
        return sorted(scan_bytes(data, path, extra_allowed))
    except HostilePickle as exc:
        raise _hostile(path, exc, hashlib.sha256(data).hexdigest()) from None


def load_model(
    path: Path,
    *,
    trust: bool = False,
    pinned_sha256: str | None = None,
    extra_allowed: Sequence[str] = (),
) -> LoadedModel:
    """Load a .pkl/.pickle/.joblib/.skops/.onnx model in this process, refusing files that
    reference unvetted code; see :func:`load_model_bytes`."""
    path = Path(path)
    model_format(path)
    return load_model_bytes(
        read_model_bytes(path),
        path,
        trust=trust,
        pinned_sha256=pinned_sha256,
        extra_allowed=extra_allowed,
    )


def load_model_bytes(
    data: bytes,
    path: Path,
    *,
    trust: bool = False,
    pinned_sha256: str | None = None,
    extra_allowed: Sequence[str] = (),
) -> LoadedModel:
    """Load the model file ``path`` whose bytes are ``data``.

    ``trust`` or a ``pinned_sha256`` equal to the file's digest skips the allow-list; a pin that
    does not match falls back to the checked load and is reported if that load fails. ONNX files
    load through onnxruntime whatever ``trust`` says, as an untrusted
    :class:`~mlready.io.onnx.OnnxModel`.
    """
    fmt = model_format(path)
    digest = hashlib.sha256(data).hexdigest()
    if fmt == "onnx":
        return LoadedModel(_load_onnx(data, path), path, fmt, digest, trusted=False)
    if trust or _pinned(pinned_sha256, digest):
        return LoadedModel(_load_trusted(data, path, fmt), path, fmt, digest, trusted=True)
    with _pin_reported(pinned_sha256, digest):
        estimator = _load_safely(data, path, fmt, extra_allowed)
    return LoadedModel(estimator, path, fmt, digest, trusted=False)


def loaded_in_memory(model: Any) -> LoadedModel:
    """A fitted model the caller already holds (it runs in the caller's process, so no
    loading rules apply), also written to a temporary file: the latency check sizes the
    file and measures memory by loading it in a fresh process, as for an audited file."""
    folder = Path(tempfile.mkdtemp(prefix="mlready-model-"))
    path = folder / "model.joblib"
    joblib.dump(model, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    loaded = LoadedModel(estimator=model, path=path, format="joblib", sha256=digest, trusted=True)
    weakref.finalize(loaded, shutil.rmtree, folder, ignore_errors=True)
    return loaded


def require_predict(loaded: LoadedModel) -> None:
    """Raise :class:`ModelLoadError` unless the loaded object is a model (has predict)."""
    if not callable(getattr(loaded.estimator, "predict", None)):
        raise ModelLoadError(
            f"{loaded.path} holds a {type(loaded.estimator).__name__}, not a model with predict()",
            hint="save the fitted estimator or pipeline itself",
        )


def describe_estimator(estimator: Any) -> str:
    """The model's type, with its steps' types for a pipeline: ``Pipeline(Scaler, Tree)``."""
    description = getattr(estimator, "description", None)
    if isinstance(description, str):
        return description  # a sandboxed model, described in its own process
    steps = getattr(estimator, "steps", None)
    if steps:
        return f"{type(estimator).__name__}({', '.join(type(s).__name__ for _, s in steps)})"
    return type(estimator).__name__


# Libraries whose models read categories natively (given the pandas category dtype).
_NATIVE_CATEGORIES = ("lightgbm", "xgboost", "catboost")


def encodes_its_features(model: Any) -> bool:
    """Whether the model turns raw features (text, categories) into numbers itself, so its
    preprocessing ships in the model file: a Pipeline, a search or wrapper around one, or a
    model that reads categories natively (HistGradientBoosting with categorical features,
    LightGBM, XGBoost, CatBoost)."""
    said = getattr(model, "encodes_features", None)
    if isinstance(said, bool):
        return said  # a sandboxed model, asked in its own process
    if getattr(model, "steps", None):
        return True
    categorical = getattr(model, "is_categorical_", None)  # HistGradientBoosting, fitted
    if categorical is not None and np.any(categorical):
        return True
    if type(model).__module__.split(".")[0] in _NATIVE_CATEGORIES:
        return True
    inner = [getattr(model, name, None) for name in ("best_estimator_", "regressor_")]
    inner += [c.estimator for c in getattr(model, "calibrated_classifiers_", [])[:1]]
    return any(encodes_its_features(m) for m in inner if m is not None)


def _says(question: Any, model: Any) -> bool:
    try:
        return bool(question(model))
    except AttributeError:  # duck-typed models outside scikit-learn's tag system
        return False


def model_summary(loaded: LoadedModel) -> dict[str, Any]:
    """What mlready reads of a model, as JSON-ready values: its description, format,
    methods, estimator type, classes, feature names, pipeline steps and whether it encodes
    its own features."""
    from sklearn.base import is_classifier, is_regressor

    model = loaded.estimator
    classes = getattr(model, "classes_", None)
    names = getattr(model, "feature_names_in_", None)
    steps = getattr(model, "steps", None)
    kind = (
        "classifier"
        if _says(is_classifier, model)
        else "regressor"
        if _says(is_regressor, model)
        else None
    )
    return {
        "description": describe_estimator(model),
        "format": loaded.format,
        "trusted": loaded.trusted,
        "methods": [m for m in MODEL_METHODS if callable(getattr(model, m, None))],
        "estimator_type": kind,
        "classes": None if classes is None else np.asarray(classes).tolist(),
        "feature_names": None if names is None else [str(n) for n in names],
        "n_features": getattr(model, "n_features_in_", None),
        "steps": None if not steps else [[name, type(step).__name__] for name, step in steps],
        "encodes_features": encodes_its_features(model),
    }
