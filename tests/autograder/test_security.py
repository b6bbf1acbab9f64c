"""The grader is the trust boundary: what a student sends may not run in it, steer it, or outgrow it.

The hostile corpus (tests/helpers/autograder_corpus.py, graded in tests/autograder/test_grade.py) covers attacks
on assignment 1 through the command line. These tests cover the rest, each a class of attack:
verdicts steered by mutating inputs or returning empty arrays (assignment 3), functions of the
tests kept and called after their test (assignment 4), memory held by a kernel's children
together, a grader killed mid-class, and the wire and verdict parsers fed hostile bytes directly.
"""
import os
import signal
import subprocess
import sys
import time

import nbformat
import numpy as np
import pytest

from tests.helpers.assignment_harness import ROOT, answer_cells, source_notebook
from tests.helpers.autograder_corpus import processes_named
from tests.helpers.classroom import student_notebook
from autograder import assignment as assignments
from autograder import pipeline, runner, sandbox, wire
from autograder.model import CHOICES, Status, Submission
from tests.helpers import COURSE


A3, A4 = "a3_self_attention", "a4_why_attention_won"


def grade(assignment, answers, limits=sandbox.Limits(cell_seconds=20)):
    """Grade one notebook with the instructor's answers except ``answers``; the Result."""
    spec = assignments.from_solutions(assignment)
    solved = {**answer_cells(source_notebook(assignment)), **answers}
    notebook = student_notebook(assignment, solved)
    return pipeline.grade_submission(spec, Submission("s", data=nbformat.writes(notebook).encode()), limits)


def points_of(result, assignment, question):
    """Points the result earned on the test cells of one question (the grader's rule, model.question_of)."""
    of = assignments.from_solutions(assignment).question_of
    return sum(item.score for item in result.items if of(item.grade_id) == question and item.score is not None)


SDPA_UNIFORM = """
def scaled_dot_product_attention(Q, K, V, mask=None):
    {mutation}
    weights = np.full(Q.shape[:-1] + (K.shape[-2],), 1.0 / K.shape[-2])
    return weights @ V, weights
"""


@pytest.mark.root
@pytest.mark.slow
def test_zeroing_the_inputs_earns_nothing():
    """Uniform weights are wrong; zeroing Q, K and V in place once made the tests' references
    agree with them (13 of 15 points instead of 8). The tests' arguments are their own now."""
    plain = grade(A3, {"scaled_dot_product_attention": SDPA_UNIFORM.format(mutation="pass")})
    zeroing = grade(A3, {"scaled_dot_product_attention": SDPA_UNIFORM.format(
        mutation="Q[...] = 0; K[...] = 0; V[...] = 0")})
    assert plain.status == zeroing.status == Status.OK
    assert points_of(zeroing, A3, "scaled_dot_product_attention") \
        <= points_of(plain, A3, "scaled_dot_product_attention") < 5


@pytest.mark.root
@pytest.mark.slow
def test_empty_arrays_are_not_right_answers():
    """An answer cut to 0 rows: ``np.allclose`` of broadcast empties is vacuously true, so the
    runner's comparisons refuse an empty array against a non-empty one."""
    empty = grade(A3, {"scaled_dot_product_attention": """
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return (weights @ V)[..., :0, :], weights[..., :0, :]
"""})
    assert points_of(empty, A3, "scaled_dot_product_attention") == 0


@pytest.mark.root
@pytest.mark.slow
def test_a_function_of_the_tests_dies_with_its_test():
    """a4's tests hand made-up cost functions to the student's crossover_length. A student who
    keeps one and calls it from a later cell (once: to make the grader build a huge list) gets an
    error in that cell, and the grade is the solved notebook's."""
    keeper = answer_cells(source_notebook(A4))["crossover_length"] + """
_kept = []
_original = crossover_length
def crossover_length(d):
    _kept.append(rnn_layer_flops)
    return _original(d)
"""
    spec = assignments.from_solutions(A4)
    notebook = student_notebook(A4, {**answer_cells(source_notebook(A4)), "crossover_length": keeper})
    notebook.cells.append(nbformat.v4.new_code_cell(
        "for _f in _kept:\n    try:\n        _f(10 ** 7, 10 ** 7)\n    except Exception as error:\n"
        "        print('refused:', error)\n        break"))
    result = pipeline.grade_submission(spec, Submission("s", data=nbformat.writes(notebook).encode()))
    assert result.score == grade(A4, {}).score == spec.max_score
    last = nbformat.reads(result.autograded, 4).cells[-1]
    assert "refused" in "".join(o.get("text", "") for o in last.outputs), last.outputs


@pytest.mark.root
@pytest.mark.slow
def test_a_slow_callback_is_stopped_by_the_cell_limit():
    """A student's function that calls the tests' function without end is stopped at the cell's
    time limit, like any endless loop."""
    spinning = """
def crossover_length(d):
    n = 1
    while True:
        self_attention_layer_flops(n, d)
        n += 1
"""
    limits = sandbox.Limits(cell_seconds=2, notebook_seconds=120)
    started = time.monotonic()
    result = grade(A4, {"crossover_length": spinning}, limits)
    assert result.status == Status.TIMEOUT and points_of(result, A4, "crossover_length") == 0
    assert time.monotonic() - started < 60


