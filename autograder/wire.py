"""Plain data across the sandbox boundary: encoding, decoding and message framing.

Student code runs in one process and the tests in another (see execute.py). What crosses between
them is *data only*: numbers, strings, bools, None, lists, tuples, dicts, sets, numpy arrays and
numpy scalars. Nothing is unpickled and no object keeps its methods, so a student's value cannot
carry code into the grader: an object whose ``__eq__`` always returns True arrives as a reference
the tests cannot compare, not as something equal to everything.

Functions and other objects that are not plain data travel as handles (``Remote`` in the grader,
callbacks in the sandbox); calling one sends a message back across the boundary.
"""
import base64
import json
import math
import os
import select
import struct
import time

import numpy as np

#: numpy dtype kinds that can cross: bool, signed and unsigned ints, floats, complex numbers.
ARRAY_KINDS = set("biufc")
#: Deepest nesting accepted when decoding, so a hostile message cannot exhaust the stack.
MAX_DEPTH = 100
#: Most values one message may decode into (items of lists, dicts, ...), and most bytes of one
#: array: a hostile message cannot make the receiver build millions of objects or a huge array.
MAX_ITEMS = 2_000_000
MAX_ARRAY_BYTES = 256 * 1024 ** 2
MAX_ARRAY_DIMS = 32


class WireError(Exception):
    """A value cannot cross the boundary, or a message is malformed."""


class Handle:
    """A reference to an object that lives on the other side (a function, a module, anything else)."""

    def __init__(self, side, key, kind, summary):
        self.side, self.key, self.kind, self.summary = side, key, kind, summary


