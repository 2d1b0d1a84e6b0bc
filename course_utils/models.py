"""Reference models, from the perceptron to the multi-layer perceptron.

Interface, shared by every model of this module::

    model.params                    # dict of float64 arrays: {"W": (D, 1), "b": (1,)} or {"W1", "b1", "W2", ...}
    scores = model.loss(X)          # X: (N, D) inputs, one example per row -> (N, M) scores (the last layer's z)
    loss, grads = model.loss(X, y)  # mean loss over the batch and {name: d loss / d params[name]}
    model.predict(X)                # (N,) class labels (or (N,) / (N, M) values for a linear output)
    history = model.fit(X, y, ...)  # trains model.params in place; history["loss"][epoch], ...

The Perceptron is the exception: it has no loss to differentiate, and ``fit`` runs its own learning rule.

Every weight matrix is ``(fan_in, fan_out)``, the layout of a Keras ``Dense`` kernel, so ``MLP.to_keras()`` and
``MLP.from_keras(model)`` move weights to and from Keras unchanged. Losses are computed from the scores (logits), so
they are exact even for confident predictions (see ``losses.sigmoid_cross_entropy``). With ``l2 > 0`` the loss gains
``l2 / 2 * sum(W**2)`` over every weight matrix (not the biases), and each ``dW`` gains ``l2 * W``.
"""
import numpy as np
from tqdm.auto import tqdm

from . import losses
from ._validation import (as_float_array, as_labels, check_choice, check_finite, check_positive_int,
                          check_positive_number, check_rows)
from .activations import sigmoid, softmax, step
from .optim import SGD, Adam, Momentum, RMSprop, _check_params_and_grads, get_optimizer

_BUILTIN_OPTIMIZERS = (SGD, Momentum, RMSprop, Adam)

__all__ = ["Perceptron", "LogisticRegression", "SoftmaxRegression", "MLP"]


def _check_X(X, n_features, dtype=np.float64):
    X = as_float_array(X, "X", ndim=2, shape=f"(N, {n_features})", allow_nonfinite=False, dtype=dtype)
    if X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features (columns) but the model expects {n_features}; "
                         f"expected X of shape (N, {n_features}).")
    return X


def _binary_labels(y, n):
    """Return 0/1 labels y: (N,) (an (N, 1) column is accepted) as int64, checking there is one per example."""
    if np.ndim(y) == 2 and np.shape(y)[1] == 1:
        y = np.reshape(y, -1)
    y = as_labels(y, n_classes=2, name="y")
    check_rows(y, n, "y")
    return y


class Perceptron:
    """Rosenblatt's perceptron: ``y_hat = step(x @ W + b)`` with labels 0/1, trained by its own learning rule.

    For each example, ``error = y - y_hat`` is 0 (right), +1 or -1 (wrong), and ``W += learning_rate * error * x``,
    ``b += learning_rate * error``. On linearly separable data this stops making mistakes after finitely many
    updates (the perceptron convergence theorem); ``fit`` stops after the first epoch without a mistake.

    params: {"W": (D, 1) weights, "b": (1,) bias}, both starting at zero.
    """

    def __init__(self, n_features, learning_rate=1.0, seed=0):
        self.n_features = check_positive_int(n_features, "n_features")
        self.learning_rate = check_positive_number(learning_rate, "learning_rate")
        self.seed = seed
        self.params = {"W": np.zeros((self.n_features, 1)), "b": np.zeros(1)}

    def predict(self, X):
        """X: (N, D) inputs. Returns (N,) int labels 0/1 (``step(0) = 1``: a point on the boundary is class 1)."""
        X = _check_X(X, self.n_features)
        return step(X @ self.params["W"] + self.params["b"])[:, 0].astype(np.int64)

    def update(self, x, y):
        """Apply the learning rule to one example x: (D,) with label y (0 or 1). Returns True if it was a mistake."""
        x = as_float_array(x, "x", ndim=1, shape=f"({self.n_features},)", allow_nonfinite=False)
        if x.shape[0] != self.n_features:
            raise ValueError(f"x has {x.shape[0]} features but the model expects {self.n_features}.")
        return self._update(x, int(_binary_labels([y], 1)[0]))

    def _update(self, x, y):
        """The learning rule itself, on a checked example x: (D,) and label y in {0, 1}."""
        y_hat = step(x @ self.params["W"][:, 0] + self.params["b"][0])
        error = y - y_hat  # 0 if right, +1 or -1 if wrong
        self.params["W"][:, 0] += self.learning_rate * error * x
        self.params["b"] += self.learning_rate * error
        return bool(error != 0)

    def fit(self, X, y, max_epochs=100, shuffle=True):
        """Run the learning rule over the examples, epoch after epoch, until an epoch has no mistake.

        X: (N, D) inputs; y: (N,) labels 0/1; max_epochs: give up after this many epochs (data not separable?);
        shuffle: visit the examples in a new random order each epoch (seeded by ``seed``).
        Returns history {"mistakes": [per epoch], "accuracy": [after each epoch]}; also sets ``self.converged``.
        """
        X = _check_X(X, self.n_features)
        y = _binary_labels(y, X.shape[0])
        max_epochs = check_positive_int(max_epochs, "max_epochs")
        rng = np.random.default_rng(self.seed)
        history = {"mistakes": [], "accuracy": []}
        for _ in range(max_epochs):
            order = rng.permutation(len(X)) if shuffle else range(len(X))
            history["mistakes"].append(int(sum(self._update(X[i], y[i]) for i in order)))
            history["accuracy"].append(float(np.mean(self.predict(X) == y)))
            if history["mistakes"][-1] == 0:
                break
        self.converged = history["mistakes"][-1] == 0
        self.history = history
        return history

    def __repr__(self):
        return f"Perceptron(n_features={self.n_features}, learning_rate={self.learning_rate:g})"


