"""A training step that reuses its buffers, for loops that run many steps.

``Trainer.step`` computes what ``nn.step`` computes, but it writes every z, a
and gradient into arrays allocated once. ``Trainer.step_prepared`` also
skips the argument checks, for data that a training loop has checked once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._layers import Dense, Network
from ._losses import Loss, get_loss
from ._optim import Optimiser, Penalty
from ._phases import prepare_targets

# Activations whose value NumPy can write into a preallocated array. Each
# gives the same values as the registry's function, because the registry
# calls the same ufunc.
_IN_PLACE_VALUES: dict[str, Callable[[np.ndarray, np.ndarray], Any]] = {
    "tanh": lambda z, out: np.tanh(z, out=out),
    "relu": lambda z, out: np.maximum(z, 0.0, out=out),
}


def _tanh_slope_from_output(a: np.ndarray, out: np.ndarray) -> None:
    # 1 - a² differs from the registry's 2 / (cosh(2z) + 1) by at most 1.2
    # ulp of 1 on 2e6 points in [-20, 20], in float32 and float64, at a
    # fraction of its cost. Where a rounds to ±1 it gives 0 in place of a
    # value below 1e-16 (float64) or 1e-7 (float32).
    np.multiply(a, a, out=out)
    np.subtract(1.0, out, out=out)


def _relu_slope_from_output(a: np.ndarray, out: np.ndarray) -> None:
    # a > 0 exactly when z > 0, so this is the registry's derivative, with
    # g'(0) = 0. A NaN z gives 0 here but NaN in the registry, which cannot
    # change the weights because a NaN loss skips the update.
    np.greater(a, 0.0, out=out)


# Derivatives taken from the layer's output a. Sigmoid is not among them,
# because s (1 - s) rounds to 0 once s rounds to 1 (z >= 17 in float32).
SLOPES_FROM_OUTPUT: dict[str, Callable[[np.ndarray, np.ndarray], None]] = {
    "tanh": _tanh_slope_from_output,
    "relu": _relu_slope_from_output,
}
EXACT_SLOPES_FROM_OUTPUT = frozenset({"relu"})


class _LayerPlan:
    """The activation and slope kernels that one layer uses in the fast step."""

    __slots__ = ("identity", "in_place", "layer", "slope_from_output")

    def __init__(self, layer: Dense, from_output: bool):
        name = layer.activation.name
        self.layer = layer
        self.identity = layer._identity
        has_params = bool(layer.activation.params)
        self.in_place = None if has_params else _IN_PLACE_VALUES.get(name)
        slope = SLOPES_FROM_OUTPUT.get(name)
        if has_params or not (from_output or name in EXACT_SLOPES_FROM_OUTPUT):
            slope = None
        self.slope_from_output = slope


class Trainer:
    """Run training steps on ``net`` with buffers allocated once.

    One step gives the weights that ``nn.step`` gives, to within float
    rounding. With ``slopes_from_output=True`` (the default), tanh' is taken
    as ``1 - a**2`` from the layer output, which differs from the registry's
    tanh' by rounding. With ``False`` every step matches ``nn.step`` bit for
    bit. The ReLU slope is always read from the output (``a > 0``), which is
    exact, and every other activation's slope is computed from z.

    Parameters
    ----------
    net : Network
        Trained in place. Its layers must not be replaced while the trainer
        is in use.
    loss : str or Loss
    optimiser : Optimiser
        Its ``learning_rate`` may change between steps.
    penalty : Penalty, optional
        L1 and L2 penalties on the weights.
    batch_size : int
        The number of rows to allocate buffers for. A larger batch makes
        the trainer reallocate, a smaller one uses the leading rows.
    slopes_from_output : bool
        Whether tanh' is computed from the layer output.

    >>> import numpy as np
    >>> from actlab import nn
    >>> net = nn.Network.build([2, 4, 1], hidden="tanh", seed=0)
    >>> trainer = nn.Trainer(net, "mse", nn.SGD(0.1), batch_size=4)
    >>> loss = trainer.step(np.ones((4, 2)), np.zeros(4))
    >>> loss > trainer.step(np.ones((4, 2)), np.zeros(4))
    True
    """

    def __init__(
        self,
        net: Network,
        loss: str | Loss,
        optimiser: Optimiser,
        penalty: Penalty | None = None,
        *,
        batch_size: int = 32,
        slopes_from_output: bool = True,
    ):
        if not isinstance(net, Network):
            raise ValueError(f"net must be a Network, got {net!r}")
        self.net = net
        self.loss = get_loss(loss)
        self.loss.check_output_activation(net.layers[-1].activation.name)
        self.optimiser = optimiser
        self.penalty = penalty
        self.slopes_from_output = bool(slopes_from_output)
        self._plans = [_LayerPlan(layer, slopes_from_output) for layer in net.layers]
        self.gradient = np.empty_like(net.parameters)
        views = net.split(self.gradient)
        self._dW = views[: len(net.layers)]
        self._db = views[len(net.layers) :]
        self._allocate(_check_rows(batch_size))

    def _allocate(self, rows: int) -> None:
        dtype = self.net.dtype
        widths = [layer.n_out for layer in self.net.layers]
        self._rows = rows
        self._z = [np.empty((rows, width), dtype) for width in widths]
        self._a = [
            z if plan.identity else np.empty_like(z)
            for z, plan in zip(self._z, self._plans, strict=True)
        ]
        self._dz = [np.empty_like(z) for z in self._z]
        self._da = [np.empty_like(z) for z in self._z]
        # The activations of the last forward pass: views into the buffers,
        # or new arrays from activations without an in-place kernel.
        self._outputs: list[np.ndarray] = [z[:0] for z in self._z]

    def step(self, X: Any, y: Any) -> float:
        """Run one step on the batch ``X``, ``y`` and return its loss.

        The loss is the batch's mean loss before the update, without the
        penalty. When it is not finite the weights are left unchanged.
        """
        x = self.net.check_inputs(X)
        target = prepare_targets(self.net, y, self.loss, len(x))
        return self.step_prepared(x, target)

    def step_prepared(
        self, x: np.ndarray, target: np.ndarray, backup: np.ndarray | None = None
    ) -> float:
        """Run one step on inputs and targets that are already checked.

        ``x`` must be a 2-D array of the network's dtype and ``target`` the
        output of ``nn.prepare_targets`` for the same rows. Nothing is
        checked, so a mistake here raises an error from NumPy or gives
        wrong weights. A ``backup`` array receives the parameters just
        before the update, which a step with a non-finite loss skips.
        """
        if len(x) > self._rows:
            self._allocate(len(x))
        output = self._forward(x)
        value, gradient = self.loss.value_and_gradient(output, target)
        if not math.isfinite(value):
            return value
        self._backward(x, gradient)
        net = self.net
        if self.penalty is not None:
            n = net.n_weights
            self.penalty.add_gradient(net.parameters[:n], self.gradient[:n])
        if backup is not None:
            np.copyto(backup, net.parameters)
        self.optimiser.apply(net.parameters, self.gradient)
        return value

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return the network output for checked inputs ``x``.

        The result is a view into the trainer's buffers, valid until the
        next call.
        """
        if len(x) > self._rows:
            self._allocate(len(x))
        return self._forward(x)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        n = len(x)
        a = x
        for i, plan in enumerate(self._plans):
            layer = plan.layer
            z = self._z[i][:n]
            np.matmul(a, layer._W, out=z)
            z += layer._b
            if plan.identity:
                a = z
            elif plan.in_place is not None:
                a = self._a[i][:n]
                plan.in_place(z, a)
            else:
                a = layer._value(z)
            self._outputs[i] = a
        return a

    def _backward(self, x: np.ndarray, da: np.ndarray) -> None:
        n = len(x)
        for i in range(len(self._plans) - 1, -1, -1):
            plan = self._plans[i]
            if plan.identity:
                dz = da
            else:
                dz = self._dz[i][:n]
                if plan.slope_from_output is not None:
                    plan.slope_from_output(self._outputs[i], dz)
                else:
                    np.copyto(dz, plan.layer._derivative(self._z[i][:n]))
                dz *= da
            layer_input = self._outputs[i - 1] if i else x
            np.matmul(layer_input.T, dz, out=self._dW[i])
            np.add.reduce(dz, axis=0, out=self._db[i])
            if i:
                da = self._da[i - 1][:n]
                np.matmul(dz, plan.layer._W.T, out=da)


def _check_rows(batch_size: Any) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise ValueError(f"invalid batch_size {batch_size!r}: expected an integer")
    if batch_size < 1:
        raise ValueError(f"invalid batch_size {batch_size}: expected at least 1")
    return int(batch_size)
