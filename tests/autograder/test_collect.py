"""Collecting a class: links, pipes and odd files refused, bounded walks and zips, submission times,
one identity per student, late penalties as nbgrader assigns them, and the gradebook agreeing
with grades.csv.

Most tests build a class folder by hand and call collect.collect; the gradebook tests use a
scratch nbgrader course made once per module with `nbgrader generate_assignment`, and one test
compares this tool with real `nbgrader autograde` on the same late and on-time submissions.
"""
import contextlib
import csv
import datetime
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook, MissingEntry
from traitlets.config import Config

from tests.helpers.assignment_harness import ROOT
from tests.helpers.autograder_corpus import FULL, PARTIAL, SOLUTIONS, WRONG_RNN
from tests.helpers.classroom import student_notebook
from autograder import assignment as assignments
from autograder import collect
from autograder.gradebook import GradebookWriter
from autograder.model import Result, Status
from tests.helpers import COURSE

A1 = "a1_recurrence_and_gradients"
NOTEBOOK = f"{A1}.ipynb"
BIN = Path(sys.executable).parent
ENV = COURSE.tool_env()
SOLVED = nbformat.writes(student_notebook(A1, SOLUTIONS))


def utc(*when):
    return datetime.datetime(*when, tzinfo=datetime.timezone.utc).timestamp()


@pytest.fixture(autouse=True)
def never_hang():
    """A grader that blocks (on a named pipe, say) fails the test instead of hanging the run."""
    def stuck(*_):
        raise TimeoutError("collecting blocked")

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def write(path, data=SOLVED):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def by_id(submissions):
    ids = [s.student_id for s in submissions]
    assert len(ids) == len({i.casefold() for i in ids}), f"student ids are not unique: {ids}"
    return {s.student_id: s for s in submissions}


# --- 1. safe reading ---------------------------------------------------------------------------

