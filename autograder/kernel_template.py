"""Sandboxed kernels forked from a template that has already imported what they need.

Starting a kernel from nothing (sandbox.Jailed: ``unshare``, a jail, two Python interpreters, numpy,
and matplotlib where the assignment plots) costs 0.2 to 1 s, more than grading the notebook. So
each worker starts one *template* in a jail of its own, as for any kernel, which imports numpy and
the modules the assignment's own setup cells import (instructor code, never a student's), and
then forks one kernel per request. Each kernel is made afresh between the fork and the first line
of student code, with everything a kernel started from nothing has:

* new mount, PID, network and IPC namespaces of its own (not the template's): it is PID 1 of its
  own namespace, sees only its own processes in a /proc of its own, and has no network;
* an empty, size-capped working folder and /tmp, mounted for it alone, on the template's read-only
  view of the system folders, Python and the course's public packages;
* its own cgroup (memory and processes of the kernel and its children together), joined before
  the namespaces are made; resource limits; no new privileges;
* the kernel user id, taken last: the template is root (it must make namespaces), the kernel is not;
* no descriptor of the template's but its own channel and log, numpy's global random state
  reseeded (a fork would otherwise hand every kernel the same one), and an empty namespace.

The template never runs student code and never hears from a kernel: it takes requests from its
worker only, on its control socket, and no state passes from one kernel to the next (each is a
fresh fork of the untouched template). Protocol (wire.py framing; ``F`` is one byte with descriptors):

    worker -> template  {"op": "fork", "uid": ..., "limits": [...], "cgroups": n} then F + (to_kernel,
                        from_kernel, log, n cgroup.procs files)
    template -> worker  {"op": "forked"}  or  {"op": "failed", "why": ...}
    worker -> template  {"op": "kill"}    template -> worker  {"op": "exited", "code": ...}
"""
import ast
import atexit
import ctypes
import gc
import importlib
import os
import signal
import socket
import sys
import tempfile
import time

from autograder import sandbox, wire
from autograder.sandbox import Cgroup, Jailed, Limits, SandboxUnavailable

START_SECONDS = 120.0  # importing matplotlib on a loaded machine
REPLY_SECONDS = 30.0   # a fork, or killing a kernel and reaping it
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x08000000, 0x20000000, 0x40000000
PR_SET_DUMPABLE = 4
ALWAYS_LOADED = ("numpy",)  # the kernel's own need (wire.py)


def modules_to_preload(setup_sources):
    """The top-level modules the assignment's setup cells import (``import numpy as np`` -> numpy,
    ``import matplotlib.pyplot as plt`` -> matplotlib.pyplot), plus what every kernel needs."""
    names = list(ALWAYS_LOADED)
    for source in setup_sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)
    return tuple(dict.fromkeys(names))


# ---- the worker's side ----------------------------------------------------------------------------

class KernelTemplate:
    """One worker's template; ``start`` gives a fresh kernel forked from it."""

    def __init__(self, limits, preload=ALWAYS_LOADED):
        self.limits, self.preload, self.ready = limits, tuple(preload), False
        self.control, theirs = socket.socketpair()
        try:
            # uid -1: the template stays root inside its jail, as it must to make each kernel's
            # namespaces; every kernel drops to its own user id before it runs a line of student code.
            self.process = Jailed(limits, -1, "autograder.kernel_template", [theirs.fileno(), ",".join(self.preload)],
                                  (theirs.fileno(),))
        finally:
            theirs.close()

    def alive(self):
        return self.process.alive() and self.control.fileno() >= 0

    def close(self):
        self.control.close()
        self.process.kill()

    def wait_until_ready(self):
        if self.ready:
            return
        try:
            ready = wire.receive(self.control.fileno(), 1 << 10, time.monotonic() + START_SECONDS)
        except (EOFError, OSError, TimeoutError, wire.WireError) as error:
            self.close()
            raise SandboxUnavailable(f"the sandbox kernel does not start ({self.process.exit_description()}; "
                                     f"{error})") from None
        if ready != {"op": "ready"}:
            self.close()
            raise SandboxUnavailable("the sandbox kernel's template started but did not say it was ready")
        self.ready = True

    def ask(self, message, fds=()):
        """Send a request (with descriptors) and return the template's reply."""
        self.wait_until_ready()
        deadline = time.monotonic() + REPLY_SECONDS
        try:
            wire.send(self.control.fileno(), message, deadline)
            if fds:
                socket.send_fds(self.control, [b"F"], list(fds))
            reply = wire.receive(self.control.fileno(), 1 << 16, deadline)
        except (EOFError, OSError, TimeoutError, wire.WireError) as error:
            self.close()  # a template that stops answering is replaced by the next kernel's start
            raise OSError(f"the sandbox kernel's template stopped answering ({error})") from None
        if not isinstance(reply, dict):
            self.close()
            raise OSError("the sandbox kernel's template sent a malformed reply")
        return reply

    def start(self, limits, uid):
        return ForkedKernel(self, limits, uid)


