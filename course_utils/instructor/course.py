"""The course directory: its nbgrader configuration and a ready-to-use ``nbgrader.apps.NbGraderAPI``.

Every instructor command works on a *course directory*: the folder holding ``nbgrader_config.py`` (the repository
root for this course). Its layout is set by that file: ``assignments/source/<name>/``, ``assignments/release/<name>/``,
``submitted/<student>/<name>/``, ``autograded/...``, ``feedback/...`` and ``gradebook.db``.
"""
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_FILE = "nbgrader_config.py"


class CourseError(Exception):
    """A problem with the instructor's input (a missing folder, an unknown assignment, ...); the message says what to do."""


@dataclass
class Report:
    """What a command did to a class, printable: ``problems`` lists ``(who, why)`` for what was left out, ``notes``
    lists ``(who, what)`` for what was done on purpose and should be known. Subclasses give ``lines()``."""

    problems: list = field(default_factory=list, kw_only=True)
    notes: list = field(default_factory=list, kw_only=True)

    def lines(self):
        """The headline and one line per student done (the subclass's part of ``str(report)``)."""
        raise NotImplementedError

    def __str__(self):
        lines = self.lines()
        for title, items in (("note(s)", self.notes), ("problem(s)", self.problems)):
            if items:
                lines.append(f"{len(items)} {title}:")
                lines += [f"  {who}: {what}" for who, what in items]
        return "\n".join(lines)


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
    """The nbgrader configuration of the course, loaded as ``nbgrader`` run in the course root loads it.

    First the user's and the system's ``nbgrader_config.py`` files (Jupyter's config path, e.g.
    ``~/.jupyter/nbgrader_config.py``; the first folder on the path wins), then the course's own file, which wins over
    all of them. The course root is set to its folder. Every ``nn-course`` command reads its settings here.
    """
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    root = course_root(course_dir)
    config = Config()
    for folder in [*jupyter_config_path()[::-1], str(root)]:
        if os.path.isfile(os.path.join(folder, CONFIG_FILE)):
            try:
                config.merge(PyFileConfigLoader(CONFIG_FILE, path=folder).load_config())
            except Exception as err:  # noqa: BLE001  any error in a config file is reported the same way
                which = "the course's configuration" if folder == str(root) else "a configuration Jupyter reads"
                raise CourseError(f"cannot read {os.path.join(folder, CONFIG_FILE)} ({which}): "
                                  f"{type(err).__name__}: {err}; fix that file") from None
    if "AutogradeApp" in config:  # nbgrader's own compatibility rule (AutogradeApp settings mean Autograde)
        config.Autograde.merge(config.AutogradeApp)
        del config.AutogradeApp
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


def student_folder(step, student, assignment, course_dir=".", *, coursedir_=None):
    """The folder of one student's ``assignment`` at ``step`` (e.g. "submitted"), where nbgrader reads and writes it:
    ``<step>/<student>/<assignment>`` unless the course changes nbgrader's ``directory_structure``. ``student`` is
    "." for the steps without students (source, release). coursedir_: an already loaded ``CourseDirectory``."""
    cd = coursedir_ if coursedir_ is not None else coursedir(course_dir)
    return Path(cd.format_path(getattr(cd, f"{step}_directory"), student, assignment))


def student_folders(step, assignment, course_dir=".", *, coursedir_=None):
    """``{student id: folder}`` of the students with a folder for ``assignment`` at ``step`` (e.g. "submitted").

    The folders are found with nbgrader's own ``CourseDirectory.format_path``, so a course that changes nbgrader's
    ``directory_structure`` is read right. coursedir_: an already loaded ``CourseDirectory`` (saves loading the config).
    """
    import glob
    import re

    cd = coursedir_ if coursedir_ is not None else coursedir(course_dir)
    folder = getattr(cd, f"{step}_directory")
    pattern = cd.format_path(folder, "*", assignment)
    regexp = cd.format_path(re.escape(folder), "(?P<student_id>[^/]+)", re.escape(assignment), escape=True)
    found = {}
    for path in glob.glob(pattern):
        match = re.fullmatch(regexp, path)
        if match and os.path.isdir(path):
            found[match.group("student_id")] = Path(path)
    return dict(sorted(found.items()))


def students_with(step, assignment, course_dir="."):
    """Sorted ids of the students with a ``<step>/<student>/<assignment>/`` folder, e.g. ``step="submitted"``."""
    return list(student_folders(step, assignment, course_dir))


def file_digests(root, skip=None):
    """SHA-256 of everything under ``root``: ``{relative path: hex digest}``, without the subtree ``skip``.

    A symbolic link is recorded by where it points (``"link:" + target``), never followed: a link that appears, goes or
    changes is seen, and a link to ``/dev/zero`` or to a huge file cannot make the hashing hang.
    """
    import hashlib

    root = os.fspath(root)
    skip = os.path.abspath(skip) if skip is not None else None
    digests = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if skip is not None and os.path.abspath(dirpath) == skip:
            dirnames[:] = []
            continue
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                digest = "link:" + os.readlink(path)
            elif os.path.isfile(path):
                h = hashlib.sha256()
                with open(path, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        h.update(block)
                digest = h.hexdigest()
            else:
                continue  # a fifo or a socket: nothing to read safely
            digests[os.path.relpath(path, root)] = digest
    return digests


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
