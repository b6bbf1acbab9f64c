"""The autograder end to end: grades, sandbox, bad input, parallel runs, gradebook, check, report.

Most tests share one graded corpus (tests/helpers/autograder_corpus.py) made once per session: hostile and
broken submissions of assignment 1, each with the status and score it must get.
"""
import csv
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import zipfile

import nbformat
import pytest

from tests.helpers import autograder_corpus
from tests.helpers.assignment_harness import ASSIGNMENTS, ROOT, score
from tests.helpers.classroom import answers_for, make_class, student_notebook
from autograder import assignment as assignments
from autograder import collect, pipeline, sandbox
from autograder.parallel import grade_all
from tests.helpers import COURSE

A1 = "a1_recurrence_and_gradients"


def autograder(*args, check=True):
    done = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, env=COURSE.tool_env())
    if check and done.returncode not in (0, 1):
        raise AssertionError(done.stdout + done.stderr)
    return done


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def graded_corpus(tmp_path_factory):
    """The corpus, graded once with the command line into a scratch course."""
    base = tmp_path_factory.mktemp("corpus")
    listener = socket.create_server(("127.0.0.1", 0))  # a local service student code must not reach
    secrets = {"solutions": str(ROOT / "solutions" / A1 / f"{A1}.py"), "gradebook": str(base / "course" / "gradebook.db"),
               "other_student": str(base / "submissions" / "solved" / f"{A1}.ipynb"),
               "port": listener.getsockname()[1],
               "token": f"r2a-corpus-{os.getpid() % 10000}",
               "solution_notebook": str(ROOT / "solutions" / A1 / f"{A1}.ipynb"), "marker": str(base / "imported")}
    expected = autograder_corpus.build(base / "submissions", secrets)
    db = f"sqlite:///{base / 'course' / 'gradebook.db'}"
    (base / "course").mkdir()
    done = autograder("grade", A1, base / "submissions", "--out", base / "out", "--db", db, "--course",
                      base / "course", "--timeout", 3, "--workers", 2)
    listener.close()
    assert not (base / "imported").exists(), "the grader imported a module from a student's folder"
    return {"base": base, "expected": expected, "done": done, "db": db, "token": secrets["token"],
            "grades": {r["student_id"]: r for r in read_csv(base / "out" / "grades.csv")}}


@pytest.mark.root
@pytest.mark.slow
def test_corpus_statuses_and_scores(graded_corpus):
    grades = graded_corpus["grades"]
    assert set(grades) == set(graded_corpus["expected"])
    wrong = {s: (grades[s]["status"], float(grades[s]["score"]), want) for s, want in graded_corpus["expected"].items()
             if (grades[s]["status"], float(grades[s]["score"])) != want}
    assert not wrong, wrong
    for row in grades.values():  # every status other than ok says what happened
        assert float(row["max_score"]) == autograder_corpus.FULL
        assert row["status"] == "ok" or row["message"], row


@pytest.mark.root
@pytest.mark.slow
def test_exit_status_and_summary(graded_corpus):
    done = graded_corpus["done"]
    assert done.returncode == 1, "invalid and missing submissions make the exit status non-zero"
    statuses = [status for status, _ in graded_corpus["expected"].values()]
    graded = sum(status not in ("invalid", "missing") for status in statuses)
    assert f"graded {graded} of {len(statuses)} submissions of {A1}" in done.stdout, done.stdout
    assert f"{statuses.count('invalid')} invalid" in done.stdout and f"{statuses.count('missing')} missing" in done.stdout


@pytest.mark.root
@pytest.mark.slow
def test_sandbox_blocks_files_network_and_verdict_forging(graded_corpus):
    grades = graded_corpus["grades"]
    assert float(grades["spy"]["score"]) == autograder_corpus.FULL - 1, "student code read a secret file or reached the network"
    for attack in ("patch_numpy", "patch_ipython", "always_equal"):
        assert float(grades[attack]["score"]) == float(grades["wrong-rnn"]["score"]), attack


@pytest.mark.root
@pytest.mark.slow
def test_hostile_students_do_not_change_other_grades(graded_corpus, tmp_path):
    alone = tmp_path / "alone"
    shutil.copytree(graded_corpus["base"] / "submissions" / "solved", alone / "solved")
    spec = assignments.from_solutions(A1)
    result, = grade_all(spec, collect.collect(alone, A1, A1), sandbox.Limits(cell_seconds=3), workers=1, progress=False)
    items = read_csv(graded_corpus["base"] / "out" / "items.csv")
    in_class = [(r["grade_id"], r["score"]) for r in items if r["student_id"] == "solved"]
    assert in_class == [(i.grade_id, "" if i.score is None else f"{i.score:g}") for i in result.items]


