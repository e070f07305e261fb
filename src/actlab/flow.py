"""The demand-prediction network as a small flow of named units.

Four inputs (price, shipping cost, marketing spend, material quality) feed
three hidden units, each standing for one hidden quantity of the demand
generator in ``actlab.data``, and one output, the chance of a top seller:

- ``affordability``: ``z = (60 - price - shipping_cost) / 15``, as in the
  generator, which passes it through a sigmoid.
- ``awareness``: ``z = (marketing_spend - 1) / 4``, as in the generator,
  which passes it through a ReLU because awareness has no upper limit.
- ``perceived_quality``: ``z = 0.9 * (material_quality - 5.5)
  + 0.02 * (price - 40)``. The generator's price term is
  ``0.8 * log(price / 40)``, and a dense unit can only weigh its inputs
  linearly, so the term is replaced by its tangent line at the median price
  of 40 dollars. The two agree within 0.05 for prices from 28 to 55 dollars.
- ``top_seller``: ``z = bias + sum(weight * a)`` over the hidden units, with
  the generator's ``TOP_SELLER_WEIGHTS``.

``evaluate`` runs the network for one product with an activation chosen per
unit. With ``linear=True`` every unit is linear, and the result also contains
the two weight matrices, their product and the proof that the one collapsed
layer gives the output of the two-layer network.

>>> result = evaluate({"marketing_spend": 21.0}, {"awareness": "relu"})
>>> result.hidden[1].name, result.hidden[1].a
('awareness', 5.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from actlab import activations
from actlab.data import (
    DEMAND_UNITS,
    TOP_SELLER_WEIGHTS,
    hidden_quantities,
    top_seller_probability,
)

__all__ = [
    "B1",
    "B2",
    "DEFAULT_ACTIVATIONS",
    "HIDDEN_UNITS",
    "INPUTS",
    "INPUT_NAMES",
    "OUTPUT_UNIT",
    "UNITS",
    "UNIT_LABELS",
    "W1",
    "W2",
    "Collapse",
    "FlowError",
    "FlowResult",
    "InputSpec",
    "UnitValue",
    "activation_choices",
    "check_activations",
    "check_inputs",
    "evaluate",
]

HIDDEN_UNITS = ("affordability", "awareness", "perceived_quality")
OUTPUT_UNIT = "top_seller"
UNITS = (*HIDDEN_UNITS, OUTPUT_UNIT)


class FlowError(ValueError):
    """An input value or activation that the flow rejects, with its field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class InputSpec:
    """One input of the network, in the demand generator's units and range."""

    name: str
    label: str
    unit: str
    low: float
    high: float
    default: float
    step: float

    def range_text(self) -> str:
        return f"[{self.low:g}, {self.high:g}]"


# The ranges are the generator's clipping ranges, and the defaults its medians
# (the middle of the range for the uniform quality score).
INPUTS = (
    InputSpec("price", "Price", DEMAND_UNITS["price"], 5.0, 250.0, 40.0, 1.0),
    InputSpec(
        "shipping_cost",
        "Shipping cost",
        DEMAND_UNITS["shipping_cost"],
        1.0,
        40.0,
        6.0,
        0.5,
    ),
    InputSpec(
        "marketing_spend",
        "Marketing spend",
        DEMAND_UNITS["marketing_spend"],
        0.1,
        200.0,
        3.0,
        0.1,
    ),
    InputSpec(
        "material_quality",
        "Material quality",
        DEMAND_UNITS["material_quality"],
        1.0,
        10.0,
        5.5,
        0.1,
    ),
)
INPUT_NAMES = tuple(spec.name for spec in INPUTS)

# The activations that suit what each unit stands for: affordability and
# perceived quality are shares in (0, 1), awareness has no upper limit, and
# the output is a probability.
DEFAULT_ACTIVATIONS = MappingProxyType(
    {
        "affordability": "sigmoid",
        "awareness": "relu",
        "perceived_quality": "sigmoid",
        "top_seller": "sigmoid",
    }
)

UNIT_LABELS = MappingProxyType(
    {
        "affordability": "Affordability",
        "awareness": "Awareness",
        "perceived_quality": "Perceived quality",
        "top_seller": "Top seller",
    }
)

# Rows are the inputs in INPUT_NAMES order, columns the hidden units.
W1 = np.array(
    [
        [-1.0 / 15.0, 0.0, 0.02],
        [-1.0 / 15.0, 0.0, 0.0],
        [0.0, 0.25, 0.0],
        [0.0, 0.0, 0.9],
    ]
)
B1 = np.array([4.0, -0.25, -0.9 * 5.5 - 0.02 * 40.0])
W2 = np.array([[TOP_SELLER_WEIGHTS[name]] for name in HIDDEN_UNITS])
B2 = np.array([TOP_SELLER_WEIGHTS["bias"]])


@dataclass(frozen=True)
class UnitValue:
    """One unit's pre-activation ``z``, activation ``a`` and output range."""

    name: str
    label: str
    activation: str
    z: float
    a: float
    range_text: str
    upper_bound: float | None  # sup of the activation, None when unbounded
    lower_bound: float | None  # inf of the activation, None when unbounded
    # The demand generator's own value of the quantity the unit stands for.
    reference: float


