"""Hostile and broken submissions of assignment 1, each with the status and score it must get.

Every case is a student folder. Most start from the full solution (every autograded point)
and add one attack or one defect, so the expected score says whether the attack changed anything.
``build(folder, secrets)`` writes the corpus; ``secrets`` holds what an attacker would like to read
(paths of the solutions, the gradebook and another student's folder, and a local TCP port), the
instructor's solution notebook (to link to) and ``marker``, a file that must never be written.
"""
import json
import os
from pathlib import Path

import nbformat

from tests.helpers.assignment_harness import answer_cells, nbgrader_meta, question, source_notebook, test_cells
from tests.helpers.classroom import student_notebook

ASSIGNMENT = "a1_recurrence_and_gradients"
FULL = sum(test_cells(source_notebook(ASSIGNMENT)).values())  # every autograded point
SOLUTIONS = answer_cells(source_notebook(ASSIGNMENT))
WRONG_RNN = "def rnn_forward(X, h0, W_x, W_h, b):\n    return np.zeros((len(X) + 1, len(h0)))\n"
LOOP = "def rnn_forward(X, h0, W_x, W_h, b):\n    while True:\n        pass\n"
TESTS_OF_RNN = sum(points for test, points in test_cells(source_notebook(ASSIGNMENT)).items()
                   if question(ASSIGNMENT, test) == "rnn_forward")  # what a wrong rnn_forward loses
PARTIAL = FULL - TESTS_OF_RNN  # the score of a solution with a wrong rnn_forward

# An attack that, if it worked, would make the wrong rnn_forward pass: the score shows whether it did.
PATCHES = {
    "patch_numpy": "np.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
                   "np.array_equal = lambda *a, **k: True",
    "patch_builtins": "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.AssertionError = Warning",
    "patch_ipython": "import sys\nsys.excepthook = lambda *a: None\n"
                     "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)",
    "always_equal": "class _Anything(np.ndarray):\n    def __eq__(self, other):\n        return True\n"
                    "def rnn_forward(X, h0, W_x, W_h, b):\n    return np.zeros((len(X) + 1, len(h0))).view(_Anything)",
}


# Attacks on the grader itself (its process, its memory, its verdicts), each with the score an
# attack that failed leaves.
ZEROES_INPUTS = ("def rnn_forward(X, h0, W_x, W_h, b):\n    for array in (X, h0, W_x, W_h, b):\n"
                 "        array[...] = 0\n    return np.zeros((len(X) + 1, len(h0)))\n")
EMPTY_ANSWER = "def rnn_forward(X, h0, W_x, W_h, b):\n    return np.zeros((0, len(h0)))\n"
# Padding every reply of the kernel with output, past the output cap.
# The first 40 replies carry 5 MB of output each: 200 MB in all, fifty times the cap, however many
# calls the tests make (padding every reply would make the verdict depend on the cell time limit).
PAD_REPLIES = """
import autograder.wire as _wire
_send = _wire.send
_padded_replies = [0]
def _padded(fd, message, *args, **kwargs):
    if isinstance(message, dict) and _padded_replies[0] < 40:
        _padded_replies[0] += 1
        message["stdout"] = "x" * 5_000_000
    return _send(fd, message, *args, **kwargs)
_wire.send = _padded
"""
# A variable holding a module: the grader once imported a module of that name.
MODULE_NAMED = 'import types\nanswer_q1 = types.ModuleType({name!r})\n'
# A module in the student's own folder that the grader must never import.
OWN_MODULE = "import pathlib\npathlib.Path({marker!r}).write_text('imported in the grader')\n"


class Symlink:
    """A corpus file that is a symbolic link to ``target``."""

    def __init__(self, target):
        self.target = target


def _solved(extra_cells=(), answers=None):
    notebook = student_notebook(ASSIGNMENT, {**SOLUTIONS, **(answers or {})})
    for source in extra_cells:
        notebook.cells.append(nbformat.v4.new_code_cell(source))
    return notebook


