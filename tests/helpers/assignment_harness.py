"""Score an assignment's source notebook in-process, with chosen answer cells swapped in.

This mirrors how nbgrader scores an autograded test cell: the cell earns its points when it runs
without an exception *and* without writing to stderr; otherwise it earns 0. Running in-process
(no kernel per variant) lets the test suite try dozens of correct and incorrect implementations
in seconds; tests/test_assignments.py checks the same verdicts with real `nbgrader autograde`.
"""
import contextlib
import functools
import io
import warnings

import jupytext
import matplotlib

matplotlib.use("Agg")  # cells that draw must not need a display
import matplotlib.pyplot as plt  # noqa: E402
from tests.helpers import COURSE

from autograder.model import question_of  # noqa: E402

ROOT = COURSE.root
SOLUTIONS = COURSE.solutions
ASSIGNMENTS = COURSE.assignment_ids


@functools.lru_cache(maxsize=None)
def source_notebook(assignment):
    """The instructor version (solutions, visible and hidden tests) read from its .py twin.

    Cached: callers read it and must not modify it.
    """
    return jupytext.read(str(SOLUTIONS / assignment / f"{assignment}.py"), fmt="py:percent")


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def answer_cells(notebook):
    """{grade_id: source} of the autograded answer cells (code cells students fill in)."""
    return {nbgrader_meta(c)["grade_id"]: c.source for c in notebook.cells
            if c.cell_type == "code" and nbgrader_meta(c).get("solution")}


def question(assignment, test_id):
    """The graded function or question a test cell of ``assignment`` belongs to, by the grader's
    own rule (autograder.model.question_of)."""
    return question_of(test_id, _answers(assignment))


@functools.lru_cache(maxsize=None)
def _answers(assignment):
    return tuple(answer_cells(source_notebook(assignment)))


def solved_student_version(assignment, released_path):
    """The student notebook at ``released_path`` with the instructor's answers typed in, as a
    student who got everything right would submit it."""
    import nbformat

    notebook = nbformat.read(str(released_path), as_version=4)
    solutions = answer_cells(source_notebook(assignment))
    for cell in notebook.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in solutions:
            cell.source = solutions[grade_id]
    return notebook


def test_cells(notebook):
    """{grade_id: points} of the autograded test cells, in notebook order."""
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"]) for c in notebook.cells
            if c.cell_type == "code" and nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")}


def _run_cell(source, namespace, name):
    """Run one cell; True when it raised nothing and wrote nothing to stderr."""
    err = io.StringIO()
    # Record warnings rather than let them print: pytest replaces warnings.showwarning, so a
    # warning would never reach the redirected stderr. In a kernel it would, and cost the cell.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(compile(source, name, "exec"), namespace)
        except Exception:  # noqa: BLE001 - a failing cell is a result, not an error of the harness
            return False
    return err.getvalue() == "" and not caught


def _code_cells(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            meta = nbgrader_meta(cell)
            yield cell, meta.get("grade_id", ""), bool(meta.get("grade") and not meta.get("solution"))


@functools.lru_cache(maxsize=None)
def _solution_namespace(assignment):
    """The namespace after running every cell except the tests, with the instructor's answers."""
    namespace = {"__name__": "__main__"}
    try:
        for cell, grade_id, is_test in _code_cells(source_notebook(assignment)):
            if not is_test:
                _run_cell(cell.source, namespace, f"<{assignment}:{grade_id}>")
    finally:
        plt.close("all")
    return namespace


def score(assignment, replacements=None, only=None):
    """Points earned by each test cell when the answer cells in ``replacements`` are swapped in.

    ``replacements`` maps an answer cell's grade_id to the source to put there; every other answer
    cell keeps the instructor's solution. Without ``only``, the notebook runs top to bottom, as in
    nbgrader. With ``only``, just the test cells of that function or question (``question``)
    run, on top of a cached run of all non-test cells with the replacements applied after it; that
    is what makes trying dozens of variants fast. Returns ``{test grade_id: (earned, possible)}``.
    """
    notebook = source_notebook(assignment)
    replacements = dict(replacements or {})
    unknown = set(replacements) - set(answer_cells(notebook))
    if unknown:
        raise KeyError(f"{assignment} has no answer cells {sorted(unknown)}")
    namespace = dict(_solution_namespace(assignment)) if only is not None else {"__name__": "__main__"}
    scores = {}
    try:
        for cell, grade_id, is_test in _code_cells(notebook):
            if only is not None:
                if not is_test:
                    if grade_id in replacements:
                        _run_cell(replacements[grade_id], namespace, f"<{assignment}:{grade_id}>")
                    continue
                if question(assignment, grade_id) != only:
                    continue
            ok = _run_cell(replacements.get(grade_id, cell.source), namespace, f"<{assignment}:{grade_id}>")
            if is_test:
                points = float(nbgrader_meta(cell)["points"])
                scores[grade_id] = (points if ok else 0.0, points)
    finally:
        plt.close("all")
    return scores


def isolated_score(assignment, replacements=None, only=None):
    """``score`` in a forked process of its own: whatever one variant does to the interpreter
    (raise the recursion limit, patch numpy, leave globals behind) cannot change the next one's
    verdict. The cached run of the solution is made here first, so every fork starts from it."""
    import os
    import pickle

    if only is not None:
        _solution_namespace(assignment)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: score, send the result, leave without running pytest's teardown
        try:
            payload = pickle.dumps(("scores", score(assignment, replacements, only)))
        except BaseException as error:  # noqa: BLE001 - reported to the parent as a failure
            payload = pickle.dumps(("error", f"{type(error).__name__}: {error}"))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    if not data:
        raise RuntimeError(f"the variant's process died without a result ({assignment}, {only})")
    kind, value = pickle.loads(data)
    if kind == "error":
        raise RuntimeError(value)
    return value


def function_score(assignment, scores, name):
    """(earned, possible) over the test cells of one graded function or question of ``assignment``."""
    cells = [v for k, v in scores.items() if question(assignment, k) == name]
    if not cells:
        raise KeyError(f"no test cells of {name} in {assignment}")
    return sum(e for e, _ in cells), sum(p for _, p in cells)