@pytest.mark.root
@pytest.mark.slow
@pytest.mark.skipif(sandbox.cgroup_support() == "none", reason="this machine gives no cgroups to limit memory")
def test_memory_limit_holds_for_the_kernel_and_its_children_together():
    """Six children of 150 MB each stay under a 512 MB per-process limit but not under a 512 MB
    limit on the kernel as a whole: the cgroup stops them. The student's answer is right only if
    the limit held."""
    spec = assignments.from_solutions("a1_recurrence_and_gradients")
    right = spec.correct_choice("q1")
    wrong = next(letter for letter in CHOICES if letter != right)
    hog = f"""
import os
children = []
for _ in range(6):
    pid = os.fork()
    if pid == 0:
        block = b"x" * (150 * 1024 ** 2)
        import time
        time.sleep(3)
        os._exit(0)
    children.append(pid)
survived = sum(os.waitpid(pid, 0)[1] == 0 for pid in children)
answer_q1 = {wrong!r} if survived == 6 else {right!r}
"""
    limits = sandbox.Limits(cell_seconds=30, memory_bytes=512 * 1024 ** 2)
    result = grade("a1_recurrence_and_gradients", {"answer_q1": hog}, limits)
    assert result.choices["q1"] == right, "all six children held 900 MB together under a 512 MB limit"


