"""Load a trained model file without running any of its code before its imports are vetted.

A pickle is a program: unpickling can call any importable callable with arguments chosen by
whoever wrote the file. Pickle and joblib files are therefore read twice. The scan walks the
stream with every global replaced by an inert stub and lists the globals outside the allow-list;
only when that list is empty does the real load run, and its ``find_class`` enforces the same
allow-list again. ``.skops`` files go through skops' own untrusted-type audit. ``.onnx`` files
are protobuf data, not code: they are handed to onnxruntime (an optional extra) as they are.
"""

from __future__ import annotations

import _compat_pickle
import copyreg
import hashlib
import importlib
import io
import mmap
import pickle
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType
from typing import IO, Any

import joblib
import numpy as np
from joblib.numpy_pickle import NumpyArrayWrapper, NumpyUnpickler
from joblib.numpy_pickle_utils import _validate_fileobject_and_memmap

from mlready.errors import ModelLoadError
from mlready.io.files import file_sha256

__all__ = ["LoadedModel", "file_sha256", "load_model", "scan_model_file"]

_FORMATS = {
    ".pkl": "pickle", ".pickle": "pickle", ".joblib": "joblib", ".skops": "skops", ".onnx": "onnx",
}  # fmt: skip
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
_MISSING = "not found in the installed libraries (was the model saved with other versions?)"

# Globals that REDUCE may call with any arguments and still only build plain data.
_SAFE_NAMES = {
    "builtins": "set frozenset slice range complex bytearray bytes object dict list tuple int "
    "float str bool",
    "copyreg": "_reconstructor __newobj__ __newobj_ex__",
    "_codecs": "encode",
    "functools": "partial",
    "collections": "OrderedDict defaultdict Counter deque",
    "datetime": "date time datetime timedelta timezone",
    "decimal": "Decimal",
    "fractions": "Fraction",
    "joblib.numpy_pickle": "NumpyArrayWrapper",
    "numpy._core.multiarray": "_reconstruct scalar",
    "numpy.core.multiarray": "_reconstruct scalar",
    "numpy._core.numeric": "_frombuffer",
    "numpy.core.numeric": "_frombuffer",
    "numpy._core._internal": "_convert_to_stringdtype_kwargs",
    "numpy.ma.core": "_mareconstruct",
    "numpy.random._pickle": "__randomstate_ctor __bit_generator_ctor __generator_ctor",
    "pandas.core.indexes.base": "_new_Index",
    "pandas.core.indexes.interval": "_new_IntervalIndex",
    "pandas.core.internals.blocks": "new_block",
    "pandas._libs.internals": "_unpickle_block",
    "pandas._libs.tslibs.timestamps": "_unpickle_timestamp",
    "pandas._libs.tslibs.timedeltas": "_timedelta_unpickle",
    "pandas._libs.tslibs.nattype": "_nat_unpickle",
    # Functions that estimators keep as default parameters.
    "numpy": "mean median average sum max min",
    "sklearn.cluster._kmeans": "_kmeans_single_lloyd _kmeans_single_elkan",
    "scipy._lib.array_api_compat.numpy._aliases": "asarray",
    # pandas 3 keeps strings in Arrow arrays; _restore_array is replaced by a validating wrapper.
    "pyarrow.lib": "type_for_alias py_buffer _restore_array",
}
_SAFE_GLOBALS = frozenset(f"{m}.{n}" for m, names in _SAFE_NAMES.items() for n in names.split())
# Modules whose functions are all pure metrics or feature scores, kept by estimators as
# parameters (GridSearchCV(scoring="f1"), SelectKBest(score_func=f_classif)).
_METRIC_MODULES = frozenset(
    {
        "sklearn.metrics._classification", "sklearn.metrics._regression",
        "sklearn.metrics._ranking", "sklearn.metrics.cluster._supervised",
        "sklearn.metrics.cluster._unsupervised", "sklearn.feature_selection._mutual_info",
        "sklearn.feature_selection._univariate_selection",
    }
)  # fmt: skip
_LIBRARY_PACKAGES = frozenset({"sklearn", "numpy", "scipy", "pandas"})
# Module path segments whose classes read or write files, open sockets, start processes, run
# tests, execute or import code named by their arguments, wrap raw memory pointers or change
# global settings when built, called or unpickled. Any segment containing "test" is blocked too.
_BLOCKED_SEGMENTS = frozenset(
    {
        "testing", "_testing", "tests", "io", "datasets", "externals", "f2py", "distutils",
        "ctypeslib", "estimator_checks", "_pytesttester", "conftest", "__main__", "_mocking",
        "_ccallback", "_internal", "_datasource", "npyio", "_npyio_impl", "_iotools", "format",
        "_format_impl", "computation", "parsers", "sas", "odr", "_config", "_util", "parallel",
        "messagestream", "_gcutils", "_tmpdirs", "_transport", "_scoring_monitor", "_progressbar",
        "plotting", "groupby", "resample", "col", "interchange", "_stride_tricks_impl",
        "stride_tricks",
        "_distn_infrastructure",  # scipy.stats distributions exec() a template kept in their state
    }
)  # fmt: skip
# Methods that unpickling, garbage collection or attribute fallback can run on an instance.
_ENTRY_METHODS = (
    "__new__", "__init__", "__call__", "__setstate__", "__setitem__", "append", "extend", "add",
    "__getattr__", "__del__",
)  # fmt: skip
# Classes that open, map or create files whatever module they are reached through.
_IO_CLASSES = (np.memmap, io.IOBase, mmap.mmap)
# Cython and scikit-learn rebuild helpers only call __new__ on a class that passed the check.
_REBUILD_HELPER = re.compile(r"__pyx_unpickle_\w+|newObj")
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_DUNDER = re.compile(r"__\w*__")
# Real objects during the scan: they only build the dtypes and wrappers that say how many raw
# array bytes follow, so that the scan skips those bytes instead of parsing them as opcodes.
_SCAN_REAL = frozenset(
    {
        "joblib.numpy_pickle.NumpyArrayWrapper", "numpy.dtype", "_codecs.encode",
        "numpy._core._internal._convert_to_stringdtype_kwargs",
    }
)  # fmt: skip


