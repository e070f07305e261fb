"""Saturation: how sigmoid, tanh and ReLU pass gradients back at initialisation.

After Glorot and Bengio (2010), "Understanding the difficulty of training deep
feedforward neural networks". The run has three parts.

**Per-layer factor.** Going back one hidden layer, the gradient of the loss
with respect to the pre-activations is ``dz_l = g'(z_l) * (dz_{l+1} @ W.T)``.
Each entry sums ``n`` products of a weight and a gradient, where ``n`` is the
width of the layer above. When the weights are independent of the gradients,
its variance is ``n Var(W) Var(dz_{l+1})``, and multiplying by ``g'(z_l)`` adds
the factor ``E[g'(z)^2]``. So the standard deviation shrinks or grows by

    factor = sqrt(n Var(W) E[g'(z)^2])

per layer. With equal widths, the standard initialisation U(-1/sqrt(n),
1/sqrt(n)) has ``n Var(W) = 1/3``, Xavier's U(-r, r) with r = sqrt(6 / 2n) has
1, and He's N(0, 2/n) has 2. Near z = 0, where these initialisations keep a
network at the start, the sigmoid's slope is 1/4 (``E[g'^2] = 1/16``), tanh's
is 1, and ReLU's is 1 on half of the inputs and 0 on the other half
(``E[g'^2] = 1/2``). That gives:

- sigmoid with standard: sqrt(1/3 * 1/16) = 0.14, so the gradient at the first
  layer of a deep network is tiny;
- tanh with standard: sqrt(1/3) = 0.58;
- tanh with Xavier: sqrt(1 * 1) = 1, the case Xavier's rule was derived for;
- ReLU with Xavier: sqrt(1 * 1/2) = 0.71;
- ReLU with He: sqrt(2 * 1/2) = 1, the case He's rule was derived for.

The run measures the ratio of the standard deviations of ``dz`` between
neighbouring hidden layers, as a geometric mean over the layers and then over
the seeds, and puts it beside this factor. The factor assumes the linear
regime, so tanh and the sigmoid with larger weights, whose slopes fall as |z|
grows, measure below it.

**Top layer saturation.** With standard initialisation, Glorot and Bengio saw
the top hidden layer of a deep sigmoid network pushed to 0 early in training,
where the sigmoid is flat. The lower layers stayed near 0.5, and the error did
not fall. The run trains such a network on digits and records the
mean activation of each hidden layer and the training error after each epoch.

**Depth.** The run trains sigmoid and ReLU networks of growing depth, each
with the initialiser that suits it, for the same budget, and records the
training error.

NOTE: the papers' findings are summarised from secondary descriptions of them,
not checked against the papers' own text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from actlab import data, nn

from ._framework import (
    Claim,
    Experiment,
    ExperimentResult,
    Progress,
    Table,
    register,
    settings_dict,
)

SOURCE = (
    "X. Glorot and Y. Bengio, Understanding the difficulty of training deep "
    "feedforward neural networks, AISTATS 2010"
)

# n Var(W) for a layer of n inputs and n units, the widths of this run.
WEIGHT_VARIANCE_TIMES_WIDTH = {"standard": 1.0 / 3.0, "xavier": 1.0, "he": 2.0}

NAMED_FACTORS = (
    ("sigmoid", "standard"),
    ("tanh", "standard"),
    ("tanh", "xavier"),
    ("relu", "xavier"),
    ("relu", "he"),
)
"""The combinations whose factors (0.14, 0.58, 1, 0.71, 1) the claim names."""

FACTOR_TOLERANCE = 0.2
"""The largest relative gap from the predicted factor that counts as a match."""

LOW_ACTIVATION = 0.1
"""A sigmoid output below this counts as saturated at 0 (there g' < 0.09)."""

SATURATED_SHARE = 0.5
"""The share of the top layer's outputs below ``LOW_ACTIVATION`` from which the
top layer counts as saturated."""

CHANCE_MARGIN = 0.05
"""How far below chance the training error may end and still count as at chance."""


@dataclass(frozen=True)
class SaturationSettings:
    """Sizes, budgets and seeds of the three parts.

    ``width`` and ``depth`` (hidden layers) shape the networks whose gradient
    spread is measured at initialisation on ``examples`` digits. The
    ``saturation_*`` fields set the deep sigmoid network trained with standard
    initialisation and plain SGD, and the ``sweep_*`` fields the depth sweep
    (SGD with momentum 0.9). ``seed`` sets the data split.
    """

    width: int = 128
    depth: int = 8
    examples: int = 256
    activations: tuple[str, ...] = ("sigmoid", "tanh", "relu")
    initialisers: tuple[str, ...] = ("standard", "xavier", "he")
    gradient_seeds: tuple[int, ...] = (0, 1, 2)
    saturation_width: int = 100
    saturation_depth: int = 5
    saturation_epochs: int = 30
    saturation_learning_rate: float = 0.1
    saturation_batch_size: int = 10
    depths: tuple[int, ...] = (1, 2, 3, 4, 6)
    sweep_width: int = 64
    sweep_epochs: int = 15
    sweep_learning_rate: float = 0.01
    sweep_seeds: tuple[int, ...] = (0, 1)
    seed: int = 0

    def __post_init__(self) -> None:
        _check_int("width", self.width, 2, 1024)
        _check_int("depth", self.depth, 2, 64)
        _check_int("examples", self.examples, 2, 1000)
        _check_int("saturation_width", self.saturation_width, 2, 1024)
        _check_int("saturation_depth", self.saturation_depth, 1, 16)
        _check_int("saturation_epochs", self.saturation_epochs, 1, 1000)
        _check_int("saturation_batch_size", self.saturation_batch_size, 1, 1000)
        _check_int("sweep_width", self.sweep_width, 2, 1024)
        _check_int("sweep_epochs", self.sweep_epochs, 1, 1000)
        _check_rate("saturation_learning_rate", self.saturation_learning_rate)
        _check_rate("sweep_learning_rate", self.sweep_learning_rate)
        for depth in self.depths:
            _check_int("depths entry", depth, 1, 32)
        _check_not_empty("depths", self.depths)
        _check_not_empty("gradient_seeds", self.gradient_seeds)
        _check_not_empty("sweep_seeds", self.sweep_seeds)
        _check_not_empty("activations", self.activations)
        for name in self.activations:
            nn.resolve_activation(name)
        for name in self.initialisers:
            if name not in WEIGHT_VARIANCE_TIMES_WIDTH:
                raise ValueError(
                    f"invalid initialiser {name!r}: the predicted factor is known "
                    f"for {', '.join(WEIGHT_VARIANCE_TIMES_WIDTH)} only"
                )
        _check_not_empty("initialisers", self.initialisers)

    @classmethod
    def quick(cls) -> SaturationSettings:
        return cls(
            width=64,
            depth=5,
            examples=128,
            gradient_seeds=(0,),
            saturation_epochs=8,
            depths=(1, 4),
            sweep_width=32,
            sweep_epochs=8,
            sweep_seeds=(0,),
        )


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"invalid {name} {value!r}: expected an integer")
    if not low <= value <= high:
        raise ValueError(f"invalid {name} {value}: expected {low} to {high}")


