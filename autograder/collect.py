"""Step 1 of the pipeline: find each student's notebook and read it, or say why it cannot be read.

SUBMISSIONS may be
* a folder with one subfolder per student id holding the notebook (``alice/a1.ipynb``);
* nbgrader's ``submitted/`` layout (``alice/<assignment>/a1.ipynb``);
* a zip downloaded from an LMS: Moodle's ``Full Name_123_assignsubmission_file_/a1.ipynb`` folders,
  Canvas's flat ``name_123_456_a1.ipynb`` files, or either of the two layouts above, zipped.

Every student folder yields one ``Submission``; the ones that cannot be graded carry a status
(``missing`` or ``invalid``) and a message an instructor can act on.

Students write the class folder, so reading it is defensive. A notebook is read only if it is a
regular file reached from the class folder without following any link (a link could point at the
instructor's solution or at another student's work), opened without blocking (a named pipe would
hang the grader) and read, with a size limit, from the very descriptor that was checked. Walks of a
student's folder never follow links and stop after ``MAX_SCAN_ENTRIES`` entries. A zip is unpacked
(its notebooks and nbgrader timestamps only, within size limits) into a temporary folder that is
removed as soon as every notebook's bytes are in memory.

When it was submitted: nbgrader's own ``timestamp.txt`` in its ``submitted/`` layout, else the
date an LMS stored in the zip, else (last resort) the file's modification time.
"""
import collections
import dataclasses
import datetime
import errno
import itertools
import json
import os
import re
import stat
import struct
import tempfile
import time
import typing
import warnings
import zipfile
import zlib
from pathlib import Path

import nbformat
from nbgrader.utils import parse_utc

from autograder.model import Status, Submission

MAX_NOTEBOOK_BYTES = 20 * 1024 ** 2
MAX_ZIP_BYTES = 2 * 1024 ** 3    # all that is unpacked from one zip
MAX_ZIP_MEMBERS = 200_000
MAX_TIMESTAMP_BYTES = 4096
MAX_SCAN_ENTRIES = 10_000        # files and folders looked at in one student's folder
MAX_SCAN_DEPTH = 8               # folder levels searched below a student's folder
TIMESTAMP = "timestamp.txt"      # nbgrader's record of when it collected a submission
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
MOODLE_FOLDER = re.compile(r"^(?P<name>.+?)_(?P<number>\d+)_assignsubmission_\w*$")
CANVAS_FILE = re.compile(r"^(?P<name>[^_]+)_(?:LATE_)?(?P<number>\d+)_\d+_(?P<file>.+)$")
IGNORED = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store"}


class Unreadable(Exception):
    """A file the grader refuses or fails to read; the message says why, for a person."""


class TooLarge(Unreadable):
    def __init__(self, size, limit):
        super().__init__(f"the file is {size} bytes or more, over the {limit} bytes limit")
        self.size, self.limit = size, limit


class _Found(typing.NamedTuple):
    """A candidate notebook in a student's folder."""

    path: Path
    problem: str = ""   # why it cannot be the notebook (a link, a folder, a pipe, skipped in the zip); "" if it may be
    when: float = 0.0   # to pick the newest of several copies


@dataclasses.dataclass
class _Student:
    student_id: str
    folders: list                 # the student's folders (several for one Moodle participant); [] for flat files
    found: list                   # [_Found]
    problem: str = ""             # why this student cannot be graded at all (a linked folder, a clashing id)
    notes: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _Unpacked:
    """What unpacking a zip learnt: each member's date, and the members it refused to unpack."""

    dates: dict = dataclasses.field(default_factory=dict)    # path -> seconds since the epoch
    skipped: dict = dataclasses.field(default_factory=dict)  # path -> why, for a person


def slug(text):
    """An nbgrader-safe student id made from an LMS display name."""
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return text or "student"


