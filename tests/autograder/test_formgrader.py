"""An instructor releases the assignments, opens Nbgrader > Formgrader in JupyterLab, and finds all four there.

Driven in Debian's chromium by playwright (the ``browser`` and ``open_page`` fixtures in conftest.py).
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.helpers.lab_server import TOKEN, free_port, isolated_env, lab_command, running
from tests.helpers import COURSE

ROOT = COURSE.root
VENV_BIN = Path(sys.executable).parent  # the course environment, which the tests run from
ASSIGNMENTS = COURSE.assignment_ids


def points(assignment):
    """The points an assignment is worth: the sum over its graded cells, as nbgrader counts them."""
    notebook = nbformat.read(str(ROOT / "solutions" / assignment / f"{assignment}.ipynb"), as_version=4)
    cells = [cell.metadata.get("nbgrader", {}) for cell in notebook.cells]
    return sum(cell.get("points", 0) for cell in cells if cell.get("grade") or cell.get("task"))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab at the root of a fresh copy of the course, after the instructor quick start's release step."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for folder in ("solutions", "assignments"):  # nbgrader's source and release folders (nbgrader_config.py)
        shutil.copytree(ROOT / folder, course / folder)
    env = COURSE.tool_env(isolated_env(course / ".state"))
    # The README's `python -m autograder release` runs `nbgrader generate_assignment NAME --force` in the
    # repository for each assignment; here the same runs once for all four, in the copy. It records them in
    # the gradebook, which Manual Grading lists (Manage Assignments would list solutions/ without it).
    subprocess.run([str(VENV_BIN / "nbgrader"), "generate_assignment", "*", "--force", "--log-level=WARN"],
                   cwd=course, env=env, check=True, timeout=120)
    port = free_port()
    command = lab_command(port, course)
    with running(command, port, course, env) as base:
        yield base


def open_formgrader(open_page, base):
    """Nbgrader > Formgrader, as an instructor opens it; returns the page and the formgrader's frame."""
    page = open_page(1400, 900)
    page.goto(f"{base}/lab/workspaces/formgrader?token={TOKEN}")
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Nbgrader$")).click(timeout=60_000)
    page.locator(".lm-Menu-item:visible", has_text=re.compile(r"^Formgrader$")).click()
    # the formgrader is its own web page, shown in an iframe in a JupyterLab tab
    return page, page.frame_locator("iframe[src*='/formgrader']")


def table_rows(formgrader, heading):
    """The rows of the table on the formgrader page titled ``heading``, once the server has filled them in."""
    formgrader.locator("h1", has_text=heading).wait_for(timeout=60_000)  # after a click, the new page
    rows = formgrader.locator("table tbody tr")
    rows.first.locator("td a").first.wait_for(timeout=60_000)  # the rows are drawn all at once, from the server
    return rows.all()


def column(rows, index):
    return [row.locator("td").nth(index).inner_text().strip() for row in rows]


@pytest.mark.slow
def test_manage_assignments_lists_the_four_assignments(lab, open_page):
    page, formgrader = open_formgrader(open_page, lab)
    rows = table_rows(formgrader, "Manage Assignments")
    assert column(rows, 0) == ASSIGNMENTS
    assert page.console_errors == []


@pytest.mark.slow
def test_manual_grading_lists_the_released_assignments_with_their_points(lab, open_page):
    page, formgrader = open_formgrader(open_page, lab)
    formgrader.locator("a", has_text="Manual Grading").first.click()
    rows = table_rows(formgrader, "Manual Grading")
    assert column(rows, 0) == ASSIGNMENTS
    # the average score: nobody has submitted yet, out of every point the assignment is worth
    assert column(rows, -1) == [f"0 / {points(name)}" for name in ASSIGNMENTS]
    assert page.console_errors == []
