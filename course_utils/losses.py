"""Loss functions: each returns ``(loss, grad)``.

Interface, shared by every function of this module::

    loss, dfirst = loss_function(first, y)

``loss`` is a Python float, the MEAN loss over the batch, and ``dfirst`` is its gradient with respect to the first
argument (same shape as the first argument). Because the loss is a mean, every gradient carries a factor ``1 / N``.

| function | first argument | targets ``y`` | loss |
| --- | --- | --- | --- |
| ``mse(y_hat, y)`` | predictions ``(N,)`` or ``(N, M)`` | same shape | mean of ``(y_hat - y)**2`` over all entries (Keras' ``"mse"``) |
| ``binary_cross_entropy(y_hat, y)`` | probabilities ``(N,)`` or ``(N, 1)`` | 0/1 labels | ``-mean(y log y_hat + (1 - y) log(1 - y_hat))`` |
| ``sigmoid_cross_entropy(logits, y)`` | logits ``(N,)`` or ``(N, 1)`` | 0/1 labels | the same loss, with ``y_hat = sigmoid(logits)`` |
| ``softmax_cross_entropy(logits, y)`` | logits ``(N, K)`` | labels ``(N,)`` or one-hot ``(N, K)`` | ``-mean(log softmax(logits)[y])`` |

Binary cross-entropy on probabilities clips ``y_hat`` to ``[EPS, 1 - EPS]`` (``EPS = 1e-12``), so a prediction of
exactly 0 or 1 gives a large finite loss (about 27.6) instead of inf/NaN. The two losses computed from logits need no
clipping: they are exact for any finite logits, which is why the models use them.
"""
import numpy as np

from ._validation import as_float_array, as_labels, check_finite

__all__ = ["EPS", "mse", "binary_cross_entropy", "sigmoid_cross_entropy", "softmax_cross_entropy"]

EPS = 1e-12  # binary_cross_entropy clips probabilities to [EPS, 1 - EPS]

_DIVERGED = " (If this happens during training, the model diverged: try a smaller learning rate.)"


def _first_and_targets(first, y, first_name, binary):
    """Validate ``first: (N,) or (N, M)`` and targets ``y`` of the same shape; ``y: (N,)`` is accepted for ``(N, 1)``."""
    first = as_float_array(first, first_name)
    if first.ndim not in (1, 2):
        raise ValueError(f"{first_name} must have shape (N,) or (N, M), one example per row; got shape {first.shape}.")
    if binary and first.ndim == 2 and first.shape[1] != 1:
        raise ValueError(f"{first_name} must have shape (N,) or (N, 1) for a binary problem; got shape {first.shape}. "
                         "For K > 1 classes use softmax_cross_entropy(logits, y).")
    if first.shape[0] == 0:
        raise ValueError(f"{first_name} is empty (shape {first.shape}); a loss needs at least one example.")
    check_finite(first, first_name, _DIVERGED)
    y = as_float_array(y, "y")
    if first.ndim == 2 and first.shape[1] == 1 and y.shape == first.shape[:1]:
        y = y.reshape(-1, 1)  # labels (N,) against outputs (N, 1): the common case, never broadcast to (N, N)
    elif first.ndim == 1 and y.shape == (first.shape[0], 1):
        y = y.reshape(-1)
    if y.shape != first.shape:
        raise ValueError(f"{first_name} has shape {first.shape} but y has shape {y.shape}; "
                         f"expected y of shape {first.shape}.")
    check_finite(y, "y")
    if binary and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"y must hold binary labels 0/1 (or probabilities in [0, 1]); got values in "
                         f"[{y.min()}, {y.max()}]. For labels -1/+1 use (y > 0).astype(int).")
    return first, y


def mse(y_hat, y):
    """Mean squared error over all entries, and its gradient.

    y_hat: (N,) or (N, M) predictions, one example per row.
    y: targets of the same shape ((N,) is accepted when y_hat is (N, 1)).
    Returns (loss, dy_hat): loss = mean((y_hat - y)**2) as a float; dy_hat = 2 (y_hat - y) / y_hat.size.
    """
    y_hat, y = _first_and_targets(y_hat, y, "y_hat", binary=False)
    diff = y_hat - y
    return float(np.mean(diff ** 2)), 2.0 * diff / diff.size


