"""The pipe between mlready and its model process: framed messages.

Every message is its length (8 bytes, little-endian) and then its bytes. What the model
process sends is :mod:`mlready.sandbox.wire`'s business; what mlready sends it are its own
pickles (rows of data, method names), their array buffers out of band. Only the standard
library is used here: the model process reads its first message before it may import
anything else.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import struct
import time
from typing import IO, Any

_LENGTH = struct.Struct("<Q")
_F_SETPIPE_SZ = 1031
_PIPE_BYTES = 1 << 20  # the largest pipe an unprivileged process may ask for by default


def widen_pipe(fd: int) -> None:
    """Ask for a 1 MiB pipe buffer (64 KiB by default): rows move in fewer system calls."""
    with contextlib.suppress(OSError, ImportError):  # Linux only
        import fcntl

        fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_BYTES)


def write_message(stream: IO[bytes], payload: bytes) -> None:
    """Send one message and flush it."""
    stream.write(_LENGTH.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def read_message(stream: IO[bytes]) -> bytes | None:
    """One message from a blocking stream; None when the other side has closed it."""
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return payload


def write_pickled(stream: IO[bytes], obj: object) -> None:
    """Send ``obj`` pickled, its large buffers (array data) out of band: they go on the
    pipe straight from the arrays' memory instead of being copied into one pickle first."""
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    stream.write(_LENGTH.pack(len(buffers)))
    parts: list[bytes | memoryview] = [head, *(buffer.raw() for buffer in buffers)]
    for part in parts:
        stream.write(_LENGTH.pack(len(part)))
        stream.write(part)
    stream.flush()


def read_pickled(stream: IO[bytes]) -> Any:
    """What :func:`write_pickled` sent (its buffers writable, as the arrays were), or
    EOFError when the other side has closed the stream."""
    count = _read_length(stream)
    parts = [_read_into(stream, _read_length(stream)) for _ in range(count + 1)]
    return pickle.loads(parts[0], buffers=parts[1:])


def _read_length(stream: IO[bytes]) -> int:
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        raise EOFError
    (size,) = _LENGTH.unpack(header)
    return int(size)


def _read_into(stream: IO[bytes], size: int) -> bytearray:
    data = bytearray(size)
    view, done = memoryview(data), 0
    while done < size:
        got = stream.readinto(view[done:])  # type: ignore[attr-defined]
        if not got:
            raise EOFError
        done += got
    return data


def read_message_by(fd: int, deadline: float) -> bytes:
    """One message from ``fd``; TimeoutError past ``deadline`` (a ``time.monotonic()``
    value), EOFError when the other side closes it."""
    (size,) = _LENGTH.unpack(_read_exactly(fd, _LENGTH.size, deadline))
    return _read_exactly(fd, size, deadline)


def _read_exactly(fd: int, size: int, deadline: float) -> bytes:
    parts, left = [], size
    while left:
        wait = deadline - time.monotonic()
        if wait <= 0 or not select.select([fd], [], [], wait)[0]:
            raise TimeoutError
        part = os.read(fd, min(left, _PIPE_BYTES))
        if not part:
            raise EOFError
        parts.append(part)
        left -= len(part)
    return b"".join(parts)
