"""Train a grid of networks and keep every cell's result in the store.

The grid is activation by depth by width by learning rate by seed, and each cell
is one training run. ``run_cell`` is a pure function of the settings and the
cell, so the cells can run in any order: on local processes (joblib) or on a
Dask cluster. ``run_sweep`` saves each cell to the store as it arrives and
skips the cells stored already, so an interrupted sweep resumes where it
stopped.

>>> settings = SweepSettings(activations=("relu",), depths=(1, 2), seeds=(0,))
>>> [cell.key for cell in cells(settings)][:2]
['relu-d1-w32-lr0.001-s0', 'relu-d1-w32-lr0.01-s0']
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import hashlib
import itertools
import json
import logging
import math
import re
import statistics
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

from .. import activations, data, diagnostics, nn
from ..errors import ActlabError, TrainingDivergedError
from .compare import DEFAULT_THRESHOLDS, LOSS_FOR_TASK

if TYPE_CHECKING:
    from ..store import Store

logger = logging.getLogger("actlab.experiments")

DEFAULT_ACTIVATIONS = ("relu", "tanh")
DEFAULT_DEPTHS = (1, 2, 3)
DEFAULT_LEARNING_RATES = (0.001, 0.01, 0.1)

SCHEDULER_TIMEOUT = 5.0
"""Seconds to wait for a Dask scheduler to respond before giving up."""

RESULT_VERSION = 1
"""Version of ``run_cell``'s result: bump it when a change alters the results."""

# Maximum number of training examples for the dead-unit statistics, as in compare.
STATS_EXAMPLES = 1000

_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SCHEDULER_PATTERN = re.compile(r"tcp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})")

# Called with (cells done, cells in the grid, key of the cell that just finished,
# or "" for the first call, which counts the cells reused from the store).
Progress = Callable[[int, int, str], None]


class SweepError(ActlabError):
    """Raised when a sweep cannot start or cannot continue, with the cause and a fix."""


@dataclass(frozen=True)
class SweepSettings:
    """The grid of a sweep and the training settings shared by all its cells.

    ``dataset`` is a built-in name from ``actlab.data.names()``. A network of
    depth d has d hidden layers of one width, and ``widths`` may be one width
    or several. ``threshold`` is the training error (classification) or the
    unexplained variance 1 - R² (regression) that counts as reached. ``None``
    takes the task's default. The training set is split once more, by
    ``validation_fraction``, and the summary picks each group's learning rate
    on that validation set, so the test set takes no part in the choice.
    ``name`` labels the sweep in the store; without it the sweep is named
    after a hash of the training settings.
    """

    dataset: str = "digits"
    activations: tuple[str, ...] = DEFAULT_ACTIVATIONS
    depths: tuple[int, ...] = DEFAULT_DEPTHS
    widths: int | tuple[int, ...] = (32,)
    learning_rates: tuple[float, ...] = DEFAULT_LEARNING_RATES
    seeds: tuple[int, ...] = (0, 1, 2)
    epochs: int = 20
    batch_size: int = 32
    optimiser: str = "sgd"
    momentum: float = 0.9
    threshold: float | None = None
    test_fraction: float = 0.25
    validation_fraction: float = 0.2
    name: str | None = None

    def __post_init__(self) -> None:
        if self.dataset not in data.names():
            choices = ", ".join(data.names())
            raise ValueError(
                f"unknown dataset {self.dataset!r}: choose a built-in one ({choices})"
            )
        self._set("activations", _hidden_activations(self.activations))
        widths = (self.widths,) if isinstance(self.widths, int) else self.widths
        self._set("depths", _integers("depths", "depth", self.depths, 1, 16))
        self._set("widths", _integers("widths", "width", widths, 1, 4096))
        self._set("learning_rates", _learning_rates(self.learning_rates))
        self._set("seeds", _integers("seeds", "seed", self.seeds, 0, 2**32 - 1))
        _check_integer("epochs", self.epochs, 1, 10_000)
        _check_integer("batch_size", self.batch_size, 1, 100_000)
        _check_number("momentum", self.momentum, 0.0, 0.999)
        _check_number("test_fraction", self.test_fraction, 0.05, 0.9)
        _check_number("validation_fraction", self.validation_fraction, 0.05, 0.9)
        if self.threshold is not None:
            _check_number("threshold", self.threshold, 0.0, 1.0)
        nn.get_optimiser(self.optimiser)
        self._set("optimiser", self.optimiser.strip().lower())
        if self.name is not None and not _NAME_PATTERN.fullmatch(str(self.name)):
            raise ValueError(
                f"invalid name={self.name!r}: use 1 to 64 letters, digits, '.', "
                "'_' or '-', starting with a letter or digit"
            )

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)


