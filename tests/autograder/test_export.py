"""``python -m autograder export``: the final grade of every student, as nbgrader's export computes it
(autograded plus hand-graded points, minus the late penalty, never below 0; 0 without a submission),
in the columns Canvas and Moodle import. Every file is parsed back and checked against the gradebook.
The gradebook is made with nbgrader's own API: no kernel, no nbgrader run."""
import csv
import datetime
import os
import warnings

import pytest
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from autograder import cli, export
from tests.helpers import COURSE

pytestmark = pytest.mark.slow  # nbgrader creates each gradebook through alembic: seconds, not milliseconds
A1 = "a1_recurrence_and_gradients"
TITLE = "Assignment 1: Recurrence and gradients"  # course.toml's number and title
# student: (autograded points, hand-graded points, late penalty); "carol" submitted nothing
CLASS = {"alice": (10.0, 2.0, 0.0), "bob": (6.0, 1.0, 4.0), "dave": (3.0, 0.0, 5.0)}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A gradebook with a1 (12 autograded and 3 hand-graded points) and four students, one without
    a submission; dave's penalty is larger than his score."""
    tmp_path = tmp_path_factory.mktemp("course")
    os.environ["PATH"] = COURSE.tool_env()["PATH"]  # nbgrader creates a gradebook with alembic (cli.main does too)
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own add_submission autoflushes
        gradebook.add_assignment(A1, duedate=datetime.datetime(2026, 12, 1, 12, 0))
        gradebook.add_notebook(A1, A1)
        gradebook.add_grade_cell("test_auto", A1, A1, max_score=12, cell_type="code")
        gradebook.add_grade_cell("written", A1, A1, max_score=3, cell_type="markdown")
        for student in ("alice", "bob", "carol", "dave"):
            gradebook.add_student(student, first_name=student.title(), last_name="Lovelace" if student == "alice"
                                  else None, email=f"{student}@example.org")
        for student, (auto, by_hand, penalty) in CLASS.items():
            gradebook.add_submission(A1, student, timestamp=datetime.datetime(2026, 12, 1, 11, 0))
            notebook = gradebook.find_submission_notebook(A1, A1, student)
            for grade in notebook.grades:
                if grade.name == "test_auto":
                    grade.auto_score = auto
                else:
                    grade.manual_score = by_hand
            notebook.late_submission_penalty = penalty
        gradebook.db.commit()
    return tmp_path


def final(student):
    auto, by_hand, penalty = CLASS.get(student, (0.0, 0.0, 0.0))
    return max(0.0, auto + by_hand - penalty)


def run(course, tmp_path, layout, *extra):
    out = tmp_path / f"{layout}.csv"
    status = cli.main(["export", A1, "--format", layout, "--course", str(course), "--out", str(out), *extra])
    return status, list(csv.reader(open(out, newline="", encoding="utf-8"))) if out.exists() else None


def test_canvas_gets_its_columns_a_points_row_and_every_final_score(course, tmp_path, capsys):
    status, rows = run(course, tmp_path, "canvas")
    assert status == 0
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", TITLE]
    assert rows[1][0].strip() == "Points Possible" and float(rows[1][5]) == 15
    scores = {row[3]: float(row[5]) for row in rows[2:]}
    assert scores == {student: final(student) for student in ("alice", "bob", "carol", "dave")}
    assert scores["dave"] == 0 and scores["bob"] == 3  # the penalty is taken off, never below 0
    assert rows[2][0] == "Lovelace, Alice" and rows[3][0] == "bob"  # "Last, First" where the gradebook has it
    assert "no submission, exported as 0: carol" in capsys.readouterr().out


def test_moodle_gets_its_export_columns_and_every_final_score(course, tmp_path):
    status, rows = run(course, tmp_path, "moodle")
    assert status == 0
    assert rows[0] == ["First name", "Last name", "Username", "Email address", f"{TITLE} (Real)"]
    assert {row[2]: (row[3], float(row[4])) for row in rows[1:]} == {
        student: (f"{student}@example.org", final(student)) for student in ("alice", "bob", "carol", "dave")}


def test_csv_has_nbgraders_export_columns_and_values(course, tmp_path):
    status, rows = run(course, tmp_path, "csv")
    assert status == 0 and rows[0] == export.NBGRADER_COLUMNS
    records = {row["student_id"]: row for row in (dict(zip(rows[0], r)) for r in rows[1:])}
    for student, (auto, by_hand, penalty) in CLASS.items():
        assert float(records[student]["raw_score"]) == auto + by_hand
        assert float(records[student]["late_submission_penalty"]) == penalty
        assert float(records[student]["score"]) == final(student)
    assert records["carol"]["timestamp"] == "" and float(records["carol"]["score"]) == 0
    assert {r["max_score"] for r in records.values()} == {"15"}


def test_a_roster_is_checked_both_ways_and_nothing_is_dropped_silently(course, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,SIS Login ID\nAlice,alice\nBob,bob\nErin,erin\n")  # no carol or dave; erin unknown
    status, rows = run(course, tmp_path, "canvas", "--roster", str(roster))
    assert status == 0
    assert {row[3]: row[5] for row in rows[2:]} == {"alice": "12", "bob": "3", "erin": ""}
    said = capsys.readouterr().out
    assert "on the roster but not in the gradebook, exported with an empty score: erin" in said
    assert "in the gradebook but not on the roster, left out: carol, dave" in said


@pytest.mark.parametrize("contents, problem", [
    ("name,email\nAlice,a@example.org\n", "has none of the columns"),
    (b"\xff\xfe\x00bad", "cannot read the roster"),
])
def test_a_roster_that_cannot_be_read_is_refused_with_one_line(course, tmp_path, capsys, contents, problem):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(contents if isinstance(contents, bytes) else contents.encode())
    status, rows = run(course, tmp_path, "canvas", "--roster", str(roster))
    error = capsys.readouterr().err
    assert status == 2 and rows is None
    assert problem in error and error.count("\n") == 1


def test_an_assignment_not_in_the_gradebook_is_refused(course, tmp_path, capsys):
    with Gradebook(f"sqlite:///{tmp_path / 'other.db'}"):
        pass  # a gradebook of another course, without a1
    status, rows = run(course, tmp_path, "canvas", "--db", f"sqlite:///{tmp_path / 'other.db'}")
    error = capsys.readouterr().err
    assert status == 2 and rows is None
    assert "is not in the gradebook" in error and error.count("\n") == 1


def test_a_missing_gradebook_is_refused_and_not_created(course, tmp_path, capsys):
    status, rows = run(course, tmp_path, "canvas", "--db", f"sqlite:///{tmp_path / 'none.db'}")
    error = capsys.readouterr().err
    assert status == 2 and rows is None and not (tmp_path / "none.db").exists()
    assert "there is no gradebook at" in error and error.count("\n") == 1
