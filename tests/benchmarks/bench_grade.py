"""`make bench-grade`: this autograder against plain `nbgrader autograde`, same class, same machine.

Generates 40 submissions of one assignment (a seeded mix of right, partly right, wrong and blank
answers; see classroom.py), grades them with `nbgrader autograde` (one notebook after another, as
nbgrader does) and with `python -m autograder grade` (default workers: one per core), checks the
two agree on every student's score, and prints seconds per submission for each and the ratio.
Usage: python -m tests.benchmarks.bench_grade [ASSIGNMENT] [STUDENTS]
"""
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


from tests.helpers.classroom import make_class  # noqa: E402
from tests.helpers import COURSE

ROOT = COURSE.root
BIN = Path(sys.executable).parent
ENV = COURSE.tool_env()


def run(command, cwd):
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds


def nbgrader_scores(course, assignment):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {s.student.id: s.score for s in gradebook.assignment_submissions(assignment)}


def main(assignment="a1_recurrence_and_gradients", students=40):
    scratch = Path(tempfile.mkdtemp(prefix="bench-grade-"))
    try:
        course = scratch / "nbgrader-course"
        (course / "solutions").mkdir(parents=True)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment)
        make_class(assignment, scratch / "class", students=students, seed=2026)
        for student in sorted((scratch / "class").iterdir()):
            shutil.copytree(student, course / "submitted" / student.name / assignment)
        nbgrader = [BIN / "nbgrader"]
        root = f"--CourseDirectory.root={course}"
        run([*nbgrader, "generate_assignment", assignment, "--force", root], course)
        ours_course = scratch / "autograder-course"
        ours_course.mkdir()
        db = f"sqlite:///{ours_course / 'gradebook.db'}"
        from autograder.cli import register

        register(COURSE, assignment, db)  # into the gradebook only; not timed, as nbgrader's release is not

        print(f"grading {students} submissions of {assignment} on {os.cpu_count()} cores")
        plain = run([*nbgrader, "autograde", assignment, "--force", "--Autograde.create_student=True", root], course)
        print(f"  nbgrader autograde:  {plain:7.1f} s  ({plain / students:.2f} s per submission)")
        ours = run([sys.executable, "-m", "autograder", "grade", assignment, course / "submitted", "--db", db,
                    "--course", ours_course, "--out", scratch / "out"], ROOT)
        print(f"  autograder grade:    {ours:7.1f} s  ({ours / students:.2f} s per submission)")
        print(f"  ratio: {plain / ours:.2f}x faster than plain nbgrader")

        with open(scratch / "out" / "grades.csv", newline="") as handle:
            our_scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
        theirs = nbgrader_scores(course, assignment)
        differ = {s: (theirs.get(s), our_scores[s]) for s in our_scores if theirs.get(s) != our_scores[s]}
        print("  scores: identical for every student" if not differ else f"  scores DIFFER (nbgrader, ours): {differ}")
        return 0 if not differ else 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(*(sys.argv[1:2] or []), *(int(a) for a in sys.argv[2:3])))
