"""Between steps 1 and 2: put the assignment's own cells back into a student's notebook.

nbgrader's own sanitising steps, in the order ``nbgrader autograde`` runs them (its
``Autograde.sanitize_preprocessors``), one transformation each, with a small step of ours in front
that makes any notebook fit for them, and one that gives cells their ids before nbgrader's last
check:

=================== ========= ==================================================================
step                from      does
=================== ========= ==================================================================
Normalise           ours      every cell well formed (a known type, text source, metadata an
                              object); nbgrader metadata only on the assignment's own cells, and
                              there the assignment's metadata and cell type (any other cell loses
                              it, whatever it claims: a cell of the student's marked as a graded
                              test worth points counts nowhere)
ClearOutput         nbgrader  no outputs, no execution counts
DeduplicateIds      nbgrader  one cell per grade_id (nbgrader's rule: the last); the others are
                              kept as ordinary cells
OverwriteKernelspec nbgrader  the assignment's kernelspec (from the released notebook, which is
                              what nbgrader records in the gradebook)
OverwriteCells      nbgrader  the pristine source of every test, locked and task cell (hidden
                              tests included) and its checksum; deleted ones are put back where
                              they were (``add_missing_cells``). Our subclass reads the pristine
                              cells from the Assignment (the gradebook or solutions/, see
                              assignment.py) instead of opening the gradebook for each notebook
CellIds             ours      nbformat 4.5: every cell has an id, valid and unique
CheckCellMetadata   nbgrader  the nbgrader metadata is valid (it raises if not: a bug of ours,
                              which makes that submission's status ``error``). Our subclass runs
                              it once per distinct list of graded cells (see the class)
=================== ========= ==================================================================

The steps also record what they changed: a test or locked cell that was edited, deleted or
duplicated, or grading metadata that was changed (for those cells, and points for any cell), is a
``tampered`` note; a duplicated answer cell or renumbered cell ids are notes, not held against the
student. tests/autograder/test_fuzz.py checks all this on mutated notebooks (tests/helpers/fuzz_grade.py),
tests/autograder/test_restore.py rule by rule.
"""
import copy
import json
import logging
import re
import typing
import uuid

import nbformat
from nbgrader import preprocessors, utils
from nbgrader.api import MissingEntry
from nbgrader import preprocessors
from nbgrader.preprocessors import ClearOutput, NbGraderPreprocessor
from traitlets import Any

from autograder.assignment import nbgrader_meta

CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # nbformat 4.5's rule for cell ids
CELL_TYPES = ("code", "markdown", "raw")
SURROGATE = re.compile("[\ud800-\udfff]")  # text no UTF-8 file can hold (collect.parse replaces it too)

# nbgrader's steps log a warning for each change; the notes say it instead.
QUIET = logging.getLogger("autograder.restore")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


def restore(student, assignment):
    """(notebook ready to run, tamper notes, other notes). Does not modify ``student``.

    The result is a valid nbformat 4.5 notebook when ``student`` came from ``collect.parse`` (which
    repairs the structure), and safe to grade whatever ``student`` is."""
    notebook = copy.deepcopy(student)
    resources = {"nbgrader": {"notebook": assignment.notebook, "assignment": assignment.name},
                 "tampered": [], "notes": []}
    for step in steps(assignment):
        notebook, resources = step.preprocess(notebook, resources)
    return notebook, _once(resources["tampered"]), _once(resources["notes"])


def steps(assignment):
    """The restore pipeline for ``assignment``, as a list of preprocessors (see the table above)."""
    pristine = PristineCells(assignment)
    return [Normalise(cells=pristine, log=QUIET),
            ClearOutput(log=QUIET),
            DeduplicateIds(protected=pristine.protected, log=QUIET),
            OverwriteKernelspec(kernelspec=assignment.released.metadata.get("kernelspec"), log=QUIET),
            OverwriteCells(pristine, log=QUIET),
            CellIds(log=QUIET),
            CheckCellMetadata(log=QUIET)]


class CheckCellMetadata(preprocessors.CheckCellMetadata):
    """nbgrader's check, run once per distinct list of graded cells in this process.

    What it checks is a function of each graded cell's type and nbgrader metadata, in order, and
    of nothing else (a cell's source appears only in its messages); restoring makes that list the
    same for most of a class. Checking it again costs 40 ms a notebook (jsonschema checks its own
    schema on every cell), most of restoring."""

    checked = set()
    MAX_REMEMBERED = 10_000

    def preprocess(self, nb, resources):
        key = json.dumps([[cell.cell_type, cell.metadata["nbgrader"]] for cell in nb.cells
                          if "nbgrader" in cell.metadata], sort_keys=True, default=repr)
        if key in self.checked:
            return nb, resources
        nb, resources = super().preprocess(nb, resources)
        if len(self.checked) < self.MAX_REMEMBERED:
            self.checked.add(key)
        return nb, resources


class SourceCell(typing.NamedTuple):
    """What OverwriteCells reads of nbgrader's ``api.SourceCell``, and the whole cell to put back."""

    name: str
    cell_type: str
    locked: bool
    checksum: str
    source: str
    cell: nbformat.NotebookNode


