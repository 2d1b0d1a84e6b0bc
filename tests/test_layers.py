"""course_utils.layers: backward passes match centred finite differences; bad shapes raise clear errors."""
import numpy as np
import pytest

from course_utils import layers
from course_utils.activations import ACTIVATIONS
from course_utils.gradcheck import numerical_gradient, rel_error

SHAPES = [(1, 1, 1), (1, 4, 3), (5, 1, 2), (6, 4, 1), (8, 5, 7)]  # (N, D, M)


@pytest.mark.parametrize("n,d,m", SHAPES)
def test_affine_backward_matches_finite_differences(n, d, m):
    rng = np.random.default_rng(n * 100 + d * 10 + m)
    x, W, b = rng.normal(size=(n, d)), rng.normal(size=(d, m)), rng.normal(size=m)
    out, cache = layers.affine_forward(x, W, b)
    np.testing.assert_allclose(out, x @ W + b)
    dout = rng.normal(size=out.shape)
    dx, dW, db = layers.affine_backward(dout, cache)
    assert (dx.shape, dW.shape, db.shape) == (x.shape, W.shape, b.shape)
    assert rel_error(dx, numerical_gradient(lambda v: layers.affine_forward(v, W, b)[0], x, df=dout)) < 1e-7
    assert rel_error(dW, numerical_gradient(lambda v: layers.affine_forward(x, v, b)[0], W, df=dout)) < 1e-7
    assert rel_error(db, numerical_gradient(lambda v: layers.affine_forward(x, W, v)[0], b, df=dout)) < 1e-7


@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (6, 3)])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS) + ["softmax"])
def test_activation_backward_matches_finite_differences(name, shape):
    rng = np.random.default_rng(shape[0] * 7 + shape[1])
    z = np.clip(rng.normal(size=shape), -3.0, 3.0)
    z = np.where(np.abs(z) < 1e-3, 1e-3, z)  # away from the kinks of relu, leaky_relu, elu, step
    a, cache = layers.activation_forward(z, name)
    da = rng.normal(size=a.shape)
    dz = layers.activation_backward(da, cache)
    numeric = numerical_gradient(lambda v: layers.activation_forward(v, name)[0], z, df=da)
    assert dz.shape == z.shape
    assert rel_error(dz, numeric) < 1e-7


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "softmax", "linear"])
def test_affine_activation_composite(name):
    rng = np.random.default_rng(4)
    x, W, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=2)
    a, cache = layers.affine_activation_forward(x, W, b, name)
    da = rng.normal(size=a.shape)
    dx, dW, db = layers.affine_activation_backward(da, cache)
    for value, grad in [(x, dx), (W, dW), (b, db)]:  # the closure reads x, W, b: perturbed in place
        numeric = numerical_gradient(lambda _: layers.affine_activation_forward(x, W, b, name)[0], value, df=da)
        assert rel_error(grad, numeric) < 1e-7


def test_bad_shapes_raise_clear_errors():
    x = np.zeros((2, 5))
    with pytest.raises(ValueError, match=r"^W has shape \(3, 4\) but x has 5 features; expected W of shape \(5, M\)\.$"):
        layers.affine_forward(x, np.zeros((3, 4)), np.zeros(4))
    with pytest.raises(ValueError, match=r"b has shape \(3,\) but W has 4 columns \(outputs\); expected b of shape \(4,\)"):
        layers.affine_forward(x, np.zeros((5, 4)), np.zeros(3))
    with pytest.raises(ValueError, match=r"x must be a 2-D array of shape \(N, D\); got shape \(5,\)\. .*x\.reshape\(1, -1\)"):
        layers.affine_forward(np.zeros(5), np.zeros((5, 4)), np.zeros(4))
    with pytest.raises(ValueError, match=r"b must be a 1-D array of shape \(M,\); got shape \(1, 4\)"):
        layers.affine_forward(x, np.zeros((5, 4)), np.zeros((1, 4)))
    _, cache = layers.affine_forward(x, np.zeros((5, 4)), np.zeros(4))
    with pytest.raises(ValueError, match=r"dout has shape \(2, 3\) but the output of affine_forward had shape \(2, 4\)"):
        layers.affine_backward(np.zeros((2, 3)), cache)
    with pytest.raises(TypeError, match="cache returned by affine_forward"):
        layers.affine_backward(np.zeros((2, 4)), None)
    with pytest.raises(ValueError, match="unknown activation 'relu6'"):
        layers.activation_forward(x, "relu6")
    with pytest.raises(TypeError, match="array of numbers"):
        layers.affine_forward([["a"]], np.zeros((1, 1)), np.zeros(1))
