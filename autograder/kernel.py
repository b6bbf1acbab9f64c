"""The sandbox side: runs a student's cells and calls their functions on request.

Started by sandbox.py as ``python -m autograder.kernel READ_FD WRITE_FD MAX_OUTPUT_BYTES`` inside
the sandbox. It never sees a test: the grader sends it the student's own cells to run, and asks
for the values of names (``answer_q1``) or to call functions (``softmax(x)``) with plain-data
arguments. Everything it sends back is plain data (wire.py), so whatever the student's code patches
in this process (numpy, builtins, this module) can change only the student's own answers.
"""
import builtins
import io
import sys
import time
import traceback
import warnings

from autograder import wire

#: What a request may carry in one message (arguments of one call, a cell's source).
MAX_REQUEST_BYTES = 256 * 1024 * 1024


class CappedText(io.TextIOBase):
    """A text stream that keeps at most ``limit`` bytes and notes what it dropped."""

    def __init__(self, limit):
        self.limit, self.parts, self.size, self.dropped = limit, [], 0, 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = self.limit - self.size
        encoded = text.encode("utf-8", "replace")
        if len(encoded) <= room:
            self.parts.append(text)
            self.size += len(encoded)
        else:
            self.parts.append(encoded[:max(room, 0)].decode("utf-8", "ignore"))
            self.size = self.limit
            self.dropped += len(encoded) - max(room, 0)
        return len(text)

    def getvalue(self):
        note = f"\n[output truncated: {self.dropped} more bytes]\n" if self.dropped else ""
        return "".join(self.parts) + note


class IPythonStub:
    """``get_ipython()`` for cells with magics: the grader runs plain Python and skips them."""

    def _skip(self, *args, **kwargs):
        print(f"[the grader skips IPython magics and shell commands: {args[:2]}]")

    run_line_magic = run_cell_magic = system = getoutput = _skip