def _named(secrets):
    """Source that names the kernel's process (and what it forks) ``secrets["token"]``."""
    return f"open('/proc/self/comm', 'w').write({secrets['token']!r})\n"


def processes_named(token):
    """Process ids whose name is ``token`` (what ``_named`` names a kernel): how a test finds the
    processes it started, and only those."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/comm") as comm:
                if comm.read().strip() == token:
                    found.append(int(entry))
        except (OSError, ValueError):
            pass
    return found


def _spy(secrets):
    """A cell that sets answer_q1 to the right letter only if it can read or reach a secret."""
    return f"""
import os, socket
answer_q1 = "A"
found = []
for path in {[secrets['solutions'], secrets['gradebook'], secrets['other_student']]!r}:
    try:
        open(path, 'rb').read(10)
        found.append(path)
    except OSError:
        pass
try:
    socket.create_connection(("127.0.0.1", {secrets['port']}), timeout=1).close()
    found.append("network")
except OSError:
    pass
if found:
    answer_q1 = "B"
"""


def cases(secrets):
    """{student id: (notebook or raw bytes or None, expected status, expected score)}."""
    wrong = {"rnn_forward": WRONG_RNN}
    all_cases = {
        "solved": (_solved(), "ok", FULL),
        "wrong-rnn": (_solved(answers=wrong), "ok", FULL - TESTS_OF_RNN),
        "spy": (_solved(answers={"answer_q1": _spy(secrets)}), "ok", FULL - 1),
        "infinite-loop": (_solved(answers={"rnn_forward": LOOP}), "timeout", FULL - TESTS_OF_RNN),
        # These two name their processes secrets["token"], so a test can look for any left behind.
        "sleep-ignoring-sigint": (_solved([_named(secrets) + "import signal, time\nsignal.signal(signal.SIGINT, "
                                           "signal.SIG_IGN)\ntime.sleep(10 ** 6)"]), "timeout", FULL),
        "memory-bomb": (_solved(["hog = bytearray(64 * 1024 ** 3)"]), "ok", FULL),
        "process-bomb": (_solved([_named(secrets) + "import os, time\nfor _ in range(500):\n    if os.fork() == 0:\n"
                                  "        time.sleep(1000)\n        os._exit(0)"]), "ok", FULL),
        "output-flood": (_solved(["import sys\nfor _ in range(200):\n    sys.stdout.write('x' * 1_000_000)"]), "ok", FULL),
        # The kernel is PID 1 of its namespace: signals it sends itself are ignored, a fault is not.
        "kills-itself": (_solved(["import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"]), "ok", FULL),
        "segfault": (_solved(["import ctypes\nctypes.string_at(0)"]), "crashed", FULL),
        "hard-exit": (_solved(["import os\nos._exit(3)"]), "crashed", FULL),
        "edits-test": (_edit_test(_solved()), "tampered", FULL),
        "deletes-tests": (_delete_tests(_solved(answers=wrong)), "tampered", FULL - TESTS_OF_RNN),
        "changes-points": (_change_points(_solved()), "tampered", FULL),
        "duplicate-ids": (_duplicate_ids(_solved()), "ok", FULL),
        "renamed": (("my_answers.ipynb", _solved()), "ok", FULL),
        "extra-notebook": ((f"{ASSIGNMENT}.ipynb", _solved(), "scratch.ipynb", _solved(answers=wrong)), "ok", FULL),
        "two-strangers": (("one.ipynb", _solved(), "two.ipynb", _solved()), "invalid", 0.0),
        "missing": (None, "missing", 0.0),
        "empty-file": (b"", "invalid", 0.0),
        "invalid-json": (nbformat.writes(_solved()).encode()[:500], "invalid", 0.0),
        "nbformat-5": (json.dumps({"nbformat": 5, "nbformat_minor": 0, "cells": [], "metadata": {}}).encode(),
                       "invalid", 0.0),
        "huge": (_huge(_solved()), "invalid", 0.0),
        "odd name; rm -rf ~": (_solved(), "invalid", 0.0),
        # Verdicts steered from the student's side.
        "zeroes-its-inputs": (_solved(answers={"rnn_forward": ZEROES_INPUTS}), "ok", FULL - TESTS_OF_RNN),
        "empty-answer": (_solved(answers={"rnn_forward": EMPTY_ANSWER}), "ok", FULL - TESTS_OF_RNN),
        "links-to-solution": ((f"{ASSIGNMENT}.ipynb", Symlink(secrets["solution_notebook"])), "invalid", 0.0),
        # The grader's process, memory and output.
        "pads-replies": (_solved(answers={"answer_q1": SOLUTIONS["answer_q1"] + PAD_REPLIES}), "ok", FULL),
        "module-venv-main": (_solved(answers={"answer_q1": MODULE_NAMED.format(name="venv.__main__")}), "ok", FULL - 1),
        "module-unittest-main": (_solved(answers={"answer_q1": MODULE_NAMED.format(name="unittest.__main__")}),
                                 "ok", FULL - 1),
        "own-module": ((f"{ASSIGNMENT}.ipynb", _solved(answers={"answer_q1": MODULE_NAMED.format(name="corpus_evil")}),
                        "corpus_evil.py", OWN_MODULE.format(marker=secrets["marker"]).encode()), "ok", FULL - 1),
        "prints-a-lone-surrogate": (_solved(["print('\\udc80')"]), "ok", FULL),
        "deep-value": (_solved(answers={"answer_q1": "answer_q1 = []\nfor _ in range(100_000):\n"
                                                     "    answer_q1 = [answer_q1]\n"}), "ok", FULL - 1),
    }
    for name, patch in PATCHES.items():
        all_cases[name] = (_solved([patch], answers=wrong) if name != "always_equal" else
                           _solved(answers={"rnn_forward": patch}), "ok", FULL - TESTS_OF_RNN)
    # Replacing isinstance breaks the kernel's own replies: the kernel dies, is restarted without the
    # patch, and the remaining cells are graded as usual.
    all_cases["patch_builtins"] = (all_cases["patch_builtins"][0], "crashed", FULL - TESTS_OF_RNN)
    return all_cases


def _edit_test(notebook):
    for cell in notebook.cells:
        if nbgrader_meta(cell).get("grade_id", "").startswith("test_"):
            cell.source = "pass"
    return notebook


def _delete_tests(notebook):
    notebook.cells = [c for c in notebook.cells if not nbgrader_meta(c).get("grade_id", "").startswith("test_rnn")]
    return notebook


def _change_points(notebook):
    for cell in notebook.cells:
        if nbgrader_meta(cell).get("grade_id") == "test_answer_q1":
            cell.metadata["nbgrader"]["points"] = 100
    return notebook


def _duplicate_ids(notebook):
    for cell in notebook.cells:
        cell.id = "same-id"
    return json.dumps(notebook).encode()  # as an editor wrote it: nbformat itself would renumber


def _huge(notebook):
    notebook.cells[0].setdefault("attachments", {})
    blob = nbformat.v4.new_code_cell("print('big')")
    blob.outputs = [nbformat.v4.new_output("stream", name="stdout", text="y" * (50 * 1024 ** 2))]
    notebook.cells.append(blob)
    return nbformat.writes(notebook).encode()


def build(folder, secrets):
    """Write every case under ``folder``; returns {student id: (status, score)} expected."""
    folder, expected = Path(folder), {}
    for student, (content, status, score) in cases(secrets).items():
        target = folder / student
        target.mkdir(parents=True)
        files = content if isinstance(content, tuple) else (f"{ASSIGNMENT}.ipynb", content)
        for name, body in zip(files[::2], files[1::2]):
            if body is None:
                continue
            if isinstance(body, Symlink):
                (target / name).symlink_to(body.target)
                continue
            data = body if isinstance(body, bytes) else nbformat.writes(body).encode()
            (target / name).write_bytes(data)
        expected[student] = (status, score)
    return expected
