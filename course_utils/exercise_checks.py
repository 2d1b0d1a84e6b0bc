"""Checks used by the assignments' test cells, run in the student's kernel: each names the first wrong thing.

(The instructor's diagnostics of a whole submission live in ``course_utils.instructor``; this module serves the
student.) Every check returns ``None`` when the value is right and raises ``AssertionError`` otherwise, with a message
that says what was wrong and what was expected, e.g.::

    dW has shape (3, 2), expected (2, 3)
    db[1] = 0.5, expected 0.25 (relative error 0.333333)

The relative error is the one of the whole course, :func:`course_utils.gradcheck.rel_error`:
``|a - e| / max(1e-8, |a| + |e|)``, 0 when they agree, 1 when one of them is 0 or they have opposite signs.
A value passes :func:`check_array` and :func:`check_scalar` when ``|a - e| <= atol + rtol * |e|`` for every entry
(the test of ``numpy.allclose``: the expected value is exact). :func:`check_gradient` compares with finite differences,
which are not exact, through :func:`course_utils.gradcheck.check_gradient` and takes the same arguments.
"""
import numbers
import re

import numpy as np

from . import gradcheck
from .gradcheck import rel_error

__all__ = [
    "check_type",
    "check_shape",
    "check_array",
    "check_scalar",
    "check_gradient",
    "check_unchanged",
    "GRADIENT_TOL",
    "GRADIENT_ATOL",
]

# The tolerances of check_gradient (see gradcheck.GradientCheckReport for how they are applied). Looser than
# gradcheck.SMOOTH_TOL, because a test cell must never fail a right answer (the tests check ReLU and batch
# normalisation too), and far tighter than what any wrong gradient of the assignments gives (0.1 or more).
GRADIENT_TOL = 1e-5
GRADIENT_ATOL = 1e-8


