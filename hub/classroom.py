"""A classroom on one machine: its users, their folders, and setting them up for nbgrader.

nbgrader takes a student's id from the operating-system user (``JUPYTERHUB_USER`` only for the
container user ``jovyan``), so every person here is a real local user, as in nbgrader's own demos.
The setup creates them only when told to, records each one it creates, and ``clean`` removes
exactly those users and the classroom's folder, nothing else.

Layout of the classroom's folder (``build/hub`` by default)::

    hub.json                   the settings jupyterhub_config.py reads (mode 600: it holds the password)
    created-users.txt          the local users this setup created, one per line
    changed-modes.json         folders it let every user pass through (to reach the Python), and their old modes
    exchange/                  nbgrader's exchange, writable by everyone as nbgrader requires
    home/<user>/               each person's home: the folder JupyterLab opens
    home/<instructor>/recurrence-to-attention/   the instructor's copy of this course, nbgrader's course root
    state/                     the hub's own database, cookie secret and pid file
"""
import dataclasses
import grp
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from coursetools.course import Course

COURSE_FOLDER = "recurrence-to-attention"  # in the instructor's home
SETTINGS = "hub.json"
CREATED_USERS = "created-users.txt"
CHANGED_MODES = "changed-modes.json"
VENV_BIN = Path(sys.executable).parent
REPOSITORY = Course.find(Path(__file__).parent).root
PROXY = REPOSITORY / "node_modules" / ".bin" / "configurable-http-proxy"
# A student's JupyterLab shows no formgrader and no Create Assignment toolbar: nbgrader's own advice
# for a shared machine (`jupyter server extension disable --user ...`, `jupyter labextension disable ...`).
STUDENT_SERVER_CONFIG = {"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": False}}}
STUDENT_LAB_CONFIG = {"disabledExtensions": {"@jupyter/nbgrader:formgrader": True,
                                             "@jupyter/nbgrader:create-assignment": True}}
# The classroom's late policy, nbgrader's built-in "zero": a submission after the due date scores 0.
# It is written into the instructor's copy of the course, where nbgrader and the autograder both read it.
LATE_POLICY = "zero"


class Refused(Exception):
    """The classroom cannot be set up here as asked: one line saying why and what to do."""


@dataclasses.dataclass(frozen=True)
class Classroom:
    folder: Path
    prefix: str = "r2a-"    # every user name starts with it, so a classroom's users are easy to tell apart
    students: int = 3
    port: int = 8000
    course_id: str = "recurrence-to-attention"

    @property
    def instructor(self):
        return f"{self.prefix}instructor"

    @property
    def student_ids(self):
        return [f"{self.prefix}student{number}" for number in range(1, self.students + 1)]

    @property
    def users(self):
        return [self.instructor, *self.student_ids]

    def home(self, user):
        return self.folder / "home" / user

    @property
    def course(self):
        """nbgrader's course root: the instructor's copy of this course."""
        return self.home(self.instructor) / COURSE_FOLDER

    @property
    def exchange(self):
        return self.folder / "exchange"

    @property
    def state(self):
        return self.folder / "state"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def settings(self):
        return json.loads((self.folder / SETTINGS).read_text())

    def created_users(self):
        path = self.folder / CREATED_USERS
        return path.read_text().split() if path.exists() else []


def default_create_users():
    """HUB_CREATE_USERS=1 or 0 if set; otherwise yes in CI and in containers, where users are throwaway."""
    chosen = os.environ.get("HUB_CREATE_USERS", "").strip()
    if chosen in ("0", "1"):
        return chosen == "1"
    return bool(os.environ.get("CI")) or Path("/.dockerenv").exists() or Path("/run/.containerenv").exists()


def _user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def check_can_set_up(classroom, create_users):
    """Refuse, before anything is changed, what cannot work."""
    if os.geteuid() != 0:
        raise Refused("make hub needs root: it starts each person's JupyterLab as that person's local user "
                      "(nbgrader knows students by their operating-system user); run it in a container, a VM "
                      "or on a course server, as root")
    if not PROXY.exists() or not shutil.which("node"):
        raise Refused(f"the hub's proxy is missing ({PROXY.relative_to(REPOSITORY)} and node): run `make install`, "
                      "with Node.js installed (apt-get install -y nodejs npm)")
    ours = set(classroom.created_users())
    taken = [user for user in classroom.users if _user_exists(user) and user not in ours]
    if taken:
        raise Refused(f"the local user(s) {', '.join(taken)} already exist and were not created by make hub; "
                      "choose other names with HUB_PREFIX=... (make hub never takes over an existing user)")
    missing = [user for user in classroom.users if not _user_exists(user)]
    if missing and not create_users:
        raise Refused(f"make hub would create {len(missing)} local users ({', '.join(missing)}): nbgrader needs one "
                      "real user per person. It does so only when told: HUB_CREATE_USERS=1 make hub (the default in "
                      "CI and containers); make hub-clean removes them again. Meant for a container, a VM or a "
                      "course server, not a personal machine")


