"""The autograder's command line: bad input, the grading log, hidden tests, sanitised notebooks,
control characters, the course lock, and a grader killed in the middle of a class.

Every run uses a scratch course (``--course``, ``--db`` and ``--out`` in tmp folders), never the
repository's own gradebook. The assignment is released once per session into a template gradebook
that each test copies, so a test does not pay for ``nbgrader generate_assignment``.
"""
import base64
import fcntl
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import nbformat
import pytest

from tests.helpers.assignment_harness import ROOT
from tests.helpers.autograder_corpus import FULL, PARTIAL, SOLUTIONS, WRONG_RNN
from tests.helpers.classroom import student_notebook
from tests.autograder.test_grade import read_csv
from autograder import assignment as assignments
from autograder import cli, pipeline
from autograder.feedback import failure_message, feedback_html, hidden_lines, hide_hidden
from autograder.model import Submission
from autograder.sanitize import markdown, sanitize_notebook, svg
from tests.helpers import COURSE

A1 = "a1_recurrence_and_gradients"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def autograder(*args, **popen):
    """Run the command line in a subprocess; ``popen=True`` starts it and returns the Popen."""
    command = [sys.executable, "-m", "autograder", *map(str, args)]
    env = COURSE.tool_env()
    if popen.pop("popen", False):
        return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)


@pytest.fixture(scope="session")
def released(tmp_path_factory):
    """A gradebook with assignment 1 released into it, to copy."""
    folder = tmp_path_factory.mktemp("template")
    cli.register(COURSE, A1, f"sqlite:///{folder / 'gradebook.db'}")
    return folder / "gradebook.db"


class Course:
    def __init__(self, base, released=None):
        self.base, self.folder, self.out = base, base / "course", base / "out"
        self.folder.mkdir(parents=True, exist_ok=True)
        if released:
            shutil.copy(released, self.folder / "gradebook.db")
        self.db = f"sqlite:///{self.folder / 'gradebook.db'}"
        self.args = ["--course", self.folder, "--db", self.db, "--out", self.out]

    def students(self, answers, extra_cells=()):
        """SUBMISSIONS folder with one notebook per {student: answers} (raw nbformat notebooks too)."""
        folder = self.base / "submissions"
        for student, content in answers.items():
            (folder / student).mkdir(parents=True, exist_ok=True)
            notebook = content if isinstance(content, nbformat.NotebookNode) else student_notebook(A1, content)
            for source in extra_cells:
                notebook.cells.append(nbformat.v4.new_code_cell(source))
            nbformat.write(notebook, str(folder / student / f"{A1}.ipynb"))
        return folder

    def recorded(self):
        """{student: score} in the gradebook, and the number of submission rows."""
        from nbgrader.api import Gradebook

        with Gradebook(self.db) as gradebook:
            submissions = gradebook.assignment_submissions(A1)
            return {s.student.id: s.score for s in submissions}, len(submissions)


def one_line_error(done, *fragments):
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


# ---- 1. bad command lines --------------------------------------------------------------------

