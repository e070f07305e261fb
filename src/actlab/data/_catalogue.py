"""The built-in datasets by name: ``load`` and ``names``."""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable
from dataclasses import dataclass

from . import _bundled, _demand, _playground
from ._dataset import Dataset, Task


class Kind(enum.StrEnum):
    """Origin of a built-in dataset."""

    REAL = "real"  # measured data bundled with scikit-learn
    PLAYGROUND = "playground"  # 2-D points generated from a seed
    SYNTHETIC = "synthetic"  # generated tables with a documented hidden cause


@dataclass(frozen=True)
class _Entry:
    task: Task
    kind: Kind
    loader: Callable[..., Dataset]


_ENTRIES: dict[str, _Entry] = {
    "breast_cancer": _Entry(Task.BINARY, Kind.REAL, _bundled.breast_cancer),
    "digits": _Entry(Task.MULTICLASS, Kind.REAL, _bundled.digits),
    "iris": _Entry(Task.MULTICLASS, Kind.REAL, _bundled.iris),
    "wine": _Entry(Task.MULTICLASS, Kind.REAL, _bundled.wine),
    "diabetes": _Entry(Task.REGRESSION, Kind.REAL, _bundled.diabetes),
    "circle": _Entry(Task.BINARY, Kind.PLAYGROUND, _playground.circle),
    "xor": _Entry(Task.BINARY, Kind.PLAYGROUND, _playground.xor),
    "gauss": _Entry(Task.BINARY, Kind.PLAYGROUND, _playground.gauss),
    "spiral": _Entry(Task.BINARY, Kind.PLAYGROUND, _playground.spiral),
    "blobs": _Entry(Task.MULTICLASS, Kind.PLAYGROUND, _playground.blobs),
    "plane": _Entry(Task.REGRESSION, Kind.PLAYGROUND, _playground.plane),
    "multigauss": _Entry(Task.REGRESSION, Kind.PLAYGROUND, _playground.multigauss),
    "demand": _Entry(Task.BINARY, Kind.SYNTHETIC, _demand.demand),
}


def names(kind: str | None = None) -> dict[str, Task]:
    """Return every built-in dataset name with its task, in a fixed order.

    ``kind`` (``"real"``, ``"playground"`` or ``"synthetic"``) keeps only the
    datasets of that kind.
    """
    if kind is not None:
        try:
            kind = Kind(kind)
        except ValueError:
            choices = ", ".join(repr(k.value) for k in Kind)
            raise ValueError(
                f"invalid kind {kind!r}: choose one of {choices}"
            ) from None
    return {
        name: entry.task
        for name, entry in _ENTRIES.items()
        if kind is None or entry.kind is kind
    }


def default_options(name: str) -> dict[str, object]:
    """Return the options that ``load(name, ...)`` accepts, with their defaults."""
    parameters = inspect.signature(_entry(name).loader).parameters.values()
    return {p.name: p.default for p in parameters}


def load(name: str, **options: object) -> Dataset:
    """Load or generate the built-in dataset ``name``.

    The real datasets take no options. The playground sets take ``n``,
    ``noise`` and ``seed`` (``blobs`` also ``classes``), and ``demand`` takes
    ``n`` and ``seed``. Raises ``ValueError`` for an unknown name or an invalid
    option value, and ``TypeError`` for an option the dataset does not take.
    """
    entry = _entry(name)
    accepted = inspect.signature(entry.loader).parameters
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        allowed = ", ".join(accepted) or "no options"
        raise TypeError(
            f"load({name!r}) got unexpected option(s) {', '.join(unknown)}; "
            f"it accepts: {allowed}"
        )
    return entry.loader(**options)


def _entry(name: str) -> _Entry:
    try:
        return _ENTRIES[name]
    except (KeyError, TypeError):
        choices = ", ".join(f"{n} ({e.task.value})" for n, e in _ENTRIES.items())
        raise ValueError(f"unknown dataset {name!r}: choose one of {choices}") from None
