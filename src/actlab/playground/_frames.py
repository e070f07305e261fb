"""What one frame shows: maps over the plane and per-layer statistics.

Every map of a frame comes from one forward pass: the grid points of the
output map and of the smaller unit maps are stacked into one batch, so the
output map and the map of every unit (the unit's activation at each point)
are slices of the same pass.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from actlab import activations, diagnostics

from ._features import transform

EXTENT = 6.0
HISTOGRAM_BINS = 20
FLAT_SHARE = 0.01
_FLAT_PROBE = np.linspace(-20.0, 20.0, 4001)


@dataclass(frozen=True)
class Grid:
    """The stacked grid points of the output map and of the unit maps."""

    output_size: int
    unit_size: int
    points: np.ndarray  # (output_size² + unit_size², 2), output points first

    @classmethod
    @functools.cache
    def build(cls, output_size: int, unit_size: int) -> Grid:
        parts = [_square(output_size), _square(unit_size)]
        return cls(output_size, unit_size, np.concatenate(parts))

    @property
    def split(self) -> int:
        return self.output_size**2


def _square(size: int) -> np.ndarray:
    # Row-major from the top: row 0 is x2 = +6, column 0 is x1 = -6, so a
    # page draws the rows from top to bottom as they come.
    axis = np.linspace(-EXTENT, EXTENT, size)
    x1, x2 = np.meshgrid(axis, axis[::-1])
    return np.column_stack([x1.ravel(), x2.ravel()])


def forward_all(layers: Sequence, x: np.ndarray) -> tuple[list, list]:
    """Return every layer's z and activation for the batch ``x``."""
    zs, outputs = [], []
    a = x
    for layer in layers:
        z = a @ layer.W
        z += layer.b
        a = z if layer.activation.name == "linear" else layer.activation(z)
        zs.append(z)
        outputs.append(a)
    return zs, outputs


def grid_maps(
    network, features: Sequence[str], grid: Grid, predict
) -> dict[str, object]:
    """Return the output map, the feature maps and every hidden unit's map.

    ``predict`` turns the network's last-layer output into what the output map
    shows (a probability, a value or a class). Numbers are rounded to 3
    decimals, and each map is a flat row-major list.
    """
    inputs = transform(grid.points, features)
    _, outputs = forward_all(network.layers, inputs)
    split = grid.split
    output_map = predict(outputs[-1][:split])
    units = [_maps(a[split:]) for a in outputs[:-1]]
    return {
        "size": grid.output_size,
        "unit_size": grid.unit_size,
        "extent": [-EXTENT, EXTENT],
        "output": _rounded(output_map),
        "features": _maps(inputs[split:]),
        "units": units,
    }


def _maps(columns: np.ndarray) -> list[list[float]]:
    return [_rounded(column) for column in columns.T]


def _rounded(values: np.ndarray) -> list[float]:
    return np.round(np.nan_to_num(values, nan=0.0, posinf=1e9, neginf=-1e9), 3).tolist()


def layer_stats(network, zs: Sequence[np.ndarray]) -> dict[str, list]:
    """Return per-layer dead and saturated unit counts and z histograms.

    ``zs`` are the layers' pre-activations on the training set. A count is
    ``None`` for an activation that cannot die or does not saturate.
    """
    dead, saturated, hists = [], [], []
    for layer, z in zip(network.layers, zs, strict=True):
        activation = layer.activation
        record = activation.bound_spec
        dead_count = diagnostics.dead_units(z, activation).sum()
        dead.append(int(dead_count) if record.can_die else None)
        saturated_count = diagnostics.saturated_units(z, activation).sum()
        saturated.append(int(saturated_count) if record.saturates else None)
        hists.append(_histogram(z, activation))
    return {
        "units": [layer.n_out for layer in network.layers],
        "dead": dead,
        "saturated": saturated,
        "z_hist": hists,
    }


def _histogram(z: np.ndarray, activation: activations.Activation) -> dict:
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        finite = np.zeros(1)
    low, high = float(finite.min()), float(finite.max())
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    try:
        counts, edges = np.histogram(finite, bins=HISTOGRAM_BINS, range=(low, high))
    except ValueError:
        # Values so large (a diverging run) that the bins' width is not finite.
        counts, edges = np.array([finite.size]), np.array([low, high])
    return {
        "edges": np.round(edges, 4).tolist(),
        "counts": counts.tolist(),
        "flat": [list(pair) for pair in flat_intervals(activation)],
    }


def flat_intervals(activation: activations.Activation) -> tuple:
    """Return the z intervals where ``|g'(z)|`` is below 1% of its maximum.

    The derivative is sampled on [-20, 20] in steps of 0.01, and an interval
    that reaches an end of that range is open on that side, which is written
    ``None`` (JSON ``null``) because JSON has no infinity: ReLU gives
    ``((None, 0.0),)``.
    """
    return _flat_intervals(activation.name, tuple(sorted(activation.params.items())))


@functools.cache
def _flat_intervals(name: str, params: tuple) -> tuple:
    activation = activations.get(name, **dict(params))
    slope = np.abs(np.asarray(activation.derivative(_FLAT_PROBE), dtype=np.float64))
    peak = float(np.nanmax(slope))
    if not peak > 0:
        return ((None, None),)
    flat = slope < FLAT_SHARE * peak
    intervals = []
    index = 0
    n = len(flat)
    while index < n:
        if not flat[index]:
            index += 1
            continue
        end = index
        while end + 1 < n and flat[end + 1]:
            end += 1
        low = None if index == 0 else float(_FLAT_PROBE[index])
        high = None if end == n - 1 else float(_FLAT_PROBE[end])
        intervals.append((low, high))
        index = end + 1
    return tuple(intervals)