class ForkedKernel:
    """A kernel forked from a template: what sandbox.Jailed offers a kernel's user (its channel,
    ``kill``, ``exit_description``), with the template doing the forking and the reaping."""

    def __init__(self, template, limits, uid):
        self.template, self.code, self.last_words = template, None, ""
        self.log = tempfile.TemporaryFile()
        self.cgroup = Cgroup.create(limits.memory_bytes, limits.processes)
        to_kernel_r, self.write_fd = os.pipe()
        self.read_fd, from_kernel_w = os.pipe()
        procs = [os.open(folder / "cgroup.procs", os.O_WRONLY) for folder in self.cgroup.folders] if self.cgroup else []
        try:
            reply = template.ask({"op": "fork", "uid": uid if sandbox.isolation_mode() == "root" else -1,
                                  "mode": sandbox.isolation_mode(), "cgroups": len(procs),
                                  "limits": [getattr(limits, f.name) for f in sandbox._jail_fields()]},
                                 [to_kernel_r, from_kernel_w, self.log.fileno(), *procs])
        except OSError:
            self._discard()
            raise
        finally:
            for fd in (to_kernel_r, from_kernel_w, *procs):
                os.close(fd)
        if reply.get("op") != "forked":
            self._discard()
            raise OSError(f"the sandbox kernel could not be started: {str(reply.get('why'))[:300]}")

    def _discard(self):
        self.close_channel()
        self.log.close()
        if self.cgroup is not None:
            self.cgroup.remove()

    def kill(self):
        """Stop the kernel and everything it started, whatever it is doing; learn how it ended."""
        if self.code is None:
            try:
                reply = self.template.ask({"op": "kill"})
                self.code = reply.get("code") if type(reply.get("code")) is int else -signal.SIGKILL
            except OSError:
                self.code = -signal.SIGKILL  # the template is gone, and its kernels with it (its namespace)
            if self.cgroup is not None:
                self.cgroup.remove()
            self.last_words = sandbox.read_last_words(self.log)
        self.close_channel()

    def exit_description(self):
        return sandbox.describe_exit(self.code, self.last_words, self.cgroup)

    def close_channel(self):
        for fd in (self.read_fd, self.write_fd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.read_fd = self.write_fd = None  # never close a number the process has since reused


_templates = {}


def template_for(limits, preload=ALWAYS_LOADED):
    """This process's template for kernels with these limits and modules (started when first needed)."""
    key = (limits.memory_bytes, limits.processes, limits.file_bytes, limits.environment, tuple(preload))
    template = _templates.get(key)
    if template is None or not template.alive():
        for old in _templates.values():
            old.close()  # one template per worker: a new assignment or new limits replace it
        _templates.clear()
        template = _templates[key] = KernelTemplate(limits, preload)
    return template


@atexit.register
def close_templates():
    for template in _templates.values():
        template.close()
    _templates.clear()


# ---- inside the template's jail -------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


def _template(fd, preload):
    """Import once, then fork a kernel per request, kill and reap it when told."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.path[:] = [p for p in sys.path if p and os.path.isabs(p) and p != os.getcwd()]
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a module that does not import is the student's cell's error, later
            pass
    from autograder import kernel  # noqa: F401 - and what it imports

    gc.collect()
    gc.freeze()  # shared with every kernel: the collector never touches those pages in one
    control = socket.socket(fileno=fd)
    wire.send(fd, {"op": "ready"})
    current = None
    while True:
        try:
            request = wire.receive(fd, 1 << 16)
        except (EOFError, OSError, wire.WireError):
            return  # the worker has gone
        if request.get("op") == "fork":
            _, fds, _, _ = socket.recv_fds(control, 1, 3 + int(request["cgroups"]))
            if current is not None:  # the worker kills each kernel before the next; if not, it is done here
                _kill(current)
                current = None
            try:
                current = _fork(request, fds)
                wire.send(fd, {"op": "forked"})
            except OSError as error:
                wire.send(fd, {"op": "failed", "why": str(error)})
            finally:
                for each in fds:
                    os.close(each)
        elif request.get("op") == "kill":
            code = _kill(current) if current is not None else -signal.SIGKILL
            current = None
            wire.send(fd, {"op": "exited", "code": code})


def _kill(pid):
    """Kill a kernel (and so its namespace) and reap it: how it ended, as a return code."""
    try:
        os.kill(pid, signal.SIGKILL)  # a kernel that already ended is a zombie: no effect on how it ended
    except ProcessLookupError:
        pass
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _fork(request, fds):
    """Fork the kernel; its process id here, as the template's child (in a namespace of its own,
    the kernel is the grandchild, passed to the template, PID 1 of its namespace, when the child ends)."""
    report_r, report_w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(report_r)
        _become_kernel(request, fds, report_w)  # never returns
    os.close(report_w)
    with os.fdopen(report_r, "rb") as report:
        said = report.read().decode()  # to the end: every process holding report_w has closed it
    if request["mode"] != "none":
        os.waitpid(child, 0)
    if not said.isdigit():
        if request["mode"] == "none":
            os.waitpid(child, 0)
        raise OSError(said or "the kernel's process ended before it started")
    return int(said)


def _become_kernel(request, fds, report_w):
    """In the forked child: join the kernel's cgroup, make its namespaces and fork the kernel into
    them, report its process id and end. In the kernel: set it up and serve; it never returns."""
    to_kernel, from_kernel, log, *procs = fds
    try:
        _close_all_but({to_kernel, from_kernel, log, report_w, *procs})
        for cgroup_procs in procs:
            os.write(cgroup_procs, b"0")  # "0" moves the writer, and so everything it forks
            os.close(cgroup_procs)
        if request["mode"] == "none":
            os.write(report_w, str(os.getpid()).encode())  # no namespaces: this child is the kernel
        else:
            if _libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC) != 0:
                raise OSError(ctypes.get_errno(), f"unshare: {os.strerror(ctypes.get_errno())}")
            kernel = os.fork()
            if kernel:
                os.write(report_w, str(kernel).encode())
                os._exit(0)
    except BaseException as error:  # noqa: BLE001 - told to the template, which tells the worker
        os.write(report_w, f"{type(error).__name__}: {error}".encode()[:1000])
        os._exit(1)
    os.close(report_w)
    code = 1
    try:
        _set_up(request, log)
        from autograder.kernel import Kernel

        Kernel(to_kernel, from_kernel, int(request["limits"][_field_index("output_bytes")])).serve()
        code = 0
    except BaseException:  # noqa: BLE001 - the log has the traceback; the worker sees the channel close
        import traceback

        traceback.print_exc()
    os._exit(code)


def _field_index(name):
    return [f.name for f in sandbox._jail_fields()].index(name)


def _set_up(request, log):
    """The kernel's own filesystem, limits and user, then a fresh start for what a fork shares."""
    mode, fields = request["mode"], sandbox._jail_fields()
    limits = Limits(**{f.name: type(f.default)(v) for f, v in zip(fields, request["limits"], strict=True)},
                    environment=())
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    if mode != "none":
        for path in (sandbox.WORKDIR, "/tmp"):
            sandbox._mount("tmpfs", path, "tmpfs", sandbox.MS_NOSUID | sandbox.MS_NODEV,
                           f"size={limits.file_bytes},mode=1777")
        sandbox._mount("proc", "/proc", "proc", sandbox.MS_NOSUID | sandbox.MS_NODEV | sandbox.MS_NOEXEC)
        os.chdir(sandbox.WORKDIR)
    sandbox._apply_limits(limits)
    uid = int(request["uid"])
    if uid >= 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    _libc.prctl(sandbox.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    # A change of user id makes a process undumpable, so its /proc/self would belong to root; a
    # kernel started with exec is dumpable (only its own user id, alone in its namespace, may trace it).
    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()  # from the operating system's entropy, as a fresh import seeds it


def _close_all_but(keep):
    """Close every descriptor but ``keep`` (and 0-2): nothing of the template's reaches a kernel."""
    for entry in os.listdir("/proc/self/fd"):
        fd = int(entry)
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


if __name__ == "__main__":
    _template(int(sys.argv[1]), [name for name in sys.argv[2].split(",") if name])
