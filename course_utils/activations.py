"""Activation functions and their derivatives.

Every function here works element-wise on an array of any shape (a scalar, a vector, a batch ``z: (N, M)``) and
returns float64. Each activation ``f`` comes with ``f_grad(z)``, its derivative with respect to ``z`` evaluated at
``z`` (not at ``f(z)``), so a backward pass reads ``dz = da * f_grad(z)``.

All of them are numerically stable: no overflow, NaN or warnings for ``|z|`` up to 1e3 and beyond. The trick is
always the same: only ever compute ``exp`` of a non-positive number.

Conventions at the kink ``z = 0`` (where the derivative does not exist): ``relu_grad(0) = 0``,
``leaky_relu_grad(0) = alpha`` and ``elu_grad(0) = alpha`` (the left derivative, as TensorFlow does);
``step(0) = 1`` and ``step_grad`` is 0 everywhere (the perceptron is not trained by gradients of its step).

``softmax(z, axis=-1)`` is not element-wise: it normalises along ``axis``.
"""
import numpy as np

from ._validation import as_float_array, check_positive_number

__all__ = [
    "sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad", "leaky_relu", "leaky_relu_grad",
    "elu", "elu_grad", "softplus", "softplus_grad", "step", "step_grad", "linear", "linear_grad", "softmax",
    "ACTIVATIONS", "get_activation",
]


def _out(z, result):
    """Return a NumPy scalar for a scalar input (like a ufunc), the array otherwise."""
    return result[()] if z.ndim == 0 else result


def sigmoid(z):
    """Logistic sigmoid ``1 / (1 + exp(-z))``, element-wise.

    z: array of any shape, e.g. (N, M) pre-activations. Returns an array of the same shape, values in [0, 1].
    """
    z = as_float_array(z, "z")
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return _out(z, np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def sigmoid_grad(z):
    """Derivative of the sigmoid, ``sigmoid(z) * (1 - sigmoid(z))``, element-wise.

    z: array of any shape. Returns an array of the same shape, values in [0, 0.25].
    Computed as ``sigmoid(z) * sigmoid(-z)``, which keeps full precision where ``sigmoid(z)`` is close to 1.
    """
    z = as_float_array(z, "z")
    return _out(z, sigmoid(z) * sigmoid(-z))


def tanh(z):
    """Hyperbolic tangent, element-wise. z: array of any shape. Returns the same shape, values in [-1, 1]."""
    z = as_float_array(z, "z")
    return _out(z, np.tanh(z))


def tanh_grad(z):
    """Derivative of tanh, ``1 - tanh(z)**2``, element-wise.

    z: array of any shape. Returns an array of the same shape, values in [0, 1].
    Computed as ``4 e / (1 + e)**2`` with ``e = exp(-2|z|)``, accurate even where ``tanh(z)`` rounds to 1.
    """
    z = as_float_array(z, "z")
    e = np.exp(-2.0 * np.abs(z))
    return _out(z, 4.0 * e / (1.0 + e) ** 2)


def relu(z):
    """Rectified linear unit ``max(z, 0)``, element-wise. z: array of any shape. Returns the same shape."""
    z = as_float_array(z, "z")
    return _out(z, np.maximum(z, 0.0))


def relu_grad(z):
    """Derivative of ReLU: 1 where ``z > 0``, else 0 (``relu_grad(0) = 0`` by convention, as in TensorFlow).

    z: array of any shape. Returns a float array of the same shape.
    """
    z = as_float_array(z, "z")
    return _out(z, (z > 0).astype(np.float64))


def leaky_relu(z, alpha=0.01):
    """Leaky ReLU: ``z`` where ``z > 0``, else ``alpha * z``, element-wise.

    z: array of any shape. alpha: slope for negative inputs (>= 0). Returns the same shape.
    """
    z = as_float_array(z, "z")
    alpha = check_positive_number(alpha, "alpha", allow_zero=True)
    return _out(z, np.where(z > 0, z, alpha * z))


def leaky_relu_grad(z, alpha=0.01):
    """Derivative of leaky ReLU: 1 where ``z > 0``, else ``alpha`` (so ``alpha`` at 0).

    z: array of any shape. alpha: slope for negative inputs. Returns a float array of the same shape.
    """
    z = as_float_array(z, "z")
    alpha = check_positive_number(alpha, "alpha", allow_zero=True)
    return _out(z, np.where(z > 0, 1.0, alpha))


def elu(z, alpha=1.0):
    """Exponential linear unit: ``z`` where ``z > 0``, else ``alpha * (exp(z) - 1)``, element-wise.

    z: array of any shape. alpha: the value approached as ``z -> -inf`` is ``-alpha``. Returns the same shape.
    """
    z = as_float_array(z, "z")
    alpha = check_positive_number(alpha, "alpha", allow_zero=True)
    return _out(z, np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0))))


