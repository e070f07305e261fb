"""The activation registry: its contract, its records and their properties.

This file checks that every record is complete and that what it claims
(range, monotonicity, kinks, flat and dead regions, ...) matches how the
function behaves. It also checks the API around the records. Accuracy against
mpmath and finite differences is in test_activations_accuracy.py.
"""

from __future__ import annotations

import doctest
import math
import re

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actlab import activations
from actlab.activations import (
    _entries,
    _entries_gated,
    _entries_hard,
    _entries_relu,
    _entries_softmax,
    _registry,
)

DTYPES = (np.float16, np.float32, np.float64)
INITIALISERS = {"he", "xavier", "lecun"}
ELEMENTWISE = [s.name for s in activations.specs() if not s.vector]
# A dense grid for checking claims; offset so that it misses every kink.
GRID = np.linspace(-50.0, 50.0, 200_001) + 1.234e-6


def _variants() -> list[tuple[str, dict]]:
    """Return (name, params): defaults, every choice and each slider end."""
    variants = []
    for spec in activations.specs():
        variants.append((spec.name, {}))
        for parameter in spec.parameters:
            if parameter.choices:
                values = [c for c in parameter.choices if c != parameter.default]
            elif parameter.integer:
                values = []
            else:
                values = list(parameter.slider)
            variants += [(spec.name, {parameter.name: v}) for v in values]
    return variants


def _variant_id(variant) -> str:
    name, params = variant
    return name + "".join(f"-{k}={v}" for k, v in params.items())


VARIANTS = [v for v in _variants() if v[0] in ELEMENTWISE]


def _bound(variant):
    name, params = variant
    act = activations.get(name, **params)
    return act, act.bound_spec


# --- registry ----------------------------------------------------------------


def test_names_are_unique_and_canonical():
    names = activations.names()
    aliases = [a for s in activations.specs() for a in s.aliases]

    assert len(names) == len(set(names))
    assert not set(names) & set(aliases)
    assert names == [s.name for s in activations.specs()]


def test_expected_entries_registered():
    expected = {
        "sigmoid", "relu", "linear", "tanh", "leaky_relu", "silu", "gelu",
        "elu", "selu", "celu", "softplus", "mish", "hard_sigmoid",
        "hard_swish", "hard_tanh", "relu6", "softsign", "log_sigmoid",
        "softmax",
    }  # fmt: skip

    assert expected <= set(activations.names())


@pytest.mark.parametrize(
    ("alias", "name"),
    [("swish", "silu"), ("identity", "linear"), ("Leaky-ReLU", "leaky_relu")],
)
def test_alias_resolves(alias, name):
    assert activations.spec(alias) is activations.spec(name)
    assert activations.get(alias).name == name


@pytest.mark.parametrize("spec", activations.specs(), ids=lambda s: s.name)
def test_every_alias_resolves(spec):
    for alias in spec.aliases:
        assert activations.spec(alias) is spec


def test_register_rejects_duplicate_name():
    with pytest.raises(ValueError, match="'relu' is already registered"):
        _registry.register(activations.spec("relu"))


def test_public_names_listed_in_all():
    public = {
        name
        for name, value in vars(activations).items()
        if not name.startswith("_") and not isinstance(value, type(activations))
    }

    assert set(activations.__all__) == public


# --- error messages ----------------------------------------------------------


def test_unknown_name_message():
    with pytest.raises(ValueError, match="unknown activation 'relux'") as error:
        activations.get("relux")

    assert "relu" in str(error.value)
    assert "swish" in str(error.value)


def test_non_string_name_message():
    with pytest.raises(ValueError, match="must be a string, got 3"):
        activations.spec(3)


def test_unknown_parameter_message():
    with pytest.raises(ValueError, match="unknown parameter 'slope'") as error:
        activations.get("leaky_relu", slope=0.2)

    assert "negative_slope" in str(error.value)