@pytest.mark.slow
def test_bad_command_lines_get_one_line_and_status_2(tmp_path):
    course = Course(tmp_path)
    submissions = course.students({"alice": SOLUTIONS})
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "not-a-zip.zip").write_text("this is no zip")
    (tmp_path / "notes.ipynb").write_text("just some notes, not JSON")
    (tmp_path / "data.ipynb").write_text('{"a": 1}')
    cases = [
        (("grade", "a9_nothing", submissions, *course.args), ["unknown assignment 'a9_nothing'", A1]),
        (("grade", A1, tmp_path / "nowhere", *course.args), ["does not exist"]),
        (("grade", A1, submissions, "--course", tmp_path / "no-course"), ["--course", "no such folder"]),
        (("grade", A1, submissions, "--course", tmp_path / "a-file"), ["--course", "not a folder"]),
        (("grade", A1, submissions, *course.args[:2], "--db", "nonsense"), ["--db 'nonsense' is not a database URL"]),
        (("grade", A1, submissions, *course.args[:2], "--db", "postgresql://nobody@127.0.0.1:1/x"),
         ["--db postgresql://nobody@127.0.0.1:1/x: cannot open the gradebook", "refused"]),
        (("grade", A1, submissions, *course.args[:2], "--db", f"sqlite:///{tmp_path / 'no-folder' / 'g.db'}"),
         ["--db", "does not exist"]),
        (("grade", A1, submissions, *course.args[:4], "--out", tmp_path / "a-file" / "out"),
         ["--out", "cannot write there", "Not a directory"]),
        (("grade", A1, tmp_path / "not-a-zip.zip", *course.args), ["not a zip archive"]),
        (("grade", A1, submissions, *course.args, "--workers", 0), ["--workers", "at least 1", "'0'"]),
        (("grade", A1, submissions, *course.args, "--workers", -2), ["--workers", "'-2'"]),
        (("grade", A1, submissions, *course.args, "--workers", "two"), ["--workers", "'two'"]),
        (("grade", A1, submissions, *course.args, "--timeout", 0), ["--timeout", "more than 0"]),
        (("grade", A1, submissions, *course.args, "--timeout", -1), ["--timeout", "'-1'"]),
        (("grade", A1, submissions, *course.args, "--notebook-timeout", 0), ["--notebook-timeout", "more than 0"]),
        (("grade", A1, submissions, *course.args, "--notebook-timeout", "-5"), ["--notebook-timeout"]),
        (("grade", A1, submissions, *course.args, "--memory-mb", 0), ["--memory-mb", "at least 1"]),
        (("grade", A1, submissions, *course.args, "--memory-mb", -100), ["--memory-mb"]),
        (("grade", A1, submissions, *course.args, "--no-such-option"), ["unrecognized arguments"]),
        (("check", tmp_path / "missing.ipynb"), ["missing.ipynb: no such file"]),
        (("check", tmp_path), ["is not a file"]),
        (("check", tmp_path / "notes.ipynb"), ["notes.ipynb is not a notebook", "not valid notebook JSON"]),
        (("check", tmp_path / "data.ipynb"), ["data.ipynb is not a notebook"]),
        (("check", tmp_path / "data.ipynb", "--timeout", 0), ["--timeout"]),
        (("report", "a9_nothing"), ["unknown assignment"]),
    ]
    for args, fragments in cases:
        line = one_line_error(autograder(*args), *fragments)
        assert line.startswith("python -m autograder"), line
    assert not (course.folder / "gradebook.db").exists(), "a refused command line created the gradebook"
    assert not (course.folder / "submitted").exists() and not course.out.exists()


@pytest.mark.slow
def test_bad_input_is_refused_before_the_gradebook_is_touched(tmp_path):
    """A gradebook file that is not a database, and a class folder with no student in it."""
    course = Course(tmp_path)
    (course.folder / "gradebook.db").write_text("not a database " * 20)
    one_line_error(autograder("grade", A1, course.students({"alice": SOLUTIONS}), *course.args),
                   "cannot open the gradebook", "not a database")
    (tmp_path / "empty").mkdir()
    one_line_error(autograder("grade", A1, tmp_path / "empty", *Course(tmp_path / "other").args),
                   "no student folders or notebooks found")


# ---- 2. the grading log, the summary and the exit status -------------------------------------

@pytest.mark.root
@pytest.mark.slow
def test_failures_go_to_the_log_and_the_summary_counts_every_status(tmp_path, released):
    course = Course(tmp_path, released)
    submissions = course.students({"alice": SOLUTIONS, "bob": SOLUTIONS,
                                   "carol": {**SOLUTIONS, "rnn_forward": WRONG_RNN}})
    (submissions / "dave").mkdir()  # missing
    (course.folder / "autograded").mkdir()
    (course.folder / "autograded" / "bob").write_text("a file where bob's folder should be")  # recording bob fails
    done = autograder("grade", A1, submissions, *course.args, "--workers", 2)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert (f"graded 2 of 4 submissions of {A1} (2 ok, 0 tampered, 0 timeout, 0 crashed, 0 invalid, 1 missing, "
            "1 error)") in done.stdout, done.stdout
    assert re.search(r"^  bob: error: not recorded in the gradebook", done.stdout, re.M), done.stdout
    log = course.out / "grading.log"
    assert f"what went wrong, with tracebacks: {log}" in done.stdout
    text = log.read_text()
    assert "== bob: error:" in text and "Traceback (most recent call last)" in text and "carol" not in text
    grades = {r["student_id"]: r for r in read_csv(course.out / "grades.csv")}
    assert {s: (r["status"], r["score"]) for s, r in grades.items()} == {
        "alice": ("ok", f"{FULL:g}"), "bob": ("error", "0"), "carol": ("ok", f"{PARTIAL:g}"), "dave": ("missing", "0")}
    assert course.recorded()[0] == {"alice": FULL, "carol": PARTIAL, "dave": 0}

    # A failure of the run itself (here: grades.csv cannot be replaced) stops it with one line.
    (course.folder / "autograded" / "bob").unlink()
    (course.out / "grades.csv").unlink()
    (course.out / "grades.csv").mkdir()
    done = autograder("grade", A1, submissions, *course.args, "--workers", 2)
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert "the grading run stopped after 4 of 4 submissions: IsADirectoryError" in done.stdout, done.stdout
    assert f"the traceback is in {log}" in done.stdout
    assert "IsADirectoryError" in log.read_text() and "Traceback (most recent call last)" in log.read_text()
    shutil.rmtree(course.out / "grades.csv")
    done = autograder("grade", A1, submissions, *course.args, "--workers", 2)
    assert done.returncode == 1 and "3 ok" in done.stdout and "1 missing, 0 error" in done.stdout, done.stdout
    assert "no failures" in log.read_text()


