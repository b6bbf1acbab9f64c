"""``python -m autograder release | grade | report | check``: the instructor's and learner's commands."""
import argparse
import collections
import os
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat

from autograder import assignment as assignments
from autograder import collect, feedback, parallel, sandbox, score
from autograder.gradebook import GradebookWriter, default_db_url
from autograder.records import GRADED, Status

ROOT = assignments.ROOT


def _nbgrader_env():
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # nbgrader runs alembic
    return env


def release(names, db_url=None):
    for name in names or assignments.available():
        print(f"release {name}: nbgrader generate_assignment")
        database = ["--db", db_url] if db_url else []
        done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force", *database],
                              cwd=ROOT, env=_nbgrader_env(), capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit(f"release {name} failed")
    return 0


def _check_name(name):
    if name not in assignments.available():
        raise SystemExit(f"unknown assignment {name!r}; the assignments are: {', '.join(assignments.available())}")


def _limits(args):
    return sandbox.Limits(cell_seconds=args.timeout, notebook_seconds=args.notebook_timeout,
                          memory_bytes=args.memory_mb * 1024 ** 2)


def grade(args):
    _check_name(args.assignment)
    if not Path(args.submissions).exists():
        raise SystemExit(f"cannot read submissions: {args.submissions} does not exist")
    course = Path(args.course or ROOT)
    db_url = args.db or default_db_url(course)
    try:
        spec = assignments.from_gradebook(args.assignment, db_url)
    except LookupError:
        print(f"{args.assignment} is not in the gradebook yet: releasing it first")
        release([args.assignment], db_url)
        spec = assignments.from_gradebook(args.assignment, db_url)
    try:
        submissions = collect.collect(args.submissions, spec.notebook, spec.name)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f"cannot read submissions: {error}")
    if not submissions:
        raise SystemExit(f"no student folders or notebooks found in {args.submissions}")
    with warnings.catch_warnings():
        warnings.simplefilter("always", sandbox.SandboxWarning)
        sandbox.warn_if_weak()
    out = Path(args.out or ROOT / "grading" / spec.name)
    writer, unrecorded = GradebookWriter(db_url, course, spec), []

    def record(result):
        try:
            writer.record(result)
        except Exception as error:  # noqa: BLE001 - keep grading; say which ones to re-run
            unrecorded.append(f"{result.student_id} ({type(error).__name__}: {error})")

    try:
        results = parallel.grade_all(spec, submissions, _limits(args), workers=args.workers,
                                     scheduler=args.scheduler, on_result=record)
    finally:
        writer.close()
    feedback.write_outputs(out, results, spec, hide_hidden_tests=args.hide_hidden_tests)
    counts = collections.Counter(r.status for r in results)
    graded = [r for r in results if r.status in GRADED]
    mean = sum(r.score for r in graded) / len(graded) if graded else 0.0
    print(f"graded {len(graded)} of {len(results)} submissions of {spec.name} ("
          + ", ".join(f"{counts[s]} {s}" for s in reversed(Status)
                      if counts[s]) + f"); mean {mean:.2f} / {spec.max_score:g}; results in {out}")
    for result in results:
        if result.status != "ok":
            print(f"  {result.student_id}: {result.status}: {result.message}")
    if unrecorded:
        print("NOT recorded in the gradebook (grade these again): " + "; ".join(unrecorded))
    return 0 if len(graded) == len(results) and not unrecorded else 1


def report(args):
    from autograder.report import write_report

    _check_name(args.assignment)
    spec = assignments.from_solutions(args.assignment)
    out = Path(args.out or ROOT / "grading" / spec.name)
    try:
        summary = write_report(out, spec.name, {q: spec.correct_choice(q) for q in spec.multiple_choice},
                               spec.question_of)
    except FileNotFoundError as error:
        raise SystemExit(str(error))
    print(f"item analysis of {summary['students']} students written to {summary['html']}")
    return 0


