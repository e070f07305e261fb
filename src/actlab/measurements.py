"""The numbers that the lessons quote, measured on this machine with the engine.

A lesson refers to a measurement by its id (``{{ measure:sigmoid_max_slope }}``
in its Markdown), and the page shows the value measured here. Each
``Measurement`` has an id, a function that measures it, a unit and a
description, and names the demo where a learner can see the effect live. A
``Table`` is the same for a small table of numbers (``{{ table:ID }}``).

Results are computed on first use and kept for the life of the process. The
training-based measurements use fixed seeds, so they give the same numbers on
every run on the same machine. The timings vary from run to run.

>>> from actlab import measurements
>>> result = measurements.measure("sigmoid_max_slope")
>>> round(result.value, 6), result.unit
(0.25, 'slope')
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from actlab import activations, data, diagnostics, nn
from actlab.errors import TrainingDivergedError

__all__ = [
    "DEPTHS",
    "MeasuredTable",
    "MeasuredValue",
    "Measurement",
    "Table",
    "measure",
    "measure_table",
    "measurement",
    "measurement_ids",
    "table",
    "table_ids",
]

DEPTHS = tuple(range(2, 11))
"""The numbers of hidden layers for which the gradient ratio is measured."""

# Seeds averaged over in the training-based measurements.
SEEDS = (0, 1, 2)
# Hidden width of the digit networks.
WIDTH = 32
# Examples of the digits set used for the gradient ratios at initialisation.
GRADIENT_EXAMPLES = 500
# Elements per timed array, and timed calls per activation.
TIMING_ELEMENTS = 200_000
TIMING_ROUNDS = 7


@dataclass(frozen=True)
class Measurement:
    """A number measured live, with where to see it.

    ``function`` takes no arguments and returns the value in ``unit``.
    ``format`` is a format specification for the value as the page shows it,
    ``demo`` the lab page (a path such as ``/explorer?show=sigmoid``) or the
    ``actlab`` command that shows the effect.
    """

    id: str
    description: str
    unit: str
    function: Callable[[], float]
    demo: str
    format: str = ".3g"


@dataclass(frozen=True)
class MeasuredValue:
    """The result of one measurement.

    ``text`` is the formatted value and ``display`` the value with its unit as
    a page shows it. A ratio of times gets a multiplication sign and a share a
    percent sign, while a slope or a gradient ratio is a bare number.
    """

    id: str
    description: str
    unit: str
    value: float
    text: str
    display: str
    demo: str


@dataclass(frozen=True)
class Table:
    """A small table of measured numbers: named columns, one row per case.

    ``title`` is the heading a page shows above the table.
    """

    id: str
    title: str
    description: str
    columns: tuple[str, ...]
    function: Callable[[], list[tuple[float, ...]]]
    demo: str
    format: str = ".3g"


@dataclass(frozen=True)
class MeasuredTable:
    """The result of a table measurement: its rows as numbers and as text."""

    id: str
    title: str
    description: str
    columns: tuple[str, ...]
    rows: tuple[tuple[float, ...], ...]
    text_rows: tuple[tuple[str, ...], ...]
    demo: str


# --- slopes --------------------------------------------------------------------


def _sigmoid_max_slope() -> float:
    z = np.linspace(-10.0, 10.0, 20_001)
    return float(np.max(activations.get("sigmoid").derivative(z)))


def _sigmoid_slope_at_4() -> float:
    return float(activations.get("sigmoid").derivative(4.0))


def _sigmoid_factor_depth_10() -> float:
    return _sigmoid_max_slope() ** 10


# --- gradients through depth ---------------------------------------------------


@functools.cache
def _digits() -> data.Dataset:
    return data.load("digits")


def _digit_network(hidden: str, depth: int, seed: int, bias: float = 0.0):
    sizes = [64, *([WIDTH] * depth), 10]
    return nn.Network.build(sizes, hidden=hidden, output="linear", seed=seed, bias=bias)


@functools.cache
def _gradient_ratio(hidden: str, depth: int) -> float:
    """Return the first-over-last gradient-norm ratio at initialisation.

    The ratio is the geometric mean over ``SEEDS`` of a fresh network with
    ``depth`` hidden layers on ``GRADIENT_EXAMPLES`` digits.
    """
    digits = _digits()
    X, y = digits.X[:GRADIENT_EXAMPLES], digits.y[:GRADIENT_EXAMPLES]
    logs = []
    for seed in SEEDS:
        net = _digit_network(hidden, depth, seed)
        report = diagnostics.diagnose(net, X, y, "softmax_ce", bins=0)
        logs.append(math.log(report.grad_norm_ratio))
    return math.exp(sum(logs) / len(logs))


def _sigmoid_ratio_factor_per_layer() -> float:
    """Return the factor per added sigmoid layer, from the shallowest to the deepest.

    It is the geometric mean of the change of the gradient ratio for one more
    hidden layer, over ``DEPTHS``.
    """
    shallow, deep = DEPTHS[0], DEPTHS[-1]
    change = _gradient_ratio("sigmoid", deep) / _gradient_ratio("sigmoid", shallow)
    return change ** (1 / (deep - shallow))


def _sigmoid_mean_slope_digits() -> float:
    digits = _digits()
    slopes = []
    sigmoid = activations.get("sigmoid")
    for seed in SEEDS:
        net = _digit_network("sigmoid", 2, seed)
        trace = nn.forward(net, digits.X[:GRADIENT_EXAMPLES])
        slopes.append(float(np.mean(sigmoid.derivative(trace.z[0]))))
    return float(np.mean(slopes))


def _gradient_ratio_rows() -> list[tuple[float, ...]]:
    slope = _sigmoid_max_slope()
    return [
        (
            float(depth),
            _gradient_ratio("sigmoid", depth),
            _gradient_ratio("relu", depth),
            slope**depth,
        )
        for depth in DEPTHS
    ]


# --- cost per element ----------------------------------------------------------


@functools.cache
def _timings() -> dict[str, float]:
    """Return the best time per element in nanoseconds of sigmoid and ReLU.

    The two are timed in alternation on the same float64 array, so a burst of
    load on the machine slows both alike, and the minimum of the rounds is
    kept as the least disturbed one.
    """
    z = np.random.default_rng(0).normal(size=TIMING_ELEMENTS)
    functions = {name: activations.get(name) for name in ("sigmoid", "relu")}
    best = dict.fromkeys(functions, math.inf)
    for _ in range(TIMING_ROUNDS):
        for name, function in functions.items():
            start = time.perf_counter()
            function(z)
            elapsed = time.perf_counter() - start
            best[name] = min(best[name], elapsed)
    return {name: seconds / z.size * 1e9 for name, seconds in best.items()}


def _sigmoid_relu_cost_ratio() -> float:
    timings = _timings()
    return timings["sigmoid"] / timings["relu"]


# --- dead units ----------------------------------------------------------------


@functools.cache
def _dead_share(learning_rate: float) -> float:
    """Return the share of dead hidden ReLU units after brief training on digits.

    Each network (two hidden layers of ``WIDTH`` units, He initialisation)
    trains for 3 epochs of plain SGD at ``learning_rate``. A unit is dead when
    its z is at most 0 on every one of the 1,797 digits. The share is the mean
    over the hidden layers and ``SEEDS``.
    """
    digits = _digits()
    shares = []
    for seed in SEEDS:
        net = _digit_network("relu", 2, seed)
        optimiser = nn.SGD(learning_rate)
        # A diverged run keeps the weights of its last finite step, which can
        # still be diagnosed.
        with contextlib.suppress(TrainingDivergedError):
            nn.train(
                net,
                digits.X,
                digits.y,
                "softmax_ce",
                optimiser,
                3,
                32,
                seed=seed,
                stats_every=0,
            )
        report = diagnostics.diagnose(net, digits.X)
        shares.extend(share for share in report.dead_fractions if share is not None)
    return 100.0 * float(np.mean(shares))


# --- demand example ------------------------------------------------------------


@functools.cache
def _awareness() -> np.ndarray:
    return data.demand(5000, seed=0).hidden["awareness"]


def _awareness_share_above_one() -> float:
    return 100.0 * float(np.mean(_awareness() > 1.0))


def _awareness_max() -> float:
    return float(np.max(_awareness()))


# --- the catalogue -------------------------------------------------------------

# No page times the activations live, so the timings link to the explorer,
# which shows the two formulas: an exponential against a comparison.
_TIMING_DEMO = "/explorer?show=sigmoid,relu"
_GRADIENT_DEMO = "/explorer?show=sigmoid,relu&z=0"
_DEPTH_DEMO = "/playground?dataset=spiral&hidden=8,8,8,8,8,8&act=sigmoid"
_DEAD_DEMO = "/playground?dataset=circle&hidden=8,8&act=relu&lr=3"

_MEASUREMENTS = (
    Measurement(
        "sigmoid_max_slope",
        "The largest slope of the sigmoid over z in [-10, 10], reached at z = 0.",
        "slope",
        _sigmoid_max_slope,
        _GRADIENT_DEMO,
    ),
    Measurement(
        "sigmoid_slope_at_4",
        "The slope of the sigmoid at z = 4, where ReLU's slope is still 1.",
        "slope",
        _sigmoid_slope_at_4,
        "/explorer?show=sigmoid,relu&z=4",
    ),
    Measurement(
        "sigmoid_factor_depth_10",
        "The largest possible product of ten sigmoid slopes, the maximum slope "
        "to the tenth power. It bounds the activation's own factor over ten "
        "layers, but the weights multiply the gradient as well.",
        "factor",
        _sigmoid_factor_depth_10,
        _GRADIENT_DEMO,
    ),
    Measurement(
        "sigmoid_mean_slope_digits",
        "The mean sigmoid slope of the first hidden layer of a fresh network "
        f"on {GRADIENT_EXAMPLES} digits, over {len(SEEDS)} seeds.",
        "slope",
        _sigmoid_mean_slope_digits,
        _GRADIENT_DEMO,
    ),
    Measurement(
        "sigmoid_ratio_factor_per_layer",
        "The factor by which one more hidden layer multiplied the gradient ratio "
        f"of the fresh sigmoid networks on digits: the geometric mean from "
        f"{DEPTHS[0]} to {DEPTHS[-1]} hidden layers.",
        "factor",
        _sigmoid_ratio_factor_per_layer,
        _DEPTH_DEMO,
    ),
    Measurement(
        "sigmoid_gradient_ratio_depth_10",
        "First-layer over last-layer gradient norm of a fresh sigmoid network "
        f"with 10 hidden layers of {WIDTH} units on digits.",
        "ratio",
        lambda: _gradient_ratio("sigmoid", 10),
        _DEPTH_DEMO,
    ),
    Measurement(
        "relu_gradient_ratio_depth_10",
        "First-layer over last-layer gradient norm of a fresh ReLU network "
        f"with 10 hidden layers of {WIDTH} units on digits.",
        "ratio",
        lambda: _gradient_ratio("relu", 10),
        _DEPTH_DEMO.replace("act=sigmoid", "act=relu"),
    ),
    Measurement(
        "sigmoid_ns_per_element",
        f"Time to apply the sigmoid to {TIMING_ELEMENTS:,} float64 values, per "
        f"value, the best of {TIMING_ROUNDS} calls.",
        "ns per element",
        lambda: _timings()["sigmoid"],
        _TIMING_DEMO,
        format=".2g",
    ),
    Measurement(
        "relu_ns_per_element",
        f"Time to apply ReLU to {TIMING_ELEMENTS:,} float64 values, per value, "
        f"the best of {TIMING_ROUNDS} calls.",
        "ns per element",
        lambda: _timings()["relu"],
        _TIMING_DEMO,
        format=".2g",
    ),
    Measurement(
        "sigmoid_relu_cost_ratio",
        "How many times longer the sigmoid takes than ReLU per element.",
        "x",
        _sigmoid_relu_cost_ratio,
        _TIMING_DEMO,
        format=".2g",
    ),
    Measurement(
        "dead_share_high_lr",
        "Share of hidden ReLU units dead on every digit after 3 epochs of SGD "
        f"at learning rate 1, over {len(SEEDS)} seeds.",
        "% of hidden units",
        lambda: _dead_share(1.0),
        _DEAD_DEMO,
        format=".2g",
    ),
    Measurement(
        "dead_share_low_lr",
        "Share of hidden ReLU units dead on every digit after 3 epochs of SGD "
        f"at learning rate 0.01, over {len(SEEDS)} seeds.",
        "% of hidden units",
        lambda: _dead_share(0.01),
        _DEAD_DEMO.replace("lr=3", "lr=0.03"),
        format=".2g",
    ),
    Measurement(
        "awareness_share_above_one",
        "Share of 5,000 generated products whose awareness is above 1, the "
        "ceiling a sigmoid unit could not pass.",
        "% of products",
        _awareness_share_above_one,
        "/flow",
        format=".2g",
    ),
    Measurement(
        "awareness_max",
        "The largest awareness among 5,000 generated products.",
        "awareness",
        _awareness_max,
        "/flow",
    ),
)

_TABLES = (
    Table(
        "gradient_ratio_by_depth",
        "Gradient ratio by depth",
        "First-layer over last-layer gradient norm of fresh networks on digits, "
        f"by number of hidden layers of {WIDTH} units (geometric mean over "
        f"{len(SEEDS)} seeds). The last column is the bound on the product of "
        "the sigmoid's slopes alone. The measured ratio also includes the "
        "weights and each layer's inputs, so it can lie above that bound.",
        ("hidden layers", "sigmoid ratio", "ReLU ratio", "slope bound 0.25 ^ layers"),
        _gradient_ratio_rows,
        _DEPTH_DEMO,
    ),
)

# Units shown as a bare number, because the description names the quantity.
_BARE_UNITS = frozenset({"slope", "ratio", "factor", "awareness"})
_SUPERSCRIPTS = str.maketrans(
    "-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
)
_LOCK = threading.Lock()
_BY_ID = {item.id: item for item in _MEASUREMENTS}
_TABLES_BY_ID = {item.id: item for item in _TABLES}


def measurement_ids() -> list[str]:
    """Return the ids of every measurement, in catalogue order."""
    return list(_BY_ID)


def table_ids() -> list[str]:
    """Return the ids of every table measurement, in catalogue order."""
    return list(_TABLES_BY_ID)


def measurement(measurement_id: str) -> Measurement:
    """Return the record of a measurement, or raise ``KeyError`` naming the id."""
    try:
        return _BY_ID[measurement_id]
    except KeyError:
        raise KeyError(
            f"unknown measurement {measurement_id!r}: choose one of {', '.join(_BY_ID)}"
        ) from None


def table(table_id: str) -> Table:
    """Return the record of a table measurement, or raise ``KeyError``."""
    try:
        return _TABLES_BY_ID[table_id]
    except KeyError:
        raise KeyError(
            f"unknown table {table_id!r}: choose one of {', '.join(_TABLES_BY_ID)}"
        ) from None


def _readable(text: str) -> str:
    """Return a formatted number with ``e-07`` written as a power of ten."""
    mantissa, marker, exponent = text.partition("e")
    if not marker:
        return text
    power = str(int(exponent)).translate(_SUPERSCRIPTS)
    return f"{mantissa} \u00d7 10{power}"


def _display(text: str, unit: str) -> str:
    text = _readable(text)
    if unit in _BARE_UNITS:
        return text
    if unit == "x":
        return f"{text}\u00d7"
    if unit.startswith("%"):
        return f"{text}{unit}"
    return f"{text} {unit}"


def measure(measurement_id: str) -> MeasuredValue:
    """Run a measurement once per process and return its value and text.

    Raises ``KeyError`` for an unknown id. Concurrent callers wait for one
    another, so two timings never run at the same time.
    """
    with _LOCK:
        return _measure(measurement_id)


@functools.cache
def _measure(measurement_id: str) -> MeasuredValue:
    record = measurement(measurement_id)
    value = float(record.function())
    text = format(value, record.format)
    return MeasuredValue(
        id=record.id,
        description=record.description,
        unit=record.unit,
        value=value,
        text=text,
        display=_display(text, record.unit),
        demo=record.demo,
    )


def measure_table(table_id: str) -> MeasuredTable:
    """Run a table measurement once per process and return its rows.

    Raises ``KeyError`` for an unknown id.
    """
    with _LOCK:
        return _measure_table(table_id)


@functools.cache
def _measure_table(table_id: str) -> MeasuredTable:
    record = table(table_id)
    rows = tuple(tuple(float(cell) for cell in row) for row in record.function())
    text_rows = tuple(
        tuple(
            format(cell, "g") if i == 0 else _readable(format(cell, record.format))
            for i, cell in enumerate(row)
        )
        for row in rows
    )
    return MeasuredTable(
        id=record.id,
        title=record.title,
        description=record.description,
        columns=record.columns,
        rows=rows,
        text_rows=text_rows,
        demo=record.demo,
    )
