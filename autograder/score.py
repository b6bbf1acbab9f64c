"""Step 3 of the pipeline: points per graded cell, the total, and the submission's status.

A test cell's points are decided by nbgrader's own rule (``nbgrader.utils.determine_grade``): full
points when the cell ran without an error output and without stderr output, 0 otherwise. So a
score here is the score nbgrader's formgrader shows for the same outputs.
"""
import typing

from nbgrader.utils import determine_grade

from autograder.assignment import nbgrader_meta
from autograder.model import Item, Status


class QuestionScore(typing.NamedTuple):
    """One question's autograded points, and which of its test cells lost points."""
    earned: float
    points: float
    failed: tuple  # grade_ids


def items(notebook, assignment):
    """An Item for every test cell of the assignment, once, in notebook order (a test cell the
    notebook does not have scores 0, after the others), then one with score None for each
    hand-graded cell.

    The points possible are the assignment's, never the submission's (restore.py already put the
    assignment's metadata back; this makes it true whatever a notebook claims): each test cell is
    scored by nbgrader's rule as if it carried the assignment's metadata, a second cell with the
    same grade_id or one whose grade_id is not a string counts nowhere, a test that is not a code
    cell or cannot be scored earns 0, and no cell earns more than its points."""
    from nbformat import from_dict

    def earned(cell, grade_id, points):
        graded = from_dict({"cell_type": cell.get("cell_type"), "source": cell.get("source", ""),
                            "metadata": {"nbgrader": {"grade": True, "solution": False, "grade_id": grade_id,
                                                      "points": points}},
                            "outputs": cell.get("outputs") if isinstance(cell.get("outputs"), list) else []})
        try:
            score, _ = determine_grade(graded)
            score = float(score)
        except Exception:  # noqa: BLE001 - not a code cell (None), or outputs nbgrader cannot read
            return 0.0
        return min(max(score, 0.0), points) if score == score else 0.0  # NaN earns nothing

    rows, scored = [], set()
    for cell in notebook.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if isinstance(grade_id, str) and grade_id in assignment.tests and grade_id not in scored:
            scored.add(grade_id)
            points = assignment.tests[grade_id]
            rows.append(Item(grade_id, earned(cell, grade_id, points), points))
    rows += [Item(grade_id, 0.0, points) for grade_id, points in assignment.tests.items() if grade_id not in scored]
    rows += [Item(grade_id, None, points) for grade_id, points in assignment.manual.items()]
    return rows


def by_question(items, assignment):
    """{question: QuestionScore}, autograded items only, in notebook order; a question is a graded
    function or a multiple-choice answer."""
    questions = {}
    for item in items:
        if item.score is None:
            continue
        question = assignment.question_of(item.grade_id)
        so_far = questions.get(question, QuestionScore(0.0, 0.0, ()))
        lost = (item.grade_id,) if item.score < item.max_score else ()
        questions[question] = QuestionScore(so_far.earned + item.score, so_far.points + item.max_score,
                                            so_far.failed + lost)
    return questions


def status_and_message(incidents, tampered, notes):
    """The submission's status and a message a person can act on."""
    parts, status = [], Status.OK
    if tampered:
        status = Status.TAMPERED
        parts.append("tests restored: " + "; ".join(tampered))
    for incident in incidents:
        parts.append(f"{incident.cell}: {incident.detail}")
    kinds = {incident.kind for incident in incidents}
    for kind in (Status.CRASHED, Status.TIMEOUT):
        if kind in kinds:
            status = kind
    parts += notes
    return status, " | ".join(parts)
