"""The declared course (course.toml) agrees with the notebooks it declares, and is found as documented.

The declaration is what the tools read; the notebooks are what students read. Where both say the
same thing (titles, goals, the argument, prerequisites), these tests fail as soon as one drifts.
"""
import re
from pathlib import Path

import nbformat
import pytest

from coursetools.course import Course, CourseNotFound
from tests.helpers import COURSE


def intro(path) -> str:
    """The first markdown cell of a notebook."""
    return next(c.source for c in nbformat.read(str(path), as_version=4).cells if c.cell_type == "markdown")


def bullets_after(markdown: str, lead: str) -> list:
    """The bullet list that follows the line starting with ``lead``, one string per bullet."""
    lines = markdown.split(lead, 1)[1].splitlines()[1:] if lead in markdown else []
    bullets = []
    for line in lines:
        if line.startswith("* "):
            bullets.append(line[2:].strip())
        elif line.startswith("  ") and bullets:
            bullets[-1] += " " + line.strip()
        elif bullets:
            break
    return bullets


def paragraph(markdown: str, lead: str) -> str:
    return next((" ".join(p[len(lead):].split()) for p in markdown.split("\n\n") if p.startswith(lead)), "")


@pytest.mark.parametrize("lecture", COURSE.lectures, ids=lambda lecture: lecture.notebook.stem)
def test_each_lecture_has_the_declared_title_and_goals(lecture):
    text = intro(COURSE.root / lecture.executed)
    assert text.startswith(f"# Lecture {lecture.number} — {lecture.title}\n")
    assert bullets_after(text, "By the end of this lecture you can") == list(lecture.goals)


def test_lecture_1_states_the_declared_argument_one_step_per_lecture():
    text = intro(COURSE.root / COURSE.lectures[0].executed).split("one argument", 1)[1]
    steps = [" ".join(step.split()) for step in re.findall(r"^\d+\. (.+?)(?=^\d+\. |^$)", text, re.M | re.S)]
    assert len(steps) == len(COURSE.lectures)
    for step, lecture in zip(steps, COURSE.lectures):
        assert lecture.argument in step, (lecture.number, step)


@pytest.mark.parametrize("assignment", COURSE.assignments, ids=lambda a: a.id)
def test_each_assignment_has_the_declared_title_summary_and_prerequisites(assignment):
    text = intro(COURSE.student_version(assignment.id))
    assert text.startswith(f"# Assignment {assignment.number} — {assignment.title}\n")
    assert paragraph(text, "**Goals.** ") == assignment.summary
    assert paragraph(text, "**Estimated time:** ").rstrip(".") == assignment.estimate
    before = paragraph(text, "**Before you start:**")
    assert sorted({int(n) for n in re.findall(r"Lecture (\d+)", before)}) == list(assignment.needs)


def test_every_notebook_in_the_repository_is_declared_and_every_declared_one_exists():
    lectures = sorted(p.relative_to(COURSE.root) for p in (COURSE.root / "lectures").glob("[0-9]*.py"))
    assert lectures == [lecture.notebook for lecture in COURSE.lectures]
    solved = sorted(p.name for p in COURSE.solutions.iterdir() if COURSE.solution(p.name).exists())
    assert solved == sorted(COURSE.assignment_ids)
    assert all((COURSE.root / path).is_file() for path in COURSE.notebook_twins())


def test_numbers_follow_the_declared_order():
    assert [lecture.number for lecture in COURSE.lectures] == list(range(1, len(COURSE.lectures) + 1))
    assert [a.number for a in COURSE.assignments] == list(range(1, len(COURSE.assignments) + 1))


def test_folders_come_from_nbgrader_config(tmp_path):
    (tmp_path / "course.toml").write_text((COURSE.root / "course.toml").read_text())
    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.source_directory = "src"\n')
    course = Course(tmp_path)
    assert course.solutions == tmp_path / "src"
    assert course.released == tmp_path / "release"  # nbgrader's default, since the file does not set it
    assert COURSE.solutions.name == "solutions" and COURSE.released.name == "assignments"


def test_a_course_is_found_from_inside_it_or_from_r2a_course(tmp_path, monkeypatch):
    monkeypatch.delenv("R2A_COURSE", raising=False)
    monkeypatch.chdir(COURSE.root / "lectures")
    assert Course.find().root == COURSE.root
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CourseNotFound, match="R2A_COURSE"):
        Course.find()
    monkeypatch.setenv("R2A_COURSE", str(COURSE.root))
    assert Course.find().root == COURSE.root


def test_a_broken_declaration_names_its_file(tmp_path):
    (tmp_path / "course.toml").write_text("title = [unclosed\n")
    with pytest.raises(ValueError, match="course.toml"):
        Course(tmp_path)


def test_tools_run_deterministically_with_this_environments_bin_first():
    env = COURSE.tool_env({"PATH": "/usr/bin"})
    assert env["OMP_NUM_THREADS"] == "1" and env["PYTHONHASHSEED"] == "0"
    first, *rest = env["PATH"].split(":")
    assert rest == ["/usr/bin"] and (Path(first) / "alembic").exists()  # nbgrader shells out to it
