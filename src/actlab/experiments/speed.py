"""Speed: epochs to a training error threshold for ReLU, tanh and the sigmoid.

Krizhevsky, Sutskever and Hinton (2012, "ImageNet classification with deep
convolutional neural networks", figure 1) trained a four-layer convolutional
network on CIFAR-10 and found that ReLU reached 25% training error six times
sooner than tanh. This experiment repeats the comparison with fully
connected networks of three hidden layers on real handwritten digits. It
uses MNIST with 784-256-256-256-10 networks when MNIST is already on this
machine, and it never downloads the set (see ``actlab.data.find_mnist``).
Otherwise it uses scikit-learn's 8x8 digits with 64-128-128-128-10
networks. The ``dataset`` setting forces one of them. On MNIST the
default trains on a random 5,000 of the 60,000 training images, to keep
the full grid near ten minutes (an estimate; see ``SpeedSettings``).

Every activation gets the initialiser that suits it (``Spec.initialiser``)
and one learning rate from the grid, because the paper tuned each network's
rate for speed: the rate whose median run reaches the strictest threshold
that any rate reaches, soonest. That rate gives all three epoch counts and
the figure's curves. The fastest rate for each threshold alone is kept
beside it. The training error is measured after steps spaced about 10%
apart, so an epoch count is the first measurement at or below the threshold
and lies at most about 10% after the true crossing.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from actlab import activations, data, nn

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
    "Krizhevsky, Sutskever and Hinton (2012), ImageNet classification with "
    "deep convolutional neural networks, NeurIPS, figure 1"
)

BASELINE = "relu"

TEST_FRACTION = 0.25
"""The share of the 8x8 digits held out. Training error is measured on the rest."""

DATASETS = ("auto", "digits", "mnist")
"""``auto`` runs MNIST when it is on this machine and the 8x8 digits otherwise."""

SUBSET_SEED = 0
"""The seed that picks the MNIST training images when only some are used."""

MNIST_TRAIN_IMAGES = 60_000

PUBLISHED_THRESHOLD = 0.25
PUBLISHED_RATIO = 6.0

EVALUATION_SPACING = 1.1
"""Minimum ratio between the step counts of successive training-error measurements."""


@dataclass(frozen=True)
class SpeedSettings:
    """The data, the network, the learning-rate grid, the thresholds and the budget.

    ``dataset`` is ``"auto"``, ``"digits"`` or ``"mnist"`` (see ``DATASETS``).
    ``hidden`` gives the hidden widths on the 8x8 digits and ``mnist_hidden``
    those on MNIST, where the network trains on ``mnist_train_examples``
    training images drawn at random (all 60,000 when it is 60,000).
    ``thresholds`` are training error rates (1 - accuracy on the training
    set). ``epochs`` is the budget: a threshold not reached by then is
    reported as not reached within that many epochs.

    NOTE: the MNIST defaults are sized from an estimate, not from a run on
    MNIST. On a busy 2-core machine one epoch of a 784-256-256-256-10 network
    on 10,000 random images of MNIST's shape took about 3.5 s with one
    thread, measurements included. That suggests 5 to 15 minutes for the 27
    runs of the default grid on 5,000 images, most of it in sigmoid runs
    that use the whole budget.
    """

    dataset: str = "auto"
    hidden: tuple[int, ...] = (128, 128, 128)
    mnist_hidden: tuple[int, ...] = (256, 256, 256)
    mnist_train_examples: int = 5_000
    activations: tuple[str, ...] = ("relu", "tanh", "sigmoid")
    learning_rates: tuple[float, ...] = (0.01, 0.03, 0.1)
    thresholds: tuple[float, ...] = (0.25, 0.05, 0.01)
    epochs: int = 30
    batch_size: int = 32
    momentum: float = 0.9
    seeds: tuple[int, ...] = (0, 1, 2)

    def __post_init__(self) -> None:
        names = tuple(activations.spec(name).name for name in self.activations)
        object.__setattr__(self, "activations", names)
        _check_activations(names)
        if self.dataset not in DATASETS:
            raise ValueError(
                f"invalid dataset {self.dataset!r}: choose one of {', '.join(DATASETS)}"
            )
        _check_widths("hidden", self.hidden)
        _check_widths("mnist_hidden", self.mnist_hidden)
        _check_integer(
            "mnist_train_examples", self.mnist_train_examples, 100, MNIST_TRAIN_IMAGES
        )
        _check_numbers("learning_rates", self.learning_rates, 1e-5, 10.0)
        _check_numbers("thresholds", self.thresholds, 1e-4, 0.99)
        _check_integer("epochs", self.epochs, 1, 1_000)
        _check_integer("batch_size", self.batch_size, 1, 2_000)
        _check_numbers("momentum", (self.momentum,), 0.0, 0.999)
        if not self.seeds:
            raise ValueError("invalid seeds (): give at least one seed")
        for seed in self.seeds:
            _check_integer("seed", seed, 0, 2**32 - 1)
        object.__setattr__(
            self, "thresholds", tuple(sorted(self.thresholds, reverse=True))
        )

    @classmethod
    def quick(cls) -> SpeedSettings:
        return cls(
            hidden=(64, 64, 64),
            mnist_train_examples=2_000,
            learning_rates=(0.03, 0.1),
            epochs=12,
            seeds=(0,),
        )


def _check_activations(names: tuple[str, ...]) -> None:
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"invalid activations: {name!r} is listed twice")
    if BASELINE not in names:
        raise ValueError(
            f"invalid activations {list(names)!r}: include {BASELINE!r}, "
            "because every ratio is taken against it"
        )
    for name in names:
        if activations.spec(name).vector:
            raise ValueError(
                f"invalid hidden activation {name!r}: it acts on a whole "
                "vector, so it fits only an output layer"
            )


def _check_widths(name: str, hidden: tuple[int, ...]) -> None:
    if not hidden:
        raise ValueError(f"invalid {name} (): give at least one hidden width")
    for width in hidden:
        _check_integer(f"{name} width", width, 1, 1_024)


def _check_integer(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"invalid {name} {value!r}: expected an integer")
    if not low <= value <= high:
        raise ValueError(f"invalid {name} {value}: expected {low} to {high}")


def _check_numbers(name: str, values: tuple[float, ...], low: float, high: float):
    if not values:
        raise ValueError(f"invalid {name} (): give at least one value")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"invalid {name} value {value!r}: expected a number")
        if not (math.isfinite(value) and low <= value <= high):
            raise ValueError(
                f"invalid {name} value {value!r}: expected {low:g} to {high:g}"
            )


@dataclass(frozen=True)
class _Data:
    """The training and held-out arrays, and how the result describes them."""

    x: np.ndarray
    y: np.ndarray
    held_out: tuple[np.ndarray, np.ndarray]
    hidden: tuple[int, ...]
    record: dict[str, Any]


def run(settings: SpeedSettings, progress: Progress | None = None) -> ExperimentResult:
    if progress is not None:
        progress("loading the data", 0.0)
    chosen = load_data(settings)
    cells = [
        (name, rate, seed)
        for name in settings.activations
        for rate in settings.learning_rates
        for seed in settings.seeds
    ]
    runs = []
    # One BLAS thread, as nn.train uses for layers below SINGLE_THREAD_MAX_WIDTH.
    with (
        threadpool_limits(1, "blas"),
        np.errstate(over="ignore", invalid="ignore", divide="ignore"),
    ):
        for index, (name, rate, seed) in enumerate(cells):
            if progress is not None:
                progress(f"{name}, rate {rate:g}, seed {seed}", index / len(cells))
            runs.append(_train_one(settings, chosen, name, rate, seed))
    if progress is not None:
        progress("done", 1.0)

    rates = {name: _choose_rate(settings, runs, name) for name in settings.activations}
    summary = _summarise(settings, runs, rates)
    sizes = [chosen.x.shape[1], *chosen.hidden, 10]
    about = {"dataset": chosen.record, "sizes": sizes}
    return ExperimentResult(
        name="speed",
        title=SPEED.title,
        settings=settings_dict(settings),
        seeds=list(settings.seeds),
        claims=_claims(settings, summary, rates, about),
        tables=[_table(settings, summary, about)],
        data={**about, "learning_rates": rates, "summary": summary, "runs": runs},
    )


def load_data(settings: SpeedSettings) -> _Data:
    """Load the dataset that ``settings.dataset`` names, or that ``auto`` finds.

    Raises ``actlab.data.MnistNotFoundError`` for ``"mnist"`` when MNIST is
    not on this machine, naming where it looked and how to provide it.
    """
    if settings.dataset == "digits":
        return _digits(settings)
    source = data.find_mnist()
    if source is None and settings.dataset == "auto":
        return _digits(settings)
    return _mnist(settings, source)


def _digits(settings: SpeedSettings) -> _Data:
    digits = data.load("digits")
    train_set, test_set = data.split(digits, TEST_FRACTION, seed=0)
    x = train_set.X.astype(np.float32)
    record = {
        "name": "digits",
        "label": f"scikit-learn's 8x8 digits ({len(x):,} training images)",
        "source": "scikit-learn's bundled copy",
        "train_examples": len(x),
        "available_train_examples": len(x),
        "test_examples": test_set.n_samples,
        "features": x.shape[1],
    }
    held_out = (test_set.X.astype(np.float32), test_set.y)
    return _Data(x, train_set.y, held_out, settings.hidden, record)


def _mnist(settings: SpeedSettings, source: data.MnistSource | None) -> _Data:
    train_set, test_set = data.mnist(source)
    available = train_set.n_samples
    count = min(settings.mnist_train_examples, available)
    if count < available:
        rng = np.random.default_rng(SUBSET_SEED)
        train_set = train_set.subset(np.sort(rng.choice(available, count, False)))
        label = (
            f"MNIST ({count:,} of its {available:,} training images, drawn at "
            f"random with seed {SUBSET_SEED})"
        )
    else:
        label = f"MNIST (all {available:,} training images)"
    x = train_set.X.astype(np.float32)
    record = {
        "name": "mnist",
        "label": label,
        "source": source.describe() if source else "",
        "train_examples": count,
        "available_train_examples": available,
        "test_examples": test_set.n_samples,
        "features": x.shape[1],
    }
    held_out = (test_set.X.astype(np.float32), test_set.y)
    return _Data(x, train_set.y, held_out, settings.mnist_hidden, record)


def _train_one(
    settings: SpeedSettings, chosen: _Data, name: str, rate: float, seed: int
) -> dict[str, Any]:
    """Train one network and return its epochs to each threshold and its curve."""
    x, y, held_out = chosen.x, chosen.y, chosen.held_out
    sizes = [x.shape[1], *chosen.hidden, 10]
    net = nn.Network.build(sizes, hidden=name, seed=seed, dtype=np.float32)
    optimiser = nn.SGD(rate, momentum=settings.momentum)
    shuffle_rng = np.random.default_rng(seed)
    steps_per_epoch = math.ceil(len(x) / settings.batch_size)
    last_step = settings.epochs * steps_per_epoch
    reached: list[float | None] = [None] * len(settings.thresholds)
    curve = {"epochs": [0.0], "errors": [_error(net, x, y)]}
    step, next_measurement, diverged = 0, 1, False

    while step < last_step and None in reached and not diverged:
        order = shuffle_rng.permutation(len(x))
        for start in range(0, len(x), settings.batch_size):
            rows = order[start : start + settings.batch_size]
            loss = nn.step(net, x[rows], y[rows], "softmax_ce", optimiser)
            step += 1
            if not math.isfinite(loss):
                diverged = True
                break
            if step < next_measurement and step < last_step:
                continue
            epoch = round(step / steps_per_epoch, 3)
            error = _error(net, x, y)
            curve["epochs"].append(epoch)
            curve["errors"].append(error)
            for index, threshold in enumerate(settings.thresholds):
                if reached[index] is None and error <= threshold:
                    reached[index] = epoch
            if None not in reached:
                break
            next_measurement = max(step + 1, math.ceil(step * EVALUATION_SPACING))

    return {
        "activation": name,
        "learning_rate": rate,
        "seed": seed,
        "initialiser": net.layers[0].initialiser,
        "epochs_to": reached,
        "diverged": diverged,
        "final_error": curve["errors"][-1],
        "test_error": _error(net, *held_out),
        "curve": curve,
    }


def _error(net: nn.Network, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(net.predict(x, "softmax_ce") != y))


def _median_epochs(values: list[float | None]) -> float | None:
    """Return the median over seeds, or None when the median run did not reach it.

    A run that did not reach the threshold counts as slower than every run
    that did, so the median is known only when more than half the runs
    reached it.
    """
    ordered = sorted(math.inf if value is None else value for value in values)
    median = statistics.median(ordered)
    return None if math.isinf(median) else median


def _rate_rows(
    settings: SpeedSettings, runs: list[dict], name: str, rate: float
) -> list[dict[str, Any]]:
    """Return one rate's median epochs to each threshold over the seeds."""
    mine = [r for r in runs if r["activation"] == name and r["learning_rate"] == rate]
    rows = []
    for index, threshold in enumerate(settings.thresholds):
        epochs = [r["epochs_to"][index] for r in mine]
        rows.append(
            {
                "threshold": threshold,
                "learning_rate": rate,
                "epochs": _median_epochs(epochs),
                "reached": sum(value is not None for value in epochs),
                "runs": len(epochs),
            }
        )
    return rows