def collect(submissions, notebook, assignment):
    """All submissions under the path ``submissions`` (folder or zip), sorted by student id."""
    path = Path(submissions)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise ValueError(f"{path} is neither a folder nor a zip file")
        # The unpacked class is needed only until every notebook's bytes are in Submission.data.
        with tempfile.TemporaryDirectory(prefix="autograder-zip-") as scratch:
            root, unpacked = _unzip(path, Path(scratch))
            return _collect(root, notebook, assignment, unpacked)
    if not path.is_dir():
        raise ValueError(f"{path} is neither a folder nor a zip file")
    return _collect(path, notebook, assignment, _Unpacked())


def _collect(root, notebook, assignment, unpacked):
    submissions = []
    for student in sorted(_students(root, unpacked, f"{notebook}.ipynb", assignment), key=lambda s: s.student_id):
        submission, chosen = _pick(student, notebook, assignment)
        submissions.append(_read(submission, chosen, student, root, assignment, unpacked))
    return submissions


# --- zips --------------------------------------------------------------------------------------

def _unzip(archive, target):
    """Unpack the notebooks and nbgrader timestamps of ``archive`` under ``target``: (class folder, _Unpacked).

    Nothing else is ever read, so nothing else is unpacked; folders are made for every member so a
    student whose folder holds no notebook still gets a ``missing`` row.
    """
    unpacked, written = _Unpacked(), 0
    with zipfile.ZipFile(archive) as zipped:
        members = zipped.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise ValueError(f"{archive} holds {len(members)} files, more than {MAX_ZIP_MEMBERS}; "
                             "is it really one assignment's submissions?")
        for member in members:
            parts = [p for p in Path(member.filename).parts if p not in ("", ".", "..", "/")]
            if not parts or parts[0] in IGNORED or len(parts) > MAX_SCAN_DEPTH + 3:
                continue
            destination = target.joinpath(*parts)
            try:
                (destination if member.is_dir() else destination.parent).mkdir(parents=True, exist_ok=True)
            except OSError:
                continue  # e.g. a file and a folder of the same name in the zip
            name = parts[-1]
            if member.is_dir() or not (name.endswith(".ipynb") or name == TIMESTAMP):
                continue
            limit = MAX_TIMESTAMP_BYTES if name == TIMESTAMP else MAX_NOTEBOOK_BYTES
            kind = stat.S_IFMT(member.external_attr >> 16)
            if kind == stat.S_IFLNK:
                unpacked.skipped[destination] = (
                    f"{name} is a link in the zip{_link_target(zipped, member)}, not a file, and was skipped: "
                    "the notebook must be the file itself, not a link to it")
            elif kind not in (0, stat.S_IFREG):
                unpacked.skipped[destination] = f"{name} is not a regular file in the zip and was skipped"
            elif member.file_size > limit:
                unpacked.skipped[destination] = _too_large(name, member.file_size, limit) + " (skipped in the zip)"
            elif written + member.file_size > MAX_ZIP_BYTES:
                raise ValueError(f"{archive} unpacks to more than {MAX_ZIP_BYTES // 1024 ** 3} GiB of notebooks")
            else:
                try:
                    written += _extract(zipped, member, destination, limit)
                    unpacked.dates[destination] = _zip_time(member)
                except TooLarge as error:  # the zip's header gave a smaller size than the data has
                    destination.unlink(missing_ok=True)
                    unpacked.skipped[destination] = _too_large(name, error.size, limit) + " (skipped in the zip)"
                except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, OSError) as error:
                    destination.unlink(missing_ok=True)
                    unpacked.skipped[destination] = (f"{name} could not be unpacked from the zip "
                                                     f"({type(error).__name__}: {str(error)[:200]}) and was skipped")
                if written > MAX_ZIP_BYTES:
                    raise ValueError(f"{archive} unpacks to more than {MAX_ZIP_BYTES // 1024 ** 3} GiB of notebooks")
    entries = [p for p in target.iterdir() if p.name not in IGNORED]
    # A zip of one folder holding the class: grade that folder.
    if len(entries) == 1 and entries[0].is_dir() and all(p.is_dir() for p in entries[0].iterdir()):
        if not any(p.parent == target for p in unpacked.skipped):
            return entries[0], unpacked
    return target, unpacked


