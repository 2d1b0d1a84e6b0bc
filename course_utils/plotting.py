"""Plot helpers for the lectures and assignments.

Every helper draws on the Axes it is given (``ax=None`` means the current Axes, ``plt.gca()``) and returns it, so
that helpers compose on one figure and tests can inspect what was drawn:

==============================  ====================================================================================
``plot_data``                   2-D scatter of labelled points, one colour and marker per class
``plot_decision_boundary``      filled regions (or probability) of a model's prediction over the plane, plus the points
``plot_linear_boundary``        the line ``w . x + b = 0`` and its normal vector ``w``
``plot_history``                loss / accuracy curves from a history dict or a Keras ``History``
``plot_confusion_matrix``       a confusion matrix with counts (or row fractions) in the cells
``show_images``                 a grid of images (e.g. digits) with labels and predictions; returns the grid of Axes
``plot_prediction``             one image beside its predicted class probabilities (bars; true and predicted class)
``plot_activation``             an activation function and its derivative
``plot_neuron``                 one neuron: inputs, weights, weighted sum ``z``, activation box, output
``plot_network``                a fully connected network from its layer sizes (optional weights, dropped units)
``plot_dropout``                the same network once per mini-batch, hidden units dropped at random
``plot_batchnorm_flow``         batch normalisation as boxes and arrows, in training and at inference
==============================  ====================================================================================

The four diagrams at the end (neuron, network, dropout, batch normalisation) draw with equal aspect and no axis lines;
with ``ax=None`` and no open figure they create a figure of a size that suits them (in a notebook every cell starts
without one), and ``plot_dropout`` returns an array of Axes, one per mini-batch, like ``show_images``.

Colours follow the Okabe-Ito palette (:data:`CLASS_COLORS`), which stays distinguishable for colour-blind readers.
"""
import functools
import numbers

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LinearSegmentedColormap, ListedColormap, to_rgb

from ._validation import as_float_array, check_positive_int

__all__ = [
    "CLASS_COLORS",
    "CLASS_MARKERS",
    "HIGHLIGHT_COLOR",
    "plot_data",
    "plot_decision_boundary",
    "plot_linear_boundary",
    "plot_history",
    "plot_confusion_matrix",
    "show_images",
    "plot_prediction",
    "plot_activation",
    "plot_hidden_unit_lines",
    "plot_computation_graph",
    "WEIGHT_COLORS",
    "DROPPED_COLORS",
    "plot_neuron",
    "plot_network",
    "plot_dropout",
    "plot_batchnorm_flow",
]

#: One colour per class (Okabe-Ito palette, colour-blind safe): class 0 blue, class 1 orange, class 2 green, ...
CLASS_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
#: One marker per class, so that classes differ in shape as well as colour (and survive black-and-white printing).
CLASS_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: Colour of the misclassified-point rings drawn by :func:`plot_data` (``highlight=``).
HIGHLIGHT_COLOR = "#D62728"


# --------------------------------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------------------------------
def _as_points(X, name="X"):
    """Return X as a float64 (N, 2) array or raise a clear error."""
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of numbers of shape (N, 2), one point per row; {err}") from None
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{name} must have shape (N, 2), one point per row with two features; got shape {X.shape}. "
                         "Plot two features at a time, e.g. X[:, [0, 1]].")
    return X


