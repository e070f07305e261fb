"""The gradient probe: how much gradient each hidden unit lets through while training.

Backpropagation multiplies the gradient that reaches a unit by g'(z) at the
unit's pre-activation z, so g'(z) is the share of the gradient that passes
the unit for that example: 1 passes all of it, 0 blocks it, and a value
above 1 (SELU for z > 0) amplifies it. A ``Probe`` trains a small network on
a 2-D playground set with one activation in every hidden layer. Each frame
reports every hidden unit's z over a fixed sample of training examples, g'(z)
there, and the mean of g'(z), which is the unit's share.

>>> probe = Probe(ProbeConfig(activation="relu", dataset="xor", seed=1))
>>> frame = probe.advance(20)
>>> frame.step, len(frame.layers), len(frame.layers[0])
(20, 2, 8)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from actlab import activations, data, nn

__all__ = [
    "BATCH_RANGE",
    "BIAS_RANGE",
    "LEARNING_RATE_RANGE",
    "LOSS",
    "MAX_HIDDEN_LAYERS",
    "MAX_SAMPLE",
    "MAX_WIDTH",
    "Probe",
    "ProbeConfig",
    "ProbeError",
    "ProbeFrame",
    "UnitProbe",
    "dataset_names",
]

LOSS = "bce"
MAX_WIDTH = 8
MAX_HIDDEN_LAYERS = 3
MAX_SAMPLE = 64
LEARNING_RATE_RANGE = (1e-5, 10.0)
BIAS_RANGE = (-50.0, 50.0)
BATCH_RANGE = (1, 100)


class ProbeError(ValueError):
    """A probe setting that is invalid, with the name of its field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def dataset_names() -> list[str]:
    """Return the binary playground sets that the probe trains on."""
    found = data.names("playground")
    return [name for name, task in found.items() if task is data.Task.BINARY]


@dataclass(frozen=True)
class ProbeConfig:
    """The network, data and training settings of one probe run.

    ``hidden`` contains the width of each hidden layer (1 to 3 layers of 1 to 8
    units), ``bias`` the starting bias of every hidden unit (a large negative
    value starts ReLU units dead), and ``sample_size`` the number of training
    examples whose z each frame reports. Training is plain SGD on minibatches
    of ``batch_size`` with binary cross-entropy on a linear output.
    """

    activation: str = "relu"
    params: Mapping[str, Any] = field(default_factory=dict)
    dataset: str = "circle"
    seed: int = 0
    hidden: tuple[int, ...] = (8, 8)
    learning_rate: float = 0.03
    batch_size: int = 10
    bias: float = 0.0
    noise: float = 0.0
    sample_size: int = 24

    def __post_init__(self) -> None:
        _check_config(self)


def _check_config(config: ProbeConfig) -> None:
    _check_elementwise(config.activation)
    try:
        act = activations.get(config.activation, **dict(config.params))
        nn.resolve_activation(act)
    except ValueError as error:
        field_name = "params" if config.params else "activation"
        raise ProbeError(field_name, str(error)) from None
    if config.dataset not in dataset_names():
        raise ProbeError(
            "dataset",
            f"invalid dataset {config.dataset!r}: choose one of "
            f"{', '.join(dataset_names())}",
        )
    _check_hidden(config.hidden)
    _check_number("learning_rate", config.learning_rate, *LEARNING_RATE_RANGE)
    _check_number("bias", config.bias, *BIAS_RANGE)
    _check_number("noise", config.noise, 0.0, data.MAX_NOISE)
    _check_integer("batch_size", config.batch_size, *BATCH_RANGE)
    _check_integer("sample_size", config.sample_size, 1, MAX_SAMPLE)
    _check_integer("seed", config.seed, 0, 2**32 - 1)


def _check_elementwise(name: str) -> None:
    """Raise ``ProbeError`` for an activation that cannot act on hidden units."""
    try:
        spec = activations.spec(name)
    except ValueError:
        return  # _check_config reports the unknown name
    if spec.vector:
        raise ProbeError(
            "activation",
            f"{spec.name} cannot be a hidden activation: it turns a whole vector "
            "of scores into probabilities, so it belongs in the output layer of "
            "a classifier. Choose an elementwise activation such as relu or tanh.",
        )


def _check_hidden(hidden: Any) -> None:
    expected = (
        f"expected 1 to {MAX_HIDDEN_LAYERS} layer widths, each an integer "
        f"from 1 to {MAX_WIDTH}"
    )
    valid = isinstance(hidden, tuple | list) and (
        1 <= len(hidden) <= MAX_HIDDEN_LAYERS
        and all(_is_integer(width) and 1 <= width <= MAX_WIDTH for width in hidden)
    )
    if not valid:
        raise ProbeError("hidden", f"invalid hidden={hidden!r}: {expected}")


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_number(name: str, value: Any, low: float, high: float) -> None:
    valid = isinstance(value, int | float) and not isinstance(value, bool)
    if not (valid and math.isfinite(value) and low <= value <= high):
        raise ProbeError(
            name, f"invalid {name}={value!r}: expected a number in [{low:g}, {high:g}]"
        )


