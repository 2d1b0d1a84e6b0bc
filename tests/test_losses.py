"""course_utils.losses: values, gradients against centred finite differences, stability and clear errors."""
import warnings

import numpy as np
import pytest

from course_utils import losses
from course_utils.activations import sigmoid
from course_utils.gradcheck import numerical_gradient, rel_error


def assert_grad_ok(loss_fn, first, y):
    loss, grad = loss_fn(first, y)
    assert isinstance(loss, float) and grad.shape == first.shape
    numeric = numerical_gradient(lambda v: loss_fn(v, y)[0], first)
    assert rel_error(grad, numeric) < 1e-7


@pytest.mark.parametrize("shape", [(1,), (1, 1), (9,), (8, 1), (5, 3)])
@pytest.mark.parametrize("seed", [0, 1])
def test_mse_gradient(shape, seed):
    rng = np.random.default_rng(seed)
    assert_grad_ok(losses.mse, rng.normal(size=shape), rng.normal(size=shape))


@pytest.mark.parametrize("shape", [(1,), (1, 1), (10,), (10, 1)])
@pytest.mark.parametrize("seed", [0, 1])
def test_binary_cross_entropy_gradients(shape, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=shape)
    assert_grad_ok(losses.binary_cross_entropy, rng.uniform(0.05, 0.95, size=shape), y)
    assert_grad_ok(losses.sigmoid_cross_entropy, rng.normal(scale=3.0, size=shape), y)
    assert_grad_ok(losses.binary_cross_entropy, rng.uniform(0.05, 0.95, size=shape), rng.uniform(size=shape))


@pytest.mark.parametrize("n,k", [(1, 2), (1, 5), (7, 3), (4, 10)])
@pytest.mark.parametrize("seed", [0, 1])
def test_softmax_cross_entropy_gradient(n, k, seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, k))  # moderate logits: no probability (and gradient entry) is tiny
    labels = rng.integers(0, k, size=n)
    assert_grad_ok(losses.softmax_cross_entropy, logits, labels)
    assert_grad_ok(losses.softmax_cross_entropy, logits, np.eye(k)[labels])
    smoothed = 0.9 * np.eye(k)[labels] + 0.1 / k  # soft targets (label smoothing)
    assert_grad_ok(losses.softmax_cross_entropy, logits, smoothed)


def test_known_values():
    assert losses.mse(np.array([1.0, 3.0]), np.array([0.0, 0.0]))[0] == 5.0
    assert losses.binary_cross_entropy(np.full(4, 0.5), np.array([0, 1, 1, 0]))[0] == pytest.approx(np.log(2))
    assert losses.softmax_cross_entropy(np.zeros((3, 4)), np.array([0, 1, 3]))[0] == pytest.approx(np.log(4))
    # the loss is a mean over the batch: duplicating the batch changes nothing
    rng = np.random.default_rng(0)
    z, y = rng.normal(size=(5, 3)), rng.integers(0, 3, size=5)
    assert losses.softmax_cross_entropy(np.vstack([z, z]), np.concatenate([y, y]))[0] == pytest.approx(
        losses.softmax_cross_entropy(z, y)[0])


def test_forms_agree():
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(6, 1)), rng.integers(0, 2, size=6)
    bce, dp = losses.binary_cross_entropy(sigmoid(z), y)
    sce, dz = losses.sigmoid_cross_entropy(z, y)
    assert bce == pytest.approx(sce, rel=1e-12)
    np.testing.assert_allclose(dz, dp * sigmoid(z) * (1 - sigmoid(z)), rtol=1e-10)  # chain rule
    # labels (N,) against outputs (N, 1) never broadcast to (N, N)
    assert losses.mse(z, y)[0] == pytest.approx(np.mean((z[:, 0] - y) ** 2))
    # softmax over two classes with logits [0, z] is the sigmoid of z
    two = np.hstack([np.zeros_like(z), z])
    assert losses.softmax_cross_entropy(two, y)[0] == pytest.approx(sce, rel=1e-12)


def test_stable_at_extremes():
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        loss, grad = losses.binary_cross_entropy(np.array([0.0, 1.0, 0.0, 1.0]), np.array([0, 1, 1, 0]))
        assert np.isfinite(loss) and np.all(np.isfinite(grad))
        assert loss == pytest.approx(-np.log(losses.EPS) / 2, rel=1e-6)  # two confident mistakes of 4
        loss, grad = losses.sigmoid_cross_entropy(np.array([1e3, -1e3, 1e3]), np.array([0, 0, 1]))
        assert loss == pytest.approx(1e3 / 3) and np.all(np.isfinite(grad))
        loss, grad = losses.softmax_cross_entropy(np.array([[1e3, -1e3, 0.0]]), np.array([1]))
        assert loss == pytest.approx(2e3) and np.all(np.isfinite(grad))


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match=r"y_hat has shape \(4,\) but y has shape \(3,\); expected y of shape \(4,\)"):
        losses.mse(np.zeros(4), np.zeros(3))
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\].*sigmoid_cross_entropy"):
        losses.binary_cross_entropy(np.array([2.0, -1.0]), np.array([1, 0]))
    with pytest.raises(ValueError, match="binary labels 0/1"):
        losses.binary_cross_entropy(np.array([0.2, 0.7]), np.array([-1, 1]))
    with pytest.raises(ValueError, match=r"\(N,\) or \(N, 1\) for a binary problem"):
        losses.sigmoid_cross_entropy(np.zeros((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="label 3 but there are only 3 classes"):
        losses.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="negative label"):
        losses.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, -1]))
    with pytest.raises(ValueError, match="non-integer"):
        losses.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match=r"logits has 2 rows but y has 3 labels; expected y of shape \(2,\)"):
        losses.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="summing to 1"):
        losses.softmax_cross_entropy(np.zeros((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"logits must be a 2-D array of shape \(N, K\)"):
        losses.softmax_cross_entropy(np.zeros(3), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="smaller learning rate"):
        losses.softmax_cross_entropy(np.array([[np.nan, 0.0]]), np.array([0]))
    with pytest.raises(TypeError, match="integer class labels"):
        losses.softmax_cross_entropy(np.zeros((2, 3)), ["a", "b"])
