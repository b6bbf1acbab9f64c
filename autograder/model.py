"""The typed records every step passes on: a submission's status, one graded item, one result.

One place for them, so a status is never a bare string typed in several files and an item is never
a tuple unpacked by position.
"""
import dataclasses
import enum
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
