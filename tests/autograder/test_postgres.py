"""The gradebook on PostgreSQL: `grade --db postgresql://...` against a throwaway local server.

Skipped when PostgreSQL's server programs are not installed, unless REQUIRE_POSTGRES=1 (set by
.ci/run, which installs them), where that is a failure.
"""
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.helpers.classroom import make_class
from tests.autograder.test_grade import A1, autograder, read_csv

INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


def as_postgres(command):
    """PostgreSQL refuses to run as root: use the `postgres` account then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def postgres_url():
    if not INITDB:
        message = "PostgreSQL server programs not installed (apt-get install postgresql)"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    bin_dir = os.path.dirname(INITDB[-1])
    data = Path(tempfile.mkdtemp(prefix="gradebook-postgres-"))  # pytest's tmp is private to root
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    subprocess.run(as_postgres([f"{bin_dir}/initdb", "-D", str(data / "db"), "-A", "trust", "-U", "postgres"]),
                   check=True, capture_output=True)
    options = f"-k {data} -c listen_addresses='' -p 5499"
    subprocess.run(as_postgres([f"{bin_dir}/pg_ctl", "-D", str(data / "db"), "-o", options, "-w", "start",
                                "-l", str(data / "log")]), check=True, capture_output=True)
    subprocess.run(as_postgres([f"{bin_dir}/createdb", "-h", str(data), "-p", "5499", "-U", "postgres",
                                "gradebook"]), check=True, capture_output=True)
    yield f"postgresql://postgres@/gradebook?host={data}&port=5499"
    subprocess.run(as_postgres([f"{bin_dir}/pg_ctl", "-D", str(data / "db"), "-m", "immediate", "stop"]),
                   capture_output=True)
    shutil.rmtree(data, ignore_errors=True)


@pytest.mark.root
@pytest.mark.slow
def test_grades_recorded_in_postgresql(postgres_url, tmp_path):
    from nbgrader.api import Gradebook

    make_class(A1, tmp_path / "class", students=6, seed=3)
    (tmp_path / "course").mkdir()  # the course folder must exist: a missing one is refused
    done = autograder("grade", A1, tmp_path / "class", "--db", postgres_url, "--course", tmp_path / "course",
                      "--out", tmp_path / "out", "--workers", 2)
    assert done.returncode == 0, done.stdout + done.stderr
    grades = {row["student_id"]: float(row["score"]) for row in read_csv(tmp_path / "out" / "grades.csv")}
    with Gradebook(postgres_url) as gradebook:
        recorded = {s.student.id: s.score for s in gradebook.assignment_submissions(A1)}
    assert recorded == grades and len(recorded) == 6
