"""The PyTorch modules that the monitor hooks, and the statistics of one layer.

Dead and saturated units follow ``actlab.diagnostics``: the derivative comes
from actlab's own activation registry, evaluated on the pre-activation z that
the activation module or functional call receives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from actlab import activations, diagnostics

# Each recognised module class and the registry entry with the parameters that
# match it. An entry that returns None falls back to mean and std only.
_RECOGNISED: dict[type[nn.Module], Callable[[Any], tuple[str, dict] | None]] = {
    nn.ReLU: lambda m: ("relu", {}),
    nn.ReLU6: lambda m: ("relu6", {}),
    nn.LeakyReLU: lambda m: ("leaky_relu", {"negative_slope": m.negative_slope}),
    nn.ELU: lambda m: ("elu", {"alpha": m.alpha}),
    nn.CELU: lambda m: ("celu", {"alpha": m.alpha}),
    nn.SELU: lambda m: ("selu", {}),
    nn.GELU: lambda m: ("gelu", {"approximate": m.approximate}),
    nn.SiLU: lambda m: ("silu", {}),
    nn.Mish: lambda m: ("mish", {}),
    nn.Sigmoid: lambda m: ("sigmoid", {}),
    nn.Tanh: lambda m: ("tanh", {}),
    # NOTE: torch's Softplus turns linear above its ``threshold`` (20 by
    # default), where the registry's slope differs from 1 by under 1e-8.
    nn.Softplus: lambda m: ("softplus", {"beta": m.beta}),
    nn.Softsign: lambda m: ("softsign", {}),
    nn.LogSigmoid: lambda m: ("log_sigmoid", {}),
    nn.Hardsigmoid: lambda m: ("hard_sigmoid", {}),
    nn.Hardswish: lambda m: ("hard_swish", {}),
    nn.Hardtanh: lambda m: (
        ("hard_tanh", {}) if (m.min_val, m.max_val) == (-1.0, 1.0) else None
    ),
}

# Activation modules that get the mean and std of their output, but no dead
# or saturated fraction, because the registry has no entry for them.
_OTHER: tuple[type[nn.Module], ...] = (
    nn.PReLU,
    nn.RReLU,
    nn.Threshold,
    nn.Hardshrink,
    nn.Softshrink,
    nn.Tanhshrink,
)

WEIGHT_MODULES: tuple[type[nn.Module], ...] = (
    nn.Linear,
    nn.Bilinear,
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
)
"""Modules whose weight gradient norm the monitor records."""

RECOGNISED_ACTIVATIONS: tuple[str, ...] = tuple(cls.__name__ for cls in _RECOGNISED)
"""``torch.nn`` activation modules with dead and saturated fractions, mean and std.

