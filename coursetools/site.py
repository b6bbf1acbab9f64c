"""The course as a static website that reads correctly with no network.

    python -m coursetools.site [--out build/site]        (what `make site` runs)

Renders the executed lectures and the student versions of the assignments with nbconvert's
JupyterLab template, adds an index page (the course map in order, each lecture's goals and measured
execution time), links every page to the previous and next one, and puts links to run each notebook
on Colab or Binder. Plots are already inside the notebooks as base64 images, so the pages carry them;
MathJax is copied from the jupyter-server-mathjax package (PyPI) into the site, so maths renders
offline, even from file://.
"""
import argparse
import re
import shutil
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import nbformat

from coursetools.notebooks import METADATA_KEY

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).with_name("site_templates")
DEFAULT_OUT = ROOT / "build" / "site"
MARKER = ".course-site"  # marks a folder as ours, so a rebuild may empty it


def repository() -> str:
    """The course's public home, from pyproject.toml: one place for every Binder and Colab link."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]["urls"]["Repository"]


def colab_requirement() -> str:
    """What Colab users install: the course's helper package, straight from the repository."""
    return f"r2a @ git+{repository()}"


def colab_install() -> str:
    """The exact line a Colab user runs (each lecture's first code cell runs it for them)."""
    return f'!pip install -q "{colab_requirement()}"'


def github_path() -> str:
    """``owner/name`` of the repository, as Colab and Binder address it."""
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?", repository())
    if not match:
        raise ValueError(f"the Repository URL in pyproject.toml is not a GitHub URL: {repository()}")
    return match[1]


def colab_url(notebook: str) -> str:
    return f"https://colab.research.google.com/github/{github_path()}/blob/main/{notebook}"


def binder_url(notebook: str | None = None) -> str:
    url = f"https://mybinder.org/v2/gh/{github_path()}/HEAD"
    return url + (f"?urlpath={quote('lab/tree/' + notebook, safe='')}" if notebook else "")


@dataclass
class Entry:
    """One notebook of the course, as the site shows it."""
    kind: str                # "lecture" or "assignment"
    number: int
    title: str
    notebook: Path           # the .ipynb the page is made from
    goals: list = field(default_factory=list)   # markdown strings
    summary: str = ""        # markdown
    estimate: str = ""
    seconds: float | None = None
    machine: str = ""
    after_lecture: int = 0   # an assignment comes after the last lecture it needs

    @property
    def where(self) -> str:
        return f"{self.kind.capitalize()} {self.number}"

    @property
    def relative(self) -> str:
        return self.notebook.relative_to(ROOT).as_posix()

    @property
    def href(self) -> str:
        return f"{self.kind}s/{self.notebook.stem}.html"

    @property
    def download(self) -> str:
        return f"notebooks/{self.notebook.name}"

    @property
    def slug(self) -> str:
        return self.notebook.stem


def first_markdown(notebook) -> str:
    return next(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def _title(markdown: str, kind: str, path: Path) -> tuple:
    match = re.search(rf"^# {kind} (\d+) — (.+)$", markdown, re.MULTILINE)
    if not match:
        raise ValueError(f"{path}: its first cell must start with '# {kind} N — Title'")
    return int(match[1]), match[2].strip()


def _bullets_after(markdown: str, lead: str) -> list:
    """The bullet list that follows the line starting with ``lead``, one string per bullet."""
    lines = markdown.split(lead, 1)[1].splitlines()[1:] if lead in markdown else []
    bullets = []
    for line in lines:
        if line.startswith("* "):
            bullets.append(line[2:].strip())
        elif line.startswith("  ") and bullets:
            bullets[-1] += " " + line.strip()
        elif bullets:
            break
    return bullets


def _paragraph(markdown: str, lead: str) -> str:
    """The paragraph starting with ``lead``, without it."""
    for paragraph in markdown.split("\n\n"):
        if paragraph.startswith(lead):
            return " ".join(paragraph[len(lead):].split())
    return ""


def read_lecture(path: Path) -> Entry:
    notebook = nbformat.read(str(path), as_version=4)
    intro = first_markdown(notebook)
    number, title = _title(intro, "Lecture", path)
    measured = notebook.metadata.get(METADATA_KEY, {})
    return Entry("lecture", number, title, path, goals=_bullets_after(intro, "By the end of this lecture you can"),
                 seconds=measured.get("execution_seconds"), machine=measured.get("machine", ""))


def read_assignment(path: Path) -> Entry:
    notebook = nbformat.read(str(path), as_version=4)
    intro = first_markdown(notebook)
    number, title = _title(intro, "Assignment", path)
    needs = [int(n) for n in re.findall(r"Lecture (\d+)", _paragraph(intro, "**Before you start:**"))]
    return Entry("assignment", number, title, path, summary=_paragraph(intro, "**Goals.**"),
                 estimate=_paragraph(intro, "**Estimated time:**").rstrip("."), after_lecture=max(needs, default=0))


def the_argument(first_lecture: Path) -> list:
    """The course's argument in steps, as Lecture 1's introduction numbers them, one per lecture."""
    intro = first_markdown(nbformat.read(str(first_lecture), as_version=4))
    steps = re.findall(r"^\d+\. (.+?)(?=^\d+\. |^$|\Z)", intro.split("one argument", 1)[-1], re.MULTILINE | re.DOTALL)
    cleaned = [re.sub(r"\s*\((?:this lecture|Lecture \d+)\)[;.]?$|;$|[;,]? and$", "", " ".join(s.split())) for s in steps]
    return [re.sub(r"^and ", "", step) for step in cleaned]


def course_order(lectures: list, assignments: list) -> list:
    """Lectures in order, each assignment right after the last lecture it needs."""
    order = []
    for lecture in sorted(lectures, key=lambda e: e.number):
        order.append(lecture)
        order += sorted((a for a in assignments if a.after_lecture == lecture.number), key=lambda e: e.number)
    order += [a for a in assignments if a not in order]
    return order


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


def footer(entry: Entry | None, machine: str):
    if entry is None:
        return f"Built by <code>make site</code> from the executed notebooks of {repository()}."
    if entry.kind == "lecture":
        took = f" in {entry.seconds:.0f} s on {entry.machine or machine}" if entry.seconds is not None else ""
        return (f"Executed top to bottom by <code>make notebooks</code>{took}; every claim on this page is "
                "asserted in the notebook.")
    return "Generated by <code>nbgrader generate_assignment</code> from the instructor's version."


def _jinja():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES / "page")), autoescape=True)