def test_links_pipes_devices_and_folders_are_refused_one_row_each(tmp_path):
    solution = ROOT / "solutions" / A1 / NOTEBOOK
    root = tmp_path / "class"
    write(root / "solved" / NOTEBOOK)
    (root / "link-to-solution").mkdir(parents=True)
    (root / "link-to-solution" / NOTEBOOK).symlink_to(solution)
    (root / "dangling").mkdir()
    (root / "dangling" / NOTEBOOK).symlink_to(tmp_path / "nowhere.ipynb")
    (root / "pipe").mkdir()
    os.mkfifo(root / "pipe" / NOTEBOOK)
    (root / "socket").mkdir()
    listener = socket.socket(socket.AF_UNIX)
    with contextlib.chdir(root / "socket"):  # the full path is too long for a socket address
        listener.bind(NOTEBOOK)
    write(root / "folder-named-like-it" / NOTEBOOK / NOTEBOOK)  # a folder a1....ipynb/, notebook inside
    (root / "linked-folder").symlink_to(root / "solved")
    (root / "dangling-folder").symlink_to(tmp_path / "gone")
    (root / "link-inside").mkdir()
    (root / "link-inside" / A1).symlink_to(root / "solved", target_is_directory=True)
    (root / "flat.ipynb").symlink_to(solution)
    write(root / "link-and-file" / NOTEBOOK)
    (root / "link-and-file" / "other.ipynb").symlink_to(solution)
    expected = {
        "solved": (Status.OK, ""),
        "link-to-solution": (Status.INVALID, "is a link (to "),
        "dangling": (Status.INVALID, "which does not exist"),
        "pipe": (Status.INVALID, "is a named pipe"),
        "socket": (Status.INVALID, "is a socket"),
        "folder-named-like-it": (Status.INVALID, "is a folder, not a notebook file"),
        "linked-folder": (Status.INVALID, "the student folder linked-folder is a link"),
        "dangling-folder": (Status.INVALID, "which does not exist"),
        "link-inside": (Status.INVALID, "inside a folder that is a link"),  # submitted layout, linked
        "flat": (Status.INVALID, "is a link"),
        "link-and-file": (Status.OK, ""),
    }
    try:
        os.mknod(root / "device.ipynb", stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null's numbers
        expected["device"] = (Status.INVALID, "is a device")
    except PermissionError:
        pass  # only root may make device files
    started = time.monotonic()
    found = by_id(collect.collect(root, A1, A1))
    listener.close()
    assert time.monotonic() - started < 10
    assert set(found) == set(expected)
    for student, (status, words) in expected.items():
        assert (found[student].status, words in found[student].message) == (status, True), (student, found[student])
    assert "must be the file itself" in found["link-to-solution"].message
    assert found["solved"].data == SOLVED.encode() and found["link-and-file"].data == SOLVED.encode()
    assert "other.ipynb" in " ".join(found["link-and-file"].notes)
    for student in expected:
        if found[student].status != Status.OK:
            assert found[student].data == b"", f"{student}: bytes were read from a refused file"


def test_read_beneath_checks_the_descriptor_it_reads(tmp_path):
    write(tmp_path / "real" / NOTEBOOK)
    os.mkfifo(tmp_path / "pipe.ipynb")
    (tmp_path / "via").symlink_to(tmp_path / "real")
    (tmp_path / "link.ipynb").symlink_to(tmp_path / "real" / NOTEBOOK)
    data, info = collect.read_beneath(tmp_path, tmp_path / "real" / NOTEBOOK, collect.MAX_NOTEBOOK_BYTES)
    assert data == SOLVED.encode() and stat.S_ISREG(info.st_mode)
    with pytest.raises(collect.Unreadable, match="named pipe"):
        collect.read_beneath(tmp_path, tmp_path / "pipe.ipynb", 100)  # opened without blocking, then refused
    with pytest.raises(collect.Unreadable, match="link"):
        collect.read_beneath(tmp_path, tmp_path / "link.ipynb", 10 ** 8)
    with pytest.raises(collect.Unreadable, match="link"):
        collect.read_beneath(tmp_path, tmp_path / "via" / NOTEBOOK, 10 ** 8)  # a folder on the way is a link
    with pytest.raises(collect.TooLarge):
        collect.read_beneath(tmp_path, tmp_path / "real" / NOTEBOOK, 1000)
    with pytest.raises(FileNotFoundError):
        collect.read_beneath(tmp_path, tmp_path / "nothing.ipynb", 1000)


def test_student_folder_walk_is_bounded_and_follows_no_link(tmp_path, monkeypatch):
    monkeypatch.setattr(collect, "MAX_SCAN_ENTRIES", 60)
    root = tmp_path / "class"
    write(root / "big" / NOTEBOOK)
    for index in range(200):
        write(root / "big" / f"zz-{index:03d}.txt", "x")
    deep = root / "deep"
    for level in range(collect.MAX_SCAN_DEPTH + 2):
        deep = deep / f"level{level}"
    write(deep / NOTEBOOK)
    (root / "loop").mkdir()
    (root / "loop" / "again").symlink_to(root / "loop", target_is_directory=True)
    (root / "loop" / "up").symlink_to(root, target_is_directory=True)
    found = by_id(collect.collect(root, A1, A1))
    assert found["big"].status == Status.OK and "only the first 60" in " ".join(found["big"].notes)
    assert found["deep"].status == Status.MISSING and "levels deep" in found["deep"].message
    assert found["loop"].status == Status.MISSING  # the links were not followed, not even back to the class


# --- 2. timestamps -------------------------------------------------------------------------------

def test_submission_time_from_nbgrader_then_zip_then_mtime(tmp_path):
    submitted = tmp_path / "submitted"
    write(submitted / "nb" / A1 / NOTEBOOK)
    (submitted / "nb" / A1 / "timestamp.txt").write_text("2020-01-01 00:00:00.000000 UTC")
    write(submitted / "paris" / A1 / NOTEBOOK)
    (submitted / "paris" / A1 / "timestamp.txt").write_text("2020-01-01 00:30:00 Europe/Paris\n")
    write(submitted / "broken" / A1 / NOTEBOOK)
    (submitted / "broken" / A1 / "timestamp.txt").write_text("the day before yesterday")
    write(submitted / "piped" / A1 / NOTEBOOK)
    os.mkfifo(submitted / "piped" / A1 / "timestamp.txt")  # must not block the grader
    write(submitted / "none" / A1 / NOTEBOOK)
    for student in ("broken", "piped", "none"):
        os.utime(submitted / student / A1 / NOTEBOOK, (utc(2022, 5, 6), utc(2022, 5, 6)))
    found = by_id(collect.collect(submitted, A1, A1))
    assert found["nb"].timestamp == utc(2020, 1, 1) and found["nb"].notes == []
    assert found["paris"].timestamp == utc(2019, 12, 31, 23, 30), "nbgrader's parser converts to UTC"
    for student in ("broken", "piped"):
        assert found[student].status == Status.OK and found[student].timestamp == utc(2022, 5, 6), student
        assert "timestamp.txt could not be used" in " ".join(found[student].notes), student
    assert found["none"].timestamp == utc(2022, 5, 6) and found["none"].notes == []

    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(zipfile.ZipInfo(f"Ada Lovelace_1_assignsubmission_file_/{NOTEBOOK}", (2021, 3, 4, 5, 6, 8)),
                        SOLVED)
        exact = zipfile.ZipInfo(f"Alan Turing_2_assignsubmission_file_/{NOTEBOOK}", (2021, 3, 4, 5, 6, 8))
        exact.extra = struct.pack("<HHBi", 0x5455, 5, 1, 1_600_000_000)  # Info-ZIP's Unix time, in UTC
        zipped.writestr(exact, SOLVED)
    found = by_id(collect.collect(archive, A1, A1))
    assert found["ada-lovelace-1"].timestamp == time.mktime((2021, 3, 4, 5, 6, 8, 0, 0, -1))
    assert found["alan-turing-2"].timestamp == 1_600_000_000


# --- 4. one identity per student -------------------------------------------------------------------

def test_folders_mapping_to_one_id_each_get_a_row_never_merged(tmp_path):
    root = tmp_path / "class"
    write(root / "bob" / NOTEBOOK)
    write(root / "bob.ipynb")
    write(root / f"Ada Lovelace_1234_assignsubmission_file_/{NOTEBOOK}")
    write(root / f"ada-lovelace-1234/{NOTEBOOK}")
    write(root / "Carol" / NOTEBOOK)
    write(root / "carol" / NOTEBOOK)
    # One Moodle participant, two submission plugins: the same student, so one row.
    write(root / f"Alan Turing_99_assignsubmission_file_/{NOTEBOOK}")
    write(root / "Alan Turing_99_assignsubmission_onlinetext_/onlinetext.html", "<p>hi</p>")
    write(root / "dave" / NOTEBOOK)
    found = by_id(collect.collect(root, A1, A1))
    assert found["alan-turing-99"].status == Status.OK and found["dave"].status == Status.OK
    # Each row under its own folder or file name (made unique ignoring case), naming the other.
    clashes = {("bob", "bob.ipynb"): ("bob/", "bob.ipynb"),
               ("ada-lovelace-1234", "Ada Lovelace_1234_assignsubmission_file_"):
                   ("ada-lovelace-1234/", "Ada Lovelace_1234_assignsubmission_file_/"),
               ("Carol", "carol~2"): ("Carol/", "carol/")}
    for rows, names in clashes.items():
        for row in rows:
            assert found[row].status == Status.INVALID and found[row].data == b"", row
            assert all(name in found[row].message for name in names), found[row].message
            assert "rename" in found[row].message
    assert len(found) == 2 + 2 * len(clashes)


# --- 5. zips -------------------------------------------------------------------------------------

def test_zip_links_and_huge_members_are_skipped_and_the_unpacked_class_removed(tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr(f"ok/{NOTEBOOK}", SOLVED)
        link = zipfile.ZipInfo(f"linked/{NOTEBOOK}")
        link.create_system, link.external_attr = 3, (stat.S_IFLNK | 0o777) << 16
        zipped.writestr(link, f"../../solutions/{A1}/{NOTEBOOK}")
        zipped.writestr(f"huge/{NOTEBOOK}", b" " * (collect.MAX_NOTEBOOK_BYTES + 1))
        zipped.writestr(f"link-and-file/{NOTEBOOK}", SOLVED)
        other = zipfile.ZipInfo("link-and-file/scratch.ipynb")
        other.create_system, other.external_attr = 3, (stat.S_IFLNK | 0o777) << 16
        zipped.writestr(other, "/etc/passwd")
        zipped.writestr("empty/README.md", "nothing here")
        zipped.writestr(f"stamped/{A1}/{NOTEBOOK}", SOLVED)
        zipped.writestr(f"stamped/{A1}/timestamp.txt", "2020-01-01 00:00:00.000000 UTC")
    found = by_id(collect.collect(archive, A1, A1))
    assert found["ok"].status == Status.OK and found["ok"].data == SOLVED.encode()
    assert found["linked"].status == Status.INVALID and "is a link in the zip" in found["linked"].message
    assert f"solutions/{A1}" in found["linked"].message, "the instructor sees where the link pointed"
    assert found["huge"].status == Status.INVALID and "over the 20 MB limit" in found["huge"].message
    assert found["link-and-file"].status == Status.OK and "scratch.ipynb" in " ".join(found["link-and-file"].notes)
    assert found["empty"].status == Status.MISSING
    assert found["stamped"].timestamp == utc(2020, 1, 1)
    assert list(scratch.iterdir()) == [], "the unpacked class was left in the temporary folder"

    monkeypatch.setattr(collect, "MAX_ZIP_MEMBERS", 3)
    with pytest.raises(ValueError, match="more than 3"):
        collect.collect(archive, A1, A1)
    assert list(scratch.iterdir()) == []


# --- gradebook ----------------------------------------------------------------------------------

def nbgrader(course, *args):
    done = subprocess.run([str(BIN / "nbgrader"), *args, f"--CourseDirectory.root={course}"], cwd=course, env=ENV,
                          capture_output=True, text=True)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A scratch nbgrader course with assignment 1 released (its gradebook knows the cells)."""
    course = tmp_path_factory.mktemp("released")
    (course / "solutions").mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / A1, course / "solutions" / A1)
    nbgrader(course, "generate_assignment", A1, "--force")
    return course


@pytest.fixture
def course(released, tmp_path):
    copy = tmp_path / "course"
    shutil.copytree(released, copy)
    return copy


def result_for(student, path="", timestamp=0.0, status=Status.OK, autograded=SOLVED):
    return Result(student, status, "", score=FULL, max_score=FULL, autograded=autograded, submitted=SOLVED.encode(),
                  path=str(path), timestamp=timestamp)


@pytest.mark.slow
def test_grading_in_submitted_keeps_nbgrader_timestamp(course, tmp_path):
    db = f"sqlite:///{course / 'gradebook.db'}"
    stamp = course / "submitted" / "bob" / A1 / "timestamp.txt"
    write(course / "submitted" / "bob" / A1 / NOTEBOOK)
    stamp.write_text("2020-01-01 00:00:00.000000 UTC")
    os.utime(course / "submitted" / "bob" / A1 / NOTEBOOK, (utc(2023, 1, 1), utc(2023, 1, 1)))
    write(tmp_path / "elsewhere" / "eve" / NOTEBOOK)
    os.utime(tmp_path / "elsewhere" / "eve" / NOTEBOOK, (utc(2021, 6, 7, 8), utc(2021, 6, 7, 8)))
    spec = assignments.from_gradebook(A1, db)
    bob, = collect.collect(course / "submitted", A1, A1)
    eve, = collect.collect(tmp_path / "elsewhere", A1, A1)
    writer = GradebookWriter(db, course, spec)
    for submission in (bob, eve):
        writer.record(result_for(submission.student_id, submission.path, submission.timestamp))
    writer.close()
    assert stamp.read_text() == "2020-01-01 00:00:00.000000 UTC", "nbgrader's timestamp.txt was rewritten"
    copied = course / "submitted" / "eve" / A1 / "timestamp.txt"
    assert copied.read_text() == "2021-06-07 08:00:00.000000 UTC", "a copy the grader makes records its own time"
    with Gradebook(db) as gradebook:
        assert gradebook.find_submission(A1, "bob").timestamp == datetime.datetime(2020, 1, 1)
        assert gradebook.find_submission(A1, "eve").timestamp == datetime.datetime(2021, 6, 7, 8)


@pytest.mark.slow
def test_a_result_the_gradebook_refuses_becomes_an_error_in_grades_csv(course):
    db = f"sqlite:///{course / 'gradebook.db'}"
    writer = GradebookWriter(db, course, assignments.from_gradebook(A1, db))
    broken = result_for("mallory", autograded="{not json")
    with pytest.raises(Exception):
        writer.record(broken)
    writer.record(result_for("alice"))
    writer.close()
    assert broken.status == Status.ERROR and broken.score == 0 and "not recorded in the gradebook" in broken.message
    assert f"it scored {FULL:g} / {FULL:g}" in broken.message
    with Gradebook(db) as gradebook:
        assert gradebook.find_submission(A1, "alice").score == FULL
        with pytest.raises(MissingEntry):
            gradebook.find_submission(A1, "mallory")


@pytest.mark.slow
def test_late_penalty_is_reset_when_no_longer_late(course):
    db = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(db) as gradebook:
        gradebook.update_or_create_assignment(A1, duedate="2020-01-01 00:00:00 UTC")
    config = Config()
    config.LateSubmissionPlugin.penalty_method = "zero"
    spec = assignments.from_gradebook(A1, db)
    writer = GradebookWriter(db, course, spec, config=config)
    late = result_for("lou", timestamp=utc(2020, 1, 3))
    writer.record(late)
    with Gradebook(db) as gradebook:
        assert gradebook.find_submission(A1, "lou").late_submission_penalty == FULL
    assert "2 d 0 h 0 min late" in late.message and f"late penalty of {FULL:g} points" in late.message
    on_time = result_for("lou", timestamp=utc(2019, 12, 30))
    writer.record(on_time)
    writer.close()
    with Gradebook(db) as gradebook:
        assert gradebook.find_submission(A1, "lou").late_submission_penalty == 0
    assert on_time.message == ""


# --- 3. late penalties: the same as nbgrader autograde ---------------------------------------------

def gradebook_view(db):
    with Gradebook(db) as gradebook:
        return {s.student.id: {"timestamp": s.timestamp, "score": s.score, "penalty": s.late_submission_penalty,
                               "grades": sorted((g.name, g.auto_score) for g in s.notebooks[0].grades)}
                for s in gradebook.assignment_submissions(A1)}


@pytest.mark.root
@pytest.mark.slow
def test_late_penalties_and_scores_equal_nbgrader_autograde(released, tmp_path):
    theirs, ours = tmp_path / "nbgrader-course", tmp_path / "our-course"
    shutil.copytree(released, theirs)
    with open(theirs / "nbgrader_config.py", "a") as config:
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    with Gradebook(f"sqlite:///{theirs / 'gradebook.db'}") as gradebook:
        gradebook.update_or_create_assignment(A1, duedate="2020-01-01 00:00:00 UTC")
    students = {"early": (SOLUTIONS, "2019-12-31 12:00:00.123456 UTC"),
                "late": ({**SOLUTIONS, "rnn_forward": WRONG_RNN}, "2020-01-02 09:30:00.000000 UTC")}
    for student, (answers, when) in students.items():
        folder = theirs / "submitted" / student / A1
        write(folder / NOTEBOOK, nbformat.writes(student_notebook(A1, answers)))
        (folder / "timestamp.txt").write_text(when)
    shutil.copytree(theirs, ours)  # before nbgrader touches its gradebook

    nbgrader(theirs, "autograde", A1, "--force", "--Autograde.create_student=True")
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", A1, ours / "submitted", "--course", ours,
                           "--db", f"sqlite:///{ours / 'gradebook.db'}", "--out", tmp_path / "out", "--workers", "1"],
                          cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr

    expected = gradebook_view(f"sqlite:///{theirs / 'gradebook.db'}")
    assert expected["late"]["penalty"] == expected["late"]["score"] == PARTIAL and expected["early"]["penalty"] == 0
    assert gradebook_view(f"sqlite:///{ours / 'gradebook.db'}") == expected
    for student, (_, when) in students.items():
        assert (ours / "submitted" / student / A1 / "timestamp.txt").read_text() == when
    with open(tmp_path / "out" / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert rows["late"]["score"] == f"{PARTIAL:g}" and f"late penalty of {PARTIAL:g} points" in rows["late"]["message"]
    assert "late" not in rows["early"]["message"]