@dataclass(frozen=True)
class LoadedModel:
    """A model file loaded into memory, with where it came from and how it was vetted."""

    estimator: Any
    path: Path
    format: str
    sha256: str
    trusted: bool


class _Refused(Exception):
    """A global outside the allow-list; ``missing`` when it cannot even be found."""

    def __init__(self, missing: bool = False) -> None:
        super().__init__()
        self.missing = missing


def _matches_prefix(module: str, prefixes: Sequence[str]) -> bool:
    cleaned = (prefix.strip().rstrip(".") for prefix in prefixes)
    return any(p and (module == p or module.startswith(p + ".")) for p in cleaned)


def _is_blocked(module: Any) -> bool:
    parts = module.split(".") if isinstance(module, str) else [""]
    blocked = not _BLOCKED_SEGMENTS.isdisjoint(parts) or any("test" in part for part in parts)
    return parts[0] in _LIBRARY_PACKAGES and blocked


def _is_library_module(module: str) -> bool:
    return module.split(".")[0] in _LIBRARY_PACKAGES and not _is_blocked(module)


def _import_attribute(module: str, name: str) -> Any:
    try:
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
    except Exception as exc:  # importing installed code may fail in any way
        raise _Refused(missing=True) from exc
    return obj


def _code_homes(cls: type) -> Iterator[Any]:
    # pandas relabels public classes (pandas.ExcelWriter.__module__ == "pandas"), but their
    # bases and the methods that unpickling can reach keep the module they were written in.
    for klass in cls.__mro__:
        yield klass.__module__
        for method in _ENTRY_METHODS:
            function = vars(klass).get(method)
            function = getattr(function, "__func__", function)
            if isinstance(function, FunctionType):
                yield function.__module__


def _is_library_class(obj: Any) -> bool:
    if not isinstance(obj, type) or issubclass(obj, (type, *_IO_CLASSES)):
        return False
    return _is_library_module(obj.__module__) and not any(map(_is_blocked, _code_homes(obj)))


def _restore_arrow_array(state: Any) -> Any:
    import pyarrow.lib  # only pickled pandas string data needs it

    array = pyarrow.lib._restore_array(state)
    array.validate(full=True)  # pyarrow trusts pickled offsets; check them before any read
    return array


