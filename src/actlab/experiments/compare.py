"""Train one architecture once per hidden activation and compare how each learns.

Every activation gets the initialiser that suits it (``Spec.initialiser``), the
same data split, the same optimiser and the same seeds, so the differences in
the results come from the activation alone.
"""

from __future__ import annotations

import dataclasses
import math
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__, activations, data, diagnostics, nn
from ..errors import TrainingDivergedError

DEFAULT_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "silu", "gelu", "elu")

# Classification thresholds are on the training error (1 - accuracy);
# regression thresholds on the unexplained variance (1 - R^2).
DEFAULT_THRESHOLDS = {"classification": 0.05, "regression": 0.5}

LOSS_FOR_TASK = {
    data.Task.BINARY: "bce",
    data.Task.MULTICLASS: "softmax_ce",
    data.Task.REGRESSION: "mse",
}

# Called with (epochs done, epochs in all runs, what is training now).
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class CompareSettings:
    """Settings of one comparison: the data, the network, the training and seeds.

    ``dataset`` is a built-in name from ``actlab.data.names()`` or the path of
    a CSV file, whose target column is ``target``. ``threshold`` is the
    training error (classification) or unexplained variance, 1 - R²
    (regression), that counts as reached; ``None`` takes the task's default.
    """

    dataset: str = "digits"
    target: str | None = None
    delimiter: str = ","
    activations: tuple[str, ...] = DEFAULT_ACTIVATIONS
    hidden: tuple[int, ...] = (64, 64, 64)
    epochs: int = 40
    batch_size: int = 32
    optimiser: str = "sgd"
    learning_rate: float = 0.01
    momentum: float = 0.9
    threshold: float | None = None
    seeds: tuple[int, ...] = (0, 1, 2)
    test_fraction: float = 0.25

    def __post_init__(self) -> None:
        names = tuple(activations.spec(name).name for name in self.activations)
        if not names:
            raise ValueError("activations is empty: give at least one name")
        for name in names:
            if activations.spec(name).vector:
                raise ValueError(
                    f"invalid hidden activation {name!r}: it acts on a whole "
                    "vector, so it fits only an output layer"
                )
        object.__setattr__(self, "activations", names)
        _check_range("epochs", self.epochs, 1, 10_000)
        _check_range("batch_size", self.batch_size, 1, 100_000)
        _check_range("learning_rate", self.learning_rate, 1e-7, 100.0)
        _check_range("momentum", self.momentum, 0.0, 0.999)
        _check_range("test_fraction", self.test_fraction, 0.05, 0.9)
        if self.threshold is not None:
            _check_range("threshold", self.threshold, 0.0, 1.0)
        if not self.seeds:
            raise ValueError("seeds is empty: give at least one seed")
        if not self.hidden or any(not 1 <= width <= 4096 for width in self.hidden):
            raise ValueError(
                f"invalid hidden layer sizes {list(self.hidden)}: give one or more "
                "widths between 1 and 4096"
            )
        nn.get_optimiser(self.optimiser)


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value)):
        raise ValueError(f"invalid {name}={value!r}: expected a finite number")
    if not low <= value <= high:
        raise ValueError(
            f"invalid {name}={value!r}: expected a value in [{low}, {high}]"
        )


@dataclass
class RunResult:
    """One activation trained from one seed."""

    activation: str
    seed: int
    initialiser: str
    epochs_to_threshold: int | None
    train_metric: float
    test_metric: float
    grad_norm_ratio: float | None  # first layer over last, at initialisation
    dead_fraction: float | None  # mean over hidden layers, after training
    saturated_fraction: float | None  # mean over hidden layers, after training
    losses: list[float]
    metrics: list[float]
    test_losses: list[float]
    seconds: float
    diverged: str | None = None


@dataclass
class ActivationSummary:
    """The runs of one activation over all seeds."""

    activation: str
    initialiser: str
    runs: int
    reached: int
    median_epochs: float | None
    train_metric: float
    test_metric: float
    test_metric_std: float
    grad_norm_ratio: float | None
    dead_fraction: float | None
    saturated_fraction: float | None
    diverged: int


@dataclass
class CompareResult:
    """Everything one comparison measured, with what is needed to repeat it."""

    settings: CompareSettings
    dataset: dict[str, Any]
    loss: str
    metric_name: str
    threshold: float
    runs: list[RunResult]
    summaries: list[ActivationSummary]
    versions: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self, activation: str) -> ActivationSummary:
        for item in self.summaries:
            if item.activation == activation:
                return item
        raise KeyError(activation)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def verdict(result: CompareResult, fast: str = "relu", slow: str = "sigmoid") -> str:
    """Return one sentence comparing ``fast`` with ``slow``, or "" if one is absent."""
    names = result.settings.activations
    if fast not in names or slow not in names:
        return ""
    quick, late = result.summary(fast), result.summary(slow)
    error = "1 - R²" if result.metric_name == "r2" else "training error"
    goal = f"{error} <= {result.threshold:g}"
    if quick.median_epochs is None:
        sentence = (
            f"{fast} did not reach {goal} within {result.settings.epochs} epochs."
        )
    elif late.median_epochs is None:
        sentence = (
            f"{fast} reached {goal} in {quick.median_epochs:g} epochs (median); "
            f"{slow} did not reach it within {result.settings.epochs} epochs."
        )
    else:
        ratio = late.median_epochs / quick.median_epochs
        sentence = (
            f"{fast} reached {goal} in {quick.median_epochs:g} epochs (median), "
            f"{slow} in {late.median_epochs:g}: {ratio:.1f} times as many."
        )
    return sentence + _generalisation_note(result, quick, late)


