"""Per-layer statistics of a network on given examples.

One forward and backward pass gives, for each layer:

- the norm of the loss gradient with respect to its weights, which shows
  whether the gradient vanishes or explodes on its way back to the inputs;
- the fraction of dead units, for activations that can die (the ReLU family
  and the hard variants). A unit is dead when g'(z) is exactly 0 for every
  example, so its incoming weights get no gradient: for ReLU, z <= 0 on every
  example; for ReLU6 also z >= 6;
- the fraction of saturated units, for activations that saturate (the sigmoid
  family): a unit is saturated when g'(z) is below 1% of the activation's
  maximum slope for more than half of the examples;
- the mean and standard deviation of its activations and of its z, and a
  histogram of z for plotting.

The dead and saturated fractions are ``None`` for activations that cannot die
or do not saturate, as the activation's registry record states
at its bound parameters (``bound_spec.can_die``, ``bound_spec.saturates``).

>>> import numpy as np
>>> from actlab import nn
>>> net = nn.Network.build([3, 16, 1], hidden="relu", seed=0)
>>> X = np.random.default_rng(0).normal(size=(64, 3))
>>> report = diagnose(net, X, np.zeros(64), "mse")
>>> len(report.layers), report.layers[0].dead_fraction is not None
(2, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from actlab import activations, nn

__all__ = [
    "SATURATED_SHARE",
    "SATURATION_LEVEL",
    "Diagnosis",
    "Histogram",
    "LayerStats",
    "dead_fraction",
    "dead_units",
    "diagnose",
    "diagnose_pass",
    "saturated_fraction",
    "saturated_units",
]

SATURATION_LEVEL = 0.01
"""A unit saturates on an example where g'(z) < this share of the maximum slope."""

SATURATED_SHARE = 0.5
"""A unit is saturated when it saturates on more than this share of examples."""


def dead_units(
    z: np.ndarray, activation: activations.Activation | None = None
) -> np.ndarray:
    """Return a boolean per unit (column of ``z``): g'(z) == 0 for every example.

    Without an activation the rule is ReLU's: z <= 0 for every example.
    """
    if activation is None:
        return np.all(z <= 0, axis=0)
    return np.all(activation.derivative(z) == 0, axis=0)


def saturated_units(z: np.ndarray, activation: activations.Activation) -> np.ndarray:
    """Return a boolean per unit (column of ``z``): saturated on most examples.

    An example saturates a unit where ``|g'(z)|`` is below ``SATURATION_LEVEL``
    times ``activation.bound_spec.max_derivative``, and the unit counts as saturated
    when that holds for more than ``SATURATED_SHARE`` of the examples.
    """
    level = SATURATION_LEVEL * activation.bound_spec.max_derivative
    flat = np.abs(activation.derivative(z)) < level
    return flat.mean(axis=0) > SATURATED_SHARE


def dead_fraction(z: np.ndarray, activation: activations.Activation) -> float | None:
    """Return the share of dead units, or ``None`` if the activation cannot die."""
    if not activation.bound_spec.can_die:
        return None
    return float(dead_units(z, activation).mean())


def saturated_fraction(
    z: np.ndarray, activation: activations.Activation
) -> float | None:
    """Return the share of saturated units, or ``None`` if it cannot saturate."""
    if not activation.bound_spec.saturates:
        return None
    return float(saturated_units(z, activation).mean())


@dataclass(frozen=True)
class Histogram:
    """Counts of values in bins: ``counts[i]`` values lie in ``[edges[i], edges[i+1])``.

    The last bin includes its right edge, as in ``numpy.histogram``.
    """

    counts: tuple[int, ...]
    edges: tuple[float, ...]

    @classmethod
    def of(cls, values: np.ndarray, bins: int) -> Histogram | None:
        """Return the histogram of the finite ``values``, or ``None`` if none are.

        Values whose range NumPy cannot split into ``bins`` bins (a range too
        small for the values' magnitude, or one that overflows) get one bin.
        """
        values = values[np.isfinite(values)]
        if values.size == 0:
            return None
        try:
            counts, edges = np.histogram(values, bins=bins)
        except ValueError:
            counts = np.array([values.size])
            edges = np.array([values.min(), values.max()])
        return cls(tuple(counts.tolist()), tuple(edges.tolist()))


