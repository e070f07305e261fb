"""Accuracy of every registered activation against high-precision references.

mpmath evaluates each function and its derivative at the exact dtype value of
every sample point, at 40 significant digits. Values must agree within 4 ulp
of the reference. Derivatives must agree within 4 ulp of the sum of the
absolute values of their terms, so that a derivative that is a difference of
two terms (silu' near its zero) is held to the precision of the terms.
"""

from __future__ import annotations

import functools
import json
import math
import pathlib
from collections.abc import Callable
from dataclasses import dataclass

import mpmath as mp
import numpy as np
import pytest

from actlab import activations

DTYPES = (np.float16, np.float32, np.float64)
ULPS = 4
# The exact gelu relies on scipy.special.erfcx for z < -1, itself within about
# 4 ulp, so its float64 values are held to the 8 ulp that its docstring states.
FLOAT64_VALUE_ULPS = {"gelu-approximate=none": 8}
DIGITS = 40
EDGE_CASES = pathlib.Path(__file__).parent / "data" / "activation-edge-cases.json"

SELU_SCALE = mp.mpf("1.0507009873554804934193349852946")
SELU_ALPHA = mp.mpf("1.6732632423543772848170429916717")


def _sigma(x):
    return 1 / (1 + mp.exp(-x))


def _ncdf(x):
    if abs(x) > 1000:
        # mpmath's erfc fails for huge arguments; the leading asymptotic term is
        # within 1e-6 here, where every dtype rounds the tail to 0 anyway.
        tail = _npdf(x) / abs(x)
        return tail if x < 0 else 1 - tail
    return mp.erfc(-x / mp.sqrt(2)) / 2


def _npdf(x):
    return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


def _softplus(x):
    return x + mp.log1p(mp.exp(-x)) if x > 0 else mp.log1p(mp.exp(x))


def _hard_sigmoid(x):
    return min(max(x + 3, 0), 6) / 6


def _hard_swish_slope(x):
    if x <= -3:
        return 0
    if x >= 3:
        return 1
    return (2 * x + 3) / 6


def _gelu_tanh_argument(x):
    """Return (t, dt/dx) with t = 2 sqrt(2/pi) (x + 0.044715 x^3)."""
    a = 2 * mp.sqrt(2 / mp.pi)
    k = mp.mpf("0.044715")
    return a * (x + k * x**3), a * (1 + 3 * k * x**2)


@dataclass(frozen=True)
class Reference:
    """mpmath forms of g(x) and of the terms whose sum is g'(x)."""

    value: Callable
    slope_terms: Callable


def _piecewise_slope(function):
    return lambda x, p: [function(x, p)]


