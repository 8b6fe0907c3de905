"""Model loading: safe round-trips of real models, and hostile files that must never run."""

from __future__ import annotations

import copyreg
import hashlib
import io
import os
import pickle
import re
import subprocess
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import skops.io
from numpy.testing._private.utils import runstring
from sklearn.calibration import CalibratedClassifierCV
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris, make_regression
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.feature_selection import SelectKBest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from mlready.errors import ModelLoadError
from mlready.io.model import LoadedModel, file_sha256, load_model, scan_model_file

Dataset = tuple[Any, Any]


def _datasets() -> dict[str, Dataset]:
    X, y = load_iris(return_X_y=True)
    Xr, yr = make_regression(n_samples=60, n_features=4, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    numeric = frame[["a", "b", "c", "d"]].copy()
    frame["colour"] = np.where(y > 0, "red", "blue")
    frame.loc[3, "a"] = np.nan
    return {"iris": (X, y), "reg": (Xr, yr), "frame": (frame, y), "frame_numeric": (numeric, y)}


def _column_pipeline() -> Pipeline:
    numeric = make_pipeline(SimpleImputer(), StandardScaler())
    columns = ColumnTransformer(
        [("num", numeric, ["a", "b", "c", "d"]), ("cat", OneHotEncoder(), ["colour"])]
    )
    return Pipeline([("columns", columns), ("clf", LogisticRegression(max_iter=300))])


_MODELS: dict[str, tuple[Callable[[], Any], str]] = {
    "column_pipeline": (_column_pipeline, "frame"),
    "log1p": (lambda: make_pipeline(FunctionTransformer(np.log1p), GaussianNB()), "iris"),
    "logistic": (lambda: LogisticRegression(max_iter=300), "iris"),
    "forest_clf": (lambda: RandomForestClassifier(n_estimators=5, random_state=0), "iris"),
    "forest_reg": (lambda: RandomForestRegressor(n_estimators=5, random_state=0), "reg"),
    "boosting": (lambda: GradientBoostingClassifier(n_estimators=5, random_state=0), "iris"),
    "hist_boosting": (lambda: HistGradientBoostingClassifier(max_iter=5), "iris"),
    "tree": (lambda: DecisionTreeClassifier(random_state=0), "iris"),
    "svc": (lambda: SVC(probability=True, random_state=0), "iris"),
    "knn": (lambda: KNeighborsClassifier(), "iris"),
    "mlp": (lambda: MLPClassifier((5,), max_iter=30, random_state=0), "iris"),
    "naive_bayes": (lambda: GaussianNB(), "iris"),
    "ridge": (lambda: Ridge(), "reg"),
    "linear": (lambda: LinearRegression(), "reg"),
    "kmeans": (lambda: KMeans(n_clusters=3, n_init=1, random_state=0), "iris"),
    "grid_search": (
        lambda: GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0]}, cv=2),
        "iris",
    ),
    "calibrated": (lambda: CalibratedClassifierCV(GaussianNB(), cv=2), "iris"),
    "scored_search": (  # the scorer keeps a reference to sklearn.metrics.f1_score
        lambda: GridSearchCV(GaussianNB(), {"var_smoothing": [1e-9]}, scoring="f1_macro", cv=2),
        "iris",
    ),
    "select_k_best": (lambda: make_pipeline(SelectKBest(k=2), GaussianNB()), "iris"),
    "fitted_on_frame": (lambda: LogisticRegression(max_iter=300), "frame_numeric"),
}
_SAVERS = ["pickle2", "pickle3", "pickle4", "pickle5", "joblib", "joblib_zlib3", "joblib_lzma"]
_COMPRESSION: dict[str, Any] = {"joblib": 0, "joblib_zlib3": 3, "joblib_lzma": ("lzma", 3)}


def _save(obj: Any, base: Path, saver: str) -> Path:
    if saver.startswith("pickle"):
        return _pickle_to(obj, base.with_suffix(".pkl"), int(saver.removeprefix("pickle")))
    return _joblib_to(obj, base, _COMPRESSION[saver])


def _pickle_to(obj: Any, path: Path, protocol: int = 5) -> Path:
    path.write_bytes(pickle.dumps(obj, protocol=protocol))
    return path


