"""Step 4a: record results in the nbgrader gradebook, as `nbgrader autograde` would.

One writer: only the parent process calls this, one submission at a time, so SQLite never sees two
writers ("database is locked" cannot happen) and a PostgreSQL URL works the same way. For each
graded submission it writes nbgrader's folders (``submitted/`` and ``autograded/``) and the
scores, so an instructor goes on in formgrader (hand grading of written answers) and with
``nbgrader export``. The scores and comments are written by nbgrader's own ``SaveAutoGrades`` step
on the executed cells (``determine_grade``; "No response." for an answer left as released), so the
gradebook gets exactly what ``nbgrader autograde`` writes; a manual score a grader already gave is
never overwritten (the cell is flagged for review instead). One submission is one transaction: it
is recorded whole, or not at all.

Late submissions: the submission time recorded is the submission's own (see collect.py), and the
late penalty is nbgrader's: its ``AssignLatePenalties`` step runs with the course's nbgrader
configuration (``LateSubmissionPlugin.penalty_method``, or a plugin of the course's own), exactly as
``nbgrader autograde`` runs it after saving the scores.
"""
import datetime
import logging
import os
import shutil
import warnings
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.apps.baseapp import NbGrader
from nbgrader.exchange.abc.exchange import Exchange
from nbgrader import preprocessors
from nbgrader.preprocessors import AssignLatePenalties, NbGraderPreprocessor
from nbgrader.coursedir import CourseDirectory
from sqlalchemy.exc import SAWarning
from traitlets.config import Application

from autograder.model import GRADED, Item, Status

# nbgrader's steps log what they record (each penalty the late plugin assigns, say); the message of
# the result says what matters instead.
QUIET = logging.getLogger("autograder.gradebook")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False
TIMESTAMP_FORMAT = Exchange.timestamp_format.default_value  # what nbgrader writes in timestamp.txt
NBGRADER_RECORDS = ("timestamp.txt", "submission_secret.txt")  # written by nbgrader's submit and collect


def default_db_url(root):
    return f"sqlite:///{Path(root).resolve() / 'gradebook.db'}"


def nbgrader_config(root):
    """The configuration `nbgrader autograde --CourseDirectory.root=ROOT` run from here would use:
    nbgrader_config.py from Jupyter's config folders and the current folder, then the course root's,
    loaded in the order ``NbGrader.initialize`` loads them."""
    app = NbGrader()
    app.load_config_file()
    Application.load_config_file(app, "nbgrader_config.py", path=str(Path(root).resolve()))
    return app.config


def _replace(path, data):
    """Write ``data`` to ``path`` through a new file: a link left at ``path`` is replaced, never written through."""
    temporary = path.with_name(f".{path.name}.partial")
    temporary.unlink(missing_ok=True)
    temporary.write_bytes(data)
    os.replace(temporary, path)


class SaveAutoGrades(preprocessors.SaveAutoGrades):
    """nbgrader's SaveAutoGrades, on the writer's open gradebook rather than a connection of its own,
    and with its commits (one per cell) left to the writer, which commits the submission once."""

    def __init__(self, gradebook, **kwargs):
        super().__init__(**kwargs)
        self.writer_gradebook = gradebook

    def preprocess(self, nb, resources):
        # nbgrader's SaveAutoGrades.preprocess, with our gradebook in place of Gradebook(db_url).
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.gradebook = _Uncommitted(self.writer_gradebook)
        return NbGraderPreprocessor.preprocess(self, nb, resources)


class _Uncommitted:
    """A gradebook whose ``db.commit()`` only flushes: the transaction stays the writer's."""

    def __init__(self, gradebook):
        self._gradebook = gradebook
        self.db = _Flushing(gradebook.db)

    def __getattr__(self, name):
        return getattr(self._gradebook, name)


class _Flushing:
    def __init__(self, session):
        self._session = session

    def commit(self):
        self._session.flush()

    def __getattr__(self, name):
        return getattr(self._session, name)


def _timestamp_text(result):
    """When ``result`` was submitted, as nbgrader writes it in timestamp.txt."""
    when = datetime.datetime.fromtimestamp(result.timestamp, datetime.timezone.utc)
    return when.strftime(TIMESTAMP_FORMAT).encode()


def _duration(seconds):
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    return (f"{days} d " if days else "") + f"{hours} h {rest // 60} min"


