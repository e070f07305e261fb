"""Floating-point building blocks shared by the activation entries.

Every helper takes arrays of one float dtype (float32 or float64) and returns
arrays of that dtype, never writing into its arguments. Two problems recur:

- ``scipy.special.expit`` computes ``1 / (1 + exp(-x))``, which returns 0 once
  ``exp(-x)`` overflows, although the true value is still a subnormal number
  (x between -745 and -709 in float64, -104 and -89 in float32).
- A product ``y * exp(x)`` whose factor ``exp(x)`` is subnormal has lost
  precision before the multiplication, so ``silu(-720)`` would keep only a few
  digits. :func:`exp_times` rescales the exponent to stay normal.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from scipy import special

# Below log(tiny), exp(x) is subnormal. The entries switch to their tail forms
# there, where expit(x) equals exp(x) to the last bit.
_LOG_TINY = {
    np.dtype(np.float32): float(np.log(np.finfo(np.float32).tiny)),
    np.dtype(np.float64): float(np.log(np.finfo(np.float64).tiny)),
}
# exp(x) = exp(x + 64) * exp(-64) keeps the first factor normal in the tails.
_RESCALE = 64.0
_EXP_MINUS_RESCALE = {
    np.dtype(np.float32): np.float32(np.exp(-_RESCALE)),
    np.dtype(np.float64): np.float64(np.exp(-_RESCALE)),
}
# Veltkamp's constant 2**ceil(p / 2) + 1 splits a p-bit significand in two.
_SPLITTER = {
    np.dtype(np.float32): np.float32(2.0**12 + 1.0),
    np.dtype(np.float64): np.float64(2.0**27 + 1.0),
}


def log_tiny(x: np.ndarray) -> float:
    """Return log of the smallest normal number of ``x``'s dtype."""
    return _LOG_TINY[x.dtype]


def patch(
    out: np.ndarray,
    mask: np.ndarray,
    function: Callable[..., np.ndarray],
    *arrays: np.ndarray,
) -> np.ndarray:
    """Overwrite ``out[mask]`` with ``function`` of the masked ``arrays``.

    ``function`` runs only on the masked elements and only if there are any,
    so a tail correction costs one comparison in the common case.
    """
    if mask.any():
        out[mask] = function(*(a[mask] for a in arrays))
    return out


def exp_times(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return ``y * exp(x)``, accurate where ``exp(x)`` alone is subnormal.

    Meant for ``x`` below ``log_tiny``: there ``x + 64`` is exact, so the only
    roundings are those of two products and of ``exp`` on a normal result.
    """
    out = np.exp(x + x.dtype.type(_RESCALE))
    out *= y
    out *= _EXP_MINUS_RESCALE[x.dtype]
    return out


def finite_below(z: np.ndarray) -> np.ndarray:
    """Return ``z`` with -inf replaced by the most negative finite number.

    The entries whose value is ``z`` times a factor that vanishes as z -> -inf
    (silu, mish) use it so that -inf gives 0 rather than ``-inf * 0 = nan``.
    """
    return np.maximum(z, np.finfo(z.dtype).min)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Return the logistic sigmoid 1 / (1 + exp(-x)), subnormal tails included."""
    out = special.expit(x)
    return patch(out, x < log_tiny(x), np.exp, x)


def sigmoid_slope(x: np.ndarray) -> np.ndarray:
    """Return sigmoid'(x) = sigmoid(x) * sigmoid(-x), computed from x.

    It uses the even symmetry: with a = -|x|, s = sigmoid(a) <= 1/2, so
    ``s * (1 - s)`` has no cancellation and never rounds to zero early, as
    ``s * (1 - s)`` at s = sigmoid(|x|) would for x >= 37 in float64.
    """
    a = np.abs(x)
    np.negative(a, out=a)
    s = sigmoid(a)
    out = np.subtract(1, s)
    out *= s
    return out


def split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (hi, lo) with hi + lo == x exactly and hi * hi exact (Veltkamp).

    Valid for |x| below about 1e300 in float64 (1e34 in float32).
    """
    c = x * _SPLITTER[x.dtype]
    hi = c - (c - x)
    return hi, x - hi


def two_product(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (p, e) with p = fl(a * b) and p + e == a * b exactly (Dekker)."""
    a_hi, a_lo = split(a)
    b_hi, b_lo = split(b)
    p = a * b
    e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return p, e


def two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (s, e) with s = fl(a + b) and s + e == a + b exactly (Knuth)."""
    s = a + b
    b_virtual = s - a
    e = (a - (s - b_virtual)) + (b - b_virtual)
    return s, e


def exp_minus_half_square(z: np.ndarray) -> tuple[np.ndarray, ...]:
    """Return factors (big, small, scale) whose product is exp(-z**2 / 2).

    Rounding z**2 before exp would cost a relative error of about z**2 ulp, so
    z is split as hi + lo with hi**2 exact: big = exp(-hi**2 / 2) is exp of an
    exact argument and small = exp(-lo * (z + hi) / 2) is close to 1. Where
    -hi**2 / 2 < -64, big is computed as exp(-hi**2 / 2 + 64), still exact, and
    scale is exp(-64) (else 1), so no factor is subnormal before the caller
    multiplies by ``scale`` last.
    """
    hi, lo = split(z)
    big = hi * hi
    big *= -0.5
    rescaled = big < -_RESCALE
    big += np.where(rescaled, _RESCALE, 0.0)
    np.exp(big, out=big)
    small = z + hi
    small *= lo
    small *= -0.5
    np.exp(small, out=small)
    scale = np.where(rescaled, _EXP_MINUS_RESCALE[z.dtype], z.dtype.type(1))
    return big, small, scale


def keep_nan(out: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Set ``out`` to NaN wherever ``z`` is NaN, and return ``out``.

    Piecewise derivatives built with ``np.where`` would otherwise map NaN to
    one of their constant pieces.
    """
    nan = np.isnan(z)
    if nan.any():
        out[nan] = np.nan
    return out


def softplus(z: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """Return log(1 + exp(beta z)) / beta as max(z, 0) + log1p(exp(-beta |z|)) / beta.

    It is the formula that ``np.logaddexp(0, z)`` evaluates, so it cannot
    overflow, but it runs faster (2.5 times in float64 and 10 times in float32
    for 1e6 values with NumPy 2.4.6 on x86-64) and raises no invalid flag for
    NaN input.
    """
    out = np.abs(z)
    out *= -beta
    np.exp(out, out=out)
    np.log1p(out, out=out)
    if beta != 1:
        out /= beta
    out += np.maximum(z, 0.0)
    return out


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """Return log(sigmoid(z)) = min(z, 0) - log1p(exp(-|z|)), exact in both tails."""
    out = np.abs(z)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    np.subtract(np.minimum(z, 0.0), out, out=out)
    return out


def in_float64(function: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Wrap ``function`` to compute narrower input in float64 and round back.

    For formulas that chain several float32 kernels, whose errors of 1 to 2
    ulp each would add up past 4 ulp, and for those written for float64 only.
    """

    @functools.wraps(function)
    def wrapper(z, *args, **kwargs):
        if z.dtype != np.float64:
            wide = function(z.astype(np.float64), *args, **kwargs)
            return wide.astype(z.dtype)
        return function(z, *args, **kwargs)

    return wrapper
