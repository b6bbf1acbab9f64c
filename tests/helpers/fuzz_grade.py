"""Structural fuzzing of the autograder: whatever a class submits, every student gets a grade, and
none is wrong.

Submissions are made from the released student version and from solved and partly solved
notebooks, mutated at the JSON level (dicts), then serialised to bytes: wrong types anywhere in the
nbgrader metadata, metadata that is not an object, unknown cell types, junk outputs and execution
counts, cells of the student's own that claim to be graded tests worth points, duplicated grade_ids,
test cells turned into markdown and answer cells into raw, shuffled and deleted cells, deeply nested
JSON, huge integers, NUL bytes and odd Unicode in sources, odd top-level metadata and versions,
cells that are not objects, ``cells`` that is not a list, other encodings, truncated files.

Three kinds of submission:

* ``honest``: an unmodified solved or partly solved notebook (its score is measured once, alone);
* ``benign``: an honest one with damage that changes nothing that is graded (junk metadata fields,
  outputs, execution counts, ids, cell types of the assignment's cells, top-level metadata): it
  must be graded exactly like the honest one;
* ``hostile``: anything; it must get a known status and a score within the assignment's bounds.

The cheap layers (``collect.parse``, ``restore.restore``, ``score.items`` on the restored notebook
with made-up outputs) are checked on every example; whole classes go through
``parallel.grade_all`` with real execution less often (a notebook costs ~0.5 s).

``python -m tests.helpers.fuzz_grade N [--classes K] [--seed S]`` (``make fuzz-grade N=5000``) runs N
examples of the cheap layers and K (default N // 100) graded classes, and prints examples, seconds
and failures.
"""
import copy
import dataclasses
import functools
import json
import logging
import math
import re
import sys
import time
import warnings


import nbformat  # noqa: E402
import numpy as np  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from nbgrader import utils as nbgrader_utils  # noqa: E402

from tests.helpers import COURSE  # noqa: E402
from tests.helpers.assignment_harness import answer_cells, source_notebook  # noqa: E402
from tests.helpers.classroom import answers_for, student_notebook  # noqa: E402
from autograder import assignment as assignments  # noqa: E402
from autograder import collect, restore, score  # noqa: E402
from autograder.model import Item, Status, Submission  # noqa: E402
from tests.helpers import COURSE

A1 = "a1_recurrence_and_gradients"
ASSIGNMENTS = assignments.available()
NBGRADER_FIELDS = ["points", "grade_id", "grade", "solution", "locked", "task", "schema_version", "checksum",
                   "cell_type"]
CELL_KEYS = ["metadata", "source", "cell_type", "id", "outputs", "execution_count", "attachments"]
ODD_TEXT = ["\x00", "\ud800", "\udfff", "\udc80x", "\u202e", "\ufeff", "\u2028", "\u2029", "\r", "\r\n",
            "\U0001F600", "e\u0301", "\x1b[31m", "\uffff", "\U0010ffff", "\x7f", "\\u0000", "\t", "'''", '"""',
            "\\", "</script>", "\u0300\u0300\u0300"]
ID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


# -- what the fuzzer starts from --------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def spec(name):
    return assignments.from_solutions(name)


@functools.lru_cache(maxsize=None)
def _base_json(name, kind):
    if kind == "released":
        return COURSE.student_version(name).read_text()
    if kind == "solved":
        answers = answer_cells(source_notebook(name))
    else:  # partial-<seed>: a seeded mix of right, wrong and blank answers, as in tests/classroom.py
        answers = answers_for(name, np.random.default_rng(int(kind.split("-")[1])))
    return nbformat.writes(student_notebook(name, answers))


def base(name, kind):
    """A fresh dict of the notebook ``kind`` (released, solved or partial-<seed>) of ``name``."""
    return json.loads(_base_json(name, kind))


BASE_KINDS = ["released", "solved", "partial-1", "partial-2"]
HONEST = [(A1, "solved"), (A1, "partial-1"), (A1, "partial-2"), (A1, "released")]


# -- junk -------------------------------------------------------------------------------------

odd_text = st.lists(st.sampled_from(ODD_TEXT) | st.text(max_size=4), max_size=4).map("".join)
scalars = (st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats() | odd_text
           | st.sampled_from([0, 1, -1, 3, 1000, 1e308, "1", "100", "", "true", "test_answer_q1"]))
junk = st.recursive(scalars, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(odd_text, kids, max_size=3),
                    max_leaves=6)
