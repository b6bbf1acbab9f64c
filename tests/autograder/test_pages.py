"""The autograder's HTML pages through their templates (autograder/pages.py, autograder/templates/):
what students control is shown as text, never run as markup; each page is self-contained and all
share one style sheet; the pages keep their sections and classes."""
import html.parser

import jinja2
import nbformat
import pytest

from tests.autograder.test_report import make_grading_output
from tests.helpers.autograder_corpus import PARTIAL, SOLUTIONS
from tests.helpers.classroom import student_notebook
from autograder import assignment as assignments
from autograder import pages, pipeline, sandbox
from autograder.feedback import feedback_html
from autograder.model import Item, Result, Status, Submission
from autograder.report import write_report

A1 = "a1_recurrence_and_gradients"
SCRIPT = "<script>alert('x')</script>"
HOSTILE_ID = 'eve<img src=x onerror="alert(1)">'
BREAKS_OUT = "</pre></div><iframe src=javascript:alert(2)></iframe>"  # tries to close the page's own tags
FAILING = "test_rnn_forward_shape"


class Page(html.parser.HTMLParser):
    """The elements of a page (tag, attributes), its text (outside <style>) and its style sheet."""

    def __init__(self, source):
        super().__init__(convert_charrefs=True)
        self.elements, self.text, self.style, self._in_style = [], "", "", False
        self.feed(source)
        self.close()

    @property
    def tags(self):
        return [tag for tag, _ in self.elements]

    @property
    def classes(self):
        return [f"{tag}.{attrs['class']}" for tag, attrs in self.elements if "class" in attrs]

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data
        else:
            self.text += data


@pytest.fixture(scope="module")
def spec():
    return assignments.from_solutions(A1)


def hostile_result(spec):
    """A graded notebook whose student id, message, error and stderr are all markup."""
    notebook = student_notebook(A1, SOLUTIONS)
    tests = {assignments.nbgrader_meta(c).get("grade_id"): c for c in notebook.cells}
    for grade_id in spec.tests:
        tests[grade_id].source = spec.pristine[grade_id]  # hidden tests included, as restore.py leaves them
    failing = tests[FAILING]
    failing.outputs = [
        nbformat.v4.new_output("error", ename="ValueError", evalue=f"{SCRIPT} {BREAKS_OUT}",
                               traceback=["Traceback (most recent call last):", f"ValueError: {SCRIPT}"]),
        nbformat.v4.new_output("stream", name="stderr", text=f"{SCRIPT} & <b>bold</b>\n")]
    items = [Item(g, 0.0 if g == FAILING else p, p) for g, p in spec.tests.items()]
    items += [Item(g, None, p) for g, p in spec.manual.items()]
    return Result(HOSTILE_ID, Status.TAMPERED, f"tests restored: {SCRIPT}",
                  score=sum(i.score for i in items if i.score is not None), max_score=spec.max_score, items=items,
                  autograded=nbformat.writes(notebook))


def assert_inert(source):
    """Nothing that runs or loads: no script, frame or event handler, and images only our own
    embedded figures (so nothing a student wrote became an element)."""
    page = Page(source)
    assert not {"script", "iframe", "object", "embed"} & set(page.tags), sorted(set(page.tags))
    assert not [name for _, attrs in page.elements for name in attrs if name.startswith("on")]
    assert all(attrs["src"].startswith("data:image/png;base64,") for tag, attrs in page.elements if tag == "img")
    assert "<script" not in source.lower()
    return page


@pytest.mark.parametrize("show_hidden_tests", [False, True])
def test_feedback_page_shows_hostile_student_text_as_text(spec, show_hidden_tests):
    page = assert_inert(feedback_html(hostile_result(spec), spec, show_hidden_tests=show_hidden_tests))
    assert HOSTILE_ID in page.text and f"tests restored: {SCRIPT}" in page.text
    assert f"ValueError: {SCRIPT}" in page.text, "the error is shown, escaped"
    assert f"{SCRIPT} & <b>bold</b>" in page.text, "what went to stderr is shown, escaped"


def test_feedback_page_keeps_its_sections_and_classes(spec):
    result = hostile_result(spec)
    page = Page(feedback_html(result, spec))
    assert page.tags.count("h2") == 2 and "By question" in page.text and "Test cells" in page.text
    assert page.classes.count("div.cell fail") == 1 and page.classes.count("span.fail") == 1
    assert page.classes.count("div.cell pass") == len(spec.tests) - 1
    assert page.text.count("What went wrong:") == 1 and f"{FAILING} failed: 0 / 1" in page.text
    assert f"Autograded score: {result.score:g} / {result.max_score:g}" in page.text
    assert "status: tampered" in page.text and "Written answers (3 points)" in page.text
    assert "BEGIN HIDDEN TESTS" not in page.text and "hidden tests:" in page.text


def test_feedback_page_without_an_autograded_notebook_has_no_test_cells(spec):
    result = Result("bob", Status.INVALID, "the notebook file is empty", max_score=spec.max_score)
    page = Page(feedback_html(result, spec))
    assert "By question" in page.text and "Test cells" not in page.text and "div.cell pass" not in page.classes


def test_report_page_shows_hostile_student_text_as_text(tmp_path):
    make_grading_output(tmp_path)
    write_report(tmp_path, f"a1{SCRIPT}", correct_choices={"q1": "B"})
    page = assert_inert((tmp_path / "report.html").read_text())
    assert f"Item analysis: a1{SCRIPT}" in page.text
    assert f"bad (invalid): not a notebook: {SCRIPT}" in page.text
    assert page.classes.count("table.numbers") == 3 and "tr.flag" in page.classes and "td.correct" in page.classes


def test_pages_are_self_contained_with_one_shared_style_sheet(spec, tmp_path):
    make_grading_output(tmp_path)
    write_report(tmp_path, "a1")
    report = (tmp_path / "report.html").read_text()
    feedback = feedback_html(hostile_result(spec), spec)
    style_sheet = (pages.TEMPLATES / "autograder.css").read_text()
    for source in (report, feedback):
        page = Page(source)
        assert page.style.strip() == style_sheet.strip(), "the one style sheet, inlined"
        assert "link" not in page.tags
        assert not [value for _, attrs in page.elements for name, value in attrs.items()
                    if name in ("src", "href") and not value.startswith("data:")], "nothing loaded from elsewhere"
        assert source.startswith("<!DOCTYPE html>") and page.tags[:3] == ["html", "head", "meta"]


def test_a_template_given_too_little_fails_loudly():
    with pytest.raises(jinja2.UndefinedError):
        pages.render("feedback.html", assignment="a1")


@pytest.mark.root
@pytest.mark.slow
@pytest.mark.skipif(sandbox.isolation_mode() != "root", reason="grading runs in the root sandbox")
def test_real_student_output_is_escaped_on_the_page(spec):
    """What a student's code prints and raises, graded in the sandbox, reaches the page as text."""
    hostile = ("import sys\ndef rnn_forward(X, h0, W_x, W_h, b):\n"
               f"    print({SCRIPT!r}, file=sys.stderr)\n    raise ValueError({BREAKS_OUT!r})\n")
    notebook = student_notebook(A1, {**SOLUTIONS, "rnn_forward": hostile})
    result = pipeline.grade_submission(spec, Submission("eve", data=nbformat.writes(notebook).encode()))
    assert result.status == Status.OK and result.score == PARTIAL
    page = assert_inert(feedback_html(result, spec))
    assert f"your code raised ValueError: {BREAKS_OUT}" in page.text and SCRIPT in page.text