def _as_labels(y, n, name="y"):
    """Return y as an int (n,) array or raise a clear error."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},), one integer label per point; got shape {y.shape}.")
    if y.size and not np.all(np.equal(np.mod(y, 1), 0)):
        raise ValueError(f"{name} must hold integer class labels (0, 1, ...); got non-integer values such as "
                         f"{y[np.mod(y, 1) != 0][0]!r}. Threshold probabilities first, e.g. (p >= 0.5).astype(int).")
    return y.astype(np.int64)


def _get_ax(ax):
    if ax is None:
        return plt.gca()
    if not isinstance(ax, plt.Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}.")
    return ax


def _class_color(k):
    return CLASS_COLORS[int(k) % len(CLASS_COLORS)]


def _lighten(color, amount):
    """Mix ``color`` with white: amount 0 keeps it, 1 gives white."""
    rgb = np.array(to_rgb(color))
    return tuple(rgb + (1.0 - rgb) * amount)


# --------------------------------------------------------------------------------------------------------------------
# data and decision boundaries
# --------------------------------------------------------------------------------------------------------------------
def plot_data(X, y=None, ax=None, class_names=None, feature_names=None, highlight=None, title=None, s=30,
              alpha=0.85, legend=True):
    """Scatter 2-D points, one colour and marker per class; optionally ring some of them (e.g. the misclassified).

    X: (N, 2) points, one per row; y: (N,) integer labels or None (all points one colour);
    class_names: names of the classes for the legend (``class_names[k]`` for label k), default "class k";
    feature_names: (x-axis label, y-axis label), default ("$x_1$", "$x_2$");
    highlight: (N,) boolean mask of points to ring in red (e.g. the misclassified ones), or None;
    title: Axes title or None; s, alpha: marker size and opacity.
    Draws one scatter collection per class (plus one for the rings) and returns the Axes.
    """
    ax = _get_ax(ax)
    X = _as_points(X)
    if y is None:
        ax.scatter(X[:, 0], X[:, 1], s=s, alpha=alpha, color="0.3", edgecolors="white", linewidths=0.5)
    else:
        y = _as_labels(y, len(X))
        for k in np.unique(y):
            name = class_names[k] if class_names is not None and 0 <= k < len(class_names) else f"class {k}"
            mask = y == k
            ax.scatter(X[mask, 0], X[mask, 1], s=s, alpha=alpha, color=_class_color(k),
                       marker=CLASS_MARKERS[int(k) % len(CLASS_MARKERS)], edgecolors="white", linewidths=0.5,
                       label=name)
    if highlight is not None:
        highlight = np.asarray(highlight)
        if highlight.shape != (len(X),) or highlight.dtype != bool:
            raise ValueError(f"highlight must be a boolean mask of shape ({len(X)},); got dtype {highlight.dtype} "
                             f"and shape {highlight.shape}.")
        ax.scatter(X[highlight, 0], X[highlight, 1], s=4 * s, facecolors="none", edgecolors=HIGHLIGHT_COLOR,
                   linewidths=1.5, label=f"misclassified ({int(highlight.sum())})")
    xlabel, ylabel = feature_names if feature_names is not None else ("$x_1$", "$x_2$")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    if legend and (y is not None or highlight is not None):
        ax.legend(loc="best", framealpha=0.9)
    return ax


def _is_keras_model(model):
    return hasattr(model, "predict") and hasattr(model, "layers") and hasattr(model, "compile")


def _evaluate_model(model, grid, kind):
    """Evaluate ``model`` on the (M, 2) grid; return (values, kind).

    kind is "class", "proba" or "score" with values (M,), or "multiclass" with values (M, K) class probabilities.
    """
    if kind not in ("auto", "class", "proba", "score"):
        raise ValueError(f"kind must be 'auto', 'class', 'proba' or 'score'; got {kind!r}.")
    if _is_keras_model(model):
        out = model.predict(grid, verbose=0)
        source = "proba"
    elif kind in ("auto", "proba") and hasattr(model, "predict_proba"):
        out = model.predict_proba(grid)
        source = "proba"
    elif kind == "score" and hasattr(model, "decision_function"):
        out = model.decision_function(grid)
        source = "score"
    elif hasattr(model, "predict"):
        out = model.predict(grid)
        source = "class"
    elif callable(model):
        out = model(grid)
        source = None
    else:
        raise TypeError("model must be a function f(X) -> predictions for X of shape (M, 2), or an object with "
                        f".predict / .predict_proba; got {type(model).__name__}.")
    out = np.asarray(out, dtype=np.float64)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape[0] != len(grid) or out.ndim not in (1, 2):
        raise ValueError(f"the model returned shape {out.shape} for {len(grid)} points; expected ({len(grid)},) "
                         f"labels/probabilities/scores or ({len(grid)}, K) class probabilities.")
    if out.ndim == 2:  # (M, K) class probabilities
        if kind == "class":
            return np.argmax(out, axis=1).astype(np.float64), "class"
        if out.shape[1] == 2:
            return out[:, 1], "proba"
        return out, "multiclass"
    if kind == "auto":
        if source is not None:
            kind = source
        elif np.all(np.mod(out, 1) == 0):
            kind = "class"
        elif out.min() >= 0.0 and out.max() <= 1.0:
            kind = "proba"
        else:
            kind = "score"
    if kind == "class" and not np.all(np.mod(out, 1) == 0):
        # Probabilities (values in [0, 1]) are thresholded at 0.5, real-valued scores at 0.
        threshold = 0.5 if out.min() >= 0.0 and out.max() <= 1.0 else 0.0
        out = (out >= threshold).astype(np.float64)
    return out, kind


def plot_decision_boundary(model, X, y=None, ax=None, kind="auto", resolution=200, padding=0.1, class_names=None,
                           feature_names=None, show_points=True, colorbar=False, title=None, xlim=None, ylim=None):
    """Colour the plane by a model's prediction and draw the decision boundary, with the data on top.

    model: a function ``f(X_grid) -> predictions`` for ``X_grid: (M, 2)``, or an object with ``predict_proba`` /
    ``predict`` (course_utils models, scikit-learn estimators) or a Keras model (``predict(..., verbose=0)``);
    X: (N, 2) points (they also fix the plotted range); y: (N,) integer labels or None;
    kind: what to draw: "proba" (probability of class 1 from 0 to 1, boundary at 0.5), "class" (one flat colour per
    predicted class), "score" (a real-valued score, boundary at 0, class 1 where score >= 0) or "auto":
    probabilities for objects with predict_proba and Keras models, classes for objects with only predict, and for a
    plain function: classes if it returns integers, probabilities if it returns values in [0, 1], otherwise scores;
    (M, K) outputs are class probabilities: K = 2 draws the probability of class 1, K > 2 the most likely class
    with smooth boundaries where the two most likely classes tie (one contour line set per class).
    resolution: grid points per axis; padding: margin around the data as a fraction of its range;
    xlim, ylim: (low, high) plotted range instead of the data's; colorbar: add a colour bar (probabilities only).
    Returns the Axes.
    """
    ax = _get_ax(ax)
    X = _as_points(X)
    if isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral) or resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2 (grid points per axis); got {resolution!r}.")
    lows, highs = X.min(axis=0), X.max(axis=0)
    span = np.where(highs > lows, highs - lows, 1.0)
    x_range = xlim if xlim is not None else (lows[0] - padding * span[0], highs[0] + padding * span[0])
    y_range = ylim if ylim is not None else (lows[1] - padding * span[1], highs[1] + padding * span[1])
    xx, yy = np.meshgrid(np.linspace(*x_range, resolution), np.linspace(*y_range, resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    values, kind = _evaluate_model(model, grid, kind)
    if kind == "multiclass":
        probabilities = values.reshape(xx.shape + (values.shape[1],))
        zz = np.argmax(probabilities, axis=2).astype(np.float64)
    else:
        zz = values.reshape(xx.shape)

    if kind == "proba":
        cmap = LinearSegmentedColormap.from_list(
            "course_proba", [_lighten(_class_color(0), 0.35), (1, 1, 1), _lighten(_class_color(1), 0.35)])
        filled = ax.contourf(xx, yy, zz, levels=np.linspace(0.0, 1.0, 11), cmap=cmap, alpha=0.8, vmin=0, vmax=1)
        if zz.min() < 0.5 < zz.max():
            ax.contour(xx, yy, zz, levels=[0.5], colors="k", linewidths=1.5)
        if colorbar:
            ax.figure.colorbar(filled, ax=ax, label="predicted probability of class 1")
    elif kind == "score":
        cmap = ListedColormap([_lighten(_class_color(0), 0.7), _lighten(_class_color(1), 0.7)])
        ax.contourf(xx, yy, (zz >= 0).astype(float), levels=[-0.5, 0.5, 1.5], cmap=cmap)
        if zz.min() < 0.0 < zz.max():
            ax.contour(xx, yy, zz, levels=[0.0], colors="k", linewidths=1.5)
    else:
        classes = np.unique(zz).astype(np.int64)
        index = np.searchsorted(classes, zz)  # class label -> 0..len(classes)-1, so that any labels work
        cmap = ListedColormap([_lighten(_class_color(k), 0.7) for k in classes])
        ax.contourf(xx, yy, index, levels=np.arange(len(classes) + 1) - 0.5, cmap=cmap)
        if kind == "multiclass":
            # Smooth boundaries: where class k's probability ties with the best of the others (one line per class).
            for k in classes:
                margin = probabilities[..., k] - np.delete(probabilities, k, axis=2).max(axis=2)
                if margin.min() < 0.0 < margin.max():
                    ax.contour(xx, yy, margin, levels=[0.0], colors="k", linewidths=1.0)
        elif len(classes) > 1:
            ax.contour(xx, yy, index, levels=np.arange(len(classes) - 1) + 0.5, colors="k", linewidths=1.0)
    if show_points:
        plot_data(X, y, ax=ax, class_names=class_names, feature_names=feature_names, legend=y is not None)
    elif feature_names is not None:
        ax.set_xlabel(feature_names[0])
        ax.set_ylabel(feature_names[1])
    ax.set_xlim(*x_range)
    ax.set_ylim(*y_range)
    if title is not None:
        ax.set_title(title)
    return ax


def _check_line_weights(w, b):
    """w: (2,) weights (w1, w2) and b: a number, of a line w1 x1 + w2 x2 + b = 0; returns (w as (2,) float64, float b)."""
    w = np.asarray(w, dtype=np.float64).ravel()
    if w.shape != (2,):
        raise ValueError(f"w must hold two weights (w1, w2) for two features; got shape {np.shape(w)}.")
    b = np.asarray(b, dtype=np.float64)
    if b.size != 1:
        raise ValueError(f"b must be a single number (the bias); got shape {b.shape}.")
    return w, float(b.ravel()[0])


def plot_linear_boundary(w, b, ax=None, show_normal=True, color="k", label=None, normal_length=None,
                         linestyle="-"):
    """Draw the decision boundary ``w[0] * x1 + w[1] * x2 + b = 0`` of a linear model and its normal vector ``w``.

    w: (2,) weights; b: scalar bias; ax: Axes whose current limits decide where the normal arrow starts (draw the
    data first); show_normal: draw ``w`` as an arrow from the point of the line nearest the centre of the view,
    pointing to the side the model calls class 1 (w . x + b > 0); normal_length: arrow length in data units
    (default: 15% of the smaller side of the view); color, label, linestyle: of the line.
    The arrow is perpendicular to the line on screen only when the Axes has equal aspect (``ax.set_aspect("equal")``).
    Draws one infinite line (and two annotations: the arrow and its label) and returns the Axes; the view limits do not change.
    """
    ax = _get_ax(ax)
    w, b = _check_line_weights(w, b)
    norm_sq = float(w @ w)
    if not np.isfinite(norm_sq) or norm_sq == 0.0:
        raise ValueError(f"w = {w.tolist()} has no direction, so there is no decision boundary to draw; "
                         "use weights that are finite and not all zero.")
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    centre = np.array([np.mean(xlim), np.mean(ylim)])
    # The point of the line nearest the centre of the view: move along w until w . p + b = 0.
    foot = centre - (w @ centre + b) / norm_sq * w
    direction = np.array([-w[1], w[0]])  # along the line, perpendicular to w
    ax.axline(tuple(foot), tuple(foot + direction), color=color, linewidth=2, linestyle=linestyle, label=label)
    if show_normal:
        if normal_length is None:
            normal_length = 0.15 * min(xlim[1] - xlim[0], ylim[1] - ylim[0])
        tip = foot + normal_length * w / np.sqrt(norm_sq)
        ax.annotate("", xy=tuple(tip), xytext=tuple(foot),
                    arrowprops=dict(arrowstyle="-|>", color=color, linewidth=1.8, shrinkA=0, shrinkB=0))
        ax.annotate("$\\mathbf{w}$", xy=tuple(tip), xytext=(4, 4), textcoords="offset points", color=color,
                    fontsize=13, ha="left", va="bottom")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    return ax


# --------------------------------------------------------------------------------------------------------------------
# training curves and evaluation
# --------------------------------------------------------------------------------------------------------------------
def plot_history(history, keys=None, ax=None, title=None, logy=False):
    """Plot training curves: one line per key, validation curves (``val_<key>``) dashed in their key's colour.

    history: a dict ``{"loss": [...], "accuracy": [...], "val_loss": [...], ...}`` (course_utils models' ``fit``)
    or a Keras ``History`` (its ``.history`` dict is used);
    keys: names to plot, e.g. ("accuracy", "val_accuracy"); default: every key ending in "loss"
    (or every key when none does); logy: logarithmic y-axis.
    The x-axis counts epochs from 1. Returns the Axes.
    """
    ax = _get_ax(ax)
    if hasattr(history, "history") and isinstance(history.history, dict):
        history = history.history
    if not isinstance(history, dict):
        raise TypeError("history must be a dict of lists such as {'loss': [...], 'accuracy': [...]} or a Keras "
                        f"History; got {type(history).__name__}.")
    if keys is None:
        keys = [k for k in history if k.endswith("loss")] or list(history)
    elif isinstance(keys, str):
        keys = [keys]
    missing = [k for k in keys if k not in history]
    if missing:
        raise ValueError(f"history has no {missing}; it has {sorted(history)}.")
    if not keys:
        raise ValueError("history is empty: there is nothing to plot.")
    base_keys = []
    for key in keys:
        base = key[4:] if key.startswith("val_") else key
        if base not in base_keys:
            base_keys.append(base)
    for key in keys:
        values = np.asarray(history[key], dtype=np.float64).ravel()
        base = key[4:] if key.startswith("val_") else key
        color = CLASS_COLORS[base_keys.index(base) % len(CLASS_COLORS)]
        is_val = key.startswith("val_")
        label = f"{base} (validation)" if is_val else (f"{base} (training)" if f"val_{base}" in keys else base)
        ax.plot(np.arange(1, len(values) + 1), values, color=color, linestyle="--" if is_val else "-",
                linewidth=2, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(base_keys[0] if len(base_keys) == 1 else "value")
    if logy:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    if title is not None:
        ax.set_title(title)
    return ax


def plot_confusion_matrix(y_true, y_pred, ax=None, labels=None, normalize=False, cmap="Blues", title=None):
    """Draw the confusion matrix: row = true class, column = predicted class, counts (or row fractions) in the cells.

    y_true, y_pred: (N,) integer labels; labels: display names of the classes 0..K-1 (default: the class numbers);
    normalize: show the fraction of each true class (rows sum to 1) instead of counts.
    Uses :class:`sklearn.metrics.ConfusionMatrixDisplay` without a colour bar. Returns the Axes.
    """
    from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

    ax = _get_ax(ax)
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same length; got {y_true.shape[0]} and {y_pred.shape[0]}.")
    if labels is not None:
        classes = np.arange(len(labels))
    else:
        classes = np.unique(np.concatenate([y_true, y_pred]))
    matrix = confusion_matrix(y_true, y_pred, labels=classes, normalize="true" if normalize else None)
    display = ConfusionMatrixDisplay(matrix, display_labels=list(labels) if labels is not None else classes)
    display.plot(ax=ax, cmap=cmap, colorbar=False, values_format=".2f" if normalize else "d")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title is not None:
        ax.set_title(title)
    return ax


def show_images(images, labels=None, predictions=None, n_cols=10, axes=None, class_names=None, cmap="gray_r",
                size=1.2):
    """Show a grid of images (e.g. MNIST digits), titled with their label and, if given, the prediction.

    images: (N, H, W) or (N, H*W) (square) grey-level images, or (N, H, W, 3) colour images;
    labels: (N,) true labels or None; predictions: (N,) predicted labels or None (wrong ones get a red title);
    n_cols: images per row; axes: existing Axes to draw on (any array shape, at least N of them), or None for a new
    figure of ``size`` inches per image; class_names: names for the label numbers (e.g. Fashion-MNIST's).
    Returns the Axes as an array of shape (rows, n_cols) (or the shape of ``axes``); unused ones are switched off.
    """
    images = np.asarray(images)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"images of shape {images.shape} are flat but {images.shape[1]} is not a square number; "
                             "pass them as (N, H, W).")
        images = images.reshape(len(images), side, side)
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"images must have shape (N, H, W), (N, H*W) or (N, H, W, 3) with N >= 1; "
                         f"got {images.shape}.")
    n = len(images)
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) != n:
            raise ValueError(f"{name} must have one entry per image ({n}); got {len(values)}.")
    if axes is None:
        n_cols = max(1, min(int(n_cols), n))
        n_rows = int(np.ceil(n / n_cols))
        _, axes = plt.subplots(n_rows, n_cols, figsize=(size * n_cols, (size + 0.25) * n_rows), squeeze=False)
    axes = np.asarray(axes, dtype=object)
    flat = axes.ravel()
    if len(flat) < n:
        raise ValueError(f"{n} images need at least {n} Axes; got {len(flat)}.")

    def name(k):
        return class_names[int(k)] if class_names is not None else str(k)

    for i, ax in enumerate(flat):
        ax.set_axis_off()
        if i >= n:
            continue
        ax.imshow(images[i], cmap=cmap if images.ndim == 3 else None, interpolation="nearest")
        if labels is not None and predictions is not None:
            wrong = labels[i] != predictions[i]
            ax.set_title(f"{name(labels[i])} → {name(predictions[i])}" if wrong else name(labels[i]),
                         color=HIGHLIGHT_COLOR if wrong else "black", fontsize=9)
        elif labels is not None:
            ax.set_title(name(labels[i]), fontsize=9)
        elif predictions is not None:
            ax.set_title(f"pred {name(predictions[i])}", fontsize=9)
    return axes


def plot_prediction(image, probabilities, true_label=None, class_names=None, axes=None):
    """Show one image beside the model's predicted class probabilities as a bar chart.

    image: (H, W) grey-level image, e.g. (28, 28), or the same image flattened to (H*W,) with H == W (e.g. (784,));
    probabilities: (K,) predicted probabilities, one per class, non-negative and summing to 1 (one row of
    ``model.predict``); true_label: the true class (an integer in 0..K-1) or None; class_names: K names for the bars
    (default: the class numbers 0..K-1); axes: two Axes (image, bars), or None for a new figure.
    The predicted class (the largest probability) is the filled bar, red when it differs from ``true_label``; the true
    class carries a "true" mark under its bar. Returns the two Axes as an array ``[image_ax, bar_ax]``.
    """
    image = np.asarray(image)
    if image.ndim == 1:
        side = int(round(np.sqrt(image.size)))
        if side * side != image.size or image.size == 0:
            raise ValueError(f"a flat image must have a square number of pixels, e.g. (784,) for 28 x 28; "
                             f"got shape {image.shape}.")
        image = image.reshape(side, side)
    if image.ndim != 2:
        raise ValueError(f"image must have shape (H, W), e.g. (28, 28), or (H*W,), e.g. (784,); got shape {image.shape}. "
                         "Pass one image, e.g. x_test[i], not a batch.")
    p = as_float_array(probabilities, "probabilities")
    if p.ndim != 1 or p.size < 2:
        raise ValueError(f"probabilities must have shape (K,) with K >= 2 classes, one row of model.predict "
                         f"(e.g. y_prob[i]); got shape {p.shape}.")
    if not np.all(np.isfinite(p)) or np.any(p < -1e-6):
        raise ValueError("probabilities must be finite and non-negative; got values such as "
                         f"{p[~np.isfinite(p) | (p < -1e-6)][0]!r}. Pass softmax outputs, not logits.")
    if abs(p.sum() - 1.0) > 1e-3:
        raise ValueError(f"probabilities must sum to 1 (within 1e-3); they sum to {p.sum():.4g}. "
                         "Pass softmax outputs (model.predict of a softmax layer), not logits or scores.")
    K = p.size
    if class_names is not None and len(class_names) != K:
        raise ValueError(f"class_names must have one name per class ({K}); got {len(class_names)}.")
    if true_label is not None:
        if not isinstance(true_label, numbers.Integral) and not (
                isinstance(true_label, (float, np.floating)) and float(true_label).is_integer()):
            raise TypeError(f"true_label must be an integer class in 0..{K - 1} or None; got {true_label!r}.")
        true_label = int(true_label)
        if not 0 <= true_label < K:
            raise ValueError(f"true_label must be a class in 0..{K - 1}; got {true_label}.")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(7.5, 2.8), gridspec_kw={"width_ratios": [1, 2.2]})
    axes = np.asarray(axes, dtype=object).ravel()
    if len(axes) != 2 or not all(isinstance(a, plt.Axes) for a in axes):
        raise TypeError("axes must be two matplotlib Axes (image, bars) or None.")
    image_ax, bar_ax = axes
    names = [str(k) for k in range(K)] if class_names is None else [str(name) for name in class_names]
    predicted = int(np.argmax(p))
    wrong = true_label is not None and predicted != true_label

    image_ax.imshow(image, cmap="gray_r", interpolation="nearest")
    image_ax.set_axis_off()
    title = f"predicted {names[predicted]} ({p[predicted]:.2f})"
    if true_label is not None:
        title = f"true {names[true_label]}, " + title
    image_ax.set_title(title, fontsize=9, color=HIGHLIGHT_COLOR if wrong else "black")

    colors = ["0.8"] * K
    colors[predicted] = HIGHLIGHT_COLOR if wrong else CLASS_COLORS[2]
    bar_ax.bar(np.arange(K), p, color=colors, edgecolor="0.3", linewidth=0.6)
    bar_ax.set_xticks(np.arange(K), names, fontsize=8, rotation=45 if max(len(n) for n in names) > 3 else 0)
    bar_ax.set_ylim(0, 1.08)
    bar_ax.set_xlabel("class")
    bar_ax.set_ylabel("predicted probability")
    bar_ax.spines[["top", "right"]].set_visible(False)
    if true_label is not None:
        bar_ax.get_xticklabels()[true_label].set_fontweight("bold")
        bar_ax.annotate("true", xy=(true_label, p[true_label]), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8, fontweight="bold")
    return axes


def plot_activation(fn, grad_fn=None, ax=None, z=None, name=None):
    """Plot an activation function ``fn(z)`` (solid) and, if given, its derivative ``grad_fn(z)`` (dashed).

    fn, grad_fn: vectorised functions of a NumPy array (e.g. ``activations.tanh`` and ``activations.tanh_grad``);
    z: (M,) points to evaluate at (default 401 points on [-5, 5]); name: shown in the legend and title
    (default ``fn.__name__``). Returns the Axes.
    """
    ax = _get_ax(ax)
    if not callable(fn) or (grad_fn is not None and not callable(grad_fn)):
        raise TypeError("fn and grad_fn must be functions of a NumPy array, e.g. activations.tanh and "
                        "activations.tanh_grad.")
    z = np.linspace(-5.0, 5.0, 401) if z is None else np.asarray(z, dtype=np.float64).ravel()
    name = name or getattr(fn, "__name__", "g")
    ax.axhline(0.0, color="0.6", linewidth=0.8)
    ax.axvline(0.0, color="0.6", linewidth=0.8)
    ax.plot(z, np.asarray(fn(z), dtype=np.float64), color=CLASS_COLORS[0], linewidth=2.2, label=f"{name}$(z)$")
    if grad_fn is not None:
        ax.plot(z, np.asarray(grad_fn(z), dtype=np.float64), color=CLASS_COLORS[5], linewidth=2, linestyle="--",
                label=f"{name}$'(z)$")
    ax.set_xlabel("$z$")
    ax.set_title(name)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    return ax


# --------------------------------------------------------------------------------------------------------------------
# networks: hidden units and computation graphs (lectures 3 and 4)
# --------------------------------------------------------------------------------------------------------------------
def plot_hidden_unit_lines(W1, b1, ax=None, color="0.25", linestyle="--", legend=True):
    """Draw, for every hidden unit j of a first layer, the line where its pre-activation is zero.

    W1: (2, H) first-layer weights (a Dense kernel, one column per hidden unit); b1: (H,) biases;
    the line of unit j is ``W1[0, j] * x1 + W1[1, j] * x2 + b1[j] = 0`` (where tanh changes sign and ReLU switches
    on). Draw the data first: the lines span the current view, which does not change. Units whose weights are all
    zero have no line and are skipped. legend: refresh the legend so that it lists the lines.
    Draws one line per unit (labelled "hidden unit j", numbered from 1) and returns the Axes.
    """
    ax = _get_ax(ax)
    W1 = np.asarray(W1, dtype=np.float64)
    b1 = np.asarray(b1, dtype=np.float64).ravel()
    if W1.ndim != 2 or W1.shape[0] != 2:
        raise ValueError(f"W1 must have shape (2, H), one column per hidden unit of a network with two inputs; "
                         f"got shape {W1.shape}.")
    if b1.shape != (W1.shape[1],):
        raise ValueError(f"b1 must have shape ({W1.shape[1]},), one bias per hidden unit; got shape {b1.shape}.")
    for j in range(W1.shape[1]):
        if np.all(W1[:, j] == 0.0) or not np.all(np.isfinite(W1[:, j])):
            continue
        plot_linear_boundary(W1[:, j], b1[j], ax=ax, show_normal=False, color=color, linestyle=linestyle,
                             label=f"hidden unit {j + 1}" if j == 0 or W1.shape[1] <= 5 else None)
        ax.get_lines()[-1].set_linewidth(1.2)
    if legend:
        ax.legend(loc="best", framealpha=0.9, fontsize="small")
    return ax


def plot_computation_graph(graph, positions, values=None, grads=None, labels=None, ax=None, node_size=0.32):
    """Draw a computation graph: nodes with their forward values (black, above) and gradients (red, below).

    graph: dict ``node -> list of input nodes`` for every computed node (leaves need no entry);
    positions: dict ``node -> (x, y)`` for every node, leaves included; values: dict ``node -> number`` (forward
    values) or None; grads: dict ``node -> number`` (``dL/dnode``) or None; labels: dict ``node -> text`` drawn
    inside the node (default: the node's name); node_size: radius of the node circles in data units.
    Leaves are drawn grey, computed nodes blue; an arrow goes from each input to the node it feeds.
    Returns the Axes (with equal aspect and no axis lines).
    """
    from matplotlib.patches import Circle, FancyArrowPatch

    ax = _get_ax(ax)
    if not isinstance(graph, dict) or not isinstance(positions, dict):
        raise TypeError("graph must be a dict node -> list of input nodes and positions a dict node -> (x, y); got "
                        f"{type(graph).__name__} and {type(positions).__name__}.")
    nodes = set(graph) | {i for inputs in graph.values() for i in inputs}
    missing = sorted(str(n) for n in nodes if n not in positions)
    if missing:
        raise ValueError(f"positions has no (x, y) for nodes {missing}; give every node, leaves included, a position.")
    labels = labels or {}
    for node, inputs in graph.items():
        end = np.asarray(positions[node], dtype=np.float64)
        for i in inputs:
            start = np.asarray(positions[i], dtype=np.float64)
            unit = (end - start) / max(np.linalg.norm(end - start), 1e-12)
            ax.add_patch(FancyArrowPatch(tuple(start + node_size * unit), tuple(end - node_size * unit),
                                         arrowstyle="-|>", mutation_scale=14, shrinkA=0, shrinkB=0, color="0.45",
                                         lw=1.2, zorder=2))
    for node in nodes:
        x, y = positions[node]
        face = _lighten(CLASS_COLORS[0], 0.75) if node in graph else "0.9"
        ax.add_patch(Circle((x, y), node_size, facecolor=face, edgecolor="0.3", lw=1.2, zorder=3))
        ax.text(x, y, labels.get(node, str(node)), ha="center", va="center", fontsize=9, zorder=4)
        if values is not None and node in values:
            ax.text(x, y + node_size + 0.05, f"{values[node]:.4g}", ha="center", va="bottom", fontsize=9,
                    color="black", zorder=4)
        if grads is not None and node in grads:
            ax.text(x, y - node_size - 0.05, f"{grads[node]:.4g}", ha="center", va="top", fontsize=9,
                    color=HIGHLIGHT_COLOR, zorder=4)
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    ax.set_xlim(min(xs) - 2 * node_size, max(xs) + 2 * node_size)
    ax.set_ylim(min(ys) - 3 * node_size, max(ys) + 3 * node_size)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


# --------------------------------------------------------------------------------------------------------------------
# diagrams: one neuron, a fully connected network, dropout, batch normalisation (lectures 1, 3 to 6)
# --------------------------------------------------------------------------------------------------------------------
#: Line colours of positive and negative weights in :func:`plot_network` (Okabe-Ito blue and vermillion).
WEIGHT_COLORS = (CLASS_COLORS[0], CLASS_COLORS[5])
#: Fill, edge and text colour of a dropped unit in :func:`plot_network`.
DROPPED_COLORS = ("0.93", "0.6", "0.6")

_INPUT_FACE = _lighten(CLASS_COLORS[2], 0.8)
_HIDDEN_FACE = _lighten(CLASS_COLORS[0], 0.78)
_OUTPUT_FACE = _lighten(CLASS_COLORS[1], 0.7)
_EDGE = "0.25"


def _get_diagram_ax(ax, figsize):
    """``ax`` checked; for ax=None the current Axes, or a new figure of ``figsize`` when no figure is open yet."""
    if ax is None and not plt.get_fignums():
        return plt.subplots(figsize=figsize)[1]
    return _get_ax(ax)


def _points_per_unit(ax, xlim, ylim):
    """Typographic points per data unit once ``ax`` shows ``xlim`` x ``ylim`` with equal aspect."""
    width, height = ax.figure.get_size_inches()
    box = ax.get_position()
    return 72.0 * min(box.width * width / (xlim[1] - xlim[0]), box.height * height / (ylim[1] - ylim[0]))


@functools.lru_cache(maxsize=4096)
def _text_size(text, fontsize=10.0):
    """(width, height) in points of ``text`` (mathtext allowed) set at ``fontsize``."""
    from matplotlib.textpath import TextPath

    extents = TextPath((0, 0), text, size=fontsize).get_extents()
    return extents.width, extents.height


def _fit_fontsize(texts, width, height, largest, smallest=4.0):
    """The largest font size <= ``largest`` at which every one of ``texts`` fits in ``width`` x ``height`` points."""
    size = float(largest)
    for text in texts:
        w, h = _text_size(text, 10.0)
        if w > 0:
            size = min(size, 10.0 * width / w)
        if h > 0:
            size = min(size, 10.0 * height / h)
    return max(size, smallest)


def _finish_diagram(ax, xlim, ylim, title=None):
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title)
    return ax


def _arrow(ax, start, end, color="0.3", lw=1.3, zorder=2, **kwargs):
    from matplotlib.patches import FancyArrowPatch

    arrow = FancyArrowPatch(tuple(start), tuple(end), arrowstyle="-|>", mutation_scale=13, shrinkA=0, shrinkB=0,
                            color=color, lw=lw, zorder=zorder, **kwargs)
    ax.add_patch(arrow)
    return arrow


def _check_labels(labels, n, name, what):
    """labels: None or a list of ``n`` strings (one per ``what``); returns a list or None."""
    if labels is None:
        return None
    if isinstance(labels, str) or not hasattr(labels, "__len__"):
        raise TypeError(f"{name} must be a list of {n} strings, one per {what}; got {type(labels).__name__}.")
    if len(labels) != n:
        raise ValueError(f"{name} must have one label per {what} ({n}); got {len(labels)}.")
    return [str(label) for label in labels]


def _sub(index):
    """A mathtext subscript for ``index``: ``1`` or ``{784}``."""
    return str(index) if index < 10 else f"{{{index}}}"


def _math_body(label, default):
    """The inside of a label written as one mathtext formula ``$...$``, else ``default``."""
    if isinstance(label, str) and len(label) >= 2 and label.startswith("$") and label.endswith("$") \
            and label.count("$") == 2:
        return label[1:-1]
    return default


# The activations plot_neuron sketches: name -> (function, label in the box, formula of the output).
_ACTIVATION_SKETCHES = {
    "step": (lambda z: (z >= 0).astype(float), "step", r"\operatorname{step}(z)"),
    "sign": (np.sign, "sign", r"\operatorname{sign}(z)"),
    "sigmoid": (lambda z: 1.0 / (1.0 + np.exp(-z)), "sigmoid", r"\sigma(z)"),
    "tanh": (np.tanh, "tanh", r"\tanh(z)"),
    "relu": (lambda z: np.maximum(z, 0.0), "ReLU", r"\max(0, z)"),
    "leaky_relu": (lambda z: np.where(z >= 0, z, 0.1 * z), "leaky ReLU", r"\max(\alpha z, z)"),
    "linear": (lambda z: z, "linear", r"z"),
}


def _draw_activation_sketch(ax, name, centre, size, fontsize):
    """Draw the curve of a known activation in the upper part of the box at ``centre`` and its name below it."""
    fn, label, _ = _ACTIVATION_SKETCHES[name]
    cx, cy = centre
    if name in ("step", "sign"):  # a clean jump instead of an interpolated one
        z = np.array([-3.0, 0.0, 0.0, 3.0])
        y = fn(np.array([-1.0, -1.0, 1.0, 1.0]))
    else:
        z = np.linspace(-3.0, 3.0, 121)
        y = fn(z)
    lows = {"sign": -1.0, "tanh": -1.0, "leaky_relu": -0.3, "linear": -3.0}
    y_low, y_high = lows.get(name, 0.0), max(float(y.max()), 1.0)
    left, right = cx - 0.36 * size, cx + 0.36 * size
    bottom, top = cy - 0.08 * size, cy + 0.36 * size
    px = left + (z + 3.0) / 6.0 * (right - left)
    py = bottom + (y - y_low) / (y_high - y_low) * (top - bottom)
    zero_y = bottom + (0.0 - y_low) / (y_high - y_low) * (top - bottom)
    ax.plot([left, right], [zero_y, zero_y], color="0.7", lw=0.8, zorder=4)
    ax.plot([cx, cx], [bottom, top], color="0.7", lw=0.8, zorder=4)
    ax.plot(px, py, color=CLASS_COLORS[0], lw=2.0, zorder=5, solid_capstyle="round", label=f"{name} sketch")
    ax.text(cx, cy - 0.3 * size, label, ha="center", va="center", fontsize=fontsize, zorder=5)


def plot_neuron(n_inputs=3, activation="g", ax=None, input_labels=None, weight_labels=None, bias=True,
                output_label=r"$a$", title=None):
    """Draw one artificial neuron: inputs, weighted arrows, the weighted sum ``z``, the activation, the output.

    n_inputs: number of inputs x_1..x_n (an int >= 1); more than 5 are drawn as x_1, x_2, a vertical ellipsis, x_n;
    activation: the activation's name: "step", "sign", "sigmoid", "tanh", "relu", "leaky_relu" or "linear" get a
    sketch of their curve in the box, any other string (e.g. "g", the default) is written in the box;
    input_labels, weight_labels: n_inputs strings each (default ``$x_1$``..., ``$w_1$``...);
    bias: draw the bias ``$b$`` as the weight of a constant input 1 (and add ``+ b`` to the sum);
    output_label: the output's symbol, e.g. ``r"$\\hat{y}$"``; title: Axes title or None.
    Below the sum node and the activation box their formulas are written: ``z = sum_i w_i x_i + b`` and
    ``a = g(z)``. With ax=None and no open figure a figure of a suitable size is created.
    Draws circles for the inputs (and the constant 1) and the sum node, a box for the activation, one arrow per
    drawn input, and returns the Axes (equal aspect, no axis lines).
    """
    from matplotlib.patches import Circle, FancyBboxPatch

    n_inputs = check_positive_int(n_inputs, "n_inputs")
    if not isinstance(activation, str) or not activation:
        raise TypeError(f"activation must be the activation's name as a string, such as 'g', 'step', 'sigmoid', "
                        f"'tanh' or 'relu'; got {activation!r}.")
    input_labels = _check_labels(input_labels, n_inputs, "input_labels", "input")
    weight_labels = _check_labels(weight_labels, n_inputs, "weight_labels", "input")
    if input_labels is None:
        input_labels = [f"$x_{_sub(j + 1)}$" for j in range(n_inputs)]
    if weight_labels is None:
        weight_labels = [f"$w_{_sub(j + 1)}$" for j in range(n_inputs)]
    if not isinstance(output_label, str):
        raise TypeError(f"output_label must be a string such as '$a$' or '$\\hat{{y}}$'; got {output_label!r}.")
    ax = _get_diagram_ax(ax, figsize=(7.0, 3.2 + 0.45 * min(n_inputs, 5)))

    drawn = list(range(n_inputs)) if n_inputs <= 5 else [0, 1, None, n_inputs - 1]
    step, r_in, r_sum, box = 1.1, 0.36, 0.5, 1.5
    ys = [(len(drawn) - 1) / 2 * step - k * step for k in range(len(drawn))]
    x_in, x_sum, x_act, x_out = 0.0, 3.4, 5.75, 7.55
    y_top = (ys[0] + step) if bias else ys[0]
    caption_y = min(ys[-1] - 0.7, -box / 2 - 0.65)
    xlim = (x_in - 0.75, x_out + 0.9)
    ylim = (caption_y - 0.6, y_top + 0.6)
    scale = float(np.clip(_points_per_unit(ax, xlim, ylim) / 45.0, 0.35, 1.4))

    sources = [(x_in, y, k) for y, k in zip(ys, drawn)]
    if bias:
        sources.insert(0, (x_in, y_top, "bias"))
    for x, y, k in sources:
        if k is None:
            ax.text(x, y, "⋮", ha="center", va="center", fontsize=16 * scale, zorder=4)
            continue
        is_bias = k == "bias"
        ax.add_patch(Circle((x, y), r_in, facecolor="0.9" if is_bias else _INPUT_FACE, edgecolor=_EDGE, lw=1.2,
                            zorder=3))
        ax.text(x, y, "$1$" if is_bias else input_labels[k], ha="center", va="center", fontsize=12 * scale,
                zorder=4)
        start, end = np.array([x, y]), np.array([x_sum, 0.0])
        unit = (end - start) / np.linalg.norm(end - start)
        _arrow(ax, start + r_in * unit, end - r_sum * unit)
        # The weight's label sits on the arrow, a third of the way from the input (where the arrows are apart).
        at = start + r_in * unit + 0.3 * (np.linalg.norm(end - start) - r_in - r_sum) * unit
        ax.text(at[0], at[1], "$b$" if is_bias else weight_labels[k], ha="center", va="center",
                fontsize=11 * scale, zorder=5, bbox=dict(boxstyle="round,pad=0.15", facecolor="white",
                                                         edgecolor="none"))

    ax.add_patch(Circle((x_sum, 0.0), r_sum, facecolor=_HIDDEN_FACE, edgecolor=_EDGE, lw=1.4, zorder=3))
    ax.text(x_sum, 0.0, r"$\Sigma$", ha="center", va="center", fontsize=18 * scale, zorder=4)
    sum_formula = r"$z = \sum_i w_i x_i + b$" if bias else r"$z = \sum_i w_i x_i$"
    ax.text(x_sum, caption_y, sum_formula, ha="center", va="baseline", fontsize=12 * scale)

    left = x_act - box / 2
    _arrow(ax, (x_sum + r_sum, 0.0), (left, 0.0))
    ax.text((x_sum + r_sum + left) / 2, 0.12, "$z$", ha="center", va="bottom", fontsize=12 * scale)
    ax.add_patch(FancyBboxPatch((left, -box / 2), box, box, boxstyle="round,pad=0,rounding_size=0.15",
                                facecolor="white", edgecolor=_EDGE, lw=1.4, zorder=3))
    name = activation.lower()
    if name in _ACTIVATION_SKETCHES:
        _draw_activation_sketch(ax, name, (x_act, 0.0), box, fontsize=10 * scale)
        g = _ACTIVATION_SKETCHES[name][2]
    else:
        text = activation if "$" in activation else (f"${activation}$" if len(activation) == 1 else activation)
        size = _fit_fontsize([text], 0.8 * box * 45.0, 0.8 * box * 45.0, largest=20) * scale
        ax.text(x_act, 0.0, text, ha="center", va="center", fontsize=size, zorder=4)
        g = f"{_math_body(text, r'g')}(z)"
    out = _math_body(output_label, "a")
    ax.text(x_act, caption_y, f"${out} = {g}$", ha="center", va="baseline", fontsize=12 * scale)

    _arrow(ax, (x_act + box / 2, 0.0), (x_out, 0.0))
    ax.text(x_out + 0.1, 0.0, output_label, ha="left", va="center", fontsize=15 * scale)
    return _finish_diagram(ax, xlim, ylim, title)


def _check_layer_sizes(layer_sizes):
    if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__len__"):
        raise TypeError(f"layer_sizes must be a list of unit counts, one per layer, such as [2, 2, 1]; got "
                        f"{type(layer_sizes).__name__}.")
    sizes = list(layer_sizes)
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes must list at least two layers (inputs and outputs), such as [2, 2, 1]; got "
                         f"{sizes}.")
    for l, n in enumerate(sizes):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"layer_sizes must hold positive integers (units per layer); layer_sizes[{l}] is {n!r}.")
    return [int(n) for n in sizes]


def _drawn_units(n, max_units):
    """Indices of the units drawn for a layer of ``n`` units, ``None`` where the vertical ellipsis goes."""
    if n <= max_units:
        return list(range(n))
    return list(range(max_units - 2)) + [None, n - 1]


def _auto_unit_label(l, j, sizes):
    if l == 0:
        return f"$x_{_sub(j + 1)}$"
    if l == len(sizes) - 1:
        return r"$\hat{y}$" if sizes[l] == 1 else f"$\\hat{{y}}_{_sub(j + 1)}$"
    return f"$a^{{[{l}]}}_{_sub(j + 1)}$"


def _auto_layer_name(l, sizes):
    n = sizes[l]
    count = f"({n} unit{'s' if n != 1 else ''})"
    if l == 0:
        return f"input layer\n{count}"
    if l == len(sizes) - 1:
        return f"output layer\n{count}"
    return f"hidden layer {l}\n{count}"


def _network_geometry(sizes, max_units):
    """Drawn units per layer, the layer spacing and the (top, bottom) y of the tallest layer."""
    drawn = [_drawn_units(n, max_units) for n in sizes]
    tallest = max(len(d) for d in drawn)
    dx = max(2.4, 0.42 * tallest + 0.9)
    return drawn, dx, (tallest - 1) / 2


def _place_on_lines(items, fontsize, ppu, centres, radius):
    """Positions for labels on line segments, chosen so that labels miss each other and the unit circles.

    items: (start, end, text, colour) per segment; fontsize: of the labels; ppu: points per data unit;
    centres, radius: the unit circles to keep clear of. Each label goes to the first of a list of places along its
    segment (the middle first, then towards the ends) where its box overlaps nothing placed so far, else to the
    place where it overlaps least. Returns (position, text, colour) per item.
    """
    fractions = (0.5, 0.35, 0.65, 0.25, 0.75, 0.42, 0.58, 0.18, 0.82, 0.3, 0.7)
    centres = np.asarray(centres, dtype=np.float64).reshape(-1, 2)
    steps = np.linspace(0.0, 1.0, 60)[:, None]
    samples = [np.asarray(a) + steps * (np.asarray(b) - np.asarray(a)) for a, b, _, _ in items]
    placed, out = [], []  # placed: (x0, y0, x1, y1) of the label boxes so far
    for k, (start, end, text, color) in enumerate(items):
        others = np.concatenate([points for m, points in enumerate(samples) if m != k] or [np.zeros((0, 2))])
        width, height = _text_size(text, fontsize)
        half = np.array([width / 2 + 0.3 * fontsize, height / 2 + 0.3 * fontsize]) / ppu
        best, best_cost = None, np.inf
        for t in fractions:
            at = np.asarray(start) + t * (np.asarray(end) - np.asarray(start))
            cost = 0.0
            for x0, y0, x1, y1 in placed:
                dx = min(at[0] + half[0], x1) - max(at[0] - half[0], x0)
                dy = min(at[1] + half[1], y1) - max(at[1] - half[1], y0)
                cost += max(dx, 0.0) * max(dy, 0.0)
            # Distance from the circle centres to the label box, against the radius.
            nearest = np.abs(centres - at) - half
            gaps = np.hypot(np.maximum(nearest[:, 0], 0.0), np.maximum(nearest[:, 1], 0.0))
            cost += float(np.sum(np.maximum(radius - gaps, 0.0)))
            # A label sitting on another line could be read as that line's.
            inside = np.all(np.abs(others - at) < half, axis=1)
            cost += 0.02 * float(np.count_nonzero(inside))
            if cost < best_cost:
                best, best_cost = at, cost
            if cost == 0.0:
                break
        placed.append((best[0] - half[0], best[1] - half[1], best[0] + half[0], best[1] + half[1]))
        out.append((best, text, color))
    return out


def plot_network(layer_sizes, weights=None, ax=None, unit_labels="auto", layer_names="auto", max_units=8,
                 dropped=None, show_weight_values=False, title=None):
    """Draw a fully connected network from its layer sizes: units as circles, every connection as a line.

    layer_sizes: units per layer, inputs first, e.g. [2, 2, 1] or [784, 50, 10];
    weights: None or one array per layer transition, ``weights[l]: (layer_sizes[l], layer_sizes[l+1])`` (a Dense
    kernel, e.g. ``[mlp.params["W1"], mlp.params["W2"]]``): line width proportional to |w| (the largest drawn |w|
    gets width 4), colour by sign (:data:`WEIGHT_COLORS`: positive blue, negative vermillion, with a legend);
    show_weight_values: write each drawn weight on its line, where the number misses the other numbers, lines and
    units as far as the network allows (sensible for small networks; the layers are spaced wider);
    unit_labels: "auto" (inputs ``$x_j$``, hidden units ``$a^{[l]}_j$``, outputs ``$\\hat{y}$`` or ``$\\hat{y}_k$``),
    None/False for none, or one list per layer of ``layer_sizes[l]`` strings (or None for an unlabelled layer);
    layer_names: "auto" ("input layer", "hidden layer 1", ..., "output layer", each with its size), a list of one
    string per layer, or None; max_units: layers with more units (> max_units >= 3) show their first
    ``max_units - 2`` units, a vertical ellipsis "⋮" and their last unit, labelled with its true index;
    dropped: None or one entry per layer, None or a boolean mask ``(layer_sizes[l],)``, True for a unit dropped in
    this mini-batch: drawn greyed out (:data:`DROPPED_COLORS`, dashed edge) without its connections.
    Connections are drawn only between drawn units that are not dropped. With ax=None and no open figure a figure
    of a suitable size is created. Returns the Axes (equal aspect, no axis lines).
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle

    sizes = _check_layer_sizes(layer_sizes)
    n_layers = len(sizes)
    max_units = check_positive_int(max_units, "max_units", minimum=3)
    if weights is not None:
        expected = (f"weights must be a list of {n_layers - 1} arrays, one per layer transition (weights[l] of "
                    "shape (layer_sizes[l], layer_sizes[l+1]))")
        if isinstance(weights, np.ndarray):
            raise ValueError(f"{expected}; got one array of shape {weights.shape}: wrap it in a list, weights=[W].")
        if isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__"):
            raise TypeError(f"{expected}; got {type(weights).__name__}.")
        if len(weights) != n_layers - 1:
            raise ValueError(f"{expected}; got {len(weights)}.")
        checked = []
        for l, W in enumerate(weights):
            W = as_float_array(W, f"weights[{l}]", allow_nonfinite=False)
            shape = (sizes[l], sizes[l + 1])
            if W.shape != shape:
                hint = " (transposed? a Dense kernel is (fan_in, fan_out))" if W.shape == shape[::-1] else ""
                raise ValueError(f"weights[{l}] must have shape {shape} = (layer_sizes[{l}], layer_sizes[{l + 1}]);"
                                 f" got {W.shape}{hint}.")
            checked.append(W)
        weights = checked
    masks = [np.zeros(n, dtype=bool) for n in sizes]
    if dropped is not None:
        if isinstance(dropped, np.ndarray) or not hasattr(dropped, "__len__") or len(dropped) != n_layers:
            got = f"{len(dropped)} entries" if hasattr(dropped, "__len__") else type(dropped).__name__
            if isinstance(dropped, np.ndarray):
                got = f"one array of shape {dropped.shape}"
            raise ValueError(f"dropped must be a list with one entry per layer ({n_layers}): None or a boolean mask "
                             f"of that layer's units; got {got}.")
        for l, mask in enumerate(dropped):
            if mask is None:
                continue
            mask = np.asarray(mask)
            if mask.dtype != bool or mask.shape != (sizes[l],):
                raise ValueError(f"dropped[{l}] must be None or a boolean mask of shape ({sizes[l]},), one entry per "
                                 f"unit of layer {l}; got dtype {mask.dtype} and shape {mask.shape}.")
            masks[l] = mask
    if isinstance(unit_labels, str) and unit_labels == "auto":
        labels = [[_auto_unit_label(l, j, sizes) for j in range(n)] for l, n in enumerate(sizes)]
    elif unit_labels is None or unit_labels is False:
        labels = [None] * n_layers
    else:
        if isinstance(unit_labels, str) or not hasattr(unit_labels, "__len__") or len(unit_labels) != n_layers:
            raise ValueError(f"unit_labels must be 'auto', None, or a list of {n_layers} lists of labels (one list "
                             "per layer).")
        labels = [_check_labels(layer, sizes[l], f"unit_labels[{l}]", f"unit of layer {l}")
                  for l, layer in enumerate(unit_labels)]
    if isinstance(layer_names, str) and layer_names == "auto":
        names = [_auto_layer_name(l, sizes) for l in range(n_layers)]
    elif layer_names is None or layer_names is False:
        names = None
    else:
        names = _check_labels(layer_names, n_layers, "layer_names", "layer")

    drawn, dx, half = _network_geometry(sizes, max_units)
    if show_weight_values and weights is not None:  # room along the lines for the numbers
        dx = max(dx, 1.2 + 0.6 * max(len(d) for d in drawn))
    radius = 0.32
    positions = []  # per layer: {unit index or None: (x, y)}
    for l, units in enumerate(drawn):
        top = (len(units) - 1) / 2
        positions.append({j: (l * dx, top - k) for k, j in enumerate(units)})
    def limits(ppu):
        """x and y limits with room for the layer names (at the size they get at ``ppu``) and the legend."""
        xlim = [-0.75, (n_layers - 1) * dx + 0.75]
        ylim = [-half - 0.5, half + 0.5 + (max(0.6, 26.0 / ppu) if weights is not None else 0.0)]
        name_size = None
        if names is not None:
            lines = [line for name in names for line in name.split("\n")]
            name_size = _fit_fontsize(lines, 0.95 * dx * ppu, 0.4 * ppu, largest=10.5)
            ylim[0] -= (1.3 * max(name.count("\n") + 1 for name in names) * name_size + 3) / ppu
            first = max(_text_size(line, name_size)[0] for line in names[0].split("\n")) / ppu
            last = max(_text_size(line, name_size)[0] for line in names[-1].split("\n")) / ppu
            xlim = [min(xlim[0], -first / 2 - 0.05), max(xlim[1], (n_layers - 1) * dx + last / 2 + 0.05)]
        return tuple(xlim), tuple(ylim), name_size

    xlim, ylim, _ = limits(40.0)
    if ax is None and not plt.get_fignums():  # a new figure sized for the network
        xrange, yrange = xlim[1] - xlim[0], ylim[1] - ylim[0]
        ppu = min(70.0, 7.0 * 72 / yrange, 11.0 * 72 / xrange)
        plt.subplots(figsize=(xrange * ppu / 72 + 0.3, yrange * ppu / 72 + (0.6 if title else 0.3)))
    ax = _get_ax(ax)
    for _ in range(2):  # the names' size depends on the scale, which depends on the limits
        xlim, ylim, name_size = limits(_points_per_unit(ax, xlim, ylim))
    ppu = _points_per_unit(ax, xlim, ylim)

    # connections
    wmax = 0.0
    if weights is not None:
        for l in range(n_layers - 1):
            rows = [i for i in drawn[l] if i is not None]
            cols = [j for j in drawn[l + 1] if j is not None]
            wmax = max(wmax, float(np.abs(weights[l][np.ix_(rows, cols)]).max()))
    value_texts = []
    for l in range(n_layers - 1):
        for i, (x0, y0) in positions[l].items():
            for j, (x1, y1) in positions[l + 1].items():
                if i is None or j is None or masks[l][i] or masks[l + 1][j]:
                    continue
                start, end = np.array([x0, y0]), np.array([x1, y1])
                unit = (end - start) / np.linalg.norm(end - start)
                a, b = start + radius * unit, end - radius * unit
                if weights is None:
                    color, lw = "0.55", 0.9
                else:
                    w = weights[l][i, j]
                    color = WEIGHT_COLORS[0] if w >= 0 else WEIGHT_COLORS[1]
                    lw = 4.0 * abs(w) / wmax if wmax > 0 else 0.0
                ax.add_line(Line2D([a[0], b[0]], [a[1], b[1]], color=color, lw=lw, zorder=1,
                                   solid_capstyle="butt", gid=f"connection {l} {i} {j}"))
                if show_weight_values and weights is not None:
                    value_texts.append((a, b, f"{weights[l][i, j]:.2g}", color))
    if value_texts:
        size = float(np.clip(0.26 * ppu, 5.0, 10.0))
        centres = [xy for units in positions for j, xy in units.items() if j is not None]
        for at, text, color in _place_on_lines(value_texts, size, ppu, centres, radius):
            ax.text(at[0], at[1], text, ha="center", va="center", fontsize=size, color=color, zorder=5,
                    bbox=dict(boxstyle="round,pad=0.12", facecolor="white", edgecolor="none", alpha=0.9))

    # units
    texts = [label[j] for l, label in enumerate(labels) if label is not None for j in drawn[l] if j is not None]
    r_pts = radius * ppu
    label_size = _fit_fontsize(texts, 1.6 * r_pts, 1.55 * r_pts, largest=13.0) if texts else 10.0
    for l, units in enumerate(positions):
        face = _INPUT_FACE if l == 0 else (_OUTPUT_FACE if l == n_layers - 1 else _HIDDEN_FACE)
        for j, (x, y) in units.items():
            if j is None:
                ax.text(x, y, "⋮", ha="center", va="center", fontsize=max(0.55 * ppu, 6.0), zorder=4)
                continue
            off = bool(masks[l][j])
            ax.add_patch(Circle((x, y), radius, facecolor=DROPPED_COLORS[0] if off else face,
                                edgecolor=DROPPED_COLORS[1] if off else _EDGE, linestyle="--" if off else "-",
                                lw=1.2, zorder=3, gid=f"unit {l} {j}{' dropped' if off else ''}"))
            if labels[l] is not None:
                ax.text(x, y, labels[l][j], ha="center", va="center", fontsize=label_size, zorder=4,
                        color=DROPPED_COLORS[2] if off else "black")
    if names is not None:
        for l, name in enumerate(names):
            ax.text(l * dx, -half - 0.5, name, ha="center", va="top", fontsize=name_size, color="0.2",
                    linespacing=1.25)
    if weights is not None:
        handles = [Line2D([], [], color=WEIGHT_COLORS[0], lw=3, label="positive weight"),
                   Line2D([], [], color=WEIGHT_COLORS[1], lw=3, label="negative weight")]
        ax.legend(handles=handles, loc="upper center", ncol=2, frameon=False,
                  fontsize=float(np.clip(0.3 * ppu, 7.0, 10.0)), handlelength=1.6, borderaxespad=0.1)
    return _finish_diagram(ax, xlim, ylim, title)


def plot_dropout(layer_sizes, p=0.5, seeds=(0, 1), axes=None, max_units=8):
    """Explain dropout: the same network drawn once per seed, each time with other hidden units dropped.

    layer_sizes: units per layer, inputs first (as for :func:`plot_network`); p: the probability that a hidden
    unit is dropped, 0 <= p < 1; seeds: one seed per panel (non-negative integers): panel k drops every hidden unit
    independently with probability p using ``np.random.default_rng(seeds[k])``; the input and output layers are
    never dropped, and when every drawn unit of a hidden layer would be dropped one of them (chosen with the same
    generator) is kept, so that each hidden layer shows at least one working unit;
    axes: at least ``len(seeds)`` Axes, or None for a new figure with one panel per seed side by side;
    max_units: as for :func:`plot_network`.
    Panel k is titled "mini-batch k" (from 1) and the figure's suptitle gives p.
    Returns the Axes as an array (shape ``(len(seeds),)`` for a new figure, else the shape of ``axes``).
    """
    sizes = _check_layer_sizes(layer_sizes)
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"p must be the drop probability, a number with 0 <= p < 1; got {type(p).__name__} {p!r}.")
    if not 0.0 <= float(p) < 1.0:
        raise ValueError(f"p must be the drop probability, a number with 0 <= p < 1; got {p!r}.")
    p = float(p)
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__len__") or len(seeds) == 0:
        raise TypeError(f"seeds must be a non-empty list of integer seeds, one per panel, such as (0, 1); got "
                        f"{seeds!r}.")
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise ValueError(f"seeds must hold non-negative integers, one per panel; got {seed!r}.")
    max_units = check_positive_int(max_units, "max_units", minimum=3)
    if axes is None:
        _, dx, half = _network_geometry(sizes, max_units)
        width, height = ((len(sizes) - 1) * dx + 2.2) * 40 / 72, (2 * half + 2.4) * 40 / 72  # 40 points per unit
        scale = min(1.0, 16.0 / (width * len(seeds)), 6.5 / height)
        fig, axes = plt.subplots(1, len(seeds), figsize=(width * scale * len(seeds), height * scale + 1.0),
                                 squeeze=False)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1.0 - 0.85 / (height * scale + 1.0), wspace=0.15)
        axes = axes[0]
    axes = np.asarray(axes, dtype=object)
    flat = axes.ravel()
    if len(flat) < len(seeds):
        raise ValueError(f"{len(seeds)} seeds need at least {len(seeds)} Axes; got {len(flat)}.")
    for k, (seed, ax) in enumerate(zip(seeds, flat)):
        rng = np.random.default_rng(int(seed))
        dropped = [None] * len(sizes)
        for l in range(1, len(sizes) - 1):
            mask = rng.random(sizes[l]) < p
            shown = [j for j in _drawn_units(sizes[l], max_units) if j is not None]
            if mask[shown].all():
                mask[shown[int(rng.integers(len(shown)))]] = False
            dropped[l] = mask
        plot_network(sizes, ax=ax, dropped=dropped, max_units=max_units, title=f"mini-batch {k + 1}")
    flat[0].figure.suptitle(f"dropout with $p = {p:g}$: every hidden unit is dropped with probability $p$,\n"
                            "independently and anew for each mini-batch", fontsize=11)
    return axes


# Batch normalisation as boxes: name -> lines of text, each (text, relative font size, bold).
_BN_BOXES = {
    "batch": [("mini-batch", 1.0, True), (r"$\mathbf{Z}$", 1.25, False), (r"$(N \times n)$", 0.9, False)],
    "input": [("input", 1.0, True), (r"$\mathbf{Z}$", 1.25, False), (r"$(N \times n)$, even $N = 1$", 0.9, False)],
    "stats": [("batch statistics", 1.0, True),
              (r"$\mu_B = \frac{1}{N}\sum_i z_i$", 1.05, False),
              (r"$\sigma_B^2 = \frac{1}{N}\sum_i (z_i - \mu_B)^2$", 1.05, False),
              (r"one mean and variance per unit", 0.8, False)],
    "stored": [("stored statistics", 1.0, True), (r"running mean $\mu$", 1.0, False),
               (r"running variance $\sigma^2$", 1.0, False), ("(fixed after training)", 0.8, False)],
    "normalise": [("normalise", 1.0, True), (r"$\hat{z}_i = (z_i - \mu_B)\, /\, \sqrt{\sigma_B^2 + \epsilon}$", 1.05,
                                              False)],
    "normalise_inference": [("normalise", 1.0, True),
                            (r"$\hat{z}_i = (z_i - \mu)\, /\, \sqrt{\sigma^2 + \epsilon}$", 1.05, False)],
    "scale": [("scale and shift", 1.0, True), (r"$\gamma\, \hat{z}_i + \beta$", 1.1, False)],
    "output": [("output", 1.0, True), (r"$(N \times n)$", 0.9, False), (r"fed to $g$", 0.85, False)],
    "learned": [("learned parameters", 1.0, True), (r"$\gamma, \beta$: $n$ values each", 1.0, False),
                ("trained by gradient descent", 0.8, False)],
    "learned_inference": [("learned parameters", 1.0, True), (r"$\gamma, \beta$ (fixed)", 1.0, False)],
    "running": [("running averages", 1.0, True),
                (r"$\mu \leftarrow m\, \mu + (1 - m)\, \mu_B$", 1.0, False),
                (r"$\sigma^2 \leftarrow m\, \sigma^2 + (1 - m)\, \sigma_B^2$", 1.0, False),
                (r"$m$: momentum, e.g. 0.99", 0.8, False)],
    "running_from_training": [("running averages", 1.0, True), (r"$\mu$, $\sigma^2$ from training", 0.9, False)],
}
_BN_FACES = {"learned": _lighten(CLASS_COLORS[1], 0.7), "running": _lighten(CLASS_COLORS[2], 0.75),
             "stats": _lighten(CLASS_COLORS[0], 0.8), "stored": _lighten(CLASS_COLORS[2], 0.75)}


def _bn_box(ax, name, centre, size, fontsize, gid, dashed=False):
    """Draw the box ``_BN_BOXES[name]`` of ``size`` (width, height) at ``centre``; returns its edges."""
    from matplotlib.patches import FancyBboxPatch

    (cx, cy), (w, h) = centre, size
    face = _BN_FACES.get(name.split("_")[0], "white")
    ax.add_patch(FancyBboxPatch((cx - w / 2, cy - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.15",
                                facecolor=face, edgecolor="0.45" if dashed else _EDGE, lw=1.3,
                                linestyle="--" if dashed else "-", zorder=3, gid=gid))
    lines = _BN_BOXES[name]
    weights = [1.45 if r"\frac" in text else 1.0 for text, _, _ in lines]
    y = cy + h / 2 - 0.1 * h
    usable = 0.8 * h
    for (text, rel, bold), weight in zip(lines, weights):
        step = usable * weight / sum(weights)
        ax.text(cx, y - step / 2, text, ha="center", va="center", fontsize=fontsize * rel,
                fontweight="bold" if bold else "normal", zorder=4, gid=gid)
        y -= step
    return {"left": (cx - w / 2, cy), "right": (cx + w / 2, cy), "top": (cx, cy + h / 2),
            "bottom": (cx, cy - h / 2)}


def _bn_row(ax, y, training, fontsize):
    """One row of the batch-norm flow at height ``y``; returns the edges of its statistics box."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    row = "train" if training else "inference"
    names = (["batch", "stats", "normalise", "scale", "output"] if training else
             ["input", "stored", "normalise_inference", "scale", "output"])
    widths = [2.2, 3.5, 3.7, 2.2, 1.6]
    heights = [1.5, 2.2, 1.3, 1.3, 1.5]
    gap, x, boxes = 0.8, 0.0, []
    for name, w, h in zip(names, widths, heights):
        boxes.append(_bn_box(ax, name, (x + w / 2, y), (w, h), fontsize, gid=f"{row}:{name}"))
        x += w + gap
    for a, b in zip(boxes[:-1], boxes[1:]):
        _arrow(ax, a["right"], b["left"])
    # Z also goes straight to the normalisation: above the statistics in training, below them at inference.
    side, sign = ("top", 1.0) if training else ("bottom", -1.0)
    start, end = boxes[0][side], boxes[2][side]
    level = y + sign * 1.45
    ax.add_patch(FancyArrowPatch(path=Path([start, (start[0], level), (end[0], level), end]), arrowstyle="-|>",
                                 mutation_scale=13, color="0.3", lw=1.3, zorder=2))
    ax.text(boxes[1]["top"][0], level + sign * 0.08, r"$z_i$", ha="center", va="bottom" if training else "top",
            fontsize=fontsize)
    # The learned parameters feed the scale-and-shift box from above.
    scale_top = boxes[3]["top"]
    learned = _bn_box(ax, "learned" if training else "learned_inference", (scale_top[0], y + 2.15),
                      (3.0, 1.15 if training else 0.9), fontsize, gid=f"{row}:learned")
    _arrow(ax, learned["bottom"], scale_top)
    return boxes[1]


def plot_batchnorm_flow(ax=None, mode="both"):
    """Draw batch normalisation of one layer as a data flow of boxes and arrows, in training and at inference.

    mode: "train": mini-batch Z (N x n) -> batch statistics mu_B, sigma_B^2 -> normalise -> scale and shift with the
    learned gamma, beta -> output, with the running averages updated from the batch statistics (momentum m);
    "inference": the same chain with the batch statistics replaced by the stored running mean and variance;
    "both": training above, inference below, an arrow from the running averages to the stored statistics.
    Each row is labelled ("training", "inference") on its left. With ax=None and no open figure a figure of a
    suitable size is created; the fonts follow the size of the Axes. Returns the Axes (equal aspect, no axis
    lines).
    """
    if mode not in ("train", "inference", "both"):
        raise ValueError(f"mode must be 'train', 'inference' or 'both'; got {mode!r}.")
    train_y, inference_y = 0.0, (-6.3 if mode == "both" else 0.0)
    top = 2.15 + 0.6 + 0.25 if mode != "inference" else 2.95 + 0.5 + 0.25
    bottom = (train_y - 3.75 - 0.25) if mode == "train" else inference_y - 1.45 - 0.55
    xlim, ylim = (-1.0, 16.7), (bottom, top)
    if ax is None and not plt.get_fignums():
        fig, ax = plt.subplots(figsize=((xlim[1] - xlim[0]) * 0.78, (ylim[1] - ylim[0]) * 0.78))
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    ax = _get_ax(ax)
    fontsize = 11.0 * min(_points_per_unit(ax, xlim, ylim) / 56.0, 1.3)
    label = dict(ha="center", va="center", rotation=90, fontsize=fontsize * 1.2, fontweight="bold", color="0.3")
    if mode in ("train", "both"):
        stats = _bn_row(ax, train_y, True, fontsize)
        ax.text(-0.55, train_y, "training", **label)
        running = _bn_box(ax, "running", (stats["top"][0], train_y - 2.8), (3.7, 1.9), fontsize,
                          gid="train:running")
        _arrow(ax, stats["bottom"], running["top"])
        ax.text(stats["bottom"][0] + 0.12, (stats["bottom"][1] + running["top"][1]) / 2, "update", ha="left",
                va="center", fontsize=0.85 * fontsize, color="0.3")
    if mode in ("inference", "both"):
        stored = _bn_row(ax, inference_y, False, fontsize)
        ax.text(-0.55, inference_y, "inference", **label)
        if mode == "inference":
            running = _bn_box(ax, "running_from_training", (stored["top"][0], inference_y + 2.95), (3.0, 1.0),
                              fontsize, gid="inference:running", dashed=True)
        _arrow(ax, running["bottom"], stored["top"])
        ax.text(stored["top"][0] + 0.12, (stored["top"][1] + running["bottom"][1]) / 2, "after training", ha="left",
                va="center", fontsize=0.85 * fontsize, color="0.3")
    return _finish_diagram(ax, xlim, ylim)

