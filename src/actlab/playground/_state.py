"""The playground's whole configuration as one validated, URL-ready record."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from actlab import activations, data, nn

from ._features import FEATURES

BUILTIN_DATASETS = ("circle", "xor", "gauss", "spiral", "plane", "multigauss", "blobs")
DATASETS = (*BUILTIN_DATASETS, "csv")
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARISATION_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
OPTIMISERS = ("sgd", "momentum", "adam")
REGULARISERS = ("none", "l1", "l2")
LOSSES = ("auto", "bce", "mse", "softmax_ce")
MAX_LAYERS = 6
MAX_WIDTH = 8
MAX_SEED = 2**31 - 1
MAX_LEARNING_RATE = 10.0
MAX_REGULARISATION_RATE = 10.0
MAX_EDITS = 200
MAX_WEIGHT = 1e6


class InvalidField(ValueError):
    """A value of the playground state or of a socket message that is not valid.

    ``field`` names the query key or message key at fault, and the message
    lists the valid values.
    """

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def hidden_activation_names() -> tuple[str, ...]:
    """Return the registry's elementwise activations, which a hidden layer takes."""
    return tuple(spec.name for spec in activations.specs() if not spec.vector)


def output_activation_names() -> tuple[str, ...]:
    """Return the names that the ``output`` key takes, ``auto`` first."""
    return ("auto", *(spec.name for spec in activations.specs()))


def initialiser_choices() -> tuple[str, ...]:
    """Return the names that the ``init`` key takes."""
    return ("auto", *nn.initialiser_names(), "tfp")


