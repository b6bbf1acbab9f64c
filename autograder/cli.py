"""``python -m autograder release | grade | report | check | export``: the instructor's and learner's commands.

A command line that cannot work (an unknown assignment, a missing folder, a gradebook that cannot be
opened, a number out of range) is refused before anything is graded, with one line on stderr naming
the problem and exit status 2. A failure while grading never shows a traceback on the terminal: it
goes to ``OUT/grading.log`` and the summary says where. Everything printed has its control
characters removed, since student ids, file names and messages come from students.
"""
import argparse
import collections
import datetime
import fcntl
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
import zipfile
from pathlib import Path

import nbformat

from autograder import assignment as assignments
from autograder import collect, feedback, parallel, sandbox, score, tables, timing
from autograder.gradebook import GradebookWriter, default_db_url
from autograder.model import GRADED, Status, Submission

PROG = "python -m autograder"
LOCK_FILE = ".autograder.lock"
LOG_FILE = "grading.log"
PROFILE_FILE = "profile.csv"
# The summary's order: graded ones first, then the ones that were not.
SUMMARY_ORDER = [Status.OK, Status.TAMPERED, Status.TIMEOUT, Status.CRASHED, Status.INVALID, Status.MISSING,
                 Status.ERROR]
# ANSI escape sequences (CSI, OSC, others), then any single C0/C1 control except \n and \t, and the
# bidirectional overrides that can make a line read differently from what it says.
CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -~]?"
                     r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class BadInput(Exception):
    """A command line that cannot work: one line on stderr, exit status 2, nothing graded."""


def the_course():
    """The declared course this command runs in (course.toml, found from the working directory)."""
    from coursetools.course import Course, CourseNotFound

    try:
        return Course.find()
    except (CourseNotFound, ValueError) as error:
        raise BadInput(str(error)) from None


def terminal(text):
    """``text`` without escape sequences and control characters (newlines and tabs stay)."""
    return CONTROL.sub("", str(text))


def say(text="", file=None):
    print(terminal(text), file=file or sys.stdout, flush=True)


class ReleaseFailed(RuntimeError):
    """nbgrader generate_assignment failed; the exception's text is its output."""


def _generate(course, name, db_url=None, release_directory=None):
    """``nbgrader generate_assignment NAME --force``: records the pristine cells in the gradebook and
    writes the student version (into the course's release folder, or ``release_directory``)."""
    options = ["--db", db_url] if db_url else []
    if release_directory:
        options.append(f"--CourseDirectory.release_directory={release_directory}")
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force", *options],
                          cwd=course.root, env=course.tool_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise ReleaseFailed(f"nbgrader generate_assignment {name} failed:\n{done.stdout}{done.stderr}")


def _release(course, name, db_url=None):
    """The one release path (`make assignments` runs it too): execute the instructor version again if
    its text twin changed since it was last executed, then let nbgrader generate the student version."""
    from coursetools import notebooks

    solution = course.solution(name)
    if notebooks.check_pair(solution):
        say(f"release {name}: executing {solution.relative_to(course.root)} (its twin changed)")
        notebooks.build(solution)
    say(f"release {name}: nbgrader generate_assignment")
    _generate(course, name, db_url)


def register(course, name, db_url):
    """Put an assignment the gradebook lacks into it, as nbgrader's release does, without touching the
    committed student version: nbgrader writes its copy into a scratch folder, and grading is refused
    if that copy differs from what students were given."""
    from coursetools import notebooks

    say(f"{name} is not in the gradebook yet: recording its pristine cells there")
    with tempfile.TemporaryDirectory(prefix="autograder-release-") as scratch:
        _generate(course, name, db_url, release_directory=scratch)
        fresh = nbformat.read(str(Path(scratch) / name / f"{name}.ipynb"), as_version=4)
    given = nbformat.read(str(course.student_version(name)), as_version=4)
    if notebooks.cell_signature(fresh) != notebooks.cell_signature(given):
        raise BadInput(f"{course.student_version(name).relative_to(course.root)} is out of date with "
                       f"{course.solution(name).relative_to(course.root)}: release it first "
                       f"(`{PROG} release {name}`), then grade")


