"""Checks for the options of the generated datasets."""

from __future__ import annotations

import math
import numbers

MAX_POINTS = 100_000
MAX_NOISE = 0.5


def check_int(name: str, value: object, low: int, high: int) -> int:
    """Return ``value`` as an int in ``[low, high]``, or raise ``ValueError``."""
    is_int = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not is_int or not low <= value <= high:
        raise ValueError(
            f"invalid {name}={value!r}: expected an integer in [{low}, {high}]"
        )
    return int(value)


def check_size(n: object) -> int:
    """Return ``n``, the number of points, checked to lie in [1, MAX_POINTS]."""
    return check_int("n", n, 1, MAX_POINTS)


def check_noise(noise: object) -> float:
    """Return ``noise`` checked to be a fraction in [0, MAX_NOISE]."""
    is_real = isinstance(noise, numbers.Real) and not isinstance(noise, bool)
    if not is_real or not (math.isfinite(noise) and 0.0 <= noise <= MAX_NOISE):
        raise ValueError(
            f"invalid noise={noise!r}: expected a fraction in [0, {MAX_NOISE}] "
            f"(0.5 is the playground's 50%)"
        )
    return float(noise)


def check_seed(seed: object) -> int:
    """Return ``seed`` checked to be a non-negative integer."""
    is_int = isinstance(seed, numbers.Integral) and not isinstance(seed, bool)
    if not is_int or seed < 0:
        raise ValueError(f"invalid seed={seed!r}: expected a non-negative integer")
    return int(seed)
