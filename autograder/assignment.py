"""What the grader knows about one assignment: its cells, tests, points and pristine sources.

The student version (``assignments/<id>/<id>.ipynb``) gives the order of the cells and what a
student was handed. The pristine sources of test cells (hidden tests included) and of locked cells
come from the nbgrader gradebook when grading a class (``from_gradebook``), and from the instructor
version in ``solutions/`` for a self-check (``from_solutions``): those are the copies a submission
cannot have touched.
"""
import dataclasses

import nbformat

from autograder import model

# nbgrader.utils is imported where it is used: importing nbgrader takes seconds, and the jailed test
# runner imports this module (for nbgrader_meta) without needing it.


def nbgrader_meta(cell):
    """The cell's nbgrader metadata; {} when there is none or it is not an object (``"nbgrader": 5``)."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def graded_view(cell):
    """``cell`` as nbgrader.utils can read it whatever it holds: its type, and its nbgrader metadata
    when that is an object with a grade_id that is a non-empty string (else none: such a cell is no
    cell of an assignment). ``utils.is_grade``, ``is_solution``, ``is_locked`` and ``is_task`` then
    judge any cell, a hostile one included."""
    meta = nbgrader_meta(cell)
    grade_id = meta.get("grade_id")
    view = nbformat.NotebookNode(cell_type=cell.get("cell_type") if isinstance(cell, dict) else None,
                                 metadata=nbformat.NotebookNode())
    if isinstance(grade_id, str) and grade_id:
        view.metadata["nbgrader"] = nbformat.NotebookNode(meta)
    return view


def is_test(cell):
    """An autograded test cell: a code cell nbgrader grades (grade, not solution), with a grade_id."""
    from nbgrader import utils

    view = graded_view(cell)
    return view.cell_type == "code" and bool(utils.is_grade(view)) and not utils.is_solution(view)


def locked_ids(cells):
    """grade_ids of the cells nbgrader overwrites with their pristine source (``utils.is_locked``):
    test cells, locked cells and task cells."""
    from nbgrader import utils

    return {nbgrader_meta(c)["grade_id"] for c in cells if utils.is_locked(graded_view(c))}


@dataclasses.dataclass
class Assignment:
    name: str
    notebook: str            # notebook file stem, also nbgrader's notebook id
    released: object         # the student version, as nbformat reads it
    pristine: dict           # grade_id -> source, for every test, locked and task cell
    tests: dict              # test grade_id -> points, in notebook order
    manual: dict             # hand-graded (task) grade_id -> points
    answers: list            # grade_ids of the cells students fill in
    setup: list              # sources of the locked code cells before the first answer cell

    @property
    def max_score(self):
        return float(sum(self.tests.values()))

    @property
    def multiple_choice(self):
        """{question id: grade_id of its answer cell}, e.g. {"q1": "answer_q1"} (model.choice_question)."""
        return {q: a for a in self.answers if (q := model.choice_question(a))}

    def correct_choice(self, question):
        """The letter a multiple-choice question's test accepts, read from its pristine test cell."""
        for grade_id in self.tests:
            if self.question_of(grade_id) == model.choice_cell(question):
                letter = model.accepted_choice(question, self.pristine[grade_id])
                if letter:
                    return letter
        return None

    def question_of(self, test_id):
        """The graded function or question a test cell belongs to (model.question_of)."""
        return model.question_of(test_id, self.answers)


def the_course(course=None):
    """The declared course (coursetools.course), imported only here: the jailed test runner imports
    this module too, and sees no course."""
    if course is not None:
        return course
    from coursetools.course import Course

    return Course.find()


def available(course=None):
    """The assignments the course declares, in its order."""
    return the_course(course).assignment_ids


def _released(name, course):
    path = course.student_version(name)
    if not path.exists():
        raise FileNotFoundError(f"no student version at {path}; run `python -m autograder release {name}`")
    return nbformat.read(str(path), as_version=4)


def _build(name, released, pristine):
    from nbgrader import utils

    # Only cells students must not change are restored; answer cells stay as the student wrote them.
    locked = locked_ids(released.cells)
    pristine = {g: s for g, s in pristine.items() if g in locked}
    tests, manual, answers, setup = {}, {}, [], []
    for cell in released.cells:
        view = graded_view(cell)
        if "nbgrader" not in view.metadata:
            continue
        grade_id, points = view.metadata.nbgrader.grade_id, view.metadata.nbgrader.get("points")
        if is_test(cell):
            tests[grade_id] = float(points)
        elif utils.is_task(view) or (utils.is_grade(view) and utils.is_solution(view)):
            manual[grade_id] = float(points)
        elif utils.is_solution(view) and cell.cell_type == "code":
            answers.append(grade_id)
        elif utils.is_locked(view) and cell.cell_type == "code" and not answers:
            setup.append(pristine.get(grade_id, cell.source))
    missing = [g for g in tests if g not in pristine]
    if missing:
        raise ValueError(f"no pristine source for test cells {missing} of {name}")
    return Assignment(name, name, released, pristine, tests, manual, answers, setup)


def from_solutions(name, course=None):
    """The assignment with pristine cells from the instructor version in solutions/."""
    course = the_course(course)
    source = nbformat.read(str(course.solution(name).with_suffix(".ipynb")), as_version=4)
    locked = locked_ids(source.cells)
    pristine = {nbgrader_meta(c)["grade_id"]: c.source for c in source.cells if nbgrader_meta(c).get("grade_id") in locked}
    return _build(name, _released(name, course), pristine)


def from_gradebook(name, db_url, course=None):
    """The assignment with pristine cells as nbgrader recorded them when it was released."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gradebook:
        try:
            notebook = gradebook.find_notebook(name, name)
        except MissingEntry:
            raise LookupError(f"the gradebook has no assignment {name}; run "
                              f"`python -m autograder release {name}` first") from None
        pristine = {cell.name: cell.source for cell in notebook.source_cells}
    return _build(name, _released(name, the_course(course)), pristine)
