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

Outputs, next to the inputs: ``report.html`` (self-contained: figures embedded as PNG, every
string from the CSVs HTML-escaped, since students control some of it), ``report_items.csv``,
``report_questions.csv`` and ``report_choices.csv`` (numbers rounded to 3 decimals).
"""
import base64
import csv
import html
import io
import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from autograder.model import Status

EXCLUDED_STATUSES = (Status.INVALID, Status.MISSING, Status.ERROR)  # no grade to analyse
OPTIONS = ("A", "B", "C", "D", "none")
LOW_DISCRIMINATION = 0.2
MIN_STUDENTS = 2
DECIMALS = 3
MESSAGE_CHARS = 200

ITEM_COLUMNS = ["grade_id", "question", "max_points", "n", "difficulty", "discrimination"]
QUESTION_COLUMNS = ["question", "max_points", "n", "difficulty", "discrimination"]
CHOICE_COLUMNS = ["question", "option", "count", "correct"]


def write_report(out_dir, assignment_name, correct_choices=None, question_of=None):
    """Write report.html and the three report_*.csv files into out_dir; return a summary dict."""
    out = Path(out_dir)
    grades = _read_required_csv(out / "grades.csv", assignment_name)
    scored = [row for row in _read_required_csv(out / "items.csv", assignment_name)
              if (row.get("score") or "").strip()]
    chosen = _read_csv(out / "choices.csv") if (out / "choices.csv").exists() else []
    question_of = question_of or default_question_of

    students, excluded = split_students(grades)
    item_ids, points, maxima = score_matrix(scored, students)
    totals = np.nansum(points, axis=1)
    items = item_rows(item_ids, points, maxima, totals, question_of)
    questions = question_rows(item_ids, points, maxima, totals, question_of)
    choices = choice_rows(chosen, set(students), correct_choices or {})

    _write_csv(out / "report_items.csv", ITEM_COLUMNS, items)
    _write_csv(out / "report_questions.csv", QUESTION_COLUMNS, questions)
    _write_csv(out / "report_choices.csv", CHOICE_COLUMNS, choices)
    page = render_html(assignment_name, students, excluded, items, questions, choices,
                       totals, float(maxima.sum()))
    html_path = out / "report.html"
    html_path.write_text(page, encoding="utf-8")
    return {"students": len(students), "excluded": len(excluded), "items": items,
            "questions": questions, "choices": choices, "html": str(html_path)}


def default_question_of(grade_id):
    """test_softmax -> softmax: the grading contract names test cells test_<question>."""
    return grade_id.removeprefix("test_")


# ---------------------------------------------------------------- reading


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _read_required_csv(path, assignment_name):
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: the report reads the output of grading; run "
            f"`python -m autograder grade {assignment_name} <submissions>` first")
    return _read_csv(path)


def split_students(grades):
    """Ids of the students analysed (grades.csv order), and (id, status, message) of the others."""
    students, excluded = [], []
    for row in grades:
        status = (row.get("status") or "").strip()
        if status in EXCLUDED_STATUSES:
            excluded.append((row["student_id"], status, row.get("message") or ""))
        else:
            students.append(row["student_id"])
    return students, excluded


def score_matrix(scored, students):
    """Item ids (first-seen order), points (students x items, NaN where no score) and maxima."""
    item_ids = list(dict.fromkeys(row["grade_id"] for row in scored))
    column = {grade_id: j for j, grade_id in enumerate(item_ids)}
    row_of = {student: i for i, student in enumerate(students)}
    points = np.full((len(students), len(item_ids)), np.nan)
    maxima = np.zeros(len(item_ids))
    for row in scored:
        j = column[row["grade_id"]]
        maxima[j] = max(maxima[j], float(row["max_score"] or 0))
        if row["student_id"] in row_of:
            points[row_of[row["student_id"]], j] = float(row["score"])
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


def _stats_row(points, max_points, totals):
    n, difficulty, discrimination = analyse(points, max_points, totals)
    return {"max_points": _rounded(max_points), "n": n, "difficulty": _rounded(difficulty),
            "discrimination": _rounded(discrimination)}


def item_rows(item_ids, points, maxima, totals, question_of):
    return [{"grade_id": grade_id, "question": str(question_of(grade_id)),
             **_stats_row(points[:, j], maxima[j], totals)}
            for j, grade_id in enumerate(item_ids)]


def question_rows(item_ids, points, maxima, totals, question_of):
    """The same statistics for each question, its points the sum of its items' points."""
    columns = {}
    for j, grade_id in enumerate(item_ids):
        columns.setdefault(str(question_of(grade_id)), []).append(j)
    return [{"question": question,
             **_stats_row(points[:, js].sum(axis=1), float(maxima[js].sum()), totals)}
            for question, js in columns.items()]


