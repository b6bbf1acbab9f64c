"""gradebook.py writes scores and comments with nbgrader's own SaveAutoGrades, in one transaction
per submission (nbgrader's step commits after every cell). No kernel: the notebooks are restored,
not run. test_collect.py compares a whole run with `nbgrader autograde`, late penalties included."""
import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import assignment as assignments
from autograder import cli, restore
from autograder.gradebook import GradebookWriter
from autograder.model import Result, Status
from tests.helpers import COURSE
from tests.helpers.assignment_harness import answer_cells, source_notebook
from tests.helpers.classroom import student_notebook

A1 = "a1_recurrence_and_gradients"


def result(student, notebook, spec):
    return Result(student, Status.OK, "", score=spec.max_score, max_score=spec.max_score,
                  autograded=nbformat.writes(notebook), submitted=nbformat.writes(notebook).encode())


@pytest.mark.slow
def test_scores_and_comments_are_nbgraders_and_a_submission_is_recorded_whole(tmp_path):
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    cli.register(COURSE, A1, db)
    spec = assignments.from_gradebook(A1, db)
    answers = {g: s for g, s in answer_cells(source_notebook(A1)).items() if g != "rnn_forward"}  # one left blank
    notebook, _, _ = restore.restore(student_notebook(A1, answers), spec)  # not run: every test has full points

    broken = nbformat.from_dict(nbformat.reads(nbformat.writes(notebook), as_version=4))
    broken.cells.append(nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "grade_id": "test_not_in_the_gradebook", "points": 1}}))
    writer = GradebookWriter(db, tmp_path, spec)
    try:
        with pytest.raises(Exception):
            writer.record(result("mallory", broken, spec))  # its last cell is unknown to the gradebook
        writer.record(result("alice", notebook, spec))
    finally:
        writer.close()

    with Gradebook(db) as gradebook:
        mallory = gradebook.find_submission_notebook(A1, A1, "mallory")
        assert all(grade.auto_score is None for grade in mallory.grades), "a half-recorded submission"
        alice = gradebook.find_submission_notebook(A1, A1, "alice")
        grades = {grade.name: (grade.auto_score, grade.needs_manual_grade) for grade in alice.grades}
        assert grades == {**{t: (p, False) for t, p in spec.tests.items()},
                          **{m: (None, True) for m in spec.manual}}
        comments = {comment.name: comment.auto_comment for comment in alice.comments}
        assert comments["rnn_forward"] == "No response." and comments["hidden_jacobian"] is None
        assert all(comments[m] is None for m in spec.manual)


@pytest.mark.slow
def test_autograded_keeps_nbgraders_records_so_feedback_can_be_released(tmp_path):
    """nbgrader's release_feedback refuses a feedback folder without the submission's timestamp.txt
    and submission_secret.txt, which generate_feedback takes from autograded/ (nbgrader's autograde
    copies them there from submitted/)."""
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    cli.register(COURSE, A1, db)
    spec = assignments.from_gradebook(A1, db)
    notebook, _, _ = restore.restore(student_notebook(A1, answer_cells(source_notebook(A1))), spec)
    submitted = tmp_path / "submitted" / "alice" / A1
    submitted.mkdir(parents=True)
    nbformat.write(notebook, str(submitted / f"{A1}.ipynb"))
    (submitted / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    (submitted / "submission_secret.txt").write_text("a-secret")
    collected = result("alice", notebook, spec)
    collected.path = str(submitted / f"{A1}.ipynb")
    writer = GradebookWriter(db, tmp_path, spec)
    try:
        writer.record(collected)
        (submitted / "submission_secret.txt").unlink()  # a submission nbgrader did not collect has none
        bob = result("bob", notebook, spec)
        bob.timestamp = 1764583200.0  # 2025-12-01 10:00 UTC
        writer.record(bob)
    finally:
        writer.close()
    alice = tmp_path / "autograded" / "alice" / A1
    assert (alice / "timestamp.txt").read_text() == "2026-12-01 10:00:00.000000 UTC"
    assert (alice / "submission_secret.txt").read_text() == "a-secret"
    bob_folder = tmp_path / "autograded" / "bob" / A1
    assert (bob_folder / "timestamp.txt").read_text().startswith("2025-12-01 10:00:00")
    assert not (bob_folder / "submission_secret.txt").exists()
