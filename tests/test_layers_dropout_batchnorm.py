"""course_utils.layers' dropout and batch normalisation: finite differences, Keras's Dropout and BatchNormalization
(outputs, running averages and GradientTape gradients, float64), reproducible masks, bad input."""
import numpy as np
import pytest

from course_utils import layers
from course_utils.gradcheck import numerical_gradient, rel_error


@pytest.fixture(scope="module")
def keras():
    from course_utils.tf_utils import quiet_tensorflow

    return quiet_tensorflow()[1]


@pytest.fixture(scope="module")
def tf():
    from course_utils.tf_utils import quiet_tensorflow

    return quiet_tensorflow()[0]


# ---------------------------------------------------------------------------------------------------------------------
# Dropout


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 0.9])
def test_dropout_forward_keeps_scales_and_is_reproducible(p):
    x = np.random.default_rng(0).normal(size=(400, 50))
    out, (mask, mode) = layers.dropout_forward(x, p, "train", seed=7)
    keep = np.random.default_rng(7).random(x.shape) >= p  # the documented draw
    np.testing.assert_allclose(out, np.where(keep, x / (1 - p), 0.0), rtol=1e-15)
    np.testing.assert_array_equal(mask, keep / (1 - p))
    assert mode == "train"
    assert abs((~keep).mean() - p) < 0.01  # 20,000 units: the dropped fraction is p to about 0.3 %
    np.testing.assert_array_equal(layers.dropout_forward(x, p, "train", seed=7)[0], out)
    if p > 0:
        assert not np.array_equal(layers.dropout_forward(x, p, "train", seed=8)[0], out)
    # inverted dropout: the expected value of every unit is unchanged
    assert abs(out.mean() - x.mean()) < 5 * x.std() * np.sqrt(p / (1 - p) / x.size) + 1e-12


def test_dropout_test_mode_is_the_identity():
    x = np.random.default_rng(1).normal(size=(5, 3))
    out, cache = layers.dropout_forward(x, 0.7, "test", seed=0)
    np.testing.assert_array_equal(out, x)
    assert out is not x
    dout = np.ones((5, 3))
    np.testing.assert_array_equal(layers.dropout_backward(dout, cache), dout)


@pytest.mark.parametrize("shape, p", [((1, 1), 0.5), ((4, 3), 0.2), ((7, 5), 0.8)])
def test_dropout_backward_matches_finite_differences(shape, p):
    rng = np.random.default_rng(sum(shape))
    x, dout = rng.normal(size=shape), rng.normal(size=shape)
    _, cache = layers.dropout_forward(x, p, "train", seed=3)
    dx = layers.dropout_backward(dout, cache)
    numeric = numerical_gradient(lambda v: layers.dropout_forward(v, p, "train", seed=3)[0], x, df=dout)
    assert dx.shape == x.shape
    assert rel_error(dx, numeric) < 1e-7


def test_dropout_has_the_semantics_of_keras_dropout(keras):
    """Keras's Dropout(rate) in training: every unit is 0 or x / (1 - rate), about a fraction rate of them 0; in
    inference it returns x. Our layer gives the same values (its mask comes from NumPy's generator, not Keras's)."""
    rate = 0.3
    x = np.random.default_rng(2).uniform(0.5, 1.5, size=(200, 50))
    theirs = np.asarray(keras.layers.Dropout(rate, seed=0, dtype="float64")(x, training=True))
    ours, _ = layers.dropout_forward(x, rate, "train", seed=0)
    for out in (theirs, ours):
        kept = out != 0
        np.testing.assert_allclose(out[kept], x[kept] / (1 - rate), rtol=1e-12)
        assert abs(1 - kept.mean() - rate) < 0.02
    np.testing.assert_array_equal(np.asarray(keras.layers.Dropout(rate, dtype="float64")(x, training=False)), x)
    np.testing.assert_array_equal(layers.dropout_forward(x, rate, "test", seed=0)[0], x)


