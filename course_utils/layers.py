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

Two layers behave differently in training and at test time, chosen by ``mode="train"`` or ``mode="test"``:
``dropout_forward`` (inverted dropout, a mask drawn from a ``seed``) and ``batchnorm_forward``, whose running averages
of the batch statistics are the one state a layer keeps between calls (in its ``bn_param`` dict, like the moving
averages of a Keras ``BatchNormalization`` layer).
"""
import numbers

import numpy as np

from . import activations as _act
from ._validation import as_float_array, check_positive_number

__all__ = [
    "affine_forward", "affine_backward", "activation_forward", "activation_backward",
    "affine_activation_forward", "affine_activation_backward",
    "dropout_forward", "dropout_backward", "batchnorm_forward", "batchnorm_backward",
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


MODES = ("train", "test")


def _check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"mode must be 'train' or 'test'; got {mode!r}.")
    return mode


def dropout_forward(x, p, mode="train", seed=None):
    """Inverted dropout: in training, drop each unit with probability ``p`` and divide the survivors by ``1 - p``.

    x: (N, D) activations, one example per row (any shape works).
    p: the probability of dropping a unit, a number in [0, 1) (the ``rate`` of a Keras ``Dropout`` layer).
    mode: "train" (drop and rescale) or "test" (return x unchanged: the expected value is already right).
    seed: int seed of the mask, drawn as ``np.random.default_rng(seed).random(x.shape) >= p`` (True: the unit is
        kept); the same seed gives the same mask. None draws a fresh one.
    Returns (out, cache): out, the shape of x; cache = (mask, mode) for dropout_backward, where mask (the shape of x)
    holds 0 for a dropped unit and 1 / (1 - p) for a kept one (None in test mode).
    """
    x = as_float_array(x, "x")
    if check_positive_number(p, "p", allow_zero=True) >= 1:
        raise ValueError(f"p, the probability of dropping a unit, must be in [0, 1); got {p!r}.")
    _check_mode(mode)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"seed must be an integer (or None); got {type(seed).__name__} {seed!r}.")
    if mode == "test":
        return x.copy(), (None, mode)
    keep = np.random.default_rng(seed).random(x.shape) >= p
    mask = keep / (1.0 - p)
    return x * mask, (mask, mode)


def dropout_backward(dout, cache):
    """Backward pass of ``dropout_forward``.

    dout: gradient of the loss with respect to out, the shape of x.
    cache: (mask, mode) from dropout_forward.
    Returns dx, the shape of x: ``dout * mask`` in training (a dropped unit passes no gradient), ``dout`` at test time.
    """
    _check_cache(cache, 2, "dropout_forward")
    mask, mode = cache
    _check_mode(mode)
    if mode == "test":
        return as_float_array(dout, "dout").copy()
    dout = _check_dout(dout, mask.shape, "dropout_forward")
    return dout * mask


def _check_bn_param(bn_param, D):
    if not isinstance(bn_param, dict):
        raise TypeError("bn_param must be a dict such as {'mode': 'train'} (it also keeps the running averages); "
                        f"got {type(bn_param).__name__}.")
    mode = _check_mode(bn_param.get("mode", "train"))
    eps = check_positive_number(bn_param.get("eps", 1e-5), "bn_param['eps']")
    momentum = check_positive_number(bn_param.get("momentum", 0.9), "bn_param['momentum']", allow_zero=True)
    if momentum >= 1:
        raise ValueError(f"bn_param['momentum'] must be in [0, 1), typically 0.9 or 0.99; got {momentum!r}.")
    running = {}
    for key, start in (("running_mean", np.zeros(D)), ("running_var", np.ones(D))):
        value = bn_param.get(key)
        value = start if value is None else as_float_array(value, f"bn_param[{key!r}]", ndim=1, shape=f"({D},)")
        if value.shape != (D,):
            raise ValueError(f"bn_param[{key!r}] has shape {value.shape} but x has {D} features; "
                             f"expected shape ({D},).")
        running[key] = value
    return mode, eps, momentum, running["running_mean"], running["running_var"]


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalisation of each feature (column) over the batch, then a learned scale and shift.

    x: (N, D) inputs, one example per row (usually the pre-activations z of a Dense layer without bias).
    gamma: (D,) scales; beta: (D,) shifts.
    bn_param: dict with
        "mode": "train" (normalise with the batch's mean and variance) or "test" (with the running averages);
        "eps": added to the variance before the square root (default 1e-5);
        "momentum": of the running averages (default 0.9);
        "running_mean", "running_var": (D,) running averages, started at zeros and ones when missing.
    In training mode the running averages are updated, ``running = momentum * running + (1 - momentum) * batch``,
    with the batch variance ``mean((x - mu)**2)`` (divided by N, as Keras does), and stored in ``bn_param`` (new
    arrays; the old ones are not modified). At test time nothing is updated.
    Returns (out, cache): out (N, D) = ``gamma * (x - mu) / sqrt(var + eps) + beta``; cache = (x_hat, gamma,
    inv_std, mode) for batchnorm_backward, with x_hat (N, D) the normalised inputs and inv_std (D,) =
    ``1 / sqrt(var + eps)``.
    """
    x = as_float_array(x, "x", ndim=2, shape="(N, D)")
    N, D = x.shape
    gamma = as_float_array(gamma, "gamma", ndim=1, shape=f"({D},)")
    beta = as_float_array(beta, "beta", ndim=1, shape=f"({D},)")
    for name, value in (("gamma", gamma), ("beta", beta)):
        if value.shape != (D,):
            raise ValueError(f"{name} has shape {value.shape} but x has {D} features; expected {name} of shape ({D},).")
    mode, eps, momentum, running_mean, running_var = _check_bn_param(bn_param, D)
    if mode == "train":
        if N < 1:
            raise ValueError("x must hold at least one example in training mode; got shape (0, D).")
        mu = x.mean(axis=0)
        var = ((x - mu) ** 2).mean(axis=0)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    else:
        mu, var = running_mean, running_var
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std, mode)


def batchnorm_backward(dout, cache):
    """Backward pass of ``batchnorm_forward``.

    dout: (N, D) gradient of the loss with respect to out.
    cache: (x_hat, gamma, inv_std, mode) from batchnorm_forward.
    Returns (dx, dgamma, dbeta): dx (N, D); dgamma (D,) = sum over the batch of ``dout * x_hat``; dbeta (D,) = sum
    of dout. In training mode the batch mean and variance depend on every example, so
    ``dx = inv_std / N * (N * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat))`` with ``dx_hat = dout * gamma``
    and sums over the batch; at test time (fixed statistics) ``dx = dx_hat * inv_std``.
    """
    _check_cache(cache, 4, "batchnorm_forward")
    x_hat, gamma, inv_std, mode = cache
    dout = _check_dout(dout, x_hat.shape, "batchnorm_forward")
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    if mode == "test":
        return dx_hat * inv_std, dgamma, dbeta
    N = dout.shape[0]
    dx = inv_std / N * (N * dx_hat - dx_hat.sum(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0))
    return dx, dgamma, dbeta