def _hidden_activations(names: Iterable[str]) -> tuple[str, ...]:
    if isinstance(names, str):
        names = (names,)
    resolved = tuple(activations.spec(name).name for name in names)
    if not resolved:
        raise ValueError("activations is empty: give at least one name")
    for name in resolved:
        if activations.spec(name).vector:
            raise ValueError(
                f"invalid hidden activation {name!r}: it acts on a whole vector, "
                "so it fits only an output layer"
            )
    _check_unique("activations", resolved)
    return resolved


def _integers(
    name: str, noun: str, values: Iterable[Any], low: int, high: int
) -> tuple[int, ...]:
    values = tuple(values)
    if not values:
        raise ValueError(f"{name} is empty: give at least one {noun}")
    for value in values:
        _check_integer(noun, value, low, high)
    _check_unique(name, values)
    return tuple(int(value) for value in values)


def _learning_rates(values: Iterable[Any]) -> tuple[float, ...]:
    values = tuple(values)
    if not values:
        raise ValueError("learning_rates is empty: give at least one learning rate")
    for value in values:
        _check_number("learning_rate", value, 1e-7, 100.0)
    rates = tuple(float(value) for value in values)
    _check_unique("learning_rates", rates)
    return rates


def _check_integer(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"invalid {name}={value!r}: expected an integer")
    if not low <= value <= high:
        raise ValueError(
            f"invalid {name}={value!r}: expected an integer in [{low}, {high}]"
        )


def _check_number(name: str, value: Any, low: float, high: float) -> None:
    valid = isinstance(value, int | float) and not isinstance(value, bool)
    if not (valid and math.isfinite(value)):
        raise ValueError(f"invalid {name}={value!r}: expected a finite number")
    if not low <= value <= high:
        raise ValueError(
            f"invalid {name}={value!r}: expected a value in [{low:g}, {high:g}]"
        )


def _check_unique(name: str, values: tuple[Any, ...]) -> None:
    repeated = [value for value, count in Counter(values).items() if count > 1]
    if repeated:
        raise ValueError(
            f"{name} contains {repeated[0]!r} more than once: give each value once"
        )


# --- the grid ----------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One point of the grid: a network shape, a learning rate and a seed."""

    activation: str
    depth: int
    width: int
    learning_rate: float
    seed: int

    @property
    def key(self) -> str:
        """The cell's key in the store, such as ``relu-d2-w32-lr0.01-s0``.

        The learning rate is written with ``repr``, so two different rates
        never share a key.
        """
        return (
            f"{self.activation}-d{self.depth}-w{self.width}"
            f"-lr{self.learning_rate!r}-s{self.seed}"
        )


def cells(settings: SweepSettings) -> list[Cell]:
    """Return the grid's cells, activation first and seed last."""
    grid = itertools.product(
        settings.activations,
        settings.depths,
        settings.widths,
        settings.learning_rates,
        settings.seeds,
    )
    return [Cell(*point) for point in grid]


def training_settings(settings: SweepSettings) -> dict[str, Any]:
    """Return the settings that change a cell's result, beyond the cell itself.

    The grid axes are left out, so sweeps over different grids with the same
    training settings share their common cells.
    """
    task = data.names()[settings.dataset]
    return {
        "version": RESULT_VERSION,
        "dataset": settings.dataset,
        "epochs": settings.epochs,
        "batch_size": settings.batch_size,
        "optimiser": settings.optimiser,
        "momentum": settings.momentum if settings.optimiser == "sgd" else None,
        "threshold": _threshold(settings, task),
        "test_fraction": settings.test_fraction,
        "validation_fraction": settings.validation_fraction,
    }