@pytest.mark.root
@pytest.mark.slow
def test_output_caps_hold_for_replies(graded_corpus):
    """Kernel replies padded with 5 MB of output each cannot grow the autograded notebook past the
    grader's cap on a notebook's output (4 MB, runner.MAX_TOTAL_OUTPUT)."""
    from autograder.runner import MAX_TOTAL_OUTPUT

    autograded = graded_corpus["base"] / "course" / "autograded" / "pads-replies" / A1 / f"{A1}.ipynb"
    assert autograded.stat().st_size < MAX_TOTAL_OUTPUT + 1024 ** 2


@pytest.mark.root
@pytest.mark.slow
def test_no_sandbox_process_outlives_its_grading(graded_corpus):
    """The corpus's process bomb and endless sleeper name their processes with this run's token:
    none is left once grading is over (only this test's own processes are judged)."""
    assert not autograder_corpus.processes_named(graded_corpus["token"])


@pytest.mark.root
@pytest.mark.slow
def test_gradebook_records_for_formgrader(graded_corpus):
    from nbgrader.api import Gradebook

    course = graded_corpus["base"] / "course"
    with Gradebook(graded_corpus["db"]) as gradebook:
        solved = gradebook.find_submission(A1, "solved")
        assert solved.score == autograder_corpus.FULL and solved.needs_manual_grade, "the written answer still needs a grader"
        assert gradebook.find_submission(A1, "wrong-rnn").score == autograder_corpus.PARTIAL
        assert gradebook.find_submission(A1, "missing").score == 0
        with pytest.raises(Exception):
            gradebook.find_submission(A1, "empty-file")  # unreadable: nothing recorded
    autograded = nbformat.read(str(course / "autograded" / "edits-test" / A1 / f"{A1}.ipynb"), as_version=4)
    test_cell = next(c for c in autograded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_answer_q1")
    assert "BEGIN HIDDEN TESTS" in test_cell.source, "the autograded copy holds the restored hidden tests"
    assert (course / "submitted" / "solved" / A1 / f"{A1}.ipynb").exists()


@pytest.mark.root
@pytest.mark.slow
def test_feedback_pages_can_hide_hidden_tests(graded_corpus, tmp_path):
    page = (graded_corpus["base"] / "out" / "feedback" / "wrong-rnn.html").read_text()
    assert f"{autograder_corpus.PARTIAL:g} / {autograder_corpus.FULL:g}" in page and "BEGIN HIDDEN TESTS" not in page, "hidden tests stay hidden by default"
    spec = assignments.from_solutions(A1)
    from autograder.feedback import feedback_html

    submission = collect.Submission("x", data=nbformat.writes(student_notebook(A1, {})).encode())
    hidden = feedback_html(pipeline.grade_submission(spec, submission), spec, hide_hidden_tests=True)
    assert "BEGIN HIDDEN TESTS" not in hidden and "hidden tests:" in hidden


@pytest.mark.root
@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_scores_match_the_in_process_harness(assignment):
    """Per test cell, the sandboxed grader agrees with the harness that tests/test_assignments.py
    checks against real `nbgrader autograde`, for a mix of right, partly right and wrong answers."""
    import numpy as np

    spec = assignments.from_solutions(assignment)
    rng = np.random.default_rng(7)
    for _ in range(3):
        answers = answers_for(assignment, rng)
        notebook = student_notebook(assignment, answers)
        result = pipeline.grade_submission(spec, collect.Submission("s", data=nbformat.writes(notebook).encode()))
        released = {g: c.source for g, c in ((c.metadata.get("nbgrader", {}).get("grade_id"), c)
                                              for c in notebook.cells) if g in answers or g in spec.answers}
        expected = score(assignment, {g: released[g] for g in spec.answers if g in released})
        assert {i.grade_id: i.score for i in result.items if i.score is not None} == {g: e for g, (e, _) in expected.items()}


@pytest.mark.root
@pytest.mark.slow
def test_parallel_and_dask_equal_sequential(tmp_path):
    from distributed import LocalCluster

    submissions = collect.collect(make_class(A1, tmp_path / "class", students=40, seed=1), A1, A1)
    spec = assignments.from_solutions(A1)
    limits = sandbox.Limits(cell_seconds=20)

    def summary(results):
        return [(r.student_id, r.status, r.score, r.items, r.choices) for r in results]

    sequential = summary(grade_all(spec, submissions, limits, workers=1, progress=False))
    assert len({s for _, _, s, _, _ in sequential}) > 3, "the class should have a spread of scores"
    assert summary(grade_all(spec, submissions, limits, workers=2, progress=False)) == sequential
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert summary(grade_all(spec, submissions, limits, scheduler=cluster.scheduler_address,
                                 progress=False)) == sequential


@pytest.mark.root
@pytest.mark.slow
def test_lms_zip_and_nbgrader_layouts(tmp_path):
    solved = nbformat.writes(student_notebook(A1, autograder_corpus.SOLUTIONS))
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"Ada Lovelace_1234_assignsubmission_file_/{A1}.ipynb", solved)
        zipped.writestr(f"Alan Turing_99_assignsubmission_file_/{A1}.ipynb", solved)
        zipped.writestr("__MACOSX/._junk", "x")
    assert [s.student_id for s in collect.collect(archive, A1, A1)] == ["ada-lovelace-1234", "alan-turing-99"]
    canvas = tmp_path / "canvas.zip"
    with zipfile.ZipFile(canvas, "w") as zipped:
        zipped.writestr(f"lovelaceada_1234_555_{A1}.ipynb", solved)
        zipped.writestr(f"turingalan_LATE_99_556_{A1}.ipynb", solved)
    found = collect.collect(canvas, A1, A1)
    assert [(s.student_id, s.status) for s in found] == [("lovelaceada-1234", "ok"), ("turingalan-99", "ok")]
    submitted = tmp_path / "submitted" / "bob" / A1
    submitted.mkdir(parents=True)
    (submitted / f"{A1}.ipynb").write_text(solved)
    bob, = collect.collect(tmp_path / "submitted", A1, A1)
    assert (bob.student_id, bob.status, bob.notes) == ("bob", "ok", [])


