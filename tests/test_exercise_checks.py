"""course_utils.exercise_checks: the assignments' test cells fail with a message naming the first wrong thing."""
import inspect

import numpy as np
import pytest

from course_utils import exercise_checks as checks
from course_utils import gradcheck


def _message(check, *args, **kwargs):
    with pytest.raises(AssertionError) as exc:
        check(*args, **kwargs)
    return str(exc.value)


def test_one_relative_error_and_one_check_gradient_signature():
    """The messages report gradcheck.rel_error, and check_gradient takes gradcheck.check_gradient's arguments."""
    assert not hasattr(checks, "relative_error")
    reported = _message(checks.check_scalar, "c", 0.5, 0.25)
    assert reported.endswith(f"(relative error {gradcheck.rel_error(0.5, 0.25):.6g})")
    ours = inspect.signature(checks.check_gradient).parameters
    theirs = inspect.signature(gradcheck.check_gradient).parameters
    assert list(ours) == list(theirs)
    assert [p.kind for p in ours.values()] == [p.kind for p in theirs.values()]


def test_check_array_names_shape_then_worst_entry():
    assert _message(checks.check_array, "dW", np.zeros((3, 2)), np.zeros((2, 3))) == "dW has shape (3, 2), expected (2, 3)"
    assert _message(checks.check_array, "db", np.array([0.1, 0.5]), np.array([0.1, 0.25])) == \
        "db[1] = 0.5, expected 0.25 (relative error 0.333333); 1 of 2 entries wrong"
    assert _message(checks.check_array, "dW", np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.0], [3.0, 40.0]])) == \
        "dW[1, 1] = 4, expected 40 (relative error 0.818182); 1 of 4 entries wrong"
    assert _message(checks.check_array, "w after one step", np.array([0.5, -2.0]), np.array([1.5, 0.0])) == \
        "w after one step, entry [1]: -2, expected 0 (relative error 1); 2 of 2 entries wrong"
    assert _message(checks.check_array, "A2", np.array([np.nan]), np.array([0.5])) == "A2[0] = nan, expected 0.5"
    # close values get the digits that tell them apart, never "x, expected x"
    assert _message(checks.check_array, "w", np.array([-2.2768230]), np.array([-2.2768184])) == \
        "w[0] = -2.276823, expected -2.276818 (relative error 1.01018e-06)"
    assert _message(checks.check_array, "y_hat", [0, 1], np.array([0, 1])) == \
        "y_hat should be a NumPy array of shape (2,), got list"
    assert "dtype <U1" in _message(checks.check_array, "y", np.array(["a"]), np.array([1.0]))


def test_check_array_accepts_close_values_and_bools():
    checks.check_array("x", np.array([1.0, 2.0 + 1e-9]), np.array([1.0, 2.0]))
    checks.check_array("mask", np.array([True, False]), np.array([1, 0]))
    checks.check_array("p", np.array([0.0, 1e-13]), np.array([0.0, 0.0]))
    checks.check_array("big", np.array([np.inf]), np.array([np.inf]))


def test_check_scalar():
    checks.check_scalar("cost", np.float64(0.25), 0.25)
    checks.check_scalar("cost", np.array(0.25), 0.25)
    assert _message(checks.check_scalar, "cost", 0.5, 0.25) == "cost = 0.5, expected 0.25 (relative error 0.333333)"
    assert _message(checks.check_scalar, "cost", 0.69314, 0.693147) == \
        "cost = 0.69314, expected 0.693147 (relative error 5.04946e-06)"
    assert _message(checks.check_scalar, "cost", np.array([0.25]), 0.25) == \
        "cost should be a single number, got an array of shape (1,)"
    assert _message(checks.check_scalar, "cost", None, 0.25) == "cost should be a number, got NoneType"
    assert _message(checks.check_scalar, "cost", float("inf"), 0.25) == "cost is inf, expected 0.25"


def test_check_gradient_against_finite_differences():
    W = np.array([[1.0, -2.0], [0.5, 3.0]])
    f = lambda W_: float(np.sum(W_ ** 3))  # noqa: E731
    checks.check_gradient(f, W, 3 * W ** 2, name="dW")
    message = _message(checks.check_gradient, f, W, (3 * W ** 2).T, name="dW")
    assert message == "dW[0, 1] = 0.75, expected 12 (relative error 0.882353); 2 of 4 entries wrong"
    assert _message(checks.check_gradient, f, W, 3 * W[:1] ** 2, name="dW") == "dW has shape (1, 2), expected (2, 2)"
    assert _message(checks.check_gradient, f, W, [[3.0, 12.0], [0.75, 27.0]], name="dW") == \
        "dW should be a NumPy array of shape (2, 2), got list"
    nan_grad = 3 * W ** 2
    nan_grad[0, 1] = np.nan
    assert _message(checks.check_gradient, f, W, nan_grad, name="dW") == "dW[0, 1] = nan, expected 12"
    x = np.array([[1.0, 2.0]])
    checks.check_gradient(lambda x_: x_ * np.array([3.0, 4.0]), x, np.array([[3.0, 4.0]]), name="dx",
                          df=np.ones((1, 2)))
    np.testing.assert_array_equal(W, [[1.0, -2.0], [0.5, 3.0]])  # restored after perturbation


def test_check_gradient_uses_its_tolerances():
    """An entry agrees when its relative error is at most tol or its absolute error at most atol."""
    x = np.array([1.0, 2.0])
    f = lambda x_: float(np.sum(x_ ** 2))  # noqa: E731
    off = 2 * x * (1 + 4 * checks.GRADIENT_TOL)  # relative error about 2 * GRADIENT_TOL: fails
    assert "2 of 2 entries wrong" in _message(checks.check_gradient, f, x, off, name="dx")
    checks.check_gradient(f, x, off, name="dx", tol=1e-4)
    checks.check_gradient(f, x, 2 * x + 0.5 * checks.GRADIENT_ATOL, name="dx", tol=1e-12)  # within atol


def test_check_type_shape_unchanged():
    checks.check_type("params", {}, dict)
    assert _message(checks.check_type, "callbacks", 3, (list, tuple)) == "callbacks should be a list or tuple, got int"
    assert _message(checks.check_shape, "A2", np.zeros(4), (4, 1)) == "A2 has shape (4,), expected (4, 1)"
    w = np.ones(2)
    checks.check_unchanged("w", w.copy(), w)
    assert "modified its input w in place" in _message(checks.check_unchanged, "w", np.zeros(2), w)