not_a_dict = junk.filter(lambda v: not isinstance(v, dict))
deep = st.sampled_from([30, 99, 100, 101, 250, 990, 1000, 3000, 100_000])
# Markers replaced in the serialised text: nesting and integers that json.dumps could not write.
DEEP_MARK, BIG_MARK = "@@deep:{}@@", "@@bigint:{}@@"


def _expand(text):
    text = re.sub(r'"@@deep:(\d+)@@"', lambda m: "[" * int(m[1]) + "]" * int(m[1]), text)
    return re.sub(r'"@@bigint:(\d+)@@"', lambda m: "9" * int(m[1]), text)


def _gid(cell):
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    meta = meta.get("nbgrader") if isinstance(meta, dict) else None
    gid = meta.get("grade_id") if isinstance(meta, dict) else None
    return gid if isinstance(gid, str) else None


def _nbgrader(cell):
    """The cell's nbgrader metadata as a dict (made one if needed), or None when it cannot be."""
    if not isinstance(cell, dict):
        return None
    if not isinstance(cell.get("metadata"), dict):
        cell["metadata"] = {}
    if not isinstance(cell["metadata"].get("nbgrader"), dict):
        cell["metadata"]["nbgrader"] = {}
    return cell["metadata"]["nbgrader"]


def _pick(draw, notebook, where=lambda cell: True):
    """The index of a cell for which ``where`` holds, or None."""
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        return None
    indices = [i for i, c in enumerate(cells) if isinstance(c, dict) and where(c)]
    return draw(st.sampled_from(indices)) if indices else None


def _role(name, role):
    s = spec(name)
    ids = {"test": set(s.tests), "answer": set(s.answers), "graded": {_gid(c) for c in s.released.cells} - {None},
           "protected": set(s.pristine)}[role]
    return lambda cell: _gid(cell) in ids


# -- mutations: each takes (draw, notebook dict, assignment name) and changes the dict -----------

def m_nbgrader_field(draw, nb, name, benign=False):
    """A wrong type (or a surprising value) in one field of a cell's nbgrader metadata."""
    index = _pick(draw, nb, _role(name, "graded") if benign else (lambda c: True))
    if index is None:
        return "no cell"
    fields = [f for f in NBGRADER_FIELDS if f != "grade_id"] if benign else NBGRADER_FIELDS
    field = draw(st.sampled_from(fields) | (st.just("extra") if benign else odd_text))
    value = draw(junk if benign else junk | st.just(DEEP_MARK.format(draw(deep))) | st.just(BIG_MARK.format(5000)))
    meta = _nbgrader(nb["cells"][index])
    if meta is not None:
        meta[field] = value
    return f"cell {index}: nbgrader[{field!r}] = {value!r}"


def m_nbgrader_missing_key(draw, nb, name, benign=False):
    index = _pick(draw, nb, _role(name, "graded") if benign else (lambda c: True))
    if index is None:
        return "no cell"
    fields = [f for f in NBGRADER_FIELDS if f != "grade_id"] if benign else NBGRADER_FIELDS
    field = draw(st.sampled_from(fields))
    meta = _nbgrader(nb["cells"][index])
    meta.pop(field, None)
    return f"cell {index}: del nbgrader[{field!r}]"


def m_nbgrader_not_an_object(draw, nb, name, benign=False):
    """``"nbgrader": 5``, a string, a list, null, or no nbgrader key at all."""
    index = _pick(draw, nb)
    if index is None:
        return "no cell"
    value = draw(not_a_dict | st.just("<missing>"))
    metadata = nb["cells"][index].setdefault("metadata", {})
    if not isinstance(metadata, dict):
        return "metadata already damaged"
    if value == "<missing>":
        metadata.pop("nbgrader", None)
    else:
        metadata["nbgrader"] = value
    return f"cell {index}: nbgrader = {value!r}"


def m_metadata_not_an_object(draw, nb, name, benign=False):
    index = _pick(draw, nb)
    if index is None:
        return "no cell"
    value = draw(not_a_dict | st.just("<missing>"))
    if value == "<missing>":
        nb["cells"][index].pop("metadata", None)
    else:
        nb["cells"][index]["metadata"] = value
    return f"cell {index}: metadata = {value!r}"