def settings_hash(settings: SweepSettings) -> str:
    """Return a short hash of ``training_settings``, stored with every cell."""
    text = json.dumps(training_settings(settings), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def sweep_id(settings: SweepSettings) -> str:
    """Return the sweep's name in the store: ``settings.name`` or ``sweep-<hash>``."""
    return settings.name or f"sweep-{settings_hash(settings)}"


def _threshold(settings: SweepSettings, task: data.Task) -> float:
    if settings.threshold is not None:
        return float(settings.threshold)
    kind = "classification" if task.is_classification else "regression"
    return DEFAULT_THRESHOLDS[kind]


# --- one cell ----------------------------------------------------------------


@dataclass(frozen=True)
class _Splits:
    train: data.Dataset
    validation: data.Dataset
    test: data.Dataset


@functools.lru_cache(maxsize=4)
def _splits(dataset: str, test_fraction: float, validation_fraction: float) -> _Splits:
    """Split and standardise a dataset once per process, for every cell to reuse.

    The arrays of a ``Dataset`` are read-only, so sharing them is safe.
    """
    full = data.load(dataset)
    rest, test = data.split(full, test_fraction, seed=0)
    train, validation = data.split(rest, validation_fraction, seed=1)
    standardiser = data.Standardiser.fit(train)
    parts = [standardiser.transform(part) for part in (train, validation, test)]
    if full.task is data.Task.REGRESSION:
        mean, scale = float(parts[0].y.mean()), float(parts[0].y.std()) or 1.0
        parts = [dataclasses.replace(p, y=(p.y - mean) / scale) for p in parts]
    return _Splits(*parts)


def run_cell(settings: SweepSettings, cell: Cell) -> dict[str, Any]:
    """Train the network of one cell and return its final measurements.

    The result is a dict of plain values. It contains the cell's coordinates
    and the final loss and metric (accuracy or R²) on the train, validation
    and test sets. It also contains the first epoch whose training error
    reached the threshold (``None`` if none did), the share of dead units per
    hidden layer after training (``None`` for activations that cannot die),
    whether training diverged, and the seconds it took. Everything but
    ``seconds`` depends only on the arguments and the installed NumPy. BLAS
    runs on one thread, because the cells already run in parallel processes,
    and so the results do not depend on the number of BLAS threads a worker
    would pick.

    A diverged run is a result, not an error: the network is evaluated with
    the last weights that had a finite loss.
    """
    started = time.perf_counter()
    with threadpool_limits(1, "blas"):
        result = _train_cell(settings, cell)
    result["seconds"] = time.perf_counter() - started
    return result


def _train_cell(settings: SweepSettings, cell: Cell) -> dict[str, Any]:
    splits = _splits(
        settings.dataset, settings.test_fraction, settings.validation_fraction
    )
    train = splits.train
    loss = LOSS_FOR_TASK[train.task]
    threshold = _threshold(settings, train.task)
    n_outputs = train.n_classes if train.task is data.Task.MULTICLASS else 1
    sizes = [train.n_features, *[cell.width] * cell.depth, n_outputs]
    net = nn.Network.build(sizes, hidden=cell.activation, seed=cell.seed)
    reached: list[int] = []

    def watch(record: nn.EpochRecord) -> None:
        if not reached and 1.0 - record.metric <= threshold:
            reached.append(record.epoch)

    divergence = None
    try:
        history = nn.train(
            net, train.X, train.y, loss, _optimiser(settings, cell),
            settings.epochs, settings.batch_size, seed=cell.seed,
            callback=watch, stats_every=0,
        )  # fmt: skip
    except TrainingDivergedError as error:
        history, divergence = error.history, str(error)

    result = {"cell": cell.key, **dataclasses.asdict(cell)}
    result["settings_hash"] = settings_hash(settings)
    result["metric_name"] = "r2" if loss == "mse" else "accuracy"
    # A diverged network can overflow here too. Its losses are then inf or
    # NaN, which the store keeps as null.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for part in ("train", "validation", "test"):
            split = getattr(splits, part)
            result[f"{part}_loss"], result[f"{part}_metric"] = nn.evaluate(
                net, split.X, split.y, loss
            )
        result["dead_fractions"] = _dead_fractions(net, train)
    result["epochs_to_threshold"] = reached[0] if reached else None
    result["epochs_run"] = 0 if history is None else len(history.epochs)
    result["diverged"] = divergence is not None
    result["divergence"] = divergence
    return result


def _optimiser(settings: SweepSettings, cell: Cell) -> nn.Optimiser:
    if settings.optimiser == "sgd":
        return nn.SGD(cell.learning_rate, momentum=settings.momentum)
    return nn.get_optimiser(settings.optimiser, learning_rate=cell.learning_rate)


def _dead_fractions(net: nn.Network, train: data.Dataset) -> list[float | None]:
    report = diagnostics.diagnose(net, train.X[:STATS_EXAMPLES], bins=0)
    return report.dead_fractions[:-1]


def _run_cell_task(settings: SweepSettings, cell: Cell) -> tuple[str, Any, Any]:
    """Run one cell in a worker and return (key, result, None) or (key, None, error)."""
    try:
        return cell.key, run_cell(settings, cell), None
    except Exception as error:
        # The parent reports the error by cell key and goes on with the others.
        return cell.key, None, f"{type(error).__name__}: {error}"


# --- the sweep ---------------------------------------------------------------


@dataclass
class SweepResult:
    """The results of a sweep's cells, those stored before and those run now.

    ``results`` maps cell keys to ``run_cell`` results in grid order, for the
    cells that have one. ``failed`` maps the keys of cells whose run raised to
    the error, and ``remaining`` counts the cells left for a later run
    because of ``limit``. Neither kind is stored, so a later run tries them.
    """

    settings: SweepSettings
    sweep: str
    total: int
    results: dict[str, dict[str, Any]]
    computed: int
    reused: int
    failed: dict[str, str] = field(default_factory=dict)
    remaining: int = 0
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return len(self.results) == self.total

    def summary(self) -> list[SummaryRow]:
        """Return one row per activation, depth and width (see ``summary_table``)."""
        return summary_table(self)

    def to_dict(self) -> dict[str, Any]:
        """Return the result, with its summary, as plain JSON values."""
        return {
            "settings": dataclasses.asdict(self.settings),
            "sweep": self.sweep,
            "total": self.total,
            "computed": self.computed,
            "reused": self.reused,
            "failed": dict(self.failed),
            "remaining": self.remaining,
            "seconds": self.seconds,
            "summary": _json_safe([dataclasses.asdict(r) for r in self.summary()]),
            "cells": dict(self.results),
        }


def run_sweep(
    settings: SweepSettings,
    store: Store,
    scheduler: str | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    limit: int | None = None,
) -> SweepResult:
    """Run the cells of ``settings`` that ``store`` lacks, and save each one.

    Without ``scheduler`` the cells run on ``jobs`` local processes (joblib's
    loky backend). ``jobs`` defaults to one per CPU core, and ``jobs=1`` runs
    the cells in this process. With ``scheduler``, a ``tcp://HOST:PORT``
    address, they run on that Dask cluster. Each finished cell is saved in
    this process as it arrives, then ``progress`` is called. ``limit`` caps
    the number of cells run by this call. A failed cell is reported in
    ``SweepResult.failed`` and the others go on. An exception from
    ``progress``, such as ``KeyboardInterrupt``, cancels the cells not yet
    received and propagates, and the cells saved so far stay in the store.

    Raises
    ------
    ValueError
        For an invalid ``jobs``, ``limit`` or scheduler address, or when the
        store contains cells of the same sweep name from other training settings.
    SweepError
        When the scheduler cannot be reached, when ``distributed`` is not
        installed, or when the local worker processes stop.
    """
    started = time.perf_counter()
    _check_options(scheduler, jobs, limit)
    sweep = sweep_id(settings)
    grid = cells(settings)
    stored = _stored_results(store, sweep, settings, grid)
    pending = [cell for cell in grid if cell.key not in stored]
    now = pending if limit is None else pending[:limit]
    tracker = _Tracker(store, sweep, len(grid), len(stored), progress)
    tracker.report("")

    if now and scheduler is None:
        _run_local(settings, now, jobs, tracker)
    elif now:
        _run_on_dask(settings, now, scheduler, tracker)

    results = {**stored, **tracker.results}
    return SweepResult(
        settings=settings,
        sweep=sweep,
        total=len(grid),
        results={cell.key: results[cell.key] for cell in grid if cell.key in results},
        computed=len(tracker.results),
        reused=len(stored),
        failed=tracker.failed,
        remaining=len(pending) - len(now),
        seconds=time.perf_counter() - started,
    )


def _check_options(scheduler: str | None, jobs: Any, limit: Any) -> None:
    if jobs is not None:
        _check_integer("jobs", jobs, 1, 1024)
        if scheduler is not None:
            raise ValueError(
                f"jobs={jobs} applies to local processes only: leave it out when "
                "running on a Dask scheduler, whose workers set the parallelism"
            )
    if limit is not None:
        _check_integer("limit", limit, 0, 10**9)
    if scheduler is not None:
        check_scheduler_address(scheduler)


def check_scheduler_address(address: str) -> str:
    """Return ``address`` if it is ``tcp://HOST:PORT``; raise ``ValueError`` if not."""
    match = _SCHEDULER_PATTERN.fullmatch(address) if isinstance(address, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 65535:
        raise ValueError(
            f"invalid scheduler address {address!r}: expected tcp://HOST:PORT "
            "with a port from 1 to 65535, such as tcp://127.0.0.1:8786"
        )
    return address


def _stored_results(
    store: Store, sweep: str, settings: SweepSettings, grid: list[Cell]
) -> dict[str, dict[str, Any]]:
    """Return the grid's cells already in ``store``, checked against the settings."""
    stored = store.sweep_cells(sweep)
    expected = settings_hash(settings)
    keys = {cell.key for cell in grid}
    mine = {key: result for key, result in stored.items() if key in keys}
    for key, result in mine.items():
        if result.get("settings_hash") != expected:
            raise ValueError(
                f"sweep {sweep!r} in the store contains cell {key} trained with "
                "other training settings (dataset, epochs, batch size, optimiser, "
                "momentum, threshold or split fractions): choose another name, "
                "or the settings of that sweep"
            )
    return mine


class _Tracker:
    """Saves each finished cell, counts it and reports progress."""

    def __init__(self, store, sweep: str, total: int, done: int, progress):
        self.store = store
        self.sweep = sweep
        self.total = total
        self.done = done
        self.progress = progress
        self.results: dict[str, dict[str, Any]] = {}
        self.failed: dict[str, str] = {}

    def finish(self, key: str, result: dict | None, error: str | None) -> None:
        if error is None:
            # Kept as the store keeps it, so new and reused cells compare equal.
            result = _json_safe(result)
            self.store.save_sweep_cell(self.sweep, key, result, at=datetime.now(UTC))
            self.results[key] = result
        else:
            logger.warning("sweep %s: cell %s failed: %s", self.sweep, key, error)
            self.failed[key] = error
        self.done += 1
        self.report(key)

    def report(self, key: str) -> None:
        if self.progress is not None:
            self.progress(self.done, self.total, key)


def _json_safe(value: Any) -> Any:
    # Imported here because the worker processes, which import this module to
    # run cells, need neither the store nor SQLAlchemy.
    from ..store import json_safe

    return json_safe(value)


def _run_local(
    settings: SweepSettings, pending: list[Cell], jobs: int | None, tracker: _Tracker
) -> None:
    import joblib

    workers = min(jobs or joblib.cpu_count(), len(pending))
    parallel = joblib.Parallel(
        n_jobs=workers, backend="loky", return_as="generator_unordered"
    )
    outputs = parallel(joblib.delayed(_run_cell_task)(settings, c) for c in pending)
    try:
        for key, result, error in outputs:
            tracker.finish(key, result, error)
    except concurrent.futures.BrokenExecutor as error:
        raise SweepError(
            f"the worker processes of sweep {tracker.sweep!r} stopped ({error}). "
            f"The {len(tracker.results)} cells finished in this run are stored: "
            "run the sweep again to resume, with fewer jobs if memory ran out."
        ) from None
    finally:
        _close_quietly(outputs)


def _close_quietly(outputs: Any) -> None:
    """Close joblib's output generator, which cancels the cells not yet started.

    After an interruption joblib warns that some cells finished in a worker
    but were never read. They are not stored, so a later run repeats them.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"\d+ tasks ", UserWarning)
        outputs.close()


def _run_on_dask(
    settings: SweepSettings, pending: list[Cell], address: str, tracker: _Tracker
) -> None:
    Client, as_completed = _import_distributed()
    client = _connect(Client, address)
    with client:
        if not client.scheduler_info().get("workers"):
            logger.warning(
                "the Dask scheduler at %s has no workers yet: the cells of "
                "sweep %s wait until one joins",
                address,
                tracker.sweep,
            )
        futures = {
            client.submit(_run_cell_task, settings, cell, pure=False): cell.key
            for cell in pending
        }
        try:
            for future in as_completed(futures, loop=client.loop):
                tracker.finish(*_outcome(future, futures[future]))
        finally:
            client.cancel([future for future in futures if not future.done()])


def _outcome(future: Any, key: str) -> tuple[str, Any, Any]:
    try:
        return future.result()
    except Exception as error:
        # Raised by the cluster, not by the cell: a lost worker, or a worker
        # that cannot import actlab. The parent reports it by cell key.
        return key, None, f"{type(error).__name__}: {error}"


def _import_distributed() -> tuple[Any, Any]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SweepError(
            "running on a Dask scheduler needs the distributed package, which is "
            "not installed: install actlab[cluster], or run without a scheduler "
            "to use local processes."
        ) from None
    return Client, as_completed


def _connect(client_class: Any, address: str) -> Any:
    """Connect a Dask client to ``address``, or raise ``SweepError`` saying why.

    The client is made in a daemon thread with a deadline of its own,
    because ``distributed`` (2026.8 here) waits forever when a program other than
    a Dask scheduler, such as a web server, listens at the address.
    """
    made: list[Any] = []

    def connect() -> None:
        try:
            made.append(
                client_class(address, timeout=SCHEDULER_TIMEOUT, set_as_default=False)
            )
        except BaseException as error:
            made.append(error)

    thread = threading.Thread(target=connect, name="dask-connect", daemon=True)
    thread.start()
    thread.join(2 * SCHEDULER_TIMEOUT)
    if not made:
        logger.debug("no Dask handshake from %s", address)
        raise SweepError(
            f"no Dask scheduler responded at {address} within "
            f"{2 * SCHEDULER_TIMEOUT:g} s: something listens there but does not "
            "speak Dask's protocol. Check the address and port of the scheduler "
            "('dask scheduler' prints it), or run without a scheduler to use local "
            "processes."
        )
    if not isinstance(made[0], BaseException):
        return made[0]
    try:
        raise made[0]
    except OSError as error:
        logger.debug(
            "connecting to the Dask scheduler at %s failed: %s", address, error
        )
        raise SweepError(
            f"cannot reach the Dask scheduler at {address}: the connection "
            f"timed out after {SCHEDULER_TIMEOUT:g} s. Check the address, start "
            f"a scheduler there ('dask scheduler') with workers ('dask worker "
            f"{address}'), or run without a scheduler to use local processes."
        ) from None


# --- the summary -------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    """The seeds of one activation, depth and width at its best learning rate.

    The best rate is the one with the fewest diverged runs and, among those,
    the highest mean validation metric. The metrics are means over the seeds
    at that rate, and ``test_metric_std`` is their population standard
    deviation. ``dead_fraction`` is the mean over hidden layers and seeds,
    ``None`` for activations that cannot die.
    """

    activation: str
    depth: int
    width: int
    learning_rate: float
    runs: int
    metric_name: str
    train_metric: float
    validation_metric: float
    test_metric: float
    test_metric_std: float
    median_epochs: float | None
    reached: int
    dead_fraction: float | None
    diverged: int


def summary_table(result: SweepResult) -> list[SummaryRow]:
    """Return one row per activation, depth and width with results, in grid order."""
    groups: dict[tuple, dict[float, list[dict]]] = {}
    for cell in result.results.values():
        group = (cell["activation"], cell["depth"], cell["width"])
        rates = groups.setdefault(group, {})
        rates.setdefault(cell["learning_rate"], []).append(cell)
    return [_summary_row(group, rates) for group, rates in groups.items()]


def _summary_row(group: tuple, rates: dict[float, list[dict]]) -> SummaryRow:
    def rank(rate: float) -> tuple[int, float]:
        runs = rates[rate]
        mean = _mean(runs, "validation_metric")
        return sum(run["diverged"] for run in runs), -mean if mean == mean else math.inf

    best = min(rates, key=rank)
    runs = rates[best]
    reached = [r["epochs_to_threshold"] for r in runs if r["epochs_to_threshold"]]
    dead = [f for r in runs for f in r["dead_fractions"] if f is not None]
    tests = [_number(run["test_metric"]) for run in runs]
    return SummaryRow(
        *group,
        learning_rate=best,
        runs=len(runs),
        metric_name=runs[0]["metric_name"],
        train_metric=_mean(runs, "train_metric"),
        validation_metric=_mean(runs, "validation_metric"),
        test_metric=statistics.fmean(tests),
        test_metric_std=_spread(tests),
        median_epochs=statistics.median(reached) if reached else None,
        reached=len(reached),
        dead_fraction=statistics.fmean(dead) if dead else None,
        diverged=sum(run["diverged"] for run in runs),
    )


def _mean(runs: list[dict], name: str) -> float:
    return statistics.fmean(_number(run[name]) for run in runs)


def _spread(values: list[float]) -> float:
    finite = all(math.isfinite(value) for value in values)
    return statistics.pstdev(values) if finite else math.nan


def _number(value: float | None) -> float:
    # The store keeps a non-finite metric as null, because JSON has no NaN.
    return math.nan if value is None else value