class GradeCell(typing.NamedTuple):
    """What OverwriteCells reads of nbgrader's ``api.GradeCell``."""

    name: str
    max_score: float


class PristineCells:
    """The assignment's cells as OverwriteCells asks nbgrader's gradebook for them
    (``find_source_cell``, ``find_graded_cell``): the released notebook gives each cell's type and
    metadata, ``assignment.pristine`` the source of each test, locked and task cell (hidden tests
    included), and the checksum is nbgrader's of that source, as the gradebook records it."""

    def __init__(self, assignment):
        self.assignment = assignment
        self.order = [_grade_id(cell) for cell in assignment.released.cells]
        self.released = {}  # grade_id -> released cell (the first, were a grade_id repeated)
        for grade_id, cell in zip(self.order, assignment.released.cells):
            if grade_id is not None:
                self.released.setdefault(grade_id, cell)
        self.protected = {g for g in self.released if g in assignment.pristine}  # utils.is_locked
        self._cells = {}

    def find_source_cell(self, grade_id, notebook_id=None, assignment_id=None):
        if grade_id not in self.released:
            raise MissingEntry()
        if grade_id not in self._cells:
            cell = copy.deepcopy(self.released[grade_id])
            if grade_id in self.protected:
                cell.source = self.assignment.pristine[grade_id]
            if grade_id in self.protected or "checksum" not in cell.metadata.nbgrader:
                cell.metadata.nbgrader["checksum"] = utils.compute_checksum(cell)
            self._cells[grade_id] = SourceCell(grade_id, cell.cell_type, grade_id in self.protected,
                                               cell.metadata.nbgrader.checksum, cell.source, cell)
        return self._cells[grade_id]

    def find_graded_cell(self, grade_id, notebook_id=None, assignment_id=None):
        if grade_id not in self.released:
            raise MissingEntry()
        return GradeCell(grade_id, float(self.released[grade_id].metadata.nbgrader.points))


class Normalise(NbGraderPreprocessor):
    """Ours: fit any notebook for nbgrader's steps, which expect one that nbgrader or Jupyter wrote.

    Each cell gets a known type (else raw), a text source and metadata that is an object. nbgrader
    metadata stays only on cells named like one of the assignment's (a non-empty string grade_id
    the released notebook has), and there becomes the assignment's, with the assignment's cell
    type; what the student's claimed instead is noted: for a test or locked cell, a changed source
    or type is an edit, and any change to its grading metadata is tampering; for any cell, so is a
    change of points."""

    cells = Any()  # PristineCells

    def preprocess(self, nb, resources):
        if not isinstance(nb.get("metadata"), dict):
            nb.metadata = nbformat.NotebookNode()
        nb.nbformat, nb.nbformat_minor = 4, 5  # 4.5: every cell has an id (CellIds)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        cell = _well_formed(cell)
        grade_id = _grade_id(cell)
        original = self.cells.released.get(grade_id)
        if original is None:
            cell.metadata.pop("nbgrader", None)  # not a cell of this assignment
            return cell, resources
        protected = grade_id in self.cells.protected
        if protected and (not _same(cell.source, original.source) or cell.cell_type != original.cell_type):
            resources["tampered"].append(f"cell {grade_id} was edited; the original was restored")
        if nbgrader_meta(cell) != nbgrader_meta(original) or cell.cell_type != original.cell_type:
            if protected or nbgrader_meta(cell).get("points") != nbgrader_meta(original).get("points"):
                resources["tampered"].append(f"the grading metadata of cell {grade_id} was changed; "
                                             "the original was restored")
        # Always the released copy: metadata that compares equal may still differ for nbgrader
        # (``"grade": 0`` == False, but its checksums hash str(0)).
        cell = _retyped(cell, original)
        cell.metadata["nbgrader"] = copy.deepcopy(original.metadata.nbgrader)
        return cell, resources


class DeduplicateIds(preprocessors.DeduplicateIds):
    """nbgrader's DeduplicateIds (of the cells sharing a grade_id, the last keeps it), noting each
    copy, which is left with no nbgrader metadata at all (nbgrader leaves it empty), as an ordinary
    cell of the student's. A copy of a test or locked cell is tampering."""

    protected = Any()  # grade_ids of the test, locked and task cells

    def preprocess(self, nb, resources):
        self.copies = []
        nb, resources = super().preprocess(nb, resources)
        for grade_id in reversed(self.copies):  # nbgrader goes from the last cell up: noted top down
            resources["notes"].append(f"a second cell named {grade_id} was kept as an ordinary cell")
            if grade_id in self.protected:
                resources["tampered"].append(f"cell {grade_id} was duplicated")
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        grade_id = _grade_id(cell)
        cell, resources = super().preprocess_cell(cell, resources, index)
        if grade_id is not None and cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
            self.copies.append(grade_id)
        return cell, resources