def _rate_rank(settings: SpeedSettings, runs: list[dict], name: str, rate: float):
    """Return a sort key: lower is the rate to choose for ``name``.

    The rate whose median run reaches the strictest threshold comes first.
    Among those, the sooner at that threshold, then at the looser ones in
    turn. A rate that reaches no threshold ranks by its median final error.
    """
    rows = _rate_rows(settings, runs, name, rate)
    reached = [index for index, row in enumerate(rows) if row["epochs"] is not None]
    strictest = max(reached, default=-1)
    epochs = tuple(rows[index]["epochs"] for index in range(strictest, -1, -1))
    final = statistics.median(
        r["final_error"]
        for r in runs
        if r["activation"] == name and r["learning_rate"] == rate
    )
    return (-strictest, epochs, final)


def _choose_rate(settings: SpeedSettings, runs: list[dict], name: str) -> float:
    """Return the one learning rate that gives ``name``'s epochs and curves."""
    return min(
        settings.learning_rates,
        key=lambda rate: _rate_rank(settings, runs, name, rate),
    )


def _summarise(
    settings: SpeedSettings, runs: list[dict], rates: dict[str, float]
) -> dict[str, list[dict]]:
    """Return each activation's rows at its chosen rate, with ratios to ReLU.

    Each row also keeps, under ``fastest``, the rate that alone would have
    reached that threshold soonest, as extra information.
    """
    summary: dict[str, list[dict]] = {}
    for name in settings.activations:
        rows = _rate_rows(settings, runs, name, rates[name])
        for index, row in enumerate(rows):
            row["fastest"] = _fastest(settings, runs, name, index)
        summary[name] = rows
    for name in settings.activations:
        for row, baseline in zip(summary[name], summary[BASELINE], strict=True):
            row["ratio"] = _ratio(row["epochs"], baseline["epochs"], settings.epochs)
    return summary


