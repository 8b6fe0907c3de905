"""A corpus of bad inputs, each run through the real CLI (``mlready audit``).

Every case states its exact exit code and the message fragments it must produce (the file,
column or key at fault, and what to do). Always: no traceback, and no payload from a model
file ever runs. Exit 2 (the audit cannot run) also means no report file was written; exit
0/1 means the audit went on, and the check named by the case has the expected status.

Cases already covered in test_cli_errors.py and test_model_loading.py are varied here
(another split, another key, through the CLI instead of the loader) rather than repeated.
"""

from __future__ import annotations

import os
import pickle
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder
from sklearn.tree import DecisionTreeClassifier

from .conftest import save_pickle, write_splits

# Every check but benchmark is off where the check results do not matter: benchmark
# scores train and test through the model, which is what these inputs stress.
ONLY_BENCHMARK = "checks:\n" + "".join(
    f"  {check}: {{enabled: false}}\n"
    for check in (
        "baseline",
        "metric_parity",
        "latency",
        "fairness",
        "ground_truth",
        "split_distribution",
        "data_quality",
        "drift",
        "performance_monitoring",
        "no_regression",
    )
)


def only(*checks: str) -> str:
    """A checklist section that enables ``checks`` and no other."""
    every = (
        "baseline",
        "benchmark",
        "metric_parity",
        "latency",
        "fairness",
        "ground_truth",
        "split_distribution",
        "data_quality",
        "drift",
        "performance_monitoring",
        "no_regression",
    )
    return "checks:\n" + "".join(
        f"  {check}: {{enabled: false}}\n" for check in every if check not in checks
    )


class PredictRaises(DecisionTreeClassifier):
    """A fitted tree whose predict fails, as a broken custom model would (needs
    --trust-model: the loader's allow-list does not know this module)."""

    def predict(self, X: Any) -> Any:
        raise RuntimeError("the feature store is unreachable")


class Gadget:
    """A type skops does not trust: rebuilding it from a file writes the canary."""

    def __init__(self, canary: Path) -> None:
        self.canary = str(canary)

    def __setstate__(self, state: dict[str, Any]) -> None:
        Path(state["canary"]).touch()
        self.__dict__.update(state)


class Calls:
    """Pickles as the call ``func(*args)``: a model file that runs code when loaded."""

    def __init__(self, func: Callable[..., Any], *args: Any) -> None:
        self.func = func
        self.args = args

    def __reduce__(self) -> tuple[Any, ...]:
        return self.func, self.args


@dataclass
class Run:
    """What one case passes to ``mlready audit``."""

    model: Path | None
    data: Path
    args: tuple[str, ...] = ()


@dataclass
class Scene:
    """The inputs a case starts from: the cancer splits, a fitted forest, a tmp folder."""

    tmp_path: Path
    train: pd.DataFrame
    test: pd.DataFrame
    model: Path
    monkeypatch: pytest.MonkeyPatch

    @property
    def canary(self) -> Path:
        """A file that a hostile payload would create; it must never exist."""
        return self.tmp_path / "canary"

    def splits(self, train: pd.DataFrame | None = None, test: pd.DataFrame | None = None) -> Path:
        return write_splits(
            self.tmp_path / "splits",
            self.train if train is None else train,
            self.test if test is None else test,
        )

    def checklist(self, text: str = ONLY_BENCHMARK) -> tuple[str, str]:
        path = self.tmp_path / "checklist.yaml"
        path.write_text(text, encoding="utf-8")
        return ("--checklist", str(path))

    def model_bytes(self, data: bytes, name: str = "model.pkl") -> Path:
        path = self.tmp_path / name
        path.write_bytes(data)
        return path

    def fitted(self, train: pd.DataFrame, target: str = "target") -> DecisionTreeClassifier:
        return DecisionTreeClassifier(max_depth=3, random_state=0).fit(
            train.drop(columns=target), train[target]
        )


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Scene], Run]
    exit_code: int
    fragments: tuple[str, ...]
    check: str | None = None  # exit 0/1: the check whose status and message are judged
    status: str | None = None
    notes: tuple[str, ...] = ()  # exit 0/1: in the check's notes or the report's


