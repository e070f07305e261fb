"""JSON API over the activation registry: entries, curves and points."""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BeforeValidator

from actlab import activations

from .. import curves
from ..errors import ActivationNotFound
from ..schemas import ActivationInfo, Catalog, Curve, ErrorBody, Facts, Point

router = APIRouter(prefix="/api/activations", tags=["activations"])

ERRORS = {
    404: {"model": ErrorBody, "description": "unknown activation"},
    422: {"model": ErrorBody, "description": "invalid query parameter"},
}
# Query fields of the endpoints below. Every other query field is taken as a
# parameter of the activation, so no registry parameter may use these names.
CURVE_FIELDS = frozenset({"start", "stop", "points"})
POINT_FIELDS = frozenset({"z"})

Start = Annotated[
    float,
    BeforeValidator(partial(curves.parse_z, "start")),
    Query(description=f"first z of the curve, {curves.Z_TEXT}"),
]
Stop = Annotated[
    float,
    BeforeValidator(partial(curves.parse_z, "stop")),
    Query(description=f"last z of the curve, {curves.Z_TEXT} above start"),
]
Points = Annotated[
    int,
    BeforeValidator(curves.parse_points),
    Query(description=f"number of samples, {curves.POINTS_TEXT}"),
]
At = Annotated[
    float,
    BeforeValidator(partial(curves.parse_z, "z")),
    Query(description=f"the input z, {curves.Z_TEXT}"),
]


def find_spec(name: str) -> activations.Spec:
    """Return the record of ``name``, or raise ``ActivationNotFound``."""
    try:
        return activations.spec(name)
    except ValueError as error:
        raise ActivationNotFound(str(error)) from None


def activation_params(request: Request, fields: frozenset[str]) -> dict[str, str]:
    """Return the query fields that are not in ``fields``, as strings.

    Raises ``InvalidInput`` for a field given more than once.
    """
    counts = Counter(key for key, _ in request.query_params.multi_items())
    for key, count in counts.items():
        if count > 1:
            raise curves.InvalidInput(
                key, f"invalid query: {key} is given {count} times, give it once"
            )
    return {k: v for k, v in request.query_params.items() if k not in fields}


@router.get("", response_model=Catalog)
def list_activations() -> Catalog:
    """List every registered activation with its metadata, in registry order."""
    return Catalog(
        roles=[role.value for role in activations.Role],
        activations=[ActivationInfo.from_spec(s) for s in activations.specs()],
    )


@router.get("/{name}", response_model=ActivationInfo, responses=ERRORS)
def read_activation(name: str) -> ActivationInfo:
    """Return one activation, found by its name or an alias."""
    return ActivationInfo.from_spec(find_spec(name))


@router.get("/{name}/curve", response_model=Curve, responses=ERRORS)
def read_curve(
    name: str,
    request: Request,
    start: Start = curves.DEFAULT_START,
    stop: Stop = curves.DEFAULT_STOP,
    points: Points = curves.DEFAULT_POINTS,
) -> Curve:
    """Sample g(z) and g'(z) at evenly spaced z from start to stop.

    Query fields other than start, stop and points set the activation's
    parameters, for example ``?negative_slope=0.1``. For an activation that
    acts on a whole vector (softmax), the curve is the first component of
    g([z, 0]) and the derivative is the Jacobian diagonal there. For softmax
    that is the two-class case, which equals sigmoid(z).
    """
    spec = find_spec(name)
    act = curves.bind(spec.name, activation_params(request, CURVE_FIELDS))
    sample = curves.curve(act, start, stop, points)
    return Curve(
        name=spec.name,
        params=act.params,
        view=curves.view_text(spec),
        z=sample.z.tolist(),
        value=curves.to_json_numbers(sample.value),
        derivative=curves.to_json_numbers(sample.derivative),
        facts=Facts(**Facts.fields_of(act.bound_spec)),
    )


@router.get("/{name}/point", response_model=Point, responses=ERRORS)
def read_point(name: str, request: Request, z: At) -> Point:
    """Return g(z) and g'(z) at one z, as the explorer's marker reads them.

    Query fields other than z set the activation's parameters.
    """
    spec = find_spec(name)
    act = curves.bind(spec.name, activation_params(request, POINT_FIELDS))
    sample = curves.sample(act, [z])
    return Point(
        name=spec.name,
        params=act.params,
        view=curves.view_text(spec),
        z=z,
        value=curves.to_json_numbers(sample.value)[0],
        derivative=curves.to_json_numbers(sample.derivative)[0],
    )
