"""The nn-course command and its modules: solution generation, importing submissions, and clear errors for bad input.

The full grading cycle on a simulated class is in test_assignments.py, every subcommand's help and error paths in
test_cli.py; these tests need no notebook execution.
"""
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_utils.instructor.cli import main
from course_utils.instructor.course import CourseError, ensure_tools_on_path, list_assignments
from course_utils.instructor.generate import make_solution
from course_utils.instructor.submissions import import_submissions


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------------------------------------------------------
# The command


def test_console_script_is_installed_and_lists_the_cycle():
    """`nn-course --help` runs from the environment's bin folder and names every step of the cycle."""
    script = Path(sys.executable).parent / "nn-course"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for command in ["generate", "import", "autograde", "feedback", "export", "list"]:
        assert command in result.stdout


def test_tools_folder_goes_first_on_path(monkeypatch):
    """nbgrader runs `alembic`: the interpreter's bin folder is put first on PATH, once."""
    bindir = os.path.dirname(sys.executable)
    monkeypatch.setenv("PATH", os.pathsep.join(["/usr/bin", bindir, "/bin"]))
    ensure_tools_on_path()
    ensure_tools_on_path()
    assert os.environ["PATH"].split(os.pathsep) == [bindir, "/usr/bin", "/bin"]


def test_list_names_the_five_assignments(course, capsys):
    code, out, _ = _run(capsys, "list", "--course-dir", str(course))
    assert code == 0
    assert list_assignments(course) == ["backprop_xor", "keras_mnist", "logistic_regression", "perceptron",
                                        "training_tricks"]
    assert "perceptron" in out and "submissions: 0" in out


def test_steps_out_of_order_say_what_to_run_first(course, capsys):
    code, _, err = _run(capsys, "export", "--course-dir", str(course), "--to", str(course / "g.csv"))
    assert code == 2 and "no gradebook" in err and "nn-course generate" in err
    code, _, err = _run(capsys, "feedback", "perceptron", "--course-dir", str(course))
    assert code == 2 and "nn-course autograde perceptron" in err


def test_generate_solutions_only(course, capsys):
    """`generate --solutions-only` writes solutions/<name>/<name>.ipynb without touching the gradebook."""
    code, out, _ = _run(capsys, "generate", "perceptron", "--solutions-only", "--course-dir", str(course))
    assert code == 0
    assert (course / "solutions" / "perceptron" / "perceptron.ipynb").is_file()
    assert not (course / "gradebook.db").exists() and not (course / "assignments" / "release").exists()
    assert "perceptron: wrote" in out


# ---------------------------------------------------------------------------------------------------------------------
# Solutions


def _source_notebook():
    nb = new_notebook(cells=[
        new_markdown_cell("# A title"),
        new_code_cell("def f(x):\n    \"\"\"Doc.\"\"\"\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                      metadata={"nbgrader": {"grade": False, "grade_id": "f", "locked": False, "schema_version": 3,
                                             "solution": True, "task": False}}),
        new_code_cell('"""f doubles."""\nassert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(5) == 10\n### END HIDDEN TESTS',
                      metadata={"nbgrader": {"grade": True, "grade_id": "test_f", "locked": True, "points": 1,
                                             "schema_version": 3, "solution": False, "task": False}}),
        new_markdown_cell("A model answer.",
                          metadata={"nbgrader": {"grade": True, "grade_id": "answer", "locked": False, "points": 2,
                                                 "schema_version": 3, "solution": True, "task": False}}),
    ])
    nb.cells[1].outputs = [new_output("stream", name="stdout", text="left over\n")]
    nb.cells[1].execution_count = 3
    return nb


def test_make_solution_keeps_the_code_and_drops_markers_hidden_tests_and_outputs():
    source = _source_notebook()
    before = nbformat.writes(source)
    solution = make_solution(source, "demo")
    assert nbformat.writes(source) == before, "the source notebook is not modified"
    header, title, code, tests, answer = solution.cells
    assert "nn-course generate" in header.source and "assignments/source/demo/" in header.source
    assert title.source == "# A title"
    assert code.source == 'def f(x):\n    """Doc."""\n    return 2 * x'
    assert code.outputs == [] and code.execution_count is None
    assert tests.source == '"""f doubles."""\nassert f(1) == 2'
    assert tests.metadata["editable"] is False and tests.metadata["deletable"] is False
    assert answer.source == "A model answer."
    assert code.metadata["nbgrader"]["grade_id"] == "f", "cells keep their nbgrader metadata (a solution can be graded)"
    nbformat.validate(solution)


