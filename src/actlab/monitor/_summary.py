"""The text table of ``Monitor.summary()``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._monitor import Monitor

DASH = "-"


def render(monitor: Monitor) -> str:
    """Return the run's header, its activation table and its weight table."""
    history = monitor.history
    head = f"run {monitor.run!r}: {len(history)} recorded of {monitor.steps} steps"
    if not history:
        return head + " (call step() after each backward pass)"
    last = history[-1]
    worst = _worst_fractions(history)
    parts = [
        f"{head}, last recorded step {last['step']}",
        _activation_table(last, worst, monitor),
        _weight_table(last),
    ]
    return "\n\n".join(part for part in parts if part)


def _worst_fractions(history: Sequence[dict[str, Any]]) -> dict[str, list[float]]:
    """Return each layer's highest dead and saturated fraction over the run."""
    worst: dict[str, list[float]] = {}
    for record in history:
        for layer in record["activations"]:
            entry = worst.setdefault(layer["layer"], [0.0, 0.0])
            entry[0] = max(entry[0], layer["dead_fraction"] or 0.0)
            entry[1] = max(entry[1], layer["saturated_fraction"] or 0.0)
    return worst


def _activation_table(
    last: dict[str, Any], worst: dict[str, list[float]], monitor: Monitor
) -> str:
    header = ["activation", "module", "units", "dead", "max dead", "saturated"]
    header += ["max saturated", "mean", "std"]
    rows = []
    for layer in last["activations"]:
        dead, saturated = layer["dead_fraction"], layer["saturated_fraction"]
        peak = worst.get(layer["layer"], [0.0, 0.0])
        rows.append(
            [
                layer["layer"],
                layer["module"],
                str(layer["units"]),
                _share(dead, monitor.dead_threshold),
                _share(None if dead is None else peak[0], monitor.dead_threshold),
                _share(saturated, monitor.saturated_threshold),
                _share(
                    None if saturated is None else peak[1],
                    monitor.saturated_threshold,
                ),
                _number(layer["mean"]),
                _number(layer["std"]),
            ]
        )
    note = "! above the threshold; - the activation cannot die or saturate"
    return _table(header, rows) + "\n" + note if rows else ""


def _weight_table(last: dict[str, Any]) -> str:
    header = ["weight", "module", "shape", "grad norm", "bias grad norm"]
    rows = [
        [
            layer["layer"],
            layer["module"],
            "x".join(map(str, layer["shape"])),
            _number(layer["grad_norm"]),
            _number(layer["bias_grad_norm"]),
        ]
        for layer in last["weights"]
    ]
    return _table(header, rows) if rows else ""


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _share(value: float | None, threshold: float) -> str:
    if value is None:
        return DASH
    mark = "!" if value > threshold else " "
    return f"{value:.1%}{mark}"


def _number(value: float | None) -> str:
    return DASH if value is None else f"{value:.4g}"