def _fmt(x):
    """Format a number for a feedback message: 6 significant digits."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    return f"{float(x):.6g}"


def _fmt_pair(actual, expected):
    """Format two numbers that differ with as many digits as it takes to see the difference (6 at least, 17 at most).

    ``-2.27682`` and ``-2.27682`` would read as equal; ``-2.276823`` and ``-2.276818`` do not.
    """
    a, e = float(actual), float(expected)
    for digits in range(6, 18):
        left, right = f"{a:.{digits}g}", f"{e:.{digits}g}"
        if left != right:
            return left, right
    return left, right


def _entry(name, index):
    """How a message names one entry, followed by its separator from the value.

    ``dW[1, 0] =`` when ``name`` is an expression, ``w after one step, entry [1]:`` when it is a description.
    """
    if not index:
        return f"{name} ="
    where = ", ".join(str(int(i)) for i in index)
    if re.fullmatch(r"[\w.'\"\[\]()]+", name):
        return f"{name}[{where}] ="
    return f"{name}, entry [{where}]:"


def check_type(name, actual, expected_type):
    """Fail unless ``actual`` is an instance of ``expected_type`` (a type or a tuple of types)."""
    if not isinstance(actual, expected_type):
        if isinstance(expected_type, tuple):
            wanted = " or ".join(t.__name__ for t in expected_type)
        else:
            wanted = expected_type.__name__
        raise AssertionError(f"{name} should be a {wanted}, got {type(actual).__name__}")


def check_shape(name, actual, expected_shape):
    """Fail unless ``actual`` is a NumPy array of shape ``expected_shape`` (a tuple)."""
    if not isinstance(actual, np.ndarray):
        raise AssertionError(
            f"{name} should be a NumPy array of shape {tuple(expected_shape)}, got {type(actual).__name__}"
        )
    if actual.shape != tuple(expected_shape):
        raise AssertionError(f"{name} has shape {actual.shape}, expected {tuple(expected_shape)}")


def _check_numeric_array(name, actual, expected_shape):
    """Fail unless ``actual`` is a NumPy array of numbers (or booleans) of shape ``expected_shape``."""
    check_shape(name, actual, expected_shape)
    if not np.issubdtype(actual.dtype, np.number) and actual.dtype != np.bool_:
        raise AssertionError(f"{name} should hold numbers, got an array of dtype {actual.dtype}")


def check_array(name, actual, expected, *, rtol=1e-6, atol=1e-9):
    """Fail unless ``actual`` is an array with the shape of ``expected`` and entries close to it.

    name: how the feedback calls the value, e.g. ``"dW"``.
    actual: the student's array; expected: the reference array (any shape).
    rtol, atol: relative and absolute tolerance, as in ``numpy.allclose``.
    The message names the shape if it differs, else the entry with the largest error.
    """
    expected = np.asarray(expected)
    _check_numeric_array(name, actual, expected.shape)
    a = actual.astype(np.float64)
    e = expected.astype(np.float64)
    bad = ~np.isfinite(a) & np.isfinite(e)
    if bad.any():
        index = tuple(np.argwhere(bad)[0])
        raise AssertionError(f"{_entry(name, index)} {a[index]}, expected {_fmt(e[index])}")
    with np.errstate(invalid="ignore"):
        excess = np.abs(a - e) - (atol + rtol * np.abs(e))
    excess = np.where(np.isnan(excess), 0.0, excess)  # nan where both are inf of the same sign
    if (excess > 0).any():
        index = np.unravel_index(int(np.argmax(excess)), excess.shape) if excess.ndim else ()
        err = rel_error(a[index], e[index])
        n_wrong = int((excess > 0).sum())
        also = f"; {n_wrong} of {excess.size} entries wrong" if excess.size > 1 else ""
        got, wanted = _fmt_pair(a[index], e[index])
        raise AssertionError(
            f"{_entry(name, index)} {got}, expected {wanted} "
            f"(relative error {_fmt(err)}){also}"
        )


def check_scalar(name, actual, expected, *, rtol=1e-6, atol=1e-9):
    """Fail unless ``actual`` is a single real number close to ``expected``.

    Python numbers, NumPy scalars and 0-d arrays count as single numbers; an array of shape ``(1,)`` does not.
    """
    if isinstance(actual, np.ndarray):
        if actual.ndim != 0:
            raise AssertionError(f"{name} should be a single number, got an array of shape {actual.shape}")
        actual = actual[()]
    if not isinstance(actual, (numbers.Real, np.number)) or isinstance(actual, (bool, np.bool_)):
        raise AssertionError(f"{name} should be a number, got {type(actual).__name__}")
    a, e = float(actual), float(expected)
    if not np.isfinite(a):
        raise AssertionError(f"{name} is {a}, expected {_fmt(e)}")
    if abs(a - e) > atol + rtol * abs(e):
        got, wanted = _fmt_pair(a, e)
        raise AssertionError(f"{name} = {got}, expected {wanted} (relative error {_fmt(rel_error(a, e))})")


def check_gradient(f, x, analytic_grad, *, name="x", df=None, h=1e-5, tol=GRADIENT_TOL, atol=GRADIENT_ATOL):
    """Fail unless ``analytic_grad`` matches the centred finite-difference gradient of ``f`` at ``x``.

    The arguments of :func:`course_utils.gradcheck.check_gradient`, which does the comparison:
    f: function of ``x`` returning a number (it may ignore its argument and read ``x`` through a closure: ``x`` is
        perturbed in place, entry by entry, and restored).
    x: the float64 array the gradient is taken with respect to.
    analytic_grad: the student's gradient, the shape of ``x``.
    name: how the feedback calls the gradient, e.g. ``"dW1"``.
    df: optional upstream gradient, the shape of ``f(x)``; then the gradient of ``sum(f(x) * df)`` is the reference
        (the check of a layer's backward pass for a given ``dout``).
    h: finite-difference step; tol, atol: an entry agrees when its relative error is at most ``tol`` or its absolute
        error at most ``atol``.
    The message names the shape if it differs, else the worst wrong entry.
    """
    _check_numeric_array(name, analytic_grad, np.shape(x))
    report = gradcheck.check_gradient(f, x, analytic_grad, name=name, df=df, h=h, tol=tol, atol=atol)
    if not report.passed:
        if not np.isfinite(report.analytic):
            raise AssertionError(f"{_entry(name, report.index)} {report.analytic}, expected {_fmt(report.numeric)}")
        got, wanted = _fmt_pair(report.analytic, report.numeric)
        also = f"; {report.n_failed} of {report.n_checked} entries wrong" if report.n_checked > 1 else ""
        raise AssertionError(f"{_entry(name, report.index)} {got}, expected {wanted} "
                             f"(relative error {_fmt(report.max_rel_error)}){also}")


def check_unchanged(name, before, after):
    """Fail if an input array was modified in place (``before`` is a copy taken before the call)."""
    if not np.array_equal(before, after):
        raise AssertionError(
            f"your function modified its input {name} in place; compute a new array instead (e.g. w = w + ...)"
        )
