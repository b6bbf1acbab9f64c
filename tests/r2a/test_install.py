"""r2a installs on its own into a clean venv, as Colab installs it, and gives the lectures all they use.

Only ``pyproject.toml`` and ``r2a/`` (and a readme, if the project declares one) are copied to a
temporary folder, so nothing else of the repository can leak in: not the course tooling, not the
autograder, not an editable install. The venv has no system site packages. torch goes in first, at
the exact version of ``requirements.txt``, because that pin is a local CPU wheel here, while a
looser one lets pip fetch the CUDA build (gigabytes); numpy, matplotlib and everything pip pulls in
are held to ``requirements.txt`` with ``-c``.
"""
import ast
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import tomllib
from pathlib import Path

import pytest

from tests.helpers import COURSE

ROOT = COURSE.root
LOCK = ROOT / "requirements.txt"
DECLARED = {"numpy", "matplotlib", "torch"}  # all r2a may need: Colab has these three already
# Where the lectures' API is used: every r2a import of these files must work in the clean venv.
CALLERS = [ROOT / path for path in COURSE.notebook_twins()]
# Generous: this machine is shared; torch's wheel alone is a few hundred megabytes to unpack.
VENV_TIMEOUT, PIP_TIMEOUT, PROBE_TIMEOUT = 300, 900, 300
SCRATCH_BYTES = 4 * 2 ** 30  # the venv needs about 1 GiB; leave the machine the rest


# -- what r2a is, and what the lectures take from it, read from the sources with ast ---------------

def r2a_modules(package: Path) -> set:
    """Dotted names of the package and of every module in it, e.g. ``{"r2a", "r2a.data", ...}``."""
    return {"r2a"} | {f"r2a.{path.stem}" for path in package.glob("*.py") if path.stem != "__init__"}


def r2a_names_used(path: Path, modules: set) -> set:
    """``(module, name)`` pairs for every r2a name ``path`` imports or reads off an imported r2a module.

    ``from r2a.checks import changed_arguments`` gives ``("r2a.checks", "changed_arguments")``;
    ``from r2a import seq2seq`` then ``seq2seq.Seq2Seq(...)`` gives ``("r2a.seq2seq", "Seq2Seq")``;
    a module itself is ``(module, None)``. A name the file also assigns to is not followed, since
    it may no longer be the module by the time it is read.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    used, aliases = set(), {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "r2a" or alias.name.startswith("r2a."):
                    used.add((alias.name, None))
                    # `import r2a.data` binds r2a; `import r2a.data as d` binds d to the submodule.
                    aliases[alias.asname or "r2a"] = alias.name if alias.asname else "r2a"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and (node.module == "r2a" or node.module.startswith("r2a.")):
            used.add((node.module, None))
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                if dotted in modules:
                    used.add((dotted, None))
                    aliases[alias.asname or alias.name] = dotted
                else:
                    used.add((node.module, alias.name))
    rebound = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    rebound |= {node.arg for node in ast.walk(tree) if isinstance(node, ast.arg)}
    for node in ast.walk(tree):
        chain = attribute_chain(node)
        if chain and chain[0] in aliases and chain[0] not in rebound:
            used.add(first_name_in_module(aliases[chain[0]], chain[1:], modules))
    return used


def attribute_chain(node):
    """``["a", "b", "c"]`` for the expression ``a.b.c``; ``None`` for anything else."""
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    return [node.id, *reversed(names)] if isinstance(node, ast.Name) and names else None


def first_name_in_module(module, attributes, modules):
    """Walk ``attributes`` down through submodules; the first attribute that is no module is the name."""
    for attribute in attributes:
        if f"{module}.{attribute}" not in modules:
            return module, attribute
        module = f"{module}.{attribute}"
    return module, None


def third_party_imports(package: Path) -> set:
    """Top-level names of every absolute import in the package's source that is not the package itself."""
    imported = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    return imported - {"r2a"} - set(sys.stdlib_module_names)


def requirement_name(requirement: str) -> str:
    """The normalised project name of a Requires-Dist line (PEP 503): ``"Foo_Bar>=1; extra"`` -> ``"foo-bar"``."""
    name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement).group(0)
    return re.sub(r"[-_.]+", "-", name).lower()


# -- running the steps of the install ---------------------------------------------------------------

