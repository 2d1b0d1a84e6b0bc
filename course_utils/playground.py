"""A small neural-network "playground": pick a data set, hidden units, activation and learning rate, press Train.

The logic lives in pure functions that tests (and curious students) can call without a browser:

- :func:`make_playground_data` builds one of the toy data sets in :data:`DATASETS`.
- :func:`train_playground_model` trains a one-hidden-layer :class:`course_utils.models.MLP` on it by full-batch
  gradient descent and returns ``(model, history)``.
- :func:`draw_playground` draws the decision boundary and the loss curve on two Axes.

:class:`Playground` only wires these to ipywidgets: ``Playground().widget`` is the box to display, and
``Playground().train()`` is exactly what the Train button runs.
"""
import io
import math
import numbers

import numpy as np

from .widgets import WidgetWithStaticFrame

#: Data sets the playground offers: name -> short description shown in the drop-down.
DATASETS = {
    "xor": "XOR (4 noisy clusters)",
    "circles": "circles (ring around a disc)",
    "moons": "two moons",
}
#: Hidden-layer activations the playground offers (names understood by ``course_utils.activations``).
ACTIVATIONS = ("tanh", "relu", "sigmoid")
#: Largest number of hidden units the playground accepts (keeps training interactive).
MAX_HIDDEN_UNITS = 64
#: Largest number of epochs the playground accepts (keeps training interactive).
MAX_EPOCHS = 20_000


def _check_int(name, value, low, high):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer between {low} and {high}; got {value!r} of type "
                        f"{type(value).__name__}.")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}; got {value}.")
    return int(value)


def validate_options(dataset, hidden_units, activation, learning_rate, epochs=1000, seed=0):
    """Check the playground options and return them normalised; raise a clear error naming the bad one.

    dataset: one of the keys of ``DATASETS``; hidden_units: int in 1..MAX_HIDDEN_UNITS;
    activation: one of ``ACTIVATIONS``; learning_rate: float > 0 (and at most 100);
    epochs: int in 1..MAX_EPOCHS; seed: int >= 0.
    Returns the tuple ``(dataset, hidden_units, activation, learning_rate, epochs, seed)``.
    """
    if not isinstance(dataset, str) or dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {sorted(DATASETS)}; got {dataset!r}.")
    hidden_units = _check_int("hidden_units", hidden_units, 1, MAX_HIDDEN_UNITS)
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}; got {activation!r}.")
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
        raise TypeError(f"learning_rate must be a positive number such as 0.1; got {learning_rate!r} of type "
                        f"{type(learning_rate).__name__}.")
    learning_rate = float(learning_rate)
    if not (math.isfinite(learning_rate) and 0.0 < learning_rate <= 100.0):
        raise ValueError(f"learning_rate must be a positive number no larger than 100 (try 0.1); got {learning_rate}.")
    epochs = _check_int("epochs", epochs, 1, MAX_EPOCHS)
    seed = _check_int("seed", seed, 0, 2**32 - 1)
    return dataset, hidden_units, activation, learning_rate, epochs, seed


def make_playground_data(dataset, n_per_class=200, seed=0):
    """Return ``(X, y)`` for one of the playground data sets.

    dataset: a key of ``DATASETS``; n_per_class: examples per class; seed: seed of the noise.
    Returns X: (N, 2) float64 inputs, one example per row, and y: (N,) int labels in {0, 1}, N = 2 * n_per_class.
    """
    from course_utils import toy_data

    if not isinstance(dataset, str) or dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {sorted(DATASETS)}; got {dataset!r}.")
    n_per_class = _check_int("n_per_class", n_per_class, 2, 100_000)
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
    After a training run, ``.model``, ``.history``, ``.X``, ``.y``, ``.figure`` and ``.png`` (the figure as PNG bytes,
    which is what the output area shows) hold its result.
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
        self.hidden_units = widgets.IntSlider(value=hidden_units, min=1, max=32, description="hidden units")
        self.activation = widgets.Dropdown(options=list(ACTIVATIONS), value=activation, description="activation")
        self.learning_rate = widgets.FloatLogSlider(value=learning_rate, base=10, min=-3, max=1, step=0.1,
                                                    description="learning rate", readout_format=".3f")
        self.epochs = widgets.IntSlider(value=epochs, min=10, max=5000, step=10, description="epochs")
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
        self.model = self.history = self.X = self.y = self.png = None
        self.n_draws = 0

    def options(self):
        """Return the current control values as keyword arguments of :func:`train_playground_model`."""
        return {"dataset": self.dataset.value, "hidden_units": self.hidden_units.value,
                "activation": self.activation.value, "learning_rate": self.learning_rate.value,
                "epochs": self.epochs.value, "seed": self.seed.value}

    def train(self):
        """Train with the current control values and redraw; a bad value is shown in the status line."""
        from IPython.display import Image, display

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
        # Show the figure as a PNG: this works with every matplotlib backend (inline, Agg, ipympl) and in static copies.
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=90)
        self.png = buffer.getvalue()
        with self.output:
            self.output.clear_output(wait=True)
            display(Image(data=self.png, format="png"))
        return self.model, self.history

    def _on_click(self, _button):
        self.train()

    def static_frame_figure(self):
        """The figure of the last training run (None before the first one: the static frame would be empty)."""
        return self.figure if self.n_draws else None
