"""course_utils.activations: derivatives match centred finite differences, values are right and stable."""
import warnings

import numpy as np
import pytest

from course_utils import activations as act
from course_utils.gradcheck import numerical_gradient, rel_error

SHAPES = [(1,), (1, 1), (1, 5), (7,), (6, 3), (2, 3, 4)]
ELEMENTWISE = sorted(act.ACTIVATIONS)
KINKED = {"relu", "leaky_relu", "elu", "step"}  # not differentiable at 0: sample away from it


def random_z(shape, seed, name=""):
    # |z| <= 3: where a derivative is tiny next to f itself (tanh at z = -6), finite differences lose digits.
    z = np.clip(np.random.default_rng(seed).normal(size=shape), -3.0, 3.0)
    if name in KINKED:  # keep every entry at least 1e-3 away from the kink at 0 (h = 1e-5)
        z = np.where(np.abs(z) < 1e-3, 1e-3, z)
    return z


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_finite_differences(name, shape):
    f, f_grad = act.ACTIVATIONS[name]
    z = random_z(shape, seed=len(shape) * 10 + shape[0], name=name)
    numeric = numerical_gradient(lambda v: np.sum(f(v)), z)  # element-wise f: d sum f / dz_i = f'(z_i)
    analytic = f_grad(z)
    assert analytic.shape == z.shape
    assert rel_error(analytic, numeric) < 1e-7


@pytest.mark.parametrize("alpha", [0.0, 0.2, 1.5])
def test_alpha_derivatives(alpha):
    z = random_z((5, 4), seed=3, name="elu")
    for f, f_grad in [(act.leaky_relu, act.leaky_relu_grad), (act.elu, act.elu_grad)]:
        numeric = numerical_gradient(lambda v: np.sum(f(v, alpha)), z)
        assert rel_error(f_grad(z, alpha), numeric) < 1e-7


def test_values_against_textbook_formulas():
    z = np.linspace(-20, 20, 81)
    np.testing.assert_allclose(act.sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-14)
    np.testing.assert_allclose(act.tanh_grad(z), 1 / np.cosh(z) ** 2, rtol=1e-13)  # more precise than 1 - tanh**2
    np.testing.assert_allclose(act.softplus(z), np.logaddexp(0.0, z), rtol=1e-14)
    np.testing.assert_allclose(act.elu(z, 2.0), np.where(z > 0, z, 2.0 * (np.exp(z) - 1)), rtol=1e-12)
    np.testing.assert_allclose(act.leaky_relu(z), np.where(z > 0, z, 0.01 * z))
    np.testing.assert_allclose(act.sigmoid_grad(z), act.sigmoid(z) * (1 - act.sigmoid(z)), rtol=1e-9, atol=1e-15)
    assert act.sigmoid(0) == 0.5 and act.softplus(0) == pytest.approx(np.log(2))
    assert act.sigmoid(0.0).shape == ()  # a scalar in, a NumPy scalar out (like a ufunc)


def test_conventions_at_the_kink():
    assert act.relu_grad(0.0) == 0.0
    assert act.leaky_relu_grad(0.0, alpha=0.1) == 0.1
    assert act.elu_grad(0.0, alpha=0.5) == 0.5
    assert act.step(0.0) == 1.0 and act.step(-1e-300) == 0.0
    np.testing.assert_array_equal(act.step_grad(np.array([-2.0, 0.0, 3.0])), 0.0)


@pytest.mark.parametrize("name", ELEMENTWISE + ["softmax"])
def test_stable_for_huge_inputs(name):
    z = np.array([[-1e6, -1e3, -745.2, -709.8, -30.0, 0.0, 30.0, 709.8, 745.2, 1e3, 1e6]])
    funcs = [act.softmax] if name == "softmax" else list(act.ACTIVATIONS[name])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        for f in funcs:
            out = f(z)
            assert np.all(np.isfinite(out)), f"{f.__name__} gives non-finite values"
    assert act.sigmoid(-1e3) == 0.0 and act.sigmoid(1e3) == 1.0
    assert act.softplus(1e3) == 1e3 and act.tanh_grad(1e3) == 0.0


def test_softmax():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 4))
    p = act.softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p, np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(act.softmax(z + 1000.0), p, rtol=1e-12)  # shift invariance, no overflow
    np.testing.assert_allclose(act.softmax(z.T, axis=0), p.T, rtol=1e-14)
    np.testing.assert_allclose(act.softmax(np.array([[1e3, -1e3, 1e3]])), [[0.5, 0.0, 0.5]])


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(TypeError, match="array of numbers"):
        act.sigmoid("0.5")
    with pytest.raises(TypeError, match="dtype"):
        act.relu(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="ragged"):
        act.tanh([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="real-valued"):
        act.tanh(np.array([1j]))
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        act.leaky_relu(np.ones(3), alpha=-0.1)
    with pytest.raises(ValueError, match="at least a 1-D array"):
        act.softmax(3.0)
    with pytest.raises(ValueError, match="axis must be an integer"):
        act.softmax(np.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        act.get_activation("swish")