# --- checklist ---------------------------------------------------------------------------


def _bad_checklist(text: str) -> Callable[[Scene], Run]:
    return lambda s: Run(s.model, s.splits(), s.checklist(text))


def _checklist_not_utf8(s: Scene) -> Run:
    path = s.tmp_path / "checklist.yaml"
    path.write_bytes("seed: 1\n# Zürich\n".encode("latin-1"))
    return Run(s.model, s.splits(), ("--checklist", str(path)))


def _checklist_missing(s: Scene) -> Run:
    return Run(s.model, s.splits(), ("--checklist", str(s.tmp_path / "nope.yaml")))


# --- data --------------------------------------------------------------------------------


def _write(split: str, content: bytes) -> Callable[[Scene], Run]:
    """The normal splits, then ``split``'s file replaced by ``content``."""

    def build(s: Scene) -> Run:
        folder = s.splits()
        (folder / f"{split}.csv").write_bytes(content)
        return Run(s.model, folder, s.checklist())

    return build


def _data_is_a_file(s: Scene) -> Run:
    return Run(s.model, s.splits() / "train.csv", s.checklist())


def _header_only(s: Scene) -> Run:
    return _write("test", (",".join(s.test.columns) + "\n").encode())(s)


def _latin1(s: Scene) -> Run:
    text = s.test.assign(city="Zürich").to_csv(index=False)
    return _write("test", text.encode("latin-1"))(s)


def _ragged_row(s: Scene) -> Run:
    lines = s.test.to_csv(index=False).splitlines()
    lines[5] += ",1.0,2.0"  # data line 5 has two fields more than the header
    return _write("test", ("\n".join(lines) + "\n").encode())(s)


def _garbage_parquet(s: Scene) -> Run:
    folder = s.splits()
    (folder / "test.csv").unlink()
    (folder / "test.parquet").write_bytes(b"PAR1" + bytes(range(256)) * 4)
    return Run(s.model, folder, s.checklist())


def _duplicate_columns(s: Scene) -> Run:
    test = s.test.copy()
    test.columns = [test.columns[0], test.columns[0], *test.columns[2:]]
    return Run(s.model, s.splits(test=test), s.checklist())


