"""The test runner's jail: hidden tests run here, never in the grader's process.

The grader (a worker process, root) holds the gradebook, ``solutions/`` and every submission, so
nothing a student sends may run in it. Each worker therefore starts one *template* process in a
jail of its own (new network, PID and mount namespaces; a read-only view of Python and this
package, and only a small private /tmp, which matplotlib insists on and which is emptied after
every submission; its own unprivileged user id, not the kernels'; no new
privileges; not dumpable, so it cannot be traced; memory and processes limited together by a
cgroup). The template imports numpy and torch once, then, for each submission, forks a fresh
child that grades that one notebook and exits: no state is ever carried from one student to the
next, and the template, PID 1 of its namespace, kills every process left over before it forks
the next one.

The child runs the student's cells in a sandboxed kernel and the test cells itself (execute.py).
It cannot start kernels (only root can), so it asks the grader over its control socket; the grader
starts one (forked from the worker's kernel template, kernel_template.py) and passes it the two
ends of the kernel's channel. What comes back to the grader is a
*verdict*: outputs per cell, incidents and multiple-choice letters, read with a size limit and a
strict parser (``parse_verdict``). A test runner taken over by student code can therefore lie about
that student's own verdicts, within those limits, and nothing else.

Protocol on the child's socket (wire.py framing; ``K`` is one byte sent with two descriptors):

    grader -> child   {"op": "grade", "plan": ..., "limits": ...}
    child -> grader   {"op": "kernel"}                 grader -> child  K + (read_fd, write_fd)
    child -> grader   {"op": "kill"}                   grader -> child  {"op": "killed", "description": ...}
    child -> grader   {"op": "verdict", "outputs": ..., "incidents": ..., "values": ..., "timings": ...}
"""
import atexit
import ctypes
import dataclasses
import gc
import os
import shutil
import signal
import socket
import sys
import threading
import time

from autograder import kernel_template, sandbox, timing, wire
from autograder.model import Status
from autograder.sandbox import Jailed, Limits, SandboxUnavailable

#: The template and its child together: numpy, torch and the tests' own arrays.
RUNNER_MEMORY_BYTES = 6 * 1024 ** 3
RUNNER_PROCESSES = 64          # threads count too (torch and BLAS start a few)
START_SECONDS = 120.0          # importing torch on a loaded machine
SLACK_SECONDS = 30.0           # past the notebook's own limit before the runner counts as stuck
MAX_VERDICT_BYTES = 16 * 1024 ** 2
MAX_VERDICT_CONTAINERS = 200_000
MAX_TOTAL_OUTPUT = 4 * 1024 ** 2  # all cells' output text of one notebook, kept in the verdict
PR_SET_DUMPABLE = 4


class RunnerError(RuntimeError):
    """The test runner failed or broke the protocol; the submission gets the ``error`` status."""


# ---- the grader's side --------------------------------------------------------------------------

class TestJail:
    """One worker's template process, and grading a notebook by forking a child of it."""

    def __init__(self, limits):
        self.limits = dataclasses.replace(limits, memory_bytes=RUNNER_MEMORY_BYTES, processes=RUNNER_PROCESSES)
        self.control, theirs = socket.socketpair()
        try:
            self.process = Jailed(self.limits, sandbox.runner_uid(), "autograder.runner", [theirs.fileno()],
                                  (theirs.fileno(),))
        finally:
            theirs.close()
        self.ready = False

    def wait_until_ready(self):
        """The template has imported what the tests need (it starts in the background until then)."""
        if self.ready:
            return
        try:
            ready = wire.receive(self.control.fileno(), 1 << 16, time.monotonic() + START_SECONDS)
        except (EOFError, OSError, TimeoutError, wire.WireError) as error:
            self.close()
            raise SandboxUnavailable(f"the test runner does not start ({self.process.exit_description()}; "
                                     f"{error})") from None
        if ready != {"op": "ready"}:
            self.close()
            raise SandboxUnavailable("the test runner started but did not say it was ready")
        self.ready = True

    def alive(self):
        return self.process.alive()

    def close(self):
        self.control.close()
        self.process.kill()

    def grade(self, plan, limits, kernel_uid, kernels):
        """The verdict on one plan (execute.plan_of), checked by ``parse_verdict``; its kernels are
        forked from ``kernels`` (a kernel_template.KernelTemplate)."""
        ours, theirs = socket.socketpair()
        started = []
        try:
            socket.send_fds(self.control, [b"F"], [theirs.fileno()])
            theirs.close()
            deadline = time.monotonic() + limits.notebook_seconds + SLACK_SECONDS
            wire.send(ours.fileno(), {"op": "grade", "plan": plan, "limits": dataclasses.asdict(limits)}, deadline)
            while True:
                message = wire.receive(ours.fileno(), MAX_VERDICT_BYTES, deadline, max_containers=MAX_VERDICT_CONTAINERS)
                op = message.get("op") if isinstance(message, dict) else None
                if op == "kernel":
                    if len(started) > len(plan["cells"]) + 2:
                        raise RunnerError("the test runner asked for more kernels than the notebook has cells")
                    if started:
                        started[-1].kill()
                    try:
                        kernel = kernels.start(limits, kernel_uid)
                    except (OSError, SandboxUnavailable) as error:
                        raise RunnerError(f"no sandboxed kernel could be started ({error})") from None
                    started.append(kernel)
                    socket.send_fds(ours, [b"K"], [kernel.read_fd, kernel.write_fd])
                    kernel.close_channel()  # the runner holds the channel now; we keep the process
                elif op == "kill":
                    description = "not started"
                    if started:
                        started[-1].kill()
                        description = started[-1].exit_description()
                    wire.send(ours.fileno(), {"op": "killed", "description": description}, deadline)
                elif op == "verdict":
                    return parse_verdict(message, plan, limits)
                else:
                    raise RunnerError(f"the test runner sent an unexpected message ({str(op)[:40]!r})")
        except TimeoutError:
            self.close()  # a runner past its deadline is stuck: the next submission gets a new one
            raise RunnerError(f"the tests did not finish within the notebook's time limit "
                              f"({limits.notebook_seconds:g} s) and were stopped") from None
        except (EOFError, OSError, wire.WireError) as error:
            self.close()
            raise RunnerError(f"the test runner stopped while grading ({error})") from None
        finally:
            for kernel in started:
                kernel.kill()
            ours.close()
            self._wait_for_child()

    def _wait_for_child(self):
        """The template reports when the child is gone and its leftovers killed."""
        if self.control.fileno() < 0:
            return
        try:
            reply = wire.receive(self.control.fileno(), 1 << 16, time.monotonic() + 10)
            if not (isinstance(reply, dict) and reply.get("op") == "exited"):
                raise wire.WireError("unexpected message from the template")
        except (EOFError, OSError, TimeoutError, wire.WireError):
            self.close()


