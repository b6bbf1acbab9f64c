"""The item analysis (autograder/report.py) on a small class whose answers are known by hand."""
import csv

import numpy as np
import pytest

from autograder import tables
from autograder.model import Result, Status
from autograder.report import write_report
from autograder.tables import Choice, OptionCount, StudentItem

# Six graded students and four test cells (points earned / max):
#   test_easy 1: everyone;  test_core 4: the top three;  test_hard 2: the top two only;
#   test_odd 1: only the two weakest. Totals 7 7 5 1 2 2.
POINTS = {
    "s1": {"test_easy": 1, "test_core": 4, "test_hard": 2, "test_odd": 0},
    "s2": {"test_easy": 1, "test_core": 4, "test_hard": 2, "test_odd": 0},
    "s3": {"test_easy": 1, "test_core": 4, "test_hard": 0, "test_odd": 0},
    "s4": {"test_easy": 1, "test_core": 0, "test_hard": 0, "test_odd": 0},
    "s5": {"test_easy": 1, "test_core": 0, "test_hard": 0, "test_odd": 1},
    "s6": {"test_easy": 1, "test_core": 0, "test_hard": 0, "test_odd": 1},
}
MAX = {"test_easy": 1, "test_core": 4, "test_hard": 2, "test_odd": 1}
SCRIPT = "<script>alert('x')</script>"
CHOICES = {"s1": "B", "s2": "B", "s3": "A", "s4": "", "s5": "C", "s6": "B", "bad": "D", "gone": ""}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def make_grading_output(folder, points=POINTS, choices=True):
    """What `python -m autograder grade` writes, plus an invalid and a missing submission."""
    grades = [Result(s, Status.OK, "", sum(p.values()), 8) for s, p in points.items()]
    grades += [Result("bad", Status.INVALID, f"not a notebook: {SCRIPT}", 0, 8),
               Result("gone", Status.MISSING, "no notebook", 0, 8)]
    tables.write(folder, tables.GRADES, grades)
    items = [StudentItem(s, g, p[g], MAX[g]) for s, p in points.items() for g in MAX]
    items += [StudentItem(s, "test_easy", 0, 1) for s in ("bad", "gone")]  # would lower the difficulty if counted
    items += [StudentItem(s, "explain_attention", None, 2) for s in points]  # hand-graded: no score yet
    tables.write(folder, tables.ITEMS, items)
    if choices:
        tables.write(folder, tables.CHOICES,
                     [Choice(s, "q1", c or None) for s, c in CHOICES.items()] + [Choice("s1", "q2", SCRIPT)])
    return folder


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One report, shared by the tests that only read it: (summary, folder)."""
    folder = make_grading_output(tmp_path_factory.mktemp("grading"))
    return write_report(folder, "a1", correct_choices={"q1": "B"}), folder


@pytest.fixture
def report(graded):
    return graded[0]


@pytest.fixture
def folder(graded):
    return graded[1]


def by_key(rows, key):
    return {getattr(row, key): row for row in rows}


def test_difficulty_is_the_mean_fraction_of_points(report):
    items = by_key(report["items"], "grade_id")
    assert list(items) == ["test_easy", "test_core", "test_hard", "test_odd"]
    assert {g: r.difficulty for g, r in items.items()} == {
        "test_easy": 1.0, "test_core": 0.5, "test_hard": 0.333, "test_odd": 0.333}
    assert all(r.n == 6 for r in items.values())
    assert items["test_core"].max_points == 4.0


def test_discrimination_signs_and_undefined_without_variance(report):
    items = by_key(report["items"], "grade_id")
    assert items["test_easy"].discrimination is None
    assert items["test_hard"].discrimination > 0.2
    assert items["test_core"].discrimination > 0.2
    assert items["test_odd"].discrimination < 0


def test_discrimination_is_the_corrected_point_biserial(report):
    hard = np.array([POINTS[s]["test_hard"] for s in POINTS], dtype=float)
    totals = np.array([sum(POINTS[s].values()) for s in POINTS], dtype=float)
    expected = np.corrcoef(hard / MAX["test_hard"], totals - hard)[0, 1]
    uncorrected = np.corrcoef(hard, totals)[0, 1]
    found = by_key(report["items"], "grade_id")["test_hard"].discrimination
    assert found == pytest.approx(expected, abs=5e-4)
    assert abs(found - uncorrected) > 0.01     # the correction does change the number here


def test_invalid_and_missing_students_are_excluded(report, folder):
    assert (report["students"], report["excluded"]) == (6, 2)
    page = (folder / "report.html").read_text()
    assert "6 student(s) analysed; 2 excluded (1 invalid, 1 missing)" in page


def test_questions_aggregate_their_items(tmp_path):
    make_grading_output(tmp_path)
    group = {"test_easy": "warmup", "test_core": "main", "test_hard": "main", "test_odd": "other"}
    summary = write_report(tmp_path, "a1", question_of=group.get)
    questions = by_key(summary["questions"], "question")
    assert list(questions) == ["warmup", "main", "other"]
    assert questions["main"].max_points == 6.0
    assert questions["main"].difficulty == pytest.approx(np.mean([1, 1, 4 / 6, 0, 0, 0]), abs=5e-4)
    assert questions["main"].discrimination is not None
    assert by_key(summary["items"], "grade_id")["test_hard"].question == "main"


def test_default_question_strips_the_test_prefix(report):
    assert [q.question for q in report["questions"]] == ["easy", "core", "hard", "odd"]


def test_multiple_choice_counts_with_the_correct_option_marked(report, folder):
    q1 = {r.option: (r.count, r.correct) for r in report["choices"] if r.question == "q1"}
    assert q1 == {"A": (1, False), "B": (3, True), "C": (1, False), "D": (0, False), "none": (1, False)}
    q2 = {r.option: (r.count, r.correct) for r in report["choices"] if r.question == "q2"}
    assert q2["none"] == (1, None)
    rows = read_csv(folder / "report_choices.csv")
    assert rows[1] == {"question": "q1", "option": "B", "count": "3", "correct": "1"}
    assert tables.read(folder, tables.REPORT_CHOICES) == report["choices"]
    assert report["choices"][1] == OptionCount("q1", "B", 3, True)


def test_csv_files_have_the_documented_columns(report, folder):
    # (the headers themselves are pinned, with every other file's, in test_tables.py)
    assert tables.read(folder, tables.REPORT_ITEMS) == report["items"]
    assert tables.read(folder, tables.REPORT_QUESTIONS) == report["questions"]
    easy = read_csv(folder / "report_items.csv")[0]
    assert easy == {"grade_id": "test_easy", "question": "easy", "max_points": "1.0", "n": "6",
                    "difficulty": "1.0", "discrimination": ""}


def test_html_is_self_contained_and_escapes_student_text(report, folder):
    page = (folder / "report.html").read_text()
    assert report["html"] == str(folder / "report.html")
    assert page.count('<img src="data:image/png;base64,') == 2
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    assert "low discrimination" in page and "How to read this" in page


def test_output_is_deterministic(tmp_path):
    make_grading_output(tmp_path)
    first = write_report(tmp_path, "a1")
    page = (tmp_path / "report.html").read_text()
    assert write_report(tmp_path, "a1") == first
    assert (tmp_path / "report.html").read_text() == page


def test_too_few_students_still_writes_the_report(tmp_path):
    make_grading_output(tmp_path, points={"s1": POINTS["s1"]}, choices=False)
    summary = write_report(tmp_path, "a1")
    assert summary["students"] == 1 and summary["choices"] == []
    assert all(row.discrimination is None for row in summary["items"] + summary["questions"])
    assert "Too few students" in (tmp_path / "report.html").read_text()
    assert (tmp_path / "report_choices.csv").read_text() == "question,option,count,correct\n"


@pytest.mark.parametrize("absent", ["grades.csv", "items.csv"])
def test_missing_input_says_to_grade_first(tmp_path, absent):
    make_grading_output(tmp_path)
    (tmp_path / absent).unlink()
    with pytest.raises(FileNotFoundError, match=r"python -m autograder grade a1 <submissions>"):
        write_report(tmp_path, "a1")
