"""Tests for course_utils.widgets: the pure logic, and that the widgets build and follow their controls."""
import base64
import io

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.image  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402

from course_utils import models, toy_data, widgets  # noqa: E402


@pytest.fixture(scope="module")
def fruit():
    X, y = toy_data.make_banana_apple(n=60, seed=0)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


# --------------------------------------------------------------------------------------------------------------------
# pure logic
# --------------------------------------------------------------------------------------------------------------------
def test_linear_predict_and_misclassified_mask_by_hand():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.5, 0.5]])
    y = np.array([1, 0, 0, 0])
    w, b = np.array([1.0, -1.0]), 0.0  # scores 1, -1, -1, 0 -> predictions 1, 0, 0, 1 (step(0) = 1)
    np.testing.assert_array_equal(widgets.linear_predict(X, w, b), [1, 0, 0, 1])
    np.testing.assert_array_equal(widgets.misclassified_mask(X, y, w, b), [False, False, False, True])


def test_linear_predict_agrees_with_the_reference_perceptron(fruit):
    X, y = fruit
    model = models.Perceptron(n_features=2)
    model.params["W"][:, 0] = [0.7, -1.3]
    model.params["b"][0] = 0.2
    np.testing.assert_array_equal(widgets.linear_predict(X, [0.7, -1.3], 0.2), model.predict(X))


def test_perceptron_rule_step_updates_towards_the_mistake():
    X = np.array([[2.0, 1.0], [-1.0, -1.0]])
    y = np.array([0, 1])
    w, b, i = widgets.perceptron_rule_step(X, y, [1.0, 0.0], 0.0, learning_rate=0.5)
    assert i == 0  # x0 scores 2 -> predicted 1, label 0: error -1
    np.testing.assert_allclose(w, [1.0 - 0.5 * 2.0, 0.0 - 0.5 * 1.0])
    assert b == -0.5
    _, _, i = widgets.perceptron_rule_step(X, y, [1.0, 0.0], 0.0, start=1)
    assert i == 1  # x1 scores -1 -> predicted 0, label 1: the search starts at index 1


def test_perceptron_rule_step_without_mistakes_changes_nothing():
    X = np.array([[1.0, 1.0], [-1.0, -1.0]])
    w, b, i = widgets.perceptron_rule_step(X, [1, 0], [1.0, 1.0], 0.0)
    assert i is None
    np.testing.assert_array_equal(w, [1.0, 1.0])
    assert b == 0.0


def test_repeated_rule_steps_converge_on_separable_data(fruit):
    X, y = fruit
    w, b, start = np.zeros(2), 0.0, 0
    for _ in range(1000):
        w, b, i = widgets.perceptron_rule_step(X, y, w, b, start=start)
        if i is None:
            break
        start = i + 1
    assert i is None
    assert not widgets.misclassified_mask(X, y, w, b).any()


