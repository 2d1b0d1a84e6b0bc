"""A simulated class, end to end, for every assignment, in a temporary course directory.

The course's sources are copied into a temporary course, ``generate`` writes the release and the solutions, and a
class of submissions is imported: the release untouched, the solution, and hand-written wrong submissions made by
editing the solution's cells (a transposed matrix, a missing 1/N, a wrong sign, the sigmoid's derivative where tanh's
belongs, functions that pass their visible tests but fail the hidden ones). Each is autograded by nbgrader and must
score exactly the points it deserves: the test names the cells it must fail, and the total it must get. Scores are
read back from the gradebook and from the exported CSV.

Cost: about 36 notebook runs (three of them import TensorFlow); the NumPy assignments' sources are also executed.
"""
import ast
import csv
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from course_utils.instructor.cli import main
from course_utils.instructor.course import nbgrader_api
from course_utils.instructor.grades import export_grades, generate_feedback, submission_scores
from course_utils.instructor.submissions import import_submissions
from gradebook_helpers import cell_scores, set_manual_score

# nbgrader's own autograde, with SQLAlchemy 2, warns about objects it adds to its session twice (harmless).
# Slow: the module's course generates all five assignments and grades a class of each.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Object of type:sqlalchemy.exc.SAWarning")]

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ["perceptron", "logistic_regression", "backprop_xor", "keras_mnist", "training_tricks"]
NUMPY_ASSIGNMENTS = ["perceptron", "logistic_regression", "backprop_xor", "training_tricks"]

# Points of the autograded cells, and the manually graded answer of each assignment (None where there is none).
POINTS = {
    "perceptron": {
        "test_predict": 2, "test_perceptron_update_weights": 1, "test_perceptron_update_bias": 1,
        "test_perceptron_update_no_mistake": 1, "test_train_perceptron_separable": 2,
        "test_train_perceptron_max_epochs": 1,
    },
    "logistic_regression": {
        "test_sigmoid": 1, "test_binary_cross_entropy": 1, "test_propagate_cost": 1, "test_propagate_dw": 2,
        "test_propagate_db": 1, "test_optimize": 2, "test_breast_cancer_accuracy": 1, "test_softmax_values": 1,
        "test_softmax_large_scores": 1, "test_softmax_cross_entropy_loss": 1, "test_softmax_cross_entropy_grad": 2,
    },
    "backprop_xor": {
        "test_forward_propagation": 2, "test_compute_cost": 1, "test_backward_propagation_output_layer": 2,
        "test_backward_propagation_dW1": 2, "test_backward_propagation_db1": 1, "test_update_parameters": 1,
        "test_nn_model": 2, "test_affine_backward_dx": 1, "test_affine_backward_dW": 1, "test_affine_backward_db": 1,
        "test_activation_backward_sigmoid": 1, "test_activation_backward_tanh": 1,
        "test_activation_backward_relu": 1, "test_l_layer_gradients": 2,
    },
    "keras_mnist": {
        "test_preprocess": 2, "test_build_model": 2, "test_make_callbacks": 1, "test_train": 1, "test_accuracy": 3,
    },
    "training_tricks": {
        "test_dropout_forward_train": 2, "test_dropout_forward_test": 1, "test_dropout_backward": 1,
        "test_batchnorm_forward_train": 2, "test_batchnorm_running_averages": 1, "test_batchnorm_forward_test": 1,
        "test_batchnorm_backward_dx": 2, "test_batchnorm_backward_dgamma": 1, "test_batchnorm_backward_dbeta": 1,
        "test_l2_penalty_value": 1, "test_l2_penalty_grads": 1, "test_sgd_momentum": 2, "test_rmsprop": 2,
        "test_adam": 2,
    },
}
MANUAL = {"perceptron": ("answer_xor", 2), "keras_mnist": ("answer_overfitting", 2),
          "training_tricks": ("answer_tricks", 2)}

