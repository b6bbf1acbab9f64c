"""Where one submission's grading time goes, step by step (``grade --profile``, ``make bench-grade --profile``).

Each step is timed where it runs: the parent (collecting, the gradebook, feedback), the worker
(restoring, scoring, the test runner's own cost) and the test runner inside its jail (the kernel's
start, the student's cells, the tests, the wire). The runner's numbers come back in its verdict,
so student code could make them up: they are for the profile only, never for a grade.
"""
import contextlib
import time

#: The steps, in the order a submission goes through them, with what each one counts.
STEPS = {
    "collect": "finding and reading the notebook (the parent; the class's total shared out)",
    "restore": "parsing it and restoring test and locked cells (the worker)",
    "worker start": "the worker's test runner and kernel template starting (once per worker: torch, numpy)",
    "runner": "forking the test runner, sending the plan, receiving and checking the verdict",
    "sandbox start": "starting each sandboxed kernel until it answers, and stopping it",
    "student cells": "the student's cells running in the kernel",
    "student calls": "the student's functions running in the kernel, called by the tests",
    "wire": "requests and replies between the tests and the kernel: encoding, framing, the pipe",
    "tests": "the test cells themselves, in the test runner (without their calls into the kernel)",
    "scoring": "scores from the outputs, sanitising and writing the autograded notebook",
    "gradebook": "recording it in nbgrader's gradebook and folders (the parent)",
    "feedback": "its feedback page, and its share of the CSV tables (the parent)",
}

#: The steps timed inside the test runner's jail, the only ones its verdict may report.
RUNNER_STEPS = ("sandbox start", "student cells", "student calls", "wire", "tests")


class Stopwatch(dict):
    """Seconds per step, added up over every time the step ran."""

    @contextlib.contextmanager
    def step(self, name):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)

    def add(self, name, seconds):
        self[name] = self.get(name, 0.0) + seconds


def checked(timings, steps=RUNNER_STEPS):
    """The runner's timings: only its own steps, as plain non-negative numbers (the rest left out)."""
    if not isinstance(timings, dict):
        return {}
    return {name: float(value) for name, value in timings.items()
            if name in steps and type(value) in (int, float) and 0 <= value < 1e6}


def per_submission(results):
    """{step: mean seconds per submission} over the graded results that were timed."""
    timed = [r.timings for r in results if r.timings]
    return {step: sum(t.get(step, 0.0) for t in timed) / len(timed) for step in STEPS} if timed else {}


def breakdown(results, wall_seconds, workers, before=0.0):
    """The profile as lines for a person: each step's mean seconds per submission and its share;
    ``before``: the seconds the run took before the first submission went to a worker."""
    means = per_submission(results)
    if not means:
        return ["profile: no submission was graded, so nothing was timed"]
    total = sum(means.values())
    lines = [f"where a submission's time goes (mean of {sum(1 for r in results if r.timings)} graded, "
             f"seconds of one process's time):",
             f"  {'step':<14} {'seconds':>8} {'share':>6}  what it counts"]
    lines += [f"  {step:<14} {means[step]:8.4f} {means[step] / total:6.1%}  {STEPS[step]}" for step in STEPS]
    lines.append(f"  {'total':<14} {total:8.4f}")
    lines.append(f"before grading: {before:.1f} s (collecting, the sandbox's probe, the lock, the gradebook)")
    lines.append(f"wall clock: {wall_seconds:.1f} s for {len(results)} submissions, "
                 f"{wall_seconds / max(len(results), 1):.3f} s each, on {workers} workers")
    return lines


def write_csv(path, results):
    """``student_id,step,seconds``, one row per timed step of every submission."""
    import csv

    with open(path, "w", newline="") as handle:
        rows = csv.writer(handle)
        rows.writerow(["student_id", "step", "seconds"])
        for result in sorted(results, key=lambda r: r.student_id):
            for step in STEPS:
                if step in result.timings:
                    rows.writerow([result.student_id, step, f"{result.timings[step]:.6f}"])
