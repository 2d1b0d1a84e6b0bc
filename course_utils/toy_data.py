"""Seeded toy data sets for the lectures and assignments: small, two-dimensional, drawable.

Every function returns ``(X, y)`` with

- ``X: (N, 2)`` float64 inputs, one example per row,
- ``y: (N,)`` integer labels (``0``/``1`` for the binary sets, ``0..K-1`` for :func:`make_blobs`),

and every random one takes a ``seed`` so that the same call always gives the same data.

=========================  ==================================================================================
``make_xor``               four noisy clusters at the corners of the unit square; label = x1 XOR x2
``make_banana_apple``      fruit described by (hue, elongation); linearly separable unless ``overlap > 0``
``load_iris_binary``       Fisher's iris (bundled with scikit-learn, offline): setosa (1) versus the rest (0)
``make_circles``           a ring (0) around a disc (1), from :func:`sklearn.datasets.make_circles`
``make_moons``             two interleaved half moons, from :func:`sklearn.datasets.make_moons`
``make_blobs``             ``K`` Gaussian blobs for softmax regression, from :func:`sklearn.datasets.make_blobs`
=========================  ==================================================================================
"""
import numbers

import numpy as np

__all__ = [
    "make_xor",
    "make_banana_apple",
    "load_iris_binary",
    "make_circles",
    "make_moons",
    "make_blobs",
    "BANANA_APPLE_FEATURES",
    "BANANA_APPLE_CLASSES",
    "IRIS_FEATURES",
    "IRIS_BINARY_CLASSES",
]

#: Column names of :func:`make_banana_apple`'s ``X``, for axis labels.
BANANA_APPLE_FEATURES = ("hue (degrees)", "elongation (length / width)")
#: Class names of :func:`make_banana_apple`'s ``y``: ``y == 0`` is an apple, ``y == 1`` a banana.
BANANA_APPLE_CLASSES = ("apple", "banana")
#: The four iris measurements that :func:`load_iris_binary` can choose from (scikit-learn's names).
IRIS_FEATURES = ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)")
#: Class names of :func:`load_iris_binary`'s ``y``: ``y == 0`` is versicolor or virginica, ``y == 1`` is setosa.
IRIS_BINARY_CLASSES = ("not setosa", "setosa")


# --------------------------------------------------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------------------------------------------------
def _check_int(name, value, low, high=None):
    """Return ``value`` as an int after checking low <= value (<= high); bools are not integers here."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {value!r} of type {type(value).__name__}.")
    if value < low or (high is not None and value > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {bounds}; got {value}.")
    return int(value)


def _check_float(name, value, low, high=None, low_inclusive=True, high_inclusive=True):
    """Return ``value`` as a float after checking that it is a finite real number in the given interval."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r} of type {type(value).__name__}.")
    value = float(value)
    too_low = value < low if low_inclusive else value <= low
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if not np.isfinite(value) or too_low or too_high:
        left = "[" if low_inclusive else "("
        right = ")" if high is None or not high_inclusive else "]"
        interval = f"{left}{low}, {'inf' if high is None else high}{right}"
        raise ValueError(f"{name} must be a finite number in {interval}; got {value}.")
    return value


def _check_seed(seed):
    """A seed is a non-negative integer (None is refused: every data set in the course is reproducible)."""
    if seed is None:
        raise TypeError("seed must be a non-negative integer (None is not allowed: the course's data is seeded).")
    return _check_int("seed", seed, 0)


def _pack(X, y):
    """Return the (X float64 (N, 2), y int64 (N,)) pair that every function here promises."""
    return np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(y, dtype=np.int64)


# --------------------------------------------------------------------------------------------------------------------
# data sets
# --------------------------------------------------------------------------------------------------------------------
def make_xor(n_per_class=500, noise=0.2, seed=0):
    """Noisy XOR: Gaussian clusters around the four corners of the unit square.

    The corners (0, 0) and (1, 1) are class 0, the corners (0, 1) and (1, 0) are class 1, so that the label is
    ``x1 XOR x2`` of the nearest corner. Each class has ``n_per_class`` points, split as evenly as possible between
    its two corners, with isotropic Gaussian noise of standard deviation ``noise`` added. The rows are shuffled.

    n_per_class: int >= 2, points per class; noise: float >= 0, standard deviation of the noise; seed: int >= 0.
    Returns ``X: (2 * n_per_class, 2)`` float64 inputs and ``y: (2 * n_per_class,)`` int labels in {0, 1}.
    """
    n_per_class = _check_int("n_per_class", n_per_class, 2)
    noise = _check_float("noise", noise, 0.0)
    rng = np.random.default_rng(_check_seed(seed))
    corners = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    labels = np.array([0, 0, 1, 1])
    first_half = n_per_class // 2
    counts = [first_half, n_per_class - first_half] * 2
    centres = np.repeat(corners, counts, axis=0)
    y = np.repeat(labels, counts)
    X = centres + noise * rng.standard_normal(centres.shape)
    order = rng.permutation(len(y))
    return _pack(X[order], y[order])