def release(names, db_url=None):
    course = the_course()
    for name in names:
        _declared(name)
    for name in names or course.assignment_ids:
        try:
            _release(course, name, db_url)
        except ReleaseFailed as error:
            sys.stderr.write(terminal(error) + "\n")
            say(f"{PROG} release: release {name} failed (nbgrader's output is above)", sys.stderr)
            return 1
    return 0


# ---- checking the command line before anything runs ---------------------------------------------

def _number(kind, accept, what):
    """An argparse type: a finite ``kind`` (int or float) for which ``accept(value)`` holds."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what}, not {text!r}") from None
        if not (math.isfinite(value) and accept(value)):
            raise argparse.ArgumentTypeError(f"{what}, not {text!r}")
        return value
    return parse


POSITIVE_INT = _number(int, lambda value: value >= 1, "must be a whole number of at least 1")
POSITIVE_SECONDS = _number(float, lambda value: value > 0, "must be a number of seconds more than 0")
WAIT_SECONDS = _number(float, lambda value: value >= 0, "must be a number of seconds, 0 or more")


class Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (``prog: error: ...``) and exit status 2."""

    def error(self, message):
        self.exit(2, terminal(f"{self.prog}: error: {message} (see {self.prog} --help)").replace("\n", " ") + "\n")


def _declared(name):
    known = the_course().assignment_ids
    if name not in known:
        raise BadInput(f"unknown assignment {name!r}; the assignments are: {', '.join(known)}")
    return name


def _assignment(name):
    """A declared assignment that has been released (its student version exists)."""
    _declared(name)
    if not the_course().student_version(name).exists():
        raise BadInput(f"{name} has not been released: run `{PROG} release {name}` first")
    return name


def _submissions(text):
    path = Path(text)
    if not path.exists():
        raise BadInput(f"cannot read submissions: {text} does not exist")
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise BadInput(f"cannot read submissions: {text} is a file but not a zip archive (give a folder of "
                           "student folders, nbgrader's submitted/ folder, or a zip from an LMS)")
    elif not path.is_dir():
        raise BadInput(f"cannot read submissions: {text} is neither a folder nor a zip file")
    if not os.access(path, os.R_OK):
        raise BadInput(f"cannot read submissions: {text} is not readable")
    return path


def _course(text):
    path = Path(text or the_course().root)
    if not path.exists():
        raise BadInput(f"--course {text}: no such folder")
    if not path.is_dir():
        raise BadInput(f"--course {text} is not a folder")
    if not os.access(path, os.W_OK | os.X_OK):
        raise BadInput(f"--course {text}: cannot write there (the gradebook, submitted/ and autograded/ go there)")
    return path.resolve()


def _out(text):
    path = Path(text)
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError as error:
        raise BadInput(f"--out {text}: cannot write there ({error.strerror or error})") from None
    return path


