"""MLP against TensorFlow: gradients match tf.GradientTape on the same weights; from_keras/to_keras round-trip.

TensorFlow is imported once for this module (about 5 s), through quiet_tensorflow().
"""
import numpy as np
import pytest

from course_utils.gradcheck import rel_error
from course_utils.models import MLP
from course_utils.tf_utils import quiet_tensorflow

tf, keras = quiet_tensorflow()

ARCHITECTURES = [
    ([3, 1], "tanh", "sigmoid"),
    ([3, 4, 1], "tanh", "sigmoid"),
    ([4, 6, 5, 1], "relu", "sigmoid"),
    ([2, 5, 3], "relu", "softmax"),
    ([5, 4, 4, 10], "sigmoid", "softmax"),
    ([3, 4, 2], "elu", "linear"),
    ([2, 3, 3, 1], "softplus", "linear"),
    ([3, 5, 2], "leaky_relu", "softmax"),
]


def tf_loss(model, X, y, output, l2):
    """The same loss written with TensorFlow ops on the outputs of the equivalent Keras model (float64)."""
    out = model(tf.constant(X), training=True)
    if output == "sigmoid":
        p, t = out[:, 0], tf.constant(y, dtype=tf.float64)
        loss = -tf.reduce_mean(t * tf.math.log(p) + (1 - t) * tf.math.log(1 - p))
    elif output == "softmax":
        loss = -tf.reduce_mean(tf.reduce_sum(tf.one_hot(y, out.shape[1], dtype=tf.float64) * tf.math.log(out), axis=1))
    else:
        loss = tf.reduce_mean((out - tf.constant(y)) ** 2)
    kernels = [layer.kernel for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    return loss + 0.5 * l2 * tf.add_n([tf.reduce_sum(k ** 2) for k in kernels])


@pytest.mark.parametrize("l2", [0.0, 0.1])
@pytest.mark.parametrize("n", [1, 8])
@pytest.mark.parametrize("sizes,hidden,output", ARCHITECTURES)
def test_gradients_match_gradient_tape(sizes, hidden, output, n, l2):
    rng = np.random.default_rng(n + len(sizes))
    mlp = MLP(sizes, hidden_activation=hidden, output=output, seed=n)
    for name in mlp.params:
        if name.startswith("b"):
            mlp.params[name] += rng.normal(scale=0.3, size=mlp.params[name].shape)
    X = rng.normal(size=(n, sizes[0]))
    y = {"sigmoid": rng.integers(0, 2, size=n), "softmax": rng.integers(0, sizes[-1], size=n),
         "linear": rng.normal(size=(n, sizes[-1]))}[output]
    loss, grads = mlp.loss(X, y, l2=l2)

    keras_model = mlp.to_keras(dtype="float64")
    with tf.GradientTape() as tape:
        tf_value = tf_loss(keras_model, X, y, output, l2)
    tf_grads = tape.gradient(tf_value, keras_model.trainable_variables)  # [kernel1, bias1, kernel2, ...]
    names = [f"{kind}{i}" for i in range(1, len(sizes)) for kind in "Wb"]
    assert loss == pytest.approx(float(tf_value), rel=1e-9)  # TF keeps the LeakyReLU slope as a float32 (0.01 + 2e-10)
    tol = 1e-6 if hidden == "leaky_relu" else 1e-7  # TF's LeakyRelu op stores its slope 0.01 as a float32
    for name, tf_grad in zip(names, tf_grads, strict=True):
        assert rel_error(grads[name], tf_grad.numpy()) < tol, name


@pytest.mark.parametrize("sizes,hidden,output", ARCHITECTURES)
def test_to_keras_gives_the_same_predictions(sizes, hidden, output):
    rng = np.random.default_rng(len(sizes))
    mlp = MLP(sizes, hidden_activation=hidden, output=output, seed=3)
    for name in mlp.params:
        mlp.params[name] += rng.normal(scale=0.1, size=mlp.params[name].shape)
    X = rng.normal(size=(20, sizes[0]))
    expected = mlp.loss(X) if output == "linear" else mlp.predict_proba(X)
    expected = expected.reshape(20, -1)
    exact = mlp.to_keras(dtype="float64")
    # model(X), not model.predict(X): predict() casts NumPy inputs to float32 first
    rtol = 1e-8 if hidden == "leaky_relu" else 1e-12  # TF's LeakyRelu op stores its slope 0.01 as a float32
    np.testing.assert_allclose(exact(tf.constant(X)).numpy(), expected, rtol=rtol, atol=1e-14)
    default = mlp.to_keras()  # float32, what a student trains
    assert default.layers[0].dtype == "float32"
    np.testing.assert_allclose(default.predict(X.astype(np.float32), verbose=0), expected, rtol=1e-4, atol=1e-5)
    back = MLP.from_keras(exact)
    assert (back.layer_sizes, back.hidden_activation, back.output) == (sizes, hidden, output)
    for name, value in mlp.params.items():
        np.testing.assert_array_equal(back.params[name], value)  # float64 both ways: bit-for-bit


def test_from_keras_on_a_keras_built_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(6),
        keras.layers.Activation("relu"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.layers[0].bias.assign(np.linspace(-0.5, 0.5, 8).astype(np.float32))
    mlp = MLP.from_keras(model)
    assert mlp.layer_sizes == [4, 8, 6, 3] and mlp.hidden_activation == "relu" and mlp.output == "softmax"
    assert mlp.params["W1"].dtype == np.float64 and mlp.params["W1"].shape == (4, 8)
    X = np.random.default_rng(0).normal(size=(15, 4))
    np.testing.assert_allclose(mlp.predict_proba(X), model.predict(X.astype(np.float32), verbose=0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(mlp.predict(X), np.argmax(model.predict(X, verbose=0), axis=1))
    # and back: the Keras model rebuilt from the MLP predicts what the original did
    np.testing.assert_allclose(mlp.to_keras().predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)
    no_bias = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid", use_bias=False)])
    np.testing.assert_array_equal(MLP.from_keras(no_bias).params["b1"], [0.0])


def test_from_keras_rejects_unsupported_models():
    dense = keras.layers.Dense
    inputs = keras.Input(shape=(3,))
    with pytest.raises(TypeError, match="needs a keras.Sequential model of Dense layers; got Functional"):
        MLP.from_keras(keras.Model(inputs, dense(1)(inputs)))
    with pytest.raises(ValueError, match="is a Dropout; from_keras supports Dense layers"):
        MLP.from_keras(keras.Sequential([keras.Input((3,)), dense(4, activation="tanh"), keras.layers.Dropout(0.5),
                                         dense(1, activation="sigmoid")]))
    with pytest.raises(ValueError, match="no weights yet"):
        MLP.from_keras(keras.Sequential([dense(4, activation="tanh"), dense(1, activation="sigmoid")]))
    with pytest.raises(ValueError, match="one activation for all hidden layers"):
        MLP.from_keras(keras.Sequential([keras.Input((3,)), dense(4, activation="tanh"), dense(4, activation="relu"),
                                         dense(1, activation="sigmoid")]))
    with pytest.raises(ValueError, match="output layer uses activation 'relu'"):
        MLP.from_keras(keras.Sequential([keras.Input((3,)), dense(4, activation="tanh"), dense(2, activation="relu")]))
    with pytest.raises(ValueError, match="slope of 0.01"):
        MLP.from_keras(keras.Sequential([keras.Input((3,)), dense(4), keras.layers.LeakyReLU(negative_slope=0.2),
                                         dense(1, activation="sigmoid")]))
    with pytest.raises(ValueError, match="sigmoid output needs layer_sizes"):
        MLP.from_keras(keras.Sequential([keras.Input((3,)), dense(2, activation="sigmoid")]))
    with pytest.raises(ValueError, match="no Dense layer"):
        MLP.from_keras(keras.Sequential([keras.Input((3,))]))


def test_running_train_metrics_are_what_keras_fit_reports():
    # One epoch of mini-batch SGD from the same float64 weights, over the same batches in the same order (Keras gets
    # the rows in fit's permutation, unshuffled): the same weights after, the same validation metrics, and
    # fit(train_metrics="running") reports the training loss and accuracy that Keras's History holds.
    rng = np.random.default_rng(5)
    # Keras's fit casts NumPy inputs to float32: inputs that float32 holds exactly keep the comparison at float64
    X, X_val = (rng.normal(size=(n, 4)).astype(np.float32).astype(np.float64) for n in (50, 20))
    y, y_val = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1), rng.integers(0, 3, size=20)
    mlp = MLP([4, 6, 3], hidden_activation="relu", output="softmax", seed=2)
    keras_model = mlp.to_keras(dtype="float64")
    # a Keras loss computes in float32 unless told otherwise, even on a float64 model
    keras_model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.25),
                        loss=keras.losses.SparseCategoricalCrossentropy(dtype="float64"), metrics=["accuracy"])
    order = np.random.default_rng(11).permutation(len(X))  # what fit(seed=11) draws for its first epoch
    keras_history = keras_model.fit(X[order], y[order], batch_size=8, epochs=1, shuffle=False,  # last batch of 2
                                    validation_data=(X_val, y_val), verbose=0).history
    history = mlp.fit(X, y, epochs=1, batch_size=8, optimizer="sgd", learning_rate=0.25, seed=11,
                      validation_data=(X_val, y_val), verbose=False, train_metrics="running")
    for name, value in zip(mlp.params, keras_model.get_weights(), strict=True):
        np.testing.assert_allclose(mlp.params[name], value, rtol=1e-10, atol=1e-12)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):  # Keras's metric trackers hold float32
        assert history[key][0] == pytest.approx(keras_history[key][0], rel=2e-7), key
    exact = MLP([4, 6, 3], hidden_activation="relu", output="softmax", seed=2).fit(
        X, y, epochs=1, batch_size=8, optimizer="sgd", learning_rate=0.25, seed=11, verbose=False)
    assert exact["loss"][0] != pytest.approx(keras_history["loss"][0], rel=1e-3)  # the default measures after