@pytest.mark.root
@pytest.mark.slow
def test_kernels_die_with_a_grader_killed_by_sigkill(tmp_path):
    """The grader killed with SIGKILL mid-class: the endless kernels it started die too (each
    process of the chain has a parent-death signal; the kernel is PID 1 of its namespace)."""
    token = f"r2a-orphan-{os.getpid() % 10000}"
    loop = f"open('/proc/self/comm', 'w').write({token!r})\nwhile True:\n    pass\n"
    name = "a1_recurrence_and_gradients"
    for student in ("s1", "s2"):
        (tmp_path / "class" / student).mkdir(parents=True)
        notebook = student_notebook(name, {**answer_cells(source_notebook(name)), "rnn_forward": loop})
        nbformat.write(notebook, str(tmp_path / "class" / student / f"{name}.ipynb"))
    (tmp_path / "course").mkdir()
    grader = subprocess.Popen([sys.executable, "-m", "autograder", "grade", name, tmp_path / "class",
                               "--course", tmp_path / "course", "--db", f"sqlite:///{tmp_path / 'course' / 'gb.db'}",
                               "--out", tmp_path / "out", "--timeout", "300", "--workers", "2"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=COURSE.tool_env())
    deadline = time.monotonic() + 120
    while not processes_named(token) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_named(token), "the looping kernels never started"
    os.kill(grader.pid, signal.SIGKILL)
    grader.wait()
    deadline = time.monotonic() + 20
    while processes_named(token) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not processes_named(token), "student kernels outlived the grader"


# ---- the parsers, fed hostile bytes directly --------------------------------------------------------

def _message(payload):
    """A descriptor to read one framed message from (a file: a pipe would block the writer)."""
    import tempfile

    with tempfile.TemporaryFile() as handle:
        handle.write(len(payload).to_bytes(4, "big") + payload)
        handle.seek(0)
        return os.dup(handle.fileno())


@pytest.mark.parametrize("payload", [b"[" * 100_000, b"{" * 100_000, b'"\\ud800' + b"x" * 10, b"\xff\xfe"])
def test_wire_refuses_malformed_and_deep_messages(payload):
    fd = _message(payload)
    with pytest.raises(wire.WireError):
        wire.receive(fd, 1 << 20)
    os.close(fd)


def test_wire_counts_containers_before_parsing():
    fd = _message(b"[" + b"[]," * 300_000 + b"[]]")
    with pytest.raises(wire.WireError, match="lists and objects"):
        wire.receive(fd, 1 << 24, max_containers=100_000)
    os.close(fd)


@pytest.mark.parametrize("value", [
    {"handle": {"side": "student", "kind": "module", "summary": "venv.__main__", "key": 1}},
    {"int": "9" * 100_000},                                      # a gigantic int
    {"ndarray": ["<f8", [10 ** 6, 10 ** 6], ""]},                 # a shape with no data behind it
    {"ndarray": ["<f8", [2, 2], "AAAA"]},                         # data that does not match the shape
    {"ndarray": ["|O", [1], ""]},                                 # objects
    {"list": [{"list": []}] * (wire.MAX_ITEMS + 1)},              # too many items
    {"dict": [[{"list": []}, 1]]},                                # an unhashable key
    {"pickle": "gASV"},
])
def test_wire_decodes_plain_data_only(value):
    imported = []
    if "handle" in value:
        # A module reference becomes an inert handle: nothing is imported by the name it carries.
        before = set(sys.modules)
        handle = wire.decode(value, lambda body: imported.append(body) or body)
        assert handle["summary"] == "venv.__main__" and set(sys.modules) == before
        return
    with pytest.raises(wire.WireError):
        wire.decode(value, lambda body: body)


@pytest.mark.parametrize("value", [
    np.array(3.5), np.array(7), np.array(True), np.zeros((0,)), np.zeros((2, 0, 3)), np.arange(6.0),
    np.arange(12.0).reshape(3, 4).T, np.arange(24).reshape(2, 3, 4)[:, ::2, 1:], np.asfortranarray(np.eye(3)),
    np.arange(5, dtype=np.float32), np.array([1 + 2j]), np.float64(2.5), np.int64(-3), np.bool_(False)])
def test_wire_carries_every_array_with_its_shape_dtype_and_values(value):
    """What a student's function returns arrives as it left: a 0-d array stays 0-d (a test of
    "return a single number" reads its shape), a strided or transposed view keeps its values."""
    back = wire.decode(wire.encode(value, lambda obj: {"handle": {}}), lambda body: body)
    assert type(back) is type(value) and np.shape(back) == np.shape(value)
    assert np.asarray(back).dtype == np.asarray(value).dtype and np.array_equal(back, value)


def test_wire_refuses_to_encode_enormous_broadcast_views():
    view = np.broadcast_to(np.zeros(1), (10 ** 6, 10 ** 6))
    with pytest.raises(wire.WireError, match="too large"):
        wire.encode(view, lambda obj: {"handle": {}})


def test_send_gives_up_when_the_other_side_stops_reading():
    read, write = os.pipe()
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        wire.send(write, {"op": "run", "source": "x" * (1 << 20)}, time.monotonic() + 0.5)
    assert time.monotonic() - started < 5
    os.close(read)
    os.close(write)


PLAN = {"cells": [{"test": False, "source": "", "name": "cell 1"}, {"test": True, "source": "", "name": "cell 2"}],
        "setup": [], "read": ["answer_q1"]}
GOOD = {"op": "verdict", "outputs": [[], [{"output_type": "stream", "name": "stdout", "text": "hi"}]],
        "incidents": [], "values": {"answer_q1": "A"}, "timings": {"tests": 0.5}}


@pytest.mark.parametrize("change", [
    {"outputs": [[]]},                                                      # a cell missing
    {"outputs": [[], [{"output_type": "display_data", "data": {"text/html": "<script>"}}]]},
    {"outputs": [[], [{"output_type": "stream", "name": "stdout", "text": "x" * (2 * 1024 ** 2)}]]},
    {"outputs": [[], [{"output_type": "error", "ename": "E", "evalue": "", "traceback": "not a list"}]]},
    {"outputs": [[], [{"output_type": "stream", "name": "stdout", "text": "a", "extra": 1}]]},
    {"incidents": [["tampered", "cell 2", "x"]]},
    {"values": {"answer_q1": "A" * 100}},
    {"values": {"other_name": "A"}},
    {"score": 100},
])
def test_the_verdict_parser_is_strict(change):
    assert runner.parse_verdict(GOOD, PLAN, sandbox.Limits())["values"] == {"answer_q1": "A"}
    with pytest.raises(runner.RunnerError):
        runner.parse_verdict({**GOOD, **change}, PLAN, sandbox.Limits())


def test_the_runners_timings_are_kept_only_as_plain_numbers_of_known_steps():
    """The runner reports where its time went (for the profile); what student code could put
    there is dropped, never a grade and never an error."""
    timings = {"tests": 0.25, "student cells": 2, "score": 99.0, "wire": -1.0, "sandbox start": "x",
               "student calls": float("nan"), "gradebook": 1.0}
    verdict = runner.parse_verdict({**GOOD, "timings": timings}, PLAN, sandbox.Limits())
    assert verdict["timings"] == {"tests": 0.25, "student cells": 2.0}
    assert runner.parse_verdict({**GOOD, "timings": "fast"}, PLAN, sandbox.Limits())["timings"] == {}


def test_grading_is_refused_without_the_isolation_it_needs(monkeypatch):
    monkeypatch.setattr(sandbox, "isolation_mode", lambda: "userns")
    with pytest.raises(sandbox.SandboxUnavailable, match="needs the root sandbox"):
        runner.require_isolation(sandbox.Limits())
    runner.require_isolation(sandbox.Limits(isolation="userns"))


@pytest.mark.root
@pytest.mark.slow
def test_a_kernel_that_cannot_run_refuses_grading(monkeypatch):
    """A sandbox user who cannot run Python here means no grading, not grading as root."""
    monkeypatch.setattr(sandbox, "kernel_uid", lambda: 61000 + os.getpid() % 20000)
    monkeypatch.setattr(sandbox, "package_dir", lambda name: ROOT / "no-such-folder" / name)
    with pytest.raises(sandbox.SandboxUnavailable, match="does not start"):
        sandbox.probe(sandbox.Limits(cell_seconds=10))
