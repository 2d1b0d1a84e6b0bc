"""course_utils.optim: the update rules step by step, convergence on a quadratic, state handling, clear errors."""
import numpy as np
import pytest

from course_utils.optim import SGD, Adam, Momentum, get_optimizer


def test_sgd_step_in_place():
    params = {"W": np.array([[1.0, -2.0]]), "b": np.array([0.5])}
    W = params["W"]
    state = SGD(learning_rate=0.1).update(params, {"W": np.array([[10.0, 20.0]]), "b": np.array([-1.0])})
    assert state == {}
    assert params["W"] is W  # updated in place: a model holding the array sees the change
    np.testing.assert_allclose(params["W"], [[0.0, -4.0]])
    np.testing.assert_allclose(params["b"], [0.6])


def test_momentum_matches_the_formula():
    opt, params, state = Momentum(learning_rate=0.1, momentum=0.9), {"w": np.array([1.0])}, None
    gradients = [np.array([2.0]), np.array([-1.0]), np.array([0.5])]
    w, v = 1.0, 0.0
    for g in gradients:
        state = opt.update(params, {"w": g}, state)
        v = 0.9 * v - 0.1 * g[0]
        w += v
        assert params["w"][0] == pytest.approx(w) and state["velocity"]["w"][0] == pytest.approx(v)


def test_adam_matches_the_formula():
    opt, params, state = Adam(learning_rate=0.01), {"w": np.array([1.0, -1.0])}, {}
    w, m, v = params["w"].copy(), 0.0, 0.0
    for t, g in enumerate([np.array([0.3, -2.0]), np.array([0.1, 1.0]), np.array([-0.2, 0.5])], start=1):
        state = opt.update(params, {"w": g}, state)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g ** 2
        w = w - 0.01 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-7)
        np.testing.assert_allclose(params["w"], w, rtol=1e-13)
        assert state["t"] == t
    # bias correction: the first step has size learning_rate whatever the gradient's scale
    p = {"w": np.zeros(3)}
    Adam(learning_rate=0.01).update(p, {"w": np.array([1e-4, 3.0, -50.0])})
    np.testing.assert_allclose(p["w"], [-0.01, -0.01, 0.01], rtol=1e-3)


@pytest.mark.parametrize("opt", [SGD(0.1), Momentum(0.05), Adam(0.1)], ids=repr)
def test_converges_on_a_quadratic(opt):
    """Minimise 0.5 ||A w - c||^2 + 0.5 b^2 from a fixed start; every optimizer reaches the minimum."""
    A, c = np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([1.0, -1.0])
    params, state = {"w": np.array([3.0, 3.0]), "b": np.array([2.0])}, None
    for _ in range(2000):
        grads = {"w": A.T @ (A @ params["w"] - c), "b": params["b"].copy()}
        state = opt.update(params, grads, state)
    np.testing.assert_allclose(params["w"], np.linalg.solve(A, c), atol=1e-4)
    np.testing.assert_allclose(params["b"], 0.0, atol=1e-4)


def test_get_optimizer():
    assert isinstance(get_optimizer("adam"), Adam) and get_optimizer("adam").learning_rate == 0.001
    assert get_optimizer("SGD", learning_rate=0.5).learning_rate == 0.5
    opt = Momentum()
    assert get_optimizer(opt) is opt
    assert repr(opt) == "Momentum(learning_rate=0.1, momentum=0.9)"


def test_bad_inputs_raise_clear_errors():
    params = {"W": np.zeros((2, 3)), "b": np.zeros(3)}
    with pytest.raises(ValueError, match=r"grads\['W'\] has shape \(3, 2\) but params\['W'\] has shape \(2, 3\)"):
        SGD().update(params, {"W": np.zeros((3, 2)), "b": np.zeros(3)})
    with pytest.raises(ValueError, match="same keys"):
        Adam().update(params, {"W": np.zeros((2, 3))})
    with pytest.raises(TypeError, match="float64 NumPy array"):
        SGD().update({"W": np.zeros(2, dtype=int)}, {"W": np.zeros(2)})
    with pytest.raises(TypeError, match="dicts of arrays"):
        SGD().update([np.zeros(2)], [np.zeros(2)])
    with pytest.raises(TypeError, match="state must be the dict"):
        Momentum().update(params, {"W": np.zeros((2, 3)), "b": np.zeros(3)}, state=[1])
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        SGD(learning_rate=-1)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        Momentum(momentum=1.0)
    with pytest.raises(ValueError, match=r"beta2 must be in \[0, 1\)"):
        Adam(beta2=1.5)
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        get_optimizer("rmsprop")
    with pytest.raises(ValueError, match="set the learning rate on the object"):
        get_optimizer(Adam(), learning_rate=0.1)
    with pytest.raises(TypeError, match="update\\(params, grads, state\\)"):
        get_optimizer(42)
