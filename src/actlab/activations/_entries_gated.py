"""Self-gated activations z * gate(z): SiLU (swish), GELU and Mish.

All three dip below zero for moderate negative z before returning to 0, so
none is monotonic, and each has a smooth minimum instead of a kink.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from . import _numerics as nx
from ._registry import Parameter, Role, Spec

INF = float("inf")

# The records of this module, in the order the registry lists them.
SPECS: list[Spec] = []

# Minimum of z * sigmoid(z), at z = -1.2784645427610738. For beta != 1 both
# the minimum and where it is reached scale as 1 / beta.
SILU_MINIMUM = -0.27846454276107379511
_SILU_ARGMIN = -1.2784645427610738
SILU_MAX_SLOPE = 1.0998393201288669  # at z = 2.3994 / beta
GELU_MINIMUM = -0.16997120747990366169  # at z = -0.7518
GELU_MAX_SLOPE = 1.1289041451851548  # at z = sqrt(2)
GELU_TANH_MINIMUM = -0.17004075057125405064  # at z = -0.7525
GELU_TANH_MAX_SLOPE = 1.1289930686587718  # at z = 1.4185
MISH_MINIMUM = -0.30884341301725040663  # at z = -1.1924
MISH_MAX_SLOPE = 1.0884981612517279  # at z = 1.4906

# Beyond these |z| the derivatives equal their limits 0 and 1 to the last bit,
# so clipping z first avoids inf * 0 without changing any result.
_SLOPE_CLIP = 800.0


def _silu(z, beta):
    r"""SiLU, also called swish: z times a sigmoid gate.

    .. math::

        g(z) = z\,\sigma(\beta z), \qquad
        g'(z) = \sigma(\beta z)\left(1 + \beta z\,\sigma(-\beta z)\right)

    The output lies in [-0.27846 / beta, inf): the minimum is reached at
    z = -1.27846 / beta, so g is not monotonic, and g is smooth. The slope
    peaks at 1.09984 whatever beta is. In the far left tail, where
    sigmoid(beta z) is subnormal, the product is formed from a rescaled
    exponential so that it keeps full precision.

    Examples
    --------
    >>> from actlab import activations
    >>> silu = activations.get("swish")
    >>> float(silu(0.0)), float(silu.derivative(0.0)), silu.name
    (0.0, 0.5, 'silu')
    """
    x = z if beta == 1 else beta * z
    tail = x < nx.log_tiny(x)
    out = special.expit(x)
    np.multiply(out, z, out=out, where=~tail)
    return nx.patch(out, tail, _silu_tail, x, z)


def _silu_tail(x, z):
    return nx.exp_times(x, nx.finite_below(z))


def _silu_derivative(z, beta):
    x = np.clip(z if beta == 1 else beta * z, -_SLOPE_CLIP, _SLOPE_CLIP)
    out = special.expit(np.negative(x))
    out *= x
    out += 1
    out *= special.expit(x)
    return nx.patch(out, x < nx.log_tiny(x), _silu_slope_tail, x)


def _silu_slope_tail(x):
    return nx.exp_times(x, 1 + x)


def _silu_properties(beta):
    low = SILU_MINIMUM / beta
    return {
        "output_range": (low, INF),
        "range_text": f"[{low:.5g}, inf)",
        "extra": {"argmin": _SILU_ARGMIN / beta},
    }


SPECS.append(
    Spec(
        name="silu",
        aliases=("swish",),
        formula=r"g(z) = z\,\sigma(\beta z)",
        derivative_formula=(
            r"g'(z) = \sigma(\beta z)\,\bigl(1 + \beta z\,\sigma(-\beta z)\bigr)"
        ),
        value=_silu,
        derivative=_silu_derivative,
        parameters=(
            Parameter(
                "beta",
                1.0,
                "Gate sharpness: beta -> 0 tends to z / 2, large beta to ReLU.",
                low=0.0,
                low_open=True,
                slider=(0.1, 10.0),
            ),
        ),
        output_range=(SILU_MINIMUM, INF),
        range_text="[-0.27846, inf)",
        description=(
            "Multiplies z by its own sigmoid, so the input gates itself: large "
            "positive z passes almost unchanged and large negative z is "
            "switched off, with a smooth dip below zero in between. It behaves "
            "like a smooth ReLU that keeps a small gradient for negative "
            "inputs, and its slope slightly exceeds 1 just above zero."
        ),
        roles=frozenset({Role.HIDDEN}),
        monotonic=False,
        flat_regions="z << 0 (beta z < -9 gives a slope below 0.001)",
        max_derivative=SILU_MAX_SLOPE,
        initialiser="he",
        depends_on_params=_silu_properties,
        extra={"argmin": _SILU_ARGMIN},
    )
)


_SQRT_HALF = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327
# scipy.special.ndtr is within about 3 ulp for z >= -1 but loses accuracy
# further left: about 100 ulp near z = -10 and 1000 near z = -37 (measured
# against mpmath with SciPy 1.17), so the left tail uses erfcx instead.
_GELU_TAIL_START = -1.0
_GELU_ZERO_BELOW = -40.0  # gelu and its slope underflow to 0 in float64 here

# tanh form: t = 2 sqrt(2/pi) (z + 0.044715 z^3) = A z + B z^3, as hi + lo pairs
# so that t is exact to about 2**-100 relative. Rounding t in plain float64
# would cost |t| ulp in sigmoid(t), hundreds of ulp in the left tail.
_A_HI, _A_LO = 1.5957691216057308, -9.96930880911092e-17
_B_HI, _B_LO = 0.07135481627260025, -6.175149918155315e-19
_GELU_TANH_CLIP = 30.0  # |t(30)| = 1974, so both tails are exact at +-30
_GELU_TANH_PLAIN_ABOVE = -0.125


@nx.in_float64
def _gelu(z, approximate):
    r"""GELU, z times the standard normal CDF, exact or in its tanh form.

    .. math::

        g(z) = z\,\Phi(z), \qquad g'(z) = \Phi(z) + z\,\varphi(z)

    with Phi and phi the standard normal CDF and density. With
    ``approximate="tanh"``,

    .. math::

        g(z) = \tfrac{1}{2} z \left(1 + \tanh u\right) = z\,\sigma(2u), \quad
        u = \sqrt{2/\pi}\,(z + 0.044715 z^3)

    and g' follows from the product rule. The output lies in
    [-0.169971, inf) (tanh form: [-0.170041, inf)); g is smooth and not
    monotonic, with its minimum near z = -0.752. The exact form uses
    ``scipy.special.ndtr`` for z >= -1 and, further left, ``erfcx`` times an
    exp(-z**2 / 2) whose argument is split to stay exact. float64 values there
    are within 8 ulp (the largest error measured is 4.3 ulp), limited by
    erfcx, which is itself within about 4 ulp. float32 and float16 are
    computed in float64. The tanh form evaluates its cubic in double-double
    arithmetic, so it stays within 4 ulp in the left tail too.

    Examples
    --------
    >>> from actlab import activations
    >>> gelu = activations.get("gelu")
    >>> float(gelu(0.0)), float(gelu.derivative(0.0))
    (0.0, 0.5)
    """
    if approximate == "tanh":
        return _gelu_tanh(z)
    tail = z < _GELU_TAIL_START
    out = special.ndtr(z)
    np.multiply(out, z, out=out, where=~tail)
    return nx.patch(out, tail, _gelu_left_tail, z)


def _gelu_left_tail(z):
    z = np.maximum(z, _GELU_ZERO_BELOW)
    big, small, scale = nx.exp_minus_half_square(z)
    out = special.erfcx(z * -_SQRT_HALF)
    out *= 0.5 * z
    out *= small
    out *= big
    out *= scale
    return out


@nx.in_float64
def _gelu_derivative(z, approximate):
    if approximate == "tanh":
        return _gelu_tanh_derivative(z)
    z = np.clip(z, _GELU_ZERO_BELOW, -_GELU_ZERO_BELOW)
    density = np.square(z)
    density *= -0.5
    np.exp(density, out=density)
    density *= _INV_SQRT_2PI * z
    out = special.ndtr(z)
    out += density
    return nx.patch(out, z < _GELU_TAIL_START, _gelu_slope_left_tail, z)


def _gelu_slope_left_tail(z):
    big, small, scale = nx.exp_minus_half_square(z)
    out = special.erfcx(z * -_SQRT_HALF)
    out *= 0.5
    out += _INV_SQRT_2PI * z
    out *= small
    out *= big
    out *= scale
    return out


def _gelu_tanh_argument(z):
    """Return (t, t_lo), t + t_lo = A z + B z**3 in double-double arithmetic."""
    square, square_lo = nx.two_product(z, z)
    cubic, cubic_lo = nx.two_product(np.full_like(z, _B_HI), square)
    cubic_lo += _B_HI * square_lo + _B_LO * square
    inner, inner_lo = nx.two_sum(np.full_like(z, _A_HI), cubic)
    inner_lo += cubic_lo + _A_LO
    t, t_lo = nx.two_product(inner, z)
    t_lo += inner_lo * z
    return t, t_lo


def _gelu_tanh_inner_slope(z):
    """Return z * dt/dz = z (A + 3 B z**2) in plain arithmetic."""
    out = np.square(z)
    out *= 3 * _B_HI
    out += _A_HI
    out *= z
    return out


def _gelu_tanh(z):
    # Plain arithmetic is accurate for t > -0.2, where an absolute error in t
    # barely moves sigmoid(t); the rest goes through double-double.
    left = z < _GELU_TANH_PLAIN_ABOVE
    clipped = np.clip(z, -_GELU_TANH_CLIP, _GELU_TANH_CLIP)
    t = np.square(clipped)
    t *= _B_HI
    t += _A_HI
    t *= clipped
    out = special.expit(t)
    np.multiply(out, z, out=out, where=~left)
    return nx.patch(out, left, _gelu_tanh_left, z)


def _gelu_tanh_left(z):
    clipped = np.maximum(z, -_GELU_TANH_CLIP)
    t, t_lo = _gelu_tanh_argument(clipped)
    # sigmoid(t + t_lo) = sigmoid(t) * (1 + t_lo * sigmoid(-t)) to first order.
    factor = special.expit(np.negative(t))
    factor *= t_lo
    factor += 1
    factor *= clipped
    tail = t < nx.log_tiny(t)
    out = special.expit(t)
    np.multiply(out, factor, out=out, where=~tail)
    return nx.patch(out, tail, nx.exp_times, t, factor)


def _gelu_tanh_derivative(z):
    left = z < _GELU_TANH_PLAIN_ABOVE
    clipped = np.clip(z, -_GELU_TANH_CLIP, _GELU_TANH_CLIP)
    inner_slope = _gelu_tanh_inner_slope(clipped)
    t = np.square(clipped)
    t *= _B_HI
    t += _A_HI
    t *= clipped
    out = nx.sigmoid_slope(t)
    out *= inner_slope
    out += special.expit(t)
    return nx.patch(out, left, _gelu_tanh_slope_left, z)


def _gelu_tanh_slope_left(z):
    z = np.maximum(z, -_GELU_TANH_CLIP)
    t, t_lo = _gelu_tanh_argument(z)
    inner_slope = _gelu_tanh_inner_slope(z)
    gate = special.expit(t)
    # First-order corrections for t_lo: sigma' = sigma (1 - sigma) and
    # sigma'' = sigma' (1 - 2 sigma).
    out = nx.sigmoid_slope(t) * (1 + t_lo * (1 - 2 * gate)) * inner_slope
    out += gate * (1 + t_lo * (1 - gate))
    tail = t < nx.log_tiny(t)
    return nx.patch(out, tail, _gelu_tanh_slope_tail, t, t_lo, inner_slope)


def _gelu_tanh_slope_tail(t, t_lo, inner_slope):
    # sigmoid(t) = sigmoid'(t) = exp(t) here, so g' = exp(t + t_lo) (1 + z t').
    return nx.exp_times(t, (1 + inner_slope) * (1 + t_lo))


def _gelu_properties(approximate):
    if approximate == "tanh":
        return {
            "formula": r"g(z) = \tfrac12 z\,\bigl(1 + \tanh u\bigr),\ "
            r"u = \sqrt{2/\pi}\,(z + 0.044715 z^3)",
            "derivative_formula": r"g'(z) = \sigma(2u) + z\,\sigma(2u)\,"
            r"\sigma(-2u)\,\sqrt{8/\pi}\,(1 + 0.134145 z^2)",
            "output_range": (GELU_TANH_MINIMUM, INF),
            "range_text": "[-0.17004, inf)",
            "max_derivative": GELU_TANH_MAX_SLOPE,
        }
    return {}


SPECS.append(
    Spec(
        name="gelu",
        formula=r"g(z) = z\,\Phi(z)",
        derivative_formula=r"g'(z) = \Phi(z) + z\,\varphi(z)",
        value=_gelu,
        derivative=_gelu_derivative,
        parameters=(
            Parameter(
                "approximate",
                "none",
                'The exact form "none" or the tanh approximation "tanh".',
                choices=("none", "tanh"),
            ),
        ),
        output_range=(GELU_MINIMUM, INF),
        range_text="[-0.16997, inf)",
        description=(
            "Weights z by the probability that a standard normal variable is "
            "below z, a smooth gate that keeps positive inputs and fades "
            "negative ones. It is a common choice in transformer models. The tanh "
            "form replaces the normal CDF with a tanh of a cubic and stays "
            "within 0.0005 of the exact curve everywhere."
        ),
        roles=frozenset({Role.HIDDEN}),
        monotonic=False,
        flat_regions="z << 0 (z < -3.9 gives a slope below 0.001)",
        max_derivative=GELU_MAX_SLOPE,
        initialiser="he",
        depends_on_params=_gelu_properties,
    )
)


def _mish(z):
    r"""Mish: z times tanh of softplus.

    .. math::

        g(z) = z \tanh\bigl(\mathrm{sp}(z)\bigr), \qquad
        g'(z) = \tanh\bigl(\mathrm{sp}(z)\bigr)
        + z\,\sigma(z)\,\mathrm{sech}^2\bigl(\mathrm{sp}(z)\bigr)

    with sp(z) = log(1 + e^z). The output lies in [-0.30884, inf), with the
    minimum at z = -1.19243, so g is not monotonic; g is smooth. sech^2 is
    computed as (2 e / (1 + e^2))^2 with e = exp(-sp(z)), which avoids the
    cancellation in 1 - tanh^2 and cannot overflow.

    Examples
    --------
    >>> from actlab import activations
    >>> mish = activations.get("mish")
    >>> float(mish(0.0)), round(float(mish.derivative(0.0)), 6)
    (0.0, 0.6)
    """
    tail = z < nx.log_tiny(z)
    out = nx.softplus(z)
    np.tanh(out, out=out)
    np.multiply(out, z, out=out, where=~tail)
    return nx.patch(out, tail, _mish_tail, z)


def _mish_tail(z):
    # tanh(softplus(z)) = exp(z) to the last bit once exp(z) is subnormal.
    return nx.exp_times(z, nx.finite_below(z))


def _mish_derivative(z):
    z = np.clip(z, -_SLOPE_CLIP, _SLOPE_CLIP)
    softplus = nx.softplus(z)
    # sech(sp) = 2 e / (1 + e^2) with e = exp(-sp) <= 1, so nothing overflows.
    e = np.negative(softplus)
    np.exp(e, out=e)
    second = np.square(e)
    second += 1
    np.divide(e, second, out=second)
    second *= 2
    second *= second
    second *= special.expit(z)
    second *= z
    out = np.tanh(softplus)
    out += second
    return nx.patch(out, z < nx.log_tiny(z), _silu_slope_tail, z)


SPECS.append(
    Spec(
        name="mish",
        formula=r"g(z) = z \tanh\bigl(\log(1 + e^{z})\bigr)",
        derivative_formula=(
            r"g'(z) = \tanh(\mathrm{sp}(z)) + z\,\sigma(z)\,"
            r"\mathrm{sech}^2(\mathrm{sp}(z))"
        ),
        value=_mish,
        derivative=_mish_derivative,
        output_range=(MISH_MINIMUM, INF),
        range_text="[-0.30884, inf)",
        description=(
            "Gates z with the hyperbolic tangent of its softplus. The curve is "
            "close to SiLU, with a slightly deeper dip for negative inputs and "
            "a smoother transition, and it is unbounded above like ReLU. It "
            "costs more to compute than SiLU, whose curve it follows to within "
            "0.19 everywhere."
        ),
        roles=frozenset({Role.HIDDEN}),
        monotonic=False,
        flat_regions="z << 0 (z < -9 gives a slope below 0.001)",
        max_derivative=MISH_MAX_SLOPE,
        initialiser="he",
    )
)