class _GradientModel:
    """What LogisticRegression, SoftmaxRegression and MLP share: loss, predictions, the loss head, L2 and ``fit``.

    A subclass sets ``self.params``, ``self.n_features``, ``self.output`` ("sigmoid", "softmax" or "linear"),
    ``self._layers`` (the (weight, bias) names of params, input layer first), ``self.dtype`` and, with more than one
    layer, ``self.hidden_activation``. ``loss`` and ``fit`` check their inputs once, then run unchecked internal
    versions of the forward and backward passes (``_forward``, ``_loss_and_gradients``) with the arithmetic of
    ``course_utils.layers`` and ``losses``.
    """

    dtype = np.dtype(np.float64)

    def _data_loss(self, scores, y):
        """Mean loss of the scores (N, M) against y, and d loss / d scores."""
        if self.output == "sigmoid":
            return losses.sigmoid_cross_entropy(scores, _binary_labels(y, scores.shape[0]))
        if self.output == "softmax":
            return losses.softmax_cross_entropy(scores, y)
        return losses.mse(scores, y)

    def predict_proba(self, X):
        """X: (N, D) inputs. Returns (N,) probabilities of class 1 (sigmoid output) or (N, K) class probabilities."""
        scores = self.loss(X)
        if self.output == "sigmoid":
            return sigmoid(scores[:, 0])
        if self.output == "softmax":
            return softmax(scores, axis=1)
        raise ValueError("predict_proba is for classifiers; this model has a linear output: use predict(X).")

    def predict(self, X):
        """X: (N, D) inputs. Returns (N,) int class labels, or the (N,) / (N, M) outputs of a linear model."""
        scores = self.loss(X)
        if self.output == "sigmoid":
            return (scores[:, 0] >= 0).astype(np.int64)  # probability >= 0.5
        if self.output == "softmax":
            return np.argmax(scores, axis=1)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def loss(self, X, y=None, l2=0.0):
        """Forward pass, and the backward pass when y is given.

        X: (N, D) inputs, one example per row. y: None, or targets: (N,) labels 0/1 (sigmoid), (N,) labels in
        0..K-1 or (N, K) one-hot (softmax), (N,) or (N, M) values (linear). l2: weight of the L2 penalty.
        Returns the scores (N, M) (the output layer's pre-activation z; logits for sigmoid/softmax) when y is
        None, else (loss, grads): the mean loss (+ l2 / 2 sum W**2) and a dict with the shapes of params.
        """
        X = self._check_X(X)
        self._check_params()
        if y is None:
            return self._forward(X)[0]
        l2 = check_positive_number(l2, "l2", allow_zero=True)
        return self._loss_and_gradients(X, self._targets(y, X.shape[0]), l2)

    def _check_params(self):
        """Raise a clear error if params (set or changed by hand) no longer fit the layers: (fan_in, fan_out) and
        (fan_out,) arrays of numbers that chain from n_features."""
        fan_in = self.n_features
        for W, b in self._layers:
            for name in (W, b):
                if name not in self.params:
                    needed = [n for pair in self._layers for n in pair]
                    raise KeyError(f"params has no {name!r}; the model needs {needed}.")
                value = self.params[name]
                if not isinstance(value, np.ndarray) or not np.issubdtype(value.dtype, np.number):
                    raise TypeError(f"params[{name!r}] must be a NumPy array of numbers; got {type(value).__name__}"
                                    f"{' of dtype ' + str(value.dtype) if isinstance(value, np.ndarray) else ''}.")
            shape_W, shape_b = self.params[W].shape, self.params[b].shape
            if len(shape_W) != 2 or shape_W[0] != fan_in:
                raise ValueError(f"params[{W!r}] has shape {shape_W}; expected ({fan_in}, M): one row per input of "
                                 "the layer.")
            if shape_b != shape_W[1:]:
                raise ValueError(f"params[{b!r}] has shape {shape_b} but params[{W!r}] has {shape_W[1]} columns; "
                                 f"expected ({shape_W[1]},).")
            fan_in = shape_W[1]

    # What follows runs on checked arrays of the model's dtype: the public methods above and fit check their
    # inputs once, then call these in their inner loops.
    def _check_X(self, X):
        return _check_X(X, self.n_features, self.dtype)

    def _n_outputs(self):
        return self.params[self._layers[-1][0]].shape[1]

    def _targets(self, y, n):
        """Check the targets y of n examples (with the loss head's messages); return them as (N, M) model-dtype rows.

        sigmoid: 0/1 labels as an (N, 1) column; softmax: one-hot (N, K) rows; linear: the (N, M) targets.
        """
        self._data_loss(np.zeros((n, self._n_outputs())), y)  # raises what the loss would raise on bad y
        if self.output == "sigmoid":
            return _binary_labels(y, n).astype(self.dtype).reshape(-1, 1)
        y = np.asarray(y)
        if self.output == "softmax" and y.ndim == 1:
            targets = np.zeros((n, self._n_outputs()), dtype=self.dtype)
            targets[np.arange(n), as_labels(y)] = 1.0
            return targets
        return np.asarray(y, dtype=self.dtype).reshape(n, -1)

    def _fit_inputs(self, X, y, l2):
        X = self._check_X(X)
        y_arr = np.asarray(y)
        if y_arr.ndim == 0 or y_arr.shape[0] != X.shape[0]:
            raise ValueError(f"y has shape {y_arr.shape} but X has {X.shape[0]} examples; "
                             "expected one target per row of X.")
        check_positive_number(l2, "l2", allow_zero=True)
        return X, self._targets(y, X.shape[0])

    def _forward(self, X, keep=False):
        """X: (N, D) checked inputs. Returns (scores (N, M), [(input, z, a) of each hidden layer] if keep else None)."""
        a, caches = X, []
        for W, b in self._layers[:-1]:
            z = a @ self.params[W]
            z += self.params[b]
            a_next = _FAST_ACTIVATIONS[self.hidden_activation][0](z)
            if keep:
                caches.append((a, z, a_next))
            a = a_next
        W, b = self._layers[-1]
        scores = a @ self.params[W]
        scores += self.params[b]
        if keep:
            caches.append((a, None, None))
        return scores, (caches if keep else None)

    def _head(self, scores, targets, with_loss):
        """The output head on checked (N, M) targets: (mean loss or None, d loss / d scores).

        The formulas of losses.sigmoid_cross_entropy, softmax_cross_entropy and mse, kept in the model's dtype.
        """
        n = scores.shape[0]
        check_finite(scores, "y_hat" if self.output == "linear" else "logits", losses._DIVERGED)
        if self.output == "softmax":
            shifted = scores - scores.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
            loss = float(-np.sum(targets * log_probs) / n) if with_loss else None
            return loss, (np.exp(log_probs) - targets) / n
        if self.output == "sigmoid":
            loss = None
            if with_loss:
                loss = float(np.mean(np.maximum(scores, 0.0) - scores * targets
                                     + np.log1p(np.exp(-np.abs(scores)))))
            return loss, (_sigmoid_fast(scores) - targets) / n
        diff = scores - targets
        return (float(np.mean(diff ** 2)) if with_loss else None), 2.0 * diff / diff.size

    def _penalty(self, l2):
        """The L2 penalty ``l2 / 2 * sum(W**2)`` over the weight matrices (not the biases), added layer by layer."""
        return sum(0.5 * l2 * float(np.sum(self.params[W] ** 2)) for W, _ in self._layers)

    def _loss_and_gradients(self, X, targets, l2, with_loss=True, tally=None):
        """Forward and backward pass on checked arrays. Returns (loss or None, grads in the order of params).

        The input gradient of the first layer is not computed: nothing needs it. tally: None, or a list
        [summed loss, correct, examples] to which this batch's loss times its size (with_loss must be True), its
        correct predictions and its size are added, before any update (``fit(train_metrics="running")``).
        """
        scores, caches = self._forward(X, keep=True)
        loss, dz = self._head(scores, targets, with_loss)
        grads = {}
        for i in range(len(self._layers) - 1, -1, -1):
            W, b = self._layers[i]
            grads[W], grads[b] = caches[i][0].T @ dz, dz.sum(axis=0)
            if l2 > 0:
                grads[W] += l2 * self.params[W]
            if i > 0:
                _, z, a = caches[i - 1]
                dz = _FAST_ACTIVATIONS[self.hidden_activation][1](dz @ self.params[W].T, z, a)
        if with_loss and l2 > 0:
            loss = loss + self._penalty(l2)
        if tally is not None:
            tally[0] += loss * scores.shape[0]
            tally[1] += self._correct(scores, targets)
            tally[2] += scores.shape[0]
        return loss, {name: grads[name] for name in self.params}

    def _evaluate(self, X, targets, l2, prefix, history, chunk=1024):
        """Loss (+ penalty) and accuracy on the whole set, from one forward pass in chunks of rows.

        Chunks keep the hidden activations in the CPU's cache (a (60000, 512) float64 array is 245 MB); the loss is
        the mean over the set, summed chunk by chunk.
        """
        n, total, correct = X.shape[0], 0.0, 0
        for start in range(0, n, chunk):
            scores, rows = self._forward(X[start:start + chunk])[0], targets[start:start + chunk]
            total += self._head(scores, rows, True)[0] * scores.shape[0]
            correct += self._correct(scores, rows)
        loss = total / n
        self._record(history, prefix, loss + self._penalty(l2) if l2 > 0 else loss, correct / n)

    def _correct(self, scores, targets):
        """How many of the rows the scores classify right, against checked targets (0 for a linear output)."""
        if self.output == "softmax":
            return int(np.count_nonzero(np.argmax(scores, axis=1) == np.argmax(targets, axis=1)))
        if self.output == "sigmoid":
            return int(np.count_nonzero((scores[:, 0] >= 0) == (targets[:, 0] == 1)))
        return 0

    def _record(self, history, prefix, loss, accuracy):
        history.setdefault(prefix + "loss", []).append(loss)
        if self.output != "linear":
            history.setdefault(prefix + "accuracy", []).append(accuracy)

    def fit(self, X, y, epochs=100, batch_size=None, optimizer="sgd", learning_rate=None, l2=0.0,
            validation_data=None, seed=0, verbose=True, train_metrics="exact"):
        """Train ``params`` in place by mini-batch gradient descent on ``loss``.

        X: (N, D) inputs; y: (N,) labels (or (N, K) one-hot, or (N,) / (N, M) regression targets).
        epochs: passes over the data. batch_size: examples per update (None: all N, plain gradient descent).
        optimizer: "sgd", "momentum", "rmsprop", "adam" or an optimizer object from course_utils.optim.
        learning_rate: for a named optimizer (None: its default). l2: weight of the L2 penalty on the weights.
        validation_data: optional (X_val, y_val), evaluated after every epoch.
        seed: seeds the shuffling of the examples. verbose: show a tqdm progress bar (False: print nothing).
        train_metrics: how history["loss"] and history["accuracy"] are measured.
            "exact" (the default): on the whole training set with the weights at the end of the epoch, one more
            forward pass over X per epoch (about a third more arithmetic than the training itself).
            "running": what Keras reports, the mean over the epoch's examples of the loss and accuracy of each
            mini-batch as it was trained, before its update; free, but it lags behind the weights (with full-batch
            gradient descent it is the exact value of one step earlier).
        Returns history {"loss": [...], "accuracy": [...]} (+ "val_loss", "val_accuracy", always exact after the
        epoch), one entry per epoch (the loss includes the L2 penalty; no accuracy for linear models).
        """
        self._check_params()
        X, targets = self._fit_inputs(X, y, l2)  # every check on the data, once per call
        epochs = check_positive_int(epochs, "epochs")
        l2 = check_positive_number(l2, "l2", allow_zero=True)
        batch_size = X.shape[0] if batch_size is None else check_positive_int(batch_size, "batch_size")
        optimizer = get_optimizer(optimizer, learning_rate)
        running = check_choice(train_metrics, "train_metrics", ("exact", "running")) == "running"
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError("validation_data must be a pair (X_val, y_val).")
            X_val, y_val = self._fit_inputs(*validation_data, 0.0)
        # A built-in optimizer checks params once here and then steps unchecked; any other object gets its update.
        # The gradients of a mini-batch are fresh arrays: a built-in optimizer may compute its step in them.
        builtin = isinstance(optimizer, _BUILTIN_OPTIMIZERS)
        if builtin:
            _check_params_and_grads(self.params, self.params)

            def step(params, grads, state):
                return optimizer._update(params, grads, state, scratch_grads=True)
        else:
            step = optimizer.update
        n, batch_size = X.shape[0], min(batch_size, X.shape[0])
        X_batch = np.empty((batch_size,) + X.shape[1:], dtype=X.dtype)  # reused by every mini-batch
        t_batch = np.empty((batch_size,) + targets.shape[1:], dtype=targets.dtype)
        rng = np.random.default_rng(seed)
        history, state = {}, ({} if builtin else None)
        bar = tqdm(range(epochs), desc=f"{type(self).__name__}.fit", unit="epoch", disable=not verbose)
        for _ in bar:
            order, tally = rng.permutation(n), ([0.0, 0, 0] if running else None)
            for start in range(0, n, batch_size):
                batch = order[start:start + batch_size]
                m = batch.shape[0]
                # mode="clip": the indices are valid, and with out= the default mode="raise" copies through a buffer
                Xb = np.take(X, batch, axis=0, out=X_batch[:m], mode="clip")
                tb = np.take(targets, batch, axis=0, out=t_batch[:m], mode="clip")
                grads = self._loss_and_gradients(Xb, tb, l2, with_loss=running, tally=tally)[1]
                state = step(self.params, grads, state)
            if running:
                self._record(history, "", tally[0] / tally[2], tally[1] / tally[2])
            else:
                self._evaluate(X, targets, l2, "", history)
            if validation_data is not None:
                self._evaluate(X_val, y_val, l2, "val_", history)
            if verbose:
                bar.set_postfix({name: f"{values[-1]:.4g}" for name, values in history.items()})
        self.history = history
        return history


