"""Step 5, after grading: an item analysis of one assignment, for the instructor.

It reads what ``python -m autograder grade`` wrote into its output folder (``grades.csv``,
``items.csv`` and, when the assignment has multiple-choice questions, ``choices.csv``) and asks
of every autograded test cell ("item") and every question (the items of one graded function):

* **difficulty** (the classical p-value): the mean fraction of the points students earned,
  from 0 (nobody) to 1 (everybody). Items near 0 or 1 tell little apart.
* **discrimination**: the *corrected* point-biserial correlation between a student's fraction on
  the item and the student's total autograded score *minus that item's own points*. Students who
  do well overall should do well on a good item, so it should be clearly positive; near 0 or
  negative means the item measures something else (a bug in the test, an ambiguous question, a
  trick). The correction matters: the plain total contains the item itself, which correlates
  with itself and inflates the value, most of all in short assignments and small classes.
  When the item or the rest of the score does not vary, the correlation is undefined: left empty.
* for multiple-choice questions, how many students picked each option, the right one marked.

Students whose submission was ``invalid`` or ``missing`` took no part in the tests and are left
out (the page says who and why); hand-graded cells (empty score) are left out as well.

Outputs, next to the inputs: ``report.html`` (templates/report.html; self-contained: figures
embedded as PNG, the style sheet inlined, every string from the CSVs HTML-escaped, since students
control some of it), ``report_items.csv``, ``report_questions.csv`` and ``report_choices.csv``
(numbers rounded to 3 decimals). Every CSV file read or written is defined in tables.py.
"""
import base64
import collections
import io
import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from autograder import model, pages, tables
from autograder.model import Status
from autograder.tables import ItemStats, OptionCount, QuestionStats

EXCLUDED_STATUSES = (Status.INVALID, Status.MISSING, Status.ERROR)  # no grade to analyse
OPTIONS = (*model.CHOICES, "none")
LOW_DISCRIMINATION = 0.2
MIN_STUDENTS = 2
DECIMALS = 3
MESSAGE_CHARS = 200


def write_report(out_dir, assignment_name, correct_choices=None, question_of=None):
    """Write report.html and the three report_*.csv files into out_dir; return a summary dict."""
    out = Path(out_dir)
    grades = _read_grading_output(out, tables.GRADES, assignment_name)
    scored = [item for item in _read_grading_output(out, tables.ITEMS, assignment_name) if item.score is not None]
    chosen = tables.read(out, tables.CHOICES) if (out / tables.CHOICES.file_name).exists() else []
    question_of = question_of or default_question_of

    students, excluded = split_students(grades)
    item_ids, points, maxima = score_matrix(scored, students)
    totals = np.nansum(points, axis=1)
    items = item_rows(item_ids, points, maxima, totals, question_of)
    questions = question_rows(item_ids, points, maxima, totals, question_of)
    choices = choice_rows(chosen, set(students), correct_choices or {})

    tables.write(out, tables.REPORT_ITEMS, items)
    tables.write(out, tables.REPORT_QUESTIONS, questions)
    tables.write(out, tables.REPORT_CHOICES, choices)
    page = render_html(assignment_name, students, excluded, items, questions, choices,
                       totals, float(maxima.sum()))
    html_path = out / "report.html"
    tables.replace_file(html_path, lambda handle: handle.write(page))
    return {"students": len(students), "excluded": len(excluded), "items": items,
            "questions": questions, "choices": choices, "html": str(html_path)}


def default_question_of(grade_id):
    """test_softmax -> softmax: the grading contract's rule (model.question_of), without the
    assignment's answer cells to tell overlapping names apart."""
    return model.question_of(grade_id)


# ---------------------------------------------------------------- reading


def _read_grading_output(out, table, assignment_name):
    if not (out / table.file_name).exists():
        raise FileNotFoundError(
            f"{out / table.file_name} not found: the report reads the output of grading; run "
            f"`python -m autograder grade {assignment_name} <submissions>` first")
    return tables.read(out, table)


def split_students(grades):
    """Ids of the students analysed (grades.csv order), and the rows (``Result``) of the others."""
    students = [row.student_id for row in grades if row.status not in EXCLUDED_STATUSES]
    excluded = [row for row in grades if row.status in EXCLUDED_STATUSES]
    return students, excluded


def score_matrix(scored, students):
    """Item ids (first-seen order), points (students x items, NaN where no score) and maxima."""
    item_ids = list(dict.fromkeys(item.grade_id for item in scored))
    column = {grade_id: j for j, grade_id in enumerate(item_ids)}
    row_of = {student: i for i, student in enumerate(students)}
    points = np.full((len(students), len(item_ids)), np.nan)
    maxima = np.zeros(len(item_ids))
    for item in scored:
        j = column[item.grade_id]
        maxima[j] = max(maxima[j], item.max_score)
        if item.student_id in row_of:
            points[row_of[item.student_id], j] = item.score
    return item_ids, points, maxima


# ---------------------------------------------------------------- statistics


def is_constant(values):
    """True when values do not vary (a correlation with them is undefined)."""
    return values.size < 2 or float(np.ptp(values)) <= 1e-12 * max(1.0, float(np.abs(values).max()))


def pearson(x, y):
    """Pearson's r, or None when x or y has zero variance (computed here: numpy would warn)."""
    if is_constant(x) or is_constant(y):
        return None
    dx, dy = x - x.mean(), y - y.mean()
    r = float(dx @ dy) / math.sqrt(float(dx @ dx) * float(dy @ dy))
    return min(1.0, max(-1.0, r))


