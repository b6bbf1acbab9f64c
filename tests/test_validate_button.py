"""A student opens an assignment in JupyterLab, presses nbgrader's Validate, and reads the result.

Driven in Debian's chromium by playwright (no browser download). Without chromium the test is
skipped, except where REQUIRE_BROWSER_TESTS=1 (CI sets it), where a missing browser is a failure.
"""
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from assignment_harness import solved_student_version
from lab_server import TOKEN, free_port, isolated_env, running

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "a1_recurrence_and_gradients"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if CHROMIUM is None:
    if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
        raise RuntimeError("REQUIRE_BROWSER_TESTS=1 but chromium is not installed (apt-get install -y chromium)")
    pytest.skip("chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving two copies of the student notebook: as released, and with solutions filled in."""
    folder = tmp_path_factory.mktemp("student")
    released = ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    shutil.copy(released, folder / "released.ipynb")
    nbformat.write(solved_student_version(ASSIGNMENT, released), str(folder / "solved.ipynb"))
    port = free_port()
    command = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", f"--port={port}",
               f"--ServerApp.root_dir={folder}"] + (["--allow-root"] if os.geteuid() == 0 else [])
    with running(command, port, folder, isolated_env(folder / ".state")) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def validate(browser, base, notebook):
    """Open ``notebook``, press Validate, and return the text of the result dialog."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        # a workspace of its own per notebook, so no tab restored from an earlier page gets in the way
        page.goto(f"{base}/lab/workspaces/{Path(notebook).stem}/tree/{notebook}?token={TOKEN}")
        button = page.locator(".jp-NotebookPanel-toolbar .jp-ToolbarButton:visible", has_text="Validate")
        button.wait_for(timeout=90_000)
        button.click()
        dialog = page.locator(".jp-Dialog", has_text="Validation Results")
        dialog.wait_for(timeout=120_000)
        return dialog.inner_text()
    finally:
        page.close()


def test_validate_reports_the_failing_cells_of_an_unanswered_assignment(lab, browser):
    result = validate(browser, lab, "released.ipynb")
    assert "The following cell failed" in result
    assert "NotImplementedError" in result and "answer_q1" in result


def test_validate_passes_a_solved_assignment(lab, browser):
    result = validate(browser, lab, "solved.ipynb")
    assert "Success! Your notebook passes all the tests." in result, result[:2000]
