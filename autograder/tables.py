"""The CSV files of grading and of the item analysis: each file's columns defined here, once, and
read and written as typed records.

``grade`` writes grades.csv (one ``model.Result`` per student), items.csv (a ``StudentItem`` per
graded cell) and choices.csv (a ``Choice`` per multiple-choice answer); ``report`` reads them and
writes report_items.csv, report_questions.csv and report_choices.csv (``ItemStats``,
``QuestionStats``, ``OptionCount``).

Instructors' scripts read these files, so their bytes are part of the interface: the columns and
their order below, scores as ``f"{x:g}"`` (``12``, ``0.5``), the report's statistics as Python
prints a float rounded to 3 decimals (``1.0``, ``0.333``), an empty field for "none", and line
ends as each file has always had them (``\\r\\n``, the csv module's default, in the grading files;
``\\n`` in the report's).

A file that does not read as its table (a column missing, a row with the wrong number of fields, a
score that is not a number, an unknown status) raises ``TableError``, whose one line names the
file, the line and the field.
"""
import csv
import dataclasses
import os
import tempfile
import typing
from pathlib import Path

from autograder.model import Result, Status


class TableError(ValueError):
    """A CSV file that is not what its table says; the message names the file, line and field."""


# ---------------------------------------------------------------- the records not in model.py


@dataclasses.dataclass(frozen=True)
class StudentItem:
    """One row of items.csv: one student's ``model.Item`` (``score`` None: graded by hand)."""

    student_id: str
    grade_id: str
    score: typing.Optional[float]
    max_score: float


@dataclasses.dataclass(frozen=True)
class Choice:
    """One row of choices.csv: a student's multiple-choice answer (None: no answer)."""

    student_id: str
    question: str
    choice: typing.Optional[str]


@dataclasses.dataclass(frozen=True)
class ItemStats:
    """One row of report_items.csv: the statistics of one test cell (None: undefined)."""

    grade_id: str
    question: str
    max_points: float
    n: int
    difficulty: typing.Optional[float]
    discrimination: typing.Optional[float]


@dataclasses.dataclass(frozen=True)
class QuestionStats:
    """One row of report_questions.csv: the same statistics for the test cells of one question."""

    question: str
    max_points: float
    n: int
    difficulty: typing.Optional[float]
    discrimination: typing.Optional[float]


@dataclasses.dataclass(frozen=True)
class OptionCount:
    """One row of report_choices.csv: how many chose ``option``; ``correct`` None: no key given."""

    question: str
    option: str
    count: int
    correct: typing.Optional[bool]


# ---------------------------------------------------------------- how a field is written and read


@dataclasses.dataclass(frozen=True)
class Format:
    """How one kind of value becomes a field and back; ``parse`` raises ValueError saying why not."""

    text: typing.Callable[[typing.Any], str]
    parse: typing.Callable[[str], typing.Any]


def _number_from(kind):
    def parse(field):
        try:
            return kind(field)
        except ValueError:
            raise ValueError(f"{field!r} is not {'a whole number' if kind is int else 'a number'}") from None
    return parse


def _status(field):
    try:
        return Status(field.strip())
    except ValueError:
        raise ValueError(f"{field!r} is not a status ({', '.join(Status)})") from None


def _flag(field):
    if field not in ("0", "1"):
        raise ValueError(f"{field!r} is not 0 or 1")
    return field == "1"


def optional(inner):
    """``inner``, with an empty field for None."""
    return Format(lambda value: "" if value is None else inner.text(value),
                  lambda field: None if field == "" else inner.parse(field))


TEXT = Format(str, str)
STATUS = Format(str, _status)  # Status is a StrEnum: str() is its value
POINTS = Format(lambda value: f"{value:g}", _number_from(float))    # grading files: 12, 0.5
DECIMAL = Format(lambda value: repr(float(value)), _number_from(float))  # the report's: 1.0, 0.333
COUNT = Format(lambda value: str(int(value)), _number_from(int))
FLAG = Format(lambda value: "1" if value else "0", _flag)


# ---------------------------------------------------------------- the tables


