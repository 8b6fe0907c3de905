"""What a pickled model may reference: a first line of defence and a diagnostic.

No list of names makes unpickling safe (a fitted estimator's state is itself a program:
method names, callables and their arguments), so the safety boundary is the sandboxed model
process (:mod:`mlready.sandbox`). This list refuses what is certainly hostile, with a clear
message, before any of the file's code runs: globals outside scikit-learn, numpy, scipy and
pandas (unless ``model.allow`` names their module exactly), those libraries' file, test,
build and code-evaluating modules, functions that read or write files or evaluate code,
attribute walks through dotted names, and object state that smuggles a memory pointer or
code. It admits what stock models reference: the libraries' classes and functions
(``numpy.clip``, ``check_array``, scipy.stats distributions), the reconstruction helpers their
pickles use, and the scikit-learn wrappers of xgboost and lightgbm by exact class.
"""

from __future__ import annotations

import importlib
import io
import keyword
import mmap
import re
from collections.abc import Iterator, Sequence
from types import BuiltinFunctionType, FunctionType, ModuleType
from typing import Any

import numpy as np

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
    # pandas 3 keeps strings in Arrow arrays; _restore_array is replaced by a validating wrapper.
    "pyarrow.lib": "type_for_alias py_buffer _restore_array",
}
SAFE_GLOBALS = frozenset(f"{m}.{n}" for m, names in _SAFE_NAMES.items() for n in names.split())
# The scikit-learn wrappers of the gradient-boosting libraries and their boosters, admitted
# by exact class (their modules hold much else). Their state is the library's own model
# format, read by its C++ code in the sandboxed process.
KNOWN_WRAPPERS = frozenset(
    f"{module}.{name}"
    for module, names in {
        "xgboost.sklearn": "XGBClassifier XGBRegressor XGBRanker XGBRFClassifier XGBRFRegressor",
        "xgboost.core": "Booster",
        "lightgbm.sklearn": "LGBMClassifier LGBMRegressor LGBMRanker",
        "lightgbm.basic": "Booster",
    }.items()
    for name in names.split()
)
_LIBRARY_PACKAGES = frozenset({"sklearn", "numpy", "scipy", "pandas"})
# Module path segments whose classes and functions read or write files, open sockets, start
# processes, run tests, execute or import code named by their arguments, wrap raw memory
# pointers or change global settings. Any segment containing "test" is blocked too.
_BLOCKED_SEGMENTS = frozenset(
    {
        "testing",
        "_testing",
        "tests",
        "io",
        "datasets",
        "externals",
        "f2py",
        "distutils",
        "ctypeslib",
        "estimator_checks",
        "_pytesttester",
        "conftest",
        "__main__",
        "_mocking",
        "_ccallback",
        "_internal",
        "_datasource",
        "npyio",
        "_npyio_impl",
        "_iotools",
        "format",
        "_format_impl",
        "computation",
        "parsers",
        "sas",
        "odr",
        "_config",
        "_util",
        "parallel",
        "messagestream",
        "_gcutils",
        "_tmpdirs",
        "_transport",
        "_scoring_monitor",
        "_progressbar",
        "plotting",
        "groupby",
        "resample",
        "col",
        "interchange",
        "_stride_tricks_impl",
        "stride_tricks",
        "_matrix_io",
        "records",
    }
)
# Library functions that read or write files or evaluate code, wherever they are defined.
_FILE_OR_CODE_NAMES = (
    "fromfile tofile fromregex load loads save savez savez_compressed savetxt loadtxt "
    "genfromtxt load_npz save_npz dump dumps open_memmap eval exec system popen"
)
_FILE_OR_CODE_FUNCTIONS = frozenset(_FILE_OR_CODE_NAMES.split())
# Methods that unpickling, garbage collection or attribute fallback can run on an instance.
_ENTRY_METHODS = (
    "__new__",
    "__init__",
    "__call__",
    "__setstate__",
    "__setitem__",
    "append",
    "extend",
    "add",
    "__getattr__",
    "__del__",
)
# Classes that open, map or create files whatever module they are reached through.
_IO_CLASSES = (np.memmap, io.IOBase, mmap.mmap)
# Cython and scikit-learn rebuild helpers only call __new__ on a class that passed the check.
_REBUILD_HELPER = re.compile(r"__pyx_unpickle_\w+|newObj")
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
DUNDER = re.compile(r"__\w*__")
# The dunder attributes genuine state carries (scipy.stats distributions and
# numpy.vectorize keep their docstring and name); any other one in state is an attack.
_DESCRIPTIVE = frozenset({"__doc__", "__name__", "__qualname__", "__module__"})
_FUNCTION_TYPES = ("cython_function_or_method", "fused_cython_function", "_ArrayFunctionDispatcher")