class _LinearModel(_GradientModel):
    """One affine layer, ``scores = X @ W + b``, under the output head of the subclass (sigmoid or softmax).

    ``loss(X, y=None, l2=0.0)``: X: (N, D) inputs; y: (N,) labels (0/1 for sigmoid; 0..K-1 or (N, K) one-hot for
    softmax), or None. Returns the scores (N, M) (logits; M = 1 for sigmoid, K for softmax) when y is None, else
    (loss, grads) with loss the mean cross-entropy (+ L2 penalty) and grads {"W": (D, M), "b": (M,)}.
    """

    _layers = (("W", "b"),)


class LogisticRegression(_LinearModel):
    """Logistic regression: ``P(y = 1 | x) = sigmoid(x @ W + b)``, trained on the binary cross-entropy.

    params: {"W": (D, 1) weights, "b": (1,) bias}, starting at zero (the loss is convex: no symmetry to break).
    """

    output = "sigmoid"

    def __init__(self, n_features):
        self.n_features = check_positive_int(n_features, "n_features")
        self.params = {"W": np.zeros((self.n_features, 1)), "b": np.zeros(1)}

    def __repr__(self):
        return f"LogisticRegression(n_features={self.n_features}): W {self.params['W'].shape}, b (1,)"


class SoftmaxRegression(_LinearModel):
    """Softmax (multinomial logistic) regression: ``P(y = k | x) = softmax(x @ W + b)_k``, on the cross-entropy.

    params: {"W": (D, K) weights, "b": (K,) biases}, starting at zero.
    """

    output = "softmax"

    def __init__(self, n_features, n_classes):
        self.n_features = check_positive_int(n_features, "n_features")
        self.n_classes = check_positive_int(n_classes, "n_classes", minimum=2)
        self.params = {"W": np.zeros((self.n_features, self.n_classes)), "b": np.zeros(self.n_classes)}

    def __repr__(self):
        return (f"SoftmaxRegression(n_features={self.n_features}, n_classes={self.n_classes}): "
                f"W {self.params['W'].shape}, b ({self.n_classes},)")


