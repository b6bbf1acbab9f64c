"""`make bench-grade`: the autograder against plain `nbgrader autograde` and against the floor.

For each assignment (all of them unless named): 40 generated submissions (a seeded mix of right,
partly right, wrong and blank answers; see classroom.py), graded

* by `nbgrader autograde` (one notebook after another, as nbgrader does),
* by `python -m autograder grade` (sandboxed, one worker per core),
* by the floor (floor.py): the same cells and tests in one plain process, nothing else;

every student's score compared between the first two, then one table: seconds per submission,
submissions per minute, the ratio to nbgrader, and the autograder's processor time per submission
as a multiple of the floor's. With --profile, the autograder's own breakdown by step is printed
for each assignment (`grade --profile`).
Usage: python -m tests.benchmarks.bench_grade [--profile] [--students N] [ASSIGNMENT ...]
"""
import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.helpers import COURSE
from tests.helpers.classroom import make_class

ROOT = COURSE.root
BIN = Path(sys.executable).parent
ENV = COURSE.tool_env()


def run(command, cwd):
    """Seconds ``command`` took, and its output; exits with its output when it fails."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def machine():
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024 ** 3
    return f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, Python {platform.python_version()}"


def nbgrader_scores(course, assignment):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {s.student.id: s.score for s in gradebook.assignment_submissions(assignment)}


def bench(assignment, students, profile, scratch):
    """The three timings of one assignment, and whether the scores agree."""
    course = scratch / "nbgrader-course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment)
    make_class(assignment, scratch / "class", students=students, seed=2026)
    for student in sorted((scratch / "class").iterdir()):
        shutil.copytree(student, course / "submitted" / student.name / assignment)
    root = f"--CourseDirectory.root={course}"
    run([BIN / "nbgrader", "generate_assignment", assignment, "--force", root], course)
    ours_course = scratch / "autograder-course"
    ours_course.mkdir()
    db = f"sqlite:///{ours_course / 'gradebook.db'}"
    from autograder.cli import register

    register(COURSE, assignment, db)  # into the gradebook only; not timed, as nbgrader's release is not

    plain, _ = run([BIN / "nbgrader", "autograde", assignment, "--force", "--Autograde.create_student=True", root],
                   course)
    ours, output = run([sys.executable, "-m", "autograder", "grade", assignment, course / "submitted", "--db", db,
                        "--course", ours_course, "--out", scratch / "out", *(["--profile"] if profile else [])], ROOT)
    _, floor = run([sys.executable, "-m", "tests.benchmarks.floor", assignment, scratch / "class"], ROOT)
    floor = json.loads(floor.strip().splitlines()[-1])

    with open(scratch / "out" / "grades.csv", newline="") as handle:
        our_scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    theirs = nbgrader_scores(course, assignment)
    differ = {s: (theirs.get(s), our_scores[s]) for s in our_scores if theirs.get(s) != our_scores[s]}
    if profile:
        lines = output.splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith("where a submission's time goes")), len(lines))
        print(f"\n{assignment}:\n" + "\n".join(lines[start:-1]))
    return {"assignment": assignment, "nbgrader": plain, "ours": ours, "floor": floor["seconds"], "differ": differ}


def table(rows, students, workers):
    print(f"\n{students} submissions per assignment; autograder with {workers} workers; {machine()}")
    print(f"{'assignment':<32} {'nbgrader':>9} {'autograder':>11} {'per min':>8} {'x nbgrader':>10} "
          f"{'floor':>8} {'x floor':>8}  scores")
    for row in rows:
        per = {k: row[k] / students for k in ("nbgrader", "ours", "floor")}
        core_seconds = per["ours"] * workers  # the autograder's processor time per submission (at most)
        print(f"{row['assignment']:<32} {per['nbgrader']:8.3f}s {per['ours']:10.3f}s {60 / per['ours']:8.0f} "
              f"{per['nbgrader'] / per['ours']:9.1f}x {per['floor']:7.3f}s {core_seconds / per['floor']:7.1f}x  "
              + ("identical" if not row["differ"] else f"DIFFER (nbgrader, ours): {row['differ']}"))
    print("seconds per submission (wall clock); per min: submissions graded per minute; x floor: the autograder's "
          "wall clock times its workers, per submission, over the floor's (one process, nothing but the cells)")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_grade", description=__doc__.split("\n")[0])
    parser.add_argument("assignments", nargs="*", default=None)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--profile", action="store_true", help="print the autograder's breakdown by step")
    args = parser.parse_args(argv)
    rows = []
    for assignment in args.assignments or COURSE.assignment_ids:
        print(f"grading {args.students} submissions of {assignment} three ways", flush=True)
        scratch = Path(tempfile.mkdtemp(prefix="bench-grade-"))
        try:
            rows.append(bench(assignment, args.students, args.profile, scratch))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    table(rows, args.students, os.cpu_count())
    return 0 if not any(row["differ"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
