"""seccomp-bpf: the model process gives up the system calls a model never needs.

A classic BPF program, installed by the process on itself (after no_new_privs), answers
every system call it makes from then on, in every thread it starts:

- starting a program (``execve``, ``execveat``) or a process (``fork``, ``vfork``, and
  ``clone`` without ``CLONE_THREAD``): refused with EPERM. Threads stay allowed, so BLAS,
  OpenMP and onnxruntime keep their thread pools; ``clone3`` answers ENOSYS, so that the C
  library falls back to ``clone``, whose flags the filter can read;
- opening sockets, and the calls that use them (``socket``, ``socketpair``, ``connect``,
  ``bind``, ``listen``, ``accept``): EPERM;
- debugging or reading other processes (``ptrace``, ``process_vm_*``, ``pidfd_getfd``,
  ``kcmp``), mounting, BPF, io_uring (whose requests seccomp would not see), kernel modules,
  namespaces, keyrings, ``userfaultfd``, ``perf_event_open``, file handles: EPERM;
- a call made through another architecture's table (x32, or a foreign ABI): the process is
  killed, since its numbers would bypass the filter.

Everything else is allowed. The filter is about 70 instructions; no library is needed.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]
_NR, _ARCH, _ARG0_LOW = 0, 4, 16

_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_RET_KILL_PROCESS, _RET_ERRNO, _RET_ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
_CLONE_THREAD = 0x00010000
_X32_BIT = 0x40000000
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2

_DENIED_NAMES = (
    "execve execveat socket socketpair connect bind listen accept accept4 ptrace "
    "process_vm_readv process_vm_writev pidfd_getfd kcmp process_madvise mount umount2 "
    "pivot_root chroot open_tree move_mount fsopen fsmount fspick mount_setattr bpf "
    "perf_event_open kexec_load kexec_file_load init_module finit_module delete_module "
    "reboot swapon swapoff setns unshare keyctl add_key request_key userfaultfd "
    "io_uring_setup io_uring_enter io_uring_register open_by_handle_at name_to_handle_at "
    "fanotify_init acct quotactl lookup_dcookie"
)
_DENIED_COMMON = tuple(_DENIED_NAMES.split())


def _numbers(table: str) -> dict[str, int]:
    """``"name number name number ..."`` as a dict."""
    words = table.split()
    return {name: int(number) for name, number in zip(words[::2], words[1::2], strict=True)}


# Calls added since Linux 5.1 have one number on every architecture.
_UNIFIED = _numbers("""
    io_uring_setup 425 io_uring_enter 426 io_uring_register 427 open_tree 428 move_mount 429
    fsopen 430 fsmount 432 fspick 433 clone3 435 pidfd_getfd 438 process_madvise 440
    mount_setattr 442
""")
_X86_64 = _numbers("""
    socket 41 connect 42 accept 43 bind 49 listen 50 socketpair 53 clone 56 fork 57 vfork 58
    execve 59 ptrace 101 pivot_root 155 chroot 161 acct 163 mount 165 umount2 166 swapon 167
    swapoff 168 reboot 169 iopl 172 ioperm 173 init_module 175 delete_module 176 quotactl 179
    lookup_dcookie 212 kexec_load 246 add_key 248 request_key 249 keyctl 250 unshare 272
    accept4 288 perf_event_open 298 fanotify_init 300 name_to_handle_at 303
    open_by_handle_at 304 setns 308 process_vm_readv 310 process_vm_writev 311 kcmp 312
    finit_module 313 kexec_file_load 320 bpf 321 execveat 322 userfaultfd 323
""")
_AARCH64 = _numbers("""
    lookup_dcookie 18 umount2 39 mount 40 pivot_root 41 chroot 51 quotactl 60 acct 89
    unshare 97 kexec_load 104 init_module 105 delete_module 106 ptrace 117 reboot 142
    socket 198 socketpair 199 bind 200 listen 201 accept 202 connect 203 add_key 217
    request_key 218 keyctl 219 clone 220 execve 221 swapon 224 swapoff 225
    perf_event_open 241 accept4 242 fanotify_init 262 name_to_handle_at 264
    open_by_handle_at 265 setns 268 process_vm_readv 270 process_vm_writev 271 kcmp 272
    finit_module 273 bpf 280 execveat 281 userfaultfd 282 kexec_file_load 294
""")
# (audit arch, syscall numbers, calls refused besides the common ones)
_TABLES: dict[str, tuple[int, dict[str, int], tuple[str, ...]]] = {
    "x86_64": (0xC000003E, {**_X86_64, **_UNIFIED}, ("fork", "vfork", "iopl", "ioperm")),
    "aarch64": (0xC00000B7, {**_AARCH64, **_UNIFIED}, ()),  # no fork or vfork there
}


class SeccompUnavailable(OSError):
    """No filter for this architecture, or the kernel refused it."""


# One line of the program: (code, k, where to jump if true, if false) with labels for
# targets (None: the next instruction), or a label naming the next instruction.
_Line = tuple[int, int, str | None, str | None] | str


def _assemble(lines: list[_Line]) -> bytes:
    labels, position = {}, 0
    for line in lines:
        if isinstance(line, str):
            labels[line] = position
        else:
            position += 1
    code, position = [], 0
    for line in lines:
        if isinstance(line, str):
            continue
        op, k, if_true, if_false = line

        def offset(label: str | None, here: int = position) -> int:
            return 0 if label is None else labels[label] - here - 1

        code.append(struct.pack("=HBBI", op, offset(if_true), offset(if_false), k))
        position += 1
    return b"".join(code)


def program(machine: str) -> bytes:
    """The BPF program for ``machine`` (``platform.machine()``), as bytes."""
    if machine not in _TABLES:
        raise SeccompUnavailable(errno.ENOSYS, f"no seccomp filter for {machine}")
    arch, numbers, extra = _TABLES[machine]
    denied = sorted({numbers[name] for name in (*_DENIED_COMMON, *extra)})
    lines: list[_Line] = [
        (_LD_W_ABS, _ARCH, None, None),
        (_JEQ, arch, None, "kill"),
        (_LD_W_ABS, _NR, None, None),
    ]
    if machine == "x86_64":  # the x32 ABI: the same calls under other numbers
        lines.append((_JGE, _X32_BIT, "kill", None))
    lines.append((_JEQ, numbers["clone3"], "enosys", None))
    lines.append((_JEQ, numbers["clone"], "clone", None))
    lines += [(_JEQ, number, "deny", None) for number in denied]
    lines += [
        (_RET, _RET_ALLOW, None, None),
        "clone",
        (_LD_W_ABS, _ARG0_LOW, None, None),
        (_JSET, _CLONE_THREAD, None, "deny"),  # a thread
        (_RET, _RET_ALLOW, None, None),
        "deny",
        (_RET, _RET_ERRNO | errno.EPERM, None, None),
        "enosys",
        (_RET, _RET_ERRNO | errno.ENOSYS, None, None),
        "kill",
        (_RET, _RET_KILL_PROCESS, None, None),
    ]
    return _assemble(lines)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install() -> None:
    """Install the filter on this process (inherited by every thread it starts). The caller
    must have set no_new_privs."""
    code = program(platform.machine())
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = _SockFprog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        failure = ctypes.get_errno()
        raise SeccompUnavailable(failure, f"seccomp refused: {os.strerror(failure)}")