_jail, _lock = None, threading.Lock()


@atexit.register
def _close_jail():
    if _jail is not None:
        _jail.close()


def run_notebook(notebook, assignment, limits, uid=None, timings=None):
    """Grade a restored notebook in this worker's test jail: fills in its outputs and returns
    (incidents, multiple-choice values), like execute.fill_in. The runner's ``timings`` are added to
    ``timings``, and what is left of the time taken, as the step ``runner``."""
    from autograder import execute

    global _jail
    require_isolation(limits)
    started = time.perf_counter()
    plan = execute.plan_of(notebook, assignment)
    with _lock:
        # The kernels' template first: it starts while the test runner's does.
        starting = time.perf_counter()
        kernels = kernel_template.template_for(limits, kernel_template.modules_to_preload(assignment.setup))
        if _jail is None or not _jail.alive():
            _jail = TestJail(limits)
        _jail.wait_until_ready()
        kernels.wait_until_ready()
        worker_start = time.perf_counter() - starting
        verdict = _jail.grade(plan, limits, sandbox.kernel_uid() if uid is None else uid, kernels)
    incidents = execute.fill_in(notebook, verdict)
    if timings is not None:
        for step, seconds in verdict["timings"].items():
            timings.add(step, seconds)
        timings.add("worker start", worker_start)
        timings.add("runner", max(0.0, time.perf_counter() - started - worker_start - sum(verdict["timings"].values())))
    return incidents, verdict["values"]


def start_early(limits=None, preload=None):
    """Start this process's test runner now, and with ``preload`` its kernel template, to be ready
    when the first notebook is: their imports (2 s of torch) overlap the grader's own (``check``)
    or the worker's (``grade``)."""
    global _jail
    limits = limits or Limits()
    with _lock:
        if preload is not None:
            kernel_template.template_for(limits, preload)
        if _jail is None:
            _jail = TestJail(limits)


def require_isolation(limits):
    """SandboxUnavailable unless this machine gives at least the isolation ``limits`` ask for."""
    order = ["none", "userns", "root"]
    have = sandbox.isolation_mode()
    if order.index(have) < order.index(limits.isolation):
        raise SandboxUnavailable(
            f"grading needs the {limits.isolation} sandbox, and this machine allows only {have!r}: run the "
            "grader as root on Linux (a VM, a container with the right capabilities, a grading server)")


# ---- the verdict: everything the grader accepts from a test runner ------------------------------