def test_dropout_bad_input_raises_clear_errors():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"p, the probability of dropping a unit, must be in \[0, 1\); got 1"):
        layers.dropout_forward(x, 1, "train", seed=0)
    with pytest.raises(ValueError, match="p must be a finite number >= 0"):
        layers.dropout_forward(x, -0.1, "train", seed=0)
    with pytest.raises(ValueError, match="mode must be 'train' or 'test'; got 'training'"):
        layers.dropout_forward(x, 0.5, "training", seed=0)
    with pytest.raises(TypeError, match="seed must be an integer"):
        layers.dropout_forward(x, 0.5, "train", seed=0.5)
    _, cache = layers.dropout_forward(x, 0.5, "train", seed=0)
    with pytest.raises(ValueError, match=r"dout has shape \(3, 2\) but the output of dropout_forward had shape \(2, 3\)"):
        layers.dropout_backward(np.zeros((3, 2)), cache)
    with pytest.raises(TypeError, match="cache returned by dropout_forward"):
        layers.dropout_backward(np.zeros((2, 3)), None)


# ---------------------------------------------------------------------------------------------------------------------
# Batch normalisation


def _bn_inputs(n, d, seed):
    rng = np.random.default_rng(seed)
    return (rng.normal(loc=2.0, scale=3.0, size=(n, d)), rng.normal(size=d), rng.normal(size=d),
            rng.normal(size=(n, d)))


@pytest.mark.parametrize("n, d", [(2, 1), (5, 3), (16, 8)])
def test_batchnorm_forward_training_normalises_each_column(n, d):
    x, gamma, beta, _ = _bn_inputs(n, d, n + d)
    bn_param = {"mode": "train", "eps": 1e-8}
    out, _ = layers.batchnorm_forward(x, np.ones(d), np.zeros(d), bn_param)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1.0, rtol=1e-6)
    out, _ = layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(out, gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5) + beta, rtol=1e-12)
    # running averages from the defaults (zeros and ones, momentum 0.9)
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], 0.9 + 0.1 * x.var(axis=0), rtol=1e-12)


def test_batchnorm_running_averages_and_test_mode():
    x, gamma, beta, _ = _bn_inputs(6, 4, 0)
    start_mean, start_var = np.arange(4.0), np.full(4, 2.0)
    bn_param = {"mode": "train", "momentum": 0.75, "running_mean": start_mean, "running_var": start_var}
    layers.batchnorm_forward(x, gamma, beta, bn_param)
    np.testing.assert_array_equal(start_mean, np.arange(4.0))  # new arrays; the given ones are not modified
    np.testing.assert_allclose(bn_param["running_mean"], 0.75 * start_mean + 0.25 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], 0.75 * start_var + 0.25 * x.var(0), rtol=1e-12)
    bn_param["mode"] = "test"
    before = {k: np.copy(v) for k, v in bn_param.items() if k.startswith("running")}
    x_new = np.random.default_rng(5).normal(size=(1, 4))  # a single example at test time
    out, _ = layers.batchnorm_forward(x_new, gamma, beta, bn_param)
    expected = gamma * (x_new - before["running_mean"]) / np.sqrt(before["running_var"] + 1e-5) + beta
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    for key, value in before.items():
        np.testing.assert_array_equal(bn_param[key], value)


@pytest.mark.parametrize("mode", ["train", "test"])
@pytest.mark.parametrize("n, d", [(3, 1), (4, 2), (7, 5)])
def test_batchnorm_backward_matches_finite_differences(n, d, mode):
    x, gamma, beta, dout = _bn_inputs(n, d, 10 * n + d)
    settings = {"mode": mode, "eps": 1e-3, "running_mean": np.linspace(-1, 1, d), "running_var": np.linspace(0.5, 2, d)}
    _, cache = layers.batchnorm_forward(x, gamma, beta, dict(settings))
    dx, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    assert (dx.shape, dgamma.shape, dbeta.shape) == (x.shape, gamma.shape, beta.shape)

    def out(_):  # reads x, gamma, beta, which the finite differences perturb in place
        return layers.batchnorm_forward(x, gamma, beta, dict(settings))[0]

    for analytic, value in [(dx, x), (dgamma, gamma), (dbeta, beta)]:
        # entries of dx can be 1e-6 of the others: below what finite differences resolve, hence the atol
        np.testing.assert_allclose(analytic, numerical_gradient(out, value, df=dout), rtol=1e-7, atol=1e-9)
    if mode == "train":  # shifting a whole column changes nothing after normalisation
        np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-10)


