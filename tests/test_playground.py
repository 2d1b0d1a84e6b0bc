"""Tests of course_utils.playground: option checks, data, training, drawing, and the widget's Train button."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from course_utils import playground  # noqa: E402
from course_utils.playground import (  # noqa: E402
    DATASETS,
    LIMITS,
    Playground,
    draw_playground,
    make_playground_data,
    train_playground_model,
    validate_options,
)


def accuracy(model, X, y):
    return float(np.mean(np.ravel(model.predict(X)) == y))


# ---------------------------------------------------------------------------------------------------------------------
# options
# ---------------------------------------------------------------------------------------------------------------------
def test_validate_options_normalises_good_values():
    options = validate_options("circles", np.int64(8), "relu", np.float32(0.5), epochs=np.int32(200), seed=3)
    assert options == ("circles", 8, "relu", 0.5, 200, 3)
    assert all(type(v) in (str, int, float) for v in options)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"dataset": "spiral"}, ValueError, r"dataset must be one of \['circles', 'moons', 'xor'\]; got 'spiral'"),
        ({"dataset": None}, ValueError, "dataset must be one of"),
        ({"hidden_units": 0}, ValueError, "hidden_units must be between 1 and 64; got 0"),
        ({"hidden_units": 1000}, ValueError, "hidden_units must be between 1 and 64; got 1000"),
        ({"hidden_units": 2.5}, TypeError, "hidden_units must be an integer .* got 2.5 of type float"),
        ({"hidden_units": True}, TypeError, "hidden_units must be an integer"),
        ({"activation": "softmax"}, ValueError, r"activation must be one of \['tanh', 'relu', 'sigmoid'\]"),
        ({"learning_rate": 0.0}, ValueError, r"learning_rate must be between 0.001 and 10.0; got 0.0"),
        ({"learning_rate": -0.1}, ValueError, "learning_rate must be between 0.001 and 10.0"),
        ({"learning_rate": 100.0}, ValueError, "learning_rate must be between 0.001 and 10.0"),
        ({"learning_rate": float("nan")}, ValueError, "learning_rate must be between 0.001 and 10.0; got nan"),
        ({"learning_rate": float("inf")}, ValueError, "learning_rate must be between 0.001 and 10.0"),
        ({"learning_rate": "0.1"}, TypeError, "learning_rate must be a number between 0.001 and 10.0; got '0.1'"),
        ({"epochs": 0}, ValueError, "epochs must be between 1 and 5000; got 0"),
        ({"epochs": 20_000}, ValueError, "epochs must be between 1 and 5000; got 20000"),
        ({"seed": -1}, ValueError, "seed must be between 0 and"),
    ],
)
def test_bad_options_are_rejected_with_clear_messages(kwargs, error, message):
    options = {"dataset": "xor", "hidden_units": 4, "activation": "tanh", "learning_rate": 0.5, "epochs": 10,
               "seed": 0, **kwargs}
    with pytest.raises(error, match=message):
        validate_options(**options)
    with pytest.raises(error, match=message):
        train_playground_model(**options)


# ---------------------------------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_make_playground_data_shapes_labels_and_seed(dataset):
    X, y = make_playground_data(dataset, n_per_class=30, seed=1)
    assert X.shape == (60, 2) and X.dtype == np.float64
    assert y.shape == (60,) and set(np.unique(y)) == {0, 1}
    assert np.bincount(y).tolist() == [30, 30]
    X_again, y_again = make_playground_data(dataset, n_per_class=30, seed=1)
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(y, y_again)
    X_other, _ = make_playground_data(dataset, n_per_class=30, seed=2)
    assert not np.allclose(X, X_other)


def test_make_playground_data_rejects_unknown_dataset():
    with pytest.raises(ValueError, match="dataset must be one of"):
        make_playground_data("iris")


# ---------------------------------------------------------------------------------------------------------------------
# training and drawing
# ---------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "dataset, hidden_units, activation, learning_rate",
    [("xor", 8, "tanh", 1.0), ("circles", 16, "relu", 0.5), ("moons", 16, "relu", 0.5)],
)
def test_train_playground_model_learns(dataset, hidden_units, activation, learning_rate):
    model, history = train_playground_model(dataset, hidden_units, activation, learning_rate, epochs=1000, seed=0,
                                            n_per_class=100)
    X, y = make_playground_data(dataset, n_per_class=100, seed=0)
    assert len(history["loss"]) == 1000
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert model.params["W1"].shape == (2, hidden_units)
    assert accuracy(model, X, y) > 0.85


def test_train_playground_model_is_deterministic_and_uses_given_data():
    first, _ = train_playground_model("xor", 3, "tanh", 0.5, epochs=20, seed=4, n_per_class=20)
    second, _ = train_playground_model("xor", 3, "tanh", 0.5, epochs=20, seed=4, n_per_class=20)
    for name in first.params:
        np.testing.assert_array_equal(first.params[name], second.params[name])
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([0, 0, 1, 1])
    model, history = train_playground_model("xor", 2, "sigmoid", 0.1, epochs=5, seed=0, data=(X, y))
    assert len(history["loss"]) == 5 and model.predict(X).shape[0] == 4


def test_draw_playground_draws_boundary_and_loss_curve():
    model, history = train_playground_model("moons", 4, "tanh", 0.5, epochs=50, seed=0, n_per_class=30)
    X, y = make_playground_data("moons", n_per_class=30, seed=0)
    ax_boundary, ax_loss = draw_playground(model, X, y, history)
    assert ax_boundary.figure is ax_loss.figure
    assert len(ax_boundary.collections) > 2  # filled contours + one scatter per class
    assert "accuracy" in ax_boundary.get_title()
    (line,) = [ln for ln in ax_loss.get_lines() if len(ln.get_xdata()) == 50]
    np.testing.assert_allclose(line.get_ydata(), history["loss"])
    # Redrawing on the same Axes replaces the old drawing instead of piling up.
    n_collections = len(ax_boundary.collections)
    draw_playground(model, X, y, history, axes=(ax_boundary, ax_loss))
    assert len(ax_boundary.collections) == n_collections


# ---------------------------------------------------------------------------------------------------------------------
# the widget
# ---------------------------------------------------------------------------------------------------------------------
def test_playground_widget_builds_with_its_controls():
    import ipywidgets as widgets

    pg = Playground(dataset="circles", hidden_units=6, activation="relu", learning_rate=0.3, epochs=100, seed=2)
    assert isinstance(pg.widget, widgets.VBox)
    assert pg.options() == {"dataset": "circles", "hidden_units": 6, "activation": "relu", "learning_rate": 0.3,
                            "epochs": 100, "seed": 2}
    assert set(pg.dataset.options) == {(text, key) for key, text in DATASETS.items()}
    assert isinstance(pg.figure, Figure)
    assert pg.model is None and pg.n_draws == 0


def test_playground_constructor_rejects_bad_values():
    with pytest.raises(ValueError, match="activation must be one of"):
        Playground(activation="softmax")
    with pytest.raises(ValueError, match="learning_rate must be between"):
        Playground(learning_rate=-1)
    with pytest.raises(ValueError, match="hidden_units must be between 1 and 64"):
        Playground(hidden_units=65)


def test_every_slider_spans_exactly_what_validate_options_accepts():
    """The sliders are built from LIMITS: both ends of each are accepted, one step beyond either end is not."""
    import ipywidgets as widgets

    pg = Playground()
    sliders = {name: getattr(pg, name) for name in LIMITS
               if isinstance(getattr(pg, name), (widgets.IntSlider, widgets.FloatLogSlider))}
    assert set(sliders) == {"hidden_units", "learning_rate", "epochs"}
    for name, slider in sliders.items():
        log = isinstance(slider, widgets.FloatLogSlider)
        ends = (slider.base ** slider.min, slider.base ** slider.max) if log else (slider.min, slider.max)
        assert ends == pytest.approx(LIMITS[name]), name
        for end in ends:
            slider.value = end
            validate_options(**pg.options())
        low, high = ends
        beyond = (low / 2, high * 2) if log else (low - 1, high + 1)
        for value in beyond:
            with pytest.raises(ValueError, match=f"{name} must be between"):
                validate_options(**{**pg.options(), name: value})


def test_pressing_train_trains_and_redraws():
    pg = Playground(dataset="xor", hidden_units=6, activation="tanh", learning_rate=1.0, epochs=400, seed=0,
                    n_per_class=60)
    pg.train_button.click()  # runs the registered click handler, exactly as a press in the browser does
    assert pg.n_draws == 1
    assert len(pg.history["loss"]) == 400
    assert pg.X.shape == (120, 2)
    assert accuracy(pg.model, pg.X, pg.y) > 0.85
    assert "training accuracy" in pg.status.value
    ax_boundary, ax_loss = pg.axes
    assert len(ax_boundary.collections) > 2 and ax_loss.get_lines()
    assert pg.png.startswith(b"\x89PNG")
    first_png = pg.png

    # Change the controls and press again: new data, new model, same figure redrawn.
    first_model = pg.model
    pg.dataset.value = "circles"
    pg.activation.value = "relu"
    pg.hidden_units.value = 12
    pg.train_button.click()
    assert pg.n_draws == 2
    assert pg.model is not first_model and pg.model.params["W1"].shape == (2, 12)
    assert pg.axes[0].figure is pg.figure
    assert pg.png.startswith(b"\x89PNG") and pg.png != first_png
    X_circles, _ = make_playground_data("circles", n_per_class=60, seed=0)
    np.testing.assert_array_equal(pg.X, X_circles)


def test_train_with_a_bad_value_shows_the_error_and_keeps_the_last_result():
    pg = Playground(epochs=50, n_per_class=20)
    pg.train()
    model = pg.model
    pg.seed.value = -3
    assert pg.train() is None
    assert "seed must be between 0 and" in pg.status.value
    assert pg.model is model and pg.n_draws == 1


def test_module_lists_its_choices():
    assert set(DATASETS) == {"xor", "circles", "moons"}
    assert playground.ACTIVATIONS == ("tanh", "relu", "sigmoid")


# ---------------------------------------------------------------------------------------------------------------------
# the plot helpers lectures 3 and 4 appended to course_utils.plotting
# ---------------------------------------------------------------------------------------------------------------------
def test_plot_hidden_unit_lines_draws_one_line_per_unit_and_keeps_the_view():
    from course_utils.plotting import plot_hidden_unit_lines

    ax = Figure().subplots()
    ax.set_xlim(-1, 2)
    ax.set_ylim(-1, 2)
    W1 = np.array([[1.0, 0.0, 0.0, 1.0], [1.0, 1.0, 0.0, -1.0]])  # unit 3 has no weights: no line
    b1 = np.array([-0.5, -0.5, 1.0, 0.0])
    assert plot_hidden_unit_lines(W1, b1, ax=ax) is ax
    assert len(ax.get_lines()) == 3
    assert ax.get_xlim() == (-1, 2) and ax.get_ylim() == (-1, 2)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["hidden unit 1", "hidden unit 2", "hidden unit 4"]


def test_plot_hidden_unit_lines_rejects_bad_shapes():
    from course_utils.plotting import plot_hidden_unit_lines

    ax = Figure().subplots()
    with pytest.raises(ValueError, match=r"W1 must have shape \(2, H\)"):
        plot_hidden_unit_lines(np.ones((3, 2)), np.zeros(2), ax=ax)
    with pytest.raises(ValueError, match=r"b1 must have shape \(2,\)"):
        plot_hidden_unit_lines(np.ones((2, 2)), np.zeros(3), ax=ax)


def test_plot_computation_graph_draws_nodes_edges_values_and_gradients():
    from course_utils.plotting import plot_computation_graph

    ax = Figure().subplots()
    graph = {"u": ["w", "x"], "L": ["u"]}
    positions = {"w": (0, 0), "x": (0, 1), "u": (1, 0.5), "L": (2, 0.5)}
    plot_computation_graph(graph, positions, values={"w": 2.0, "x": 3.0, "u": 6.0, "L": 6.0},
                           grads={"L": 1.0, "u": 1.0, "w": 3.0, "x": 2.0}, labels={"u": "u\n×"}, ax=ax)
    texts = [t.get_text() for t in ax.texts]
    assert "u\n×" in texts and "L" in texts and "6" in texts and "3" in texts
    assert len(ax.patches) == 4 + 3  # 4 node circles, 3 arrows
    with pytest.raises(ValueError, match=r"positions has no \(x, y\) for nodes \['x'\]"):
        plot_computation_graph(graph, {"w": (0, 0), "u": (1, 0), "L": (2, 0)}, ax=ax)


def test_displaying_the_playground_publishes_a_static_frame_only_once_it_has_trained():
    import base64

    from IPython.core.formatters import DisplayFormatter

    pg = Playground(epochs=20, n_per_class=20)
    data, _ = DisplayFormatter().format(pg)
    assert set(data) == {"application/vnd.jupyter.widget-view+json", "text/plain"}  # nothing drawn yet: no PNG
    pg.train()
    data, _ = DisplayFormatter().format(pg)
    assert set(data) == {"application/vnd.jupyter.widget-view+json", "image/png", "text/plain"}
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == pg.widget.model_id
