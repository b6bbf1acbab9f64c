"""restore.py rule by rule, on a small in-memory assignment (tests/helpers/tiny_assignment.py): no
course files, kernel or sandbox. The corpus (test_grade.py) and the fuzzer (test_fuzz.py) check the
same rules end to end and on mutated notebooks."""
import copy
import json

import nbformat
import pytest
from nbgrader import utils

from autograder import restore, score
from autograder.model import Status
from tests.helpers import tiny_assignment as tiny
from tests.helpers.tiny_assignment import cell


@pytest.fixture(scope="module")
def spec():
    return tiny.assignment()


def restored(notebook, spec):
    """(notebook, tamper notes, notes, status) of restoring ``notebook`` (given as a submission
    arrives: written and read back)."""
    notebook, tampered, notes = restore.restore(tiny.reads(notebook), spec)
    status, _ = score.status_and_message([], tampered, notes)
    return notebook, tampered, notes, status


def graded_ids(notebook):
    return [c.metadata["nbgrader"]["grade_id"] for c in notebook.cells if "nbgrader" in c.metadata]


def test_an_honest_notebook_gets_its_hidden_tests_and_nothing_is_noted(spec):
    notebook, tampered, notes, status = restored(tiny.submission(), spec)
    assert (tampered, notes, status) == ([], [], Status.OK)
    assert cell(notebook, "test_f").source == spec.pristine["test_f"] and tiny.HIDDEN in cell(notebook, "test_f").source
    assert cell(notebook, "essay").source == spec.pristine["essay"]
    assert cell(notebook, "f").source == tiny.SOLUTIONS["f"], "an answer stays as the student wrote it"
    assert graded_ids(notebook) == graded_ids(tiny.released())
    nbformat.validate(notebook)


def test_an_edited_test_cell_is_tampered_and_gets_its_pristine_source_back(spec):
    student = tiny.submission()
    cell(student, "test_f").source = "pass"
    notebook, tampered, _, status = restored(student, spec)
    assert status == Status.TAMPERED
    assert tampered == ["cell test_f was edited; the original was restored"]
    assert cell(notebook, "test_f").source == spec.pristine["test_f"]


def test_an_edited_locked_cell_is_tampered_too(spec):
    student = tiny.submission()
    cell(student, "imports").source = "import os; os.system('id')"
    cell(student, "intro").source = "# My notebook"
    notebook, tampered, _, status = restored(student, spec)
    assert status == Status.TAMPERED and len(tampered) == 2
    assert cell(notebook, "imports").source == "import math" and cell(notebook, "intro").source == spec.pristine["intro"]


def test_whitespace_around_a_test_is_no_edit(spec):
    student = tiny.submission()
    cell(student, "test_f").source = "\r\n" + cell(student, "test_f").source.replace("\n", "\r\n") + "\n\n"
    notebook, tampered, _, _ = restored(student, spec)
    assert tampered == [] and cell(notebook, "test_f").source == spec.pristine["test_f"]


def test_a_deleted_test_cell_is_put_back_after_the_cell_before_it(spec):
    student = tiny.submission()
    student.cells = [c for c in student.cells if c.metadata["nbgrader"]["grade_id"] != "test_f"]
    notebook, tampered, _, status = restored(student, spec)
    assert status == Status.TAMPERED and tampered == ["cell test_f was deleted; it was put back"]
    assert graded_ids(notebook) == graded_ids(tiny.released())
    assert cell(notebook, "test_f").source == spec.pristine["test_f"], "put back pristine, no notice prepended"
    assert cell(notebook, "test_f").metadata == cell(restored(tiny.submission(), spec)[0], "test_f").metadata


def test_a_test_deleted_with_its_answer_goes_after_the_cell_before_both(spec):
    """nbgrader's own add_missing_grade_cells would raise KeyError here (the cell just before the
    test is gone too); the imports cell, which nbgrader would not put back, is back as well."""
    student = tiny.submission()
    gone = {"imports", "f", "test_f"}
    student.cells = [c for c in student.cells if c.metadata["nbgrader"]["grade_id"] not in gone]
    notebook, tampered, _, _ = restored(student, spec)
    assert tampered == ["cell imports was deleted; it was put back", "cell test_f was deleted; it was put back"]
    assert graded_ids(notebook) == ["intro", "imports", "test_f", "f_and_g", "test_f_and_g", "answer_q1",
                                    "test_answer_q1", "essay"]


def test_a_deleted_answer_cell_is_no_tampering(spec):
    student = tiny.submission()
    student.cells = [c for c in student.cells if c.metadata["nbgrader"]["grade_id"] != "f_and_g"]
    notebook, tampered, _, status = restored(student, spec)
    assert (tampered, status) == ([], Status.OK) and "f_and_g" not in graded_ids(notebook)


