"""Functional activation calls, such as ``F.relu(x)``, and the mode that catches them.

Forward hooks run for modules only. For the length of a training-mode forward pass
of the monitored model, the monitor enters ``ActivationCallMode``, a
``torch.overrides.TorchFunctionMode``. The mode receives every call of a torch
function, tensor method or ``torch.nn.functional`` function that supports
``__torch_function__``. A call of a function in ``FUNCTIONS`` becomes a layer,
and every other call runs unchanged.
"""

from __future__ import annotations

import operator
import sys
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from actlab import activations

# The registry entry and parameters that a call's arguments select, or None
# for mean and std only.
Match = Callable[[tuple, Mapping[str, Any]], "tuple[str, dict] | None"]


def _argument(args: tuple, kwargs: Mapping[str, Any], index: int, name: str, default):
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else default


def _plain(name: str) -> Match:
    return lambda args, kwargs: (name, {})


def _one_parameter(name: str, parameter: str, index: int, default: float) -> Match:
    def match(args: tuple, kwargs: Mapping[str, Any]) -> tuple[str, dict]:
        value = _argument(args, kwargs, index, parameter, default)
        return name, {parameter: value}

    return match


def _gelu(args: tuple, kwargs: Mapping[str, Any]) -> tuple[str, dict]:
    # torch's gelu takes ``approximate`` as a keyword only.
    return "gelu", {"approximate": kwargs.get("approximate", "none")}


def _hardtanh(args: tuple, kwargs: Mapping[str, Any]) -> tuple[str, dict] | None:
    low = _argument(args, kwargs, 1, "min_val", -1.0)
    high = _argument(args, kwargs, 2, "max_val", 1.0)
    return ("hard_tanh", {}) if (low, high) == (-1.0, 1.0) else None


def _mean_std_only(args: tuple, kwargs: Mapping[str, Any]) -> None:
    return None


# Each functional activation: its name in layer names, how its arguments
# select a registry entry, and the torch callables that compute it. In-place
# variants are listed too, because the mode reads z before the call overwrites it.
_CALLS: tuple[tuple[str, Match, tuple[str, ...]], ...] = (
    (
        "relu",
        _plain("relu"),
        (
            "nn.functional.relu",
            "nn.functional.relu_",
            "relu",
            "relu_",
            "Tensor.relu",
            "Tensor.relu_",
        ),
    ),
    ("relu6", _plain("relu6"), ("nn.functional.relu6",)),
    (
        "leaky_relu",
        _one_parameter("leaky_relu", "negative_slope", 1, 0.01),
        ("nn.functional.leaky_relu", "nn.functional.leaky_relu_"),
    ),
    (
        "elu",
        _one_parameter("elu", "alpha", 1, 1.0),
        ("nn.functional.elu", "nn.functional.elu_"),
    ),
    (
        "celu",
        _one_parameter("celu", "alpha", 1, 1.0),
        ("nn.functional.celu", "nn.functional.celu_", "celu", "celu_"),
    ),
    (
        "selu",
        _plain("selu"),
        ("nn.functional.selu", "nn.functional.selu_", "selu", "selu_"),
    ),
    ("gelu", _gelu, ("nn.functional.gelu",)),
    ("silu", _plain("silu"), ("nn.functional.silu",)),
    ("mish", _plain("mish"), ("nn.functional.mish",)),
    (
        "sigmoid",
        _plain("sigmoid"),
        (
            "sigmoid",
            "sigmoid_",
            "special.expit",
            "Tensor.sigmoid",
            "Tensor.sigmoid_",
            "nn.functional.sigmoid",
        ),
    ),
    (
        "tanh",
        _plain("tanh"),
        ("tanh", "tanh_", "Tensor.tanh", "Tensor.tanh_", "nn.functional.tanh"),
    ),
    # F.softplus turns linear above its ``threshold``, as nn.Softplus does.
    (
        "softplus",
        _one_parameter("softplus", "beta", 1, 1.0),
        ("nn.functional.softplus",),
    ),
    ("softsign", _plain("softsign"), ("nn.functional.softsign",)),
    ("logsigmoid", _plain("log_sigmoid"), ("nn.functional.logsigmoid",)),
    ("hardsigmoid", _plain("hard_sigmoid"), ("nn.functional.hardsigmoid",)),
    ("hardswish", _plain("hard_swish"), ("nn.functional.hardswish",)),
    ("hardtanh", _hardtanh, ("nn.functional.hardtanh", "nn.functional.hardtanh_")),
    ("prelu", _mean_std_only, ("nn.functional.prelu", "prelu")),
    ("rrelu", _mean_std_only, ("nn.functional.rrelu", "nn.functional.rrelu_")),
    (
        "threshold",
        _mean_std_only,
        ("nn.functional.threshold", "nn.functional.threshold_"),
    ),
    ("hardshrink", _mean_std_only, ("nn.functional.hardshrink", "hardshrink")),
    ("softshrink", _mean_std_only, ("nn.functional.softshrink",)),
    ("tanhshrink", _mean_std_only, ("nn.functional.tanhshrink",)),
)

