"""The course as a static website that reads correctly with no network.

    python -m coursetools.site [--out build/site]        (what `make site` runs)

Renders the executed lectures and the student versions of the assignments with nbconvert's
JupyterLab template, adds an index page (the course map in the order course.toml declares, each
lecture's goals and its execution time as the notebook builder measured it), links every page to the
previous and next one, and puts links to run each notebook on Colab or Binder and to download it as
.ipynb and as .py. Plots are already inside the notebooks as base64 images, so the pages carry them,
each with the alt text its cell's ``# alt:`` comment gives; MathJax is copied from the
jupyter-server-mathjax package (PyPI) into the site, so maths renders offline, even from file://.

Every page has a sidebar (the course in its declared order, and the current page's sections), a
light, dark or system theme that the browser remembers, and a search box. Search needs no server:
the build indexes every section's heading, text and code with the ``lunr`` package (PyPI) into
search_index.js, which the page loads with lunr.js (from the npm package ``lunr``, which
``make install`` installs) the first time the search box gets the focus.
"""
import argparse
import colorsys
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import nbformat

from coursetools.course import Course
from coursetools.notebooks import METADATA_KEY

TEMPLATES = Path(__file__).with_name("site_templates")
MARKER = ".course-site"  # marks a folder as ours, so a rebuild may empty it
LUNR_JS = Path("node_modules") / "lunr" / "lunr.min.js"  # relative to the course root; npm ci puts it there
ALT = re.compile(r"^\s*#\s*alt:\s*(.+?)\s*$", re.MULTILINE)  # a figure cell's alt text, one line per figure
SEARCH_SNIPPET = 300  # characters of each section's text that search results show


def colab_url(course: Course, notebook: str) -> str:
    return f"https://colab.research.google.com/github/{course.github_path}/blob/main/{notebook}"


def binder_url(course: Course, notebook: str | None = None) -> str:
    url = f"https://mybinder.org/v2/gh/{course.github_path}/HEAD"
    return url + (f"?urlpath={quote('lab/tree/' + notebook, safe='')}" if notebook else "")


@dataclass
class Entry:
    """One notebook of the course, as the site shows it: what course.toml declares, and the
    execution time the notebook builder recorded."""
    kind: str                # "lecture" or "assignment"
    number: int
    title: str
    notebook: Path           # the .ipynb the page is made from, relative to the course root
    goals: tuple = ()        # markdown strings
    summary: str = ""        # markdown
    estimate: str = ""
    seconds: float | None = None
    machine: str = ""

    @property
    def where(self) -> str:
        return f"{self.kind.capitalize()} {self.number}"

    @property
    def relative(self) -> str:
        return self.notebook.as_posix()

    @property
    def href(self) -> str:
        return f"{self.kind}s/{self.notebook.stem}.html"

    @property
    def download(self) -> str:
        return f"notebooks/{self.notebook.name}"

    @property
    def download_py(self) -> str:
        return f"notebooks/{self.notebook.stem}.py"

    @property
    def slug(self) -> str:
        return self.notebook.stem


def lecture_entry(course: Course, lecture) -> Entry:
    measured = nbformat.read(str(course.root / lecture.executed), as_version=4).metadata.get(METADATA_KEY, {})
    return Entry("lecture", lecture.number, lecture.title, lecture.executed, goals=lecture.goals,
                 seconds=measured.get("execution_seconds"), machine=measured.get("machine", ""))


def assignment_entry(course: Course, assignment) -> Entry:
    notebook = course.student_version(assignment.id).relative_to(course.root)
    return Entry("assignment", assignment.number, assignment.title, notebook, summary=assignment.summary,
                 estimate=assignment.estimate)


def course_order(course: Course) -> list:
    """Lectures in the declared order, each assignment right after the last lecture it needs."""
    order = []
    for lecture in course.lectures:
        order.append(lecture_entry(course, lecture))
        order += [assignment_entry(course, a) for a in course.assignments if a.after_lecture == lecture.number]
    placed = {e.notebook.stem for e in order}
    return order + [assignment_entry(course, a) for a in course.assignments if a.id not in placed]


