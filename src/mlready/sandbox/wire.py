"""What travels on the channel: numbers as ``.npy``, everything else as JSON.

What the model process sends is read without unpickling: a JSON header, then one ``.npy``
array per numeric output, loaded with ``allow_pickle=False``. A process that the model has
taken over can therefore send wrong numbers, but it cannot make mlready run code. Requests
go the other way as mlready's own pickles (rows of data, method names), which only the
model process unpickles.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import numpy as np


def encode_answer(value: Any, notes: dict[str, Any]) -> list[bytes]:
    """The messages that carry ``value`` (a number, text, an array, or a dict of arrays by
    name): a JSON header holding ``notes`` and what is not numeric, then an ``.npy`` message
    per numeric array. Raises before anything is sent if ``value`` cannot be sent."""
    arrays: list[bytes] = []

    def part(item: Any) -> dict[str, Any]:
        if isinstance(item, np.ndarray) and item.dtype.kind in "biuf":
            buffer = io.BytesIO()
            np.save(buffer, item, allow_pickle=False)
            arrays.append(buffer.getvalue())
            return {"npy": len(arrays) - 1}
        if isinstance(item, np.ndarray):
            return {"json": item.tolist()}  # labels as text; numpy scalars become Python's
        return {"json": item}

    if isinstance(value, dict) and all(isinstance(v, np.ndarray) for v in value.values()):
        body: dict[str, Any] = {"parts": {name: part(item) for name, item in value.items()}}
    else:
        body = {"value": part(value)}
    header = json.dumps({"ok": True, "arrays": len(arrays), **body, **notes}).encode()
    return [header, *arrays]


def decode_answer(header: dict[str, Any], read_next: Callable[[], bytes]) -> Any:
    """The value that :func:`encode_answer` sent, reading its arrays with ``read_next()``."""
    count = int(header.get("arrays", 0))
    arrays = [np.load(io.BytesIO(read_next()), allow_pickle=False) for _ in range(count)]

    def value_of(item: dict[str, Any]) -> Any:
        if "npy" in item:
            return arrays[int(item["npy"])]
        value = item["json"]
        return np.asarray(value, dtype=object) if isinstance(value, list) else value

    if "parts" in header:
        return {name: value_of(item) for name, item in header["parts"].items()}
    return value_of(header["value"]) if "value" in header else None


def as_json(payload: bytes) -> dict[str, Any]:
    """A header sent by the model process; ValueError when it is not one."""
    header = json.loads(payload)
    if not isinstance(header, dict) or "ok" not in header:
        raise ValueError("not an answer")
    return header