def _generalisation_note(result, quick, late) -> str:
    """Return a warning when the faster learner does worse on the test set."""
    if quick.test_metric >= late.test_metric - 0.02:
        return ""
    metric = "R²" if result.metric_name == "r2" else "accuracy"
    return (
        f" On the test set, though, {quick.activation} scores {metric} "
        f"{quick.test_metric:.3f} against {late.test_metric:.3f} for "
        f"{late.activation}: it fits the training set sooner but generalises "
        "worse on this data."
    )


def load_dataset(
    name: str, target: str | None = None, delimiter: str = ","
) -> data.Dataset:
    """Return the built-in dataset ``name``, or the CSV file at that path."""
    if name in data.names():
        if target is not None:
            raise ValueError(
                f"--target {target!r} applies to a CSV file, not to the built-in "
                f"dataset {name!r}; leave it out"
            )
        return data.load(name)
    path = Path(name)
    if path.is_dir():
        raise ValueError(
            f"dataset {name!r} is a directory: give the path of a CSV file"
        )
    if not path.is_file():
        if path.suffix or "/" in name or "\\" in name:
            raise ValueError(f"CSV file not found: {name!r}; check the path")
        choices = ", ".join(data.names())
        raise ValueError(
            f"unknown dataset {name!r}: give a built-in name ({choices}) "
            "or the path of a CSV file"
        )
    if target is None:
        raise ValueError(f"CSV file {name!r} needs a target column: pass --target")
    return data.load_csv(path, target, delimiter=delimiter)


def run_compare(
    settings: CompareSettings | None = None, progress: Progress | None = None
) -> CompareResult:
    """Train every activation of ``settings`` once per seed and summarise."""
    settings = settings or CompareSettings()
    started = time.perf_counter()
    dataset = load_dataset(settings.dataset, settings.target, settings.delimiter)
    train_set, test_set = data.split(dataset, settings.test_fraction, seed=0)
    train_set, test_set = _standardise(train_set, test_set)
    loss = LOSS_FOR_TASK[dataset.task]
    threshold = _threshold(settings, dataset.task)

    cells = [(name, seed) for name in settings.activations for seed in settings.seeds]
    total = len(cells) * settings.epochs
    runs = []
    for index, (name, seed) in enumerate(cells):
        report = _epoch_reporter(progress, index * settings.epochs, total, name, seed)
        report(0)
        runs.append(
            _run_one(settings, train_set, test_set, loss, threshold, name, seed, report)
        )
    if progress is not None:
        progress(total, total, "done")

    return CompareResult(
        settings=settings,
        dataset=_describe(dataset, train_set, test_set),
        loss=loss,
        metric_name="r2" if dataset.task is data.Task.REGRESSION else "accuracy",
        threshold=threshold,
        runs=runs,
        summaries=[_summarise(name, runs) for name in settings.activations],
        versions=_versions(),
        seconds=time.perf_counter() - started,
    )


def _epoch_reporter(progress, done_before, total, name, seed) -> Callable[[int], None]:
    """Return a callback that reports the epochs done so far to ``progress``."""

    def report(epoch: int) -> None:
        if progress is not None:
            progress(done_before + epoch, total, f"{name}, seed {seed}")

    return report


def _standardise(train_set, test_set) -> tuple[data.Dataset, data.Dataset]:
    """Standardise the features and, for regression, the target (from train)."""
    train_set, test_set = data.standardise(train_set, test_set)
    if train_set.task is not data.Task.REGRESSION:
        return train_set, test_set
    mean, scale = float(train_set.y.mean()), float(train_set.y.std()) or 1.0
    return tuple(
        dataclasses.replace(part, y=(part.y - mean) / scale)
        for part in (train_set, test_set)
    )


def _threshold(settings: CompareSettings, task: data.Task) -> float:
    if settings.threshold is not None:
        return settings.threshold
    kind = "classification" if task.is_classification else "regression"
    return DEFAULT_THRESHOLDS[kind]