def test_make_solution_refuses_a_hidden_test_outside_a_test_cell():
    source = _source_notebook()
    source.cells[0] = new_code_cell("### BEGIN HIDDEN TESTS\nx = 1\n### END HIDDEN TESTS")
    with pytest.raises(RuntimeError, match="Hidden test region detected in a non-grade cell"):
        make_solution(source, "demo")


# ---------------------------------------------------------------------------------------------------------------------
# Importing submissions


def _notebook_bytes(text="print(1)"):
    cell = new_code_cell(text)
    cell.id = "cell-1"  # fixed, so that equal texts give equal bytes
    return nbformat.writes(new_notebook(cells=[cell])).encode()


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def test_import_from_folders_and_zips_copies_submissions_unchanged(course, tmp_path, capsys):
    downloads = tmp_path / "downloads"
    (downloads / "alice" / "perceptron" / ".ipynb_checkpoints").mkdir(parents=True)
    (downloads / "alice" / "perceptron" / "perceptron.ipynb").write_bytes(_notebook_bytes("alice"))
    (downloads / "alice" / "perceptron" / "notes.txt").write_text("extra files come along")
    (downloads / "alice" / "perceptron" / ".ipynb_checkpoints" / "perceptron-checkpoint.ipynb").write_bytes(b"{}")
    (downloads / "alice" / "backprop_xor").mkdir()  # another assignment: ignored
    _zip(downloads / "bob.zip", {"perceptron/perceptron.ipynb": _notebook_bytes("bob"), "__MACOSX/._x.ipynb": b""})
    _zip(downloads / "carol.zip", {"carol-hw1/perceptron.ipynb": _notebook_bytes("carol")})  # one enclosing folder
    code, out, _ = _run(capsys, "import", "perceptron", str(downloads), "--course-dir", str(course))
    assert code == 0, out
    submitted = course / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["alice", "bob", "carol"]
    assert (submitted / "alice" / "perceptron" / "perceptron.ipynb").read_bytes() == _notebook_bytes("alice")
    assert (submitted / "alice" / "perceptron" / "notes.txt").is_file()
    assert not (submitted / "alice" / "perceptron" / ".ipynb_checkpoints").exists()
    assert (submitted / "bob" / "perceptron" / "perceptron.ipynb").read_bytes() == _notebook_bytes("bob")
    assert sorted(p.name for p in (submitted / "carol" / "perceptron").iterdir()) == ["perceptron.ipynb", "timestamp.txt"]
    assert (submitted / "bob" / "perceptron" / "timestamp.txt").read_text().endswith(" UTC")
    assert "imported 3 submission(s)" in out


SWAPPED_LAYOUT = "\nc.CourseDirectory.directory_structure = '{nbgrader_step}/{assignment_id}/{student_id}'\n"


def test_import_puts_submissions_where_the_courses_directory_structure_says(course, tmp_path, capsys):
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write(SWAPPED_LAYOUT)
    downloads = tmp_path / "downloads"
    (downloads / "alice" / "perceptron").mkdir(parents=True)
    (downloads / "alice" / "perceptron" / "perceptron.ipynb").write_bytes(_notebook_bytes("alice"))
    code, out, _ = _run(capsys, "import", "perceptron", str(downloads), "--course-dir", str(course))
    assert code == 0, out
    assert (course / "submitted" / "perceptron" / "alice" / "perceptron.ipynb").read_bytes() == _notebook_bytes("alice")
    assert not (course / "submitted" / "alice").exists()
    code, _, err = _run(capsys, "import", "perceptron", str(downloads), "--keep-existing", "--course-dir", str(course))
    assert code == 2 and f"already imported into {course / 'submitted' / 'perceptron' / 'alice'};" in err


