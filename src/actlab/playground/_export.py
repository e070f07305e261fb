"""Export a session's network as JSON or as a standalone PyTorch script."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import numpy as np

from ._features import TORCH_EXPRESSIONS, transform
from ._session import Session

FORMATS = ("json", "pytorch")

# Each registry activation as a PyTorch expression of x. The parameters are
# filled in from the layer's bound values; every formula matches the registry
# record of the same name.
_TORCH_ACTIVATIONS = {
    "linear": "x",
    "sigmoid": "torch.sigmoid(x)",
    "tanh": "torch.tanh(x)",
    "relu": "torch.relu(x)",
    "softplus": "F.softplus(x, beta={beta!r})",
    "softsign": "F.softsign(x)",
    "log_sigmoid": "F.logsigmoid(x)",
    "leaky_relu": "F.leaky_relu(x, negative_slope={negative_slope!r})",
    "elu": "F.elu(x, alpha={alpha!r})",
    "selu": "F.selu(x)",
    "celu": "F.celu(x, alpha={alpha!r})",
    "silu": "x * torch.sigmoid({beta!r} * x)",
    "gelu": "F.gelu(x, approximate={approximate!r})",
    "mish": "F.mish(x)",
    "relu6": "F.relu6(x)",
    "hard_sigmoid": "F.hardsigmoid(x)",
    "hard_swish": "F.hardswish(x)",
    "hard_tanh": "F.hardtanh(x)",
}

# The probability or value that predict() returns, as in the output map.
_TORCH_HEADS = {
    "bce": "torch.sigmoid(out[:, 0])",
    "softmax_ce": "torch.softmax(out, dim=1)",
    "mse": "out[:, 0]",
}

SAMPLE_POINTS = np.array([[-4.0, 3.0], [0.0, 0.0], [1.5, -2.5], [5.0, 5.0]])


def export(session: Session, fmt: str) -> dict[str, str]:
    """Return the ``export`` message: ``format``, ``filename`` and ``content``."""
    if fmt == "json":
        content = json.dumps(model_dict(session), indent=1)
        filename = "playground-model.json"
    else:
        content = pytorch_code(session)
        filename = "playground_model.py"
    return {"type": "export", "format": fmt, "filename": filename, "content": content}


def model_dict(session: Session) -> dict[str, Any]:
    """Return the network, its inputs and its head as plain JSON values."""
    with session.lock:
        return {
            "format": "actlab-playground-model",
            "version": 1,
            "query": urlencode(session.state.to_query()),
            "state": session.state.to_query(),
            "epoch": session.epoch,
            "features": list(session.state.features),
            "output": session.head.output,
            "loss": session.head.loss.name,
            "labels": list(session.head.labels) if session.head.labels else None,
            "layers": [
                {
                    "activation": layer.activation.name,
                    "params": dict(layer.activation.params),
                    "W": layer.W.tolist(),
                    "b": layer.b.tolist(),
                }
                for layer in session.network.layers
            ],
        }


def torch_activation(name: str, params: dict[str, Any]) -> str:
    """Return the PyTorch expression of x for the registry activation ``name``."""
    return _TORCH_ACTIVATIONS[name].format(**params)


def pytorch_code(session: Session) -> str:
    """Return a script that rebuilds the network in PyTorch with its weights.

    The script needs only ``torch``. Run as a program, it checks its outputs
    at four sample points against the values this server computed.
    """
    model = model_dict(session)
    with session.lock:
        expected = session.predict_map(session.network(_inputs(session)))
    lines = _header(model) + _weights(model) + _body(model, expected)
    return "\n".join(lines) + "\n"


def _inputs(session: Session) -> np.ndarray:
    return transform(SAMPLE_POINTS, session.state.features)


def _header(model: dict[str, Any]) -> list[str]:
    return [
        '"""A network trained in the actlab playground, rebuilt in PyTorch.',
        "",
        f"Playground state: {model['query']}",
        f"Epoch {model['epoch']}; output {model['output']}, loss {model['loss']}.",
        "Needs only torch. Run it to check the outputs at four sample points.",
        '"""',
        "",
        "import torch",
        "import torch.nn.functional as F",
        "",
        "torch.set_default_dtype(torch.float64)",
        "",
    ]


def _weights(model: dict[str, Any]) -> list[str]:
    lines = ["# Weights W have shape (inputs, units): a layer computes x @ W + b."]
    for index, layer in enumerate(model["layers"]):
        lines.append(f"W{index} = torch.tensor({_literal(layer['W'])})")
        lines.append(f"b{index} = torch.tensor({_literal(layer['b'])})")
    return [*lines, ""]


def _literal(values: Any) -> str:
    # repr gives the shortest text that reads back as the same float64.
    if isinstance(values, list):
        return "[" + ", ".join(_literal(value) for value in values) + "]"
    return repr(float(values))


def _body(model: dict[str, Any], expected: np.ndarray) -> list[str]:
    features = ", ".join(TORCH_EXPRESSIONS[name] for name in model["features"])
    lines = [
        "",
        "def features(points):",
        '    """Turn points (x1, x2) of shape (n, 2) into the network inputs."""',
        "    x1, x2 = points[:, 0], points[:, 1]",
        f"    return torch.stack([{features}], dim=1)",
        "",
        "",
        "def forward(points):",
        '    """Return the last layer\'s output (logits for a cross-entropy loss)."""',
        "    x = features(points)",
    ]
    for index, layer in enumerate(model["layers"]):
        lines.append(f"    x = x @ W{index} + b{index}")
        expression = torch_activation(layer["activation"], layer["params"])
        if expression != "x":
            lines.append(f"    x = {expression}")
    lines += [
        "    return x",
        "",
        "",
        "def predict(points):",
        '    """Return what the playground\'s output map shows at each point."""',
        "    out = forward(points)",
        f"    return {_TORCH_HEADS[model['loss']]}",
        "",
        "",
        f"SAMPLE_POINTS = torch.tensor({_literal(SAMPLE_POINTS.tolist())})",
        f"EXPECTED = torch.tensor({_literal(np.asarray(expected).tolist())})",
        "",
        'if __name__ == "__main__":',
        "    got = predict(SAMPLE_POINTS)",
    ]
    if model["loss"] == "softmax_ce":
        lines.append("    got = got.argmax(dim=1).to(torch.float64)")
    lines += [
        "    print(got)",
        "    close = torch.allclose(got, EXPECTED, rtol=1e-9, atol=1e-12)",
        "    assert close, (got, EXPECTED)",
    ]
    return lines
