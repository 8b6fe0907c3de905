"""The model in a child process, under memory and time limits.

A model file that passes the allow-list can still crash the interpreter (a crafted tree
whose nodes point outside it makes scikit-learn's ``predict`` read out of bounds), hang or
exhaust memory. :class:`ModelProcess` loads the model in a child process and answers calls
to it over a pipe; :class:`RemoteModel` stands in for the estimator in the audit's process
(its classes, feature names, ``predict``/``predict_proba``/``decision_function``/``score``).
``--isolate`` uses it two ways:

- ``probe`` (the default, :func:`probe_model`): the child loads the model and predicts a
  sample of every split. If it dies by a signal, hangs or runs out of memory, the audit
  does not load the model and the checks that need predictions report why, while the data
  checks still run. Otherwise the model is loaded in the audit's process as usual. It costs
  a second or two and catches what the sampled rows trigger.
- ``full``: the model never enters the audit's process; every call goes to the child, so a
  crash on any row becomes an error of the checks that made the call. It costs sending the
  rows to the child (roughly 1-3 s per million rows of 50 columns: docs/benchmarks.md);
  latency is measured in the child. Sent to a Dask worker, the model opens such a process
  there too.

The child answers in JSON and ``.npy`` arrays read with ``allow_pickle=False``: a model
that takes the child over still cannot make the audit run code by what it sends back.
"""

from __future__ import annotations

import atexit
import builtins
import dataclasses
import io
import json
import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd

from mlready.errors import MlreadyError, ModelLoadError

SAMPLE_ROWS = 1_000  # rows of each split the probe predicts
_METHODS = ("predict", "predict_proba", "decision_function", "score")
_LENGTH = struct.Struct("<Q")  # every message on the pipe: its length, then its bytes


@dataclass(frozen=True)
class Isolation:
    """How the model is isolated (see the module docstring) and what its process may use."""

    mode: Literal["probe", "full"] = "probe"
    memory_mb: int | None = 16_384  # address space; None: no limit
    timeout_s: float = 300.0  # per call: loading, or one call of a model method


class ModelProcessFailure(ModelLoadError):
    """The model crashed its process, hung (the process is then gone too) or ran out of
    memory there."""


