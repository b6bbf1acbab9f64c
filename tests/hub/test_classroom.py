"""A class goes through the whole nbgrader cycle on the course's JupyterHub, in Chromium.

One instructor and three students, each a real local user made by the classroom setup that
``make hub`` runs (hub/classroom.py), with names of this run's own and a folder under build/ that
the test removes again, users included:

1. the instructor logs in, opens the formgrader, gives Assignment 1 a due date and releases it;
2. student 1 fetches it in Assignment List, fills it in, reads "Success" from Validate and submits it:
   every visible test passes, one hidden test does not;
3. the due date passes; student 2 then submits a partly right notebook; student 3 submits nothing;
4. the instructor collects, grades ``submitted/`` with ``python -m autograder grade`` (as root, as
   the sandbox needs), hand-grades a written answer in the formgrader, generates and releases feedback;
5. student 1 fetches the feedback: scores per test and the failure's message, no hidden test code;
6. the gradebook, the late penalty, the missing student and the LMS export are checked against what
   each step did. Each step's time is written to build/test-artifacts/hub-steps.json.

The formgrader is opened in a browser tab of its own: JupyterHub forbids framing a user's server
(``frame-ancestors 'none'``), and nbgrader's documentation advises a tab rather than weakening that.
"""
import csv
import datetime
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager

import nbformat
import pytest
from playwright.sync_api import expect

from autograder import assignment as assignments
from tests.conftest import ARTIFACTS, SKIPPED_FOR_NO_ROOT
from tests.helpers import COURSE
from tests.helpers.assignment_harness import answer_cells, isolated_score, source_notebook
from tests.helpers.assignment_variants import a1_recurrence_and_gradients as variants
from tests.helpers.autograder_corpus import PARTIAL, WRONG_RNN
from tests.helpers.classroom import student_notebook
from tests.helpers.lab_server import press_validate, stop

ASSIGNMENT = "a1_recurrence_and_gradients"
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
SOLUTIONS = answer_cells(source_notebook(ASSIGNMENT))
# Student 1's rnn_forward is right but changes the caller's X: the visible tests pass (Validate says
# "Success"), the hidden check that inputs are left alone does not.
CHANGES_X = variants.WRONG["rnn_forward"]["changes the caller's X after using it"]
STEPS = {}


@contextmanager
def step(name):
    started = time.monotonic()
    yield
    STEPS[name] = round(time.monotonic() - started, 1)


@pytest.fixture(scope="module")
def hub():
    """The classroom set up and its hub running, on ports and with user names of this run's own."""
    if os.geteuid() != 0:
        if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
            pytest.fail("REQUIRE_BROWSER_TESTS=1 but the hub test needs root (it creates local users)")
        SKIPPED_FOR_NO_ROOT.append(1)
        pytest.skip("the hub test needs root: it creates a local user per person, as make hub does")
    from hub import classroom as rooms

    token = secrets.token_hex(3)
    room = rooms.Classroom(COURSE.root / "build" / f"test-hub-{token}", prefix=f"t{token}-", students=3,
                           port=rooms.free_port())
    process, log = None, None
    try:
        with step("set up the classroom (users, course copy, gradebook roster, nbgrader generate)"):
            settings = rooms.set_up(room, create_users=True)
        with step("start the hub"):
            log = open(room.folder / "hub.log", "w")
            process = subprocess.Popen(rooms.hub_command(room), cwd=room.state, env=rooms.hub_env(room),
                                       stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            _wait_for(f"{room.url}/hub/login", process)
        yield room, settings
    finally:
        if process is not None:
            stop(process)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        if log is not None:
            log.close()
            shutil.copy(room.folder / "hub.log", ARTIFACTS / "hub.log")  # the hub's and the servers' logs
        (ARTIFACTS / "hub-steps.json").write_text(json.dumps(STEPS, indent=2))
        rooms.clean(room)


def _wait_for(url, process, seconds=60):
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the hub did not answer at {url}")
            time.sleep(0.3)


def log_in(open_page, room, settings, user):
    page = open_page(1400, 900)
    page.goto(f"{room.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", settings["password"])
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf".*/user/{re.escape(user)}/lab.*"), timeout=180_000)
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Nbgrader$")).wait_for(timeout=120_000)
    return page


def formgrader(page, room):
    page.goto(f"{room.url}/user/{room.instructor}/formgrader/manage_assignments")
    row = page.locator("tbody tr", has_text=ASSIGNMENT)
    row.wait_for(timeout=60_000)
    return row


def press(page, row, column):
    """Press a formgrader button of the assignment's row; returns the text of the dialog it opens."""
    row.locator(f"td.{column} a").click()
    dialog = page.locator(".modal:visible", has_text=re.compile("Success|Error"))
    dialog.wait_for(timeout=180_000)
    text = dialog.inner_text()
    dialog.locator("button", has_text=re.compile("^OK$|^Close$")).first.click()
    dialog.wait_for(state="hidden")
    return text