def m_cell_metadata_junk(draw, nb, name, benign=False):
    """Junk in the cell metadata keys Jupyter itself defines (tags, collapsed, jupyter...) or others."""
    index = _pick(draw, nb, lambda c: isinstance(c.get("metadata"), dict))
    if index is None:
        return "no cell"
    key = draw(st.sampled_from(["tags", "collapsed", "scrolled", "jupyter", "execution", "name", "format",
                                "trusted", "deletable", "editable", "slideshow"]) | odd_text.filter(bool))
    if key == "nbgrader":
        key = "nbgrader2"
    value = draw(junk if benign else junk | st.just(DEEP_MARK.format(draw(deep))))
    nb["cells"][index]["metadata"][key] = value
    return f"cell {index}: metadata[{key!r}] = {value!r}"


def m_missing_cell_key(draw, nb, name, benign=False):
    index = _pick(draw, nb)
    if index is None:
        return "no cell"
    key = draw(st.sampled_from(CELL_KEYS))
    nb["cells"][index].pop(key, None)
    return f"cell {index}: del {key}"


def m_cell_type(draw, nb, name, benign=False):
    """Another cell type, valid or not (benign: only valid types, only the assignment's cells)."""
    index = _pick(draw, nb, _role(name, "graded") if benign else (lambda c: True))
    if index is None:
        return "no cell"
    kinds = st.sampled_from(["code", "markdown", "raw"])
    value = draw(kinds if benign else kinds | st.sampled_from(["heading", "unknown", "", "Code", "code "]) | junk)
    nb["cells"][index]["cell_type"] = value
    return f"cell {index}: cell_type = {value!r}"


def m_test_to_markdown(draw, nb, name, benign=False):
    index = _pick(draw, nb, _role(name, "test"))
    if index is None:
        return "no test"
    cell = nb["cells"][index]
    cell["cell_type"] = "markdown"
    if draw(st.booleans()):  # as JupyterLab would save it; otherwise the code cell's keys stay
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
    return f"cell {index}: test -> markdown"


def m_answer_to_raw(draw, nb, name, benign=False):
    index = _pick(draw, nb, _role(name, "answer"))
    if index is None:
        return "no answer"
    cell = nb["cells"][index]
    cell["cell_type"] = "raw"
    if draw(st.booleans()):
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
    return f"cell {index}: answer -> raw"


OUTPUT = st.one_of(
    st.fixed_dictionaries({"output_type": st.just("stream"), "name": st.sampled_from(["stdout", "stderr"]) | junk,
                           "text": odd_text | junk}),
    st.fixed_dictionaries({"output_type": st.just("error"), "ename": odd_text | junk, "evalue": odd_text,
                           "traceback": st.lists(odd_text) | junk}),
    st.fixed_dictionaries({"output_type": st.sampled_from(["display_data", "execute_result"]),
                           "data": st.dictionaries(st.sampled_from(["text/plain", "text/html", "image/png",
                                                                    "application/json", "x/y"]), junk | odd_text),
                           "metadata": junk}, optional={"execution_count": junk}),
    st.fixed_dictionaries({"output_type": junk}),
    junk)


def m_outputs(draw, nb, name, benign=False):
    """Junk outputs and execution counts, on any cell (a markdown cell with outputs too)."""
    index = _pick(draw, nb)
    if index is None:
        return "no cell"
    cell = nb["cells"][index]
    cell["outputs"] = draw(st.lists(OUTPUT, max_size=3) | junk)
    cell["execution_count"] = draw(junk)
    return f"cell {index}: outputs = {cell['outputs']!r}, execution_count = {cell['execution_count']!r}"


def m_attachments(draw, nb, name, benign=False):
    index = _pick(draw, nb)
    if index is None:
        return "no cell"
    value = draw(junk | st.dictionaries(odd_text, junk | st.dictionaries(st.just("image/png"), junk), max_size=2))
    nb["cells"][index]["attachments"] = value
    return f"cell {index}: attachments = {value!r}"


def m_cell_id(draw, nb, name, benign=False):
    index = _pick(draw, nb)
    if index is None:
        return "no cell"
    others = [c.get("id") for c in nb["cells"] if isinstance(c, dict)]
    value = draw(st.sampled_from(others) | st.sampled_from(["", "has space", "x" * 65, "\u00e9t\u00e9", "a,b"])
                 | junk)
    nb["cells"][index]["id"] = value
    return f"cell {index}: id = {value!r}"