REFERENCES = {
    "sigmoid": Reference(lambda x, p: _sigma(x), lambda x, p: [_sigma(x) * _sigma(-x)]),
    "relu": Reference(
        lambda x, p: max(x, 0), _piecewise_slope(lambda x, p: 1 if x > 0 else 0)
    ),
    "linear": Reference(lambda x, p: x, lambda x, p: [1]),
    "tanh": Reference(lambda x, p: mp.tanh(x), lambda x, p: [mp.sech(x) ** 2]),
    "softplus": Reference(
        lambda x, p: _softplus(p["beta"] * x) / p["beta"],
        lambda x, p: [_sigma(p["beta"] * x)],
    ),
    "softsign": Reference(
        lambda x, p: x / (1 + abs(x)), lambda x, p: [1 / (1 + abs(x)) ** 2]
    ),
    "log_sigmoid": Reference(lambda x, p: -_softplus(-x), lambda x, p: [_sigma(-x)]),
    "leaky_relu": Reference(
        lambda x, p: x if x > 0 else p["negative_slope"] * x,
        _piecewise_slope(lambda x, p: 1 if x > 0 else p["negative_slope"]),
    ),
    "elu": Reference(
        lambda x, p: x if x > 0 else p["alpha"] * mp.expm1(x),
        _piecewise_slope(lambda x, p: 1 if x > 0 else p["alpha"] * mp.exp(x)),
    ),
    "selu": Reference(
        lambda x, p: SELU_SCALE * (x if x > 0 else SELU_ALPHA * mp.expm1(x)),
        _piecewise_slope(
            lambda x, p: SELU_SCALE * (1 if x > 0 else SELU_ALPHA * mp.exp(x))
        ),
    ),
    "celu": Reference(
        lambda x, p: x if x > 0 else p["alpha"] * mp.expm1(x / p["alpha"]),
        _piecewise_slope(lambda x, p: 1 if x > 0 else mp.exp(x / p["alpha"])),
    ),
    "silu": Reference(
        lambda x, p: x * _sigma(p["beta"] * x),
        lambda x, p: [
            _sigma(p["beta"] * x),
            p["beta"] * x * _sigma(p["beta"] * x) * _sigma(-p["beta"] * x),
        ],
    ),
    "gelu": Reference(
        lambda x, p: (
            x * _sigma(_gelu_tanh_argument(x)[0])
            if p["approximate"] == "tanh"
            else x * _ncdf(x)
        ),
        lambda x, p: (
            [
                _sigma(_gelu_tanh_argument(x)[0]),
                x
                * _gelu_tanh_argument(x)[1]
                * _sigma(_gelu_tanh_argument(x)[0])
                * _sigma(-_gelu_tanh_argument(x)[0]),
            ]
            if p["approximate"] == "tanh"
            else [_ncdf(x), x * _npdf(x)]
        ),
    ),
    "mish": Reference(
        lambda x, p: x * mp.tanh(_softplus(x)),
        lambda x, p: [
            mp.tanh(_softplus(x)),
            x * _sigma(x) * mp.sech(_softplus(x)) ** 2,
        ],
    ),
    "relu6": Reference(
        lambda x, p: min(max(x, 0), 6),
        _piecewise_slope(lambda x, p: 1 if 0 < x < 6 else 0),
    ),
    "hard_sigmoid": Reference(
        lambda x, p: _hard_sigmoid(x),
        _piecewise_slope(lambda x, p: mp.mpf(1) / 6 if -3 < x < 3 else 0),
    ),
    "hard_swish": Reference(
        lambda x, p: x * _hard_sigmoid(x),
        _piecewise_slope(lambda x, p: _hard_swish_slope(x)),
    ),
    "hard_tanh": Reference(
        lambda x, p: min(max(x, -1), 1),
        _piecewise_slope(lambda x, p: 1 if -1 < x < 1 else 0),
    ),
}
ELEMENTWISE = [
    name for name in activations.names() if not activations.spec(name).vector
]
VECTOR = [name for name in activations.names() if activations.spec(name).vector]


def _variants(with_numbers: bool) -> list[tuple[str, dict]]:
    """Return (name, params) for every entry at its defaults, plus variants.

    Every choice of a string parameter is a variant. With ``with_numbers``, so
    is each end of every numeric parameter's slider range.
    """
    variants = []
    for spec in activations.specs():
        variants.append((spec.name, {}))
        for parameter in spec.parameters:
            if parameter.choices:
                others = [c for c in parameter.choices if c != parameter.default]
                variants += [(spec.name, {parameter.name: c}) for c in others]
            elif with_numbers and not parameter.integer:
                variants += [(spec.name, {parameter.name: v}) for v in parameter.slider]
    return variants


def _variant_id(variant) -> str:
    name, params = variant
    return name + "".join(f"-{k}={v}" for k, v in params.items())


def _all_kinks() -> list[float]:
    kinks = set()
    for name, params in _variants(with_numbers=True):
        kinks.update(activations.get(name, **params).bound_spec.kinks)
    return sorted(kinks)


@functools.cache
def sample_points(dtype) -> np.ndarray:
    """Return the sweep's inputs for ``dtype``, sorted and distinct.

    Log-spaced magnitudes over [1e-7, 1e4] of both signs; 0, the smallest
    subnormal, the smallest normal and the largest finite value of both signs;
    every kink and its neighbours one ulp away; and points where exp(-|z|),
    exp(-2|z|), exp(-z^2 / 2) and exp(-0.07 |z|^3) cross into the subnormals,
    the tails where a careless formula loses its digits.
    """
    info = np.finfo(dtype)
    magnitudes = np.geomspace(1e-7, 1e4, 45)
    normal, subnormal = -math.log(info.tiny), -math.log(info.smallest_subnormal)
    exponents = np.linspace(0.9 * normal, 1.02 * subnormal, 7)
    tails = np.concatenate(
        [exponents, exponents / 2, np.sqrt(2 * exponents), np.cbrt(exponents / 0.0714)]
    )
    edges = [info.smallest_subnormal, info.tiny, info.max]
    positive = np.concatenate([magnitudes, tails, edges])
    with np.errstate(over="ignore"):
        points = np.concatenate([-positive, [0.0], positive]).astype(dtype)
    kinks = np.array(_all_kinks(), dtype=dtype)
    neighbours = [
        np.nextafter(kinks, dtype(-np.inf)),
        np.nextafter(kinks, dtype(np.inf)),
    ]
    points = np.concatenate([points[np.isfinite(points)], kinks, *neighbours])
    return np.unique(points)


