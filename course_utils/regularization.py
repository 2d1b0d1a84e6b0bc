"""Regularisation penalties added to a model's loss: each returns ``(penalty, grads)``.

Interface::

    penalty, dpenalty = l2_penalty(params, l2)
    loss = data_loss + penalty
    grads = {name: grads[name] + dpenalty[name] for name in params}

``params`` is a model's dict of parameters (``{"W1": (D, H), "b1": (H,), ...}``); ``dpenalty`` has the same keys and
shapes, so it adds to the gradients of the data loss entry by entry. Only the weights are penalised: the entries whose
name starts with "W" (``W1``, ``W2``, ...). Biases, and batch normalisation's ``gamma`` and ``beta``, get a zero
gradient: a bias shifts a unit's input and does not make the function any less smooth.
"""
import numpy as np

from ._validation import as_float_array, check_positive_number

__all__ = ["is_weight", "l2_penalty"]


def is_weight(name):
    """True for the name of a weight matrix (it starts with "W", e.g. "W1"), False for biases and other parameters."""
    return str(name).startswith("W")


def l2_penalty(params, l2):
    """The L2 penalty ``l2 / 2 * sum over the weight matrices of sum(W**2)`` and its gradient.

    params: dict of parameters, e.g. {"W1": (D, H), "b1": (H,), "W2": (H, M), "b2": (M,)}; weights are the keys
        starting with "W".
    l2: the regularisation strength lambda, a number >= 0.
    Returns (penalty, grads): penalty, a float; grads, a dict with the keys of params: ``l2 * W`` for each weight
    matrix and zeros (the shape of the parameter) for everything else. This is the penalty of ``models.MLP``'s
    ``loss(X, y, l2=...)``; a Keras ``kernel_regularizer=keras.regularizers.L2(l2 / 2)`` adds the same.
    """
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays such as {{'W1': ..., 'b1': ...}}; got {type(params).__name__}.")
    l2 = check_positive_number(l2, "l2", allow_zero=True)
    penalty, grads = 0.0, {}
    for name, value in params.items():
        value = as_float_array(value, f"params[{name!r}]")
        if is_weight(name):
            penalty += 0.5 * l2 * float(np.sum(value ** 2))
            grads[name] = l2 * value
        else:
            grads[name] = np.zeros_like(value)
    return penalty, grads
