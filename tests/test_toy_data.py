"""Tests for course_utils.toy_data: shapes and dtypes, seeding, the geometry each data set promises, clear errors."""
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.svm import LinearSVC

from course_utils import toy_data

GENERATORS = {
    "make_xor": lambda seed: toy_data.make_xor(n_per_class=50, seed=seed),
    "make_banana_apple": lambda seed: toy_data.make_banana_apple(n=60, seed=seed),
    "make_circles": lambda seed: toy_data.make_circles(n=80, seed=seed),
    "make_moons": lambda seed: toy_data.make_moons(n=80, seed=seed),
    "make_blobs": lambda seed: toy_data.make_blobs(n=90, centers=3, seed=seed),
}


def _linearly_separable(X, y):
    """True when a hard-margin linear SVM (huge C) classifies every training point correctly."""
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    svm = LinearSVC(C=1e6, max_iter=200_000).fit(Xs, y)
    return svm.score(Xs, y) == 1.0


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_return_float64_rows_and_int_labels(name):
    X, y = GENERATORS[name](0)
    assert X.dtype == np.float64 and X.ndim == 2 and X.shape[1] == 2
    assert np.issubdtype(y.dtype, np.integer) and y.shape == (X.shape[0],)
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_are_seeded(name):
    X0, y0 = GENERATORS[name](0)
    X0_again, y0_again = GENERATORS[name](0)
    X1, _ = GENERATORS[name](1)
    np.testing.assert_array_equal(X0, X0_again)
    np.testing.assert_array_equal(y0, y0_again)
    assert not np.allclose(X0, X1)


def test_make_xor_labels_follow_the_xor_of_the_nearest_corner():
    X, y = toy_data.make_xor(n_per_class=500, noise=0.05, seed=3)
    assert X.shape == (1000, 2)
    np.testing.assert_array_equal(np.bincount(y), [500, 500])
    corner = (X > 0.5).astype(int)  # with noise 0.05 every point is within 0.5 of its corner
    np.testing.assert_array_equal(y, corner[:, 0] ^ corner[:, 1])
    # Every corner gets half of its class (250 points each).
    np.testing.assert_array_equal(np.bincount(2 * corner[:, 0] + corner[:, 1]), [250, 250, 250, 250])


def test_make_xor_noise_is_the_standard_deviation_around_the_corners():
    X, _ = toy_data.make_xor(n_per_class=2000, noise=0.2, seed=0)
    offsets = X - np.round(np.clip(X, 0, 1))
    assert abs(offsets.std() - 0.2) < 0.02
    X_exact, _ = toy_data.make_xor(n_per_class=4, noise=0.0, seed=0)
    assert set(map(tuple, X_exact)) == {(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)}


def test_make_xor_is_not_linearly_separable():
    X, y = toy_data.make_xor(n_per_class=100, noise=0.1, seed=0)
    assert not _linearly_separable(X, y)


def test_make_xor_odd_count_per_class():
    X, y = toy_data.make_xor(n_per_class=5, seed=0)
    np.testing.assert_array_equal(np.bincount(y), [5, 5])


@pytest.mark.parametrize("seed", range(5))
def test_banana_apple_is_linearly_separable_by_default(seed):
    X, y = toy_data.make_banana_apple(n=200, seed=seed)
    np.testing.assert_array_equal(np.bincount(y), [100, 100])
    assert _linearly_separable(X, y)


def test_banana_apple_features_look_like_fruit():
    X, y = toy_data.make_banana_apple(n=400, seed=0)
    hue, elongation = X[:, 0], X[:, 1]
    assert np.all(elongation >= 1.0)  # length / width of a fruit is at least 1
    assert hue[y == 1].mean() > hue[y == 0].mean() + 20  # bananas are yellow (about 60 degrees), apples red
    assert elongation[y == 1].mean() > 2 * elongation[y == 0].mean()  # bananas are long, apples round
    assert toy_data.BANANA_APPLE_CLASSES == ("apple", "banana")
    assert len(toy_data.BANANA_APPLE_FEATURES) == 2