def _create_user(classroom, user):
    home = classroom.home(user)
    home.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash", "--user-group",
                    "--comment", f"make hub classroom in {classroom.folder}", user],
                   check=True, capture_output=True, text=True)
    with open(classroom.folder / CREATED_USERS, "a") as record:  # at once, so a failed setup still cleans up
        record.write(user + "\n")


def _give(path, user):
    """Hand ``path`` (and everything under it) to ``user``."""
    entry = pwd.getpwnam(user)
    for folder, folders, files in os.walk(path):
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        for name in files:
            os.chown(os.path.join(folder, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)
    if not Path(path).is_dir():
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def course_files(root=REPOSITORY):
    """The course as the repository holds it: tracked files and new ones git does not ignore (so no
    environment, build output, gradebook or submissions), read from the working tree."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=root,
                            capture_output=True, check=True).stdout.decode().split("\0")
    return [name for name in listed if name and (root / name).is_file()]


def _blocked_folders(path):
    """The folders above ``path`` that other users cannot pass through (no search permission for others)."""
    return [folder for folder in Path(path).resolve().parents if not os.stat(folder).st_mode & 0o001]


def open_the_way(classroom):
    """Let every user reach the course environment: its Python often lives in root's home (pyenv), which
    others cannot enter. Each such folder gets search permission for others (o+x: they can pass through,
    not list it); its old mode is recorded, and ``clean`` puts it back."""
    targets = [Path(sys.executable).resolve(), REPOSITORY / "r2a", VENV_BIN / "jupyterhub-singleuser"]
    blocked = sorted({folder for target in targets for folder in _blocked_folders(target)})
    record = classroom.folder / CHANGED_MODES
    changed = json.loads(record.read_text()) if record.exists() else {}
    for folder in blocked:
        mode = os.stat(folder).st_mode & 0o7777
        changed.setdefault(str(folder), mode)
        record.write_text(json.dumps(changed, indent=2))  # before the change, so clean can always undo it
        os.chmod(folder, mode | 0o001)
    return blocked


def copy_course(classroom):
    target = classroom.course
    if target.exists():
        shutil.rmtree(target)
    for name in course_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPOSITORY / name, target / name)
    with open(target / "nbgrader_config.py", "a") as config:
        config.write(f"\n# This classroom's settings, added by make hub.\n"
                     f"c.CourseDirectory.course_id = {classroom.course_id!r}\n"
                     f"c.Exchange.root = {str(classroom.exchange)!r}\n"
                     f"c.LateSubmissionPlugin.penalty_method = {LATE_POLICY!r}\n")
    _give(target, classroom.instructor)


def nbgrader_settings(classroom, user):
    """~/.jupyter/nbgrader_config.py: the course and exchange everyone shares; the instructor's also
    names the course root, which the formgrader opens."""
    lines = ["# Written by make hub.", f"c.CourseDirectory.course_id = {classroom.course_id!r}",
             f"c.Exchange.root = {str(classroom.exchange)!r}"]
    if user == classroom.instructor:
        lines.append(f"c.CourseDirectory.root = {str(classroom.course)!r}")
    return "\n".join(lines) + "\n"


def configure_user(classroom, user):
    jupyter = classroom.home(user) / ".jupyter"
    _write(jupyter / "nbgrader_config.py", nbgrader_settings(classroom, user))
    if user != classroom.instructor:
        _write(jupyter / "jupyter_server_config.json", json.dumps(STUDENT_SERVER_CONFIG, indent=2))
        _write(jupyter / "labconfig" / "page_config.json", json.dumps(STUDENT_LAB_CONFIG, indent=2))
    _give(jupyter, user)


def user_env(user):
    """What a person's own commands run with: their home, the course environment first on PATH (nbgrader
    shells out to alembic), and the course's deterministic settings."""
    entry = pwd.getpwnam(user)
    base = {"HOME": entry.pw_dir, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
            "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin"}
    return Course(REPOSITORY).tool_env(base)