def markdown_html(text: str):
    from markupsafe import Markup
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    html = markdown2html_mistune(text).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]  # an inline phrase, not a paragraph
    return Markup(html)


def self_study_banner(entry: Entry):
    from markupsafe import Markup

    return Markup(
        f"The student version of {entry.where}, as nbgrader releases it. To work on it, "
        f"<a href=\"../{entry.download}\" download>download the notebook</a> into your course folder "
        f"(or open it with <code>make lab</code>, on Binder or on Colab). Its introduction says how "
        f"the tests work and how to check your answers against every one of them.")


def footer(course: Course, entry: Entry | None, machine: str):
    if entry is None:
        return f"Built by <code>make site</code> from the executed notebooks of {course.repository}."
    if entry.kind == "lecture":
        took = f" in {entry.seconds:.0f} s on {entry.machine or machine}" if entry.seconds is not None else ""
        return (f"Executed top to bottom by <code>make notebooks</code>{took}; every claim on this page is "
                "asserted in the notebook.")
    return "Generated by <code>nbgrader generate_assignment</code> from the instructor's version."


def _jinja():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES / "page")), autoescape=True)


def sidebar_pages(order: list, current: Entry | None, root: str) -> list:
    """The course in its declared order, as the sidebar lists it, with the current page marked."""
    return [{"href": f"{root}{e.href}", "where": e.where, "title": e.title, "kind": e.kind,
             "current": current is not None and e.href == current.href} for e in order]


def page_site(course: Course, order: list, entry: Entry | None, root: str, where: str) -> dict:
    """What the chrome around every page (header, search, theme, sidebar) needs."""
    return {"root": root, "where": where, "pages": sidebar_pages(order, entry, root),
            "home_current": entry is None}


def figure_alts(notebook) -> dict:
    """``{cell id: [alt text of each figure it draws]}``, from each figure cell's ``# alt:`` lines."""
    alts = {}
    for number, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        figures = sum(k.startswith("image/") for o in cell.get("outputs", []) for k in o.get("data", {}))
        if figures:
            found = ALT.findall(cell.source)
            if len(found) < figures:
                raise SystemExit(f"cell {number} (id {cell.get('id')}) draws {figures} figure(s) but has "
                                 f"{len(found)} '# alt: <sentence>' line(s): give every figure its alt text")
            alts[cell.get("id")] = found
    return alts


def render_notebook(course: Course, order: list, entry: Entry, previous: Entry | None, following: Entry | None,
                    machine: str) -> tuple:
    """The page's HTML, and the alt text of each figure cell's figures (``figure_alts``)."""
    from markupsafe import Markup
    from nbconvert import HTMLExporter

    def link(other):
        return other and {"href": f"../{other.href}", "label": f"{other.where}: {other.title}"}

    exporter = HTMLExporter(template_name="page", extra_template_basedirs=[str(TEMPLATES)])
    site = page_site(course, order, entry, "../", f"{entry.where} of the course")
    site.update({"colab_url": colab_url(course, entry.relative), "binder_url": binder_url(course, entry.relative),
                 "download": f"../{entry.download}", "download_py": f"../{entry.download_py}",
                 "banner": self_study_banner(entry) if entry.kind == "assignment" else "",
                 "previous": link(previous), "next": link(following),
                 "footer": Markup(footer(course, entry, machine))})
    notebook = nbformat.read(str(course.root / entry.notebook), as_version=4)
    alts = figure_alts(notebook)
    html, _ = exporter.from_notebook_node(notebook, resources={"site": site, "metadata": {"name": entry.title}})
    return html, alts