def _check_rate(name: str, value: Any) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value)):
        raise ValueError(f"invalid {name} {value!r}: expected a finite number")
    if not 1e-6 <= value <= 10.0:
        raise ValueError(f"invalid {name} {value}: expected 1e-06 to 10")


def _check_not_empty(name: str, values: tuple) -> None:
    if not values:
        raise ValueError(f"{name} is empty: give at least one value")


def _digits(seed: int) -> tuple[data.Dataset, data.Dataset]:
    train, test = data.split(data.load("digits"), test_fraction=0.25, seed=seed)
    return data.standardise(train, test)


def _report(progress: Progress | None, step: str, done: float) -> None:
    if progress is not None:
        progress(step, done)


def run(
    settings: SaturationSettings, progress: Progress | None = None
) -> ExperimentResult:
    # BLAS runs on one thread because these matrices are small. On a busy 2-core
    # machine (NumPy with OpenBLAS), a second thread made a 500 x 128 by
    # 128 x 128 product about 15 times slower.
    with threadpool_limits(1, "blas"):
        return _run(settings, progress)


def _run(
    settings: SaturationSettings, progress: Progress | None = None
) -> ExperimentResult:
    train, _ = _digits(settings.seed)
    _report(progress, "gradient spread at initialisation", 0.0)
    factors = _measure_factors(settings, train)
    _report(progress, "deep sigmoid network with standard initialisation", 0.2)
    curve = _train_saturating(settings, train)
    _report(progress, "training error against depth", 0.45)
    sweep = _depth_sweep(settings, train, progress)
    chance = 1.0 - float(np.bincount(train.y).max()) / train.n_samples

    seeds = {settings.seed, *settings.gradient_seeds, *settings.sweep_seeds}
    return ExperimentResult(
        name="saturation",
        title=SATURATION.title,
        settings=settings_dict(settings),
        seeds=sorted(seeds),
        claims=[
            _factor_claim(factors),
            _saturation_claim(curve, chance),
            _depth_claim(sweep),
        ],
        tables=[_factor_table(factors), _curve_table(curve), _sweep_table(sweep)],
        data={"factors": factors, "curve": curve, "sweep": sweep, "chance": chance},
    )


