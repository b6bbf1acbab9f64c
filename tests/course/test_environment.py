"""One source of truth for versions: requirements.in -> requirements.txt (lock) <- environment.yml."""
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from tests.helpers import COURSE

ROOT = COURSE.root
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.!+\-]+)$")
# The versions the course promises; the issue tracker and the README name them.
REQUIRED = {"torch": "2.13.0", "nbgrader": "0.9.6", "nbval": "0.11.0"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict:
    """{normalised name: version} of a requirements file; every line must be an exact pin."""
    pins = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        assert match, f"{path.name}:{number}: {raw!r} is not an exact 'name==version' pin"
        pins[normalise(match[1])] = match[2]
    return pins


# Binder has no GPU: the CPU build of torch, not the CUDA one PyPI serves on Linux.
CPU_TORCH = "--extra-index-url https://download.pytorch.org/whl/cpu"


def environment_yml_problems(text: str) -> list:
    """Ways in which an environment.yml fails to install exactly the lock on Python 3.11."""
    env = yaml.safe_load(text) or {}
    deps = env.get("dependencies") or []
    problems = []
    if "python=3.11" not in deps:
        problems.append("environment.yml must ask for python=3.11")
    if "pip" not in deps:
        problems.append("environment.yml must install pip")
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    if pip_sections != [[CPU_TORCH, "-r requirements.txt", "-e ."]]:
        problems.append(f"its pip section must be exactly [{CPU_TORCH!r}, '-r requirements.txt', '-e .'], "
                        f"got {pip_sections}")
    extra = [d for d in deps if isinstance(d, str) and d.split("=")[0] not in ("python", "pip")]
    if extra:
        problems.append(f"conda packages outside the lock would shadow its pins: {extra}")
    return problems


def test_every_line_of_the_lock_and_its_input_is_an_exact_pin():
    assert read_pins(ROOT / "requirements.txt")
    assert read_pins(ROOT / "requirements.in")


def test_the_lock_keeps_every_direct_pin():
    lock, direct = read_pins(ROOT / "requirements.txt"), read_pins(ROOT / "requirements.in")
    disagree = {name: (version, lock.get(name)) for name, version in direct.items() if lock.get(name) != version}
    assert not disagree, f"requirements.in and requirements.txt disagree (in, lock): {disagree}; run `make lock`"


def test_the_promised_versions_are_pinned():
    lock = read_pins(ROOT / "requirements.txt")
    for name, version in REQUIRED.items():
        assert lock.get(name) == version, f"{name} must be pinned to exactly {version}"
    assert lock["jupyterlab"].startswith("4.6."), "JupyterLab must be 4.6.x"
    for name in ("numpy", "matplotlib", "pytest", "jupytext"):
        assert name in lock


def test_environment_yml_installs_the_lock():
    assert environment_yml_problems((ROOT / "environment.yml").read_text()) == []


@pytest.mark.parametrize("broken", [
    f"dependencies: [python=3.12, pip, {{pip: [{CPU_TORCH}, -r requirements.txt, -e .]}}]",
    f"dependencies: [python=3.11, pip, {{pip: [{CPU_TORCH}, torch==2.13.0, -e .]}}]",
    f"dependencies: [python=3.11, pip, numpy, {{pip: [{CPU_TORCH}, -r requirements.txt, -e .]}}]",
    f"dependencies: [python=3.11, {{pip: [{CPU_TORCH}, -r requirements.txt, -e .]}}]",
    "dependencies: [python=3.11, pip, {pip: [-r requirements.txt, -e .]}]",
])
def test_a_disagreeing_environment_yml_is_caught(broken):
    assert environment_yml_problems(broken)


def test_the_running_environment_is_the_locked_one():
    """Catches a stale .venv: what is installed must be exactly what the lock says."""
    assert sys.version_info[:2] == (3, 11)
    wrong = {}
    for name, version in read_pins(ROOT / "requirements.txt").items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed is None or installed.split("+")[0] != version:
            wrong[name] = (version, installed)
    assert not wrong, f"installed versions differ from the lock (locked, installed): {wrong}"


def third_party_imports(folder: Path) -> set:
    """Top-level modules that the code in ``folder`` imports and the standard library does not hold."""
    import ast

    found = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"autograder", "coursetools", "r2a", "__main__"}


@pytest.mark.parametrize("folder", ["autograder", "coursetools"])
def test_the_tools_import_only_what_requirements_in_declares(folder):
    """Each module a tool imports comes from a distribution requirements.in names itself, not from
    something that happens to be pulled in by another package."""
    declared = set(read_pins(ROOT / "requirements.in"))
    providers = metadata.packages_distributions()
    for module in sorted(third_party_imports(ROOT / folder)):
        distributions = {normalise(d) for d in providers.get(module, [])}
        assert distributions & declared, f"{folder}/ imports {module} (from {distributions or 'nowhere'}), " \
                                         "which requirements.in does not declare"