def _unicode_names(s: Scene) -> Run:
    def rename(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.rename(columns=lambda c: f"  {c}_µ²é ")

    train, test = rename(s.train), rename(s.test)
    target = "  target_µ²é "
    model = save_pickle(s.fitted(train, target), s.tmp_path / "unicode.pkl")
    return Run(model, s.splits(train, test), (*s.checklist(), "--target", target))


def _test_one_class(s: Scene) -> Run:
    return Run(s.model, s.splits(test=s.test[s.test["target"] == 1]), s.checklist())


def _train_target_empty(s: Scene) -> Run:
    return Run(s.model, s.splits(train=s.train.assign(target=np.nan)), s.checklist())


def _with_values(column: int, value: float) -> Callable[[Scene], Run]:
    def build(s: Scene) -> Run:
        test = s.test.copy()
        test.iloc[5:15, column] = value
        train = s.train.copy()
        train.iloc[0:20, column + 1] = np.nan
        return Run(s.model, s.splits(train, test), s.checklist())

    return build


def _columns_reordered(s: Scene) -> Run:
    return Run(s.model, s.splits(test=s.test[s.test.columns[::-1]]), s.checklist())


# --- size, levels and time zones ----------------------------------------------------------


def _feather(s: Scene, name: str, **splits: pd.DataFrame) -> Path:
    """Splits written as feather: a csv of thousands of columns is slow to write and read."""
    folder = s.tmp_path / name
    folder.mkdir()
    for split, frame in splits.items():
        frame.to_feather(folder / f"{split}.feather")
    return folder


def _wide(s: Scene) -> Run:
    # The checks that work feature by feature (split_distribution's adversarial validation
    # and drift engine, drift, data_quality, baseline's encoders); latency is left out: it
    # times the model's own single-row calls, about 0.1 s each on 10,000 columns (scikit-learn
    # validates every column name and dtype), which says nothing about the audit's cost.
    rng = np.random.default_rng(0)
    names = [f"f{i:05d}" for i in range(10_000)]

    def split(rows: int) -> pd.DataFrame:
        X = rng.normal(size=(rows, len(names)))
        target = pd.Series((X[:, 0] + X[:, 1] > 0).astype(np.int64), name="target")
        return pd.concat([pd.DataFrame(X, columns=names), target], axis=1)

    train = split(400)
    folder = _feather(s, "wide", train=train, test=split(200), production=split(200))
    model = save_pickle(s.fitted(train), s.tmp_path / "wide.pkl")
    checks = only("split_distribution", "drift", "data_quality", "baseline")
    return Run(model, folder, s.checklist(checks))


def _id_pipeline(column: str) -> Any:
    """A tree behind an encoder that reads ``column``'s text as categories."""
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    return make_pipeline(
        ColumnTransformer([("text", encoder, [column])], remainder="passthrough"),
        DecisionTreeClassifier(max_depth=4, random_state=0),
    )


def _id_levels(s: Scene) -> Run:
    # What costs is the number of levels, not of rows: 100,000 distinct values would already
    # make a one-hot encoding of 80 GB and a loop over levels minutes long. A million rows
    # (one level each) would prove nothing more and make the case too slow for the suite.
    rng = np.random.default_rng(0)
    ids = np.char.add("C", np.char.zfill(rng.permutation(200_000).astype(str), 7))

    def split(start: int, rows: int) -> pd.DataFrame:
        x1, x2 = rng.normal(size=rows), rng.normal(size=rows)
        target = (x1 + 0.5 * rng.normal(size=rows) > 0).astype(np.int64)
        return pd.DataFrame(
            {"customer": ids[start : start + rows], "x1": x1, "x2": x2, "target": target}
        )

    train = split(0, 100_000)
    folder = _feather(
        s, "ids", train=train, test=split(100_000, 25_000), production=split(150_000, 25_000)
    )
    model = _id_pipeline("customer").fit(train.drop(columns="target"), train["target"])
    checks = only(
        "baseline", "split_distribution", "drift", "data_quality", "fairness", "metric_parity"
    )
    text = f"data:\n  sensitive: [customer]\n  slices: [customer]\n{checks}"
    return Run(save_pickle(model, s.tmp_path / "ids.pkl"), folder, s.checklist(text))


_OFFSET_MINUTES = {"+01:00": 60, "-05:00": -300, "+05:30": 330, "Z": 0}


def _written(utc: pd.Series, offsets: np.ndarray) -> np.ndarray:
    """UTC times as text, each in the local time of its offset ('+01:00', 'Z', ...)."""
    minutes = pd.Series(offsets).map(_OFFSET_MINUTES).to_numpy(dtype=np.int64)
    local = pd.Series(utc.dt.tz_convert(None).to_numpy() + minutes.astype("timedelta64[m]"))
    return np.char.add(local.dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=str), offsets)


