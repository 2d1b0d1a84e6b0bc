"""Tests for course_utils.plotting: each helper draws on the given Axes, returns it, and draws what it promises."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402

from course_utils import plotting  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.fixture
def two_blobs():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-2, 0.5, (20, 2)), rng.normal(2, 0.5, (20, 2))])
    y = np.repeat([0, 1], 20)
    return X, y


def _scatters(ax):
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def _contours(ax):
    return [c for c in ax.collections if isinstance(c, ContourSet)]


# --------------------------------------------------------------------------------------------------------------------
# plot_data
# --------------------------------------------------------------------------------------------------------------------
def test_plot_data_one_scatter_per_class_with_legend(ax, two_blobs):
    X, y = two_blobs
    out = plotting.plot_data(X, y, ax=ax, class_names=("apple", "banana"), feature_names=("hue", "elongation"),
                             title="fruit")
    assert out is ax
    scatters = _scatters(ax)
    assert len(scatters) == 2
    np.testing.assert_allclose(scatters[0].get_offsets(), X[y == 0])
    np.testing.assert_allclose(scatters[1].get_offsets(), X[y == 1])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["apple", "banana"]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("hue", "elongation", "fruit")


def test_plot_data_three_classes_get_different_colours(ax):
    X = np.arange(12, dtype=float).reshape(6, 2)
    plotting.plot_data(X, [0, 1, 2, 0, 1, 2], ax=ax)
    colours = {tuple(np.round(c.get_facecolor()[0][:3], 3)) for c in _scatters(ax)}
    assert len(colours) == 3


def test_plot_data_highlight_rings_the_masked_points(ax, two_blobs):
    X, y = two_blobs
    mask = np.zeros(len(y), dtype=bool)
    mask[[0, 5, 30]] = True
    plotting.plot_data(X, y, ax=ax, highlight=mask)
    scatters = _scatters(ax)
    assert len(scatters) == 3
    np.testing.assert_allclose(scatters[-1].get_offsets(), X[mask])
    assert "misclassified (3)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_data_without_labels_uses_current_axes(two_blobs):
    X, _ = two_blobs
    fig, ax = plt.subplots()
    try:
        assert plotting.plot_data(X) is ax
        assert len(_scatters(ax)) == 1
    finally:
        plt.close(fig)


@pytest.mark.parametrize("X, y, error, match", [
    (np.zeros((5, 3)), None, ValueError, r"shape \(N, 2\)"),
    (np.zeros(5), None, ValueError, r"shape \(N, 2\)"),
    (np.zeros((5, 2)), np.zeros(4), ValueError, r"shape \(5,\)"),
    (np.zeros((2, 2)), np.array([0.2, 0.9]), ValueError, "integer class labels"),
    ([["a", "b"]], None, TypeError, "numbers"),
])
def test_plot_data_bad_input(ax, X, y, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_data(X, y, ax=ax)


def test_plot_data_bad_highlight(ax, two_blobs):
    X, y = two_blobs
    with pytest.raises(ValueError, match="boolean mask"):
        plotting.plot_data(X, y, ax=ax, highlight=np.ones(3, dtype=bool))


# --------------------------------------------------------------------------------------------------------------------
# plot_decision_boundary
# --------------------------------------------------------------------------------------------------------------------
class _ProbaModel:
    """A logistic model p = sigmoid(x1 + x2) with the course_utils/scikit-learn interface."""

    def predict_proba(self, X):
        return 1.0 / (1.0 + np.exp(-(X[:, 0] + X[:, 1])))

    def predict(self, X):
        return (self.predict_proba(X) >= 0.5).astype(int)


class _LabelModel:
    def predict(self, X):
        return (X[:, 0] > 0).astype(int)


def test_decision_boundary_probability_draws_filled_contour_boundary_and_points(ax, two_blobs):
    X, y = two_blobs
    out = plotting.plot_decision_boundary(_ProbaModel(), X, y, ax=ax, resolution=50, title="logistic")
    assert out is ax
    contours = _contours(ax)
    assert len(contours) == 2  # filled probability + the 0.5 line
    assert contours[0].filled and not contours[1].filled
    np.testing.assert_allclose(contours[1].levels, [0.5])
    assert len(_scatters(ax)) == 2
    assert ax.get_title() == "logistic"


def test_decision_boundary_line_lies_where_the_model_switches(ax):
    X = np.array([[-1.0, -1.0], [1.0, 1.0]])
    plotting.plot_decision_boundary(lambda Z: (Z[:, 0] > 0.25).astype(int), X, ax=ax, resolution=201,
                                    padding=0.0)
    line = _contours(ax)[1]
    vertices = np.concatenate([p.vertices for p in line.get_paths()])
    np.testing.assert_allclose(vertices[:, 0], 0.25, atol=0.011)  # grid step is 0.01


def test_decision_boundary_label_model_draws_class_regions(ax, two_blobs):
    X, y = two_blobs
    plotting.plot_decision_boundary(_LabelModel(), X, y, ax=ax, resolution=40)
    filled = _contours(ax)[0]
    assert filled.filled
    np.testing.assert_allclose(filled.levels, [-0.5, 0.5, 1.5])


def test_decision_boundary_callable_kinds(two_blobs):
    X, y = two_blobs
    cases = {
        "class": lambda Z: (Z[:, 1] > 0).astype(int),
        "proba": lambda Z: 1 / (1 + np.exp(-Z[:, 1])),
        "score": lambda Z: Z[:, 1] - 0.3,
    }
    for expected, fn in cases.items():
        fig, ax = plt.subplots()
        try:
            plotting.plot_decision_boundary(fn, X, y, ax=ax, resolution=30)
            filled, line = _contours(ax)
            boundary = {"class": None, "proba": [0.5], "score": [0.0]}[expected]
            if boundary is not None:
                np.testing.assert_allclose(line.levels, boundary)
            else:
                np.testing.assert_allclose(filled.levels, [-0.5, 0.5, 1.5])
        finally:
            plt.close(fig)


def test_decision_boundary_multiclass_probabilities_draw_argmax_regions(ax):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2))
    y = np.arange(30) % 3
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])

    def proba(Z):
        logits = -((Z[:, None, :] - centres[None]) ** 2).sum(axis=2)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    plotting.plot_decision_boundary(proba, X, y, ax=ax, resolution=60, xlim=(-4, 4), ylim=(-4, 4))
    filled, *lines = _contours(ax)
    assert len(filled.levels) == 4  # three regions
    assert len(lines) == 3  # one "ties with the best other class" line per class
    for k, line in enumerate(lines):
        np.testing.assert_allclose(line.levels, [0.0])
        vertices = np.concatenate([p.vertices for p in line.get_paths()])
        # On class k's boundary, k ties with the best other class: two largest probabilities are equal.
        top_two = np.sort(proba(vertices), axis=1)[:, -2:]
        np.testing.assert_allclose(top_two[:, 0], top_two[:, 1], atol=0.05)
    assert len(_scatters(ax)) == 3
    assert ax.get_xlim() == (-4, 4)


def test_decision_boundary_multiclass_as_class_labels(ax):
    X = np.array([[-1.0, -1.0], [1.0, 1.0]])
    plotting.plot_decision_boundary(lambda Z: np.column_stack([Z[:, 0], Z[:, 1], -Z[:, 0]]), X, ax=ax,
                                    kind="class", resolution=30)
    filled, line = _contours(ax)
    assert filled.filled and not line.filled


def test_decision_boundary_with_keras_like_model(ax, two_blobs):
    class KerasLike:
        layers = []
        calls = []

        def compile(self):
            pass

        def predict(self, X, verbose="auto"):
            self.calls.append(verbose)
            return (1 / (1 + np.exp(-X[:, :1])))  # (M, 1) sigmoid output

    X, y = two_blobs
    model = KerasLike()
    plotting.plot_decision_boundary(model, X, y, ax=ax, resolution=20)
    assert model.calls == [0]  # quiet: no Keras progress bar in lecture outputs
    np.testing.assert_allclose(_contours(ax)[1].levels, [0.5])


def test_decision_boundary_bad_model_and_kind(ax, two_blobs):
    X, y = two_blobs
    with pytest.raises(TypeError, match="function"):
        plotting.plot_decision_boundary(42, X, y, ax=ax)
    with pytest.raises(ValueError, match="kind"):
        plotting.plot_decision_boundary(_LabelModel(), X, y, ax=ax, kind="regions")
    with pytest.raises(ValueError, match="returned shape"):
        plotting.plot_decision_boundary(lambda Z: np.zeros(3), X, y, ax=ax)
    with pytest.raises(ValueError, match="resolution"):
        plotting.plot_decision_boundary(_LabelModel(), X, y, ax=ax, resolution=1)


# --------------------------------------------------------------------------------------------------------------------
# plot_linear_boundary
# --------------------------------------------------------------------------------------------------------------------
def test_linear_boundary_draws_the_line_and_the_normal(ax):
    ax.set_xlim(-3, 3)
    ax.set_ylim(-3, 3)
    out = plotting.plot_linear_boundary([1.0, 2.0], -1.0, ax=ax)
    assert out is ax
    assert len(ax.lines) == 1
    line = ax.lines[0]
    (x1, y1), (x2, y2) = line._xy1, line._xy2  # the two points that define the infinite line
    for px, py in ((x1, y1), (x2, y2)):
        assert abs(1.0 * px + 2.0 * py - 1.0) < 1e-12
    arrows = [t for t in ax.texts if isinstance(t, Annotation) and t.arrow_patch is not None]
    assert len(arrows) == 1
    start, tip = np.array(arrows[0].xyann), np.array(arrows[0].xy)
    direction = (tip - start) / np.linalg.norm(tip - start)
    np.testing.assert_allclose(direction, np.array([1.0, 2.0]) / np.sqrt(5))  # points along w, to class 1
    assert abs(start @ [1.0, 2.0] - 1.0) < 1e-12  # starts on the line
    assert ax.get_xlim() == (-3, 3) and ax.get_ylim() == (-3, 3)


def test_linear_boundary_vertical_line_and_no_normal(ax):
    plotting.plot_linear_boundary(np.array([[2.0], [0.0]]), np.array([-1.0]), ax=ax, show_normal=False)
    assert len(ax.lines) == 1 and len(ax.texts) == 0
    line = ax.lines[0]
    assert line._xy1[0] == pytest.approx(0.5) and line._xy2[0] == pytest.approx(0.5)


@pytest.mark.parametrize("w, b, match", [
    ([0.0, 0.0], 0.0, "no direction"),
    ([1.0, 2.0, 3.0], 0.0, "two weights"),
    ([1.0, 2.0], [1.0, 2.0], "single number"),
])
def test_linear_boundary_bad_input(ax, w, b, match):
    with pytest.raises(ValueError, match=match):
        plotting.plot_linear_boundary(w, b, ax=ax)


# --------------------------------------------------------------------------------------------------------------------
# plot_history
# --------------------------------------------------------------------------------------------------------------------
HISTORY = {"loss": [1.0, 0.5, 0.3], "accuracy": [0.5, 0.8, 0.9], "val_loss": [1.1, 0.7, 0.6],
           "val_accuracy": [0.4, 0.7, 0.8]}


def test_history_default_plots_losses_with_dashed_validation(ax):
    out = plotting.plot_history(HISTORY, ax=ax, title="training")
    assert out is ax
    assert [line.get_label() for line in ax.lines] == ["loss (training)", "loss (validation)"]
    train, val = ax.lines
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(train.get_ydata(), HISTORY["loss"])
    assert train.get_linestyle() == "-" and val.get_linestyle() == "--"
    assert train.get_color() == val.get_color()
    assert ax.get_title() == "training" and ax.get_xlabel() == "epoch"


def test_history_chosen_keys_and_keras_history(ax):
    class History:  # what keras.callbacks.History looks like
        history = HISTORY

    plotting.plot_history(History(), keys=("accuracy", "val_accuracy"), ax=ax, logy=True)
    assert len(ax.lines) == 2
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), HISTORY["val_accuracy"])
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == "accuracy"


def test_history_single_key_string(ax):
    plotting.plot_history({"accuracy": [0.1, 0.2]}, keys="accuracy", ax=ax)
    assert [line.get_label() for line in ax.lines] == ["accuracy"]


def test_history_bad_input(ax):
    with pytest.raises(ValueError, match="has no"):
        plotting.plot_history(HISTORY, keys=["acc"], ax=ax)
    with pytest.raises(TypeError, match="dict"):
        plotting.plot_history([1, 2, 3], ax=ax)
    with pytest.raises(ValueError, match="empty"):
        plotting.plot_history({}, ax=ax)


# --------------------------------------------------------------------------------------------------------------------
# plot_confusion_matrix
# --------------------------------------------------------------------------------------------------------------------
def test_confusion_matrix_counts_in_cells(ax):
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 2, 2]
    out = plotting.plot_confusion_matrix(y_true, y_pred, ax=ax, labels=["zero", "one", "two"], title="cm")
    assert out is ax
    assert len(ax.images) == 1
    np.testing.assert_array_equal(ax.images[0].get_array(), [[1, 1, 0], [0, 2, 1], [0, 0, 1]])
    texts = [t.get_text() for t in ax.texts]
    assert sorted(texts) == sorted(["1", "1", "0", "0", "2", "1", "0", "0", "1"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["zero", "one", "two"]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("predicted class", "true class", "cm")
    assert len(ax.figure.axes) == 1  # no colour bar


def test_confusion_matrix_normalized_rows_sum_to_one(ax):
    plotting.plot_confusion_matrix([0, 0, 0, 1], [0, 0, 1, 1], ax=ax, normalize=True)
    matrix = np.asarray(ax.images[0].get_array())
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0)
    assert "0.67" in [t.get_text() for t in ax.texts]


def test_confusion_matrix_length_mismatch(ax):
    with pytest.raises(ValueError, match="same length"):
        plotting.plot_confusion_matrix([0, 1], [0], ax=ax)


# --------------------------------------------------------------------------------------------------------------------
# show_images
# --------------------------------------------------------------------------------------------------------------------
def test_show_images_grid_titles_and_wrong_predictions_in_red():
    images = np.random.default_rng(0).random((7, 28 * 28))
    axes = plotting.show_images(images, labels=[0, 1, 2, 3, 4, 5, 6], predictions=[0, 1, 2, 9, 4, 5, 6], n_cols=4)
    try:
        assert axes.shape == (2, 4)
        flat = axes.ravel()
        assert all(len(a.images) == 1 for a in flat[:7]) and len(flat[7].images) == 0
        assert flat[0].images[0].get_array().shape == (28, 28)
        assert flat[0].get_title() == "0"
        assert flat[3].get_title() == "3 → 9"
        assert flat[3].title.get_color() == plotting.HIGHLIGHT_COLOR
        assert not flat[7].axison
    finally:
        plt.close(flat[0].figure)


def test_show_images_on_given_axes_with_class_names():
    fig, axes = plt.subplots(1, 3)
    try:
        out = plotting.show_images(np.zeros((2, 5, 5)), labels=[1, 0], axes=axes, class_names=["cat", "dog"])
        assert out.shape == (3,) and out[0] is axes[0]
        assert [a.get_title() for a in axes[:2]] == ["dog", "cat"]
        with pytest.raises(ValueError, match="at least 4 Axes"):
            plotting.show_images(np.zeros((4, 5, 5)), axes=axes)
    finally:
        plt.close(fig)


def test_show_images_bad_input():
    with pytest.raises(ValueError, match="square"):
        plotting.show_images(np.zeros((3, 10)))
    with pytest.raises(ValueError, match="one entry per image"):
        plotting.show_images(np.zeros((3, 4, 4)), labels=[1, 2])


# --------------------------------------------------------------------------------------------------------------------
# plot_activation
# --------------------------------------------------------------------------------------------------------------------
def test_plot_activation_draws_function_and_derivative(ax):
    def tanh(z):
        return np.tanh(z)

    out = plotting.plot_activation(tanh, lambda z: 1 - np.tanh(z) ** 2, ax=ax)
    assert out is ax
    fn_line, grad_line = ax.lines[-2:]
    np.testing.assert_allclose(fn_line.get_ydata(), np.tanh(fn_line.get_xdata()))
    np.testing.assert_allclose(grad_line.get_ydata(), 1 - np.tanh(grad_line.get_xdata()) ** 2)
    assert grad_line.get_linestyle() == "--"
    assert ax.get_title() == "tanh"
    assert fn_line.get_xdata().min() == -5 and fn_line.get_xdata().max() == 5


def test_plot_activation_without_derivative_and_custom_range(ax):
    plotting.plot_activation(np.exp, ax=ax, z=np.linspace(0, 1, 5), name="exp")
    data_lines = [line for line in ax.lines if len(line.get_xdata()) == 5]
    assert len(data_lines) == 1
    with pytest.raises(TypeError, match="functions"):
        plotting.plot_activation("relu", ax=ax)
