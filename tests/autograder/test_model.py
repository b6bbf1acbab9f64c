"""The grading contract's rules in autograder/model.py, each stated once and used by the grader,
the in-process harness and the report: which question a test cell belongs to, the multiple-choice
convention, statuses and items."""
import re

import nbformat
import pytest

from autograder import assignment as assignments
from autograder import model
from autograder.model import Item, Status
from tests.helpers import assignment_harness, tiny_assignment

ANSWERS = ["f", "f_and_g", "answer_q1", "softmax"]


@pytest.mark.parametrize("test_id, question", [
    ("test_f", "f"),
    ("test_f_shape", "f"),
    ("test_f_and_g", "f_and_g"),            # not f: the longest answer that fits wins
    ("test_f_and_g_values", "f_and_g"),
    ("test_fx", "fx"),                      # no answer fits (f needs test_f or test_f_...): the name
    ("test_answer_q1", "answer_q1"),
    ("test_softmax_any_axis", "softmax"),
    ("test_attention", "attention"),
    ("free_response", "free_response"),     # not a test_ name at all: itself
])
def test_question_of(test_id, question):
    assert model.question_of(test_id, ANSWERS) == question
    assert model.question_of(test_id, reversed(ANSWERS)) == question, "the order of the answers does not matter"


def test_question_of_without_answers_is_the_name_without_test_():
    assert model.question_of("test_f_and_g_values") == "f_and_g_values"


def test_one_rule_for_the_grader_and_the_harness():
    """Assignment.question_of (grader, feedback, report) and the harness's ``only=`` and
    function_score group every test cell of every assignment the same way, into its answer cells."""
    for name in assignments.available():
        spec = assignments.from_solutions(name)
        for test_id in spec.tests:
            assert spec.question_of(test_id) == assignment_harness.question(name, test_id), (name, test_id)
        questions = {spec.question_of(t) for t in spec.tests}
        assert questions == set(spec.answers), f"{name}: a test cell named after no answer cell, or an answer untested"


def test_the_harness_keeps_overlapping_names_apart(monkeypatch):
    """function_score once matched test_<name> as a prefix: test_f_and_g counted for f."""
    monkeypatch.setattr(assignment_harness, "_answers", lambda _: tuple(tiny_assignment.assignment().answers))
    scores = {"test_f": (1.0, 1.0), "test_f_and_g": (0.0, 2.0)}
    assert assignment_harness.function_score("tiny", scores, "f") == (1.0, 1.0)
    assert assignment_harness.function_score("tiny", scores, "f_and_g") == (0.0, 2.0)
    with pytest.raises(KeyError):
        assignment_harness.function_score("tiny", scores, "g")


def test_the_reports_default_rule_is_the_models():
    from autograder import report

    for test_id in ("test_softmax", "test_f_and_g_values", "essay"):
        assert report.default_question_of(test_id) == model.question_of(test_id)


# -- multiple choice ----------------------------------------------------------------------------

def test_multiple_choice_cells():
    assert model.choice_question("answer_q1") == "q1" and model.choice_question("answer_q12") == "q12"
    for grade_id in ("answer", "answer_", "softmax", "test_answer_q1", "answer_x", None, 5):
        assert model.choice_question(grade_id) is None, grade_id
    assert model.choice_cell("q1") == "answer_q1" and model.choice_question(model.choice_cell("q7")) == "q7"


@pytest.mark.parametrize("value, choice", [
    ("A", "A"), ("D", "D"), ("E", None), ("b", None), ("AB", None), ("", None), (None, None), (1, None),
    (["A"], None), (" A", None),
])
def test_a_choice_is_one_letter(value, choice):
    assert model.as_choice(value) == choice


@pytest.mark.parametrize("source, letter", [
    ('assert answer_q1 == "C"', "C"),
    ("assert answer_q1=='A'", "A"),
    ('assert isinstance(answer_q1, str)\n### BEGIN HIDDEN TESTS\nassert answer_q1 == "D"\n', "D"),
    ('assert answer_q1 == "E"', None),
    ('assert answer_q10 == "A"', None),
    ('assert answer_q1 in ("A", "B", "C", "D")', None),
])
def test_the_accepted_letter_is_read_from_the_test(source, letter):
    assert model.accepted_choice("q1", source) == letter


def test_every_assignments_multiple_choice_questions():
    """Each question's accepted letter is the one the instructor's solution gives, and a letter."""
    for name in assignments.available():
        spec = assignments.from_solutions(name)
        solutions = assignment_harness.answer_cells(assignment_harness.source_notebook(name))
        for question, answer in spec.multiple_choice.items():
            given = re.search(r'=\s*"(.)"', solutions[answer]).group(1)
            assert spec.correct_choice(question) == given and given in model.CHOICES, (name, question)
    assert sum(len(assignments.from_solutions(n).multiple_choice) for n in assignments.available()) >= 3
    tiny = tiny_assignment.assignment()
    assert tiny.multiple_choice == {"q1": "answer_q1"} and tiny.correct_choice("q1") == "C"


# -- cells, statuses and items ------------------------------------------------------------------

@pytest.mark.parametrize("metadata, expected", [
    ({"nbgrader": {"grade": True, "solution": False, "grade_id": "test_f", "points": 1}}, True),
    ({"nbgrader": {"grade": True, "solution": True, "grade_id": "essay", "points": 1}}, False),  # graded by hand
    ({"nbgrader": {"grade": False, "solution": True, "grade_id": "f"}}, False),
    ({"nbgrader": {"grade": True, "solution": False, "points": 1}}, False),  # no grade_id
    ({"nbgrader": {"grade": True, "solution": False, "grade_id": ["test_f"], "points": 1}}, False),
    ({"nbgrader": {"grade": True, "solution": False, "grade_id": "", "points": 1}}, False),
    ({"nbgrader": 5}, False),
    ({"nbgrader": "test_f"}, False),
    (None, False),
])
def test_is_test_reads_any_cell_with_nbgraders_rules(metadata, expected):
    cell = {"cell_type": "code", "source": "", "metadata": metadata, "outputs": []}
    assert assignments.is_test(cell) is expected
    assert assignments.is_test(nbformat.from_dict(cell)) is expected
    assert assignments.is_test({**cell, "cell_type": "markdown"}) is False
    assert assignments.is_test(5) is False


def test_statuses_are_the_strings_of_grades_csv():
    assert [str(s) for s in Status] == ["error", "invalid", "missing", "timeout", "crashed", "tampered", "ok"]
    assert Status("tampered") is Status.TAMPERED and Status.OK == "ok"
    assert model.GRADED == {Status.OK, Status.TAMPERED, Status.TIMEOUT, Status.CRASHED}


def test_an_item_is_a_typed_record():
    item = Item("test_f", None, 2.0)
    assert (item.grade_id, item.score, item.max_score) == ("test_f", None, 2.0)
    assert item._fields == ("grade_id", "score", "max_score")
