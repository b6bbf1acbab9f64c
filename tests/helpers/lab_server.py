"""Start a JupyterLab server for a test, wait until it answers, and always stop it afterwards."""
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

TOKEN = "course-test-token"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_command(port, root_dir):
    """JupyterLab from the course environment, serving ``root_dir`` on ``port``, with no browser of its own."""
    jupyter = os.path.join(os.path.dirname(sys.executable), "jupyter")
    return [jupyter, "lab", "--no-browser", f"--port={port}", f"--ServerApp.root_dir={root_dir}"] + (
        ["--allow-root"] if os.geteuid() == 0 else [])  # containers and CI often run as root


def fetch(url, data=None):
    with urllib.request.urlopen(url, data=data, timeout=30) as response:
        return response.status, response.read().decode()


def isolated_env(tmp_path):
    """Environment with the token set and Jupyter's per-user state kept inside tmp_path."""
    return dict(os.environ, JUPYTER_TOKEN=TOKEN, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
                JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
                JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))


@contextlib.contextmanager
def running(command, port, cwd, env, startup_seconds=90):
    """Run ``command`` (which serves Jupyter on ``port``) and yield its base URL once it answers."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            try:
                fetch(f"{base}/api/status?token={TOKEN}")
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"{command[0]} exited with {process.returncode} before serving")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"JupyterLab did not answer within {startup_seconds} s")
                time.sleep(0.5)
        yield base
    finally:
        stop(process)


def stop(process):
    """Stop the process and everything it started (its whole process group)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def press_validate(page):
    """Press nbgrader's Validate on the notebook open in ``page``; the text of its result dialog."""
    button = page.locator(".jp-NotebookPanel-toolbar .jp-ToolbarButton:visible", has_text="Validate")
    button.wait_for(timeout=120_000)
    button.click()
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")
    dialog.wait_for(timeout=180_000)
    return dialog.inner_text()
