"""Step 2 of the pipeline: run one restored notebook, student code in the sandbox, tests here.

Every cell the student wrote (and every locked cell of the assignment) runs in the sandboxed
kernel. Test cells never go there: they run in this, the grader's, process, in a namespace where
each name the student defined (``softmax``, ``answer_q2``) is looked up in the kernel when a test
reads it. Plain values come back as copies; functions come back as ``Remote`` handles, and calling
one runs the student's function in the kernel on copies of the arguments.

So a test's ``np.allclose`` is this process's numpy, which student code cannot patch; hidden tests
never enter the student's process, so student code cannot read them; and the verdict (did the
test cell raise or write to stderr?) is decided here, exactly as nbgrader decides it from outputs.
"""
import builtins
import contextlib
import functools
import io
import math
import os
import signal
import sys
import threading
import time
import traceback
import warnings

import nbformat
import numpy as np

from autograder import wire
from autograder.assignment import nbgrader_meta
from autograder.kernel import CappedText
from autograder.model import Incident, Status
from autograder.timing import Stopwatch

MAX_REPLY_BYTES = 64 * 1024 * 1024


class KernelTimeout(Exception):
    pass


class KernelDied(Exception):
    pass


class NotGradable(TypeError):
    """A test touched a student's object that is not plain data (e.g. compared it)."""


class Remote:
    """A function (or other object) that lives in the student's kernel."""

    def __init__(self, session, body):
        self._session, self._body = session, body
        self.__name__ = str(body.get("summary", "remote"))[:80]
        #: Positions of the arguments the last call changed in place (r2a.checks.changed_arguments).
        self.last_call_changed = []

    def __call__(self, *args, **kwargs):
        if self._body.get("kind") != "function":
            raise NotGradable(f"a {self._body.get('summary')} object from your code cannot be called")
        value, self.last_call_changed = self._session.call(self._body.get("key"), args, kwargs)
        return value

    def __repr__(self):
        return f"<{self._body.get('kind')} {self._body.get('summary')} from your notebook>"

    def __getattr__(self, name):
        raise NotGradable(f"the tests can only use plain values from your code (numbers, strings, lists, "
                          f"tuples, dicts, numpy arrays); got {self!r}")


