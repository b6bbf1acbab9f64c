"""A synthetic class: student notebooks made from the student version with answers typed in.

Each student answers each question with the instructor's solution, one of the alternative correct
answers or one of the known mistakes in tests/helpers/assignment_variants, or leaves it unanswered, chosen
by a seeded generator: the same seed gives the same class. Used by the autograder tests and by
`make bench-grade`.
"""
import importlib
from pathlib import Path

import nbformat
import numpy as np

from tests.helpers import COURSE
from tests.helpers.assignment_harness import answer_cells, nbgrader_meta, source_notebook


def variants(assignment):
    module = importlib.import_module(f"tests.helpers.assignment_variants.{assignment}")
    return module.CORRECT, module.WRONG


def answers_for(assignment, rng):
    """{answer grade_id: source} for one student, and the kinds chosen (for debugging)."""
    correct, wrong = variants(assignment)
    solutions = answer_cells(source_notebook(assignment))
    chosen = {}
    for grade_id, solution in solutions.items():
        kind = rng.choice(["solution", "correct", "wrong", "wrong", "blank"])
        pool = {"correct": correct.get(grade_id, {}), "wrong": wrong.get(grade_id, {})}.get(kind, {})
        if pool:
            chosen[grade_id] = pool[sorted(pool)[rng.integers(len(pool))]]
        elif kind != "blank":
            chosen[grade_id] = solution
    return chosen


def student_notebook(assignment, answers):
    """The released notebook with ``answers`` ({grade_id: source}) in its answer cells."""
    notebook = nbformat.read(str(COURSE.student_version(assignment)), as_version=4)
    for cell in notebook.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def make_class(assignment, folder, students=40, seed=0):
    """Write ``folder/student-NN/<assignment>.ipynb`` for ``students`` students; returns the folder."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    for index in range(students):
        target = folder / f"student-{index:02d}"
        target.mkdir(parents=True, exist_ok=True)
        notebook = student_notebook(assignment, answers_for(assignment, rng))
        nbformat.write(notebook, str(target / f"{assignment}.ipynb"))
    return folder
