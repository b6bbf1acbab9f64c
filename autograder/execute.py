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
import io
import sys
import time
import traceback
import warnings

import nbformat
import numpy as np

from autograder import wire
from autograder.records import Incident, Status
from autograder import sandbox
from autograder.sandbox import Sandbox

MAX_REPLY_BYTES = 256 * 1024 * 1024


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
        self.__name__ = body.get("summary", "remote")

    def __call__(self, *args, **kwargs):
        if self._body.get("kind") != "function":
            raise NotGradable(f"a {self._body.get('summary')} object from your code cannot be called")
        return self._session.call(self._body["key"], args, kwargs)

    def __repr__(self):
        return f"<{self._body.get('kind')} {self._body.get('summary')} from your notebook>"

    def __getattr__(self, name):
        raise NotGradable(f"the tests can only use plain values from your code (numbers, strings, lists, "
                          f"tuples, dicts, numpy arrays); got {self!r}")


class Session:
    """The grader's side of one sandboxed kernel: run cells, read names, call functions."""

    def __init__(self, limits, uid=None):
        self.limits = limits
        self.sandbox = Sandbox(limits, uid)
        self.notebook_deadline = time.monotonic() + limits.notebook_seconds
        self.callbacks = {}

    def close(self):
        try:
            if self.sandbox.process.poll() is None:
                wire.send(self.sandbox.write_fd, {"op": "exit"})
        except OSError:
            pass
        self.sandbox.kill()

    # -- values

    def _handle(self, value):
        if isinstance(value, Remote):
            return {"handle": value._body}
        self.callbacks[id(value)] = value
        return {"handle": {"side": "grader", "key": id(value)}}

    def _resolve(self, body):
        if body.get("side") == "grader":
            return self.callbacks[body["key"]]
        if body.get("kind") == "module":
            return __import__(body["summary"])
        return Remote(self, body)

    def encode(self, value):
        return wire.encode(value, self._handle)

    def decode(self, data):
        return wire.decode(data, self._resolve)

    # -- requests

    def _request(self, message):
        """Send one request and wait for its answer, serving the kernel's callbacks meanwhile."""
        deadline = min(time.monotonic() + self.limits.cell_seconds, self.notebook_deadline)
        try:
            wire.send(self.sandbox.write_fd, message)
            while True:
                reply = wire.receive(self.sandbox.read_fd, MAX_REPLY_BYTES, deadline)
                if reply.get("op") != "callback":
                    return reply
                wire.send(self.sandbox.write_fd, self._serve_callback(reply))
        except TimeoutError:
            self.sandbox.kill()
            limit = "notebook" if deadline >= self.notebook_deadline else "cell"
            seconds = self.limits.notebook_seconds if limit == "notebook" else self.limits.cell_seconds
            raise KernelTimeout(limit, seconds) from None
        except (EOFError, OSError, wire.WireError) as error:
            self.sandbox.kill()
            raise KernelDied(f"{self.sandbox.exit_description()} ({error})") from None

    def _serve_callback(self, request):
        try:
            function = self.callbacks[request["key"]]
            args = [self.decode(a) for a in request["args"]]
            kwargs = {k: self.decode(v) for k, v in request["kwargs"]}
            return {"op": "value", "value": self.encode(function(*args, **kwargs))}
        except Exception as exc:  # noqa: BLE001 - reported to the student's code as an exception
            return {"op": "raise", "ename": type(exc).__name__, "evalue": str(exc)}

    def run_cell(self, source, name):
        return self._request({"op": "run", "source": source, "name": name})

    def get(self, name):
        reply = self._request({"op": "get", "name": name})
        if reply["op"] == "missing":
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
        print(reply.get("stdout", ""), end="")
        print(reply.get("stderr", ""), end="", file=sys.stderr)
        for index, data in reply.get("mutated", []):
            _copy_back(args[index], self.decode(data))
        return self._value(reply)

    def _value(self, reply):
        if reply["op"] == "value":
            return self.decode(reply["value"])
        raise _student_exception(reply)


def _copy_back(original, changed):
    """Apply a student's in-place change of an argument to the test's own object."""
    if isinstance(original, np.ndarray) and isinstance(changed, np.ndarray) and original.flags.writeable:
        if original.shape == changed.shape:
            np.copyto(original, changed, casting="unsafe")
    elif isinstance(original, list) and isinstance(changed, list):
        original[:] = changed
    elif isinstance(original, dict) and isinstance(changed, dict):
        original.clear()
        original.update(changed)


class StudentError(Exception):
    """An exception raised by the student's code that is not a builtin one."""


