"""The phases of one training step: forward, backward and update.

``step`` runs the three in order. Each phase is a plain function of the
network and what the previous phase returned, so every z, a and gradient can
be looked at between them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._layers import Network
from ._losses import Loss, get_loss
from ._optim import Optimiser, Penalty


@dataclass(eq=False, slots=True)
class Trace:
    """The values of one forward pass.

    ``z[i]`` and ``a[i]`` are layer i's pre-activation and activation, each of
    shape ``(n_examples, n_out)``. For a linear layer they are the same array.
    """

    x: np.ndarray
    z: list[np.ndarray]
    a: list[np.ndarray]

    @property
    def output(self) -> np.ndarray:
        return self.a[-1]

    def layer_input(self, index: int) -> np.ndarray:
        """Return what layer ``index`` received: ``x`` or the previous ``a``."""
        return self.a[index - 1] if index else self.x


@dataclass(eq=False, slots=True)
class Gradients:
    """The gradients of one backward pass, for the loss of its batch.

    ``dW[i]`` and ``db[i]`` are views into ``flat``, which is laid out like
    ``Network.parameters``. ``dz[i]`` and ``da[i]`` are the gradients with
    respect to layer i's z and a. ``loss`` is the loss value of the batch.
    """

    flat: np.ndarray
    dW: list[np.ndarray]
    db: list[np.ndarray]
    dz: list[np.ndarray]
    da: list[np.ndarray]
    loss: float


def forward(net: Network, X: Any) -> Trace:
    """Run ``X`` through ``net`` and keep every layer's z and a."""
    return _forward(net, net.check_inputs(X))


def _forward(net: Network, x: np.ndarray) -> Trace:
    zs = []
    activations = []
    a = x
    for layer in net.layers:
        z = a @ layer._W
        z += layer._b
        a = z if layer._identity else layer._value(z)
        zs.append(z)
        activations.append(a)
    return Trace(x, zs, activations)


def prepare_targets(net: Network, y: Any, loss: Loss, n_examples: int) -> np.ndarray:
    """Check ``y`` against ``net`` and ``loss``, and return it prepared.

    Raises ``ValueError`` when the output layer does not suit the loss, when a
    target is invalid for it, or when ``y`` does not have ``n_examples`` rows.
    """
    loss.check_output_activation(net.layers[-1].activation.name)
    target = loss.prepare(y, net.n_outputs, net.dtype)
    if len(target) != n_examples:
        raise ValueError(
            f"got {len(target)} targets for {n_examples} examples: y needs one "
            "row per row of X"
        )
    return target


def backward(net: Network, trace: Trace, y: Any, loss: str | Loss) -> Gradients:
    """Backpropagate the gradient of ``loss`` at targets ``y`` through ``trace``.

    Returns the gradients of the batch's mean loss with respect to every
    layer's W, b, z and a. ``trace`` must come from ``forward(net, ...)``.
    """
    loss = get_loss(loss)
    target = prepare_targets(net, y, loss, len(trace.x))
    return _backward(net, trace, target, loss)


def _backward(
    net: Network,
    trace: Trace,
    target: np.ndarray,
    loss: Loss,
    buffer: tuple[np.ndarray, list[np.ndarray]] | None = None,
) -> Gradients:
    # A training loop passes one reusable (flat, net.split(flat)) buffer, which
    # saves making the views at every step. The gradients returned then live
    # in that buffer until the next call.
    value, da = loss.value_and_gradient(trace.a[-1], target)
    if buffer is None:
        flat = np.empty(net.n_parameters, dtype=net.dtype)
        views = net.split(flat)
    else:
        flat, views = buffer
    n_layers = len(net.layers)
    dW, db = views[:n_layers], views[n_layers:]
    dz_list: list[Any] = [None] * n_layers
    da_list: list[Any] = [None] * n_layers

    for i in range(n_layers - 1, -1, -1):
        layer = net.layers[i]
        da_list[i] = da
        dz = da if layer._identity else da * layer._derivative(trace.z[i])
        dz_list[i] = dz
        layer_input = trace.a[i - 1] if i else trace.x
        np.matmul(layer_input.T, dz, out=dW[i])
        np.add.reduce(dz, axis=0, out=db[i])
        if i:
            da = dz @ layer._W.T

    return Gradients(flat, dW, db, dz_list, da_list, value)


def update(
    optimiser: Optimiser,
    net: Network,
    grads: Gradients,
    penalty: Penalty | None = None,
) -> None:
    """Take one optimiser step on ``net``'s parameters from ``grads``.

    A ``penalty`` adds its gradient on the weights to ``grads.flat`` first.
    """
    if grads.flat.shape != net.parameters.shape:
        raise ValueError(
            f"the gradients have {grads.flat.size} entries but the network has "
            f"{net.n_parameters} parameters: use gradients from this network"
        )
    if penalty is not None:
        penalty.add_gradient(
            net.parameters[: net.n_weights], grads.flat[: net.n_weights]
        )
    optimiser.apply(net.parameters, grads.flat)


def step(
    net: Network,
    X: Any,
    y: Any,
    loss: str | Loss,
    optimiser: Optimiser,
    penalty: Penalty | None = None,
) -> float:
    """Run forward, backward and update on one batch, and return its loss.

    The loss is the batch's mean loss before the update, without the penalty.
    When it is not finite the weights are left unchanged.
    """
    loss = get_loss(loss)
    x = net.check_inputs(X)
    target = prepare_targets(net, y, loss, len(x))
    return _step(net, x, target, loss, optimiser, penalty)


def _step(
    net: Network,
    x: np.ndarray,
    target: np.ndarray,
    loss: Loss,
    optimiser: Optimiser,
    penalty: Penalty | None,
    backup: np.ndarray | None = None,
    buffer: tuple[np.ndarray, list[np.ndarray]] | None = None,
) -> float:
    trace = _forward(net, x)
    grads = _backward(net, trace, target, loss, buffer)
    if not math.isfinite(grads.loss):
        return grads.loss
    if backup is not None:
        np.copyto(backup, net.parameters)
    update(optimiser, net, grads, penalty)
    return grads.loss
