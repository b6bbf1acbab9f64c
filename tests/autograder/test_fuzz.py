"""Structural fuzzing of the autograder: whatever a class submits, every student gets a grade, and
none is wrong (the generators and properties are in tests/helpers/fuzz_grade.py).

A seeded run here: a few hundred mutated notebooks through the cheap layers (collect.parse,
restore.restore, score.items), a few whole classes through parallel.grade_all with real execution.
`make fuzz-grade N=5000` runs a longer one. First, each bug the fuzzer found, as a plain test.
"""
import json

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import fuzz_grade as fuzz
from autograder import assignment as assignments
from autograder import collect, restore, score

A1 = fuzz.A1
QUICK = settings(deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.large_base_example])


def solved():
    return fuzz.base(A1, "solved")


def cell_named(notebook, grade_id):
    return next(c for c in notebook["cells"] if fuzz._gid(c) == grade_id)


def layers(notebook, kind="hostile", verdicts=()):
    """The cheap-layer properties of fuzz_grade on one notebook dict (or bytes)."""
    data = notebook if isinstance(notebook, bytes) else json.dumps(notebook).encode()
    return fuzz.check_case(fuzz.Case(kind, A1, "solved", data, []), list(verdicts))


def parsed_and_restored(notebook):
    data = notebook if isinstance(notebook, bytes) else json.dumps(notebook).encode()
    return restore.restore(collect.parse(data)[0], fuzz.spec(A1))


# -- the bugs, one by one ---------------------------------------------------------------------

@pytest.mark.parametrize("value", [5, "test_answer_q1", [], None, True, 0.5])
def test_nbgrader_metadata_that_is_not_an_object(value):
    """The reported bug: `"nbgrader": 5` made restore raise AttributeError ('int' object has no
    attribute 'get'). Such a cell is no cell of the assignment; the test it was is put back."""
    notebook = solved()
    cell_named(notebook, "test_answer_q1")["metadata"]["nbgrader"] = value
    restored, tampered, _ = parsed_and_restored(notebook)
    assert "cell test_answer_q1 was deleted; it was put back" in tampered
    assert layers(notebook) != "invalid"
    assert assignments.nbgrader_meta({"metadata": {"nbgrader": value}}) == {}
    assert assignments.nbgrader_meta({"metadata": value}) == {} and assignments.nbgrader_meta(value) == {}


@pytest.mark.parametrize("grade_id", ["<missing>", "", 7, ["test_answer_q1"], {"a": 1}, None])
def test_graded_cell_without_a_string_grade_id_counts_nowhere(grade_id):
    """grade: true with no grade_id, or one that is not a string (a list made restore raise
    TypeError: unhashable): the cell keeps no nbgrader metadata, so nbgrader's is_grade is False."""
    notebook = solved()
    meta = {"grade": True, "solution": False, "points": 100, "locked": True, "schema_version": 3}
    if grade_id != "<missing>":
        meta["grade_id"] = grade_id
    fake = nbformat.v4.new_code_cell("assert True", metadata={"nbgrader": meta})
    notebook["cells"].insert(3, json.loads(json.dumps(fake)))
    restored, tampered, _ = parsed_and_restored(notebook)
    assert all("nbgrader" not in c.metadata for c in restored.cells if c.source == "assert True")
    assert not assignments.is_test(fake)
    assert sum(i.max_score for i in score.items(restored, fuzz.spec(A1)) if i.score is not None) == fuzz.spec(A1).max_score
    layers(notebook)


def test_restore_alone_on_cells_parse_never_saw():
    """restore.restore is safe on its own too (say, on a notebook nbformat read): metadata or nbgrader
    metadata that is not an object, grade_ids that are not strings, ids that are not valid."""
    notebook = nbformat.reads(json.dumps(solved()), as_version=4)
    cells = notebook.cells
    cells[0].metadata = None
    cells[1].metadata.nbgrader = 5
    cells[2].metadata.nbgrader.grade_id = ["q1_text"]
    cells[3].id = {"not": "an id"}
    cells.append(nbformat.from_dict({"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "points": 99}},
                                     "source": "pass", "outputs": [], "execution_count": None, "id": "x"}))
    restored, tampered, _ = restore.restore(notebook, fuzz.spec(A1))
    nbformat.validate(restored)
    assert cells[1].metadata.nbgrader == 5  # the input is left as it was
    assert "cell imports was deleted; it was put back" in tampered
    assert "nbgrader" not in restored.cells[-1].metadata
    assert sum(i.max_score for i in score.items(restored, fuzz.spec(A1)) if i.score is not None) == fuzz.spec(A1).max_score


def test_student_cell_claiming_a_new_test_worth_points():
    notebook = solved()
    fake = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {"grade": True, "grade_id": "test_bonus",
                                                                    "points": 1000, "solution": False}})
    notebook["cells"].append(json.loads(json.dumps(fake)))
    restored, _, _ = parsed_and_restored(notebook)
    assert "nbgrader" not in restored.cells[-1].metadata
    layers(notebook)


def test_copies_of_a_test_cell_count_once():
    """A duplicated grade_id is scored once, with the assignment's points, even by score.items on a
    notebook restore never saw."""
    notebook = nbformat.reads(json.dumps(solved()), as_version=4)
    test = next(c for c in notebook.cells if fuzz._gid(c) == "test_answer_q1")
    for _ in range(3):
        copy = nbformat.from_dict(json.loads(json.dumps(test)))
        copy.metadata.nbgrader.points = 1000
        notebook.cells.append(copy)
    rows = score.items(notebook, fuzz.spec(A1))
    assert [r.grade_id for r in rows].count("test_answer_q1") == 1
    assert sum(r.max_score for r in rows if r.score is not None) == fuzz.spec(A1).max_score
    assert all(r.score is None or 0 <= r.score <= r.max_score for r in rows)


