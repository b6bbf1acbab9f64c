"""The static course site (`make site`): built from the executed notebooks, read in a real browser.

The site is built once into a temporary folder and opened from file://, the way a learner opens a
downloaded copy, with every request that would leave the folder refused: a page that needs the
network fails here. Search, the themes, the sidebar and the focus order are used as a reader would;
axe-core (npm, installed by `make install`) checks every page in both themes.
"""
import json
import re
from html import unescape
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
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# A section that only Lecture 5 has, searched for from Lecture 1: its heading, and the anchor
# nbconvert gives it.
KNOWN_SECTION = ("sinusoidal positional encodings", "lectures/05_self_attention.html", "Sinusoidal-positional-encodings")
TOP_RESULTS = 3  # how far down the known section may be


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    site.build(COURSE, out)
    return out


class Links(HTMLParser):
    """Every address a page loads (scripts, styles, images) and every link it offers."""

    def __init__(self):
        super().__init__()
        self.loads, self.links, self.images = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img") and attrs.get("src"):
            self.loads.append(attrs["src"])
        if tag == "img":
            self.images.append(attrs)
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


def page_notebook(page):
    return nbformat.read(str(next(p for p in LECTURES + ASSIGNMENTS if p.stem == Path(page).stem)), as_version=4)


def expected_images(page) -> int:
    if page == "index.html":
        return 0
    notebook = page_notebook(page)
    return sum("image/png" in output.get("data", {}) for cell in notebook.cells for output in cell.get("outputs", []))


def expected_alts(page) -> list:
    """The alt text of each figure on the page, in order: its cell's `# alt: <sentence>` lines."""
    if page == "index.html":
        return []
    alts = []
    for cell in page_notebook(page).cells:
        figures = sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        if figures:
            lines = [line.split("# alt:", 1)[1].strip() for line in cell.source.splitlines()
                     if line.strip().startswith("# alt:")]
            assert len(lines) >= figures and all(lines), f"{page}: a figure cell without '# alt: <sentence>'"
            alts += lines[:figures]
    return alts


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
    # every figure: its cell's alt text, and at least 1.5 image pixels per CSS pixel (the lectures
    # embed PNGs at twice their display width), on a laptop and on a phone alike
    assert browser_page.evaluate("() => [...document.images].map(i => i.alt)") == expected_alts(page)
    if page.startswith("lectures/"):
        assert len(images) >= 1
        self_check_answers_are_folded_until_asked_for(browser_page)
    # nothing wider than the screen: wide code, tables and formulas scroll inside themselves
    for width, height in (LAPTOP, PHONE):
        browser_page.set_viewport_size({"width": width, "height": height})
        assert browser_page.evaluate("document.documentElement.scrollWidth") <= width
        sizes = browser_page.evaluate("() => [...document.images].map(i => [i.naturalWidth, i.getBoundingClientRect().width])")
        assert all(natural >= 1.5 * shown and 0 < shown <= width for natural, shown in sizes), sizes
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


# ---- figures, downloads, the search index (no browser) ------------------------------------------

@pytest.mark.slow  # builds the whole site once per module
def test_every_image_carries_its_figures_alt_text_and_its_display_width(built):
    for page in PAGES:
        images = parsed(built / page).images
        assert [image.get("alt") for image in images] == expected_alts(page), page
        for image in images:
            assert image["alt"].strip() and "No description" not in image["alt"], page
            assert image.get("width"), f"{page}: an image without its display width, so it would show at 2x"


@pytest.mark.slow  # builds the whole site once per module
def test_every_page_offers_its_notebook_as_ipynb_and_as_py(built):
    import jupytext

    for notebook in LECTURES + ASSIGNMENTS:
        kind = "lectures" if notebook in LECTURES else "assignments"
        links = parsed(built / kind / f"{notebook.stem}.html").links
        assert f"../notebooks/{notebook.name}" in links and f"../notebooks/{notebook.stem}.py" in links
        script = (built / "notebooks" / f"{notebook.stem}.py").read_text()
        compile(script, notebook.stem + ".py", "exec")  # a script Python runs as it is
        code = [c.source for c in nbformat.read(str(notebook), as_version=4).cells if c.cell_type == "code"]
        assert [c.source for c in jupytext.reads(script, fmt="py:percent").cells if c.cell_type == "code"] == code
        assert "BEGIN SOLUTION" not in script  # an assignment's .py is the student version's