@dataclass(frozen=True)
class LayerStats:
    """The statistics of one layer over the examples of one pass.

    ``grad_norm`` and ``bias_grad_norm`` are the Frobenius norms of the mean
    loss's gradient with respect to the layer's W and b (``None`` for a pass
    without targets). ``z`` is kept only when requested.
    """

    index: int
    n_in: int
    n_out: int
    activation: str
    grad_norm: float | None
    bias_grad_norm: float | None
    dead_fraction: float | None
    saturated_fraction: float | None
    activation_mean: float
    activation_std: float
    z_mean: float
    z_std: float
    z_histogram: Histogram | None
    z: np.ndarray | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the statistics as plain Python values (``z`` left out)."""
        histogram = self.z_histogram
        return {
            "index": self.index,
            "n_in": self.n_in,
            "n_out": self.n_out,
            "activation": self.activation,
            "grad_norm": self.grad_norm,
            "bias_grad_norm": self.bias_grad_norm,
            "dead_fraction": self.dead_fraction,
            "saturated_fraction": self.saturated_fraction,
            "activation_mean": self.activation_mean,
            "activation_std": self.activation_std,
            "z_mean": self.z_mean,
            "z_std": self.z_std,
            "z_histogram": None
            if histogram is None
            else {"counts": list(histogram.counts), "edges": list(histogram.edges)},
        }


@dataclass(frozen=True)
class Diagnosis:
    """Per-layer statistics of a network over ``n_examples`` examples.

    ``loss`` is the mean loss over those examples, ``None`` without targets.
    """

    n_examples: int
    loss: float | None
    layers: tuple[LayerStats, ...]

    @property
    def grad_norms(self) -> list[float | None]:
        return [layer.grad_norm for layer in self.layers]

    @property
    def dead_fractions(self) -> list[float | None]:
        return [layer.dead_fraction for layer in self.layers]

    @property
    def saturated_fractions(self) -> list[float | None]:
        return [layer.saturated_fraction for layer in self.layers]

    @property
    def activation_means(self) -> list[float]:
        return [layer.activation_mean for layer in self.layers]

    @property
    def activation_stds(self) -> list[float]:
        return [layer.activation_std for layer in self.layers]

    @property
    def grad_norm_ratio(self) -> float | None:
        """The first layer's gradient norm over the last layer's.

        Far below 1 means the gradient vanishes on its way back to the inputs,
        far above 1 that it explodes. ``None`` without gradients or when the
        last layer's norm is 0.
        """
        first, last = self.layers[0].grad_norm, self.layers[-1].grad_norm
        if first is None or last is None or last == 0:
            return None
        return first / last

    def to_dict(self) -> dict[str, Any]:
        """Return the diagnosis as plain Python values."""
        return {
            "n_examples": self.n_examples,
            "loss": self.loss,
            "layers": [layer.to_dict() for layer in self.layers],
        }


def diagnose(
    net: nn.Network,
    X: Any,
    y: Any = None,
    loss: str | nn.Loss | None = None,
    *,
    bins: int = 30,
    keep_z: bool = False,
) -> Diagnosis:
    """Run ``X`` through ``net`` and return per-layer statistics.

    With targets ``y`` and a ``loss`` the pass also goes backward, so the
    statistics include gradient norms. ``bins`` sets the number of bins of
    each z histogram (0 for none), and ``keep_z=True`` keeps every layer's z.
    """
    if (y is None) != (loss is None):
        raise ValueError(
            "pass both y and loss for gradient statistics, or neither for "
            "statistics of the forward pass only"
        )
    trace = nn.forward(net, X)
    grads = None if loss is None else nn.backward(net, trace, y, loss)
    return diagnose_pass(net, trace, grads, bins=bins, keep_z=keep_z)


def diagnose_pass(
    net: nn.Network,
    trace: nn.Trace,
    grads: nn.Gradients | None = None,
    *,
    bins: int = 30,
    keep_z: bool = False,
) -> Diagnosis:
    """Return per-layer statistics of a pass already run with ``nn.forward``.

    ``grads``, from ``nn.backward`` on the same trace, adds gradient norms.
    """
    layers = tuple(
        _layer_stats(net, trace, grads, index, bins, keep_z)
        for index in range(len(net.layers))
    )
    loss = None if grads is None else grads.loss
    return Diagnosis(len(trace.x), loss, layers)


def _layer_stats(
    net: nn.Network,
    trace: nn.Trace,
    grads: nn.Gradients | None,
    index: int,
    bins: int,
    keep_z: bool,
) -> LayerStats:
    layer = net.layers[index]
    z, a = trace.z[index], trace.a[index]
    grad_norm = bias_grad_norm = None
    if grads is not None:
        grad_norm = float(np.linalg.norm(grads.dW[index]))
        bias_grad_norm = float(np.linalg.norm(grads.db[index]))

    return LayerStats(
        index=index,
        n_in=layer.n_in,
        n_out=layer.n_out,
        activation=layer.activation.name,
        grad_norm=grad_norm,
        bias_grad_norm=bias_grad_norm,
        dead_fraction=dead_fraction(z, layer.activation),
        saturated_fraction=saturated_fraction(z, layer.activation),
        activation_mean=float(a.mean()),
        activation_std=float(a.std()),
        z_mean=float(z.mean()),
        z_std=float(z.std()),
        z_histogram=Histogram.of(z, bins) if bins else None,
        z=z.copy() if keep_z else None,
    )
