"""The playground page: a live trainer whose network runs on the server.

The page route validates the URL query with ``PlaygroundState.from_query``
and renders the controls with the normalised state. Training happens over
the ``/ws/playground`` WebSocket, which the page's script opens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from actlab import data, playground

# NOTE: these choices are not exported by actlab.playground yet.
from actlab.playground._state import (
    LOSSES,
    MAX_LAYERS,
    MAX_WIDTH,
    OPTIMISERS,
    REGULARISERS,
)

from ..settings import Settings
from ..templating import templates

router = APIRouter(tags=["pages"])

OPTIMISER_LABELS = {"sgd": "SGD", "momentum": "SGD + momentum", "adam": "Adam"}

# The control that each error ``field`` (a URL key or a socket message key)
# belongs to, as the page labels it. An error names its control this way.
FIELD_LABELS = {
    "dataset": "Dataset",
    "noise": "Noise",
    "ratio": "Training share",
    "batch": "Batch size",
    "seed": "Seed",
    "points": "Points",
    "features": "Input features",
    "hidden": "Hidden layers",
    "act": "Activation",
    "output": "Output",
    "loss": "Loss",
    "opt": "Optimiser",
    "lr": "Learning rate",
    "reg": "Regularisation",
    "rate": "Reg. rate",
    "init": "Initialiser",
    "edits": "Weight edits",
    "layer": "Weight edit",
    "from": "Weight edit",
    "to": "Weight edit",
    "value": "Weight edit",
    "text": "CSV file",
    "csv": "CSV file",
    "target": "Target column",
    "epochs": "Step",
    "format": "Export",
    "state": "Settings",
    "visible": "Page visibility",
    "type": "Request",
    "message": "Request",
    "control": "Request",
    "frame": "Request",
    "session": "Session",
}


def field_label(field: str) -> str:
    """Return the page's label for the control behind an error ``field``."""
    return FIELD_LABELS.get(field, field)


def read_query(
    query: Mapping[str, str],
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Return the normalised state as query strings and a ``(field, message)`` list.

    Each invalid field is dropped, so it takes its default, and its message
    is kept for the page. A field that is only invalid together with others
    (such as ``loss=bce`` on a regression set) is dropped in the same way.
    """
    remaining = dict(query)
    messages: list[tuple[str, str]] = []
    while True:
        try:
            state = playground.PlaygroundState.from_query(remaining)
        except playground.InvalidField as error:
            messages.append((error.field, str(error)))
            if remaining.pop(error.field, None) is None:
                state = playground.PlaygroundState()
                break
        else:
            break
    return state.to_query(), messages


def number_choices(values: tuple[float, ...], chosen: str) -> list[tuple[str, str]]:
    """Return ``(query value, label)`` options, with ``chosen`` added if missing."""
    options = [(repr(float(v)), f"{v:g}") for v in values]
    if chosen not in {value for value, _ in options}:
        options.append((chosen, f"{float(chosen):g}"))
        options.sort(key=lambda option: float(option[0]))
    return options


def dataset_choices() -> list[tuple[str, str]]:
    """Return ``(name, task)`` for each dataset the playground takes, csv last."""
    tasks = {name: task.value for name, task in data.names("playground").items()}
    return [(name, tasks.get(name, "uploaded")) for name in playground.DATASETS]


def page_config(
    state: dict[str, str],
    messages: list[tuple[str, str]],
    idle_seconds: float = Settings.playground_idle_seconds,
) -> dict:
    """Return what the page's script needs: the state and the generated choices."""
    return {
        "state": state,
        "defaults": playground.PlaygroundState().to_query(),
        "messages": [{"field": f, "message": m} for f, m in messages],
        "field_labels": FIELD_LABELS,
        "idle_seconds": idle_seconds,
        "activations": list(playground.hidden_activation_names()),
        "features": list(playground.FEATURE_LABELS.items()),
        "max_layers": MAX_LAYERS,
        "max_units": MAX_WIDTH,
        "socket": "/ws/playground",
    }


@router.get("/playground", response_class=HTMLResponse)
def playground_page(request: Request) -> Response:
    """Render the playground with the state that the URL query sets."""
    state, messages = read_query(request.query_params)
    context: dict[str, Any] = {
        "state": state,
        "messages": [(field, field_label(field), text) for field, text in messages],
        "config": page_config(
            state, messages, request.app.state.settings.playground_idle_seconds
        ),
        "datasets": dataset_choices(),
        "hidden_activations": playground.hidden_activation_names(),
        "output_activations": playground.output_activation_names(),
        "losses": LOSSES,
        "optimisers": [(name, OPTIMISER_LABELS.get(name, name)) for name in OPTIMISERS],
        "initialisers": playground.initialiser_choices(),
        "regularisers": REGULARISERS,
        "learning_rates": number_choices(playground.LEARNING_RATES, state["lr"]),
        "regularisation_rates": number_choices(
            playground.REGULARISATION_RATES, state["rate"]
        ),
    }
    return templates.TemplateResponse(request, "playground.html", context)