HIDDEN_ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "elu", "softplus")
LEAKY_RELU_ALPHA = 0.01  # the slope of the MLP's leaky_relu: the default alpha of activations.leaky_relu
OUTPUTS = ("sigmoid", "softmax", "linear")
_HE_INIT = ("relu", "leaky_relu", "elu")  # He initialisation; Glorot for the others


# The MLP's training loop runs on checked arrays, so its forward and backward passes use these unchecked,
# dtype-preserving versions of the activations (same formulas as course_utils.activations, which check their input
# and return float64). Each backward function returns dz = da * f'(z), and may overwrite da (a fresh array).
def _sigmoid_fast(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _leaky_relu_grad_fast(z):
    return np.where(z > 0, z.dtype.type(1.0), z.dtype.type(LEAKY_RELU_ALPHA))


def _elu_grad_fast(z):
    return np.where(z > 0, z.dtype.type(1.0), 1.0 * np.exp(np.minimum(z, 0.0)))


_FAST_ACTIVATIONS = {  # name: (forward f(z), backward (da, z, a) -> dz)
    "relu": (lambda z: np.maximum(z, 0.0), lambda da, z, a: np.multiply(da, z > 0, out=da)),
    "tanh": (np.tanh, lambda da, z, a: da * (lambda e: 4.0 * e / (1.0 + e) ** 2)(np.exp(-2.0 * np.abs(z)))),
    "sigmoid": (_sigmoid_fast, lambda da, z, a: da * (_sigmoid_fast(z) * _sigmoid_fast(-z))),
    "leaky_relu": (lambda z: np.where(z > 0, z, LEAKY_RELU_ALPHA * z),
                   lambda da, z, a: np.multiply(da, _leaky_relu_grad_fast(z), out=da)),
    "elu": (lambda z: np.where(z > 0, z, 1.0 * np.expm1(np.minimum(z, 0.0))),
            lambda da, z, a: np.multiply(da, _elu_grad_fast(z), out=da)),
    "softplus": (lambda z: np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))),
                 lambda da, z, a: da * _sigmoid_fast(z)),
}
DTYPES = ("float64", "float32")


