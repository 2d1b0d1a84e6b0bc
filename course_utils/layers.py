"""Layers as pairs of pure functions: a forward pass that returns a cache, and a backward pass that uses it.

Interface, shared by every layer of this module::

    out, cache = layer_forward(inputs..., params...)
    dinputs..., dparams... = layer_backward(dout, cache)

``dout`` is the gradient of the loss with respect to ``out`` (same shape as ``out``); each returned gradient has
the shape of the thing it is the gradient of, and is named ``d<name>``. Rows are examples: ``x: (N, D)``. A Dense
kernel is ``W: (D, M)`` = ``(fan_in, fan_out)``, exactly the layout of a Keras ``Dense`` kernel, so
``x @ W + b`` here equals ``Dense(M)(x)`` there with the same weights.

Composite layers bundle the caches of their parts: ``affine_activation_forward`` returns
``(affine_cache, activation_cache)``.
"""
import numpy as np

from . import activations as _act
from ._validation import as_float_array

__all__ = [
    "affine_forward", "affine_backward", "activation_forward", "activation_backward",
    "affine_activation_forward", "affine_activation_backward",
]


def _check_affine(x, W, b):
    x = as_float_array(x, "x", ndim=2, shape="(N, D)")
    W = as_float_array(W, "W", ndim=2, shape="(D, M)")
    b = as_float_array(b, "b", ndim=1, shape="(M,)")
    if W.shape[0] != x.shape[1]:
        raise ValueError(f"W has shape {W.shape} but x has {x.shape[1]} features; "
                         f"expected W of shape ({x.shape[1]}, M).")
    if b.shape[0] != W.shape[1]:
        raise ValueError(f"b has shape {b.shape} but W has {W.shape[1]} columns (outputs); "
                         f"expected b of shape ({W.shape[1]},).")
    return x, W, b


def affine_forward(x, W, b):
    """Fully connected (Dense) layer without activation: ``out = x @ W + b``.

    x: (N, D) inputs, one example per row.
    W: (D, M) weights, column j feeds output unit j (a Keras Dense kernel).
    b: (M,) biases.
    Returns (out, cache): out (N, M); cache = (x, W, b) for affine_backward.
    """
    x, W, b = _check_affine(x, W, b)
    return x @ W + b, (x, W, b)


def _check_dout(dout, expected_shape, who):
    dout = as_float_array(dout, "dout", ndim=len(expected_shape), shape=str(expected_shape))
    if dout.shape != tuple(expected_shape):
        raise ValueError(f"dout has shape {dout.shape} but the output of {who} had shape {tuple(expected_shape)}; "
                         f"expected dout of shape {tuple(expected_shape)}.")
    return dout


def _check_cache(cache, length, who):
    if not isinstance(cache, tuple) or len(cache) != length:
        raise TypeError(f"cache must be the cache returned by {who}; got {type(cache).__name__}.")


def affine_backward(dout, cache):
    """Backward pass of ``affine_forward``.

    dout: (N, M) gradient of the loss with respect to out.
    cache: (x, W, b) from affine_forward.
    Returns (dx, dW, db): dx (N, D) = dout @ W.T; dW (D, M) = x.T @ dout; db (M,) = sum of dout over the batch.
    """
    _check_cache(cache, 3, "affine_forward")
    x, W, _ = cache
    dout = _check_dout(dout, (x.shape[0], W.shape[1]), "affine_forward")
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def activation_forward(z, name):
    """Apply the activation called ``name`` to ``z``.

    z: (N, M) pre-activations (any shape works for element-wise activations).
    name: one of "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "step", "linear" (element-wise, with
        the default alpha of activations.py) or "softmax" (along the last axis).
    Returns (a, cache): a has the shape of z; cache = (z, a, name) for activation_backward.
    """
    z = as_float_array(z, "z")
    if name == "softmax":
        a = _act.softmax(z, axis=-1)
    else:
        a = _act.get_activation(name)[0](z)
    return np.asarray(a), (z, np.asarray(a), name)


def activation_backward(da, cache):
    """Backward pass of ``activation_forward``.

    da: gradient of the loss with respect to a, the shape of z.
    cache: (z, a, name) from activation_forward.
    Returns dz, the shape of z: ``da * f_grad(z)`` for element-wise activations; for softmax (whose outputs
    depend on the whole row) the Jacobian-vector product ``a * (da - sum(da * a, axis=-1))``.
    """
    _check_cache(cache, 3, "activation_forward")
    z, a, name = cache
    da = _check_dout(da, z.shape, f"activation_forward({name!r})")
    if name == "softmax":
        return a * (da - np.sum(da * a, axis=-1, keepdims=True))
    return da * _act.get_activation(name)[1](z)


def affine_activation_forward(x, W, b, name):
    """A Dense layer with its activation: ``a = f(x @ W + b)``.

    x: (N, D) inputs; W: (D, M) weights; b: (M,) biases; name: activation name (see activation_forward).
    Returns (a, cache): a (N, M); cache = (affine_cache, activation_cache).
    """
    z, affine_cache = affine_forward(x, W, b)
    a, activation_cache = activation_forward(z, name)
    return a, (affine_cache, activation_cache)


def affine_activation_backward(da, cache):
    """Backward pass of ``affine_activation_forward``.

    da: (N, M) gradient of the loss with respect to a; cache from affine_activation_forward.
    Returns (dx, dW, db) with the shapes of x (N, D), W (D, M) and b (M,).
    """
    _check_cache(cache, 2, "affine_activation_forward")
    affine_cache, activation_cache = cache
    dz = activation_backward(da, activation_cache)
    return affine_backward(dz, affine_cache)