def run_as(classroom, user, command, cwd=None, **kwargs):
    entry = pwd.getpwnam(user)
    return subprocess.run(command, cwd=cwd or entry.pw_dir, env=user_env(user), user=entry.pw_uid,
                          group=entry.pw_gid, extra_groups=[], capture_output=True, text=True, **kwargs)


def prepare_gradebook(classroom):
    """The instructor's gradebook, as nbgrader's instructor would start it: the roster (every student,
    so one who never submits is still in the class) and every assignment generated from solutions/."""
    for student in classroom.student_ids:
        done = run_as(classroom, classroom.instructor, [str(VENV_BIN / "nbgrader"), "db", "student", "add", student,
                                                         "--log-level=WARN"], cwd=classroom.course)
        if done.returncode:
            raise RuntimeError(f"nbgrader db student add {student} failed:\n{done.stdout}{done.stderr}")
    done = run_as(classroom, classroom.instructor, [str(VENV_BIN / "nbgrader"), "generate_assignment", "*", "--force",
                                                     "--log-level=WARN"], cwd=classroom.course, timeout=600)
    if done.returncode:
        raise RuntimeError(f"nbgrader generate_assignment failed:\n{done.stdout}{done.stderr}")


def set_up(classroom, create_users):
    """Everything ``make hub`` needs before the hub starts; returns the settings written to hub.json."""
    check_can_set_up(classroom, create_users)
    classroom.folder.mkdir(parents=True, exist_ok=True)
    os.chmod(classroom.folder, 0o755)  # every user walks through it to their home and to the exchange
    (classroom.folder / "home").mkdir(exist_ok=True)
    os.chmod(classroom.folder / "home", 0o755)
    for user in classroom.users:
        if not _user_exists(user):
            _create_user(classroom, user)
    for folder in open_the_way(classroom):
        print(f"note: every user may now pass through {folder} (o+x), to reach the course's Python; "
              "make hub-clean restores its mode", flush=True)
    classroom.exchange.mkdir(exist_ok=True)
    os.chmod(classroom.exchange, 0o777)  # nbgrader's exchange: every user reads and writes there
    classroom.state.mkdir(exist_ok=True)
    os.chmod(classroom.state, 0o700)
    copy_course(classroom)
    for user in classroom.users:
        configure_user(classroom, user)
    prepare_gradebook(classroom)
    previous = classroom.settings() if (classroom.folder / SETTINGS).exists() else {}
    settings = {
        "port": classroom.port,
        "hub_port": free_port(), "proxy_api_port": free_port(),
        "password": previous.get("password") or secrets.token_urlsafe(12),
        "instructor": classroom.instructor, "students": classroom.student_ids,
        "course": str(classroom.course), "state": str(classroom.state),
        "proxy": str(PROXY), "singleuser": str(VENV_BIN / "jupyterhub-singleuser"),
        "environment": {name: value for name, value in user_env(classroom.instructor).items()
                        if name not in ("HOME", "USER", "LOGNAME")},
    }
    path = classroom.folder / SETTINGS
    path.touch(mode=0o600)
    path.write_text(json.dumps(settings, indent=2))
    return settings


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def hub_command(classroom):
    return [str(VENV_BIN / "jupyterhub"), "-f", str(Path(__file__).with_name("jupyterhub_config.py"))]


def hub_env(classroom):
    return dict(os.environ, R2A_HUB_SETTINGS=str(classroom.folder / SETTINGS),
                PATH=f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}")


def stop_hub(classroom, seconds=30):
    """Stop the classroom's hub if it still runs (its pid file), and the servers it started."""
    pid_file = classroom.state / "jupyterhub.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, signal.SIGTERM)  # JupyterHub stops the users' servers and its proxy on SIGTERM
    except (OSError, ValueError, IndexError):
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)


def clean(classroom):
    """Remove the users this classroom created (its hub and their processes stopped first) and its folder."""
    stop_hub(classroom)
    removed = []
    for user in classroom.created_users():
        if not _user_exists(user):
            continue
        for _ in range(50):  # userdel refuses while the user still has processes, which die in a moment
            subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
            done = subprocess.run(["userdel", user], capture_output=True, text=True)
            if done.returncode == 0:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"userdel {user} failed: {done.stderr.strip()}")
        try:
            grp.getgrnam(user)
            subprocess.run(["groupdel", user], capture_output=True)
        except KeyError:
            pass
        removed.append(user)
    record = classroom.folder / CHANGED_MODES
    if record.exists():
        for folder, mode in json.loads(record.read_text()).items():
            if os.path.isdir(folder):
                os.chmod(folder, mode)
    if classroom.folder.exists():
        shutil.rmtree(classroom.folder)
    return removed