def _time_zones(naive_every: int | None) -> Callable[[Scene], Run]:
    """Splits with a time column and a feature of times written in several UTC offsets.

    Train's newest row is 2024-02-29 23:30 UTC, written +01:00 (00:30 on 1 March); test's
    oldest is 15 minutes later, written -05:00 (18:45 on 29 February): read as one UTC time
    line no test row predates train, read by the clock half of them would seem to.
    """

    def build(s: Scene) -> Run:
        rng = np.random.default_rng(0)
        newest = pd.Timestamp("2024-02-29T23:30:00Z")
        splits = {}
        for name, frame, start, days in (
            ("train", s.train, newest - pd.Timedelta(days=59), 59),
            ("test", s.test, newest + pd.Timedelta(minutes=15), 30),
        ):
            utc = pd.Series(start + pd.to_timedelta(rng.uniform(0, days, len(frame)), "D"))
            offsets = rng.choice(list(_OFFSET_MINUTES), len(frame))
            edge = int(utc.argmax() if name == "train" else utc.argmin())
            utc[edge], offsets[edge] = (newest, "+01:00") if name == "train" else (start, "-05:00")
            times = _written(utc, offsets)
            if naive_every and name == "train":  # some values without their offset
                times[::naive_every] = utc[::naive_every].dt.strftime("%Y-%m-%dT%H:%M:%S")
            signup = _written(utc - pd.Timedelta(days=400), offsets)
            splits[name] = frame.assign(event_time=times, signup=signup)
        train = splits["train"]
        model = _id_pipeline("signup").fit(
            train.drop(columns=["target", "event_time"]), train["target"]
        )
        checks = only("benchmark", "metric_parity", "split_distribution", "data_quality")
        text = f"data:\n  time: event_time\n{checks}"
        path = save_pickle(model, s.tmp_path / "times.pkl")
        return Run(path, s.splits(train, splits["test"]), s.checklist(text))

    return build


# --- model -------------------------------------------------------------------------------


def _model_wants_more(s: Scene) -> Run:
    model = s.fitted(s.train.assign(store_id=1.0))
    return Run(save_pickle(model, s.tmp_path / "wider.pkl"), s.splits(), s.checklist())


def _model_without_names(s: Scene) -> Run:
    X = s.train.drop(columns="target").to_numpy()[:, :29]
    model = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, s.train["target"])
    return Run(save_pickle(model, s.tmp_path / "unnamed.pkl"), s.splits(), s.checklist())


def _predict_raises(s: Scene) -> Run:
    model = PredictRaises(max_depth=2, random_state=0).fit(
        s.train.drop(columns="target"), s.train["target"]
    )
    path = save_pickle(model, s.tmp_path / "raises.pkl")
    return Run(path, s.splits(), (*s.checklist(), "--trust-model"))


def _model_is_a_folder(s: Scene) -> Run:
    folder = s.tmp_path / "model.pkl"
    folder.mkdir()
    return Run(folder, s.splits(), s.checklist())


def _not_a_model(s: Scene) -> Run:
    path = s.model_bytes(pickle.dumps({"coef": [1.0, 2.0]}))
    return Run(path, s.splits(), s.checklist())