def _guess_assignment(path, notebook):
    if path.stem in assignments.available():
        return path.stem
    ids = {assignments.nbgrader_meta(c).get("grade_id") for c in notebook.cells} - {None}
    overlap = {name: len(ids & {assignments.nbgrader_meta(c).get("grade_id")
                                for c in assignments.from_solutions(name).released.cells})
               for name in assignments.available()}
    best = max(overlap, key=overlap.get)
    if not overlap[best]:
        raise SystemExit(f"{path.name} does not look like any of the assignments; pass --assignment NAME")
    return best


def check(args):
    path = Path(args.notebook)
    if not path.is_file():
        raise SystemExit(f"{path} is not a file")
    submission = collect.Submission("you", path=str(path), data=path.read_bytes())
    try:
        notebook, _ = collect.parse(submission.data)
    except ValueError as error:
        raise SystemExit(f"{path.name}: {error}")
    name = args.assignment or _guess_assignment(path, notebook)
    _check_name(name)
    spec = assignments.from_solutions(name)
    from autograder.pipeline import grade_submission

    result = grade_submission(spec, submission, _limits(args))
    print(f"{path.name} checked against all tests of {name}, hidden ones included\n")
    print(f"{'question':<32} {'points':>9}  result")
    cells = nbformat.reads(result.autograded, 4).cells if result.autograded else []
    failures = {assignments.nbgrader_meta(c).get("grade_id"): feedback.error_text(c).strip().splitlines()[-1:]
                for c in cells}
    for question, (earned, points, failed) in score.by_question(result.items, spec).items():
        why = (failures.get(failed[0]) or [""])[0][:90] if failed else ""
        mark = "passed" if not failed else "FAILED " + why
        print(f"{question:<32} {earned:>4g} / {points:<3g}  {mark}")
    print(f"\ntotal {result.score:g} / {result.max_score:g} autograded points"
          + (f" (+ {sum(spec.manual.values()):g} points of written answers, graded by hand)" if spec.manual else ""))
    if result.status != "ok":
        print(f"status: {result.status}: {result.message}")
    return 0 if result.score == result.max_score and result.status in ("ok",) else 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("release", help="regenerate student versions in assignments/ from solutions/")
    p.add_argument("assignment", nargs="*")
    p = commands.add_parser("grade", help="grade a class's submissions")
    p.add_argument("assignment")
    p.add_argument("submissions", help="folder of student folders, nbgrader's submitted/ folder, or an LMS zip")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: CPU count)")
    p.add_argument("--scheduler", help="address of a Dask scheduler to grade on, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--out", help="folder for grades.csv, items.csv, feedback/ (default grading/ASSIGNMENT)")
    p.add_argument("--db", help="gradebook URL, sqlite:///... or postgresql://... (default: COURSE/gradebook.db)")
    p.add_argument("--course", help="folder holding nbgrader's gradebook.db, submitted/ and autograded/ "
                                    "(default: the repository root)")
    p.add_argument("--hide-hidden-tests", action="store_true", help="feedback shows no hidden-test source")
    p = commands.add_parser("report", help="item analysis of the last grading run")
    p.add_argument("assignment")
    p.add_argument("--out", help="the grading folder (default grading/ASSIGNMENT)")
    p = commands.add_parser("check", help="check your own notebook against all tests (changes nothing)")
    p.add_argument("notebook")
    p.add_argument("--assignment", help="which assignment (default: from the file name)")
    for name in ("grade", "check"):
        p = commands.choices[name]
        p.add_argument("--timeout", type=float, default=60.0, help="seconds per cell (default 60)")
        p.add_argument("--notebook-timeout", type=float, default=600.0, help="seconds per notebook (default 600)")
        p.add_argument("--memory-mb", type=int, default=2048, help="memory per kernel in MiB (default 2048)")
    args = parser.parse_args(argv)
    if args.command == "release":
        return release(args.assignment)
    return {"grade": grade, "report": report, "check": check}[args.command](args)