def render_index(course: Course, order: list, machine: str) -> str:
    from markupsafe import Markup

    course_map = [dict(kind=e.kind, slug=e.slug, href=e.href, where=e.where, title=e.title,
                       time=f"runs in {e.seconds:.0f} s" if e.seconds is not None else
                       f"about {e.estimate}" if e.estimate else "",
                       goals=[markdown_html(g) for g in e.goals], summary=markdown_html(e.summary) if e.summary else "",
                       colab_url=colab_url(course, e.relative), binder_url=binder_url(course, e.relative),
                       download=e.download, download_py=e.download_py)
                  for e in order]
    lectures = [e for e in order if e.kind == "lecture"]  # build() makes sure there is at least one
    steps = [lecture.argument for lecture in course.lectures]
    site = page_site(course, order, None, "", f"an open course in {len(lectures)} lectures and "
                     f"{len(order) - len(lectures)} assignments")
    return _jinja().get_template("home.html.j2").render(
        site=site,
        argument=[(lecture, markdown_html(step)) for lecture, step in zip(lectures, steps)],
        lectures=lectures, assignments=[e for e in order if e.kind == "assignment"], course_map=course_map,
        machine=machine, binder_url=binder_url(course, lectures[0].relative),
        colab_lecture_url=colab_url(course, lectures[0].relative), colab_install=course.colab_install,
        repository=course.repository, repository_name=course.github_path.split("/")[1],
        footer=Markup(footer(course, None, machine)))


# ---- after rendering: alt text, focus, anchors, the page's sections, the search documents ----------

HEADINGS = ("h1", "h2", "h3", "h4")
SKIPPED = {"script", "style", "noscript"}


def _heading_text(heading) -> str:
    return " ".join(s for s in (t.strip() for t in heading.find_all(string=True)
                                if not (t.parent.name == "a" and "anchor-link" in t.parent.get("class", ())))
                    if s).strip()


def _walk_sections(main, page_label: str, href: str) -> list:
    """The page's text cut at every heading with an id: one search document per section."""
    sections = [{"anchor": "", "level": 1, "title": page_label, "body": [], "code": []}]
    for node in main.descendants:
        if getattr(node, "name", None) in HEADINGS and node.get("id"):
            sections.append({"anchor": node["id"], "level": int(node.name[1]), "title": _heading_text(node),
                             "body": [], "code": []})
            continue
        if getattr(node, "name", None) is not None or not node.strip():
            continue
        kind = "body"
        for parent in node.parents:
            if parent is main:
                break
            classes = parent.get("class", ())
            if (parent.name in SKIPPED or parent.name in HEADINGS or "jp-OutputArea" in classes
                    or "jp-InputPrompt" in classes or "anchor-link" in classes):
                kind = None
                break
            if "jp-InputArea-editor" in classes:
                kind = "code"
        if kind:
            sections[-1][kind].append(node.strip())
    documents = []
    for section in sections:
        body, code = " ".join(section["body"]), " ".join(section["code"])
        if not (body or code) and not section["anchor"]:
            continue
        documents.append({"ref": f"{href}#{section['anchor']}" if section["anchor"] else href,
                          "anchor": section["anchor"], "level": section["level"], "page": page_label,
                          "title": section["title"], "body": body,
                          # code is indexed by its identifiers, so `nn.RNN(` is found by "rnn"
                          "code": " ".join(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code))})
    return documents


def finish_page(html: str, href: str, page_label: str, alts: dict | None = None):
    """Put each figure's alt text on its <img>, leave in the focus order only what a reader uses,
    name the heading anchors, and list the page's sections in the sidebar. Returns the page and its
    search documents."""
    from bs4 import BeautifulSoup
    from markupsafe import escape

    soup = BeautifulSoup(html, features="html.parser")
    main = soup.find("main")
    for cell in main.select("div.jp-CodeCell") if alts is not None else ():
        images = cell.select(".jp-OutputArea img")
        for image, alt in zip(images, alts.get(cell.get("id", "").removeprefix("cell-id="), [])):
            image["alt"] = alt
    # nbconvert makes every cell a tab stop; the site's script makes focusable only what scrolls
    for element in main.select("div.jp-Cell-inputWrapper[tabindex], div.jp-OutputArea-output[tabindex]"):
        del element["tabindex"]
    documents = _walk_sections(main, page_label, href)
    for heading in main.find_all(HEADINGS):
        anchor = heading.find("a", class_="anchor-link")
        if anchor is not None:
            anchor["aria-label"] = f"Link to this section: {_heading_text(heading)}"
    toc = "".join(f'<li class="toc-h{d["level"]}"><a href="#{escape(d["anchor"])}">{escape(d["title"])}</a></li>'
                  for d in documents if d["anchor"] and d["level"] in (2, 3))
    text = str(soup)
    return text.replace("<!--course-page-toc-->", f'<ol class="sidebar-sections">{toc}</ol>' if toc else ""), documents


