"""Shared input checks for the numerical core.

Every public function of ``activations``, ``losses``, ``layers``, ``gradcheck``, ``optim`` and ``models`` runs its
inputs through these helpers, so a wrong input fails early with a message that says what was expected, what was
given, and (where there is one) the usual fix.
"""
import numbers

import numpy as np


def as_float_array(x, name, ndim=None, shape="", allow_nonfinite=True, dtype=np.float64):
    """Return ``x`` as a float64 NumPy array (or ``dtype``, e.g. float32 for a float32 model), or raise a clear error.

    x: array-like of numbers (a NumPy array, a nested list, a scalar).
    name: the argument's name, used in messages ("x", "W", ...).
    ndim: the required number of dimensions, or None for any.
    shape: how the expected shape is written in messages, e.g. "(N, D)".
    allow_nonfinite: when False, NaN or inf anywhere raises ``ValueError``.
    dtype: the floating dtype of the result (float64 unless a float32 model asks for float32).
    Returns a float64 (``dtype``) array (a copy only when a conversion is needed).
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers; got {type(x).__name__} {x!r}.")
    try:
        arr = np.asarray(x)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers {shape}; got a ragged sequence ({err}).")
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of numbers; got an array of dtype {arr.dtype}.")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real-valued; got complex dtype {arr.dtype}.")
    arr = np.asarray(arr, dtype=dtype)
    if ndim is not None and arr.ndim != ndim:
        expected = f" of shape {shape}" if shape else ""
        hint = ""
        if ndim == 2 and arr.ndim == 1:
            hint = (f" For a single example use {name}.reshape(1, -1); for a single feature use "
                    f"{name}.reshape(-1, 1).")
        raise ValueError(f"{name} must be a {ndim}-D array{expected}; got shape {arr.shape}.{hint}")
    if not allow_nonfinite:
        check_finite(arr, name)
    return arr


def check_finite(arr, name, hint=""):
    """Raise ``ValueError`` naming the first NaN/inf entry of ``arr`` (any shape); ``hint`` is appended."""
    if np.size(arr) > 65536:
        # A large array: its sum is NaN or inf whenever an entry is, and costs one read instead of a mask as large as
        # the array (half the time); the mask is built only when the sum is not finite (or finite entries overflow).
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.sum(arr)):
                return
    finite = np.isfinite(arr)
    if not finite.all():
        where = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(f"{name} contains {arr[where]} at index {where}; expected finite numbers.{hint}")


def check_choice(value, name, choices):
    """Return ``value`` after checking it is one of the strings ``choices`` (a sequence, listed in the message)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}; got {value!r}.")
    return value


def check_positive_number(value, name, allow_zero=False):
    """Return ``value`` as a float after checking it is a real number > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}.")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r}.")
    return value


def check_positive_int(value, name, minimum=1):
    """Return ``value`` as an int after checking it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__} {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}.")
    return int(value)


def check_in_range(value, name, low, high, integer=False):
    """Return ``value`` (an int with ``integer``, else a float) after checking ``low <= value <= high``.

    A bool is not a number here; NaN is out of every range.
    """
    kind, wanted = ("an integer", numbers.Integral) if integer else ("a number", numbers.Real)
    if isinstance(value, bool) or not isinstance(value, wanted):
        raise TypeError(f"{name} must be {kind} between {low} and {high}; got {value!r} of type "
                        f"{type(value).__name__}.")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}; got {value}.")
    return int(value) if integer else float(value)


def check_rows(arr, n, name, other="X"):
    """Raise ``ValueError`` unless ``arr`` has ``n`` rows (one per example of ``other``)."""
    if arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} rows but {other} has {n} examples; "
                         f"expected one row of {name} per example of {other}.")


def as_labels(y, n_classes=None, name="y"):
    """Return integer class labels ``y: (N,)`` as an int64 array, checking they lie in ``[0, n_classes)``.

    Float arrays are accepted when every entry is a whole number (labels loaded as 0.0/1.0).
    """
    if isinstance(y, (str, bytes)) or y is None:
        raise TypeError(f"{name} must be an array of integer class labels; got {type(y).__name__}.")
    arr = np.asarray(y)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of integer class labels; got dtype {arr.dtype}.")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of integer class labels of shape (N,); got shape {arr.shape}.")
    if not np.issubdtype(arr.dtype, np.integer) and arr.dtype != bool:
        bad = arr[~np.isfinite(arr) | (arr != np.round(arr))] if arr.size else arr
        if bad.size:
            raise ValueError(f"{name} must hold integer class labels 0, 1, ..., K-1; got non-integer values such as "
                             f"{bad[:3]}.")
    labels = arr.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"{name} must hold class labels 0, 1, ..., K-1; got the negative label {labels.min()}.")
    if n_classes is not None and labels.size and labels.max() >= n_classes:
        raise ValueError(f"{name} holds the label {labels.max()} but there are only {n_classes} classes; "
                         f"expected labels in 0, 1, ..., {n_classes - 1}.")
    return labels