def _to_dtype(reference, dtype):
    with np.errstate(over="ignore"):
        return np.asarray(float(reference)).astype(dtype)


def _ulp(magnitude, dtype) -> float:
    """Return the spacing of ``dtype`` at ``magnitude``, floored at subnormals."""
    rounded = np.abs(_to_dtype(magnitude, dtype))
    with np.errstate(over="ignore"):
        spacing = np.spacing(rounded)
    if not np.isfinite(spacing):  # the largest finite value has no next one
        spacing = rounded - np.nextafter(rounded, dtype(0))
    return max(float(spacing), float(np.finfo(dtype).smallest_subnormal))


def _mp_params(params: dict) -> dict:
    return {k: v if isinstance(v, str) else mp.mpf(v) for k, v in params.items()}


@functools.cache
def _references(name: str, params_key: tuple, dtype) -> tuple[list, list]:
    """Return (values, slope terms) at every sample point, cached per module."""
    reference = REFERENCES[name]
    params = _mp_params(activations.get(name, **dict(params_key)).params)
    values, terms = [], []
    with mp.workdps(DIGITS):
        for z in sample_points(dtype):
            x = mp.mpf(float(z))
            values.append(reference.value(x, params))
            terms.append(reference.slope_terms(x, params))
    return values, terms


def _mismatches(got, references, scales, dtype, ulps, points) -> list[str]:
    """Describe every point where ``got`` is off by more than ``ulps`` ulp."""
    problems = []
    for z, value, reference, scale in zip(points, got, references, scales, strict=True):
        expected = _to_dtype(reference, dtype)
        if not np.isfinite(expected):
            if value != expected:
                problems.append(f"z={z!r}: got {value!r}, expected {expected!r}")
            continue
        if not np.isfinite(value):
            problems.append(f"z={z!r}: got {value!r}, expected {float(reference)!r}")
            continue
        error = float(abs(mp.mpf(float(value)) - reference)) / _ulp(scale, dtype)
        if error > ulps:
            problems.append(
                f"z={z!r}: got {value!r}, expected {float(reference)!r}, "
                f"off by {error:.1f} ulp"
            )
    return problems


def _assert_no_mismatches(problems, label):
    listed = "\n".join(problems[:8])
    assert not problems, f"{len(problems)} {label} outside tolerance:\n{listed}"


ELEMENTWISE_VARIANTS = [v for v in _variants(with_numbers=False) if v[0] in ELEMENTWISE]


def test_references_cover_registry():
    assert sorted(REFERENCES) == sorted(ELEMENTWISE)
    assert VECTOR == ["softmax"], "a new vector entry needs its own reference"


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("variant", ELEMENTWISE_VARIANTS, ids=_variant_id)
def test_value_matches_reference(variant, dtype):
    name, params = variant
    act = activations.get(name, **params)
    points = sample_points(dtype)
    values, _ = _references(name, tuple(params.items()), dtype)
    key = _variant_id((name, act.params))
    ulps = FLOAT64_VALUE_ULPS.get(key, ULPS) if dtype == np.float64 else ULPS

    got = act(points)

    assert got.dtype == dtype
    problems = _mismatches(got, values, values, dtype, ulps, points)
    _assert_no_mismatches(problems, f"{name} values")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("variant", ELEMENTWISE_VARIANTS, ids=_variant_id)
