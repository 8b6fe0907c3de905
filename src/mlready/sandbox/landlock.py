"""Landlock (Linux 5.13 and later): a process takes away its own access to files and ports.

The model process calls :func:`restrict` on itself before it reads a byte of the model:
afterwards it may read the directories it is given (the interpreter and its libraries) and
nothing else; it may not create, write, truncate, rename or remove any file anywhere; from
ABI 4 it may not bind or connect a TCP port, and from ABI 6 it may not signal a process
outside its own domain or reach an abstract UNIX socket. Landlock applies to the calling
thread and the threads and processes it starts later, so it is called while the process
still has one thread. Three system calls; no library is needed (see
``docs.kernel.org/userspace-api/landlock.html``).
"""

from __future__ import annotations

import ctypes
import os
import stat
import struct
from collections.abc import Iterable

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same number on every arch
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1

_READ_FILE, _READ_DIR = 1 << 2, 1 << 3
_NET_TCP = 1 << 0 | 1 << 1  # bind, connect (ABI 4)
_SCOPES = 1 << 0 | 1 << 1  # abstract UNIX sockets, signals (ABI 6)


class LandlockUnavailable(OSError):
    """This kernel has no Landlock, or it is switched off."""


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _call(libc: ctypes.CDLL, number: int, *args: object) -> int:
    result = int(libc.syscall(number, *args))
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def _buffer(packed: bytes) -> ctypes.Array[ctypes.c_char]:
    return ctypes.create_string_buffer(packed, len(packed))  # no trailing NUL


def abi_version() -> int:
    """The Landlock ABI this kernel offers; raises LandlockUnavailable if none."""
    libc = _libc()
    version = int(
        libc.syscall(
            _CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION)
        )
    )
    if version < 0:
        code = ctypes.get_errno()
        raise LandlockUnavailable(code, f"Landlock is not available: {os.strerror(code)}")
    return version


def handled_fs_rights(abi: int) -> int:
    """Every file-system right this ABI knows: all of them are denied unless a rule grants."""
    rights = (1 << 13) - 1  # ABI 1: execute ... make_sym
    if abi >= 2:
        rights |= 1 << 13  # refer (rename or link across directories)
    if abi >= 3:
        rights |= 1 << 14  # truncate
    if abi >= 5:
        rights |= 1 << 15  # ioctl on devices
    return rights


def restrict(readable: Iterable[str]) -> int:
    """Deny this process (and all it starts) every file-system access but reading beneath
    ``readable``, and, where the ABI allows, TCP and signals to other processes. The caller
    must have set no_new_privs. Returns the ABI that is in force."""
    abi = abi_version()
    fs = handled_fs_rights(abi)
    net = _NET_TCP if abi >= 4 else 0
    scoped = _SCOPES if abi >= 6 else 0
    fields = [fs] + ([net] if abi >= 4 else []) + ([scoped] if abi >= 6 else [])
    packed = struct.pack(f"={len(fields)}Q", *fields)
    libc = _libc()
    ruleset = _call(
        libc, _CREATE_RULESET, _buffer(packed), ctypes.c_size_t(len(packed)), ctypes.c_uint32(0)
    )
    try:
        for path in readable:
            _allow_reading(libc, ruleset, path, fs)
        _call(libc, _RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    return abi


def _allow_reading(libc: ctypes.CDLL, ruleset: int, path: str, handled: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a path this machine does not have
    try:
        rights = _READ_FILE | _READ_DIR if stat.S_ISDIR(os.fstat(fd).st_mode) else _READ_FILE
        rule = _buffer(struct.pack("=Qi", rights & handled, fd))
        _call(
            libc,
            _ADD_RULE,
            ctypes.c_int(ruleset),
            ctypes.c_int(_RULE_PATH_BENEATH),
            rule,
            ctypes.c_uint32(0),
        )
    finally:
        os.close(fd)