def _keras_bn(keras, d, momentum, epsilon, gamma, beta, moving_mean, moving_var):
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon, dtype="float64")
    layer.build((None, d))
    layer.set_weights([gamma, beta, moving_mean, moving_var])
    return layer


def test_batchnorm_matches_keras_batchnormalization(keras):
    """Training output, moving averages and inference output equal Keras's BatchNormalization in float64."""
    n, d, momentum, eps = 8, 5, 0.8, 1e-3
    x, gamma, beta, _ = _bn_inputs(n, d, 42)
    moving_mean, moving_var = np.linspace(-1, 1, d), np.linspace(0.5, 2.0, d)
    layer = _keras_bn(keras, d, momentum, eps, gamma, beta, moving_mean, moving_var)
    bn_param = {"mode": "train", "momentum": momentum, "eps": eps, "running_mean": moving_mean,
                "running_var": moving_var}
    for step in range(3):
        x_step = x + step
        theirs = np.asarray(layer(x_step, training=True))
        ours, _ = layers.batchnorm_forward(x_step, gamma, beta, bn_param)
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(bn_param["running_mean"], layer.moving_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(bn_param["running_var"], layer.moving_variance.numpy(), rtol=1e-12)
    x_test = np.random.default_rng(1).normal(size=(3, d))
    bn_param["mode"] = "test"
    np.testing.assert_allclose(layers.batchnorm_forward(x_test, gamma, beta, bn_param)[0],
                               np.asarray(layer(x_test, training=False)), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_backward_matches_gradient_tape(keras, tf, training):
    n, d = 6, 4
    x, gamma, beta, dout = _bn_inputs(n, d, 7)
    moving_mean, moving_var = np.linspace(-1, 1, d), np.linspace(0.5, 2.0, d)
    layer = _keras_bn(keras, d, 0.9, 1e-5, gamma, beta, moving_mean, moving_var)
    x_tf = tf.Variable(x)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x_tf, training=training) * dout)
    dx_tf, dgamma_tf, dbeta_tf = tape.gradient(loss, [x_tf, layer.gamma.value, layer.beta.value])
    bn_param = {"mode": "train" if training else "test", "running_mean": moving_mean, "running_var": moving_var}
    _, cache = layers.batchnorm_forward(x, gamma, beta, bn_param)
    dx, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    np.testing.assert_allclose(dx, dx_tf.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(dgamma, dgamma_tf.numpy(), rtol=1e-10)
    np.testing.assert_allclose(dbeta, dbeta_tf.numpy(), rtol=1e-12)


def test_batchnorm_bad_input_raises_clear_errors():
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"gamma has shape \(2,\) but x has 3 features; expected gamma of shape \(3,\)"):
        layers.batchnorm_forward(x, np.ones(2), np.zeros(3), {"mode": "train"})
    with pytest.raises(ValueError, match=r"x must be a 2-D array of shape \(N, D\); got shape \(3,\)"):
        layers.batchnorm_forward(np.zeros(3), np.ones(3), np.zeros(3), {"mode": "train"})
    with pytest.raises(TypeError, match="bn_param must be a dict"):
        layers.batchnorm_forward(x, np.ones(3), np.zeros(3), "train")
    with pytest.raises(ValueError, match="mode must be 'train' or 'test'; got 'eval'"):
        layers.batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "eval"})
    with pytest.raises(ValueError, match=r"bn_param\['momentum'\] must be in \[0, 1\)"):
        layers.batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "train", "momentum": 1.0})
    with pytest.raises(ValueError, match=r"bn_param\['running_var'\] has shape \(4,\) but x has 3 features"):
        layers.batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "test", "running_var": np.ones(4)})
    with pytest.raises(ValueError, match=r"bn_param\['eps'\] must be a finite number > 0"):
        layers.batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "train", "eps": 0})
    _, cache = layers.batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "train"})
    with pytest.raises(ValueError, match=r"dout has shape \(4, 2\) but the output of batchnorm_forward had shape \(4, 3\)"):
        layers.batchnorm_backward(np.zeros((4, 2)), cache)
    with pytest.raises(TypeError, match="cache returned by batchnorm_forward"):
        layers.batchnorm_backward(np.zeros((4, 3)), (1, 2))
