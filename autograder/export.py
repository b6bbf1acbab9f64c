"""``python -m autograder export ASSIGNMENT --format canvas|moodle|csv``: final grades for the LMS.

The final score is nbgrader's, read from the gradebook as ``nbgrader export`` computes it: the
autograded and hand-graded points of the submission, minus its late penalty, never below 0; a
student on the roster with no submission gets 0. Each format is the column layout its LMS imports:

* **canvas**: the layout of Canvas's gradebook CSV (Canvas Instructor Guide, "How do I import grades in
  the Gradebook?"): ``Student, ID, SIS User ID, SIS Login ID, Section`` and one column per assignment,
  after a ``Points Possible`` row. Canvas matches a row on any of the three ids; this file gives the
  nbgrader student id as the SIS Login ID (on a hub it is the person's login) and leaves the others
  empty. A column whose name Canvas does not know becomes a new assignment worth the points possible.
* **moodle**: the layout of Moodle's own grade export (Moodle docs, "Grade import" and "Grade export"):
  ``First name, Last name, Username, Email address`` and ``NAME (Real)``; on import, map
  "Username" to username and the grade column to the grade item.
* **csv**: nbgrader's own export columns, for anything else.

With ``--roster FILE`` (the LMS's class list as CSV, with a column ``SIS Login ID``, ``Username``,
``student_id`` or ``id``) each id is checked both ways, and nothing is dropped silently: a roster
student the gradebook does not know is written with an empty score (an LMS leaves an empty cell
unchanged) and reported; a gradebook student the roster does not know is left out and reported.
"""
import csv
import dataclasses
import io
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

FORMATS = ("canvas", "moodle", "csv")
ROSTER_ID_COLUMNS = ("SIS Login ID", "Username", "student_id", "id")
NBGRADER_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                    "raw_score", "late_submission_penalty", "score", "max_score"]


@dataclasses.dataclass(frozen=True)
class FinalGrade:
    student_id: str
    first_name: str
    last_name: str
    email: str
    submitted: bool
    timestamp: str
    # The three scores are None for a roster student the gradebook does not know.
    raw_score: float       # autograded plus hand-graded points
    late_penalty: float
    score: float           # what the LMS gets


@dataclasses.dataclass
class Export:
    assignment: str
    column: str            # the assignment's name in the LMS
    duedate: str
    max_score: float
    grades: list           # [FinalGrade], by student id
    no_submission: list    # ids with a 0 because nothing was submitted
    not_in_gradebook: list  # roster ids the gradebook does not know (empty score)
    not_on_roster: list    # gradebook ids the roster does not know (left out)


class RosterError(ValueError):
    """A roster file that cannot be read as a class list; one line says why."""


def read_roster(path):
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise RosterError(f"cannot read the roster {path} ({getattr(error, 'strerror', None) or error})") from None
    reader = csv.DictReader(io.StringIO(text))
    column = next((name for name in ROSTER_ID_COLUMNS if name in (reader.fieldnames or [])), None)
    if column is None:
        raise RosterError(f"the roster {path} has none of the columns {', '.join(ROSTER_ID_COLUMNS)}")
    ids = [row[column].strip() for row in reader if (row.get(column) or "").strip()
           and row[column].strip() != "Points Possible"]
    return ids


def _final(gradebook, assignment, student):
    names = dict(first_name=student.first_name or "", last_name=student.last_name or "", email=student.email or "")
    try:
        submission = gradebook.find_submission(assignment, student.id)
    except MissingEntry:
        return FinalGrade(student.id, **names, submitted=False, timestamp="", raw_score=0.0, late_penalty=0.0,
                          score=0.0)
    penalty = submission.late_submission_penalty or 0.0
    stamp = submission.timestamp.isoformat(sep=" ") if submission.timestamp else ""
    return FinalGrade(student.id, **names, submitted=True, timestamp=stamp, raw_score=submission.score,
                      late_penalty=penalty, score=max(0.0, submission.score - penalty))


def final_grades(db_url, assignment, column, roster=None):
    """The export of ``assignment`` from the gradebook at ``db_url`` (LookupError if it is not there)."""
    gradebook = Gradebook(db_url)
    try:
        try:
            recorded = gradebook.find_assignment(assignment)
        except MissingEntry:
            raise LookupError(f"{assignment} is not in the gradebook {db_url}: grade it first") from None
        grades = {student.id: _final(gradebook, assignment, student) for student in gradebook.students}
        duedate = recorded.duedate.isoformat(sep=" ") if recorded.duedate else ""
        max_score = recorded.max_score
    finally:
        gradebook.close()
    known = set(grades) if roster is None else set(roster)
    not_on_roster = sorted(set(grades) - known)
    not_in_gradebook = [] if roster is None else sorted(known - set(grades))
    rows = [grade for grade in grades.values() if grade.student_id in known]
    rows += [FinalGrade(student, "", "", "", False, "", None, None, None) for student in not_in_gradebook]
    rows.sort(key=lambda grade: grade.student_id)
    return Export(assignment, column, duedate, max_score, rows,
                  [g.student_id for g in rows if not g.submitted and g.score is not None],
                  not_in_gradebook, not_on_roster)


def _number(value):
    return "" if value is None else f"{value:g}"


def rows(export, layout):
    """The file's rows, header first, in the layout of ``layout`` (one of FORMATS)."""
    if layout == "canvas":
        yield ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", export.column]
        yield ["    Points Possible", "", "", "", "", _number(export.max_score)]
        for grade in export.grades:
            name = f"{grade.last_name}, {grade.first_name}" if grade.last_name else grade.student_id
            yield [name, "", "", grade.student_id, "", _number(grade.score)]
    elif layout == "moodle":
        yield ["First name", "Last name", "Username", "Email address", f"{export.column} (Real)"]
        for grade in export.grades:
            yield [grade.first_name, grade.last_name, grade.student_id, grade.email, _number(grade.score)]
    elif layout == "csv":
        yield NBGRADER_COLUMNS
        for grade in export.grades:
            yield [export.assignment, export.duedate, grade.timestamp, grade.student_id, grade.last_name,
                   grade.first_name, grade.email, _number(grade.raw_score), _number(grade.late_penalty),
                   _number(grade.score), _number(export.max_score)]
    else:
        raise ValueError(f"unknown format {layout!r}; the formats are {', '.join(FORMATS)}")


def write(export, layout, handle):
    writer = csv.writer(handle)
    for row in rows(export, layout):
        writer.writerow(row)