def _fastest(
    settings: SpeedSettings, runs: list[dict], name: str, index: int
) -> dict[str, Any]:
    """Return the rate whose median run reached threshold ``index`` soonest."""
    best = {"learning_rate": None, "epochs": None}
    for rate in settings.learning_rates:
        epochs = _rate_rows(settings, runs, name, rate)[index]["epochs"]
        if epochs is not None and (best["epochs"] is None or epochs < best["epochs"]):
            best = {"learning_rate": rate, "epochs": epochs}
    return best


def _ratio(epochs: float | None, baseline: float | None, budget: int) -> dict:
    """Return epochs over the baseline's, as a value or as a bound.

    ``bound`` is ``"="`` for an exact ratio, ``">"`` when only the baseline
    reached the threshold (the other needs more than ``budget`` epochs), and
    ``"<"`` when only the other did. Neither reaching it gives no ratio.
    """
    if epochs is not None and baseline is not None:
        return {"bound": "=", "value": epochs / baseline}
    if baseline is not None:
        return {"bound": ">", "value": budget / baseline}
    if epochs is not None:
        return {"bound": "<", "value": epochs / budget}
    return {"bound": None, "value": None}


def _format_epochs(row: dict, budget: int) -> str:
    if row["epochs"] is None:
        return f"not within {budget} epochs"
    return f"{row['epochs']:.2f}"


