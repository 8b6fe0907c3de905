"""ONNX models: real scikit-learn models exported with skl2onnx behave like the originals."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

from skl2onnx import convert_sklearn, to_onnx
from skl2onnx.common.data_types import (
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from sklearn.base import is_classifier, is_regressor
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlready.errors import ModelLoadError
from mlready.io.model import load_model, scan_model_file
from mlready.io.onnx import OnnxModel, max_abs_difference

Frames = tuple[pd.DataFrame, pd.DataFrame]


def _xy(frame: pd.DataFrame, target: str = "target") -> tuple[pd.DataFrame, pd.Series]:
    return frame.drop(columns=target), frame[target]


def _save(onx: Any, path: Path) -> Path:
    path.write_bytes(onx.SerializeToString())
    return path


def _export(model: Any, X: pd.DataFrame, path: Path, zipmap: bool = True) -> Path:
    """One float tensor input [None, n_features], as skl2onnx makes from a numpy sample."""
    options = None if zipmap else {id(model): {"zipmap": False}}
    return _save(to_onnx(model, X[:1].to_numpy(np.float32), options=options), path)


def _load(path: Path) -> OnnxModel:
    loaded = load_model(path)
    assert loaded.format == "onnx"
    assert not loaded.trusted
    assert isinstance(loaded.estimator, OnnxModel)
    return loaded.estimator


def _logistic(train: pd.DataFrame) -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(*_xy(train))


@pytest.mark.parametrize("zipmap", [True, False], ids=["zipmap", "tensor"])
def test_logistic_pipeline_matches_the_original(
    tmp_path: Path, cancer: Frames, zipmap: bool
) -> None:
    train, test = cancer
    model = _logistic(train)
    X = test.drop(columns="target")
    onnx_model = _load(_export(model, X, tmp_path / "model.onnx", zipmap))

    assert is_classifier(onnx_model) and not is_regressor(onnx_model)
    assert onnx_model.n_features_in_ == X.shape[1]
    assert not hasattr(onnx_model, "feature_names_in_")  # a single tensor input has no names
    np.testing.assert_array_equal(onnx_model.predict(X), model.predict(X))
    np.testing.assert_allclose(onnx_model.predict_proba(X), model.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(onnx_model.classes_, model.classes_)


def test_random_forest_regressor_matches_the_original(tmp_path: Path) -> None:
    frame = load_diabetes(as_frame=True).frame
    train, test = train_test_split(frame, test_size=0.3, random_state=0)
    model = RandomForestRegressor(n_estimators=20, max_depth=6, random_state=0)
    model.fit(*_xy(train))
    X = test.drop(columns="target")
    onnx_model = _load(_export(model, X, tmp_path / "forest.onnx"))

    assert is_regressor(onnx_model) and not is_classifier(onnx_model)
    assert not hasattr(onnx_model, "predict_proba") and not hasattr(onnx_model, "classes_")
    prediction = onnx_model.predict(X)
    assert prediction.shape == (len(X),)
    np.testing.assert_allclose(prediction, model.predict(X), atol=1e-4)
    assert max_abs_difference(model, onnx_model, X)["predict"] < 1e-4
    other = max_abs_difference(Ridge().fit(*_xy(train)), onnx_model, X)
    assert set(other) == {"predict"} and other["predict"] > 10


def test_one_input_per_column_is_fed_by_name_from_a_dataframe(
    tmp_path: Path, cancer: Frames
) -> None:
    train, test = cancer
    model = _logistic(train)
    X = test.drop(columns="target")
    types = [(name, FloatTensorType([None, 1])) for name in X.columns]
    onnx_model = _load(_save(convert_sklearn(model, initial_types=types), tmp_path / "cols.onnx"))

    assert list(onnx_model.feature_names_in_) == list(X.columns)
    assert onnx_model.n_features_in_ == X.shape[1]
    shuffled = X[X.columns[::-1]]  # inputs go by name, not position
    np.testing.assert_array_equal(onnx_model.predict(shuffled), model.predict(X))
    np.testing.assert_allclose(
        onnx_model.predict_proba(shuffled), model.predict_proba(X), atol=1e-5
    )
    with pytest.raises(ValueError, match="mean_radius"):
        onnx_model.predict(X.drop(columns="mean_radius"))


def test_string_and_integer_inputs_and_string_classes(tmp_path: Path) -> None:
    frame = load_iris(as_frame=True).frame
    frame.columns = ["a", "b", "c", "d", "target"]
    frame["colour"] = np.where(frame["a"] > 5.8, "red", "blue")
    frame["count"] = (frame["b"] * 2).round().astype("int64")
    X, y = (
        frame.drop(columns="target"),
        np.array(["setosa", "versicolor", "virginica"])[frame.target],
    )
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), ["a", "b", "c", "d", "count"]),
            ("cat", OneHotEncoder(), ["colour"]),
        ]
    )
    model = make_pipeline(encode, LogisticRegression(max_iter=500)).fit(X, y)
    types = [(c, FloatTensorType([None, 1])) for c in "abcd"]
    types += [("colour", StringTensorType([None, 1])), ("count", Int64TensorType([None, 1]))]
    onx = convert_sklearn(model, initial_types=types, options={id(model): {"zipmap": False}})
    onnx_model = _load(_save(onx, tmp_path / "iris.onnx"))

    # A probability tensor names no classes: they are learned once each column has won a row.
    onnx_model.predict(X[y == "setosa"])
    assert not hasattr(onnx_model, "classes_")
    np.testing.assert_array_equal(onnx_model.predict(X), model.predict(X))
    np.testing.assert_array_equal(onnx_model.classes_, model.classes_)
    np.testing.assert_allclose(onnx_model.predict_proba(X), model.predict_proba(X), atol=1e-5)


def test_max_abs_difference_is_tiny_for_the_export_and_large_for_another_model(
    tmp_path: Path, cancer: Frames
) -> None:
    train, test = cancer
    model = _logistic(train)
    X = test.drop(columns="target")
    onnx_model = _load(_export(model, X, tmp_path / "model.onnx"))
    shuffled = np.random.default_rng(0).permutation(train["target"].to_numpy())
    other = make_pipeline(StandardScaler(), LogisticRegression()).fit(_xy(train)[0], shuffled)

    faithful = max_abs_difference(model, onnx_model, X)
    assert faithful["predict"] == 0.0 and faithful["predict_proba"] < 1e-5
    different = max_abs_difference(onnx_model, other, X)
    assert different["predict"] > 0.2 and different["predict_proba"] > 0.5


def test_audit_of_an_onnx_model_end_to_end(
    cli: Any, tmp_path: Path, cancer: Frames, cancer_splits: Path
) -> None:
    train, test = cancer
    path = _export(_logistic(train), test.drop(columns="target"), tmp_path / "model.onnx")

    result = cli.audit(path, cancer_splits)

    assert result.exit_code in (0, 1), result.output
    assert result.json["model"]["format"] == "onnx"
    baseline = next(c for c in result.json["checks"] if c["id"] == "baseline")
    assert baseline["metrics"]["model"] > 0.95


def _tiny_export(tmp_path: Path) -> Path:
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=300).fit(X, y)
    return _save(to_onnx(model, X[:1].astype(np.float32)), tmp_path / "tiny.onnx")


def test_missing_onnxruntime_is_a_clear_load_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _tiny_export(tmp_path)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes `import onnxruntime` fail

    with pytest.raises(ModelLoadError, match="onnxruntime is not installed") as info:
        load_model(path)

    assert str(path) in info.value.message
    assert info.value.hint == 'pip install "mlready[onnx]"'


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_onnx_file_is_a_load_error_naming_it(tmp_path: Path, damage: str) -> None:
    path = _tiny_export(tmp_path)
    data = path.read_bytes()
    path.write_bytes(b"not an onnx model" if damage == "garbage" else data[: len(data) // 2])

    with pytest.raises(ModelLoadError, match="not a loadable ONNX model") as info:
        load_model(path)

    assert str(path) in info.value.message


def test_an_onnx_file_has_nothing_to_refuse(tmp_path: Path) -> None:
    assert scan_model_file(_tiny_export(tmp_path)) == []
