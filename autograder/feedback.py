"""Step 4b: one feedback page per student, and the CSV files an instructor imports.

The page shows the score per question, then every test cell with its verdict and, when it failed,
the error. ``hide_hidden_tests`` replaces the hidden parts of test cells by a one-line note, so
students learn *which* check failed and the message it gave, without the test's code.
"""
import csv
import html
import re
from pathlib import Path

import nbformat

from autograder import score
from autograder.assignment import nbgrader_meta

HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.S | re.M)
STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
pre{background:#f6f6f6;padding:.6rem;overflow-x:auto;font-size:13px}.pass{color:#17692c}.fail{color:#a4161a}
.cell{border-left:4px solid #ccc;padding-left:.8rem;margin:1.2rem 0}.cell.fail{border-color:#a4161a}
.cell.pass{border-color:#17692c}"""


def hide_hidden(source):
    return HIDDEN.sub(lambda m: f"# (hidden tests: {m.group(0).count(chr(10)) - 1} lines, not shown)\n", source)


def error_text(cell):
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in output.traceback]
            return "\n".join(lines[-12:])
        if output.output_type == "stream" and output.name == "stderr":
            return "wrote to stderr (a warning or an error message), which fails a test cell:\n" + output.text[-2000:]
    return ""


def feedback_html(result, assignment, hide_hidden_tests):
    e = html.escape
    head = (f"<!doctype html><meta charset=utf-8><title>{e(assignment.name)}: {e(result.student_id)}</title>"
            f"<style>{STYLE}</style><h1>{e(assignment.name)}</h1><p>Student: <b>{e(result.student_id)}</b>"
            f"<br>Autograded score: <b>{result.score:g} / {result.max_score:g}</b> &middot; status: "
            f"<b>{e(result.status)}</b></p>")
    if result.message:
        head += f"<p>{e(result.message)}</p>"
    if assignment.manual:
        head += (f"<p>Written answers ({sum(assignment.manual.values()):g} points) are graded by hand "
                 "and are not in this score.</p>")
    rows = "".join(f"<tr><td><code>{e(q)}</code></td><td>{g:g} / {p:g}</td></tr>"
                   for q, (g, p, _) in score.by_question(result.items, assignment).items())
    body = f"<h2>By question</h2><table><tr><th>question</th><th>points</th></tr>{rows}</table>"
    if result.autograded:
        body += "<h2>Test cells</h2>"
        scores = {g: (s, p) for g, s, p in result.items}
        for cell in nbformat.reads(result.autograded, as_version=4).cells:
            grade_id = nbgrader_meta(cell).get("grade_id")
            if grade_id not in assignment.tests:
                continue
            earned, points = scores[grade_id]
            verdict = "pass" if earned == points else "fail"
            source = hide_hidden(cell.source) if hide_hidden_tests else cell.source
            body += (f"<div class='cell {verdict}'><h3><code>{e(grade_id)}</code> <span class={verdict}>"
                     f"{'passed' if verdict == 'pass' else 'failed'}: {earned:g} / {points:g}</span></h3>"
                     f"<pre>{e(source)}</pre>")
            if verdict == "fail":
                body += f"<p>What went wrong:</p><pre>{e(error_text(cell))}</pre>"
            body += "</div>"
    return head + body


def write_outputs(out_dir, results, assignment, hide_hidden_tests):
    """grades.csv, items.csv, choices.csv and feedback/<student>.html under ``out_dir``."""
    out = Path(out_dir)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    with open(out / "grades.csv", "w", newline="") as grades, open(out / "items.csv", "w", newline="") as items, \
            open(out / "choices.csv", "w", newline="") as choices:
        grade_rows, item_rows, choice_rows = csv.writer(grades), csv.writer(items), csv.writer(choices)
        grade_rows.writerow(["student_id", "score", "max_score", "status", "message"])
        item_rows.writerow(["student_id", "grade_id", "score", "max_score"])
        choice_rows.writerow(["student_id", "question", "choice"])
        for result in sorted(results, key=lambda r: r.student_id):
            grade_rows.writerow([result.student_id, f"{result.score:g}", f"{result.max_score:g}", result.status,
                                 result.message])
            for grade_id, earned, points in result.items:
                item_rows.writerow([result.student_id, grade_id, "" if earned is None else f"{earned:g}", f"{points:g}"])
            for question, choice in sorted(result.choices.items()):
                choice_rows.writerow([result.student_id, question, choice or ""])
    for result in results:
        if result.status in ("invalid", "missing") and not result.autograded:
            continue
        page = out / "feedback" / f"{result.student_id}.html"
        page.write_text(feedback_html(result, assignment, hide_hidden_tests))