def _format_ratio(ratio: dict) -> str:
    if ratio["bound"] is None:
        return "unknown"
    value = f"{ratio['value']:.2g}" if ratio["value"] < 10 else f"{ratio['value']:.0f}"
    return value if ratio["bound"] == "=" else f"{ratio['bound']} {value}"


def _format_fastest(row: dict, budget: int) -> str:
    fastest = row["fastest"]
    if fastest["learning_rate"] is None:
        return f"none within {budget} epochs"
    return f"{fastest['learning_rate']:g} ({fastest['epochs']:.2f} epochs)"


def _network(about: dict[str, Any]) -> str:
    return "-".join(map(str, about["sizes"]))


def _table(
    settings: SpeedSettings, summary: dict[str, list[dict]], about: dict[str, Any]
) -> Table:
    rows = []
    for name, items in summary.items():
        for row in items:
            rows.append(
                (
                    name,
                    f"{row['threshold']:.0%}",
                    row["learning_rate"],
                    _format_epochs(row, settings.epochs),
                    f"{row['reached']} of {row['runs']}",
                    _format_ratio(row["ratio"]),
                    _format_fastest(row, settings.epochs),
                )
            )
    return Table(
        f"Epochs to each training error on {about['dataset']['label']}, "
        f"{_network(about)} networks (median over seeds, one learning rate per "
        "activation)",
        (
            "activation",
            "error",
            "rate",
            "epochs",
            "seeds reached",
            "x ReLU",
            "fastest rate for this error alone",
        ),
        tuple(rows),
    )


