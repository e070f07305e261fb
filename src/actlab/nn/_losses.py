"""Losses on the network output, each with its gradient and its metric.

The two cross-entropy losses take logits: the network's output layer is linear
and the loss applies the sigmoid or the softmax itself, in a form that stays
finite for any finite logit. The mean squared error takes whatever the output
layer produces.

Every loss is a mean over the examples of a batch (and, for ``bce`` and
``mse``, over the outputs too), and its gradient is with respect to the network
output, which for the cross-entropy losses is the output layer's z.
"""

from __future__ import annotations

import numpy as np
from scipy import special


class Loss:
    """A loss with its target check, value, gradient, metric and predictions."""

    name = ""
    aliases: tuple[str, ...] = ()
    description = ""
    metric_name = ""
    # The activation that the loss applies to the logits itself, or None when
    # the loss takes the network output as it is.
    fused_activation: str | None = None

    def prepare(self, y, n_outputs: int, dtype) -> np.ndarray:
        """Check the targets ``y`` and return them in the form the loss uses.

        Raises ``ValueError`` naming the first invalid value or shape.
        """
        raise NotImplementedError

    def value_and_gradient(
        self, output: np.ndarray, target: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """Return the mean loss and its gradient with respect to ``output``."""
        raise NotImplementedError

    def value(self, output: np.ndarray, target: np.ndarray) -> float:
        """Return the mean loss of ``output`` against prepared ``target``."""
        return self.value_and_gradient(output, target)[0]

    def metric(self, output: np.ndarray, target: np.ndarray) -> float:
        """Return the metric (``metric_name``) of ``output`` against ``target``."""
        raise NotImplementedError

    def predict(self, output: np.ndarray) -> np.ndarray:
        """Turn network outputs into predictions shaped like 1-D or 2-D targets."""
        raise NotImplementedError

    def predict_proba(self, output: np.ndarray) -> np.ndarray:
        """Turn logits into class probabilities."""
        raise ValueError(
            f"loss {self.name!r} predicts values, not class probabilities: use "
            "predict, or a cross-entropy loss for a classification target"
        )

    def check_output_activation(self, activation: str) -> None:
        """Raise ``ValueError`` unless the output layer's activation fits."""
        if self.fused_activation is not None and activation != "linear":
            raise ValueError(
                f"loss {self.name!r} takes logits, so the output layer must be "
                f"linear, not {activation}: build the network with "
                f"output='linear' (the loss applies the {self.fused_activation} "
                "itself, and predict_proba applies it to the output)"
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _column_targets(y: np.ndarray, n_outputs: int, loss: str) -> np.ndarray:
    if y.dtype.kind not in "biuf":
        raise ValueError(
            f"targets for {loss} must be numbers, got an array of dtype {y.dtype}"
        )
    if y.ndim == 1 and n_outputs == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[1] != n_outputs:
        raise ValueError(
            f"targets for {loss} have shape {y.shape}, but the network has "
            f"{n_outputs} output(s): pass shape (n,) for one output or "
            f"(n, {n_outputs})"
        )
    return y


def _first_bad(y: np.ndarray, bad: np.ndarray) -> tuple[object, int]:
    index = tuple(np.argwhere(bad)[0])
    return y[index].item(), int(index[0])


def _accuracy(correct: np.ndarray) -> float:
    return float(np.count_nonzero(correct) / correct.size)


def _single_column(values: np.ndarray) -> np.ndarray:
    return values[:, 0] if values.shape[1] == 1 else values


class BinaryCrossEntropy(Loss):
    name = "bce"
    aliases = ("binary_cross_entropy", "log_loss")
    description = "Binary cross-entropy with the sigmoid applied to the logits"
    metric_name = "accuracy"
    fused_activation = "sigmoid"

    def prepare(self, y, n_outputs: int, dtype) -> np.ndarray:
        y = _column_targets(np.asarray(y), n_outputs, self.name)
        bad = (y != 0) & (y != 1)
        if bad.any():
            value, row = _first_bad(y, bad)
            raise ValueError(
                f"invalid target {value!r} at row {row} for binary cross-entropy: "
                "targets must be the class labels 0 or 1"
            )
        return y.astype(dtype)

    def value_and_gradient(self, output, target):
        # With s = 1 - 2y (so -1 for y = 1 and +1 for y = 0), the loss
        # log(1 + exp(-z)) or log(1 + exp(z)) is softplus(s z), and its
        # gradient sigmoid(z) - y is s sigmoid(s z). logaddexp and expit
        # stay finite and keep full relative precision for any finite z.
        sign = 1.0 - 2.0 * target
        signed = output * sign
        value = float(np.add.reduce(np.logaddexp(0.0, signed), axis=None))
        value /= output.size
        gradient = special.expit(signed)
        gradient *= sign
        gradient *= 1.0 / output.size
        return value, gradient

    def metric(self, output, target):
        return _accuracy((output > 0) == (target > 0.5))

    def predict(self, output):
        return _single_column((output > 0).astype(np.int64))

    def predict_proba(self, output):
        return _single_column(special.expit(output))


class SoftmaxCrossEntropy(Loss):
    name = "softmax_ce"
    aliases = ("softmax_cross_entropy", "cross_entropy", "categorical_cross_entropy")
    description = "Cross-entropy with the softmax applied to the logits"
    metric_name = "accuracy"
    fused_activation = "softmax"

    def prepare(self, y, n_outputs: int, dtype) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(
                f"targets for softmax_ce have shape {y.shape}, but the loss takes "
                "one integer class label per example, shape (n,): for one-hot "
                "rows pass y.argmax(axis=1)"
            )
        if n_outputs < 2:
            raise ValueError(
                f"softmax_ce needs a network with at least 2 outputs, one per "
                f"class, but it has {n_outputs}: for a binary target use loss "
                "'bce' with one output"
            )
        return self._labels(y, n_outputs)

    def _labels(self, y: np.ndarray, n_outputs: int) -> np.ndarray:
        if y.dtype.kind not in "biuf":
            raise ValueError(
                f"targets for softmax_ce must be integer class labels, got an "
                f"array of dtype {y.dtype}"
            )
        if y.dtype.kind == "f":
            bad = ~np.isfinite(y) | (y != np.round(y))
            if bad.any():
                value, row = _first_bad(y, bad)
                raise ValueError(
                    f"invalid label {value!r} at row {row} for softmax "
                    "cross-entropy: labels must be whole numbers (class indices)"
                )
        bad = (y < 0) | (y >= n_outputs)
        if bad.any():
            value, row = _first_bad(y, bad)
            raise ValueError(
                f"invalid label {value!r} at row {row} for softmax cross-entropy: "
                f"a network with {n_outputs} outputs takes labels 0 to "
                f"{n_outputs - 1}"
            )
        return y.astype(np.intp)

    def value_and_gradient(self, output, target):
        rows = np.arange(len(target))
        shifted = output - output.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        sums = exp.sum(axis=1, keepdims=True)
        losses = np.log(sums[:, 0]) - shifted[rows, target]
        value = float(np.add.reduce(losses)) / len(target)
        gradient = exp / sums
        gradient[rows, target] -= 1.0
        gradient *= 1.0 / len(target)
        return value, gradient

    def metric(self, output, target):
        return _accuracy(output.argmax(axis=1) == target)

    def predict(self, output):
        return output.argmax(axis=1)

    def predict_proba(self, output):
        return special.softmax(output, axis=1)


class MeanSquaredError(Loss):
    name = "mse"
    aliases = ("mean_squared_error", "squared_error")
    description = "Mean squared error on the output layer's activation"
    metric_name = "r2"

    def prepare(self, y, n_outputs: int, dtype) -> np.ndarray:
        y = _column_targets(np.asarray(y), n_outputs, self.name)
        bad = ~np.isfinite(y)
        if bad.any():
            value, row = _first_bad(y, bad)
            raise ValueError(
                f"invalid target {value!r} at row {row} for mean squared error: "
                "targets must be finite numbers"
            )
        return y.astype(dtype)

    def value_and_gradient(self, output, target):
        error = output - target
        value = float(np.vdot(error, error) / error.size)
        error *= 2.0 / error.size
        return value, error

    def metric(self, output, target):
        return r2_score(output, target)

    def predict(self, output):
        return _single_column(output)


def r2_score(output: np.ndarray, target: np.ndarray) -> float:
    """Return the coefficient of determination R², averaged over the outputs.

    An output whose target is constant scores 1 when predicted exactly and 0
    otherwise, as ``sklearn.metrics.r2_score`` does (version 1.9).
    """
    output = np.asarray(output, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    residual = ((target - output) ** 2).sum(axis=0)
    total = ((target - target.mean(axis=0)) ** 2).sum(axis=0)
    constant = total == 0
    scores = 1.0 - residual / np.where(constant, 1.0, total)
    scores[constant] = residual[constant] == 0
    return float(scores.mean())


_LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (BinaryCrossEntropy(), SoftmaxCrossEntropy(), MeanSquaredError())
}
_ALIASES = {alias: loss.name for loss in _LOSSES.values() for alias in loss.aliases}


def loss_names() -> list[str]:
    """Return the canonical loss names."""
    return list(_LOSSES)


def get_loss(name: str | Loss) -> Loss:
    """Return the loss ``name`` (a canonical name, an alias or a ``Loss``).

    Raises ``ValueError`` naming ``name`` and listing the valid choices.
    """
    if isinstance(name, Loss):
        return name
    if not isinstance(name, str):
        raise ValueError(f"loss must be a name such as 'mse' or a Loss, got {name!r}")
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in _LOSSES:
        choices = ", ".join(sorted([*_LOSSES, *_ALIASES]))
        raise ValueError(f"unknown loss {name!r}: choose one of {choices}")
    return _LOSSES[key]
