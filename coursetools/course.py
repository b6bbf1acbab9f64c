"""The course, as declared: ``course.toml`` (order, titles, goals, prerequisites, repository, the
deterministic environment) and ``nbgrader_config.py`` (the folders, read through nbgrader's own
``CourseDirectory``). Every tool asks this module; none walks up from its own file.

    from coursetools.course import Course
    course = Course.find()                  # the course holding the working directory
    course.lectures[0].notebook             # lectures/01_sequences_and_recurrence.py
    course.solution("a1_recurrence_and_gradients")   # solutions/a1_.../a1_....py
    subprocess.run([...], env=course.tool_env())     # deterministic, with the venv's bin on PATH

A course is found from the working directory upwards (as git finds its repository), or from the
``R2A_COURSE`` environment variable, which a tool started elsewhere may set.
"""
import dataclasses
import functools
import os
import sys
import tomllib
from pathlib import Path

DECLARATION = "course.toml"
NBGRADER_CONFIG = "nbgrader_config.py"


class CourseNotFound(LookupError):
    """No course.toml above the working directory (and no R2A_COURSE)."""


@dataclasses.dataclass(frozen=True)
class Lecture:
    number: int
    title: str
    notebook: Path          # the .py twin, relative to the course root
    argument: str           # the step of the course's argument it makes (markdown)
    goals: tuple            # "By the end of this lecture you can" (markdown, one per goal)

    @property
    def executed(self) -> Path:
        return self.notebook.with_suffix(".ipynb")


@dataclasses.dataclass(frozen=True)
class Assignment:
    id: str                 # nbgrader's assignment (and notebook) name
    number: int
    title: str
    needs: tuple            # numbers of the lectures it builds on
    estimate: str
    summary: str            # markdown

    @property
    def after_lecture(self) -> int:
        return max(self.needs, default=0)


class Course:
    def __init__(self, root):
        self.root = Path(root).resolve()
        path = self.root / DECLARATION
        try:
            with open(path, "rb") as file:
                declared = tomllib.load(file)
        except FileNotFoundError:
            raise CourseNotFound(f"{self.root} holds no {DECLARATION}") from None
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path}: {error}") from None
        self.title = declared["title"]
        self.repository = declared["repository"]
        self.environment = {str(k): str(v) for k, v in declared["environment"].items()}
        self.lectures = [Lecture(e["number"], e["title"], Path(e["notebook"]), e["argument"], tuple(e["goals"]))
                         for e in declared["lectures"]]
        self.assignments = [Assignment(e["id"], e["number"], e["title"], tuple(e["needs"]), e["estimate"],
                                       e["summary"]) for e in declared["assignments"]]

    @classmethod
    def find(cls, start=None) -> "Course":
        """The course holding ``start`` (default: $R2A_COURSE, else the working directory)."""
        where = Path(start or os.environ.get("R2A_COURSE") or Path.cwd()).resolve()
        for folder in (where, *where.parents):
            if (folder / DECLARATION).is_file():
                return cls(folder)
        raise CourseNotFound(f"no {DECLARATION} in {where} or above it: run this from inside the course "
                             "(a clone of its repository), or set R2A_COURSE to the course folder")

    # ---- folders, as nbgrader_config.py names them ---------------------------------------------

    @functools.cached_property
    def directory(self):
        """nbgrader's ``CourseDirectory`` configured from the course's nbgrader_config.py."""
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config import Config, PyFileConfigLoader

        config = Config()
        if (self.root / NBGRADER_CONFIG).is_file():
            config = PyFileConfigLoader(NBGRADER_CONFIG, path=str(self.root)).load_config()
        return CourseDirectory(config=config, root=str(self.root))

    @property
    def solutions(self) -> Path:
        """The instructor versions (nbgrader's source folder)."""
        return self.root / self.directory.source_directory

    @property
    def released(self) -> Path:
        """The student versions made by nbgrader (its release folder)."""
        return self.root / self.directory.release_directory

    def solution(self, assignment: str) -> Path:
        """The .py twin of an assignment's instructor version."""
        return self.solutions / assignment / f"{assignment}.py"

    def student_version(self, assignment: str) -> Path:
        return self.released / assignment / f"{assignment}.ipynb"

    def assignment(self, assignment_id: str) -> Assignment:
        for entry in self.assignments:
            if entry.id == assignment_id:
                return entry
        raise KeyError(assignment_id)

    @property
    def assignment_ids(self) -> list:
        return [a.id for a in self.assignments]

    def notebook_twins(self) -> list:
        """Every .py twin the course builds, lectures first, as paths relative to the root."""
        return [lecture.notebook for lecture in self.lectures] + [
            self.solution(a).relative_to(self.root) for a in self.assignment_ids]

    # ---- how tools run ------------------------------------------------------------------------------

    def tool_env(self, base=None) -> dict:
        """An environment for the course's tools: deterministic, and with this Python's bin first on
        PATH, because nbgrader shells out to ``alembic`` and Jupyter finds its kernels there."""
        env = dict(os.environ if base is None else base)
        env.update(self.environment)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        return env

    # ---- the links the README and the site give ----------------------------------------------------

    @property
    def github_path(self) -> str:
        """``owner/name`` of the repository, as Colab and Binder address it."""
        prefix = "https://github.com/"
        path = self.repository.removeprefix(prefix).removesuffix(".git").strip("/")
        if not self.repository.startswith(prefix) or path.count("/") != 1:
            raise ValueError(f"the repository in {DECLARATION} is not a GitHub URL: {self.repository}")
        return path

    @property
    def colab_requirement(self) -> str:
        """What Colab users install: the lectures' package, straight from the repository."""
        return f"r2a @ git+{self.repository}"

    @property
    def colab_install(self) -> str:
        """The exact line a Colab user runs (each lecture's first code cell runs it for them)."""
        return f'!pip install -q "{self.colab_requirement}"'
