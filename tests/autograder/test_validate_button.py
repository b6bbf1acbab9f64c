"""A student opens an assignment in JupyterLab, presses nbgrader's Validate, and reads the result.

Driven in Debian's chromium by playwright (the ``browser`` and ``open_page`` fixtures in conftest.py).
"""
import shutil
from pathlib import Path

import nbformat
import pytest

from tests.helpers.assignment_harness import solved_student_version
from tests.helpers.lab_server import TOKEN, free_port, isolated_env, lab_command, press_validate, running
from tests.helpers import COURSE

ROOT = COURSE.root
ASSIGNMENT = "a1_recurrence_and_gradients"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving two copies of the student notebook: as released, and with solutions filled in."""
    folder = tmp_path_factory.mktemp("student")
    released = ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    shutil.copy(released, folder / "released.ipynb")
    nbformat.write(solved_student_version(ASSIGNMENT, released), str(folder / "solved.ipynb"))
    port = free_port()
    command = lab_command(port, folder)
    with running(command, port, folder, isolated_env(folder / ".state")) as base:
        yield base


def validate(open_page, base, notebook):
    """Open ``notebook``, press Validate, and return the text of the result dialog."""
    page = open_page(1400, 900)
    # a workspace of its own per notebook, so no tab restored from an earlier page gets in the way
    page.goto(f"{base}/lab/workspaces/{Path(notebook).stem}/tree/{notebook}?token={TOKEN}")
    return press_validate(page)


@pytest.mark.slow
def test_validate_reports_the_failing_cells_of_an_unanswered_assignment(lab, open_page):
    result = validate(open_page, lab, "released.ipynb")
    assert "The following cell failed" in result
    assert "NotImplementedError" in result and "answer_q1" in result


@pytest.mark.slow
def test_validate_passes_a_solved_assignment(lab, open_page):
    result = validate(open_page, lab, "solved.ipynb")
    assert "Success! Your notebook passes all the tests." in result, result[:2000]