def test_parameter_on_parameterless_entry_message():
    with pytest.raises(ValueError, match="relu takes no parameters"):
        activations.get("relu", alpha=1.0)


@pytest.mark.parametrize(
    ("name", "params", "shown"),
    [
        ("celu", {"alpha": 0.0}, ["alpha=0.0", "(0, inf)"]),
        ("softplus", {"beta": -1}, ["beta=-1", "(0, inf)"]),
        ("elu", {"alpha": float("nan")}, ["alpha=nan", "finite"]),
        ("leaky_relu", {"negative_slope": float("inf")}, ["negative_slope=inf"]),
        ("silu", {"beta": "fast"}, ["beta='fast'", "number"]),
        ("silu", {"beta": True}, ["beta=True", "number"]),
        ("gelu", {"approximate": "fast"}, ["'fast'", "'none', 'tanh'"]),
        ("gelu", {"approximate": None}, ["approximate=None", "'none'"]),
        ("softmax", {"axis": 1.5}, ["axis=1.5", "integer"]),
        ("softmax", {"axis": "last"}, ["axis='last'", "integer"]),
        ("softmax", {"axis": True}, ["axis=True", "integer"]),
    ],
)
def test_invalid_parameter_message(name, params, shown):
    with pytest.raises(ValueError) as error:
        activations.get(name, **params)

    message = str(error.value)
    assert name in message
    for text in shown:
        assert text in message


@pytest.mark.parametrize("spec", activations.specs(), ids=lambda s: s.name)
def test_parameters_reject_bad_values(spec):
    for parameter in spec.parameters:
        bad = ["fast"] if not parameter.choices else [1.0, "no-such-choice"]
        if not parameter.choices:
            bad += [float("nan"), float("inf"), None]
        for value in bad:
            with pytest.raises(ValueError, match=re.escape(f"{value!r}")):
                activations.get(spec.name, **{parameter.name: value})


def test_parameter_accepts_valid_values():
    assert activations.get("leaky_relu", negative_slope=-2.0).params == {
        "negative_slope": -2.0
    }
    assert activations.get("elu", alpha="2").params == {"alpha": 2.0}
    assert activations.get("softmax", axis=np.int64(0)).params == {"axis": 0}
    assert activations.get("gelu", approximate="tanh").params == {"approximate": "tanh"}


def test_parameter_range_text():
    positive = _registry.Parameter("beta", 1.0, "", low=0.0, low_open=True)
    closed = _registry.Parameter("p", 0.5, "", low=0.0, high=1.0)
    free = _registry.Parameter("a", 0.0, "")

    assert positive.range_text() == "(0, inf)"
    assert closed.range_text() == "[0, 1]"
    assert free.range_text() == "(-inf, inf)"
    assert not positive.contains(0.0)
    assert closed.contains(1.0)


def test_softmax_axis_out_of_bounds_message():
    softmax = activations.get("softmax", axis=2)

    with pytest.raises(ValueError, match=r"invalid axis=2 .* \[-2, 1\]"):
        softmax(np.zeros((3, 4)))


def test_softmax_rejects_scalar():
    with pytest.raises(ValueError, match="at least one axis"):
        activations.get("softmax")(1.0)


def test_elementwise_derivative_rejects_vector():
    with pytest.raises(TypeError, match="relu is elementwise"):
        activations.get("relu").derivative([1.0], [1.0])


def test_complex_input_rejected():
    with pytest.raises(TypeError, match="complex128"):
        activations.get("tanh")(np.array([1 + 2j]))


# --- records -----------------------------------------------------------------


def _range_bounds(text: str) -> tuple[str, float, float, str]:
    match = re.match(r"([\[(])(-?[\w.]+), (-?[\w.]+)([\])])", text)
    assert match, f"range_text {text!r} is not an interval"
    left, low, high, right = match.groups()
    return left, float(low), float(high), right