def _allowed_object(module: str, name: str, extra_allowed: Sequence[str]) -> Any:
    """Import and return ``module.name`` if the allow-list admits it, else raise _Refused."""
    qualified = f"{module}.{name}"
    if qualified in _SAFE_GLOBALS:
        obj = _import_attribute(module, name)
        return _restore_arrow_array if qualified == "pyarrow.lib._restore_array" else obj
    # Dunder attributes lead from an allowed object to its globals, code or metaclass.
    if not (_DOTTED_NAME.fullmatch(module) and _DOTTED_NAME.fullmatch(name)) or any(
        _DUNDER.fullmatch(part) for part in name.split(".")
    ):
        raise _Refused
    if _matches_prefix(module, extra_allowed):
        return _import_attribute(module, name)
    # Checked before importing: a module outside the libraries is never imported for a pickle.
    if not _is_library_module(module):
        raise _Refused
    obj = _import_attribute(module, name)
    is_rebuild_helper = _REBUILD_HELPER.fullmatch(name) is not None and callable(obj)
    is_metric = isinstance(obj, FunctionType) and obj.__module__ in _METRIC_MODULES
    if _is_library_class(obj) or isinstance(obj, np.ufunc) or is_rebuild_helper or is_metric:
        return obj
    raise _Refused


# Opcodes that call a method of an object already on the stack, and where that object sits.
_TARGETS: dict[bytes, Callable[[Any], Any]] = {
    pickle.BUILD: lambda u: u.stack[-2],
    pickle.APPEND: lambda u: u.stack[-2],
    pickle.SETITEM: lambda u: u.stack[-3],
    pickle.APPENDS: lambda u: u.metastack[-1][-1],
    pickle.SETITEMS: lambda u: u.metastack[-1][-1],
    pickle.ADDITEMS: lambda u: u.metastack[-1][-1],
}


def _guard(handler: Callable[[Any], None], target: Callable[[Any], Any]) -> Callable[[Any], None]:
    def guarded(unpickler: Any) -> None:
        # BUILD on a class would setattr on it process-wide, APPENDS on a class would call an
        # unbound method with any ``self``: imported objects may only ever be called.
        if id(target(unpickler)) in unpickler.resolved:
            raise pickle.UnpicklingError("the pickle tries to modify an imported object")
        handler(unpickler)

    return guarded


def _check_build_state(unpickler: Any) -> None:
    # Dunder attributes such as __array_interface__ (a raw memory pointer numpy would follow)
    # or __class__ are never part of a genuine model's state.
    state = unpickler.stack[-1]
    parts = state if isinstance(state, tuple) and len(state) == 2 else (state,)
    keys = [key for part in parts if isinstance(part, dict) for key in part]
    if any(isinstance(key, str) and _DUNDER.fullmatch(key) for key in keys):
        raise pickle.UnpicklingError("the pickle sets a dunder attribute on an object")


def _guarded_dispatch(base: dict[int, Callable[[Any], None]]) -> dict[int, Callable[[Any], None]]:
    table = dict(base)
    for opcode, target in _TARGETS.items():
        table[opcode[0]] = _guard(base[opcode[0]], target)
    return table


