"""Step 1 of the pipeline: find each student's notebook and read it, or say why it cannot be read.

SUBMISSIONS may be
* a folder with one subfolder per student id holding the notebook (``alice/a1.ipynb``);
* nbgrader's ``submitted/`` layout (``alice/<assignment>/a1.ipynb``);
* a zip downloaded from an LMS: Moodle's ``Full Name_123_assignsubmission_file_/a1.ipynb`` folders,
  Canvas's flat ``name_123_456_a1.ipynb`` files, or either of the two layouts above, zipped.

Every student folder yields one ``Submission``; the ones that cannot be graded carry a status
(``missing`` or ``invalid``) and a message an instructor can act on.
"""
import json
import re
import tempfile
import warnings
import zipfile
from pathlib import Path

import nbformat

from autograder.records import Status, Submission

MAX_NOTEBOOK_BYTES = 20 * 1024 ** 2
MAX_ZIP_BYTES = 2 * 1024 ** 3
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
MOODLE_FOLDER = re.compile(r"^(?P<name>.+?)_(?P<number>\d+)_assignsubmission_\w*$")
CANVAS_FILE = re.compile(r"^(?P<name>[^_]+)_(?:LATE_)?(?P<number>\d+)_\d+_(?P<file>.+)$")
IGNORED = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store"}


def slug(text):
    """An nbgrader-safe student id made from an LMS display name."""
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return text or "student"


def collect(submissions, notebook, assignment):
    """All submissions under the path ``submissions`` (folder or zip), sorted by student id."""
    path = Path(submissions)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise ValueError(f"{path} is neither a folder nor a zip file")
        scratch = tempfile.mkdtemp(prefix="autograder-zip-")
        path = _unzip(path, Path(scratch))
    students = _student_folders(path, notebook)
    found = [_pick(student_id, folder, files, notebook, assignment)
             for student_id, (folder, files) in sorted(students.items())]
    return [_read(s) for s in found]


def _unzip(archive, target):
    with zipfile.ZipFile(archive) as zipped:
        members = [m for m in zipped.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
            raise ValueError(f"{archive} unpacks to more than {MAX_ZIP_BYTES // 1024 ** 3} GiB")
        for member in members:
            parts = [p for p in Path(member.filename).parts if p not in ("", ".", "..", "/")]
            if not parts or parts[0] in IGNORED:
                continue
            destination = target.joinpath(*parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            with zipped.open(member) as source, open(destination, "wb") as sink:
                sink.write(source.read(MAX_NOTEBOOK_BYTES * 4))
    entries = [p for p in target.iterdir() if p.name not in IGNORED]
    # A zip of one folder holding the class: grade that folder.
    if len(entries) == 1 and entries[0].is_dir() and all(p.is_dir() for p in entries[0].iterdir()):
        return entries[0]
    return target


def _notebooks(folder):
    return sorted(p for p in folder.rglob("*.ipynb")
                  if not any(part in IGNORED or part.startswith(".") for part in p.relative_to(folder).parts))


def _student_folders(root, notebook):
    """{student id: (folder, notebooks)}; flat LMS files are grouped by student."""
    students = {}
    for entry in sorted(root.iterdir()):
        if entry.name in IGNORED or entry.name.startswith("."):
            continue
        if entry.is_dir():
            moodle = MOODLE_FOLDER.match(entry.name)
            student_id = f"{slug(moodle['name'])}-{moodle['number']}" if moodle else entry.name
            students[student_id] = (entry, _notebooks(entry))
        elif entry.suffix == ".ipynb":
            canvas = CANVAS_FILE.match(entry.name)
            student_id = f"{slug(canvas['name'])}-{canvas['number']}" if canvas else entry.stem
            students.setdefault(student_id, (root, []))[1].append(entry)
    return students


def _pick(student_id, folder, files, notebook, assignment):
    submission = Submission(student_id)
    if not STUDENT_ID.match(student_id):
        submission.status, submission.message = Status.INVALID, (
            f"folder name {student_id!r} cannot be a student id: use letters, digits and . _ - @ + only "
            f"(at most 100 characters), rename the folder and grade again")
        return submission
    expected = f"{notebook}.ipynb"
    # nbgrader's submitted/ layout nests the notebook in a folder named after the assignment.
    named = [f for f in files if f.name == expected or CANVAS_FILE.match(f.name)
             and CANVAS_FILE.match(f.name)["file"] == expected]
    others = [f for f in files if f not in named]
    if len(named) > 1:
        preferred = [f for f in named if f.parent.name == assignment] or named
        named = sorted(preferred, key=lambda f: f.stat().st_mtime)[-1:]
        submission.notes.append(f"several copies of {expected}; graded the newest, {named[0].name}")
    if named:
        chosen = named[0]
        if others:
            submission.notes.append("ignored other notebooks: " + ", ".join(f.name for f in others))
    elif len(others) == 1:
        chosen = others[0]
        submission.notes.append(f"the notebook was named {chosen.name}, not {expected}; graded it anyway")
    elif others:
        submission.status, submission.message = Status.INVALID, (
            f"{len(others)} notebooks and none named {expected}: " + ", ".join(f.name for f in others)
            + "; keep only the assignment's notebook")
        return submission
    else:
        submission.status, submission.message = Status.MISSING, f"no notebook in {folder.name}/ (expected {expected})"
        return submission
    submission.path, submission.timestamp = str(chosen), chosen.stat().st_mtime
    return submission


def _read(submission):
    if submission.status != Status.OK:
        return submission
    size = Path(submission.path).stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        submission.status, submission.message = Status.INVALID, (
            f"the notebook is {size / 1024 ** 2:.1f} MB, over the {MAX_NOTEBOOK_BYTES // 1024 ** 2} MB limit; "
            "clear its outputs (Edit > Clear Outputs of All Cells), save and resubmit")
        return submission
    submission.data = Path(submission.path).read_bytes()
    return submission


def parse(data):
    """(notebook as nbformat v4, notes), or ValueError with a message for a person."""
    if not data.strip():
        raise ValueError("the notebook file is empty (0 bytes or only whitespace); resubmit the saved notebook")
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = f" at line {error.lineno}, column {error.colno}" if hasattr(error, "lineno") else ""
        raise ValueError(f"the file is not valid notebook JSON{where}: it is damaged or not a notebook; "
                         "open it in JupyterLab, save, and resubmit") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", raw.get("worksheets")), list):
        raise ValueError("the file is JSON but not a notebook (no list of cells)")
    notes = []
    ids = [c.get("id") for c in raw["cells"] if isinstance(c, dict) and c.get("id")] if "cells" in raw else []
    if len(ids) != len(set(ids)):
        notes.append("duplicated cell ids were renumbered")
    major = raw.get("nbformat")
    if major not in (3, 4):
        raise ValueError(f"notebook format version {major!r} is not supported (expected 4); "
                         "save it from JupyterLab and resubmit")
    try:
        with warnings.catch_warnings():  # nbformat warns about fixable things; restore.py fixes them
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(data.decode("utf-8") if isinstance(data, bytes) else data, as_version=4)
    except Exception as error:  # noqa: BLE001 - nbformat raises many types for broken structure
        raise ValueError(f"the notebook's structure is broken ({type(error).__name__}: {str(error)[:200]})") from None
    for cell in notebook.cells:
        if cell.get("cell_type") not in ("code", "markdown", "raw") or not isinstance(cell.get("source"), str):
            raise ValueError("the notebook has a cell without a valid type or source")
    return notebook, notes