def test_import_reports_each_bad_submission_and_imports_the_rest(course, tmp_path):
    downloads = tmp_path / "downloads"
    (downloads / "good" / "perceptron").mkdir(parents=True)
    (downloads / "good" / "perceptron" / "perceptron.ipynb").write_bytes(_notebook_bytes())
    (downloads / "empty" / "perceptron").mkdir(parents=True)
    (downloads / "bad name" / "perceptron").mkdir(parents=True)
    (downloads / "bad name" / "perceptron" / "perceptron.ipynb").write_bytes(_notebook_bytes())
    _zip(downloads / "nonotebook.zip", {"answers.txt": b"42"})
    (downloads / "corrupt.zip").write_bytes(b"this is not a zip")
    _zip(downloads / "scattered.zip", {"a/perceptron.ipynb": _notebook_bytes(), "b/other.ipynb": _notebook_bytes()})
    (downloads / "both" / "perceptron").mkdir(parents=True)
    (downloads / "both" / "perceptron" / "perceptron.ipynb").write_bytes(_notebook_bytes())
    _zip(downloads / "both.zip", {"perceptron.ipynb": _notebook_bytes()})
    report = import_submissions(downloads, "perceptron", course)
    assert list(report.imported) == ["good"]
    problems = dict(report.problems)
    assert "holds no notebook" in problems["empty"]
    assert "not a usable student id" in problems["bad name"]
    assert "the zip holds no notebook (.ipynb); it holds ['answers.txt']" in problems["nonotebook"]
    assert "not a valid zip archive" in problems["corrupt"]
    assert "several folders" in problems["scattered"]
    assert "both a folder and a zip" in problems["both"]
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["good"]


def test_import_exit_status_and_filters(course, tmp_path, capsys):
    downloads = tmp_path / "downloads"
    for student in ["ann", "ben"]:
        (downloads / student / "perceptron").mkdir(parents=True)
        (downloads / student / "perceptron" / "perceptron.ipynb").write_bytes(_notebook_bytes(student))
    _zip(downloads / "cid.zip", {"notes.md": b"no notebook"})
    code, out, _ = _run(capsys, "import", "perceptron", str(downloads), "--course-dir", str(course))
    assert code == 1, "some submissions could not be imported"
    assert "cid: the zip holds no notebook" in out
    (downloads / "ann" / "perceptron" / "perceptron.ipynb").write_bytes(_notebook_bytes("ann, second try"))
    with pytest.raises(CourseError) as exc:
        import_submissions(downloads, "perceptron", course, students=["ann", "zoe"], overwrite=False)
    assert "ann: already imported" in str(exc.value)
    assert "zoe: no zoe/perceptron/ folder or zoe.zip" in str(exc.value)
    report = import_submissions(downloads, "perceptron", course, students=["ann"])
    assert list(report.imported) == ["ann"] and not report.problems


def test_import_refuses_a_missing_or_empty_folder(course, tmp_path):
    with pytest.raises(CourseError, match="no folder"):
        import_submissions(tmp_path / "nowhere", "perceptron", course)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CourseError, match=r"expected <student>/perceptron/\*\.ipynb folders or <student>\.zip files"):
        import_submissions(tmp_path / "empty", "perceptron", course)


def test_import_replaces_an_earlier_import_unless_told_to_keep_it(course, tmp_path):
    downloads = tmp_path / "downloads"
    (downloads / "ann" / "perceptron").mkdir(parents=True)
    notebook = downloads / "ann" / "perceptron" / "perceptron.ipynb"
    notebook.write_bytes(_notebook_bytes("first"))
    import_submissions(downloads, "perceptron", course)
    notebook.write_bytes(_notebook_bytes("second"))
    with pytest.raises(CourseError, match="already imported"):
        import_submissions(downloads, "perceptron", course, overwrite=False)
    target = course / "submitted" / "ann" / "perceptron" / "perceptron.ipynb"
    assert target.read_bytes() == _notebook_bytes("first")
    import_submissions(downloads, "perceptron", course)
    assert target.read_bytes() == _notebook_bytes("second")


# ---------------------------------------------------------------------------------------------------------------------
# One configuration for every command


