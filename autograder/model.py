"""The typed records every step passes on, and the grading contract's rules, each stated once.

Records: a submission's status, one graded item, one result; so a status is never a bare string
typed in several files and an item is never a tuple unpacked by position.

Rules of the grading contract (how the course names its cells): which question a test cell belongs
to (``question_of``), and the multiple-choice convention (``answer_<question id>`` holds one of
``CHOICES``; its test cells are ``test_answer_<question id>...`` and accept the letter they compare
it with).
"""
import dataclasses
import enum
import re
import typing


class Status(enum.StrEnum):
    """What happened to one submission, in the order they take precedence in grades.csv."""

    ERROR = "error"        # the grader itself failed on this submission; the message says how
    INVALID = "invalid"    # the notebook cannot be read
    MISSING = "missing"    # no notebook in the student's folder
    TIMEOUT = "timeout"    # a cell ran out of time; graded, with that cell failing
    CRASHED = "crashed"    # the student's code killed its kernel; graded, with that cell failing
    TAMPERED = "tampered"  # test or locked cells were edited; restored, then graded
    OK = "ok"


#: Statuses for which a grade was produced (`grade` exits 0 when every submission has one).
GRADED = frozenset({Status.OK, Status.TAMPERED, Status.TIMEOUT, Status.CRASHED})


class Item(typing.NamedTuple):
    """One graded cell of one submission; ``score`` is None for a cell graded by hand."""

    grade_id: str
    score: typing.Optional[float]
    max_score: float


class Incident(typing.NamedTuple):
    """A cell that ran out of time or killed the kernel."""

    kind: Status  # TIMEOUT or CRASHED
    cell: str
    detail: str


@dataclasses.dataclass
class Submission:
    """One student's folder as collected: the notebook's bytes, or why there are none."""

    student_id: str
    path: str = ""             # the notebook graded ("" when none)
    status: Status = Status.OK  # OK so far, or MISSING / INVALID
    message: str = ""
    notes: list = dataclasses.field(default_factory=list)
    data: bytes = b""          # the notebook's bytes, read once (workers may be on other machines)
    timestamp: float = 0.0     # when it was submitted (nbgrader's timestamp.txt, a zip entry's date, mtime)


@dataclasses.dataclass
class Result:
    """Everything grading one submission produced, for the gradebook, the CSV files and feedback."""

    student_id: str
    status: Status
    message: str
    score: float = 0.0
    max_score: float = 0.0
    items: list = dataclasses.field(default_factory=list)    # [Item]
    choices: dict = dataclasses.field(default_factory=dict)  # multiple choice: question -> letter or None
    autograded: str = ""      # the executed notebook, JSON
    submitted: bytes = b""    # the notebook as submitted
    path: str = ""
    timestamp: float = 0.0
    seconds: float = 0.0
    details: str = ""         # for the grading log: the traceback when status is ERROR
    timings: dict = dataclasses.field(default_factory=dict)  # step -> seconds (timing.py; for the profile)


# -- the grading contract ---------------------------------------------------------------------

def question_of(test_id, answers=()):
    """The graded function or question the test cell ``test_id`` belongs to.

    Test cells are named ``test_<answer>`` or ``test_<answer>_<what it checks>``, where <answer> is
    the grade_id of one of the ``answers`` (the cells students fill in). When answers overlap as
    prefixes (``f`` and ``f_and_g``: ``test_f_and_g_shape`` could be either), the longest one that
    fits wins. A test that names none of them belongs to the question its name gives without
    ``test_`` (``test_softmax`` -> ``softmax``)."""
    fits = [a for a in answers if test_id == f"test_{a}" or test_id.startswith(f"test_{a}_")]
    return max(fits, key=len) if fits else test_id.removeprefix("test_")


CHOICES = ("A", "B", "C", "D")  # the options of every multiple-choice question, as letters
_CHOICE_CELL = re.compile(r"^answer_(q\w+)$")


def choice_question(grade_id):
    """The question id of a multiple-choice answer cell (``answer_q1`` -> ``q1``), else None."""
    found = _CHOICE_CELL.match(grade_id) if isinstance(grade_id, str) else None
    return found.group(1) if found else None


def choice_cell(question):
    """The grade_id of the cell (and the name of the variable) holding the answer to ``question``."""
    return f"answer_{question}"


def as_choice(value):
    """``value`` when it is one of the letters a multiple-choice answer may be, else None."""
    return value if isinstance(value, str) and value in CHOICES else None


def accepted_choice(question, test_source):
    """The letter a test cell of ``question`` accepts (``assert answer_q1 == "B"``), or None."""
    letters = "".join(CHOICES)
    found = re.search(rf'{re.escape(choice_cell(question))}\s*==\s*["\']([{letters}])["\']', test_source)
    return found.group(1) if found else None
