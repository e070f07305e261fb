"""What every experiment has: a name, settings, a run, claims, tables and figures.

An experiment is a function from its settings to an ``ExperimentResult``.
The result states each claim from the literature with what was measured
here and whether the claim held, keeps the raw numbers in ``data`` for
figures and tests, and records the seeds and library versions it ran with.

>>> from actlab import experiments
>>> "cost" in experiments.names()
True
"""

from __future__ import annotations

import dataclasses
import platform
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from actlab import __version__

Progress = Callable[[str, float], None]
"""A callback given a short description of the current step and the share done (0-1)."""


@dataclass(frozen=True)
class Claim:
    """A claim, what this run measured, and whether the claim held.

    ``held`` is None when the run cannot decide it, for example because a
    published effect needs a larger scale than the run's.
    """

    claim: str
    measured: str
    held: bool | None
    source: str = ""


@dataclass(frozen=True)
class Table:
    """A table of results: column names and rows of plain values."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass
class ExperimentResult:
    """The outcome of one run of an experiment, ready to store as JSON."""

    name: str
    title: str
    settings: dict[str, Any]
    seeds: list[int]
    claims: list[Claim]
    tables: list[Table] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    started_at: datetime | None = None
    seconds: float | None = None
    quick: bool = False
    """Whether the run used the experiment's small preview settings (``quick()``)."""

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready values."""
        values = dataclasses.asdict(self)
        if self.started_at is not None:
            values["started_at"] = self.started_at.isoformat()
        return _plain(values)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ExperimentResult:
        """Return the result that ``to_dict`` wrote."""
        values = dict(values)
        values["claims"] = [Claim(**claim) for claim in values.get("claims", [])]
        values["tables"] = [
            Table(t["title"], tuple(t["columns"]), tuple(map(tuple, t["rows"])))
            for t in values.get("tables", [])
        ]
        if isinstance(values.get("started_at"), str):
            values["started_at"] = datetime.fromisoformat(values["started_at"])
        values["quick"] = is_quick(values)
        return cls(**values)


def is_quick(result: Mapping[str, Any]) -> bool:
    """Return whether a stored result (``to_dict`` values) came from a quick run.

    Results stored before the ``quick`` flag existed count as quick when their
    settings equal the experiment's ``quick()`` settings.
    """
    if "quick" in result:
        return bool(result["quick"])
    try:
        experiment = get(str(result.get("name")))
    except KeyError:
        return False
    return result.get("settings") == settings_dict(experiment.settings.quick())


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass(frozen=True)
class Experiment:
    """A registered experiment.

    ``settings`` is a frozen dataclass type whose defaults are the full run
    and whose ``quick()`` classmethod gives a small run for tests and
    previews. ``run(settings, progress)`` returns an ``ExperimentResult``
    without ``versions``, ``started_at`` and ``seconds``, which
    ``run_experiment`` fills in. ``plot(result, directory)`` draws the
    figures with matplotlib and returns their paths.
    """

    name: str
    title: str
    summary: str
    source: str
    settings: type
    run: Callable[[Any, Progress | None], ExperimentResult]
    plot: Callable[[ExperimentResult, Path], list[Path]]


_REGISTRY: dict[str, Experiment] = {}


def register(experiment: Experiment) -> Experiment:
    """Add ``experiment`` to the registry; a second one with its name is an error."""
    if experiment.name in _REGISTRY:
        raise ValueError(f"experiment {experiment.name!r} is registered already")
    _REGISTRY[experiment.name] = experiment
    return experiment


def names() -> list[str]:
    """Return the names of the registered experiments, in the report's order."""
    from ._catalogue import ORDER

    _load_all()
    return sorted(_REGISTRY, key=lambda name: (*ORDER, name).index(name))


def get(name: str) -> Experiment:
    """Return the experiment ``name``, or raise ``KeyError`` listing the names."""
    _load_all()
    if name not in _REGISTRY:
        raise KeyError(
            f"unknown experiment {name!r}: choose one of {', '.join(names())}"
        )
    return _REGISTRY[name]


def _load_all() -> None:
    # The experiment modules register themselves when imported.
    from . import _catalogue  # noqa: F401


def versions() -> dict[str, str]:
    """Return the versions that a result records."""
    import scipy
    import sklearn

    return {
        "actlab": __version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


MAX_SEED = 2**32 - 1


def check_settings(settings: Any) -> None:
    """Raise ``ValueError`` naming a seed out of range or an empty list of values.

    Every experiment's settings have these rules in common: a seed is an
    integer from 0 to 2**32 - 1 (NumPy's range), and a tuple field such as
    the activations to compare contains at least one value.
    """
    for field_ in dataclasses.fields(settings):
        value = getattr(settings, field_.name)
        if isinstance(value, tuple) and not value:
            raise ValueError(f"invalid {field_.name}: empty; give at least one value")
        if field_.name == "seed" or field_.name.endswith("seeds"):
            seeds = value if isinstance(value, tuple) else (value,)
            for seed in seeds:
                valid = isinstance(seed, int) and not isinstance(seed, bool)
                if not valid or not 0 <= seed <= MAX_SEED:
                    raise ValueError(
                        f"invalid {field_.name} {seed!r}: expected an integer from "
                        f"0 to {MAX_SEED}"
                    )


def run_experiment(
    name: str,
    settings: Any = None,
    progress: Progress | None = None,
    store: Any = None,
    quick: bool = False,
) -> ExperimentResult:
    """Run experiment ``name`` and return its result, stored in ``store`` if given.

    ``settings`` defaults to the experiment's defaults, or to its ``quick()``
    settings when ``quick`` is True. With ``settings`` given, ``quick`` states
    that they were derived from ``quick()``, as ``actlab run --quick --set``
    does. The result's ``quick`` flag is set in either case, and also when
    ``settings`` equal ``quick()``.
    """
    experiment = get(name)
    if settings is None:
        settings = experiment.settings.quick() if quick else experiment.settings()
    if not isinstance(settings, experiment.settings):
        raise TypeError(
            f"invalid settings for {name!r}: expected "
            f"{experiment.settings.__name__}, got {type(settings).__name__}"
        )
    check_settings(settings)
    quick = quick or settings == experiment.settings.quick()
    started_at = datetime.now(UTC)
    start = time.perf_counter()
    result = experiment.run(settings, progress)
    result.quick = quick
    result.started_at = started_at
    result.seconds = time.perf_counter() - start
    result.versions = versions()
    if store is not None:
        store.save_experiment(name, result.to_dict(), started_at, result.seconds)
    return result


def settings_dict(settings: Any) -> dict[str, Any]:
    """Return a settings dataclass as plain values."""
    return _plain(dataclasses.asdict(settings))
