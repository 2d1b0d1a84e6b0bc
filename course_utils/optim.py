"""Optimizers: first-order update rules for a dict of parameters.

Interface, shared by every optimizer of this module::

    optimizer = Adam(learning_rate=1e-3)
    state = None                                   # or {}: each optimizer keeps its own entries in it
    for each mini-batch:
        loss, grads = model.loss(X_batch, y_batch)
        state = optimizer.update(model.params, grads, state)

``params`` and ``grads`` are dicts with the same keys ("W1", "b1", ...) and arrays of the same shapes. ``update``
changes the arrays of ``params`` IN PLACE (so a model holding them sees the new values) and returns the state for
the next call: a dict such as ``{"velocity": {...}}`` (Momentum), ``{"s": {...}}`` (RMSprop) or
``{"t": 3, "m": {...}, "v": {...}}`` (Adam).
SGD needs no state. The update rules, with learning rate ``lr`` and gradient ``g`` of one parameter ``w``:

* SGD:      ``w -= lr * g``
* Momentum: ``v = momentum * v - lr * g;  w += v``   (classical momentum, ``v`` starts at 0)
* RMSprop:  ``s = rho * s + (1 - rho) * g**2;  w -= lr * g / sqrt(s + epsilon)``   (``s`` starts at 0)
* Adam:     ``m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g**2;  t += 1``
            ``w -= lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + epsilon)``   (bias-corrected)

Momentum and RMSprop take exactly the steps of ``keras.optimizers.SGD(momentum=...)`` and
``keras.optimizers.RMSprop`` (the tests check it); Adam puts ``epsilon`` outside the square root as in the paper,
where Keras scales it slightly differently. The state's arrays are updated in place (allocated at the first step):
to record their history, append copies (``state["velocity"]["w"].copy()``).

Weight decay (L2) is not an optimizer's business here: it is part of the model's loss (see ``models.MLP``).
"""
import numpy as np

from ._validation import check_positive_number

__all__ = ["SGD", "Momentum", "RMSprop", "Adam", "get_optimizer"]


def _check_params_and_grads(params, grads):
    if not isinstance(params, dict) or not isinstance(grads, dict):
        raise TypeError("params and grads must be dicts of arrays with the same keys, e.g. {'W1': ..., 'b1': ...}; "
                        f"got {type(params).__name__} and {type(grads).__name__}.")
    if set(params) != set(grads):
        raise ValueError(f"params and grads must have the same keys; params has {sorted(params)} "
                         f"but grads has {sorted(grads)}.")
    for name, value in params.items():
        if not isinstance(value, np.ndarray) or value.dtype not in (np.float64, np.float32):
            raise TypeError(f"params[{name!r}] must be a float64 NumPy array (float32 for a float32 model; it is "
                            "updated in place); "
                            f"got {type(value).__name__}{' of dtype ' + str(value.dtype) if hasattr(value, 'dtype') else ''}.")
        grad = np.asarray(grads[name])
        if grad.shape != value.shape:
            raise ValueError(f"grads[{name!r}] has shape {grad.shape} but params[{name!r}] has shape {value.shape}; "
                             f"expected grads[{name!r}] of shape {value.shape}.")


def _check_rate(value, name, typical):
    """A decay rate (momentum, rho, beta1, beta2): a number in [0, 1), returned as float."""
    if check_positive_number(value, name, allow_zero=True) >= 1:
        raise ValueError(f"{name} must be in [0, 1), typically {typical}; got {value!r}.")
    return float(value)


def _check_state(state):
    if state is None:
        return {}
    if not isinstance(state, dict):
        raise TypeError(f"state must be the dict returned by the previous update (or None); got {type(state).__name__}.")
    return state


def _state_array(arrays, name, w):
    """The optimizer state's array for parameter ``name`` (zeros like ``w`` at the first step), updated in place."""
    value = arrays.get(name)
    if value is None:
        value = arrays[name] = np.zeros_like(w)
    return value


class Optimizer:
    """What every optimizer shares: ``update(params, grads, state)`` checks its input, then applies the rule of the
    subclass's ``_update``; the subclass's hyper-parameters (its ``__init__`` arguments) make its ``repr``."""

    def update(self, params, grads, state=None):
        """Update ``params`` in place from ``grads`` (dicts of arrays, same keys and shapes); return the state."""
        _check_params_and_grads(params, grads)
        return self._update(params, grads, _check_state(state))

    def _update(self, params, grads, state, scratch_grads=False):
        """``update`` without the input checks, for a training loop that checked params and grads once."""
        raise NotImplementedError

    def __repr__(self):
        import inspect

        names = [n for n in inspect.signature(type(self).__init__).parameters if n != "self"]
        return f"{type(self).__name__}(" + ", ".join(f"{n}={getattr(self, n):g}" for n in names) + ")"


