"""What every executed lecture must carry besides its claims: figures crisp enough for any screen,
each with alt text for the site, and the introduction's promise about what is asserted."""
import base64
import struct

import nbformat
import pytest

from tests.helpers import COURSE

ALT = "# alt:"
HEADER = "Each result claimed below is measured in the notebook and checked by an `assert`"


def figures(notebook):
    """(cell, png output) for every PNG figure a code cell drew."""
    return [(cell, output) for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]


def pixel_width(png_base64: str) -> int:
    return struct.unpack(">I", base64.b64decode(png_base64)[16:20])[0]


@pytest.mark.parametrize("lecture", COURSE.lectures, ids=lambda lecture: lecture.notebook.stem)
def test_every_figure_has_alt_text_and_twice_its_display_resolution(lecture):
    notebook = nbformat.read(str(COURSE.root / lecture.executed), as_version=4)
    drawn = figures(notebook)
    assert drawn, "a lecture without a single figure"
    for cell, output in drawn:
        alt = next((line[len(ALT):].strip() for line in cell.source.splitlines() if line.startswith(ALT)), "")
        assert len(alt.split()) >= 8, f"a figure cell without a '# alt: ...' sentence:\n{cell.source[:200]}"
        shown = output.get("metadata", {}).get("image/png", {}).get("width")
        assert shown and pixel_width(output["data"]["image/png"]) >= 1.9 * shown, \
            "a figure drawn at screen resolution: r2a.setup() asks for twice the pixel density"


@pytest.mark.parametrize("lecture", COURSE.lectures, ids=lambda lecture: lecture.notebook.stem)
def test_the_introduction_says_what_is_asserted(lecture):
    source = (COURSE.root / lecture.notebook).read_text()
    assert HEADER in " ".join(line.lstrip("# ") for line in source.splitlines()), lecture.notebook