def analyse(points, max_points, totals):
    """n, difficulty and corrected point-biserial discrimination of one item or question.

    ``points`` holds each student's points on it (NaN: no score), ``totals`` each student's total
    autograded points. The rest-score ``totals - points`` leaves out the item's own contribution.
    """
    answered = ~np.isnan(points)
    n = int(answered.sum())
    if n == 0 or max_points <= 0:
        return n, None, None
    fraction = points[answered] / max_points
    rest = totals[answered] - points[answered]
    return n, float(fraction.mean()), pearson(fraction, rest)


def _rounded(value):
    return None if value is None else round(float(value), DECIMALS)


def _stats(points, max_points, totals):
    """The statistics columns of ItemStats and QuestionStats, rounded as the CSV files show them."""
    n, difficulty, discrimination = analyse(points, max_points, totals)
    return {"max_points": _rounded(max_points), "n": n, "difficulty": _rounded(difficulty),
            "discrimination": _rounded(discrimination)}


def item_rows(item_ids, points, maxima, totals, question_of):
    return [ItemStats(grade_id=grade_id, question=str(question_of(grade_id)),
                      **_stats(points[:, j], maxima[j], totals))
            for j, grade_id in enumerate(item_ids)]


def question_rows(item_ids, points, maxima, totals, question_of):
    """The same statistics for each question, its points the sum of its items' points."""
    columns = {}
    for j, grade_id in enumerate(item_ids):
        columns.setdefault(str(question_of(grade_id)), []).append(j)
    return [QuestionStats(question=question, **_stats(points[:, js].sum(axis=1), float(maxima[js].sum()), totals))
            for question, js in columns.items()]


def choice_rows(chosen, students, correct_choices):
    """One row per question and option (A-D, "none"): how many analysed students picked it."""
    counts = {}
    for row in chosen:
        if row.student_id in students:
            choice = (row.choice or "").strip().upper()
            option = choice if choice in OPTIONS[:-1] else "none"
            per_option = counts.setdefault(row.question, dict.fromkeys(OPTIONS, 0))
            per_option[option] += 1
    for question in correct_choices:
        counts.setdefault(question, dict.fromkeys(OPTIONS, 0))
    rows = []
    for question, per_option in counts.items():
        right = correct_choices.get(question)
        for option in OPTIONS:
            correct = None if right is None else option == str(right).strip().upper()
            rows.append(OptionCount(question, option, per_option[option], correct))
    return rows


# ---------------------------------------------------------------- figures


def figure_as_data_uri(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    figure.clear()
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def histogram_edges(totals, max_total):
    """One bar per point for short assignments scored in whole points, else ten equal bins."""
    whole_points = bool(np.all(totals == np.round(totals)))
    if 0 < max_total <= 20 and float(max_total).is_integer() and whole_points:
        return np.arange(-0.5, max_total + 1.0)
    return np.linspace(0.0, max(max_total, 1.0), 11)


def histogram_figure(totals, max_total):
    figure = Figure(figsize=(6, 3.2))
    ax = figure.add_subplot()
    ax.hist(totals, bins=histogram_edges(totals, max_total), color="#4C72B0", edgecolor="white")
    ax.set_xlabel(f"total autograded points (of {max_total:g})")
    ax.set_ylabel("students")
    ax.set_title("Score distribution")
    ax.yaxis.get_major_locator().set_params(integer=True)
    figure.subplots_adjust(left=0.11, right=0.97, bottom=0.17, top=0.9)  # fixed: tight_layout is slow
    return figure


def scatter_figure(items):
    figure = Figure(figsize=(6, 4))
    ax = figure.add_subplot()
    shown = [row for row in items if row.difficulty is not None and row.discrimination is not None]
    ax.axhspan(-1.05, LOW_DISCRIMINATION, color="#F2D7D5", zorder=0)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.scatter([r.difficulty for r in shown], [r.discrimination for r in shown], color="#4C72B0",
               zorder=2)
    for row in shown:
        ax.annotate(row.grade_id, (row.difficulty, row.discrimination), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")
    if not shown:
        ax.text(0.5, 0.0, "no item with a defined discrimination", ha="center", va="center")
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("difficulty (fraction of points earned)")
    ax.set_ylabel("discrimination (corrected r)")
    ax.set_title(f"Items; shaded: discrimination below {LOW_DISCRIMINATION}")
    figure.subplots_adjust(left=0.13, right=0.97, bottom=0.13, top=0.92)
    return figure


# ---------------------------------------------------------------- HTML (templates/report.html)


def _is_low(row):
    return row.discrimination is not None and row.discrimination < LOW_DISCRIMINATION


def _note(row):
    if _is_low(row):
        return "low discrimination: take a look"
    if row.n and row.discrimination is None:
        return "no spread: discrimination undefined"
    return ""


def choices_by_question(choices):
    """[(question, its OptionCounts in OPTIONS order, the correct option or "not given")]."""
    grouped = {}
    for count in choices:
        grouped.setdefault(count.question, []).append(count)
    return [(question, counts, next((c.option for c in counts if c.correct), "not given"))
            for question, counts in grouped.items()]


def render_html(assignment_name, students, excluded, items, questions, choices, totals, max_total):
    return pages.render(
        "report.html", assignment=assignment_name, analysed=len(students), excluded=excluded,
        excluded_counts=sorted(collections.Counter(row.status for row in excluded).items()),
        message_chars=MESSAGE_CHARS, min_students=MIN_STUDENTS, low_discrimination=LOW_DISCRIMINATION,
        score_summary=f"mean {totals.mean():.2f} of {max_total:g} points" if totals.size else "no scores",
        histogram=figure_as_data_uri(histogram_figure(totals, max_total)),
        scatter=figure_as_data_uri(scatter_figure(items)),
        items=items, questions=questions, choices=choices_by_question(choices), options=OPTIONS,
        is_low=_is_low, note=_note)