@pytest.mark.parametrize("variant", _variants(), ids=_variant_id)
def test_record_fields_consistent(variant):
    _, spec = _bound(variant)
    low, high = spec.output_range
    left, text_low, text_high, right = _range_bounds(spec.range_text)

    assert spec.formula
    assert spec.derivative_formula
    assert low < high
    assert math.isclose(text_low, low, rel_tol=1e-4)
    assert math.isclose(text_high, high, rel_tol=1e-4)
    assert spec.bounded_below == math.isfinite(text_low)
    assert spec.bounded_above == math.isfinite(text_high)
    assert left == "(" or math.isfinite(low)
    assert right == ")" or math.isfinite(high)
    assert spec.can_die == bool(spec.dead_region)
    assert not spec.dead_region or spec.flat_regions
    assert not spec.saturates or spec.flat_regions
    assert spec.smooth == (not spec.kinks)
    assert len(spec.kink_derivative_values) == len(spec.kinks)
    assert bool(spec.kink_derivatives) or not spec.kinks
    assert spec.initialiser in INITIALISERS
    assert spec.max_derivative > 0


@pytest.mark.parametrize("spec", activations.specs(), ids=lambda s: s.name)
def test_description_is_a_paragraph(spec):
    words = spec.description.split()

    assert len(words) >= 20
    assert spec.description.rstrip().endswith(".")
    assert spec.description[0].isupper()


@pytest.mark.parametrize("spec", activations.specs(), ids=lambda s: s.name)
def test_doc_teaches(spec):
    assert ".. math::" in spec.doc
    assert "g'(z)" in spec.doc or "partial s_i" in spec.doc
    assert "Examples" in spec.doc
    assert "range" in spec.doc or "lies in" in spec.doc


@pytest.mark.parametrize("spec", activations.specs(), ids=lambda s: s.name)
def test_parameters_valid(spec):
    for parameter in spec.parameters:
        assert parameter.description
        assert parameter.validate(parameter.default, spec.name) == parameter.default
        if not parameter.choices and not parameter.integer:
            for end in parameter.slider:
                assert parameter.contains(end), f"{parameter.name} slider end {end}"


def test_roles():
    role = activations.Role
    by_name = {s.name: s.roles for s in activations.specs()}

    assert role.BINARY_OUTPUT in by_name["sigmoid"]
    assert role.MULTICLASS_OUTPUT in by_name["softmax"]
    assert role.REAL_OUTPUT in by_name["linear"]
    assert role.NONNEGATIVE_OUTPUT in by_name["relu"]
    assert role.NONNEGATIVE_OUTPUT in by_name["softplus"]
    # log_sigmoid is a building block of losses, so it has no role.
    assert not by_name["log_sigmoid"]
    for name, roles in by_name.items():
        assert roles or name == "log_sigmoid", f"{name} has no role"
        vector = activations.spec(name).vector
        assert (role.MULTICLASS_OUTPUT in roles) == vector, name
        if role.NONNEGATIVE_OUTPUT in roles:
            assert activations.spec(name).output_range[0] >= 0, name


def test_for_params_updates_dependent_fields():
    leaky_zero = activations.spec("leaky_relu").for_params(negative_slope=0.0)
    steep_elu = activations.spec("elu").for_params(alpha=2.0)
    silu = activations.get("silu", beta=2.0).bound_spec

    assert leaky_zero.can_die
    assert leaky_zero.output_range == (0.0, math.inf)
    assert steep_elu.kinks == (0.0,)
    assert steep_elu.kink_derivative_values == (2.0,)
    assert steep_elu.output_range == (-2.0, math.inf)
    assert silu.output_range[0] == pytest.approx(-0.27846454276107 / 2)
    assert activations.spec("elu").for_params() == activations.spec("elu")


# --- claims against behaviour ------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS, ids=_variant_id)
def test_monotonic_claim(variant):
    act, spec = _bound(variant)
    values = act(GRID)
    rises = values[1:] >= values[:-1]

    if spec.monotonic:
        assert np.all(rises)
    else:
        assert not np.all(rises)