@pytest.mark.slow
def test_an_error_result_has_its_traceback_in_the_log(tmp_path, released, monkeypatch, capsys):
    """A submission the grader itself fails on (pipeline's error status) is logged with its details."""
    course = Course(tmp_path, released)
    submissions = course.students({"alice": SOLUTIONS})

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the grader")

    monkeypatch.setattr(pipeline, "_grade", broken)
    assert cli.main(["grade", A1, str(submissions), *map(str, course.args), "--workers", "1"]) == 1
    out = capsys.readouterr()
    assert "1 error)" in out.out and "alice: error: the grader could not grade this notebook" in out.out
    assert "Traceback" not in out.out + out.err
    log = (course.out / "grading.log").read_text()
    assert "== alice: error:" in log and 'raise RuntimeError("a bug in the grader")' in log


# ---- 3. hidden tests stay hidden -------------------------------------------------------------

@pytest.mark.root
@pytest.mark.slow
def test_hidden_tests_stay_hidden_by_default(tmp_path):
    spec = assignments.from_solutions(A1)
    notebook = student_notebook(A1, {**SOLUTIONS, "rnn_forward": WRONG_RNN})
    result = pipeline.grade_submission(spec, Submission("x", data=nbformat.writes(notebook).encode()))
    visible = "\n".join(hide_hidden(source) for source in spec.pristine.values())
    hidden = {line for source in spec.pristine.values() for line in hidden_lines(source)
              if len(line) > 12 and line not in visible}  # the lines only hidden tests have
    assert len(hidden) > 10
    page = feedback_html(result, spec)
    assert "BEGIN HIDDEN TESTS" not in page and "hidden tests:" in page and f"{PARTIAL:g} / {FULL:g}" in page
    assert "failed: 0 / " in page and "What went wrong" in page
    assert not [line for line in hidden if line in page]
    assert "BEGIN HIDDEN TESTS" in feedback_html(result, spec, show_hidden_tests=True)

    path = tmp_path / "mine.ipynb"
    nbformat.write(notebook, str(path))
    done = autograder("check", path, "--assignment", A1)
    assert done.returncode == 1 and f"total {PARTIAL:g} / {FULL:g}" in done.stdout and "FAILED" in done.stdout, done.stdout
    assert "BEGIN HIDDEN TESTS" not in done.stdout and not [line for line in hidden if line in done.stdout]
    shown = autograder("check", path, "--assignment", A1, "--show-hidden-tests")
    assert shown.returncode == 1 and "BEGIN HIDDEN TESTS" in shown.stdout


def test_failure_messages_never_quote_hidden_lines():
    source = ("assert f(1) == 2, 'f(1) should be 2'\n### BEGIN HIDDEN TESTS\n"
              "assert f(secret_input_17) == 99, 'compare with the reference'\n### END HIDDEN TESTS\n")
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [nbformat.v4.new_output(
        "error", ename="AssertionError", evalue="compare with the reference\nassert f(secret_input_17) == 99",
        traceback=["Traceback (most recent call last):", '  File "cell 9", line 3, in <module>',
                   "    assert f(secret_input_17) == 99, 'compare with the reference'",
                   "AssertionError: compare with the reference"])]
    message = failure_message(cell)
    assert message.startswith("AssertionError: compare with the reference")
    assert "secret_input_17" not in message and "Traceback" not in message
    assert "(a line of the hidden tests, not shown)" in message
    assert "secret_input_17" in failure_message(cell, show_hidden_tests=True)


# ---- 4. what instructors open is sanitised ---------------------------------------------------

