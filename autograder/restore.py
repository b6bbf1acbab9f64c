"""Between steps 1 and 2: put the assignment's own cells back into a student's notebook.

Like nbgrader's sanitize steps (ClearOutput, DeduplicateIds, OverwriteCells, CheckCellMetadata),
plus a record of what was changed: a test or locked cell that the student edited gets its pristine
source back (hidden tests included), a deleted one is re-inserted where it was, and cell metadata
(points, cell kinds) comes from the assignment, not from the submission. Each of those is a
``tampered`` note. Any other cell loses its nbgrader metadata, whatever it claims (a cell of the
student's marked as a graded test worth points counts nowhere). Duplicated cell ids are renumbered
(a harmless editor glitch, noted but not held against the student).

tests/test_autograder_fuzz.py checks all this on mutated notebooks (tests/fuzz_grade.py).
"""
import copy
import re
import uuid

import nbformat

from autograder.assignment import nbgrader_meta

CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # nbformat 4.5's rule for cell ids
CELL_TYPES = ("code", "markdown", "raw")


def _grade_id(cell):
    """The cell's grade_id when it is a non-empty string, else None: such a cell counts nowhere."""
    grade_id = nbgrader_meta(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) and grade_id else None


def _same(a, b):
    return a.strip().replace("\r\n", "\n") == b.strip().replace("\r\n", "\n")


def restore(student, assignment):
    """(notebook ready to run, tamper notes, other notes). Does not modify ``student``.

    Only the assignment's own cells keep nbgrader metadata, each once, with the assignment's
    metadata and cell type: every other cell (one of the student's that claims to be a graded test,
    a copy of a graded cell, a cell whose grade_id is not a string) loses it, so it counts nowhere.
    The result is a valid nbformat 4.5 notebook (``collect.parse`` already repaired the structure)."""
    notebook = copy.deepcopy(student)
    tampered, notes = [], []
    released = {}
    for cell in assignment.released.cells:
        released.setdefault(_grade_id(cell), cell)
    released.pop(None, None)
    protected = {g for g in released if g in assignment.pristine}

    cells, seen = [], set()
    for cell in notebook.cells:
        cell = _well_formed(cell)
        grade_id = _grade_id(cell)
        if grade_id in released and grade_id not in seen:
            seen.add(grade_id)
            original = released[grade_id]
            if grade_id in protected:
                if not _same(cell.source, original.source) or cell.cell_type != original.cell_type:
                    tampered.append(f"cell {grade_id} was edited; the original was restored")
                cell.source = assignment.pristine[grade_id]
            if nbgrader_meta(cell) != nbgrader_meta(original) or cell.cell_type != original.cell_type:
                if grade_id in protected or nbgrader_meta(cell).get("points") != nbgrader_meta(original).get("points"):
                    tampered.append(f"the grading metadata of cell {grade_id} was changed; the original was restored")
                cell = _retyped(cell, original)
                cell.metadata["nbgrader"] = copy.deepcopy(nbgrader_meta(original))
        else:
            if grade_id in released:
                # A copy of a graded cell: keep it as the student's own cell, without grading metadata.
                notes.append(f"a second cell named {grade_id} was kept as an ordinary cell")
                if grade_id in protected:
                    tampered.append(f"cell {grade_id} was duplicated")
            cell.metadata.pop("nbgrader", None)  # not a cell of this assignment
        cells.append(cell)

    # Re-insert deleted protected cells after the cell that preceded them in the student version.
    order = [_grade_id(c) for c in assignment.released.cells]
    for position, grade_id in enumerate(order):
        if grade_id in protected and grade_id not in seen:
            restored = copy.deepcopy(released[grade_id])
            restored.source = assignment.pristine[grade_id]
            previous = next((g for g in reversed(order[:position]) if g in seen), None)
            index = next((i + 1 for i, c in enumerate(cells) if previous and _grade_id(c) == previous), 0)
            cells.insert(index, restored)
            seen.add(grade_id)
            tampered.append(f"cell {grade_id} was deleted; it was put back")
    notebook.cells = cells

    ids = set()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not CELL_ID.match(cell_id) or cell_id in ids:
            if isinstance(cell_id, str) and cell_id in ids:
                notes.append("duplicated cell ids were renumbered")
            while not isinstance(cell_id, str) or not CELL_ID.match(cell_id) or cell_id in ids:
                cell_id = uuid.uuid4().hex[:8]
            cell.id = cell_id
        ids.add(cell_id)
    if not isinstance(notebook.get("metadata"), dict):
        notebook.metadata = nbformat.NotebookNode()
    notebook.nbformat, notebook.nbformat_minor = 4, 5  # 4.5: every cell has an id
    notebook.metadata["kernelspec"] = copy.deepcopy(assignment.released.metadata.get("kernelspec", {}))
    return notebook, sorted(set(tampered), key=tampered.index), sorted(set(notes), key=notes.index)


def _well_formed(cell):
    """``cell`` as collect.parse leaves every cell: a known type, text source, metadata an object."""
    if not isinstance(cell, dict):
        return _new_cell("raw", "", {}, None)
    if not isinstance(cell, nbformat.NotebookNode):
        cell = nbformat.from_dict(cell)
    source = cell.get("source")
    if not isinstance(source, str):
        source = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else ""
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
    """A cell (nbformat.v4.new_*_cell would validate it, and raise, before restore gives it an id)."""
    cell = nbformat.from_dict({"cell_type": cell_type, "metadata": metadata, "source": source})
    if cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    if cell_id is not None:
        cell.id = cell_id
    return cell
