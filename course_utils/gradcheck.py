"""Gradient checking: compare an analytic gradient with centred finite differences.

The centred difference ``(f(x + h) - f(x - h)) / (2 h)`` has an error of order ``h**2`` (truncation) plus
``eps * |f| / h`` (rounding, ``eps`` about 1e-16 in float64); with ``h = 1e-5`` both are about 1e-10, so a correct
gradient of a smooth function agrees to a relative error of about 1e-7 or better. Relative errors of

* below 1e-7: the gradient is right (smooth function, float64);
* 1e-7 to 1e-4: suspicious, unless the function has kinks (ReLU, max) and some input lies within ``h`` of one,
  where the finite difference straddles the kink and is simply wrong;
* above 1e-4: the gradient is almost certainly wrong.

Checks need float64: in float32 the rounding error alone is about 1e-2.

:func:`rel_error` is the course's one definition of a relative error: the assignments' checks
(:mod:`course_utils.exercise_checks`) report it too, and their ``check_gradient`` takes the arguments of this module's.
"""
import numpy as np

from ._validation import as_float_array, check_positive_number

__all__ = ["numerical_gradient", "rel_error", "check_gradient", "GradientCheckReport", "SMOOTH_TOL", "KINK_TOL"]

SMOOTH_TOL = 1e-7  # acceptable relative error for a smooth function in float64
KINK_TOL = 1e-4  # acceptable relative error when the function has kinks (ReLU, max) near the inputs


def _scalar(value, what):
    arr = np.asarray(value)
    if arr.size != 1 or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{what} must return a single number (the loss); got {type(value).__name__} "
                        f"of shape {getattr(arr, 'shape', ())}. Pass df=... to check a function with array output.")
    return float(arr.reshape(()))


