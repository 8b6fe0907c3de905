"""The model process, seen from mlready: start it, talk to it, stop it.

:class:`ModelProcess` starts ``python -m mlready.sandbox.child`` with an empty private
working directory (removed afterwards), a scrubbed environment and no file descriptors but
three pipes; the child locks itself down (:mod:`mlready.sandbox.lockdown`) and says which
layers are in force; only then does mlready send it the model's bytes. Every call has a
deadline, and all calls together have a budget: past either, and on any interruption of
mlready, the child is ended with SIGKILL, which it cannot ignore. A crash, a hang, memory
exhaustion or an attempt to do what the sandbox forbids becomes a
:class:`ModelProcessFailure` naming the model file and the cause.
"""

from __future__ import annotations

import builtins
import collections
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from mlready.errors import MlreadyError, ModelLoadError
from mlready.io.model import model_format, read_model_bytes
from mlready.sandbox import channel
from mlready.sandbox.settings import SandboxSettings

# The longest mlready waits for its model process to start (before the model is sent).
_STARTING_S = 600.0
# What to do about a model that failed in its process.
SANDBOX_HINT = "inspect the model file; if you made it yourself, rerun with --isolate off"


class ModelProcessFailure(ModelLoadError):
    """The model crashed its process, hung, ran out of memory there, or tried what the
    sandbox forbids; its process is gone."""


class SandboxIncomplete(MlreadyError):
    """``--sandbox required``, and a layer of the sandbox is not in force here."""


class ModelError(Exception):
    """An exception the model raised in its process, of a type that is not a builtin."""


# The most of a model's own error message that reaches a report (the model wrote it).
_MESSAGE_CHARS = 500


def _remote_exception(type_name: str, message: str) -> Exception:
    message = message if len(message) <= _MESSAGE_CHARS else message[:_MESSAGE_CHARS] + "..."
    kind = getattr(builtins, type_name, None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            return kind(message)
        except TypeError:  # a builtin that wants other arguments
            pass
    return ModelError(f"{type_name}: {message}")


def _doing(method: str, args: tuple[Any, ...]) -> str:
    rows = len(args[0]) if args and hasattr(args[0], "__len__") else 0
    if method in ("time", "predict_once"):
        return f"timing {rows:,} rows"
    if method == "outputs":
        return f"calling {' and '.join(args[1])} on {rows:,} rows"
    if method in ("load_again", "forget_first"):
        return "loading the model again to measure its memory"
    return f"calling {method} on {rows:,} rows"


# Environment variables the child keeps: the thread counts a user set for BLAS and OpenMP.
_KEPT_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def _environment(private: Path) -> dict[str, str]:
    kept = {name: os.environ[name] for name in _KEPT_VARIABLES if name in os.environ}
    # In the sandbox joblib cannot create a semaphore, takes itself for single-core and
    # makes scikit-learn run OpenMP on one thread: say how many cores mlready sees.
    import joblib

    kept.setdefault("OMP_NUM_THREADS", str(joblib.cpu_count()))
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(private),
        "TMPDIR": str(private),
        "LC_ALL": "C.UTF-8",
        **kept,
    }


def _import_path() -> list[str]:
    """Where the child imports from: mlready's own import path (the working directory
    stands for an empty entry), so that what mlready could import, the model can too."""
    return [os.path.abspath(entry or os.curdir) for entry in sys.path]


def _package_folder(module: str) -> str | None:
    """The folder of ``module``'s top-level package, found without importing anything."""
    from importlib.machinery import PathFinder

    with contextlib.suppress(Exception):
        found = PathFinder.find_spec(module.split(".")[0])
        if found is not None and found.submodule_search_locations:
            return str(next(iter(found.submodule_search_locations)))
        if found is not None and found.origin:
            return str(Path(found.origin).parent)
    return None


def readable_paths(allowed_modules: list[str], import_path: list[str]) -> list[str]:
    """What the model process may read: the interpreter, its import path, mlready, the
    packages named in ``model.allow``, and the system libraries."""
    from mlready.sandbox.lockdown import SYSTEM_READABLE

    mlready_root = str(Path(__file__).resolve().parents[2])  # .../site-packages or src/
    prefixes = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}
    packages = {folder for m in allowed_modules if (folder := _package_folder(m))}
    return sorted(prefixes | set(import_path) | {mlready_root} | packages | set(SYSTEM_READABLE))