def test_a_test_cell_missing_from_the_notebook_scores_zero():
    notebook = nbformat.reads(json.dumps(solved()), as_version=4)
    notebook.cells = [c for c in notebook.cells if fuzz._gid(c) != "test_answer_q1"]
    rows = {r.grade_id: r for r in score.items(notebook, fuzz.spec(A1))}
    assert rows["test_answer_q1"].score == 0.0 and rows["test_answer_q1"].max_score == 1.0


@pytest.mark.parametrize("depth", [100_000, 3000, 990, 101])
def test_deep_nesting_is_invalid_not_a_crash(depth):
    """100,000 '[' made json raise RecursionError out of parse; nesting just under json's own limit
    got through and broke nbformat's validation messages. Both are ValueError (invalid) now."""
    for data in ("[" * depth + "]" * depth,
                 json.dumps(solved()).replace('"metadata": {', '"metadata": {"deep": ' + "[" * depth + "]" * depth + ",", 1)):
        with pytest.raises(ValueError, match="nested"):
            collect.parse(data.encode())
    with pytest.raises(ValueError):
        collect.parse(b"[" * depth)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_other_encodings_are_read(encoding):
    """A notebook saved with a byte-order mark, or as UTF-16, was 'structure broken'."""
    data = json.dumps(solved(), ensure_ascii=False).encode(encoding)
    assert layers(data, kind="benign") == fuzz._honest_view(A1, "solved")


@pytest.mark.parametrize("damage", [
    lambda nb: nb["cells"][0].update(attachments=None),
    lambda nb: nb["cells"][1].update(outputs=[None, 5, {"output_type": "stream"}], execution_count="7"),
    lambda nb: nb["cells"][1]["metadata"].update(tags=None, collapsed="yes", jupyter=[]),
    lambda nb: nb["cells"][2].update(id={"a": 1}),
    lambda nb: nb["cells"][2].update(id="not a valid id"),
    lambda nb: nb.update(nbformat_minor="5", metadata=[], extra=1),
    lambda nb: nb["metadata"].update(kernelspec=None, language_info=5),
    lambda nb: cell_named(nb, "test_answer_q1").update(cell_type="markdown"),
    lambda nb: cell_named(nb, "test_answer_q1")["metadata"]["nbgrader"].update(points="1000", grade=None),
])
def test_damage_that_changes_nothing_graded_is_repaired(damage):
    """Each of these made the notebook 'invalid' (nbformat raised while reading it) or left an
    invalid notebook for the formgrader; the student must be graded as if it were not there."""
    notebook = solved()
    damage(notebook)
    assert layers(notebook, kind="benign") == fuzz._honest_view(A1, "solved")


def test_lone_surrogates_and_nul_bytes_in_sources():
    """A lone surrogate made the autograded notebook impossible to write as UTF-8."""
    notebook = solved()
    cell_named(notebook, "rnn_forward")["source"] += "\n# \ud800 \x00 \u202e"
    restored, _, _ = parsed_and_restored(json.dumps(notebook).encode())
    nbformat.writes(restored).encode("utf-8")
    layers(notebook)


@pytest.mark.parametrize("cells", [5, "cells", {"0": {}}, None, [5], [None], [[]], ["cell"]])
def test_structure_that_cannot_be_repaired_is_invalid(cells):
    notebook = solved()
    notebook["cells"] = cells
    with pytest.raises(ValueError) as error:
        collect.parse(json.dumps(notebook).encode())
    assert str(error.value)


@pytest.mark.parametrize("cell_type", ["heading", "", 5, ["code"], None])
def test_unknown_cell_types_become_raw_cells(cell_type):
    notebook = solved()
    notebook["cells"].append({"cell_type": cell_type, "metadata": {}, "source": "print(1)"})
    student, notes = collect.parse(json.dumps(notebook).encode())
    assert student.cells[-1].cell_type == "raw" and any("unknown type" in n for n in notes)
    layers(notebook)


# -- the properties ---------------------------------------------------------------------------

@pytest.mark.slow
@settings(QUICK, max_examples=300)
@given(fuzz.cases(), st.lists(st.sampled_from(fuzz.VERDICTS), max_size=20))
def test_parse_restore_and_score_whatever_is_submitted(case, verdicts):
    """Honest, benign and hostile notebooks of every assignment through the cheap layers: parse
    gives a notebook or ValueError; restore gives a valid notebook holding each test and locked cell
    once, pristine, with the assignment's metadata, and no other cell with nbgrader metadata; the
    items are nbgrader's verdicts at the assignment's points; benign damage changes nothing graded."""
    fuzz.check_case(case, verdicts)


@pytest.mark.root
@pytest.mark.slow
@settings(QUICK, max_examples=4, phases=fuzz.NO_SHRINKING)
@given(fuzz.classes(), st.sampled_from([1, 2]))
def test_whole_classes_are_graded(batch, workers):
    """Classes of mutated notebooks with honest students mixed in, graded by grade_all with real
    execution: the batch completes, one result per student, known statuses with messages, scores
    within 0 and the assignment's maximum, honest (and benign) students get exactly their scores."""
    fuzz.check_class(batch, workers)