class _SafeUnpickler(NumpyUnpickler):
    """joblib's unpickler with every global going through ``resolve`` and guarded mutations."""

    dispatch = _guarded_dispatch(NumpyUnpickler.dispatch)

    def __init__(self, stream: IO[bytes], resolve: Callable[[str, str], Any]) -> None:
        super().__init__("", stream, ensure_native_byte_order=True)
        self.resolve = resolve
        self.resolved: dict[int, Any] = {}

    def find_class(self, module: str, name: str) -> Any:
        """Return what ``resolve`` gives for the (Python 3) name, remembering it as imported."""
        if self.proto < 3 and self.fix_imports:  # the renames pickle itself would apply
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            else:
                module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        obj = self.resolve(module, name)
        if not isinstance(obj, _Stub):
            self.resolved[id(obj)] = obj
        return obj

    def persistent_load(self, pid: Any) -> Any:
        """Refuse persistent ids: resolving them needs code that the file does not carry."""
        raise pickle.UnpicklingError("persistent ids are not allowed")

    def get_extension(self, code: int) -> None:
        """Resolve an EXT opcode through find_class, bypassing the process-wide cache."""
        key = vars(copyreg)["_inverted_registry"].get(code)
        if key is None:
            raise pickle.UnpicklingError(f"unregistered extension code {code}")
        self.append(self.find_class(*key))

    def load_build(self) -> None:
        """Set an object's state; a joblib array wrapper becomes the array stored after it."""
        _check_build_state(self)
        pickle._Unpickler.dispatch[pickle.BUILD[0]](self)
        if type(self.stack[-1]) is NumpyArrayWrapper:
            self.stack[-1] = self._read_array(self.stack[-1])

    dispatch[pickle.BUILD[0]] = _guard(load_build, _TARGETS[pickle.BUILD])

    def _read_array(self, wrapper: NumpyArrayWrapper) -> Any:
        if not wrapper.dtype.hasobject:
            return wrapper.read(self, self.ensure_native_byte_order)
        # joblib reads this nested pickle with a bare Unpickler; ours keeps every check.
        nested = _SafeUnpickler(self.file_handle, self.resolve)
        nested.resolved = self.resolved
        return nested.load()


class _Stub:
    """Stands in for every global during the scan and absorbs whatever the pickle does to it."""

    def __new__(cls, *args: Any, **kwargs: Any) -> _Stub:
        return object.__new__(_Stub)

    def __call__(self, *args: Any, **kwargs: Any) -> _Stub:
        return _Stub()

    def _absorb(self, *args: Any, **kwargs: Any) -> None:
        """Accept any arguments and keep nothing."""

    __init__ = __setstate__ = __setitem__ = append = extend = add = _absorb


def _scan_reconstructor(cls: Any, base: Any, state: Any) -> Any:
    # Protocol 0/1 joblib files build their array wrappers through copyreg._reconstructor.
    return object.__new__(NumpyArrayWrapper) if cls is NumpyArrayWrapper else _Stub()


@contextmanager
def _reported(message: str, hint: str | None = None) -> Iterator[None]:
    """Turn any failure in the block into a ModelLoadError that starts with ``message``."""
    try:
        yield
    except ModelLoadError:
        raise
    except Exception as exc:
        raise ModelLoadError(f"{message}: {exc!r}", hint=hint) from exc


@contextmanager
def _pickle_stream(data: bytes, path: Path) -> Iterator[IO[bytes]]:
    with _validate_fileobject_and_memmap(io.BytesIO(data), str(path)) as (stream, _):
        if isinstance(stream, str):
            raise ModelLoadError(
                f"{path} uses the joblib<0.10 format, which cannot be checked safely",
                hint="Re-save the model with a current joblib.",
            )
        yield stream


def _scan_bytes(data: bytes, path: Path, extra_allowed: Sequence[str]) -> dict[str, bool]:
    """Map every refused global to whether it is missing; raise if the stream is unreadable."""
    refused: dict[str, bool] = {}

    def record(module: str, name: str) -> Any:
        qualified = f"{module}.{name}"
        try:
            obj = _allowed_object(module, name, extra_allowed)
        except _Refused as exc:
            refused[qualified] = exc.missing
            return _Stub()
        if qualified == "copyreg._reconstructor":
            return _scan_reconstructor
        return obj if qualified in _SCAN_REAL else _Stub()

    try:
        with _pickle_stream(data, path) as stream:
            _SafeUnpickler(stream, record).load()
    except ModelLoadError:
        raise
    except Exception as exc:
        if not refused:  # a refusal says more than the error it may have caused
            raise ModelLoadError(
                f"{path} is not a valid pickle/joblib file: {exc!r}", hint=_DAMAGED_HINT
            ) from exc
    return refused


def _load_checked_pickle(data: bytes, path: Path, extra_allowed: Sequence[str]) -> Any:
    def enforce(module: str, name: str) -> Any:
        try:
            return _allowed_object(module, name, extra_allowed)
        except _Refused as exc:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed") from exc

    with _reported(f"could not load {path}", _VERSION_HINT), _pickle_stream(data, path) as stream:
        return _SafeUnpickler(stream, enforce).load()


