"""`make lab` must honour PORT= and BROWSER=no, and serve JupyterLab with nbgrader enabled."""
import subprocess

import pytest

from tests.helpers.lab_server import TOKEN, fetch, free_port, isolated_env, running
from tests.helpers import COURSE

ROOT = COURSE.root


def dry_run(*args):
    return subprocess.run(["make", "-n", "lab", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_lab_passes_port_and_headless_flag():
    assert "--port=9123" in dry_run("PORT=9123", "BROWSER=no")
    assert "--no-browser" in dry_run("PORT=9123", "BROWSER=no")
    assert "--no-browser" not in dry_run()
    assert "--port=8888" in dry_run()


@pytest.mark.slow
def test_make_lab_serves_jupyterlab_with_nbgrader(tmp_path):
    port = free_port()
    with running(["make", "lab", "BROWSER=no", f"PORT={port}"], port, ROOT, isolated_env(tmp_path)) as base:
        status, page = fetch(f"{base}/lab?token={TOKEN}")
        assert status == 200 and "@jupyter/nbgrader" in page, "nbgrader's JupyterLab extension is not enabled"
        status, answer = fetch(f"{base}/nbgrader_version?version=0.9.6&token={TOKEN}")
        assert status == 200 and '"success": true' in answer, f"nbgrader server extension: {answer}"
        status, tree = fetch(f"{base}/api/contents/lectures?token={TOKEN}")
        assert "01_sequences_and_recurrence.ipynb" in tree, "JupyterLab should open at the course root"
