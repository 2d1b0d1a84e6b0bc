"""Grading a class with ``course_utils.instructor.autograde``: robust to broken submissions, parallel == sequential.

A small self-contained nbgrader course is built in a temporary folder: one assignment ``ps1`` with two graded
functions (NumPy only), hidden tests and a written answer; submissions are the release notebook with the student's
code put in. One module-scoped class holds every broken submission the issue lists; it is graded once with plain
sequential ``nbgrader autograde`` (the reference) and once with ``autograde(jobs=2)``, and the tests compare the
gradebooks and feedback, then check each submission's exact status, score and reasons.
"""
import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_utils.instructor.autograde import AutogradeSummary, autograde
from course_utils.instructor.autograde import gradebook_rows as _gradebook_rows
from course_utils.instructor.cli import main
from course_utils.instructor.course import CourseError

pytestmark = pytest.mark.slow  # grades a class (nbgrader, in parallel) once per module

ASSIGNMENT = "ps1"
TIMEOUT = 5  # seconds per cell in this test course

SIGMOID_OK = "def sigmoid(z):\n    return 1.0 / (1.0 + np.exp(-z))"
SIGMOID_WRONG = "def sigmoid(z):\n    return np.exp(-z)"
AFFINE_OK = "def affine_forward(x, W, b):\n    return x @ W + b"
AFFINE_NO_BIAS = "def affine_forward(x, W, b):\n    return x @ W"


def _cell(source, kind="code", **nbgrader):
    cell = new_code_cell(source) if kind == "code" else new_markdown_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": False, "locked": False,
                                     **nbgrader}
    return cell


def _source_notebook():
    cells = [
        _cell("# Problem set 1\nImplement two functions.", "markdown", grade_id="intro", locked=True),
        _cell("import numpy as np"),
        _cell("def sigmoid(z):\n    \"\"\"Elementwise logistic sigmoid; z: (N,) array.\"\"\"\n"
              "    ### BEGIN SOLUTION\n    return 1.0 / (1.0 + np.exp(-z))\n    ### END SOLUTION",
              grade_id="sigmoid", solution=True),
        _cell('"""sigmoid(z) equals 1 / (1 + exp(-z)) at a few points."""\nimport numpy as np\n'
              "np.testing.assert_allclose(sigmoid(np.array([0.0, 2.0])), [0.5, 0.8807970779778823])\n"
              "### BEGIN HIDDEN TESTS\nnp.testing.assert_allclose(sigmoid(np.array([-1.0])), [0.2689414213699951])\n"
              "### END HIDDEN TESTS",
              grade_id="test_sigmoid", grade=True, locked=True, points=2),
        _cell("def affine_forward(x, W, b):\n    \"\"\"x: (N, D), W: (D, M), b: (M,) -> (N, M).\"\"\"\n"
              "    ### BEGIN SOLUTION\n    return x @ W + b\n    ### END SOLUTION",
              grade_id="affine", solution=True),
        _cell('"""affine_forward(x, W, b) equals x @ W + b."""\nimport numpy as np\n'
              "x = np.arange(6.0).reshape(2, 3)\nW = np.ones((3, 2))\nb = np.array([1.0, -1.0])\n"
              "np.testing.assert_allclose(affine_forward(x, W, b), [[4.0, 2.0], [13.0, 11.0]])",
              grade_id="test_affine", grade=True, locked=True, points=3),
        _cell("Why does a sigmoid output lie in (0, 1)?\n\n### BEGIN SOLUTION\nexp(-z) > 0.\n### END SOLUTION",
              "markdown", grade_id="why", solution=True, grade=True, points=1),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["nn_course"] = {"off_limits": ["course_utils.layers.affine_forward"]}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _env():
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def _nbgrader(course, *args):
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=_env(),
                          capture_output=True, text=True)