# --- per-layer factor -------------------------------------------------------------


def predicted_factor(activation: str, initialiser: str) -> float:
    """Return sqrt(n Var(W) E[g'(z)^2]) for z near 0, the linear regime.

    ``E[g'(z)^2]`` is the mean of g'(z)^2 at z = -1e-6 and 1e-6, which is
    g'(0)^2 for a smooth activation and the mean of the two sides for ReLU.
    """
    act = nn.resolve_activation(activation)
    slopes = act.derivative(np.array([-1e-6, 1e-6]))
    return math.sqrt(WEIGHT_VARIANCE_TIMES_WIDTH[initialiser] * np.mean(slopes**2))


def _gradient_spread(
    settings: SaturationSettings, train: data.Dataset, activation: str, init: str
) -> tuple[np.ndarray, np.ndarray]:
    # Per seed and hidden layer: the std of dz, and the mean of g'(z)^2.
    X = train.X[: settings.examples]
    y = train.y[: settings.examples]
    sizes = [train.n_features, *[settings.width] * settings.depth, train.n_classes]
    stds, slopes = [], []
    for seed in settings.gradient_seeds:
        net = nn.Network.build(sizes, activation, initialiser=init, seed=seed)
        trace = nn.forward(net, X)
        grads = nn.backward(net, trace, y, "softmax_ce")
        hidden = net.layers[:-1]
        stds.append([float(dz.std()) for dz in grads.dz[:-1]])
        slopes.append(
            [
                float(np.mean(layer.activation.derivative(z) ** 2))
                for layer, z in zip(hidden, trace.z, strict=False)
            ]
        )
    return np.array(stds), np.array(slopes)


def _geometric_mean(values: np.ndarray) -> float:
    return float(np.exp(np.log(values).mean()))


def _measure_factors(
    settings: SaturationSettings, train: data.Dataset
) -> list[dict[str, Any]]:
    factors = []
    for activation in settings.activations:
        for init in settings.initialisers:
            stds, slopes = _gradient_spread(settings, train, activation, init)
            # Layer l's spread over the spread of layer l + 1 above it, and the
            # same factor predicted from the slopes measured at layer l.
            ratios = stds[:, :-1] / stds[:, 1:]
            refined = np.sqrt(WEIGHT_VARIANCE_TIMES_WIDTH[init] * slopes[:, :-1])
            factors.append(
                {
                    "activation": activation,
                    "initialiser": init,
                    "predicted": predicted_factor(activation, init),
                    "predicted_from_slopes": _geometric_mean(refined),
                    "measured": _geometric_mean(ratios),
                    "layer_stds": stds.mean(axis=0).tolist(),
                }
            )
    return factors