def test_banana_apple_overlap_makes_the_classes_inseparable_and_grows_with_the_option():
    accuracies = []
    for overlap in (0.0, 0.5, 1.0):
        X, y = toy_data.make_banana_apple(n=400, overlap=overlap, seed=0)
        Xs = (X - X.mean(axis=0)) / X.std(axis=0)
        accuracies.append(LinearSVC(C=1.0, max_iter=100_000).fit(Xs, y).score(Xs, y))
    assert accuracies[0] == 1.0
    assert accuracies[0] > accuracies[1] > accuracies[2]
    assert accuracies[2] < 0.9


def test_banana_apple_odd_n():
    X, y = toy_data.make_banana_apple(n=7, seed=0)
    assert X.shape == (7, 2)
    np.testing.assert_array_equal(np.bincount(y), [3, 4])


def test_load_iris_binary_default_features_and_labels():
    X, y = toy_data.load_iris_binary()
    iris = load_iris()
    assert X.shape == (150, 2) and X.dtype == np.float64
    np.testing.assert_array_equal(X, iris.data[:, [0, 2]])  # sepal length, petal length
    np.testing.assert_array_equal(y, (iris.target == 0).astype(int))
    assert y.sum() == 50
    assert _linearly_separable(X, y)
    assert toy_data.IRIS_BINARY_CLASSES[1] == "setosa"


def test_load_iris_binary_feature_choice_by_name_or_index():
    X_names, _ = toy_data.load_iris_binary(features=("petal width (cm)", "sepal width (cm)"))
    X_index, _ = toy_data.load_iris_binary(features=(3, 1))
    np.testing.assert_array_equal(X_names, X_index)
    np.testing.assert_array_equal(X_names, load_iris().data[:, [3, 1]])


def test_make_circles_inner_circle_is_class_one():
    X, y = toy_data.make_circles(n=400, noise=0.0, factor=0.3, seed=0)
    radius = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)
    assert not _linearly_separable(*toy_data.make_circles(n=200, seed=0))


def test_make_moons_and_blobs_class_counts():
    _, y = toy_data.make_moons(n=101, seed=0)
    assert len(y) == 101 and set(np.unique(y)) == {0, 1}
    _, y = toy_data.make_blobs(n=120, centers=4, seed=0)
    np.testing.assert_array_equal(np.bincount(y), [30, 30, 30, 30])


@pytest.mark.parametrize("call, error, match", [
    (lambda: toy_data.make_xor(n_per_class=1), ValueError, "n_per_class"),
    (lambda: toy_data.make_xor(n_per_class=10.0), TypeError, "n_per_class must be an integer"),
    (lambda: toy_data.make_xor(noise=-0.1), ValueError, "noise"),
    (lambda: toy_data.make_xor(noise="big"), TypeError, "noise"),
    (lambda: toy_data.make_xor(seed=-1), ValueError, "seed"),
    (lambda: toy_data.make_xor(seed=None), TypeError, "seed"),
    (lambda: toy_data.make_xor(n_per_class=True), TypeError, "n_per_class"),
    (lambda: toy_data.make_banana_apple(n=1), ValueError, "n must be"),
    (lambda: toy_data.make_banana_apple(overlap=1.5), ValueError, "overlap"),
    (lambda: toy_data.make_banana_apple(overlap=float("nan")), ValueError, "overlap"),
    (lambda: toy_data.load_iris_binary(features="petal length (cm)"), ValueError, "pair"),
    (lambda: toy_data.load_iris_binary(features=("petal size", "sepal length (cm)")), ValueError, "unknown"),
    (lambda: toy_data.load_iris_binary(features=(0, 0)), ValueError, "different"),
    (lambda: toy_data.load_iris_binary(features=(0, 4)), ValueError, "between 0 and 3"),
    (lambda: toy_data.make_circles(factor=1.0), ValueError, "factor"),
    (lambda: toy_data.make_circles(n=0), ValueError, "n must be"),
    (lambda: toy_data.make_moons(noise=-1), ValueError, "noise"),
    (lambda: toy_data.make_blobs(centers=1), ValueError, "centers"),
    (lambda: toy_data.make_blobs(n=2, centers=3), ValueError, "n must be"),
    (lambda: toy_data.make_blobs(cluster_std=0), ValueError, "cluster_std"),
])
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