def binary_cross_entropy(y_hat, y):
    """Binary cross-entropy of predicted probabilities, and its gradient.

    y_hat: (N,) or (N, 1) predicted probabilities of class 1, in [0, 1]; clipped to [EPS, 1 - EPS].
    y: 0/1 labels of the same shape ((N,) is accepted when y_hat is (N, 1)).
    Returns (loss, dy_hat): loss = -mean(y log y_hat + (1 - y) log(1 - y_hat));
    dy_hat = (y_hat - y) / (y_hat (1 - y_hat)) / N, evaluated at the clipped y_hat (finite everywhere).
    If you have logits (scores before the sigmoid), use ``sigmoid_cross_entropy`` instead: it is exact.
    """
    y_hat, y = _first_and_targets(y_hat, y, "y_hat", binary=True)
    if y_hat.min() < 0 or y_hat.max() > 1:
        raise ValueError(f"y_hat must hold probabilities in [0, 1]; got values in [{y_hat.min()}, {y_hat.max()}]. "
                         "If these are logits (scores before the sigmoid), use sigmoid_cross_entropy(logits, y).")
    p = np.clip(y_hat, EPS, 1.0 - EPS)
    n = y_hat.shape[0]
    loss = -np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p))
    dy_hat = (p - y) / (p * (1.0 - p)) / n
    return float(loss), dy_hat


def sigmoid_cross_entropy(logits, y):
    """Binary cross-entropy computed from logits (TensorFlow's ``sigmoid_cross_entropy_with_logits``), and its gradient.

    logits: (N,) or (N, 1) scores z, with predicted probability sigmoid(z).
    y: 0/1 labels of the same shape ((N,) is accepted when logits is (N, 1)).
    Returns (loss, dlogits): loss = mean(max(z, 0) - z y + log(1 + exp(-|z|))), exact for any finite z;
    dlogits = (sigmoid(z) - y) / N.
    """
    z, y = _first_and_targets(logits, y, "logits", binary=True)
    n = z.shape[0]
    loss = np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z))))
    e = np.exp(-np.abs(z))
    probs = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return float(loss), (probs - y) / n


def softmax_cross_entropy(logits, y):
    """Softmax followed by cross-entropy (categorical cross-entropy from logits), and its gradient.

    logits: (N, K) class scores, one example per row.
    y: (N,) integer class labels in 0..K-1, or (N, K) one-hot (or probability) rows that sum to 1.
    Returns (loss, dlogits): loss = -mean over examples of sum_k y_k log softmax(logits)_k (a float);
    dlogits = (softmax(logits) - Y) / N with Y the one-hot targets. Uses log-sum-exp: exact for any finite logits.
    """
    logits = as_float_array(logits, "logits", ndim=2, shape="(N, K)")
    n, k = logits.shape
    if n == 0:
        raise ValueError("logits is empty (shape (0, K)); a loss needs at least one example.")
    check_finite(logits, "logits", _DIVERGED)
    y_arr = np.asarray(y) if not isinstance(y, (str, bytes)) and y is not None else y
    if isinstance(y_arr, np.ndarray) and y_arr.ndim == 2:
        targets = as_float_array(y_arr, "y")
        if targets.shape != logits.shape:
            raise ValueError(f"logits has shape {logits.shape} but the one-hot y has shape {targets.shape}; "
                             f"expected y of shape ({n},) (integer labels) or {logits.shape} (one-hot).")
        check_finite(targets, "y")
        if targets.min() < 0 or not np.allclose(targets.sum(axis=1), 1.0, atol=1e-6):
            raise ValueError("a 2-D y must hold one-hot (or probability) rows: non-negative, each row summing to 1.")
    else:
        labels = as_labels(y_arr, n_classes=k, name="y")
        if labels.shape[0] != n:
            raise ValueError(f"logits has {n} rows but y has {labels.shape[0]} labels; expected y of shape ({n},).")
        targets = np.zeros_like(logits)
        targets[np.arange(n), labels] = 1.0
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.sum(targets * log_probs) / n
    return float(loss), (np.exp(log_probs) - targets) / n
