"""The model process's work once it is locked down: load the model, answer calls.

Imported by :mod:`mlready.sandbox.child` only after the lockdown. Every answer carries
what the model tried that the sandbox forbids (``attempts``, from the audit hook), so that
mlready can stop the process and say why.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import importlib
import json
import re
import time
from pathlib import Path
from typing import IO, Any

import joblib
import numpy as np

from mlready.errors import MlreadyError
from mlready.io.model import LoadedModel, load_model_bytes, model_summary, require_predict
from mlready.io.outputs import outputs
from mlready.sandbox import lockdown, wire
from mlready.sandbox.channel import read_message, read_pickled, write_message

# How a library says it could not get memory, when it does not raise MemoryError
# (onnxruntime, C++ code: std::bad_alloc).
_OUT_OF_MEMORY = re.compile(
    r"bad_alloc|failed to allocate|out of memory|cannot allocate|failed to map segment", re.I
)
# Imported before the memory limit is set, so that the limit is the model's own: what
# every model of a format needs (a given model's own modules still count against it).
_FORMAT_LIBRARIES = {
    "onnx": ("onnxruntime", "mlready.io.onnx"),
    "skops": ("skops.io", "sklearn.base", "scipy.sparse"),
}
_PICKLE_LIBRARIES = ("sklearn.base", "sklearn.utils", "scipy.sparse")


def _is_out_of_memory(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, MemoryError) or _OUT_OF_MEMORY.search(str(seen)):
            return True
        seen = seen.__cause__
    return False


def _import_quietly(modules: tuple[str, ...]) -> None:
    for module in modules:
        with contextlib.suppress(ImportError):  # an optional extra; loading will say so
            importlib.import_module(module)


class Server:
    """One model, loaded from the bytes mlready sends, and the calls it answers."""

    def __init__(
        self, requests: IO[bytes], answers: IO[bytes], layers: list[Any], memory_mb: int | None
    ) -> None:
        self.requests = requests
        self.answers = answers
        self.layers = layers
        self.memory_mb = memory_mb
        self.memory: Any = None  # the memory layer, once the limit is set
        self.attempts: list[str] = []
        self.loaded: LoadedModel | None = None
        self.data = b""
        self.spare: Any = None  # a second copy, while memory is measured

    def run(self) -> None:
        """Say which layers are in force, load the model, answer calls until EOF."""
        self._send_json({"ok": True, "layers": self.layers})
        job = self._read()
        if job is None:
            return
        header, self.data = job
        _import_quietly(_FORMAT_LIBRARIES.get(header["format"], _PICKLE_LIBRARIES))
        self.memory = lockdown.limit_memory(self.memory_mb)
        lockdown.watch(self.attempts)
        # The model's own n_jobs would start worker processes, which the sandbox forbids.
        with joblib.parallel_config(backend="threading"):
            if self._load(header):
                self._serve()

    def _read(self) -> tuple[dict[str, Any], bytes] | None:
        header = read_message(self.requests)
        data = read_message(self.requests)
        if header is None or data is None:
            return None
        return json.loads(header), data

    def _notes(self) -> dict[str, Any]:
        attempts, self.attempts[:] = list(self.attempts), []
        return {"attempts": attempts, "memory_layer": self.memory}

    def _send_json(self, body: dict[str, Any]) -> None:
        write_message(self.answers, json.dumps(body).encode())

    def _fail(self, kind: str, exc: BaseException) -> None:
        message = exc.message if isinstance(exc, MlreadyError) else str(exc)
        hint = exc.hint if isinstance(exc, MlreadyError) else None
        self._send_json(
            {
                "ok": False,
                "kind": kind,
                "error": type(exc).__name__,
                "message": message,
                "hint": hint,
                **self._notes(),
            }
        )

    def _load(self, header: dict[str, Any]) -> bool:
        started = time.perf_counter()
        try:
            self.loaded = load_model_bytes(self.data, Path(header["path"]), **header["load"])
            require_predict(self.loaded)
        except Exception as exc:  # load_model_bytes wraps what the file's code raised
            self._fail("memory" if _is_out_of_memory(exc) else "refused", exc)
            return False
        info = model_summary(self.loaded)
        info["load_s"] = time.perf_counter() - started
        self._send_json({"ok": True, "info": info, **self._notes()})
        return True

    def _serve(self) -> None:
        while True:
            try:
                method, args = read_pickled(self.requests)  # mlready's own request
            except EOFError:
                return
            try:
                messages = wire.encode_answer(self._call(method, args), self._notes())
            except Exception as exc:
                self._fail("memory" if _is_out_of_memory(exc) else "model", exc)
                continue
            for message in messages:
                write_message(self.answers, message)

    def _call(self, method: str, args: tuple[Any, ...]) -> Any:
        assert self.loaded is not None
        model = self.loaded.estimator
        if method == "outputs":  # several methods on the same rows, sent once
            X, methods = args
            found = outputs(model, X, methods)
            classes = getattr(model, "classes_", None)  # an ONNX graph learns them by predicting
            return found if classes is None else {**found, "classes_": np.asarray(classes)}
        if method == "time":
            from mlready.perf import PerfSettings, time_model

            X, settings = args
            return dataclasses.asdict(time_model(model, X, PerfSettings(**settings)))
        if method == "load_again":
            return self._load_again()
        if method == "forget_first":
            return self._forget_first()
        if method == "predict_once":
            return self._predict_once(*args)
        if method == "score":
            return float(model.score(*args))
        if method == "permutation_importance":
            from mlready.sandbox.remote import permutation_importance

            X, y, n_repeats, random_state = args
            return permutation_importance(model, X, y, n_repeats, random_state)
        return np.asarray(getattr(model, method)(*args))

    # Memory is measured by mlready reading this process's resident set between these steps.
    def _load_again(self) -> float:
        assert self.loaded is not None
        started = time.perf_counter()
        self.spare = load_model_bytes(self.data, self.loaded.path, pinned_sha256=self.loaded.sha256)
        return time.perf_counter() - started

    def _forget_first(self) -> bool:
        assert self.loaded is not None and self.spare is not None
        self.loaded, self.spare = self.spare, None
        gc.collect()
        return True

    def _predict_once(self, X: Any, method: str, threads: int) -> float:
        from threadpoolctl import threadpool_limits

        assert self.loaded is not None
        with threadpool_limits(limits=threads):
            cpu = time.process_time()
            getattr(self.loaded.estimator, method)(X)
            return time.process_time() - cpu