def _database(url):
    """The gradebook URL, checked by opening it; sqlite paths made absolute (nbgrader runs elsewhere)."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
    except (ArgumentError, ValueError):
        raise BadInput(f"--db {url!r} is not a database URL; use sqlite:///PATH/gradebook.db or "
                       "postgresql://USER@HOST/NAME") from None
    shown = parsed.render_as_string(hide_password=True)
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:" or parsed.database.startswith("file:"):
            raise BadInput(f"--db {shown}: give the gradebook's file, e.g. sqlite:///COURSE/gradebook.db")
        database = Path(parsed.database).resolve()
        parsed = parsed.set(database=str(database))
        if not database.parent.is_dir():
            raise BadInput(f"--db {shown}: the folder {database.parent} does not exist")
        if database.exists() and not database.is_file():
            raise BadInput(f"--db {shown}: {database} is not a file")
        if not os.access(database.parent, os.W_OK | os.X_OK) or database.exists() and not os.access(database, os.W_OK):
            raise BadInput(f"--db {shown}: cannot write the gradebook there")
        if not database.exists():
            return parsed.render_as_string(hide_password=False)  # a new gradebook; nbgrader creates it
    engine = None
    try:
        engine = create_engine(parsed, **({"connect_args": {"connect_timeout": 10}} if backend == "postgresql" else {}))
        with engine.connect() as connection:
            inspect(connection).get_table_names()
    except (ImportError, ArgumentError) as error:
        raise BadInput(f"--db {shown}: cannot use this kind of database ({error})") from None
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines() or [type(error).__name__]
        raise BadInput(f"--db {shown}: cannot open the gradebook ({reason[0][:200]})") from None
    finally:
        if engine is not None:
            engine.dispose()
    return parsed.render_as_string(hide_password=False)


def _lock(course, wait):
    """Hold COURSE/.autograder.lock for the whole run; BadInput if another grader holds it ``wait`` s."""
    path = course / LOCK_FILE
    try:
        handle = open(path, "a+")  # not inherited by the workers or kernels (Python opens it close-on-exec)
    except OSError as error:
        raise BadInput(f"cannot create the lock file {path} ({error.strerror})") from None
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.seek(0)
                holder = " ".join(handle.read().split())[:120] or "a grader"
                handle.close()
                raise BadInput(f"another grader is grading this course ({holder}; {path} is locked); waited "
                               f"{wait:g} s; grade again when it has finished") from None
            time.sleep(0.2)
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, started {datetime.datetime.now().isoformat(timespec='seconds')}\n")
    handle.flush()
    return handle


def _limits(args, isolation="root"):
    return sandbox.Limits(cell_seconds=args.timeout, notebook_seconds=args.notebook_timeout,
                          memory_bytes=args.memory_mb * 1024 ** 2, isolation=isolation,
                          environment=tuple(the_course().environment.items()))


def _require_sandbox(limits):
    """Refuse to grade, with one line, where the sandbox cannot be had: never grade without it."""
    from autograder import runner

    try:
        runner.require_isolation(limits)
        sandbox.probe(limits)
    except sandbox.SandboxUnavailable as error:
        raise BadInput(f"grading refused: {error}") from None
    if sandbox.cgroup_support() == "none":
        say("note: this machine gives no cgroups, so a kernel's memory and processes are limited per "
            "process, not for the kernel and its children together", sys.stderr)


# ---- grade -----------------------------------------------------------------------------------

class GradingLog:
    """OUT/grading.log: the traceback of every submission the grader failed on, and of the run."""

    def __init__(self, path, assignment):
        self.path, self.entries = Path(path), []
        self.header = (f"grading log of {assignment}, {datetime.datetime.now().isoformat(timespec='seconds')}, "
                       f"pid {os.getpid()}: {' '.join(sys.argv)}\n")

    def add(self, title, details):
        self.entries.append(f"== {title}\n{details.rstrip()}\n")

    def write(self):
        body = self.header + ("".join(f"\n{entry}" for entry in self.entries) if self.entries else "\nno failures\n")
        try:
            temporary = self.path.with_name(f".{self.path.name}.partial")
            temporary.write_text(terminal(body))
            os.replace(temporary, self.path)
        except OSError as error:
            say(f"could not write the grading log {self.path} ({error.strerror})", sys.stderr)


def grade(args):
    name = _assignment(args.assignment)
    path = _submissions(args.submissions)
    course = _course(args.course)
    db_url = _database(args.db or default_db_url(course))
    out = _out(args.out or the_course().root / "grading" / name)
    started = time.perf_counter()
    try:
        submissions = collect.collect(path, name, name)  # the notebook's name is the assignment's
        collecting = time.perf_counter() - started
    except (FileNotFoundError, ValueError, zipfile.BadZipFile, collect.Unreadable, OSError) as error:
        raise BadInput(f"cannot read submissions: {error}") from None
    if not submissions:
        raise BadInput(f"no student folders or notebooks found in {args.submissions}")
    _require_sandbox(_limits(args))
    folders = _folders(course)
    lock = _lock(course, args.lock_wait)
    try:
        return _grade(args, name, submissions, course, out, db_url, GradingLog(out / LOG_FILE, name),
                      whole_class=path.is_dir() and path.resolve() == (course / folders.submitted_directory).resolve(),
                      collecting=collecting, started=started)
    finally:
        lock.close()
        _hand_back(course, out, db_url, folders)


def _folders(course):
    """nbgrader's folders of the course being graded, as its nbgrader configuration names them."""
    from autograder.gradebook import nbgrader_config
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=nbgrader_config(course), root=str(course))