# Wrong submissions: (student, [(solution cell, text in it, replacement)], cells it must fail, its exact auto score).
VARIANTS = {
    "perceptron": [
        ("wrong_sign", [
            ("perceptron_update", "w_new = w + learning_rate * error * x", "w_new = w - learning_rate * error * x"),
            ("perceptron_update", "b_new = b + learning_rate * error", "b_new = b - learning_rate * error"),
        ], {"test_perceptron_update_weights", "test_perceptron_update_bias", "test_train_perceptron_separable"}, 4),
        # Passes the visible tests (2-D examples), fails the hidden ones (3-D and 5-D).
        ("predict_only_2d", [
            ("predict", "z = X @ w + b", "z = X[:, 0] * w[0] + X[:, 1] * w[1] + b"),
        ], {"test_predict"}, 6),
        ("never_stops_early", [
            ("train_perceptron", "        if n_mistakes == 0:\n            break\n", ""),
        ], {"test_train_perceptron_separable"}, 6),
    ],
    "logistic_regression": [
        # Gradient descent takes N times too large steps in w: the descent differs from the reference, but the
        # weights still separate the test tumours (a linear classifier only needs their direction), so the accuracy
        # point is earned.
        ("dw_missing_1_over_N", [
            ("propagate", "dw = X.T @ dz / N", "dw = X.T @ dz"),
        ], {"test_propagate_dw", "test_optimize"}, 10),
        ("softmax_grad_wrong_sign", [
            ("softmax_cross_entropy", "dZ = (P - Y) / N", "dZ = (Y - P) / N"),
        ], {"test_softmax_cross_entropy_grad"}, 12),
        # Normalises by the sum over the whole array: right for the one-row visible tests, wrong for any batch, so
        # the hidden softmax tests fail, and so does the cross-entropy built on it.
        ("softmax_whole_array", [
            ("softmax", "return e / e.sum(axis=1, keepdims=True)", "return e / e.sum()"),
        ], {"test_softmax_values", "test_softmax_large_scores", "test_softmax_cross_entropy_loss",
            "test_softmax_cross_entropy_grad"}, 9),
    ],
    "backprop_xor": [
        ("sigmoid_derivative_for_tanh", [
            ("backward_propagation", "dZ1 = dA1 * (1 - A1 ** 2)", "dZ1 = dA1 * A1 * (1 - A1)"),
        ], {"test_backward_propagation_dW1", "test_backward_propagation_db1", "test_nn_model"}, 14),
        ("tanh_backward_uses_sigmoid", [
            ("activation_backward", "return da * (1 - a ** 2)", "return da * a * (1 - a)"),
        ], {"test_activation_backward_tanh"}, 18),
        # L_model_backward starts from the logits' gradient dZL = (AL - Y) / N and calls activation_backward for the
        # ReLU hidden layers only, so a wrong sigmoid derivative costs its own point and not the L-layer test's two.
        ("sigmoid_backward_missing_1_minus_a", [
            ("activation_backward", "return da * a * (1 - a)", "return da * a"),
        ], {"test_activation_backward_sigmoid"}, 18),
        ("transposed_dW", [
            ("affine_backward", "dW = x.T @ dout", "dW = dout.T @ x"),
        ], {"test_affine_backward_dW", "test_l_layer_gradients"}, 16),
        ("dZ2_missing_1_over_N", [
            ("backward_propagation", "dZ2 = (A2 - Y) / N", "dZ2 = A2 - Y"),
        ], {"test_backward_propagation_output_layer", "test_backward_propagation_dW1",
            "test_backward_propagation_db1", "test_nn_model"}, 12),
    ],
    "keras_mnist": [
        # float64 pixels: Keras trains as well, but the test asks for float32 (and says why).
        ("float64_pixels", [
            ("preprocess", 'images.reshape(len(images), -1).astype("float32") / 255.0', "images.reshape(len(images), -1) / 255.0"),
        ], {"test_preprocess"}, 7),
    ],
    "training_tricks": [
        # The mask keeps the right units but forgets the 1/(1-p): the training output, and with it the gradient of
        # the true (inverted) dropout, are wrong; test mode is still right.
        ("dropout_without_rescaling", [
            ("dropout_forward", "mask = (rng.random(x.shape) >= p) / (1 - p)", "mask = (rng.random(x.shape) >= p) * 1.0"),
        ], {"test_dropout_forward_train", "test_dropout_backward"}, 17),
        # Old-style dropout: no rescaling in training, multiplied by 1 - p at test time instead.
        ("dropout_scales_at_test_time", [
            ("dropout_forward", "return x, (None, mode)", "return x * (1 - p), (None, mode)"),
        ], {"test_dropout_forward_test"}, 19),
        ("batchnorm_batch_statistics_at_test_time", [
            ("batchnorm_forward", "mu, var = running_mean, running_var", "mu, var = x.mean(axis=0), x.var(axis=0)"),
        ], {"test_batchnorm_forward_test"}, 19),
        # The unbiased variance (divided by N - 1): the training output and the running variance are off, and so are
        # dx and dgamma, computed from the wrong x_hat; test mode (given running averages) and dbeta are still right.
        ("batchnorm_unbiased_variance", [
            ("batchnorm_forward", "var = x.var(axis=0)", "var = x.var(axis=0, ddof=1)"),
        ], {"test_batchnorm_forward_train", "test_batchnorm_running_averages", "test_batchnorm_backward_dx",
            "test_batchnorm_backward_dgamma"}, 14),
        # Forward right, backward without the gradient through the batch mean: only dx is wrong.
        ("batchnorm_backward_without_mean_term", [
            ("batchnorm_backward", "N * dx_hat - dx_hat.sum(axis=0) - x_hat", "N * dx_hat - x_hat"),
        ], {"test_batchnorm_backward_dx"}, 18),
        ("l2_on_biases", [
            ("l2_penalty", 'if name.startswith("W"):', 'if name.startswith(("W", "b")):'),
        ], {"test_l2_penalty_value", "test_l2_penalty_grads"}, 18),
        ("momentum_velocity_sign_flipped", [
            ("sgd_momentum", "w = w + v", "w = w - v"),
        ], {"test_sgd_momentum"}, 18),
        # epsilon outside the square root, as in Adam: invisible in the visible check's printout, a relative error of
        # only 1e-6 in the visible test (epsilon = 1e-7), and a large one in the hidden test (epsilon = 1e-4).
        ("rmsprop_epsilon_outside_sqrt", [
            ("rmsprop", 'np.sqrt(s + config["epsilon"])', '(np.sqrt(s) + config["epsilon"])'),
        ], {"test_rmsprop"}, 18),
        ("adam_without_bias_correction", [
            ("adam", 'm_hat / (np.sqrt(v_hat) + config["epsilon"])', 'm / (np.sqrt(v) + config["epsilon"])'),
        ], {"test_adam"}, 18),
    ],
}
ZIPPED_STUDENT = "solution"  # this student's submissions are imported from zips, the others from folders