def load_search_index(built):
    from lunr.index import Index

    text = (built / "search_index.js").read_text()
    data = json.loads(text[text.index("{"):text.rindex("}") + 1])
    return Index.load(data["index"]), data["docs"]


@pytest.mark.slow  # builds the whole site once per module
def test_the_search_index_holds_every_pages_sections_text_and_code(built):
    index, docs = load_search_index(built)
    pages = {}
    for address, page, heading, _ in docs:
        pages.setdefault(address.split("#")[0], []).append(address)
    assert set(pages) == set(PAGES)
    for page, addresses in pages.items():  # every result links to a heading that is on its page
        ids = set(re.findall(r'\bid="([^"]+)"', (built / page).read_text()))
        for address in addresses:
            anchor = address.partition("#")[2]
            assert not anchor or anchor.replace("&", "&amp;") in ids, address
    query, page, anchor = KNOWN_SECTION
    found = [docs[int(r["ref"])][0] for r in index.search(query)]
    # by its heading and text, among the first few (the order of near ties shifts with any edit)
    assert f"{page}#{anchor}" in found[:TOP_RESULTS], found[:TOP_RESULTS]
    found = [docs[int(r["ref"])][0] for r in index.search("code:linear_recurrence")]  # by the code alone
    assert any(a.startswith(f"lectures/{LECTURES[6].stem}.html#") for a in found), found


def test_a_build_without_lunr_js_stops_with_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setattr(site, "LUNR_JS", Path("node_modules") / "no-such-package" / "lunr.min.js")
    with pytest.raises(SystemExit, match=r"lunr.min.js is missing .*run `make install`"):
        site.build(COURSE, tmp_path / "site")


def test_code_colours_reach_wcag_aa_on_the_code_background_in_both_themes():
    css = site.highlight_css()
    for theme, (_, background, scope) in site.CODE_STYLES.items():
        colours = re.findall(rf"^{re.escape(scope)} \.\w+ {{[^}}]*color: (#[0-9a-f]{{6}})", css, re.MULTILINE)
        assert len(colours) > 20, theme
        assert min(site._contrast(site._rgb(c), site._rgb(background)) for c in colours) >= 4.5, theme


# ---- search, themes, navigation, accessibility (in the browser) ---------------------------------

@pytest.mark.slow  # builds the whole site once per module
def test_search_finds_a_section_of_another_page_and_opens_it_at_its_heading(open_page, built):
    query, page, anchor = KNOWN_SECTION
    browser_page = open_offline(open_page, built, f"lectures/{LECTURES[0].stem}.html", LAPTOP)
    assert browser_page.evaluate("typeof window.COURSE_SEARCH") == "undefined"  # loaded on first focus only
    browser_page.focus("#search-input")
    browser_page.keyboard.type(query)
    browser_page.wait_for_selector(".search-result a", timeout=20_000)
    results = browser_page.locator(".search-result a")
    hrefs = [results.nth(i).get_attribute("href") for i in range(min(results.count(), TOP_RESULTS))]
    assert f"../{page}#{anchor}" in hrefs, hrefs  # among the first few: near ties may come in either order
    position = hrefs.index(f"../{page}#{anchor}")
    found = results.nth(position)
    assert "Sinusoidal positional encodings" in found.inner_text() and "Lecture 5" in found.inner_text()
    assert "results" in browser_page.inner_text("#search-status")  # announced to screen readers
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=str(ARTIFACTS / f"site-search-{LAPTOP[0]}px.png"))
    for _ in range(position + 1):  # the results are reachable from the keyboard, one arrow each
        browser_page.keyboard.press("ArrowDown")
    assert browser_page.evaluate("document.activeElement.getAttribute('href')") == f"../{page}#{anchor}"
    with browser_page.expect_navigation(wait_until="domcontentloaded"):
        browser_page.keyboard.press("Enter")
    assert browser_page.url.endswith(f"{page}#{anchor}")
    assert browser_page.locator(f'[id="{anchor}"]').count() == 1
    assert browser_page.outside == [] and browser_page.console_errors == []


