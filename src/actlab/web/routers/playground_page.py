"""The playground page: a live trainer whose network runs on the server.

The page route validates the URL query and renders the controls with the
normalised state. Training itself happens over the ``/ws/playground``
WebSocket, which the page's script opens.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from actlab import activations, data

from ..templating import templates

router = APIRouter(tags=["pages"])

# Input features in the order the network column draws them: (key, label).
FEATURES = [
    ("x1", "x₁"),
    ("x2", "x₂"),
    ("x1sq", "x₁²"),
    ("x2sq", "x₂²"),
    ("x1x2", "x₁·x₂"),
    ("sinx1", "sin x₁"),
    ("sinx2", "sin x₂"),
]
OPTIMISERS = [("sgd", "SGD"), ("momentum", "SGD with momentum"), ("adam", "Adam")]
INITIALISERS = ["auto", "xavier", "he", "lecun", "standard", "tfp"]
LOSSES = ["auto", "bce", "mse", "softmax_ce"]
REGULARISERS = ["none", "l1", "l2"]
# Written as the URL writes them, so an option's value is its query string.
LEARNING_RATES = "0.00001 0.0001 0.001 0.003 0.01 0.03 0.1 0.3 1 3 10".split()
REGULARISATION_RATES = "0 0.001 0.003 0.01 0.03 0.1 0.3 1 3 10".split()
MAX_LAYERS = 6
MAX_UNITS = 8
DEFAULT_STATE = {
    "dataset": "circle",
    "noise": "0",
    "ratio": "50",
    "batch": "10",
    "seed": "0",
    "points": "500",
    "features": "x1,x2",
    "hidden": "4,2",
    "act": "tanh",
    "output": "auto",
    "loss": "auto",
    "opt": "sgd",
    "lr": "0.03",
    "reg": "none",
    "rate": "0",
    "init": "auto",
    "edits": "",
}


def hidden_activations() -> list[str]:
    """Return the registry entries that a hidden layer can use (elementwise ones)."""
    return [spec.name for spec in activations.specs() if not spec.vector]


def dataset_choices() -> list[tuple[str, str]]:
    """Return ``(name, task)`` for each 2-D playground set, in the data module's order."""
    return [(name, task.value) for name, task in data.names("playground").items()]


def read_query(query: dict[str, str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Return the normalised state as query strings and a ``(field, message)`` list.

    Unknown keys are dropped with a message. Validation of the values is the
    job of the playground session's state model, which the socket applies.
    """
    messages = []
    state = dict(DEFAULT_STATE)
    for key, value in query.items():
        if key in state:
            state[key] = value
        else:
            messages.append((key, f"unknown URL field {key!r} was ignored"))
    return state, messages


def page_config(state: dict[str, str], messages: list[tuple[str, str]]) -> dict:
    """Return what the page's script needs: the state and the generated choices."""
    return {
        "state": state,
        "messages": [{"field": f, "message": m} for f, m in messages],
        "activations": hidden_activations(),
        "features": FEATURES,
        "max_layers": MAX_LAYERS,
        "max_units": MAX_UNITS,
        "socket": "/ws/playground",
    }


@router.get("/playground", response_class=HTMLResponse)
def playground(request: Request) -> Response:
    """Render the playground with the state that the URL query sets."""
    state, messages = read_query(dict(request.query_params))
    context: dict[str, Any] = {
        "state": state,
        "messages": messages,
        "config": page_config(state, messages),
        "datasets": dataset_choices(),
        "features": FEATURES,
        "hidden_activations": hidden_activations(),
        "output_activations": ["auto", *activations.names()],
        "losses": LOSSES,
        "optimisers": OPTIMISERS,
        "initialisers": INITIALISERS,
        "regularisers": REGULARISERS,
        "learning_rates": LEARNING_RATES,
        "regularisation_rates": REGULARISATION_RATES,
    }
    return templates.TemplateResponse(request, "playground.html", context)
