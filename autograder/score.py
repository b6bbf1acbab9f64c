"""Step 3 of the pipeline: points per graded cell, the total, and the submission's status.

A test cell's points are decided by nbgrader's own rule (``nbgrader.utils.determine_grade``): full
points when the cell ran without an error output and without stderr output, 0 otherwise. So a
score here is the score nbgrader's formgrader shows for the same outputs.
"""
import dataclasses

from nbgrader.utils import determine_grade

from autograder.assignment import nbgrader_meta

#: Statuses in the order they take precedence in grades.csv.
STATUSES = ("invalid", "missing", "timeout", "crashed", "tampered", "ok")
#: Statuses for which a grade was produced (the exit status of `grade` is 0 when all are these).
GRADED = {"ok", "tampered", "timeout", "crashed"}


@dataclasses.dataclass
class Result:
    student_id: str
    status: str
    message: str
    score: float = 0.0
    max_score: float = 0.0
    items: list = dataclasses.field(default_factory=list)    # (grade_id, score or None, max)
    choices: dict = dataclasses.field(default_factory=dict)  # multiple choice: question -> letter
    autograded: str = ""      # the executed notebook, JSON
    submitted: bytes = b""    # the notebook as submitted
    path: str = ""
    timestamp: float = 0.0
    seconds: float = 0.0


def items(notebook, assignment):
    """(grade_id, score, max) for every test cell, then (grade_id, None, max) for hand-graded ones."""
    rows = []
    for cell in notebook.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in assignment.tests:
            score, points = determine_grade(cell)
            rows.append((grade_id, float(score), float(points)))
    rows += [(grade_id, None, points) for grade_id, points in assignment.manual.items()]
    return rows


def by_question(items, assignment):
    """{question: (earned, possible, grade_ids of its cells that lost points)}, autograded items only,
    in notebook order; a question is a graded function or multiple-choice answer."""
    questions = {}
    for grade_id, earned, points in items:
        if earned is None:
            continue
        got, possible, failed = questions.get(assignment.question_of(grade_id), (0.0, 0.0, []))
        questions[assignment.question_of(grade_id)] = (got + earned, possible + points,
                                                       failed + ([grade_id] if earned < points else []))
    return questions


def status_and_message(incidents, tampered, notes):
    """The submission's status and a message a person can act on."""
    parts, status = [], "ok"
    if tampered:
        status = "tampered"
        parts.append("tests restored: " + "; ".join(tampered))
    for kind, cell, detail in incidents:
        parts.append(f"{cell}: {detail}")
    kinds = {kind for kind, _, _ in incidents}
    for kind in ("crashed", "timeout"):
        if kind in kinds:
            status = kind
    parts += notes
    return status, " | ".join(parts)
