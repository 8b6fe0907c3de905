"""Legitimate models load in the sandbox and give the same numbers there as in-process:
every model the loader tests round-trip, pipelines with ColumnTransformer (n_jobs=2),
HistGradientBoosting with categorical features, calibrated and searched models, the
xgboost and lightgbm wrappers, skops and ONNX files."""

from __future__ import annotations

import pickle
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlready.io.model import load_model
from mlready.sandbox.process import ModelProcess
from mlready.sandbox.remote import RemoteModel, model_outputs
from mlready.sandbox.settings import SandboxSettings
from tests.test_model_loading import _MODELS, _datasets, _stock_models

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the sandbox needs POSIX")


def _parallel_columns() -> Pipeline:
    numeric = make_pipeline(SimpleImputer(), StandardScaler())
    columns = ColumnTransformer(
        [("num", numeric, ["a", "b", "c", "d"]), ("cat", OneHotEncoder(), ["colour"])],
        n_jobs=2,  # loky worker processes in-process; threads in the sandbox
    )
    return Pipeline([("columns", columns), ("clf", LogisticRegression(max_iter=300))])


def _boosters() -> dict[str, tuple[Callable[[], Any], str]]:
    made: dict[str, tuple[Callable[[], Any], str]] = {}
    wrappers = [
        ("xgboost", "XGBClassifier", "XGBRegressor"),
        ("lightgbm", "LGBMClassifier", "LGBMRegressor"),
    ]
    for library, classifier, regressor in wrappers:
        try:
            module = __import__(library)
        except ImportError:
            continue
        quiet = {"verbose": -1} if library == "lightgbm" else {}
        made[f"{library}_classifier"] = (
            lambda m=module, c=classifier, q=quiet: getattr(m, c)(n_estimators=5, **q),
            "iris",
        )
        made[f"{library}_regressor"] = (
            lambda m=module, r=regressor, q=quiet: getattr(m, r)(n_estimators=5, **q),
            "reg",
        )
    return made


def _cases() -> dict[str, tuple[Callable[[], Any], str]]:
    return {**_MODELS, "parallel_columns": (_parallel_columns, "frame"), **_boosters()}


@pytest.fixture(scope="module")
def data() -> dict[str, tuple[Any, Any]]:
    sets = _datasets()
    iris = load_iris(as_frame=True)
    sets["iris_frame"] = (iris.data, iris.target)
    return sets


def _same_outputs(path: Path, X: Any, **load: Any) -> None:
    """Every method of the model gives the same numbers sandboxed as loaded in-process."""
    local = load_model(path, **load).estimator
    methods = [m for m in ("predict", "predict_proba", "decision_function") if hasattr(local, m)]
    expected = model_outputs(local, X, methods)
    with ModelProcess(path, load, SandboxSettings()) as process:
        remote = RemoteModel(process)
        assert not process.layers or all(layer["in_force"] for layer in process.layers)
        got = remote.outputs(X, methods)
        assert sorted(m for m in methods if hasattr(remote, m)) == sorted(methods)
    for method in methods:
        if np.issubdtype(np.asarray(expected[method]).dtype, np.floating):
            # the last bit of a float may differ with the memory alignment of an array
            # (SIMD sums), in one process as in two; anything more is a real difference
            np.testing.assert_allclose(got[method], expected[method], rtol=1e-12, err_msg=method)
        else:
            np.testing.assert_array_equal(got[method], expected[method], err_msg=method)


@pytest.mark.parametrize("name", sorted(_cases()))
def test_a_model_gives_the_same_numbers_sandboxed(tmp_path, data, name):
    make, dataset = _cases()[name]
    X, y = data[dataset]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny iteration budgets do not converge, on purpose
        model = make().fit(X, y)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path, compress=3)
    _same_outputs(path, X)


@pytest.mark.parametrize("name", ["hgb_categorical", "hgb_from_dtype", "randomized_search", "clip"])
def test_stock_models_give_the_same_numbers_sandboxed(tmp_path, name):
    model, X = _stock_models()[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, load_iris().target)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    _same_outputs(path, X)


def test_a_skops_file_gives_the_same_numbers_sandboxed(tmp_path, data):
    X, y = data["frame"]
    model = _parallel_columns().fit(X, y)
    path = tmp_path / "model.skops"
    skops.io.dump(model, path)
    _same_outputs(path, X)


def test_an_onnx_file_gives_the_same_numbers_sandboxed(tmp_path, data):
    pytest.importorskip("onnxruntime")
    from skl2onnx import to_onnx

    X, y = data["iris"]
    X = X.astype(np.float32)
    model = LogisticRegression(max_iter=300).fit(X, y)
    path = tmp_path / "model.onnx"
    path.write_bytes(to_onnx(model, X[:1]).SerializeToString())
    _same_outputs(path, pd.DataFrame(X))


def test_a_trusted_model_of_the_users_own_class_loads_sandboxed(tmp_path, data):
    from tests.benchmark_models import CoercingClassifier

    X, y = data["iris_frame"]
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(CoercingClassifier().fit(X, y)))
    _same_outputs(path, X, trust=True)
    _same_outputs(path, X, extra_allowed=["tests.benchmark_models"])