def _student_exception(reply):
    """The student's exception, as the builtin type when it is one (a test may expect ValueError)."""
    name, message = reply.get("ename", "Error"), reply.get("evalue", "")
    cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls, message = StudentError, f"{name}: {message}"
    try:
        exc = cls(message)
    except Exception:  # noqa: BLE001 - builtins with unusual constructors
        exc = StudentError(f"{name}: {message}")
    exc.student_traceback = reply.get("traceback", "")
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


def run_test_cell(source, namespace, name):
    """Run a test cell here; nbformat outputs, an error output when it raised."""
    namespace.refresh()
    out, err = io.StringIO(), io.StringIO()
    outputs = []
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(compile(source, name, "exec"), namespace)
            error = None
        except (KernelTimeout, KernelDied):
            raise
        except Exception as exc:  # noqa: BLE001 - a failing test is a result
            error = exc
    for warning in caught:
        err.write(warnings.formatwarning(warning.message, warning.category, warning.filename, warning.lineno))
    outputs += _streams(out.getvalue(), err.getvalue())
    if error is not None:
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        lines = [line for line in lines if "autograder/execute.py" not in line]
        student = getattr(error, "student_traceback", "")
        if student:
            lines.insert(0, "Your code raised this:\n" + student + "\n")
        outputs.append({"output_type": "error", "ename": type(error).__name__, "evalue": str(error),
                        "traceback": "".join(lines).splitlines()})
    return outputs


def _streams(stdout, stderr):
    return ([{"output_type": "stream", "name": "stdout", "text": stdout}] if stdout else []) + \
           ([{"output_type": "stream", "name": "stderr", "text": stderr}] if stderr else [])


def kernel_outputs(reply):
    """nbformat outputs from the kernel's answer to a student cell."""
    outputs = _streams(reply.get("stdout", ""), reply.get("stderr", ""))
    if reply.get("error"):
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


def run_notebook(notebook, assignment, limits, uid=None):
    """Run every code cell of a restored notebook in order; fill in its outputs.

    ``test_ids`` are the grade_ids of test cells (run here); every other code cell runs in the
    kernel. A cell that runs out of time or kills the kernel fails with an error output saying so;
    the kernel is then restarted, the cells that had run are replayed, and grading goes on, so one
    endless loop costs only its own tests. Returns a list of incidents ``(kind, cell name, detail)``
    with kind ``"timeout"`` or ``"crashed"``, and the values of the names in ``read`` at the end
    (multiple-choice answers: short strings, else None).
    """
    test_ids, read = set(assignment.tests), list(assignment.multiple_choice.values())
    uid = sandbox.worker_uid() if uid is None else uid
    incidents, replay, broken = [], [], False
    session = Session(limits, uid)
    namespace = TestNamespace(session)
    run_setup(namespace, assignment.setup)
    try:
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            name = f"cell {index + 1}" + (f" ({grade_id})" if grade_id else "")
            if time.monotonic() >= session.notebook_deadline or broken:
                why = "the kernel could not be restarted" if broken else \
                    f"the notebook used up its {limits.notebook_seconds:g} s"
                cell.outputs = [_error_output("NotRun", f"not run: {why}")]
                continue
            try:
                if grade_id in test_ids:
                    cell.outputs = run_test_cell(cell.source, namespace, name)
                else:
                    cell.outputs = kernel_outputs(session.run_cell(cell.source, name))
                    replay.append((cell.source, name))
            except (KernelTimeout, KernelDied) as problem:
                if isinstance(problem, KernelTimeout):
                    limit, seconds = problem.args
                    detail = f"stopped after {seconds:g} s (the {limit} time limit)"
                    incidents.append(Incident(Status.TIMEOUT, name, detail))
                else:
                    detail = f"the kernel died: {problem}"
                    incidents.append(Incident(Status.CRASHED, name, detail))
                cell.outputs = [_error_output("Timeout" if isinstance(problem, KernelTimeout) else "KernelDied",
                                              detail)]
                if time.monotonic() >= session.notebook_deadline:
                    continue
                try:
                    session = _restart(session, limits, uid, replay)
                except (KernelTimeout, KernelDied):
                    broken = True
                namespace.session = session
        values = {name: _short_text(session, name) for name in read}
    finally:
        session.close()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.from_dict(output) for output in cell.outputs]
    return incidents, values


def _short_text(session, name):
    try:
        value = session.get(name)
    except (KeyError, KernelTimeout, KernelDied, TypeError, ValueError, NotGradable):
        return None
    return value if isinstance(value, str) and len(value) <= 20 else None


def _restart(old, limits, uid, replay):
    """A fresh kernel with the same notebook deadline, brought back to where the old one was."""
    session = Session(limits, uid)
    session.notebook_deadline = old.notebook_deadline
    for source, name in replay:
        session.run_cell(source, name)
    return session


def _error_output(ename, message):
    return {"output_type": "error", "ename": ename, "evalue": message, "traceback": [f"{ename}: {message}"]}