def _max_auto(assignment):
    return sum(POINTS[assignment].values())


def _cells(nb):
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}


def _edited(nb, edits):
    nb = nbformat.from_dict(nb)
    cells = _cells(nb)
    for grade_id, old, new in edits:
        assert cells[grade_id].source.count(old) == 1, f"{old!r} should occur once in cell {grade_id}"
        cells[grade_id].source = cells[grade_id].source.replace(old, new)
    return nb


def _notebook(course, step, assignment, student=None):
    base = {"source": "assignments/source", "release": "assignments/release", "solutions": "solutions"}
    if step in base:
        return course / base[step] / assignment / f"{assignment}.ipynb"
    return course / step / student / assignment / f"{assignment}.ipynb"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A fresh course: the repository's config and sources, with release and solutions generated by nn-course."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "assignments" / "source", root / "assignments" / "source")
    assert main(["generate", "--course-dir", str(root)]) == 0
    return root


def _grade_class(course, assignment, downloads):
    """Import the class's submissions of ``assignment`` from ``downloads`` (folders, one student as a zip), autograde
    them, then grade the solution's written answer as the instructor would in the formgrader.

    Returns ``{"students": [...], "summary": {student: row of the class autograder's CSV} or None,
    "solution_before_manual": (cell scores, gradebook row) of the solution as the autograder left it,
    "solution_total": its score once the written answer is graded}``.
    """
    release = nbformat.read(_notebook(course, "release", assignment), as_version=4)
    solution = nbformat.read(_notebook(course, "solutions", assignment), as_version=4)
    submissions = {"release_untouched": release, "solution": solution}
    for student, edits, _, _ in VARIANTS[assignment]:
        submissions[student] = _edited(solution, edits)
    for student, nb in submissions.items():
        folder = downloads / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")
        if student == ZIPPED_STUDENT:
            shutil.make_archive(str(downloads / student), "zip", root_dir=downloads / student)
            shutil.rmtree(downloads / student)
    report = import_submissions(downloads, assignment, course)
    assert sorted(report.imported) == sorted(submissions) and not report.problems, str(report)
    if assignment == "perceptron":
        # Through the nn-course command and the class autograder (course_utils.instructor.autograde).
        summary_csv = course / "perceptron_summary.csv"
        assert main(["autograde", assignment, "--course-dir", str(course), "--no-progress",
                     "--summary", str(summary_csv)]) == 0
        with open(summary_csv, newline="") as fh:
            summary = {row["student"]: row for row in csv.DictReader(fh)}
    else:
        # Through nbgrader's own API, one submission after the other.
        api = nbgrader_api(course)
        for student in sorted(submissions):
            result = api.autograde(assignment, student, force=True, create=True)
            assert result["success"], result.get("log", "")[-3000:]
        summary = None
    before = (cell_scores(assignment, "solution", course),
              {r["student"]: r for r in submission_scores(assignment, course)}["solution"])
    total = before[1]["score"]
    if assignment in MANUAL:
        grade_id, points = MANUAL[assignment]
        total = set_manual_score(assignment, "solution", grade_id, points, course)
    return {"students": sorted(submissions), "summary": summary, "solution_before_manual": before,
            "solution_total": total}


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    """``graded(assignment)``: the class of ``assignment`` imported, autograded and its solution's written answer
    graded (see ``_grade_class``), done the first time a test of this module asks for that assignment. Every test
    sees the same finished state, whichever runs first: no test writes grades."""
    done = {}

    def grade(assignment):
        if assignment not in done:
            done[assignment] = _grade_class(course, assignment, tmp_path_factory.mktemp(f"downloads_{assignment}"))
        return done[assignment]

    return grade


