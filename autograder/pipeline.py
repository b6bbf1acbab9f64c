"""The pipeline for one submission: collect (already done) -> restore -> execute -> score.

``grade_submission`` is what every worker runs, in a local process or on a Dask worker: its
inputs and result are plain data, and it touches no shared file, so workers never contend; the
parent process alone writes the gradebook and the reports. Whatever goes wrong while grading one
submission becomes that submission's ``error`` status: it never stops the class.
"""
import time
import traceback

import nbformat

from autograder import collect, restore, runner, score
from autograder.model import Item, Result, Status, as_choice
from autograder.sandbox import Limits
from autograder.sanitize import sanitize_notebook
from autograder.timing import Stopwatch


def failed_result(assignment, submission, status, message, details=""):
    """A result with 0 for every test, for a submission that could not be graded."""
    return Result(submission.student_id, Status(status), message, max_score=assignment.max_score,
                  items=[Item(g, 0.0, p) for g, p in assignment.tests.items()],
                  choices={q: None for q in assignment.multiple_choice}, submitted=submission.data,
                  path=submission.path, timestamp=submission.timestamp, details=details)


def grade_submission(assignment, submission, limits=None, uid=None):
    limits = limits or Limits()
    started = time.monotonic()
    try:
        result = _grade(assignment, submission, limits, uid)
    except Exception as error:  # noqa: BLE001 - one submission's failure is that submission's status
        first_line = (str(error).splitlines() or [""])[0][:300]
        result = failed_result(assignment, submission, Status.ERROR,
                               f"the grader could not grade this notebook ({type(error).__name__}: {first_line}); "
                               "nothing was recorded for it, grade it again after a fix (see the log)",
                               traceback.format_exc())
    result.seconds = time.monotonic() - started
    return result


def _grade(assignment, submission, limits, uid):
    if submission.status != Status.OK:
        return failed_result(assignment, submission, submission.status, submission.message)
    timings = Stopwatch()
    with timings.step("restore"):
        try:
            student, read_notes = collect.parse(submission.data)
        except ValueError as error:
            return failed_result(assignment, submission, Status.INVALID, str(error))
        notebook, tampered, notes = restore.restore(student, assignment)
    incidents, choices = runner.run_notebook(notebook, assignment, limits, uid, timings)
    with timings.step("scoring"):
        result = Result(submission.student_id, Status.OK, "", max_score=assignment.max_score,
                        submitted=submission.data, path=submission.path, timestamp=submission.timestamp)
        result.choices = {q: as_choice(choices.get(a)) for q, a in assignment.multiple_choice.items()}
        result.items = score.items(notebook, assignment)
        result.score = sum(item.score for item in result.items if item.score is not None)
        result.status, result.message = score.status_and_message(incidents, tampered,
                                                                 submission.notes + read_notes + notes)
        sanitize_notebook(notebook)  # what instructors open is inert (sanitize.py)
        result.autograded = nbformat.writes(notebook)
    result.timings = dict(timings)
    return result
