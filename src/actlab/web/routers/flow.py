"""The architecture-flow page: the demand network as a live diagram, and its API.

Both read the same query: one field per input (``price``, ``shipping_cost``,
``marketing_spend``, ``material_quality``), one ``<unit>_act`` field per unit
(``awareness_act=relu``) and ``linear=true`` to make every unit linear. The
API rejects an invalid field with a 422. The page drops it with a message, so
a broken link still opens a working diagram.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from actlab import flow

from ..curves import InvalidInput
from ..schemas import ErrorBody
from ..templating import templates

router = APIRouter(tags=["flow"])

ACT_SUFFIX = "_act"
LINEAR_FIELD = "linear"
TRUE_TEXTS = frozenset({"1", "true", "on", "yes"})
FALSE_TEXTS = frozenset({"0", "false", "off", "no", ""})
ERRORS = {422: {"model": ErrorBody, "description": "invalid query parameter"}}


class FlowState(BaseModel):
    """The diagram's state as a URL query sets it."""

    inputs: dict[str, float]
    activations: dict[str, str] = Field(description="chosen activation per unit")
    linear: bool


class UnitOut(BaseModel):
    """One unit of the diagram."""

    name: str
    label: str
    activation: str = Field(description="the activation in use")
    z: float = Field(description="the pre-activation")
    a: float = Field(description="the activation's output g(z)")
    range_text: str = Field(description="the output range of the activation")
    upper_bound: float | None = Field(description="sup of g, null when unbounded")
    lower_bound: float | None = Field(description="inf of g, null when unbounded")
    reference: float = Field(
        description="the demand generator's value of the quantity the unit is for"
    )


class CollapseOut(BaseModel):
    """The all-linear network folded into one layer: ``W = W1 W2``."""

    W1: list[list[float]]
    b1: list[float]
    W2: list[list[float]]
    b2: list[float]
    W: list[list[float]]
    b: list[float]
    two_layer_output: float
    collapsed_output: float
    difference: float
    same_output: bool


class FlowOut(BaseModel):
    """Everything the flow diagram shows for one state."""

    state: FlowState
    hidden: list[UnitOut]
    output: UnitOut
    output_outside_probability: bool = Field(
        description="whether the output lies outside [0, 1]"
    )
    collapse: CollapseOut | None = Field(description="present when linear is true")


def _field_name(key: str) -> tuple[str, str]:
    """Return ``(kind, name)`` of a query key: input, activation, linear or ''."""
    if key in flow.INPUT_NAMES:
        return "input", key
    if key.endswith(ACT_SUFFIX) and key[: -len(ACT_SUFFIX)] in flow.UNITS:
        return "activation", key[: -len(ACT_SUFFIX)]
    if key == LINEAR_FIELD:
        return "linear", key
    return "", key


def _parse_linear(text: str) -> bool:
    folded = text.strip().lower()
    if folded in TRUE_TEXTS:
        return True
    if folded in FALSE_TEXTS:
        return False
    raise InvalidInput(LINEAR_FIELD, f"invalid linear={text!r}: expected true or false")


def _unknown_field(key: str) -> InvalidInput:
    units = ", ".join(unit + ACT_SUFFIX for unit in flow.UNITS)
    expected = f"{', '.join(flow.INPUT_NAMES)}, {units} or {LINEAR_FIELD}"
    return InvalidInput(key, f"unknown query field {key!r}: expected {expected}")


def _read_field(state: FlowState, key: str, value: str) -> None:
    """Check one query field and store it in ``state``, or raise InvalidInput."""
    kind, name = _field_name(key)
    try:
        if kind == "input":
            state.inputs[name] = flow.check_inputs({name: value})[name]
        elif kind == "activation":
            state.activations[name] = flow.check_activations({name: value})[name]
        elif kind == "linear":
            state.linear = _parse_linear(value)
        else:
            raise _unknown_field(key)
    except flow.FlowError as error:
        field = key if error.field == name else error.field
        raise InvalidInput(field, str(error)) from None


def read_state(
    items: Iterable[tuple[str, str]], messages: list[str] | None = None
) -> FlowState:
    """Build the state from query ``(key, value)`` pairs.

    Without ``messages`` the first invalid field raises ``InvalidInput``. With
    a list, each invalid field is dropped and its message appended.
    """
    state = FlowState(
        inputs=flow.check_inputs({}),
        activations=flow.check_activations({}),
        linear=False,
    )
    seen: set[str] = set()
    for key, value in items:
        try:
            if key in seen:
                raise InvalidInput(
                    key, f"invalid query: {key} is given more than once, give it once"
                )
            seen.add(key)
            _read_field(state, key, value)
        except InvalidInput as error:
            if messages is None:
                raise
            messages.append(f"{error} (this part of the URL was ignored)")
    return state


def compute(state: FlowState) -> FlowOut:
    """Run the network for ``state`` and shape the result for JSON."""
    result = flow.evaluate(state.inputs, state.activations, linear=state.linear)
    collapse = None
    if result.collapse is not None:
        c = result.collapse
        collapse = CollapseOut(
            W1=c.W1.tolist(),
            b1=c.b1.tolist(),
            W2=c.W2.tolist(),
            b2=c.b2.tolist(),
            W=c.W.tolist(),
            b=c.b.tolist(),
            two_layer_output=c.two_layer_output,
            collapsed_output=c.collapsed_output,
            difference=c.difference,
            same_output=c.same_output,
        )
    return FlowOut(
        state=state,
        hidden=[UnitOut(**vars(unit)) for unit in result.hidden],
        output=UnitOut(**vars(result.output)),
        output_outside_probability=result.output_outside_probability,
        collapse=collapse,
    )


@router.get("/api/flow", response_model=FlowOut, responses=ERRORS)
def read_flow(request: Request) -> FlowOut:
    """Return z and a at every unit of the demand network for the query's state.

    Query fields: ``price``, ``shipping_cost``, ``marketing_spend`` and
    ``material_quality`` in the demand set's units, ``<unit>_act`` for the
    activation of ``affordability``, ``awareness``, ``perceived_quality`` and
    ``top_seller``, and ``linear=true`` to make every unit linear and add the
    collapsed single layer.
    """
    return compute(read_state(request.query_params.multi_items()))


@router.get("/flow", response_class=HTMLResponse)
def flow_page(request: Request) -> Response:
    """Render the architecture-flow page in the state that the URL query sets."""
    messages: list[str] = []
    state = read_state(request.query_params.multi_items(), messages)
    context = {
        "state": state,
        "messages": messages,
        "inputs": flow.INPUTS,
        "hidden_units": flow.HIDDEN_UNITS,
        "output_unit": flow.OUTPUT_UNIT,
        "unit_labels": flow.UNIT_LABELS,
        "choices": flow.activation_choices(),
        "defaults": flow.DEFAULT_ACTIVATIONS,
        "act_suffix": ACT_SUFFIX,
        "W1": flow.W1.tolist(),
        "W2": flow.W2.tolist(),
    }
    return templates.TemplateResponse(request, "flow.html", context)