def _find(factors: list[dict[str, Any]], activation: str, init: str) -> dict | None:
    for factor in factors:
        if factor["activation"] == activation and factor["initialiser"] == init:
            return factor
    return None


def _factor_claim(factors: list[dict[str, Any]]) -> Claim:
    named = [_find(factors, a, i) for a, i in NAMED_FACTORS]
    named = [factor for factor in named if factor is not None]
    parts = [
        f"{f['activation']} with {f['initialiser']}: {f['measured']:.2f} "
        f"(predicted {f['predicted']:.2f}, or {f['predicted_from_slopes']:.2f} "
        "from the measured slopes)"
        for f in named
    ]
    gaps = [abs(f["measured"] / f["predicted"] - 1.0) for f in named]
    held = all(gap <= FACTOR_TOLERANCE for gap in gaps) if named else None
    return Claim(
        "At initialisation the spread of back-propagated gradients changes by "
        "sqrt(n Var(W) E[g'(z)^2]) per layer: about 0.14 for the sigmoid with "
        "standard initialisation, 0.58 for tanh with standard, 1 for tanh with "
        "Xavier, 0.71 for ReLU with Xavier and 1 for ReLU with He",
        "per-layer factor of " + "; ".join(parts) + f". A match is within "
        f"{FACTOR_TOLERANCE:.0%} of the prediction for z near 0.",
        held,
        SOURCE,
    )


def _factor_table(factors: list[dict[str, Any]]) -> Table:
    rows = tuple(
        (
            f["activation"],
            f["initialiser"],
            round(f["predicted"], 3),
            round(f["measured"], 3),
            round(f["measured"] / f["predicted"], 3),
            round(f["predicted_from_slopes"], 3),
        )
        for f in factors
    )
    return Table(
        "Per-layer factor of the back-propagated gradient's spread at "
        "initialisation (predicted for z near 0, and from the measured g'(z)^2)",
        (
            "activation",
            "initialiser",
            "predicted",
            "measured",
            "measured / predicted",
            "predicted from measured slopes",
        ),
        rows,
    )


# --- top layer saturation ----------------------------------------------------------


def _layer_snapshot(net: nn.Network, X: np.ndarray) -> dict[str, Any]:
    activations = nn.forward(net, X).a[:-1]
    return {
        "layer_means": [float(a.mean()) for a in activations],
        "top_low_share": float((activations[-1] < LOW_ACTIVATION).mean()),
    }


def _train_saturating(
    settings: SaturationSettings, train: data.Dataset
) -> list[dict[str, Any]]:
    widths = [settings.saturation_width] * settings.saturation_depth
    sizes = [train.n_features, *widths, train.n_classes]
    net = nn.Network.build(sizes, "sigmoid", initialiser="standard", seed=settings.seed)
    _, accuracy = nn.evaluate(net, train.X, train.y, "softmax_ce")
    curve = [{"epoch": 0, "error": 1.0 - accuracy, **_layer_snapshot(net, train.X)}]

    def record(epoch: nn.EpochRecord) -> None:
        snapshot = _layer_snapshot(net, train.X)
        curve.append({"epoch": epoch.epoch, "error": 1.0 - epoch.metric, **snapshot})

    nn.train(
        net,
        train.X,
        train.y,
        "softmax_ce",
        nn.SGD(settings.saturation_learning_rate),
        epochs=settings.saturation_epochs,
        batch_size=settings.saturation_batch_size,
        seed=settings.seed,
        stats_every=0,
        callback=record,
    )
    return curve


