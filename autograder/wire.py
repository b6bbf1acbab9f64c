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
import os
import select
import struct
import time

import numpy as np

#: numpy dtype kinds that can cross: bool, signed and unsigned ints, floats, complex numbers.
ARRAY_KINDS = set("biufc")
#: Deepest nesting accepted when decoding, so a hostile message cannot exhaust the stack.
MAX_DEPTH = 200


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
        array = np.ascontiguousarray(value)
        return {"ndarray": [array.dtype.str, list(array.shape), base64.b64encode(array.tobytes()).decode()]}
    if isinstance(value, np.generic) and value.dtype.kind in ARRAY_KINDS:
        return {"scalar": [value.dtype.str, base64.b64encode(value.tobytes()).decode()]}
    if type(value).__module__ == "torch" and type(value).__name__ == "Tensor":
        # Assignments ask for numpy; a tensor answer is compared as the array it holds.
        return encode(value.detach().cpu().numpy(), make_handle, depth)
    return make_handle(value)


def decode(data, resolve_handle, depth=0):
    """Inverse of ``encode``; handles become ``resolve_handle(dict)``. Rejects anything else."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if data is None or isinstance(data, (bool, str, int)) and type(data) in (bool, str, int):
        return data
    if not isinstance(data, dict) or len(data) != 1:
        raise WireError(f"malformed value of type {type(data).__name__}")
    (tag, body), = data.items()
    if tag == "int":
        return int(body)
    if tag == "float":
        return float(body)
    if tag == "complex":
        return complex(float(body[0]), float(body[1]))
    if tag in ("list", "tuple", "set", "frozenset"):
        items = [decode(v, resolve_handle, depth + 1) for v in body]
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
    if tag == "dict":
        return {decode(k, resolve_handle, depth + 1): decode(v, resolve_handle, depth + 1) for k, v in body}
    if tag == "ndarray":
        dtype, shape, payload = np.dtype(body[0]), tuple(int(n) for n in body[1]), base64.b64decode(body[2])
        if dtype.kind not in ARRAY_KINDS:
            raise WireError(f"arrays of dtype {dtype} cannot be compared")
        return np.frombuffer(payload, dtype=dtype).reshape(shape).copy()
    if tag == "scalar":
        dtype = np.dtype(body[0])
        if dtype.kind not in ARRAY_KINDS:
            raise WireError(f"scalars of dtype {dtype} cannot be compared")
        return np.frombuffer(base64.b64decode(body[1]), dtype=dtype)[0]
    if tag == "handle":
        return resolve_handle(body)
    raise WireError(f"unknown tag {tag!r}")


# Framing: a 4-byte length, then UTF-8 JSON. Both sides read with a size cap.

def send(fd, message):
    payload = json.dumps(message, separators=(",", ":")).encode()
    data = struct.pack(">I", len(payload)) + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


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


def receive(fd, max_bytes, deadline=None):
    """One message; WireError when it is larger than ``max_bytes``, TimeoutError after ``deadline``
    (a ``time.monotonic()`` value; None waits for ever)."""
    size, = struct.unpack(">I", _read_exactly(fd, 4, deadline))
    if size > max_bytes:
        raise WireError(f"message of {size} bytes is over the limit of {max_bytes}")
    try:
        return json.loads(_read_exactly(fd, size, deadline))
    except ValueError as error:
        raise WireError(f"malformed message: {error}") from None
