"""Generate the student and solution versions of each assignment from its one nbgrader source notebook.

- release: ``nbgrader generate_assignment`` (through ``NbGraderAPI``) writes ``assignments/release/<name>/`` and
  records the assignment, its cells and their points in the gradebook.
- solutions: ``solutions/<name>/`` holds the source notebook made fit to publish: nbgrader's own preprocessors lock the
  read-only cells and remove outputs, hidden tests and mark schemes, then the ``### BEGIN/END SOLUTION`` marker lines are
  removed and the solution code stays in place. (``nbgrader generate_solution`` keeps the hidden tests and the markers.)
  The cells keep their nbgrader metadata, so a solution notebook can itself be submitted and autograded.

Both are written only by :func:`generate` (``nn-course generate``) and never edited by hand.
"""
import shutil
from pathlib import Path

import nbformat

from .course import (CourseError, check_assignment, course_path, course_root, list_assignments, load_config,
                     nbgrader_api, run_nbgrader)

SOLUTIONS_DIR = "solutions"

SOLUTION_HEADER = (
    "**Solutions.** This notebook is generated from `assignments/source/{name}/` by `nn-course generate`; "
    "do not edit it by hand.\n"
    "The solution code is in place of each `# YOUR CODE HERE`, and the model answers are where the assignment says "
    "`YOUR ANSWER HERE`."
)
HEADER_CELL_ID = "solution-header"


def _solution_delimiters(config):
    """The ``BEGIN SOLUTION`` / ``END SOLUTION`` markers, as configured for nbgrader's ``ClearSolutions``."""
    from nbgrader.preprocessors import ClearSolutions

    clear = ClearSolutions(config=config)
    return clear.begin_solution_delimeter, clear.end_solution_delimeter


def make_solution(nb, name, config=None):
    """Return the published solution version of the source notebook ``nb`` (a new notebook; ``nb`` is unchanged).

    nb: an nbformat NotebookNode, the nbgrader source notebook of assignment ``name``.
    config: the course's traitlets Config (nbgrader's delimiters and preprocessor options), or None for defaults.
    """
    from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, ClearOutput, LockCells
    from traitlets.config import Config

    config = config if config is not None else Config()
    nb = nbformat.from_dict(nb)  # a deep copy
    resources = {}
    for preprocessor in (LockCells, ClearOutput, ClearHiddenTests, ClearMarkScheme):
        nb, resources = preprocessor(config=config).preprocess(nb, resources)
    begin, end = _solution_delimiters(config)
    for cell in nb.cells:
        lines = cell.source.split("\n")
        kept = [line for line in lines if begin not in line and end not in line]
        if len(kept) != len(lines):
            cell.source = "\n".join(kept)
    header = nbformat.v4.new_markdown_cell(SOLUTION_HEADER.format(name=name))
    header.id = HEADER_CELL_ID
    nb.cells.insert(0, header)
    nb.metadata.pop("celltoolbar", None)
    return nb


def solutions_path(course_dir="."):
    """The folder of the published solutions, ``solutions/`` at the course root."""
    return course_root(course_dir) / SOLUTIONS_DIR


def source_notebooks(name, course_dir="."):
    """Paths of the source notebooks of assignment ``name`` (sorted)."""
    folder = course_path("source", course_dir) / name
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        raise CourseError(f"assignment {name!r} has no notebook in {folder}")
    return notebooks


def generate_solution(name, course_dir="."):
    """Write ``solutions/<name>/<notebook>.ipynb`` for every source notebook of ``name``; return their paths."""
    config = load_config(course_dir)
    out_dir = solutions_path(course_dir) / name
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    written = []
    for path in source_notebooks(name, course_dir):
        solution = make_solution(nbformat.read(path, as_version=4), name, config)
        nbformat.validate(solution)
        target = out_dir / path.name
        nbformat.write(solution, target)
        written.append(target)
    return written


def generate_release(name, course_dir=".", api=None):
    """Run nbgrader's ``generate_assignment`` for ``name``; return the paths of the release notebooks."""
    api = api or nbgrader_api(course_dir)
    run_nbgrader(api.generate_assignment(name, force=True, create=True), f"generate the release of {name!r}")
    root = Path(api.coursedir.root)
    return sorted((root / api.coursedir.release_directory / name).glob("*.ipynb"))


def generate(assignments=None, course_dir=".", *, release=True, solutions=True):
    """Generate the release and/or solution versions of ``assignments`` (default: all of the course).

    Returns a dict ``{name: [written notebook paths]}``.
    """
    names = list(assignments) if assignments else list_assignments(course_dir)
    if not names:
        raise CourseError(f"no assignment sources found under {course_path('source', course_dir)}")
    for name in names:
        check_assignment(name, course_dir)
    api = nbgrader_api(course_dir) if release else None
    written = {}
    for name in names:
        paths = []
        if release:
            paths += generate_release(name, course_dir, api=api)
        if solutions:
            paths += generate_solution(name, course_dir)
        written[name] = paths
    return written
