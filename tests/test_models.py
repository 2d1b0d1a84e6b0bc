"""course_utils.models: gradients against finite differences, learning on classic problems, the fit API, errors."""
import numpy as np
import pytest

from course_utils.activations import leaky_relu
from course_utils.gradcheck import check_gradient
from course_utils.models import (
    HIDDEN_ACTIVATIONS, LEAKY_RELU_ALPHA, MLP, LogisticRegression, Perceptron, SoftmaxRegression,
)
from course_utils.optim import Adam

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


def random_targets(output, n, m, rng):
    if output == "sigmoid":
        return rng.integers(0, 2, size=n)
    if output == "softmax":
        return rng.integers(0, m, size=n)
    return rng.normal(size=(n, m))


def assert_model_gradients(model, X, y, l2=0.0):
    loss, grads = model.loss(X, y, l2=l2)
    assert isinstance(loss, float) and set(grads) == set(model.params)
    for name, value in model.params.items():
        report = check_gradient(lambda _: model.loss(X, y, l2=l2)[0], value, grads[name], name=name)
        assert report.passed, str(report)


ARCHITECTURES = [
    ([3, 1], "tanh", "sigmoid"),
    ([3, 4, 1], "tanh", "sigmoid"),
    ([2, 5, 3], "relu", "softmax"),
    ([4, 3, 3, 2], "sigmoid", "linear"),
    ([3, 4, 2, 4], "softplus", "softmax"),
    ([2, 3, 1], "elu", "linear"),
    ([3, 5, 4, 1], "leaky_relu", "sigmoid"),
]


@pytest.mark.parametrize("n", [1, 6])
@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize("sizes,hidden,output", ARCHITECTURES)
def test_mlp_gradients_match_finite_differences(sizes, hidden, output, l2, n):
    rng = np.random.default_rng(sum(sizes) + n)
    model = MLP(sizes, hidden_activation=hidden, output=output, seed=n)
    for name in model.params:  # non-zero biases, so that every code path is exercised
        if name.startswith("b"):
            model.params[name] += rng.normal(scale=0.5, size=model.params[name].shape)
    X = rng.normal(size=(n, sizes[0]))
    assert_model_gradients(model, X, random_targets(output, n, sizes[-1], rng), l2=l2)


def test_mlp_softmax_accepts_one_hot_targets():
    rng = np.random.default_rng(0)
    model, X, y = MLP([3, 4, 3], output="softmax"), rng.normal(size=(5, 3)), rng.integers(0, 3, size=5)
    loss_labels, grads_labels = model.loss(X, y)
    loss_onehot, grads_onehot = model.loss(X, np.eye(3)[y])
    assert loss_labels == pytest.approx(loss_onehot)
    for name in grads_labels:
        np.testing.assert_allclose(grads_labels[name], grads_onehot[name])


@pytest.mark.parametrize("n", [1, 7])
@pytest.mark.parametrize("l2", [0.0, 0.5])
def test_linear_models_gradients(n, l2):
    rng = np.random.default_rng(n)
    X = rng.normal(size=(n, 3))
    logistic = LogisticRegression(3)
    logistic.params["W"][:] = rng.normal(size=(3, 1))
    assert_model_gradients(logistic, X, rng.integers(0, 2, size=n), l2=l2)
    softmax_reg = SoftmaxRegression(3, 4)
    softmax_reg.params["W"][:] = rng.normal(size=(3, 4))
    assert_model_gradients(softmax_reg, X, rng.integers(0, 4, size=n), l2=l2)


def test_l2_penalty_is_half_lambda_sum_of_squared_weights_not_biases():
    rng = np.random.default_rng(2)
    model, X, y = MLP([2, 3, 1], seed=1), rng.normal(size=(4, 2)), np.array([0, 1, 1, 0])
    model.params["b1"] += 5.0  # a large bias would change the penalty if it were (wrongly) included
    loss0, grads0 = model.loss(X, y)
    loss, grads = model.loss(X, y, l2=0.1)
    assert loss == pytest.approx(loss0 + 0.05 * (np.sum(model.params["W1"] ** 2) + np.sum(model.params["W2"] ** 2)))
    np.testing.assert_allclose(grads["W1"], grads0["W1"] + 0.1 * model.params["W1"])
    np.testing.assert_allclose(grads["b1"], grads0["b1"])


# ---------------------------------------------------------------- learning


