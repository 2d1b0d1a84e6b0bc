"""Benchmark: one epoch of MNIST with ``MLP.fit``, the same network in Keras, and a bare NumPy loop (issue 14).

For each architecture (784-256-10 and 784-512-512-10, ReLU hidden layers, softmax output), one epoch of mini-batches
of 128 with plain SGD (learning rate 0.1) over the 60,000 training images, timed for:

* ``MLP.fit`` in float64 (the default) and in float32 (``MLP(..., dtype="float32")``), ``verbose=False``, each
  with the default ``train_metrics="exact"`` (one more forward pass over the training set after each epoch, for
  ``history``) and with ``train_metrics="running"`` (Keras's running mean over the mini-batches: no extra pass);
* Keras: the same Sequential network and optimizer (float32, ``shuffle=True``, ``verbose=0``), timed on its second
  ``fit`` call so that tracing and compiling are not counted, in a child process (TensorFlow's idle threads would
  slow down the NumPy timings that follow);
* a bare NumPy loop doing the training arithmetic of ``fit`` (shuffle, forward, softmax cross-entropy gradient,
  backward without the input gradient of the first layer, SGD step) in float64 and in float32, and the same loop plus
  the one forward pass over the training set (in chunks of 1024 rows, as ``fit`` does) with which ``fit`` records ``history["loss"]`` and
  ``history["accuracy"]`` after every epoch ("bare + eval": the arithmetic ``fit`` really does).

Each timing is the best of ``--repeat`` runs (a busy machine only ever adds time), and the runs are interleaved: round
r times every implementation once before round r + 1 starts, so that a burst of load from other processes hits them
alike instead of one implementation's whole series. Prints the load average before and after, seconds per epoch, the
ratios (``fit`` with exact metrics against "bare + eval", with running metrics against the bare loop, everything
against Keras, float64 against float32), and the test accuracy each NumPy model reaches after the epoch (float64 and
float32 should agree; the metrics mode does not change the training).
``--threads N`` caps the BLAS threads (threadpoolctl) and TensorFlow's intra-op threads; ``--cpu-time`` measures
process CPU time instead of wall time (with ``--threads 1``: the work, nearly independent of other load; not for
Keras, whose idle threads spin).

    python benchmarks/mlp_speed.py              # full MNIST, 3 repeats: a few minutes on 2 cores
    python benchmarks/mlp_speed.py --quick      # 10,000 images, 1 repeat
    python benchmarks/mlp_speed.py --no-keras   # without TensorFlow
    python benchmarks/mlp_speed.py --no-keras --threads 1 --cpu-time --repeat 5   # ratios on a loaded machine

On a virtual machine the first touch of fresh memory can be slow and erratic (here up to 0.5 s for the 188 MB of a
float32 copy of X, which every ``fit`` and bare run allocates anew). For stable ratios, let glibc keep freed memory
and reuse it: ``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=100000000000 python benchmarks/mlp_speed.py ...`` (the
header says whether these are set).

To time another version of ``course_utils`` (the code before issue 14, say), put its folder on ``PYTHONPATH``.
MNIST is read with ``course_utils.data.load_mnist`` (offline: set ``NN_COURSE_DATA``). Not part of the test suite.
Run it on an otherwise idle machine (check ``uptime``).
"""
import argparse
import os
import signal
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


CLOCK = time.perf_counter  # --cpu-time: time.process_time


def timed(function):
    """Return (the seconds one call of function() took on CLOCK, its result)."""
    start = CLOCK()
    result = function()
    return CLOCK() - start, result


def mlp_run(sizes, X, y, dtype, metrics):
    """One epoch of ``MLP.fit`` from a fresh seeded model; returns the model."""
    # the defaults are left out, so that float64 and "exact" also time the code from before issue 14
    kwargs = {} if dtype == "float64" else {"dtype": dtype}
    fit_kwargs = {} if metrics == "exact" else {"train_metrics": metrics}
    model = MLP(sizes, hidden_activation="relu", output="softmax", seed=SEED, **kwargs)
    model.fit(X, y, epochs=1, batch_size=BATCH_SIZE, optimizer="sgd", learning_rate=LEARNING_RATE, seed=SEED,
              verbose=False, **fit_kwargs)
    return model


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


def bare_run(sizes, X, Y, dtype, evaluate):
    """One epoch of the bare loop from the seeded model's weights (converting X and Y to dtype, as fit does)."""
    params = [p.astype(dtype) for p in MLP(sizes, "relu", "softmax", seed=SEED).params.values()]
    bare_epoch(params, X.astype(dtype, copy=False), Y.astype(dtype, copy=False), np.random.default_rng(SEED),
               evaluate)


