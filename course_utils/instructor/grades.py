"""Read grades back from nbgrader's gradebook, export them to CSV, and generate students' feedback.

The gradebook (``gradebook.db`` at the course root) is nbgrader's; these are thin wrappers over
``nbgrader.api.Gradebook``, nbgrader's ``CsvExportPlugin`` and ``NbGraderAPI.generate_feedback``.
"""
from pathlib import Path

from .course import (CourseError, check_assignment, coursedir, load_config, nbgrader_api, run_nbgrader,
                     student_folder, students_with)


def _gradebook(course_dir):
    from nbgrader.api import Gradebook

    cd = coursedir(course_dir)
    db_url = cd.db_url
    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///"):]).is_file():
        raise CourseError(f"no gradebook at {db_url[len('sqlite:///'):]}: run `nn-course generate` first")
    return Gradebook(db_url, course_id=cd.course_id)


def score_of(submission):
    """The scores of one ``nbgrader.api.SubmittedAssignment``, as every command reports them.

    score, max_score: nbgrader's totals (late penalty included); auto_score: the points of the autograded test cells;
    by_hand: the points of the cells still waiting for the instructor in formgrader (written answers, or a test cell
    nbgrader could not score), counted in max_score and not yet in score; needs_manual_grade: whether there are any.
    """
    grades = [grade for notebook in submission.notebooks for grade in notebook.grades]
    auto = sum(g.score for g in grades if g.cell.cell_type == "code" and g.score is not None)
    by_hand = sum(float(g.max_score) for g in grades if g.needs_manual_grade and g.manual_score is None)
    return {"score": float(submission.score), "max_score": float(submission.max_score), "auto_score": float(auto),
            "by_hand": float(by_hand), "needs_manual_grade": bool(submission.needs_manual_grade)}


def submission_scores(assignment, course_dir="."):
    """Scores of every submission of ``assignment`` in the gradebook.

    Returns a list of dicts, sorted by student: student and the keys of ``score_of``.
    """
    check_assignment(assignment, course_dir)
    from nbgrader.api import MissingEntry

    rows = []
    with _gradebook(course_dir) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(f"the gradebook has no assignment {assignment!r}: run `nn-course generate` first") from None
        rows = [{"student": submission.student.id, **score_of(submission)}
                for submission in gb.assignment_submissions(assignment)]
    return sorted(rows, key=lambda row: row["student"])


def export_grades(path="grades.csv", course_dir=".", assignments=None):
    """Write nbgrader's grade table (one row per assignment and student) to ``path`` with its ``CsvExportPlugin``.

    Columns: assignment, duedate, timestamp, student_id, last_name, first_name, email, raw_score,
    late_submission_penalty, score, max_score. A student without a submission gets 0. Returns the path.
    """
    from nbgrader.plugins import CsvExportPlugin

    for name in assignments or []:
        check_assignment(name, course_dir)
    path = Path(path).expanduser().resolve()
    if not path.parent.is_dir():
        raise CourseError(f"cannot write {path}: the folder {path.parent} does not exist")
    plugin = CsvExportPlugin(config=load_config(course_dir), to=str(path), assignment=list(assignments or []))
    with _gradebook(course_dir) as gb:
        plugin.export(gb)
    return path


def feedback_config():
    """What ``generate_feedback`` adds to the course's configuration: hidden tests stay hidden, HTML is sanitised."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades
    from traitlets.config import Config

    from .publish import HideHiddenTests

    config = Config()
    config.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
    config.HTMLExporter.sanitize_html = True
    return config


def generate_feedback(assignment, course_dir=".", students=None):
    """Write ``feedback/<student>/<assignment>/<notebook>.html`` for the autograded submissions of ``assignment``.

    students: list of ids (default: every autograded student). Returns the paths of the feedback files written.
    The feedback shows every test's result but not the code of the hidden tests, its HTML is sanitised, and only
    the HTML files are kept: anything else nbgrader would copy from ``autograded/`` (a link, a file a kernel wrote)
    is removed.
    """
    from .publish import math_to_mathml

    check_assignment(assignment, course_dir)
    api = nbgrader_api(course_dir, config=feedback_config())
    available = students_with("autograded", assignment, course_dir)
    if not available:
        raise CourseError(f"no autograded submission of {assignment!r}: run `nn-course autograde {assignment}` first")
    chosen = list(students) if students else available
    missing = sorted(set(chosen) - set(available))
    if missing:
        raise CourseError(f"not autograded yet for {assignment!r}: {', '.join(missing)}")
    folders = {student: student_folder("feedback", student, assignment, coursedir_=api.coursedir) for student in chosen}
    for student, folder in folders.items():
        run_nbgrader(api.generate_feedback(assignment, student), f"generate the feedback of {student} for {assignment!r}")
        _keep_only_html(folder)
        for page in folder.glob("*.html"):  # formulas drawn by the browser, offline too (not MathJax from a CDN)
            page.write_text(math_to_mathml(page.read_text(encoding="utf-8"))[0], encoding="utf-8")
    return sorted(p for folder in folders.values() for p in folder.glob("*.html"))


def _keep_only_html(folder):
    """Remove from a student's feedback folder everything that is not a regular ``.html`` file (links first)."""
    import os
    import shutil

    if not folder.is_dir() or folder.is_symlink():
        return
    for entry in folder.iterdir():
        if entry.is_symlink() or not entry.is_file() or entry.suffix != ".html":
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                os.unlink(entry)