def _hand_back(course, out, db_url, folders):
    """Run as root (the sandbox needs it) in a course folder someone else owns, as an instructor's
    ``sudo`` on a hub does: give what this run created back to that owner, so the formgrader and
    nbgrader, running as the instructor, can go on writing the gradebook and the folders."""
    owner = course.stat()
    if os.geteuid() != 0 or owner.st_uid == 0:
        return
    from sqlalchemy.engine import make_url

    paths = [course / folders.submitted_directory, course / folders.autograded_directory, course / LOCK_FILE, out]
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database:
        paths.append(Path(url.database))
    for path in paths:
        if not path.exists() or not path.resolve().is_relative_to(course.resolve()):
            continue
        for entry in [path, *(path.rglob("*") if path.is_dir() and not path.is_symlink() else [])]:
            if entry.lstat().st_uid == 0:
                os.chown(entry, owner.st_uid, owner.st_gid, follow_symlinks=False)


def _no_submission(spec, writer, submissions, path):
    """The students on the gradebook's roster with nothing in the class's submitted/ folder: each is
    reported missing, with 0, in the summary and grades.csv. The gradebook is left as nbgrader leaves
    it (no submission: its export and the formgrader show them as not submitted)."""
    from autograder.pipeline import failed_result

    handed_in = {submission.student_id for submission in submissions}
    return [failed_result(spec, Submission(student.id), Status.MISSING,
                          f"no submission: on the gradebook's roster, nothing of theirs in {path}")
            for student in writer.gradebook.students if student.id not in handed_in]


def _grade(args, name, submissions, course, out, db_url, log, whole_class=False, collecting=0.0, started=None):
    """``whole_class``: the submissions are the course's own submitted/ (what ``nbgrader collect`` fills);
    ``collecting``: the seconds it took to collect them (for the profile), from ``started``."""
    results, unrecorded = [], []
    try:
        try:
            spec = assignments.from_gradebook(name, db_url, the_course())
        except LookupError:
            register(the_course(), name, db_url)
            spec = assignments.from_gradebook(name, db_url, the_course())
        writer = GradebookWriter(db_url, course, spec)

        by_id = {submission.student_id: submission for submission in submissions}

        def record(result):
            recording = time.perf_counter()
            try:
                writer.record(result)
            except Exception as error:  # noqa: BLE001 - keep grading; say which ones to re-run
                unrecorded.append(f"{result.student_id} ({type(error).__name__}: {str(error)[:200]})")
                log.add(f"{result.student_id}: not recorded in the gradebook", traceback.format_exc())
                result.status = Status.ERROR  # (the writer says so in the message too)
            writing = time.perf_counter()
            feedback.write_page(out, result, spec, args.show_hidden_tests)
            if result.timings:
                result.timings.update(gradebook=writing - recording, feedback=time.perf_counter() - writing)
            # Recorded and written: the notebooks are no longer needed here, so the grader's memory
            # stays the same however large the class (a class's results are kept, not its notebooks).
            result.autograded, result.submitted = "", b""
            if result.student_id in by_id:
                by_id[result.student_id].data = b""
            results.append(result)

        grading = time.perf_counter()
        try:
            parallel.grade_all(spec, submissions, _limits(args), workers=args.workers,
                               scheduler=args.scheduler, on_result=record)
            if whole_class:
                results.extend(_no_submission(spec, writer, submissions, args.submissions))
        finally:
            writer.close()
        writing = time.perf_counter()
        feedback.write_tables(out, results)
        _share_out(results, collect=collecting, tables=time.perf_counter() - writing)
    except KeyboardInterrupt:
        log.add("the run was interrupted", traceback.format_exc())
        _errors_to_log(results, log)
        log.write()
        say(f"\ninterrupted after {len(results)} of {len(submissions)} submissions: the ones graded are recorded "
            f"in the gradebook and have their feedback pages; grades.csv, items.csv and choices.csv in {out} were "
            "not written; grade again to finish")
        return 130
    except Exception as error:  # noqa: BLE001 - the terminal gets one line, the log the traceback
        log.add(f"the grading run stopped: {type(error).__name__}", traceback.format_exc())
        _errors_to_log(results, log)
        log.write()
        first = (str(error).strip().splitlines() or [""])[0][:200]
        say(f"the grading run stopped after {len(results)} of {len(submissions)} submissions: "
            f"{type(error).__name__}: {first}")
        say(f"the ones graded are recorded in the gradebook; grades.csv and the other files in {out} were not "
            f"(all) written; the traceback is in {log.path}")
        return 1
    _errors_to_log(results, log)
    log.write()
    _summary(spec, results, out)
    if args.profile:
        timing.write_csv(out / PROFILE_FILE, results)
        for line in timing.breakdown(results, time.perf_counter() - (started or 0.0), args.workers or os.cpu_count(),
                                     before=grading - (started or 0.0)):
            say(line)
        say(f"each submission's steps: {out / PROFILE_FILE}")
    if unrecorded:
        say("NOT recorded in the gradebook (grade these again): " + "; ".join(unrecorded))
    if log.entries:
        say(f"what went wrong, with tracebacks: {log.path}")
    graded = [r for r in results if r.status in GRADED]
    return 0 if len(graded) == len(submissions) and not unrecorded else 1  # a student who never submitted is no failure


