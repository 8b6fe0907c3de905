"""Hostile model files against the default audit: the model runs only in its sandbox.

Each attack is first shown to work: :func:`tests.hostile.unsandboxed` loads the same file
as an ordinary process would, in a throwaway child. Then the default ``mlready audit``
(the sandbox on, nothing else said) must leave no file written, start no program, survive
(exit 0, 1 or 2: never a signal) and name the model file and the cause.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.tree import DecisionTreeClassifier

from tests import hostile
from tests.conftest import check_of, save_pickle, write_splits

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux sandbox")

NEEDS_MODEL = ("baseline", "metric_parity", "latency")


@pytest.fixture(autouse=True)
def _default_settings(monkeypatch) -> None:
    """The suite runs most models in-process (MLREADY_ISOLATE=off, conftest.py); these
    tests use mlready's defaults."""
    monkeypatch.delenv("MLREADY_ISOLATE", raising=False)


def _files(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def _new_files(folder: Path, before: set[Path]) -> set[str]:
    """Files written under ``folder`` since ``before``, but the audit's own reports."""
    return {p.name for p in _files(folder) - before} - {"report.json", "report.md"}


def _errors(result) -> dict[str, str]:
    return {c["id"]: c["message"] for c in result.json["checks"] if c["status"] == "error"}


def _pth_payload(canary: Path) -> bytes:
    return f"import os; open({str(canary)!r}, 'w').close()\n".encode()


def _python_with_site(site: Path) -> None:
    """Start a Python that reads ``site`` as a site directory, as the next Python started
    reads site-packages."""
    subprocess.run(
        [sys.executable, "-c", f"import site; site.addsitedir({str(site)!r})"],
        check=True,
        timeout=120,
    )


@pytest.mark.parametrize("suffix", [".pkl", ".skops"])
def test_a_file_write_through_fitted_state_is_stopped(cli, tmp_path, cancer_splits, suffix):
    site, canary = tmp_path / "site", tmp_path / "ran"
    site.mkdir()
    target = site / "evil.pth"
    model = hostile.file_writer(target, _pth_payload(canary))
    path = tmp_path / f"model{suffix}"
    if suffix == ".pkl":
        save_pickle(model, path)
    else:
        skops.io.dump(model, path)

    # Live: loaded as usual, the model writes the .pth file, and the next Python runs it.
    hostile.unsandboxed(path, cancer_splits / "test.csv")
    assert target.read_bytes() == _pth_payload(canary)
    _python_with_site(site)
    assert canary.exists()
    target.unlink()
    canary.unlink()
    before = _files(tmp_path)

    result = cli.audit(path, cancer_splits)

    assert result.exit_code == 1, result.output
    assert not target.exists() and not canary.exists()
    assert _new_files(tmp_path, before) == set()
    errors = _errors(result)
    assert set(NEEDS_MODEL) <= set(errors)
    assert f"{path}: the model tried to write a file ({target})" in errors["metric_parity"]
    assert check_of(result, "split_distribution")["status"] != "error"  # data checks ran


def test_worker_processes_of_n_jobs_never_start(cli, tmp_path, cancer, cancer_splits):
    """In-process, a ColumnTransformer(n_jobs=2) hands the writing transformer to loky
    worker processes; in the sandbox the model's parallelism is threads, and the write is
    refused all the same."""
    target = tmp_path / "written-by-a-worker"
    train = cancer[0]
    features = list(train.drop(columns="target").columns)
    columns = ColumnTransformer(
        [("write", FunctionTransformer(), features), ("keep", "passthrough", features)], n_jobs=2
    )
    model = _fitted(
        Pipeline([("columns", columns), ("clf", LogisticRegression(max_iter=5000))]), train
    )
    name, _, selected = columns.transformers_[0]  # the fitted placeholder gives way
    columns.transformers_[0] = (name, hostile.file_writer(target, b"payload"), selected)
    path = save_pickle(model, tmp_path / "model.pkl")

    hostile.unsandboxed(path, cancer_splits / "test.csv")
    assert target.read_bytes() == b"payload"
    target.unlink()

    result = cli.audit(path, cancer_splits)

    assert result.exit_code == 1, result.output
    assert not target.exists()
    assert "tried to write a file" in _errors(result)["metric_parity"]


def _fitted(model, train: pd.DataFrame, **attributes):
    model.fit(train.drop(columns="target"), train["target"])
    for name, value in attributes.items():
        setattr(model, name, value)
    return model


def test_a_model_cannot_start_a_program(cli, tmp_path, cancer, cancer_splits):
    canary = tmp_path / "started"
    model = _fitted(hostile.StartsProgram(max_depth=2), cancer[0], canary_=str(canary))
    path = save_pickle(model, tmp_path / "model.pkl")

    hostile.unsandboxed(path, cancer_splits / "test.csv")
    assert canary.exists()
    canary.unlink()
    before = _files(tmp_path)

    result = cli.audit(path, cancer_splits, "--trust-model")  # trusted: only the sandbox

    assert result.exit_code == 1, result.output
    assert not canary.exists() and _new_files(tmp_path, before) == set()
    assert "the model tried to start a program (touch)" in _errors(result)["metric_parity"]


def test_a_model_cannot_phone_home(cli, tmp_path, cancer, cancer_splits, tcp_listener):
    port, received = tcp_listener
    model = _fitted(hostile.OpensSocket(max_depth=2), cancer[0], port_=port)
    path = save_pickle(model, tmp_path / "model.pkl")

    hostile.unsandboxed(path, cancer_splits / "test.csv")
    assert _wait_for(lambda: b"the model phoned home\n" in received)
    received.clear()

    result = cli.audit(path, cancer_splits, "--trust-model")

    assert result.exit_code == 1, result.output
    assert "the model tried to open a socket" in _errors(result)["metric_parity"]
    assert received == []


def _wait_for(condition, seconds: float = 120) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass (a bound, not a pace)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        threading.Event().wait(0.05)
    return condition()


def test_a_crash_on_any_row_is_an_error_and_the_audit_goes_on(cli, tmp_path, cancer):
    """The crafted tree crashes only on rows that pass one small inner node. Train, test and
    production's first 1,000 rows avoid it; production's last rows (up to 20) reach it. The
    crash takes down the model's process, not the audit."""
    train, test = cancer
    X, y = train.drop(columns="target"), train["target"]
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    tree = model.tree_
    inner = np.flatnonzero(tree.children_left >= 0)[1:]  # inner nodes below the root
    node = int(inner[np.argmin(tree.n_node_samples[inner])])

    def reaches(frame):
        return model.decision_path(frame.drop(columns="target")).toarray()[:, node] > 0

    rng = np.random.default_rng(0)
    everything = pd.concat([train, test])
    safe, deadly = everything[~reaches(everything)], everything[reaches(everything)]
    production = pd.concat([safe.iloc[rng.integers(len(safe), size=1_000)], deadly.head(20)])
    splits = write_splits(
        tmp_path / "splits",
        train[~reaches(train)],
        test[~reaches(test)],
        production=production.drop(columns="target"),
    )
    hostile.poison(model, node)
    path = save_pickle(model, tmp_path / "model.pkl")
    production.drop(columns="target").to_csv(tmp_path / "production.csv", index=False)

    code, _ = hostile.unsandboxed(path, tmp_path / "production.csv")
    assert code == -signal.SIGSEGV

    result = cli.audit(path, splits)

    assert result.exit_code == 1, result.output
    crashed = [c for c in result.json["checks"] if "SIGSEGV" in c["message"]]
    assert crashed and all(c["status"] == "error" for c in crashed)
    assert len(deadly) > 0 and len(production) > 1_000
    assert f"{path}: the model crashed its process (SIGSEGV)" in crashed[0]["message"]
    assert f"on {len(production):,} rows" in crashed[0]["message"]
    statuses = {c["id"]: c["status"] for c in result.json["checks"]}
    assert statuses["metric_parity"] != "error"  # train and test were predicted
    assert statuses["data_quality"] != "error"
    assert (tmp_path / "report.md").is_file()


def test_a_raw_memory_pointer_is_refused_and_contained(cli, tmp_path, cancer, cancer_splits):
    path = save_pickle(hostile.array_interface_model(cancer[0]), tmp_path / "model.pkl")

    code, _ = hostile.unsandboxed(path, cancer_splits / "test.csv")
    assert code == -signal.SIGSEGV

    refused = cli.audit(path, cancer_splits)  # the name scan knows this one
    assert refused.exit_code == 2
    assert "it sets a dunder attribute on an object; nothing from it was run" in refused.output

    contained = cli.audit(path, cancer_splits, "--trust-model")  # no scan: the sandbox
    assert contained.exit_code == 1, contained.output
    assert "crashed its process (SIGSEGV)" in _errors(contained)["metric_parity"]


def test_a_singleton_mutation_stays_in_the_model_process(cli, tmp_path, cancer_splits):
    path = save_pickle(hostile.singleton_mutator(), tmp_path / "model.pkl")

    _, report = hostile.unsandboxed(path, cancer_splits / "test.csv")
    assert report["masked_data"] == 42.0  # numpy.ma.masked itself was rewritten

    result = cli.audit(path, cancer_splits)

    assert result.exit_code == 2  # the rebuilt object is broken: the model cannot load
    assert f"could not load {path}" in result.output
    assert float(np.ma.masked.data) == 0.0  # mlready's own numpy is untouched


def test_a_compressed_memory_bomb_runs_out_of_its_memory(cli, tmp_path, cancer_splits):
    path = hostile.compressed_bomb(tmp_path / "model.joblib", gib=0.5)
    assert path.stat().st_size < 4 * 2**20

    _, report = hostile.unsandboxed(path, cancer_splits / "test.csv")
    assert report["peak_mb"] > 512  # decompressed in full by whoever loads it

    peak_before = _peak_mb()
    result = cli.audit(path, cancer_splits, "--model-memory-mb", "256")

    assert result.exit_code == 1, result.output
    said = f"{path}: the model ran out of its 256 MB while loading"
    assert any(said in note for note in result.json["notes"])
    assert said in _errors(result)["metric_parity"]
    assert result.json["model"]["kind"] == "failed in its sandboxed process"
    assert "memory" in [layer["name"] for layer in result.json["sandbox"]["layers"]]
    assert _peak_mb() - peak_before < 256  # mlready's own memory did not take it
    assert check_of(result, "split_distribution")["status"] != "error"


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.fixture
def onnx_regression_splits(tmp_path, cancer) -> Path:
    """The cancer splits with a numeric target, for an ONNX regressor of 30 inputs."""
    train, test = (frame.astype("float32") for frame in cancer)
    return write_splits(tmp_path / "regression", train, test)


def test_an_onnx_memory_bomb_runs_out_of_its_memory(cli, tmp_path, onnx_regression_splits):
    pytest.importorskip("onnx")
    path = hostile.onnx_bomb(tmp_path / "bomb.onnx", width=30, gib=1)

    _, report = hostile.unsandboxed(path, onnx_regression_splits / "test.csv")
    assert report.get("predicted") and report["peak_mb"] > 1024

    peak_before = _peak_mb()
    result = cli.audit(path, onnx_regression_splits, "--model-memory-mb", "256")

    assert result.exit_code == 1, result.output
    assert f"{path}: the model ran out of its 256 MB" in _errors(result)["metric_parity"]
    assert _peak_mb() - peak_before < 512


def test_an_onnx_loop_that_never_ends_is_killed(cli, tmp_path, onnx_regression_splits):
    pytest.importorskip("onnx")
    path = hostile.onnx_loop(tmp_path / "loop.onnx", width=30)
    control = hostile.start_unsandboxed(path, onnx_regression_splits / "test.csv")
    try:
        result = cli.audit(path, onnx_regression_splits, "--model-timeout", "10")

        assert result.exit_code == 1, result.output
        assert "the model took longer than 10 s calling predict" in _errors(result)["metric_parity"]
        assert control.poll() is None  # unsandboxed, the same graph is still looping
    finally:
        control.kill()
        control.wait()


def test_an_onnx_graph_reads_no_file_but_itself(cli, tmp_path, onnx_regression_splits, monkeypatch):
    pytest.importorskip("onnx")
    (tmp_path / "models").mkdir()
    here = tmp_path / "working-directory"
    here.mkdir()
    path = hostile.onnx_with_outside_weights(
        tmp_path / "models" / "outside.onnx", here / "weights.bin", width=30
    )

    _, report = hostile.unsandboxed(path, onnx_regression_splits / "test.csv", cwd=here)
    assert report.get("predicted"), report  # loaded as usual, it reads ./weights.bin

    monkeypatch.chdir(here)
    result = cli.audit(path, onnx_regression_splits)

    assert result.exit_code == 2, result.output
    assert f"{path} is not a loadable ONNX model" in " ".join(result.output.split())


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _model_process(pid: int) -> int | None:
    """The child of ``pid`` that runs the model (mlready.sandbox.child), if it has started."""
    for child in _children(pid):
        try:
            if b"mlready.sandbox.child" in Path(f"/proc/{child}/cmdline").read_bytes():
                return child
        except OSError:
            continue
    return None


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_sigterm_to_mlready_ends_a_hanging_model_at_once(tmp_path, onnx_regression_splits):
    pytest.importorskip("onnx")
    path = hostile.onnx_loop(tmp_path / "loop.onnx", width=30)
    report = tmp_path / "report.md"
    audit = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlready.cli",
            "audit",
            str(path),
            "--data",
            str(onnx_regression_splits),
            "--quick",
            "--report",
            str(report),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # Other short-lived children may come first (a probe, a process not yet exec'd).
        assert _wait_for(lambda: _model_process(audit.pid) is not None, seconds=300)
        model = _model_process(audit.pid)
        assert model is not None
        # Spinning in the Loop, inside onnxruntime, where no Python signal handler runs.
        assert _wait_for(lambda: _cpu_seconds(model) > 3, seconds=300)

        audit.send_signal(signal.SIGTERM)

        assert audit.wait(timeout=120) == 130
        assert _wait_for(lambda: not Path(f"/proc/{model}").exists())
        assert not report.exists()
    finally:
        audit.kill()
        audit.wait()


def test_outputs_can_never_be_inputs(cli, tmp_path, good_classifier, cancer_splits):
    before = {p: p.read_bytes() for p in [good_classifier, *cancer_splits.iterdir()]}
    for option, victim in [
        ("--report", good_classifier),
        ("--json", cancer_splits / "test.csv"),
        ("--html", cancer_splits / "train.csv"),
    ]:
        result = cli(
            "audit",
            str(good_classifier),
            "--data",
            str(cancer_splits),
            "--quick",
            "--isolate",
            "off",
            option,
            str(victim),
        )
        assert result.exit_code == 2, result.output
        assert f"{option} {victim} is the" in result.output
        assert "never overwrites" in result.output
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text("seed: 1\n")
    before[checklist] = checklist.read_bytes()
    result = cli(
        "audit",
        str(good_classifier),
        "--data",
        str(cancer_splits),
        "-c",
        str(checklist),
        "--report",
        str(checklist),
    )
    assert result.exit_code == 2 and "is the checklist" in result.output
    compared = cli(
        "compare",
        str(good_classifier),
        str(good_classifier),
        "--data",
        str(cancer_splits),
        "--json",
        str(good_classifier),
    )
    assert compared.exit_code == 2 and "is the model file" in compared.output
    assert {p: p.read_bytes() for p in before} == before

    written = tmp_path / "elsewhere.json"  # the same command writes where it may
    ok = cli(
        "audit",
        str(good_classifier),
        "--data",
        str(cancer_splits),
        "--quick",
        "--isolate",
        "off",
        "--json",
        str(written),
        "--report",
        str(tmp_path / "r.md"),
    )
    assert ok.exit_code in (0, 1) and json.loads(written.read_text())["checks"]


# Runs mlready under a seccomp filter that answers landlock_create_ruleset with ENOSYS, as a
# kernel without Landlock does; the model's process inherits it.
_WITHOUT_LANDLOCK = """
import ctypes, struct, sys
def op(code, k, jt=0, jf=0):
    return struct.pack("=HBBI", code, jt, jf, k)
program = b"".join([op(0x20, 0), op(0x15, 444, 0, 1), op(0x06, 0x00050000 | 38),
                    op(0x06, 0x7FFF0000)])
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
buffer = ctypes.create_string_buffer(program, len(program))
libc = ctypes.CDLL(None)
assert libc.prctl(38, 1, 0, 0, 0) == 0
assert libc.prctl(22, 2, ctypes.byref(Prog(4, ctypes.cast(buffer, ctypes.c_void_p))), 0, 0) == 0
from mlready.cli import main
sys.argv = ["mlready", *sys.argv[1:]]
main()
"""


def _without_landlock(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MLREADY_ISOLATE"}
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_LANDLOCK, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )


def test_a_missing_layer_is_a_warning_or_with_sandbox_required_an_error(
    tmp_path, good_classifier, cancer_splits
):
    report, markdown = tmp_path / "report.json", tmp_path / "report.md"
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text("model:\n  sandbox: required\n")
    args = [
        "audit",
        str(good_classifier),
        "--data",
        str(cancer_splits),
        "--quick",
        "--json",
        str(report),
        "--report",
        str(markdown),
        "-c",
        str(checklist),
    ]

    warned = _without_landlock(*args, "--sandbox", "best-effort")  # overrides the checklist
    assert warned.returncode in (0, 1), warned.stderr
    layers = {layer["name"]: layer for layer in json.loads(report.read_text())["sandbox"]["layers"]}
    assert not layers["landlock"]["in_force"]
    assert "Landlock is not available" in layers["landlock"]["detail"]
    assert layers["seccomp"]["in_force"] and layers["memory"]["in_force"]
    assert "NOT in force: landlock: Landlock is not available" in markdown.read_text()
    assert "NOT in force: landlock" in " ".join(warned.stdout.split())
    report.unlink()
    markdown.unlink()

    for refused in (_without_landlock(*args), _without_landlock(*args, "--sandbox", "required")):
        assert refused.returncode == 2
        said = " ".join(refused.stderr.split())
        assert "the model sandbox is incomplete here: landlock (Landlock is not available" in said
        assert f"{good_classifier} was not loaded" in said
        assert not report.exists() and not markdown.exists()


def test_sandbox_required_passes_where_every_layer_is_in_force(cli, good_classifier, cancer_splits):
    from mlready.sandbox import landlock

    try:
        landlock.abi_version()
    except OSError:
        pytest.skip("this kernel has no Landlock")
    result = cli.audit(good_classifier, cancer_splits, "--sandbox", "required")
    assert result.exit_code in (0, 1), result.output
    assert all(layer["in_force"] for layer in result.json["sandbox"]["layers"])
