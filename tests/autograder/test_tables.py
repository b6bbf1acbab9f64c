"""The CSV files of grading and of the report (autograder/tables.py): the bytes instructors' scripts
read, typed records that survive a round trip, and one clear error for a file that is not a table."""
import os

import pytest

from autograder import tables
from autograder.model import Result, Status
from autograder.report import write_report
from autograder.tables import Choice, ItemStats, OptionCount, QuestionStats, StudentItem, TableError

# The documented formats (autograder/README.md): written out here on purpose, as the contract.
HEADERS = {
    "grades.csv": "student_id,score,max_score,status,message",
    "items.csv": "student_id,grade_id,score,max_score",
    "choices.csv": "student_id,question,choice",
    "report_items.csv": "grade_id,question,max_points,n,difficulty,discrimination",
    "report_questions.csv": "question,max_points,n,difficulty,discrimination",
    "report_choices.csv": "question,option,count,correct",
}
ALL_TABLES = [tables.GRADES, tables.ITEMS, tables.CHOICES, tables.REPORT_ITEMS, tables.REPORT_QUESTIONS,
              tables.REPORT_CHOICES]
RECORDS = {
    "grades.csv": [Result("alice", Status.OK, "", 12.0, 12.0),
                   Result("bob", Status.TAMPERED, 'tests restored: "test_q1", edited\nand, a comma', 0.5, 12.0),
                   Result("carol", Status.MISSING, "no notebook in carol/", 0.0, 12.0)],
    "items.csv": [StudentItem("alice", "test_q1", 1.0, 1.0), StudentItem("alice", "explain", None, 3.0),
                  StudentItem("bob", "test_q1", 0.25, 2.0)],
    "choices.csv": [Choice("alice", "q1", "B"), Choice("bob", "q1", None)],
    "report_items.csv": [ItemStats("test_q1", "q1", 1.0, 6, 0.333, -0.5),
                         ItemStats("test_q2", "q2", 2.0, 0, None, None)],
    "report_questions.csv": [QuestionStats("q1", 3.0, 6, 1.0, None)],
    "report_choices.csv": [OptionCount("q1", "A", 3, True), OptionCount("q1", "B", 0, False),
                           OptionCount("q2", "none", 1, None)],
}


def test_headers_are_the_documented_ones(tmp_path):
    for table in ALL_TABLES:
        path = tables.write(tmp_path, table, [])
        assert path.read_bytes().decode().splitlines()[0] == HEADERS[table.file_name]


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda table: table.file_name)
def test_typed_records_survive_a_round_trip(tmp_path, table):
    tables.write(tmp_path, table, RECORDS[table.file_name])
    assert tables.read(tmp_path, table) == RECORDS[table.file_name]


def test_bytes_on_disk_are_as_before(tmp_path):
    """Scores as f"{x:g}" and \\r\\n in the grading files; floats as Python prints them, 1/0 for a
    flag and \\n in the report's; an empty field for None everywhere."""
    for name in RECORDS:
        tables.write(tmp_path, next(t for t in ALL_TABLES if t.file_name == name), RECORDS[name])
    assert (tmp_path / "grades.csv").read_bytes() == (
        b'student_id,score,max_score,status,message\r\nalice,12,12,ok,\r\n'
        b'bob,0.5,12,tampered,"tests restored: ""test_q1"", edited\nand, a comma"\r\n'
        b'carol,0,12,missing,no notebook in carol/\r\n')
    assert (tmp_path / "items.csv").read_bytes() == (
        b"student_id,grade_id,score,max_score\r\nalice,test_q1,1,1\r\nalice,explain,,3\r\nbob,test_q1,0.25,2\r\n")
    assert (tmp_path / "choices.csv").read_bytes() == b"student_id,question,choice\r\nalice,q1,B\r\nbob,q1,\r\n"
    assert (tmp_path / "report_items.csv").read_bytes() == (
        b"grade_id,question,max_points,n,difficulty,discrimination\ntest_q1,q1,1.0,6,0.333,-0.5\n"
        b"test_q2,q2,2.0,0,,\n")
    assert (tmp_path / "report_choices.csv").read_bytes() == (
        b"question,option,count,correct\nq1,A,3,1\nq1,B,0,0\nq2,none,1,\n")


def test_results_from_grading_write_only_their_columns(tmp_path):
    graded = Result("alice", Status.OK, "", 3.0, 4.0, items=["not written"], autograded="{...}", seconds=2.5)
    tables.write(tmp_path, tables.GRADES, [graded])
    back, = tables.read(tmp_path, tables.GRADES)
    assert (back.student_id, back.status, back.message, back.score, back.max_score) == ("alice", "ok", "", 3, 4)
    assert back.status is Status.OK and back.items == [] and back.autograded == ""


def test_columns_are_found_by_name_and_blank_lines_skipped(tmp_path):
    """As a spreadsheet may save the file again: a byte-order mark, a column added, columns moved."""
    (tmp_path / "items.csv").write_text("\ufeffnote,max_score,score,grade_id,student_id\r\n"
                                        "added by hand,2,1.5,test_q1,alice\r\n\r\n", encoding="utf-8")
    assert tables.read(tmp_path, tables.ITEMS) == [StudentItem("alice", "test_q1", 1.5, 2.0)]


@pytest.mark.parametrize("content, error", [
    ("student_id,score,max_score,status,message\r\nalice,12,12,ok\r\n",
     r"grades\.csv, line 2: 4 fields where the first line names 5$"),
    ("student_id,score,max_score,status,message\r\nalice,12,12,ok,\r\nbob,twelve,12,ok,\r\n",
     r"grades\.csv, line 3, score: 'twelve' is not a number$"),
    ("student_id,score,max_score,status,message\r\nalice,12,12,graded,\r\n",
     r"grades\.csv, line 2, status: 'graded' is not a status \(error, invalid, missing, .*ok\)$"),
    ("student_id,score,status,message\r\nalice,12,ok,\r\n",
     r"grades\.csv: no column max_score in its first line \(expected student_id,score,max_score,status,message\)$"),
    ("", r"grades\.csv is empty \(expected its first line to be student_id,score,max_score,status,message\)$"),
])
def test_a_malformed_file_gives_one_clear_error(tmp_path, content, error):
    (tmp_path / "grades.csv").write_text(content, newline="")
    with pytest.raises(TableError, match=error) as raised:
        tables.read(tmp_path, tables.GRADES)
    assert "\n" not in str(raised.value)


def test_the_report_stops_at_a_malformed_row(tmp_path):
    tables.write(tmp_path, tables.GRADES, RECORDS["grades.csv"])
    (tmp_path / "items.csv").write_text("student_id,grade_id,score,max_score\nalice,test_q1,1,one\n")
    with pytest.raises(TableError, match=r"items\.csv, line 2, max_score: 'one' is not a number"):
        write_report(tmp_path, "a1")


def test_a_failed_write_leaves_the_previous_file(tmp_path):
    path = tables.write(tmp_path, tables.CHOICES, RECORDS["choices.csv"])
    before = path.read_bytes()
    with pytest.raises(AttributeError):
        tables.write(tmp_path, tables.CHOICES, [*RECORDS["choices.csv"], object()])
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["choices.csv"], "no temporary file left behind"