class ModelProcess:
    """A model loaded in a child process under :class:`Isolation` limits.

    Raises :class:`ModelLoadError` as :func:`~mlready.io.model.load_model` does (a refused
    or damaged file), and :class:`ModelProcessFailure` when loading crashes or hangs. Calls
    are serialised (checks may run in threads). Use as a context manager, or :meth:`close`.
    """

    def __init__(self, path: Path, load_options: dict[str, Any], isolation: Isolation) -> None:
        self.path = path
        self.load_options = load_options
        self.isolation = isolation
        self._lock = threading.Lock()
        self._death: str | None = None
        job = json.dumps({"model": str(path), "load": load_options,
                          "memory_mb": isolation.memory_mb})  # fmt: skip
        self._child = subprocess.Popen(
            [sys.executable, "-m", "mlready.io.isolation", job],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            header, _ = self._answer("loading")
        except BaseException:
            self.close()
            raise
        if not header["ok"]:
            self.close()
            raise ModelLoadError(header["message"], hint=header.get("hint"))
        self.info: dict[str, Any] = header["info"]

    def __enter__(self) -> ModelProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the child (it exits when its input closes; killed if it does not)."""
        if self._child.poll() is None:
            try:
                assert self._child.stdin is not None
                self._child.stdin.close()
                self._child.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._child.kill()
                self._child.wait()

    def call(self, method: str, *args: Any) -> Any:
        """``model.method(*args)`` in the child. The model's own exceptions are raised
        again here with their type and message (a builtin type, else :class:`ModelError`)."""
        doing = _doing(method, args)
        with self._lock:
            if self._death is not None:
                raise ModelProcessFailure(self._death, hint=ISOLATION_HINT)
            try:
                _write_message(self._child.stdin, pickle.dumps((method, args), protocol=5))
            except (BrokenPipeError, ValueError):  # the child has already gone
                self._died(doing)
            header, array = self._answer(doing)
        if header["ok"]:
            return array if header.get("array") else _from_json(header["value"])
        if header["error"] == "MemoryError":
            limit = self.isolation.memory_mb
            raise ModelProcessFailure(
                f"{self.path}: the model ran out of memory "
                f"({f'limit {limit:,} MB' if limit else 'no limit set'}) while {doing} in an "
                "isolated process",
                hint="raise --model-memory-mb if the model needs more",
            )
        raise _remote_exception(header["error"], header["message"])

    def _answer(self, doing: str) -> tuple[dict[str, Any], Any]:
        assert self._child.stdout is not None
        fd = self._child.stdout.fileno()
        deadline = time.monotonic() + self.isolation.timeout_s
        try:
            header = json.loads(_read_message(fd, deadline))
            if not isinstance(header, dict) or "ok" not in header:
                raise ValueError("not an answer")
            array = None
            if header.get("array"):
                array = np.load(io.BytesIO(_read_message(fd, deadline)), allow_pickle=False)
        except TimeoutError:
            self._child.kill()
            self._child.wait()
            self._death = (f"{self.path}: the model did not finish {doing} within "
                           f"{self.isolation.timeout_s:g} s (it may hang); its process was "
                           "stopped")  # fmt: skip
            raise ModelProcessFailure(self._death, hint=ISOLATION_HINT) from None
        except (EOFError, ValueError, OSError):  # gone, or sent something that is no answer
            self._died(doing)
        return header, array

    def _died(self, doing: str) -> Any:
        self._child.kill()
        code = self._child.wait()
        if code < 0:
            name = signal.Signals(-code).name
            self._death = (f"{self.path}: the model crashed the Python interpreter ({name}) "
                           f"while {doing} in an isolated process; a crafted or corrupted "
                           "model file can do this")  # fmt: skip
        else:
            self._death = (f"{self.path}: the model's isolated process ended (exit code "
                           f"{code}) while {doing}")  # fmt: skip
        raise ModelProcessFailure(self._death, hint=ISOLATION_HINT)


# What to do about a model that failed in its isolated process.
ISOLATION_HINT = "inspect the model file; if you trust it, rerun with --isolate off"


class ModelError(Exception):
    """An exception the model raised in its process, of a type that is not a builtin."""


def _remote_exception(type_name: str, message: str) -> Exception:
    kind = getattr(builtins, type_name, None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            return kind(message)
        except TypeError:  # a builtin that wants other arguments
            pass
    return ModelError(f"{type_name}: {message}")


def _doing(method: str, args: tuple[Any, ...]) -> str:
    rows = len(args[0]) if args and hasattr(args[0], "__len__") else 0
    what = "timing" if method == "measure" else f"calling {method} on"
    return f"{what} {rows:,} rows"


class RemoteModel:
    """The estimator as the audit sees it when it lives in a :class:`ModelProcess`: what
    the checks read of it, copied at load, and its methods as calls into the child. A
    method the model lacks is missing here too (``hasattr`` tells, as with the model)."""

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

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent to another process (a Dask worker): there it opens a process of its own for
        # the same file, checked to be the same bytes.
        process = self.process
        return _reopened, (process.path, process.load_options, process.isolation,
                           process.info["sha256"])  # fmt: skip

    def __getattr__(self, name: str) -> Any:
        if name in _METHODS and name in self.__dict__.get("_methods", ()):
            return lambda *args: self.process.call(name, *args)
        raise AttributeError(name)

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

        kind = self._estimator_type
        return Tags(
            estimator_type=kind, target_tags=TargetTags(required=kind is not None),
            classifier_tags=ClassifierTags() if kind == "classifier" else None,
            regressor_tags=RegressorTags() if kind == "regressor" else None,
        )  # fmt: skip


_REOPENED: dict[tuple[str, str], RemoteModel] = {}  # one model process per file and process
_REOPENING = threading.Lock()


def _reopened(
    path: Path, load_options: dict[str, Any], isolation: Isolation, sha256: str
) -> RemoteModel:
    """The model of an unpickled :class:`RemoteModel`, in a process opened once per process
    that receives it (closed when that process exits)."""
    with _REOPENING:
        key = (str(path), sha256)
        if key not in _REOPENED:
            process = ModelProcess(path, load_options, isolation)
            atexit.register(process.close)
            if process.info["sha256"] != sha256:
                process.close()
                raise ModelLoadError(f"{path} changed while the audit ran (sha256 {sha256} at "
                                     f"the start, {process.info['sha256']} now)")  # fmt: skip
            _REOPENED[key] = RemoteModel(process)
        return _REOPENED[key]


def probe_model(
    path: Path,
    samples: dict[str, pd.DataFrame],
    not_features: list[str],
    isolation: Isolation,
    load_options: dict[str, Any],
) -> str | None:
    """None when the model loads and predicts :data:`SAMPLE_ROWS` of every sample in a
    child process within the limits; otherwise what went wrong, in one sentence. Errors the
    model raises normally (a missing column, a bad value, a refused file) are left to the
    audit, which explains them."""
    try:
        with ModelProcess(path, load_options, isolation) as process:
            model = RemoteModel(process)
            for frame in samples.values():
                X = model_input(frame.head(SAMPLE_ROWS), model, not_features)
                model.predict(X)
                if hasattr(model, "predict_proba"):
                    model.predict_proba(X)
    except ModelProcessFailure as exc:
        return exc.message
    except Exception:
        return None
    return None


def model_input(frame: pd.DataFrame, model: Any, not_features: list[str]) -> pd.DataFrame:
    """The columns the model reads: its own feature names, else all but ``not_features``."""
    named = getattr(model, "feature_names_in_", None)
    if named is not None:
        return frame[list(named)]
    return frame.drop(columns=[c for c in not_features if c in frame.columns])


def _write_message(stream: IO[bytes] | None, payload: bytes) -> None:
    assert stream is not None
    stream.write(_LENGTH.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def _read_message(fd: int, deadline: float) -> bytes:
    """One message from ``fd``; TimeoutError past ``deadline``, EOFError if it closes."""
    (size,) = _LENGTH.unpack(_read_exactly(fd, _LENGTH.size, deadline))
    return _read_exactly(fd, size, deadline)


def _read_exactly(fd: int, size: int, deadline: float) -> bytes:
    parts, left = [], size
    while left:
        wait = deadline - time.monotonic()
        if wait <= 0 or not select.select([fd], [], [], wait)[0]:
            raise TimeoutError
        part = os.read(fd, min(left, 1 << 22))
        if not part:
            raise EOFError
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


# --- the child --------------------------------------------------------------------------


def _from_json(value: Any) -> Any:
    return np.asarray(value, dtype=object) if isinstance(value, list) else value


def _model_info(loaded: Any) -> dict[str, Any]:
    from sklearn.base import is_classifier, is_regressor

    from mlready.io.model import describe_estimator

    model = loaded.estimator

    def says(question: Any) -> bool:
        try:
            return bool(question(model))
        except AttributeError:  # duck-typed models outside scikit-learn's tag system
            return False

    classes = getattr(model, "classes_", None)
    names = getattr(model, "feature_names_in_", None)
    steps = getattr(model, "steps", None)
    return {
        "description": describe_estimator(model),
        "format": loaded.format, "sha256": loaded.sha256, "trusted": loaded.trusted,
        "methods": [m for m in _METHODS if callable(getattr(model, m, None))],
        "estimator_type": ("classifier" if says(is_classifier)
                           else "regressor" if says(is_regressor) else None),
        "classes": None if classes is None else np.asarray(classes).tolist(),
        "feature_names": None if names is None else [str(n) for n in names],
        "n_features": getattr(model, "n_features_in_", None),
        "steps": None if not steps else [[name, type(step).__name__] for name, step in steps],
    }  # fmt: skip


def _answer(value: Any) -> list[bytes]:
    """The messages that carry ``value``: numbers as an .npy array, anything else (labels
    as text) as JSON. Raises before anything is written if ``value`` cannot be sent."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        return [json.dumps({"ok": True, "array": True}).encode(), buffer.getvalue()]
    if isinstance(value, np.ndarray):
        value = value.tolist()  # numpy scalars become Python ones
    return [json.dumps({"ok": True, "value": value}).encode()]


def _call(model: Any, loaded: Any, method: str, args: tuple[Any, ...]) -> Any:
    from mlready.perf import PerfSettings, measure

    if method == "measure":
        X, settings = args
        timed = measure(model, loaded.path, loaded.sha256, X, PerfSettings(**settings))
        return dataclasses.asdict(timed)
    if method == "score":
        return float(model.score(*args))
    return np.asarray(getattr(model, method)(*args))


def _serve(job: dict[str, Any], requests: IO[bytes], out: IO[bytes]) -> None:
    """Load the model, answer with what the audit reads of it, then answer calls until
    the audit closes the pipe. The requests are the audit's own pickles."""
    from mlready.io.model import load_model, require_predict

    try:
        loaded = load_model(Path(job["model"]), **job["load"])
        require_predict(loaded)
    except MlreadyError as exc:
        reply = {"ok": False, "message": exc.message, "hint": exc.hint}
        _write_message(out, json.dumps(reply).encode())
        return
    _write_message(out, json.dumps({"ok": True, "info": _model_info(loaded)}).encode())
    while header := requests.read(_LENGTH.size):
        (size,) = _LENGTH.unpack(header)
        method, args = pickle.loads(requests.read(size))
        try:
            messages = _answer(_call(loaded.estimator, loaded, method, args))
        except Exception as exc:
            reply = {"ok": False, "error": type(exc).__name__, "message": str(exc)}
            messages = [json.dumps(reply).encode()]
        for message in messages:
            _write_message(out, message)


def _child_main() -> None:
    job = json.loads(sys.argv[1])
    if job["memory_mb"] is not None:  # before any of the model's code runs
        size = job["memory_mb"] * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    # The protocol gets its own copy of stdout; whatever the model prints goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the audit stops us by closing the pipe
    _serve(job, sys.stdin.buffer, out)


if __name__ == "__main__":
    _child_main()
