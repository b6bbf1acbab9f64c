"""hub/classroom.py without a hub: who gets created, what is refused before anything changes, and
what clean removes. No users are made here (the end-to-end test in test_classroom.py makes them)."""
import json
import os
import subprocess

import pytest

from hub import classroom as rooms


@pytest.fixture
def room(tmp_path):
    return rooms.Classroom(tmp_path / "hub", prefix="zz-", students=2)


def test_names_and_folders_follow_the_prefix_and_the_count(room):
    assert room.users == ["zz-instructor", "zz-student1", "zz-student2"]
    assert room.course == room.folder / "home" / "zz-instructor" / rooms.COURSE_FOLDER
    assert room.exchange == room.folder / "exchange"


@pytest.mark.parametrize("setting, ci, container, expected", [
    ("1", "", False, True), ("0", "1", True, False), ("", "true", False, True), ("", "", True, True),
    ("", "", False, False)])
def test_users_are_created_only_when_told_or_in_ci_and_containers(monkeypatch, setting, ci, container, expected):
    monkeypatch.setenv("HUB_CREATE_USERS", setting)
    monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(rooms.Path, "exists", lambda self: container if str(self) in
                        ("/.dockerenv", "/run/.containerenv") else os.path.exists(self))
    assert rooms.default_create_users() is expected


def test_without_root_it_refuses_and_says_why(room, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(rooms.Refused, match="needs root"):
        rooms.check_can_set_up(room, create_users=True)
    assert not room.folder.exists()


def test_it_creates_no_user_unless_told(room, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(rooms, "_user_exists", lambda name: False)
    with pytest.raises(rooms.Refused, match="HUB_CREATE_USERS=1 make hub") as refused:
        rooms.check_can_set_up(room, create_users=False)
    assert "zz-student2" in str(refused.value) and "\n" not in str(refused.value)
    assert not room.folder.exists()


def test_it_never_takes_over_an_existing_user(room, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(rooms, "_user_exists", lambda name: name == "zz-student1")
    with pytest.raises(rooms.Refused, match="zz-student1 already exist and were not created by make hub"):
        rooms.check_can_set_up(room, create_users=True)


def test_the_course_copy_is_the_repository_without_environment_build_or_grades():
    files = rooms.course_files()
    assert "course.toml" in files and "solutions/a1_recurrence_and_gradients/a1_recurrence_and_gradients.ipynb" in files
    assert not [f for f in files if f.split("/")[0] in (".venv", "build", "node_modules", ".git", "submitted",
                                                         "autograded", "grading") or f == "gradebook.db"]


def test_the_formgrader_is_the_instructors_only(room):
    assert f"c.CourseDirectory.root = {str(room.course)!r}" in rooms.nbgrader_settings(room, room.instructor)
    student = rooms.nbgrader_settings(room, "zz-student1")
    assert "CourseDirectory.root" not in student and f"c.Exchange.root = {str(room.exchange)!r}" in student
    assert rooms.STUDENT_SERVER_CONFIG["ServerApp"]["jpserver_extensions"] == {
        "nbgrader.server_extensions.formgrader": False}
    assert set(rooms.STUDENT_LAB_CONFIG["disabledExtensions"]) == {"@jupyter/nbgrader:formgrader",
                                                                   "@jupyter/nbgrader:create-assignment"}


def test_clean_removes_exactly_what_was_recorded_and_restores_modes(room, tmp_path, monkeypatch):
    room.folder.mkdir()
    (room.folder / rooms.CREATED_USERS).write_text("zz-instructor\nzz-student1\n")
    opened = tmp_path / "opened"
    opened.mkdir(mode=0o700)
    os.chmod(opened, 0o701)  # as open_the_way leaves a folder
    (room.folder / rooms.CHANGED_MODES).write_text(json.dumps({str(opened): 0o700}))
    commands = []
    monkeypatch.setattr(rooms, "_user_exists", lambda name: True)
    monkeypatch.setattr(rooms.subprocess, "run", lambda command, **kwargs: commands.append(command)
                        or subprocess.CompletedProcess(command, 0, "", ""))
    assert rooms.clean(room) == ["zz-instructor", "zz-student1"]
    assert [c for c in commands if c[0] == "userdel"] == [["userdel", "zz-instructor"], ["userdel", "zz-student1"]]
    assert not room.folder.exists() and oct(opened.stat().st_mode & 0o777) == oct(0o700)


@pytest.mark.parametrize("argv, environment", [
    (["start", "--students", "0"], {}), (["start", "--port", "70000"], {}), (["clean"], {"HUB_STUDENTS": "many"})])
def test_a_bad_count_or_port_is_refused_with_one_line(argv, environment, monkeypatch, capsys):
    from hub.__main__ import main

    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    error = capsys.readouterr().err.strip().splitlines()
    assert stopped.value.code == 2 and "must be a whole number" in error[-1]