def _comparison(row: dict, baseline: dict) -> bool | None:
    """Return whether ReLU was faster at one threshold, or None when undecided.

    Equal counts are undecided, because both runs crossed between the same
    two measurements. So is a threshold that neither run reached.
    """
    if baseline["epochs"] is None:
        return None if row["epochs"] is None else False
    if row["epochs"] is None:
        return True
    if row["epochs"] == baseline["epochs"]:
        return None
    return baseline["epochs"] < row["epochs"]


def _all_held(outcomes: list[bool | None]) -> bool | None:
    if False in outcomes:
        return False
    return None if None in outcomes else True


def _describe_ratios(
    settings: SpeedSettings, name: str, summary: dict, about: dict[str, Any]
) -> str:
    parts = []
    for row, baseline in zip(summary[name], summary[BASELINE], strict=True):
        goal = f"{row['threshold']:.0%}"
        relu = _format_epochs(baseline, settings.epochs)
        other = _format_epochs(row, settings.epochs)
        ratio = _format_ratio(row["ratio"])
        parts.append(f"to {goal}: ReLU {relu}, {name} {other} (ratio {ratio})")
    rates = (
        f"learning rate {summary[BASELINE][0]['learning_rate']:g} for ReLU and "
        f"{summary[name][0]['learning_rate']:g} for {name}"
    )
    return (
        f"on {about['dataset']['label']}, {_network(about)} networks, {rates}, "
        "epochs (median over seeds) " + "; ".join(parts)
    )


def _claims(
    settings: SpeedSettings,
    summary: dict[str, list[dict]],
    rates: dict[str, float],
    about: dict[str, Any],
) -> list[Claim]:
    claims = []
    others = [name for name in settings.activations if name != BASELINE]
    if "tanh" in others and PUBLISHED_THRESHOLD in settings.thresholds:
        claims.append(_published_claim(settings, summary, about))
    for name in others:
        outcomes = [
            _comparison(row, baseline)
            for row, baseline in zip(summary[name], summary[BASELINE], strict=True)
        ]
        claims.append(
            Claim(
                f"ReLU reaches each training error threshold in fewer epochs "
                f"than {name}",
                _describe_ratios(settings, name, summary, about),
                _all_held(outcomes),
                SOURCE,
            )
        )
    return claims


