"""course_utils.regularization.l2_penalty: the formula, finite differences, the same penalty as models.MLP and as a
Keras L2 kernel regulariser, bad input."""
import numpy as np
import pytest

from course_utils.gradcheck import numerical_gradient, rel_error
from course_utils.regularization import is_weight, l2_penalty


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(size=(4, 3)), "b1": rng.normal(size=3), "gamma1": rng.normal(size=3),
            "beta1": rng.normal(size=3), "W2": rng.normal(size=(3, 2)), "b2": rng.normal(size=2)}


def test_l2_penalty_formula_weights_only():
    params = {"W1": np.array([[1.0, 2.0], [3.0, 0.0]]), "b1": np.array([5.0, -5.0]), "W2": np.array([[-1.0], [0.0]])}
    penalty, grads = l2_penalty(params, 0.1)
    assert isinstance(penalty, float) and penalty == pytest.approx(0.05 * 15)
    assert list(grads) == list(params)
    np.testing.assert_allclose(grads["W1"], 0.1 * params["W1"])
    np.testing.assert_array_equal(grads["b1"], np.zeros(2))
    assert l2_penalty(params, 0)[0] == 0.0
    assert [is_weight(k) for k in ("W1", "W", "b1", "gamma1", "beta2")] == [True, True, False, False, False]


@pytest.mark.parametrize("l2", [0.0, 1e-3, 0.5])
def test_l2_penalty_gradient_matches_finite_differences(l2):
    params = _params(1)
    _, grads = l2_penalty(params, l2)
    for name, value in params.items():
        numeric = numerical_gradient(lambda _: l2_penalty(params, l2)[0], value)
        assert grads[name].shape == value.shape
        assert rel_error(grads[name], numeric) < 1e-7 or np.abs(grads[name] - numeric).max() < 1e-10


def test_l2_penalty_is_the_penalty_of_models_mlp():
    from course_utils.models import MLP

    mlp = MLP([4, 3, 2], output="softmax", seed=0)
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(5, 4)), rng.integers(0, 2, size=5)
    loss, grads = mlp.loss(X, y)
    loss_l2, grads_l2 = mlp.loss(X, y, l2=0.3)
    penalty, dpenalty = l2_penalty(mlp.params, 0.3)
    assert loss_l2 == pytest.approx(loss + penalty, rel=1e-12)
    for name in mlp.params:
        np.testing.assert_allclose(grads_l2[name], grads[name] + dpenalty[name], rtol=1e-12)


def test_l2_penalty_equals_a_keras_l2_regulariser_of_half_the_strength():
    from course_utils.tf_utils import quiet_tensorflow

    _, keras = quiet_tensorflow()
    params = _params(3)
    regulariser = keras.regularizers.L2(0.2 / 2)
    keras_penalty = sum(float(regulariser(keras.ops.convert_to_tensor(params[k]))) for k in params if is_weight(k))
    assert l2_penalty(params, 0.2)[0] == pytest.approx(keras_penalty, rel=1e-6)  # Keras keeps l2 in float32


def test_l2_penalty_bad_input_raises_clear_errors():
    with pytest.raises(TypeError, match="params must be a dict of arrays"):
        l2_penalty([np.zeros(2)], 0.1)
    with pytest.raises(ValueError, match="l2 must be a finite number >= 0"):
        l2_penalty({"W1": np.zeros(2)}, -1.0)
    with pytest.raises(TypeError, match=r"params\['W1'\] must be an array of numbers"):
        l2_penalty({"W1": "abc"}, 0.1)