ORDINARY = ("# A heading\n\nSome *emphasis*, **bold**, `code`, math $x$ and $a<b$, $$\\sum_i x_i^2$$ and "
            "$p(y_t \\mid y_{<t})$.\n\n- a list\n- [a link](https://example.org)\n\n> a quote\n")
ATTACKS = ('<script>alert("md")</script>\n<img src=x onerror=alert(1)>\n'
           '<a href="javascript:alert(2)">click</a>\n[also](javascript:alert(3))\n')


def _hostile_notebook():
    notebook = student_notebook(A1, SOLUTIONS)
    notebook.cells.insert(1, nbformat.v4.new_markdown_cell(ORDINARY + "\n" + ATTACKS))
    shown = nbformat.v4.new_code_cell("x = 1")
    shown.outputs = [nbformat.v4.new_output("display_data", data={
        "text/html": "<b>bold</b><script>alert(4)</script><img src='data:image/png;base64,AAAA' onload=alert(5)>",
        "application/javascript": "alert(6)", "text/plain": "plain"})]
    notebook.cells.insert(2, shown)
    return notebook


def _no_active_content(text):
    lowered = text.lower()
    return not any(bad in lowered for bad in ("<script", "onerror", "onload", "javascript:", "application/javascript"))


@pytest.mark.root
@pytest.mark.slow
def test_graded_notebook_has_no_active_content(tmp_path, released):
    course = Course(tmp_path, released)
    submissions = course.students({"mallory": _hostile_notebook()})
    done = autograder("grade", A1, submissions, *course.args, "--workers", 1)
    assert done.returncode == 0, done.stdout + done.stderr
    text = (course.folder / "autograded" / "mallory" / A1 / f"{A1}.ipynb").read_text()
    assert _no_active_content(text)
    autograded = nbformat.reads(text, as_version=4)
    assert autograded.cells[1].source.startswith(ORDINARY), "ordinary markdown changed"
    assert float(read_csv(course.out / "grades.csv")[0]["score"]) == FULL


def test_sanitiser_on_outputs_attachments_raw_cells_and_svg():
    notebook = _hostile_notebook()
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    notebook.cells[2].outputs.append(nbformat.v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "1"}, "application/vnd.bokehjs_exec.v0+json": ""}))
    notebook.cells[2].outputs.append(nbformat.v4.new_output("execute_result", execution_count=1, data={
        "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(7)"><script>alert(8)</script>'
                         '<a href="javascript:alert(9)"><circle r="3" onclick="alert(10)"/></a>'
                         '<foreignObject><iframe src="https://evil.example"/></foreignObject></svg>'}))
    notebook.cells[2].outputs.append(nbformat.v4.new_output("stream", name="stdout", text="<b>text</b> &amp; 1 < 2\n"))
    notebook.cells.append(nbformat.v4.new_raw_cell('<iframe src="https://evil.example"></iframe><b onclick="x()">b</b>',
                                                   metadata={"raw_mimetype": "text/html"}))
    notebook.cells.append(nbformat.v4.new_raw_cell("<script>alert(11)</script>plain raw"))
    notebook.cells[1].attachments = {
        "page.html": {"text/html": base64.b64encode(b"<script>alert(12)</script><i>ok</i>").decode()},
        "image.png": {"image/png": "iVBORw0KGgo="}}
    sanitize_notebook(notebook)
    text = nbformat.writes(notebook)
    assert _no_active_content(text) and "iframe" not in text and "foreignObject" not in text
    assert "widget" not in text and "bokeh" not in text
    assert notebook.cells[1].source.startswith(ORDINARY)
    outputs = notebook.cells[2].outputs
    assert [o.output_type for o in outputs] == ["display_data", "execute_result", "stream"]
    assert outputs[0].data["text/html"] == "<b>bold</b><img src=\"data:image/png;base64,AAAA\">"
    assert outputs[0].data["text/plain"] == "plain" and "<circle" in outputs[1].data["image/svg+xml"]
    assert outputs[2].text == "<b>text</b> &amp; 1 < 2\n", "stream text is shown as text: left alone"
    assert notebook.cells[-2].source == "<b>b</b>" and notebook.cells[-1].source == "plain raw"
    attachment = base64.b64decode(notebook.cells[1].attachments["page.html"]["text/html"]).decode()
    assert attachment == "<i>ok</i>" and notebook.cells[1].attachments["image.png"] == {"image/png": "iVBORw0KGgo="}


