"""The autograder's HTML pages (feedback/<student>.html and report.html), rendered from the Jinja2
templates in templates/.

Every value reaches a page HTML-escaped (``autoescape``): students control much of what the pages
show (their ids, messages, their code's output). A template that names a value it was not given
fails (``StrictUndefined``) rather than leaving a blank. The pages are files opened on their own,
so the one style sheet, templates/autograder.css, is inlined into each.
"""
from pathlib import Path

import jinja2
import markupsafe

TEMPLATES = Path(__file__).with_name("templates")


def points(value):
    """12 / 0.5 / 1e-07: how scores are written everywhere (``f"{x:g}"``, as in grades.csv)."""
    return f"{value:g}"


def fixed(value, digits=2):
    """A statistic with ``digits`` decimals; empty when undefined (None)."""
    return "" if value is None else f"{value:.{digits}f}"


def _environment():
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                                     keep_trailing_newline=True)
    environment.filters.update(g=points, fixed=fixed)
    # Our own file, not student text: marked safe so that it is inlined as it is.
    environment.globals["stylesheet"] = markupsafe.Markup((TEMPLATES / "autograder.css").read_text("utf-8"))
    return environment


ENVIRONMENT = _environment()


def render(template, **context):
    """The page ``template`` (a file name in templates/) filled in with ``context``."""
    return ENVIRONMENT.get_template(template).render(**context)