The fractions are those of the registry entry at the module's parameters, and
None where that entry cannot die or saturate. Hardtanh gets them only with
its default bounds -1 and 1.
"""

MEAN_STD_ACTIVATIONS: tuple[str, ...] = tuple(cls.__name__ for cls in _OTHER)
"""``torch.nn`` activation modules with the mean and std of their output only."""


def is_activation(module: nn.Module) -> bool:
    """Return whether ``module`` is an activation module that the monitor hooks."""
    return isinstance(module, (*_RECOGNISED, *_OTHER))


def registry_activation(module: nn.Module) -> activations.Activation | None:
    """Return the registry activation that computes what ``module`` computes.

    Returns None for an activation module without a matching entry, such as
    Hardtanh with other bounds than -1 and 1, or parameters the registry
    rejects (a negative slope of LeakyReLU).
    """
    for cls in type(module).__mro__:
        if cls in _RECOGNISED:
            match = _RECOGNISED[cls](module)
            break
    else:
        return None
    if match is None:
        return None
    name, params = match
    try:
        return activations.get(name, **params)
    except ValueError:
        return None


def unit_matrix(z: torch.Tensor, dim: int = 1) -> np.ndarray:
    """Return ``z`` as an (examples, units) float array with its units along ``dim``.

    Dim 1 holds the units of a Linear output (features) and a Conv output
    (channels), and the last dim those of a (batch, sequence, features)
    output, such as a Linear layer's in a transformer. Every other dim counts
    as examples, so a channel of a Conv2d output has batch x height x width
    examples. A 1-D tensor is one unit over its entries when ``dim`` is 1,
    and one example of its entries as units when ``dim`` is -1.
    """
    z = z.detach()
    if z.ndim == 0:
        z = z.reshape(1, 1)
    elif z.ndim == 1:
        z = z.reshape(1, -1) if dim == -1 else z.reshape(-1, 1)
    else:
        z = z.movedim(dim, -1).reshape(-1, z.shape[dim])
    if z.dtype not in (torch.float32, torch.float64):
        z = z.float()
    return z.cpu().numpy()


@dataclass
class LayerTally:
    """The statistics of one activation module or call site over a step's batches.

    ``dead`` is True for each unit whose derivative was 0 on every example so
    far, and ``flat`` counts per unit the examples where the slope fell below
    ``diagnostics.SATURATION_LEVEL`` of the maximum. The output's mean and
    variance are combined over batches with Chan's parallel formula.
    """

    name: str
    module: str
    activation: activations.Activation | None
    examples: int = 0
    units: int = 0
    dead: np.ndarray | None = None
    flat: np.ndarray | None = None
    outputs: int = 0
    mean: float = 0.0
    m2: float = 0.0
    width_changed: bool = field(default=False)

    def add_input(self, z: torch.Tensor, dim: int = 1) -> None:
        """Count one batch's pre-activations ``z``, units along ``dim``."""
        matrix = unit_matrix(z, dim)
        if self.units and matrix.shape[1] != self.units:
            # A module called with two widths in one step gets no fractions.
            self.width_changed = True
            return
        self.units = matrix.shape[1]
        self.examples += matrix.shape[0]
        spec = None if self.activation is None else self.activation.bound_spec
        if spec is None or not (spec.can_die or spec.saturates):
            return
        slope = np.abs(self.activation.derivative(matrix))
        if spec.can_die:
            dead = np.all(slope == 0, axis=0)
            self.dead = dead if self.dead is None else self.dead & dead
        if spec.saturates:
            level = diagnostics.SATURATION_LEVEL * spec.max_derivative
            flat = np.count_nonzero(slope < level, axis=0)
            self.flat = flat if self.flat is None else self.flat + flat

    def add_output(self, output: torch.Tensor) -> None:
        """Count one batch's activations into the running mean and variance."""
        values = output.detach()
        count = values.numel()
        if count == 0:
            return
        variance, mean = torch.var_mean(values.double(), correction=0)
        batch_mean, batch_m2 = mean.item(), variance.item() * count
        total = self.outputs + count
        delta = batch_mean - self.mean
        self.mean += delta * count / total
        self.m2 += batch_m2 + delta * delta * self.outputs * count / total
        self.outputs = total

    def record(self) -> dict[str, Any]:
        """Return the step's statistics of this layer as plain values."""
        spec = None if self.activation is None else self.activation.bound_spec
        dead = saturated = None
        if not self.width_changed and spec is not None:
            if spec.can_die and self.dead is not None:
                dead = float(self.dead.mean())
            if spec.saturates and self.flat is not None:
                share = self.flat / self.examples
                saturated = float(np.mean(share > diagnostics.SATURATED_SHARE))
        std = float(np.sqrt(self.m2 / self.outputs)) if self.outputs else None
        return {
            "layer": self.name,
            "module": self.module,
            "activation": None if self.activation is None else self.activation.name,
            "units": self.units,
            "examples": self.examples,
            "dead_fraction": dead,
            "saturated_fraction": saturated,
            "mean": self.mean if self.outputs else None,
            "std": std,
        }


def weight_record(name: str, module: nn.Module) -> dict[str, Any]:
    """Return the gradient norms of a Linear or Conv module's weight and bias.

    A norm is None while its parameter has no ``.grad``, which is the case
    before the first backward pass and after ``zero_grad()``.
    """
    weight = getattr(module, "weight", None)
    bias = getattr(module, "bias", None)
    return {
        "layer": name,
        "module": type(module).__name__,
        "shape": [] if weight is None else list(weight.shape),
        "grad_norm": _grad_norm(weight),
        "bias_grad_norm": _grad_norm(bias),
    }


def _grad_norm(parameter: torch.Tensor | None) -> float | None:
    if parameter is None or parameter.grad is None:
        return None
    return torch.linalg.vector_norm(parameter.grad.detach()).item()