# Functions whose output has its features along the last dim, such as the
# (batch, sequence, features) output of a Linear layer in a transformer.
_FEATURES_LAST_PATHS = (
    "nn.functional.linear",
    "nn.functional.bilinear",
    "nn.functional.layer_norm",
    "nn.functional.rms_norm",
    "matmul",
    "Tensor.matmul",
    "Tensor.__matmul__",
)


@dataclass(frozen=True)
class FunctionEntry:
    """A functional activation: its name in layer names and its registry match."""

    name: str
    match: Match

    def activation(
        self, args: tuple, kwargs: Mapping[str, Any]
    ) -> activations.Activation | None:
        """Return the registry activation that this call computes, if any."""
        found = self.match(args, kwargs)
        if found is None:
            return None
        name, params = found
        try:
            return activations.get(name, **params)
        except (TypeError, ValueError):
            # A parameter the registry rejects, such as a negative slope of
            # leaky_relu or a tensor in place of a number.
            return None


def _torch_callable(path: str) -> Callable:
    return operator.attrgetter(path)(torch)


FUNCTIONS: dict[Callable, FunctionEntry] = {
    _torch_callable(path): FunctionEntry(name, match)
    for name, match, paths in _CALLS
    for path in paths
}
"""The torch callables that the mode records, each with its entry."""

RECOGNISED_FUNCTIONS: tuple[str, ...] = tuple(
    f"torch.{path}"
    for name, match, paths in _CALLS
    if match is not _mean_std_only
    for path in paths
)
"""Functional activations with dead and saturated fractions, mean and std.

As for modules, the fractions are those of the registry entry at the call's
parameters. ``hardtanh`` gets them only with its default bounds -1 and 1.
"""

MEAN_STD_FUNCTIONS: tuple[str, ...] = tuple(
    f"torch.{path}"
    for name, match, paths in _CALLS
    if match is _mean_std_only
    for path in paths
)
"""Functional activations with the mean and std of their output only."""

_FEATURES_LAST = frozenset(_torch_callable(path) for path in _FEATURES_LAST_PATHS)


class ActivationCallMode(TorchFunctionMode):
    """Pass every torch call through, and hand functional activations to a callback.

    ``on_call(entry, args, kwargs)`` runs before the activation, so it reads z
    before an in-place variant overwrites it, and returns the object whose
    ``add_output`` receives the result, or None to skip the call. Torch calls
    made inside ``on_call`` do not reach this mode again, because torch
    removes a mode from the stack while its ``__torch_function__`` runs.
    """

    def __init__(self, on_call: Callable[[FunctionEntry, tuple, dict], Any]):
        super().__init__()
        self.on_call = on_call
        # id of a tensor with its features last -> a weak reference to it, so
        # a reused id of a freed tensor does not match.
        self._features_last: dict[int, weakref.ref] = {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        entry = FUNCTIONS.get(func)
        if entry is None:
            result = func(*args, **kwargs)
            if func in _FEATURES_LAST and isinstance(result, torch.Tensor):
                self._features_last[id(result)] = weakref.ref(result)
            return result
        tally = self.on_call(entry, args, kwargs)
        result = func(*args, **kwargs)
        if tally is not None and isinstance(result, torch.Tensor):
            tally.add_output(result)
        return result

    def unit_dim(self, z: torch.Tensor) -> int:
        """Return the dim of ``z`` that contains its units.

        That is -1 for the output of a function in ``_FEATURES_LAST_PATHS``,
        such as a Linear layer's, and 1 for any other tensor.
        """
        reference = self._features_last.get(id(z))
        return -1 if reference is not None and reference() is z else 1

    def __exit__(self, *exc_info: object) -> None:
        self._features_last.clear()
        super().__exit__(*exc_info)


def calling_module(
    modules: Mapping[int, tuple[str, nn.Module]],
) -> tuple[str, nn.Module] | None:
    """Return the name and module of the innermost model method on the stack.

    ``modules`` maps ``id(module)`` to its qualified name and the module. A
    frame counts when its ``self`` is one of them, which is true inside
    ``forward`` and inside helper methods such as the ``_ff_block`` of
    ``nn.TransformerEncoderLayer``.
    """
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_argcount and code.co_varnames[0] == "self":
            owner = frame.f_locals.get("self")
            found = modules.get(id(owner))
            if found is not None and found[1] is owner:
                return found
        frame = frame.f_back
    return None
