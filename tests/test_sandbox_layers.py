"""Each layer of the sandbox, alone, in a throwaway child: what it forbids fails with it
and works without it (so that a layer that stopped working fails its test)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from mlready.sandbox import landlock, seccomp

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux layers")


def _landlock_abi() -> int:
    try:
        return landlock.abi_version()
    except OSError:
        return 0


needs_landlock = pytest.mark.skipif(_landlock_abi() == 0, reason="this kernel has no Landlock")

# Applies the named layers (comma-separated in argv[1]) to the child, then runs the attempt.
_PRELUDE = """
import ctypes, os, sys
from mlready.sandbox import landlock, lockdown, seccomp
layers = [layer for layer in sys.argv[1].split(",") if layer]
if layers:
    assert ctypes.CDLL(None).prctl(38, 1, 0, 0, 0) == 0  # no_new_privs
readable = [p for p in {*sys.path, sys.prefix, sys.base_prefix} if p] + list(
    lockdown.SYSTEM_READABLE)
if "landlock" in layers:
    landlock.restrict(readable)
if "seccomp" in layers:
    seccomp.install()
if "limits" in layers:
    lockdown.lock_down(readable)
"""


def _attempt(layers: str, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    script = _PRELUDE + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script, layers, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


_WRITE = """
try:
    with open(sys.argv[2], "w") as handle:
        handle.write("written")
    print("DONE")
except PermissionError as exc:
    print("DENIED", exc)
"""


@needs_landlock
def test_landlock_forbids_writing_anywhere(tmp_path: Path) -> None:
    target = tmp_path / "written.txt"
    assert "DENIED" in _attempt("landlock", _WRITE, str(target)).stdout
    assert not target.exists()

    assert "DONE" in _attempt("", _WRITE, str(target)).stdout
    assert target.read_text() == "written"


@needs_landlock
def test_landlock_forbids_reading_outside_the_libraries(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the password")
    read = """
    try:
        print("DONE", open(sys.argv[2]).read())
    except PermissionError:
        print("DENIED")
    import numpy  # the libraries stay readable
    print("IMPORTED")
    """
    locked = _attempt("landlock", read, str(secret)).stdout
    assert "DENIED" in locked and "the password" not in locked and "IMPORTED" in locked
    assert "DONE the password" in _attempt("", read, str(secret)).stdout


_CONNECT = """
import socket
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=30) as conn:
        conn.sendall(b"hello")
    print("DONE")
except PermissionError as exc:
    print("DENIED", exc)
"""


@pytest.mark.parametrize(
    "layer",
    [
        "seccomp",
        pytest.param(
            "landlock", marks=pytest.mark.skipif(_landlock_abi() < 4, reason="TCP needs ABI 4")
        ),
    ],
)
def test_no_network_connection(tcp_listener, layer: str) -> None:
    port, received = tcp_listener
    assert "DENIED" in _attempt(layer, _CONNECT, str(port)).stdout

    assert "DONE" in _attempt("", _CONNECT, str(port)).stdout
    assert _eventually(lambda: received == [b"hello"])


def _eventually(condition) -> bool:
    """Wait for ``condition`` for up to a minute (the server thread must run first)."""
    done = threading.Event()
    for _ in range(600):
        if condition():
            return True
        done.wait(0.1)
    return condition()


@pytest.mark.parametrize(
    "start",
    [
        "import subprocess; subprocess.run(['touch', sys.argv[2]])",
        "os.system('touch ' + sys.argv[2])",
        "pid = os.fork()\nif pid == 0:\n    open(sys.argv[2], 'w').close()\n    os._exit(0)\n"
        "os.waitpid(pid, 0)",
        "os.execv('/usr/bin/touch', ['touch', sys.argv[2]])",
    ],
    ids=["subprocess", "system", "fork", "exec"],
)
def test_seccomp_forbids_programs_and_processes(tmp_path: Path, start: str) -> None:
    canary = tmp_path / "canary"
    code = f"""
try:
{textwrap.indent(start, "    ")}
except PermissionError as exc:
    print("DENIED", exc)
"""
    locked = _attempt("seccomp", code, str(canary))
    assert not canary.exists(), locked.stdout + locked.stderr

    _attempt("", code, str(canary))
    assert canary.exists()


def test_seccomp_keeps_threads_blas_and_openmp_working() -> None:
    code = """
import threading
import numpy as np
from sklearn.ensemble import RandomForestClassifier
seen = []
threads = [threading.Thread(target=seen.append, args=(i,)) for i in range(4)]
for thread in threads: thread.start()
for thread in threads: thread.join()
a = np.random.default_rng(0).normal(size=(400, 400))
forest = RandomForestClassifier(n_estimators=8, n_jobs=2, random_state=0)
import joblib
with joblib.parallel_config(backend="threading"):
    forest.fit(a, a[:, 0] > 0)
print("DONE", sorted(seen), round(float((a @ a.T).trace())), forest.score(a, a[:, 0] > 0))
"""
    locked = _attempt("seccomp", code)
    assert locked.stdout.startswith("DONE [0, 1, 2, 3]"), locked.stderr
    assert locked.stdout == _attempt("", code).stdout


@needs_landlock
@pytest.mark.skipif(_landlock_abi() < 6, reason="signal scoping needs Landlock ABI 6")
def test_landlock_forbids_signalling_other_processes(tmp_path: Path) -> None:
    target = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        code = """
