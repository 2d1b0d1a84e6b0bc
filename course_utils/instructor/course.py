"""The course directory: its nbgrader configuration and a ready-to-use ``nbgrader.apps.NbGraderAPI``.

Every instructor command works on a *course directory*: the folder holding ``nbgrader_config.py`` (the repository
root for this course). Its layout is set by that file: ``assignments/source/<name>/``, ``assignments/release/<name>/``,
``submitted/<student>/<name>/``, ``autograded/...``, ``feedback/...`` and ``gradebook.db``.
"""
import os
import sys
from pathlib import Path

CONFIG_FILE = "nbgrader_config.py"


class CourseError(Exception):
    """A problem with the instructor's input (a missing folder, an unknown assignment, ...); the message says what to do."""


def ensure_tools_on_path():
    """Put the running interpreter's ``bin`` folder first on ``PATH``.

    nbgrader runs ``alembic`` as a subprocess to create or upgrade the gradebook; inside a virtual environment that has
    not been activated (e.g. ``.venv/bin/nn-course ...``) it would not be found otherwise.
    """
    bindir = os.path.dirname(sys.executable)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if not parts or parts[0] != bindir:
        os.environ["PATH"] = os.pathsep.join([bindir] + [p for p in parts if p and p != bindir])


def course_root(course_dir="."):
    """Return the absolute course directory, or raise ``CourseError`` if it has no ``nbgrader_config.py``."""
    root = Path(course_dir).expanduser().resolve()
    if not root.is_dir():
        raise CourseError(f"course directory {root} does not exist; pass the folder holding {CONFIG_FILE}")
    if not (root / CONFIG_FILE).is_file():
        raise CourseError(
            f"{root} has no {CONFIG_FILE}: run this command from the course root (the repository root) "
            f"or pass --course-dir PATH"
        )
    return root


def load_config(course_dir="."):
    """Load the course's ``nbgrader_config.py`` into a traitlets ``Config``, with the course root set to its folder."""
    from traitlets.config.loader import PyFileConfigLoader

    root = course_root(course_dir)
    config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return config


def coursedir(course_dir="."):
    """An ``nbgrader.coursedir.CourseDirectory`` for the course: folder names and gradebook URL, with nbgrader's defaults."""
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=load_config(course_dir))


def nbgrader_api(course_dir=".", config=None):
    """Return an ``nbgrader.apps.NbGraderAPI`` for the course in ``course_dir``.

    config: an optional ``traitlets.config.Config`` merged over the course's configuration.
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    ensure_tools_on_path()
    merged = load_config(course_dir)
    if config is not None:
        merged.merge(config)
    return NbGraderAPI(coursedir=CourseDirectory(config=merged), config=merged)


def course_path(step, course_dir="."):
    """The folder of one nbgrader step of the course, e.g. ``course_path("submitted")``; ``step`` is one of source,
    release, submitted, autograded, feedback."""
    cd = coursedir(course_dir)
    return Path(cd.root) / getattr(cd, f"{step}_directory")


def students_with(step, assignment, course_dir="."):
    """Sorted ids of the students with a ``<step>/<student>/<assignment>/`` folder, e.g. ``step="submitted"``."""
    return sorted(p.parent.name for p in course_path(step, course_dir).glob(f"*/{assignment}") if p.is_dir())


def list_assignments(course_dir="."):
    """Names of the assignments with a source folder, sorted."""
    folder = course_path("source", course_dir)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def check_assignment(name, course_dir="."):
    """Raise ``CourseError`` unless ``name`` is an assignment of the course."""
    known = list_assignments(course_dir)
    if name not in known:
        raise CourseError(
            f"unknown assignment {name!r}; the assignments of this course are: {', '.join(known) or '(none)'}"
        )


def run_nbgrader(result, what):
    """Raise ``CourseError`` with nbgrader's log if an ``NbGraderAPI`` call did not succeed, else return its log."""
    if not result.get("success", False):
        log = (result.get("log") or "").strip()
        error = (result.get("error") or "").strip()
        detail = "\n".join(x for x in (log[-3000:], error.splitlines()[-1] if error else "") if x)
        raise CourseError(f"nbgrader failed to {what}:\n{detail}")
    return result.get("log", "")