class Kernel:
    def __init__(self, read_fd, write_fd, max_output):
        self.read_fd, self.write_fd, self.max_output = read_fd, write_fd, max_output
        self.namespace = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": IPythonStub}
        self.objects = {}  # handle key -> object sent to the grader as a handle
        self.busy = 0.0    # seconds the last request spent in the student's code (for the profile)

    # -- values across the boundary

    def _handle(self, value):
        key = id(value)
        self.objects[key] = value
        kind = "module" if type(value).__name__ == "module" else "function" if callable(value) else "object"
        summary = getattr(value, "__name__", None) if kind == "module" else type(value).__name__
        return {"handle": {"side": "student", "key": key, "kind": kind, "summary": str(summary)[:80]}}

    def _resolve(self, body):
        if body.get("side") == "student":
            return self.objects[body["key"]]
        key = body["key"]
        return lambda *args, **kwargs: self._callback(key, args, kwargs)

    def encode(self, value):
        return wire.encode(value, self._handle)

    def decode(self, data):
        return wire.decode(data, self._resolve)

    def send(self, message):
        wire.send(self.write_fd, message)

    def receive(self):
        return wire.receive(self.read_fd, MAX_REQUEST_BYTES)

    # -- requests

    def serve(self):
        self.send({"op": "ready"})  # started: the grader times the start from this
        while True:
            request = self.receive()
            op = request.get("op")
            if op == "exit":
                return
            handler = {"run": self.run_cell, "get": self.get_name, "set": self.set_name, "call": self.call}.get(op)
            if handler is None:
                self.send({"op": "raise", "ename": "ProtocolError", "evalue": f"unknown op {op!r}", "traceback": ""})
            else:
                self.busy = 0.0
                reply = handler(request)
                reply["busy"] = self.busy
                self.send(reply)

    def _student(self, code, *args, **kwargs):
        """Run the student's code, counting its time in ``busy``."""
        started = time.perf_counter()
        try:
            return code(*args, **kwargs)
        finally:
            self.busy += time.perf_counter() - started

    def run_cell(self, request):
        """Run one of the student's cells; its output comes back as nbformat-like outputs."""
        source = request["source"]
        if any(line.lstrip().startswith(("%", "!")) for line in source.splitlines()):
            from IPython.core.inputtransformer2 import TransformerManager
            source = TransformerManager().transform_cell(source)
        out, err = CappedText(self.max_output), CappedText(self.max_output)
        error = None
        sys.stdout, sys.stderr = out, err
        try:
            self._student(exec, compile(source, request["name"], "exec"), self.namespace)
        except BaseException as exc:  # noqa: BLE001 - SystemExit too: a student's exit() ends the cell, not us
            error = self._error(exc)
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        return {"op": "done", "stdout": out.getvalue(), "stderr": err.getvalue(), "error": error}

    def get_name(self, request):
        name = request["name"]
        if name not in self.namespace or name.startswith("__"):
            return {"op": "missing"}
        return self._reply_value(self.namespace[name])

    def set_name(self, request):
        self.namespace[request["name"]] = self.decode(request["value"])
        return {"op": "done"}

    def call(self, request):
        """Call one of the student's functions with the grader's arguments."""
        import numpy as np

        function = self.objects[request["key"]]
        args = [self.decode(a) for a in request["args"]]
        kwargs = {k: self.decode(v) for k, v in request["kwargs"]}
        out, err = CappedText(self.max_output), CappedText(self.max_output)
        sys.stdout, sys.stderr = out, err
        try:
            with np.errstate(**request.get("errstate", {})), warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = self._student(function, *args, **kwargs)
            for warning in caught:  # a warning in a test cell is stderr output, and costs the cell
                err.write(warnings.formatwarning(warning.message, warning.category, warning.filename, warning.lineno))
        except BaseException as exc:  # noqa: BLE001
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            return {"op": "raise", **self._error(exc), "stdout": out.getvalue(), "stderr": err.getvalue()}
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        reply = self._reply_value(result)
        if reply["op"] == "raise":
            return reply
        # In-place changes to arguments go back too: a test may check that its input was not modified.
        # The grader only needs to know *which* arguments changed, not their new contents.
        reply["mutated"] = [[i, None] for i, (a, before) in enumerate(zip(args, request["args"]))
                            if isinstance(a, (np.ndarray, list, dict, set)) and self._changed(a, before)]
        reply.update(stdout=out.getvalue(), stderr=err.getvalue())
        return reply

    def _changed(self, value, before):
        try:
            return self.encode(value) != before
        except Exception:  # noqa: BLE001 - an argument that no longer encodes has changed
            return True

    def _reply_value(self, value):
        try:
            return {"op": "value", "value": self.encode(value)}
        except Exception as exc:  # noqa: BLE001 - whatever the value does while being encoded
            return {"op": "raise", "ename": "TypeError", "evalue": f"the value cannot be graded: {exc}",
                    "traceback": ""}

    def _callback(self, key, args, kwargs):
        """A grader-side function called from student code: ask the grader to run it."""
        self.send({"op": "callback", "key": key, "args": [self.encode(a) for a in args],
                   "kwargs": [[k, self.encode(v)] for k, v in kwargs.items()]})
        reply = self.receive()
        if reply.get("op") == "value":
            return self.decode(reply["value"])
        raise RuntimeError(f"{reply.get('ename')}: {reply.get('evalue')}")

    @staticmethod
    def _error(exc):
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        # Drop this module's frames: the student should see their own code.
        lines = [line for line in lines if "autograder/kernel.py" not in line]
        return {"ename": type(exc).__name__, "evalue": str(exc)[:2000], "traceback": "".join(lines)[-20000:]}


def main():
    read_fd, write_fd, max_output = (int(a) for a in sys.argv[1:4])
    Kernel(read_fd, write_fd, max_output).serve()


if __name__ == "__main__":
    main()