def _failed_cells(course, assignment, student):
    scores = cell_scores(assignment, student, course)
    return {grade_id for grade_id, points in POINTS[assignment].items() if scores[grade_id] != points}, scores


# ---------------------------------------------------------------------------------------------------------------------
# Layout and generation


def test_committed_release_and_solutions_are_in_sync_with_the_sources(course):
    """The committed release and solution notebooks are exactly what `nn-course generate` writes from the sources."""
    for step in ["release", "solutions"]:
        committed = sorted(p.relative_to(ROOT / ("assignments/release" if step == "release" else "solutions"))
                           for p in (ROOT / ("assignments/release" if step == "release" else "solutions")).rglob("*.ipynb"))
        fresh = sorted(p.relative_to(course / ("assignments/release" if step == "release" else "solutions"))
                       for p in (course / ("assignments/release" if step == "release" else "solutions")).rglob("*.ipynb"))
        assert committed == fresh, f"{step}: committed {committed}, generated {fresh}; run `nn-course generate`"
    for assignment in ASSIGNMENTS:
        for step in ["release", "solutions"]:
            generated = nbformat.read(_notebook(course, step, assignment), as_version=4)
            committed = nbformat.read(_notebook(ROOT, step, assignment), as_version=4)
            assert committed.metadata == generated.metadata
            assert len(committed.cells) == len(generated.cells), f"{step}/{assignment}: run `nn-course generate`"
            for old, new in zip(committed.cells, generated.cells):
                assert (old.cell_type, old.get("id"), old.source, old.metadata) == \
                    (new.cell_type, new.get("id"), new.source, new.metadata), \
                    f"{step}/{assignment} is out of date (cell {new.get('id')}); run `nn-course generate`"
                assert not old.get("outputs"), f"{step}/{assignment}: committed notebooks carry no outputs"