def encode(value, make_handle, depth=0):
    """``value`` as JSON-ready data; objects that are not plain data become ``make_handle(obj)``."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) is int:
        return value if abs(value) < 2 ** 53 else {"int": str(value)}
    if type(value) is float:
        return {"float": repr(value)}
    if type(value) is complex:
        return {"complex": [repr(value.real), repr(value.imag)]}
    if type(value) in (list, tuple, set, frozenset):
        items = [encode(v, make_handle, depth + 1) for v in value]
        return {type(value).__name__: items}
    if type(value) is dict:
        return {"dict": [[encode(k, make_handle, depth + 1), encode(v, make_handle, depth + 1)]
                         for k, v in value.items()]}
    if isinstance(value, np.ndarray) and value.dtype.kind in ARRAY_KINDS:
        if value.size * value.dtype.itemsize > MAX_ARRAY_BYTES or value.ndim > MAX_ARRAY_DIMS:
            raise WireError(f"an array of shape {value.shape} is too large to grade")
        # the shape of the value itself: np.ascontiguousarray turns a 0-d array into shape (1,)
        return {"ndarray": [value.dtype.str, list(value.shape), base64.b64encode(value.tobytes()).decode()]}
    if isinstance(value, np.generic) and value.dtype.kind in ARRAY_KINDS:
        return {"scalar": [value.dtype.str, base64.b64encode(value.tobytes()).decode()]}
    if type(value).__module__ == "torch" and type(value).__name__ == "Tensor":
        # Assignments ask for numpy; a tensor answer is compared as the array it holds.
        return encode(value.detach().cpu().numpy(), make_handle, depth)
    return make_handle(value)


def decode(data, resolve_handle):
    """Inverse of ``encode``; handles become ``resolve_handle(dict)``. A closed set of types, with
    limits on depth, item count and array size; anything else is a WireError, never an exception of
    another kind, and nothing is ever imported, unpickled or evaluated."""
    try:
        return _decode(data, resolve_handle, 0, [MAX_ITEMS])
    except WireError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, MemoryError, RecursionError) as error:
        raise WireError(f"malformed value ({type(error).__name__}: {str(error)[:200]})") from None


def _decode(data, resolve_handle, depth, budget):
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    budget[0] -= 1
    if budget[0] < 0:
        raise WireError(f"value with more than {MAX_ITEMS} items")
    if data is None or type(data) in (bool, str, int):
        return data
    if type(data) is not dict or len(data) != 1:
        raise WireError(f"malformed value of type {type(data).__name__}")
    (tag, body), = data.items()
    if tag == "int":
        return int(_string(body))
    if tag == "float":
        return float(_string(body))
    if tag == "complex":
        return complex(float(_string(body[0])), float(_string(body[1])))
    if tag in ("list", "tuple", "set", "frozenset"):
        items = [_decode(v, resolve_handle, depth + 1, budget) for v in _list(body)]
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
    if tag == "dict":
        return {_decode(k, resolve_handle, depth + 1, budget): _decode(v, resolve_handle, depth + 1, budget)
                for k, v in _list(body)}
    if tag == "ndarray":
        dtype, shape, payload = np.dtype(_string(body[0])), _list(body[1]), _string(body[2])
        if dtype.kind not in ARRAY_KINDS:
            raise WireError(f"arrays of dtype {dtype} cannot be compared")
        if len(shape) > MAX_ARRAY_DIMS or not all(type(n) is int and 0 <= n for n in shape):
            raise WireError("an array with a malformed shape")
        if math.prod(shape) * dtype.itemsize > MAX_ARRAY_BYTES or len(payload) > MAX_ARRAY_BYTES * 4 // 3 + 4:
            raise WireError("an array too large to grade")
        raw = base64.b64decode(payload, validate=True)
        if len(raw) != math.prod(shape) * dtype.itemsize:
            raise WireError("an array whose data does not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if tag == "scalar":
        dtype = np.dtype(_string(body[0]))
        if dtype.kind not in ARRAY_KINDS:
            raise WireError(f"scalars of dtype {dtype} cannot be compared")
        raw = base64.b64decode(_string(body[1]), validate=True)
        if len(raw) != dtype.itemsize:
            raise WireError("a scalar whose data does not match its type")
        return np.frombuffer(raw, dtype=dtype)[0]
    if tag == "handle":
        if type(body) is not dict:
            raise WireError("a malformed reference")
        return resolve_handle(body)
    raise WireError(f"unknown tag {str(tag)[:40]!r}")


def _string(value):
    if type(value) is not str:
        raise WireError("a malformed value")
    return value


def _list(value):
    if type(value) is not list:
        raise WireError("a malformed value")
    return value


# Framing: a 4-byte length, then UTF-8 JSON. Both sides read with a size cap.

def send(fd, message, deadline=None):
    """Write one message; TimeoutError when the other side stops reading before ``deadline``."""
    payload = json.dumps(message, separators=(",", ":")).encode()
    data = struct.pack(">I", len(payload)) + payload
    view = memoryview(data)
    if deadline is None:
        while view:
            view = view[os.write(fd, view):]
        return
    blocking = os.get_blocking(fd)
    os.set_blocking(fd, False)  # so a write never waits longer than the deadline
    try:
        while view:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([], [fd], [], wait)[1]:
                raise TimeoutError("the other side stopped reading")
            try:
                view = view[os.write(fd, view[:1 << 16]):]
            except BlockingIOError:
                continue
    finally:
        os.set_blocking(fd, blocking)


def _read_exactly(fd, size, deadline):
    chunks, remaining = [], size
    while remaining:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError("no answer before the deadline")
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def receive(fd, max_bytes, deadline=None, max_containers=None):
    """One message; WireError when it is larger than ``max_bytes`` (or holds more than
    ``max_containers`` lists and objects, counted before parsing, so a hostile message cannot make
    the parser build millions of them), TimeoutError after ``deadline`` (a ``time.monotonic()``
    value; None waits for ever)."""
    size, = struct.unpack(">I", _read_exactly(fd, 4, deadline))
    if size > max_bytes:
        raise WireError(f"message of {size} bytes is over the limit of {max_bytes}")
    data = _read_exactly(fd, size, deadline)
    if max_containers is not None and data.count(b"[") + data.count(b"{") > max_containers:
        raise WireError(f"message with more than {max_containers} lists and objects")
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as error:
        raise WireError(f"malformed message: {str(error)[:200]}") from None
