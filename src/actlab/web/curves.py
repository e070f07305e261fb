"""Sampling of activation curves for the web lab, with the checks on its inputs.

Every number the pages show comes from here, computed by the registry in
float64. Values that float64 cannot hold (an overflow to inf, or NaN) are
returned as ``None`` because JSON has no encoding for them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from actlab import activations

MIN_POINTS = 2
MAX_POINTS = 5001
# Bound on |z| for curves and points: wide enough for any activation study, and
# small enough that (stop - start) / points cannot overflow.
Z_LIMIT = 1e6
DEFAULT_START = -6.0
DEFAULT_STOP = 6.0
DEFAULT_POINTS = 241

POINTS_TEXT = f"an integer in [{MIN_POINTS}, {MAX_POINTS}]"
Z_TEXT = f"a finite number in [{-Z_LIMIT:g}, {Z_LIMIT:g}]"


class InvalidInput(ValueError):
    """A request value that the web lab rejects, with the name of its field."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Sample:
    """g(z) and g'(z) of one bound activation over a float64 array of z."""

    z: np.ndarray
    value: np.ndarray
    derivative: np.ndarray


def parse_z(field: str, text: object) -> float:
    """Return ``text`` as a finite float with ``|z| <= Z_LIMIT``."""
    try:
        number = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(
            field, f"invalid {field}={text!r}: expected {Z_TEXT}"
        ) from None
    if not (math.isfinite(number) and abs(number) <= Z_LIMIT):
        raise InvalidInput(field, f"invalid {field}={text!r}: expected {Z_TEXT}")
    return number


def parse_points(text: object) -> int:
    """Return ``text`` as a sample count in ``[MIN_POINTS, MAX_POINTS]``."""
    try:
        number = int(str(text).strip())
    except ValueError:
        raise InvalidInput(
            "points", f"invalid points={text!r}: expected {POINTS_TEXT}"
        ) from None
    if not MIN_POINTS <= number <= MAX_POINTS:
        raise InvalidInput("points", f"invalid points={text!r}: expected {POINTS_TEXT}")
    return number


def check_interval(start: float, stop: float) -> None:
    """Raise ``InvalidInput`` for ``stop`` unless ``start < stop``."""
    if not start < stop:
        raise InvalidInput(
            "stop",
            f"invalid stop={stop:g}: expected a number greater than start={start:g}",
        )


def bind(name: str, params: Mapping[str, str]) -> activations.Activation:
    """Return the activation ``name`` with ``params`` bound from query strings.

    Raises ``InvalidInput`` with the registry's message for an unknown
    parameter or an invalid value, naming the parameter as the field.
    """
    spec = activations.spec(name)
    try:
        return activations.get(spec.name, **params)
    except ValueError as error:
        raise InvalidInput(_parameter_field(spec, params), str(error)) from None


def _parameter_field(spec: activations.Spec, params: Mapping[str, str]) -> str | None:
    known = {p.name: p for p in spec.parameters}
    for key, text in params.items():
        if key not in known:
            return key
        try:
            known[key].validate(text, spec.name)
        except ValueError:
            return key
    return None


def view_text(spec: activations.Spec) -> str:
    """Describe which one-dimensional view of ``spec`` the curves show."""
    if spec.vector:
        return (
            f"{spec.name} acts on a whole vector, so the curve is the first "
            f"component of {spec.name}([z, 0]) for each z, and its derivative "
            "is the Jacobian diagonal there"
        )
    return "elementwise"


def sample(act: activations.Activation, z: np.ndarray) -> Sample:
    """Evaluate g and g' at every ``z`` in float64, in the view of ``view_text``.

    Raises ``InvalidInput`` when the registry rejects the bound parameters for
    that view (an axis that the vector [z, 0] does not have, for example).
    """
    z = np.asarray(z, dtype=np.float64)
    # NOTE: an overflow to inf is a true result at large |z| (exp in selu, for
    # example), so it becomes None in JSON rather than a warning or an error.
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            if act.spec.vector:
                value, derivative = _sample_pairs(act, z)
            else:
                value = np.asarray(act(z))
                derivative = np.asarray(act.derivative(z))
    except ValueError as error:
        raise InvalidInput(_changed_parameter(act), str(error)) from None
    return Sample(z=z, value=value, derivative=derivative)


def _sample_pairs(
    act: activations.Activation, z: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    # Each z is its own 1-D vector [z, 0], so parameters such as softmax's axis
    # mean what they mean for a single vector. A batch of shape (points, 2)
    # would let axis=0 mix different z without any error. The loop took about
    # 0.3 s for 5001 softmax points in one timing on a 2-core machine.
    value = np.empty_like(z)
    derivative = np.empty_like(z)
    for i, x in enumerate(z):
        pair = np.array([x, 0.0])
        value[i] = np.asarray(act(pair))[0]
        derivative[i] = np.asarray(act.derivative(pair))[0]
    return value, derivative


def _changed_parameter(act: activations.Activation) -> str | None:
    """Return the first parameter of ``act`` bound to a non-default value."""
    for name, default in act.spec.defaults().items():
        if act.params[name] != default:
            return name
    return None


def curve(
    act: activations.Activation, start: float, stop: float, points: int
) -> Sample:
    """Sample ``act`` at ``points`` evenly spaced z from ``start`` to ``stop``."""
    check_interval(start, stop)
    return sample(act, np.linspace(start, stop, points, dtype=np.float64))


def to_json_numbers(array: np.ndarray) -> list[float | None]:
    """Return ``array`` as Python floats, with inf and NaN as ``None``."""
    return [x if math.isfinite(x) else None for x in np.asarray(array).tolist()]