def render_notebook(entry: Entry, previous: Entry | None, following: Entry | None, machine: str) -> str:
    from markupsafe import Markup
    from nbconvert import HTMLExporter

    def link(other):
        return other and {"href": f"../{other.href}", "label": f"{other.where}: {other.title}"}

    exporter = HTMLExporter(template_name="page", extra_template_basedirs=[str(TEMPLATES)])
    site = {"root": "../", "where": f"{entry.where} of the course", "colab_url": colab_url(entry.relative),
            "binder_url": binder_url(entry.relative), "download": f"../{entry.download}",
            "banner": self_study_banner(entry) if entry.kind == "assignment" else "",
            "previous": link(previous), "next": link(following), "footer": Markup(footer(entry, machine))}
    html, _ = exporter.from_notebook_node(nbformat.read(str(entry.notebook), as_version=4),
                                          resources={"site": site, "metadata": {"name": entry.title}})
    return html


def render_index(order: list, machine: str) -> str:
    from markupsafe import Markup

    course_map = [dict(kind=e.kind, slug=e.slug, href=e.href, where=e.where, title=e.title,
                       time=f"runs in {e.seconds:.0f} s" if e.seconds is not None else
                       f"about {e.estimate}" if e.estimate else "",
                       goals=[markdown_html(g) for g in e.goals], summary=markdown_html(e.summary) if e.summary else "",
                       colab_url=colab_url(e.relative), binder_url=binder_url(e.relative), download=e.download)
                  for e in order]
    lectures = [e for e in order if e.kind == "lecture"]  # build() makes sure there is at least one
    steps = the_argument(lectures[0].notebook)
    if len(steps) != len(lectures):
        raise ValueError(f"Lecture 1 lists {len(steps)} steps of the argument for {len(lectures)} lectures")
    return _jinja().get_template("home.html.j2").render(
        argument=[(lecture, markdown_html(step)) for lecture, step in zip(lectures, steps)],
        lectures=lectures, assignments=[e for e in order if e.kind == "assignment"], course_map=course_map,
        machine=machine, binder_url=binder_url(lectures[0].relative),
        colab_lecture_url=colab_url(lectures[0].relative), colab_install=colab_install(),
        repository=repository(), repository_name=github_path().split("/")[1],
        footer=Markup(footer(None, machine)))


def copy_assets(out: Path):
    """JupyterLab's notebook styles, the course's own, and MathJax, all inside the site."""
    import jupyter_server_mathjax
    from nbconvert.exporters.templateexporter import TemplateExporter

    assets = out / "assets"
    assets.mkdir(parents=True)
    lab = next(Path(p) / "lab" / "static" for p in TemplateExporter().template_paths
               if (Path(p) / "lab" / "static" / "index.css").exists())
    (assets / "jupyterlab.css").write_text((lab / "index.css").read_text() + "\n" + (lab / "theme-light.css").read_text())
    shutil.copy(TEMPLATES / "course.css", assets / "course.css")
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


def build(out: Path = DEFAULT_OUT) -> list:
    """Write the site into ``out``; return the pages written, index first."""
    lectures = [read_lecture(p) for p in sorted((ROOT / "lectures").glob("[0-9]*.ipynb"))]
    assignments = [read_assignment(p) for p in sorted((ROOT / "assignments").glob("*/*.ipynb"))]
    if not lectures:
        raise SystemExit("no executed lectures in lectures/: run `make notebooks` first")
    machines = sorted({e.machine for e in lectures if e.machine})
    machine = " and ".join(machines) or "the course's reference machine"
    order = course_order(lectures, assignments)
    out = Path(out).resolve()
    prepare(out)
    copy_assets(out)
    (out / "notebooks").mkdir()
    pages = [out / "index.html"]
    pages[0].write_text(render_index(order, machine))
    for index, entry in enumerate(order):
        previous = order[index - 1] if index else None
        following = order[index + 1] if index + 1 < len(order) else None
        page = out / entry.href
        page.parent.mkdir(exist_ok=True)
        page.write_text(render_notebook(entry, previous, following, machine))
        shutil.copy(entry.notebook, out / entry.download)
        pages.append(page)
    return pages


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools.site", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    pages = build(args.out)
    print(f"{len(pages)} pages in {args.out}; open {args.out / 'index.html'} in a browser (no server needed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