def _joblib_to(obj: Any, base: Path, compress: Any, protocol: int | None = None) -> Path:
    path = base.with_suffix(".joblib")
    joblib.dump(obj, path, compress=compress, protocol=protocol)
    return path


def _raw_pickle(path: Path, module: str, name: str) -> Path:
    """Write a protocol 0 pickle that calls ``module.name()``."""
    path.write_bytes(f"c{module}\n{name}\n(tR.".encode())
    return path


@pytest.fixture(scope="module")
def fitted() -> dict[str, tuple[Any, Any]]:
    data = _datasets()
    models = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny max_iter budgets do not converge, on purpose
        for name, (make, dataset) in _MODELS.items():
            X, y = data[dataset]
            models[name] = (make().fit(X, y), X)
    return models


@pytest.fixture
def iris_pipeline() -> Pipeline:
    X, y = load_iris(return_X_y=True)
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(X, y)


class _Payload:
    """Pickles as a call of ``func(*args)``, then ``state`` set on the result."""

    def __init__(self, func: Callable[..., Any], *args: Any, state: Any = None) -> None:
        self.func = func
        self.args = args
        self.state = state

    def __reduce__(self) -> tuple[Any, ...]:
        return self.func, self.args, self.state


class _CallablePayload(_Payload):
    """A :class:`_Payload` that pickle accepts as the callable of another one."""

    def __call__(self, *args: Any) -> Any:
        raise AssertionError("only its unpickled form is called")


def _touch_code(canary: Path) -> str:
    return f"open({str(canary)!r}, 'w').close()"


@pytest.mark.parametrize("saver", _SAVERS)
@pytest.mark.parametrize("name", sorted(_MODELS))
def test_real_models_round_trip_through_the_safe_path(
    fitted: dict[str, tuple[Any, Any]], tmp_path: Path, name: str, saver: str
) -> None:
    model, X = fitted[name]
    path = _save(model, tmp_path / name, saver)

    loaded = load_model(path)

    assert loaded.trusted is False
    assert loaded.sha256 == file_sha256(path)
    assert loaded.format == ("pickle" if path.suffix == ".pkl" else "joblib")
    assert type(loaded.estimator) is type(model)
    np.testing.assert_array_equal(loaded.estimator.predict(X), model.predict(X))
    assert scan_model_file(path) == []


def test_object_dtype_array_in_joblib_file_round_trips(tmp_path: Path) -> None:
    payload = {"labels": np.array(["a", 1, None, 2.5], dtype=object), "x": np.arange(5.0)}
    path = _joblib_to(payload, tmp_path / "objects", 3)

    loaded = load_model(path).estimator

    assert loaded["labels"].dtype == object
    assert loaded["labels"].tolist() == ["a", 1, None, 2.5]
    np.testing.assert_array_equal(loaded["x"], np.arange(5.0))


@pytest.mark.parametrize("protocol", [0, 1])
def test_old_protocol_joblib_arrays_round_trip(tmp_path: Path, protocol: int) -> None:
    arrays = {"x": np.arange(12.0).reshape(3, 4), "labels": np.array(["a", None], dtype=object)}
    path = _joblib_to(arrays, tmp_path / "arrays", 0, protocol=protocol)

    loaded = load_model(path).estimator

    np.testing.assert_array_equal(loaded["x"], arrays["x"])
    assert loaded["labels"].tolist() == ["a", None]


def test_pickled_dataframe_with_strings_round_trips(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0], "name": ["a", "b"], "cat": pd.Categorical(["u", "v"])})
    path = _pickle_to(frame, tmp_path / "frame.pkl")

    pd.testing.assert_frame_equal(load_model(path).estimator, frame)


def test_arrow_buffers_are_validated_before_use(tmp_path: Path) -> None:
    restore, (state,) = pa.array(["x", "yy"]).__reduce__()
    oversized = (state[0], 1000, *state[2:])  # claims more strings than the buffers hold
    path = _pickle_to(_Payload(restore, oversized), tmp_path / "model.pkl")

    assert scan_model_file(path) == []
    with pytest.raises(ModelLoadError, match="too small"):
        load_model(path)