def m_source_lines(draw, nb, name, benign=False):
    """The source as a list of lines, as nbformat writes it on disk."""
    index = _pick(draw, nb, lambda c: isinstance(c.get("source"), str))
    if index is None:
        return "no cell"
    cell = nb["cells"][index]
    cell["source"] = cell["source"].splitlines(keepends=True)
    return f"cell {index}: source as lines"


def m_extra_keys(draw, nb, name, benign=False):
    key = draw(odd_text.filter(lambda k: k not in ("cells", "metadata", "nbformat", "nbformat_minor", "worksheets")))
    value = draw(junk)
    index = _pick(draw, nb) if draw(st.booleans()) else None
    if index is None:
        nb[key] = value
        return f"notebook[{key!r}] = {value!r}"
    if key not in CELL_KEYS:
        nb["cells"][index][key] = value
    return f"cell {index}[{key!r}] = {value!r}"


def m_top_metadata(draw, nb, name, benign=False):
    if draw(st.booleans()):
        nb["metadata"] = draw(not_a_dict)
        return f"metadata = {nb['metadata']!r}"
    if not isinstance(nb.get("metadata"), dict):
        nb["metadata"] = {}
    key = draw(st.sampled_from(["kernelspec", "language_info", "widgets", "title", "authors", "orig_nbformat",
                                "signature", "jupytext"]) | odd_text)
    nb["metadata"][key] = draw(junk if benign else junk | st.just(DEEP_MARK.format(draw(deep))))
    return f"metadata[{key!r}] = {nb['metadata'][key]!r}"


def m_nbformat_minor(draw, nb, name, benign=False):
    nb["nbformat_minor"] = draw(junk | st.sampled_from([0, 4, 5, 6, 99, -1]) | st.just("<missing>"))
    if nb["nbformat_minor"] == "<missing>":
        del nb["nbformat_minor"]
    return f"nbformat_minor = {nb.get('nbformat_minor', '<missing>')!r}"


# The rest are hostile only: they change what is run or graded.

def m_nbformat(draw, nb, name, benign=False):
    nb["nbformat"] = draw(st.sampled_from([3, 5, 2, "4", 4.0, True, None, 4.5]) | junk)
    return f"nbformat = {nb['nbformat']!r}"


def m_fake_test(draw, nb, name, benign=False):
    """A cell of the student's own that claims to be a graded test worth points."""
    s = spec(name)
    grade_id = draw(st.sampled_from(["test_bonus", "bonus"] + sorted(s.tests) + sorted(s.answers) + sorted(s.manual)
                                    + sorted(s.pristine)) | junk | st.just("<missing>"))
    meta = {"grade": draw(st.sampled_from([True, 1, "yes"]) | junk), "solution": draw(st.booleans() | junk),
            "locked": True, "points": draw(st.sampled_from([1000, 1e308, -5, "100", float("inf")]) | junk),
            "schema_version": 3}
    if grade_id != "<missing>":
        meta["grade_id"] = grade_id
    cell = {"cell_type": draw(st.sampled_from(["code", "code", "markdown", "raw"])), "id": "fake",
            "metadata": {"nbgrader": meta}, "source": draw(st.sampled_from(["assert True", "", "pass",
                                                                            "raise Exception('x')"]) | odd_text),
            "outputs": [], "execution_count": None}
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return "no cells"
    position = draw(st.integers(0, len(cells)))
    cells.insert(position, cell)
    return f"fake test at {position}: {meta!r}"


def m_duplicate(draw, nb, name, benign=False):
    index = _pick(draw, nb)
    if index is None:
        return "no cell"
    position = draw(st.integers(0, len(nb["cells"])))
    nb["cells"].insert(position, copy.deepcopy(nb["cells"][index]))
    return f"cell {index} copied to {position}"


def m_shuffle(draw, nb, name, benign=False):
    cells = nb.get("cells")
    if not isinstance(cells, list) or not cells:
        return "no cells"
    if draw(st.booleans()):
        nb["cells"] = draw(st.permutations(cells))
        return "cells shuffled"
    index, position = draw(st.integers(0, len(cells) - 1)), draw(st.integers(0, len(cells) - 1))
    cells.insert(position, cells.pop(index))
    return f"cell {index} moved to {position}"


def m_delete(draw, nb, name, benign=False):
    index = _pick(draw, nb)
    if index is None:
        return "no cell"
    del nb["cells"][index]
    return f"cell {index} deleted"