@pytest.mark.parametrize("attack", [
    '<IMG SRC="jav\tascript:alert(1)">', '<a href="&#106;avascript:alert(1)">x</a>', "[x](&#x6A;avascript:alert(1))",
    "<javascript:alert(1)>", '<!-- <a title="--> <img src=x onerror=alert(1)>"> -->',
    '<? <a title="> <img src=x onerror=alert(1)>">', "<scr<script>x</script>ipt>alert(1)</script>",
    '<a title=\'x\' "<script>alert(1)</script>">', '<div onmouseover="alert(1)">x</div>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>", '<iframe srcdoc="<script>alert(1)</script>">',
    '<span style="position:fixed;background:url(javascript:alert(1))">x</span>', "[ref]: javascript:alert(1)\n[x][ref]",
    "$\\href{javascript:alert(1)}{x}$", "<form action=https://evil.example><input name=password></form>",
])
def test_markdown_attacks_are_inert(attack):
    cleaned = markdown(attack)
    # What is left is text (shown escaped) or tags with nothing that runs.
    tags = re.findall(r"<[A-Za-z][^>]*>?", cleaned)
    assert not [t for t in tags if re.search(r"(?i)on\w+\s*=|javascript|<(script|iframe|svg|form|input)", t)], cleaned
    assert not re.search(r"(?i)javascript\s*:|\]\(\s*&#", cleaned), cleaned
    assert markdown(cleaned) == cleaned


def test_course_notebooks_pass_the_sanitiser_unchanged():
    import copy
    import glob

    for path in [*glob.glob(str(ROOT / "assignments" / "*" / "*.ipynb")),
                 *glob.glob(str(ROOT / "solutions" / "*" / "*.ipynb")), *glob.glob(str(ROOT / "lectures" / "*.ipynb"))]:
        notebook = nbformat.read(path, as_version=4)
        markdown_cells = [c.source for c in notebook.cells if c.cell_type == "markdown"]
        cleaned = sanitize_notebook(copy.deepcopy(notebook))
        assert [c.source for c in cleaned.cells if c.cell_type == "markdown"] == markdown_cells, path


def test_matplotlib_svg_survives():
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    cleaned = svg(buffer.getvalue())
    assert cleaned.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert cleaned.count("<path") == buffer.getvalue().count("<path") and "clip-path" in cleaned


# ---- 5. control characters never reach the terminal ------------------------------------------

@pytest.mark.root
@pytest.mark.slow
def test_no_control_characters_on_the_terminal(tmp_path, released):
    course = Course(tmp_path, released)
    noisy = {**SOLUTIONS, "rnn_forward": "import sys\ndef rnn_forward(X, h0, W_x, W_h, b):\n"
                                         "    sys.stderr.write('\\x1b[31mred\\r\\x1b]0;title\\x07')\n"
                                         "    raise ValueError('bad \\x1b[2J\\x9b value')\n"}
    submissions = course.students({"evil\x1b]0;pwned\x07\x1b[2J\rname": SOLUTIONS, "noisy": noisy})
    renamed = submissions / "renamer"
    renamed.mkdir()
    nbformat.write(student_notebook(A1, {**SOLUTIONS, "rnn_forward": "def rnn_forward(*a):\n    while True: pass\n"}),
                   str(renamed / "my\x1b[31mwork\r.ipynb"))
    done = autograder("grade", A1, submissions, *course.args, "--workers", 2, "--timeout", 2)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "invalid" in done.stdout and "renamer: timeout" in done.stdout and "my[31m" not in done.stdout
    assert "evilname: invalid" in done.stdout, done.stdout
    for stream in (done.stdout, done.stderr):
        assert not CONTROL.search(stream.replace("\n", "").replace("\t", "")), repr(stream)
    path = tmp_path / "noisy.ipynb"
    nbformat.write(student_notebook(A1, noisy), str(path))
    for extra in ([], ["--show-hidden-tests"]):
        checked = autograder("check", path, "--assignment", A1, *extra)
        assert checked.returncode == 1 and "ValueError: bad" in checked.stdout, checked.stdout
        assert not CONTROL.search(checked.stdout.replace("\n", "").replace("\t", "")), repr(checked.stdout)
    assert cli.terminal("a\x1b[1;31mb\x1b]8;;http://x\x1b\\c\rd\x07e\u202ef\tg\n") == "abcdef\tg\n"


# ---- 6. two graders on one course ------------------------------------------------------------