@dataclass(frozen=True)
class Collapse:
    """The linear network folded into one layer, with the check that it matches.

    ``W = W1 @ W2`` and ``b = b1 @ W2 + b2``, so that ``x @ W + b`` equals
    ``(x @ W1 + b1) @ W2 + b2`` for every ``x``.
    """

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    W: np.ndarray
    b: np.ndarray
    two_layer_output: float
    collapsed_output: float

    @property
    def difference(self) -> float:
        return abs(self.two_layer_output - self.collapsed_output)

    @property
    def same_output(self) -> bool:
        return math.isclose(
            self.two_layer_output, self.collapsed_output, rel_tol=1e-12, abs_tol=1e-12
        )


@dataclass(frozen=True)
class FlowResult:
    """Every unit's values for one product, and the collapse when all are linear."""

    inputs: Mapping[str, float]
    hidden: tuple[UnitValue, ...]
    output: UnitValue
    linear: bool
    collapse: Collapse | None

    @property
    def output_outside_probability(self) -> bool:
        """Whether the output lies outside [0, 1], so it is no probability."""
        return not 0.0 <= self.output.a <= 1.0


def activation_choices() -> list[str]:
    """Return the registry names that can be a unit's activation (not softmax)."""
    return [spec.name for spec in activations.specs() if not spec.vector]


def check_inputs(values: Mapping[str, Any]) -> dict[str, float]:
    """Return all four inputs as floats, defaults filling those not given.

    Raises ``FlowError`` naming the first unknown or invalid field and its
    valid range.
    """
    unknown = sorted(set(values) - set(INPUT_NAMES))
    if unknown:
        raise FlowError(
            unknown[0],
            f"unknown input {unknown[0]!r}: expected one of {', '.join(INPUT_NAMES)}",
        )
    return {
        spec.name: _check_input(spec, values.get(spec.name, spec.default))
        for spec in INPUTS
    }


def _check_input(spec: InputSpec, value: Any) -> float:
    expected = f"expected a number in {spec.range_text()} ({spec.unit})"
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        raise FlowError(
            spec.name, f"invalid {spec.name}={value!r}: {expected}"
        ) from None
    if not (math.isfinite(number) and spec.low <= number <= spec.high):
        raise FlowError(spec.name, f"invalid {spec.name}={value!r}: {expected}")
    return number


def check_activations(chosen: Mapping[str, Any] | None) -> dict[str, str]:
    """Return one canonical activation name per unit, defaults filling the gaps.

    Raises ``FlowError`` naming the unit for an unknown unit, an unknown
    activation or softmax, which acts on a whole vector.
    """
    chosen = dict(chosen or {})
    unknown = sorted(set(chosen) - set(UNITS))
    if unknown:
        raise FlowError(
            unknown[0],
            f"unknown unit {unknown[0]!r}: expected one of {', '.join(UNITS)}",
        )
    return {
        unit: _check_activation(unit, chosen.get(unit, DEFAULT_ACTIVATIONS[unit]))
        for unit in UNITS
    }


def _check_activation(unit: str, name: Any) -> str:
    choices = activation_choices()
    try:
        spec = activations.spec(name)
    except ValueError:
        spec = None
    if spec is None or spec.name not in choices:
        raise FlowError(
            unit,
            f"invalid activation {name!r} for {unit}: choose one of "
            f"{', '.join(choices)}",
        )
    return spec.name


def evaluate(
    inputs: Mapping[str, Any] | None = None,
    chosen: Mapping[str, Any] | None = None,
    *,
    linear: bool = False,
) -> FlowResult:
    """Run the demand network on one product and return z and a at every unit.

    Parameters
    ----------
    inputs : mapping, optional
        Input values by name (``INPUT_NAMES``); missing ones take their
        defaults.
    chosen : mapping, optional
        An activation name per unit (``UNITS``); missing ones take
        ``DEFAULT_ACTIVATIONS``.
    linear : bool
        Make every unit linear, whatever ``chosen`` sets, and add the
        collapsed single layer to the result.

    Raises ``FlowError`` for an invalid input or activation.
    """
    values = check_inputs(inputs or {})
    names = check_activations(chosen)
    if linear:
        names = dict.fromkeys(UNITS, "linear")
    x = np.array([values[name] for name in INPUT_NAMES])

    references = hidden_quantities(x[np.newaxis, :])
    probability = float(top_seller_probability(references)[0])

    z1 = x @ W1 + B1
    hidden = tuple(
        _unit(unit, names[unit], z, float(references[unit][0]))
        for unit, z in zip(HIDDEN_UNITS, z1, strict=True)
    )
    a1 = np.array([unit.a for unit in hidden])
    z2 = float((a1 @ W2 + B2)[0])
    output = _unit(OUTPUT_UNIT, names[OUTPUT_UNIT], z2, probability)

    collapse = _collapse(x) if linear else None
    return FlowResult(MappingProxyType(values), hidden, output, linear, collapse)


def _unit(name: str, activation: str, z: float, reference: float) -> UnitValue:
    act = activations.get(activation)
    low, high = act.spec.output_range
    return UnitValue(
        name=name,
        label=UNIT_LABELS[name],
        activation=act.name,
        z=float(z),
        a=float(act(np.array([z]))[0]),
        range_text=act.spec.range_text,
        upper_bound=high if math.isfinite(high) else None,
        lower_bound=low if math.isfinite(low) else None,
        reference=reference,
    )


def _collapse(x: np.ndarray) -> Collapse:
    W = W1 @ W2
    b = B1 @ W2 + B2
    return Collapse(
        W1=W1.copy(),
        b1=B1.copy(),
        W2=W2.copy(),
        b2=B2.copy(),
        W=W,
        b=b,
        two_layer_output=float(((x @ W1 + B1) @ W2 + B2)[0]),
        collapsed_output=float((x @ W + b)[0]),
    )