def test_gd_trajectory_matches_hand_written_gradient_descent(fruit):
    X, y = fruit
    trajectory = widgets.logistic_gd_trajectory(X, y, learning_rate=0.3, n_steps=20, w0=(0.5, -0.5), b0=0.1)
    assert trajectory["w"].shape == (21, 2) and trajectory["b"].shape == (21,)
    w, b = np.array([0.5, -0.5]), 0.1
    for t in range(21):
        a = 1.0 / (1.0 + np.exp(-(X @ w + b)))
        loss = -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))
        np.testing.assert_allclose(trajectory["w"][t], w, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(trajectory["loss"][t], loss, rtol=1e-10)
        assert trajectory["accuracy"][t] == np.mean((a >= 0.5) == y)
        dz = a - y
        w, b = w - 0.3 * X.T @ dz / len(y), b - 0.3 * dz.mean()
    assert np.all(np.diff(trajectory["loss"]) < 0)  # a small step on a convex loss always goes down


def test_gd_trajectory_with_too_large_learning_rate_is_not_monotone():
    X, y = toy_data.make_banana_apple(n=60, overlap=0.6, seed=0)
    trajectory = widgets.logistic_gd_trajectory(X, y, learning_rate=5.0, n_steps=30)
    assert np.any(np.diff(trajectory["loss"]) > 0)


@pytest.mark.parametrize("call, match", [
    (lambda X, y: widgets.misclassified_mask(X[:, :1], y, [1, 1], 0), r"shape \(N, 2\)"),
    (lambda X, y: widgets.misclassified_mask(X, y[:-1], [1, 1], 0), "one label per row"),
    (lambda X, y: widgets.misclassified_mask(X, 2 * y - 1, [1, 1], 0), "0/1"),
    (lambda X, y: widgets.misclassified_mask(X, y, [1, 1, 1], 0), "two weights"),
    (lambda X, y: widgets.perceptron_rule_step(X, y, [1, 1], 0, learning_rate=0), "learning_rate"),
    (lambda X, y: widgets.logistic_gd_trajectory(X, y, n_steps=0), "n_steps"),
    (lambda X, y: widgets.perceptron_widget(X, y, weight_range=(1, -1)), "weight_range"),
])
def test_bad_input(fruit, call, match):
    X, y = fruit
    with pytest.raises(ValueError, match=match):
        call(X, y)


# --------------------------------------------------------------------------------------------------------------------
# widgets
# --------------------------------------------------------------------------------------------------------------------
def _ring_count(ax):
    """Number of points in the red 'misclassified' ring scatter (0 when there is none)."""
    for collection in ax.collections:
        if isinstance(collection, PathCollection) and collection.get_label().startswith("misclassified"):
            return len(collection.get_offsets())
    return 0


def test_perceptron_widget_builds_and_follows_its_sliders(fruit):
    X, y = fruit
    explorer = widgets.perceptron_widget(X, y, w=(1.0, 1.0), b=0.0, class_names=toy_data.BANANA_APPLE_CLASSES)
    assert isinstance(explorer.widget, ipywidgets.VBox)
    for control in (explorer.w1, explorer.w2, explorer.b_slider):
        assert isinstance(control, ipywidgets.FloatSlider)
    np.testing.assert_array_equal(explorer.misclassified, widgets.misclassified_mask(X, y, [1.0, 1.0], 0.0))
    # Turning the normal vector around misclassifies (almost) everything: the state and the drawing follow.
    explorer.w1.value = -1.0
    explorer.w2.value = -1.0
    expected = widgets.misclassified_mask(X, y, [-1.0, -1.0], 0.0)
    np.testing.assert_array_equal(explorer.misclassified, expected)
    assert expected.sum() > len(y) / 2
    assert _ring_count(explorer.ax) == expected.sum()
    assert f"{expected.sum()} misclassified" in explorer.status.value
    assert f"{expected.sum()} of {len(y)} misclassified" in explorer.ax.get_title()
    assert "$w_1$ = -1.00" in explorer.ax.get_title()
    explorer.b_slider.value = 0.5
    assert "$b$ = 0.50" in explorer.ax.get_title()


def test_perceptron_widget_learning_rule_button_and_reset(fruit):
    X, y = fruit
    explorer = widgets.perceptron_widget(X, y, w=(-1.0, -1.0), b=0.0)
    before = explorer.misclassified.sum()
    for _ in range(200):
        if explorer.learn_step() is None:
            break
    assert explorer.misclassified.sum() == 0 < before
    assert explorer.n_steps > 0
    assert "all points are on the right side" in explorer.status.value
    explorer.step_button.click()  # nothing left to learn: a no-op
    explorer.reset_button.click()
    np.testing.assert_array_equal(explorer.w, [-1.0, -1.0])
    assert explorer.misclassified.sum() == before and explorer.n_steps == 0


def test_perceptron_widget_widens_a_slider_when_the_rule_leaves_its_range():
    X = np.array([[10.0, 0.0], [-10.0, 0.0]])
    explorer = widgets.perceptron_widget(X, [1, 0], w=(-1.0, 0.0), b=0.0, weight_range=(-2.0, 2.0))
    explorer.learn_step()  # w1 = -1 + 10 = 9, beyond the slider's max of 2
    assert explorer.w1.max >= 9.0 and explorer.w1.value == 9.0


def test_gradient_descent_widget_builds_and_follows_step_and_learning_rate(fruit):
    X, y = fruit
    explorer = widgets.gradient_descent_widget(X, y, learning_rate=0.5, n_steps=30)
    assert isinstance(explorer.widget, ipywidgets.VBox)
    assert explorer.step == 0 and explorer.trajectory["w"].shape == (31, 2)
    assert explorer.axes[0].get_title().startswith("step 0:")
    explorer.step_slider.value = 12
    ax_boundary, ax_loss = explorer.axes
    assert ax_boundary.get_title().startswith("step 12:")
    marker = ax_loss.lines[-1]
    assert marker.get_xdata()[0] == 12
    assert marker.get_ydata()[0] == pytest.approx(explorer.trajectory["loss"][12])
    explorer.next_button.click()
    assert explorer.step == 13
    explorer.back_button.click()
    explorer.back_button.click()
    assert explorer.step == 11
    slow_loss = explorer.trajectory["loss"][-1]
    explorer.learning_rate.value = 0.01
    assert explorer.trajectory["loss"][-1] > slow_loss  # a smaller learning rate gets less far in 30 steps
    np.testing.assert_allclose(
        explorer.trajectory["loss"], widgets.logistic_gd_trajectory(X, y, 0.01, 30)["loss"])


def test_gradient_descent_widget_warns_in_the_status_when_the_loss_goes_up():
    X, y = toy_data.make_banana_apple(n=60, overlap=0.6, seed=0)
    explorer = widgets.gradient_descent_widget(X, y, learning_rate=5.0, n_steps=20)
    assert "too large" in explorer.status.value


def test_draw_gd_state_rejects_a_step_out_of_range(fruit):
    X, y = fruit
    explorer = widgets.gradient_descent_widget(X, y, n_steps=5)
    with pytest.raises(ValueError, match="between 0 and 5"):
        widgets.draw_gd_state(X, y, explorer.trajectory, 6, explorer.axes)


# --------------------------------------------------------------------------------------------------------------------
# static frame: what a page without a kernel (the course website) shows
# --------------------------------------------------------------------------------------------------------------------
def _bundle(obj):
    """What IPython publishes when ``obj`` is the last expression of a cell: (data, metadata)."""
    from IPython.core.formatters import DisplayFormatter

    return DisplayFormatter().format(obj)


def _decode_png(data):
    png = base64.b64decode(data["image/png"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return matplotlib.image.imread(io.BytesIO(png), format="png")


@pytest.mark.parametrize("build", [
    lambda X, y: widgets.perceptron_widget(X, y, w=(1.0, -1.0), b=0.0),
    lambda X, y: widgets.gradient_descent_widget(X, y, n_steps=10),
], ids=["PerceptronExplorer", "GradientDescentExplorer"])
def test_displaying_a_widget_publishes_the_live_view_and_a_static_png_of_its_figure(fruit, build):
    X, y = fruit
    explorer = build(X, y)
    assert isinstance(explorer, widgets.WidgetWithStaticFrame)
    data, _ = _bundle(explorer)
    assert set(data) == {"application/vnd.jupyter.widget-view+json", "image/png", "text/plain"}
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    assert "interactive widget" in data["text/plain"] and type(explorer).__name__ in data["text/plain"]
    image = _decode_png(data)
    width, height = explorer.figure.get_size_inches() * explorer.static_frame_dpi
    assert image.shape[:2] == (round(height), round(width))
    assert image[..., :3].std() > 0.05  # a drawing, not a blank canvas


def test_the_static_frame_shows_the_figure_as_it_is_when_displayed(fruit):
    X, y = fruit
    explorer = widgets.perceptron_widget(X, y, w=(1.0, -1.0), b=0.0)
    before = explorer.static_frame_png()
    explorer.w1.value = -2.0
    after = explorer.static_frame_png()
    assert before != after
    assert _bundle(explorer)[0]["image/png"] == base64.b64encode(after).decode("ascii")