@pytest.mark.root
@pytest.mark.slow
def test_check_reports_and_changes_nothing(tmp_path):
    solved = tmp_path / f"{A1}.ipynb"
    nbformat.write(student_notebook(A1, autograder_corpus.SOLUTIONS), str(solved))
    before = hashlib.sha256(solved.read_bytes()).hexdigest(), solved.stat().st_mtime_ns
    done = autograder("check", solved)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"total {autograder_corpus.FULL:g} / {autograder_corpus.FULL:g}" in done.stdout and "rnn_forward" in done.stdout
    assert (hashlib.sha256(solved.read_bytes()).hexdigest(), solved.stat().st_mtime_ns) == before
    partial = tmp_path / "mine.ipynb"
    nbformat.write(student_notebook(A1, {**autograder_corpus.SOLUTIONS, "rnn_forward": autograder_corpus.WRONG_RNN}),
                   str(partial))
    done = autograder("check", partial, "--assignment", A1)
    assert done.returncode == 1 and f"total {autograder_corpus.PARTIAL:g} / {autograder_corpus.FULL:g}" in done.stdout and "FAILED" in done.stdout


@pytest.mark.root
@pytest.mark.slow
def test_report_after_grading(graded_corpus):
    done = autograder("report", A1, "--out", graded_corpus["base"] / "out")
    assert done.returncode == 0, done.stdout + done.stderr
    out = graded_corpus["base"] / "out"
    items = read_csv(out / "report_items.csv")
    assert {r["grade_id"] for r in items} == set(assignments.from_solutions(A1).tests)
    choices = read_csv(out / "report_choices.csv")
    assert {r["option"] for r in choices} >= {"A", "B"}


@pytest.mark.slow
def test_bad_command_line_input_is_explained(tmp_path):
    done = autograder("grade", "a9_nothing", tmp_path, check=False)
    assert done.returncode == 2 and "unknown assignment" in done.stderr
    done = autograder("grade", A1, tmp_path / "nowhere", check=False)
    assert done.returncode == 2 and "does not exist" in done.stderr


@pytest.mark.root
@pytest.mark.slow
def test_notebook_time_limit_stops_the_rest(tmp_path):
    spec = assignments.from_solutions(A1)
    notebook = student_notebook(A1, autograder_corpus.SOLUTIONS)
    notebook.cells.insert(3, nbformat.v4.new_code_cell("import time\ntime.sleep(30)"))
    limits = sandbox.Limits(cell_seconds=20, notebook_seconds=2)
    result = pipeline.grade_submission(spec, collect.Submission("slow", data=nbformat.writes(notebook).encode()), limits)
    assert result.status == "timeout" and "notebook time limit" in result.message
    assert result.score == 0 and result.seconds < 10


def test_wire_carries_plain_data_only():
    import numpy as np

    from autograder import wire

    value = {("h", 1): (1, 2.5, None, True), "x": [np.arange(3.0), np.int64(4), {1, 2}], "c": 1j, "big": 2 ** 80}
    handles = []
    back = wire.decode(wire.encode(value, lambda obj: handles.append(obj) or {"handle": {"key": 1}}), lambda body: body)
    assert back[("h", 1)] == (1, 2.5, None, True) and back["c"] == 1j and back["big"] == 2 ** 80
    assert np.array_equal(back["x"][0], np.arange(3.0)) and type(back["x"][1]) is np.int64 and back["x"][2] == {1, 2}
    assert not handles
    wire.encode([len, np.array([object()])], lambda obj: handles.append(obj) or {"handle": {}})
    assert handles[0] is len and len(handles) == 2, "functions and object arrays travel as handles"
    with pytest.raises(wire.WireError):
        wire.decode({"ndarray": ["|O", [1], ""]}, lambda body: body)
    with pytest.raises(wire.WireError):
        wire.decode({"pickle": "gASV"}, lambda body: body)