def _hostile_cases(canary: Path) -> dict[str, tuple[_Payload, str]]:
    inner = _pickle_to(_Payload(os.system, f"touch {canary}"), canary.with_name("inner.pkl"))
    return {
        "os.system": (_Payload(os.system, f"touch {canary}"), f"{os.system.__module__}.system"),
        "eval": (_Payload(eval, _touch_code(canary)), "builtins.eval"),
        "exec": (_Payload(exec, _touch_code(canary)), "builtins.exec"),
        "popen": (_Payload(subprocess.Popen, ["touch", str(canary)]), "subprocess.Popen"),
        "numpy.load": (_Payload(np.load, str(inner), None, True), "numpy.load"),
        "read_pickle": (_Payload(pd.read_pickle, str(inner)), "pandas.read_pickle"),
        "runstring": (
            _Payload(runstring, _touch_code(canary), {}),
            "numpy.testing._private.utils.runstring",
        ),
        "memmap": (_Payload(np.memmap, str(canary), "uint8", "w+", 0, (1,)), "numpy.memmap"),
    }


@pytest.mark.parametrize(
    "case",
    ["os.system", "eval", "exec", "popen", "numpy.load", "read_pickle", "runstring", "memmap"],
)
def test_hostile_globals_are_refused_and_never_run(tmp_path: Path, case: str) -> None:
    canary = tmp_path / "canary"
    payload, expected = _hostile_cases(canary)[case]
    path = _pickle_to(payload, tmp_path / "model.pkl")

    with pytest.raises(ModelLoadError) as info:
        load_model(path)

    message = str(info.value)
    assert f"{path} was refused" in message
    assert expected in message
    assert "nothing from it was run" in message
    assert "--trust-model" in message
    assert file_sha256(path) in message
    assert scan_model_file(path) == [expected]
    assert not canary.exists()


@pytest.mark.parametrize(
    "case", ["os.system", "eval", "exec", "numpy.load", "read_pickle", "runstring", "memmap"]
)
def test_hostile_payloads_do_run_when_trusted(tmp_path: Path, case: str) -> None:
    # The control for the test above: the canary really is created once the check is skipped.
    canary = tmp_path / "canary"
    payload, _ = _hostile_cases(canary)[case]
    path = _pickle_to(payload, tmp_path / "model.pkl")

    load_model(path, trust=True)

    assert canary.exists()


def test_unknown_module_is_refused_without_importing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary = tmp_path / "canary"
    (tmp_path / "evil_mod.py").write_text(f"{_touch_code(canary)}\npayload = print\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = _raw_pickle(tmp_path / "model.pkl", "evil_mod", "payload")

    with pytest.raises(ModelLoadError, match=r"evil_mod\.payload, which is not on the allow-list"):
        load_model(path)
    assert scan_model_file(path) == ["evil_mod.payload"]
    assert not canary.exists()


@pytest.mark.parametrize(
    "qualified",
    [
        "builtins.__import__",
        "builtins.type",
        "pandas.HDFStore",  # relabelled to the "pandas" module, written in pandas.io.pytables
        "pandas.ExcelWriter",
        "numpy.lib.npyio.NpzFile",
        "numpy.memmap",
        "scipy.LowLevelCallable",
        "numpy._pytesttester.PytestTester",
        "sklearn.utils._testing.TempMemmap",
        "sklearn.utils.parallel.Parallel",
        "sklearn.pipeline.Pipeline.__init__",
        "sklearn.pipeline.Pipeline.__class__",
        "sklearn.utils.estimator_checks.check_estimator",
        "numpy.save",
        "numpy.ndarray.tofile",
        "pandas.eval",
        "pandas.core.computation.expr.Expr",
        "pandas.plotting.PlotAccessor",  # its __call__ imports any module named by "backend"
        "pandas.core.groupby.groupby.GroupByPlot",
        "numpy.lib._stride_tricks_impl.DummyArray",  # carries a raw __array_interface__ pointer
        "numpy.fromfile",
        "numpy.rec.fromfile",
        "scipy.sparse.load_npz",
        "pandas.read_csv",
        "numpy.lib._utils_impl.os",  # a module reached through a library module
    ],
)
def test_dangerous_library_objects_are_refused(tmp_path: Path, qualified: str) -> None:
    module, _, name = qualified.rpartition(".")
    if name in {"__init__", "__class__", "tofile"}:
        module, _, owner = module.rpartition(".")
        name = f"{owner}.{name}"
    path = _raw_pickle(tmp_path / "model.pkl", module, name)

    assert scan_model_file(path) == [f"{module}.{name}"]


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("numpy", "log1p"),
        ("scipy.special", "expit"),
        ("sklearn.pipeline", "Pipeline"),
        ("pandas", "DataFrame"),
        ("scipy.sparse", "csr_matrix"),
        ("collections", "OrderedDict"),
        ("numpy", "clip"),  # FunctionTransformer(numpy.clip)
        ("sklearn.utils.validation", "check_array"),  # HistGradientBoosting's categoricals
        ("scipy.stats._continuous_distns", "reciprocal_gen"),  # loguniform, in searches
        ("scipy.stats._distn_infrastructure", "rv_continuous_frozen"),
    ],
)
def test_library_classes_and_functions_are_allowed(tmp_path: Path, module: str, name: str) -> None:
    assert scan_model_file(_raw_pickle(tmp_path / "model.pkl", module, name)) == []


