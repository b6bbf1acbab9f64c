"""`make bench-scale`: a generated class of 1,000 graded on this machine, then on a Dask cluster.

The class (classroom.py, seeded) is graded at 250, 500 and 1,000 submissions by `python -m
autograder grade` (one worker per core), each time with the grader's own memory (the parent
process: it collects, records and writes; the workers grade) sampled twice a second against its
progress (feedback pages written), to show that it stays flat and that the time grows in
proportion to the class. The 1,000 are then graded on a Dask `LocalCluster` of as many
single-threaded worker processes, and every row of grades.csv and items.csv must be identical.
Usage: python -m tests.benchmarks.bench_scale [ASSIGNMENT] [--sizes 250,500,1000]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.bench_grade import machine
from tests.helpers import COURSE
from tests.helpers.classroom import make_class


def memory_kib(pid, field):
    """VmRSS or VmHWM (peak) of a process, in KiB (None once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def grade(assignment, folder, course, out, extra=()):
    """Grade ``folder``; (seconds, [(pages written, RSS KiB)], peak RSS KiB) of the grading process."""
    from autograder.cli import register

    course.mkdir(parents=True)
    db = f"sqlite:///{course / 'gradebook.db'}"
    register(COURSE, assignment, db)  # not timed: nbgrader's release, once per course
    started = time.perf_counter()
    grader = subprocess.Popen([sys.executable, "-m", "autograder", "grade", assignment, folder, "--db", db,
                               "--course", course, "--out", out, *extra], cwd=COURSE.root, env=COURSE.tool_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    samples, peak = [], 0
    while grader.poll() is None:
        rss, hwm = memory_kib(grader.pid, "VmRSS"), memory_kib(grader.pid, "VmHWM")
        if rss:
            pages = len(list((out / "feedback").glob("*.html"))) if (out / "feedback").exists() else 0
            samples.append((pages, rss))
            peak = max(peak, hwm or 0)
        time.sleep(0.5)
    seconds = time.perf_counter() - started
    output = grader.stdout.read()
    if grader.returncode != 0:
        sys.exit(f"grading failed ({grader.returncode}):\n{output[-3000:]}")
    return seconds, samples, peak


def memory_by_progress(samples, total):
    """The parent's RSS (MiB) when a quarter, half, three quarters and all of the class was written."""
    marks = []
    for fraction in (0.25, 0.5, 0.75, 1.0):
        # (at 100%: the last sample, taken just before the grader ended, if none saw every page)
        after = [rss for pages, rss in samples if pages >= fraction * total] or [rss for _, rss in samples[-1:]]
        marks.append(f"{after[0] / 1024:.0f}" if after else "-")
    return marks


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_scale", description=__doc__.split("\n")[0])
    parser.add_argument("assignment", nargs="?", default="a1_recurrence_and_gradients")
    parser.add_argument("--sizes", default="250,500,1000")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")]
    scratch = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        make_class(args.assignment, scratch / "class", students=max(sizes), seed=2026)
        everyone = sorted((scratch / "class").iterdir())
        print(f"{args.assignment} on {machine()}")
        print(f"{'class':>6} {'seconds':>8} {'s/sub':>7} {'per min':>8} {'parent peak':>12}  parent RSS (MiB) at 25/50/75/100%")
        for size in sizes:
            folder = scratch / f"class-{size}"
            folder.mkdir()
            for student in everyone[:size]:
                shutil.copytree(student, folder / student.name)  # not a link: the grader follows none
            seconds, samples, peak = grade(args.assignment, folder, scratch / f"course-{size}", scratch / f"out-{size}")
            print(f"{size:>6} {seconds:8.1f} {seconds / size:7.3f} {60 * size / seconds:8.0f} {peak / 1024:9.0f} MiB  "
                  + " / ".join(memory_by_progress(samples, size)), flush=True)
        from distributed import LocalCluster

        size = max(sizes)
        with LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            seconds, _, peak = grade(args.assignment, scratch / f"class-{size}", scratch / "course-dask",
                                     scratch / "out-dask", ["--scheduler", cluster.scheduler_address])
        same = all((scratch / f"out-{size}" / name).read_bytes() == (scratch / "out-dask" / name).read_bytes()
                   for name in ("grades.csv", "items.csv", "choices.csv"))
        print(f"{size:>6} {seconds:8.1f} {seconds / size:7.3f} {60 * size / seconds:8.0f} {peak / 1024:9.0f} MiB  "
              f"on a Dask LocalCluster: grades.csv, items.csv and choices.csv "
              + ("identical to the local run's" if same else "DIFFER from the local run's"))
        return 0 if same else 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
