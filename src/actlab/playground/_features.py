"""The input features that the playground computes from a point (x1, x2)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

FeatureFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]

FEATURES: dict[str, FeatureFunction] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1sq": lambda x1, x2: x1 * x1,
    "x2sq": lambda x1, x2: x2 * x2,
    "x1x2": lambda x1, x2: x1 * x2,
    "sinx1": lambda x1, x2: np.sin(x1),
    "sinx2": lambda x1, x2: np.sin(x2),
}
"""Each feature as a function of the two coordinates, in the page's order."""

FEATURE_LABELS = {
    "x1": "x₁",
    "x2": "x₂",
    "x1sq": "x₁²",
    "x2sq": "x₂²",
    "x1x2": "x₁x₂",
    "sinx1": "sin x₁",
    "sinx2": "sin x₂",
}

# The same features as PyTorch expressions of the columns x1 and x2.
TORCH_EXPRESSIONS = {
    "x1": "x1",
    "x2": "x2",
    "x1sq": "x1 * x1",
    "x2sq": "x2 * x2",
    "x1x2": "x1 * x2",
    "sinx1": "torch.sin(x1)",
    "sinx2": "torch.sin(x2)",
}


def transform(points: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Return the features ``names`` of ``points`` (shape ``(n, 2)``) as columns."""
    x1 = points[:, 0]
    x2 = points[:, 1]
    columns = [FEATURES[name](x1, x2) for name in names]
    return np.column_stack(columns).astype(np.float64, copy=False)