def test_every_refused_global_is_listed(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    both = [_Payload(eval, _touch_code(canary)), _Payload(os.system, f"touch {canary}")]
    path = _pickle_to(both, tmp_path / "model.pkl")

    with pytest.raises(ModelLoadError) as info:
        load_model(path)

    assert f"builtins.eval, {os.system.__module__}.system, which are not" in str(info.value)
    assert not canary.exists()


@pytest.mark.parametrize("compress", [0, 3, ("lzma", 3)])
def test_hostile_object_nested_in_a_pipeline_is_refused(
    tmp_path: Path, iris_pipeline: Pipeline, compress: Any
) -> None:
    canary = tmp_path / "canary"
    iris_pipeline.steps[-1][1].extra_ = _Payload(os.system, f"touch {canary}")
    path = _joblib_to(iris_pipeline, tmp_path / "model", compress)

    with pytest.raises(ModelLoadError, match=r"system, which is not on the allow-list"):
        load_model(path)
    assert not canary.exists()


@pytest.mark.parametrize("compress", [0, 3])
def test_hostile_object_inside_an_object_array_is_refused(tmp_path: Path, compress: Any) -> None:
    canary = tmp_path / "canary"
    hostile = np.array([1, _Payload(eval, _touch_code(canary))], dtype=object)
    path = _joblib_to({"before": np.arange(50.0), "labels": hostile}, tmp_path / "m", compress)

    with pytest.raises(ModelLoadError, match=r"builtins\.eval"):
        load_model(path)
    assert scan_model_file(path) == ["builtins.eval"]
    assert not canary.exists()


def test_scipy_distribution_state_cannot_smuggle_code(tmp_path: Path) -> None:
    # rv_generic.__setstate__ exec()s the "_parse_arg_template" string found in its state.
    canary = tmp_path / "canary"
    code = _touch_code(canary).encode()
    path = tmp_path / "model.pkl"
    path.write_bytes(
        b"\x80\x04cscipy.stats._continuous_distns\nuniform_gen\n)\x81}"
        b"\x8c\x13_parse_arg_template\x8c" + bytes([len(code)]) + code + b"sb."
    )

    own_code = r"gives a scipy\.stats distribution code of its own"
    with pytest.raises(ModelLoadError, match=own_code):
        scan_model_file(path)
    with pytest.raises(ModelLoadError, match=own_code):
        load_model(path)
    assert not canary.exists()


def test_dunder_attributes_in_object_state_are_refused(tmp_path: Path) -> None:
    # numpy follows an instance's __array_interface__ to any memory address it names.
    state = {"coef_": np.ones(2), "__array_interface__": {"data": (8, False), "shape": (9,)}}
    rebuild = vars(copyreg)["_reconstructor"]
    forged = _Payload(rebuild, LogisticRegression, object, None, state=state)
    path = _pickle_to(forged, tmp_path / "model.pkl")

    with pytest.raises(ModelLoadError, match="sets a dunder attribute"):
        scan_model_file(path)
    with pytest.raises(ModelLoadError, match="sets a dunder attribute"):
        load_model(path)


def test_extension_opcode_goes_through_the_allow_list(tmp_path: Path) -> None:
    code = 0x7A11
    copyreg.add_extension("uuid", "UUID", code)
    try:
        data = pickle.dumps(uuid.UUID(int=5), protocol=2)
        assert pickle.EXT2 in data
        pickle._Unpickler(io.BytesIO(data)).load()  # fills the process-wide extension cache
        path = tmp_path / "model.pkl"
        path.write_bytes(data)
        with pytest.raises(ModelLoadError, match=r"uuid\.UUID, which is not on the allow-list"):
            load_model(path)
    finally:
        copyreg.remove_extension("uuid", "UUID", code)
        copyreg.clear_extension_cache()


def test_persistent_ids_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(b"Pfile:/etc/passwd\n.")

    with pytest.raises(ModelLoadError, match=r"not a valid pickle/joblib file.*persistent ids"):
        load_model(path)


def test_a_pickle_cannot_modify_an_allowed_class(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    # BUILD with slot state on the Pipeline class itself would setattr on it process-wide.
    path.write_bytes(b"csklearn.pipeline\nPipeline\nN}S'hijacked'\nI1\ns\x86b.")

    with pytest.raises(ModelLoadError, match="modify an imported object"):
        load_model(path)
    assert not hasattr(Pipeline, "hijacked")


def test_class_missing_from_installed_library_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(b"csklearn.linear_model\nLogisticRegressionV9\n)R.")

    with pytest.raises(ModelLoadError) as info:
        load_model(path)

    message = str(info.value)
    assert "sklearn.linear_model.LogisticRegressionV9" in message
    assert "not found in the installed libraries" in message
    assert "saved with other versions" in message


def _uuid_model(tmp_path: Path, iris_pipeline: Pipeline) -> Path:
    iris_pipeline.run_id_ = uuid.UUID(int=5)
    return _joblib_to(iris_pipeline, tmp_path / "model", 3)


def test_trust_loads_a_refused_file(tmp_path: Path, iris_pipeline: Pipeline) -> None:
    path = _uuid_model(tmp_path, iris_pipeline)
    with pytest.raises(ModelLoadError, match=r"uuid\.UUID"):
        load_model(path)

    loaded = load_model(path, trust=True)

    assert loaded.trusted is True
    assert loaded.estimator.run_id_ == uuid.UUID(int=5)


def test_matching_pin_loads_a_refused_file(tmp_path: Path, iris_pipeline: Pipeline) -> None:
    path = _uuid_model(tmp_path, iris_pipeline)

    loaded = load_model(path, pinned_sha256=file_sha256(path).upper())

    assert loaded.trusted is True
    assert loaded.estimator.run_id_ == uuid.UUID(int=5)


def test_mismatched_pin_still_refuses_and_shows_both_digests(
    tmp_path: Path, iris_pipeline: Pipeline
) -> None:
    path = _uuid_model(tmp_path, iris_pipeline)
    wrong = "0" * 64

    with pytest.raises(ModelLoadError) as info:
        load_model(path, pinned_sha256=wrong)

    message = str(info.value)
    assert "pinned sha256 did not match" in message
    assert wrong in message
    assert file_sha256(path) in message


def test_mismatched_pin_on_a_clean_file_uses_the_safe_path(
    tmp_path: Path, iris_pipeline: Pipeline
) -> None:
    path = _pickle_to(iris_pipeline, tmp_path / "model.pkl")

    loaded = load_model(path, pinned_sha256="0" * 64)

    assert loaded.trusted is False


def test_model_allow_admits_exactly_the_named_module(
    tmp_path: Path, iris_pipeline: Pipeline
) -> None:
    path = _uuid_model(tmp_path, iris_pipeline)

    loaded = load_model(path, extra_allowed=["uuid"])

    assert loaded.trusted is False
    assert loaded.estimator.run_id_ == uuid.UUID(int=5)
    assert scan_model_file(path, extra_allowed=["uuid"]) == []
    assert scan_model_file(path, extra_allowed=["uu"]) == ["uuid.UUID"]


@pytest.mark.parametrize(
    ("allowed", "module", "name"),
    [
        ("xgboost", "xgboost.core", "os"),  # a submodule: not admitted by its package
        ("xgboost.core", "xgboost.core", "os.system"),  # a dotted name walks into os
        ("xgboost.core", "xgboost.core", "os"),  # a module xgboost.core imports
        ("lightgbm.basic", "lightgbm.basic", "np.lib._utils_impl.os.system"),
        ("tests.hostile", "tests.hostile", "subprocess.run"),
        ("tests.hostile", "tests.hostile", "np"),
    ],
)
def test_model_allow_never_follows_a_name_into_another_module(
    tmp_path: Path, allowed: str, module: str, name: str
) -> None:
    pytest.importorskip(allowed.split(".")[0])
    path = _raw_pickle(tmp_path / "model.pkl", module, name)

    assert scan_model_file(path, extra_allowed=[allowed]) == [f"{module}.{name}"]
    with pytest.raises(ModelLoadError, match="was refused"):
        load_model(path, extra_allowed=[allowed])


def test_model_allow_admits_what_the_module_itself_defines(tmp_path: Path) -> None:
    path = _raw_pickle(tmp_path / "model.pkl", "tests.hostile", "StartsProgram")

    assert scan_model_file(path) == ["tests.hostile.StartsProgram"]
    assert scan_model_file(path, extra_allowed=["tests.hostile"]) == []
    assert scan_model_file(path, extra_allowed=["tests"]) == ["tests.hostile.StartsProgram"]


def _stock_models() -> dict[str, tuple[Any, Any]]:
    """Models teams ship that an allow-list of classes alone used to refuse."""
    from scipy.stats import loguniform, randint
    from sklearn.model_selection import RandomizedSearchCV

    X = load_iris(as_frame=True).data
    categorical = X.assign(band=pd.Categorical(np.where(X.iloc[:, 0] > 5.8, "high", "low")))
    space = {"C": loguniform(1e-2, 1e2), "max_iter": randint(200, 400)}
    search = RandomizedSearchCV(
        LogisticRegression(max_iter=500), space, n_iter=2, cv=2, random_state=0
    )
    return {
        "hgb_categorical": (
            HistGradientBoostingClassifier(categorical_features=["band"], max_iter=5),
            categorical,
        ),
        "hgb_from_dtype": (HistGradientBoostingClassifier(max_iter=5), categorical),
        "randomized_search": (search, X),
        "clip": (
            make_pipeline(
                FunctionTransformer(np.clip, kw_args={"a_min": 0, "a_max": 7}),
                LogisticRegression(max_iter=500),
            ),
            X,
        ),
    }


@pytest.mark.parametrize("name", ["hgb_categorical", "hgb_from_dtype", "randomized_search", "clip"])
def test_stock_models_load_by_default(tmp_path: Path, name: str) -> None:
    model, X = _stock_models()[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, load_iris().target)
    path = _pickle_to(model, tmp_path / "model.pkl")

    assert scan_model_file(path) == []
    np.testing.assert_array_equal(load_model(path).estimator.predict(X), model.predict(X))


@pytest.mark.parametrize(
    ("library", "make"),
    [
        ("xgboost", lambda: __import__("xgboost").XGBClassifier(n_estimators=5, max_depth=2)),
        ("xgboost", lambda: __import__("xgboost").XGBRegressor(n_estimators=5, max_depth=2)),
        ("lightgbm", lambda: __import__("lightgbm").LGBMClassifier(n_estimators=5, verbose=-1)),
        ("lightgbm", lambda: __import__("lightgbm").LGBMRegressor(n_estimators=5, verbose=-1)),
    ],
    ids=["xgb_classifier", "xgb_regressor", "lgbm_classifier", "lgbm_regressor"],
)
def test_gradient_boosting_wrappers_load_by_exact_class(
    tmp_path: Path, library: str, make: Callable[[], Any]
) -> None:
    pytest.importorskip(library)
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = make().fit(X, y)
    path = _pickle_to(model, tmp_path / "model.pkl")

    assert scan_model_file(path) == []
    np.testing.assert_array_equal(load_model(path).estimator.predict(X), model.predict(X))
    booster = f"{library}.{'core' if library == 'xgboost' else 'basic'}"
    assert scan_model_file(_raw_pickle(tmp_path / "other.pkl", booster, "_load_lib")) == [
        f"{booster}._load_lib"
    ]


@pytest.mark.parametrize(
    ("owner", "name"),
    [
        (np.arange(3.0), "tofile"),
        (np.arange(3.0), "__class__"),
        (LogisticRegression, "fit"),
        (1.5, "hex"),
    ],
    ids=["tofile", "dunder", "class", "builtin-object"],
)
def test_getattr_reaches_only_methods_of_library_objects(
    tmp_path: Path, owner: Any, name: str
) -> None:
    canary = tmp_path / "canary"
    reach = _CallablePayload(getattr, owner, name)  # rebuilt as getattr(owner, name)
    path = _pickle_to(_Payload(reach, str(canary)), tmp_path / "m.pkl")

    with pytest.raises(ModelLoadError, match=f"was refused: it reaches .*{name}"):
        load_model(path)
    assert not canary.exists()


def test_a_dunder_key_set_on_a_dict_like_object_is_refused(tmp_path: Path) -> None:
    from tests.hostile import array_interface_model

    train = pd.DataFrame(load_iris().data, columns=list("abcd")).assign(target=load_iris().target)
    path = _pickle_to(array_interface_model(train), tmp_path / "model.pkl")

    with pytest.raises(ModelLoadError, match="sets a dunder attribute on an object"):
        scan_model_file(path)
    with pytest.raises(ModelLoadError, match="sets a dunder attribute on an object"):
        load_model(path)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("truncated.pkl", pickle.dumps(list(range(100)), protocol=4)[:40]),
        ("random.joblib", np.random.default_rng(0).bytes(256)),
        ("empty.pkl", b""),
    ],
)
def test_unreadable_files_raise_model_load_error(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(ModelLoadError, match=re.escape(str(path))):
        load_model(path)


@pytest.mark.filterwarnings("ignore:The file .* joblib version less than 0.10")
def test_legacy_joblib_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "legacy.joblib"
    path.write_bytes(b"ZF0x00000000" + b"\x00" * 16)

    with pytest.raises(ModelLoadError, match=r"joblib<0\.10 format"):
        load_model(path)


def test_empty_file_is_reported_as_invalid(tmp_path: Path) -> None:
    path = tmp_path / "empty.pkl"
    path.write_bytes(b"")

    with pytest.raises(ModelLoadError, match="not a valid pickle/joblib file"):
        load_model(path)


def test_unsupported_suffix_lists_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    path.write_bytes(b"x")

    with pytest.raises(ModelLoadError) as info:
        load_model(path)

    message = str(info.value)
    assert str(path) in message
    for suffix in (".pkl", ".pickle", ".joblib", ".skops"):
        assert suffix in message


@pytest.mark.parametrize("make", [lambda p: None, lambda p: p.mkdir()])
def test_missing_file_or_directory_names_the_path(
    tmp_path: Path, make: Callable[[Path], None]
) -> None:
    path = tmp_path / "model.pkl"
    make(path)

    with pytest.raises(ModelLoadError, match="does not exist or is not a file") as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_skops_pipeline_loads(tmp_path: Path, iris_pipeline: Pipeline) -> None:
    X, _ = load_iris(return_X_y=True)
    path = tmp_path / "model.skops"
    skops.io.dump(iris_pipeline, path)

    loaded = load_model(path)

    assert isinstance(loaded, LoadedModel)
    assert (loaded.format, loaded.trusted) == ("skops", False)
    np.testing.assert_array_equal(loaded.estimator.predict(X), iris_pipeline.predict(X))
    assert scan_model_file(path) == []


def test_skops_untrusted_type_is_refused_unless_trusted(
    tmp_path: Path, iris_pipeline: Pipeline
) -> None:
    iris_pipeline.run_id_ = uuid.UUID(int=5)
    path = tmp_path / "model.skops"
    skops.io.dump(iris_pipeline, path)

    with pytest.raises(ModelLoadError, match=r"uuid\.UUID, which is not on the allow-list"):
        load_model(path)
    assert scan_model_file(path) == ["uuid.UUID"]
    assert load_model(path, trust=True).estimator.run_id_ == uuid.UUID(int=5)
    assert load_model(path, extra_allowed=["uuid"]).estimator.run_id_ == uuid.UUID(int=5)


def test_corrupt_skops_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "model.skops"
    path.write_bytes(b"not a zip")

    with pytest.raises(ModelLoadError, match="not a valid skops file"):
        load_model(path)


def test_file_sha256_matches_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "blob.pkl"
    path.write_bytes(os.urandom(3 * (1 << 20) + 7))

    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()