def _run_one(
    settings, train_set, test_set, loss, threshold, name, seed, report
) -> RunResult:
    started = time.perf_counter()
    n_outputs = train_set.n_classes if train_set.task is data.Task.MULTICLASS else 1
    sizes = [train_set.n_features, *settings.hidden, n_outputs]
    net = nn.Network.build(sizes, hidden=name, output="linear", seed=seed)
    initial = diagnostics.diagnose(net, train_set.X[:1000], train_set.y[:1000], loss)
    optimiser = _optimiser(settings)
    reached: list[int] = []

    def watch(record: nn.EpochRecord) -> None:
        report(record.epoch)
        if not reached and 1.0 - record.metric <= threshold:
            reached.append(record.epoch)

    diverged = None
    try:
        history = nn.train(
            net, train_set.X, train_set.y, loss, optimiser, settings.epochs,
            settings.batch_size, seed=seed, callback=watch,
            X_eval=test_set.X, y_eval=test_set.y, stats_every=0,
        )  # fmt: skip
    except TrainingDivergedError as error:
        history, diverged = error.history, str(error)
    final = diagnostics.diagnose(net, train_set.X[:1000], train_set.y[:1000], loss)
    records = history.epochs if history is not None else []
    train_metric, test_metric = _final_metrics(net, train_set, test_set, loss)

    return RunResult(
        activation=name,
        seed=seed,
        initialiser=activations.spec(name).initialiser,
        epochs_to_threshold=reached[0] if reached else None,
        train_metric=train_metric,
        test_metric=test_metric,
        grad_norm_ratio=initial.grad_norm_ratio,
        dead_fraction=_mean_known(final.dead_fractions[:-1]),
        saturated_fraction=_mean_known(final.saturated_fractions[:-1]),
        losses=[record.loss for record in records],
        metrics=[record.metric for record in records],
        test_losses=[record.eval_loss for record in records],
        seconds=time.perf_counter() - started,
        diverged=diverged,
    )


def _optimiser(settings: CompareSettings) -> nn.Optimiser:
    if settings.optimiser == "sgd":
        return nn.SGD(settings.learning_rate, momentum=settings.momentum)
    return nn.get_optimiser(settings.optimiser, learning_rate=settings.learning_rate)


def _final_metrics(net, train_set, test_set, loss) -> tuple[float, float]:
    _, train_metric = nn.evaluate(net, train_set.X, train_set.y, loss)
    _, test_metric = nn.evaluate(net, test_set.X, test_set.y, loss)
    return train_metric, test_metric


def _mean_known(values: Sequence[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.fmean(known) if known else None


def _geometric_mean(values: Sequence[float | None]) -> float | None:
    known = [value for value in values if value is not None and value > 0]
    return math.exp(statistics.fmean(map(math.log, known))) if known else None


def _summarise(name: str, runs: list[RunResult]) -> ActivationSummary:
    mine = [run for run in runs if run.activation == name]
    epochs = [run.epochs_to_threshold for run in mine]
    reached = [value for value in epochs if value is not None]
    tests = [run.test_metric for run in mine]
    return ActivationSummary(
        activation=name,
        initialiser=mine[0].initialiser,
        runs=len(mine),
        reached=len(reached),
        median_epochs=statistics.median(reached) if reached else None,
        train_metric=statistics.fmean(run.train_metric for run in mine),
        test_metric=statistics.fmean(tests),
        test_metric_std=statistics.pstdev(tests),
        grad_norm_ratio=_geometric_mean([run.grad_norm_ratio for run in mine]),
        dead_fraction=_mean_known([run.dead_fraction for run in mine]),
        saturated_fraction=_mean_known([run.saturated_fraction for run in mine]),
        diverged=sum(run.diverged is not None for run in mine),
    )


def _describe(dataset, train_set, test_set) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "task": dataset.task.value,
        "features": dataset.n_features,
        "classes": dataset.n_classes,
        "train_examples": train_set.n_samples,
        "test_examples": test_set.n_samples,
    }


def _versions() -> dict[str, str]:
    return {
        "actlab": __version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def plot_curves(result: CompareResult, directory: Path) -> list[Path]:
    """Draw the training loss and metric per epoch; write PNG and SVG files."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, (loss_axes, metric_axes) = pyplot.subplots(1, 2, figsize=(11, 4.2))
    colours = pyplot.get_cmap("tab10")
    for index, name in enumerate(result.settings.activations):
        for number, run in enumerate(r for r in result.runs if r.activation == name):
            epochs = range(1, len(run.losses) + 1)
            label = name if number == 0 else None
            style = {"color": colours(index % 10), "alpha": 0.8, "linewidth": 1.3}
            loss_axes.plot(epochs, run.losses, label=label, **style)
            metric_axes.plot(epochs, run.metrics, **style)

    loss_axes.set(xlabel="epoch", ylabel=f"training loss ({result.loss})", yscale="log")
    metric_axes.set(xlabel="epoch", ylabel=f"training {result.metric_name}")
    metric_axes.axhline(1 - result.threshold, color="grey", linestyle="--", linewidth=1)
    loss_axes.legend(title="hidden activation", fontsize="small")
    figure.suptitle(
        f"{result.dataset['name']}: hidden layers {list(result.settings.hidden)}, "
        f"{result.settings.optimiser} lr={result.settings.learning_rate:g}, "
        f"seeds {list(result.settings.seeds)}"
    )
    figure.tight_layout()

    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "curves.png", directory / "curves.svg"]
    for path in paths:
        figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return paths