class KerasEpochs:
    """A child process that builds the Keras network, compiles and traces it with a first epoch, then times one more
    epoch for each call. A child, because TensorFlow's thread pools keep spinning after ``fit`` and would slow down
    the NumPy timings of this process; a lasting one, so that its epochs interleave with the NumPy runs; stopped
    (SIGSTOP) between its epochs, because its spinning threads would slow down the NumPy timings all the same."""

    def __init__(self, sizes, n, threads):
        command = [sys.executable, __file__, "--keras-worker", ",".join(map(str, sizes)), str(n), str(threads or 0)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._read()  # "ready" once compiled and traced
        self.process.send_signal(signal.SIGSTOP)  # stopped between its epochs: its idle threads spin otherwise

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Keras worker exited with code {self.process.wait()}; see its messages above.")
        return line

    def __call__(self):
        self.process.send_signal(signal.SIGCONT)
        self.process.stdin.write("epoch\n")
        self.process.stdin.flush()
        seconds = float(self._read())
        self.process.send_signal(signal.SIGSTOP)
        return seconds

    def close(self):
        self.process.send_signal(signal.SIGCONT)
        self.process.stdin.close()
        self.process.wait()


def keras_worker(sizes, n, threads):
    from course_utils.tf_utils import quiet_tensorflow

    (x_train, y_train), _ = load_mnist()
    X, y = x_train[:n].reshape(n, -1).astype(np.float64) / 255.0, y_train[:n].astype(np.int64)

    tf, keras = quiet_tensorflow()
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
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
    print("ready", flush=True)
    for _ in sys.stdin:  # one epoch per line
        print(timed(run)[0], flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 training images and one repeat")
    parser.add_argument("--images", type=int, default=None, help="training images (default 60,000; 10,000 with --quick)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per timing, best kept (default 3; 1 with --quick)")
    parser.add_argument("--no-keras", action="store_true", help="skip Keras (no TensorFlow import)")
    parser.add_argument("--no-float32", action="store_true", help="skip MLP(dtype='float32') (e.g. for older code)")
    parser.add_argument("--no-running", action="store_true",
                        help="skip fit(train_metrics='running') (e.g. for older code)")
    parser.add_argument("--threads", type=int, default=None, help="BLAS (and TensorFlow intra-op) threads "
                        "(default: the libraries' own choice, one per core)")
    parser.add_argument("--cpu-time", action="store_true", help="time process CPU time instead of wall time")
    parser.add_argument("--keras-worker", nargs=3, help=argparse.SUPPRESS)  # sizes, images, threads (internal)
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.cpu_time else time.perf_counter
    if args.keras_worker:
        sizes, n, threads = args.keras_worker
        return keras_worker([int(size) for size in sizes.split(",")], int(n), int(threads))
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    n = args.images or (10_000 if args.quick else 60_000)
    repeat = args.repeat or (1 if args.quick else 3)

    (x_train, y_train), (x_test, y_test) = load_mnist()
    X = x_train[:n].reshape(n, -1).astype(np.float64) / 255.0
    y = y_train[:n].astype(np.int64)
    Y = np.eye(10)[y]
    X_test = x_test.reshape(len(x_test), -1).astype(np.float64) / 255.0
    print(f"course_utils from {Path(course_utils.__file__).parent}")
    print(f"MNIST: {n} training images, batch {BATCH_SIZE}, SGD lr {LEARNING_RATE}, 1 epoch, best of {repeat} "
          f"interleaved runs, {'CPU' if args.cpu_time else 'wall'} time, "
          f"{args.threads or 'default'} threads; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; "
          f"glibc keeps freed memory: {'yes' if os.environ.get('MALLOC_MMAP_MAX_') == '0' else 'no'}")

    for sizes in ARCHITECTURES:
        name = "-".join(map(str, sizes))
        runs, same_arithmetic = {}, {}  # label: function timed once per round; label: the bare loop it compares to
        for dtype in ("float64",) + (() if args.no_float32 else ("float32",)):
            for metrics in ("exact",) + (() if args.no_running else ("running",)):
                label = f"MLP.fit {dtype} {metrics}"
                runs[label] = lambda dtype=dtype, metrics=metrics: mlp_run(sizes, X, y, dtype, metrics)
                same_arithmetic[label] = f"bare {'+ eval' if metrics == 'exact' else 'loop'} {dtype}"
        keras = None if args.no_keras else KerasEpochs(sizes, n, args.threads)
        if keras:
            runs["Keras float32"] = None  # timed inside the worker
        for dtype in ("float64", "float32"):
            runs[f"bare loop {dtype}"] = lambda dtype=dtype: bare_run(sizes, X, Y, dtype, evaluate=False)
            runs[f"bare + eval {dtype}"] = lambda dtype=dtype: bare_run(sizes, X, Y, dtype, evaluate=True)
        times, accuracy = {label: np.inf for label in runs}, {}
        for _ in range(repeat):
            for label, run in runs.items():
                seconds, result = (keras(), None) if run is None else timed(run)
                times[label] = min(times[label], seconds)
                if label.startswith("MLP.fit"):
                    accuracy[label[len("MLP.fit "):]] = float(np.mean(result.predict(X_test) == y_test))
        if keras:
            keras.close()
        print(f"\n{name} (load average now {os.getloadavg()[0]:.2f})")
        print("| implementation | seconds per epoch | / the bare loop doing the same arithmetic | / Keras |")
        print("| --- | --- | --- | --- |")
        for label, seconds in times.items():
            bare = same_arithmetic.get(label)
            ratio = f"{seconds / times[bare]:.2f} ({bare})" if bare else ""
            versus_keras = f"{seconds / times['Keras float32']:.2f}" if "Keras float32" in times else ""
            print(f"| {label} | {seconds:.2f} | {ratio} | {versus_keras} |")
        for metrics in ("exact", "running"):
            if f"MLP.fit float32 {metrics}" in times:
                print(f"MLP.fit {metrics}: float64 / float32 = "
                      f"{times[f'MLP.fit float64 {metrics}'] / times[f'MLP.fit float32 {metrics}']:.2f}")
        print("test accuracy after the epoch: " + ", ".join(f"{k} {v:.4f}" for k, v in accuracy.items()))

if __name__ == "__main__":
    main()
