"""Step 4b: one feedback page per student, and the CSV files an instructor imports.

The page shows the score per question, then every test cell with its verdict and, when it failed,
the message it gave. Hidden tests stay hidden unless ``show_hidden_tests``: the hidden parts of
test cells are replaced by a one-line note, and the message keeps only the exception's own lines
(``AssertionError: ...``), without the traceback, and without any line that quotes the hidden code,
so students learn *which* check failed and why, never the test itself (nbgrader issues #917, #1363).

Every file is written to a temporary name and renamed into place, so a grader killed while writing
leaves the previous file, never half of one.
"""
import csv
import html
import os
import re
import tempfile
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


ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
STDERR_NOTE = "wrote to stderr (a warning or an error message), which fails a test cell:\n"


def _outputs(cell, kind):
    return [o for o in cell.get("outputs", []) if o.get("output_type") == kind
            and (kind != "stream" or o.get("name") == "stderr")]


def error_text(cell):
    """The whole failure: the traceback's last lines, and what went to stderr (hidden code may show)."""
    parts = ["\n".join(ANSI.sub("", line) for line in output.get("traceback", [])[-12:])
             for output in _outputs(cell, "error")[:1]]
    parts += [STDERR_NOTE + "".join(o.get("text", "") for o in _outputs(cell, "stream"))[-2000:]] \
        if _outputs(cell, "stream") else []
    return "\n".join(parts)


def hidden_lines(source):
    """The stripped, non-empty lines of a test cell's hidden blocks."""
    return {line.strip() for block in HIDDEN.findall(source) for line in block.splitlines()[1:-1] if line.strip()}


def _quotes(line, hidden):
    """Does a line of a message quote hidden code: all of a hidden line, or a piece that looks like code?"""
    pieces = {line.strip(), line.split(": ", 1)[-1].strip()} - {""}  # "AssertionError: <what it says>"
    return any(piece == h or (len(h) >= 10 and h in piece)
               or (len(piece) >= 16 and re.search(r"[()\[\]=,.]", piece) and piece in h)
               for piece in pieces for h in hidden)


def failure_message(cell, show_hidden_tests=False):
    """Why a test cell failed: with ``show_hidden_tests`` the whole traceback; else the exception's
    own lines (``ename: evalue``) and what was written to stderr, without any line of hidden code."""
    if show_hidden_tests:
        return error_text(cell)
    parts = []
    for output in _outputs(cell, "error")[:1]:
        evalue = ANSI.sub("", str(output.get("evalue", "")))
        text = f"{output.get('ename', 'Error')}: {evalue}" if evalue.strip() else str(output.get("ename", "Error"))
        first = ANSI.sub("", (output.get("traceback") or [""])[0])
        parts.append(("your code raised " if first.startswith("Your code raised this:") else "") + text)
    if _outputs(cell, "stream"):
        parts.append(STDERR_NOTE + ANSI.sub("", "".join(o.get("text", "") for o in _outputs(cell, "stream"))[-2000:]))
    hidden = hidden_lines(cell.get("source", ""))
    lines = ["(a line of the hidden tests, not shown)" if _quotes(line, hidden) else line
             for line in "\n".join(parts).splitlines()[:30]]
    return "\n".join(lines)


def failure_summary(cell, show_hidden_tests=False):
    """One line for a table: the exception, or else the first line written to stderr."""
    if show_hidden_tests and _outputs(cell, "error"):  # the traceback's last line is the exception
        return (error_text(cell).split(STDERR_NOTE)[0].strip().splitlines() or [""])[-1]
    message = failure_message(cell)
    return next((line for line in message.splitlines() if line.strip() and line != STDERR_NOTE.strip()), "")


def feedback_html(result, assignment, show_hidden_tests=False, hide_hidden_tests=None):
    if hide_hidden_tests is not None:  # the old spelling: hiding is now the default
        show_hidden_tests = not hide_hidden_tests
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
            source = cell.source if show_hidden_tests else hide_hidden(cell.source)
            body += (f"<div class='cell {verdict}'><h3><code>{e(grade_id)}</code> <span class={verdict}>"
                     f"{'passed' if verdict == 'pass' else 'failed'}: {earned:g} / {points:g}</span></h3>"
                     f"<pre>{e(source)}</pre>")
            if verdict == "fail":
                body += f"<p>What went wrong:</p><pre>{e(failure_message(cell, show_hidden_tests))}</pre>"
            body += "</div>"
    return head + body


UMASK = os.umask(0o022)
os.umask(UMASK)


def _replace(path, write, newline=None):
    """Write ``path`` through ``write(handle)`` on a temporary file, then rename it into place."""
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


def write_outputs(out_dir, results, assignment, show_hidden_tests=False, hide_hidden_tests=None):
    """grades.csv, items.csv, choices.csv and feedback/<student>.html under ``out_dir``."""
    if hide_hidden_tests is not None:
        show_hidden_tests = not hide_hidden_tests
    out = Path(out_dir)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    ordered = sorted(results, key=lambda r: r.student_id)

    def rows(header, make):
        def write(handle):
            writer = csv.writer(handle)
            writer.writerow(header)
            for result in ordered:
                writer.writerows(make(result))
        return write

    _replace(out / "grades.csv", rows(["student_id", "score", "max_score", "status", "message"], lambda r: [
        [r.student_id, f"{r.score:g}", f"{r.max_score:g}", r.status, r.message]]), newline="")
    _replace(out / "items.csv", rows(["student_id", "grade_id", "score", "max_score"], lambda r: [
        [r.student_id, g, "" if earned is None else f"{earned:g}", f"{points:g}"] for g, earned, points in r.items]),
        newline="")
    _replace(out / "choices.csv", rows(["student_id", "question", "choice"], lambda r: [
        [r.student_id, q, choice or ""] for q, choice in sorted(r.choices.items())]), newline="")
    for result in results:
        if result.status in ("invalid", "missing") and not result.autograded:
            continue
        if not result.student_id or "/" in result.student_id or result.student_id.startswith("."):
            continue  # never a page outside feedback/
        page = feedback_html(result, assignment, show_hidden_tests)
        _replace(out / "feedback" / f"{result.student_id}.html", lambda handle: handle.write(page))