def _share_out(results, collect, tables):
    """What the parent does once for the whole class (collecting; the CSV tables, counted as
    feedback), shared out evenly among the submissions that were timed."""
    timed = [r for r in results if r.timings]
    for result in timed:
        result.timings["collect"] = collect / len(timed)
        result.timings["feedback"] = result.timings.get("feedback", 0.0) + tables / len(timed)


def _errors_to_log(results, log):
    for result in results:
        if result.status == Status.ERROR:
            log.add(f"{result.student_id}: error: {result.message}",
                    result.details or "(no traceback: the worker grading it died, or its result was lost)")


def _summary(spec, results, out):
    counts = collections.Counter(r.status for r in results)
    graded = [r for r in results if r.status in GRADED]
    mean = sum(r.score for r in graded) / len(graded) if graded else 0.0
    say(f"graded {len(graded)} of {len(results)} submissions of {spec.name} ("
        + ", ".join(f"{counts[s]} {s}" for s in SUMMARY_ORDER) + f"); mean {mean:.2f} / {spec.max_score:g}; "
        f"results in {out}")
    for result in sorted(results, key=lambda r: r.student_id):
        if result.status != Status.OK:
            say(f"  {result.student_id}: {result.status}: {result.message}")


# ---- report and check ------------------------------------------------------------------------

def report(args):
    from autograder.report import write_report

    _assignment(args.assignment)
    spec = assignments.from_solutions(args.assignment)
    out = Path(args.out or the_course().root / "grading" / spec.name)
    try:
        summary = write_report(out, spec.name, {q: spec.correct_choice(q) for q in spec.multiple_choice},
                               spec.question_of)
    except (FileNotFoundError, tables.TableError) as error:
        raise BadInput(str(error)) from None
    say(f"item analysis of {summary['students']} students written to {summary['html']}")
    return 0


