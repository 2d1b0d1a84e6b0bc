"""Tests for course_utils.plotting: each helper draws on the given Axes, returns it, and draws what it promises."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch  # noqa: E402
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


# --------------------------------------------------------------------------------------------------------------------
# diagrams: plot_neuron, plot_network, plot_dropout, plot_batchnorm_flow
# --------------------------------------------------------------------------------------------------------------------
def _circles(ax):
    return [p for p in ax.patches if isinstance(p, Circle)]


def _arrows(ax):
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch)]


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def _overlapping_texts(ax):
    """Pairs of texts of ``ax`` whose rendered boxes overlap (by more than half a pixel)."""
    renderer = ax.figure.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts if t.get_text().strip()]
    overlaps = []
    for k, (text_a, a) in enumerate(boxes):
        for text_b, b in boxes[k + 1:]:
            if min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5:
                overlaps.append((text_a, text_b))
    return overlaps


def _is_diagram(ax):
    return ax.get_aspect() == 1.0 and not ax.axison


def test_plot_neuron_draws_inputs_bias_sum_activation_and_output(ax):
    out = plotting.plot_neuron(3, "step", ax=ax, output_label=r"$\hat{y}$", title="the perceptron")
    assert out is ax and _is_diagram(ax) and ax.get_title() == "the perceptron"
    assert len(_circles(ax)) == 3 + 1 + 1  # inputs, the constant 1 of the bias, the sum node
    assert len(_arrows(ax)) == 3 + 1 + 2  # one per input, the bias, sum -> activation, activation -> output
    assert len([p for p in ax.patches if isinstance(p, FancyBboxPatch)]) == 1  # the activation box
    texts = _texts(ax)
    for expected in ("$x_1$", "$x_2$", "$x_3$", "$w_1$", "$w_2$", "$w_3$", "$1$", "$b$", r"$\Sigma$", "$z$", "step",
                     r"$z = \sum_i w_i x_i + b$", r"$\hat{y} = \operatorname{step}(z)$", r"$\hat{y}$"):
        assert expected in texts, expected
    sketch = [line for line in ax.lines if line.get_label() == "step sketch"]
    assert len(sketch) == 1
    y = sketch[0].get_ydata()
    assert len(np.unique(y)) == 2 and np.all(np.diff(y) >= 0)  # two levels, a jump up
    assert not _overlapping_texts(ax)


@pytest.mark.parametrize("name, label, formula", [
    ("sigmoid", "sigmoid", r"$a = \sigma(z)$"),
    ("tanh", "tanh", r"$a = \tanh(z)$"),
    ("relu", "ReLU", r"$a = \max(0, z)$"),
    ("ReLU", "ReLU", r"$a = \max(0, z)$"),
])
def test_plot_neuron_sketches_known_activations(ax, name, label, formula):
    plotting.plot_neuron(2, name, ax=ax)
    sketch = [line for line in ax.lines if line.get_label() == f"{name.lower()} sketch"]
    assert len(sketch) == 1
    y = sketch[0].get_ydata()
    assert np.all(np.diff(y) >= -1e-12) and y[-1] > y[0]  # every one of them rises
    assert label in _texts(ax) and formula in _texts(ax)


def test_plot_neuron_many_inputs_are_elided_and_bias_can_be_left_out(ax):
    plotting.plot_neuron(8, ax=ax, bias=False)
    texts = _texts(ax)
    assert len(_circles(ax)) == 3 + 1  # x_1, x_2, x_8 and the sum node
    assert len(_arrows(ax)) == 3 + 2
    assert "⋮" in texts and "$x_8$" in texts and "$w_8$" in texts and "$x_3$" not in texts
    assert "$b$" not in texts and "$1$" not in texts
    assert r"$z = \sum_i w_i x_i$" in texts
    assert "$g$" in texts and "$a = g(z)$" in texts  # an unknown activation is written, not sketched
    assert not ax.lines
    assert not _overlapping_texts(ax)


def test_plot_neuron_custom_labels(ax):
    plotting.plot_neuron(2, "h", ax=ax, input_labels=["hue", "size"], weight_labels=[r"$\theta_1$", r"$\theta_2$"])
    texts = _texts(ax)
    assert {"hue", "size", r"$\theta_1$", r"$\theta_2$", "$h$", "$a = h(z)$"} <= set(texts)


def test_plot_neuron_new_figure_when_none_is_open():
    plt.close("all")
    ax = plotting.plot_neuron(3, "sigmoid")
    try:
        assert tuple(ax.figure.get_size_inches()) != tuple(plt.rcParams["figure.figsize"])
        assert not _overlapping_texts(ax)
    finally:
        plt.close(ax.figure)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n_inputs=0), ValueError, "n_inputs must be an integer >= 1"),
    (dict(n_inputs=2.5), TypeError, "n_inputs must be an integer"),
    (dict(n_inputs=3, input_labels=["a", "b"]), ValueError, r"input_labels must have one label per input \(3\); got 2"),
    (dict(n_inputs=2, weight_labels="w"), TypeError, "weight_labels must be a list of 2 strings"),
    (dict(n_inputs=2, activation=None), TypeError, "activation must be the activation's name"),
    (dict(n_inputs=2, output_label=3), TypeError, "output_label must be a string"),
])
def test_plot_neuron_bad_input(ax, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_neuron(ax=ax, **kwargs)


def _connections(ax):
    """{(l, i, j): Line2D} of the connection lines drawn by plot_network."""
    return {tuple(int(v) for v in line.get_gid().split()[1:]): line for line in ax.lines
            if (line.get_gid() or "").startswith("connection")}


def _units(ax):
    """{(l, j): Circle} of the units drawn by plot_network, and the set of dropped ones."""
    units, dropped = {}, set()
    for p in _circles(ax):
        words = p.get_gid().split()
        units[int(words[1]), int(words[2])] = p
        if words[-1] == "dropped":
            dropped.add((int(words[1]), int(words[2])))
    return units, dropped


def test_plot_network_one_circle_per_unit_and_one_line_per_connection(ax):
    out = plotting.plot_network([2, 2, 1], ax=ax, title="XOR")
    assert out is ax and _is_diagram(ax) and ax.get_title() == "XOR"
    units, dropped = _units(ax)
    assert sorted(units) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)] and not dropped
    assert sorted(_connections(ax)) == [(0, i, j) for i in range(2) for j in range(2)] + [(1, 0, 0), (1, 1, 0)]
    for (l, i, j), line in _connections(ax).items():  # each line runs from unit i of layer l to unit j of l + 1
        start, end = units[l, i].center, units[l + 1, j].center
        assert line.get_xdata()[0] > start[0] and line.get_xdata()[1] < end[0]
    texts = _texts(ax)
    assert {"$x_1$", "$x_2$", "$a^{[1]}_1$", "$a^{[1]}_2$", r"$\hat{y}$"} <= set(texts)
    assert {"input layer\n(2 units)", "hidden layer 1\n(2 units)", "output layer\n(1 unit)"} <= set(texts)
    assert ax.get_legend() is None
    assert not _overlapping_texts(ax)


def test_plot_network_large_layers_show_first_units_an_ellipsis_and_the_last(ax):
    plotting.plot_network([784, 50, 10], ax=ax)
    units, _ = _units(ax)
    assert len(units) == 3 * 7  # 6 first units + the last, per layer (max_units=8 slots with the ellipsis)
    assert {(0, 783), (1, 49), (2, 9)} <= set(units) and (0, 6) not in units
    assert _texts(ax).count("⋮") == 3
    assert len(_connections(ax)) == 7 * 7 * 2
    texts = _texts(ax)
    assert {"$x_1$", "$x_{784}$", "$a^{[1]}_{50}$", r"$\hat{y}_1$", r"$\hat{y}_{10}$"} <= set(texts)
    assert "hidden layer 1\n(50 units)" in texts and "input layer\n(784 units)" in texts
    # The ellipsis sits between the last of the first units and the last unit.
    dots = [t for t in ax.texts if t.get_text() == "⋮" and t.get_position()[0] == units[0, 0].center[0]][0]
    assert units[0, 783].center[1] < dots.get_position()[1] < units[0, 5].center[1]
    assert not _overlapping_texts(ax)


def test_plot_network_max_units(ax):
    plotting.plot_network([5, 3], ax=ax, max_units=3)
    units, _ = _units(ax)
    assert sorted(units) == [(0, 0), (0, 4), (1, 0), (1, 1), (1, 2)]
    assert len(_connections(ax)) == 2 * 3


def test_plot_network_weights_set_width_by_magnitude_and_colour_by_sign(ax):
    W1 = np.array([[2.0, -1.0], [-0.5, 1.0]])
    W2 = np.array([[4.0], [-3.0]])
    plotting.plot_network([2, 2, 1], weights=[W1, W2], ax=ax, show_weight_values=True)
    lines = _connections(ax)
    assert len(lines) == 6
    for (l, i, j), line in lines.items():
        w = [W1, W2][l][i, j]
        assert line.get_linewidth() == pytest.approx(4.0 * abs(w) / 4.0)  # the largest |w| gets width 4
        expected = plotting.WEIGHT_COLORS[0] if w > 0 else plotting.WEIGHT_COLORS[1]
        assert to_rgba(line.get_color()) == to_rgba(expected)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["positive weight", "negative weight"]
    assert {"2", "-1", "-0.5", "1", "4", "-3"} <= set(_texts(ax))
    assert not _overlapping_texts(ax)


def test_plot_network_weights_of_elided_layers_use_the_true_unit_indices(ax):
    W1 = np.full((12, 3), 0.1)
    W1[11, 2] = -2.0  # the last input's connection to the last hidden unit
    W1[5, 0] = 50.0  # not drawn: does not set the scale
    W2 = np.full((3, 1), 0.5)
    plotting.plot_network([12, 3, 1], weights=[W1, W2], ax=ax, max_units=5)
    lines = _connections(ax)
    assert (0, 5, 0) not in lines
    assert lines[0, 11, 2].get_linewidth() == pytest.approx(4.0)
    assert to_rgba(lines[0, 11, 2].get_color()) == to_rgba(plotting.WEIGHT_COLORS[1])
    assert lines[1, 0, 0].get_linewidth() == pytest.approx(4.0 * 0.5 / 2.0)


def test_plot_network_accepts_mlp_params(ax):
    from course_utils.models import MLP

    mlp = MLP([3, 4, 2], output="softmax", seed=0)
    plotting.plot_network(mlp.layer_sizes, weights=[mlp.params["W1"], mlp.params["W2"]], ax=ax)
    lines = _connections(ax)
    assert len(lines) == 3 * 4 + 4 * 2
    largest = max(np.abs(mlp.params["W1"]).max(), np.abs(mlp.params["W2"]).max())
    assert lines[1, 3, 1].get_linewidth() == pytest.approx(4.0 * abs(mlp.params["W2"][3, 1]) / largest)


def test_plot_network_dropped_units_are_greyed_without_connections(ax):
    plotting.plot_network([3, 4, 2], ax=ax, dropped=[None, np.array([False, True, False, True]), None])
    units, dropped = _units(ax)
    assert dropped == {(1, 1), (1, 3)}
    for key in dropped:
        assert units[key].get_linestyle() == "--"
        assert to_rgba(units[key].get_facecolor()) == to_rgba(plotting.DROPPED_COLORS[0])
    assert units[1, 0].get_linestyle() == "-"
    lines = _connections(ax)
    assert len(lines) == 3 * 2 + 2 * 2
    assert not any(key[0] == 0 and key[2] in (1, 3) or key[0] == 1 and key[1] in (1, 3) for key in lines)
    label = [t for t in ax.texts if t.get_text() == "$a^{[1]}_2$"][0]
    assert to_rgba(label.get_color()) == to_rgba(plotting.DROPPED_COLORS[2])


def test_plot_network_label_options(ax):
    plotting.plot_network([2, 1], ax=ax, unit_labels=None, layer_names=None)
    assert _texts(ax) == []
    fig, ax2 = plt.subplots()
    try:
        plotting.plot_network([2, 1], ax=ax2, unit_labels=[["hue", "size"], None], layer_names=["in", "out"])
        assert sorted(_texts(ax2)) == ["hue", "in", "out", "size"]
    finally:
        plt.close(fig)


def test_plot_network_new_figure_when_none_is_open():
    plt.close("all")
    ax = plotting.plot_network([784, 50, 10])
    try:
        assert tuple(ax.figure.get_size_inches()) != tuple(plt.rcParams["figure.figsize"])
        assert not _overlapping_texts(ax)
    finally:
        plt.close(ax.figure)


@pytest.mark.parametrize("args, kwargs, error, match", [
    ([3], {}, ValueError, "at least two layers"),
    ([2, 0, 1], {}, ValueError, r"positive integers .*layer_sizes\[1\] is 0"),
    ([2, 1.5], {}, ValueError, "positive integers"),
    ("21", {}, TypeError, "list of unit counts"),
    ([2, 2, 1], dict(weights=[np.ones((2, 2)), np.ones((1, 2))]), ValueError,
     r"weights\[1\] must have shape \(2, 1\) = \(layer_sizes\[1\], layer_sizes\[2\]\); got \(1, 2\)"),
    ([2, 3], dict(weights=[np.ones((3, 2))]), ValueError, r"got \(3, 2\) \(transposed\?"),
    ([2, 2, 1], dict(weights=[np.ones((2, 2))]), ValueError, "list of 2 arrays.*; got 1"),
    ([2, 1], dict(weights=np.ones((2, 1))), ValueError, r"one array of shape \(2, 1\): wrap it in a list"),
    ([2, 1], dict(weights=3.0), TypeError, "list of 1 arrays"),
    ([2, 2, 1], dict(weights=[np.ones((2, 2)), [["a"], ["b"]]]), TypeError, "array of numbers"),
    ([2, 2, 1], dict(dropped=[None, [True]]), ValueError, r"one entry per layer \(3\)"),
    ([2, 2, 1], dict(dropped=[None, np.array([True]), None]), ValueError,
     r"dropped\[1\] must be None or a boolean mask of shape \(2,\)"),
    ([2, 2, 1], dict(dropped=[None, np.array([1, 0]), None]), ValueError, "boolean mask"),
    ([2, 2, 1], dict(unit_labels=[["a", "b"]]), ValueError, "list of 3 lists"),
    ([2, 2, 1], dict(unit_labels=[["a", "b"], ["c"], None]), ValueError,
     r"unit_labels\[1\] must have one label per unit of layer 1 \(2\); got 1"),
    ([2, 2, 1], dict(layer_names=["in", "out"]), ValueError, r"layer_names must have one label per layer \(3\)"),
    ([2, 2, 1], dict(max_units=2), ValueError, "max_units must be an integer >= 3"),
])
def test_plot_network_bad_input(ax, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_network(args, ax=ax, **kwargs)


def _dropped_per_panel(axes):
    return [_units(a)[1] for a in axes]


def test_plot_dropout_two_seeded_panels():
    axes = plotting.plot_dropout([3, 5, 5, 2], p=0.5)
    try:
        assert isinstance(axes, np.ndarray) and axes.shape == (2,)
        assert [a.get_title() for a in axes] == ["mini-batch 1", "mini-batch 2"]
        assert "p = 0.5" in axes[0].figure._suptitle.get_text()
        for seed, dropped in zip((0, 1), _dropped_per_panel(axes)):
            rng = np.random.default_rng(seed)
            expected = {(l, j) for l in (1, 2) for j in np.flatnonzero(rng.random(5) < 0.5)}
            assert dropped == expected  # these seeds leave every hidden layer at least one unit
            assert all(l in (1, 2) for l, _ in dropped)  # inputs and outputs are never dropped
        assert _dropped_per_panel(axes)[0] != _dropped_per_panel(axes)[1]
    finally:
        plt.close(axes[0].figure)


def test_plot_dropout_keeps_a_unit_in_every_hidden_layer():
    fig, axes = plt.subplots(1, 3)
    try:
        out = plotting.plot_dropout([2, 4, 30, 1], p=0.999, seeds=(0, 1, 2), axes=axes)
        assert out.shape == (3,) and out[2] is axes[2]
        for a in axes:
            units, dropped = _units(a)
            for l in (1, 2):
                assert len({k for k in units if k[0] == l} - dropped) == 1
            assert not any(k[0] in (0, 3) for k in dropped)
    finally:
        plt.close(fig)


def test_plot_dropout_p_zero_drops_nothing():
    axes = plotting.plot_dropout([2, 3, 1], p=0, seeds=(5,))
    try:
        assert axes.shape == (1,) and _dropped_per_panel(axes) == [set()]
        assert len(_connections(axes[0])) == 2 * 3 + 3
    finally:
        plt.close(axes[0].figure)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(p=1.0), ValueError, "0 <= p < 1"),
    (dict(p=-0.1), ValueError, "0 <= p < 1"),
    (dict(p="0.5"), TypeError, "0 <= p < 1"),
    (dict(seeds=()), TypeError, "non-empty list of integer seeds"),
    (dict(seeds=(0, -1)), ValueError, "non-negative integers"),
])
def test_plot_dropout_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_dropout([2, 3, 1], **kwargs)


def test_plot_dropout_needs_one_axes_per_seed():
    fig, ax = plt.subplots()
    try:
        with pytest.raises(ValueError, match="2 seeds need at least 2 Axes; got 1"):
            plotting.plot_dropout([2, 3, 1], axes=[ax])
    finally:
        plt.close(fig)


def _boxes(ax):
    return {p.get_gid(): p for p in ax.patches if isinstance(p, FancyBboxPatch)}


def _texts_outside_their_box(ax):
    """Texts drawn for a box (same gid) that stick out of it on screen."""
    renderer = ax.figure.canvas.get_renderer()
    boxes = _boxes(ax)
    outside = []
    for t in ax.texts:
        if t.get_gid() in boxes:
            inner, outer = t.get_window_extent(renderer), boxes[t.get_gid()].get_window_extent(renderer)
            if inner.x0 < outer.x0 or inner.x1 > outer.x1 or inner.y0 < outer.y0 or inner.y1 > outer.y1:
                outside.append(t.get_text())
    return outside


def test_plot_batchnorm_flow_both_rows(ax):
    out = plotting.plot_batchnorm_flow(ax=ax)
    assert out is ax and _is_diagram(ax)
    boxes = _boxes(ax)
    assert set(boxes) == {"train:batch", "train:stats", "train:normalise", "train:scale", "train:output",
                          "train:learned", "train:running", "inference:input", "inference:stored",
                          "inference:normalise_inference", "inference:scale", "inference:output",
                          "inference:learned"}
    texts = _texts(ax)
    for expected in ("training", "inference", "batch statistics", r"$\mu_B = \frac{1}{N}\sum_i z_i$",
                     r"$\sigma_B^2 = \frac{1}{N}\sum_i (z_i - \mu_B)^2$", "normalise",
                     r"$\hat{z}_i = (z_i - \mu_B)\, /\, \sqrt{\sigma_B^2 + \epsilon}$", "scale and shift",
                     r"$\gamma\, \hat{z}_i + \beta$", "learned parameters", "running averages",
                     r"$\mu \leftarrow m\, \mu + (1 - m)\, \mu_B$", "stored statistics", r"running mean $\mu$"):
        assert expected in texts, expected
    # 4 + 4 along the two chains, the bypass of z to the normalisation in each row, the learned parameters in each
    # row, batch statistics -> running averages -> stored statistics.
    assert len(_arrows(ax)) == 8 + 2 + 2 + 2
    # The running averages feed the inference row from above.
    running, stored = boxes["train:running"].get_bbox(), boxes["inference:stored"].get_bbox()
    assert stored.y1 < running.y0 and stored.x0 < (running.x0 + running.x1) / 2 < stored.x1


@pytest.mark.parametrize("mode, present, absent", [
    ("train", "train:running", "inference:stored"),
    ("inference", "inference:running", "train:stats"),
])
def test_plot_batchnorm_flow_one_row(ax, mode, present, absent):
    plotting.plot_batchnorm_flow(ax=ax, mode=mode)
    boxes = _boxes(ax)
    assert present in boxes and absent not in boxes
    assert ("training" in _texts(ax)) == (mode == "train")
    if mode == "inference":
        assert boxes["inference:running"].get_linestyle() == "--"  # it lives in training


@pytest.mark.parametrize("mode", ["both", "train", "inference"])
def test_plot_batchnorm_flow_text_fits_in_boxes(mode):
    plt.close("all")
    ax = plotting.plot_batchnorm_flow(mode=mode)  # the figure it makes for itself
    try:
        assert _texts_outside_their_box(ax) == []
        assert not _overlapping_texts(ax)
    finally:
        plt.close(ax.figure)
    fig, small = plt.subplots(figsize=(6, 4))  # the fonts follow a small Axes
    try:
        plotting.plot_batchnorm_flow(ax=small, mode=mode)
        assert _texts_outside_their_box(small) == []
    finally:
        plt.close(fig)


def test_plot_batchnorm_flow_bad_mode(ax):
    with pytest.raises(ValueError, match="mode must be 'train', 'inference' or 'both'; got 'test'"):
        plotting.plot_batchnorm_flow(ax=ax, mode="test")


# --------------------------------------------------------------------------------------------------------------------
# plot_prediction
# --------------------------------------------------------------------------------------------------------------------
def _probabilities(predicted=3, K=10):
    p = np.full(K, 0.2 / (K - 1))
    p[predicted] = 0.8
    return p


def _bar_heights(ax):
    return np.array([patch.get_height() for patch in ax.patches])


def test_plot_prediction_image_left_bars_right_correct_prediction():
    image = np.random.default_rng(0).random((28, 28))
    axes = plotting.plot_prediction(image, _probabilities(3), true_label=3)
    try:
        image_ax, bar_ax = axes
        assert image_ax.images[0].get_array().shape == (28, 28)
        np.testing.assert_allclose(_bar_heights(bar_ax), _probabilities(3))
        assert [t.get_text() for t in bar_ax.get_xticklabels()] == [str(k) for k in range(10)]
        assert image_ax.get_title() == "true 3, predicted 3 (0.80)"
        assert image_ax.title.get_color() != plotting.HIGHLIGHT_COLOR
        # the predicted bar is filled in colour, the others grey; the true class is marked
        grey = [np.allclose(patch.get_facecolor(), to_rgba("0.8")) for patch in bar_ax.patches]
        assert grey == [k != 3 for k in range(10)]
        marks = [t for t in bar_ax.texts if t.get_text() == "true"]
        assert len(marks) == 1 and marks[0].xy[0] == 3
    finally:
        plt.close(axes[0].figure)


def test_plot_prediction_wrong_prediction_in_red_flat_image_class_names_given_axes():
    fig, axes = plt.subplots(1, 2)
    names = ["zero", "one", "two"]
    try:
        out = plotting.plot_prediction(np.zeros(16), [0.1, 0.2, 0.7], true_label=np.int64(0), class_names=names,
                                       axes=axes)
        assert out[0] is axes[0] and out[1] is axes[1]
        assert axes[0].images[0].get_array().shape == (4, 4)
        assert axes[0].get_title() == "true zero, predicted two (0.70)"
        assert axes[0].title.get_color() == plotting.HIGHLIGHT_COLOR
        assert np.allclose(axes[1].patches[2].get_facecolor(), to_rgba(plotting.HIGHLIGHT_COLOR))
        assert [t.get_text() for t in axes[1].get_xticklabels()] == names
        assert [t.xy[0] for t in axes[1].texts if t.get_text() == "true"] == [0]
    finally:
        plt.close(fig)


def test_plot_prediction_without_true_label():
    axes = plotting.plot_prediction(np.zeros((5, 5)), [0.5, 0.5])
    try:
        assert axes[0].get_title() == "predicted 0 (0.50)"
        assert not [t for t in axes[1].texts if t.get_text() == "true"]
    finally:
        plt.close(axes[0].figure)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(image=np.zeros((3, 28, 28))), ValueError, r"image must have shape \(H, W\).*got shape \(3, 28, 28\)"),
    (dict(image=np.zeros(10)), ValueError, r"square number of pixels.*\(10,\)"),
    (dict(probabilities=np.full((1, 10), 0.1)), ValueError, r"shape \(K,\).*got shape \(1, 10\)"),
    (dict(probabilities=np.full(10, 0.2)), ValueError, "must sum to 1.*sum to 2"),
    (dict(probabilities=np.array([2.0, -1.0] + [0.0] * 8)), ValueError, "non-negative"),
    (dict(probabilities=np.array([np.nan] + [0.1] * 9)), ValueError, "finite"),
    (dict(probabilities=["a"] * 10), TypeError, "array of numbers"),
    (dict(true_label=10), ValueError, r"class in 0\.\.9; got 10"),
    (dict(true_label=1.5), TypeError, "integer class"),
    (dict(class_names=["a", "b"]), ValueError, r"one name per class \(10\); got 2"),
    (dict(axes="left"), TypeError, "two matplotlib Axes"),
])
def test_plot_prediction_bad_input(kwargs, error, match):
    args = dict(image=np.zeros((28, 28)), probabilities=np.full(10, 0.1))
    args.update(kwargs)
    try:
        with pytest.raises(error, match=match):
            plotting.plot_prediction(**args)
    finally:
        plt.close("all")