class Session:
    """The tests' side of one sandboxed kernel: run cells, read names, call functions."""

    def __init__(self, limits, host, notebook_deadline=None, timings=None):
        # ``host`` starts a kernel (``start()``: the two descriptors of its channel) and kills it
        # (``kill()``: how it ended); runner.JailHost asks the grader, the only one who may.
        self.limits, self.host = limits, host
        self.timings = timings if timings is not None else Stopwatch()
        self.started = time.perf_counter()
        self.read_fd, self.write_fd = host.start()
        self.notebook_deadline = notebook_deadline or time.monotonic() + limits.notebook_seconds
        self.cell_deadline = None  # while a test cell runs: when its time is up
        self.callbacks = {}        # grader-side functions student code may call, while one test cell runs
        self.closed = False
        self.ready = False         # the kernel says "ready" once it has started; the first request waits for it
        self.in_requests = 0.0     # seconds of the tests' requests to the kernel (the "tests" step leaves them out)

    def close(self):
        if self.closed:
            return
        self.closed = True
        try:
            wire.send(self.write_fd, {"op": "exit"})
        except OSError:
            pass
        self._close_fds()
        with self.timings.step("sandbox start"):
            self.host.kill()

    def _close_fds(self):
        for fd in (self.read_fd, self.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass

    def _died(self, error):
        self.closed = True
        self._close_fds()
        return KernelDied(f"{self.host.kill()} ({error})")

    def revoke_callbacks(self):
        """Functions a test handed to student code stop working when that test ends."""
        self.callbacks.clear()

    # -- values

    def _handle(self, value):
        if isinstance(value, Remote):
            return {"handle": value._body}
        self.callbacks[id(value)] = value
        return {"handle": {"side": "grader", "key": id(value)}}

    def _resolve(self, body):
        if body.get("side") == "grader":
            function = self.callbacks.get(body.get("key"))
            if function is None:
                raise wire.WireError("a reference to a test's function that has ended")
            return function
        return Remote(self, body)  # modules too: nothing is ever imported by a name the kernel sends

    def encode(self, value):
        return wire.encode(value, self._handle)

    def decode(self, data):
        return wire.decode(data, self._resolve)

    # -- requests

    def _request(self, message):
        """Send one request and wait for its answer, serving the kernel's callbacks meanwhile."""
        now = time.monotonic()
        deadline = min(now + self.limits.cell_seconds, self.notebook_deadline, self.cell_deadline or math.inf)
        try:
            if not self.ready:
                self._wait_until_ready(deadline)
            sent = time.perf_counter()
            wire.send(self.write_fd, message, deadline)
            while True:
                reply = wire.receive(self.read_fd, MAX_REPLY_BYTES, deadline)
                if not isinstance(reply, dict):
                    raise wire.WireError("a reply that is not an object")
                if reply.get("op") != "callback":
                    self._count(message["op"], reply.get("busy"), time.perf_counter() - sent)
                    return reply
                wire.send(self.write_fd, self._serve_callback(reply), deadline)
        except TimeoutError:
            self._died("timeout")
            limit = "notebook" if deadline >= self.notebook_deadline else "cell"
            seconds = self.limits.notebook_seconds if limit == "notebook" else self.limits.cell_seconds
            raise KernelTimeout(limit, seconds) from None
        except (EOFError, OSError, wire.WireError) as error:
            raise self._died(error) from None

    def _wait_until_ready(self, deadline):
        reply = wire.receive(self.read_fd, 1 << 10, deadline)
        if reply != {"op": "ready"}:
            raise wire.WireError("the kernel did not say it was ready")
        self.ready = True
        self.timings.add("sandbox start", time.perf_counter() - self.started)

    def _count(self, op, busy, round_trip):
        """A request's time: the student's code (as the kernel reports it) and the rest, the wire."""
        busy = min(float(busy), round_trip) if type(busy) is float and busy >= 0 else 0.0
        self.timings.add("student cells" if op == "run" else "student calls", busy)
        self.timings.add("wire", round_trip - busy)
        if op != "run":
            self.in_requests += round_trip

    def _serve_callback(self, request):
        try:
            function = self.callbacks.get(request.get("key"))
            if function is None:
                raise RuntimeError("this function of the tests is no longer available (its test has ended)")
            args = [self.decode(a) for a in request["args"]]
            kwargs = {str(k): self.decode(v) for k, v in request["kwargs"]}
            return {"op": "value", "value": self.encode(function(*args, **kwargs))}
        except Exception as exc:  # noqa: BLE001 - reported to the student's code as an exception
            return {"op": "raise", "ename": type(exc).__name__, "evalue": str(exc)[:2000]}

    def run_cell(self, source, name):
        reply = self._request({"op": "run", "source": source, "name": name})
        return {"stdout": _text(reply.get("stdout"), self.limits.output_bytes),
                "stderr": _text(reply.get("stderr"), self.limits.output_bytes),
                "error": _error_fields(reply.get("error"))}

    def get(self, name):
        reply = self._request({"op": "get", "name": name})
        if reply.get("op") == "missing":
            raise KeyError(name)
        return self._value(reply)

    def set(self, name, value):
        self._request({"op": "set", "name": name, "value": self.encode(value)})

    def call(self, key, args, kwargs):
        encoded_args = [self.encode(a) for a in args]
        reply = self._request({"op": "call", "key": key, "args": encoded_args,
                               "kwargs": [[k, self.encode(v)] for k, v in kwargs.items()],
                               "errstate": np.geterr()})
        # What the student's code printed shows in the test cell's output, as it would in a kernel.
        print(_text(reply.get("stdout"), self.limits.output_bytes), end="")
        print(_text(reply.get("stderr"), self.limits.output_bytes), end="", file=sys.stderr)
        value = self._value(reply)
        # The student's function ran on copies, and its in-place changes are *not* copied back:
        # the test's own arguments never change, so a reference a test computes from them after
        # the call is computed from what it passed (a function that zeroes its inputs cannot make
        # the reference agree with it). Which arguments changed is reported, for the tests that
        # check it (r2a.checks.changed_arguments).
        changed = reply.get("mutated", [])
        changed = [pair[0] for pair in changed if isinstance(pair, list) and pair and type(pair[0]) is int
                   and 0 <= pair[0] < len(args)] if isinstance(changed, list) else []
        return value, changed

    def _value(self, reply):
        if reply.get("op") == "value":
            return self.decode(reply.get("value"))
        raise _student_exception(reply)


def _text(value, limit):
    """A string from the kernel, capped: a reply padded with output cannot grow the notebook."""
    if not isinstance(value, str):
        return ""
    if len(value) > limit:
        return value[:limit] + f"\n[output truncated: {len(value) - limit} more characters]\n"
    return value


def _error_fields(error):
    if not isinstance(error, dict):
        return None
    return {"ename": _text(error.get("ename"), 200) or "Error", "evalue": _text(error.get("evalue"), 2000),
            "traceback": _text(error.get("traceback"), 20000)}


class StudentError(Exception):
    """An exception raised by the student's code that is not a builtin one."""


def _student_exception(reply):
    """The student's exception, as the builtin type when it is one (a test may expect ValueError)."""
    name, message = _text(reply.get("ename"), 200) or "Error", _text(reply.get("evalue"), 2000)
    cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls, message = StudentError, f"{name}: {message}"
    try:
        exc = cls(message)
    except Exception:  # noqa: BLE001 - builtins with unusual constructors
        exc = StudentError(f"{name}: {message}")
    exc.student_traceback = _text(reply.get("traceback"), 20000)
    return exc


class TestNamespace(dict):
    """Globals of the test cells: the grader's own values, plus the student's names on demand."""

    def __init__(self, session):
        super().__init__(__name__="__main__", __builtins__=builtins)
        self.session, self.from_student = session, set()

    def __missing__(self, name):
        if name.startswith("__") or name in builtins.__dict__:
            raise KeyError(name)  # let Python go on to the builtins
        value = self.session.get(name)
        self.from_student.add(name)
        dict.__setitem__(self, name, value)
        return value

    def __setitem__(self, name, value):
        # A test that puts its own function in place of a student's (to test one function on its
        # own) must change what the student's other functions see, too.
        if name in self.from_student:
            self.session.set(name, value)
        dict.__setitem__(self, name, value)

    def refresh(self):
        """Forget values read from the kernel, so each test cell reads them afresh."""
        for name in self.from_student:
            dict.pop(self, name, None)
        self.from_student.clear()


def refuse_vacuous_comparisons():
    """numpy's comparisons, in this process, never call an empty array equal to a non-empty one.

    ``np.allclose(np.zeros((0, 3)), expected)`` is True for any ``expected`` of shape (1, 3),
    because broadcasting leaves nothing to compare; so an empty answer would pass a test that
    compares values without checking the shape first. Run in the test runner only (a fresh
    process per submission), before the tests.
    """
    def empty_mismatch(a, b):
        try:
            return (0 in np.shape(a)) != (0 in np.shape(b))
        except Exception:  # noqa: BLE001 - ragged or odd values: numpy's own answer stands
            return False

    def returning_false(compare):
        @functools.wraps(compare)
        def strict(a, b, *args, **kwargs):
            return False if empty_mismatch(a, b) else compare(a, b, *args, **kwargs)
        return strict

    def raising(compare):
        @functools.wraps(compare)
        def strict(a, b, *args, **kwargs):
            if empty_mismatch(a, b):
                raise AssertionError(f"an empty array of shape {np.shape(a)} cannot equal one of shape "
                                     f"{np.shape(b)}")
            return compare(a, b, *args, **kwargs)
        return strict

    for name in ("allclose", "array_equal", "array_equiv"):
        setattr(np, name, returning_false(getattr(np, name)))
    for name in ("assert_allclose", "assert_array_equal", "assert_array_almost_equal", "assert_equal"):
        setattr(np.testing, name, raising(getattr(np.testing, name)))


class TestTimeout(BaseException):
    """A test cell ran past its time limit (raised by an alarm; a test's ``except Exception`` cannot
    swallow it)."""


@contextlib.contextmanager
def _alarm(seconds):
    """Raise TestTimeout in this thread after ``seconds`` (main thread only; elsewhere the kernel
    requests' own deadlines are the limit)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def ring(signum, frame):
        raise TestTimeout()

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_test_cell(source, namespace, name):
    """Run a test cell here; nbformat outputs, an error output when it raised."""
    namespace.refresh()
    session, limits = namespace.session, namespace.session.limits
    out, err = CappedText(limits.output_bytes), CappedText(limits.output_bytes)
    outputs = []
    seconds = min(limits.cell_seconds, session.notebook_deadline - time.monotonic())
    session.cell_deadline = time.monotonic() + seconds
    started, in_requests = time.perf_counter(), session.in_requests
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings(record=True) as caught, _alarm(seconds + 1.0):
            warnings.simplefilter("always")
            try:
                exec(compile(source, name, "exec"), namespace)
                error = None
            except (KernelTimeout, KernelDied):
                raise
            except Exception as exc:  # noqa: BLE001 - a failing test is a result
                error = exc
    except TestTimeout:
        session.close()  # a request to the kernel may have been cut in half: start afresh
        raise KernelTimeout("cell", limits.cell_seconds) from None
    finally:
        session.cell_deadline = None
        session.revoke_callbacks()
        session.timings.add("tests", max(0.0, time.perf_counter() - started - (session.in_requests - in_requests)))
    for warning in caught[:100]:
        err.write(warnings.formatwarning(warning.message, warning.category, warning.filename, warning.lineno))
    outputs += _streams(out.getvalue(), err.getvalue())
    if error is not None:
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        lines = [line for line in lines if "autograder/execute.py" not in line]
        student = getattr(error, "student_traceback", "")
        if student:
            lines.insert(0, "Your code raised this:\n" + student + "\n")
        outputs.append({"output_type": "error", "ename": type(error).__name__, "evalue": _text(str(error), 2000),
                        "traceback": _text("".join(lines), 20000).splitlines()})
    return outputs


def _streams(stdout, stderr):
    return ([{"output_type": "stream", "name": "stdout", "text": stdout}] if stdout else []) + \
           ([{"output_type": "stream", "name": "stderr", "text": stderr}] if stderr else [])


def kernel_outputs(reply):
    """nbformat outputs from the kernel's answer to a student cell (already capped by Session)."""
    outputs = _streams(reply["stdout"], reply["stderr"])
    if reply["error"]:
        error = reply["error"]
        outputs.append({"output_type": "error", "ename": error["ename"], "evalue": error["evalue"],
                        "traceback": error["traceback"].splitlines()})
    return outputs


def run_setup(namespace, setup_sources):
    """The assignment's own setup cells (imports) in the test namespace, from the pristine source."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for source in setup_sources:
            exec(compile(source, "<setup>", "exec"), namespace)


def plan_of(notebook, assignment):
    """What the test runner needs to grade ``notebook``, as plain data: its code cells in order
    (test cells flagged), the assignment's setup cells, and the names to read at the end."""
    cells = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        grade_id = nbgrader_meta(cell).get("grade_id")
        cells.append({"test": grade_id in assignment.tests, "source": cell.source,
                      "name": f"cell {index + 1}" + (f" ({grade_id})" if grade_id else "")})
    return {"cells": cells, "setup": list(assignment.setup), "read": list(assignment.multiple_choice.values())}


def run_plan(plan, limits, host):
    """Run every code cell of a plan in order: student cells in the kernel, test cells here.

    A cell that runs out of time or kills the kernel fails with an error output saying so; the
    kernel is then restarted, the cells that had run are replayed, and grading goes on, so one
    endless loop costs only its own tests. Returns the verdict: ``outputs`` (one list of nbformat
    outputs per code cell), ``incidents`` (``[kind, cell name, detail]``) and ``values`` of the
    names in ``read`` at the end (multiple-choice answers: short strings, else None), and
    ``timings``, seconds per step (timing.py).
    """
    incidents, replay, broken, outputs = [], [], False, []
    timings = Stopwatch()
    session = Session(limits, host, timings=timings)
    namespace = TestNamespace(session)
    with timings.step("tests"):
        run_setup(namespace, plan["setup"])
    try:
        for cell in plan["cells"]:
            name = cell["name"]
            if time.monotonic() >= session.notebook_deadline or broken:
                why = "the kernel could not be restarted" if broken else \
                    f"the notebook used up its {limits.notebook_seconds:g} s"
                outputs.append([_error_output("NotRun", f"not run: {why}")])
                continue
            try:
                if cell["test"]:
                    outputs.append(run_test_cell(cell["source"], namespace, name))
                else:
                    outputs.append(kernel_outputs(session.run_cell(cell["source"], name)))
                    replay.append((cell["source"], name))
            except (KernelTimeout, KernelDied) as problem:
                if isinstance(problem, KernelTimeout):
                    limit, seconds = problem.args
                    detail = f"stopped after {seconds:g} s (the {limit} time limit)"
                    incidents.append([str(Status.TIMEOUT), name, detail])
                else:
                    detail = f"the kernel died: {problem}"
                    incidents.append([str(Status.CRASHED), name, detail])
                outputs.append([_error_output("Timeout" if isinstance(problem, KernelTimeout) else "KernelDied",
                                              detail)])
                session.close()
                if time.monotonic() >= session.notebook_deadline:
                    continue
                try:
                    session = _restart(session, limits, host, replay, timings)
                except (KernelTimeout, KernelDied):
                    broken = True
                namespace.session = session
        values = {name: _short_text(session, name) for name in plan["read"]} if not broken else {}
    finally:
        session.close()
    return {"outputs": outputs, "incidents": incidents, "values": values, "timings": dict(timings)}


def fill_in(notebook, verdict):
    """Put a verdict's outputs into the notebook's code cells; the incidents as records."""
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for cell, outputs in zip(code, verdict["outputs"]):
        cell.outputs = [nbformat.from_dict(_encodable(output)) for output in outputs]
    return [Incident(Status(kind), cell, detail) for kind, cell, detail in verdict["incidents"]]


def _encodable(value):
    """``value`` with lone surrogates (``print('\\udc80')``) replaced, so the notebook can be written."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [_encodable(v) for v in value]
    if isinstance(value, dict):
        return {k: _encodable(v) for k, v in value.items()}
    return value


def _short_text(session, name):
    try:
        value = session.get(name)
    except (KeyError, KernelTimeout, KernelDied, TypeError, ValueError, NotGradable):
        return None
    return value if isinstance(value, str) and len(value) <= 20 else None


def _restart(old, limits, host, replay, timings=None):
    """A fresh kernel with the same notebook deadline, brought back to where the old one was."""
    session = Session(limits, host, old.notebook_deadline, timings)
    for source, name in replay:
        session.run_cell(source, name)
    return session


def _error_output(ename, message):
    return {"output_type": "error", "ename": ename, "evalue": message, "traceback": [f"{ename}: {message}"]}
