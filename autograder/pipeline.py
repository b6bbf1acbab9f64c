"""The pipeline for one submission: collect (already done) -> restore -> execute -> score.

``grade_submission`` is what every worker runs, in a local process or on a Dask worker: its
inputs and result are plain data, and it touches no shared file, so workers never contend; the
parent process alone writes the gradebook and the reports.
"""
import functools
import os
import time
import warnings

import nbformat

from autograder import collect, execute, restore, score
from autograder.sandbox import Limits, SandboxWarning, isolation_mode


@functools.lru_cache(maxsize=None)
def sandbox_uid():
    """A user id of its own for this worker's kernels (process limits count per user id).

    -1 (keep root, still inside the namespaces) when that user cannot run Python here, e.g. when
    the course was cloned with a umask that makes its files unreadable to others.
    """
    uid = 61000 + os.getpid() % 20000
    if isolation_mode() != "root":
        return -1
    session = execute.Session(Limits(cell_seconds=30), uid)
    try:
        session.run_cell("pass", "probe")
        return uid
    except (execute.KernelDied, execute.KernelTimeout):
        warnings.warn(f"sandbox: user id {uid} cannot run this Python installation (file permissions?); "
                      "student code runs as root inside its namespaces instead", SandboxWarning)
        return -1
    finally:
        session.close()


def grade_submission(assignment, submission, limits=Limits(), uid=None):
    started = time.monotonic()
    result = score.Result(submission.student_id, submission.status, submission.message,
                          max_score=assignment.max_score, submitted=submission.data, path=submission.path,
                          timestamp=submission.timestamp)
    if submission.status != "ok":
        result.items = [(g, 0.0, p) for g, p in assignment.tests.items()]
        return result
    try:
        student, read_notes = collect.parse(submission.data)
    except ValueError as error:
        result.status, result.message = "invalid", str(error)
        result.items = [(g, 0.0, p) for g, p in assignment.tests.items()]
        return result
    notebook, tampered, notes = restore.restore(student, assignment)
    incidents, choices = execute.run_notebook(notebook, set(assignment.tests), assignment.setup, limits,
                                              uid if uid is not None else sandbox_uid(),
                                              read=list(assignment.multiple_choice.values()))
    result.choices = {q: choices.get(a) if choices.get(a) in ("A", "B", "C", "D") else None
                      for q, a in assignment.multiple_choice.items()}
    result.items = score.items(notebook, assignment)
    result.score = sum(s for _, s, _ in result.items if s is not None)
    result.status, result.message = score.status_and_message(incidents, tampered, submission.notes + read_notes + notes)
    result.autograded = nbformat.writes(notebook)
    result.seconds = time.monotonic() - started
    return result