try:
    os.kill(int(sys.argv[2]), signal.SIGTERM)
    print("DONE")
except PermissionError:
    print("DENIED")
"""
        code = "import signal\n" + code
        assert "DENIED" in _attempt("landlock", code, str(target.pid)).stdout
        assert target.poll() is None
        assert "DONE" in _attempt("", code, str(target.pid)).stdout
        assert target.wait(timeout=60) == -signal.SIGTERM
    finally:
        target.kill()
        target.wait()


def test_file_size_limit_stops_writes_even_to_an_open_file(tmp_path: Path) -> None:
    target = tmp_path / "open.txt"
    code = """
handle = open(sys.argv[2], "w")  # opened before the lockdown, as an inherited file would be
if sys.argv[3] == "limited":
    lockdown._file_limits()
try:
    handle.write("x" * 10)
    handle.flush()
    print("DONE")
except OSError as exc:  # Python ignores SIGXFSZ, so the write fails with EFBIG
    print("DENIED", exc)
"""
    limited = _attempt("", code, str(target), "limited")
    assert "DENIED [Errno 27] File too large" in limited.stdout
    assert target.read_text() == ""

    free = _attempt("", code, str(target), "free")
    assert "DONE" in free.stdout and target.read_text() == "x" * 10


def test_memory_limit_is_beyond_the_libraries() -> None:
    code = """
import numpy as np
limit = sys.argv[2]
if limit != "none":
    print(lockdown.limit_memory(int(limit))["detail"])
try:
    block = np.ones(64 * 2**20)  # 512 MB
    print("DONE", block.sum())
except MemoryError:
    print("DENIED")
small = np.ones(2**20)  # 8 MB: within the limit
print("SMALL", small.sum())
"""
    limited = _attempt("", code, "256").stdout
    assert "DENIED" in limited and "SMALL 1048576.0" in limited
    assert "256 MB beyond the" in limited
    assert "DONE" in _attempt("", code, "none").stdout


def test_lock_down_reports_every_layer_in_force_here() -> None:
    code = """
import json
print(json.dumps(lockdown.lock_down(readable)))
"""
    import json

    layers = json.loads(_attempt("", code).stdout)
    by_name = {layer["name"]: layer for layer in layers}
    assert set(by_name) == {"privileges", "limits", "landlock", "seccomp"}
    assert by_name["privileges"]["in_force"] and by_name["seccomp"]["in_force"]
    assert by_name["limits"]["in_force"]
    assert by_name["landlock"]["in_force"] == (_landlock_abi() > 0)
    if _landlock_abi():
        assert f"ABI {_landlock_abi()}" in by_name["landlock"]["detail"]


def test_seccomp_program_refuses_foreign_architectures() -> None:
    with pytest.raises(seccomp.SeccompUnavailable):
        seccomp.program("sparc64")
    for machine in ("x86_64", "aarch64"):
        assert len(seccomp.program(machine)) % 8 == 0  # whole BPF instructions


def test_a_child_cannot_reach_an_inherited_file_descriptor(tmp_path: Path) -> None:
    target = tmp_path / "inherited.txt"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT)
    try:
        code = """
fd = int(sys.argv[2])
lockdown.close_inherited_files()
try:
    os.write(fd, b"leaked")
    print("DONE")
except OSError:
    print("CLOSED")
"""
        done = subprocess.run(
            [sys.executable, "-c", _PRELUDE + code, "", str(fd)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            pass_fds=(fd,),
        )
        assert "CLOSED" in done.stdout, done.stderr
        assert target.read_bytes() == b""
    finally:
        os.close(fd)


def test_a_locked_process_cannot_raise_its_limits_again() -> None:
    code = """
import resource
if sys.argv[2] == "locked":
    lockdown.lock_down(readable)
else:
    lockdown._file_limits()
try:
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    print("DONE")
except (ValueError, OSError):
    print("DENIED")
"""
    assert "DENIED" in _attempt("", code, "locked").stdout
    if _has_capability(24):  # CAP_SYS_RESOURCE raises a hard limit, unless it is dropped
        assert "DONE" in _attempt("", code, "free").stdout


def _has_capability(bit: int) -> bool:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> bit & 1)
    return False


@pytest.mark.skipif(not _has_capability(1), reason="needs CAP_DAC_OVERRIDE (root) to show")
def test_dropped_capabilities_leave_root_no_way_around_file_permissions(tmp_path: Path) -> None:
    locked = tmp_path / "mode-000.txt"
    locked.write_text("root reads this only with CAP_DAC_OVERRIDE")
    locked.chmod(0)
    code = """
if sys.argv[3] == "dropped":
    print(lockdown._no_new_privileges()["detail"])
try:
    print("DONE", open(sys.argv[2]).read())
except PermissionError:
    print("DENIED")
"""
    dropped = _attempt("", code, str(locked), "dropped").stdout
    assert "every capability dropped" in dropped and "DENIED" in dropped
    assert "DONE root reads this" in _attempt("", code, str(locked), "kept").stdout