@pytest.mark.parametrize("variant", VARIANTS, ids=_variant_id)
def test_output_range_claim(variant):
    act, spec = _bound(variant)
    low, high = spec.output_range
    far = np.array([-1e6, -1e300, 1e6, 1e300])
    values = act(np.concatenate([GRID, far]))

    assert values.min() >= low - 1e-12 * max(1.0, abs(low))
    assert values.max() <= high + 1e-12 * max(1.0, abs(high))
    lowest, highest = values.min(), values.max()
    if math.isfinite(low):
        assert lowest == pytest.approx(low, rel=1e-6, abs=1e-12)
    else:
        assert lowest < -1e5
    if math.isfinite(high):
        assert highest == pytest.approx(high, rel=1e-6, abs=1e-12)
    else:
        assert highest > 1e5


@pytest.mark.parametrize("variant", VARIANTS, ids=_variant_id)
def test_max_derivative_claim(variant):
    act, spec = _bound(variant)
    far = np.array([-1e3, -1e6, 1e3, 1e6])
    slopes = np.abs(act.derivative(np.concatenate([GRID, far])))

    assert slopes.max() <= spec.max_derivative * (1 + 1e-12)
    assert slopes.max() >= spec.max_derivative * 0.999


@pytest.mark.parametrize("variant", VARIANTS, ids=_variant_id)
def test_zero_centred_claim(variant):
    act, spec = _bound(variant)
    z = np.linspace(-12.0, 12.0, 480_001)
    density = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    mean = np.trapezoid(act(z) * density, z)

    if spec.zero_centred:
        assert abs(mean) < 1e-6
        assert act(0.0) == 0
    else:
        assert abs(mean) > 1e-3


@pytest.mark.parametrize("variant", VARIANTS, ids=_variant_id)
def test_flat_dead_and_saturating_claims(variant):
    act, spec = _bound(variant)
    far = np.abs(act.derivative(np.array([-1e3, 1e3])))
    edges = act.derivative(np.array([-20.0, 20.0]))

    assert bool(spec.flat_regions) == (far.min() < 1e-3)
    assert spec.saturates == (far.max() < 1e-3)
    assert bool(spec.dead_region) == bool(np.any(edges == 0))


def _slope_jumps(act) -> np.ndarray:
    """Return the points where g' jumps by more than 0.001.

    A steep but continuous g' also changes by that much over one grid step,
    so each such step is bisected 30 times, keeping the half where g' changes
    more. Only a real jump still changes by 0.001 over the final 1e-13.
    """
    slopes = act.derivative(GRID)
    steep = np.abs(np.diff(slopes)) > 1e-3
    left, right = GRID[:-1][steep], GRID[1:][steep]
    for _ in range(30):
        middle = (left + right) / 2
        at_left, at_middle, at_right = (
            act.derivative(x) for x in (left, middle, right)
        )
        first_half = np.abs(at_middle - at_left) >= np.abs(at_right - at_middle)
        left, right = (
            np.where(first_half, left, middle),
            np.where(first_half, middle, right),
        )
    jumps = np.abs(act.derivative(right) - act.derivative(left)) > 1e-3
    return left[jumps]


@pytest.mark.parametrize("variant", VARIANTS, ids=_variant_id)
def test_kinks_are_where_the_slope_jumps(variant):
    act, spec = _bound(variant)

    where = _slope_jumps(act)

    assert len(where) == len(spec.kinks), f"slope jumps at {where}"
    for kink, found in zip(spec.kinks, where, strict=True):
        assert abs(kink - found) < 1e-3