class OverwriteKernelspec(preprocessors.OverwriteKernelspec):
    """nbgrader's OverwriteKernelspec, with the released notebook's kernelspec in place of the one
    nbgrader reads from the gradebook (where it recorded that same notebook's)."""

    kernelspec = Any()

    def preprocess(self, nb, resources):
        if self.kernelspec:
            nb.metadata["kernelspec"] = copy.deepcopy(self.kernelspec)
        return nb, resources


class OverwriteCells(preprocessors.OverwriteCells):
    """nbgrader's OverwriteCells with ``add_missing_cells``, reading the pristine cells from a
    PristineCells in place of the gradebook.

    nbgrader's ``preprocess_cell`` does the work: each cell of the assignment gets its cell type,
    locked flag, points and checksum back, and a locked cell (test, locked or task cell) whose
    checksum differs gets its pristine source. Putting back deleted cells differs from nbgrader's
    in three ways, each needed here: every locked cell is put back (nbgrader: grade and task cells
    only, not the setup cell of imports), after the assignment cell that precedes it in the released
    version and is still in the notebook (nbgrader takes the immediately preceding one, and raises
    KeyError when the student deleted that one too; it puts task cells at the end), and exactly
    as released, pristine (nbgrader prepends a notice to the source, which would change a test)."""

    def __init__(self, pristine, **kwargs):
        super().__init__(add_missing_cells=True, **kwargs)
        self.gradebook = pristine

    def preprocess(self, nb, resources):
        # nbgrader's OverwriteCells.preprocess, without opening a gradebook: self.gradebook is set.
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
        if self.add_missing_cells:
            nb, resources = self.add_missing_grade_cells(nb, resources)
            nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources

    def add_missing_grade_cells(self, nb, resources):
        order, present = self.gradebook.order, {_grade_id(cell) for cell in nb.cells}
        for position, grade_id in enumerate(order):
            if grade_id in self.gradebook.protected and grade_id not in present:
                previous = next((g for g in reversed(order[:position]) if g in present), None)
                index = next((i + 1 for i, c in enumerate(nb.cells) if previous and _grade_id(c) == previous), 0)
                source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
                nb.cells.insert(index, self.missing_cell_transform(source_cell, None))
                present.add(grade_id)
                resources["tampered"].append(f"cell {grade_id} was deleted; it was put back")
        return nb, resources

    def add_missing_task_cells(self, nb, resources):
        return nb, resources  # task cells are locked: add_missing_grade_cells put them back

    def missing_cell_transform(self, source_cell, max_score, is_solution=False, is_task=False):
        return copy.deepcopy(source_cell.cell)


class CellIds(NbGraderPreprocessor):
    """Ours: every cell an id, valid and unique (nbformat 4.5); a cell whose id is missing, not valid
    or already taken gets a new one (a repeat is an editor glitch: noted, not held against anyone)."""

    def preprocess(self, nb, resources):
        self.ids = set()
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not CELL_ID.match(cell_id) or cell_id in self.ids:
            if isinstance(cell_id, str) and cell_id in self.ids:
                resources["notes"].append("duplicated cell ids were renumbered")
            while not isinstance(cell_id, str) or not CELL_ID.match(cell_id) or cell_id in self.ids:
                cell_id = uuid.uuid4().hex[:8]
            cell.id = cell_id
        self.ids.add(cell_id)
        return cell, resources


def _grade_id(cell):
    """The cell's grade_id when it is a non-empty string, else None: such a cell counts nowhere."""
    grade_id = nbgrader_meta(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) and grade_id else None


def _same(a, b):
    return a.strip().replace("\r\n", "\n") == b.strip().replace("\r\n", "\n")


def _once(notes):
    return sorted(set(notes), key=notes.index)


def _well_formed(cell):
    """``cell`` as collect.parse leaves every cell: a known type, text source, metadata an object."""
    if not isinstance(cell, dict):
        return _new_cell("raw", "", {}, None)
    cell = nbformat.from_dict(cell)  # NotebookNodes all the way down, as nbgrader's steps read them
    source = cell.get("source")
    if not isinstance(source, str):
        source = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else ""
    source = SURROGATE.sub("\ufffd", source)  # nbgrader's checksums encode the source as UTF-8
    metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else nbformat.NotebookNode()
    if cell.get("cell_type") not in CELL_TYPES:
        return _new_cell("raw", source, metadata, cell.get("id"))
    cell.source, cell.metadata = source, metadata
    for key in ("outputs", "execution_count") if cell.cell_type != "code" else ():
        cell.pop(key, None)
    return cell


def _retyped(cell, original):
    """``cell`` with the cell type of ``original`` (a test turned into markdown becomes code again), and
    then the original's metadata: what fits one cell type may not fit another."""
    if cell.cell_type == original.cell_type:
        return cell
    return _new_cell(original.cell_type, cell.source, copy.deepcopy(original.metadata), cell.get("id"))


def _new_cell(cell_type, source, metadata, cell_id):
    """A cell (nbformat.v4.new_*_cell would validate it, and raise, before CellIds gives it an id)."""
    cell = nbformat.from_dict({"cell_type": cell_type, "metadata": metadata, "source": source})
    if cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    if cell_id is not None:
        cell.id = cell_id
    return cell