@pytest.mark.slow
def test_a_user_level_nbgrader_config_is_read_the_same_way_by_every_command(course, tmp_path, monkeypatch, capsys):
    """Settings in the instructor's own ``~/.jupyter/nbgrader_config.py`` (here: where the gradebook, the autograded
    notebooks and the feedback live) are seen by generate, autograde, feedback and export alike, since all of them
    load the configuration with ``course.load_config``; the course's file still wins where it sets something."""
    from course_utils.instructor.course import load_config
    from course_utils.instructor.generate import solutions_path

    user = tmp_path / "user_jupyter"
    user.mkdir()
    elsewhere = tmp_path / "elsewhere"
    (user / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{elsewhere / 'user_gradebook.db'}'\n"
        "c.CourseDirectory.autograded_directory = 'graded_by_user_config'\n"
        "c.CourseDirectory.feedback_directory = 'feedback_by_user_config'\n"
        "c.Execute.timeout = 7\n")  # the course's own file sets 120: the course wins
    elsewhere.mkdir()
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(user))
    config = load_config(course)
    assert config.CourseDirectory.autograded_directory == "graded_by_user_config"
    assert config.Execute.timeout == 120

    assert _run(capsys, "generate", "perceptron", "--course-dir", str(course))[0] == 0
    assert (elsewhere / "user_gradebook.db").is_file() and not (course / "gradebook.db").exists()
    solution = solutions_path(course) / "perceptron" / "perceptron.ipynb"
    (course / "submitted" / "alice" / "perceptron").mkdir(parents=True)
    nbformat.write(nbformat.read(solution, as_version=4), course / "submitted" / "alice" / "perceptron" / "perceptron.ipynb")
    code, out, err = _run(capsys, "autograde", "perceptron", "--course-dir", str(course), "--no-progress")
    assert code == 0, out + err
    assert (course / "graded_by_user_config" / "alice" / "perceptron" / "perceptron.ipynb").is_file()
    assert not (course / "autograded").exists()
    code, out, err = _run(capsys, "feedback", "perceptron", "--course-dir", str(course))
    assert code == 0, out + err
    assert (course / "feedback_by_user_config" / "alice" / "perceptron" / "perceptron.html").is_file()
    code, out, err = _run(capsys, "export", "--to", str(tmp_path / "grades.csv"), "--course-dir", str(course))
    assert code == 0, out + err
    assert "alice" in (tmp_path / "grades.csv").read_text()


# ---------------------------------------------------------------- the kernels' share of the cores when grading


def test_thread_variables_share_the_cores_among_the_kernels_running_at_once(monkeypatch):
    from course_utils.instructor.sandbox import THREAD_VARIABLES, thread_variables

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    assert thread_variables(4, environ={}) == {name: "4" for name in THREAD_VARIABLES}
    assert thread_variables(1, environ={}) == {name: "16" for name in THREAD_VARIABLES}
    assert thread_variables(5, environ={}) == {name: "3" for name in THREAD_VARIABLES}
    assert thread_variables(64, environ={}) == {name: "1" for name in THREAD_VARIABLES}  # at least one each
    # what the instructor (or Dask, which sets OMP_NUM_THREADS=1 in its workers) set is kept and followed
    assert thread_variables(4, environ={"OMP_NUM_THREADS": "1"}) == {
        "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1"}
    assert thread_variables(2, environ={"TF_NUM_INTRAOP_THREADS": "6"}) == {
        "OMP_NUM_THREADS": "8", "OPENBLAS_NUM_THREADS": "8", "MKL_NUM_THREADS": "8"}
    assert thread_variables(2, environ=dict.fromkeys(THREAD_VARIABLES, "2")) == {}


def test_autograde_refuses_bad_arguments_before_touching_the_course(tmp_path):
    from course_utils.instructor.autograde import autograde

    with pytest.raises(ValueError, match=r"jobs \(submissions graded at once\) must be an integer >= 1; got 0"):
        autograde("ps1", course_dir=tmp_path, jobs=0)
    with pytest.raises(TypeError, match="jobs .* must be an integer; got str '2'"):
        autograde("ps1", course_dir=tmp_path, jobs="2")
    with pytest.raises(ValueError, match=r"timeout \(seconds per cell, or None .*\) must be a finite number > 0"):
        autograde("ps1", course_dir=tmp_path, timeout=-1)
    with pytest.raises(TypeError, match="wall_limit .* must be a real number; got str"):
        autograde("ps1", course_dir=tmp_path, wall_limit="600")
    with pytest.raises(TypeError, match="students must be student ids"):
        autograde("ps1", course_dir=tmp_path, students=[3])
    with pytest.raises(CourseError, match="not a folder"):
        autograde("ps1", course_dir=tmp_path / "nope")
    with pytest.raises(CourseError, match="has no nbgrader_config.py"):
        autograde("ps1", course_dir=tmp_path, progress=False)
    (tmp_path / "nbgrader_config.py").write_text("")
    with pytest.raises(CourseError, match=r"there is no gradebook at .*gradebook.db: generate 'ps1' first"):
        autograde("ps1", course_dir=tmp_path, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nbgrader_config.py"]  # no empty gradebook left behind
    from nbgrader.api import Gradebook

    ensure_tools_on_path()
    Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}").close()
    with pytest.raises(CourseError, match="is not in the gradebook"):
        autograde("ps1", course_dir=tmp_path, progress=False)
    with pytest.raises(TypeError, match="scheduler must be a Dask scheduler address"):
        autograde("ps1", course_dir=tmp_path, scheduler=8786)