class MLP(_GradientModel):
    """Multi-layer perceptron: Dense layers with one hidden activation and a sigmoid, softmax or linear output.

    layer_sizes: [D, H1, ..., M]: input features, hidden units per layer, outputs (M = 1 for a sigmoid output,
        M = K >= 2 classes for softmax, any M for linear).
    hidden_activation: one of HIDDEN_ACTIVATIONS. output: "sigmoid" (binary), "softmax" (K classes), "linear"
        (regression, trained on the mean squared error).
    seed: seeds the initialisation: Glorot uniform (tanh, sigmoid, softplus hidden layers and the output layer,
        like Keras' default) or He normal (relu, leaky_relu, elu hidden layers); biases start at zero.
    dtype: "float64" (the default: gradient checks need it) or "float32" (about twice as fast; the weights are
        drawn in float64 and rounded). Inputs are converted to it; every array the model computes has it.
    params: {"W1": (D, H1), "b1": (H1,), ..., "WL": (H_{L-1}, M), "bL": (M,)}.

    ``fit`` checks its inputs once per call, then trains on unchecked internal versions of the forward and backward
    passes (``_forward``, ``_loss_and_gradients``) with the same arithmetic as ``course_utils.layers`` and ``losses``.
    """

    def __init__(self, layer_sizes, hidden_activation="tanh", output="sigmoid", seed=0, dtype="float64"):
        if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__len__") or len(layer_sizes) < 2:
            raise ValueError(f"layer_sizes must be a list [D, H1, ..., M] of at least 2 sizes; got {layer_sizes!r}.")
        self.layer_sizes = [check_positive_int(size, "each layer size") for size in layer_sizes]
        check_choice(hidden_activation, "hidden_activation", HIDDEN_ACTIVATIONS)
        check_choice(output, "output", OUTPUTS)
        if output == "sigmoid" and self.layer_sizes[-1] != 1:
            raise ValueError(f"a sigmoid output needs layer_sizes[-1] = 1; got {self.layer_sizes[-1]}. "
                             "For K classes use output='softmax'.")
        if output == "softmax" and self.layer_sizes[-1] < 2:
            raise ValueError("a softmax output needs layer_sizes[-1] = K >= 2 classes; for two classes you can also "
                             "use layer_sizes[-1] = 1 with output='sigmoid'.")
        if str(np.dtype(dtype) if isinstance(dtype, type) else dtype) not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}; got {dtype!r}.")
        self.hidden_activation, self.output, self.seed = hidden_activation, output, seed
        self.dtype = np.dtype(dtype)
        self.n_features, self.n_layers = self.layer_sizes[0], len(self.layer_sizes) - 1
        self._layers = [(f"W{i}", f"b{i}") for i in range(1, self.n_layers + 1)]
        rng = np.random.default_rng(seed)
        self.params = {}
        for i, (fan_in, fan_out) in enumerate(zip(self.layer_sizes[:-1], self.layer_sizes[1:]), start=1):
            if i < self.n_layers and hidden_activation in _HE_INIT:
                W = rng.normal(scale=np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
            else:
                limit = np.sqrt(6.0 / (fan_in + fan_out))
                W = rng.uniform(-limit, limit, size=(fan_in, fan_out))
            self.params[f"W{i}"], self.params[f"b{i}"] = W.astype(self.dtype, copy=False), np.zeros(fan_out, self.dtype)

    def __repr__(self):
        shapes = ", ".join(f"{name} {value.shape}" for name, value in self.params.items())
        n_params = sum(value.size for value in self.params.values())
        return (f"MLP({self.layer_sizes}, hidden_activation={self.hidden_activation!r}, output={self.output!r}, "
                f"seed={self.seed}{'' if self.dtype == np.float64 else f', dtype={self.dtype.name!r}'}): {shapes}; "
                f"{n_params} parameters")

    def to_keras(self, dtype=None):
        """Return an equivalent ``keras.Sequential`` of Dense layers carrying these weights (copied, unchanged).

        dtype: the Keras layers' dtype, e.g. "float64" for an exact copy (None: Keras' default, float32).
        The hidden layers are ``Dense(H, activation=hidden_activation)`` (leaky_relu: a linear Dense followed by
        ``LeakyReLU(negative_slope=0.01)``, since Keras' own "leaky_relu" uses a slope of 0.2); the output layer is
        ``Dense(M, activation=output)``. ``model.predict(X)`` then equals ``self.predict_proba(X)`` (as (N, 1) for a
        sigmoid output) or the linear outputs.
        """
        from .tf_utils import quiet_tensorflow

        _, keras = quiet_tensorflow()
        kwargs = {} if dtype is None else {"dtype": dtype}
        layers = [keras.Input(shape=(self.n_features,), **kwargs)]
        for i, units in enumerate(self.layer_sizes[1:], start=1):
            activation = self.output if i == self.n_layers else self.hidden_activation
            if activation == "leaky_relu":
                layers += [keras.layers.Dense(units, name=f"dense_{i}", **kwargs),
                           keras.layers.LeakyReLU(negative_slope=LEAKY_RELU_ALPHA, **kwargs)]
            else:
                layers.append(keras.layers.Dense(units, activation=activation, name=f"dense_{i}", **kwargs))
        model = keras.Sequential(layers)
        model.set_weights([self.params[f"{kind}{i}"] for i in range(1, self.n_layers + 1) for kind in "Wb"])
        return model

    @classmethod
    def from_params(cls, params, hidden_activation="tanh", output="sigmoid"):
        """Build an MLP that uses the given weights: ``{"W1": (D, H1), "b1": (H1,), ..., "WL": (H, M), "bL": (M,)}``.

        The arrays are used as they are, NOT copied: changing ``params`` in place changes the model, which is what a
        finite-difference check needs (``check_gradient(lambda _: MLP.from_params(P).loss(X, y)[0], P["W1"])``).
        The layer sizes are read from the shapes, which must chain (W{l} has as many rows as W{l-1} has columns).
        """
        if not isinstance(params, dict):
            raise TypeError(f"params must be a dict {{'W1': ..., 'b1': ..., ...}}; got {type(params).__name__}.")
        n_layers = sum(1 for name in params if name.startswith("W"))
        expected = [f"{kind}{i}" for i in range(1, n_layers + 1) for kind in "Wb"]
        if n_layers == 0 or sorted(params) != sorted(expected):
            raise ValueError(f"params must hold W1, b1, ..., WL, bL and nothing else; got keys {sorted(params)}"
                             + (f", expected {expected}." if n_layers else "."))
        sizes = []
        for i in range(1, n_layers + 1):
            W, b = params[f"W{i}"], params[f"b{i}"]
            for name, value in ((f"W{i}", W), (f"b{i}", b)):
                if not isinstance(value, np.ndarray) or value.dtype != np.float64:
                    raise TypeError(f"params[{name!r}] must be a float64 NumPy array; got "
                                    f"{getattr(value, 'dtype', type(value).__name__)}.")
            if W.ndim != 2:
                raise ValueError(f"W{i} must be 2-D, (fan_in, fan_out); got shape {W.shape}.")
            if i > 1 and W.shape[0] != sizes[-1]:
                raise ValueError(f"W{i} has shape {W.shape} but W{i - 1} has {sizes[-1]} columns; "
                                 f"expected W{i} of shape ({sizes[-1]}, M).")
            if b.shape != (W.shape[1],):
                raise ValueError(f"b{i} has shape {b.shape} but W{i} has shape {W.shape}; "
                                 f"expected b{i} of shape ({W.shape[1]},).")
            sizes += [W.shape[0], W.shape[1]] if i == 1 else [W.shape[1]]
        mlp = cls(sizes, hidden_activation=hidden_activation, output=output)
        mlp.params = params
        return mlp

    @classmethod
    def from_keras(cls, model):
        """Build an MLP from a ``keras.Sequential`` of Dense layers (the inverse of ``to_keras``); weights are copied.

        Supported: Dense hidden layers that all use the same activation from HIDDEN_ACTIVATIONS (given as the
        Dense activation, or as a following ``Activation`` layer, or ``LeakyReLU(negative_slope=0.01)``), and an
        output Dense layer with activation "sigmoid" (1 unit), "softmax" or "linear". Anything else (other layer
        types, mixed activations, an unbuilt model) raises ``ValueError``/``TypeError`` saying what is wrong.
        """
        from .tf_utils import quiet_tensorflow

        _, keras = quiet_tensorflow()
        if not isinstance(model, keras.Sequential):
            raise TypeError(f"from_keras needs a keras.Sequential model of Dense layers; got {type(model).__name__}.")
        dense, activations = [], []  # one entry per Dense layer
        for layer in model.layers:
            if isinstance(layer, keras.layers.Dense):
                dense.append(layer)
                activations.append(keras.activations.serialize(layer.activation))
            elif dense and activations[-1] == "linear" and isinstance(layer, keras.layers.Activation):
                activations[-1] = keras.activations.serialize(layer.activation)
            elif dense and activations[-1] == "linear" and isinstance(layer, keras.layers.LeakyReLU):
                if not np.isclose(layer.negative_slope, LEAKY_RELU_ALPHA):
                    raise ValueError(f"layer {layer.name!r} is LeakyReLU(negative_slope={layer.negative_slope}) but "
                                     f"the MLP's leaky_relu uses a slope of {LEAKY_RELU_ALPHA}.")
                activations[-1] = "leaky_relu"
            else:
                raise ValueError(f"layer {layer.name!r} is a {type(layer).__name__}; from_keras supports Dense layers "
                                 "(optionally followed by an Activation or LeakyReLU layer) only.")
        if not dense:
            raise ValueError("the Keras model has no Dense layer; nothing to convert.")
        if not model.built or any(not layer.weights for layer in dense):
            raise ValueError("the Keras model has no weights yet; give it an input shape "
                             "(keras.Input(shape=(D,)) as first layer) or call it on data first.")
        hidden, output = set(activations[:-1]), activations[-1]
        if len(hidden) > 1 or (hidden and not hidden <= set(HIDDEN_ACTIVATIONS)):
            raise ValueError(f"the hidden layers use activations {activations[:-1]}; from_keras needs one activation "
                             f"for all hidden layers, one of {HIDDEN_ACTIVATIONS}.")
        if output not in OUTPUTS:
            raise ValueError(f"the output layer uses activation {output!r}; expected one of {OUTPUTS}.")
        sizes = [int(dense[0].kernel.shape[0])] + [int(layer.units) for layer in dense]
        mlp = cls(sizes, hidden_activation=hidden.pop() if hidden else "tanh", output=output)
        for i, layer in enumerate(dense, start=1):
            weights = layer.get_weights()  # [kernel (fan_in, fan_out), bias (fan_out,)], or [kernel] without bias
            mlp.params[f"W{i}"] = np.array(weights[0], dtype=np.float64)
            if layer.use_bias:
                mlp.params[f"b{i}"] = np.array(weights[1], dtype=np.float64)
        return mlp