def m_source(draw, nb, name, benign=False):
    """Odd Unicode and NUL bytes in a source, or a source that is not text at all."""
    index = _pick(draw, nb)
    if index is None:
        return "no cell"
    cell = nb["cells"][index]
    old = cell.get("source") if isinstance(cell.get("source"), str) else ""
    value = draw(st.sampled_from(["prefix", "suffix", "replace", "lines"]) | st.just("junk"))
    text = draw(odd_text)
    cell["source"] = {"prefix": text + old, "suffix": old + text, "replace": text,
                      "lines": [text, old], "junk": draw(junk)}[value]
    return f"cell {index}: source {value} {cell['source']!r:.80}"


def m_edit_test(draw, nb, name, benign=False):
    index = _pick(draw, nb, _role(name, "protected"))
    if index is None:
        return "no protected cell"
    nb["cells"][index]["source"] = draw(st.sampled_from(["pass", "", "assert True\n" * 3]) | odd_text)
    return f"cell {index}: protected source edited"


def m_cell_not_an_object(draw, nb, name, benign=False):
    cells = nb.get("cells")
    if not isinstance(cells, list) or not cells:
        return "no cells"
    index = draw(st.integers(0, len(cells) - 1))
    cells[index] = draw(not_a_dict)
    return f"cell {index} = {cells[index]!r}"


def m_cells(draw, nb, name, benign=False):
    """``cells`` that is not a list (or missing, or v3 worksheets)."""
    value = draw(not_a_dict.filter(lambda v: not isinstance(v, list)) | st.just("<missing>") | st.just({}))
    if value == "<missing>":
        nb.pop("cells", None)
        nb["worksheets"] = draw(junk)
    else:
        nb["cells"] = value
    return f"cells = {value!r}"


def m_deep(draw, nb, name, benign=False):
    """Deep nesting where a value may be: cell metadata, nbgrader metadata, a source, the top level."""
    mark = DEEP_MARK.format(draw(deep))
    where = draw(st.sampled_from(["cell", "nbgrader", "source", "top", "cells"]))
    index = _pick(draw, nb)
    if where == "top" or index is None:
        nb["deep"] = mark
    elif where == "cells":
        nb["cells"].append(mark)
    elif where == "nbgrader":
        meta = _nbgrader(nb["cells"][index])
        meta[draw(st.sampled_from(NBGRADER_FIELDS))] = mark
    elif where == "source":
        nb["cells"][index]["source"] = mark
    elif isinstance(nb["cells"][index].get("metadata"), dict):
        nb["cells"][index]["metadata"]["deep"] = mark
    return f"deep {mark} in {where}"


BENIGN = [m_nbgrader_field, m_nbgrader_missing_key, m_cell_metadata_junk, m_cell_type, m_test_to_markdown,
          m_outputs, m_attachments, m_cell_id, m_source_lines, m_extra_keys, m_top_metadata, m_nbformat_minor]
HOSTILE = BENIGN + [m_nbgrader_not_an_object, m_metadata_not_an_object, m_missing_cell_key, m_answer_to_raw,
                    m_nbformat, m_fake_test, m_duplicate, m_shuffle, m_delete, m_source, m_edit_test,
                    m_cell_not_an_object, m_cells, m_deep]


@dataclasses.dataclass
class Case:
    kind: str      # honest, benign or hostile
    name: str      # assignment
    base: str      # released, solved, partial-<seed>
    data: bytes
    steps: list

    def __repr__(self):
        return f"Case({self.kind}, {self.name}, {self.base}, {len(self.data)} bytes, steps={self.steps})"

    def _repr_pretty_(self, printer, cycle):  # how Hypothesis shows a failing example
        printer.text(repr(self))


