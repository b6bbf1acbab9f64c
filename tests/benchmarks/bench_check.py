"""`make bench-check`: how long a learner waits for `python -m autograder check` (target: 3 s).

For each assignment, a fully answered notebook is checked five times, each a new command as a
learner runs it (the interpreter's start, the imports, the sandbox, every test); prints the
median and the slowest, and exits 1 when a median is over the target. Run it on a quiet machine.
Usage: python -m tests.benchmarks.bench_check [ASSIGNMENT ...]
"""
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from tests.benchmarks.bench_grade import machine
from tests.helpers import COURSE
from tests.helpers.assignment_harness import solved_student_version

TARGET_SECONDS = 3.0
RUNS = 5


def main(assignments):
    print(f"`autograder check` of a fully answered notebook, {RUNS} runs each, on {machine()}")
    over = []
    for assignment in assignments:
        with tempfile.TemporaryDirectory(prefix="bench-check-") as scratch:
            notebook = Path(scratch) / f"{assignment}.ipynb"
            nbformat.write(solved_student_version(assignment, COURSE.student_version(assignment)), str(notebook))
            seconds = []
            for _ in range(RUNS):
                started = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "autograder", "check", notebook], cwd=scratch,
                                      env=COURSE.tool_env(), capture_output=True, text=True)
                seconds.append(time.perf_counter() - started)
                if done.returncode != 0:
                    sys.exit(f"check of the solved {assignment} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        median = statistics.median(seconds)
        print(f"  {assignment:<32} median {median:5.2f} s, slowest {max(seconds):5.2f} s")
        if median > TARGET_SECONDS:
            over.append(assignment)
    if over:
        print(f"over the {TARGET_SECONDS:g} s target: {', '.join(over)}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or COURSE.assignment_ids))