def _published_claim(
    settings: SpeedSettings, summary: dict, about: dict[str, Any]
) -> Claim:
    index = settings.thresholds.index(PUBLISHED_THRESHOLD)
    relu, tanh = summary[BASELINE][index], summary["tanh"][index]
    ratio = tanh["ratio"]
    if ratio["bound"] == "=":
        held = ratio["value"] >= PUBLISHED_RATIO
    elif ratio["bound"] == ">" and ratio["value"] >= PUBLISHED_RATIO:
        held = True
    elif ratio["bound"] == "<" and ratio["value"] < PUBLISHED_RATIO:
        held = False
    else:
        held = None
    measured = (
        f"ReLU took {_format_epochs(relu, settings.epochs)} epochs (learning "
        f"rate {relu['learning_rate']:g}) and tanh "
        f"{_format_epochs(tanh, settings.epochs)} (learning rate "
        f"{tanh['learning_rate']:g}), a ratio of {_format_ratio(ratio)}, on "
        f"{about['dataset']['label']} with {_network(about)} networks"
    )
    return Claim(
        "ReLU reaches 25% training error about six times sooner than tanh "
        "(CIFAR-10, a four-layer convolutional network)",
        measured,
        held,
        SOURCE,
    )


def _curve_rate(result: ExperimentResult, name: str) -> float:
    """Return the learning rate whose curves the figure draws for ``name``.

    That is the rate chosen for all thresholds. Results stored before one
    rate was chosen per activation get the rate of the strictest threshold
    reached, or else the rate with the lowest median final training error.
    """
    if "learning_rates" in result.data:
        return result.data["learning_rates"][name]
    for row in reversed(result.data["summary"][name]):
        if row["epochs"] is not None:
            return row["learning_rate"]
    runs = [run for run in result.data["runs"] if run["activation"] == name]
    rates = sorted({run["learning_rate"] for run in runs})
    return min(
        rates,
        key=lambda rate: statistics.median(
            run["final_error"] for run in runs if run["learning_rate"] == rate
        ),
    )


def plot(result: ExperimentResult, directory: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    settings = result.settings
    figure, (curves, bars) = plt.subplots(1, 2, figsize=(11, 4.4))
    colours = plt.get_cmap("tab10")
    for index, name in enumerate(settings["activations"]):
        rate = _curve_rate(result, name)
        mine = [
            run
            for run in result.data["runs"]
            if run["activation"] == name and run["learning_rate"] == rate
        ]
        for number, run in enumerate(mine):
            errors = np.maximum(run["curve"]["errors"], 1e-4)
            label = f"{name} (rate {rate:g})" if number == 0 else None
            curves.plot(
                run["curve"]["epochs"], errors, color=colours(index), label=label
            )
    for threshold in settings["thresholds"]:
        curves.axhline(threshold, color="grey", linestyle="--", linewidth=0.8)
    curves.set(
        xlabel="epoch",
        ylabel="training error (log scale)",
        yscale="log",
        title="Training error, each seed",
    )
    curves.legend(fontsize="small")
    _plot_bars(bars, result, colours)
    dataset = result.data.get("dataset", {}).get("label", "scikit-learn's digits")
    figure.suptitle(f"{result.title}\non {dataset}", fontsize=11)
    figure.tight_layout()
    path = Path(directory) / "speed.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return [path]


def _plot_bars(axes, result: ExperimentResult, colours) -> None:
    settings = result.settings
    names = settings["activations"]
    thresholds = settings["thresholds"]
    width = 0.8 / len(names)
    positions = np.arange(len(thresholds))
    budget = settings["epochs"]
    for index, name in enumerate(names):
        rows = result.data["summary"][name]
        heights = [budget if r["epochs"] is None else r["epochs"] for r in rows]
        offset = positions + (index - (len(names) - 1) / 2) * width
        hatches = ["//" if r["epochs"] is None else "" for r in rows]
        bars = axes.bar(offset, heights, width, color=colours(index), label=name)
        for bar, hatch in zip(bars, hatches, strict=True):
            bar.set_hatch(hatch)
    axes.set_xticks(positions, [f"{t:.0%}" for t in thresholds])
    axes.set(
        xlabel="training error threshold",
        ylabel="epochs (median over seeds)",
        yscale="log",
        title=f"Epochs to threshold (hatched: not within {budget})",
    )
    axes.legend(fontsize="small")


SPEED = register(
    Experiment(
        name="speed",
        title="Epochs to a training error threshold: ReLU, tanh and sigmoid",
        summary="Trains a three-hidden-layer network on MNIST when it is on "
        "this machine, else on scikit-learn's 8x8 digits, with each activation "
        "and its best learning rate, and counts the epochs to 25%, 5% and 1% "
        "training error against ReLU's.",
        source=SOURCE,
        settings=SpeedSettings,
        run=run,
        plot=plot,
    )
)