@st.composite
def cases(draw, kinds=("honest", "benign", "hostile", "hostile"), names=tuple(ASSIGNMENTS), bases=tuple(BASE_KINDS)):
    kind, name, start = draw(st.sampled_from(kinds)), draw(st.sampled_from(names)), draw(st.sampled_from(bases))
    notebook, steps = base(name, start), []
    if kind != "honest":
        for mutation in draw(st.lists(st.sampled_from(BENIGN if kind == "benign" else HOSTILE), min_size=1,
                                      max_size=4)):
            steps.append(mutation(draw, notebook, name, benign=kind == "benign"))
    if kind == "honest":
        return Case(kind, name, start, _base_json(name, start).encode(), steps)
    ascii_only = draw(st.booleans())
    text = _expand(json.dumps(notebook, ensure_ascii=ascii_only, indent=draw(st.sampled_from([None, 1]))))
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["utf-8-sig", "utf-16", "utf-32"]))
    data = text.encode(encoding, "surrogatepass")
    if kind == "hostile":
        damage = draw(st.sampled_from(["none"] * 8 + ["truncate", "append", "whitespace", "bytes"]))
        if damage == "truncate":
            data = data[:draw(st.integers(0, len(data)))]
        elif damage == "append":
            data += draw(st.binary(max_size=8))
        elif damage == "whitespace":
            data = b" \n\t" + data + b"\r\n "
        elif damage == "bytes":
            position = draw(st.integers(0, len(data)))
            data = data[:position] + draw(st.binary(min_size=1, max_size=4)) + data[position:]
        steps.append(f"{encoding}, ensure_ascii={ascii_only}, damage={damage}")
    return Case(kind, name, start, data, steps)


# -- properties of the cheap layers -----------------------------------------------------------

VERDICTS = ["none", "stdout", "stderr", "error"]


def _stub(cell, verdict):
    outputs = {"none": [], "stdout": [nbformat.v4.new_output("stream", name="stdout", text="ok\n")],
               "stderr": [nbformat.v4.new_output("stream", name="stderr", text="warning\n")],
               "error": [nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=[])]}
    cell.outputs = outputs[verdict]


def _released_meta(s):
    """{grade_id: (cell type, nbgrader metadata)} of each cell as restored: the released cell's, with
    the checksum nbgrader's OverwriteCells writes, which for a test or locked cell is that of its
    pristine source (hidden tests included), as the gradebook records it."""
    released = {}
    for cell in s.released.cells:
        if _gid(cell):
            meta = copy.deepcopy(cell.metadata["nbgrader"])
            if _gid(cell) in s.pristine:
                meta["checksum"] = nbgrader_utils.compute_checksum(
                    nbformat.from_dict({**cell, "source": s.pristine[_gid(cell)]}))
            released[_gid(cell)] = (cell.cell_type, meta)
    return released


def view(notebook, s):
    """What grading runs, in order: (cell type, source, test grade_id or None) of each code cell."""
    return [(c.cell_type, c.source, _gid(c) if _gid(c) in s.tests else None)
            for c in notebook.cells if c.cell_type == "code"]


def check_layers(case, verdicts):
    """collect.parse -> restore.restore -> score.items, with ``verdicts`` as the test cells' outputs.

    Returns "invalid" or the restored notebook's ``view``."""
    s = spec(case.name)
    try:
        student, read_notes = collect.parse(case.data)
    except ValueError as error:
        assert str(error).strip(), "a ValueError without a message"
        assert case.kind == "hostile", f"a {case.kind} notebook was rejected: {error}"
        return "invalid"
    assert all(isinstance(n, str) and n for n in read_notes)
    if case.kind == "honest":
        assert not read_notes, read_notes
    return check_restore(s, student, case.kind, verdicts, read_notes)


