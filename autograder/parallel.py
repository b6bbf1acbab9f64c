"""Run ``grade_submission`` for a whole class: a local process pool, or a Dask cluster.

Results come back in whatever order workers finish; the caller records each one as it arrives
(one writer) and sorts at the end, so a parallel run gives exactly the grades of a sequential one.
A worker that dies takes no grade with it: the submissions it held are graded again in a fresh
pool, then one by one, and only one that kills its worker alone gets the ``error`` status.
"""
import concurrent.futures
import multiprocessing
import os
import select
import sys
import threading
import time

from autograder.pipeline import failed_result, grade_submission
from autograder.model import Status


def _die_with(grader_pid):
    """Run in each worker: exit as soon as the grader process is gone, however it died.

    A worker's parent is the pool's fork server, which itself lives as long as any worker does,
    so a parent-death signal cannot do this; a pidfd (or, without one, polling) of the grader can.
    Everything the worker started has a parent-death signal, so it all goes with the worker.
    """
    def watch():
        try:
            fd = os.pidfd_open(grader_pid)
            select.select([fd], [], [])
        except (AttributeError, OSError):
            while True:
                try:
                    os.kill(grader_pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-grader", daemon=True).start()


class Progress:
    """``[#####.....] 12/40 graded, 3.1 s each, 0:46 left`` on a terminal; a line per 10% otherwise."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.done, self.stream, self.started = total, 0, stream, time.monotonic()
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def step(self, student_id):
        self.done += 1
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done)
        filled = int(30 * self.done / max(self.total, 1))
        line = (f"[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} graded, "
                f"{elapsed / self.done:.1f} s each, {int(left) // 60}:{int(left) % 60:02d} left")
        if self.tty:
            self.stream.write("\r" + line + ("\n" if self.done == self.total else ""))
            self.stream.flush()
        elif self.done == self.total or self.done % max(1, self.total // 10) == 0:
            self.stream.write(line + "\n")


def grade_all(assignment, submissions, limits, workers=None, scheduler=None, on_result=None, progress=True):
    """Results for ``submissions`` in their order; ``on_result(result)`` runs as each one arrives."""
    bar = Progress(len(submissions)) if progress else None
    results = {}

    def arrived(index, result):
        results[index] = result
        if on_result:
            on_result(result)
        if bar:
            bar.step(result.student_id)

    if scheduler:
        _on_dask(scheduler, assignment, submissions, limits, arrived)
    elif workers == 1:
        for index, submission in enumerate(submissions):
            arrived(index, grade_submission(assignment, submission, limits))
    else:
        pending = list(range(len(submissions)))
        for attempt in range(3):  # the last attempt grades each remaining submission in a pool of its own
            batches = [pending] if attempt < 2 else [[i] for i in pending]
            pending = []
            for batch in filter(None, batches):
                pending += _on_pool(workers or os.cpu_count() or 1, assignment, submissions, batch, limits, arrived)
        for index in pending:
            arrived(index, failed_result(assignment, submissions[index], Status.ERROR,
                                         "the grading worker died while grading this notebook, three times; "
                                         "nothing was recorded for it (see the log)"))
    return [results[i] for i in range(len(submissions))]


def _start_worker(grader_pid, limits, preload):
    """Run in each worker as it starts: die with the grader, and start the test runner and the
    kernel template at once, so that their imports overlap the worker's own."""
    _die_with(grader_pid)
    from autograder import runner

    try:
        runner.start_early(limits, preload)
    except Exception:  # noqa: BLE001 - started again for the first notebook, whose result then says why
        pass


def _on_pool(workers, assignment, submissions, indices, limits, arrived):
    """Grade ``indices`` on a fresh process pool; the indices left unfinished when a worker died."""
    from autograder.kernel_template import modules_to_preload

    context = multiprocessing.get_context("forkserver")
    unfinished = set(indices)
    with concurrent.futures.ProcessPoolExecutor(min(workers, len(indices)), mp_context=context,
                                                initializer=_start_worker,
                                                initargs=(os.getpid(), limits, modules_to_preload(assignment.setup))) as pool:
        futures = {pool.submit(grade_submission, assignment, submissions[i], limits): i for i in indices}
        for future in concurrent.futures.as_completed(futures):
            index = futures[future]
            try:
                result = future.result()
            except concurrent.futures.process.BrokenProcessPool:
                continue  # graded again by the caller
            except Exception as error:  # noqa: BLE001 - e.g. a result that could not be sent back
                result = failed_result(assignment, submissions[index], Status.ERROR,
                                       f"the grader could not return this notebook's result ({type(error).__name__})")
            unfinished.discard(index)
            arrived(index, result)
    return sorted(unfinished)


def _on_dask(address, assignment, submissions, limits, arrived):
    from distributed import Client, as_completed

    with Client(address, timeout="30s") as client:
        futures = client.map(grade_submission, [assignment] * len(submissions), submissions,
                             [limits] * len(submissions), pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 - a lost Dask worker loses no grade silently
                result = failed_result(assignment, submissions[index[future.key]], Status.ERROR,
                                       f"the Dask worker failed on this notebook ({type(error).__name__}: {error})")
            arrived(index[future.key], result)