def _check_integer(name: str, value: Any, low: int, high: int) -> None:
    if not (_is_integer(value) and low <= value <= high):
        raise ProbeError(
            name, f"invalid {name}={value!r}: expected an integer in [{low}, {high}]"
        )


@dataclass(frozen=True)
class UnitProbe:
    """One hidden unit at one frame: z over the sample, g'(z) and its mean."""

    z: np.ndarray
    gprime: np.ndarray

    @property
    def z_mean(self) -> float:
        return float(self.z.mean())

    @property
    def share(self) -> float:
        """The mean of g'(z) over the sample: the share of gradient passing."""
        return float(self.gprime.mean())


@dataclass(frozen=True)
class ProbeFrame:
    """The state of a probe run after ``step`` training steps.

    ``loss`` is the mean cross-entropy over the whole training set, and
    ``layers[i][j]`` is unit j of hidden layer i.
    """

    step: int
    loss: float
    layers: list[list[UnitProbe]]

    def to_dict(self) -> dict[str, Any]:
        """Return the frame as plain Python values, for JSON.

        A number that is not finite (after the training diverged) becomes
        ``None``, because JSON has no encoding for it.
        """
        return {
            "step": self.step,
            "loss": _finite_or_none(self.loss),
            "layers": [
                [
                    {
                        "z_mean": _finite_or_none(unit.z_mean),
                        "z": [_finite_or_none(x) for x in unit.z.tolist()],
                        "gprime": [_finite_or_none(x) for x in unit.gprime.tolist()],
                        "share": _finite_or_none(unit.share),
                    }
                    for unit in layer
                ]
                for layer in self.layers
            ],
        }


def _finite_or_none(number: float) -> float | None:
    return number if math.isfinite(number) else None


class Probe:
    """A small network in training, with its hidden units probed between steps."""

    def __init__(self, config: ProbeConfig):
        self.config = config
        dataset = data.load(config.dataset, seed=config.seed, noise=config.noise)
        X = np.asarray(dataset.X, dtype=np.float64)
        self.X = (X - X.mean(axis=0)) / X.std(axis=0)
        self.y = np.asarray(dataset.y)
        self.activation = activations.get(config.activation, **dict(config.params))
        self.net = nn.Network.build(
            [2, *config.hidden, 1],
            hidden=self.activation,
            output="linear",
            seed=config.seed,
            bias=config.bias,
        )
        self.optimiser = nn.SGD(learning_rate=config.learning_rate)
        self.rng = np.random.default_rng(config.seed)
        size = min(config.sample_size, len(self.X))
        self.sample = np.sort(self.rng.choice(len(self.X), size=size, replace=False))
        self.step = 0
        self.diverged = False
        self._order = np.empty(0, dtype=np.int64)

    def _next_batch(self) -> np.ndarray:
        if len(self._order) < self.config.batch_size:
            self._order = np.concatenate(
                [self._order, self.rng.permutation(len(self.X))]
            )
        batch, self._order = np.split(self._order, [self.config.batch_size])
        return batch

    def train(self, steps: int) -> None:
        """Run ``steps`` SGD steps on minibatches, in a fixed order per seed.

        Training stops early, and ``diverged`` becomes true, at the first
        batch whose loss is not finite.
        """
        # A diverging run overflows on purpose here, and the loss reports it.
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(steps):
                if self.diverged:
                    return
                batch = self._next_batch()
                loss = nn.step(
                    self.net, self.X[batch], self.y[batch], LOSS, self.optimiser
                )
                self.step += 1
                self.diverged = not math.isfinite(loss)

    def frame(self) -> ProbeFrame:
        """Measure every hidden unit on the sample and the loss on all examples."""
        with np.errstate(over="ignore", invalid="ignore"):
            trace = nn.forward(self.net, self.X[self.sample])
            layers = []
            for z in trace.z[:-1]:
                gprime = self.activation.derivative(z)
                units = [
                    UnitProbe(z[:, j].copy(), gprime[:, j]) for j in range(z.shape[1])
                ]
                layers.append(units)
            loss, _ = nn.evaluate(self.net, self.X, self.y, LOSS)
        if self.diverged:
            loss = math.nan
        return ProbeFrame(self.step, float(loss), layers)

    def advance(self, steps: int) -> ProbeFrame:
        """Train for ``steps`` steps, then return the frame."""
        self.train(steps)
        return self.frame()