@pytest.mark.parametrize(
    "variant", [v for v in VARIANTS if _bound(v)[1].kinks], ids=_variant_id
)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_kink_derivative_at_exact_input(variant, dtype):
    act, spec = _bound(variant)
    for kink, chosen in zip(spec.kinks, spec.kink_derivative_values, strict=True):
        at_kink = act.derivative(np.array([kink], dtype=dtype))[0]
        beside = act.derivative(np.array([kink - 1e-3, kink + 1e-3]))

        assert at_kink == dtype(chosen), f"g'({kink}) = {at_kink}, expected {chosen}"
        assert np.isclose(beside, chosen, rtol=0.02).any(), "not a one-sided slope"
        if kink == 0:
            assert act.derivative(dtype(-0.0)) == at_kink


# --- nonfinite input ---------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS, ids=_variant_id)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_infinite_input_gives_limit(variant, dtype):
    act, _ = _bound(variant)
    biggest = np.finfo(dtype).max
    extremes = np.array([-biggest, biggest], dtype=dtype)
    at_extremes = act(extremes).astype(np.float64)
    grows = np.abs(at_extremes) >= 1e-3 * float(biggest)
    expected = np.where(grows, np.copysign(np.inf, at_extremes), at_extremes)

    infinite = np.array([-np.inf, np.inf], dtype=dtype)

    np.testing.assert_array_equal(act(infinite).astype(np.float64), expected)
    np.testing.assert_array_equal(act.derivative(infinite), act.derivative(extremes))


@pytest.mark.parametrize("variant", VARIANTS, ids=_variant_id)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_nan_input_gives_nan(variant, dtype):
    act, _ = _bound(variant)
    z = np.array([np.nan, 1.0], dtype=dtype)

    assert np.isnan(act(z)[0])
    assert np.isnan(act.derivative(z)[0])
    assert not np.isnan(act(z)[1])


