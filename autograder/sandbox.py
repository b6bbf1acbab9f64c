"""Start the student's kernel (kernel.py) in a sandbox, and kill it when time is up.

Isolation, strongest first, chosen by what the operating system allows:

* **root**: new network, PID and mount namespaces (``unshare``); the kernel sees a fresh root
  filesystem holding only the system folders, the Python installation and this package, all
  read-only, plus an empty, size-capped working folder; it runs as an unprivileged user id of its
  own, with no new privileges.
* **not root, user namespaces allowed**: the same namespaces and filesystem view inside an
  unprivileged user namespace, without the change of user id.
* **neither**: a plain child process with resource limits only, and a warning.

In every mode: limits on memory (address space), processes, file size and open files; the
kernel's terminal output goes to a size-capped file; and a wall-clock deadline enforced by killing
the whole process tree (the kernel is PID 1 of its namespace, so its children die with it).
"""
import ctypes
import dataclasses
import importlib.util
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

# The course's code a jail may import: the autograder (its kernel and test-runner halves) and r2a, the
# lectures' package the tests use. Both hold only code public to students; solutions/ and the gradebook
# are elsewhere and never visible.
JAILED_PACKAGES = ("autograder", "r2a")
UNSHARE = shutil.which("unshare") or "/usr/bin/unshare"
JAIL_ROOT = "/tmp/.autograder-jail"
WORKDIR = "/home/student"  # the kernel's working folder inside the jail: an empty tmpfs


@dataclasses.dataclass(frozen=True)
class Limits:
    cell_seconds: float = 60.0       # one cell, or one call of a student's function
    notebook_seconds: float = 300.0  # everything one submission runs
    memory_bytes: int = 2 * 1024 ** 3
    processes: int = 32
    output_bytes: int = 1024 ** 2    # text kept per cell; more is cut off and noted
    file_bytes: int = 32 * 1024 ** 2 # largest file the kernel may write, and its working folder
    isolation: str = "root"          # the least isolation grading accepts ("root", "userns" or "none")
    # The course's deterministic environment (course.toml), as (name, value) pairs, for every kernel.
    environment: tuple = dataclasses.field(default_factory=lambda: _course_environment())


class SandboxWarning(UserWarning):
    pass


def kernel_uid():
    """A user id of its own for this worker's kernels (process limits count per user id)."""
    return 61000 + os.getpid() % 20000


def runner_uid():
    """Another one for this worker's test runner: kernels and tests never share a user id."""
    return 81000 + os.getpid() % 20000


@functools.lru_cache(maxsize=None)
def isolation_mode():
    """'root', 'userns' or 'none': the strongest isolation this machine allows."""
    if not sys.platform.startswith("linux") or not os.path.exists(UNSHARE):
        return "none"
    base = [UNSHARE, "--net", "--pid", "--mount", "--fork"]
    attempts = [("root", base)] if os.geteuid() == 0 else []
    attempts.append(("userns", [UNSHARE, "--user", "--map-root-user"] + base[1:]))
    for mode, command in attempts:
        probe = subprocess.run(command + ["true"], capture_output=True)
        if probe.returncode == 0:
            return mode
    return "none"


def warn_if_weak():
    """Say plainly what protection is missing on this machine (once per process)."""
    mode = isolation_mode()
    if mode == "userns":
        warnings.warn("sandbox: not root, so the notebook's code runs under your own user id (inside a user "
                      "namespace with no network and a private filesystem view)", SandboxWarning, stacklevel=2)
    elif mode == "none":
        warnings.warn("sandbox: this machine allows no namespaces; the notebook's code runs with YOUR "
                      "permissions and network access, limited only in time, memory and processes (fine for "
                      "your own work; `grade` refuses to grade a class like this).", SandboxWarning, stacklevel=2)


def _jail_fields():
    """The limits the jail itself enforces, passed on its command line (the environment is not one)."""
    return [f for f in dataclasses.fields(Limits) if f.name != "environment"]


def _course_environment():
    from coursetools.course import Course

    return tuple(Course.find().environment.items())


def package_dir(name) -> Path:
    """Where an importable package's code lives."""
    return Path(importlib.util.find_spec(name).origin).parent


def _python_path():
    return os.pathsep.join(sorted({str(package_dir(name).parent) for name in JAILED_PACKAGES}))


