"""What the model process does to itself before it reads a byte of the model.

:func:`lock_down` runs first thing in the child, while it still has a single thread and
has imported nothing but the standard library: it closes every inherited file descriptor
but its three pipes, sets no_new_privs, drops every capability, forbids writing to files
and core dumps, restricts the file system and network with Landlock and system calls with
seccomp. :func:`limit_memory` caps the address space once the libraries are imported, so
that the limit is the model's own. :func:`watch` adds an audit hook that notes what the
model tried to do (write a file, start a process, open a socket), so that mlready can say
what the sandbox stopped. Each layer reports whether it is in force and why not: a layer
the kernel lacks is a warning, or an error with ``--sandbox required``.
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import sys
from typing import Any

Layer = dict[str, Any]  # {"name", "in_force", "detail"}, sent to mlready as JSON

_PR_SET_NO_NEW_PRIVS, _PR_SET_PDEATHSIG = 38, 1
_CAPABILITY_VERSION_3 = 0x20080522

# Beyond the interpreter's own folders: what the dynamic loader, the C and C++ runtimes,
# OpenMP, BLAS and time zones read. Nothing here is writable, and /proc is limited to the
# process itself.
SYSTEM_READABLE = (
    "/usr/lib",
    "/usr/lib64",
    "/lib",
    "/lib64",
    "/usr/local/lib",
    "/etc/ld.so.cache",
    "/usr/share/zoneinfo",
    "/etc/localtime",
    "/proc/self",
    "/proc/cpuinfo",
    "/proc/meminfo",
    "/proc/stat",
    "/sys/devices/system/cpu",
    "/sys/fs/cgroup",
    "/dev/null",
    "/dev/urandom",
    "/dev/zero",
)


def _layer(name: str, in_force: bool, detail: str) -> Layer:
    return {"name": name, "in_force": in_force, "detail": detail}


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def die_with_parent() -> None:
    """Have the kernel SIGKILL this process when the thread that started it ends."""
    if sys.platform.startswith("linux"):
        _libc().prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0)


def close_inherited_files() -> None:
    """Close every file descriptor but the three pipes to mlready."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    os.closerange(3, soft if 0 < soft < 1 << 20 else 1 << 16)


def _no_new_privileges() -> Layer:
    if not sys.platform.startswith("linux"):
        return _layer("privileges", False, f"no_new_privs is Linux-only (this is {sys.platform})")
    libc = _libc()
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return _layer("privileges", False, f"no_new_privs refused: {_errno()}")
    header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)
    nothing = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable; two words each
    if libc.capset(header, nothing) != 0:
        return _layer("privileges", False, f"no_new_privs set; dropping capabilities: {_errno()}")
    return _layer("privileges", True, "no_new_privs; every capability dropped")


def _errno() -> str:
    return os.strerror(ctypes.get_errno())


def _file_limits() -> Layer:
    for limit in (resource.RLIMIT_FSIZE, resource.RLIMIT_CORE):
        resource.setrlimit(limit, (0, 0))
    return _layer("limits", True, "no file may grow (file size 0); no core files")


def _landlock(readable: list[str]) -> Layer:
    if not sys.platform.startswith("linux"):
        return _layer("landlock", False, f"Landlock is Linux-only (this is {sys.platform})")
    from mlready.sandbox import landlock

    try:
        abi = landlock.restrict(readable)
    except OSError as exc:
        return _layer("landlock", False, f"{exc.strerror or exc} (kernel {platform.release()})")
    network = "; no TCP bind or connect" if abi >= 4 else "; TCP not covered before ABI 4"
    scope = "; no signals to other processes" if abi >= 6 else ""
    return _layer(
        "landlock",
        True,
        f"ABI {abi}: read-only, beneath {len(readable)} library "
        f"folders; nothing written, created or removed{network}{scope}",
    )


def _seccomp() -> Layer:
    if not sys.platform.startswith("linux"):
        return _layer("seccomp", False, f"seccomp is Linux-only (this is {sys.platform})")
    from mlready.sandbox import seccomp

    try:
        seccomp.install()
    except OSError as exc:
        return _layer("seccomp", False, str(exc.strerror or exc))
    return _layer("seccomp", True, "no programs, processes, sockets, ptrace, mounts or BPF")


def lock_down(readable: list[str]) -> list[Layer]:
    """Apply every layer this system offers to this process; what each one did."""
    close_inherited_files()
    layers = [_no_new_privileges(), _file_limits()]
    if layers[0]["in_force"]:  # Landlock and seccomp require no_new_privs
        layers += [_landlock(readable), _seccomp()]
    else:
        why = "needs no_new_privs"
        layers += [_layer("landlock", False, why), _layer("seccomp", False, why)]
    return layers


def limit_memory(memory_mb: int | None) -> Layer:
    """Cap the address space at what the process uses now plus ``memory_mb``: the model may
    take that much beyond the interpreter and its libraries."""
    if memory_mb is None:
        return _layer("memory", False, "no memory limit (--model-memory-mb not set)")
    base = _address_space()
    size = base + memory_mb * 2**20
    try:
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    except (ValueError, OSError) as exc:
        return _layer("memory", False, f"address-space limit refused: {exc}")
    return _layer(
        "memory",
        True,
        f"{memory_mb:,} MB beyond the {base / 2**20:,.0f} MB of the interpreter and its libraries",
    )


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0  # not Linux: the limit is then the whole process's


# Audit events that mean the model tried something the sandbox forbids, and how to say it.
_ATTEMPTS = {
    "os.system": "start a program",
    "os.exec": "start a program",
    "os.posix_spawn": "start a program",
    "os.spawn": "start a program",
    "subprocess.Popen": "start a program",
    "os.fork": "start a process",
    "os.forkpty": "start a process",
    "socket.__new__": "open a socket",
    "socket.connect": "open a network connection",
    "socket.bind": "open a network port",
    "os.remove": "remove a file",
    "os.rmdir": "remove a folder",
    "os.rename": "rename a file",
    "os.mkdir": "create a folder",
    "os.symlink": "create a link",
    "os.link": "create a link",
    "os.truncate": "truncate a file",
    "os.chmod": "change a file's permissions",
    "os.kill": "signal a process",
    "os.killpg": "signal a process",
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def watch(noted: list[str]) -> None:
    """Note in ``noted`` what the model's code tries that the sandbox forbids, as "write a
    file (PATH)". The layers stop it; this only says what was stopped. Audit hooks cannot
    be removed, so the model's code cannot turn this off."""

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open" and len(args) >= 3 and _writes(args[1], args[2]):
            noted.append(f"write a file ({args[0]})")
        elif event in _ATTEMPTS:
            what = args[0] if args and isinstance(args[0], str | bytes | os.PathLike) else ""
            noted.append(f"{_ATTEMPTS[event]}{f' ({what!s})' if what else ''}")

    sys.addaudithook(hook)


def _writes(mode: Any, flags: Any) -> bool:
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)