def test_derivative_matches_reference(variant, dtype):
    name, params = variant
    act = activations.get(name, **params)
    points = sample_points(dtype)
    _, terms = _references(name, tuple(params.items()), dtype)
    off_kink = ~np.isin(points, np.array(act.bound_spec.kinks, dtype=dtype))
    slopes = [mp.fsum(t) for t in terms]
    scales = [mp.fsum(abs(term) for term in t) for t in terms]

    got = act.derivative(points)

    assert got.dtype == dtype
    keep = np.flatnonzero(off_kink)
    problems = _mismatches(
        got[keep],
        [slopes[i] for i in keep],
        [scales[i] for i in keep],
        dtype,
        ULPS,
        points[keep],
    )
    _assert_no_mismatches(problems, f"{name} derivatives")


# --- softmax: values, Jacobian diagonal and Jacobian-vector products ---------

JVP_DIRECTION = (1.0, -2.0, 0.5)


@functools.cache
def softmax_rows(dtype) -> np.ndarray:
    """Return rows of three logits built from the sweep's finite points.

    Rows [p, 0, -p] put one logit far above the others, and rows mixing
    points of different sizes give every pattern of dominance.
    """
    p = sample_points(dtype)
    zeros = np.zeros_like(p)
    mixed = np.stack([p, np.roll(p, 1), np.roll(p, 17)], axis=1)
    return np.concatenate([np.stack([p, zeros, -p], axis=1), mixed])


@functools.cache
def _softmax_references(dtype) -> list[tuple[list, list, list]]:
    """Return per row (s, diagonal terms, JVP terms) at 40 digits."""
    rows = []
    with mp.workdps(DIGITS):
        v = [mp.mpf(x) for x in JVP_DIRECTION]
        for row in softmax_rows(dtype):
            z = [mp.mpf(float(x)) for x in row]
            top = max(z)
            weights = [mp.exp(x - top) for x in z]
            total = mp.fsum(weights)
            s = [w / total for w in weights]
            n = range(len(z))
            diagonal = [[s[i] * mp.fsum(s[j] for j in n if j != i)] for i in n]
            jvp = [
                [s[i] * s[j] * v[i] for j in n if j != i]
                + [-s[i] * s[j] * v[j] for j in n if j != i]
                for i in n
            ]
            rows.append((s, diagonal, jvp))
    return rows


def _softmax_check(got, references, dtype, ulps) -> list[str]:
    """Compare each row of ``got`` with (terms per entry) references."""
    problems = []
    rows = softmax_rows(dtype)
    for row, values, terms in zip(rows, got, references, strict=True):
        exact = [mp.fsum(t) for t in terms]
        scales = [mp.fsum(abs(x) for x in t) for t in terms]
        found = _mismatches(values, exact, scales, dtype, ulps, row)
        problems += [f"row {row.tolist()}: {p}" for p in found]
    return problems


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_softmax_value_matches_reference(dtype):
    softmax = activations.get("softmax")
    references = [[[x] for x in s] for s, _, _ in _softmax_references(dtype)]

    got = softmax(softmax_rows(dtype))

    assert got.dtype == dtype
    _assert_no_mismatches(_softmax_check(got, references, dtype, ULPS), "softmax")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_softmax_diagonal_matches_reference(dtype):
    softmax = activations.get("softmax")
    references = [diagonal for _, diagonal, _ in _softmax_references(dtype)]

    got = softmax.derivative(softmax_rows(dtype))

    assert got.dtype == dtype
    problems = _softmax_check(got, references, dtype, ULPS)
    _assert_no_mismatches(problems, "softmax diagonals")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_softmax_jvp_matches_reference(dtype):
    softmax = activations.get("softmax")
    rows = softmax_rows(dtype)
    direction = np.broadcast_to(np.array(JVP_DIRECTION, dtype=dtype), rows.shape)
    references = [jvp for _, _, jvp in _softmax_references(dtype)]

    got = softmax.derivative(rows, direction)

    assert got.dtype == dtype
    problems = _softmax_check(got, references, dtype, ULPS)
    _assert_no_mismatches(problems, "softmax Jacobian-vector products")


# --- finite differences ----------------------------------------------------

# Offset so that no point sits at 0, where several entries are C1 but not C2
# and a central difference would be off by h times the jump in g''.
FD_POINTS = np.concatenate(
    [np.linspace(-6.0, 6.0, 97) + 0.01, [-20.0, -10.0, 10.0, 20.0]]
)


def _central_difference(function, z, h, direction=1.0):
    return (function(z + h * direction) - function(z - h * direction)) / (2 * h)