def export(args):
    from autograder import export as exports

    name = _declared(args.assignment)
    course = _course(args.course)
    db_url = _database(args.db or default_db_url(course))
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database).exists():
        raise BadInput(f"there is no gradebook at {url.database}: grade {name} first (or give --db, --course)")
    roster = None
    if args.roster:
        try:
            roster = exports.read_roster(args.roster)
        except exports.RosterError as error:
            raise BadInput(str(error)) from None
    declared = the_course().assignment(name)
    try:
        result = exports.final_grades(db_url, name, f"Assignment {declared.number}: {declared.title}", roster)
    except LookupError as error:
        raise BadInput(str(error)) from None
    path = Path(args.out) if args.out else the_course().root / "grading" / name / f"{args.format}.csv"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tables.replace_file(path, lambda handle: exports.write(result, args.format, handle), newline="")
    except OSError as error:
        raise BadInput(f"--out {path}: cannot write there ({error.strerror or error})") from None
    say(f"{len(result.grades)} final grades of {name} (late penalties included, out of {result.max_score:g}) "
        f"written for {args.format} to {path}")
    if result.no_submission:
        say(f"  no submission, exported as 0: {', '.join(result.no_submission)}")
    if result.not_in_gradebook:
        say(f"  on the roster but not in the gradebook, exported with an empty score: "
            f"{', '.join(result.not_in_gradebook)}")
    if result.not_on_roster:
        say(f"  in the gradebook but not on the roster, left out: {', '.join(result.not_on_roster)}")
    return 0


def _guess_assignment(path, notebook):
    if path.stem in the_course().assignment_ids:
        return path.stem
    ids = {assignments.nbgrader_meta(c).get("grade_id") for c in notebook.cells} - {None}
    overlap = {name: len(ids & {assignments.nbgrader_meta(c).get("grade_id")
                                for c in assignments.from_solutions(name).released.cells})
               for name in the_course().assignment_ids}
    best = max(overlap, key=overlap.get)
    if not overlap[best]:
        raise BadInput(f"{path.name} does not look like any of the assignments; pass --assignment NAME")
    return best


