"""Interactive widgets for the first lectures: move a perceptron's boundary by hand, step through gradient descent.

The logic lives in pure functions that tests (and curious students) can call without a browser:

- :func:`linear_predict` and :func:`misclassified_mask`: what a linear threshold unit ``step(x . w + b)`` predicts
  and which points it gets wrong;
- :func:`perceptron_rule_step`: one application of the perceptron learning rule to the first misclassified point;
- :func:`logistic_gd_trajectory`: every state of full-batch gradient descent on logistic regression, computed with
  :class:`course_utils.models.LogisticRegression`'s ``loss``;
- :func:`draw_perceptron_state` and :func:`draw_gd_state`: draw one state on Matplotlib Axes.

The widget classes only wire these to ipywidgets; ``perceptron_widget(X, y)`` and ``gradient_descent_widget(X, y)``
build them. Display the returned object (last expression of a cell); its ``widget`` attribute is the ipywidgets box.
Setting a control's ``.value`` (as the browser does) updates the state and redraws the figure, which is a plain
:class:`matplotlib.figure.Figure` kept on the object (``.figure``), so tests can check what was drawn.

Every widget of the course (these two and :class:`course_utils.playground.Playground`) derives from
:class:`WidgetWithStaticFrame`: displaying it publishes the live widget *and* a PNG of its current figure, so that a
page without a kernel (the course website, a notebook viewer) still shows what the widget showed.
"""
import base64
import io

import numpy as np
from matplotlib.figure import Figure

from . import plotting
from ._validation import check_positive_int, check_positive_number

__all__ = [
    "linear_predict",
    "misclassified_mask",
    "perceptron_rule_step",
    "logistic_gd_trajectory",
    "draw_perceptron_state",
    "draw_gd_state",
    "PerceptronExplorer",
    "GradientDescentExplorer",
    "perceptron_widget",
    "gradient_descent_widget",
    "WidgetWithStaticFrame",
]