@pytest.mark.slow  # builds the whole site once per module
def test_search_results_on_a_phone(open_page, built):
    browser_page = open_offline(open_page, built, "index.html", PHONE)
    browser_page.fill("#search-input", "attention mask")
    browser_page.wait_for_selector(".search-result a", timeout=20_000)
    assert browser_page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    box = browser_page.locator("#search-results").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=str(ARTIFACTS / f"site-search-{PHONE[0]}px.png"))
    assert browser_page.outside == [] and browser_page.console_errors == []


def theme(browser_page) -> str:
    return browser_page.evaluate("document.documentElement.dataset.theme")


@pytest.mark.slow  # builds the whole site once per module
def test_the_theme_is_light_dark_or_the_systems_and_is_remembered(open_page, built):
    lecture = f"lectures/{LECTURES[0].stem}.html"
    browser_page = open_offline(open_page, built, "index.html", LAPTOP)
    browser_page.emulate_media(color_scheme="light")
    assert browser_page.input_value("#theme-select") == "system" and theme(browser_page) == "light"
    browser_page.emulate_media(color_scheme="dark")  # "system" follows the system, as it changes
    browser_page.wait_for_function("document.documentElement.dataset.theme === 'dark'")
    browser_page.emulate_media(color_scheme="light")
    browser_page.select_option("#theme-select", "dark")
    assert theme(browser_page) == "dark"
    background = browser_page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)"
    # remembered: the next page opens dark, before any script of the page's own has run
    browser_page.goto((built / lecture).as_uri())
    browser_page.wait_for_selector("body[data-math=done]", state="attached", timeout=60_000)
    assert theme(browser_page) == "dark" and browser_page.input_value("#theme-select") == "dark"
    # plots stay readable: each sits on a light card
    cards = browser_page.evaluate("() => [...document.images].map(i => getComputedStyle(i).backgroundColor)")
    assert cards and set(cards) == {"rgb(255, 255, 255)"}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, height in (LAPTOP, PHONE):
        browser_page.set_viewport_size({"width": width, "height": height})
        browser_page.evaluate("window.scrollTo(0, 0)")
        browser_page.screenshot(path=str(ARTIFACTS / f"site-dark-{LECTURES[0].stem}-{width}px.png"))
    browser_page.goto((built / "index.html").as_uri())
    browser_page.wait_for_selector("body[data-math=done]", state="attached", timeout=60_000)
    browser_page.screenshot(path=str(ARTIFACTS / f"site-dark-index-{PHONE[0]}px.png"))
    browser_page.select_option("#theme-select", "light")
    browser_page.reload()
    assert theme(browser_page) == "light" and browser_page.evaluate("localStorage.getItem('course-theme')") == "light"
    browser_page.select_option("#theme-select", "system")
    assert browser_page.evaluate("localStorage.getItem('course-theme')") is None
    assert browser_page.outside == [] and browser_page.console_errors == []


@pytest.mark.slow  # builds the whole site once per module
def test_the_sidebar_shows_the_declared_course_order_and_the_pages_sections(built):
    order = site.course_order(COURSE)
    for entry in order:
        html = (built / entry.href).read_text()
        sidebar = html.split('id="course-sidebar">', 1)[1].split("</nav>", 1)[0]
        wheres = re.findall(r'<span class="sidebar-where">([^<]+)</span>', sidebar)
        assert wheres == COURSE_ORDER  # from course.toml (site.course_order), not from any page's prose
        current = re.findall(r'<a (?=[^>]*aria-current="page")[^>]*href="([^"]+)"', sidebar)
        assert current == [f"../{entry.href}"]
        sections = [unescape(s) for s in re.findall(r'<li class="toc-h[23]"><a href="#([^"]+)">', sidebar)]
        headings = [unescape(h) for h in re.findall(r'<h[23] id="([^"]+)">', html.split('<main id="content"', 1)[1])]
        assert sections == headings and len(sections) >= 3, entry.where