def _refused_skops_types(data: bytes, path: Path, extra_allowed: Sequence[str]) -> dict[str, bool]:
    """The types in a skops file that skops does not trust by default and the allow-list
    refuses, each with whether it cannot even be found. skops' audit lists the types; the
    allow-list judges them as it judges a pickle's globals, so one model is accepted or
    refused alike in either format (skops' defaults do not trust scikit-learn's own tree
    structures, which the allow-list admits). Nothing from the file is imported or run."""
    import skops.io  # imported on demand: most models are pickles

    with _reported(f"{path} is not a valid skops file"):
        untrusted = skops.io.get_untrusted_types(data=data)
    refused = {}
    for qualified in untrusted:
        module, _, name = qualified.rpartition(".")
        try:
            _allowed_object(module, name, extra_allowed)
        except _Refused as exc:
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


def _load_safely(data: bytes, path: Path, fmt: str, extra_allowed: Sequence[str]) -> Any:
    if fmt == "skops":
        refused = _refused_skops_types(data, path, extra_allowed)
    else:
        refused = _scan_bytes(data, path, extra_allowed)
    if refused:
        raise _refusal(path, refused, hashlib.sha256(data).hexdigest())
    if fmt == "skops":
        return _load_skops(data, path)
    return _load_checked_pickle(data, path, extra_allowed)


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


def _model_format(path: Path) -> str:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(_FORMATS)
        raise ModelLoadError(f"{path} has an unsupported suffix; supported: {supported}")
    return fmt


def _read_model_bytes(path: Path) -> bytes:
    # One in-memory copy: the bytes that are hashed and scanned are the bytes that are loaded.
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
    fmt = _model_format(path)
    data = _read_model_bytes(path)
    if fmt == "onnx":
        return []  # an ONNX graph references no Python globals
    if fmt == "skops":
        return list(_refused_skops_types(data, path, extra_allowed))
    return sorted(_scan_bytes(data, path, extra_allowed))


def load_model(
    path: Path,
    *,
    trust: bool = False,
    pinned_sha256: str | None = None,
    extra_allowed: Sequence[str] = (),
) -> LoadedModel:
    """Load a .pkl/.pickle/.joblib/.skops/.onnx model, refusing files that reference unvetted code.

    ``trust`` or a ``pinned_sha256`` equal to the file's digest skips the allow-list; a pin that
    does not match falls back to the checked load and is reported if that load fails. ONNX files
    load through onnxruntime whatever ``trust`` says, as an untrusted
    :class:`~mlready.io.onnx.OnnxModel`.
    """
    path = Path(path)
    fmt = _model_format(path)
    data = _read_model_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    if fmt == "onnx":
        return LoadedModel(_load_onnx(data, path), path, fmt, digest, trusted=False)
    if trust or (pinned_sha256 is not None and pinned_sha256.strip().lower() == digest):
        return LoadedModel(_load_trusted(data, path, fmt), path, fmt, digest, trusted=True)
    try:
        estimator = _load_safely(data, path, fmt, extra_allowed)
    except ModelLoadError as exc:
        if pinned_sha256 is None:
            raise
        note = f"; the pinned sha256 did not match (pinned {pinned_sha256}, file {digest})"
        raise ModelLoadError(exc.message + note, hint=exc.hint) from exc
    return LoadedModel(estimator, path, fmt, digest, trusted=False)


def require_predict(loaded: LoadedModel) -> None:
    """Raise :class:`ModelLoadError` unless the loaded object is a model (has predict)."""
    if not callable(getattr(loaded.estimator, "predict", None)):
        raise ModelLoadError(
            f"{loaded.path} holds a {type(loaded.estimator).__name__}, not a model with predict()",
            hint="save the fitted estimator or pipeline itself",
        )


def describe_estimator(estimator: Any) -> str:
    """The model's type, with its steps' types for a pipeline: ``Pipeline(Scaler, Tree)``."""
    from mlready.io.isolation import RemoteModel

    if isinstance(estimator, RemoteModel):
        return estimator.description  # described in its own process
    steps = getattr(estimator, "steps", None)
    if steps:
        return f"{type(estimator).__name__}({', '.join(type(s).__name__ for _, s in steps)})"
    return type(estimator).__name__