def _saturation_claim(curve: list[dict[str, Any]], chance: float) -> Claim:
    """Compare the claim with the top layer at the end of training.

    It holds when more than ``SATURATED_SHARE`` of the top layer's outputs
    end below ``LOW_ACTIVATION`` with the error at chance. It fails when the
    error fell below chance or the top layer's mean did not fall. A mean that
    fell without saturating leaves it undecided, because the budget was too
    short to show saturation, as the quick settings' is.
    """
    first, last = curve[0], curve[-1]
    top_first, top_last = first["layer_means"][-1], last["layer_means"][-1]
    lower = ", ".join(f"{mean:.2f}" for mean in last["layer_means"][:-1])
    saturated = last["top_low_share"] > SATURATED_SHARE
    at_chance = last["error"] >= chance - CHANCE_MARGIN
    falling = top_last < top_first
    held = None
    if not at_chance or not falling:
        held = False
    elif saturated:
        held = True
    measured = (
        f"over {last['epoch']} epochs the top layer's mean activation went from "
        f"{top_first:.2f} to {top_last:.2f}, and its share of outputs below "
        f"{LOW_ACTIVATION} from {first['top_low_share']:.0%} to "
        f"{last['top_low_share']:.0%}. The lower layers' means ended at {lower}. "
        f"The training error was {last['error']:.3f}, where chance is {chance:.3f}."
    )
    if held is None:
        measured += (
            f" The top layer counts as saturated once more than "
            f"{SATURATED_SHARE:.0%} of its outputs are below {LOW_ACTIVATION}, "
            "which this budget did not reach, so more epochs are needed to decide."
        )
    return Claim(
        "With standard initialisation, training pushes the top hidden layer of "
        "a deep sigmoid network into saturation at 0 (most of its outputs "
        f"below {LOW_ACTIVATION}) while the training error stays at chance",
        measured,
        held,
        SOURCE,
    )