def _text(field: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidField(field, f"invalid {field}={value!r}: expected a string")
    return str(value).strip()


def _choice(field: str, value: Any, choices: tuple[str, ...]) -> str:
    text = _text(field, value).lower()
    if text not in choices:
        raise InvalidField(
            field, f"invalid {field}={value!r}: choose one of {', '.join(choices)}"
        )
    return text


def _integer(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        try:
            number = int(_text(field, value))
        except (ValueError, InvalidField):
            number = None
    if number is None or not low <= number <= high:
        raise InvalidField(
            field,
            f"invalid {field}={value!r}: expected an integer from {low} to {high}",
        )
    return number


def _number(
    field: str, value: Any, low: float, high: float, *, open_low: bool
) -> float:
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    above_low = number > low if open_low else number >= low
    if not (math.isfinite(number) and above_low and number <= high):
        bracket = "(" if open_low else "["
        raise InvalidField(
            field,
            f"invalid {field}={value!r}: expected a number in {bracket}{low:g}, "
            f"{high:g}]",
        )
    return number


def _items(field: str, value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    text = _text(field, value)
    return [part.strip() for part in text.split(",")] if text else []


def _features(value: Any) -> tuple[str, ...]:
    names = [_text("features", item).lower() for item in _items("features", value)]
    unknown = [name for name in names if name not in FEATURES]
    if unknown or not names:
        raise InvalidField(
            "features",
            f"invalid features={value!r}: give a comma list of at least one of "
            f"{', '.join(FEATURES)}",
        )
    return tuple(name for name in FEATURES if name in names)


def _hidden(value: Any) -> tuple[int, ...]:
    items = _items("hidden", value)
    if len(items) > MAX_LAYERS:
        raise InvalidField(
            "hidden",
            f"invalid hidden={value!r}: at most {MAX_LAYERS} hidden layers, got "
            f"{len(items)}",
        )
    return tuple(_integer("hidden", item, 1, MAX_WIDTH) for item in items)


def _activation(field: str, name: Any, allowed: tuple[str, ...]) -> str:
    text = _text(field, name).lower()
    try:
        canonical = activations.spec(text).name
    except ValueError:
        canonical = None
    if canonical not in allowed:
        raise InvalidField(
            field, f"invalid {field}={name!r}: choose one of {', '.join(allowed)}"
        )
    return canonical


def _act(value: Any) -> tuple[str, ...]:
    allowed = hidden_activation_names()
    items = _items("act", value)
    if not items:
        raise InvalidField(
            "act", f"invalid act={value!r}: give one of {', '.join(allowed)}"
        )
    return tuple(_activation("act", item, allowed) for item in items)


def _output(value: Any) -> str:
    text = _text("output", value).lower()
    if text == "auto":
        return text
    return _activation("output", text, output_activation_names()[1:])


def _learning_rate(value: Any) -> float:
    return _number("lr", value, 0.0, MAX_LEARNING_RATE, open_low=True)


def _rate(value: Any) -> float:
    return _number("rate", value, 0.0, MAX_REGULARISATION_RATE, open_low=False)


def _edits(value: Any) -> tuple[tuple[int, int, int, float], ...]:
    if isinstance(value, list | tuple):
        parts = [_text("edits", item) for item in value]
    else:
        text = _text("edits", value)
        parts = [part.strip() for part in text.split(";") if part.strip()]
    if len(parts) > MAX_EDITS:
        raise InvalidField(
            "edits",
            f"invalid edits: at most {MAX_EDITS} weight edits, got {len(parts)}",
        )
    edits: dict[tuple[int, int, int], float] = {}
    for part in parts:
        key, weight = _edit(part)
        edits[key] = weight
    return tuple((*key, weight) for key, weight in sorted(edits.items()))


def _edit(part: str) -> tuple[tuple[int, int, int], float]:
    usage = "expected layer.from.to:value, for example 0.1.2:0.5"
    where, colon, weight = part.partition(":")
    indices = where.split(".")
    if not colon or len(indices) != 3:
        raise InvalidField("edits", f"invalid edit {part!r}: {usage}")
    try:
        key = tuple(int(index) for index in indices)
        number = float(weight)
    except ValueError:
        raise InvalidField("edits", f"invalid edit {part!r}: {usage}") from None
    if min(key) < 0 or not (math.isfinite(number) and abs(number) <= MAX_WEIGHT):
        raise InvalidField(
            "edits",
            f"invalid edit {part!r}: indices must be at least 0 and the value a "
            f"finite number within ±{MAX_WEIGHT:g}",
        )
    return (key[0], key[1], key[2]), number


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "dataset": lambda v: _choice("dataset", v, DATASETS),
    "noise": lambda v: _integer("noise", v, 0, 50),
    "ratio": lambda v: _integer("ratio", v, 10, 90),
    "batch": lambda v: _integer("batch", v, 1, 30),
    "seed": lambda v: _integer("seed", v, 0, MAX_SEED),
    "points": lambda v: _integer("points", v, 100, 2000),
    "features": _features,
    "hidden": _hidden,
    "act": _act,
    "output": _output,
    "loss": lambda v: _choice("loss", v, LOSSES),
    "opt": lambda v: _choice("opt", v, OPTIMISERS),
    "lr": _learning_rate,
    "reg": lambda v: _choice("reg", v, REGULARISERS),
    "rate": _rate,
    "init": lambda v: _choice("init", v, initialiser_choices()),
    "edits": _edits,
}


def parse_field(field: str, value: Any) -> Any:
    """Return ``value`` parsed and checked as the state key ``field``.

    Raises ``InvalidField`` naming the field and the valid values.
    """
    if field not in _PARSERS:
        raise InvalidField(
            field, f"unknown key {field!r}: use one of {', '.join(_PARSERS)}"
        )
    return _PARSERS[field](value)


class PlaygroundState(BaseModel):
    """Every setting of a playground run; ``to_query`` gives its URL query.

    The same state and seed always give the same data, weights and training.
    Build one from a query with ``from_query``, which checks every value and
    raises ``InvalidField`` for the first one that is not valid.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: str = "circle"
    noise: int = 0
    ratio: int = 50
    batch: int = 10
    seed: int = 0
    points: int = 500
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)
    act: tuple[str, ...] = ("tanh",)
    output: str = "auto"
    loss: str = "auto"
    opt: str = "sgd"
    lr: float = 0.03
    reg: str = "none"
    rate: float = 0.0
    init: str = "auto"
    edits: tuple[tuple[int, int, int, float], ...] = ()

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> PlaygroundState:
        """Parse a URL query (or a JSON object of the same keys) into a state.

        Missing keys take their defaults. Values may be strings, as in a URL,
        or JSON numbers and lists.
        """
        if not isinstance(query, Mapping):
            raise InvalidField("state", "invalid state: expected an object of keys")
        values = {str(key): parse_field(str(key), v) for key, v in query.items()}
        state = cls(**values)
        state.check()
        return state

    def check(self) -> None:
        """Raise ``InvalidField`` for values that are invalid together."""
        n_hidden = len(self.hidden)
        if len(self.act) not in (1, n_hidden):
            raise InvalidField(
                "act",
                f"invalid act={','.join(self.act)}: give one activation for every "
                f"hidden layer, or one per hidden layer ({n_hidden})",
            )
        if self.dataset != "csv":
            task = data.names()[self.dataset]
            check_head(self.output, self.loss, task.value)
            n_classes = 3 if self.dataset == "blobs" else 1
            check_edits(self.edits, self.sizes(n_classes))

    def hidden_activations(self) -> list[str]:
        """Return one activation name per hidden layer."""
        if len(self.act) == 1:
            return list(self.act) * len(self.hidden)
        return list(self.act)

    def sizes(self, n_outputs: int) -> list[int]:
        """Return the layer widths, inputs first, for ``n_outputs`` outputs."""
        return [len(self.features), *self.hidden, n_outputs]

    def to_query(self) -> dict[str, str]:
        """Return the state as URL query values; ``from_query`` reverses it."""
        act = self.act
        if len(set(act)) == 1:
            act = act[:1]
        query = {
            "dataset": self.dataset,
            "noise": str(self.noise),
            "ratio": str(self.ratio),
            "batch": str(self.batch),
            "seed": str(self.seed),
            "points": str(self.points),
            "features": ",".join(self.features),
            "hidden": ",".join(map(str, self.hidden)),
            "act": ",".join(act),
            "output": self.output,
            "loss": self.loss,
            "opt": self.opt,
            "lr": repr(self.lr),
            "reg": self.reg,
            "rate": repr(self.rate),
            "init": self.init,
        }
        if self.edits:
            query["edits"] = ";".join(
                f"{layer}.{i}.{j}:{value!r}" for layer, i, j, value in self.edits
            )
        return query

    def replace(self, **changes: Any) -> PlaygroundState:
        """Return a checked copy with ``changes`` parsed as query values."""
        values = self.to_query()
        values.update(changes)
        return PlaygroundState.from_query(values)


def resolve_head(output: str, loss: str, task: str) -> tuple[str, str]:
    """Return the output activation and the loss that ``auto`` stands for.

    Raises ``InvalidField`` (field ``output`` or ``loss``) when the two do not
    fit each other or the task (``binary``, ``multiclass`` or ``regression``).
    """
    defaults = {
        "binary": ("sigmoid", "bce"),
        "multiclass": ("softmax", "softmax_ce"),
        "regression": ("linear", "mse"),
    }
    chosen = (output, loss)
    if output == "auto" and loss == "auto":
        output, loss = defaults[task]
    elif output == "auto":
        # Squared error on a binary set uses tanh and labels -1 and 1, as
        # TensorFlow Playground does.
        by_loss = {"bce": "sigmoid", "softmax_ce": "softmax"}
        output = by_loss.get(loss, "tanh" if task == "binary" else "linear")
    elif loss == "auto":
        by_output = {"softmax": "softmax_ce"}
        if task == "binary":
            by_output["sigmoid"] = "bce"
        loss = by_output.get(output, "mse")
    try:
        check_pair(output, loss, task)
    except InvalidField as error:
        # Name the field that the user set, not the one that auto filled in.
        field = "loss" if chosen[0] == "auto" else error.field
        field = "output" if chosen[1] == "auto" else field
        raise InvalidField(field, str(error).replace(error.field, field, 1)) from None
    return output, loss


def check_head(output: str, loss: str, task: str) -> None:
    """Raise ``InvalidField`` unless ``output`` and ``loss`` fit ``task``."""
    resolve_head(output, loss, task)


def check_pair(output: str, loss: str, task: str) -> None:
    """Raise ``InvalidField`` for an output and loss pair that does not fit."""
    if task == "multiclass" and (output != "softmax" or loss != "softmax_ce"):
        field = "output" if output != "softmax" else "loss"
        raise InvalidField(
            field,
            f"invalid {field}: a multi-class dataset takes output=softmax with "
            f"loss=softmax_ce (or auto), not output={output} with loss={loss}",
        )
    if task != "multiclass" and (output == "softmax" or loss == "softmax_ce"):
        field = "output" if output == "softmax" else "loss"
        raise InvalidField(
            field,
            f"invalid {field}: softmax with softmax_ce is for multi-class datasets "
            f"such as blobs, and this dataset is {task}; use sigmoid with bce or "
            "an elementwise output with mse",
        )
    if loss == "bce" and (task != "binary" or output != "sigmoid"):
        field = "output" if task == "binary" else "loss"
        raise InvalidField(
            field,
            f"invalid {field}: loss=bce needs a binary dataset and output=sigmoid, "
            f"got a {task} dataset with output={output}",
        )


def check_edits(
    edits: tuple[tuple[int, int, int, float], ...], sizes: list[int]
) -> None:
    """Raise ``InvalidField`` for an edit outside a network of widths ``sizes``."""
    for layer, source, target, _ in edits:
        if layer >= len(sizes) - 1:
            raise InvalidField(
                "edits",
                f"invalid edit of layer {layer}: the network has weight layers 0 "
                f"to {len(sizes) - 2}",
            )
        if source >= sizes[layer] or target >= sizes[layer + 1]:
            raise InvalidField(
                "edits",
                f"invalid edit {layer}.{source}.{target}: layer {layer} links "
                f"inputs 0 to {sizes[layer] - 1} with units 0 to "
                f"{sizes[layer + 1] - 1}",
            )
