"""A self-study learner opens Lecture 1 in JupyterLab, runs every cell from the Run menu, and reads the plots.

Driven in Debian's chromium by playwright (the ``browser`` and ``open_page`` fixtures in conftest.py).
"""
import json
import os
import re
import sys
import types
import urllib.parse
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import expect

from tests.helpers.lab_server import TOKEN, fetch, free_port, isolated_env, lab_command, running
from tests.helpers import COURSE

ROOT = COURSE.root
LECTURE = "01_sequences_and_recurrence.ipynb"
VENV_BIN = Path(sys.executable).parent  # the course environment, which the tests and `make lab` run from
# every code cell's prompt, in the open notebook; evaluated in the page
PROMPTS_JS = "[...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab, started as `make lab` starts it, serving a copy of Lecture 1 from outside the repository.

    Outside the repository the kernel can import ``r2a`` only through the environment's editable install.
    """
    folder = tmp_path_factory.mktemp("learner")
    lecture = nbformat.read(str(ROOT / "lectures" / LECTURE), as_version=4)
    code = [cell for cell in lecture.cells if cell.cell_type == "code"]
    plots = sum("image/png" in output.get("data", {}) for cell in code for output in cell.outputs)
    # The committed notebook carries its outputs; cleared, every number and plot on the page comes from this run.
    for cell in code:
        cell.outputs, cell.execution_count = [], None
    nbformat.write(lecture, str(folder / LECTURE))
    port = free_port()
    command = lab_command(port, folder)
    # what `make lab` exports (course.toml): one BLAS thread, so the lecture's timing claims hold under load
    env = dict(isolated_env(folder / ".state"), **COURSE.environment)
    with running(command, port, folder, env) as base:
        yield types.SimpleNamespace(base=base, state=folder / ".state", code_cells=len(code), plots=plots)


def kernel_command(lab):
    """The command line of the notebook's kernel, found by the connection file the server wrote for it."""
    _, body = fetch(f"{lab.base}/api/kernels?token={TOKEN}")
    (kernel,) = json.loads(body)
    connection_file = str(lab.state / "runtime" / f"kernel-{kernel['id']}.json")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        except OSError:  # a process that ended while we looked
            continue
        if connection_file in argv:
            return argv
    raise AssertionError(f"no process runs kernel {kernel['id']}")


def kernel_status(page, status):
    """The status bar's kernel item, once it reads ``status`` ("Idle", "Busy")."""
    # Not the toolbar's execution indicator: that one says "idle" before any kernel exists.
    return page.locator(".jp-StatusBar-TextItem", has_text=f"Python 3 (ipykernel) | {status}")


def run_all_cells(page):
    """Run > Run All Cells, once the kernel is ready: what a learner clicks."""
    kernel_status(page, "Idle").wait_for(timeout=60_000)
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item:visible", has_text=re.compile(r"^Run All Cells$")).click()


def wait_until_run_ends(page, seconds):
    """Wait until the kernel has taken up the cells, then until none is queued or running ("[*]") any more.

    A cell that raises stops Run All and leaves the cells after it unnumbered, so an error ends the wait too.
    """
    page.wait_for_function(f"() => {PROMPTS_JS}.some(p => p.textContent.trim() !== '[ ]:')", timeout=30_000)
    page.wait_for_function(f"() => !{PROMPTS_JS}.some(p => p.textContent.includes('*'))",
                           timeout=seconds * 1000, polling=500)
    kernel_status(page, "Idle").wait_for(timeout=30_000)


@pytest.mark.slow
def test_a_learner_runs_lecture_1_from_top_to_bottom(lab, open_page):
    page = open_page(1400, 900)
    page.goto(f"{lab.base}/lab/workspaces/lecture/tree/{urllib.parse.quote(LECTURE)}?token={TOKEN}")
    notebook = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
    # cells are attached a few at a time; Run All pressed earlier would run only those already there
    expect(notebook.locator(".jp-CodeCell")).to_have_count(lab.code_cells, timeout=60_000)
    run_all_cells(page)
    wait_until_run_ends(page, seconds=60)

    # JupyterLab shows tracebacks and stderr alike with this mime type
    errors = notebook.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_text_contents()
    # textContent, not innerText: content-visibility leaves the cells scrolled out of view unrendered
    prompts = [p.strip() for p in notebook.locator(".jp-CodeCell .jp-InputPrompt").all_text_contents()]
    assert prompts == [f"[{n}]:" for n in range(1, lab.code_cells + 1)]
    images = notebook.locator(".jp-OutputArea-output img")
    assert images.count() == lab.plots > 0
    assert images.evaluate_all("imgs => imgs.every(img => img.complete && img.naturalWidth > 0)"), "a plot did not decode"
    assert page.console_errors == []
    # "python" in the kernel spec stands for the server's own interpreter: the environment's, which has r2a
    assert Path(kernel_command(lab)[0]).parent == VENV_BIN
