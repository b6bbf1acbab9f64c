"""nbgrader's feedback (generate_feedback, the formgrader's button) with the course's step in its
pipeline: the tests' results and messages are there, the hidden tests' code is not."""
import re

import nbformat
from nbconvert import HTMLExporter

from autograder.gradebook import nbgrader_config
from autograder.nbgrader_feedback import HideHiddenTests
from tests.helpers import COURSE
from tests.helpers.assignment_harness import source_notebook

ASSIGNMENT = "a1_recurrence_and_gradients"


def _failed_hidden_test():
    """A test cell with hidden tests as the autograded notebook holds it: source restored, and a
    traceback that quotes a hidden line."""
    cell = next(c for c in source_notebook(ASSIGNMENT).cells
                if c.cell_type == "code" and "### BEGIN HIDDEN TESTS" in c.source)
    hidden = re.search(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S).group(1)
    quoted = next(line.strip() for line in hidden.splitlines() if len(line.strip()) > 12)
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="X was changed",
                                           traceback=["Traceback", f"----> 3 {quoted}", "AssertionError: X was changed"])]
    return cell, hidden


def _feedback(cells):
    exporter = HTMLExporter(template_name="classic")
    exporter.register_preprocessor(HideHiddenTests)
    return exporter.from_notebook_node(nbformat.v4.new_notebook(cells=cells))[0]


def test_the_feedback_keeps_the_message_and_drops_every_hidden_line():
    cell, hidden = _failed_hidden_test()
    page = _feedback([cell])
    assert "X was changed" in page
    assert "(hidden tests:" in page
    shown = [line.strip() for line in hidden.splitlines() if len(line.strip()) > 12 and line.strip() in page]
    assert not shown


def test_a_cell_without_hidden_tests_is_left_alone():
    cell = nbformat.v4.new_code_cell("assert 1 + 1 == 2  # a visible test")
    assert "a visible test" in _feedback([cell])


def test_the_course_puts_the_step_into_nbgrader_generate_feedback():
    steps = nbgrader_config(COURSE.root).GenerateFeedback.preprocessors
    assert HideHiddenTests in steps
    assert [s.__name__ for s in steps].index("GetGrades") < steps.index(HideHiddenTests)
