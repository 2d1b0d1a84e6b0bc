"""course_utils.schedules: the formulas, value for value against Keras's learning-rate schedules, shapes, errors."""
import numpy as np
import pytest

from course_utils.schedules import cosine_decay, step_decay, warmup

STEPS = np.arange(0, 301)  # integer optimizer steps, as Keras counts them


@pytest.fixture(scope="module")
def schedules():
    from course_utils.tf_utils import quiet_tensorflow

    _, keras = quiet_tensorflow()
    return keras.optimizers.schedules


def _keras_values(schedule, steps=STEPS):
    # Keras computes a schedule in float32 (the dtype of its initial learning rate): compare with rtol 1e-6, and near
    # the end of a cosine decay, where float32's cos(pi t / T) is close to -1, with atol 1e-7 * eta_0.
    return np.array([float(schedule(int(t))) for t in steps])


def test_step_decay_formula():
    np.testing.assert_allclose(step_decay([0, 99, 100, 199, 200, 250], 0.1, drop_every=100, factor=0.5),
                               [0.1, 0.1, 0.05, 0.05, 0.025, 0.025], rtol=1e-15)


def test_step_decay_matches_keras(schedules):
    ours = step_decay(STEPS, 0.1, drop_every=70, factor=0.3)
    exponential = schedules.ExponentialDecay(0.1, decay_steps=70, decay_rate=0.3, staircase=True)
    np.testing.assert_allclose(ours, _keras_values(exponential), rtol=1e-6)
    # PiecewiseConstantDecay keeps values[i] up to and including boundaries[i]: the drops after steps 69, 139, ...
    piecewise = schedules.PiecewiseConstantDecay([69, 139, 209, 279], [0.1 * 0.3 ** k for k in range(5)])
    np.testing.assert_allclose(ours, _keras_values(piecewise), rtol=1e-6)


@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_cosine_decay_matches_keras(schedules, alpha):
    ours = cosine_decay(STEPS, 0.2, decay_steps=250, alpha=alpha)  # constant after step 250
    np.testing.assert_allclose(ours, _keras_values(schedules.CosineDecay(0.2, 250, alpha=alpha)), rtol=1e-6, atol=2e-8)
    assert ours[0] == pytest.approx(0.2) and ours[125] == pytest.approx(0.2 * (alpha + (1 - alpha) / 2))
    assert ours[250] == pytest.approx(0.2 * alpha, abs=1e-15) and np.all(ours[250:] == ours[250])


@pytest.mark.parametrize("start", [0.0, 0.01])
def test_warmup_then_cosine_matches_keras(schedules, start):
    ours = warmup(STEPS, 0.1, warmup_steps=40, initial_learning_rate=start,
                  after=lambda s: cosine_decay(s, 0.1, decay_steps=200, alpha=0.05))
    keras_schedule = schedules.CosineDecay(start, 200, alpha=0.05, warmup_target=0.1, warmup_steps=40)
    np.testing.assert_allclose(ours, _keras_values(keras_schedule), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours[:41], np.linspace(start, 0.1, 41), rtol=1e-12)  # a straight line up to the target


def test_warmup_alone_and_without_warmup():
    np.testing.assert_allclose(warmup([0, 5, 10, 11, 1000], 0.4, warmup_steps=10), [0.0, 0.2, 0.4, 0.4, 0.4])
    # warmup_steps=0: no ramp, the following schedule from step 0 on
    np.testing.assert_allclose(warmup(STEPS, 0.1, 0, after=lambda s: cosine_decay(s, 0.1, 100)),
                               cosine_decay(STEPS, 0.1, 100))


def test_shapes_and_scalars():
    steps = np.arange(12).reshape(3, 4)  # (...) in, (...) out
    for values in (step_decay(steps, 1.0, 5), cosine_decay(steps, 1.0, 10), warmup(steps, 1.0, 4)):
        assert values.shape == (3, 4) and values.dtype == np.float64
    for value in (step_decay(3, 1.0, 5), cosine_decay(3.5, 1.0, 10), warmup(2, 1.0, 4)):
        assert isinstance(value, float)
    assert cosine_decay(5, 1.0, 10) == pytest.approx(0.5)  # fractional steps (epochs) are fine too
    assert warmup(1, 1.0, 4, after=lambda s: cosine_decay(s, 1.0, 10)) == pytest.approx(0.25)


@pytest.mark.parametrize("call, error, message", [
    (lambda: step_decay(-1, 0.1, 10), ValueError, "step must be >= 0"),
    (lambda: step_decay([0, np.nan], 0.1, 10), ValueError, "finite"),
    (lambda: step_decay("10", 0.1, 10), TypeError, "step must be an array of numbers"),
    (lambda: step_decay(0, 0.0, 10), ValueError, "initial_learning_rate must be a finite number > 0"),
    (lambda: step_decay(0, 0.1, 2.5), TypeError, "drop_every must be an integer"),
    (lambda: step_decay(0, 0.1, 0), ValueError, "drop_every must be an integer >= 1"),
    (lambda: step_decay(0, 0.1, 10, factor=2.0), ValueError, r"factor must be in \(0, 1\]"),
    (lambda: cosine_decay(0, 0.1, 0), ValueError, "decay_steps must be an integer >= 1"),
    (lambda: cosine_decay(0, 0.1, 10, alpha=1.5), ValueError, r"alpha must be in \[0, 1\]"),
    (lambda: warmup(0, 0.1, -1), ValueError, "warmup_steps must be an integer >= 0"),
    (lambda: warmup(0, 0.1, 5, initial_learning_rate=-0.1), ValueError, "initial_learning_rate"),
    (lambda: warmup(0, 0.1, 5, after=0.1), TypeError, "after must be None or a schedule"),
    (lambda: warmup([1, 2], 0.1, 5, after=lambda s: 0.1), ValueError, r"shape \(2,\)"),
])
def test_errors_say_what_is_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()
