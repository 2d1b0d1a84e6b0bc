"""A small neural-network "playground": pick a data set, hidden units, activation and learning rate, press Train.

The logic lives in pure functions that tests (and curious students) can call without a browser:

- :func:`make_playground_data` builds one of the toy data sets in :data:`DATASETS`.
- :func:`train_playground_model` trains a one-hidden-layer :class:`course_utils.models.MLP` on it by full-batch
  gradient descent and returns ``(model, history)``.
- :func:`draw_playground` draws the decision boundary and the loss curve on two Axes.

:class:`Playground` only wires these to ipywidgets: ``Playground().widget`` is the box to display, and
``Playground().train()`` is exactly what the Train button runs.
"""
import math

import numpy as np

from ._validation import check_choice, check_in_range
from .widgets import WidgetWithStaticFrame

#: Data sets the playground offers: name -> short description shown in the drop-down.
DATASETS = {
    "xor": "XOR (4 noisy clusters)",
    "circles": "circles (ring around a disc)",
    "moons": "two moons",
}
#: Hidden-layer activations the playground offers (names understood by ``course_utils.activations``).
ACTIVATIONS = ("tanh", "relu", "sigmoid")
#: The values each numeric option may take, ``(lowest, highest)``: :func:`validate_options` accepts exactly these,
#: and the widget's sliders span exactly these (small enough to keep training interactive).
LIMITS = {
    "hidden_units": (1, 64),
    "learning_rate": (1e-3, 10.0),
    "epochs": (1, 5000),
    "seed": (0, 2**32 - 1),
}


def validate_options(dataset, hidden_units, activation, learning_rate, epochs=1000, seed=0):
    """Check the playground options and return them normalised; raise a clear error naming the bad one.

    dataset: one of the keys of ``DATASETS``; activation: one of ``ACTIVATIONS``;
    hidden_units, epochs, seed: ints and learning_rate: a float, each within its range in ``LIMITS``.
    Returns the tuple ``(dataset, hidden_units, activation, learning_rate, epochs, seed)``.
    """
    dataset = check_choice(dataset, "dataset", sorted(DATASETS))
    hidden_units = check_in_range(hidden_units, "hidden_units", *LIMITS["hidden_units"], integer=True)
    activation = check_choice(activation, "activation", ACTIVATIONS)
    learning_rate = check_in_range(learning_rate, "learning_rate", *LIMITS["learning_rate"])
    epochs = check_in_range(epochs, "epochs", *LIMITS["epochs"], integer=True)
    seed = check_in_range(seed, "seed", *LIMITS["seed"], integer=True)
    return dataset, hidden_units, activation, learning_rate, epochs, seed


def make_playground_data(dataset, n_per_class=200, seed=0):
    """Return ``(X, y)`` for one of the playground data sets.

    dataset: a key of ``DATASETS``; n_per_class: examples per class; seed: seed of the noise.
    Returns X: (N, 2) float64 inputs, one example per row, and y: (N,) int labels in {0, 1}, N = 2 * n_per_class.
    """
    from course_utils import toy_data

    check_choice(dataset, "dataset", sorted(DATASETS))
    n_per_class = check_in_range(n_per_class, "n_per_class", 2, 100_000, integer=True)
    if dataset == "xor":
        X, y = toy_data.make_xor(n_per_class=n_per_class, seed=seed)
    elif dataset == "circles":
        X, y = toy_data.make_circles(n=2 * n_per_class, seed=seed)
    else:
        X, y = toy_data.make_moons(n=2 * n_per_class, seed=seed)
    return np.asarray(X, dtype=np.float64), np.asarray(y).astype(int)


def train_playground_model(dataset, hidden_units, activation, learning_rate, epochs=1000, seed=0,
                           n_per_class=200, data=None):
    """Train a 2-``hidden_units``-1 MLP on a playground data set by full-batch gradient descent.

    dataset, hidden_units, activation, learning_rate, epochs, seed: see :func:`validate_options`
    (``seed`` seeds both the data and the initial weights); n_per_class: examples per class;
    data: optional ``(X, y)`` to train on instead of generating ``dataset`` (X: (N, 2), y: (N,) in {0, 1}).
    Returns ``(model, history)``: the trained :class:`course_utils.models.MLP` (sigmoid output, binary
    cross-entropy) and its history dict ``{"loss": [...], "accuracy": [...]}`` with one entry per epoch.
    """
    from course_utils.models import MLP

    dataset, hidden_units, activation, learning_rate, epochs, seed = validate_options(
        dataset, hidden_units, activation, learning_rate, epochs, seed)
    if data is None:
        X, y = make_playground_data(dataset, n_per_class=n_per_class, seed=seed)
    else:
        X, y = data
    model = MLP([X.shape[1], hidden_units, 1], hidden_activation=activation, output="sigmoid", seed=seed)
    with np.errstate(all="ignore"):  # a too-large learning rate may diverge: that is a lesson, not a warning
        history = model.fit(X, y, epochs=epochs, batch_size=len(X), optimizer="sgd",
                            learning_rate=learning_rate, verbose=False)
    return model, history