class GradebookWriter:
    def __init__(self, db_url, root, assignment, config=None):
        self.root, self.assignment, self.db_url = Path(root), assignment, db_url
        self.config = nbgrader_config(root) if config is None else config
        # nbgrader's folders (submitted/, autograded/ and their layout) as this course configures them.
        self.folders = CourseDirectory(config=self.config, root=str(self.root.resolve()))
        self.gradebook = Gradebook(db_url)

    def close(self):
        self.gradebook.close()

    def record(self, result):
        """Store one result; submissions that could not be read leave the gradebook untouched.

        When storing fails, ``result`` itself becomes an error (score 0, the message says what it
        scored and why it was not recorded) before the exception goes on: grades.csv is written from
        the same results, so it never shows a grade the gradebook does not have.
        """
        try:
            with warnings.catch_warnings():
                # nbgrader's own update_or_create_submission triggers SQLAlchemy autoflush warnings.
                warnings.simplefilter("ignore", SAWarning)
                self._record(result)
        except Exception as error:
            try:
                self.gradebook.db.rollback()
            except Exception:  # noqa: BLE001 - a dead connection; the original error is the one to report
                pass
            scored = f" (it scored {result.score:g} / {result.max_score:g})" if result.status in GRADED else ""
            result.status, result.score = Status.ERROR, 0.0
            result.items = [Item(g, 0.0, p) for g, p in self.assignment.tests.items()]
            result.message = (f"not recorded in the gradebook{scored}: {type(error).__name__}: {str(error)[:200]}; "
                              "fix the cause and grade it again")
            raise

    def _record(self, result):
        if result.status not in GRADED and result.status != Status.MISSING:
            return
        name, student = self.assignment.name, result.student_id
        notebook = None
        if result.status != Status.MISSING:  # what can fail outside the database, before touching it
            notebook = nbformat.reads(result.autograded, as_version=4)
            self._write_folders(result)
        self.gradebook.update_or_create_student(student)
        when = datetime.datetime.fromtimestamp(result.timestamp, datetime.timezone.utc) if result.timestamp else None
        self.gradebook.update_or_create_submission(name, student, **({"timestamp": when} if when else {}))
        if result.status == Status.MISSING:
            self._zero(student)
            return
        resources = {"nbgrader": {"notebook": self.assignment.notebook, "assignment": name, "student": student}}
        SaveAutoGrades(self.gradebook, log=QUIET).preprocess(notebook, resources)
        self.gradebook.db.commit()
        self._late_penalty(notebook, result)

    def _late_penalty(self, notebook, result):
        """Run nbgrader's AssignLatePenalties as `nbgrader autograde` does after saving the scores.

        It asks the configured plugin for a late submission's penalty (capped to the score) and
        resets the penalty to none for one on time. When the submission is on time and has no
        penalty, that step would change nothing, so it is skipped (it opens a connection of its own).
        """
        name, student, notebook_id = self.assignment.name, result.student_id, self.assignment.notebook
        late = self.gradebook.find_submission(name, student).total_seconds_late
        if late <= 0 and self.gradebook.find_submission_notebook(
                notebook_id, name, student).late_submission_penalty is None:
            return
        self.gradebook.db.commit()  # ends our transaction: nbgrader writes on its own connection
        resources = {"nbgrader": {"notebook": notebook_id, "assignment": name, "student": student,
                                  "db_url": self.db_url}}
        AssignLatePenalties(config=self.config, log=QUIET).preprocess(notebook, resources)
        self.gradebook.db.expire_all()
        penalty = self.gradebook.find_submission_notebook(notebook_id, name, student).late_submission_penalty
        if penalty:
            note = (f"submitted {_duration(late)} late: a late penalty of {penalty:g} points is recorded in "
                    f"the gradebook (score after the penalty: {max(0.0, result.score - penalty):g})")
            result.message = f"{result.message}; {note}" if result.message else note

    def _write_folders(self, result):
        name, student = self.assignment.name, result.student_id
        folders = self.folders
        submitted = Path(folders.format_path(folders.submitted_directory, student, name))
        target = submitted / f"{self.assignment.notebook}.ipynb"
        source = Path(result.path) if result.path else None
        # Folders compared resolved, file names as they are: a link at target is not the source.
        if not (source and source.parent.resolve() / source.name == target.parent.resolve() / target.name):
            submitted.mkdir(parents=True, exist_ok=True)
            _replace(target, result.submitted)
            # This copy is the grader's, so it records when the submission was made, as nbgrader's
            # collect does. A notebook already in this folder (graded in submitted/ itself) has
            # nbgrader's own timestamp.txt, which is the submission's record and is never rewritten.
            if not (source and source.parent.resolve().is_relative_to(submitted.resolve())):
                stamp = submitted / "timestamp.txt"
                if result.timestamp:
                    _replace(stamp, _timestamp_text(result))
                else:  # an earlier submission's time would be wrong for this copy
                    stamp.unlink(missing_ok=True)
        autograded = Path(folders.format_path(folders.autograded_directory, student, name))
        if autograded.exists():
            shutil.rmtree(autograded)
        autograded.mkdir(parents=True)
        temporary = autograded / f".{self.assignment.notebook}.ipynb.partial"
        temporary.write_text(result.autograded)
        os.replace(temporary, autograded / f"{self.assignment.notebook}.ipynb")
        # nbgrader's autograde copies the submission's folder here; of it, generate_feedback and
        # release_feedback need nbgrader's records: when it was submitted, and the secret that names
        # the feedback file only its student can fetch. (The student's other files are not needed.)
        for record in NBGRADER_RECORDS:
            source = submitted / record
            if source.is_file() and not source.is_symlink():
                _replace(autograded / record, source.read_bytes()[:4096])
        if not (autograded / "timestamp.txt").exists() and result.timestamp:
            _replace(autograded / "timestamp.txt", _timestamp_text(result))

    def _zero(self, student):
        """A missing notebook scores 0 everywhere, as nbgrader records it."""
        submission = self.gradebook.find_submission_notebook(self.assignment.notebook, self.assignment.name, student)
        for grade in submission.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
        self.gradebook.db.commit()
