"""HTML pages of the web lab and the assets drawn for them."""

from __future__ import annotations

from importlib import resources
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse

from actlab import __version__, activations

from .. import curves, formulas
from ..explorer import read_state
from ..schemas import ActivationInfo, Properties, slider_step
from ..templating import templates
from .activations import ERRORS, find_spec

router = APIRouter(tags=["pages"])

PLOTLY_JS = resources.files("plotly") / "package_data" / "plotly.min.js"
# The formula images are documents of their own, so they get a policy that
# allows no script even when opened directly.
SVG_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Cache-Control": "max-age=3600",
}
# Chip labels for the properties that hold; a new field shows its own name.
PROPERTY_LABELS = {key: key.replace("_", " ") for key in Properties.model_fields}
PROPERTY_LABELS.update(
    zero_centred="zero-centred", can_die="units can die", vector="acts on a vector"
)


def role_groups(entries: list[ActivationInfo]) -> list[tuple[str, list[str]]]:
    """Group activation names by role, in role order; an entry may appear twice."""
    groups = []
    for role in activations.Role:
        members = [e.name for e in entries if role.value in e.roles]
        if members:
            groups.append((role.value.replace("_", " ").capitalize(), members))
    others = [e.name for e in entries if not e.roles]
    if others:
        groups.append(("Other", others))
    return groups


@router.get("/explorer", response_class=HTMLResponse)
def explorer(request: Request) -> Response:
    """Render the activation explorer in the view that the URL query sets."""
    entries = [ActivationInfo.from_spec(s) for s in activations.specs()]
    context = {
        "entries": entries,
        "groups": role_groups(entries),
        "state": read_state(request.query_params.multi_items()),
        "points": request.app.state.settings.explorer_points,
        "default_start": curves.DEFAULT_START,
        "default_stop": curves.DEFAULT_STOP,
        "z_limit": curves.Z_LIMIT,
        "property_labels": PROPERTY_LABELS,
        "version": __version__,
        "slider_step": slider_step,
        "can_draw": lambda latex: formulas.render_svg(latex) is not None,
    }
    return templates.TemplateResponse(request, "explorer.html", context)


@router.get("/formulas/{name}/{part}.svg", responses=ERRORS)
def formula_image(name: str, part: Literal["value", "derivative"]) -> Response:
    """Draw g(z) or g'(z) of one activation as an SVG image."""
    spec = find_spec(name)
    latex = spec.formula if part == "value" else spec.derivative_formula
    svg = formulas.render_svg(latex)
    if svg is None:
        return Response(
            f"mathtext cannot draw the formula {latex!r} of {spec.name}",
            status_code=404,
            media_type="text/plain",
        )
    return Response(svg, media_type="image/svg+xml", headers=SVG_HEADERS)


@router.get("/vendor/plotly.min.js", include_in_schema=False)
def plotly_js() -> FileResponse:
    """Serve Plotly.js from the installed ``plotly`` package, never from a CDN."""
    return FileResponse(PLOTLY_JS, media_type="text/javascript")