def check(args):
    path = Path(args.notebook)
    if not path.exists():
        raise BadInput(f"{args.notebook}: no such file")
    if not path.is_file():
        raise BadInput(f"{args.notebook} is not a file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BadInput(f"{args.notebook}: cannot read it ({error.strerror})") from None
    try:
        notebook, _ = collect.parse(data)
    except ValueError as error:
        raise BadInput(f"{path.name} is not a notebook: {error}") from None
    name = _assignment(args.assignment) if args.assignment else _guess_assignment(path, notebook)
    spec = assignments.from_solutions(name)
    from autograder.pipeline import grade_submission

    # Your own code, for you: the strongest isolation this machine allows is enough.
    with warnings.catch_warnings():
        warnings.simplefilter("always", sandbox.SandboxWarning)
        sandbox.warn_if_weak()
    result = grade_submission(spec, Submission("you", path=str(path), data=data), _limits(args, "none"))
    say(f"{path.name} checked against all tests of {name}, hidden ones included\n")
    say(f"{'question':<32} {'points':>9}  result")
    cells = nbformat.reads(result.autograded, 4).cells if result.autograded else []
    by_id = {assignments.nbgrader_meta(c).get("grade_id"): c for c in cells}
    for question, got in score.by_question(result.items, spec).items():
        first = got.failed[0] if got.failed else None
        why = feedback.failure_summary(by_id[first], args.show_hidden_tests)[:90] if first in by_id else ""
        say(f"{question:<32} {got.earned:>4g} / {got.points:<3g}  {'passed' if not got.failed else 'FAILED ' + why}")
    say(f"\ntotal {result.score:g} / {result.max_score:g} autograded points"
        + (f" (+ {sum(spec.manual.values()):g} points of written answers, graded by hand)" if spec.manual else ""))
    if args.show_hidden_tests:
        lost = {item.grade_id for item in result.items if item.score != item.max_score}
        for grade_id, cell in by_id.items():
            if grade_id in spec.tests and grade_id in lost:
                say(f"\n--- {grade_id} (failed)\n{cell.source}\n--- what went wrong:\n{feedback.error_text(cell)}")
    if result.status != Status.OK:
        say(f"status: {result.status}: {result.message}")
    if result.details:
        say(f"the grader's traceback is in {_traceback_file(result.details)}")
    return 0 if result.score == result.max_score and result.status == Status.OK else 1


def _traceback_file(text):
    handle, name = tempfile.mkstemp(prefix="autograder-", suffix=".log")
    with os.fdopen(handle, "w") as log:
        log.write(terminal(text))
    return name


# ---- the command line ------------------------------------------------------------------------

def main(argv=None):
    parser = Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("release", help="regenerate student versions in assignments/ from solutions/")
    p.add_argument("assignment", nargs="*")
    p = commands.add_parser("grade", help="grade a class's submissions")
    p.add_argument("assignment")
    p.add_argument("submissions", help="folder of student folders, nbgrader's submitted/ folder, or an LMS zip")
    p.add_argument("--workers", type=POSITIVE_INT, default=None, help="local worker processes (default: CPU count)")
    p.add_argument("--scheduler", help="address of a Dask scheduler to grade on, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--out", help="folder for grades.csv, items.csv, feedback/, grading.log "
                                 "(default grading/ASSIGNMENT)")
    p.add_argument("--db", help="gradebook URL, sqlite:///... or postgresql://... (default: COURSE/gradebook.db)")
    p.add_argument("--course", help="folder holding nbgrader's gradebook.db, submitted/ and autograded/ "
                                    "(default: the repository root)")
    p.add_argument("--lock-wait", type=WAIT_SECONDS, default=10.0,
                   help="seconds to wait for another grader of the same course to finish (default 10)")
    p.add_argument("--profile", action="store_true",
                   help="print where each submission's time went, step by step, and write DIR/profile.csv")
    p.add_argument("--hide-hidden-tests", action="store_true", help=argparse.SUPPRESS)  # now the default
    p = commands.add_parser("report", help="item analysis of the last grading run")
    p.add_argument("assignment")
    p.add_argument("--out", help="the grading folder (default grading/ASSIGNMENT)")
    p = commands.add_parser("check", help="check your own notebook against all tests (changes nothing)")
    p.add_argument("notebook")
    p.add_argument("--assignment", help="which assignment (default: from the file name)")
    p = commands.add_parser("export", help="final grades (late penalties included) for Canvas, Moodle or as CSV")
    p.add_argument("assignment")
    p.add_argument("--format", choices=["canvas", "moodle", "csv"], default="csv",
                   help="the column layout of the LMS that imports it (default csv: nbgrader's own columns)")
    p.add_argument("--out", help="the file to write (default grading/ASSIGNMENT/FORMAT.csv)")
    p.add_argument("--roster", help="the LMS's class list (CSV): every id is checked against the gradebook")
    p.add_argument("--db", help="gradebook URL (default: COURSE/gradebook.db)")
    p.add_argument("--course", help="folder holding nbgrader's gradebook.db (default: the repository root)")
    for name in ("grade", "check"):
        p = commands.choices[name]
        p.add_argument("--timeout", type=POSITIVE_SECONDS, default=60.0, help="seconds per cell (default 60)")
        p.add_argument("--notebook-timeout", type=POSITIVE_SECONDS, default=600.0,
                       help="seconds per notebook (default 600)")
        p.add_argument("--memory-mb", type=POSITIVE_INT, default=2048, help="memory per kernel in MiB (default 2048)")
        p.add_argument("--show-hidden-tests", action="store_true",
                       help="show the code of hidden tests and whole tracebacks (default: only which test "
                            "failed and its message)")
    args = parser.parse_args(argv)
    # nbgrader's gradebook shells out to `alembic` when it creates or upgrades a database: the one of
    # this Python's environment, even when the instructor's PATH does not name it.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    try:
        if args.command == "release":
            return release(args.assignment)
        return {"grade": grade, "report": report, "check": check, "export": export}[args.command](args)
    except BadInput as problem:
        say(f"{PROG} {args.command}: error: {problem}".replace("\n", " "), sys.stderr)
        return 2
    except KeyboardInterrupt:
        say(f"{PROG} {args.command}: interrupted", sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - a bug of ours: one line here, the traceback in a file
        say(f"{PROG} {args.command}: internal error: {type(error).__name__}: "
            f"{(str(error).strip().splitlines() or [''])[0][:200]}; the traceback is in "
            f"{_traceback_file(traceback.format_exc())}", sys.stderr)
        return 1