def check_restore(s, student, kind, verdicts, read_notes, parsed=True):
    """restore.restore -> score.items on ``student`` (from collect.parse, or when not ``parsed``
    straight from nbformat: restore must be safe alone too); returns the restored ``view``."""
    before = json.dumps(student, sort_keys=True)
    restored, tampered, notes = restore.restore(student, s)
    assert json.dumps(student, sort_keys=True) == before, "restore changed its input"
    assert all(isinstance(n, str) and n for n in tampered + notes)
    if kind == "honest":
        assert not tampered, tampered

    # The restored notebook is a valid nbformat 4 notebook, as every later step and nbgrader expect
    # (restore alone cannot make it so: parse drops what nbformat does not define).
    if parsed:
        nbformat.validate(restored)
    assert isinstance(restored.metadata, dict) and restored.nbformat == 4
    ids = [c.id for c in restored.cells]
    assert len(ids) == len(set(ids)) and all(isinstance(i, str) and ID_PATTERN.match(i) for i in ids)
    for cell in restored.cells:
        assert cell.cell_type in ("code", "markdown", "raw") and isinstance(cell.source, str)
        assert isinstance(cell.metadata, dict)
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None

    # Every test and locked cell of the assignment exactly once, pristine, with the assignment's
    # metadata; no other cell carries nbgrader metadata at all.
    released = _released_meta(s)
    seen = {}
    for cell in restored.cells:
        if "nbgrader" not in cell.metadata:
            continue
        grade_id = _gid(cell)
        assert grade_id in released, f"a cell with nbgrader metadata that is not the assignment's: {cell.metadata}"
        assert grade_id not in seen, f"two cells named {grade_id}"
        seen[grade_id] = cell
        assert (cell.cell_type, cell.metadata["nbgrader"]) == released[grade_id], grade_id
        if nbgrader_utils.is_grade(cell):
            assert grade_id in s.tests or grade_id in s.manual, grade_id
    for grade_id, source in s.pristine.items():
        assert grade_id in seen, f"{grade_id} is missing"
        assert seen[grade_id].source == source, f"{grade_id} is not pristine"
    for grade_id, points in s.tests.items():
        assert seen[grade_id].cell_type == "code" and float(seen[grade_id].metadata.nbgrader.points) == points

    # Scores of made-up outputs: nbgrader's rule, the assignment's points, nothing else counts.
    graded = copy.deepcopy(restored)
    expected, tests = [], iter(verdicts)
    for cell in graded.cells:
        if cell.cell_type != "code":
            continue
        verdict = next(tests, "none") if _gid(cell) in s.tests else "stderr"
        _stub(cell, verdict)
        if _gid(cell) in s.tests:
            points = s.tests[_gid(cell)]
            expected.append(Item(_gid(cell), points if verdict in ("none", "stdout") else 0.0, points))
    expected += [Item(g, None, p) for g, p in s.manual.items()]
    items = score.items(graded, s)
    assert items == expected, (items, expected)
    assert sum(i.max_score for i in items if i.score is not None) == s.max_score
    status, message = score.status_and_message([], tampered, read_notes + notes)
    assert isinstance(status, Status) and (status == Status.OK or message)
    assert (status == Status.TAMPERED) == bool(tampered)

    # What the pipeline does with it next: written as JSON (UTF-8) and read back by the gradebook.
    if parsed:
        text = nbformat.writes(graded)
        text.encode("utf-8")
        assert [c.source for c in nbformat.reads(text, as_version=4).cells] == [c.source for c in graded.cells]
    return view(restored, s)


def _read_by_nbformat(data):
    """The notebook as nbformat alone reads it (no repairs), or None when it cannot."""
    logger = logging.getLogger("traitlets")  # nbformat logs each invalid notebook there
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
        return notebook if isinstance(notebook.get("cells"), list) else None
    except Exception:  # noqa: BLE001 - whatever nbformat cannot read, parse must reject or repair
        return None
    finally:
        logger.setLevel(level)


@functools.lru_cache(maxsize=None)
def _honest_view(name, start):
    case = Case("honest", name, start, _base_json(name, start).encode(), [])
    return check_layers(case, [])


def check_case(case, verdicts):
    """check_layers, and for a benign case: graded exactly as the unmodified notebook."""
    got = check_layers(case, verdicts)
    if case.kind == "benign":
        assert got == _honest_view(case.name, case.base), "benign damage changed what is graded"
    if case.kind == "hostile" and (unrepaired := _read_by_nbformat(case.data)) is not None:
        check_restore(spec(case.name), unrepaired, case.kind, verdicts, [], parsed=False)
    return got


# -- properties of whole classes --------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def limits():
    from autograder.sandbox import Limits

    return Limits(cell_seconds=30, notebook_seconds=120)


@functools.lru_cache(maxsize=None)
def honest_score(name, start):
    """The (status, score) of an unmodified notebook graded alone."""
    from autograder.parallel import grade_all

    data = _base_json(name, start).encode()
    result, = grade_all(spec(name), [Submission("alone", data=data)], limits(), workers=1, progress=False)
    assert result.status == Status.OK, (result.status, result.message)
    return result.status, result.score


