"""Reading pickle and joblib files through the allow-list.

A pickle is a program: unpickling can call any importable callable with arguments chosen by
whoever wrote the file. Pickle and joblib files are therefore read twice. The scan walks the
stream with every global replaced by an inert stub and lists the globals outside the
allow-list (:mod:`mlready.io.allowlist`); only when that list is empty does the real load
run, and its ``find_class`` enforces the same allow-list again. Both passes refuse state
that is certainly hostile. Both run inside the sandboxed model process unless the user
chose ``--isolate off``.
"""

from __future__ import annotations

import _compat_pickle
import copyreg
import io
import pickle
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from joblib.numpy_pickle import NumpyArrayWrapper, NumpyUnpickler
from joblib.numpy_pickle_utils import _validate_fileobject_and_memmap

from mlready.errors import ModelLoadError
from mlready.io.allowlist import (
    HostileGetattr,
    Refused,
    allowed_object,
    hostile_state,
    is_forbidden_dunder,
)

_DAMAGED_HINT = "The file may be truncated or damaged: save the fitted model again."
# Real objects during the scan: they only build the dtypes and wrappers that say how many raw
# array bytes follow, so that the scan skips those bytes instead of parsing them as opcodes.
_SCAN_REAL = frozenset(
    {
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "numpy.dtype",
        "_codecs.encode",
        "numpy._core._internal._convert_to_stringdtype_kwargs",
    }
)


class HostilePickle(pickle.UnpicklingError):
    """The pickle does something no genuine model does (the message says what)."""


# Opcodes that call a method of an object already on the stack, and where that object sits.
_TARGETS: dict[bytes, Callable[[Any], Any]] = {
    pickle.BUILD: lambda u: u.stack[-2],
    pickle.APPEND: lambda u: u.stack[-2],
    pickle.SETITEM: lambda u: u.stack[-3],
    pickle.APPENDS: lambda u: u.metastack[-1][-1],
    pickle.SETITEMS: lambda u: u.metastack[-1][-1],
    pickle.ADDITEMS: lambda u: u.metastack[-1][-1],
}
# Where the keys being set sit, for the opcodes that set items.
_KEYS: dict[bytes, Callable[[Any], list[Any]]] = {
    pickle.SETITEM: lambda u: [u.stack[-2]],
    pickle.SETITEMS: lambda u: u.stack[::2],
}


def _guard(opcode: bytes, handler: Callable[[Any], None]) -> Callable[[Any], None]:
    target_of, keys_of = _TARGETS[opcode], _KEYS.get(opcode)

    def guarded(unpickler: Any) -> None:
        target = target_of(unpickler)
        # BUILD on a class would setattr on it process-wide, APPENDS on a class would call an
        # unbound method with any ``self``: imported objects may only ever be called.
        if id(target) in unpickler.resolved:
            raise HostilePickle("it tries to modify an imported object")
        # A dunder key set on a dict-like object (a Bunch) becomes an attribute numpy follows.
        if (
            keys_of is not None
            and type(target) is not dict
            and any(is_forbidden_dunder(key) for key in keys_of(unpickler))
        ):
            raise HostilePickle("it sets a dunder attribute on an object")
        handler(unpickler)

    return guarded


def _guarded_dispatch(base: dict[int, Callable[[Any], None]]) -> dict[int, Callable[[Any], None]]:
    table = dict(base)
    for opcode in _TARGETS:
        table[opcode[0]] = _guard(opcode, base[opcode[0]])
    return table


class SafeUnpickler(NumpyUnpickler):
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
        reason = hostile_state(self.stack[-1])
        if reason is not None:
            raise HostilePickle(reason)
        pickle._Unpickler.dispatch[pickle.BUILD[0]](self)
        if type(self.stack[-1]) is NumpyArrayWrapper:
            self.stack[-1] = self._read_array(self.stack[-1])

    dispatch[pickle.BUILD[0]] = _guard(pickle.BUILD, load_build)

    def _read_array(self, wrapper: NumpyArrayWrapper) -> Any:
        if not wrapper.dtype.hasobject:
            return wrapper.read(self, self.ensure_native_byte_order)
        # joblib reads this nested pickle with a bare Unpickler; ours keeps every check.
        nested = SafeUnpickler(self.file_handle, self.resolve)
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
def _pickle_stream(data: bytes, path: Path) -> Iterator[IO[bytes]]:
    with _validate_fileobject_and_memmap(io.BytesIO(data), str(path)) as (stream, _):
        if isinstance(stream, str):
            raise ModelLoadError(
                f"{path} uses the joblib<0.10 format, which cannot be checked safely",
                hint="Re-save the model with a current joblib.",
            )
        yield stream


def scan_bytes(data: bytes, path: Path, extra_allowed: Sequence[str]) -> dict[str, bool]:
    """Map every refused global to whether it is missing; raise ModelLoadError if the stream
    is unreadable, and HostilePickle if it does what no genuine model does."""
    refused: dict[str, bool] = {}

    def record(module: str, name: str) -> Any:
        qualified = f"{module}.{name}"
        try:
            obj = allowed_object(module, name, extra_allowed)
        except Refused as exc:
            refused[qualified] = exc.missing
            return _Stub()
        if qualified == "copyreg._reconstructor":
            return _scan_reconstructor
        return obj if qualified in _SCAN_REAL else _Stub()

    try:
        with _pickle_stream(data, path) as stream:
            SafeUnpickler(stream, record).load()
    except (ModelLoadError, HostilePickle):
        raise
    except Exception as exc:
        if not refused:  # a refusal says more than the error it may have caused
            raise ModelLoadError(
                f"{path} is not a valid pickle/joblib file: {exc!r}", hint=_DAMAGED_HINT
            ) from exc
    return refused


def load_checked(data: bytes, path: Path, extra_allowed: Sequence[str]) -> Any:
    """Unpickle ``data``, every global going through the allow-list again."""

    def enforce(module: str, name: str) -> Any:
        try:
            return allowed_object(module, name, extra_allowed)
        except Refused as exc:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed") from exc

    with _pickle_stream(data, path) as stream:
        try:
            return SafeUnpickler(stream, enforce).load()
        except HostileGetattr as exc:
            raise HostilePickle(str(exc)) from None