def test_softmax_nonfinite_logits():
    softmax = activations.get("softmax")
    z = np.array(
        [
            [np.inf, 0.0, 1.0],
            [np.inf, np.inf, 1.0],
            [-np.inf, 0.0, 0.0],
            [-np.inf, -np.inf, -np.inf],
            [np.nan, 0.0, 1.0],
        ]
    )

    s = softmax(z)

    np.testing.assert_array_equal(s[0], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(s[1], [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(s[2], [0.0, 0.5, 0.5])
    assert np.isnan(s[3]).all()
    assert np.isnan(s[4]).all()
    assert np.isfinite(softmax.derivative(z[:3])).all()


# --- array handling: hypothesis -------------------------------------------------


SMALL_SHAPES = hnp.array_shapes(max_dims=3, max_side=5)


def _finite_arrays(dtype, shape=SMALL_SHAPES):
    bits = np.finfo(dtype).bits
    elements = st.floats(allow_nan=False, allow_infinity=False, width=bits)
    return hnp.arrays(dtype, shape, elements=elements)


@st.composite
def _array_case(draw, names):
    name = draw(st.sampled_from(names))
    dtype = draw(st.sampled_from(DTYPES))
    return name, dtype, draw(_finite_arrays(dtype))


@settings(max_examples=150, deadline=None)
@given(_array_case(ELEMENTWISE))
def test_arrays_keep_dtype_and_shape(case):
    name, dtype, z = case
    act = activations.get(name)

    value, slope = act(z), act.derivative(z)

    assert value.dtype == dtype
    assert slope.dtype == dtype
    assert value.shape == z.shape
    assert slope.shape == z.shape
    assert not np.isnan(value).any()
    assert not np.isnan(slope).any()


@settings(max_examples=150, deadline=None)
@given(_array_case(ELEMENTWISE))
def test_output_inside_range(case):
    name, dtype, z = case
    act = activations.get(name)
    bounds = np.array(act.bound_spec.output_range, dtype=dtype)
    low, high = bounds
    # Irrational bounds such as silu's minimum round to the nearest dtype value.
    finite = np.where(np.isfinite(bounds), np.abs(bounds), 0).astype(dtype)
    slack = 4 * np.spacing(finite)

    value = act(z)

    assert np.all(value >= low - slack[0])
    assert np.all(value <= high + slack[1])


@settings(max_examples=150, deadline=None)
@given(_array_case([n for n in ELEMENTWISE if activations.spec(n).monotonic]))
def test_monotonic_on_sorted_input(case):
    name, _, z = case
    values = activations.get(name)(np.sort(z.ravel()))

    assert np.all(values[1:] >= values[:-1])  # not np.diff: inf - inf is nan


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(ELEMENTWISE),
    st.one_of(
        st.integers(-(2**40), 2**40),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
    ),
)
def test_scalar_in_scalar_out(name, scalar):
    act = activations.get(name)

    value, slope = act(scalar), act.derivative(scalar)

    assert isinstance(value, np.float64) and isinstance(slope, np.float64)


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_numpy_scalar_keeps_dtype(name, dtype):
    act = activations.get(name)

    value = act(dtype(0.5))

    assert isinstance(value, dtype)
    assert value == act(np.array([0.5], dtype=dtype))[0]


@pytest.mark.parametrize("name", activations.names())
def test_integer_input_gives_float64(name):
    act = activations.get(name)
    z = np.array([[-3, 0, 2]], dtype=np.int32)

    assert act(z).dtype == np.float64
    assert act.derivative(z).dtype == np.float64
    np.testing.assert_array_equal(act(z), act(z.astype(np.float64)))


@pytest.mark.parametrize("name", activations.names())
def test_input_is_never_written(name):
    act = activations.get(name)
    z = np.linspace(-800.0, 800.0, 12).reshape(3, 4)
    z.flags.writeable = False
    float32 = z.astype(np.float32)
    float32.flags.writeable = False

    for array in (z, float32):
        act(array)
        act.derivative(array)

    np.testing.assert_array_equal(z, np.linspace(-800.0, 800.0, 12).reshape(3, 4))


def test_linear_returns_a_copy():
    z = np.array([1.0, 2.0])

    out = activations.get("linear")(z)
    out[0] = 5.0

    assert z[0] == 1.0


@settings(max_examples=100, deadline=None)
@given(_array_case(ELEMENTWISE))
def test_elementwise_jvp_scales_slope(case):
    name, _, z = case
    act = activations.get(name)
    v = np.linspace(-2.0, 2.0, z.size).reshape(z.shape).astype(z.dtype)
    expected = act.derivative(z).astype(np.float64) * v

    jvp = act.jvp(z, v)

    assert jvp.dtype == z.dtype
    # float16 multiplies in float32 before rounding, one rounding fewer, and
    # subnormal products carry an absolute rounding error.
    info = np.finfo(z.dtype)
    tolerance = {"rtol": 2 * info.eps, "atol": 2 * info.smallest_subnormal}
    np.testing.assert_allclose(jvp, expected, **tolerance)


# --- softmax -------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(DTYPES).flatmap(
        lambda d: _finite_arrays(d, hnp.array_shapes(min_dims=1, max_dims=3))
    )
)
def test_softmax_is_a_distribution(z):
    softmax = activations.get("softmax")

    s = softmax(z)

    assert s.dtype == z.dtype
    assert s.shape == z.shape
    assert np.all((s >= 0) & (s <= 1))
    tolerance = 4 * np.finfo(z.dtype).eps * z.shape[-1]
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, atol=tolerance)


def test_softmax_ignores_a_shared_shift():
    softmax = activations.get("softmax")
    z = np.array([0.5, -1.0, 2.0])

    np.testing.assert_allclose(softmax(z + 1e3), softmax(z), rtol=1e-12)


def test_softmax_output_rises_with_own_logit():
    softmax = activations.get("softmax")
    z = np.zeros((50, 3))
    z[:, 0] = np.linspace(-10.0, 10.0, 50)

    s = softmax(z)

    assert np.all(np.diff(s[:, 0]) > 0)
    assert np.all(np.diff(s[:, 1]) < 0)


def test_softmax_not_monotonic():
    softmax = activations.get("softmax")
    low = softmax(np.array([0.0, 0.0, 0.0]))
    high = softmax(np.array([1.0, 0.0, 0.0]))

    assert not softmax.bound_spec.monotonic
    assert high[0] > low[0]
    assert high[1] < low[1]