def check_class(batch, workers):
    """Grade ``batch`` (Cases of A1) as one class; every student gets a sound grade."""
    from autograder.parallel import grade_all

    s = spec(A1)
    submissions = [Submission(f"student-{i:02d}", data=case.data) for i, case in enumerate(batch)]
    results = grade_all(s, submissions, limits(), workers=workers, progress=False)
    assert len(results) == len(batch)
    assert [r.student_id for r in results] == [sub.student_id for sub in submissions]
    for case, result in zip(batch, results):
        where = f"{result.student_id} {case!r}: {result.status} {result.message}"
        assert isinstance(result.status, Status), where
        assert result.status != Status.ERROR, where  # the grader itself failed
        assert result.status == Status.OK or result.message.strip(), where
        assert result.max_score == s.max_score, where
        assert 0 <= result.score <= result.max_score and not math.isnan(result.score), where
        assert sorted(i.grade_id for i in result.items if i.score is not None) == sorted(s.tests), where
        assert all(i.max_score == (s.tests.get(i.grade_id) or s.manual.get(i.grade_id)) for i in result.items), where
        assert all(i.score is None or 0 <= i.score <= i.max_score for i in result.items), where
        assert result.score == sum(i.score for i in result.items if i.score is not None), where
        result.autograded.encode("utf-8")
        if case.kind in ("honest", "benign"):
            status, expected = honest_score(case.name, case.base)
            assert result.score == expected, f"{where}: expected {expected}"
            assert result.status in (Status.OK, Status.TAMPERED), where
            if case.kind == "honest":
                assert result.status == Status.OK, where
        if result.status == Status.INVALID:
            assert case.kind == "hostile" and result.score == 0, where
    return results


# A class costs seconds: a failing one is reported as found, not shrunk for minutes.
NO_SHRINKING = [Phase.explicit, Phase.reuse, Phase.generate]


@st.composite
def classes(draw):
    """A class of assignment 1: 2 to 5 mutated notebooks with 1 to 3 honest students mixed in."""
    mutants = draw(st.lists(cases(kinds=("benign", "hostile", "hostile"), names=(A1,)), min_size=2, max_size=5))
    honest = [Case("honest", A1, start, _base_json(A1, start).encode(), [])
              for _, start in draw(st.lists(st.sampled_from(HONEST), min_size=1, max_size=3))]
    return draw(st.permutations(mutants + honest))


# -- the script -------------------------------------------------------------------------------

def run(examples, batches, seed=0):
    """Run the properties; returns (examples run, seconds, failures)."""
    import hypothesis

    counted = {"layers": 0, "classes": 0}
    outcomes = {}
    failures = []

    @settings(max_examples=examples, deadline=None, database=None, derandomize=False, report_multiple_bugs=True,
              suppress_health_check=list(HealthCheck))
    @given(cases(), st.lists(st.sampled_from(VERDICTS), max_size=20))
    def layers(case, verdicts):
        counted["layers"] += 1
        outcome = f"{case.kind} {'rejected' if check_case(case, verdicts) == 'invalid' else 'graded'}"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    @settings(max_examples=max(batches, 1), deadline=None, database=None, report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck), phases=NO_SHRINKING)
    @given(classes(), st.sampled_from([1, 2]))
    def whole_classes(batch, workers):
        counted["classes"] += 1
        for case, result in zip(batch, check_class(batch, workers)):
            outcome = f"graded in a class: {case.kind} {result.status}"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1

    started = time.monotonic()
    for test in (layers, whole_classes) if batches else (layers,):
        test = hypothesis.seed(seed)(test)
        try:
            test()
        except BaseException as error:  # noqa: BLE001 - reported, then counted
            if isinstance(error, KeyboardInterrupt):
                raise
            found = list(error.exceptions) if isinstance(error, BaseExceptionGroup) else [error]
            failures += found
            for failure in found:
                print(f"FAILURE in {test.__name__}: {type(failure).__name__}: {str(failure)[:2000]}")
                for note in getattr(failure, "__notes__", []):
                    print("   ", note[:3000])
    counted["outcomes"] = outcomes
    return counted, time.monotonic() - started, failures


def main(argv):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.helpers.fuzz_grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("examples", type=int, nargs="?", default=1000, help="notebooks through the cheap layers")
    parser.add_argument("--classes", type=int, help="classes graded with grade_all (default: examples // 100)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv[1:])
    batches = max(1, args.examples // 100) if args.classes is None else args.classes
    counted, seconds, failures = run(args.examples, batches, args.seed)
    print(f"examples: {counted['layers']} notebooks through parse/restore/score, {counted['classes']} classes "
          f"graded with grade_all (including shrinking); seconds: {seconds:.1f}; failures: {len(failures)}")
    print("notebooks:", ", ".join(f"{n} {k}" for k, n in sorted(counted["outcomes"].items()) if "class" not in k))
    print("students:", ", ".join(f"{n} {k.split(': ')[1]}" for k, n in sorted(counted["outcomes"].items())
                                 if "class" in k))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
