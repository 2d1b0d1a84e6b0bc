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
``plot_activation``             an activation function and its derivative
==============================  ====================================================================================

Colours follow the Okabe-Ito palette (:data:`CLASS_COLORS`), which stays distinguishable for colour-blind readers.
"""
import numbers

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LinearSegmentedColormap, ListedColormap, to_rgb

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
    "plot_activation",
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


__all__ += ["plot_hidden_unit_lines", "plot_computation_graph"]
