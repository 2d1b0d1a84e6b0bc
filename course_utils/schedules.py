"""Learning-rate schedules: the learning rate eta_t as a pure function of the step (or epoch) counter t.

Interface, shared by every schedule of this module::

    eta = cosine_decay(step, initial_learning_rate=0.1, decay_steps=1000)

``step`` is a number or an array of numbers >= 0, of any shape ``(...)``; the result is a float64 array of the same
shape ``(...)`` (a Python float for a scalar ``step``), so a whole schedule is one call, ``cosine_decay(np.arange(T),
...)``. The formulas, with eta_0 = ``initial_learning_rate``:

* step decay:   ``eta_t = eta_0 * factor ** floor(t / drop_every)``
  (``keras.optimizers.schedules.ExponentialDecay(eta_0, drop_every, factor, staircase=True)``)
* cosine decay: ``eta_t = eta_0 * (alpha + (1 - alpha) * (1 + cos(pi * min(t, T) / T)) / 2)`` with T = ``decay_steps``
  (``keras.optimizers.schedules.CosineDecay(eta_0, T, alpha)``)
* warm-up:      ``eta_t = start + (target - start) * t / warmup_steps`` for t < warmup_steps, then
  ``after(t - warmup_steps)`` (default: constant ``target``); with ``after`` a cosine decay from ``target`` this is
  ``keras.optimizers.schedules.CosineDecay(start, T, alpha, warmup_target=target, warmup_steps=...)``.

The tests compare every schedule with its Keras counterpart value for value.
"""
import numpy as np

from ._validation import as_float_array, check_positive_int, check_positive_number

__all__ = ["step_decay", "cosine_decay", "warmup"]


def _as_steps(step):
    """Return ``step`` as a float64 array (any shape) after checking it holds finite numbers >= 0."""
    steps = as_float_array(step, "step", allow_nonfinite=False)
    if np.any(steps < 0):
        raise ValueError(f"step must be >= 0 (the number of updates or epochs done so far); got min {steps.min()!r}.")
    return steps


def _result(values, step):
    """A Python float for a scalar ``step``, else the float64 array ``values`` (same shape as ``step``)."""
    return float(values) if np.ndim(step) == 0 else values


def step_decay(step, initial_learning_rate, drop_every, factor=0.1):
    """Step decay: the learning rate is multiplied by ``factor`` every ``drop_every`` steps.

    step: number or array (...) of steps t >= 0 (updates or epochs).
    initial_learning_rate: eta_0 > 0, the rate for 0 <= t < drop_every.
    drop_every: positive integer, the number of steps between two drops.
    factor: the multiplier at each drop, in (0, 1] (0.1: divide by 10).
    Returns eta_t = eta_0 * factor ** floor(t / drop_every): (...) float64 (a float for a scalar step).
    """
    steps = _as_steps(step)
    eta0 = check_positive_number(initial_learning_rate, "initial_learning_rate")
    every = check_positive_int(drop_every, "drop_every")
    factor = check_positive_number(factor, "factor")
    if factor > 1:
        raise ValueError(f"factor must be in (0, 1] (it multiplies the learning rate at each drop); got {factor!r}.")
    return _result(eta0 * factor ** np.floor(steps / every), step)


def cosine_decay(step, initial_learning_rate, decay_steps, alpha=0.0):
    """Cosine decay from eta_0 to alpha * eta_0 over ``decay_steps`` steps (Loshchilov & Hutter, 2017), then constant.

    step: number or array (...) of steps t >= 0.
    initial_learning_rate: eta_0 > 0, the rate at t = 0.
    decay_steps: positive integer T, the step at which the decay ends.
    alpha: the final rate as a fraction of eta_0, in [0, 1] (Keras's name; eta_min = alpha * eta_0).
    Returns eta_t = eta_0 * (alpha + (1 - alpha) * (1 + cos(pi * min(t, T) / T)) / 2): (...) float64.
    """
    steps = _as_steps(step)
    eta0 = check_positive_number(initial_learning_rate, "initial_learning_rate")
    total = check_positive_int(decay_steps, "decay_steps")
    alpha = check_positive_number(alpha, "alpha", allow_zero=True)
    if alpha > 1:
        raise ValueError(f"alpha must be in [0, 1] (the final learning rate as a fraction of the first); got {alpha!r}.")
    cosine = 0.5 * (1.0 + np.cos(np.pi * np.minimum(steps, total) / total))
    return _result(eta0 * (alpha + (1.0 - alpha) * cosine), step)


def warmup(step, target_learning_rate, warmup_steps, initial_learning_rate=0.0, after=None):
    """Linear warm-up from ``initial_learning_rate`` to ``target_learning_rate`` over ``warmup_steps`` steps.

    step: number or array (...) of steps t >= 0.
    target_learning_rate: the rate reached at t = warmup_steps (> 0).
    warmup_steps: integer T_w >= 0, the length of the warm-up (0: no warm-up).
    initial_learning_rate: the rate at t = 0 (>= 0; usually 0).
    after: None (keep ``target_learning_rate`` after the warm-up) or a vectorised schedule ``f(steps) -> rates``
        that takes over at t = T_w and is called with t - T_w, e.g.
        ``lambda s: cosine_decay(s, target_learning_rate, decay_steps)``.
    Returns eta_t = start + (target - start) * t / T_w for t < T_w, else after(t - T_w): (...) float64.
    """
    steps = _as_steps(step)
    target = check_positive_number(target_learning_rate, "target_learning_rate")
    n_warmup = check_positive_int(warmup_steps, "warmup_steps", minimum=0)
    start = check_positive_number(initial_learning_rate, "initial_learning_rate", allow_zero=True)
    if after is not None and not callable(after):
        raise TypeError(f"after must be None or a schedule f(steps) -> learning rates; got {type(after).__name__}.")
    ramp = start + (target - start) * steps / max(n_warmup, 1)
    later = np.full(steps.shape, target) if after is None else np.asarray(after(np.maximum(steps - n_warmup, 0.0)),
                                                                           dtype=np.float64)
    if later.shape != steps.shape:
        raise ValueError(f"after(steps) must return one learning rate per step, shape {steps.shape}; "
                         f"got shape {later.shape}.")
    return _result(np.where(steps < n_warmup, ramp, later), step)
