"""The static course site (`make site`): built from the executed notebooks, read in a real browser.

The site is built once into a temporary folder and opened from file://, the way a learner opens a
downloaded copy, with every request that would leave the folder refused: a page that needs the
network fails here.
"""
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from coursetools import site
from tests.conftest import ARTIFACTS
from tests.helpers import COURSE

ROOT = COURSE.root
LECTURES = [ROOT / lecture.executed for lecture in COURSE.lectures]
ASSIGNMENTS = [COURSE.student_version(a) for a in COURSE.assignment_ids]
PAGES = ["index.html"] + [f"lectures/{p.stem}.html" for p in LECTURES] + [f"assignments/{p.stem}.html" for p in ASSIGNMENTS]
PHONE, LAPTOP = (390, 844), (1366, 900)
SCREENSHOTS = ["index.html", f"lectures/{LECTURES[0].stem}.html"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    site.build(COURSE, out)
    return out


class Links(HTMLParser):
    """Every address a page loads (scripts, styles, images) and every link it offers."""

    def __init__(self):
        super().__init__()
        self.loads, self.links = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img") and attrs.get("src"):
            self.loads.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.loads.append(attrs["href"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def parsed(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text())
    return links


# ---- the build ---------------------------------------------------------------------------------

@pytest.mark.slow  # builds the whole site once per module
def test_every_notebook_becomes_a_page_and_a_download(built):
    for page in PAGES:
        assert (built / page).is_file(), page
    for notebook in LECTURES + ASSIGNMENTS:
        assert (built / "notebooks" / notebook.name).read_bytes() == notebook.read_bytes()


# The order course.toml declares, written out: each assignment right after the last lecture it needs.
COURSE_ORDER = ["Lecture 1", "Lecture 2", "Assignment 1", "Lecture 3", "Lecture 4", "Assignment 2",
                "Lecture 5", "Lecture 6", "Assignment 3", "Assignment 4", "Lecture 7", "Assignment 5"]


def test_assignments_come_right_after_the_lectures_they_need():
    order = [e.where for e in site.course_order(COURSE)]
    assert order == COURSE_ORDER


@pytest.mark.slow  # builds the whole site once per module
def test_the_index_shows_each_lectures_goals_and_measured_time(built):
    index = (built / "index.html").read_text()
    for declared, path in zip(COURSE.lectures, LECTURES):
        lecture = site.lecture_entry(COURSE, declared)
        assert lecture.seconds is not None, f"{path.name} has no measured time: run `make notebooks`"
        block = index.split(f'id="{path.stem}"', 1)[1].split("</li>\n", 1)[0]
        assert f"Lecture {lecture.number}: {lecture.title}" in block
        assert f"runs in {lecture.seconds:.0f} s" in block
        assert len(re.findall(r"<li>", block)) == len(lecture.goals) >= 3
    assert "AMD EPYC" in index or "cores" in index  # the machine the times were measured on


@pytest.mark.slow  # builds the whole site once per module
def test_every_page_loads_only_files_of_the_site_and_every_local_link_resolves(built):
    for page in PAGES:
        links = parsed(built / page)
        for address in (a for a in links.loads if not a.startswith("data:")):  # embedded plots
            assert not re.match(r"\w+://|//", address), f"{page} loads {address} from the network"
            assert (built / page).parent.joinpath(address.split("?")[0]).resolve().is_file(), f"{page}: {address}"
        for address in links.links:
            if not re.match(r"\w+:|#", address):
                assert (built / page).parent.joinpath(address.split("#")[0]).resolve().is_file(), f"{page}: {address}"
    css = (built / "assets" / "jupyterlab.css").read_text() + (built / "assets" / "course.css").read_text()
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css) and "@import" not in css


@pytest.mark.slow  # builds the whole site once per module
def test_pages_link_each_notebook_to_colab_and_binder(built):
    for path in LECTURES:
        links = parsed(built / "lectures" / f"{path.stem}.html").links
        relative = path.relative_to(ROOT).as_posix()
        assert site.colab_url(COURSE, relative) in links and site.binder_url(COURSE, relative) in links


def test_a_rebuild_never_empties_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "thesis.tex").write_text("precious")
    with pytest.raises(SystemExit, match="not made by `make site`"):
        site.build(COURSE, tmp_path)
    assert (tmp_path / "thesis.tex").read_text() == "precious"


def test_every_assignment_tells_self_study_learners_how_to_check_their_work():
    for path in ASSIGNMENTS:
        intro = next(c.source for c in nbformat.read(str(path), as_version=4).cells if c.cell_type == "markdown")
        assert f"python -m autograder check {path.name}" in intro, path.name
        assert "Studying on your own?" in intro, path.name


# ---- Colab and Binder --------------------------------------------------------------------------

def test_every_lecture_installs_the_helpers_on_colab_and_nowhere_else():
    for path in (ROOT / lecture.notebook for lecture in COURSE.lectures):
        text = path.read_text()
        assert 'if "google.colab" in sys.modules:' in text, path.name
        assert f'"{COURSE.colab_requirement}"' in text, f"{path.name} installs something else than the README says"
        assert text.index("google.colab") < text.index("import r2a"), path.name


def test_the_readme_gives_the_exact_colab_line_and_the_binder_badge():
    readme = (ROOT / "README.md").read_text()
    assert COURSE.colab_install in readme
    assert site.binder_url(COURSE) in readme and "mybinder.org/badge" in readme
    assert site.colab_url(COURSE, "lectures/01_sequences_and_recurrence.ipynb") in readme


# ---- in the browser ----------------------------------------------------------------------------

def open_offline(open_page, built, page, size):
    """Open ``page`` from file:// with every request outside the site refused and recorded."""
    browser_page = open_page(*size)
    browser_page.outside = []

    def only_local(route):
        if route.request.url.startswith("file://") or route.request.url.startswith("data:"):
            return route.continue_()
        browser_page.outside.append(route.request.url)
        return route.abort()

    browser_page.route("**/*", only_local)
    browser_page.goto((built / page).as_uri())
    browser_page.wait_for_selector("body[data-math=done]", state="attached", timeout=60_000)
    return browser_page


def expected_images(page) -> int:
    if page == "index.html":
        return 0
    notebook = nbformat.read(str(next(p for p in LECTURES + ASSIGNMENTS if p.stem == Path(page).stem)), as_version=4)
    return sum("image/png" in output.get("data", {}) for cell in notebook.cells for output in cell.get("outputs", []))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.slow  # builds the whole site once per module
def test_a_page_reads_correctly_offline_on_a_laptop_and_a_phone(open_page, built, page):
    browser_page = open_offline(open_page, built, page, LAPTOP)
    assert browser_page.outside == [], "the page asked the network for these"
    assert browser_page.console_errors == []
    # maths: typeset, without a TeX error, and no formula left as raw TeX
    assert browser_page.get_attribute("body", "data-math-errors") == ""
    assert browser_page.locator(".MathJax, .MathJax_Display").count() > 0
    raw = browser_page.evaluate("""() => [...document.querySelectorAll('.jp-RenderedMarkdown p, .jp-RenderedMarkdown li, main.home li')]
        .map(e => e.innerText).filter(t => /\\$[^$\\s][^$]*\\$/.test(t))""")
    assert raw == [], "formulas left as raw TeX"
    # plots: every image the notebook stored is on the page and decoded
    images = browser_page.evaluate("() => [...document.images].map(i => i.complete && i.naturalWidth > 0)")
    assert len(images) == expected_images(page) and all(images)
    if page.startswith("lectures/"):
        assert len(images) >= 1
        self_check_answers_are_folded_until_asked_for(browser_page)
    # nothing wider than the screen: wide code, tables and formulas scroll inside themselves
    for width, height in (LAPTOP, PHONE):
        browser_page.set_viewport_size({"width": width, "height": height})
        assert browser_page.evaluate("document.documentElement.scrollWidth") <= width
        if page in SCREENSHOTS:  # kept on every run, so a reviewer sees what the browser saw
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            browser_page.evaluate("window.scrollTo(0, 0)")
            browser_page.screenshot(path=str(ARTIFACTS / f"site-{Path(page).stem}-{width}px.png"))


def self_check_answers_are_folded_until_asked_for(browser_page):
    answers = browser_page.locator("details")
    assert answers.count() >= 5
    assert browser_page.evaluate("() => [...document.querySelectorAll('details')].some(d => d.open)") is False
    first = answers.first
    first.locator("summary").click()
    assert first.evaluate("d => d.open") and first.inner_text().strip() != "Answer"
    first.locator("summary").click()


@pytest.mark.slow  # builds the whole site once per module
def test_the_pager_walks_the_course_in_order(open_page, built):
    browser_page = open_page(*LAPTOP)
    browser_page.goto((built / "index.html").as_uri())
    link = browser_page.locator(f'a.map-title[href="lectures/{LECTURES[0].stem}.html"]')
    seen = []
    while link is not None:
        # a long page is parsed in pieces: read it only once all of it, pager included, is there
        with browser_page.expect_navigation(wait_until="domcontentloaded"):
            link.click()
        seen.append(browser_page.inner_text(".course-where"))
        following = browser_page.locator('a[rel="next"]')
        link = following if following.count() else None
    assert seen == [f"{where} of the course" for where in COURSE_ORDER]
