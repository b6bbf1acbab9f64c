"""`make lab` must honour PORT= and BROWSER=no, and serve JupyterLab with nbgrader enabled."""
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def dry_run(*args):
    return subprocess.run(["make", "-n", "lab", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_lab_passes_port_and_headless_flag():
    assert "--port=9123" in dry_run("PORT=9123", "BROWSER=no")
    assert "--no-browser" in dry_run("PORT=9123", "BROWSER=no")
    assert "--no-browser" not in dry_run()
    assert "--port=8888" in dry_run()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


@pytest.fixture
def lab_server(tmp_path):
    port, token = free_port(), "course-test-token"
    env = dict(os.environ, JUPYTER_TOKEN=token, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    process = subprocess.Popen(["make", "lab", "BROWSER=no", f"PORT={port}"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                fetch(f"{base}/api/status?token={token}")
                break
            except OSError:
                assert process.poll() is None, "make lab exited before serving"
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not answer within 60 s")
        yield base, token
    finally:
        stop(process)


def stop(process):
    """Stop make and the JupyterLab it started (the whole process group)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def test_make_lab_serves_jupyterlab_with_nbgrader(lab_server):
    base, token = lab_server
    status, page = fetch(f"{base}/lab?token={token}")
    assert status == 200 and "@jupyter/nbgrader" in page, "nbgrader's JupyterLab extension is not enabled"
    status, answer = fetch(f"{base}/nbgrader_version?version=0.9.6&token={token}")
    assert status == 200 and '"success": true' in answer, f"nbgrader server extension: {answer}"
    status, tree = fetch(f"{base}/api/contents/lectures?token={token}")
    assert "01_sequences_and_recurrence.ipynb" in tree, "JupyterLab should open at the course root"