class ModelProcess:
    """A model loaded in a sandboxed child process. Starting one returns at once; the first
    use (or :meth:`wait_loaded`) waits for the model to load. Calls are serialised (checks
    may run in threads). Use as a context manager, or :meth:`close`.

    Raises :class:`ModelLoadError` as :func:`~mlready.io.model.load_model` does (a refused
    or damaged file), :class:`ModelProcessFailure` when the model fails in its process, and
    :class:`SandboxIncomplete` when a layer is missing and every layer is required.
    """

    def __init__(self, path: Path, load_options: dict[str, Any], settings: SandboxSettings) -> None:
        if sys.platform == "win32":
            raise MlreadyError(
                "the model sandbox needs Linux or macOS",
                hint="run mlready in WSL or a Linux container; --isolate off loads the model "
                "in mlready's own process (only for files you made yourself)",
            )
        self.path = Path(path)
        self.load_options = load_options
        self.settings = settings
        self.format = model_format(self.path)
        self._data = read_model_bytes(self.path)
        self.sha256 = hashlib.sha256(self._data).hexdigest()
        self.layers: list[dict[str, Any]] = []
        self._info: dict[str, Any] | None = None
        self._lock = threading.RLock()
        self._death: str | None = None
        self._model_seconds = 0.0
        self._stderr: collections.deque[bytes] = collections.deque(maxlen=40)
        self._private = Path(tempfile.mkdtemp(prefix="mlready-model-"))
        import_path = _import_path()
        job = {
            "sys_path": import_path,
            "readable": readable_paths(list(load_options.get("extra_allowed", ())), import_path),
            "memory_mb": settings.memory_mb,
            "die_with_parent": threading.current_thread() is threading.main_thread(),
        }
        self._child = subprocess.Popen(
            [sys.executable, "-I", "-B", "-m", "mlready.sandbox.child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self._private,
            env=_environment(self._private),
            close_fds=True,
            start_new_session=True,  # a Ctrl-C in the terminal is mlready's to handle
        )
        assert self._child.stdin and self._child.stdout and self._child.stderr
        for pipe in (self._child.stdin, self._child.stdout):
            channel.widen_pipe(pipe.fileno())
        self._drain = threading.Thread(target=self._keep_stderr, daemon=True)
        self._drain.start()
        self._send(json.dumps(job).encode())

    # --- life cycle --------------------------------------------------------------------

    def __enter__(self) -> ModelProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the child (SIGKILL: it holds nothing worth saving) and remove its folder."""
        self._kill()
        for pipe in (self._child.stdin, self._child.stdout):
            with contextlib.suppress(OSError):
                pipe.close()  # type: ignore[union-attr]
        self._drain.join(timeout=5)
        shutil.rmtree(self._private, ignore_errors=True)

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self._child.pid

    @property
    def info(self) -> dict[str, Any]:
        """What mlready reads of the model (classes, feature names, methods, ...)."""
        self.wait_loaded()
        assert self._info is not None
        return self._info

    def wait_loaded(self) -> None:
        """Wait for the lockdown, send the model, wait for it to load. Raises as the class
        docstring says."""
        with self._lock:
            if self._info is not None:
                return
            self._raise_if_dead()
            # Starting is mlready's own code (imports, lockdown): a slow machine is no fault
            # of the model's. Loading is the model's, and has the limit of a call.
            started_by = time.monotonic() + max(self.settings.call_timeout_s, _STARTING_S)
            try:
                self.layers = self._receive("starting", started_by)[0]["layers"]
                self._require_layers()
                header = {"path": str(self.path), "format": self.format, "load": self.load_options}
                self._send(json.dumps(header).encode())
                self._send(self._data)
                self._data = b""  # the child has it; the file is read again if needed
                loaded_by = time.monotonic() + self.settings.call_timeout_s
                answer, _ = self._receive("loading", loaded_by, self._note_memory_layer)
            except BaseException:
                self._abandon(f"{self.path}: the model's process was stopped while loading")
                raise
            if not answer["ok"]:
                if answer["kind"] == "memory":
                    raise self._out_of_memory("loading")
                self._abandon(answer["message"])
                raise ModelLoadError(answer["message"], hint=answer.get("hint"))
            self._info = answer["info"]

    def _require_layers(self) -> None:
        missing = [
            f"{layer['name']} ({layer['detail']})" for layer in self.layers if not layer["in_force"]
        ]
        if missing and self.settings.required:  # None (not said) is not required
            raise SandboxIncomplete(
                f"the model sandbox is incomplete here: {'; '.join(missing)}; {self.path} "
                "was not loaded",
                hint="run on a Linux kernel with Landlock and seccomp (5.13 or later), or "
                "pass --sandbox best-effort to accept the layers this system offers",
            )

    # --- calls -------------------------------------------------------------------------

    def call(self, method: str, *args: Any) -> Any:
        """``model.method(*args)`` in the child. The model's own exceptions are raised
        again here with their type and message (a builtin type, else :class:`ModelError`)."""
        self.wait_loaded()
        doing = _doing(method, args)
        with self._lock:
            self._raise_if_dead()
            started = time.monotonic()
            left = self.settings.total_timeout_s - self._model_seconds
            deadline = started + min(self.settings.call_timeout_s, max(left, 0.0))
            try:
                self._send_pickled((method, args))
                header, value = self._receive(doing, deadline)
            except BaseException:
                self._abandon(f"{self.path}: the model's process was stopped while {doing}")
                raise
            finally:
                self._model_seconds += time.monotonic() - started
        if header["ok"]:
            return value
        if header["kind"] == "memory":
            raise self._out_of_memory(doing)
        raise _remote_exception(header["error"], header["message"])

    def _send(self, payload: bytes) -> None:
        try:
            channel.write_message(self._child.stdin, payload)  # type: ignore[arg-type]
        except (BrokenPipeError, ValueError, OSError):  # the child has already gone
            raise self._failure(self._ended("sending it work")) from None

    def _send_pickled(self, request: tuple[str, tuple[Any, ...]]) -> None:
        try:
            channel.write_pickled(self._child.stdin, request)  # type: ignore[arg-type]
        except (BrokenPipeError, ValueError, OSError):
            raise self._failure(self._ended("sending it work")) from None

    def _note_memory_layer(self, header: dict[str, Any]) -> None:
        layer = header.get("memory_layer")
        if layer is not None and not any(known["name"] == "memory" for known in self.layers):
            self.layers.append(layer)

    def _receive(
        self, doing: str, deadline: float, first: Callable[[dict[str, Any]], None] | None = None
    ) -> tuple[dict[str, Any], Any]:
        """The next answer; ``first`` sees its header before anything else is judged."""
        from mlready.sandbox import wire

        fd = self._child.stdout.fileno()  # type: ignore[union-attr]
        try:
            header = wire.as_json(channel.read_message_by(fd, deadline))
            if first is not None:
                first(header)
            value = wire.decode_answer(header, lambda: channel.read_message_by(fd, deadline))
        except TimeoutError:
            raise self._failure(self._too_slow(doing)) from None
        except (EOFError, ValueError, OSError):  # gone, or sent something that is no answer
            raise self._failure(self._ended(doing)) from None
        if header.get("attempts"):
            tried = "; ".join(dict.fromkeys(header["attempts"]))
            raise self._failure(
                f"{self.path}: the model tried to {tried} while {doing}; "
                "the sandbox stopped it and its process was ended"
            )
        return header, value

    # --- failures ----------------------------------------------------------------------

    def _raise_if_dead(self) -> None:
        if self._death is not None:
            raise ModelProcessFailure(self._death, hint=SANDBOX_HINT)

    def _failure(self, why: str) -> ModelProcessFailure:
        """The process is ended, for the first reason given."""
        self._abandon(why)
        return ModelProcessFailure(self._death or why, hint=SANDBOX_HINT)

    def _abandon(self, why: str) -> None:
        self._death = self._death or why
        self._kill()

    def _kill(self) -> int:
        """SIGKILL the child if it runs; its exit status."""
        if self._child.poll() is None:
            self._child.kill()
        return self._child.wait()

    def _too_slow(self, doing: str) -> str:
        per_call, total = self.settings.call_timeout_s, self.settings.total_timeout_s
        if self.settings.total_timeout_s - self._model_seconds < per_call:
            return (
                f"{self.path}: the model used up the {total:g} s it may run in all "
                f"(--model-total-timeout) while {doing}; its process was killed"
            )
        return (
            f"{self.path}: the model took longer than {per_call:g} s {doing} "
            "(--model-timeout); it may hang, and its process was killed"
        )

    def _out_of_memory(self, doing: str) -> ModelProcessFailure:
        limit = self.settings.memory_mb
        allowed = f"its {limit:,} MB" if limit else "the machine's memory (no limit set)"
        return self._failure(f"{self.path}: the model ran out of {allowed} while {doing}")

    def _ended(self, doing: str) -> str:
        """Why the process is gone (it is killed first if it has not gone within seconds
        of closing its end of the pipe)."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._child.wait(timeout=5)
        code = self._kill()
        self._drain.join(timeout=1)
        if code == -signal.SIGSYS:
            return (
                f"{self.path}: the model made a system call the sandbox forbids while "
                f"{doing}; its process was killed"
            )
        if code < 0:
            name = signal.Signals(-code).name
            return (
                f"{self.path}: the model crashed its process ({name}) while {doing}; a "
                "crafted or corrupted model file can do this"
            )
        last = b"".join(self._stderr).decode(errors="replace").strip().splitlines()[-1:]
        said = f": {last[0][:300]}" if last else ""
        return f"{self.path}: the model's process ended (exit code {code}) while {doing}{said}"

    def _keep_stderr(self) -> None:
        stream: IO[bytes] = self._child.stderr  # type: ignore[assignment]
        with contextlib.suppress(OSError, ValueError):
            while chunk := stream.readline(4096):
                self._stderr.append(chunk)

    # --- the child's memory, read by mlready -------------------------------------------

    def memory_mb(self, field_name: str) -> float:
        """A field of the child's /proc status in MB (VmRSS: now, VmHWM: peak)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field_name):
                return int(line.split()[1]) / 1024
        return float("nan")

    def reset_peak_memory(self) -> None:
        """Make the child's peak resident set its current one (Linux)."""
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")
