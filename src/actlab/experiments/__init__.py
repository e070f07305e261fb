"""Experiments: each a function from settings to a result saved with its seeds."""

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
    "CompareResult",
    "CompareSettings",
    "RunResult",
    "plot_curves",
    "run_compare",
    "verdict",
]
