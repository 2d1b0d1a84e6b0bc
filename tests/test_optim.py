"""course_utils.optim: the update rules step by step, the same steps as Keras, convergence, state handling, errors."""
import numpy as np
import pytest

from course_utils.optim import SGD, Adam, Momentum, RMSprop, get_optimizer


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


def test_rmsprop_matches_the_formula():
    opt, params, state = RMSprop(learning_rate=0.01, rho=0.8), {"w": np.array([1.0, -1.0])}, None
    w, s = params["w"].copy(), 0.0
    for g in [np.array([0.3, -2.0]), np.array([0.1, 1.0]), np.array([-0.2, 0.5])]:
        state = opt.update(params, {"w": g}, state)
        s = 0.8 * s + 0.2 * g ** 2
        w = w - 0.01 * g / np.sqrt(s + 1e-7)
        np.testing.assert_allclose(params["w"], w, rtol=1e-13)
        np.testing.assert_allclose(state["s"]["w"], s, rtol=1e-13)
    # per-parameter scaling: gradients 1e-3 and 1e3 apart give steps of the same size
    p = {"w": np.zeros(2)}
    RMSprop(learning_rate=0.01, epsilon=1e-20).update(p, {"w": np.array([1e-3, -1e3])})
    np.testing.assert_allclose(p["w"], [-0.01 / np.sqrt(0.1), 0.01 / np.sqrt(0.1)], rtol=1e-6)


@pytest.mark.parametrize("name", ["momentum", "rmsprop"])
def test_same_steps_as_keras(name):
    """Momentum and RMSprop take exactly the steps of their Keras counterparts (float64 variables, 5 updates)."""
    from course_utils.tf_utils import quiet_tensorflow

    _, keras = quiet_tensorflow()
    # Keras keeps the learning rate in a float32 variable: use rates that float32 holds exactly (2**-4, 2**-6).
    ours, theirs = {
        "momentum": (Momentum(learning_rate=0.0625, momentum=0.75),
                     keras.optimizers.SGD(learning_rate=0.0625, momentum=0.75)),
        "rmsprop": (RMSprop(learning_rate=0.015625, rho=0.75), keras.optimizers.RMSprop(learning_rate=0.015625, rho=0.75)),
    }[name]
    rng = np.random.default_rng(3)
    params, state = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}, None
    variables = [keras.Variable(params["W"].copy(), dtype="float64"), keras.Variable(params["b"].copy(), dtype="float64")]
    for _ in range(5):
        grads = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
        state = ours.update(params, grads, state)
        theirs.apply_gradients([(grads["W"], variables[0]), (grads["b"], variables[1])])
    np.testing.assert_allclose(params["W"], variables[0].numpy(), rtol=1e-12)
    np.testing.assert_allclose(params["b"], variables[1].numpy(), rtol=1e-12)


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


def _out_of_place_step(opt, w, g, state, t):
    """The update rules as written in the module docstring (fresh arrays, before the in-place updates): new w."""
    if isinstance(opt, SGD):
        return w - opt.learning_rate * g
    if isinstance(opt, Momentum):
        state["v"] = opt.momentum * state.get("v", 0.0) - opt.learning_rate * g
        return w + state["v"]
    if isinstance(opt, RMSprop):
        state["s"] = opt.rho * state.get("s", 0.0) + (1 - opt.rho) * g ** 2
        return w - opt.learning_rate * g / np.sqrt(state["s"] + opt.epsilon)
    state["m"] = opt.beta1 * state.get("m", 0.0) + (1 - opt.beta1) * g
    state["v"] = opt.beta2 * state.get("v", 0.0) + (1 - opt.beta2) * g ** 2
    m_hat, v_hat = state["m"] / (1 - opt.beta1 ** t), state["v"] / (1 - opt.beta2 ** t)
    return w - opt.learning_rate * m_hat / (np.sqrt(v_hat) + opt.epsilon)


@pytest.mark.parametrize("opt", [SGD(0.1), Momentum(0.05, 0.8), RMSprop(0.01, 0.7), Adam(0.02)], ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_in_place_updates_take_the_out_of_place_steps_exactly(opt, dtype):
    """update (grads untouched) and MLP.fit's _update(scratch_grads=True) give bit for bit the textbook steps."""
    rng = np.random.default_rng(5)
    start = {"W": rng.normal(size=(4, 3)).astype(dtype), "b": rng.normal(size=3).astype(dtype)}
    public, scratch = {k: v.copy() for k, v in start.items()}, {k: v.copy() for k, v in start.items()}
    expected, ref_state = {k: v.copy() for k, v in start.items()}, {k: {} for k in start}
    state_public, state_scratch, kept = None, {}, None
    for t in range(1, 6):
        grads = {k: rng.normal(size=v.shape).astype(dtype) for k, v in start.items()}
        copies = {k: v.copy() for k, v in grads.items()}
        state_public = opt.update(public, grads, state_public)
        for k in grads:
            np.testing.assert_array_equal(grads[k], copies[k])  # the public update leaves grads alone
            expected[k] = _out_of_place_step(opt, expected[k], copies[k], ref_state[k], t)
        state_scratch = opt._update(scratch, copies, state_scratch, scratch_grads=True)
        for k in start:
            np.testing.assert_array_equal(public[k], expected[k])
            np.testing.assert_array_equal(scratch[k], expected[k])
            assert public[k].dtype == dtype
        arrays = [a for entry in state_public.values() if isinstance(entry, dict) for a in entry.values()]
        if kept is not None:  # the state's arrays are the same objects from step to step (updated in place)
            assert all(a is b for a, b in zip(arrays, kept))
        kept = arrays


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


def test_rmsprop_reaches_the_minimum_and_hovers_within_the_learning_rate():
    """RMSprop's steps keep a size of about the learning rate near the minimum: it ends within lr of it."""
    A, c = np.array([[2.0, 0.5], [0.5, 1.0]]), np.array([1.0, -1.0])
    for learning_rate in (0.1, 0.01):
        params, state, opt = {"w": np.array([3.0, 3.0]), "b": np.array([2.0])}, None, RMSprop(learning_rate)
        for _ in range(2000):
            grads = {"w": A.T @ (A @ params["w"] - c), "b": params["b"].copy()}
            state = opt.update(params, grads, state)
        np.testing.assert_allclose(params["w"], np.linalg.solve(A, c), atol=learning_rate)
        np.testing.assert_allclose(params["b"], 0.0, atol=learning_rate)


def test_get_optimizer():
    assert isinstance(get_optimizer("adam"), Adam) and get_optimizer("adam").learning_rate == 0.001
    assert get_optimizer("SGD", learning_rate=0.5).learning_rate == 0.5
    assert repr(get_optimizer("rmsprop")) == "RMSprop(learning_rate=0.001, rho=0.9, epsilon=1e-07)"
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
    with pytest.raises(ValueError, match=r"rho must be in \[0, 1\)"):
        RMSprop(rho=1.0)
    with pytest.raises(ValueError, match="unknown optimizer 'adagrad'.*'rmsprop'"):
        get_optimizer("adagrad")
    with pytest.raises(ValueError, match="set the learning rate on the object"):
        get_optimizer(Adam(), learning_rate=0.1)
    with pytest.raises(TypeError, match="update\\(params, grads, state\\)"):
        get_optimizer(42)