def choice_rows(chosen, students, correct_choices):
    """One row per question and option (A-D, "none"): how many analysed students picked it."""
    counts = {}
    for row in chosen:
        if row["student_id"] in students:
            choice = (row.get("choice") or "").strip().upper()
            option = choice if choice in OPTIONS[:-1] else "none"
            per_option = counts.setdefault(row["question"], dict.fromkeys(OPTIONS, 0))
            per_option[option] += 1
    for question in correct_choices:
        counts.setdefault(question, dict.fromkeys(OPTIONS, 0))
    rows = []
    for question, per_option in counts.items():
        right = correct_choices.get(question)
        for option in OPTIONS:
            correct = None if right is None else option == str(right).strip().upper()
            rows.append({"question": question, "option": option, "count": per_option[option],
                         "correct": correct})
    return rows


# ---------------------------------------------------------------- writing


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return value


def _write_csv(path, columns, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_value(row[c]) for c in columns])


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
    shown = [row for row in items if row["difficulty"] is not None and row["discrimination"] is not None]
    ax.axhspan(-1.05, LOW_DISCRIMINATION, color="#F2D7D5", zorder=0)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.scatter([r["difficulty"] for r in shown], [r["discrimination"] for r in shown], color="#4C72B0",
               zorder=2)
    for row in shown:
        ax.annotate(row["grade_id"], (row["difficulty"], row["discrimination"]), fontsize=7,
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


# ---------------------------------------------------------------- HTML

STYLE = """
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; line-height: 1.4; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child, td.text { text-align: left; }
tr.flag td { background: #FDEDEC; }
td.correct { background: #D5F5E3; font-weight: bold; }
"""

GUIDE = f"""
<h2>How to read this</h2>
<ul>
<li><b>Difficulty</b> is the mean fraction of an item's points students earned: 1 means everyone got
it, 0 nobody. Items very near 0 or 1 do not tell students apart (they may still be worth keeping as
a warm-up or a stretch).</li>
<li><b>Discrimination</b> is the correlation between a student's result on the item and the same
student's total on all <i>other</i> autograded items (the corrected point-biserial; leaving the item
out of the total stops it from correlating with itself). Positive: students who do well overall
tend to pass it. Roughly, 0.4 and above is good, 0.2&ndash;0.4 acceptable.</li>
<li>Items with discrimination <b>below {LOW_DISCRIMINATION}</b> (or negative) deserve a look and are
highlighted: the test may be buggy or too strict, the question ambiguous, or it checks something
the rest of the assignment does not. Empty means undefined: everyone scored the same on the item
(or on the rest), so there is no spread to correlate.</li>
<li>With a small class these numbers are noisy; read them as hints, not verdicts.</li>
</ul>
"""


def _esc(value):
    return html.escape(str(value), quote=True)


def _number(value, digits=2):
    return "" if value is None else f"{value:.{digits}f}"


def _is_low(row):
    return row["discrimination"] is not None and row["discrimination"] < LOW_DISCRIMINATION


def _note(row):
    if _is_low(row):
        return "low discrimination: take a look"
    if row["n"] and row["discrimination"] is None:
        return "no spread: discrimination undefined"
    return ""


def _stats_cells(row):
    return (f"<td>{_number(row['max_points'], 1)}</td><td>{row['n']}</td>"
            f"<td>{_number(row['difficulty'])}</td><td>{_number(row['discrimination'])}</td>"
            f"<td class='text'>{_esc(_note(row))}</td>")


def _row_tag(row):
    return "<tr class='flag'>" if _is_low(row) else "<tr>"


def items_table(items):
    head = ("<tr><th>test cell</th><th>question</th><th>max points</th><th>n</th>"
            "<th>difficulty</th><th>discrimination</th><th>note</th></tr>")
    body = "".join(f"{_row_tag(r)}<td>{_esc(r['grade_id'])}</td><td class='text'>{_esc(r['question'])}</td>"
                   f"{_stats_cells(r)}</tr>" for r in items)
    return f"<table>{head}{body}</table>"


def questions_table(questions):
    head = ("<tr><th>question</th><th>max points</th><th>n</th><th>difficulty</th>"
            "<th>discrimination</th><th>note</th></tr>")
    body = "".join(f"{_row_tag(r)}<td>{_esc(r['question'])}</td>{_stats_cells(r)}</tr>" for r in questions)
    return f"<table>{head}{body}</table>"


def choices_table(choices):
    if not choices:
        return "<p>No multiple-choice answers were recorded (no choices.csv, or no such questions).</p>"
    head = "<tr><th>question</th>" + "".join(f"<th>{o}</th>" for o in OPTIONS) + "<th>correct</th></tr>"
    body = ""
    for start in range(0, len(choices), len(OPTIONS)):
        rows = choices[start:start + len(OPTIONS)]
        cells = "".join(f"<td class='correct'>{r['count']} &#10003;</td>" if r["correct"]
                        else f"<td>{r['count']}</td>" for r in rows)
        right = next((r["option"] for r in rows if r["correct"]), "not given")
        body += f"<tr><td>{_esc(rows[0]['question'])}</td>{cells}<td class='text'>{_esc(right)}</td></tr>"
    note = "<p>&ldquo;none&rdquo;: no answer, or not one of A&ndash;D. &#10003; marks the correct option.</p>"
    return f"<table>{head}{body}</table>{note}"


def students_section(students, excluded):
    text = f"<p>{len(students)} student(s) analysed; {len(excluded)} excluded"
    if not excluded:
        return text + ".</p>"
    by_status = {}
    for _, status, _ in excluded:
        by_status[status] = by_status.get(status, 0) + 1
    reasons = ", ".join(f"{count} {_esc(status)}" for status, count in sorted(by_status.items()))
    listing = "".join(f"<li>{_esc(student)} ({_esc(status)}): {_esc(message[:MESSAGE_CHARS])}</li>"
                      for student, status, message in excluded)
    return (f"{text} ({reasons}): an invalid or missing submission ran no tests, so it says nothing "
            f"about the items.</p><details><summary>Excluded students</summary><ul>{listing}</ul></details>")


def render_html(assignment_name, students, excluded, items, questions, choices, totals, max_total):
    too_few = ("" if len(students) >= MIN_STUDENTS else
               f"<p><b>Too few students ({len(students)}) to compute discrimination: it needs at least "
               f"{MIN_STUDENTS}, and many more to be reliable.</b></p>")
    histogram = figure_as_data_uri(histogram_figure(totals, max_total))
    scatter = figure_as_data_uri(scatter_figure(items))
    mean = f"mean {totals.mean():.2f} of {max_total:g} points" if totals.size else "no scores"
    title = f"Item analysis: {_esc(assignment_name)}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{STYLE}</style></head>
<body>
<h1>{title}</h1>
{students_section(students, excluded)}
{too_few}
{GUIDE}
<h2>Scores</h2>
<p>Total autograded score ({mean}); hand-graded cells are not included.</p>
<img src="{histogram}" alt="histogram of total autograded scores">
<h2>Test cells</h2>
{items_table(items)}
<img src="{scatter}" alt="difficulty against discrimination for each test cell">
<h2>Questions</h2>
<p>The test cells of one question added up.</p>
{questions_table(questions)}
<h2>Multiple choice</h2>
{choices_table(choices)}
</body></html>
"""
