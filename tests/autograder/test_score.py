"""score.py rule by rule, on a small in-memory assignment (tests/helpers/tiny_assignment.py), with
made-up outputs in place of execution: no kernel, no sandbox."""
import nbformat
import pytest

from autograder import restore, score
from autograder.model import Incident, Item, Status
from tests.helpers import tiny_assignment as tiny
from tests.helpers.tiny_assignment import cell

ERROR = nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=[])
STDERR = nbformat.v4.new_output("stream", name="stderr", text="a warning\n")
STDOUT = nbformat.v4.new_output("stream", name="stdout", text="hello\n")


@pytest.fixture(scope="module")
def spec():
    return tiny.assignment()


def graded(spec, outputs=None, notebook=None):
    """The restored notebook, with ``outputs`` ({test grade_id: [outputs]}) as if it had run."""
    notebook, _, _ = restore.restore(notebook or tiny.submission(), spec)
    for grade_id, given in (outputs or {}).items():
        cell(notebook, grade_id).outputs = given
    return notebook


def test_nbgraders_rule_full_points_unless_an_error_or_stderr(spec):
    items = score.items(graded(spec, {"test_f": [STDOUT], "test_f_and_g": [ERROR], "test_answer_q1": [STDERR]}), spec)
    assert items == [Item("test_f", 1.0, 1.0), Item("test_f_and_g", 0.0, 2.0), Item("test_answer_q1", 0.0, 1.0),
                     Item("essay", None, 3.0)]
    assert all(isinstance(i, Item) for i in items)


def test_partial_credit_is_nbgraders_and_never_more_than_the_points(spec):
    half = nbformat.v4.new_output("execute_result", data={"text/plain": "0.5"}, execution_count=1)
    lots = nbformat.v4.new_output("execute_result", data={"text/plain": "7"}, execution_count=1)
    rows = {i.grade_id: i.score for i in score.items(graded(spec, {"test_f": [half], "test_f_and_g": [lots]}), spec)}
    assert rows["test_f"] == 0.5 and rows["test_f_and_g"] == 0.0  # nbgrader refuses more than the points


def test_the_points_are_the_assignments_not_the_notebooks(spec):
    notebook = graded(spec)
    cell(notebook, "test_f").metadata["nbgrader"]["points"] = 1000  # after restore: score.items holds anyway
    rows = score.items(notebook, spec)
    assert {i.grade_id: i.max_score for i in rows} == {"test_f": 1.0, "test_f_and_g": 2.0, "test_answer_q1": 1.0,
                                                       "essay": 3.0}


def test_a_missing_test_scores_zero_after_the_others_and_copies_count_once(spec):
    notebook = graded(spec)
    notebook.cells = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_f"]
    notebook.cells.append(nbformat.from_dict(cell(notebook, "test_answer_q1")))
    rows = score.items(notebook, spec)
    assert [i.grade_id for i in rows] == ["test_f_and_g", "test_answer_q1", "test_f", "essay"]
    assert rows[2] == Item("test_f", 0.0, 1.0)


def test_a_test_that_is_not_a_code_cell_earns_nothing(spec):
    notebook = graded(spec)
    cell(notebook, "test_f").cell_type = "markdown"
    assert score.items(notebook, spec)[0] == Item("test_f", 0.0, 1.0)


def test_points_by_question_keep_overlapping_names_apart(spec):
    items = [Item("test_f", 1.0, 1.0), Item("test_f_and_g", 0.0, 2.0), Item("test_answer_q1", 1.0, 1.0),
             Item("essay", None, 3.0)]
    assert score.by_question(items, spec) == {"f": (1.0, 1.0, ()), "f_and_g": (0.0, 2.0, ("test_f_and_g",)),
                                              "answer_q1": (1.0, 1.0, ())}


def test_status_and_message(spec):
    assert score.status_and_message([], [], []) == (Status.OK, "")
    assert score.status_and_message([], [], ["renamed"]) == (Status.OK, "renamed")
    status, message = score.status_and_message([], ["cell test_f was edited"], ["renamed"])
    assert status == Status.TAMPERED and message == "tests restored: cell test_f was edited | renamed"
    timeout, crash = Incident(Status.TIMEOUT, "cell 3", "stopped"), Incident(Status.CRASHED, "cell 5", "died")
    assert score.status_and_message([crash], ["x"], []) == (Status.CRASHED, "tests restored: x | cell 5: died")
    assert score.status_and_message([crash, timeout], [], [])[0] == Status.TIMEOUT  # grades.csv's precedence