def test_points_changed_are_tampering_and_put_back(spec):
    for grade_id in ("test_f", "f"):  # a test's points, and points given to an answer cell
        student = tiny.submission()
        cell(student, grade_id).metadata["nbgrader"]["points"] = 100
        notebook, tampered, _, status = restored(student, spec)
        assert status == Status.TAMPERED, grade_id
        assert tampered == [f"the grading metadata of cell {grade_id} was changed; the original was restored"]
        assert cell(notebook, grade_id).metadata["nbgrader"] == cell(restored(tiny.submission(), spec)[0],
                                                                     grade_id).metadata["nbgrader"]


def test_other_metadata_of_an_answer_cell_is_put_back_silently(spec):
    student = tiny.submission()
    cell(student, "f").metadata["nbgrader"].update(solution=None, extra=[1], schema_version="3")
    notebook, tampered, _, status = restored(student, spec)
    assert (tampered, status) == ([], Status.OK)
    assert cell(notebook, "f").metadata["nbgrader"] == cell(tiny.released(), "f").metadata["nbgrader"]


def test_metadata_that_compares_equal_is_still_replaced(spec):
    """``"grade": 0`` == False, but nbgrader's checksum hashes str(0): left in place, it made
    OverwriteCells raise "Inconsistent checksums" (found by the fuzzer)."""
    student = tiny.submission()
    cell(student, "intro").metadata["nbgrader"]["grade"] = 0
    notebook, tampered, _, _ = restored(student, spec)
    assert tampered == [] and cell(notebook, "intro").metadata["nbgrader"]["grade"] is False


def test_a_test_turned_into_markdown_is_code_again(spec):
    student = tiny.submission()
    test = cell(student, "test_f")
    test.cell_type = "markdown"
    del test["outputs"], test["execution_count"]
    notebook, tampered, _, status = restored(student, spec)
    assert status == Status.TAMPERED and "cell test_f was edited; the original was restored" in tampered
    assert cell(notebook, "test_f").cell_type == "code" and cell(notebook, "test_f").outputs == []


def test_a_copied_test_cell_is_graded_once_and_is_tampering(spec):
    student = tiny.submission()
    student.cells.append(copy.deepcopy(cell(student, "test_f")))
    student.cells[-1].id = "copy"
    notebook, tampered, notes, status = restored(student, spec)
    assert status == Status.TAMPERED and tampered == ["cell test_f was duplicated"]
    assert notes == ["a second cell named test_f was kept as an ordinary cell"]
    assert graded_ids(notebook).count("test_f") == 1
    assert graded_ids(notebook)[-1] == "test_f", "nbgrader's DeduplicateIds keeps the last copy"
    ordinary = next(c for c in notebook.cells if "nbgrader" not in c.metadata and c.source.startswith("assert f(1)"))
    assert tiny.HIDDEN not in ordinary.source, "the copy that counts nowhere never gets the hidden tests"


def test_a_copied_answer_cell_is_a_note_only(spec):
    student = tiny.submission()
    student.cells.insert(3, copy.deepcopy(cell(student, "f")))
    student.cells[3].id = "copy"
    notebook, tampered, notes, status = restored(student, spec)
    assert (tampered, status) == ([], Status.OK) and notes == ["a second cell named f was kept as an ordinary cell"]
    assert graded_ids(notebook).count("f") == 1


def test_duplicated_cell_ids_are_renumbered_without_blame(spec):
    student = json.loads(nbformat.writes(tiny.submission()))
    for c in student["cells"]:
        c["id"] = "same"
    notebook, tampered, notes = restore.restore(nbformat.from_dict(student), spec)
    assert tampered == [] and notes == ["duplicated cell ids were renumbered"]
    ids = [c.id for c in notebook.cells]
    assert len(set(ids)) == len(ids) and all(restore.CELL_ID.match(i) for i in ids)


@pytest.mark.parametrize("damage", [
    lambda c: c.update(metadata=5),
    lambda c: c.metadata.update(nbgrader=5),
    lambda c: c.metadata.update(nbgrader="test_f"),
    lambda c: c.metadata.update(nbgrader=None),
    lambda c: c.metadata.nbgrader.pop("grade_id"),
    lambda c: c.metadata.nbgrader.update(grade_id=["test_f"]),
    lambda c: c.metadata.nbgrader.update(grade_id=""),
])
def test_a_test_whose_metadata_is_not_nbgrader_metadata_is_deleted_and_put_back(spec, damage):
    student = tiny.submission()
    damage(cell(student, "test_f"))
    notebook, tampered, _ = restore.restore(student, spec)
    assert "cell test_f was deleted; it was put back" in tampered
    assert graded_ids(notebook) == graded_ids(tiny.released())
    assert sum(1 for c in notebook.cells if c.source.startswith("assert f(1) == 2")) == 2, \
        "the damaged cell stays, as an ordinary cell"