def draw_playground(model, X, y, history, axes=None, title=None):
    """Draw the decision boundary of ``model`` on ``(X, y)`` and the loss curve of ``history``.

    model: a fitted model with ``predict_proba``; X: (N, 2) inputs, one example per row; y: (N,) labels;
    history: dict with a "loss" list (and optionally "accuracy"); axes: two Axes, or None for a new figure.
    Returns the two Axes ``(ax_boundary, ax_loss)``.
    """
    from course_utils import plotting

    if axes is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(9.5, 4), layout="constrained")
        axes = fig.subplots(1, 2)
    ax_boundary, ax_loss = axes
    ax_boundary.clear()
    ax_loss.clear()
    plotting.plot_decision_boundary(model, X, y, ax=ax_boundary)
    accuracy = float(np.mean(np.ravel(model.predict(X)) == np.ravel(y)))
    ax_boundary.set_title(title or f"training accuracy {accuracy:.1%}")
    plotting.plot_history(history, ax=ax_loss)
    return ax_boundary, ax_loss


class Playground(WidgetWithStaticFrame):
    """The interactive playground: controls on top, decision boundary and loss curve below.

    dataset, hidden_units, activation, learning_rate, epochs, seed: initial values of the controls
    (see :func:`validate_options`). Display ``.widget`` in a notebook; ``.train()`` is what the Train button runs.
    The sliders span the ranges in ``LIMITS``. After a training run, ``.model``, ``.history``, ``.X``, ``.y`` and
    ``.figure`` hold its result, and ``.png`` is the figure as the output area shows it.
    Displayed, it also publishes a PNG of the last run's figure for pages without a kernel
    (see :class:`course_utils.widgets.WidgetWithStaticFrame`).
    """

    def __init__(self, dataset="xor", hidden_units=4, activation="tanh", learning_rate=0.5, epochs=1000, seed=0,
                 n_per_class=200):
        import ipywidgets as widgets
        from matplotlib.figure import Figure

        dataset, hidden_units, activation, learning_rate, epochs, seed = validate_options(
            dataset, hidden_units, activation, learning_rate, epochs, seed)
        self.n_per_class = n_per_class
        self.dataset = widgets.Dropdown(options=[(text, key) for key, text in DATASETS.items()], value=dataset,
                                        description="data set")
        low, high = LIMITS["hidden_units"]
        self.hidden_units = widgets.IntSlider(value=hidden_units, min=low, max=high, description="hidden units")
        self.activation = widgets.Dropdown(options=list(ACTIVATIONS), value=activation, description="activation")
        low, high = LIMITS["learning_rate"]
        self.learning_rate = widgets.FloatLogSlider(value=learning_rate, base=10, min=math.log10(low),
                                                    max=math.log10(high), step=0.1, description="learning rate",
                                                    readout_format=".3f")
        low, high = LIMITS["epochs"]
        self.epochs = widgets.IntSlider(value=epochs, min=low, max=high, description="epochs")
        self.seed = widgets.IntText(value=seed, description="seed")
        self.train_button = widgets.Button(description="Train", button_style="primary", icon="play")
        self.status = widgets.HTML(value="Press <b>Train</b>.")
        self.output = widgets.Output()
        self.train_button.on_click(self._on_click)
        controls = widgets.VBox([
            widgets.HBox([self.dataset, self.activation, self.seed]),
            widgets.HBox([self.hidden_units, self.learning_rate, self.epochs]),
            widgets.HBox([self.train_button, self.status]),
        ])
        self.widget = widgets.VBox([controls, self.output])
        self.figure = Figure(figsize=(9.5, 4), layout="constrained")
        self.axes = self.figure.subplots(1, 2)
        self.model = self.history = self.X = self.y = None
        self.n_draws = 0

    def options(self):
        """Return the current control values as keyword arguments of :func:`train_playground_model`."""
        return {"dataset": self.dataset.value, "hidden_units": self.hidden_units.value,
                "activation": self.activation.value, "learning_rate": self.learning_rate.value,
                "epochs": self.epochs.value, "seed": self.seed.value}

    def train(self):
        """Train with the current control values and redraw; a bad value is shown in the status line."""
        try:
            options = self.options()
            validate_options(**options)
        except (TypeError, ValueError) as error:
            self.status.value = f"<span style='color:#b00'>{error}</span>"
            return None
        self.status.value = "training..."
        self.X, self.y = make_playground_data(options["dataset"], n_per_class=self.n_per_class,
                                              seed=options["seed"])
        self.model, self.history = train_playground_model(**options, data=(self.X, self.y))
        loss = self.history["loss"][-1]
        accuracy = float(np.mean(np.ravel(self.model.predict(self.X)) == self.y))
        title = (f"{options['dataset']}, {options['hidden_units']} {options['activation']} units, "
                 f"learning rate {options['learning_rate']:.3g}: accuracy {accuracy:.1%}")
        draw_playground(self.model, self.X, self.y, self.history, axes=self.axes, title=title)
        self.n_draws += 1
        self.status.value = (f"{options['epochs']} epochs: loss {loss:.4f}, training accuracy {accuracy:.1%}")
        self.show_figure()
        return self.model, self.history

    def _on_click(self, _button):
        self.train()

    def static_frame_figure(self):
        """The figure of the last training run (None before the first one: the static frame would be empty)."""
        return self.figure if self.n_draws else None

    @property
    def png(self):
        """The figure of the last training run as PNG bytes (None before the first one)."""
        return self.static_frame_png()