def test_softmax_diagonal_bound():
    softmax = activations.get("softmax")
    bound = softmax.bound_spec.extra["max_diagonal_derivative"]
    rng = np.random.default_rng(4)
    diagonals = [softmax.derivative(z) for z in rng.normal(size=(200, 3))]
    peak = softmax.derivative(np.array([0.0, 0.0]))

    assert max(d.max() for d in diagonals) <= bound
    assert peak.max() == pytest.approx(bound)


def test_softmax_jacobian_norm_bound():
    softmax = activations.get("softmax")
    rng = np.random.default_rng(3)
    norms = []
    for z in [np.zeros(2), *rng.normal(scale=2.0, size=(200, 4))]:
        s = softmax(z)
        jacobian = np.diag(s) - np.outer(s, s)
        norms.append(np.linalg.norm(jacobian, 2))

    assert max(norms) <= softmax.bound_spec.max_derivative + 1e-12
    assert norms[0] == pytest.approx(softmax.bound_spec.max_derivative)


def test_softmax_diagonal_dominant_logit():
    softmax = activations.get("softmax")
    z = np.array([40.0, 0.0, -1.0])
    others = math.exp(-40.0) + math.exp(-41.0)

    diagonal = softmax.derivative(z)

    assert diagonal[0] == pytest.approx(others, rel=1e-14)


# --- the API ---------------------------------------------------------------------


def test_get_accepts_an_activation():
    elu = activations.get("elu", alpha=2.0)

    assert activations.get(elu) is elu
    assert activations.get(elu, alpha=3.0).params == {"alpha": 3.0}


def test_equality_and_hash():
    first = activations.get("leaky_relu", negative_slope=0.1)
    second = activations.get("leaky_relu", negative_slope=0.1)

    assert first == second
    assert hash(first) == hash(second)
    assert first != activations.get("leaky_relu")


def test_repr_shows_parameters():
    assert repr(activations.get("elu", alpha=2.0)) == "Activation('elu', alpha=2.0)"
    assert repr(activations.get("relu")) == "Activation('relu')"


@pytest.mark.parametrize(
    "module",
    [_entries, _entries_relu, _entries_gated, _entries_hard, _entries_softmax],
    ids=lambda m: m.__name__.rsplit(".", 1)[-1],
)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)

    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("variant", VARIANTS, ids=_variant_id)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
def test_record_functions_match_activation(variant, dtype):
    """The engine calls spec.value and spec.derivative directly on 2-D arrays."""
    act, _ = _bound(variant)
    big = float(np.finfo(dtype).max) / 16
    z = np.concatenate([GRID[:-1:1000], [-big, -1e4, 1e4, big]]).astype(dtype)
    z = z.reshape(2, -1)

    value = act.spec.value(z, **act.params)
    slope = act.spec.derivative(z, **act.params)

    assert value.dtype == dtype
    assert slope.dtype == dtype
    np.testing.assert_array_equal(value, act(z))
    np.testing.assert_array_equal(slope, act.derivative(z))


@pytest.mark.parametrize("value", [1e300, -1e300, 10**400])
def test_parameter_beyond_float32_rejected(value):
    with pytest.raises(ValueError, match="invalid alpha="):
        activations.get("elu", alpha=value)


def test_error_message_cuts_long_values():
    with pytest.raises(ValueError) as caught:
        activations.get("x" * 10_000)
    assert len(str(caught.value)) < 2_000


@pytest.mark.parametrize("value", [None, "2", ["a", "b"]])
def test_non_numeric_input_rejected(value):
    with pytest.raises(TypeError, match="activations take numbers"):
        activations.get("sigmoid")(value)


def test_softmax_of_no_logits_rejected():
    with pytest.raises(ValueError, match="at least one logit"):
        activations.get("softmax")(np.zeros((2, 0)))