def test_a_cell_claiming_to_be_a_new_test_counts_nowhere(spec):
    student = tiny.submission()
    student.cells.append(nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {
        "grade": True, "solution": False, "grade_id": "test_bonus", "points": 1000, "locked": True}}))
    notebook, _, _, status = restored(student, spec)
    assert status == Status.OK and "nbgrader" not in notebook.cells[-1].metadata
    assert sum(i.max_score for i in score.items(notebook, spec) if i.score is not None) == spec.max_score == 4


def test_outputs_are_cleared(spec):
    student = tiny.submission()
    for c in student.cells:
        if c.cell_type == "code":
            c.outputs = [nbformat.v4.new_output("stream", name="stdout", text="forged")]
            c.execution_count = 7
            c.metadata["collapsed"] = True
    notebook, _, _, _ = restored(student, spec)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None and "collapsed" not in c.metadata for c in code)


def test_the_kernelspec_is_the_assignments(spec):
    student = tiny.submission()
    student.metadata["kernelspec"] = {"name": "evil", "display_name": "Evil", "language": "bash"}
    notebook, _, _, _ = restored(student, spec)
    assert notebook.metadata["kernelspec"] == tiny.KERNELSPEC


def test_checksums_are_those_of_the_pristine_cells(spec):
    """As nbgrader's OverwriteCells leaves them: a locked cell gets the checksum of its pristine
    source (what the gradebook records), an answer cell keeps the released one."""
    notebook, _, _, _ = restored(tiny.submission(), spec)
    for grade_id in ("test_f", "essay", "intro"):
        restored_cell = cell(notebook, grade_id)
        assert restored_cell.metadata["nbgrader"]["checksum"] == utils.compute_checksum(restored_cell)
    assert cell(notebook, "test_f").metadata["nbgrader"]["checksum"] != \
        cell(tiny.released(), "test_f").metadata["nbgrader"]["checksum"], "hidden tests change the checksum"
    assert cell(notebook, "f").metadata["nbgrader"]["checksum"] == cell(tiny.released(), "f").metadata["nbgrader"]["checksum"]


def test_the_input_is_left_as_it_was_and_odd_text_is_safe(spec):
    student = tiny.reads(tiny.submission())
    cell(student, "test_f").source = "assert True  # \ud800"  # a lone surrogate: no UTF-8 for nbgrader's checksum
    cell(student, "f").source += "\n# \udc80"
    before = copy.deepcopy(student)
    notebook, tampered, _ = restore.restore(student, spec)
    assert student == before
    assert tampered == ["cell test_f was edited; the original was restored"]
    nbformat.writes(notebook).encode("utf-8")


def test_the_steps_are_nbgraders_in_nbgraders_order(spec):
    """The pipeline is nbgrader's sanitising steps (converters/autograde.py), in its order, with
    ours in front (Normalise) and before the last (CellIds)."""
    from nbgrader.converters.autograde import Autograde

    ours = (restore.Normalise, restore.CellIds)
    steps = [type(step) for step in restore.steps(spec)]
    theirs = [step.__mro__[1] if step.__module__ == restore.__name__ else step for step in steps if step not in ours]
    assert theirs == Autograde.sanitize_preprocessors.default()
    assert steps[0] is restore.Normalise and steps[-2] is restore.CellIds


@pytest.mark.slow
def test_pristine_cells_are_what_the_gradebook_records(tmp_path):
    """PristineCells stands in for nbgrader's gradebook: for assignment 1 released into a real
    gradebook, the same source, type, locked flag, checksum and points for every cell, and restore
    gives the same notebook whether the pristine sources come from the gradebook or solutions/."""
    from nbgrader.api import Gradebook

    from autograder import assignment as assignments
    from autograder import cli
    from tests.helpers import COURSE, fuzz_grade

    name, db = fuzz_grade.A1, f"sqlite:///{tmp_path / 'gradebook.db'}"
    cli.register(COURSE, name, db)
    from_gradebook, from_solutions = assignments.from_gradebook(name, db), assignments.from_solutions(name)
    ours = restore.PristineCells(from_gradebook)
    with Gradebook(db) as gradebook:
        notebook = gradebook.find_notebook(name, name)
        for theirs in notebook.source_cells:
            mine = ours.find_source_cell(theirs.name)
            assert (mine.source, mine.cell_type, mine.locked, mine.checksum) == \
                (theirs.source, theirs.cell_type, theirs.locked, theirs.checksum), theirs.name
        for theirs in notebook.grade_cells:
            assert ours.find_graded_cell(theirs.name).max_score == theirs.max_score, theirs.name
        assert json.loads(notebook.kernelspec) == from_gradebook.released.metadata["kernelspec"]
    student = nbformat.from_dict(fuzz_grade.base(name, "partial-1"))
    a, b = restore.restore(student, from_gradebook), restore.restore(student, from_solutions)
    assert nbformat.writes(a[0]) == nbformat.writes(b[0]) and a[1:] == b[1:]
