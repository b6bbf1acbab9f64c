"""Notebook twins: every lecture is authored as a jupytext percent-format ``.py`` and committed as
an executed ``.ipynb`` beside it. This module executes the ``.py`` into its ``.ipynb`` and checks
that a pair has not drifted apart.

    python -m coursetools.notebooks build lectures/01_sequences_and_recurrence.py
    python -m coursetools.notebooks check          (every notebook course.toml declares)

``build`` stores in the notebook's metadata a fingerprint of the source and how long the run took on
which machine (the course site shows it); ``check`` fails when the
``.py`` was edited after the last build, when the ``.ipynb`` was edited by hand, or when its cells
were not all executed, in order, without errors.
"""
import argparse
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import jupytext
import nbformat

from coursetools.course import Course

METADATA_KEY = "r2a"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def twin_of(py_path) -> Path:
    return Path(py_path).with_suffix(".ipynb")


def read_source(py_path):
    """The notebook that a percent-format ``.py`` describes (no outputs)."""
    return jupytext.read(str(py_path), fmt="py:percent")


def cell_signature(notebook) -> list:
    """What must agree between the twins: each cell's type, source, tags and nbgrader metadata."""
    signature = []
    for cell in notebook.cells:
        metadata = cell.get("metadata", {})
        entry = [cell.cell_type, cell.source, sorted(metadata.get("tags", []))]
        if "nbgrader" in metadata:  # assignments: grade ids, points and locks are part of the source
            entry.append(dict(metadata["nbgrader"]))
        signature.append(entry)
    return signature


def fingerprint(notebook) -> str:
    return hashlib.sha256(json.dumps(cell_signature(notebook)).encode()).hexdigest()


def machine() -> str:
    """The CPU a notebook was executed on, for the measured times the course reports."""
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    return f"{model}, {os.cpu_count()} cores"


def build(py_path, timeout: int = 600) -> float:
    """Execute the ``.py`` top to bottom in a fresh kernel and write the ``.ipynb``; return seconds."""
    from nbclient import NotebookClient

    py_path = Path(py_path)
    notebook = read_source(py_path)
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    # The course's deterministic environment, so a build started by hand is as repeatable as `make`'s.
    os.environ.update(Course.find(py_path.parent).environment)
    client = NotebookClient(notebook, timeout=timeout, kernel_name=KERNELSPEC["name"],
                            record_timing=False, resources={"metadata": {"path": str(py_path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    notebook.metadata[METADATA_KEY] = {"source_sha256": fingerprint(notebook),
                                       "execution_seconds": round(seconds, 1), "machine": machine()}
    nbformat.write(notebook, str(twin_of(py_path)))
    return seconds


def check_pair(py_path) -> list:
    """Problems with a ``.py``/``.ipynb`` pair, as sentences; an empty list means the pair agrees."""
    py_path, ipynb_path = Path(py_path), twin_of(py_path)
    if not ipynb_path.exists():
        return [f"{ipynb_path} is missing: run `make notebooks`"]
    source, executed = read_source(py_path), nbformat.read(str(ipynb_path), as_version=4)
    problems = []
    ours, theirs = cell_signature(source), cell_signature(executed)
    if ours != theirs:
        first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
        problems.append(f"{py_path.name} and {ipynb_path.name} differ from cell {first} on "
                        f"({len(ours)} vs {len(theirs)} cells): re-execute with `make notebooks`")
    recorded = executed.metadata.get(METADATA_KEY, {}).get("source_sha256")
    if recorded != fingerprint(source):
        problems.append(f"{ipynb_path.name} was not executed from the current {py_path.name}: "
                        "run `make notebooks`")
    counts = [cell.get("execution_count") for cell in executed.cells if cell.cell_type == "code"]
    if counts != list(range(1, len(counts) + 1)):
        problems.append(f"{ipynb_path.name}: code cells were not all executed once, top to bottom")
    for index, cell in enumerate(executed.cells):
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            problems.append(f"{ipynb_path.name}: cell {index} stored an error")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools.notebooks", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["build", "check"])
    parser.add_argument("paths", nargs="*", type=Path,
                        help="percent-format .py twins (default: every notebook course.toml declares)")
    args = parser.parse_args(argv)
    failed = False
    if not args.paths:
        course = Course.find()
        args.paths = [course.root / path for path in course.notebook_twins()]
    for path in args.paths:
        if path.suffix != ".py" or not path.exists():
            print(f"{path}: expected an existing percent-format .py file", file=sys.stderr)
            failed = True
        elif args.command == "build":
            print(f"{path}: executed in {build(path):.1f} s", flush=True)
        else:
            problems = check_pair(path)
            failed |= bool(problems)
            print("\n".join(problems) if problems else f"{path}: twins agree")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