def _lock_is_held(course):
    with open(course.folder / cli.LOCK_FILE, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


@pytest.mark.root
@pytest.mark.slow
def test_two_graders_on_one_course_take_turns(tmp_path, released):
    course = Course(tmp_path, released)
    submissions = course.students({"alice": SOLUTIONS, "bob": {**SOLUTIONS, "rnn_forward": WRONG_RNN},
                                   "carol": SOLUTIONS})
    first, second = (autograder("grade", A1, submissions, *course.args, "--workers", 2, "--lock-wait", 300,
                                popen=True) for _ in range(2))
    deadline = time.monotonic() + 60
    while not _lock_is_held(course):
        assert time.monotonic() < deadline and first.poll() is None and second.poll() is None
        time.sleep(0.05)
    third = autograder("grade", A1, submissions, *course.args, "--lock-wait", 0)
    line = one_line_error(third, "another grader is grading this course", "pid ", cli.LOCK_FILE)
    assert "waited 0 s" in line
    for process in (first, second):
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stdout + stderr
        assert "graded 3 of 3" in stdout
    scores, rows = course.recorded()
    assert scores == {"alice": FULL, "bob": PARTIAL, "carol": FULL} and rows == 3
    assert {r["student_id"]: r["score"] for r in read_csv(course.out / "grades.csv")} == {
        "alice": f"{FULL:g}", "bob": f"{PARTIAL:g}", "carol": f"{FULL:g}"}


# ---- 7. a grader killed in the middle of a class ---------------------------------------------

def _fully_recorded(course):
    """Students whose submission and every autograded score are in the gradebook (read as nbgrader wrote it)."""
    try:
        with sqlite3.connect(f"file:{course.folder / 'gradebook.db'}?mode=ro", uri=True, timeout=5) as db:
            rows = db.execute("SELECT s.student_id, COUNT(g.id), COUNT(g.auto_score) FROM submitted_assignment s "
                              "JOIN submitted_notebook n ON n.assignment_id = s.id "
                              "JOIN grade g ON g.notebook_id = n.id GROUP BY s.student_id").fetchall()
    except sqlite3.OperationalError:
        return set()
    tests = len(assignments.from_solutions(A1).tests)  # the other grades are hand-graded: no auto score
    return {student for student, grades, scored in rows if scored >= tests}


@pytest.mark.root
@pytest.mark.slow
def test_a_grader_killed_mid_class_and_run_again_loses_and_doubles_nothing(tmp_path, released):
    course = Course(tmp_path, released)
    wrong = {**SOLUTIONS, "rnn_forward": WRONG_RNN}
    answers = {f"s{i}": (wrong if i % 3 == 0 else SOLUTIONS) for i in range(6)}
    submissions = course.students(answers, extra_cells=["import time\ntime.sleep(2)"])
    grader = autograder("grade", A1, submissions, *course.args, "--workers", 2, popen=True)
    deadline = time.monotonic() + 300
    while not _fully_recorded(course):
        assert grader.poll() is None, grader.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(grader.pid, signal.SIGKILL)
    grader.communicate(timeout=60)
    done_before = _fully_recorded(course)
    assert 1 <= len(done_before) < 6, done_before
    assert not (course.out / "grades.csv").exists(), "killed before the end: no grades.csv yet"

    again = autograder("grade", A1, submissions, *course.args, "--workers", 2)
    assert again.returncode == 0, again.stdout + again.stderr
    expected = {s: (PARTIAL if a is wrong else FULL) for s, a in answers.items()}
    scores, rows = course.recorded()
    assert scores == expected and rows == 6
    grades = read_csv(course.out / "grades.csv")
    assert sorted(r["student_id"] for r in grades) == sorted(expected)
    assert {r["student_id"]: float(r["score"]) for r in grades} == expected
    assert all(r["status"] == "ok" for r in grades)
    from nbgrader.api import Gradebook

    with Gradebook(course.db) as gradebook:
        assert len(gradebook.students) == 6
        for student in expected:
            notebook = gradebook.find_submission_notebook(A1, A1, student)
            assert len({g.name for g in notebook.grades}) == len(notebook.grades)
    leftovers = [p for p in course.base.rglob("*.partial")]
    assert not leftovers, leftovers
    for student in expected:
        # the notebook once, with nbgrader's record of when it was submitted, as nbgrader's autograde leaves it
        assert sorted(p.name for p in (course.folder / "autograded" / student / A1).iterdir()) == [
            f"{A1}.ipynb", "timestamp.txt"]