def parse_verdict(message, plan, limits):
    """The verdict with every field checked: types, counts and sizes. RunnerError otherwise."""
    def fail(why):
        raise RunnerError(f"the test runner sent a malformed verdict ({why})")

    if set(message) != {"op", "outputs", "incidents", "values", "timings"}:
        fail("wrong fields")
    outputs, incidents, values = message["outputs"], message["incidents"], message["values"]
    if not isinstance(outputs, list) or len(outputs) != len(plan["cells"]):
        fail("one list of outputs per code cell expected")
    text_limit = limits.output_bytes + 200
    for cell in outputs:
        if not isinstance(cell, list) or len(cell) > 3:
            fail("at most three outputs per cell")
        for output in cell:
            if not isinstance(output, dict):
                fail("an output that is not an object")
            if output.get("output_type") == "stream":
                if set(output) != {"output_type", "name", "text"} or output["name"] not in ("stdout", "stderr") \
                        or not _short_string(output["text"], text_limit):
                    fail("a malformed stream output")
            elif output.get("output_type") == "error":
                trace = output.get("traceback")
                if set(output) != {"output_type", "ename", "evalue", "traceback"} \
                        or not _short_string(output["ename"], 200) or not _short_string(output["evalue"], 2100) \
                        or not isinstance(trace, list) or len(trace) > 5000 \
                        or not all(_short_string(line, 25000) for line in trace) or sum(map(len, trace)) > 25000:
                    fail("a malformed error output")
            else:
                fail("an output of an unknown type")
    if not isinstance(incidents, list) or len(incidents) > len(plan["cells"]):
        fail("too many incidents")
    for incident in incidents:
        if not (isinstance(incident, list) and len(incident) == 3 and incident[0] in (Status.TIMEOUT, Status.CRASHED)
                and _short_string(incident[1], 300) and _short_string(incident[2], 3000)):
            fail("a malformed incident")
    if not isinstance(values, dict) or not set(values) <= set(plan["read"]) \
            or not all(v is None or _short_string(v, 20) for v in values.values()):
        fail("malformed answers")
    return {"outputs": outputs, "incidents": incidents, "values": values, "timings": timing.checked(message["timings"])}


def _short_string(value, limit):
    return isinstance(value, str) and len(value) <= limit


# ---- inside the jail ----------------------------------------------------------------------------

class JailHost:
    """The child's way to a kernel: ask the grader, receive the channel's descriptors."""

    def __init__(self, channel):
        self.channel = channel

    def start(self):
        wire.send(self.channel.fileno(), {"op": "kernel"})
        _, fds, _, _ = socket.recv_fds(self.channel, 1, 2)
        if len(fds) != 2:
            raise RuntimeError("the grader did not send a kernel's channel")
        return fds[0], fds[1]

    def kill(self):
        wire.send(self.channel.fileno(), {"op": "kill"})
        reply = wire.receive(self.channel.fileno(), 1 << 20)
        return str(reply.get("description", ""))[:1000] if isinstance(reply, dict) else ""


def _child(fd):
    """Grade one notebook, send the verdict, exit."""
    from autograder import execute

    channel = socket.socket(fileno=fd)
    request = wire.receive(fd, 256 * 1024 ** 2)
    limits = Limits(**request["limits"])
    execute.refuse_vacuous_comparisons()
    verdict = execute.run_plan(request["plan"], limits, JailHost(channel))
    _trim(verdict["outputs"])
    wire.send(fd, {"op": "verdict", **verdict})


def _trim(outputs):
    """Keep at most MAX_TOTAL_OUTPUT characters of output text over the whole notebook."""
    room = MAX_TOTAL_OUTPUT
    for cell in outputs:
        for output in cell:
            if output["output_type"] == "stream":
                text = output["text"]
                if len(text) > room:
                    output["text"] = text[:max(room, 0)] + "\n[output truncated: the notebook printed too much]\n"
                room -= len(text)


def _template(fd):
    """PID 1 of the jail: import once, then fork one child per submission and clean up after it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # children inherit it: none can trace another
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # PID 1 gets only the signals it handles: none
    sys.path[:] = [p for p in sys.path if p and os.path.isabs(p) and p != os.getcwd()]
    import matplotlib
    import numpy  # noqa: F401
    import torch

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401

    torch.set_num_threads(1)
    from autograder import execute  # noqa: F401 - and everything the child needs, imported once

    # What is imported now is shared with every child; frozen, the collector never walks it
    # there, so a child does not copy those pages by touching them.
    gc.collect()
    gc.freeze()
    control = socket.socket(fileno=fd)
    wire.send(fd, {"op": "ready"})
    while True:
        try:
            _, fds, _, _ = socket.recv_fds(control, 1, 1)
        except OSError:
            return
        if not fds:
            return  # the grader closed the channel
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                control.close()
                _child(fds[0])
            except BaseException:  # noqa: BLE001 - the grader sees the channel close and reports it
                code = 1
            os._exit(code)
        os.close(fds[0])
        os.waitpid(pid, 0)
        _kill_leftovers()
        _empty_writable_folders()
        wire.send(fd, {"op": "exited"})


def _kill_leftovers():
    """Kill every other process in this PID namespace (anything the child left behind) and reap it.

    Only as PID 1 of a namespace of its own: without namespaces (``check`` on a machine that
    allows none), kill(-1) would reach every process of the user."""
    if os.getpid() != 1:
        return
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    while True:
        try:
            if os.waitpid(-1, 0)[0] == 0:
                break
        except ChildProcessError:
            break


def _empty_writable_folders():
    """Nothing a child wrote is there for the next one (matplotlib's cache is already loaded).
    Only inside the jail, where /tmp is the jail's own."""
    if os.getpid() != 1:
        return
    for folder in ("/tmp", sandbox.WORKDIR):
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            path = os.path.join(folder, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass


if __name__ == "__main__":
    _template(int(sys.argv[1]))