@pytest.mark.slow  # builds the whole site once per module
def test_landmarks_language_and_focus_order(open_page, built):
    page = f"lectures/{LECTURES[1].stem}.html"
    browser_page = open_offline(open_page, built, page, LAPTOP)
    assert browser_page.get_attribute("html", "lang") == "en"
    landmarks = browser_page.evaluate("""() => ['header.course-bar', 'main', 'footer', '[role=search]']
        .map(s => document.querySelectorAll(s).length)""")
    assert landmarks == [1, 1, 1, 1]
    labels = browser_page.evaluate("() => [...document.querySelectorAll('nav')].map(n => n.getAttribute('aria-label'))")
    assert len(labels) == len(set(labels)) >= 3 and all(labels)
    assert browser_page.locator("[tabindex]:not([tabindex='0']):not([tabindex='-1'])").count() == 0
    # the first stops: skip link, home, search, theme, then the sidebar's course order
    stops = []
    for _ in range(5):
        browser_page.keyboard.press("Tab")
        stops.append(browser_page.evaluate("""() => { const e = document.activeElement;
            return e.id || e.className || e.closest('nav').getAttribute('aria-label') }"""))
    assert stops == ["skip-link", "course-home", "search-input", "theme-select", "Course contents"], stops
    browser_page.keyboard.press("Shift+Tab")
    browser_page.keyboard.press("Shift+Tab")
    browser_page.keyboard.press("Shift+Tab")
    browser_page.keyboard.press("Shift+Tab")
    browser_page.keyboard.press("Enter")  # skip link: the content gets the focus
    assert browser_page.evaluate("document.activeElement.id") == "content"
    # from the content, Tab reaches the pager (every scrolling block on the way is a stop too)
    for _ in range(400):
        browser_page.keyboard.press("Tab")
        if browser_page.evaluate("document.activeElement.getAttribute('rel')") == "next":
            break
    else:
        pytest.fail("Tab never reached the pager's next link")
    heading_link = browser_page.locator("h2 a.anchor-link").first
    assert heading_link.get_attribute("aria-label").startswith("Link to this section: ")
    assert browser_page.outside == [] and browser_page.console_errors == []


@pytest.mark.slow  # builds the whole site once per module
def test_on_a_phone_the_sidebar_folds_behind_the_contents_button(open_page, built):
    browser_page = open_offline(open_page, built, f"lectures/{LECTURES[0].stem}.html", PHONE)
    sidebar, button = browser_page.locator("#course-sidebar"), browser_page.locator(".sidebar-toggle")
    assert not sidebar.is_visible() and button.is_visible() and button.get_attribute("aria-expanded") == "false"
    button.click()
    assert sidebar.is_visible() and button.get_attribute("aria-expanded") == "true"
    assert browser_page.evaluate("document.activeElement.getAttribute('aria-current')") == "page"
    assert browser_page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    browser_page.keyboard.press("Escape")
    assert not sidebar.is_visible() and browser_page.evaluate("document.activeElement.className") == "sidebar-toggle"
    assert browser_page.outside == [] and browser_page.console_errors == []


def axe_violations(browser_page) -> list:
    """axe-core's violations on the page as it is now: [(rule, impact, number of elements)]."""
    browser_page.add_script_tag(path=str(AXE))
    # preload: false, or axe asks for each style sheet by XMLHttpRequest, which file:// refuses
    return browser_page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations'], preload: false}))
        .violations.map(v => [v.id, v.impact, v.nodes.length, v.nodes.slice(0, 3).map(n => n.target.join(' '))])""")


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.slow  # builds the whole site once per module
def test_axe_finds_nothing_serious_or_critical_in_either_theme(open_page, built, page):
    assert AXE.is_file(), f"{AXE.relative_to(ROOT)} is missing: run `make install` (npm ci)"
    browser_page = open_offline(open_page, built, page, LAPTOP)
    counts = {}
    for choice in ("light", "dark"):
        if choice == "dark":
            browser_page.select_option("#theme-select", "dark")
            browser_page.reload()
            browser_page.wait_for_selector("body[data-math=done]", state="attached", timeout=60_000)
        assert theme(browser_page) == choice
        violations = axe_violations(browser_page)
        counts[choice] = violations
        serious = [v for v in violations if v[1] in ("serious", "critical")]
        assert serious == [], f"{page} in the {choice} theme"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-{Path(page).stem}.json").write_text(json.dumps(counts, indent=1) + "\n")
    assert browser_page.outside == [] and browser_page.console_errors == []