def _curve_table(curve: list[dict[str, Any]]) -> Table:
    n_layers = len(curve[0]["layer_means"])
    step = max(1, (len(curve) - 1) // 10)
    selected = curve[::step]
    if selected[-1] is not curve[-1]:
        selected.append(curve[-1])
    rows = tuple(
        (
            point["epoch"],
            round(point["error"], 3),
            *(round(mean, 3) for mean in point["layer_means"]),
            round(point["top_low_share"], 3),
        )
        for point in selected
    )
    return Table(
        "Deep sigmoid network with standard initialisation: mean activation per "
        "hidden layer during training",
        (
            "epoch",
            "training error",
            *(f"layer {i + 1} mean" for i in range(n_layers)),
            f"top layer share < {LOW_ACTIVATION}",
        ),
        rows,
    )


# --- training error against depth ----------------------------------------------------

SWEEP_ACTIVATIONS = ("sigmoid", "relu")


def _sweep_error(
    settings: SaturationSettings, train: data.Dataset, activation: str, depth: int
) -> list[float]:
    sizes = [train.n_features, *[settings.sweep_width] * depth, train.n_classes]
    errors = []
    for seed in settings.sweep_seeds:
        net = nn.Network.build(sizes, activation, seed=seed)
        history = nn.train(
            net,
            train.X,
            train.y,
            "softmax_ce",
            nn.SGD(settings.sweep_learning_rate, momentum=0.9),
            epochs=settings.sweep_epochs,
            batch_size=32,
            seed=seed,
            stats_every=0,
        )
        errors.append(1.0 - history.last.metric)
    return errors


def _depth_sweep(
    settings: SaturationSettings, train: data.Dataset, progress: Progress | None
) -> dict[str, Any]:
    sweep: dict[str, Any] = {"depths": list(settings.depths), "activations": {}}
    total = len(SWEEP_ACTIVATIONS) * len(settings.depths)
    for index, activation in enumerate(SWEEP_ACTIVATIONS):
        errors = []
        for position, depth in enumerate(settings.depths):
            done = (index * len(settings.depths) + position) / total
            step = f"{activation}, {depth} hidden layers"
            _report(progress, step, 0.45 + 0.55 * done)
            errors.append(_sweep_error(settings, train, activation, depth))
        sweep["activations"][activation] = {
            "initialiser": nn.resolve_activation(activation).spec.initialiser,
            "errors": errors,
            "mean_errors": [float(np.mean(e)) for e in errors],
        }
    return sweep


def _depth_claim(sweep: dict[str, Any]) -> Claim:
    depths = sweep["depths"]
    sigmoid = sweep["activations"]["sigmoid"]["mean_errors"]
    relu = sweep["activations"]["relu"]["mean_errors"]
    shallow, deep = depths.index(min(depths)), depths.index(max(depths))
    held = None
    if len(set(depths)) > 1:
        held = sigmoid[deep] > sigmoid[shallow] + 0.2 and relu[deep] < 0.1
    pairs = ", ".join(
        f"{d}: {s:.3f} vs {r:.3f}"
        for d, s, r in zip(depths, sigmoid, relu, strict=True)
    )
    return Claim(
        "With the same training budget, a deeper sigmoid network trains worse, "
        "while ReLU networks of the same depths keep a low training error",
        f"training error by number of hidden layers, sigmoid vs ReLU: {pairs}",
        held,
        SOURCE,
    )


def _sweep_table(sweep: dict[str, Any]) -> Table:
    entries = sweep["activations"]
    columns = [f"{name} ({entry['initialiser']})" for name, entry in entries.items()]
    rows = tuple(
        (depth, *(round(entry["mean_errors"][row], 3) for entry in entries.values()))
        for row, depth in enumerate(sweep["depths"])
    )
    return Table(
        "Training error after a fixed budget, by number of hidden layers",
        ("hidden layers", *columns),
        rows,
    )


# --- figures -----------------------------------------------------------------------


def plot(result: ExperimentResult, directory: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory = Path(directory)
    drawings = (
        ("saturation-gradients.png", _plot_gradients),
        ("saturation-top-layer.png", _plot_curve),
        ("saturation-depth.png", _plot_sweep),
    )
    paths = []
    for filename, draw in drawings:
        figure, axes = plt.subplots(figsize=(7, 4.5))
        draw(axes, result.data)
        figure.tight_layout()
        path = directory / filename
        figure.savefig(path, dpi=110)
        plt.close(figure)
        paths.append(path)
    return paths


def _plot_gradients(axes, values: dict[str, Any]) -> None:
    for factor in values["factors"]:
        stds = np.array(factor["layer_stds"])
        layers = np.arange(1, len(stds) + 1)
        label = (
            f"{factor['activation']}, {factor['initialiser']} "
            f"(x{factor['measured']:.2f} per layer)"
        )
        axes.plot(layers, stds / stds[-1], marker="o", markersize=3, label=label)
    axes.set_yscale("log")
    axes.set_xlabel("hidden layer (1 is nearest the input)")
    axes.set_ylabel("std of dL/dz, relative to the top hidden layer")
    axes.set_title("Back-propagated gradient spread at initialisation")
    axes.legend(fontsize=7, ncol=2)


def _plot_curve(axes, values: dict[str, Any]) -> None:
    curve = values["curve"]
    epochs = [point["epoch"] for point in curve]
    means = np.array([point["layer_means"] for point in curve])
    for layer in range(means.shape[1]):
        axes.plot(epochs, means[:, layer], label=f"layer {layer + 1} mean activation")
    axes.plot(
        epochs,
        [point["error"] for point in curve],
        color="black",
        linestyle="--",
        label="training error",
    )
    axes.set_ylim(0.0, 1.0)
    axes.set_xlabel("epoch")
    axes.set_title("Deep sigmoid network, standard initialisation, on digits")
    axes.legend(fontsize=8)


def _plot_sweep(axes, values: dict[str, Any]) -> None:
    sweep = values["sweep"]
    for name, entry in sweep["activations"].items():
        label = f"{name} ({entry['initialiser']})"
        axes.plot(sweep["depths"], entry["mean_errors"], marker="o", label=label)
    axes.axhline(values["chance"], color="grey", linestyle=":", label="chance")
    axes.set_ylim(-0.02, 1.0)
    axes.set_xlabel("hidden layers")
    axes.set_ylabel("training error after the budget")
    axes.set_title("Training error against depth on digits")
    axes.legend()


SATURATION = register(
    Experiment(
        name="saturation",
        title="Saturation: gradients through sigmoid, tanh and ReLU layers",
        summary="Measures how the spread of back-propagated gradients changes per "
        "layer at initialisation against the predicted factor, the top layer of "
        "a deep sigmoid network saturating, and training error against depth.",
        source=SOURCE,
        settings=SaturationSettings,
        run=run,
        plot=plot,
    )
)