def _visible_paths():
    """What the kernel needs to see: system folders, Python, its packages, and JAILED_PACKAGES."""
    paths = {"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc",
             sys.prefix, sys.base_prefix, sys.exec_prefix, *(str(package_dir(n)) for n in JAILED_PACKAGES)}
    paths |= {p for p in sys.path if p and os.path.isdir(p) and "site-packages" in p}
    return sorted(p for p in paths if os.path.exists(p))


class SandboxUnavailable(RuntimeError):
    """The isolation grading needs cannot be had on this machine; grading is refused, never weakened."""


class Cgroup:
    """Memory and process limits for a jailed process *and all its children together*.

    cgroup v2 (``memory.max``, ``pids.max``) or v1 (``memory.limit_in_bytes``, ``pids.max``), where the
    machine has them and we may write them (root); otherwise ``Cgroup.create`` returns None and the
    per-process limits of ``_apply_limits`` are all that holds (``cgroup_support()`` says which).
    """

    V2 = Path("/sys/fs/cgroup")
    V1 = {"memory": Path("/sys/fs/cgroup/memory"), "pids": Path("/sys/fs/cgroup/pids")}
    _count = 0

    def __init__(self, folders):
        self.folders = folders

    @classmethod
    def create(cls, memory_bytes, processes):
        if cgroup_support() == "none":
            return None
        cls._count += 1
        name = f"autograder/{os.getpid()}-{cls._count}"
        try:
            if cgroup_support() == "v2":
                folder = cls.V2 / name
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "memory.max").write_text(str(memory_bytes))
                (folder / "memory.swap.max").exists() and (folder / "memory.swap.max").write_text("0")
                (folder / "pids.max").write_text(str(processes))
                return cls([folder])
            memory, pids = cls.V1["memory"] / name, cls.V1["pids"] / name
            memory.mkdir(parents=True, exist_ok=True)
            pids.mkdir(parents=True, exist_ok=True)
            (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            swap = memory / "memory.memsw.limit_in_bytes"
            if swap.exists():
                swap.write_text(str(memory_bytes))
            (pids / "pids.max").write_text(str(processes))
            return cls([memory, pids])
        except OSError as error:
            raise SandboxUnavailable(f"cannot set up a cgroup for the sandbox ({error})") from None

    def join(self):
        """Move the calling process into this cgroup (run in the child, before it execs)."""
        for folder in self.folders:
            with open(folder / "cgroup.procs", "w") as procs:
                procs.write(str(os.getpid()))

    def processes(self):
        found = set()
        for folder in self.folders:
            try:
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return found

    def hit_memory_limit(self):
        """Did the kernel's out-of-memory killer act in this cgroup?"""
        for folder in self.folders:
            for name in ("memory.failcnt", "memory.events"):
                try:
                    text = (folder / name).read_text()
                except OSError:
                    continue
                if name == "memory.failcnt" and text.strip() not in ("", "0"):
                    return True
                if name == "memory.events" and any(line.split()[:1] == ["oom_kill"] and line.split()[1] != "0"
                                                   for line in text.splitlines()):
                    return True
        return False

    def remove(self):
        """Kill whatever is left in the cgroup, then remove it."""
        for _ in range(100):
            left = self.processes()
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)
        for folder in self.folders:
            try:
                folder.rmdir()
            except OSError:
                pass


@functools.lru_cache(maxsize=None)
def cgroup_support():
    """'v2', 'v1' or 'none': how this machine can limit a kernel and its children together."""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return "none"
    controllers = Cgroup.V2 / "cgroup.controllers"
    if controllers.exists() and {"memory", "pids"} <= set(controllers.read_text().split()):
        try:
            control = Cgroup.V2 / "cgroup.subtree_control"
            enabled = set(control.read_text().split())
            if not {"memory", "pids"} <= enabled:
                control.write_text("+memory +pids")
            (Cgroup.V2 / "autograder").mkdir(exist_ok=True)
            (Cgroup.V2 / "autograder" / "cgroup.subtree_control").write_text("+memory +pids")
            return "v2"
        except OSError:
            return "none"
    if all((path / "cgroup.procs").exists() for path in Cgroup.V1.values()):
        try:
            for path in Cgroup.V1.values():
                (path / "autograder").mkdir(exist_ok=True)
            return "v1"
        except OSError:
            return "none"
    return "none"