def separable_data(n=120, margin=0.3, seed=0):
    """Two classes on either side of the line 1.5 x1 - 2 x2 + 0.3 = 0, with no point closer than `margin`."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3, 3, size=(4 * n, 2))
    distance = (X @ np.array([1.5, -2.0]) + 0.3) / 2.5
    X, distance = X[np.abs(distance) > margin][:n], distance[np.abs(distance) > margin][:n]
    return X, (distance > 0).astype(int)


def noisy_xor(n=400, noise=0.15, seed=0):
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, size=(n, 2))
    return corners + rng.normal(scale=noise, size=(n, 2)), corners[:, 0] ^ corners[:, 1]


def test_perceptron_converges_on_separable_data():
    X, y = separable_data()
    model = Perceptron(2)
    history = model.fit(X, y, max_epochs=100)
    assert model.converged and history["mistakes"][-1] == 0 and len(history["mistakes"]) < 100
    assert history["mistakes"][0] > 0 and history["accuracy"][-1] == 1.0
    np.testing.assert_array_equal(model.predict(X), y)
    assert model.params["W"].shape == (2, 1) and model.params["b"].shape == (1,)


def test_perceptron_learning_rule_and_non_separable_data():
    model = Perceptron(2, learning_rate=0.5)
    assert model.predict(np.array([[1.0, 2.0]]))[0] == 1  # zero weights: step(0) = 1
    assert model.update(np.array([1.0, 2.0]), 0) is True  # a mistake: W -= 0.5 x, b -= 0.5
    np.testing.assert_allclose(model.params["W"][:, 0], [-0.5, -1.0])
    np.testing.assert_allclose(model.params["b"], [-0.5])
    assert model.update(np.array([1.0, 2.0]), 0) is False  # now right: nothing changes
    history = Perceptron(2).fit(XOR_X, XOR_Y, max_epochs=20)  # XOR is not linearly separable
    assert len(history["mistakes"]) == 20 and min(history["mistakes"]) > 0


def test_logistic_regression_separates_separable_data():
    X, y = separable_data()
    model = LogisticRegression(2)
    history = model.fit(X, y, epochs=300, learning_rate=1.0, verbose=False)
    assert history["accuracy"][-1] == 1.0
    assert history["loss"][-1] < history["loss"][0] < np.log(2)
    assert np.all(np.diff(history["loss"]) < 0)  # full-batch gradient descent on a convex loss: always down


def test_softmax_regression_learns_three_blobs():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(loc=c, scale=0.6, size=(40, 2)) for c in [(0, 3), (3, 0), (-3, -3)]])
    y = np.repeat([0, 1, 2], 40)
    model = SoftmaxRegression(2, 3)
    history = model.fit(X, y, epochs=100, learning_rate=0.5, verbose=False)
    assert history["accuracy"][-1] == 1.0
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)


@pytest.mark.parametrize("optimizer,learning_rate", [("sgd", 1.0), ("momentum", 0.3), ("adam", 0.05)])
def test_two_hidden_tanh_units_solve_xor(optimizer, learning_rate):
    model = MLP([2, 2, 1], hidden_activation="tanh", output="sigmoid", seed=0)
    history = model.fit(XOR_X, XOR_Y, epochs=500, optimizer=optimizer, learning_rate=learning_rate, verbose=False)
    np.testing.assert_array_equal(model.predict(XOR_X), XOR_Y)
    assert history["accuracy"][-1] == 1.0 and history["loss"][-1] < 0.1


def test_mlp_solves_noisy_xor_with_minibatches_and_validation():
    X, y = noisy_xor(seed=0)
    X_val, y_val = noisy_xor(n=200, seed=1)
    model = MLP([2, 2, 1], seed=0)
    history = model.fit(X, y, epochs=100, batch_size=32, optimizer=Adam(0.05), validation_data=(X_val, y_val),
                        verbose=False)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 100 for values in history.values())
    assert history["accuracy"][-1] > 0.97 and history["val_accuracy"][-1] > 0.97
    assert model.history is history


def test_mlp_regression_and_softmax_outputs():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(200, 1))
    model = MLP([1, 16, 1], hidden_activation="tanh", output="linear", seed=0)
    history = model.fit(X, np.sin(X[:, 0]), epochs=300, batch_size=32, optimizer="adam", learning_rate=0.02,
                        verbose=False)
    assert set(history) == {"loss"} and history["loss"][-1] < 5e-3
    assert model.predict(X).shape == (200,)
    with pytest.raises(ValueError, match="predict_proba is for classifiers"):
        model.predict_proba(X)
    classifier = MLP([2, 5, 3], hidden_activation="relu", output="softmax")
    proba = classifier.predict_proba(X.repeat(2, axis=1))
    assert proba.shape == (200, 3) and classifier.predict(X.repeat(2, axis=1)).shape == (200,)
    assert MLP([2, 3, 1]).predict_proba(XOR_X).shape == (4,)
    assert MLP([2, 3, 2], output="linear").predict(XOR_X).shape == (4, 2)
    assert MLP([2, 3, 2], output="linear").loss(XOR_X).shape == (4, 2)


def test_fit_is_reproducible_and_quiet(capsys):
    histories = []
    for _ in range(2):
        model = MLP([2, 3, 1], seed=3)
        histories.append(model.fit(XOR_X, XOR_Y, epochs=5, batch_size=2, optimizer="momentum", seed=7, verbose=False))
    assert histories[0] == histories[1]
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    MLP([2, 3, 1]).fit(XOR_X, XOR_Y, epochs=2, verbose=True)
    assert "MLP.fit" in capsys.readouterr().err  # the tqdm bar (a widget in Jupyter)


# ---------------------------------------------------------------- construction


def test_initialisation():
    relu_net = MLP([500, 400, 300], hidden_activation="relu", output="softmax", seed=0)
    assert relu_net.params["W1"].std() == pytest.approx(np.sqrt(2 / 500), rel=0.02)  # He
    limit = np.sqrt(6 / 700)  # Glorot uniform on the output layer, and on tanh layers
    assert np.abs(relu_net.params["W2"]).max() <= limit and relu_net.params["W2"].std() == pytest.approx(
        limit / np.sqrt(3), rel=0.02)
    tanh_net = MLP([500, 400, 1], seed=0)
    assert np.abs(tanh_net.params["W1"]).max() <= np.sqrt(6 / 900)
    assert np.all(tanh_net.params["b1"] == 0)
    a, b, c = MLP([3, 4, 1], seed=1), MLP([3, 4, 1], seed=1), MLP([3, 4, 1], seed=2)
    np.testing.assert_array_equal(a.params["W1"], b.params["W1"])
    assert not np.allclose(a.params["W1"], c.params["W1"])
    assert LEAKY_RELU_ALPHA == leaky_relu(-1.0) * -1  # the MLP's slope is activations.leaky_relu's default


def test_reprs():
    assert repr(MLP([2, 2, 1])) == ("MLP([2, 2, 1], hidden_activation='tanh', output='sigmoid', seed=0): "
                                    "W1 (2, 2), b1 (2,), W2 (2, 1), b2 (1,); 9 parameters")
    assert repr(Perceptron(3)) == "Perceptron(n_features=3, learning_rate=1)"
    assert "W (4, 1)" in repr(LogisticRegression(4)) and "W (4, 3)" in repr(SoftmaxRegression(4, 3))


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="at least 2 sizes"):
        MLP([2])
    with pytest.raises(ValueError, match=r"sigmoid output needs layer_sizes\[-1\] = 1"):
        MLP([2, 3, 2])
    with pytest.raises(ValueError, match="softmax output needs"):
        MLP([2, 3, 1], output="softmax")
    with pytest.raises(ValueError, match="hidden_activation must be one of"):
        MLP([2, 3, 1], hidden_activation="step")
    with pytest.raises(ValueError, match="output must be one of"):
        MLP([2, 3, 1], output="relu")
    with pytest.raises(ValueError, match="must be an integer >= 1"):
        MLP([2, 0, 1])
    model = MLP([2, 3, 1])
    with pytest.raises(ValueError, match=r"X has 3 features \(columns\) but the model expects 2; expected X of shape \(N, 2\)"):
        model.predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"X must be a 2-D array of shape \(N, 2\); got shape \(2,\)"):
        model.predict(np.zeros(2))
    with pytest.raises(ValueError, match="X contains nan"):
        model.predict(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="y has 3 rows but X has 4 examples"):
        model.loss(XOR_X, XOR_Y[:3])
    with pytest.raises(ValueError, match=r"y has shape \(3,\) but X has 4 examples"):
        model.fit(XOR_X, XOR_Y[:3], verbose=False)
    with pytest.raises(ValueError, match="label 2 but there are only 2 classes"):
        model.fit(XOR_X, np.array([0, 1, 2, 0]), verbose=False)
    with pytest.raises(ValueError, match="label 3 but there are only 3 classes"):
        MLP([2, 3, 3], output="softmax").loss(XOR_X, np.array([0, 1, 3, 0]))
    with pytest.raises(ValueError, match="negative label -1"):
        Perceptron(2).fit(XOR_X, np.array([-1, 1, 1, -1]))
    with pytest.raises(ValueError, match="set the learning rate on the object"):
        model.fit(XOR_X, XOR_Y, optimizer=Adam(), learning_rate=0.1, verbose=False)
    with pytest.raises(ValueError, match="unknown optimizer 'adagrad'"):
        model.fit(XOR_X, XOR_Y, optimizer="adagrad", verbose=False)
    with pytest.raises(ValueError, match="l2 must be a finite number >= 0"):
        model.fit(XOR_X, XOR_Y, l2=-1.0, verbose=False)
    with pytest.raises(TypeError, match=r"validation_data must be a pair \(X_val, y_val\)"):
        model.fit(XOR_X, XOR_Y, validation_data=XOR_X, verbose=False)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        model.fit(XOR_X, XOR_Y, batch_size=0, verbose=False)


def test_hidden_activation_list_matches_the_activations_module():
    from course_utils.activations import ACTIVATIONS
    assert set(HIDDEN_ACTIVATIONS) <= set(ACTIVATIONS)


def test_from_params_shares_the_arrays_and_checks_their_shapes():
    rng = np.random.default_rng(4)
    params = {"W1": rng.normal(size=(3, 5)), "b1": rng.normal(size=5), "W2": rng.normal(size=(5, 1)), "b2": np.zeros(1)}
    mlp = MLP.from_params(params, hidden_activation="tanh", output="sigmoid")
    assert mlp.layer_sizes == [3, 5, 1] and mlp.params is params
    X = rng.normal(size=(4, 3))
    expected = 1 / (1 + np.exp(-(np.tanh(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"])))
    np.testing.assert_allclose(mlp.predict_proba(X), expected.ravel(), rtol=1e-12)
    params["b2"] += 1.0  # in place: the model sees it
    np.testing.assert_allclose(mlp.predict_proba(X), (expected / (expected + (1 - expected) * np.exp(-1))).ravel(),
                               rtol=1e-12)
    # a finite-difference check through the shared arrays agrees with the model's own gradient
    y = np.array([0, 1, 1, 0])
    report = check_gradient(lambda _: MLP.from_params(params).loss(X, y)[0], params["W1"], mlp.loss(X, y)[1]["W1"])
    assert report.passed, report

    with pytest.raises(ValueError, match=r"W2 has shape \(4, 1\) but W1 has 5 columns; expected W2 of shape \(5, M\)"):
        MLP.from_params({**params, "W2": np.zeros((4, 1))})
    with pytest.raises(ValueError, match=r"b1 has shape \(3,\) but W1 has shape \(3, 5\); expected b1 of shape \(5,\)"):
        MLP.from_params({**params, "b1": np.zeros(3)})
    with pytest.raises(ValueError, match="W1, b1, ..., WL, bL and nothing else"):
        MLP.from_params({"W1": params["W1"]})
    with pytest.raises(TypeError, match="float64 NumPy array"):
        MLP.from_params({**params, "W1": params["W1"].astype(np.float32)})
    with pytest.raises(TypeError, match="must be a dict"):
        MLP.from_params([params["W1"], params["b1"]])


# ---------------------------------------------------------------- float32 (issue 14)


def test_float32_model_computes_in_float32_and_agrees_with_float64():
    X, y = np.random.default_rng(0).normal(size=(40, 5)), np.arange(40) % 3
    m64 = MLP([5, 8, 6, 3], hidden_activation="relu", output="softmax", seed=1)
    m32 = MLP([5, 8, 6, 3], hidden_activation="relu", output="softmax", seed=1, dtype="float32")
    assert all(value.dtype == np.float32 for value in m32.params.values())
    for name in m64.params:  # the same draws, rounded
        np.testing.assert_array_equal(m32.params[name], m64.params[name].astype(np.float32))
    assert m32.loss(X).dtype == np.float32
    loss64, grads64 = m64.loss(X, y, l2=0.01)
    loss32, grads32 = m32.loss(X, y, l2=0.01)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for name, grad in grads32.items():
        assert grad.dtype == np.float32
        np.testing.assert_allclose(grad, grads64[name], rtol=1e-3, atol=1e-5)
    m32.fit(X, y, epochs=3, batch_size=16, optimizer="adam", learning_rate=0.01, verbose=False)
    assert all(value.dtype == np.float32 for value in m32.params.values())
    assert "dtype='float32'" in repr(m32) and "dtype" not in repr(m64)


@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("output", ["sigmoid", "linear"])
def test_float32_fit_learns_what_float64_learns(hidden, output):
    X, y = noisy_xor(n=200)
    targets = y if output == "sigmoid" else y.astype(float)
    histories = [MLP([2, 8, 1], hidden_activation=hidden, output=output, seed=0, dtype=dtype).fit(
        X, targets, epochs=20, batch_size=32, optimizer="adam", learning_rate=0.02, verbose=False)
        for dtype in ("float64", "float32")]
    np.testing.assert_allclose(histories[1]["loss"], histories[0]["loss"], rtol=1e-3)


def test_linear_models_share_the_checked_entry_points():
    """LogisticRegression and SoftmaxRegression run on MLP's fast paths; their public methods still check inputs."""
    logistic, softmax_reg = LogisticRegression(2), SoftmaxRegression(2, 3)
    with pytest.raises(ValueError, match=r"X has 3 features \(columns\) but the model expects 2"):
        logistic.loss(np.zeros((4, 3)), XOR_Y)
    with pytest.raises(ValueError, match="label 2 but there are only 2 classes"):
        logistic.fit(XOR_X, np.array([0, 1, 2, 0]), verbose=False)
    with pytest.raises(ValueError, match="label 3 but there are only 3 classes"):
        softmax_reg.loss(XOR_X, np.array([0, 1, 3, 0]))
    with pytest.raises(ValueError, match=r"y has shape \(3,\) but X has 4 examples"):
        softmax_reg.fit(XOR_X, np.array([0, 1, 2]), verbose=False)
    logistic.params["W"] = np.zeros((3, 1))  # params replaced by hand with the wrong shape
    with pytest.raises(ValueError, match=r"params\['W'\] has shape \(3, 1\); expected \(2, M\)"):
        logistic.predict(XOR_X)
    softmax_reg.params["b"] = np.zeros(2)
    with pytest.raises(ValueError, match=r"params\['b'\] has shape \(2,\) but params\['W'\] has 3 columns"):
        softmax_reg.loss(XOR_X, np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match=r"params\['b'\] has shape \(2,\)"):  # before training starts
        softmax_reg.fit(XOR_X, np.array([0, 1, 2, 0]), verbose=False)
    mlp = MLP([2, 3, 1])
    mlp.params["W2"] = [[1.0], [2.0], [3.0]]
    with pytest.raises(TypeError, match=r"params\['W2'\] must be a NumPy array of numbers; got list"):
        mlp.loss(XOR_X)
    del mlp.params["W2"]
    with pytest.raises(KeyError, match="params has no 'W2'"):
        mlp.predict(XOR_X)


