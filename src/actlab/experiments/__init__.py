"""Experiments: each a function from settings to a result saved with its seeds."""

from ._framework import (
    Claim,
    Experiment,
    ExperimentResult,
    Table,
    check_settings,
    get,
    is_quick,
    names,
    register,
    run_experiment,
    settings_dict,
)
from .compare import (
    DEFAULT_ACTIVATIONS,
    ActivationSummary,
    CompareResult,
    CompareSettings,
    RunResult,
    plot_curves,
    run_compare,
    verdict,
)

__all__ = [
    "DEFAULT_ACTIVATIONS",
    "ActivationSummary",
    "Claim",
    "CompareResult",
    "CompareSettings",
    "Experiment",
    "ExperimentResult",
    "RunResult",
    "Table",
    "check_settings",
    "get",
    "is_quick",
    "names",
    "plot_curves",
    "register",
    "run_compare",
    "run_experiment",
    "settings_dict",
    "verdict",
]
