"""The profile (``grade --profile``): every step timed, the runner's numbers kept only as numbers."""
import csv
import subprocess
import sys

import pytest

from autograder import timing
from autograder.model import Result, Status
from tests.helpers import COURSE
from tests.helpers.classroom import make_class


def test_the_breakdown_averages_each_step_over_the_timed_submissions():
    timed = [Result("a", Status.OK, "", timings={"tests": 0.25, "gradebook": 0.5}),
             Result("b", Status.OK, "", timings={"tests": 0.75}),
             Result("c", Status.MISSING, "")]  # never graded: not timed, not counted
    means = timing.per_submission(timed)
    assert means["tests"] == 0.5 and means["gradebook"] == 0.25 and set(means) == set(timing.STEPS)
    lines = timing.breakdown(timed, wall_seconds=3.0, workers=2, before=0.5)
    assert lines[0].startswith("where a submission's time goes (mean of 2 graded")
    assert any(line.split()[:2] == ["tests", "0.5000"] for line in lines)
    assert lines[-1] == "wall clock: 3.0 s for 3 submissions, 1.000 s each, on 2 workers"
    assert timing.breakdown([Result("c", Status.MISSING, "")], 1.0, 1) == \
        ["profile: no submission was graded, so nothing was timed"]


def test_a_stopwatch_adds_up_every_time_a_step_ran():
    watch = timing.Stopwatch()
    for _ in range(3):
        with watch.step("wire"):
            pass
    watch.add("wire", 1.0)
    assert 1.0 <= watch["wire"] < 1.1 and set(watch) == {"wire"}


@pytest.mark.root
@pytest.mark.slow
def test_grade_with_profile_times_every_step_of_every_submission(tmp_path):
    name = "a1_recurrence_and_gradients"
    make_class(name, tmp_path / "class", students=3, seed=5)
    (tmp_path / "course").mkdir()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", name, tmp_path / "class", "--profile",
                           "--course", tmp_path / "course", "--db", f"sqlite:///{tmp_path / 'course' / 'gb.db'}",
                           "--out", tmp_path / "out"], cwd=COURSE.root, env=COURSE.tool_env(),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "where a submission's time goes (mean of 3 graded" in done.stdout
    with open(tmp_path / "out" / "profile.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    steps = {(row["student_id"], row["step"]): float(row["seconds"]) for row in rows}
    for student in ("student-00", "student-01", "student-02"):
        for step in ("restore", "runner", "sandbox start", "wire", "tests", "scoring", "gradebook", "feedback"):
            assert steps[(student, step)] > 0, (student, step)
    assert sum(steps.get(("student-00", step), 0) for step in timing.STEPS) < 120