def set_due_date(page, row, when):
    row.locator("td.edit a").click()
    modal = page.locator("#edit-assignment-modal")
    modal.locator("input.modal-duedate").fill(when.strftime("%Y-%m-%dT%H:%M:%S"))
    modal.locator("input.modal-timezone").fill("UTC")
    modal.locator("button.save").click()
    modal.wait_for(state="hidden", timeout=60_000)


def assignment_list(page):
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Nbgrader$")).click()
    page.locator(".lm-Menu-item:visible", has_text=re.compile(r"^Assignment List$")).click()
    released = page.locator("#released_assignments_list")
    released.wait_for(timeout=60_000)
    return page


def click_in(page, where, button, appears):
    page.locator(f"{where} .list_item", has_text=ASSIGNMENT).locator("button", has_text=button).click()
    page.locator(appears).first.wait_for(timeout=120_000)


def contents(page, user, path, model=None):
    """GET (or PUT ``model``) through the Jupyter contents API of ``user``'s server, as the page."""
    return page.evaluate("""async ([url, model]) => {
        const xsrf = (document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || "";
        // JupyterHub asks cookie-authenticated API calls for the XSRF token, GETs included.
        const headers = {"Content-Type": "application/json", "X-XSRFToken": decodeURIComponent(xsrf)};
        const response = await fetch(url, model ? {method: "PUT", body: JSON.stringify(model), headers}
                                                : {headers});
        if (!response.ok) throw new Error(url + ": " + response.status);
        return response.json();
    }""", [f"/user/{user}/api/contents/{path}", model])


def fill_in(page, user, answers):
    notebook = student_notebook(ASSIGNMENT, answers)
    contents(page, user, NOTEBOOK, {"type": "notebook", "format": "json", "content": json.loads(nbformat.writes(notebook))})


def validate(page):
    page.goto(f"{page.url.split('/lab')[0]}/lab/tree/{NOTEBOOK}")
    text = press_validate(page)
    page.locator(".jp-Dialog button", has_text="OK").click()
    return text


def fetch_and_submit(page, user, answers):
    assignment_list(page)
    click_in(page, "#released_assignments_list", "Fetch", "#fetched_assignments_list .list_item")
    fill_in(page, user, answers)
    assignment_list(page)
    click_in(page, "#fetched_assignments_list", "Submit", "#submitted_assignments_list .list_item")


