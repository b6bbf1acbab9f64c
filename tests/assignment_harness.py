"""Score an assignment's source notebook in-process, with chosen answer cells swapped in.

This mirrors how nbgrader scores an autograded test cell: the cell earns its points when it runs
without an exception *and* without writing to stderr; otherwise it earns 0. Running in-process
(no kernel per variant) lets the test suite try dozens of correct and incorrect implementations
in seconds; tests/test_assignments.py checks the same verdicts with real `nbgrader autograde`.
"""
import contextlib
import io
import warnings
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
ASSIGNMENTS = sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and (p / f"{p.name}.py").exists())


def source_notebook(assignment):
    """The instructor version (solutions, visible and hidden tests) read from its .py twin."""
    return jupytext.read(str(SOLUTIONS / assignment / f"{assignment}.py"), fmt="py:percent")


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def answer_cells(notebook):
    """{grade_id: source} of the autograded answer cells (code cells students fill in)."""
    return {nbgrader_meta(c)["grade_id"]: c.source for c in notebook.cells
            if c.cell_type == "code" and nbgrader_meta(c).get("solution")}


def test_cells(notebook):
    """{grade_id: points} of the autograded test cells, in notebook order."""
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"]) for c in notebook.cells
            if c.cell_type == "code" and nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")}


def _run_cell(source, namespace, name):
    """Run one cell; True when it raised nothing and wrote nothing to stderr."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("default")  # warnings print to (the redirected) stderr, as in a kernel
        try:
            exec(compile(source, name, "exec"), namespace)
        except Exception:  # noqa: BLE001 - a failing cell is a result, not an error of the harness
            return False
    return err.getvalue() == ""


def score(assignment, replacements=None):
    """Points earned by each test cell when the answer cells in ``replacements`` are swapped in.

    ``replacements`` maps an answer cell's grade_id to the source to put there; every other answer
    cell keeps the instructor's solution. Returns ``{test grade_id: (earned, possible)}``.
    """
    notebook = source_notebook(assignment)
    replacements = dict(replacements or {})
    unknown = set(replacements) - set(answer_cells(notebook))
    if unknown:
        raise KeyError(f"{assignment} has no answer cells {sorted(unknown)}")
    namespace = {"__name__": "__main__"}
    scores = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        meta = nbgrader_meta(cell)
        grade_id = meta.get("grade_id", "")
        ok = _run_cell(replacements.get(grade_id, cell.source), namespace, f"<{assignment}:{grade_id}>")
        if meta.get("grade") and not meta.get("solution"):
            points = float(meta["points"])
            scores[grade_id] = (points if ok else 0.0, points)
    return scores


def function_score(scores, name):
    """(earned, possible) over the test cells of one graded function or question."""
    cells = [v for k, v in scores.items() if k.startswith(f"test_{name}")]
    if not cells:
        raise KeyError(f"no test cells named test_{name}*")
    return sum(e for e, _ in cells), sum(p for _, p in cells)