def _extract(zipped, member, destination, limit):
    """Copy one member to ``destination`` (a new file in our own scratch folder); its size, never over ``limit``."""
    size = 0
    with zipped.open(member) as source, open(destination, "wb") as sink:
        while chunk := source.read(min(1024 ** 2, limit + 1 - size)):
            size += len(chunk)
            if size > limit:
                raise TooLarge(size, limit)
            sink.write(chunk)
    return size


def _link_target(zipped, member):
    try:
        return f" (to {zipped.read(member)[:200].decode('utf-8', 'replace')})" if member.file_size <= 1024 else ""
    except Exception:  # noqa: BLE001 - only for the message
        return ""


def _zip_time(member):
    """When the LMS stored the member: the zip's Unix time field (UTC, exact) when present, else its
    date and time, which zips keep in the packing machine's local time (read as local, as unzip does)."""
    extra = member.extra
    while len(extra) >= 4:
        kind, length = struct.unpack("<HH", extra[:4])
        body = extra[4:4 + length]
        if kind == 0x5455 and len(body) >= 5 and body[0] & 1:
            return float(struct.unpack("<i", body[1:5])[0])
        extra = extra[4 + length:]
    try:
        return time.mktime(member.date_time + (0, 0, -1))
    except (OverflowError, ValueError):
        return 0.0


# --- finding each student's notebook --------------------------------------------------------------

def _link(path):
    """'a link (to TARGET)', saying when TARGET does not exist: the instructor sees where it pointed."""
    try:
        target = os.readlink(path)[:200]
    except OSError:
        target = "?"
    return f"a link (to {target}{'' if os.path.exists(path) else ', which does not exist'})"