# Class-conditional distributions of the fruit data: mean and standard deviation of (hue in degrees, elongation).
_APPLE_MEAN, _APPLE_STD = np.array([22.0, 1.15]), np.array([7.0, 0.12])
_BANANA_MEAN, _BANANA_STD = np.array([52.0, 2.6]), np.array([6.0, 0.45])
# Points nearer than this to the separating line (in units of the pooled standard deviations) are redrawn when
# overlap == 0, which guarantees a positive margin and hence that the perceptron converges.
_FRUIT_MARGIN = 0.5


def make_banana_apple(n=100, overlap=0.0, seed=0):
    """A toy "banana or apple?" data set with two features: hue and elongation.

    Column 0 is the hue in degrees on the colour wheel (0 = red, 60 = yellow), column 1 the elongation, the ratio of
    length to width (1 = round). Apples (``y == 0``) are red to orange and round, bananas (``y == 1``) yellow and long.
    The names are in :data:`BANANA_APPLE_FEATURES` and :data:`BANANA_APPLE_CLASSES`.

    With ``overlap == 0`` (the default) the two classes are linearly separable with a clear margin: points that fall
    too close to the line half-way between the class means are redrawn. With ``0 < overlap <= 1`` nothing is redrawn,
    the class means move towards each other (by ``overlap`` times 80% of the distance between them) and the spread
    grows, so the classes overlap more and more and no line separates them.

    n: int >= 2, number of fruit (``n // 2`` apples, the rest bananas); overlap: float in [0, 1]; seed: int >= 0.
    Returns ``X: (n, 2)`` float64 inputs (hue, elongation) and ``y: (n,)`` int labels (0 apple, 1 banana).
    """
    n = _check_int("n", n, 2)
    overlap = _check_float("overlap", overlap, 0.0, 1.0)
    rng = np.random.default_rng(_check_seed(seed))
    n_apples = n // 2
    n_bananas = n - n_apples
    middle = (_APPLE_MEAN + _BANANA_MEAN) / 2
    shift = 0.4 * overlap * (_BANANA_MEAN - _APPLE_MEAN)
    spread = 1.0 + overlap
    scale = (_APPLE_STD + _BANANA_STD) / 2
    # Unit normal of the line half-way between the means, in standardised coordinates; positive side = banana.
    normal = (_BANANA_MEAN - _APPLE_MEAN) / scale
    normal /= np.linalg.norm(normal)

    def draw(mean, std, count, sign):
        out = np.empty((0, 2))
        while len(out) < count:
            pts = mean + spread * std * rng.standard_normal((2 * count, 2))
            pts[:, 1] = np.maximum(pts[:, 1], 1.0)  # a fruit is never wider than it is long
            if overlap == 0.0:
                distance = ((pts - middle) / scale) @ normal
                pts = pts[sign * distance > _FRUIT_MARGIN]
            out = np.concatenate([out, pts])
        return out[:count]

    apples = draw(_APPLE_MEAN + shift, _APPLE_STD, n_apples, -1.0)
    bananas = draw(_BANANA_MEAN - shift, _BANANA_STD, n_bananas, 1.0)
    X = np.concatenate([apples, bananas])
    y = np.concatenate([np.zeros(n_apples, dtype=np.int64), np.ones(n_bananas, dtype=np.int64)])
    order = rng.permutation(n)
    return _pack(X[order], y[order])