class Refused(Exception):
    """A global outside the allow-list; ``missing`` when it cannot even be found."""

    def __init__(self, missing: bool = False) -> None:
        super().__init__()
        self.missing = missing


def _is_blocked(module: Any) -> bool:
    parts = module.split(".") if isinstance(module, str) else [""]
    blocked = not _BLOCKED_SEGMENTS.isdisjoint(parts) or any("test" in part for part in parts)
    return parts[0] in _LIBRARY_PACKAGES and blocked


def _is_library_module(module: Any) -> bool:
    return (
        isinstance(module, str)
        and module.split(".")[0] in _LIBRARY_PACKAGES
        and not _is_blocked(module)
    )


def _import_attribute(module: str, name: str) -> Any:
    try:
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
    except Exception as exc:  # importing installed code may fail in any way
        raise Refused(missing=True) from exc
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


def _function_home(obj: Any) -> str | None:
    """The module a plain function is written in (numpy and pandas relabel ``__module__``),
    or None for anything that is not a plain function (a bound method, a class...)."""
    target = getattr(obj, "_implementation", obj)  # numpy's array-function dispatchers
    if isinstance(target, FunctionType):
        return str(target.__globals__.get("__name__", ""))
    is_function = (
        isinstance(target, BuiltinFunctionType) or type(target).__name__ in _FUNCTION_TYPES
    )
    bound = getattr(target, "__self__", None)
    if is_function and (bound is None or isinstance(bound, ModuleType)):
        return getattr(target, "__module__", None) or getattr(bound, "__name__", None)
    return None


def _is_library_function(obj: Any) -> bool:
    name = getattr(obj, "__name__", "")
    return _is_library_module(_function_home(obj)) and name not in _FILE_OR_CODE_FUNCTIONS


def _defined_in(obj: Any, module: str, name: str) -> bool:
    """Whether ``obj`` is a class or function written in ``module`` under ``name``, not one
    that module merely imported (``xgboost.core`` imports ``os``)."""
    if getattr(obj, "__qualname__", None) != name:
        return False
    if isinstance(obj, type):
        return obj.__module__ == module
    return _function_home(obj) == module


def _restore_arrow_array(state: Any) -> Any:
    import pyarrow.lib  # only pickled pandas string data needs it

    array = pyarrow.lib._restore_array(state)
    array.validate(full=True)  # pyarrow trusts pickled offsets; check them before any read
    return array


def _bound_method(obj: Any, name: Any) -> Any:
    """``getattr`` as genuine pickles use it: to rebuild a bound method of a library object
    (scipy.stats distributions keep ``np.vectorize(self._ppf_single)``). Any other reach is
    refused: a dunder, a method that reads or writes files, or anything that is not a
    method of an instance of a library class."""
    if not isinstance(name, str) or DUNDER.fullmatch(name) or name in _FILE_OR_CODE_FUNCTIONS:
        raise HostileGetattr(f"it reaches the attribute {name!r} of an object")
    if isinstance(obj, type | ModuleType) or not _is_library_class(type(obj)):
        raise HostileGetattr(f"it reaches the attribute {name!r} of a {type(obj).__name__}")
    found = getattr(obj, name)
    if not callable(found) or getattr(found, "__self__", None) is not obj:
        raise HostileGetattr(f"it reaches {name!r}, which is not a method of the object")
    return found