def run_grader(room, *args):
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=room.course,
                          env=COURSE.tool_env(), capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_a_class_goes_through_the_nbgrader_cycle_on_the_hub(hub, open_page):
    room, settings = hub
    one, two, three = room.student_ids
    manual = assignments.from_solutions(ASSIGNMENT).manual  # {grade_id: points} of the written answers
    assert manual, "Assignment 1 has written answers graded by hand"

    with step("1. instructor: log in, due date and release in the formgrader"):
        teacher = log_in(open_page, room, settings, room.instructor)
        row = formgrader(teacher, room)
        set_due_date(teacher, row, datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=7))
        released = press(teacher, row, "release")
    assert f"Successfully released '{ASSIGNMENT}'" in released
    assert (room.exchange / room.course_id / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
    assert row.locator("td.status").inner_text().strip() == "released"

    with step("2. student 1: fetch, fill in, Validate, submit"):
        first = log_in(open_page, room, settings, one)
        assignment_list(first)
        expect(first.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)).to_be_visible(timeout=60_000)
        click_in(first, "#released_assignments_list", "Fetch", "#fetched_assignments_list .list_item")
        fill_in(first, one, {**SOLUTIONS, "rnn_forward": CHANGES_X})
        validation = validate(first)
        assignment_list(first)
        click_in(first, "#fetched_assignments_list", "Submit", "#submitted_assignments_list .list_item")
    assert "Success! Your notebook passes all the tests." in validation, validation[:2000]

    with step("3. the due date passes; student 2 submits late, student 3 not at all"):
        due = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(seconds=1)
        set_due_date(teacher, formgrader(teacher, room), due)
        while datetime.datetime.now(datetime.timezone.utc) < due + datetime.timedelta(seconds=1):
            time.sleep(0.2)
        second = log_in(open_page, room, settings, two)
        fetch_and_submit(second, two, {**SOLUTIONS, "rnn_forward": WRONG_RNN})

    with step("4a. instructor: collect in the formgrader"):
        collected = press(teacher, formgrader(teacher, room), "collect")
    assert "Success" in collected
    submitted = room.course / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == [one, two]

    with step("4b. instructor: python -m autograder grade on submitted/"):
        graded = run_grader(room, "grade", ASSIGNMENT, "submitted")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert f"{three}: missing: no submission" in graded.stdout
    grades = {r["student_id"]: r for r in csv.DictReader(open(room.course / "grading" / ASSIGNMENT / "grades.csv"))}
    assert grades[three]["status"] == "missing"
    expected_one = sum(earned for earned, _ in isolated_score(ASSIGNMENT, {"rnn_forward": CHANGES_X}).values())
    assert float(grades[one]["score"]) == expected_one < float(grades[one]["max_score"])
    assert float(grades[two]["score"]) == PARTIAL
    # Everything the grader wrote as root belongs to the instructor, who goes on in the formgrader.
    owner = room.course.stat().st_uid
    assert {p.stat().st_uid for p in [room.course / "gradebook.db", *(room.course / "autograded").rglob("*")]} == {owner}

    written, points = next(iter(manual.items()))
    with step("4c. instructor: hand-grade a written answer in the formgrader"):
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{room.course / 'gradebook.db'}") as gradebook:
            notebook_id = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, one).id
        teacher.goto(f"{room.url}/user/{room.instructor}/formgrader/submissions/{notebook_id}/?index=0")
        score = teacher.locator(f"input.score#{written}")
        score.wait_for(timeout=60_000)
        score.fill(f"{points:g}")
        score.press("Tab")
        teacher.locator(f"#{written}-saved, .score-saved").first.wait_for(state="attached", timeout=60_000)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with Gradebook(f"sqlite:///{room.course / 'gradebook.db'}") as gradebook:
                grade = gradebook.find_grade(written, ASSIGNMENT, ASSIGNMENT, one)
                if grade.manual_score == points:
                    break
            time.sleep(0.5)
    assert grade.manual_score == points

    with step("4d. instructor: generate and release feedback in the formgrader"):
        row = formgrader(teacher, room)
        generated = press(teacher, row, "generate-feedback")
        released_feedback = press(teacher, row, "release-feedback")
    assert "Success" in generated and "Success" in released_feedback

    with step("5. student 1: fetch feedback"):
        first.goto(f"{room.url}/user/{one}/lab")
        assignment_list(first)
        click_in(first, "#submitted_assignments_list", "Fetch Feedback", "#submitted_assignments_list a:has-text('view feedback')")
        first.locator("#submitted_assignments_list a", has_text="view feedback").first.click()  # to its folder
        first.locator(".jp-DirListing-item", has_text=f"{ASSIGNMENT}.html").wait_for(timeout=60_000)
        [stamp] = [entry["name"] for entry in contents(first, one, f"{ASSIGNMENT}/feedback")["content"]]
        first.goto(f"{room.url}/user/{one}/files/{ASSIGNMENT}/feedback/{stamp}/{ASSIGNMENT}.html")
        page = first.content()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "hub-feedback.html").write_text(page)
    hidden = set().union(*(re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", c.source, re.S)
                           for c in source_notebook(ASSIGNMENT).cells if c.cell_type == "code"))
    hidden_lines = {line.strip() for block in hidden for line in block.splitlines() if len(line.strip()) > 12}
    assert hidden_lines, "Assignment 1 has hidden tests"
    shown = [line for line in hidden_lines if line in page]
    assert not shown, f"the feedback shows hidden test code: {shown[:3]}"
    assert "hidden tests" in page and "changed" in page.lower()  # the hidden check's message is there
    assert f"{expected_one + points:g} / " in page or f"{expected_one + points:.1f}" in page

    with step("6. gradebook and LMS export"):
        with Gradebook(f"sqlite:///{room.course / 'gradebook.db'}") as gradebook:
            on_time = gradebook.find_submission(ASSIGNMENT, one)
            late = gradebook.find_submission(ASSIGNMENT, two)
            scores = {one: (on_time.score, on_time.late_submission_penalty),
                      two: (late.score, late.late_submission_penalty)}
            assert [s.id for s in gradebook.students] == sorted(room.student_ids)
            assert not [s for s in gradebook.assignment_submissions(ASSIGNMENT) if s.student.id == three]
        exports = {}
        for layout in ("canvas", "moodle", "csv"):
            done = run_grader(room, "export", ASSIGNMENT, "--format", layout, "--out", f"/tmp/{room.prefix}{layout}.csv")
            assert done.returncode == 0, done.stderr
            assert f"no submission, exported as 0: {three}" in done.stdout
            exports[layout] = list(csv.reader(open(f"/tmp/{room.prefix}{layout}.csv")))
            os.unlink(f"/tmp/{room.prefix}{layout}.csv")
    assert scores[one] == (expected_one + points, 0.0)
    assert scores[two] == (PARTIAL, PARTIAL)  # nbgrader's "zero" policy: a late submission's points are its penalty
    canvas = {row[3]: float(row[5]) for row in exports["canvas"][2:]}
    moodle = {row[2]: float(row[4]) for row in exports["moodle"][1:]}
    assert canvas == moodle == {one: expected_one + points, two: 0.0, three: 0.0}