# --------------------------------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------------------------------
def _check_data(X, y, n_features=2):
    """Return X float64 (N, n_features) and y int64 (N,) with 0/1 labels, or raise a clear error."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != n_features or X.shape[0] == 0:
        raise ValueError(f"X must have shape (N, {n_features}), one example per row; got shape {X.shape}.")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or inf; expected finite numbers.")
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), one label per row of X; got shape {y.shape}.")
    if not np.all(np.isin(y, (0, 1))):
        raise ValueError(f"y must hold binary labels 0/1; got values {np.unique(y)[:5].tolist()}. "
                         "For labels -1/+1 use (y > 0).astype(int).")
    return X, y.astype(np.int64)


_check_weights = plotting._check_line_weights


# --------------------------------------------------------------------------------------------------------------------
# pure logic
# --------------------------------------------------------------------------------------------------------------------
def linear_predict(X, w, b):
    """Predictions of the threshold unit ``y_hat = step(X @ w + b)``, with ``step(0) = 1`` like ``models.Perceptron``.

    X: (N, 2) inputs, one example per row; w: (2,) weights; b: scalar bias. Returns (N,) int labels 0/1.
    """
    X = np.asarray(X, dtype=np.float64)
    w, b = _check_weights(w, b)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2), one example per row; got shape {X.shape}.")
    return (X @ w + b >= 0).astype(np.int64)


def misclassified_mask(X, y, w, b):
    """Which points the threshold unit ``step(X @ w + b)`` gets wrong.

    X: (N, 2) inputs; y: (N,) labels 0/1; w: (2,) weights; b: scalar bias.
    Returns an (N,) boolean mask, True where the prediction differs from y.
    """
    X, y = _check_data(X, y)
    return linear_predict(X, w, b) != y


def perceptron_rule_step(X, y, w, b, learning_rate=1.0, start=0):
    """Apply the perceptron learning rule once, to the first misclassified example at or after index ``start``.

    With ``error = y_i - y_hat_i`` (+1 or -1 for a mistake): ``w <- w + learning_rate * error * x_i`` and
    ``b <- b + learning_rate * error``; the search wraps around to the beginning of the data.
    X: (N, 2) inputs; y: (N,) labels 0/1; w: (2,) weights; b: scalar bias; learning_rate: float > 0;
    start: index where the search for a mistake begins.
    Returns ``(w, b, i)``: the new weights and bias and the index of the example used, or ``(w, b, None)``
    (unchanged) when no example is misclassified.
    """
    X, y = _check_data(X, y)
    w, b = _check_weights(w, b)
    learning_rate = check_positive_number(learning_rate, "learning_rate")
    wrong = np.flatnonzero(misclassified_mask(X, y, w, b))
    if len(wrong) == 0:
        return w, b, None
    start = int(start) % len(X)
    after = wrong[wrong >= start]
    i = int(after[0] if len(after) else wrong[0])
    error = y[i] - int(X[i] @ w + b >= 0)
    return w + learning_rate * error * X[i], b + learning_rate * error, i


def logistic_gd_trajectory(X, y, learning_rate=0.5, n_steps=100, w0=(0.0, 0.0), b0=0.0):
    """Every state of full-batch gradient descent on logistic regression, from ``(w0, b0)``.

    At each step, with ``a = sigmoid(X @ w + b)`` and the mean binary cross-entropy ``L`` over the N examples,
    ``dw = X.T @ (a - y) / N``, ``db = mean(a - y)`` and ``w <- w - learning_rate * dw``, ``b <- b - learning_rate * db``.
    The loss and its gradients come from :class:`course_utils.models.LogisticRegression` (``loss(X, y)``).
    X: (N, 2) inputs; y: (N,) labels 0/1; learning_rate: float > 0; n_steps: int >= 1; w0: (2,), b0: start.
    Returns a dict of arrays, one row per state 0..n_steps: "w" (n_steps + 1, 2), "b" (n_steps + 1,),
    "loss" (n_steps + 1,) and "accuracy" (n_steps + 1,); state t is the model after t updates.
    """
    from .models import LogisticRegression

    X, y = _check_data(X, y)
    learning_rate = check_positive_number(learning_rate, "learning_rate")
    n_steps = check_positive_int(n_steps, "n_steps")
    w0, b0 = _check_weights(w0, b0)
    model = LogisticRegression(n_features=2)
    model.params["W"][:, 0] = w0
    model.params["b"][0] = b0
    ws, bs, losses, accuracies = [], [], [], []
    for t in range(n_steps + 1):
        loss, grads = model.loss(X, y)
        ws.append(model.params["W"][:, 0].copy())
        bs.append(float(model.params["b"][0]))
        losses.append(loss)
        accuracies.append(float(np.mean(model.predict(X) == y)))
        if t < n_steps:
            model.params["W"] -= learning_rate * grads["W"]
            model.params["b"] -= learning_rate * grads["b"]
    return {"w": np.array(ws), "b": np.array(bs), "loss": np.array(losses), "accuracy": np.array(accuracies)}


def _sigmoid(z):
    from .activations import sigmoid

    return sigmoid(z)


def draw_perceptron_state(X, y, w, b, ax, class_names=None, feature_names=None):
    """Draw the regions of ``step(x . w + b)``, its boundary and normal vector, with the mistakes ringed in red.

    X: (N, 2) inputs; y: (N,) labels 0/1; w: (2,) weights; b: scalar bias; ax: the Axes to draw on (cleared first).
    Returns the (N,) boolean mask of misclassified points.
    """
    X, y = _check_data(X, y)
    w, b = _check_weights(w, b)
    mask = misclassified_mask(X, y, w, b)
    ax.clear()
    plotting.plot_decision_boundary(lambda Z: Z @ w + b, X, ax=ax, kind="score", show_points=False,
                                    resolution=100)
    plotting.plot_data(X, y, ax=ax, class_names=class_names, feature_names=feature_names,
                       highlight=mask if mask.any() else None)
    if np.any(w != 0):
        plotting.plot_linear_boundary(w, b, ax=ax)
    ax.set_title(f"$w_1$ = {w[0]:.2f}, $w_2$ = {w[1]:.2f}, $b$ = {b:.2f}: {int(mask.sum())} of {len(y)} misclassified")
    return mask


def draw_gd_state(X, y, trajectory, step, axes, class_names=None, feature_names=None):
    """Draw state ``step`` of a :func:`logistic_gd_trajectory`: the probability map and the loss curve.

    X: (N, 2) inputs; y: (N,) labels 0/1; trajectory: the dict returned by :func:`logistic_gd_trajectory`;
    step: int in 0..n_steps; axes: two Axes (boundary, loss), cleared first. Returns nothing.
    """
    X, y = _check_data(X, y)
    n_states = len(trajectory["loss"])
    if not 0 <= step < n_states:
        raise ValueError(f"step must be between 0 and {n_states - 1}; got {step}.")
    ax_boundary, ax_loss = axes
    w, b = trajectory["w"][step], trajectory["b"][step]
    ax_boundary.clear()
    plotting.plot_decision_boundary(lambda Z: _sigmoid(Z @ w + b), X, y, ax=ax_boundary, kind="proba",
                                    resolution=100, class_names=class_names, feature_names=feature_names)
    ax_boundary.set_title(f"step {step}: $w$ = ({w[0]:.2f}, {w[1]:.2f}), $b$ = {b:.2f}")
    ax_loss.clear()
    t = np.arange(n_states)
    ax_loss.plot(t, trajectory["loss"], color="0.75", linewidth=1.5, label="all steps")
    ax_loss.plot(t[:step + 1], trajectory["loss"][:step + 1], color=plotting.CLASS_COLORS[0], linewidth=2,
                 label="so far")
    ax_loss.plot([step], [trajectory["loss"][step]], "o", color=plotting.CLASS_COLORS[5], markersize=7)
    ax_loss.set_xlabel("gradient descent step")
    ax_loss.set_ylabel("mean binary cross-entropy")
    ax_loss.set_title(f"loss {trajectory['loss'][step]:.4f}, accuracy {trajectory['accuracy'][step]:.1%}")
    ax_loss.grid(True, alpha=0.3)
    ax_loss.legend(loc="upper right")


# --------------------------------------------------------------------------------------------------------------------
# widgets
# --------------------------------------------------------------------------------------------------------------------
WIDGET_VIEW_MIMETYPE = "application/vnd.jupyter.widget-view+json"


class WidgetWithStaticFrame:
    """Base of the course's widgets: display the live ipywidgets box together with a static frame of its figure.

    A subclass sets ``widget`` (the ipywidgets box), ``figure`` (the Matplotlib figure the widget shows) and
    ``output`` (the ipywidgets ``Output`` inside ``widget`` where the figure appears), and calls
    :meth:`show_figure` after every redraw. The figure is shown as a PNG, which works with every Matplotlib
    backend (inline, Agg, ipympl). Displaying the object publishes one output with three representations: the widget
    view (JupyterLab shows the live widget), ``image/png`` of the figure as it is at that moment (shown where there is
    no kernel, e.g. the course website, which prefers the PNG) and ``text/plain``. A subclass whose figure is still
    empty returns None from :meth:`static_frame_figure` and the output then has no PNG.
    """

    #: Resolution of the static frame, in dots per inch.
    static_frame_dpi = 100

    def static_frame_figure(self):
        """The figure to save as the static frame (None: nothing drawn yet)."""
        return self.figure

    def static_frame_png(self):
        """The static frame as PNG bytes, or None when there is nothing drawn yet."""
        figure = self.static_frame_figure()
        if figure is None:
            return None
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=self.static_frame_dpi)
        return buffer.getvalue()

    def show_figure(self):
        """Show the figure as it is now in ``output``, replacing what was there (inside IPython only: in plain Python
        there is nowhere to show it, and nothing is drawn)."""
        from IPython import get_ipython
        from IPython.display import Image, display

        if get_ipython() is None:
            return
        png = self.static_frame_png()
        with self.output:
            self.output.clear_output(wait=True)
            if png is not None:
                display(Image(data=png, format="png"))

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget._repr_mimebundle_())
        bundle["text/plain"] = (f"{type(self).__name__}: an interactive widget; run the notebook in JupyterLab to "
                                "use its controls.")
        png = self.static_frame_png()
        if png is not None:
            bundle["image/png"] = base64.b64encode(png).decode("ascii")
        return bundle


class PerceptronExplorer(WidgetWithStaticFrame):
    """Sliders for ``w1``, ``w2`` and ``b`` of a threshold unit; the boundary and the misclassified points follow.

    Buttons apply one step of the perceptron learning rule (to the next misclassified point) or reset the weights.
    State: ``w`` (2,), ``b``, ``misclassified`` (N,) mask, ``n_steps`` (learning-rule steps taken);
    ``figure`` / ``ax``: the drawing; ``widget``: the ipywidgets box to display.
    """

    def __init__(self, X, y, w=(1.0, -1.0), b=0.0, weight_range=(-5.0, 5.0), bias_range=None, learning_rate=1.0,
                 class_names=None, feature_names=None):
        import ipywidgets as widgets

        self.X, self.y = _check_data(X, y)
        w, b = _check_weights(w, b)
        self.learning_rate = check_positive_number(learning_rate, "learning_rate")
        if bias_range is None:
            reach = float(np.max(np.abs(self.X))) * max(abs(weight_range[0]), abs(weight_range[1]))
            bias_range = (-reach, reach)
        for name, (low, high) in (("weight_range", weight_range), ("bias_range", bias_range)):
            if not low < high:
                raise ValueError(f"{name} must be (low, high) with low < high; got {(low, high)}.")
        self.class_names, self.feature_names = class_names, feature_names
        self._initial = (w.copy(), b)
        self._next = 0
        self.n_steps = 0

        def slider(description, value, low, high):
            return widgets.FloatSlider(value=value, min=low, max=high, step=(high - low) / 200,
                                       description=description, continuous_update=True, readout_format=".2f")

        self.w1 = slider("w1", w[0], *weight_range)
        self.w2 = slider("w2", w[1], *weight_range)
        self.b_slider = slider("b", b, *bias_range)
        self.step_button = widgets.Button(description="learning rule: 1 step", icon="step-forward",
                                          tooltip="apply the perceptron rule to the next misclassified point",
                                          layout=widgets.Layout(width="auto"))  # the default 148 px cuts the label
        self.reset_button = widgets.Button(description="reset", icon="undo")
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.figure = Figure(figsize=(6.5, 5.2), layout="constrained")
        self.ax = self.figure.add_subplot()
        for control in (self.w1, self.w2, self.b_slider):
            control.observe(self._on_change, names="value")
        self.step_button.on_click(lambda _: self.learn_step())
        self.reset_button.on_click(lambda _: self.reset())
        self.widget = widgets.VBox([
            widgets.HBox([widgets.VBox([self.w1, self.w2, self.b_slider]),
                          widgets.VBox([self.step_button, self.reset_button])]),
            self.status,
            self.output,
        ])
        self.update()

    @property
    def w(self):
        return np.array([self.w1.value, self.w2.value])

    @property
    def b(self):
        return float(self.b_slider.value)

    def _on_change(self, _change):
        self.update()

    def set_weights(self, w, b):
        """Move the sliders to ``w`` (2,) and ``b`` (widening their range if needed) and redraw once."""
        w, b = _check_weights(w, b)
        self._updating = True
        try:
            for control, value in ((self.w1, w[0]), (self.w2, w[1]), (self.b_slider, b)):
                if value < control.min:
                    control.min = value
                if value > control.max:
                    control.max = value
                control.value = value
        finally:
            self._updating = False
        self.update()

    def update(self):
        """Recompute the misclassified points for the slider values and redraw."""
        if getattr(self, "_updating", False):
            return
        self.misclassified = draw_perceptron_state(self.X, self.y, self.w, self.b, self.ax,
                                                   class_names=self.class_names, feature_names=self.feature_names)
        n_wrong = int(self.misclassified.sum())
        verdict = "all points are on the right side" if n_wrong == 0 else f"{n_wrong} misclassified (ringed in red)"
        self.status.value = (f"<b>{verdict}</b>; accuracy {1 - n_wrong / len(self.y):.1%}; "
                             f"learning-rule steps taken: {self.n_steps}")
        self.show_figure()

    def learn_step(self):
        """Apply the perceptron rule to the next misclassified point; return its index (None: nothing to learn)."""
        w, b, i = perceptron_rule_step(self.X, self.y, self.w, self.b, self.learning_rate, start=self._next)
        if i is not None:
            self._next = i + 1
            self.n_steps += 1
            self.set_weights(w, b)
        return i

    def reset(self):
        """Back to the initial weights."""
        self.n_steps = 0
        self._next = 0
        self.set_weights(*self._initial)


class GradientDescentExplorer(WidgetWithStaticFrame):
    """Step through full-batch gradient descent on logistic regression and watch the boundary and the loss.

    Controls: a step slider with a play button and one-step buttons, and a learning-rate slider (log scale) that
    recomputes the trajectory. State: ``trajectory`` (see :func:`logistic_gd_trajectory`), ``step``;
    ``figure`` / ``axes``: the drawing; ``widget``: the ipywidgets box to display.
    """

    def __init__(self, X, y, learning_rate=0.5, n_steps=100, w0=(0.0, 0.0), b0=0.0, class_names=None,
                 feature_names=None):
        import ipywidgets as widgets

        self.X, self.y = _check_data(X, y)
        self.w0, self.b0 = _check_weights(w0, b0)
        learning_rate = check_positive_number(learning_rate, "learning_rate")
        n_steps = check_positive_int(n_steps, "n_steps")
        self.class_names, self.feature_names = class_names, feature_names
        self.step_slider = widgets.IntSlider(value=0, min=0, max=int(n_steps), description="step",
                                             continuous_update=True)
        self.play = widgets.Play(value=0, min=0, max=int(n_steps), interval=150, description="play")
        widgets.jslink((self.play, "value"), (self.step_slider, "value"))
        self.back_button = widgets.Button(description="", icon="step-backward", tooltip="one step back",
                                          layout=widgets.Layout(width="45px"))
        self.next_button = widgets.Button(description="", icon="step-forward", tooltip="one step forward",
                                          layout=widgets.Layout(width="45px"))
        self.learning_rate = widgets.FloatLogSlider(value=learning_rate, base=10, min=-3, max=2, step=0.05,
                                                    description="η (learning rate)", readout_format=".3g",
                                                    continuous_update=False,
                                                    style={"description_width": "initial"})
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.figure = Figure(figsize=(11, 4.4), layout="constrained")
        self.axes = self.figure.subplots(1, 2)
        self.step_slider.observe(lambda _: self.update(), names="value")
        self.learning_rate.observe(lambda _: self.recompute(), names="value")
        self.back_button.on_click(lambda _: self._move(-1))
        self.next_button.on_click(lambda _: self._move(+1))
        self.widget = widgets.VBox([
            widgets.HBox([self.play, self.back_button, self.step_slider, self.next_button]),
            self.learning_rate,
            self.status,
            self.output,
        ])
        self.recompute()

    @property
    def step(self):
        return int(self.step_slider.value)

    def recompute(self):
        """Recompute the whole trajectory for the current learning rate and redraw the current step."""
        self.trajectory = logistic_gd_trajectory(self.X, self.y, self.learning_rate.value, self.step_slider.max,
                                                 self.w0, self.b0)
        self.update()

    def _move(self, delta):
        self.step_slider.value = int(np.clip(self.step + delta, 0, self.step_slider.max))

    def update(self):
        """Redraw the boundary and loss curve for the current step."""
        draw_gd_state(self.X, self.y, self.trajectory, self.step, self.axes, class_names=self.class_names,
                      feature_names=self.feature_names)
        loss = self.trajectory["loss"]
        trend = "" if np.all(np.diff(loss) <= 1e-12) else (
            " <span style='color:#b00'>the loss went up at some step: the learning rate is too large</span>")
        self.status.value = (f"η = {self.learning_rate.value:.3g}: loss {loss[0]:.4f} at step 0, "
                             f"{loss[self.step]:.4f} at step {self.step}, {loss[-1]:.4f} at step {len(loss) - 1}."
                             + trend)
        self.show_figure()


def perceptron_widget(X, y, w=(1.0, -1.0), b=0.0, weight_range=(-5.0, 5.0), bias_range=None, learning_rate=1.0,
                      class_names=None, feature_names=None):
    """Build a :class:`PerceptronExplorer`: sliders w1, w2, b move the boundary; mistakes are counted and ringed.

    X: (N, 2) inputs (standardised features keep the slider ranges meaningful); y: (N,) labels 0/1;
    w, b: the starting weights and bias; weight_range: (low, high) of the w1 and w2 sliders;
    bias_range: of the b slider (default: wide enough to move the line across the data);
    learning_rate: of the "learning rule: 1 step" button; class_names, feature_names: for the legend and axes.
    Returns the explorer; display it (last line of a cell) to get the controls and the live plot.
    """
    return PerceptronExplorer(X, y, w=w, b=b, weight_range=weight_range, bias_range=bias_range,
                              learning_rate=learning_rate, class_names=class_names, feature_names=feature_names)


def gradient_descent_widget(X, y, learning_rate=0.5, n_steps=100, w0=(0.0, 0.0), b0=0.0, class_names=None,
                            feature_names=None):
    """Build a :class:`GradientDescentExplorer`: step through gradient descent on logistic regression.

    X: (N, 2) inputs; y: (N,) labels 0/1; learning_rate: the starting η; n_steps: number of gradient steps
    precomputed; w0, b0: where descent starts; class_names, feature_names: for the legend and axes.
    Returns the explorer; display it (last line of a cell) to get the controls and the live plot.
    """
    return GradientDescentExplorer(X, y, learning_rate=learning_rate, n_steps=n_steps, w0=w0, b0=b0,
                                   class_names=class_names, feature_names=feature_names)