def load_iris_binary(features=("sepal length (cm)", "petal length (cm)")):
    """Fisher's iris flowers as a binary problem: setosa (``y == 1``) versus versicolor and virginica (``y == 0``).

    The data ships with scikit-learn (:func:`sklearn.datasets.load_iris`), so it needs no download. By default the two
    features are sepal length and petal length (in cm), on which setosa is linearly separable from the rest with a
    wide margin; any two of :data:`IRIS_FEATURES` can be chosen by name or column index (setosa is separable on every
    pair, but on sepal length and sepal width the margin is narrow and the perceptron needs hundreds of epochs).

    features: two distinct names from :data:`IRIS_FEATURES` or column indices 0..3 (in the order to return them).
    Returns ``X: (150, 2)`` float64 measurements and ``y: (150,)`` int labels (1 setosa, 0 other).
    """
    from sklearn.datasets import load_iris

    if isinstance(features, (str, bytes)) or not hasattr(features, "__len__") or len(features) != 2:
        raise ValueError(f"features must be a pair of two feature names or indices, e.g. "
                         f"('sepal length (cm)', 'petal length (cm)'); got {features!r}.")
    columns = []
    for feature in features:
        if isinstance(feature, str):
            if feature not in IRIS_FEATURES:
                raise ValueError(f"unknown iris feature {feature!r}; choose from {list(IRIS_FEATURES)}.")
            columns.append(IRIS_FEATURES.index(feature))
        else:
            columns.append(_check_int("feature index", feature, 0, 3))
    if columns[0] == columns[1]:
        raise ValueError(f"features must be two different columns; got {features!r} twice the same.")
    iris = load_iris()
    X = iris.data[:, columns]
    y = (iris.target == 0).astype(np.int64)
    return _pack(X, y)


def make_circles(n=500, noise=0.1, factor=0.5, seed=0):
    """A ring (``y == 0``) around a smaller disc-like ring (``y == 1``): not linearly separable, easy for an MLP.

    A thin wrapper of :func:`sklearn.datasets.make_circles` with a seed and argument checks.
    n: int >= 2, number of points (half per class); noise: float >= 0, standard deviation of the Gaussian noise;
    factor: float in (0, 1), radius of the inner circle relative to the outer one (radius 1); seed: int >= 0.
    Returns ``X: (n, 2)`` float64 inputs and ``y: (n,)`` int labels in {0, 1}.
    """
    from sklearn.datasets import make_circles as _sk_make_circles

    n = _check_int("n", n, 2)
    noise = _check_float("noise", noise, 0.0)
    factor = _check_float("factor", factor, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
    X, y = _sk_make_circles(n_samples=n, noise=noise, factor=factor, random_state=_check_seed(seed))
    return _pack(X, y)


def make_moons(n=500, noise=0.1, seed=0):
    """Two interleaved half moons (``y == 0`` above, ``y == 1`` below): a gently non-linear boundary.

    A thin wrapper of :func:`sklearn.datasets.make_moons` with a seed and argument checks.
    n: int >= 2, number of points (half per class); noise: float >= 0, standard deviation of the Gaussian noise;
    seed: int >= 0.
    Returns ``X: (n, 2)`` float64 inputs and ``y: (n,)`` int labels in {0, 1}.
    """
    from sklearn.datasets import make_moons as _sk_make_moons

    n = _check_int("n", n, 2)
    noise = _check_float("noise", noise, 0.0)
    X, y = _sk_make_moons(n_samples=n, noise=noise, random_state=_check_seed(seed))
    return _pack(X, y)


def make_blobs(n=300, centers=3, cluster_std=1.0, seed=0):
    """``centers`` round Gaussian blobs in the plane, one class each: the toy problem for softmax regression.

    A thin wrapper of :func:`sklearn.datasets.make_blobs` with a seed and argument checks; the centres are drawn
    uniformly in the box [-10, 10]^2 (scikit-learn's default), so they depend on the seed.
    n: int >= centers, number of points (split evenly); centers: int >= 2, number of classes K;
    cluster_std: float > 0, standard deviation of each blob; seed: int >= 0.
    Returns ``X: (n, 2)`` float64 inputs and ``y: (n,)`` int labels in {0, ..., K - 1}.
    """
    from sklearn.datasets import make_blobs as _sk_make_blobs

    centers = _check_int("centers", centers, 2)
    n = _check_int("n", n, centers)
    cluster_std = _check_float("cluster_std", cluster_std, 0.0, low_inclusive=False)
    X, y = _sk_make_blobs(n_samples=n, n_features=2, centers=centers, cluster_std=cluster_std,
                          random_state=_check_seed(seed))
    return _pack(X, y)