def search_index(documents: list) -> str:
    """search_index.js: a lunr index of every section, and what a result shows, as one global (a
    page opened from file:// may load a script, but may not fetch() a JSON file)."""
    from lunr import lunr

    # Short refs (the document's number): the inverted index names each ref once per term it holds.
    index = lunr(ref="id", fields=[dict(field_name="title", boost=10), dict(field_name="page", boost=2),
                                   "body", dict(field_name="code", boost=0.5)],
                 documents=[{"id": str(number), **{k: d[k] for k in ("title", "page", "body", "code")}}
                            for number, d in enumerate(documents)])
    shown = [[d["ref"], d["page"], d["title"] if d["anchor"] else "", d["body"][:SEARCH_SNIPPET]] for d in documents]
    data = json.dumps({"index": index.serialize(), "docs": shown}, ensure_ascii=False, separators=(",", ":"))
    return f"/* The course's search index, built by python -m coursetools.site with lunr (PyPI). */\nwindow.COURSE_SEARCH = {data};\n"


# ---- assets -------------------------------------------------------------------------------------

def _luminance(rgb) -> float:
    def linear(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _rgb(hex_colour: str):
    h = hex_colour.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))


def readable(colour: str, background: str, ratio: float = 4.6) -> str:
    """``colour`` with its lightness moved away from ``background`` until the two reach ``ratio``
    (WCAG AA asks 4.5 for text), keeping its hue."""
    bg = _rgb(background)
    hue, lightness, saturation = colorsys.rgb_to_hls(*_rgb(colour))
    step = -0.01 if _luminance(bg) > 0.5 else 0.01
    rgb = _rgb(colour)
    while _contrast(rgb, bg) < ratio and 0.0 < lightness < 1.0:
        lightness = min(1.0, max(0.0, lightness + step))
        rgb = colorsys.hls_to_rgb(hue, lightness, saturation)
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


# Code colours: Pygments' styles, each colour made readable on the site's code background.
CODE_STYLES = {"light": ("default", "#f5f5f5", ".highlight"),
               "dark": ("monokai", "#1e2227", ':root[data-theme="dark"] .highlight')}


def highlight_css() -> str:
    from pygments.formatters import HtmlFormatter

    rules = ["/* Code colours, from Pygments' default (light) and monokai (dark) styles, each colour made\n"
             "   readable (contrast >= 4.5) on the code background by coursetools.site.readable. */"]
    for style, background, scope in CODE_STYLES.values():
        for line in HtmlFormatter(style=style).get_style_defs(".highlight").splitlines():
            if not line.startswith(".highlight ."):
                continue
            selector, _, declarations = line.partition("{")
            kept = []
            for declaration in declarations.partition("}")[0].split(";"):
                name, _, value = (part.strip() for part in declaration.partition(":"))
                if name == "color" and value.startswith("#"):
                    kept.append(f"color: {readable(value, background)}")
                elif name in ("font-weight", "font-style", "text-decoration"):
                    kept.append(f"{name}: {value}")
            if kept:
                rules.append(f"{scope} {selector.removeprefix('.highlight').strip()} {{ {'; '.join(kept)} }}")
    return "\n".join(rules) + "\n"


