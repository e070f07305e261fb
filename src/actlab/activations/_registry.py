"""The activation registry: one record per activation, everything else derived."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FLOAT32_MAX = float(np.finfo(np.float32).max)
FLOAT_DTYPES = (np.float16, np.float32, np.float64)


def _shown(value: Any, limit: int = 60) -> str:
    """Return ``repr(value)``, cut to ``limit`` characters for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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

    There are three kinds. A string parameter is valid when it is one of
    ``choices``. An integer parameter (``integer=True``) takes any integer in
    ``[low, high]``. Any other parameter is a finite real number in the interval
    from ``low`` to ``high``: ``None`` means no bound, and ``low_open`` or
    ``high_open`` excludes that end (``beta > 0`` is ``low=0, low_open=True``).
    """

    name: str
    default: float | int | str
    description: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    # Range for a slider in the explorer, not a validity limit.
    slider: tuple[float, float] = (0.0, 1.0)
    low_open: bool = False
    high_open: bool = False
    integer: bool = False

    def validate(self, value: Any, activation: str) -> float | int | str:
        """Return ``value`` checked and converted, or raise ``ValueError``.

        The message names the activation, the parameter, the rejected value and
        the values that would be accepted.
        """
        if self.choices:
            return self._validate_choice(value, activation)
        if self.integer:
            number = self._to_integer(value, activation)
        else:
            number = self._to_float(value, activation)
        if not self.contains(number):
            kind = "an integer" if self.integer else "a finite number"
            if math.isfinite(number) and abs(number) > FLOAT32_MAX:
                kind += f" of magnitude at most {FLOAT32_MAX:.3g}"
            raise ValueError(
                f"invalid {self.name}={_shown(value)} for {activation}: "
                f"expected {kind} in {self.range_text()}"
            )
        return number

    def contains(self, number: float) -> bool:
        """Return whether ``number`` lies in the valid range (finite, in bounds)."""
        # A parameter must fit in float32, because float32 and float16 input is
        # computed with the parameter cast to float32.
        if not math.isfinite(number) or abs(number) > FLOAT32_MAX:
            return False
        low, high = self.low, self.high
        if low is not None and (number < low or (self.low_open and number == low)):
            return False
        return not (
            high is not None and (number > high or (self.high_open and number == high))
        )

    def range_text(self) -> str:
        """Return the valid range in interval notation, such as ``(0, inf)``."""
        if self.choices:
            return "{" + ", ".join(map(repr, self.choices)) + "}"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        left = "(" if self.low is None or self.low_open else "["
        right = ")" if self.high is None or self.high_open else "]"
        return f"{left}{low}, {high}{right}"

    def _validate_choice(self, value: Any, activation: str) -> str:
        if isinstance(value, str) and value in self.choices:
            return value
        raise ValueError(
            f"invalid {self.name}={_shown(value)} for {activation}: "
            f"choose one of {', '.join(map(repr, self.choices))}"
        )

    def _to_integer(self, value: Any, activation: str) -> int:
        try:
            if isinstance(value, bool):
                raise TypeError
            return int(value) if isinstance(value, str) else operator.index(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"invalid {self.name}={_shown(value)} for {activation}: "
                f"expected an integer in {self.range_text()}"
            ) from None

    def _to_float(self, value: Any, activation: str) -> float:
        try:
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(
                f"invalid {self.name}={_shown(value)} for {activation}: "
                f"expected a finite number in {self.range_text()}"
            ) from None


@dataclass(frozen=True)
class Spec:
    """The record of one activation: its functions and every fact about it.

    ``value(z, **params)`` and ``derivative(z, **params)`` receive a float array
    of float32 or float64 and return an array of the same shape and dtype;
    ``Activation`` computes float16 input in float32. An entry may widen its
    own work to float64 where float32 kernels are not accurate enough (tanh',
    gelu), so calling these functions directly is as accurate as calling the
    ``Activation``. They never write into their arguments and emit no warning
    for finite input unless the true result overflows. An elementwise entry
    is never given a 0-d array by ``Activation``. A vector-valued entry
    (``vector=True``, softmax) takes ``derivative(z, v, **params)`` and
    returns the Jacobian-vector product, or the diagonal of the Jacobian when
    ``v`` is ``None``.

    The property fields describe the activation at its default parameters.
    Where they change with the parameters (the range of ELU moves with alpha),
    ``depends_on_params`` maps the bound parameters to the changed fields, and
    ``for_params`` returns the record with them applied.
    """

    name: str
    formula: str  # LaTeX for g(z)
    derivative_formula: str  # LaTeX for g'(z)
    value: Callable[..., np.ndarray]
    derivative: Callable[..., np.ndarray]
    output_range: tuple[float, float]  # infimum and supremum of g over finite z
    range_text: str  # e.g. "(0, 1)": a bracket marks an end that g attains
    description: str
    roles: frozenset[Role]
    aliases: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    monotonic: bool = True  # g is non-decreasing; a vector g in every output
    smooth: bool = True  # g' is continuous everywhere, so there are no kinks
    zero_centred: bool = False  # g(0) = 0 and E[g(Z)] = 0 for Z ~ N(0, 1)
    flat_regions: str = ""  # where |g'| falls below 0.001, in words; "" if nowhere
    dead_region: str = ""  # where g' is exactly zero, in words; "" if nowhere
    kinks: tuple[float, ...] = ()  # inputs where g' is not defined
    kink_derivatives: str = ""  # the value chosen at each kink, in words
    kink_derivative_values: tuple[float, ...] = ()  # g' returned at each kink
    can_die: bool = False  # a unit can stop learning for good (ReLU family)
    saturates: bool = False  # g' -> 0 as z -> -inf and as z -> +inf
    max_derivative: float = 1.0  # sup of |g'| (softmax: of the Jacobian's norm)
    initialiser: str = "xavier"  # the initialiser that suits it in hidden layers
    vector: bool = False  # acts on a whole vector (softmax), not elementwise
    depends_on_params: Callable[..., Mapping[str, Any]] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def bounded_below(self) -> bool:
        return math.isfinite(self.output_range[0])

    @property
    def bounded_above(self) -> bool:
        return math.isfinite(self.output_range[1])

    @property
    def doc(self) -> str:
        """The value function's docstring: g and g', range, kinks, an example."""
        return inspect.getdoc(self.value) or ""

    def defaults(self) -> dict[str, float | int | str]:
        return {p.name: p.default for p in self.parameters}

    def for_params(self, **params: Any) -> Spec:
        """Return this record with the fields that depend on ``params`` updated.

        Parameters not given keep their defaults; values are validated as in
        ``get``.
        """
        bound = _bind(self, params)
        if self.depends_on_params is None:
            return self
        return dataclasses.replace(self, **self.depends_on_params(**bound))


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
    """Return the record of ``name``: a canonical name or an alias.

    Case, surrounding spaces and hyphens for underscores are ignored, so
    ``"Leaky-ReLU"`` finds ``leaky_relu``.
    """
    if not isinstance(name, str):
        raise ValueError(f"activation name must be a string, got {_shown(name)}")
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in _SPECS:
        choices = ", ".join(sorted([*_SPECS, *_ALIASES]))
        raise ValueError(f"unknown activation {_shown(name)}: choose one of {choices}")
    return _SPECS[key]


def specs() -> list[Spec]:
    """Return every record, in registry order."""
    return list(_SPECS.values())


def _bind(spec: Spec, params: Mapping[str, Any]) -> dict[str, Any]:
    """Return the defaults of ``spec`` updated with ``params``, validated."""
    known = {p.name: p for p in spec.parameters}
    unknown = sorted(set(params) - set(known))
    if unknown:
        if known:
            valid = f"valid parameters are {', '.join(known)}"
        else:
            valid = f"{spec.name} takes no parameters"
        raise ValueError(f"unknown parameter {unknown[0]!r} for {spec.name}: {valid}")
    bound = spec.defaults()
    for key, value in params.items():
        bound[key] = known[key].validate(value, spec.name)
    return bound


_FLOAT_DTYPES = frozenset(np.dtype(t) for t in FLOAT_DTYPES)
_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)


def _as_real_array(z: Any, argument: str) -> np.ndarray:
    array = np.asarray(z)
    if array.dtype.kind == "c":
        raise TypeError(
            f"activations take real input, but {argument} has dtype {array.dtype}; "
            "pass the real part explicitly if that is what you mean"
        )
    if array.dtype.kind not in "biuf":
        # Object arrays (None) and strings would be converted silently.
        raise TypeError(
            f"activations take numbers, but {argument} has dtype {array.dtype} "
            f"({_shown(z)}); pass a number or an array of numbers"
        )
    return array


class Activation:
    """An activation with its parameters bound: ``act(z)``, ``act.derivative(z)``.

    Both accept a scalar or an array and return the same shape, a NumPy scalar
    for scalar input. float16, float32 and float64 keep their dtype; integers,
    booleans and any other real dtype are computed and returned as float64.
    ``bound_spec`` is the record with the parameter-dependent fields (range,
    kinks, maximum slope, ...) evaluated at the bound parameters.
    """

    def __init__(self, spec: Spec, params: Mapping[str, Any]):
        self.spec = spec
        self.params: dict[str, Any] = _bind(spec, params)
        self.bound_spec = spec.for_params(**self.params)

    @property
    def name(self) -> str:
        return self.spec.name

    def __call__(self, z: Any) -> Any:
        """Return g(z) elementwise (softmax: along ``axis``)."""
        return self._apply(self.spec.value, z)

    def derivative(self, z: Any, v: Any = None) -> Any:
        """Return g'(z), computed from the pre-activation ``z``.

        For an elementwise activation ``v`` must be omitted. For a vector-valued
        one (``spec.vector``, softmax) ``derivative(z, v)`` returns the
        Jacobian-vector product J(z) v along the axis, and ``derivative(z)``
        returns the diagonal of J(z).
        """
        if v is None:
            return self._apply(self.spec.derivative, z)
        if not self.spec.vector:
            raise TypeError(
                f"{self.name} is elementwise, so derivative(z) takes no v; "
                "use jvp(z, v) for g'(z) * v"
            )
        return self._apply(self.spec.derivative, z, v)

    def jvp(self, z: Any, v: Any) -> Any:
        """Return the Jacobian-vector product J(z) v for any activation.

        Elementwise activations have a diagonal Jacobian, so this is
        ``g'(z) * v``; softmax applies its full Jacobian along ``axis``.
        """
        if self.spec.vector:
            return self.derivative(z, v)
        return self._apply(lambda x, w, **p: self.spec.derivative(x, **p) * w, z, v)

    def _apply(self, function: Callable[..., np.ndarray], z: Any, *more: Any) -> Any:
        arrays = [_as_real_array(z, "z")]
        arrays += [_as_real_array(m, "v") for m in more]
        dtype = np.result_type(*arrays) if more else arrays[0].dtype
        if dtype not in _FLOAT_DTYPES:
            dtype = _FLOAT64
        work = _FLOAT64 if dtype == _FLOAT64 else _FLOAT32
        # Entries may patch their results in place, which a NumPy scalar does not
        # allow, so an elementwise entry receives a scalar as a 1-element array.
        # Entries never write into their inputs, which may be the caller's arrays.
        scalar = not self.spec.vector and all(a.ndim == 0 for a in arrays)
        if scalar:
            arrays = [a.reshape(1) for a in arrays]
        elif more and not self.spec.vector:
            arrays = np.broadcast_arrays(*arrays)
        inputs = [a.astype(work, copy=False) for a in arrays]
        # NOTE: overflow is not reported because an entry returns inf only where
        # the true value exceeds the dtype (the accuracy tests check this), and
        # underflow to subnormals or zero is the correct rounding of tiny tails.
        with np.errstate(over="ignore", under="ignore"):
            result = function(*inputs, **self.params)
            result = np.asarray(result).astype(dtype, copy=False)
        if scalar:
            return result.reshape(())[()]
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
