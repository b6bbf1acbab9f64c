import os
import re
import shutil

import pytest

from tests.helpers import COURSE

ROOT = COURSE.root
# Screenshots of the pages open when a browser test fails; CI keeps this folder as an artifact.
ARTIFACTS = ROOT / "build" / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# As root in a container chromium needs --no-sandbox; the rest stop it calling Google's servers,
# which a closed network refuses noisily.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
_skipped_for_no_browser = []
SKIPPED_FOR_NO_ROOT = []  # tests/hub appends here when it cannot create the classroom's local users


def pytest_configure(config):
    """One torch thread for every test, as in the lectures: fast and repeatable under load."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, driven by playwright (whose own browser download is not available here).

    Without chromium the test is skipped, and the run's summary says so loudly; where
    REQUIRE_BROWSER_TESTS=1 (CI sets it) a missing browser is a failure instead.
    """
    if CHROMIUM is None:
        if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
            pytest.fail("REQUIRE_BROWSER_TESTS=1 but chromium is not installed (apt-get install -y chromium)")
        _skipped_for_no_browser.append(1)
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the test item, so fixtures can tell that the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def open_page(request, browser):
    """``open_page(width=1280, height=800)`` -> a new page whose console errors are collected.

    ``page.console_errors`` lists console errors and uncaught exceptions. If the test fails, every
    page it opened is saved as a screenshot in build/test-artifacts/ before it is closed.
    """
    pages = []

    def open_(width=1280, height=800):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(f"{m.text} ({m.location})"))
        page.on("pageerror", lambda e: page.console_errors.append(f"uncaught: {e}"))
        pages.append(page)
        return page

    yield open_
    report = getattr(request.node, "report_call", None)
    failed = report is None or report.failed
    for number, page in enumerate(pages):
        if failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
            try:
                page.screenshot(path=str(ARTIFACTS / f"{name}-{number}.png"), full_page=True)
            except Exception as error:  # a crashed page still must not hide the test's own failure
                print(f"could not save a screenshot of page {number}: {error}")
        page.close()


def pytest_terminal_summary(terminalreporter):
    if _skipped_for_no_browser:
        terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED: chromium is not installed", red=True, bold=True)
        terminalreporter.write_line("Install it (apt-get install -y chromium) to run the site, JupyterLab, Validate "
                                    "and formgrader tests; CI always runs them.")
    if SKIPPED_FOR_NO_ROOT:
        terminalreporter.write_sep("!", "HUB TEST SKIPPED: it needs root", red=True, bold=True)
        terminalreporter.write_line("The classroom test creates a local user per person, as make hub does; run make "
                                    "test as root in a container or VM to run it. CI always runs it.")


def pytest_collection_modifyitems(config, items):
    """Markers that follow from what a test uses, so they cannot be forgotten: ``browser`` for every
    test that opens chromium, and a skip with its reason for ``root`` tests where the root grading
    sandbox cannot be had (anything less would test a weaker sandbox than instructors get)."""
    root_sandbox = None
    for item in items:
        if {"browser", "open_page"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("root"):
            if root_sandbox is None:
                from autograder import sandbox

                root_sandbox = sandbox.isolation_mode() == "root"
            if not root_sandbox:
                item.add_marker(pytest.mark.skip(reason="needs root and unshare for the grading sandbox"))
