"""Step 4a: record results in the nbgrader gradebook, as `nbgrader autograde` would.

One writer: only the parent process calls this, one submission at a time, so SQLite never sees two
writers ("database is locked" cannot happen) and a PostgreSQL URL works the same way. For each
graded submission it writes nbgrader's folders (``submitted/`` and ``autograded/``) and the
scores, so an instructor goes on in formgrader (hand grading of written answers) and with
``nbgrader export``. Scores come from nbgrader's ``determine_grade`` on the executed cells; a manual
score a grader already gave is never overwritten (the cell is flagged for review instead).
"""
import datetime
import os
import shutil
import warnings
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from autograder.records import GRADED, Status


def default_db_url(root):
    return f"sqlite:///{Path(root).resolve() / 'gradebook.db'}"


class GradebookWriter:
    def __init__(self, db_url, root, assignment):
        self.root, self.assignment = Path(root), assignment
        self.gradebook = Gradebook(db_url)

    def close(self):
        self.gradebook.close()

    def record(self, result):
        """Store one result; submissions that could not be read leave the gradebook untouched."""
        with warnings.catch_warnings():
            # nbgrader's own update_or_create_submission triggers SQLAlchemy autoflush warnings.
            warnings.simplefilter("ignore", SAWarning)
            self._record(result)

    def _record(self, result):
        if result.status not in GRADED and result.status != Status.MISSING:
            return
        name, student = self.assignment.name, result.student_id
        self.gradebook.update_or_create_student(student)
        when = datetime.datetime.fromtimestamp(result.timestamp or 0, datetime.timezone.utc) \
            if result.timestamp else None
        self.gradebook.update_or_create_submission(name, student, **({"timestamp": when} if when else {}))
        if result.status == Status.MISSING:
            self._zero(student)
            return
        self._write_folders(result)
        notebook = nbformat.reads(result.autograded, as_version=4)
        for cell in notebook.cells:
            if utils.is_grade(cell):
                self._save_grade(cell, student)
            if utils.is_solution(cell) or utils.is_task(cell):
                self._save_comment(cell, student)
        self.gradebook.db.commit()

    def _write_folders(self, result):
        name, student = self.assignment.name, result.student_id
        submitted = self.root / "submitted" / student / name
        target = submitted / f"{self.assignment.notebook}.ipynb"
        if not (result.path and Path(result.path).resolve() == target.resolve()):
            submitted.mkdir(parents=True, exist_ok=True)
            target.write_bytes(result.submitted)
        if result.timestamp:
            when = datetime.datetime.fromtimestamp(result.timestamp, datetime.timezone.utc)
            (submitted / "timestamp.txt").write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
        autograded = self.root / "autograded" / student / name
        if autograded.exists():
            shutil.rmtree(autograded)
        autograded.mkdir(parents=True)
        temporary = autograded / f".{self.assignment.notebook}.ipynb.partial"
        temporary.write_text(result.autograded)
        os.replace(temporary, autograded / f"{self.assignment.notebook}.ipynb")

    def _save_grade(self, cell, student):
        grade = self.gradebook.find_grade(cell.metadata.nbgrader.grade_id, self.assignment.notebook,
                                          self.assignment.name, student)
        grade.auto_score, _ = utils.determine_grade(cell)
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None

    def _save_comment(self, cell, student):
        comment = self.gradebook.find_comment(cell.metadata.nbgrader.grade_id, self.assignment.notebook,
                                              self.assignment.name, student)
        unchanged = cell.metadata.nbgrader.get("checksum") == utils.compute_checksum(cell)
        comment.auto_comment = "No response." if unchanged and not utils.is_task(cell) else None

    def _zero(self, student):
        """A missing notebook scores 0 everywhere, as nbgrader records it."""
        submission = self.gradebook.find_submission_notebook(self.assignment.notebook, self.assignment.name, student)
        for grade in submission.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
        self.gradebook.db.commit()
