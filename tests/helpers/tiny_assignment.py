"""A small assignment built in memory, for unit tests of the grading rules (restore, score, model)
that need no course files, no gradebook, no kernel and no sandbox.

Its cells, in order (grade_ids; the released version as nbgrader's generate_assignment leaves it,
with its checksums, and the pristine sources the gradebook would hold):

    intro            markdown, locked
    imports          code, locked (a setup cell)
    f                code, the student's answer
    test_f           code, test, 1 point, with hidden tests
    f_and_g          code, the student's answer (a name that starts like ``f``)
    test_f_and_g     code, test, 2 points
    answer_q1        code, the student's answer to a multiple-choice question
    test_answer_q1   code, test, 1 point, accepts "C" (hidden)
    essay            markdown, task, 3 points, graded by hand
"""
import copy

import nbformat
from nbgrader.preprocessors import ComputeChecksums
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder import assignment as assignments

NAME = "tiny"
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
HIDDEN = "### BEGIN HIDDEN TESTS\nassert f(2) == 3\n### END HIDDEN TESTS"
HIDDEN_Q1 = '### BEGIN HIDDEN TESTS\nassert answer_q1 == "C"\n### END HIDDEN TESTS'
SOLUTIONS = {"f": "def f(x):\n    return x + 1", "f_and_g": "def f_and_g(x):\n    return f(x), x",
             "answer_q1": 'answer_q1 = "C"'}
BLANK = "# YOUR CODE HERE\nraise NotImplementedError()"


def _meta(grade_id, kind, cell_type, points=None):
    meta = {"grade": kind in ("test",), "grade_id": grade_id, "locked": kind in ("locked", "test", "task"),
            "schema_version": 3, "solution": kind == "answer", "task": kind == "task", "cell_type": cell_type}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta, "deletable": False, **({} if kind == "answer" else {"editable": False})}


def released():
    """The student version, as released (a fresh copy each time)."""
    cells = [
        new_markdown_cell("# Tiny\n\nAnswer every question.", metadata=_meta("intro", "locked", "markdown")),
        new_code_cell("import math", metadata=_meta("imports", "locked", "code")),
        new_code_cell(BLANK, metadata=_meta("f", "answer", "code")),
        new_code_cell("assert f(1) == 2", metadata=_meta("test_f", "test", "code", 1)),
        new_code_cell(BLANK, metadata=_meta("f_and_g", "answer", "code")),
        new_code_cell("assert f_and_g(1) == (2, 1)", metadata=_meta("test_f_and_g", "test", "code", 2)),
        new_code_cell(BLANK, metadata=_meta("answer_q1", "answer", "code")),
        new_code_cell('assert answer_q1 in ("A", "B", "C", "D")', metadata=_meta("test_answer_q1", "test", "code", 1)),
        new_markdown_cell("Explain, in a paragraph.", metadata=_meta("essay", "task", "markdown", 3)),
    ]
    for index, cell in enumerate(cells):
        cell.id = f"cell-{index}"
    notebook = new_notebook(cells=cells, metadata={"kernelspec": dict(KERNELSPEC)})
    notebook, _ = ComputeChecksums().preprocess(notebook, {})
    return notebook


def pristine():
    """{grade_id: source} of the locked cells, as the gradebook holds them (hidden tests included)."""
    sources = {assignments.nbgrader_meta(c)["grade_id"]: c.source for c in released().cells}
    sources["test_f"] += "\n" + HIDDEN
    sources["test_answer_q1"] += "\n" + HIDDEN_Q1
    sources["essay"] += "\n\n### BEGIN MARK SCHEME\nA good answer says why.\n### END MARK SCHEME"
    return sources


def assignment():
    return assignments._build(NAME, released(), pristine())


def submission(answers=None):
    """The released notebook with ``answers`` ({grade_id: source}; by default the solutions) typed in."""
    notebook = copy.deepcopy(released())
    answers = SOLUTIONS if answers is None else answers
    for cell in notebook.cells:
        grade_id = assignments.nbgrader_meta(cell).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def cell(notebook, grade_id):
    """The cell of ``notebook`` that carries ``grade_id`` (the first)."""
    return next(c for c in notebook.cells if assignments.nbgrader_meta(c).get("grade_id") == grade_id)


def reads(notebook):
    """``notebook`` written and read back, as a submission arrives (nbformat NotebookNodes)."""
    return nbformat.reads(nbformat.writes(notebook), as_version=4)
