"""Import TensorFlow and Keras without their C++ log noise on stderr.

TensorFlow reads its logging variables once, at import time, so they must be set before the first import.
``TF_CPP_MIN_LOG_LEVEL=2`` alone does not silence the oneDNN banner; ``TF_ENABLE_ONEDNN_OPTS=0`` does.
The GPU build of TensorFlow also writes "Could not find cuda drivers" / "failed call to cuInit" lines from C++
before its logging is configured; no variable silences those, so the import and the device discovery run with the
process's stderr file descriptor pointed at ``/dev/null`` (Python-level errors are still raised normally).
"""
import contextlib
import os
import sys

_CACHE = {}


@contextlib.contextmanager
def _stderr_fd_silenced():
    """Point file descriptor 2 at /dev/null for the duration of the block (C++ writes bypass ``sys.stderr``)."""
    try:
        sys.stderr.flush()
    except Exception:  # pragma: no cover - a closed or odd stderr
        pass
    try:
        saved = os.dup(2)
    except OSError:  # pragma: no cover - no fd 2 (e.g. some Windows GUIs)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_tensorflow():
    """Return ``(tf, keras)`` with TensorFlow's log lines silenced.

    Use this instead of ``import tensorflow`` in lectures, assignments and tests: nbgrader gives a test cell zero
    points for any output on stderr, and lecture outputs should carry no framework noise.
    """
    if "tf" not in _CACHE:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
        with _stderr_fd_silenced():
            import tensorflow as tf

            tf.get_logger().setLevel("ERROR")
            tf.config.list_physical_devices()  # device discovery prints cuInit errors on machines without a GPU
            import keras
        try:
            import absl.logging

            absl.logging.set_verbosity(absl.logging.ERROR)
        except ImportError:  # pragma: no cover - absl ships with TensorFlow
            pass
        _CACHE["tf"], _CACHE["keras"] = tf, keras
    return _CACHE["tf"], _CACHE["keras"]