def _regions(source, begin, end):
    """Lines inside begin/end marker regions, and the lines outside them."""
    inside, outside, active = [], [], False
    for line in source.splitlines():
        if begin in line:
            active = True
        elif end in line:
            active = False
        elif line.strip():
            (inside if active else outside).append(line.strip())
    return inside, outside


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_and_solutions_hide_what_they_must(course, assignment):
    """The release has no solution code and no hidden test source; the solutions have the code but no markers or
    hidden tests; every graded function has a visible check right before its tests."""
    source = _cells(nbformat.read(_notebook(course, "source", assignment), as_version=4))
    release_nb = nbformat.read(_notebook(course, "release", assignment), as_version=4)
    solution_nb = nbformat.read(_notebook(course, "solutions", assignment), as_version=4)
    release, solution = _cells(release_nb), _cells(solution_nb)
    assert list(release) == list(source) == list(solution)
    for text in [nbformat.writes(release_nb), nbformat.writes(solution_nb)]:
        for marker in ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"]:
            assert marker not in text
    n_hidden = 0
    for grade_id, cell in source.items():
        meta = cell.metadata["nbgrader"]
        solved, _ = _regions(cell.source, "### BEGIN SOLUTION", "### END SOLUTION")
        hidden, visible = _regions(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
        hidden = [line for line in hidden if line not in visible]
        n_hidden += bool(hidden)
        for line in solved:
            assert line not in release[grade_id].source.splitlines(), f"release {grade_id} shows solution code {line!r}"
            assert line in [s.strip() for s in solution[grade_id].source.splitlines()], f"solution {grade_id} lacks {line!r}"
        for line in hidden:
            for version in (release, solution):
                assert line not in [s.strip() for s in version[grade_id].source.splitlines()], \
                    f"hidden test line {line!r} of {grade_id} is visible"
        if meta["solution"] and cell.cell_type == "code":
            assert "raise NotImplementedError()" in release[grade_id].source
        if meta["solution"] and cell.cell_type == "markdown":
            assert release[grade_id].source == "YOUR ANSWER HERE"
            assert solution[grade_id].source == cell.source
    assert n_hidden >= len(POINTS[assignment]) // 2, "most test cells have hidden tests"
    # Test cells: a one-line docstring first, and a visible check (a locked, ungraded code cell) before each group.
    cells = nbformat.read(_notebook(course, "source", assignment), as_version=4).cells
    graded_points = {}
    for index, cell in enumerate(cells):
        meta = cell.metadata.get("nbgrader", {})
        if not (meta.get("grade") and cell.cell_type == "code"):
            continue
        graded_points[meta["grade_id"]] = meta["points"]
        first = cell.source.splitlines()[0]
        assert re.fullmatch(r'""".+\."""', first), f"{meta['grade_id']}: first line should be a one-line docstring"
        assert meta["locked"] and not meta["solution"]
        before = [c for c in cells[:index] if c.cell_type == "code" and not c.metadata["nbgrader"].get("grade")]
        assert before[-1].metadata["nbgrader"]["locked"] and not before[-1].metadata["nbgrader"]["solution"], \
            f"{meta['grade_id']} should follow a visible check, not {before[-1].metadata['nbgrader']['grade_id']}"
    assert graded_points == POINTS[assignment]


@pytest.mark.parametrize("assignment", NUMPY_ASSIGNMENTS)
def test_numpy_source_notebooks_execute(course, assignment):
    """The source notebook (solutions and hidden tests in place) runs top to bottom without error or stderr."""
    from nbclient import NotebookClient

    nb = nbformat.read(_notebook(course, "source", assignment), as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(course)}}).execute()
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert not (output.output_type == "stream" and output.name == "stderr"), output.text


# ---------------------------------------------------------------------------------------------------------------------
# The simulated class


