"""Benchmark: one epoch of MNIST with ``MLP.fit``, the same network in Keras, and a bare NumPy loop (issue 14).

For each architecture (784-256-10 and 784-512-512-10, ReLU hidden layers, softmax output), one epoch of mini-batches
of 128 with plain SGD (learning rate 0.1) over the 60,000 training images, timed for:

* ``MLP.fit`` in float64 (the default) and in float32 (``MLP(..., dtype="float32")``), ``verbose=False``;
* Keras: the same Sequential network and optimizer (float32, ``shuffle=True``, ``verbose=0``), timed on its second
  ``fit`` call so that tracing and compiling are not counted, in a child process (TensorFlow's idle threads would
  slow down the NumPy timings that follow);
* a bare NumPy loop doing the training arithmetic of ``fit`` (shuffle, forward, softmax cross-entropy gradient,
  backward without the input gradient of the first layer, SGD step) in float64 and in float32, and the same loop plus
  the one forward pass over the training set (in chunks of 1024 rows, as ``fit`` does) with which ``fit`` records ``history["loss"]`` and
  ``history["accuracy"]`` after every epoch ("bare + eval": the arithmetic ``fit`` really does).

Each timing is the best of ``--repeat`` runs (a busy machine only ever adds time). Prints seconds per epoch, the
ratios, and the test accuracy each NumPy model reaches after the epoch (float64 and float32 should agree).

    python benchmarks/mlp_speed.py              # full MNIST, 3 repeats: a few minutes on 2 cores
    python benchmarks/mlp_speed.py --quick      # 10,000 images, 1 repeat
    python benchmarks/mlp_speed.py --no-keras   # without TensorFlow

To time another version of ``course_utils`` (the code before issue 14, say), put its folder on ``PYTHONPATH``.
MNIST is read with ``course_utils.data.load_mnist`` (offline: set ``NN_COURSE_DATA``). Not part of the test suite.
Run it on an otherwise idle machine (check ``uptime``).
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

if not os.environ.get("PYTHONPATH"):  # PYTHONPATH=/path/to/other/checkout times that version of course_utils
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import course_utils  # noqa: E402
from course_utils.data import load_mnist  # noqa: E402
from course_utils.models import MLP  # noqa: E402

ARCHITECTURES = ([784, 256, 10], [784, 512, 512, 10])
BATCH_SIZE, LEARNING_RATE, SEED = 128, 0.1, 0


def best_time(function, repeat):
    """Return (the smallest wall time in seconds of ``repeat`` calls of function(), the last call's result)."""
    best, result = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def time_mlp(sizes, X, y, dtype, repeat):
    """Seconds for one epoch of ``MLP.fit``; returns (seconds, model after the last run)."""
    def run():
        kwargs = {} if dtype == "float64" else {"dtype": dtype}  # float64 also works with the code before issue 14
        model = MLP(sizes, hidden_activation="relu", output="softmax", seed=SEED, **kwargs)
        model.fit(X, y, epochs=1, batch_size=BATCH_SIZE, optimizer="sgd", learning_rate=LEARNING_RATE, seed=SEED,
                  verbose=False)
        return model
    return best_time(run, repeat)


def bare_epoch(params, X, Y, rng, evaluate):
    """One epoch of the bare loop on params [W1, b1, ..., WL, bL] (updated in place); X: (N, D), Y: (N, K) one-hot."""
    n, L = X.shape[0], len(params) // 2
    order = rng.permutation(n)
    for start in range(0, n, BATCH_SIZE):
        batch = order[start:start + BATCH_SIZE]
        a = [np.take(X, batch, axis=0)]
        for l in range(L):
            z = a[-1] @ params[2 * l] + params[2 * l + 1]
            a.append(np.maximum(z, 0.0) if l < L - 1 else z)
        scores = a[-1]
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        dz = (e / e.sum(axis=1, keepdims=True) - np.take(Y, batch, axis=0)) / batch.shape[0]
        for l in range(L - 1, -1, -1):
            dW, db = a[l].T @ dz, dz.sum(axis=0)
            if l > 0:
                dz = dz @ params[2 * l].T
                dz *= a[l] > 0
            params[2 * l] -= LEARNING_RATE * dW
            params[2 * l + 1] -= LEARNING_RATE * db
    if evaluate:  # what fit adds per epoch: loss and accuracy on the whole training set, one forward pass in chunks
        total, correct = 0.0, 0
        for start in range(0, n, 1024):
            a = X[start:start + 1024]
            for l in range(L):
                a = a @ params[2 * l] + params[2 * l + 1]
                a = np.maximum(a, 0.0) if l < L - 1 else a
            shifted = a - a.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            total -= float(np.sum(Y[start:start + 1024] * log_probs))
            correct += int(np.count_nonzero(a.argmax(axis=1) == Y[start:start + 1024].argmax(axis=1)))
        return total / n, correct / n
    return None


def time_bare(sizes, X, Y, dtype, repeat, evaluate):
    def run():
        params = [p.astype(dtype) for p in MLP(sizes, "relu", "softmax", seed=SEED).params.values()]
        bare_epoch(params, X.astype(dtype, copy=False), Y.astype(dtype, copy=False), np.random.default_rng(SEED),
                   evaluate)
    return best_time(run, repeat)[0]


def time_keras(sizes, n, repeat):
    """Seconds per Keras epoch, measured in a child process: TensorFlow's thread pools keep spinning after ``fit``
    and would slow down every NumPy timing that came after them in this process."""
    command = [sys.executable, __file__, "--keras-worker", ",".join(map(str, sizes)), str(n), str(repeat)]
    return float(subprocess.run(command, check=True, capture_output=True, text=True).stdout.split()[-1])


def keras_worker(sizes, n, repeat):
    from course_utils.tf_utils import quiet_tensorflow

    (x_train, y_train), _ = load_mnist()
    X, y = x_train[:n].reshape(n, -1).astype(np.float64) / 255.0, y_train[:n].astype(np.int64)

    _, keras = quiet_tensorflow()
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([keras.Input(shape=(sizes[0],))]
                             + [keras.layers.Dense(units, activation="relu") for units in sizes[1:-1]]
                             + [keras.layers.Dense(sizes[-1], activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE),
                  loss="sparse_categorical_crossentropy")
    X32 = X.astype(np.float32)

    def run():
        model.fit(X32, y, epochs=1, batch_size=BATCH_SIZE, shuffle=True, verbose=0)
    run()  # tracing and compiling
    print(best_time(run, repeat)[0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 training images and one repeat")
    parser.add_argument("--images", type=int, default=None, help="training images (default 60,000; 10,000 with --quick)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per timing, best kept (default 3; 1 with --quick)")
    parser.add_argument("--no-keras", action="store_true", help="skip Keras (no TensorFlow import)")
    parser.add_argument("--no-float32", action="store_true", help="skip MLP(dtype='float32') (e.g. for older code)")
    parser.add_argument("--keras-worker", nargs=3, help=argparse.SUPPRESS)  # sizes, images, repeat (internal)
    args = parser.parse_args(argv)
    if args.keras_worker:
        sizes, n, repeat = args.keras_worker
        return keras_worker([int(size) for size in sizes.split(",")], int(n), int(repeat))
    n = args.images or (10_000 if args.quick else 60_000)
    repeat = args.repeat or (1 if args.quick else 3)

    (x_train, y_train), (x_test, y_test) = load_mnist()
    X = x_train[:n].reshape(n, -1).astype(np.float64) / 255.0
    y = y_train[:n].astype(np.int64)
    Y = np.eye(10)[y]
    X_test = x_test.reshape(len(x_test), -1).astype(np.float64) / 255.0
    print(f"course_utils from {Path(course_utils.__file__).parent}")
    print(f"MNIST: {n} training images, batch {BATCH_SIZE}, SGD lr {LEARNING_RATE}, 1 epoch, best of {repeat}")

    for sizes in ARCHITECTURES:
        name = "-".join(map(str, sizes))
        times, accuracy = {}, {}
        for dtype in ("float64",) + (() if args.no_float32 else ("float32",)):
            times[f"MLP.fit {dtype}"], model = time_mlp(sizes, X, y, dtype, repeat)
            accuracy[dtype] = float(np.mean(model.predict(X_test) == y_test))
        if not args.no_keras:
            times["Keras float32"] = time_keras(sizes, n, repeat)
        for dtype in ("float64", "float32"):
            times[f"bare loop {dtype}"] = time_bare(sizes, X, Y, dtype, repeat, evaluate=False)
            times[f"bare + eval {dtype}"] = time_bare(sizes, X, Y, dtype, repeat, evaluate=True)
        print(f"\n{name}")
        print("| implementation | seconds per epoch | / bare loop (same dtype) | / bare + eval (same dtype) |")
        print("| --- | --- | --- | --- |")
        for label, seconds in times.items():
            dtype = "float32" if "float32" in label else "float64"
            print(f"| {label} | {seconds:.2f} | {seconds / times[f'bare loop {dtype}']:.2f} | "
                  f"{seconds / times[f'bare + eval {dtype}']:.2f} |")
        fit64 = times["MLP.fit float64"]
        if "Keras float32" in times:
            print(f"MLP.fit float64 / Keras: {fit64 / times['Keras float32']:.2f}", end="")
            if "MLP.fit float32" in times:
                print(f"; MLP.fit float32 / Keras: {times['MLP.fit float32'] / times['Keras float32']:.2f}", end="")
            print()
        if "MLP.fit float32" in times:
            print(f"MLP.fit float64 / float32: {fit64 / times['MLP.fit float32']:.2f}")
        print("test accuracy after the epoch: " + ", ".join(f"{k} {v:.4f}" for k, v in accuracy.items()))


if __name__ == "__main__":
    main()