@pytest.mark.parametrize(
    "variant",
    [v for v in _variants(with_numbers=True) if v[0] in ELEMENTWISE],
    ids=_variant_id,
)
def test_derivative_matches_finite_difference(variant):
    name, params = variant
    act = activations.get(name, **params)
    kinks = np.array(act.bound_spec.kinks or [np.inf])
    distance = np.min(np.abs(FD_POINTS[:, None] - kinks[None, :]), axis=1)
    z = FD_POINTS[distance > 1e-3]
    h = 1e-6 * np.maximum(1.0, np.abs(z))

    estimate = _central_difference(act, z, h)

    np.testing.assert_allclose(act.derivative(z), estimate, rtol=1e-6, atol=1e-8)


def test_softmax_jvp_matches_finite_differences():
    softmax = activations.get("softmax")
    rng = np.random.default_rng(7)
    z = rng.normal(scale=3.0, size=(6, 4))
    v = rng.normal(size=(6, 4))
    h = 1e-6
    jacobian = np.stack(
        [_central_difference(softmax, z, h, np.eye(4)[j]) for j in range(4)],
        axis=-1,
    )  # jacobian[b, i, j] = d s_i / d z_j

    expected = np.einsum("bij,bj->bi", jacobian, v)

    np.testing.assert_allclose(softmax.derivative(z, v), expected, atol=1e-8)
    np.testing.assert_allclose(
        softmax.derivative(z), np.einsum("bii->bi", jacobian), atol=1e-8
    )


def test_softmax_jvp_along_first_axis():
    softmax = activations.get("softmax", axis=0)
    rng = np.random.default_rng(8)
    z = rng.normal(size=(4, 3))
    v = rng.normal(size=(4, 3))
    last_axis = activations.get("softmax", axis=-1)

    np.testing.assert_allclose(softmax(z), last_axis(z.T).T, rtol=1e-15)
    np.testing.assert_allclose(
        softmax.derivative(z, v), last_axis.derivative(z.T, v.T).T, rtol=1e-14
    )


def test_reference_slopes_match_mpmath_diff():
    """The closed-form reference derivatives agree with mpmath's diff."""
    points = [-7.25, -2.5, -1.25, -0.3, 0.7, 1.9, 4.5, 8.0]
    with mp.workdps(30):
        for name, params in ELEMENTWISE_VARIANTS:
            reference = REFERENCES[name]
            p = _mp_params(activations.get(name, **params).params)
            for x in (mp.mpf(v) for v in points):
                slope = mp.fsum(reference.slope_terms(x, p))
                numeric = mp.diff(lambda t, p=p, r=reference: r.value(t, p), x)
                assert abs(slope - numeric) <= mp.mpf(10) ** -20 * (1 + abs(slope)), (
                    f"{name} {params} at {x}"
                )


# --- the project's edge cases ----------------------------------------------


def _load_edge_cases() -> list[dict]:
    with EDGE_CASES.open(encoding="utf-8") as file:
        return json.load(file)["cases"]


def _edge_array(values, dtype) -> np.ndarray:
    """Convert nested lists with "inf"/"-inf"/"nan" strings to an array."""

    def convert(item):
        if isinstance(item, list):
            return [convert(x) for x in item]
        return float(item)

    with np.errstate(over="ignore"):
        return np.array(convert(values), dtype=np.float64).astype(dtype)


@pytest.mark.parametrize("case", _load_edge_cases(), ids=lambda c: c["id"])
def test_edge_case(case):
    dtype = np.dtype(case["dtype"])
    act = activations.get(case["function"], **case["params"])
    z = _edge_array(case["input"], dtype)
    tolerance = {"rtol": case["rtol"], "atol": case["atol"]}

    if "value" in case["checks"]:
        got = act(z)
        assert got.dtype == dtype
        expected = _edge_array(case["expected"], dtype)
        np.testing.assert_allclose(got, expected, **tolerance, strict=True)
    if "derivative" in case["checks"]:
        got = act.derivative(z)
        assert got.dtype == dtype
        expected = _edge_array(case["expected_derivative"], dtype)
        np.testing.assert_allclose(got, expected, **tolerance, strict=True)


def test_edge_cases_cover_known_functions():
    functions = {case["function"] for case in _load_edge_cases()}
    assert functions <= set(activations.names())