def test_bad_dtype_raises_a_clear_error():
    with pytest.raises(ValueError, match=r"dtype must be one of \('float64', 'float32'\); got 'int32'"):
        MLP([2, 3, 1], dtype="int32")
    assert MLP([2, 3, 1], dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
def test_history_evaluated_in_chunks_equals_one_pass(output):
    X, y = noisy_xor(n=100)
    model = MLP([2, 5, 1 if output != "softmax" else 2], output=output, seed=0)
    targets = model._targets(y if output != "linear" else y.astype(float), len(y))
    one, chunked = {}, {}
    model._evaluate(X, targets, 0.01, "", one, chunk=len(X))
    model._evaluate(X, targets, 0.01, "", chunked, chunk=7)
    assert one.keys() == chunked.keys()
    for key in one:
        assert chunked[key] == pytest.approx(one[key], rel=1e-13)
    assert one["loss"][0] == pytest.approx(model.loss(X, y if output != "linear" else y.astype(float), l2=0.01)[0],
                                        rel=1e-13)


# ---------------------------------------------------------------- train_metrics="running" (Keras's training metrics)


def _histories_by_mode(model_factory, X, y, **fit_kwargs):
    """Fit two identical models, one per train_metrics mode; return {mode: (history, params)}."""
    results = {}
    for mode in ("exact", "running"):
        model = model_factory()
        history = model.fit(X, y, verbose=False, train_metrics=mode, **fit_kwargs)
        results[mode] = (history, model.params)
    return results


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
def test_running_metrics_with_full_batches_are_the_exact_metrics_one_step_earlier(output):
    X, y = noisy_xor(n=60)
    y = y if output != "linear" else y.astype(float)
    factory = lambda: MLP([2, 4, 1 if output != "softmax" else 2], output=output, seed=1)  # noqa: E731
    before = factory()
    results = _histories_by_mode(factory, X, y, epochs=6, optimizer="momentum", learning_rate=0.3, l2=0.01)
    exact, running = results["exact"][0], results["running"][0]
    for name in results["exact"][1]:  # the metrics never change the training
        assert np.array_equal(results["exact"][1][name], results["running"][1][name])
    assert running.keys() == exact.keys()
    # epoch 1's running loss is the loss of the initial weights; epoch k + 1's is the exact loss after epoch k
    assert running["loss"][0] == pytest.approx(before.loss(X, y, l2=0.01)[0], rel=1e-12)
    np.testing.assert_allclose(running["loss"][1:], exact["loss"][:-1], rtol=1e-12)
    if output != "linear":
        assert running["accuracy"][0] == np.mean(before.predict(X) == y)
        np.testing.assert_allclose(running["accuracy"][1:], exact["accuracy"][:-1], rtol=1e-12)


class _Frozen:
    """An optimizer object that changes nothing: the weights stay at their initial values."""

    def update(self, params, grads, state):
        return state


@pytest.mark.parametrize("batch_size", [7, 10, 60])
def test_running_metrics_weigh_each_mini_batch_by_its_size(batch_size):
    # With frozen weights, the running mean over the epoch's examples equals the loss on the whole set, whatever the
    # batches; a plain mean of the batch losses would not (60 = 8 * 7 + 4: the last batch of 7 has 4 examples).
    X, y = noisy_xor(n=60)
    model = MLP([2, 5, 3], hidden_activation="relu", output="softmax", seed=2)
    y3 = (y + (X[:, 0] > 0.8)).astype(int)
    history = model.fit(X, y3, epochs=2, batch_size=batch_size, optimizer=_Frozen(), l2=0.1, verbose=False,
                        train_metrics="running")
    expected_loss = model.loss(X, y3, l2=0.1)[0]
    assert history["loss"] == pytest.approx([expected_loss] * 2, rel=1e-12)
    assert history["accuracy"] == [np.mean(model.predict(X) == y3)] * 2


def test_running_metrics_keep_validation_metrics_exact():
    X, y = noisy_xor(n=100)
    X_val, y_val = noisy_xor(n=50, seed=3)
    results = _histories_by_mode(lambda: MLP([2, 4, 1], seed=0), X, y, epochs=5, batch_size=16,
                                 optimizer="adam", learning_rate=0.05, validation_data=(X_val, y_val))
    exact, running = results["exact"][0], results["running"][0]
    assert running["val_loss"] == exact["val_loss"] and running["val_accuracy"] == exact["val_accuracy"]
    assert running["loss"] != exact["loss"]  # mini-batches: the running loss is another quantity


@pytest.mark.parametrize("bad", ["keras", "Running", None, 1])
def test_train_metrics_names_its_choices(bad):
    model = MLP([2, 3, 1])
    before = {name: value.copy() for name, value in model.params.items()}
    with pytest.raises(ValueError, match=r"train_metrics must be one of \['exact', 'running'\]; got "):
        model.fit(XOR_X, XOR_Y, epochs=1, verbose=False, train_metrics=bad)
    assert all(np.array_equal(model.params[name], before[name]) for name in before)  # refused before any step


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_large_X_with_one_bad_entry_is_refused_by_name_and_place(dtype, bad):
    # Large inputs are checked through their sum (no mask as large as X): the message must still name the entry.
    X = np.zeros((70_000, 2))
    X[65_432, 1] = bad
    model = MLP([2, 3, 1], dtype=dtype)
    with pytest.raises(ValueError, match=rf"X contains {bad} at index \(65432, 1\); expected finite numbers"):
        model.fit(X, np.zeros(70_000, dtype=int), epochs=1, verbose=False)


def test_a_large_X_of_huge_but_finite_values_is_accepted_quietly(recwarn):
    # Its sum overflows to inf; the check then looks entry by entry, finds none, and warns about nothing.
    X = np.full((40_000, 2), 1e307)
    assert MLP([2, 3, 1]).predict(X).shape == (40_000,)
    assert [str(w.message) for w in recwarn] == []