@dataclasses.dataclass(frozen=True)
class Table:
    """One CSV file: its name, the record each row is, and its columns (each an attribute of the
    record, of the same name) in the order they are on disk."""

    file_name: str
    record: type
    columns: typing.Tuple[typing.Tuple[str, Format], ...]
    line_end: str

    @property
    def header(self):
        return [name for name, _ in self.columns]


GRADES = Table("grades.csv", Result, (
    ("student_id", TEXT), ("score", POINTS), ("max_score", POINTS), ("status", STATUS), ("message", TEXT)),
    line_end="\r\n")
ITEMS = Table("items.csv", StudentItem, (
    ("student_id", TEXT), ("grade_id", TEXT), ("score", optional(POINTS)), ("max_score", POINTS)),
    line_end="\r\n")
CHOICES = Table("choices.csv", Choice, (
    ("student_id", TEXT), ("question", TEXT), ("choice", optional(TEXT))),
    line_end="\r\n")
REPORT_ITEMS = Table("report_items.csv", ItemStats, (
    ("grade_id", TEXT), ("question", TEXT), ("max_points", DECIMAL), ("n", COUNT),
    ("difficulty", optional(DECIMAL)), ("discrimination", optional(DECIMAL))),
    line_end="\n")
REPORT_QUESTIONS = Table("report_questions.csv", QuestionStats, (
    ("question", TEXT), ("max_points", DECIMAL), ("n", COUNT),
    ("difficulty", optional(DECIMAL)), ("discrimination", optional(DECIMAL))),
    line_end="\n")
REPORT_CHOICES = Table("report_choices.csv", OptionCount, (
    ("question", TEXT), ("option", TEXT), ("count", COUNT), ("correct", optional(FLAG))),
    line_end="\n")


# ---------------------------------------------------------------- writing


UMASK = os.umask(0o022)
os.umask(UMASK)


def replace_file(path, write, newline=None):
    """Write ``path`` through ``write(handle)`` on a temporary file, then rename it into place, so a
    grader killed while writing leaves the previous file, never half of one."""
    path = Path(path)
    handle = tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", suffix=".partial",
                                         delete=False, newline=newline, encoding="utf-8")
    try:
        with handle:
            write(handle)
        os.chmod(handle.name, 0o666 & ~UMASK)  # as open() would have made it, not the temporary file's 0600
        os.replace(handle.name, path)
    except BaseException:
        os.unlink(handle.name)
        raise


def write(folder, table, records):
    """Write ``records`` as ``folder/<table.file_name>``, header first; returns the path."""
    path = Path(folder) / table.file_name

    def rows(handle):
        writer = csv.writer(handle, lineterminator=table.line_end)
        writer.writerow(table.header)
        writer.writerows([fmt.text(getattr(record, name)) for name, fmt in table.columns] for record in records)

    replace_file(path, rows, newline="")  # newline="": the csv module writes the line ends itself
    return path


# ---------------------------------------------------------------- reading


def read(folder, table):
    """The records of ``folder/<table.file_name>``. Columns are found by name (a column added by
    hand is ignored); blank lines are skipped, as ``csv.DictReader`` does."""
    path = Path(folder) / table.file_name
    # utf-8-sig: a file saved again by a spreadsheet may start with a byte-order mark.
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        where = _column_positions(path, table, header)
        return [_record(path, reader.line_num, table, where, header, row) for row in reader if row]


def _column_positions(path, table, header):
    if not header:
        raise TableError(f"{path} is empty (expected its first line to be {','.join(table.header)})")
    missing = [name for name in table.header if name not in header]
    if missing:
        raise TableError(f"{path}: no column {', '.join(missing)} in its first line "
                         f"(expected {','.join(table.header)})")
    return {name: header.index(name) for name in table.header}


def _record(path, line, table, where, header, row):
    if len(row) != len(header):
        raise TableError(f"{path}, line {line}: {len(row)} fields where the first line names {len(header)}")
    values = {}
    for name, fmt in table.columns:
        try:
            values[name] = fmt.parse(row[where[name]])
        except ValueError as error:
            raise TableError(f"{path}, line {line}, {name}: {error}") from None
    return table.record(**values)
