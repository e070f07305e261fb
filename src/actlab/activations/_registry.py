"""The activation registry: one record per activation, everything else derived."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FLOAT_DTYPES = (np.float16, np.float32, np.float64)


class Role(enum.StrEnum):
    """A place in a network that an activation suits."""

    HIDDEN = "hidden"
    BINARY_OUTPUT = "binary_output"
    MULTICLASS_OUTPUT = "multiclass_output"
    REAL_OUTPUT = "real_output"
    NONNEGATIVE_OUTPUT = "nonnegative_output"


@dataclass(frozen=True)
class Parameter:
    """A tunable parameter of an activation, with its default and valid values.

    Numeric parameters are valid in ``[low, high]`` (inclusive, ``None`` for no
    bound) and finite; string parameters are valid when in ``choices``.
    """

    name: str
    default: float | str
    description: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    # Range for a slider in the explorer, not a validity limit.
    slider: tuple[float, float] = (0.0, 1.0)

    def validate(self, value: Any, activation: str) -> float | str:
        """Return ``value`` checked and converted, or raise ``ValueError``."""
        if self.choices:
            if value not in self.choices:
                raise ValueError(
                    f"invalid {self.name}={value!r} for {activation}: "
                    f"choose one of {', '.join(map(repr, self.choices))}"
                )
            return value
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"invalid {self.name}={value!r} for {activation}: "
                f"expected a number in {self.range_text()}"
            ) from None
        low_ok = self.low is None or number >= self.low
        high_ok = self.high is None or number <= self.high
        if not (math.isfinite(number) and low_ok and high_ok):
            raise ValueError(
                f"invalid {self.name}={value!r} for {activation}: "
                f"expected a finite number in {self.range_text()}"
            )
        return number

    def range_text(self) -> str:
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"[{low}, {high}]"


@dataclass(frozen=True)
class Spec:
    """Everything actlab knows about one activation.

    ``value(z, **params)`` and ``derivative(z, **params)`` receive a float array
    of the computing dtype (float32 or float64; float16 input is computed in
    float32) and return an array of the same shape and dtype.
    """

    name: str
    formula: str  # LaTeX for g(z)
    derivative_formula: str  # LaTeX for g'(z)
    value: Callable[..., np.ndarray]
    derivative: Callable[..., np.ndarray]
    output_range: tuple[float, float]
    range_text: str  # e.g. "(0, 1)", with open or closed ends
    description: str
    roles: frozenset[Role]
    aliases: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    monotonic: bool = True
    smooth: bool = True
    zero_centred: bool = False
    flat_regions: str = ""  # where g' is (near) zero, in words; "" if nowhere
    dead_region: str = ""  # where g' is exactly zero, in words; "" if nowhere
    kinks: tuple[float, ...] = ()  # inputs where g' is not defined
    kink_derivatives: str = ""  # the value chosen at each kink, in words
    can_die: bool = False  # a unit can stop learning for good (ReLU family)
    saturates: bool = False  # flat at large |z| (sigmoid family)
    max_derivative: float = 1.0  # sup of |g'| at default parameters
    initialiser: str = "xavier"  # the initialiser that suits it in hidden layers
    vector: bool = False  # acts on a whole vector (softmax), not elementwise
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def bounded_below(self) -> bool:
        return math.isfinite(self.output_range[0])

    @property
    def bounded_above(self) -> bool:
        return math.isfinite(self.output_range[1])

    def defaults(self) -> dict[str, float | str]:
        return {p.name: p.default for p in self.parameters}


_SPECS: dict[str, Spec] = {}
_ALIASES: dict[str, str] = {}


def register(spec: Spec) -> Spec:
    """Add ``spec`` to the registry under its name and aliases."""
    for key in (spec.name, *spec.aliases):
        if key in _SPECS or key in _ALIASES:
            raise ValueError(f"activation name {key!r} is already registered")
    _SPECS[spec.name] = spec
    for alias in spec.aliases:
        _ALIASES[alias] = spec.name
    return spec


def names() -> list[str]:
    """Return the canonical names of all registered activations, in order."""
    return list(_SPECS)


def spec(name: str) -> Spec:
    """Return the record of ``name`` (a canonical name or an alias)."""
    if not isinstance(name, str):
        raise ValueError(f"activation name must be a string, got {name!r}")
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in _SPECS:
        choices = ", ".join(sorted([*_SPECS, *_ALIASES]))
        raise ValueError(f"unknown activation {name!r}: choose one of {choices}")
    return _SPECS[key]


def specs() -> list[Spec]:
    """Return every record, in registry order."""
    return list(_SPECS.values())


class Activation:
    """An activation with its parameters bound: ``act(z)``, ``act.derivative(z)``.

    Both accept a scalar or an array; float16, float32 and float64 keep their
    dtype, anything else is computed as float64.
    """

    def __init__(self, spec: Spec, params: Mapping[str, Any]):
        known = {p.name: p for p in spec.parameters}
        unknown = set(params) - set(known)
        if unknown:
            valid = ", ".join(known) or "none"
            raise ValueError(
                f"unknown parameter {sorted(unknown)[0]!r} for {spec.name}: "
                f"valid parameters are {valid}"
            )
        bound = spec.defaults()
        for key, value in params.items():
            bound[key] = known[key].validate(value, spec.name)
        self.spec = spec
        self.params: dict[str, float | str] = bound

    @property
    def name(self) -> str:
        return self.spec.name

    def __call__(self, z: Any) -> Any:
        return self._apply(self.spec.value, z)

    def derivative(self, z: Any) -> Any:
        """Return g'(z), computed from the pre-activation ``z``."""
        return self._apply(self.spec.derivative, z)

    def _apply(self, function: Callable[..., np.ndarray], z: Any) -> Any:
        array = np.asarray(z)
        dtype = array.dtype if array.dtype in FLOAT_DTYPES else np.dtype(np.float64)
        work = np.float32 if dtype == np.float16 else dtype
        result = np.asarray(function(array.astype(work, copy=False), **self.params))
        # Only a float16 result can overflow here, and only where the true value
        # does (for example selu(65504)), so inf is the right answer.
        with np.errstate(over="ignore"):
            result = result.astype(dtype, copy=False)
        return result[()] if result.ndim == 0 else result

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"Activation({self.name!r}{', ' if args else ''}{args})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Activation):
            return NotImplemented
        return self.spec is other.spec and self.params == other.params

    def __hash__(self) -> int:
        return hash((self.spec.name, tuple(sorted(self.params.items()))))


def get(name: str | Activation, **params: Any) -> Activation:
    """Return the activation ``name`` with ``params`` bound.

    Raises ``ValueError`` naming the value and the valid choices for an unknown
    name, an unknown parameter or an out-of-range parameter value.
    """
    if isinstance(name, Activation):
        if params:
            return Activation(name.spec, {**name.params, **params})
        return name
    return Activation(spec(name), params)
