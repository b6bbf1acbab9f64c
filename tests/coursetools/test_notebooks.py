"""Each lecture is a .py twin plus the .ipynb executed from it; the pair must never drift."""
import shutil

import pytest

from coursetools import notebooks
from tests.helpers import COURSE

ROOT = COURSE.root
LECTURES = sorted((ROOT / "lectures").glob("[0-9]*.py"))
TWINS = LECTURES + sorted((ROOT / "solutions").glob("*/a[0-9]_*.py"))


def test_there_are_lectures():
    assert LECTURES, "no lecture twins found in lectures/"


@pytest.mark.parametrize("py_path", TWINS, ids=lambda p: p.stem)
def test_twins_agree(py_path):
    assert notebooks.check_pair(py_path) == []


def test_no_notebook_without_its_text_twin():
    notebooks_ = list((ROOT / "lectures").glob("*.ipynb")) + list((ROOT / "solutions").glob("*/*.ipynb"))
    orphans = [p.name for p in notebooks_ if not p.with_suffix(".py").exists()]
    assert not orphans, f"notebooks without a .py twin: {orphans}"


@pytest.fixture
def lecture_copy(tmp_path):
    source = LECTURES[0]
    for suffix in (".py", ".ipynb"):
        shutil.copy(source.with_suffix(suffix), tmp_path / (source.stem + suffix))
    return tmp_path / source.name


def test_the_copy_starts_out_in_agreement(lecture_copy):
    assert notebooks.check_pair(lecture_copy) == []


@pytest.mark.parametrize("edit", [
    lambda text: text + "\n# %%\nprint('a new cell')\n",
    lambda text: text.replace("rng = r2a.setup(seed=0)", "rng = r2a.setup(seed=1)", 1),
    lambda text: text.replace("# # Lecture 1", "# # Lecture One", 1),
], ids=["new cell", "edited code", "edited prose"])
def test_editing_the_py_without_re_executing_is_caught(lecture_copy, edit):
    text = lecture_copy.read_text()
    edited = edit(text)
    assert edited != text, "the edit must change the lecture"
    lecture_copy.write_text(edited)
    problems = notebooks.check_pair(lecture_copy)
    assert any("make notebooks" in p for p in problems), problems


def test_copying_the_new_source_into_the_ipynb_without_executing_is_caught(lecture_copy):
    """Syncing the sources (e.g. `jupytext --sync`) without running them leaves stale outputs."""
    import nbformat

    lecture_copy.write_text(lecture_copy.read_text().replace("seed=0", "seed=1", 1))
    ipynb = lecture_copy.with_suffix(".ipynb")
    nb = nbformat.read(str(ipynb), as_version=4)
    fresh = notebooks.read_source(lecture_copy)
    for cell, new in zip(nb.cells, fresh.cells):
        cell.source = new.source
    nbformat.write(nb, str(ipynb))
    problems = notebooks.check_pair(lecture_copy)
    assert any("not executed from the current" in p for p in problems), problems


def test_a_missing_notebook_is_reported(lecture_copy):
    lecture_copy.with_suffix(".ipynb").unlink()
    assert "missing" in notebooks.check_pair(lecture_copy)[0]


def test_command_line_check_exit_codes(lecture_copy, capsys):
    assert notebooks.main(["check", str(lecture_copy)]) == 0
    lecture_copy.write_text(lecture_copy.read_text() + "\n# %%\n1 + 1\n")
    assert notebooks.main(["check", str(lecture_copy)]) == 1
    assert notebooks.main(["check", str(lecture_copy.with_suffix(".txt"))]) == 1
