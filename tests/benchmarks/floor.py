"""The floor of grading: a class's cells and tests run in one plain process, and nothing else.

For each submission: its notebook restored as the grader restores it (hidden tests back in; not
timed), then every code cell, the student's and the tests, run in order in a fresh namespace, as
one Jupyter kernel would run them, with the output captured and an exception ending only its cell.
No sandbox, no kernel, no wire, no gradebook, no feedback: no grader can be faster than this, so
`make bench-grade` reports the autograder's time as a multiple of it. numpy, matplotlib and torch
are imported before the clock starts (a grader imports them once per worker, too).
Usage: python -m tests.benchmarks.floor ASSIGNMENT FOLDER  (FOLDER: one folder per student)
Prints one JSON line: {"submissions": n, "seconds": total, "per_submission": mean}.
"""
import contextlib
import io
import json
import sys
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402,F401
import numpy  # noqa: E402,F401
import torch  # noqa: E402

from autograder import assignment as assignments, collect, restore  # noqa: E402


def code_cells(path, spec):
    student, _ = collect.parse(Path(path).read_bytes())
    notebook, _, _ = restore.restore(student, spec)
    return [(cell.source, f"cell {index}") for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]


def run_cells(cells):
    namespace = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            warnings.catch_warnings():
        warnings.simplefilter("always")
        for source, name in cells:
            try:
                exec(compile(source, name, "exec"), namespace)
            except Exception:  # noqa: BLE001 - a failing cell fails alone, as in a kernel
                pass
    matplotlib.pyplot.close("all")


def main(name, folder):
    torch.set_num_threads(1)
    spec = assignments.from_solutions(name)
    notebooks = sorted(Path(folder).glob(f"*/{name}.ipynb"))
    prepared = [code_cells(path, spec) for path in notebooks]
    started = time.perf_counter()
    for cells in prepared:
        run_cells(cells)
    seconds = time.perf_counter() - started
    print(json.dumps({"submissions": len(prepared), "seconds": seconds,
                      "per_submission": seconds / max(len(prepared), 1)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
