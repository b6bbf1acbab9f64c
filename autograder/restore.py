"""Between steps 1 and 2: put the assignment's own cells back into a student's notebook.

Like nbgrader's sanitize steps (ClearOutput, DeduplicateIds, OverwriteCells, CheckCellMetadata),
plus a record of what was changed: a test or locked cell that the student edited gets its pristine
source back (hidden tests included), a deleted one is re-inserted where it was, and cell metadata
(points, cell kinds) comes from the assignment, not from the submission. Each of those is a
``tampered`` note. Duplicated cell ids are renumbered (a harmless editor glitch, noted but not
held against the student).
"""
import copy
import uuid

import nbformat

from autograder.assignment import nbgrader_meta


def _same(a, b):
    return a.strip().replace("\r\n", "\n") == b.strip().replace("\r\n", "\n")


def restore(student, assignment):
    """(notebook ready to run, tamper notes, other notes). Does not modify ``student``."""
    notebook = copy.deepcopy(student)
    tampered, notes = [], []
    released = {nbgrader_meta(c)["grade_id"]: c for c in assignment.released.cells if nbgrader_meta(c).get("grade_id")}
    protected = {g for g, c in released.items() if g in assignment.pristine}

    cells, seen = [], set()
    for cell in notebook.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in seen and grade_id in released:
            # A copy of a graded cell: keep it as the student's own cell, without grading metadata.
            cell.metadata.pop("nbgrader", None)
            notes.append(f"a second cell named {grade_id} was kept as an ordinary cell")
            if grade_id in protected:
                tampered.append(f"cell {grade_id} was duplicated")
        elif grade_id in released:
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
        elif grade_id:
            cell.metadata.pop("nbgrader", None)  # not a cell of this assignment
        cells.append(cell)

    # Re-insert deleted protected cells after the cell that preceded them in the student version.
    order = [nbgrader_meta(c).get("grade_id") for c in assignment.released.cells]
    for position, grade_id in enumerate(order):
        if grade_id in protected and grade_id not in seen:
            restored = copy.deepcopy(released[grade_id])
            restored.source = assignment.pristine[grade_id]
            previous = next((g for g in reversed(order[:position]) if g in seen), None)
            index = next((i + 1 for i, c in enumerate(cells) if nbgrader_meta(c).get("grade_id") == previous), 0)
            cells.insert(index, restored)
            seen.add(grade_id)
            tampered.append(f"cell {grade_id} was deleted; it was put back")
    notebook.cells = cells

    ids = set()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if cell.get("id") in ids or not cell.get("id"):
            if cell.get("id"):
                notes.append("duplicated cell ids were renumbered")
            cell.id = uuid.uuid4().hex[:8]
        ids.add(cell.id)
    notebook.nbformat, notebook.nbformat_minor = 4, max(notebook.get("nbformat_minor", 5), 5)
    notebook.metadata["kernelspec"] = copy.deepcopy(assignment.released.metadata.get("kernelspec", {}))
    return notebook, sorted(set(tampered), key=tampered.index), sorted(set(notes), key=notes.index)


def _retyped(cell, original):
    """``cell`` with the cell type of ``original`` (a test turned into markdown becomes code again)."""
    if cell.cell_type == original.cell_type:
        return cell
    make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
            "raw": nbformat.v4.new_raw_cell}[original.cell_type]
    return make(source=cell.source, metadata=copy.deepcopy(cell.metadata), id=cell.get("id"))
