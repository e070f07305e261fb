"""Pydantic models of every JSON response of the web lab, and the base of requests."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from actlab import activations

from .curves import view_text

# A parameter value: a number, or a string for a parameter with choices.
ParamValue = int | float | str


class JsonBody(BaseModel):
    """A request body that rejects unknown fields.

    A misspelt field, such as ``actionId`` for ``action_id``, would otherwise
    be dropped in silence, and a resent answer would then count twice.
    """

    model_config = ConfigDict(extra="forbid")


class Health(BaseModel):
    """The liveness report of ``GET /healthz``."""

    status: Literal["ok"] = "ok"
    version: str


class FieldError(BaseModel):
    """One rejected request value."""

    field: str | None = Field(description="the query or path field at fault")
    message: str


class ErrorBody(BaseModel):
    """The body of every 404 and 422 response."""

    detail: str = Field(description="the first problem, as a sentence")
    field: str | None = Field(default=None, description="the field of that problem")
    errors: list[FieldError] = Field(default_factory=list)


class ParameterInfo(BaseModel):
    """A tunable parameter: its default, its valid values and its slider."""

    name: str
    kind: Literal["real", "integer", "choice"]
    default: ParamValue
    description: str
    low: float | None = Field(description="lower bound, null for none")
    high: float | None = Field(description="upper bound, null for none")
    low_open: bool = Field(description="whether low itself is excluded")
    high_open: bool = Field(description="whether high itself is excluded")
    choices: list[str] = Field(description="valid strings, empty for a number")
    range_text: str = Field(description="the valid values, e.g. (0, inf)")
    slider: tuple[float, float] = Field(
        description="suggested slider range, inside the valid range"
    )
    step: float = Field(description="suggested slider step")

    @classmethod
    def from_parameter(cls, parameter: activations.Parameter) -> ParameterInfo:
        if parameter.choices:
            kind = "choice"
        elif parameter.integer:
            kind = "integer"
        else:
            kind = "real"
        low, high = clamp_slider(parameter)
        return cls(
            name=parameter.name,
            kind=kind,
            default=parameter.default,
            description=parameter.description,
            low=parameter.low,
            high=parameter.high,
            low_open=parameter.low_open,
            high_open=parameter.high_open,
            choices=list(parameter.choices),
            range_text=parameter.range_text(),
            slider=(low, high),
            step=1.0 if parameter.integer else slider_step(low, high),
        )


def slider_step(low: float, high: float) -> float:
    """Return a power of ten near a hundredth of ``high - low``."""
    return 10.0 ** math.floor(math.log10((high - low) / 100))


def clamp_slider(parameter: activations.Parameter) -> tuple[float, float]:
    """Return ``parameter.slider`` with both ends moved inside the valid range.

    An end that falls on an open bound moves one slider step inward, so every
    slider position is a valid value.
    """
    low, high = parameter.slider
    if parameter.low is not None and low <= parameter.low:
        low = parameter.low
        if parameter.low_open:
            low += slider_step(low, high)
    if parameter.high is not None and high >= parameter.high:
        high = parameter.high
        if parameter.high_open:
            high -= slider_step(low, high)
    if low >= high:
        return parameter.slider
    return (low, high)


class OutputRange(BaseModel):
    """The set of values g can take; a null bound is unbounded."""

    low: float | None
    high: float | None
    text: str = Field(description="the range with open or closed ends, e.g. (0, 1)")


class Properties(BaseModel):
    """Yes-or-no facts about the shape of g."""

    monotonic: bool
    smooth: bool
    zero_centred: bool
    bounded_below: bool
    bounded_above: bool
    saturates: bool = Field(description="flat at large |z|")
    can_die: bool = Field(description="a unit can stop learning for good")
    vector: bool = Field(description="acts on a whole vector, not elementwise")


class Facts(BaseModel):
    """The metadata of an activation that may change with its parameters."""

    output_range: OutputRange
    properties: Properties
    flat_regions: str = Field(description="where g' is near zero, empty if nowhere")
    dead_region: str = Field(description="where g' is exactly zero, empty if nowhere")
    kinks: list[float] = Field(description="inputs where g' is not defined")
    kink_derivatives: str = Field(description="the value of g' chosen at each kink")
    max_derivative: float | None = Field(
        description="sup |g'|, null if unbounded; for softmax the Jacobian's "
        "largest singular value"
    )
    max_plotted_derivative: float | None = Field(
        description="sup |g'| of the derivative curve that the explorer plots "
        "(for softmax the Jacobian diagonal), null if unbounded"
    )

    @staticmethod
    def fields_of(spec: activations.Spec) -> dict[str, Any]:
        """Return the fact fields of ``spec`` as keyword arguments."""
        low, high = spec.output_range
        return {
            "output_range": OutputRange(
                low=_finite_or_none(low),
                high=_finite_or_none(high),
                text=spec.range_text,
            ),
            "properties": Properties(
                monotonic=spec.monotonic,
                smooth=spec.smooth,
                zero_centred=spec.zero_centred,
                bounded_below=spec.bounded_below,
                bounded_above=spec.bounded_above,
                saturates=spec.saturates,
                can_die=spec.can_die,
                vector=spec.vector,
            ),
            "flat_regions": spec.flat_regions,
            "dead_region": spec.dead_region,
            "kinks": list(spec.kinks),
            "kink_derivatives": spec.kink_derivatives,
            "max_derivative": _finite_or_none(spec.max_derivative),
            "max_plotted_derivative": _finite_or_none(
                spec.extra.get("max_diagonal_derivative", spec.max_derivative)
            ),
        }


class ActivationInfo(Facts):
    """Everything the registry records about one activation, except its code.

    The facts are those at the default parameters.
    """

    name: str
    aliases: list[str]
    formula: str = Field(description="g(z) in LaTeX")
    derivative_formula: str = Field(description="g'(z) in LaTeX")
    description: str
    roles: list[str]
    parameters: list[ParameterInfo]
    initialiser: str = Field(description="the weight initialiser that suits it")
    view: str = Field(description="what the curve endpoint samples")

    @classmethod
    def from_spec(cls, spec: activations.Spec) -> ActivationInfo:
        return cls(
            name=spec.name,
            aliases=list(spec.aliases),
            formula=spec.formula,
            derivative_formula=spec.derivative_formula,
            description=spec.description,
            roles=[role.value for role in activations.Role if role in spec.roles],
            parameters=[ParameterInfo.from_parameter(p) for p in spec.parameters],
            initialiser=spec.initialiser,
            view=view_text(spec),
            **Facts.fields_of(spec),
        )


def _finite_or_none(number: float) -> float | None:
    return number if math.isfinite(number) else None


class Catalog(BaseModel):
    """The whole registry, in registry order, with the roles in their order."""

    roles: list[str]
    activations: list[ActivationInfo]


class Curve(BaseModel):
    """g(z) and g'(z) sampled at evenly spaced z, in float64."""

    name: str
    params: dict[str, ParamValue] = Field(description="every parameter, as bound")
    view: str
    z: list[float]
    value: list[float | None] = Field(description="g(z), null where not finite")
    derivative: list[float | None] = Field(description="g'(z), null where not finite")
    facts: Facts = Field(description="the metadata at the bound parameters")


class Point(BaseModel):
    """g(z) and g'(z) at one z, in float64."""

    name: str
    params: dict[str, ParamValue]
    view: str
    z: float
    value: float | None
    derivative: float | None
