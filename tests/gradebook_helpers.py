"""Reading and writing single grades of nbgrader's gradebook, for the tests (the course's commands need neither).

- ``cell_scores(assignment, student, course)``: ``{grade_id: points}`` of one submission, None where a written answer
  awaits grading;
- ``set_manual_score(assignment, student, grade_id, points, course)``: what the formgrader records when the instructor
  grades a written answer; returns the submission's new total.
"""
from nbgrader.api import Gradebook

from course_utils.instructor.course import coursedir


def _gradebook(course):
    cd = coursedir(course)
    return Gradebook(cd.db_url, course_id=cd.course_id)


def cell_scores(assignment, student, course):
    """Points of every graded cell of one submission: ``{grade_id: score}`` (None where a written answer awaits
    grading)."""
    with _gradebook(course) as gb:
        submission = gb.find_submission(assignment, student)
        return {
            grade.name: None if grade.auto_score is None and grade.manual_score is None else float(grade.score)
            for notebook in submission.notebooks for grade in notebook.grades
        }


def set_manual_score(assignment, student, grade_id, points, course):
    """Record the instructor's points for a written answer, as the formgrader does; returns the new total score."""
    with _gradebook(course) as gb:
        submission = gb.find_submission(assignment, student)
        notebook = next((nb.name for nb in submission.notebooks if grade_id in {g.name for g in nb.grades}), None)
        assert notebook is not None, f"{assignment!r} has no graded cell {grade_id!r}"
        grade = gb.find_grade(grade_id, notebook, assignment, student)
        assert points <= grade.max_score, f"{grade_id} is worth at most {grade.max_score:g} points, got {points:g}"
        grade.manual_score = float(points)
        grade.needs_manual_grade = False  # as the formgrader does once a grade is entered
        gb.db.commit()
        return float(gb.find_submission(assignment, student).score)