class SGD(Optimizer):
    """Plain (stochastic) gradient descent: ``w -= learning_rate * g``. Keeps no state."""

    def __init__(self, learning_rate=0.1):
        self.learning_rate = check_positive_number(learning_rate, "learning_rate")

    def _update(self, params, grads, state, scratch_grads=False):
        """``update`` without the input checks, for a training loop that checked params and grads once.

        scratch_grads: True when the caller no longer needs ``grads`` (``MLP.fit``'s fresh gradients): the step is
        then computed in them, without temporaries. Same arithmetic either way.
        """
        for name, w in params.items():
            w -= np.multiply(grads[name], self.learning_rate, out=grads[name] if scratch_grads else None)
        return state


class Momentum(Optimizer):
    """Classical momentum: a velocity ``v`` accumulates past gradients, ``v = momentum v - lr g; w += v``.

    state: {"velocity": {name: array}}, started at zero.
    """

    def __init__(self, learning_rate=0.1, momentum=0.9):
        self.learning_rate = check_positive_number(learning_rate, "learning_rate")
        self.momentum = _check_rate(momentum, "momentum", 0.9)

    def _update(self, params, grads, state, scratch_grads=False):
        """``update`` without the input checks (see ``SGD._update``); the velocities are updated in place."""
        velocity = state.setdefault("velocity", {})
        for name, w in params.items():
            v = _state_array(velocity, name, w)
            v *= self.momentum
            v -= np.multiply(grads[name], self.learning_rate, out=grads[name] if scratch_grads else None)
            w += v
        return state


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012): each gradient component is divided by a running root-mean-square of its past values.

    ``s = rho s + (1 - rho) g**2;  w -= lr g / sqrt(s + epsilon)``: a separate, automatically scaled step size per
    parameter. Defaults and formula are those of ``keras.optimizers.RMSprop``.
    state: {"s": {name: running mean of g**2}}, started at zero.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        self.learning_rate = check_positive_number(learning_rate, "learning_rate")
        self.rho = _check_rate(rho, "rho", 0.9)
        self.epsilon = check_positive_number(epsilon, "epsilon")

    def _update(self, params, grads, state, scratch_grads=False):
        """``update`` without the input checks (see ``SGD._update``); the running means are updated in place."""
        running = state.setdefault("s", {})
        for name, w in params.items():
            g, s = grads[name], _state_array(running, name, w)
            tmp = np.multiply(g, g)  # g**2
            tmp *= 1 - self.rho
            s *= self.rho
            s += tmp
            root = np.sqrt(np.add(s, self.epsilon, out=tmp), out=tmp)
            step = np.multiply(g, self.learning_rate, out=g if scratch_grads else None)
            step /= root
            w -= step
        return state


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): momentum on the gradient and per-parameter step sizes, both bias-corrected.

    state: {"t": number of updates so far, "m": {name: first moment}, "v": {name: second moment}}.
    Defaults are those of Keras (the paper uses epsilon=1e-8).
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-7):
        self.learning_rate = check_positive_number(learning_rate, "learning_rate")
        self.beta1, self.beta2 = _check_rate(beta1, "beta1", 0.9), _check_rate(beta2, "beta2", 0.999)
        self.epsilon = check_positive_number(epsilon, "epsilon")

    def _update(self, params, grads, state, scratch_grads=False):
        """``update`` without the input checks (see ``SGD._update``); the moments are updated in place."""
        t = state["t"] = state.get("t", 0) + 1
        first, second = state.setdefault("m", {}), state.setdefault("v", {})
        for name, w in params.items():
            g, m, v = grads[name], _state_array(first, name, w), _state_array(second, name, w)
            tmp = np.multiply(g, 1 - self.beta1)
            m *= self.beta1
            m += tmp
            np.multiply(g, g, out=tmp)  # g**2
            tmp *= 1 - self.beta2
            v *= self.beta2
            v += tmp
            denominator = np.sqrt(np.divide(v, 1 - self.beta2 ** t, out=tmp), out=tmp)  # sqrt(v_hat)
            denominator += self.epsilon
            step = np.divide(m, 1 - self.beta1 ** t, out=g if scratch_grads else None)  # m_hat
            step *= self.learning_rate
            step /= denominator
            w -= step
        return state


_OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "rmsprop": RMSprop, "adam": Adam}


def get_optimizer(optimizer, learning_rate=None):
    """Return an optimizer object from a name (a key of ``_OPTIMIZERS``, e.g. "adam") or an optimizer object.

    learning_rate: used with a name (None: the optimizer's default); must be None with an object, which has its own.
    """
    if isinstance(optimizer, str):
        key = optimizer.lower()
        if key not in _OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; expected one of {sorted(_OPTIMIZERS)} "
                             "or an optimizer object such as Adam(learning_rate=1e-3).")
        return _OPTIMIZERS[key]() if learning_rate is None else _OPTIMIZERS[key](learning_rate=learning_rate)
    if callable(getattr(optimizer, "update", None)):
        if learning_rate is not None:
            raise ValueError(f"learning_rate={learning_rate!r} was given together with the optimizer object "
                             f"{optimizer!r}; set the learning rate on the object instead.")
        return optimizer
    raise TypeError(f"optimizer must be one of {sorted(_OPTIMIZERS)} or an object with an update(params, grads, state) "
                    f"method; got {type(optimizer).__name__}.")
