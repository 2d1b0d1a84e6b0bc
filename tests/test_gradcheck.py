"""course_utils.gradcheck: the checker itself (it must catch wrong gradients, and never alter x)."""
import numpy as np
import pytest

from course_utils.activations import relu
from course_utils.gradcheck import (
    KINK_TOL, SMOOTH_TOL, GradientCheckReport, check_gradient, numerical_gradient, rel_error,
)

A = np.array([[2.0, 1.0], [1.0, 3.0]])


def quadratic(x):
    return 0.5 * x @ A @ x + np.sin(x[0])


def quadratic_grad(x):
    return A @ x + np.array([np.cos(x[0]), 0.0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numerical_gradient_of_a_known_function(seed):
    x = np.random.default_rng(seed).normal(size=2)
    assert rel_error(numerical_gradient(quadratic, x), quadratic_grad(x)) < 1e-9


def test_x_is_left_unmodified_even_when_f_raises():
    x = np.random.default_rng(0).normal(size=(3, 4))
    before = x.copy()
    numerical_gradient(lambda v: np.sum(v ** 3), x)
    np.testing.assert_array_equal(x, before)  # bit for bit

    calls = []

    def failing(v):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("boom")
        return float(np.sum(v))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(failing, x)
    np.testing.assert_array_equal(x, before)


def test_report_for_a_correct_gradient():
    x = np.array([0.3, -1.2])
    report = check_gradient(quadratic, x, quadratic_grad(x), name="w")
    assert isinstance(report, GradientCheckReport)
    assert report.passed and report.ok and bool(report)
    assert report.max_rel_error < SMOOTH_TOL and report.tol == SMOOTH_TOL
    text = str(report)
    assert "PASSED for w" in text and "worst relative error" in text and "1e-07" in text
    assert "GradientCheckReport(name='w', passed=True" in repr(report)


def test_report_points_at_the_wrong_entry():
    x = np.random.default_rng(3).normal(size=(3, 2))
    grad = 2 * x
    grad[2, 1] *= 1.01  # a 1 % mistake in one entry
    report = check_gradient(lambda v: np.sum(v ** 2), x, grad, name="W1")
    assert not report.passed and not report
    assert report.index == (2, 1) and report.n_failed == 1
    assert report.analytic == pytest.approx(grad[2, 1]) and report.numeric == pytest.approx(2 * x[2, 1])
    assert report.max_rel_error == pytest.approx(0.01 / 2.01, rel=1e-6)
    text = str(report)
    assert "FAILED for W1" in text and "at index (2, 1)" in text and "1 of 6 entries" in text


def test_kinks():
    """Away from the kink a ReLU network checks at the smooth tolerance; astride it the difference is wrong."""
    x = np.array([-1.0, 0.5, 2.0])
    assert check_gradient(lambda v: np.sum(relu(v) ** 2), x, 2 * relu(x)).passed
    at_kink = np.array([0.0, 1.0])
    report = check_gradient(lambda v: np.sum(relu(v)), at_kink, (at_kink > 0).astype(float), tol=KINK_TOL)
    assert not report.passed and report.index == (0,) and report.numeric == pytest.approx(0.5)


def test_rel_error():
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.2])) == pytest.approx(0.2 / 4.2)
    assert rel_error(0.0, 1e-12) == pytest.approx(1e-4)  # the 1e-8 floor keeps near-zero entries finite
    with pytest.raises(ValueError, match=r"a has shape \(2,\) but b has shape \(3,\)"):
        rel_error(np.ones(2), np.ones(3))


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(TypeError, match="float64 NumPy array.*np.asarray"):
        numerical_gradient(np.sum, np.array([1, 2, 3]))
    with pytest.raises(TypeError, match="float64 NumPy array"):
        numerical_gradient(np.sum, [1.0, 2.0])
    with pytest.raises(TypeError, match="single number.*df="):
        numerical_gradient(lambda v: v * 2, np.ones(3))
    with pytest.raises(TypeError, match="f must be a function"):
        numerical_gradient(3.0, np.ones(3))
    with pytest.raises(ValueError, match="h must be a finite number > 0"):
        numerical_gradient(np.sum, np.ones(3), h=0.0)
    with pytest.raises(ValueError, match=r"analytic_grad has shape \(2,\) but W has shape \(3,\)"):
        check_gradient(np.sum, np.ones(3), np.ones(2), name="W")
    with pytest.raises(ValueError, match=r"f\(x\) has shape \(3,\) but df has shape \(2,\)"):
        numerical_gradient(lambda v: v * 2, np.ones(3), df=np.ones(2))


def test_tiny_entries_pass_on_absolute_error():
    """An entry 1e7 times smaller than the loss cannot be resolved by finite differences: atol lets it pass."""
    x = np.array([1.0, 1e-7])
    f = lambda v: 3.0 + v[0] ** 2 + 1e-7 * np.sin(v[1])  # noqa: E731
    grad = np.array([2.0, 1e-7 * np.cos(1e-7)])
    report = check_gradient(f, x, grad)
    assert report.passed and report.index == (1,)
    assert report.max_rel_error > SMOOTH_TOL and "below atol=1e-10" in str(report)
    assert not check_gradient(f, x, grad, atol=0.0).passed
    wrong = grad.copy()
    wrong[1] = 2e-7  # a factor 2 off: caught once atol is below the error (1e-7)
    assert not check_gradient(f, x, wrong, atol=1e-8).passed


def test_a_nan_or_inf_gradient_fails():
    """NaN compares false with every tolerance: the check must still fail, and point at that entry."""
    x = np.array([1.0, 2.0, 3.0])
    for bad in (np.nan, np.inf):
        grad = 2 * x
        grad[1] = bad
        report = check_gradient(lambda v: np.sum(v ** 2), x, grad, name="w")
        assert not report.passed and report.index == (1,) and report.n_failed == 1


def test_options_after_the_three_arrays_are_keywords():
    """check_gradient(f, x, analytic_grad, *, name, df, h, tol, atol): a positional fourth argument is a mistake."""
    x = np.array([1.0, 2.0])
    with pytest.raises(TypeError):
        check_gradient(lambda v: np.sum(v ** 2), x, 2 * x, 1e-5)