def elu_grad(z, alpha=1.0):
    """Derivative of ELU: 1 where ``z > 0``, else ``alpha * exp(z)`` (so ``alpha`` at 0).

    z: array of any shape. Returns a float array of the same shape.
    """
    z = as_float_array(z, "z")
    alpha = check_positive_number(alpha, "alpha", allow_zero=True)
    return _out(z, np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0))))


def softplus(z):
    """Softplus ``log(1 + exp(z))``, a smooth ReLU, element-wise.

    z: array of any shape. Returns the same shape, values > 0.
    Computed as ``max(z, 0) + log1p(exp(-|z|))`` so that large ``|z|`` neither overflows nor loses precision.
    """
    z = as_float_array(z, "z")
    return _out(z, np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))))


def softplus_grad(z):
    """Derivative of softplus, which is ``sigmoid(z)``. z: array of any shape. Returns the same shape."""
    return sigmoid(z)


def step(z):
    """Heaviside step: 1 where ``z >= 0``, else 0 (so ``step(0) = 1``), element-wise; the perceptron's activation.

    z: array of any shape. Returns a float array of 0.0 and 1.0 of the same shape.
    """
    z = as_float_array(z, "z")
    return _out(z, (z >= 0).astype(np.float64))


def step_grad(z):
    """Derivative of the step: 0 everywhere (undefined at 0, where we also return 0).

    A zero gradient is why the perceptron is trained by its own learning rule and not by gradient descent.
    z: array of any shape. Returns zeros of the same shape.
    """
    z = as_float_array(z, "z")
    return _out(z, np.zeros_like(z))


def linear(z):
    """Identity ``f(z) = z`` (a Keras ``"linear"`` activation). z: array of any shape. Returns a float64 copy."""
    z = as_float_array(z, "z")
    return _out(z, z.copy())


def linear_grad(z):
    """Derivative of the identity: ones. z: array of any shape. Returns ones of the same shape."""
    z = as_float_array(z, "z")
    return _out(z, np.ones_like(z))


def softmax(z, axis=-1):
    """Softmax along ``axis``: ``exp(z) / sum(exp(z))``, shifted by the maximum so it never overflows.

    z: (N, K) scores, one example per row (any shape with at least one dimension works).
    axis: the axis that holds the classes (default: the last one).
    Returns an array of the same shape whose entries along ``axis`` are positive and sum to 1.
    """
    z = as_float_array(z, "z")
    if z.ndim == 0:
        raise ValueError("softmax needs at least a 1-D array z of scores, e.g. shape (N, K); got a scalar.")
    if not isinstance(axis, (int, np.integer)) or not -z.ndim <= axis < z.ndim:
        raise ValueError(f"axis must be an integer in [{-z.ndim}, {z.ndim - 1}] for z of shape {z.shape}; got {axis!r}.")
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


# name -> (function, derivative): the element-wise activations known by layers.activation_forward and models.MLP.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "elu": (elu, elu_grad),
    "softplus": (softplus, softplus_grad),
    "step": (step, step_grad),
    "linear": (linear, linear_grad),
}


def get_activation(name):
    """Return ``(f, f_grad)`` for an activation name such as ``"tanh"``; raise ``ValueError`` for unknown names."""
    if not isinstance(name, str):
        raise TypeError(f"activation name must be a string such as 'tanh'; got {type(name).__name__} {name!r}.")
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}.")
    return ACTIVATIONS[name]