def _not_a_file(path, mode):
    """Why the entry at ``path`` (of type ``mode``, from lstat or fstat) cannot be a notebook; "" for a regular file."""
    name = Path(path).name
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISLNK(mode):
        return (f"{name} is {_link(path)}, not a file: the notebook must be the file itself, not a link to it "
                "(links are never followed); submit the saved .ipynb file")
    if stat.S_ISDIR(mode):
        return f"{name} is a folder, not a notebook file: submit the saved .ipynb file itself"
    kind = ("a named pipe" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a special file")
    return f"{name} is {kind}, not a regular file: submit the saved .ipynb file itself"


def _found(path, unpacked):
    if path in unpacked.skipped:
        return _Found(path, unpacked.skipped[path])
    try:
        info = os.lstat(path)
    except OSError as error:
        return _Found(path, f"{path.name} could not be read ({error.strerror})")
    return _Found(path, _not_a_file(path, info.st_mode), unpacked.dates.get(path, info.st_mtime))


def _hidden(name):
    return name in IGNORED or name.startswith(".")


def _scan(folder, unpacked, expected, assignment):
    """([_Found] for every *.ipynb under ``folder``, notes): breadth first, never through a link, bounded.

    Links, folders and pipes named like notebooks are kept, so the student learns why they were not
    graded. The two places the notebook belongs (``folder/expected`` and nbgrader's
    ``folder/assignment/expected``) are looked at directly, so a huge folder cannot hide it.
    """
    found, notes, looked = [], [], 0
    for path in (folder / expected, folder / assignment / expected):
        if os.path.lexists(path) or path in unpacked.skipped:
            found.append(_found(path, unpacked))
    direct = {f.path for f in found}
    queue = collections.deque([(folder, 0)])
    while queue:
        directory, depth = queue.popleft()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(itertools.islice(listing, MAX_SCAN_ENTRIES - looked + 1), key=lambda e: e.name)
        except OSError as error:
            notes.append(f"could not look inside {directory.relative_to(folder.parent)}/ ({error.strerror})")
            continue
        for entry in entries:
            looked += 1
            if looked > MAX_SCAN_ENTRIES:
                notes.append(f"only the first {MAX_SCAN_ENTRIES} files and folders of {folder.name}/ were searched "
                             "for the notebook")
                queue.clear()
                break
            if _hidden(entry.name):
                continue
            path = Path(entry.path)
            if entry.name.endswith(".ipynb"):
                if path not in direct:
                    found.append(_found(path, unpacked))
            elif entry.is_dir(follow_symlinks=False):
                if depth < MAX_SCAN_DEPTH:
                    queue.append((path, depth + 1))
                elif not any("levels" in n for n in notes):
                    notes.append(f"folders more than {MAX_SCAN_DEPTH} levels deep in {folder.name}/ were not searched")
    found += [_Found(p, why) for p, why in unpacked.skipped.items() if p.suffix == ".ipynb" and p not in direct
              and folder in p.parents and not any(map(_hidden, p.relative_to(folder).parts))]
    return found, notes


def _claim(path):
    """(kind, student id) for one entry of the class folder, or (None, None) when it is no submission."""
    name = path.name
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = stat.S_IFREG  # a notebook skipped in the zip: it still names its student
    moodle = MOODLE_FOLDER.match(name)
    folder_id = f"{slug(moodle['name'])}-{moodle['number']}" if moodle else name
    if stat.S_ISDIR(mode):
        return ("moodle" if moodle else "folder"), folder_id
    if name.endswith(".ipynb"):
        canvas = CANVAS_FILE.match(name)
        return ("canvas", f"{slug(canvas['name'])}-{canvas['number']}") if canvas else ("file", path.stem)
    if stat.S_ISLNK(mode) and (os.path.isdir(path) or not os.path.exists(path)):
        return "link", folder_id
    return None, None


def _students(root, unpacked, expected, assignment):
    """One _Student per student; see below for entries that would share a student id."""
    with os.scandir(root) as listing:
        paths = {Path(e.path) for e in listing}
    paths |= {p for p in unpacked.skipped if p.parent == root and p.suffix == ".ipynb"}
    # Ids are compared ignoring case: "Bob" and "bob" are one person to most LMSs, databases and
    # file systems (feedback/Bob.html would overwrite feedback/bob.html on a Mac).
    claims = collections.defaultdict(list)
    for path in sorted(paths):
        kind, student_id = (None, None) if _hidden(path.name) else _claim(path)
        if kind:
            claims[student_id.casefold()].append((student_id, kind, path))
    students, clashes = [], []
    for claimants in claims.values():
        ids, kinds = {c[0] for c in claimants}, {c[1] for c in claimants}
        # One Moodle participant has a folder per submission plugin (file, online text): the same
        # name and number are the same student. Canvas files with one user number likewise.
        if len(claimants) == 1 or (len(ids) == 1 and kinds in ({"moodle"}, {"canvas"})):
            students.append(_one_student(claimants, unpacked, expected, assignment))
        else:
            clashes.append(claimants)
    # Entries that map to one id are never merged, and none of them is graded: each gets an invalid
    # row under its own folder or file name, naming the others. Suffixing (bob, bob-2) would grade
    # them, but which folder got the real id would depend on sort order, so one student's work could
    # be recorded under the other's id, or under an id the LMS does not know; an instructor settles a
    # clash by renaming in a minute, while a grade filed under the wrong person may never be noticed.
    taken = {s.student_id.casefold() for s in students}
    for claimants in clashes:
        names = ", ".join(f"{c[2].name}{'/' if c[1] in ('folder', 'moodle', 'link') else ''}" for c in claimants)
        problem = (f"{len(claimants)} submissions map to the same student id {claimants[0][0]!r}: {names}; none "
                   "was graded, so that no grade goes to the wrong student: rename them so each student has "
                   "exactly one folder or file, and grade again")
        for _, _, path in claimants:
            row_id, number = path.name, 1
            while row_id.casefold() in taken:
                number += 1
                row_id = f"{path.name}~{number}"
            taken.add(row_id.casefold())
            students.append(_Student(row_id, [], [], problem))
    return students


def _one_student(claimants, unpacked, expected, assignment):
    student_id, kind, _ = claimants[0]
    paths = [c[2] for c in claimants]
    if kind == "link":
        return _Student(student_id, [], [], (
            f"the student folder {paths[0].name} is {_link(paths[0])}, not a folder: links are never followed "
            "(one could point at another student's work or at the solutions); copy the folder itself here "
            "and grade again"))
    if kind in ("canvas", "file"):
        return _Student(student_id, [], [_found(p, unpacked) for p in paths])
    student = _Student(student_id, paths, [])
    for folder in paths:
        found, notes = _scan(folder, unpacked, expected, assignment)
        student.found += found
        student.notes += notes
    return student


def _pick(student, notebook, assignment):
    """(Submission, the _Found to read or None): which of the student's notebooks is graded, and why."""
    submission = Submission(student.student_id)
    if student.problem:
        submission.status, submission.message = Status.INVALID, student.problem
        return submission, None
    if not STUDENT_ID.match(student.student_id):
        submission.status, submission.message = Status.INVALID, (
            f"folder name {student.student_id!r} cannot be a student id: use letters, digits and . _ - @ + only "
            f"(at most 100 characters), rename the folder and grade again")
        return submission, None
    submission.notes += student.notes
    expected = f"{notebook}.ipynb"
    named = [f for f in student.found if f.path.name == expected or CANVAS_FILE.match(f.path.name)
             and CANVAS_FILE.match(f.path.name)["file"] == expected]
    others = [f for f in student.found if f not in named]
    readable = [f for f in others if not f.problem]
    if len(named) > 1:
        # A readable file first, then nbgrader's submitted/ layout (the notebook in a folder named
        # after the assignment), then the newest.
        named = [max(named, key=lambda f: (not f.problem, f.path.parent.name == assignment, f.when))]
        submission.notes.append(f"several copies of {expected}; graded the newest, {named[0].path.name}")
    if named:
        chosen = named[0]
        if others:
            submission.notes.append("ignored other notebooks: " + ", ".join(f.path.name for f in others))
    elif len(readable) == 1:
        chosen = readable[0]
        submission.notes.append(f"the notebook was named {chosen.path.name}, not {expected}; graded it anyway")
        if len(others) > 1:
            submission.notes.append("ignored: " + "; ".join(f.problem for f in others if f.problem))
    elif readable:
        submission.status, submission.message = Status.INVALID, (
            f"{len(readable)} notebooks and none named {expected}: " + ", ".join(f.path.name for f in readable)
            + "; keep only the assignment's notebook")
        return submission, None
    elif others:
        chosen = others[0]
    else:
        where = ", ".join(f"{f.name}/" for f in student.folders) or "the class folder"
        submission.status, submission.message = Status.MISSING, "; ".join(
            [f"no notebook in {where} (expected {expected})"] + student.notes)
        return submission, None
    submission.path = str(chosen.path)
    if chosen.problem:
        submission.status, submission.message = Status.INVALID, chosen.problem
        return submission, None
    return submission, chosen


# --- reading -------------------------------------------------------------------------------------

def read_beneath(root, path, limit):
    """(bytes, os.stat_result) of the regular file ``path`` inside the folder ``root``.

    Every folder between ``root`` and the file, and the file itself, is opened without following a
    link (O_NOFOLLOW), the file without blocking (O_NONBLOCK: a named pipe with no writer would
    hang the grader) and without becoming a terminal (O_NOCTTY); the type and size are checked on
    the open descriptor (fstat) and the bytes read from it, so nothing can be swapped in between.
    Raises Unreadable (TooLarge over ``limit``) or FileNotFoundError.
    """
    path = Path(path)
    parts = path.relative_to(root).parts
    nofollow = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW
    descriptors = []
    try:
        descriptors.append(os.open(root, os.O_RDONLY | os.O_CLOEXEC | os.O_DIRECTORY))
        for part in parts[:-1]:
            descriptors.append(os.open(part, nofollow | os.O_DIRECTORY, dir_fd=descriptors[-1]))
        descriptors.append(os.open(parts[-1], nofollow | os.O_NONBLOCK | os.O_NOCTTY, dir_fd=descriptors[-1]))
        info = os.fstat(descriptors[-1])
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(_not_a_file(path, info.st_mode))
        if info.st_size > limit:
            raise TooLarge(info.st_size, limit)
        data = bytearray()
        while len(data) <= limit:
            chunk = os.read(descriptors[-1], min(1024 ** 2, limit + 1 - len(data)))
            if not chunk:
                break
            data += chunk
        if len(data) > limit:  # it grew while being read
            raise TooLarge(len(data), limit)
        return bytes(data), info
    except FileNotFoundError:
        raise
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            try:
                problem = _not_a_file(path, os.lstat(path).st_mode)
            except OSError:
                problem = ""
            raise Unreadable(problem or f"{path.name} is inside a folder that is a link (links are never followed): "
                             "the notebook must be in the student's own folder") from None
        if error.errno == errno.ENXIO:
            raise Unreadable(f"{path.name} is a socket or device, not a regular file") from None
        raise Unreadable(f"{path.name} could not be read ({error.strerror}); check its permissions and grade again") \
            from None
    finally:
        for descriptor in descriptors:
            os.close(descriptor)


def _too_large(name, size, limit):
    return (f"{name} is {size / 1024 ** 2:.1f} MB, over the {limit // 1024 ** 2} MB limit; clear its outputs "
            "(Edit > Clear Outputs of All Cells), save and resubmit")


def _read(submission, chosen, student, root, assignment, unpacked):
    if submission.status != Status.OK:
        return submission
    try:
        submission.data, info = read_beneath(root, chosen.path, MAX_NOTEBOOK_BYTES)
    except TooLarge as error:
        submission.status, submission.message = Status.INVALID, _too_large("the notebook", error.size, error.limit)
        return submission
    except Unreadable as error:
        submission.status, submission.message = Status.INVALID, str(error)
        return submission
    except FileNotFoundError:
        submission.status, submission.message = Status.MISSING, (
            f"{chosen.path.name} disappeared while the class was being collected; grade again")
        return submission
    submission.timestamp = _submitted_at(submission, chosen.path, student, root, assignment, unpacked, info)
    return submission


def _submitted_at(submission, path, student, root, assignment, unpacked, info):
    """Seconds since the epoch: nbgrader's timestamp.txt, else the zip's date, else the file's mtime."""
    folder = path.parent
    if folder.name == assignment and folder.parent in student.folders:  # nbgrader's submitted/ layout
        stamp = folder / TIMESTAMP
        why = unpacked.skipped.get(stamp)
        if not why:
            try:
                text, _ = read_beneath(root, stamp, MAX_TIMESTAMP_BYTES)
                # nbgrader's own parser: the time in UTC without a time zone, as nbgrader stores it.
                when = parse_utc(text.decode("utf-8").strip()) if text.strip() else None
                if when:
                    return when.replace(tzinfo=datetime.timezone.utc).timestamp()
                why = f"{TIMESTAMP} is empty"
            except FileNotFoundError:
                pass  # no timestamp: not collected by nbgrader
            except (Unreadable, ValueError, OverflowError, TypeError) as error:
                why = f"{TIMESTAMP} could not be used ({str(error)[:200] or type(error).__name__})"
        if why:
            submission.notes.append(f"{why}; the submission time is the file's own date instead")
    if path in unpacked.dates:
        return unpacked.dates[path]
    return info.st_mtime


def parse(data):
    """(notebook as nbformat v4, notes), or ValueError with a message for a person.

    Never any other exception, whatever the bytes (nesting deep enough to exhaust the stack
    included). What an editor or a hand edit breaks without losing the student's work is repaired:
    a byte-order mark or UTF-16/32, metadata that is not an object, keys nbformat does not define,
    sources saved as lists of lines, invalid outputs, execution counts, attachments, ids and
    metadata values (outputs and ids are replaced before grading anyway), a missing or odd
    ``nbformat_minor``, nbgrader metadata that is not an object or whose grade_id is not a string
    (dropped: such a cell is no cell of the assignment). Lone surrogates (text no UTF-8 file can hold) become U+FFFD and a cell of an
    unknown type is kept as a raw cell; both are noted, since they change what the student wrote.
    The result is a valid nbformat 4 notebook, except possibly for missing cell ids (restore.py adds them).
    """
    max_depth = 100  # a notebook nests about 10 levels deep; json and the steps after it recurse
    surrogate = re.compile("[\ud800-\udfff]")
    version = {"version": 4, "version_minor": 5}
    skeleton = {"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": {}}
    cell_keys = {"code": {"id", "cell_type", "metadata", "source", "outputs", "execution_count"},
                 "markdown": {"id", "cell_type", "metadata", "source", "attachments"},
                 "raw": {"id", "cell_type", "metadata", "source", "attachments"}}

    validator = nbformat.validator.get_validator(**version)  # fastjsonschema when installed: fast

    def valid(value, ref=None):
        """Whether ``value`` is a valid notebook, or a valid part ``ref`` of one (checked in a notebook
        of its own: nbformat.validate with a ref falls back to the much slower jsonschema)."""
        cell = {"id": "placeholder", "cell_type": "markdown", "metadata": {}, "source": ""}
        code = {**cell, "cell_type": "code", "outputs": [], "execution_count": None}
        cells = {None: None, "cell": [value], "output": [{**code, "outputs": [value]}],
                 "attachments": [{**cell, "attachments": value}], "cell_id": [{**cell, "id": value}]}[ref]
        notebook = value if ref is None else {**skeleton, "cells": cells}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return next(iter(validator.iter_errors(notebook)), None) is None
        except Exception:  # noqa: BLE001 - a value the validator cannot even look at is not valid
            return False

    def replace_surrogates(value):
        if isinstance(value, str):
            return surrogate.sub("\ufffd", value)
        if isinstance(value, list):
            return [replace_surrogates(v) for v in value]
        if isinstance(value, dict):
            return {replace_surrogates(k): replace_surrogates(v) for k, v in value.items()}
        return value

    if not isinstance(data, (bytes, bytearray, str)) or not data.strip():
        raise ValueError("the notebook file is empty (0 bytes or only whitespace); resubmit the saved notebook")
    try:
        raw = json.loads(data)
    except RecursionError:
        raise ValueError("the file is nested too deeply to be a notebook: it is damaged or not a notebook; "
                         "open it in JupyterLab, save, and resubmit") from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, integers too long to convert
        where = f" at line {error.lineno}, column {error.colno}" if hasattr(error, "lineno") else ""
        raise ValueError(f"the file is not valid notebook JSON{where}: it is damaged or not a notebook; "
                         "open it in JupyterLab, save, and resubmit") from None
    stack, lone = [(raw, 1)], False
    while stack:  # no recursion: the depth is checked before anything recurses into it
        value, depth = stack.pop()
        if depth > max_depth:
            raise ValueError(f"the notebook's JSON is nested more than {max_depth} levels deep, which no notebook "
                             "needs: it is damaged; open it in JupyterLab, save, and resubmit")
        if isinstance(value, dict):
            lone = lone or any(surrogate.search(k) for k in value)
            stack += [(v, depth + 1) for v in value.values()]
        elif isinstance(value, list):
            stack += [(v, depth + 1) for v in value]
        elif isinstance(value, str) and not lone:
            lone = bool(surrogate.search(value))
    notes, repaired = [], set()
    if lone:
        raw = replace_surrogates(raw)
        notes.append("text that no UTF-8 file can hold (lone surrogates) was replaced by \ufffd")
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", raw.get("worksheets")), list):
        raise ValueError("the file is JSON but not a notebook (no list of cells)")
    major = raw.get("nbformat")
    if isinstance(major, bool) or major not in (3, 4):
        raise ValueError(f"notebook format version {major!r:.40} is not supported (expected 4); "
                         "save it from JupyterLab and resubmit")
    if major == 3:  # nbformat converts the old layout (worksheets); the result is repaired below like any other
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                raw = json.loads(json.dumps(nbformat.reads(json.dumps(raw), as_version=4)))
        except Exception as error:  # noqa: BLE001 - nbformat raises many types for broken structure
            raise ValueError(f"the notebook's structure is broken ({type(error).__name__}: "
                             f"{str(error)[:200]})") from None
    if not isinstance(raw.get("cells"), list):
        raise ValueError("the file is JSON but not a notebook (no list of cells)")
    ids = [c["id"] for c in raw["cells"] if isinstance(c, dict) and isinstance(c.get("id"), str) and c["id"]]
    if len(ids) != len(set(ids)):
        notes.append("duplicated cell ids were renumbered")

    for key in set(raw) - {"cells", "metadata", "nbformat", "nbformat_minor"}:
        del raw[key]
        repaired.add("keys a notebook does not have")
    raw["nbformat"] = 4
    minor = raw.get("nbformat_minor")
    if isinstance(minor, bool) or not isinstance(minor, int) or not 0 <= minor <= 5:
        raw["nbformat_minor"] = 5
        if minor is not None and not (isinstance(minor, int) and minor > 5):
            repaired.add("the format version")
    if not isinstance(raw.get("metadata"), dict):
        raw["metadata"] = {}
        repaired.add("the notebook's metadata")
    for key in list(raw["metadata"]) if not valid({**skeleton, "metadata": raw["metadata"]}) else ():
        if not valid({**skeleton, "metadata": {key: raw["metadata"][key]}}):
            del raw["metadata"][key]
            repaired.add("the notebook's metadata")
    for index, cell in enumerate(raw["cells"], start=1):
        if not isinstance(cell, dict):
            raise ValueError(f"cell {index} of the notebook is not a cell (it is a JSON {type(cell).__name__}): "
                             "the file is damaged; open it in JupyterLab, save, and resubmit")
        kind = cell.get("cell_type")
        if not isinstance(kind, str) or kind not in cell_keys:
            notes.append(f"cell {index} has an unknown type ({kind!r:.40}); it was kept as a raw cell, which does "
                         "not run")
            cell["cell_type"] = kind = "raw"
        source = cell.get("source")
        if source is None:
            source = ""
        elif isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        elif not isinstance(source, str):
            raise ValueError(f"the source of cell {index} is a JSON {type(source).__name__}, not text: the file is "
                             "damaged; open it in JupyterLab, save, and resubmit")
        cell["source"] = source
        for key in set(cell) - cell_keys[kind]:
            if key != "outputs" and key != "execution_count":  # left on a cell whose type was changed
                repaired.add("keys a cell does not have")
            del cell[key]
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
            repaired.add("cell metadata")
        grading = cell["metadata"].get("nbgrader", {})
        if not isinstance(grading, dict) or not isinstance(grading.get("grade_id", ""), str):
            del cell["metadata"]["nbgrader"]  # counts nowhere (restore.py re-inserts a test cell it was)
            repaired.add("nbgrader metadata")
        if kind == "code":
            if not isinstance(cell.get("outputs"), list):
                cell["outputs"] = []
            count = cell.get("execution_count")
            if isinstance(count, bool) or not (count is None or isinstance(count, int) and count >= 0):
                count = None
            cell["execution_count"] = count
        if "id" in cell and not valid(cell["id"], "cell_id"):
            del cell["id"]  # restore.py gives the cell a new one
        probe = {**cell, "id": cell.get("id", "placeholder")}
        if valid(probe, "cell"):
            continue
        # Something in the cell is invalid: keep only what is valid, part by part.
        if kind == "code":
            kept = [output for output in cell["outputs"] if valid(output, "output")]
            if len(kept) != len(cell["outputs"]):
                cell["outputs"] = kept
                repaired.add("outputs")
        elif "attachments" in cell and not valid(cell["attachments"], "attachments"):
            del cell["attachments"]
            repaired.add("attachments")
        bare = {**cell, "id": probe["id"], "metadata": {}, **({"outputs": []} if kind == "code" else {})}
        for key in list(cell["metadata"]) if valid(bare, "cell") else ():
            if not valid({**bare, "metadata": {key: cell["metadata"][key]}}, "cell"):
                del cell["metadata"][key]
                repaired.add("cell metadata")
    if repaired:
        notes.append("damaged parts of the notebook file were ignored: " + ", ".join(sorted(repaired)))
    try:
        with warnings.catch_warnings():  # nbformat warns about fixable things; restore.py fixes them
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as error:  # noqa: BLE001 - nbformat raises many types for broken structure
        raise ValueError(f"the notebook's structure is broken ({type(error).__name__}: {str(error)[:200]})") from None
    return notebook, notes