def _child_setup(cgroup, limits):
    """In the child between fork and exec: die with the grader, join the cgroup, and (with no
    namespaces) take the resource limits."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the grader dies -> unshare dies -> the jail dies
    if cgroup is not None:
        cgroup.join()
    if limits is not None:
        _apply_limits(limits)


class Jailed:
    """One process started in the sandbox: ``python -m MODULE ARGS`` with ``fds`` passed on.

    ``writable`` gives it an empty, size-capped working folder and /tmp; without it the whole
    filesystem it sees is read-only (the test runner's jail).
    """

    def __init__(self, limits, uid, module, args, fds, writable=True, memory_bytes=None, env=None):
        self.limits, self.last_words = limits, ""
        self.log = tempfile.TemporaryFile()  # the process's own stdout/stderr (C-level output)
        command = [sys.executable, "-m", module, *map(str, args)]
        mode = isolation_mode()
        environment = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": WORKDIR, "MPLBACKEND": "Agg",
                       "MPLCONFIGDIR": "/tmp", **dict(limits.environment), "PYTHONDONTWRITEBYTECODE": "1",
                       "PYTHONPATH": _python_path(), **(env or {})}
        self.cgroup = Cgroup.create(memory_bytes or limits.memory_bytes, limits.processes)
        self.workdir = None
        if mode == "none":
            self.workdir = tempfile.mkdtemp(prefix="autograder-")
            environment.update(HOME=self.workdir, MPLCONFIGDIR=self.workdir)
            rlimits = limits
        else:
            os.makedirs(JAIL_ROOT, exist_ok=True)
            userns = ["--user", "--map-root-user"] if mode == "userns" else []
            jail = [sys.executable, "-m", "autograder.sandbox", "--uid", str(uid if mode == "root" else -1),
                    "--limits", ",".join(str(getattr(limits, f.name)) for f in _jail_fields()),
                    "--visible", os.pathsep.join(_visible_paths()), "--writable", str(int(writable)), "--"]
            command = [UNSHARE, *userns, "--net", "--pid", "--mount", "--fork", "--kill-child=SIGKILL",
                       *jail, *command]
            rlimits = None
        self.process = subprocess.Popen(command, pass_fds=fds, env=environment, cwd=self.workdir or "/",
                                        stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                        start_new_session=True,
                                        preexec_fn=functools.partial(_child_setup, self.cgroup, rlimits))

    def alive(self):
        return self.process.poll() is None

    def kill(self):
        """Stop the process and everything it started, whatever it is doing."""
        if self.process.poll() is None:
            # Kill PID 1 of the namespace first (everything it started dies with it), so that
            # `unshare`, its parent, reaps it; killing `unshare` first would leave a zombie.
            for child in _children(self.process.pid):
                try:
                    os.kill(child, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        if self.cgroup is not None:
            self.cgroup.remove()
        if not self.log.closed:  # a second kill keeps what the first one read
            self.last_words = read_last_words(self.log)
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def exit_description(self):
        """Why the process died, for a person: signal name or exit code, and its last words."""
        return describe_exit(self.process.poll(), getattr(self, "last_words", ""), self.cgroup)


def read_last_words(log):
    """The end of what a sandboxed process wrote to its log file, which is then closed ("" once closed)."""
    if log.closed:
        return ""
    log.seek(0)
    words = log.read()[-600:].decode("utf-8", "replace").strip()
    log.close()
    return words


def describe_exit(code, last_words, cgroup):
    """How a sandboxed process ended (its return code: negative for a signal), for a person."""
    if code is None:
        return "still running"
    tail = _printable(last_words)
    how = (f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}")
    if code == -signal.SIGXFSZ:
        how += " (a file grew past the size limit)"
    if code == -signal.SIGKILL and cgroup is not None and cgroup.hit_memory_limit():
        how += " (it used more than its memory limit)"
    return how + (f"; its last output: {tail}" if tail else "")


def _printable(text):
    """``text`` without terminal control characters (it is shown to instructors)."""
    return "".join(c if c in "\n\t" or (c.isprintable()) else "?" for c in text)


def probe(limits=None):
    """Start one kernel as grading starts them and run one cell in it; SandboxUnavailable with the
    reason when that fails.

    A kernel that cannot run (its user id cannot read this Python installation, say) must stop the
    grading with a clear message: grading without the sandbox is never the fallback. The kernel is
    forked from a template that imported its modules as root, so the cell reads the installation
    and the course's code as the kernel's user id, as a student's ``import`` would.
    """
    from autograder import wire
    from autograder.kernel_template import KernelTemplate

    limits = limits or Limits(cell_seconds=30)
    readable = sorted({os.path.dirname(os.__file__), *_python_path().split(os.pathsep)})
    cell = f"import os\nfor folder in {readable!r}:\n    os.listdir(folder)\n"
    template, kernel = KernelTemplate(limits, preload=()), None
    try:
        kernel = template.start(limits, kernel_uid())
        for request, answer in (None, "ready"), ({"op": "run", "source": cell, "name": "probe"}, "done"):
            if request:
                wire.send(kernel.write_fd, request)
            reply = wire.receive(kernel.read_fd, 1 << 20, time.monotonic() + 30)
            if reply.get("op") != answer:
                raise wire.WireError(f"unexpected reply {reply.get('op')!r}")
        if reply.get("error"):
            raise PermissionError(f"{reply['error'].get('ename')}: {reply['error'].get('evalue')}")
    except (OSError, EOFError, TimeoutError, ValueError) as error:
        if kernel is not None:
            kernel.kill()
        description = kernel.exit_description() if kernel is not None else "not started"
        template.close()
        raise SandboxUnavailable(
            f"the sandbox kernel does not start ({description}; {error}). Its user id must be able "
            f"to read the Python installation ({sys.prefix}) and the course's code ({_python_path()}): check their "
            "permissions (a clone made with umask 077 cannot be read by others)") from None
    kernel.kill()
    template.close()


def _apply_limits(limits):
    """Resource limits for the kernel process (called in the child before it runs Python)."""
    for name, value in [("RLIMIT_AS", limits.memory_bytes), ("RLIMIT_NPROC", limits.processes),
                        ("RLIMIT_FSIZE", limits.file_bytes), ("RLIMIT_CORE", 0), ("RLIMIT_NOFILE", 256)]:
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
        except (ValueError, OSError, AttributeError):
            pass  # a limit this system does not support (e.g. RLIMIT_AS on macOS); the others still hold


# ---- the jail: runs as root inside the new namespaces, builds the filesystem view, drops privileges

_libc = ctypes.CDLL(None, use_errno=True)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18)
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38


def _mount(source, target, fstype, flags, data=None):
    if _libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(), flags,
                   data and data.encode()) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {source} on {target}: {os.strerror(errno)}")


def _bind_read_only(path, root):
    target = root + path
    if os.path.islink(path):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.lexists(target):
            os.symlink(os.readlink(path), target)
        return
    if os.path.isdir(path):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(path, target, None, MS_BIND | MS_REC)
    _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_REC)


def jail(uid, limits, visible, command, writable=True):
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here shows outside
    root = JAIL_ROOT  # every jail mounts its own tmpfs here, each in its own mount namespace
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    for path in (WORKDIR, "/tmp") if writable else ():  # first: a visible path may lie under /tmp
        os.makedirs(root + path, exist_ok=True)
        _mount("tmpfs", root + path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={limits.file_bytes},mode=1777")
    for path in visible:
        _bind_read_only(path, root)
    os.makedirs(root + "/proc")
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.makedirs(root + "/dev")
    _mount("tmpfs", root + "/dev", "tmpfs", MS_NOSUID, "size=64k,mode=755")
    for device in ("null", "zero", "full", "random", "urandom"):
        open(f"{root}/dev/{device}", "a").close()
        _mount(f"/dev/{device}", f"{root}/dev/{device}", None, MS_BIND)
    _mount(None, root, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chroot(root)
    os.chdir(WORKDIR if writable else "/")
    _apply_limits(limits)
    if uid >= 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # a change of user id clears it: set it again
    os.execv(command[0], command)


def _main(argv):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m autograder.sandbox", description="internal: the jail")
    parser.add_argument("--uid", type=int, required=True)
    parser.add_argument("--limits", required=True)
    parser.add_argument("--visible", required=True)
    parser.add_argument("--writable", type=int, default=1)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    values = args.limits.split(",")
    limits = Limits(**{f.name: type(f.default)(v) for f, v in zip(_jail_fields(), values, strict=True)},
                    environment=())
    jail(args.uid, limits, args.visible.split(os.pathsep), args.command[1:] if args.command[:1] == ["--"]
         else args.command, writable=bool(args.writable))


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


if __name__ == "__main__":
    _main(sys.argv[1:])