def copy_assets(course: Course, out: Path):
    """JupyterLab's notebook styles (light and dark), the course's own, lunr.js and MathJax, all
    inside the site."""
    import jupyter_server_mathjax
    from nbconvert.exporters.templateexporter import TemplateExporter

    lunr_js = course.root / LUNR_JS
    if not lunr_js.is_file():
        raise SystemExit(f"{LUNR_JS} is missing (the site's search runtime): run `make install`, which runs npm ci")
    assets = out / "assets"
    assets.mkdir(parents=True)
    lab = next(Path(p) / "lab" / "static" for p in TemplateExporter().template_paths
               if (Path(p) / "lab" / "static" / "index.css").exists())
    dark = (lab / "theme-dark.css").read_text()
    if dark.count(":root {") != 1:
        raise SystemExit(f"{lab / 'theme-dark.css'} no longer holds one :root block; adapt copy_assets")
    (assets / "jupyterlab.css").write_text(
        (lab / "index.css").read_text() + "\n" + (lab / "theme-light.css").read_text() + "\n"
        + "/* JupyterLab's dark theme, for pages whose reader chose it (or whose system did) */\n"
        + dark.replace(":root {", ':root[data-theme="dark"] {'))
    (assets / "highlight.css").write_text(highlight_css())
    for name in ("course.css", "site.js"):
        shutil.copy(TEMPLATES / name, assets / name)
    shutil.copy(lunr_js, assets / "lunr.min.js")
    mathjax = Path(jupyter_server_mathjax.__file__).parent / "static"
    shutil.copytree(mathjax, out / "mathjax", ignore=shutil.ignore_patterns("localization", "*.md", "*.txt"))
    # Pages render with the HTML-CSS output; the SVG output's font data is never loaded (2 MB).
    shutil.rmtree(out / "mathjax" / "jax" / "output" / "SVG")


def prepare(out: Path):
    """Empty ``out`` for a rebuild, but never a folder the site builder did not make."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise SystemExit(f"{out} is not empty and was not made by `make site`; choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by python -m coursetools.site; emptied on every rebuild\n")


def python_twin(notebook) -> str:
    """The page's notebook as a py:percent script (jupytext), outputs left out: for assignments the
    student version, never the solution."""
    import jupytext

    return jupytext.writes(notebook, fmt="py:percent")


def build(course: Course, out: Path) -> list:
    """Write the site into ``out``; return the pages written, index first."""
    missing = [str(lecture.executed) for lecture in course.lectures if not (course.root / lecture.executed).exists()]
    missing += [str(course.student_version(a.id)) for a in course.assignments if not course.student_version(a.id).exists()]
    if missing:
        raise SystemExit(f"not built yet: {', '.join(missing)}; run `make notebooks` and `make assignments` first")
    order = course_order(course)
    machines = sorted({e.machine for e in order if e.machine})
    machine = " and ".join(machines) or "the course's reference machine"
    out = Path(out).resolve()
    prepare(out)
    copy_assets(course, out)
    (out / "notebooks").mkdir()
    pages = [out / "index.html"]
    html, documents = finish_page(render_index(course, order, machine), "index.html", "Course home")
    pages[0].write_text(html)
    for index, entry in enumerate(order):
        previous = order[index - 1] if index else None
        following = order[index + 1] if index + 1 < len(order) else None
        page = out / entry.href
        page.parent.mkdir(exist_ok=True)
        html, alts = render_notebook(course, order, entry, previous, following, machine)
        html, found = finish_page(html, entry.href, f"{entry.where}: {entry.title}", alts)
        page.write_text(html)
        documents += found
        shutil.copy(course.root / entry.notebook, out / entry.download)
        (out / entry.download_py).write_text(python_twin(nbformat.read(str(course.root / entry.notebook), as_version=4)))
        pages.append(page)
    (out / "search_index.js").write_text(search_index(documents))
    return pages


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools.site", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="output folder (default build/site in the course)")
    args = parser.parse_args(argv)
    course = Course.find()
    out = args.out or course.root / "build" / "site"
    pages = build(course, out)
    print(f"{len(pages)} pages in {out}; open {out / 'index.html'} in a browser (no server needed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