def make_course(root: Path) -> Path:
    """A course with assignment ps1 generated (in the gradebook), and no submissions yet."""
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'test_course'\n"
        f"c.Execute.timeout = {TIMEOUT}\n")
    nbformat.write(_source_notebook(), root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    out = _nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    assert out.returncode == 0, out.stderr
    return root


def release_notebook(course: Path):
    return nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def _solution_cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def student_notebook(course, sigmoid=SIGMOID_OK, affine=AFFINE_OK, answer=None):
    nb = release_notebook(course)
    _solution_cell(nb, "sigmoid").source = sigmoid
    _solution_cell(nb, "affine").source = affine
    if answer is not None:
        _solution_cell(nb, "why").source = answer
    return nb


def submit(course, student, nb=None, *, name=f"{ASSIGNMENT}.ipynb", raw=None):
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
    if raw is not None:
        (folder / name).write_text(raw)
    elif nb is not None:
        nbformat.write(nb, folder / name)


def build_class(course):
    """The broken class: every case of the issue, plus plain correct and wrong submissions."""
    submit(course, "correct", student_notebook(course, answer="Because exp(-z) is positive."))
    submit(course, "no_bias", student_notebook(course, affine=AFFINE_NO_BIAS))
    release = release_notebook(course)
    submit(course, "untouched", release)
    submit(course, "invalid_json", raw=json.dumps(nbformat.v4.new_notebook())[:-7])
    submit(course, "renamed", student_notebook(course), name=f"{ASSIGNMENT} (1).ipynb")
    folder = course / "submitted" / "missing" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("I forgot to upload my notebook")

    nb = student_notebook(course)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_affine"]
    submit(course, "deleted_cell", nb)

    nb = student_notebook(course, sigmoid=SIGMOID_WRONG)
    _solution_cell(nb, "test_sigmoid").source = '"""sigmoid works."""\nassert True'
    submit(course, "edited_locked", nb)

    submit(course, "infinite_loop", student_notebook(
        course, sigmoid="def sigmoid(z):\n    while True:\n        pass"))
    submit(course, "import_error", student_notebook(
        course, sigmoid="import numpy_but_misspelled\n" + SIGMOID_OK))
    submit(course, "ignores_interrupt", student_notebook(
        course, sigmoid="import time\ndef sigmoid(z):\n    while True:\n        try:\n            time.sleep(0.05)\n"
                        "        except KeyboardInterrupt:\n            pass"))
    submit(course, "kernel_dies", student_notebook(course, sigmoid="import os\nos._exit(1)\n" + SIGMOID_OK))
    submit(course, "million_lines", student_notebook(
        course, sigmoid="print('\\n'.join(map(str, range(1_000_000))))\n" + SIGMOID_OK))
    submit(course, "monkeypatch", student_notebook(
        course, sigmoid="import course_utils.tf_utils\n"
                        "course_utils.tf_utils.quiet_tensorflow = lambda: (None, None)\n"
                        "np.testing.assert_allclose = lambda *args, **kwargs: None\n" + SIGMOID_WRONG))


def submit_extra(course):
    """Submissions plain ``nbgrader autograde`` cannot take: a duplicated cell stops its whole batch, and code
    writing into the course really overwrites its gradebook. They are graded by ``autograde`` alone."""
    nb = student_notebook(course, sigmoid=SIGMOID_WRONG)
    index = nb.cells.index(_solution_cell(nb, "sigmoid"))
    fixed = copy.deepcopy(nb.cells[index])
    fixed.source = SIGMOID_OK
    fixed.id = "fixed-copy"
    nb.cells.insert(index + 1, fixed)  # same grade_id twice; nbgrader keeps the last copy
    submit(course, "duplicated_cell", nb)

    submit(course, "writes_course", student_notebook(
        course, sigmoid="open('../../../source/ps1/evil.txt', 'w').write('x')\n"
                        "open('../../../gradebook.db', 'w').write('not a database')\n" + SIGMOID_OK))


def digests(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def gradebook_rows(course: Path) -> list:
    return _gradebook_rows(course, ASSIGNMENT)


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?( ?[A-Z]{3}|[+-]\d{2}:?\d{2})?")


def feedback(course: Path) -> dict:
    out = _nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    assert "Traceback" not in out.stderr or out.returncode == 0, out.stderr
    return {str(p.relative_to(course / "feedback")): _TIMESTAMP.sub("<time>", p.read_text())
            for p in sorted((course / "feedback").rglob("*.html"))}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded twice: sequential ``nbgrader autograde`` in one copy, ``autograde(jobs=2)`` in another;
    then the extra submissions graded by ``autograde`` alone in the second copy."""
    base = make_course(tmp_path_factory.mktemp("course") / "course")
    build_class(base)
    sequential = tmp_path_factory.mktemp("sequential") / "course"
    parallel = tmp_path_factory.mktemp("parallel") / "course"
    shutil.copytree(base, sequential)
    shutil.copytree(base, parallel)
    before = digests(parallel / "submitted")
    seq = _nbgrader(sequential, "autograde", ASSIGNMENT, "--force")
    summary = autograde(ASSIGNMENT, course_dir=parallel, jobs=2, progress=False)
    after = digests(parallel / "submitted")
    gradebook = gradebook_rows(parallel)

    submit_extra(parallel)
    extra_before = digests(parallel / "submitted")
    extra = autograde(ASSIGNMENT, course_dir=parallel, students=["duplicated_cell", "writes_course"], jobs=2,
                      progress=False)
    extra_after = digests(parallel / "submitted")
    return {"base": base, "sequential": sequential, "parallel": parallel, "summary": summary, "extra": extra,
            "gradebook": gradebook, "seq_log": seq.stderr, "hashes": [(before, after), (extra_before, extra_after)]}


def row(graded, student):
    return next(r for r in graded["summary"].rows + graded["extra"].rows if r["student"] == student)


def test_parallel_gradebook_equals_sequential_nbgrader(graded):
    seq, par = gradebook_rows(graded["sequential"]), graded["gradebook"]
    assert sum(r[0] == "grade" for r in seq) >= 3 * 12  # grades of many students, not an empty comparison
    assert par == seq


def test_parallel_autograded_notebooks_and_feedback_equal_sequential(graded):
    seq_dir, par_dir = graded["sequential"] / "autograded", graded["parallel"] / "autograded"
    seq_files = sorted(str(p.relative_to(seq_dir)) for p in seq_dir.rglob("*.ipynb"))
    classmates = {p.name for p in (graded["base"] / "submitted").iterdir()}
    par_files = sorted(str(p.relative_to(par_dir)) for p in par_dir.rglob("*.ipynb") if p.parts[-3] in classmates)
    assert seq_files == par_files and len(seq_files) >= 9
    for rel in seq_files:
        if rel.startswith("million_lines"):
            continue  # its kernel flushes print output in timing-dependent chunks; scores are compared above
        a, b = nbformat.read(seq_dir / rel, as_version=4), nbformat.read(par_dir / rel, as_version=4)
        assert [c.get("outputs") for c in a.cells] == [c.get("outputs") for c in b.cells], rel
    fb_seq, fb_par = feedback(graded["sequential"]), feedback(graded["parallel"])
    assert len(fb_seq) >= 8
    assert fb_seq.keys() == {k: v for k, v in fb_par.items() if k.split("/")[0] in classmates}.keys()
    for key in fb_seq:
        if not key.startswith("million_lines"):
            assert fb_seq[key] == fb_par[key], key


def test_submissions_never_modified(graded):
    for before, after in graded["hashes"]:
        assert len(before) >= 15 and before == after
    base = digests(graded["base"] / "submitted")
    assert {k: v for k, v in digests(graded["parallel"] / "submitted").items() if k in base} == base


def test_every_submission_has_a_row_and_csv(graded, tmp_path):
    summary = graded["summary"]
    assert isinstance(summary, AutogradeSummary)
    students = sorted(p.name for p in (graded["base"] / "submitted").iterdir())
    assert [r["student"] for r in summary.rows] == students
    assert all(r["status"] in ("graded", "flagged") for r in summary.rows)
    assert all(r["reasons"] for r in summary.rows if r["status"] == "flagged")
    path = summary.to_csv(tmp_path / "summary.csv")
    text = Path(path).read_text()
    assert text.splitlines()[0] == "student,assignment,status,score,max_score,by_hand,reasons"
    assert len(text.splitlines()) == len(students) + 1
    table = str(summary)
    assert "kernel_dies" in table and "flagged" in table and "s per submission" in table


# (student, status, score, reasons): the exact outcome of every case.
CASES = [
    ("correct", "graded", 5.0, []),  # the written answer waits for manual grading: not a flag
    ("no_bias", "graded", 2.0, []),
    ("untouched", "graded", 0.0, []),
    ("invalid_json", "flagged", 0.0, ["'ps1.ipynb' is not valid JSON at line 1, column 54: nbgrader could not read it"]),
    ("renamed", "flagged", 0.0, ["notebook 'ps1.ipynb' is missing (renamed to 'ps1 (1).ipynb'?)",
                                 "unexpected notebook 'ps1 (1).ipynb' was not graded",
                                 "nbgrader found no notebook of this assignment to grade"]),
    ("missing", "flagged", None, ["notebook 'ps1.ipynb' is missing",
                                  "nbgrader found no notebook of this assignment to grade"]),
    ("deleted_cell", "flagged", 2.0, ["graded test cell 'test_affine' (3 points) was deleted from 'ps1.ipynb': "
                                      "nbgrader silently left it ungraded ('needs manual grade')"]),
    ("duplicated_cell", "flagged", 5.0, ["cell 'sigmoid' appears 2 times in 'ps1.ipynb': only the last copy was "
                                         "graded (plain nbgrader stops the whole class here)"]),
    ("edited_locked", "graded", 3.0, ["locked cell 'test_sigmoid' was edited in 'ps1.ipynb': "
                                      "the original was restored and graded"]),
    ("infinite_loop", "flagged", 3.0, ["cell 'test_sigmoid' of 'ps1.ipynb' timed out after 5 s: "
                                       "it was interrupted and the next cells ran"]),
    ("ignores_interrupt", "flagged", 0.0, ["a cell ran past the time limit and did not stop when interrupted "
                                           "(it catches KeyboardInterrupt?): nbgrader recorded no scores for it"]),
    ("import_error", "graded", 3.0, ["cell 'sigmoid' of 'ps1.ipynb' raised ModuleNotFoundError: "
                                     "No module named 'numpy_but_misspelled'"]),
    ("kernel_dies", "flagged", 0.0, ["cell 'sigmoid' of 'ps1.ipynb', line 2, uses os._exit (files, processes or the "
                                     "environment): os._exit(1)",
                                     "the kernel died while running the notebook (os._exit, a crash, or a sandbox "
                                     "limit: memory, processes, CPU time, file size): nbgrader recorded no scores for "
                                     "it"]),
    ("million_lines", "graded", 5.0, ["output of cell 'sigmoid' of 'ps1.ipynb' was truncated"]),
    ("monkeypatch", "flagged", 5.0, [
        "cell 'sigmoid' of 'ps1.ipynb', line 2, changes course_utils.tf_utils.quiet_tensorflow, which belongs to an "
        "imported module or a given object: course_utils.tf_utils.quiet_tensorflow = lambda: (None, None)",
        "cell 'sigmoid' of 'ps1.ipynb', line 3, changes np.testing.assert_allclose, which belongs to an imported module "
        "or a given object: np.testing.assert_allclose = lambda *args, **kwargs: None",
        "cell 'sigmoid' of 'ps1.ipynb' replaced numpy.testing.assert_allclose: the scores of the tests after it "
        "cannot be trusted",
        "cell 'sigmoid' of 'ps1.ipynb' replaced course_utils.tf_utils.quiet_tensorflow, numpy.testing.assert_allclose "
        "with code of its own: the scores of the tests after it cannot be trusted"]),
]


@pytest.mark.parametrize("student, status, score, reasons", CASES, ids=[c[0] for c in CASES])
def test_robustness_case(graded, student, status, score, reasons):
    r = row(graded, student)
    assert (r["status"], r["score"], r["reasons"]) == (status, score, reasons)
    assert r["max_score"] == (None if score is None else 6.0)


def test_points_left_to_grade_by_hand(graded):
    """What the gradebook leaves to formgrader: a written answer (1 point), a deleted test cell (3 points)."""
    by_hand = {r["student"]: r["by_hand"] for r in graded["summary"].rows}
    assert by_hand["correct"] == 1.0
    assert by_hand["untouched"] == 0  # nbgrader scores an unchanged answer 0 by itself
    assert by_hand["deleted_cell"] == 3.0  # flagged as well
    assert by_hand["kernel_dies"] == 6.0  # nothing recorded: every cell waits (flagged as well)
    assert by_hand["missing"] is None  # no notebook, no gradebook entry
    assert "(1 by hand)" in str(graded["summary"]) and "grade by hand: nbgrader's formgrader" in str(graded["summary"])


def test_command_exit_status_says_whether_anything_was_flagged(graded, capsys):
    course = str(graded["parallel"])
    assert main(["autograde", ASSIGNMENT, "--course-dir", course, "--student", "correct", "--no-progress"]) == 0
    assert re.search(r"correct +graded +5/6 \(1 by hand\)", capsys.readouterr().out)
    assert main(["autograde", ASSIGNMENT, "--course-dir", course, "--student", "invalid_json", "--no-progress"]) == 1
    assert re.search(r"invalid_json +flagged", capsys.readouterr().out)


def test_feedback_command_names_the_submissions_it_could_not_cover(graded, capsys):
    assert main(["feedback", ASSIGNMENT, "--course-dir", str(graded["parallel"])]) == 0
    out = capsys.readouterr().out
    assert re.search(r"wrote .*feedback/correct/ps1/ps1\.html", out)
    line = next(ln for ln in out.splitlines() if ln.startswith("no feedback for"))
    assert "invalid_json" in line and "correct" not in line, line


def test_code_writing_into_the_course_is_contained(graded):
    """In the sandbox the kernel's folder is a tmpfs: relative paths reach nothing of the course, and the scan flags
    the attempt (the cell fails, so sigmoid is not defined: 3 of 5 points)."""
    course = graded["parallel"]
    r = row(graded, "writes_course")
    assert (r["status"], r["score"], r["max_score"]) == ("flagged", 3.0, 6.0)
    assert r["reasons"] == [
        "cell 'sigmoid' of 'ps1.ipynb', line 1, accesses the file '../../../source/ps1/evil.txt', outside its working "
        "folder: open('../../../source/ps1/evil.txt', 'w').write('x')",
        "cell 'sigmoid' of 'ps1.ipynb', line 2, accesses the file '../../../gradebook.db', outside its working folder: "
        "open('../../../gradebook.db', 'w').write('not a database')",
        "cell 'sigmoid' of 'ps1.ipynb' raised FileNotFoundError: [Errno 2] No such file or directory: "
        "'../../../source/ps1/evil.txt'"]
    assert not (course / "source" / ASSIGNMENT / "evil.txt").exists()
    students = [r[1] for r in gradebook_rows(course) if r[0] == "student"]  # the gradebook is intact
    assert "writes_course" in students and "correct" in students


def test_job_past_the_wall_clock_limit_is_killed_with_its_kernel(graded):
    import psutil

    course = graded["parallel"]
    submit(course, "sleeper", student_notebook(course, sigmoid="import time\ntime.sleep(60)"))
    (r,) = autograde(ASSIGNMENT, course_dir=course, students=["sleeper"], progress=False, wall_limit=3.0).rows
    assert (r["status"], r["reasons"]) == ("flagged", ["grading took longer than 3 s and was stopped: not graded"])
    kernels = [p for p in psutil.process_iter(["cmdline", "status"])
               if "nn-course-autograde-ps1" in " ".join(p.info["cmdline"] or [])
               and p.info["status"] != psutil.STATUS_ZOMBIE]
    assert kernels == []
    assert not (course / "autograded" / "sleeper").exists()


def test_unknown_student_is_flagged_not_fatal(graded):
    (r,) = autograde(ASSIGNMENT, course_dir=graded["parallel"], students=["ghost"], progress=False).rows
    assert (r["status"], r["score"], r["reasons"]) == ("flagged", None, ["no submission: submitted/ghost/ps1 does not exist"])


def test_platform_without_fork_gets_a_clear_error(graded, monkeypatch):
    import multiprocessing

    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    with pytest.raises(CourseError, match=r"forks its grading processes.*`nbgrader autograde ASSIGNMENT`"):
        autograde(ASSIGNMENT, course_dir=graded["parallel"], progress=False)


THREADS_PROBE = ("\nimport os\nprint('threads:', *(os.environ.get(name) for name in "
                 "('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS', 'TF_NUM_INTRAOP_THREADS')))")


def _threads_seen(course, student):
    nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    text = "".join(o.get("text", "") for o in _solution_cell(nb, "sigmoid").outputs)
    return re.search(r"threads: (.*)", text).group(1).split()


@pytest.mark.parametrize("omp", [None, "3"])
def test_kernels_graded_at_once_share_the_cores(tmp_path, monkeypatch, omp):
    # Two kernels at once on this machine: each gets half the cores (at least 1) for OpenMP, OpenBLAS, MKL and
    # TensorFlow, instead of one thread per core each; an OMP_NUM_THREADS the instructor set wins everywhere.
    from course_utils.instructor.sandbox import THREAD_VARIABLES

    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if omp:
        monkeypatch.setenv("OMP_NUM_THREADS", omp)
    course = make_course(tmp_path / "course")
    for student in ("ann", "ben"):
        submit(course, student, student_notebook(course, sigmoid=SIGMOID_OK + THREADS_PROBE))
    summary = autograde(ASSIGNMENT, course_dir=course, jobs=2, progress=False)
    for row in summary.rows:  # full marks; flagged only because the probe reads os.environ, as the scan should
        assert row["score"] == 5.0 and [r for r in row["reasons"] if "uses os.environ" not in r] == [], row
    expected = omp or str(max(1, len(os.sched_getaffinity(0)) // 2))
    for student in ("ann", "ben"):
        assert _threads_seen(course, student) == [expected] * 4
    assert all(name not in os.environ for name in THREAD_VARIABLES[1:])  # the instructor's process is unchanged


def test_a_course_with_another_directory_structure_is_graded_and_given_feedback_there(tmp_path):
    # nbgrader's directory_structure = {nbgrader_step}/{assignment_id}/{student_id}: autograde reads the submission
    # there and writes autograded/ there, and feedback follows.
    from course_utils.instructor.grades import generate_feedback

    course = make_course(tmp_path / "course")
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write("c.CourseDirectory.directory_structure = '{nbgrader_step}/{assignment_id}/{student_id}'\n")
    folder = course / "submitted" / ASSIGNMENT / "ann"
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
    nbformat.write(student_notebook(course), folder / f"{ASSIGNMENT}.ipynb")
    (row,) = autograde(ASSIGNMENT, course_dir=course, progress=False).rows
    assert (row["student"], row["status"], row["score"]) == ("ann", "graded", 5.0)
    assert (course / "autograded" / ASSIGNMENT / "ann" / f"{ASSIGNMENT}.ipynb").is_file()
    assert generate_feedback(ASSIGNMENT, course) == [course / "feedback" / ASSIGNMENT / "ann" / f"{ASSIGNMENT}.html"]
    assert not (course / "autograded" / "ann").exists() and not (course / "feedback" / "ann").exists()
