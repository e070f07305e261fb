"""Weight initialisers: each draws an ``(n_in, n_out)`` matrix from a seeded generator.

The variance rules keep the scale of z roughly constant from layer to layer at
the start of training, for the activation family each was derived for:

==================  ======================================  ===================
name                distribution                            suits
==================  ======================================  ===================
``xavier``          U(-r, r), r = sqrt(6 / (n_in + n_out))  sigmoid, tanh
``xavier_normal``   N(0, 2 / (n_in + n_out))                sigmoid, tanh
``he``              N(0, 2 / n_in)                          the ReLU family
``lecun``           N(0, 1 / n_in)                          linear, SELU
``standard``        U(-1/sqrt(n_in), 1/sqrt(n_in))          the classic default
==================  ======================================  ===================
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Initialiser = Callable[[np.random.Generator, int, int], np.ndarray]


def _xavier_uniform(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    limit = math.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out))


def _xavier_normal(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    return rng.normal(0.0, math.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out))


def _he_normal(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    return rng.normal(0.0, math.sqrt(2.0 / n_in), size=(n_in, n_out))


def _lecun_normal(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    return rng.normal(0.0, math.sqrt(1.0 / n_in), size=(n_in, n_out))


def _standard_uniform(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    limit = 1.0 / math.sqrt(n_in)
    return rng.uniform(-limit, limit, size=(n_in, n_out))


_INITIALISERS: dict[str, Initialiser] = {
    "xavier": _xavier_uniform,
    "xavier_normal": _xavier_normal,
    "he": _he_normal,
    "lecun": _lecun_normal,
    "standard": _standard_uniform,
}

_ALIASES = {
    "glorot": "xavier",
    "xavier_uniform": "xavier",
    "glorot_uniform": "xavier",
    "glorot_normal": "xavier_normal",
    "he_normal": "he",
    "kaiming": "he",
    "lecun_normal": "lecun",
}


def initialiser_names() -> list[str]:
    """Return the canonical initialiser names."""
    return list(_INITIALISERS)


def resolve_initialiser(name: str) -> str:
    """Return the canonical name of initialiser ``name`` (a name or an alias).

    Raises ``ValueError`` naming ``name`` and listing the valid choices.
    """
    if not isinstance(name, str):
        raise ValueError(f"initialiser must be a name such as 'he', got {name!r}")
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in _INITIALISERS:
        choices = ", ".join(sorted([*_INITIALISERS, *_ALIASES]))
        raise ValueError(f"unknown initialiser {name!r}: choose one of {choices}")
    return key


def initialise(
    name: str,
    n_in: int,
    n_out: int,
    rng: np.random.Generator,
    dtype: np.dtype | type = np.float64,
) -> np.ndarray:
    """Draw an ``(n_in, n_out)`` weight matrix with initialiser ``name``.

    The values are drawn in float64 and then cast, so a float32 network starts
    from the float64 weights of the same seed, rounded.

    >>> w = initialise("he", 4, 3, np.random.default_rng(0))
    >>> w.shape
    (4, 3)
    """
    draw = _INITIALISERS[resolve_initialiser(name)]
    if n_in < 1 or n_out < 1:
        raise ValueError(
            f"invalid layer shape ({n_in}, {n_out}): a layer needs at least one "
            "input and one unit"
        )
    return draw(rng, n_in, n_out).astype(dtype)