class HostileGetattr(Exception):
    """A pickle's ``getattr`` reaches further than a library object's own method."""


def allowed_object(module: str, name: str, extra_allowed: Sequence[str]) -> Any:
    """Import and return ``module.name`` if the allow-list admits it, else raise Refused.

    ``extra_allowed`` are whole module names (``model.allow``): their own classes and
    functions are admitted, not what they import, and not their submodules."""
    qualified = f"{module}.{name}"
    if qualified == "builtins.getattr":
        return _bound_method
    if qualified in SAFE_GLOBALS:
        obj = _import_attribute(module, name)
        return _restore_arrow_array if qualified == "pyarrow.lib._restore_array" else obj
    # Dunder attributes lead from an allowed object to its globals, code or metaclass.
    if not (_DOTTED_NAME.fullmatch(module) and _DOTTED_NAME.fullmatch(name)) or any(
        DUNDER.fullmatch(part) for part in name.split(".")
    ):
        raise Refused
    if qualified in KNOWN_WRAPPERS or module in {m.strip() for m in extra_allowed}:
        obj = _import_attribute(module, name)
        if _defined_in(obj, module, name):
            return obj
        raise Refused
    # Checked before importing: a module outside the libraries is never imported for a pickle.
    if not _is_library_module(module):
        raise Refused
    obj = _import_attribute(module, name)
    if "." in name and not (isinstance(obj, type) and obj.__qualname__ == name):
        raise Refused  # a dotted name may only reach a nested class, not walk attributes
    is_rebuild_helper = _REBUILD_HELPER.fullmatch(name) is not None and callable(obj)
    if (
        _is_library_class(obj)
        or isinstance(obj, np.ufunc)
        or is_rebuild_helper
        or _is_library_function(obj)
    ):
        return obj
    raise Refused


_LOCSCALES = (("loc=0, scale=1", "loc, scale"), ("loc=0", "loc, 1"))


def _genuine_argument_parser(state: dict[Any, Any]) -> bool:
    """Whether a scipy.stats distribution's ``_parse_arg_template`` (which scipy exec()s as
    it unpickles one) is the text scipy itself writes for the shapes the state names."""
    from scipy.stats._distn_infrastructure import parse_arg_template

    shapes = state.get("shapes") or ""
    if not isinstance(shapes, str):
        return False
    names = shapes.replace(",", " ").split()
    if not all(n.isidentifier() and not keyword.iskeyword(n) for n in names):
        return False
    shape_arg_str = ", ".join(names) + ", " if names else ""
    return any(
        state["_parse_arg_template"]
        == parse_arg_template
        % {"shape_arg_str": shape_arg_str, "locscale_in": given, "locscale_out": passed}
        for given, passed in _LOCSCALES
    )


def is_forbidden_dunder(key: Any) -> bool:
    """Whether ``key`` names a dunder attribute no genuine state sets (``__class__``, or
    ``__array_interface__``: a raw memory pointer numpy would follow)."""
    return isinstance(key, str) and DUNDER.fullmatch(key) is not None and key not in _DESCRIPTIVE


def hostile_state(state: Any) -> str | None:
    """Why the state a pickle gives an object is certainly hostile, or None."""
    parts = state if isinstance(state, tuple) and len(state) == 2 else (state,)
    for part in parts:
        if not isinstance(part, dict):
            continue
        if any(is_forbidden_dunder(key) for key in part):
            return "it sets a dunder attribute on an object"
        if "_parse_arg_template" in part and not _genuine_argument_parser(part):
            return "it gives a scipy.stats distribution code of its own to run as it loads"
    return None
