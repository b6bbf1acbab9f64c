"""Step 4b: one feedback page per student, and the CSV files an instructor imports.

The page shows the score per question, then every test cell with its verdict and, when it failed,
the message it gave. Hidden tests stay hidden unless ``show_hidden_tests``: the hidden parts of
test cells are replaced by a one-line note, and the message keeps only the exception's own lines
(``AssertionError: ...``), without the traceback, and without any line that quotes the hidden code,
so students learn *which* check failed and why, never the test itself (nbgrader issues #917, #1363).

The page is rendered from templates/feedback.html (pages.py); the CSV files are defined in
tables.py. Every file is written to a temporary name and renamed into place, so a grader killed
while writing leaves the previous file, never half of one.
"""
import dataclasses
import re
from pathlib import Path

import nbformat

from autograder import pages, score, tables
from autograder.assignment import nbgrader_meta
from autograder.model import Status

HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.S | re.M)


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


@dataclasses.dataclass(frozen=True)
class ShownCell:
    """What a feedback page shows of one test cell (not named Test*: pytest would collect it)."""

    grade_id: str
    earned: float
    points: float
    source: str   # hidden parts replaced by a note, unless hidden tests are shown
    failure: str  # why it failed ("" when it passed)

    @property
    def passed(self):
        return self.earned == self.points


def shown_cells(result, assignment, show_hidden_tests=False):
    """The assignment's test cells in the autograded notebook, in notebook order."""
    items = {item.grade_id: item for item in result.items}
    cells = []
    for cell in nbformat.reads(result.autograded, as_version=4).cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id not in assignment.tests:
            continue
        item = items[grade_id]
        source = cell.source if show_hidden_tests else hide_hidden(cell.source)
        failure = "" if item.score == item.max_score else failure_message(cell, show_hidden_tests)
        cells.append(ShownCell(grade_id, item.score, item.max_score, source, failure))
    return cells


def feedback_html(result, assignment, show_hidden_tests=False, hide_hidden_tests=None):
    if hide_hidden_tests is not None:  # the old spelling: hiding is now the default
        show_hidden_tests = not hide_hidden_tests
    questions = [(question, got.earned, got.points)
                 for question, got in score.by_question(result.items, assignment).items()]
    return pages.render(
        "feedback.html", assignment=assignment.name, result=result, questions=questions,
        manual_points=sum(assignment.manual.values()) if assignment.manual else None,
        cells=shown_cells(result, assignment, show_hidden_tests) if result.autograded else None)


def write_outputs(out_dir, results, assignment, show_hidden_tests=False, hide_hidden_tests=None):
    """grades.csv, items.csv, choices.csv and feedback/<student>.html under ``out_dir``."""
    if hide_hidden_tests is not None:
        show_hidden_tests = not hide_hidden_tests
    for result in results:
        write_page(out_dir, result, assignment, show_hidden_tests)
    write_tables(out_dir, results)


def write_tables(out_dir, results):
    """grades.csv, items.csv and choices.csv under ``out_dir``, one student after another."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ordered = sorted(results, key=lambda r: r.student_id)
    tables.write(out, tables.GRADES, ordered)
    tables.write(out, tables.ITEMS, [tables.StudentItem(r.student_id, item.grade_id, item.score, item.max_score)
                                     for r in ordered for item in r.items])
    tables.write(out, tables.CHOICES, [tables.Choice(r.student_id, question, choice)
                                       for r in ordered for question, choice in sorted(r.choices.items())])


def write_page(out_dir, result, assignment, show_hidden_tests=False):
    """feedback/<student>.html, for a submission that was read (grading writes each one as it comes)."""
    if result.status in (Status.INVALID, Status.MISSING) and not result.autograded:
        return
    if not result.student_id or "/" in result.student_id or result.student_id.startswith("."):
        return  # never a page outside feedback/
    folder = Path(out_dir) / "feedback"
    folder.mkdir(parents=True, exist_ok=True)
    page = feedback_html(result, assignment, show_hidden_tests)
    tables.replace_file(folder / f"{result.student_id}.html", lambda handle: handle.write(page))
