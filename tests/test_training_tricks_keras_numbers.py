"""The Keras numbers in the hidden tests of the training_tricks assignment are what Keras's optimizers compute.

The assignment compares the students' sgd_momentum, rmsprop and adam with Keras's SGD(momentum=...), RMSprop and Adam
through numbers written into its hidden tests, so that grading never imports TensorFlow. This test reads those numbers
(``keras_config``, ``w0_keras``, ``grads_keras``, ``w_keras``) from the source notebook, runs the same steps with Keras
and with course_utils.optim, and checks all three agree.
"""
import ast
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils.optim import Adam, Momentum, RMSprop

SOURCE = Path(__file__).resolve().parents[1] / "assignments" / "source" / "training_tricks" / "training_tricks.ipynb"
NAMES = ("keras_config", "w0_keras", "grads_keras", "w_keras")


def _literal(node):
    """The value of a literal, or of ``np.array(<literal>)``."""
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "np.array":
        return np.array(ast.literal_eval(node.args[0]))
    return ast.literal_eval(node)


def _keras_numbers(grade_id):
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nbformat.read(SOURCE, as_version=4).cells
             if "nbgrader" in c.metadata}
    found = {}
    for node in ast.parse(cells[grade_id].source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and getattr(node.targets[0], "id", None) in NAMES:
            found[node.targets[0].id] = _literal(node.value)
    assert sorted(found) == sorted(NAMES), f"{grade_id} should define {NAMES}; it defines {sorted(found)}"
    return found


def _keras_optimizer(keras, name, c):
    if name == "sgd_momentum":
        return keras.optimizers.SGD(learning_rate=c["learning_rate"], momentum=c["momentum"])
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=c["learning_rate"], rho=c["rho"], epsilon=c["epsilon"])
    return keras.optimizers.Adam(learning_rate=c["learning_rate"], beta_1=c["beta1"], beta_2=c["beta2"],
                                 epsilon=c["epsilon"])


def _ours(name, c):
    if name == "sgd_momentum":
        return Momentum(c["learning_rate"], c["momentum"])
    if name == "rmsprop":
        return RMSprop(c["learning_rate"], c["rho"], c["epsilon"])
    return Adam(c["learning_rate"], c["beta1"], c["beta2"], c["epsilon"])


@pytest.mark.parametrize("name", ["sgd_momentum", "rmsprop", "adam"])
def test_keras_numbers_in_the_hidden_tests(name):
    from course_utils.tf_utils import quiet_tensorflow

    _, keras = quiet_tensorflow()
    numbers = _keras_numbers(f"test_{name}")
    config, w0, grads, expected = (numbers[k] for k in NAMES)
    assert expected.shape == grads.shape and w0.shape == grads.shape[1:]
    optimizer = _keras_optimizer(keras, name, config)
    variable = keras.Variable(w0.copy(), dtype="float64")
    params, state, ours = {"w": w0.copy()}, None, _ours(name, config)
    for step, g in enumerate(grads):
        optimizer.apply_gradients([(g.copy(), variable)])
        np.testing.assert_allclose(variable.numpy(), expected[step], rtol=1e-12, err_msg=f"Keras, step {step + 1}")
        state = ours.update(params, {"w": g.copy()}, state)
        # Momentum and RMSprop take exactly Keras's steps; Adam adds epsilon after the bias correction (the paper),
        # Keras before it, a relative difference of about 1e-8 here (the notebook's tests allow 1e-6).
        np.testing.assert_allclose(params["w"], expected[step], rtol=1e-12 if name != "adam" else 1e-7,
                                   err_msg=f"course_utils.optim, step {step + 1}")