def _truncated(trust: bool) -> Callable[[Scene], Run]:
    def build(s: Scene) -> Run:
        whole = s.model.read_bytes()
        path = s.model_bytes(whole[: len(whole) // 2], "half.pkl")
        return Run(path, s.splits(), (*s.checklist(), *(["--trust-model"] if trust else [])))

    return build


def _hostile(payload: Callable[[Scene], bytes]) -> Callable[[Scene], Run]:
    return lambda s: Run(s.model_bytes(payload(s)), s.splits(), s.checklist())


def _os_system_opcodes(s: Scene) -> bytes:
    # Protocol 0 by hand: GLOBAL posix.system, MARK, STRING, TUPLE, REDUCE, STOP.
    return f"c{os.system.__module__}\nsystem\n(S'touch {s.canary}'\ntR.".encode()


def _eval_reduce(s: Scene) -> bytes:
    return pickle.dumps(Calls(eval, f"open({str(s.canary)!r}, 'w').close()"))


def _subprocess_reduce(s: Scene) -> bytes:
    return pickle.dumps(Calls(subprocess.check_call, ["touch", str(s.canary)]), protocol=2)


def _eval_inside_a_real_model(s: Scene) -> bytes:
    model = s.fitted(s.train)
    model.notes_ = Calls(eval, f"open({str(s.canary)!r}, 'w').close()")
    return pickle.dumps(model)


def _unknown_module(s: Scene) -> Run:
    # The module exists on sys.path and would create the canary if it were imported.
    plugins = s.tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "mlready_evil_plugin.py").write_text(
        f"open({str(s.canary)!r}, 'w').close()\nModel = dict\n"
    )
    s.monkeypatch.syspath_prepend(str(plugins))
    path = s.model_bytes(b"cmlready_evil_plugin\nModel\n)R.")
    return Run(path, s.splits(), s.checklist())


def _missing_module_trusted(s: Scene) -> Run:
    path = s.model_bytes(b"cmlready_no_such_module\nModel\n)R.")
    return Run(path, s.splits(), (*s.checklist(), "--trust-model"))


def _skops(attribute: Callable[[Scene], Any] | None) -> Callable[[Scene], Run]:
    """A tree saved with skops.io.dump, holding ``attribute(scene)`` as ``notes_``."""

    def build(s: Scene) -> Run:
        if attribute is None:
            model: Any = RandomForestClassifier(n_estimators=20, random_state=0)
            model.fit(s.train.drop(columns="target"), s.train["target"])
        else:
            model = s.fitted(s.train)
            model.notes_ = attribute(s)
        path = s.tmp_path / "model.skops"
        skops.io.dump(model, path)
        return Run(path, s.splits(), s.checklist())

    return build


REFUSED = ("was refused", "nothing from it was run", "--trust-model", "model.allow")

CASES = [
    # checklist: syntax, types, unknown keys, ranges
    Case(
        "yaml-tab-indent",
        _bad_checklist("checks:\n\tbaseline: {}\n"),
        2,
        ("checklist.yaml:2:1", "YAML syntax error", "'\\t'"),
    ),
    Case(
        "yaml-unclosed-mapping",
        _bad_checklist("checks:\n  benchmark: {enabled: true\n"),
        2,
        ("checklist.yaml:3:1", "YAML syntax error", "expected ',' or '}'"),
    ),
    Case(
        "checklist-not-utf8",
        _checklist_not_utf8,
        2,
        ("checklist.yaml is not valid UTF-8", "save it as UTF-8"),
    ),
    Case("checklist-missing", _checklist_missing, 2, ("nope.yaml does not exist", "mlready init")),
    Case(
        "type-seed-not-int",
        _bad_checklist("seed: abc\n"),
        2,
        ("checklist.yaml:1: seed:", "valid integer"),
    ),
    Case(
        "type-enabled-not-bool",
        _bad_checklist("checks:\n  baseline:\n    enabled: maybe\n"),
        2,
        ("checklist.yaml:3: checks.baseline.enabled:", "valid boolean"),
    ),
    Case(
        "type-splits-not-mapping",
        _bad_checklist("data:\n  splits: 5\n"),
        2,
        ("checklist.yaml:2: data.splits:", "valid dictionary"),
    ),
    Case(
        "type-extra-metrics-not-list",
        _bad_checklist("metrics:\n  extra: 3\n"),
        2,
        ("checklist.yaml:2: metrics.extra:", "valid list"),
    ),
    Case(
        "unknown-top-level-key",
        _bad_checklist("tsak: classification\n"),
        2,
        ("checklist.yaml:1: tsak: unknown key", "did you mean 'task'"),
    ),
    Case(
        "unknown-limits-key",
        _bad_checklist("limits:\n  p95_latency: 50\n"),
        2,
        ("checklist.yaml:2: limits.p95_latency: unknown key", "did you mean 'p95_latency_ms'"),
    ),
    Case(
        "negative-gap",
        _bad_checklist("checks:\n  metric_parity:\n    max_train_test_gap: -0.1\n"),
        2,
        ("checklist.yaml:3: checks.metric_parity.max_train_test_gap", "greater than or equal to 0"),
    ),
    Case(
        "negative-limit",
        _bad_checklist("limits:\n  p95_latency_ms: -1\n"),
        2,
        ("checklist.yaml:2: limits.p95_latency_ms", "greater than 0"),
    ),
    Case(
        "too-few-resamples",
        _bad_checklist("checks:\n  baseline:\n    n_resamples: 5\n"),
        2,
        ("checklist.yaml:3: checks.baseline.n_resamples", "greater than or equal to 100"),
    ),
    Case(
        "named-column-missing",
        _bad_checklist("data:\n  id: row_id\n"),
        2,
        (
            "train.csv: column 'row_id' named in data.id is not in train",
            "fix data.id in",
            "checklist.yaml:2",
        ),
    ),
    # data files
    Case(
        "data-is-a-file",
        _data_is_a_file,
        2,
        ("data folder", "train.csv is a file", "pass --data DIR"),
    ),
    Case(
        "empty-lines-only-csv", _write("train", b"\n\n\n"), 2, ("train.csv is empty", "header row")
    ),
    Case("header-only-csv", _header_only, 2, ("test.csv has no data rows", "at least one row")),
    Case(
        "binary-garbage-csv",
        _write("train", np.random.default_rng(0).bytes(4096)),
        2,
        ("train.csv holds binary data, not CSV text", "export the file as CSV"),
    ),
    Case(
        "latin1-csv",
        _latin1,
        2,
        ("test.csv is not valid UTF-8 text", "on line 2", "re-export the file as UTF-8"),
    ),
    Case(
        "ragged-row-csv",
        _ragged_row,
        2,
        ("cannot read", "test.csv", "line 6", "check the file is a valid csv file"),
    ),
    Case(
        "garbage-parquet",
        _garbage_parquet,
        2,
        ("cannot read", "test.parquet", "check the file is a valid parquet file"),
    ),
    Case(
        "duplicate-column-names",
        _duplicate_columns,
        2,
        ("test.csv: column names appear more than once: mean_radius", "unique name"),
    ),
    Case(
        "train-target-all-nan",
        _train_target_empty,
        2,
        ("train.csv: target column 'target' has no values", "--target"),
    ),
    # data that should work: the audit runs and the model is scored
    Case(
        "unicode-and-padded-column-names",
        _unicode_names,
        0,
        ("roc_auc 0.9",),
        check="benchmark",
        status="pass",
    ),
    Case(
        "test-has-one-class",
        _test_one_class,
        1,
        (
            "roc_auc cannot be computed on test",
            "every labelled test row has class 1",
            "put rows of every class in test",
        ),
        check="benchmark",
        status="fail",
    ),
    Case(
        "nan-in-features",
        _with_values(1, np.nan),
        0,
        ("roc_auc 0.9",),
        check="benchmark",
        status="pass",
    ),
    Case(
        "columns-in-another-order",
        _columns_reordered,
        0,
        ("roc_auc 0.9",),
        check="benchmark",
        status="pass",
    ),
    Case(
        "inf-in-features",
        _with_values(1, np.inf),
        1,
        (
            "test.csv: the model failed to predict the test split",
            "infinity",
            "columns with infinite values: mean_texture",
            "replace them",
        ),
        check="benchmark",
        status="error",
    ),
    # models
    Case(
        "model-wants-a-missing-column",
        _model_wants_more,
        2,
        (
            "train.csv: the train split lacks columns the model needs: store_id",
            "re-export the split",
        ),
    ),
    Case(
        "model-without-feature-names",
        _model_without_names,
        2,
        ("the model expects 29 features but train has 30", "data.features"),
    ),
    Case(
        "model-predict-raises",
        _predict_raises,
        1,
        (
            "train.csv: the model failed to predict the train split",
            "RuntimeError: the feature store is unreachable",
            "check that the model runs",
        ),
        check="benchmark",
        status="error",
    ),
    Case(
        "model-is-a-folder", _model_is_a_folder, 2, ("model.pkl does not exist or is not a file",)
    ),
    Case(
        "model-is-not-an-estimator",
        _not_a_model,
        2,
        ("model.pkl holds a dict, not a model with predict()", "save the fitted estimator"),
    ),
    Case(
        "truncated-pickle",
        _truncated(trust=False),
        2,
        ("half.pkl is not a valid pickle/joblib file", "truncated or damaged"),
    ),
    Case(
        "truncated-pickle-trusted",
        _truncated(trust=True),
        2,
        ("could not load", "half.pkl", "truncated or damaged"),
    ),
    Case(
        "pickle-os-system-opcodes",
        _hostile(_os_system_opcodes),
        2,
        ("model.pkl", f"{os.system.__module__}.system", *REFUSED),
    ),
    Case(
        "pickle-builtins-eval", _hostile(_eval_reduce), 2, ("model.pkl", "builtins.eval", *REFUSED)
    ),
    Case(
        "pickle-subprocess",
        _hostile(_subprocess_reduce),
        2,
        ("model.pkl", "subprocess.check_call", *REFUSED),
    ),
    Case(
        "pickle-eval-inside-a-real-model",
        _hostile(_eval_inside_a_real_model),
        2,
        ("model.pkl", "builtins.eval", *REFUSED),
    ),
    Case(
        "pickle-unknown-module",
        _unknown_module,
        2,
        ("model.pkl", "mlready_evil_plugin.Model, which is not on the allow-list", *REFUSED),
    ),
    Case(
        "pickle-missing-module-trusted",
        _missing_module_trusted,
        2,
        ("could not load", "model.pkl", "mlready_no_such_module", "a module"),
    ),
    # size, levels and time zones: the audit goes on, and every check finishes
    Case(
        "ten-thousand-columns",
        _wide,
        0,
        ("train, test look alike", "train 400 rows"),
        check="split_distribution",
        status="pass",
        notes=(
            "10,000 features are too many to learn from at once",
            "used the 200 a random forest ranked highest",
            "only the top 20 were shuffled",
        ),
    ),
    Case(
        "id-column-with-100k-levels",
        _id_levels,
        0,
        ("no drift in 3 features", "25000 production rows"),
        check="drift",
        status="pass",
        notes=(
            "'customer' has 100,000 distinct values in 100,000 rows",
            "an identifier",
            "data.id",
        ),
    ),
    # exit 0: the depth-4 tree's train-to-test drop is shown, not judged (test's number
    # holds up); its windows by month are judged
    Case(
        "times-in-mixed-utc-offsets",
        _time_zones(naive_every=None),
        0,
        ("roc_auc 0.9", "no leakage between splits"),
        check="benchmark",
        status="pass",
    ),
    Case(
        "time-column-mixing-offsets-and-none",
        _time_zones(naive_every=40),
        2,
        (
            "train.csv: column 'event_time' (data.time, ",
            "checklist.yaml:2)",
            "mixes timestamps with a UTC offset and without one",
            "10 without",
            "write every value with an offset",
        ),
    ),
    # skops files: judged by the same allow-list as pickles
    Case(
        "skops-untrusted-type",
        _skops(lambda s: Gadget(s.canary)),
        2,
        ("model.skops", f"{Gadget.__module__}.Gadget, which is not on the allow-list", *REFUSED),
    ),
    Case(
        "skops-builtins-eval",
        _skops(lambda s: eval),
        2,
        ("model.skops", "builtins.eval, which is not on the allow-list", *REFUSED),
    ),
    Case("skops-forest", _skops(None), 0, ("roc_auc 0.9",), check="benchmark", status="pass"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, cli, tmp_path: Path, cancer, good_classifier, monkeypatch) -> None:
    scene = Scene(tmp_path, *cancer, good_classifier, monkeypatch)
    run = case.build(scene)

    result = cli.audit(run.model, run.data, *run.args)

    assert result.exit_code == case.exit_code, result.output
    assert "Traceback" not in result.output
    assert not scene.canary.exists(), "a payload from the model file ran"
    if case.exit_code == 2:
        for fragment in case.fragments:
            assert fragment in result.output, result.output
        assert not (tmp_path / "report.json").exists()
        assert not (tmp_path / "report.md").exists()
        return
    statuses = {c["id"]: c["status"] for c in result.json["checks"]}
    assert statuses[case.check] == case.status, statuses
    assert [i for i, s in statuses.items() if s == "error" and i != case.check] == []
    message = next(c["message"] for c in result.json["checks"] if c["id"] == case.check)
    assert "Traceback" not in message
    for fragment in case.fragments:
        assert fragment in message, message
    check_notes = next(c["notes"] for c in result.json["checks"] if c["id"] == case.check)
    notes = " | ".join([*check_notes, *result.json.get("notes", [])])
    for fragment in case.notes:
        assert fragment in notes, notes