def _assigned_names(source):
    """Names a cell assigns at top level (what later cells miss if it fails)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in targets:
            for sub in ast.walk(target) if target is not None else []:
                if isinstance(sub, ast.Name):
                    names.add(sub.id)
    return names


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_scores_zero_and_raises_only_not_implemented(course, graded, assignment):
    """The untouched release scores 0; the only errors are the stubs' NotImplementedError (and, in later cells, the
    NameError of a variable that a failed cell could not define)."""
    graded(assignment)
    failed, scores = _failed_cells(course, assignment, "release_untouched")
    assert failed == set(POINTS[assignment])
    assert sum(s or 0 for s in scores.values()) == 0
    if assignment in MANUAL:
        assert scores[MANUAL[assignment][0]] == 0, "an unanswered written question scores 0"
    nb = nbformat.read(_notebook(course, "autograded", assignment, "release_untouched"), as_version=4)
    undefined = set()
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        for error in errors:
            if error.ename == "NameError":
                name = re.search(r"name '(\w+)' is not defined", error.evalue).group(1)
                assert name in undefined, f"NameError for {name}, which no failed cell was meant to define"
            else:
                assert error.ename == "NotImplementedError", f"{error.ename}: {error.evalue}"
        if errors:
            undefined |= _assigned_names(cell.source)
        assert not any(o.output_type == "stream" and o.name == "stderr" for o in cell.get("outputs", []))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_scores_full_marks(course, graded, assignment):
    """The published solution earns every autograded point, runs without error or stderr, and gets full marks once
    its written answer is graded."""
    graded_class = graded(assignment)
    failed, scores = _failed_cells(course, assignment, "solution")
    assert failed == set()
    row = {r["student"]: r for r in submission_scores(assignment, course)}["solution"]
    assert row["auto_score"] == _max_auto(assignment)
    nb = nbformat.read(_notebook(course, "autograded", assignment, "solution"), as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"{output.ename}: {output.evalue}"
            assert not (output.output_type == "stream" and output.name == "stderr"), output.text
    if assignment in MANUAL:
        grade_id, points = MANUAL[assignment]
        autograded_scores, autograded_row = graded_class["solution_before_manual"]
        assert autograded_scores[grade_id] is None and autograded_row["needs_manual_grade"], \
            "a written answer waits for the instructor"
        assert autograded_row["score"] == _max_auto(assignment)
        assert scores[grade_id] == points and not row["needs_manual_grade"], "graded by the fixture (formgrader)"
        assert graded_class["solution_total"] == row["score"] == row["max_score"]
    else:
        assert row["score"] == row["max_score"] == _max_auto(assignment)
    # The source runs too: the autograded solution is the source's code with its hidden tests restored.
    source = _cells(nbformat.read(_notebook(course, "source", assignment), as_version=4))
    for grade_id, cell in _cells(nb).items():
        if source[grade_id].metadata["nbgrader"]["grade"] and source[grade_id].cell_type == "code":
            assert cell.source == source[grade_id].source


@pytest.mark.parametrize("assignment, student, failing, expected",
                         [(a, v[0], v[2], v[3]) for a in ASSIGNMENTS for v in VARIANTS[a]],
                         ids=[f"{a}-{v[0]}" for a in ASSIGNMENTS for v in VARIANTS[a]])
def test_wrong_submission_scores_exactly_what_it_deserves(course, graded, assignment, student, failing, expected):
    """A wrong submission fails exactly the tests of what it got wrong, and keeps the points of everything else."""
    summary = graded(assignment)["summary"]
    failed, scores = _failed_cells(course, assignment, student)
    assert failed == failing
    assert all(scores[g] == 0 for g in failing), "a failed test cell scores 0"
    assert sum(POINTS[assignment][g] for g in POINTS[assignment] if g not in failing) == expected
    row = {r["student"]: r for r in submission_scores(assignment, course)}[student]
    assert row["auto_score"] == expected
    if summary is not None:  # graded by the class autograder: its summary agrees
        assert (summary[student]["status"], float(summary[student]["score"])) == ("graded", row["score"])


def test_feedback_names_the_first_wrong_thing(course, graded):
    """Feedback HTML is written for each student, and tells a wrong submission precisely what is wrong."""
    graded("perceptron")
    paths = generate_feedback("perceptron", course, students=["wrong_sign", "solution"])
    assert [p.parent.parent.name for p in paths] == ["solution", "wrong_sign"]
    html = (course / "feedback" / "wrong_sign" / "perceptron" / "perceptron.html").read_text()
    assert "w_new for the example of the check (a missed positive), entry [1]: -2, expected 0 (relative error 1)" in html
    # the formulas are MathML, drawn by the browser without MathJax's CDN; none is left as TeX
    assert html.count("<math") > 20 and 'display="block"' in html and r"$\hat{y}$" not in html


def test_scores_in_the_exported_csv_match_the_gradebook(course, graded, tmp_path):
    """`nn-course export` writes one row per assignment and student with the gradebook's scores."""
    for assignment in ASSIGNMENTS:
        graded(assignment)
    out = tmp_path / "grades.csv"
    assert main(["export", "--course-dir", str(course), "--to", str(out)]) == 0
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    exported = {(r["assignment"], r["student_id"]): r for r in rows}
    for assignment in ASSIGNMENTS:
        for gb_row in submission_scores(assignment, course):
            row = exported[(assignment, gb_row["student"])]
            assert float(row["score"]) == gb_row["score"]
            assert float(row["max_score"]) == gb_row["max_score"] == _max_auto(assignment) + MANUAL.get(assignment, ("", 0))[1]
            assert row["timestamp"], "the import recorded a submission time"
    # Spot checks of exact values (the solutions' written answers are graded by the `graded` fixture).
    assert float(exported[("backprop_xor", "transposed_dW")]["score"]) == 16
    assert float(exported[("perceptron", "release_untouched")]["score"]) == 0
    assert float(exported[("perceptron", "solution")]["score"]) == 10, "8 autograded + 2 graded by hand"
    subset = tmp_path / "perceptron.csv"
    export_grades(subset, course, assignments=["perceptron"])
    with open(subset, newline="") as fh:
        assert {r["assignment"] for r in csv.DictReader(fh)} == {"perceptron"}
