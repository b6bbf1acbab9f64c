"""Releasing and grading leave the committed course alone: the one release path, and a grading run
that records a new assignment in the gradebook without writing the student version students have.

Each test works on a copy of the course (course.toml, nbgrader_config.py, one assignment), so the
repository's own folders are never touched even when a test fails.
"""
import shutil

import nbformat
import pytest

from autograder import assignment as assignments
from autograder import cli
from coursetools import notebooks
from coursetools.course import Course
from tests.helpers import COURSE

A1 = "a1_recurrence_and_gradients"
pytestmark = pytest.mark.slow  # each runs nbgrader generate_assignment (a few seconds)


@pytest.fixture
def course(tmp_path):
    """A copy of the course with assignment 1 only."""
    root = tmp_path / "course"
    root.mkdir()
    for name in ("course.toml", "nbgrader_config.py"):
        shutil.copy(COURSE.root / name, root)
    for folder in (COURSE.solutions, COURSE.released):
        shutil.copytree(folder / A1, root / folder.name / A1)
    return Course(root)


def files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_new_assignment_is_recorded_without_rewriting_the_student_version(course, tmp_path):
    before = files(course.released)
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    cli.register(course, A1, db)
    assert files(course.released) == before
    spec = assignments.from_gradebook(A1, db, course)
    assert spec.tests and set(spec.tests) <= set(spec.pristine)


def test_grading_refuses_a_student_version_that_is_out_of_date_with_the_solution(course, tmp_path):
    path = course.student_version(A1)
    student = nbformat.read(str(path), as_version=4)
    test_cell = next(c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_"))
    test_cell.source += "\nassert True  # changed by hand"
    nbformat.write(student, str(path))
    before = files(course.released)
    with pytest.raises(cli.BadInput, match="out of date.*release it first"):
        cli.register(course, A1, f"sqlite:///{tmp_path / 'gradebook.db'}")
    assert files(course.released) == before


def test_release_executes_a_solution_only_when_its_twin_changed(course, monkeypatch):
    executed = []
    monkeypatch.setattr(notebooks, "build", lambda path, timeout=600: executed.append(path) or 0.0)
    monkeypatch.chdir(course.root)
    monkeypatch.delenv("R2A_COURSE", raising=False)
    course.student_version(A1).unlink()
    assert cli.release([A1]) == 0
    assert executed == [] and course.student_version(A1).exists()  # the twins agree: nothing to execute
    solution = course.solution(A1)
    solution.write_text(solution.read_text() + "\n# %%\nprint('one more cell')\n")
    assert notebooks.check_pair(solution)
    assert cli.release([A1]) == 0
    assert executed == [solution]