def numerical_gradient(f, x, h=1e-5, df=None):
    """Centred finite-difference gradient of ``f`` at ``x``.

    f: a function of x returning a number, e.g. ``lambda W: model.loss(X, y)[0]`` (it may ignore its argument and
        read x through a closure: x is perturbed in place, one entry at a time).
    x: float64 array of any shape, e.g. (D, M) weights. It is modified during the computation and restored exactly
        (even if f raises), so afterwards it holds its original values.
    h: step size.
    df: optional upstream gradient, the shape of f(x); when given, f may return an array and the gradient of
        ``sum(f(x) * df)`` is returned (the check of a layer's backward pass for a given dout).
    Returns an array of the shape of x: d f / d x.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of x; got {type(f).__name__}.")
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("x must be a float64 NumPy array, because it is perturbed in place; got "
                        f"{type(x).__name__}{' of dtype ' + str(x.dtype) if isinstance(x, np.ndarray) else ''}. "
                        "Convert it first with x = np.asarray(x, dtype=float).")
    h = check_positive_number(h, "h")
    if df is not None:
        df = as_float_array(df, "df")

    def value():
        out = f(x)
        if df is None:
            return _scalar(out, "f")
        out = as_float_array(out, "f(x)")
        if out.shape != df.shape:
            raise ValueError(f"f(x) has shape {out.shape} but df has shape {df.shape}; expected df of shape {out.shape}.")
        return float(np.sum(out * df))

    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        try:
            x[idx] = old + h
            f_plus = value()
            x[idx] = old - h
            f_minus = value()
        finally:
            x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2.0 * h)
    return grad


def _elementwise_rel_error(a, b, floor):
    return np.abs(a - b) / np.maximum(floor, np.abs(a) + np.abs(b))


def rel_error(a, b, floor=1e-8):
    """Largest element-wise relative error ``|a - b| / max(floor, |a| + |b|)`` between two arrays of the same shape.

    a, b: arrays of the same shape (or numbers). floor: keeps the error finite where both are (nearly) zero.
    Returns a float: about 1e-7 or less means the two agree to float64 gradient-check precision.
    """
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} but b has shape {b.shape}; expected arrays of the same shape.")
    if a.size == 0:
        return 0.0
    return float(np.max(_elementwise_rel_error(a, b, floor)))


class GradientCheckReport:
    """The result of ``check_gradient``: where the analytic and numerical gradients disagree most.

    Attributes: name, passed (bool, also ``bool(report)``), index (the worst entry: the failing one with the largest
    relative error if any fails, else the one with the largest relative error), max_rel_error, abs_error, analytic
    and numeric (the errors and both gradients' values at that entry), tol (the
    acceptable relative error), atol, n_checked, n_failed, analytic_grad and numeric_grad (the full arrays).
    An entry agrees when its relative error is at most ``tol`` or its absolute error at most ``atol``: entries many
    orders of magnitude smaller than the loss are below what finite differences can resolve.
    """

    def __init__(self, name, analytic_grad, numeric_grad, tol, atol=1e-10, floor=1e-8):
        with np.errstate(invalid="ignore"):  # inf - inf, inf / inf: NaN, which fails below
            errors = _elementwise_rel_error(analytic_grad, numeric_grad, floor)
            abs_errors = np.abs(analytic_grad - numeric_grad)
        failed = ~((errors <= tol) | (abs_errors <= atol))  # NaN (a NaN or inf gradient) fails
        self.name, self.tol, self.atol = name, tol, atol
        self.analytic_grad, self.numeric_grad = analytic_grad, numeric_grad
        self.n_checked, self.n_failed = errors.size, int(np.sum(failed))
        self.passed = self.n_failed == 0
        self.index, self.max_rel_error, self.analytic, self.numeric, self.abs_error = (), 0.0, 0.0, 0.0, 0.0
        if errors.size:
            worst = np.where(failed, errors, -1.0) if failed.any() else errors
            self.index = tuple(int(i) for i in np.unravel_index(np.argmax(worst), errors.shape))
            self.max_rel_error = float(errors[self.index])
            self.analytic = float(analytic_grad[self.index])
            self.numeric = float(numeric_grad[self.index])
            self.abs_error = float(abs_errors[self.index])

    ok = property(lambda self: self.passed, doc="Alias of ``passed``.")

    def __bool__(self):
        return self.passed

    def __str__(self):
        verdict = "PASSED" if self.passed else "FAILED"
        lines = [
            f"gradient check {verdict} for {self.name} (shape {self.analytic_grad.shape}, {self.n_checked} entries)",
            f"  worst relative error {self.max_rel_error:.2e} at index {self.index}: "
            f"analytic {self.analytic:.10g}, numeric {self.numeric:.10g}",
            f"  acceptable: below {self.tol:.0e} (about {SMOOTH_TOL:.0e} for a smooth function in float64, "
            f"up to {KINK_TOL:.0e} near ReLU kinks)",
        ]
        if self.passed and self.max_rel_error > self.tol:
            lines.append(f"  (that entry's absolute error {self.abs_error:.1e} is below atol={self.atol:.0e}: too small "
                         "for finite differences to resolve, so it counts as agreeing)")
        if not self.passed:
            lines.append(f"  {self.n_failed} of {self.n_checked} entries are above the tolerance; "
                         "the first thing to check is the analytic gradient at that index.")
        return "\n".join(lines)

    def __repr__(self):
        return (f"GradientCheckReport(name={self.name!r}, passed={self.passed}, max_rel_error={self.max_rel_error:.2e}, "
                f"index={self.index}, analytic={self.analytic:.6g}, numeric={self.numeric:.6g}, tol={self.tol:.0e}, "
                f"atol={self.atol:.0e})")

    def _repr_pretty_(self, printer, cycle):  # IPython/Jupyter shows the readable form
        printer.text(str(self))


def check_gradient(f, x, analytic_grad, *, name="x", df=None, h=1e-5, tol=SMOOTH_TOL, atol=1e-10):
    """Compare an analytic gradient with ``numerical_gradient(f, x, h)`` and return a readable report.

    f: function of x returning the loss (see numerical_gradient).
    x: float64 array, the point where the gradient is checked (restored after the check).
    analytic_grad: your gradient, the shape of x.
    name: what x is called in the report, e.g. "W1". df: upstream gradient for array-valued f (see numerical_gradient).
    h: finite-difference step. tol: acceptable relative error (SMOOTH_TOL = 1e-7 for smooth functions in
        float64; use KINK_TOL = 1e-4 when inputs may lie near ReLU kinks).
    atol: entries whose absolute error is at most atol pass whatever their relative error: rounding limits a finite
        difference to an absolute accuracy of about 1e-16 * |f| / h (1e-11 for a loss near 1), so the relative error
        of an entry 1e4 times smaller than the loss says nothing about your gradient.
    Returns a GradientCheckReport: ``print(report)`` explains the result, ``report.passed`` is a bool.

    Example::

        report = check_gradient(lambda W: model.loss(X, y)[0], model.params["W1"], grads["W1"], name="W1")
        print(report)
    """
    tol = check_positive_number(tol, "tol")
    analytic_grad = as_float_array(analytic_grad, "analytic_grad")
    shape = x.shape if isinstance(x, np.ndarray) else np.shape(x)
    if analytic_grad.shape != shape:
        raise ValueError(f"analytic_grad has shape {analytic_grad.shape} but {name} has shape {shape}; "
                         f"expected analytic_grad of shape {shape} (a gradient has the shape of what it differentiates).")
    numeric_grad = numerical_gradient(f, x, h=h, df=df)
    atol = check_positive_number(atol, "atol", allow_zero=True)
    return GradientCheckReport(name, analytic_grad, numeric_grad, tol, atol=atol)
