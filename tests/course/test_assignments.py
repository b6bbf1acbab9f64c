"""The invariants that keep the assignments honest, checked with real nbgrader.

For each assignment, in a scratch course folder: generate the student version from solutions/,
compare it with the committed one, then autograde two submissions: the student version with the
solutions filled in (must earn every autograded point) and the student version as released (must
earn none), within the 60-second budget.
"""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from tests.helpers.assignment_harness import ASSIGNMENTS, SOLUTIONS, solved_student_version
from tests.helpers import COURSE

ROOT = COURSE.root
BIN = Path(sys.executable).parent


def nbgrader(course, *args):
    """Run an nbgrader command in ``course``, in the course's tool environment (alembic on PATH)."""
    env = COURSE.tool_env()
    result = subprocess.run([str(BIN / "nbgrader"), *args, f"--CourseDirectory.root={course}"],
                            cwd=course, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def comparable(path):
    """A notebook's cells and metadata, without what differs between runs of nbgrader."""
    nb = json.loads(Path(path).read_text())
    return {"metadata": nb["metadata"], "cells": [
        {k: v for k, v in cell.items() if k != "id"} for cell in nb["cells"]]}


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def course(request, tmp_path_factory):
    """A scratch course with one assignment generated and two submissions autograded."""
    assignment = request.param
    course = tmp_path_factory.mktemp(assignment)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(SOLUTIONS / assignment, course / "solutions" / assignment)
    nbgrader(course, "generate_assignment", assignment, "--force")
    released = course / "assignments" / assignment / f"{assignment}.ipynb"

    for student, nb in (("perfect", solved_student_version(assignment, released)),
                        ("as_released", nbformat.read(str(released), as_version=4))):
        target = course / "submitted" / student / assignment / released.name
        target.parent.mkdir(parents=True)
        nbformat.write(nb, str(target))
    nbgrader(course, "autograde", assignment, "--force", "--Autograde.create_student=True")
    return {"assignment": assignment, "root": course, "released": released}


def autograded_scores(course, student):
    with Gradebook(f"sqlite:///{course['root'] / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(course["assignment"], course["assignment"], student)
        return {g.name: (g.score, g.max_score) for g in notebook.grades if g.auto_score is not None}


@pytest.mark.slow  # nbgrader generate_assignment and autograde, once per assignment
def test_committed_student_version_is_what_nbgrader_generates_today(course):
    committed = ROOT / "assignments" / course["assignment"] / course["released"].name
    assert committed.exists(), f"{committed} is missing: run `make assignments`"
    assert comparable(committed) == comparable(course["released"]), \
        f"{committed} differs from `nbgrader generate_assignment`: run `make assignments`"
    extra = sorted(p.name for p in committed.parent.iterdir()) != sorted(p.name for p in course["released"].parent.iterdir())
    assert not extra, "the committed student folder holds different files from nbgrader's"


@pytest.mark.slow  # nbgrader generate_assignment and autograde, once per assignment
def test_solutions_earn_every_autograded_point(course):
    scores = autograded_scores(course, "perfect")
    assert scores, "no autograded cells were recorded"
    lost = {k: v for k, v in scores.items() if v[0] != v[1]}
    assert not lost, f"the filled-in solutions lose points under nbgrader autograde: {lost}"


@pytest.mark.slow  # nbgrader generate_assignment and autograde, once per assignment
def test_released_version_earns_nothing(course):
    free = {k: v for k, v in autograded_scores(course, "as_released").items() if v[0] != 0}
    assert not free, f"free points in the released version: {free}"


MARKERS = re.compile(r"BEGIN SOLUTION|END SOLUTION|BEGIN HIDDEN TESTS|END HIDDEN TESTS|MARK SCHEME")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_leaks_no_solution_hidden_test_or_answer_key(assignment):
    folder = ROOT / "assignments" / assignment
    assert not list(folder.glob("*.py")), "a .py twin (with solutions) was copied into the student folder"
    text = "\n".join(cell.source for cell in nbformat.read(str(folder / f"{assignment}.ipynb"), 4).cells)
    assert not MARKERS.search(text), "solution, hidden-test or mark-scheme markers in the student version"
    source_text = (SOLUTIONS / assignment / f"{assignment}.py").read_text()
    secret_region = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS|MARK SCHEME)\n(.*?)### END \1", re.S)
    secret_lines = {line.strip().lstrip("# ").strip()
                    for region in secret_region.findall(source_text) for line in region[1].splitlines()}
    public_lines = {line.strip().lstrip("# ").strip() for line in secret_region.sub("", source_text).splitlines()}
    student_lines = {line.strip() for line in text.splitlines()}
    leaked = sorted(line for line in secret_lines - public_lines if len(line) > 12 and line in student_lines)
    assert not leaked, f"lines from solutions, hidden tests or mark schemes in the student version: {leaked}"
    for key in re.findall(r'^(answer_\w+\s*=\s*["\'][A-D]["\'])', source_text, re.M):
        assert key not in text, f"answer key {key!r} in the student version"