def clean_environment(tmp: Path) -> dict:
    """This process's environment without anything that would put the repository or its venv on a path.

    pip's own settings (PIP_*, the machine's pip.conf) stay: they point pip at the local wheels.
    """
    env = {key: value for key, value in os.environ.items()
           if key not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONNOUSERSITE"}}
    env["MPLCONFIGDIR"] = str(tmp / "matplotlib")  # the font cache of the fresh matplotlib, not the user's
    env["MPLBACKEND"] = "Agg"
    return env


def output_tail(stdout, stderr, lines=40):
    """The last ``lines`` lines of a step's output, where pip says why it failed."""
    text = "\n".join(part if isinstance(part, str) else part.decode(errors="replace")
                     for part in (stdout, stderr) if part)
    return "\n".join(text.splitlines()[-lines:])


def run_step(step, command, timeout, env, timings, input=None, cwd=None):
    """Run one step; on a non-zero exit or a timeout fail with the command and the tail of its output.

    The step gets a process group of its own, so a timeout ends pip's build subprocesses too.
    """
    start = time.monotonic()
    process = subprocess.Popen(command, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"{step}: no result after {timeout} s\n$ {shlex.join(command)}\n{output_tail(stdout, stderr)}")
    finally:
        timings[step] = time.monotonic() - start
    if process.returncode != 0:
        pytest.fail(f"{step} failed (exit {process.returncode})\n$ {shlex.join(command)}\n"
                    f"{output_tail(stdout, stderr)}")
    return stdout


# Runs inside the clean venv (python -I: no working directory or user site on sys.path). It only
# gathers facts, as JSON; the test judges them, so a failure message can show everything at once.
PROBE = textwrap.dedent('''
    import importlib, importlib.metadata, json, pkgutil, sys, traceback

    wanted = json.loads(sys.stdin.read())
    import r2a

    installed = sorted({"r2a"} | {f"r2a.{m.name}" for m in pkgutil.iter_modules(r2a.__path__)})
    import_errors, missing = {}, []
    for module in sorted(set(installed) | {module for module, _ in wanted["names"]}):
        try:
            importlib.import_module(module)
        except Exception:
            import_errors[module] = traceback.format_exc(limit=-3)
    for module, name in wanted["names"]:
        if name is not None and module not in import_errors and not hasattr(sys.modules[module], name):
            missing.append(f"{module}.{name}")
    distribution = importlib.metadata.distribution("r2a")
    top_level = sorted({f.parts[0] for f in distribution.files or []
                        if f.parts[0] != ".." and not f.parts[0].endswith(".dist-info")})
    providers = importlib.metadata.packages_distributions()
    print(json.dumps({
        "r2a_file": r2a.__file__,
        "installed_modules": installed,
        "import_errors": import_errors,
        "missing_names": missing,
        "top_level": top_level,
        "requires": distribution.requires or [],
        "providers": {name: providers.get(name, []) for name in wanted["third_party"]},
    }))
''')


@pytest.fixture
def workspace(tmp_path):
    """A temporary folder for the project and its venv (about a gigabyte, mostly torch), removed afterwards.

    It is in RAM (/dev/shm) when that has room: on a disk mounted with online discard, deleting
    torch's 20,000 files takes longer than installing them.
    """
    in_ram = Path("/dev/shm")
    if in_ram.is_dir() and os.access(in_ram, os.W_OK) and shutil.disk_usage(in_ram).free > SCRATCH_BYTES:
        folder = Path(tempfile.mkdtemp(prefix="r2a-install-", dir=in_ram))
    else:
        folder = tmp_path
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def copy_project(folder: Path) -> Path:
    """Copy what the distribution is built from, and nothing else, into ``folder/project``."""
    project = folder / "project"
    project.mkdir()
    shutil.copy2(ROOT / "pyproject.toml", project / "pyproject.toml")
    shutil.copytree(ROOT / "r2a", project / "r2a", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    readme = tomllib.loads((project / "pyproject.toml").read_text())["project"].get("readme")
    if isinstance(readme, str):  # a readme named in pyproject is part of the metadata; a table is not used here
        shutil.copy2(ROOT / readme, project / readme)
    return project


def install_into_clean_venv(project: Path, venv: Path, env: dict, timings: dict) -> str:
    """Create ``venv``, install torch, numpy, matplotlib and then the project; returns the venv's python."""
    run_step("create the venv", [sys.executable, "-m", "venv", str(venv)], VENV_TIMEOUT, env, timings)
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--no-input", "--progress-bar", "off", "-c", str(LOCK)]
    torch_pin = next(line for line in LOCK.read_text().splitlines() if line.startswith("torch=="))
    report = json.loads(run_step("resolve torch", [*pip, "--dry-run", "--no-deps", "--quiet", "--report", "-",
                                                   torch_pin], PIP_TIMEOUT, env, timings))
    assert report.get("install"), f"pip would install nothing for {torch_pin} in a fresh venv: {report}"
    torch_url = report["install"][0]["download_info"]["url"]
    if not torch_url.startswith("file:"):
        pytest.skip(f"{torch_pin} is no local wheel on this machine ({torch_url}); installing it would "
                    "download the CUDA build, gigabytes")
    run_step(f"install {torch_pin}", [*pip, torch_pin], PIP_TIMEOUT, env, timings)
    run_step("install numpy and matplotlib", [*pip, "numpy", "matplotlib"], PIP_TIMEOUT, env, timings)
    # Not editable: pip builds the copy into a wheel and installs that, as `pip install git+...` does on Colab.
    run_step("install the project", [*pip, str(project)], PIP_TIMEOUT, env, timings)
    run_step("pip check", [python, "-m", "pip", "check"], PIP_TIMEOUT, env, timings)
    return python


def install_problems(facts, venv, modules):
    """Every way the installed r2a falls short of what the lectures need and what Colab has."""
    problems = []
    if not Path(facts["r2a_file"]).is_relative_to(venv):
        problems.append(f"imported r2a from {facts['r2a_file']}, not from the venv")
    if facts["installed_modules"] != sorted(modules):
        problems.append(f"installed modules {facts['installed_modules']} are not the source's {sorted(modules)}")
    problems += [f"importing {module} fails in the clean venv:\n{error}"
                 for module, error in facts["import_errors"].items()]
    if facts["missing_names"]:
        problems.append(f"lectures or solutions use names the installed r2a lacks: {facts['missing_names']}")
    if facts["top_level"] != ["r2a"]:
        problems.append(f"the distribution installs more than the r2a package: {facts['top_level']}")
    if sorted(map(requirement_name, facts["requires"])) != sorted(DECLARED):
        problems.append(f"Requires-Dist is {facts['requires']}, not exactly {sorted(DECLARED)}")
    undeclared = {name: providers for name, providers in facts["providers"].items()
                  if not {requirement_name(p) for p in providers} & DECLARED}
    if undeclared:
        problems.append(f"r2a imports modules none of {sorted(DECLARED)} provides (module: distributions "
                        f"providing it in the venv): {undeclared}")
    return problems


@pytest.mark.slow
def test_r2a_installs_into_a_clean_venv_with_only_numpy_matplotlib_and_torch(workspace):
    project, venv, env, timings = copy_project(workspace), workspace / "venv", clean_environment(workspace), {}
    python = install_into_clean_venv(project, venv, env, timings)
    modules = r2a_modules(project / "r2a")
    wanted = {"names": sorted(set().union(*(r2a_names_used(path, modules) for path in CALLERS)), key=str),
              "third_party": sorted(third_party_imports(project / "r2a"))}
    facts = json.loads(run_step("import r2a in the venv", [python, "-I", "-c", PROBE], PROBE_TIMEOUT, env,
                                timings, input=json.dumps(wanted), cwd=workspace))
    print("install steps (s): " + ", ".join(f"{step} {seconds:.1f}" for step, seconds in timings.items()))
    problems = install_problems(facts, venv, modules)
    assert not problems, "\n\n".join(problems)


def test_the_scan_of_callers_follows_every_way_of_importing_r2a(tmp_path):
    """The install test is only as good as this scan, so it is checked on every form it must read."""
    caller = tmp_path / "caller.py"
    caller.write_text(textwrap.dedent("""
        import r2a
        import r2a.data as d
        from r2a import seq2seq, cmp
        from r2a.checks import changed_arguments as changed
        from r2a import plotting

        r2a.setup(seed=0)
        r2a.timing.best_time(print)
        seq2seq.Seq2Seq(4, 4).generate
        d.copy_task
        plotting = None  # rebound: plotting.anything below is no longer r2a's
        plotting.heatmap
    """))
    modules = {"r2a", "r2a.checks", "r2a.data", "r2a.plotting", "r2a.seq2seq", "r2a.timing"}
    assert r2a_names_used(caller, modules) == {
        ("r2a", None), ("r2a.data", None), ("r2a.seq2seq", None), ("r2a.checks", None), ("r2a.plotting", None),
        ("r2a", "cmp"), ("r2a.checks", "changed_arguments"), ("r2a", "setup"), ("r2a.timing", None),
        ("r2a.timing", "best_time"), ("r2a.seq2seq", "Seq2Seq"), ("r2a.data", "copy_task")}


def test_the_scan_finds_r2a_in_every_lecture_and_r2a_imports_only_its_declared_dependencies():
    modules = r2a_modules(ROOT / "r2a")
    lectures = [path for path in CALLERS if path.parent.name == "lectures"]
    assert lectures and all(r2a_names_used(path, modules) for path in lectures)
    # Their import names are their distribution names; the slow test checks the mapping in a venv.
    assert third_party_imports(ROOT / "r2a") <= DECLARED
