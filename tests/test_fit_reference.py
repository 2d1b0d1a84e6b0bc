"""A seeded ``fit`` gives the same weights as the implementation before the speed work of issue 14 (to rounding).

``tests/data/mlp_fit_reference.npz`` holds the weights and per-epoch histories that ``MLP.fit`` produced on small toy
problems before ``fit`` was optimised (commit "Reference weights of seeded MLP fits"), one case per combination of
hidden activation, output head, optimizer, batch size (dividing N or not, full batch), L2 and validation data.
The linear models' cases (LINEAR_CASES) were added later, recorded before their ``fit`` moved onto the same fast paths.
Regenerate only on purpose, for a deliberate change of the arithmetic: ``python tests/test_fit_reference.py [case ...]``.
"""
from pathlib import Path

import numpy as np
import pytest

from course_utils.models import MLP, LogisticRegression, SoftmaxRegression
from course_utils.toy_data import make_blobs, make_moons

REFERENCE = Path(__file__).parent / "data" / "mlp_fit_reference.npz"

# name: (data, layer_sizes, hidden_activation, output, fit keyword arguments)
CASES = {
    "tanh_sigmoid_sgd": ("moons", [2, 16, 16, 1], "tanh", "sigmoid",
                         dict(epochs=5, batch_size=32, optimizer="sgd", learning_rate=0.1)),
    "relu_softmax_momentum_l2": ("blobs", [2, 16, 16, 3], "relu", "softmax",
                                 dict(epochs=5, batch_size=50, optimizer="momentum", learning_rate=0.05, l2=1e-3)),
    "leaky_relu_softmax_adam_onehot": ("blobs_onehot", [2, 12, 3], "leaky_relu", "softmax",
                                       dict(epochs=4, batch_size=64, optimizer="adam", learning_rate=0.01)),
    "elu_linear_rmsprop": ("moons_regression", [2, 8, 1], "elu", "linear",
                           dict(epochs=4, batch_size=37, optimizer="rmsprop", learning_rate=0.01)),
    "sigmoid_sigmoid_full_batch_l2": ("moons", [2, 10, 1], "sigmoid", "sigmoid",
                                      dict(epochs=6, optimizer="sgd", learning_rate=0.5, l2=0.01)),
    "softplus_softmax_validation": ("blobs", [2, 8, 8, 3], "softplus", "softmax",
                                    dict(epochs=3, batch_size=16, optimizer="sgd", learning_rate=0.05, seed=7,
                                         validation_data="blobs_val")),
}

# The linear models' fit (recorded later, before it moved onto MLP's unchecked fast paths): name: (data, model, kwargs)
LINEAR_CASES = {
    "logistic_sgd_l2_validation": ("moons", "logistic",
                                   dict(epochs=5, batch_size=32, optimizer="sgd", learning_rate=0.5, l2=0.01,
                                        validation_data="moons_val")),
    "softmax_regression_adam": ("blobs", "softmax", dict(epochs=4, batch_size=50, optimizer="adam", learning_rate=0.05)),
    "softmax_regression_onehot_momentum_full_batch": ("blobs_onehot", "softmax",
                                                      dict(epochs=6, optimizer="momentum", learning_rate=0.1)),
    "softmax_regression_rmsprop_l2": ("blobs", "softmax",
                                      dict(epochs=3, batch_size=64, optimizer="rmsprop", learning_rate=0.01, l2=1e-3)),
}


def _data(name):
    if name == "moons_val":
        return make_moons(n=60, noise=0.2, seed=4)
    if name.startswith("moons"):
        X, y = make_moons(n=200, noise=0.2, seed=1)
        return (X, y.astype(np.float64)) if name == "moons_regression" else (X, y)
    X, y = make_blobs(n=300 if name != "blobs_val" else 90, seed=2 if name != "blobs_val" else 3)
    return (X, np.eye(3)[y]) if name == "blobs_onehot" else (X, y)


def run_case(name):
    """Fit the case's seeded model; return {param name or history key: array}."""
    if name in LINEAR_CASES:
        data, kind, kwargs = LINEAR_CASES[name]
        model = LogisticRegression(2) if kind == "logistic" else SoftmaxRegression(2, 3)
    else:
        data, sizes, hidden, output, kwargs = CASES[name]
        model = MLP(sizes, hidden_activation=hidden, output=output, seed=3)
    kwargs = dict(kwargs, verbose=False)
    if "validation_data" in kwargs:
        kwargs["validation_data"] = _data(kwargs["validation_data"])
    history = model.fit(*_data(data), **kwargs)
    result = {key: value.copy() for key, value in model.params.items()}
    result.update({f"history_{key}": np.asarray(values) for key, values in history.items()})
    return result


@pytest.mark.parametrize("name", sorted(CASES) + sorted(LINEAR_CASES))
def test_seeded_fit_gives_the_reference_weights(name):
    with np.load(REFERENCE) as stored:
        expected = {key[len(name) + 1:]: stored[key] for key in stored.files if key.startswith(name + "/")}
    got = run_case(name)
    assert sorted(got) == sorted(expected)
    for key, value in got.items():
        assert value.dtype == np.float64, key
        np.testing.assert_allclose(value, expected[key], rtol=1e-10, atol=1e-12, err_msg=f"{name}: {key}")


if __name__ == "__main__":  # python tests/test_fit_reference.py [case ...]: (re)record these cases (default: all)
    import sys

    names = sys.argv[1:] or [*CASES, *LINEAR_CASES]
    with np.load(REFERENCE) as stored:
        arrays = {key: stored[key] for key in stored.files if key.split("/")[0] not in names}
    arrays.update({f"{name}/{key}": value for name in names for key, value in run_case(name).items()})
    np.savez_compressed(REFERENCE, **arrays)
    print(f"wrote {REFERENCE} ({REFERENCE.stat().st_size} bytes, {len(arrays)} arrays; recorded {', '.join(names)})")
