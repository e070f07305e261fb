"""The demand network of the architecture-flow page."""

from __future__ import annotations

import math

import numpy as np
import pytest

from actlab import activations, data, flow

MAX_SPEND = {"marketing_spend": 200.0}


def unit(result: flow.FlowResult, name: str) -> flow.UnitValue:
    return {u.name: u for u in (*result.hidden, result.output)}[name]


def test_inputs_use_generator_ranges():
    sample = data.demand(n=5000, seed=3).X

    for column, spec in enumerate(flow.INPUTS):
        assert spec.name == data.demand().feature_names[column]
        assert spec.low <= sample[:, column].min()
        assert sample[:, column].max() <= spec.high
        assert spec.low <= spec.default <= spec.high


@pytest.mark.parametrize("seed", [0, 1])
def test_hidden_units_match_generator(seed):
    products = data.demand(n=200, seed=seed)
    typical = (products.X[:, 0] > 30) & (products.X[:, 0] < 50)

    for row in np.flatnonzero(typical)[:20]:
        inputs = dict(zip(flow.INPUT_NAMES, products.X[row], strict=True))
        result = flow.evaluate(inputs)
        expected = data.hidden_quantities(products.X[row : row + 1])
        for name in ("affordability", "awareness"):
            assert unit(result, name).a == pytest.approx(expected[name][0])
        quality = unit(result, "perceived_quality").a
        assert quality == pytest.approx(expected["perceived_quality"][0], abs=0.02)


def test_output_uses_top_seller_weights():
    result = flow.evaluate({"price": 30.0, "marketing_spend": 9.0})
    a = [u.a for u in result.hidden]
    weights = data.TOP_SELLER_WEIGHTS
    expected = weights["bias"] + sum(
        weights[name] * value for name, value in zip(flow.HIDDEN_UNITS, a, strict=True)
    )

    assert result.output.z == pytest.approx(expected)
    assert result.output.a == pytest.approx(1 / (1 + math.exp(-expected)))


def test_defaults_follow_unit_meanings():
    result = flow.evaluate()

    assert [u.activation for u in result.hidden] == ["sigmoid", "relu", "sigmoid"]
    assert result.output.activation == "sigmoid"
    assert not result.linear
    assert result.collapse is None


def test_sigmoid_awareness_capped_below_one():
    for spend in (10.0, 30.0, 200.0):
        result = flow.evaluate({"marketing_spend": spend}, {"awareness": "sigmoid"})
        awareness = unit(result, "awareness")
        assert awareness.a <= 1.0
        assert awareness.upper_bound == 1.0

    moderate = flow.evaluate({"marketing_spend": 20.0}, {"awareness": "sigmoid"})
    assert unit(moderate, "awareness").a < 1.0


def test_relu_awareness_exceeds_one():
    result = flow.evaluate(MAX_SPEND, {"awareness": "relu"})
    awareness = unit(result, "awareness")

    assert awareness.a > 1.0
    assert awareness.a == pytest.approx((200.0 - 1.0) / 4.0)
    assert awareness.upper_bound is None


def test_relu_awareness_zero_below_threshold():
    result = flow.evaluate({"marketing_spend": 0.5})

    assert unit(result, "awareness").z < 0
    assert unit(result, "awareness").a == 0.0


@pytest.mark.parametrize("output", ["relu", "linear"])
def test_unbounded_output_leaves_unit_interval(output):
    result = flow.evaluate(MAX_SPEND, {"top_seller": output})

    assert result.output.a > 1.0
    assert result.output_outside_probability


def test_linear_output_can_go_negative():
    result = flow.evaluate(
        {"price": 250.0, "material_quality": 1.0}, {"top_seller": "linear"}
    )

    assert result.output.a < 0.0
    assert result.output_outside_probability


@pytest.mark.parametrize(
    "inputs",
    [MAX_SPEND, {"price": 250.0, "material_quality": 1.0}, {"price": 5.0}],
)
def test_sigmoid_output_stays_in_unit_interval(inputs):
    chosen = {"awareness": "relu", "top_seller": "sigmoid"}
    result = flow.evaluate(inputs, chosen)

    assert 0.0 <= result.output.a <= 1.0
    assert not result.output_outside_probability


def test_linear_switch_overrides_every_unit():
    result = flow.evaluate(MAX_SPEND, {"awareness": "sigmoid"}, linear=True)

    assert all(u.activation == "linear" for u in (*result.hidden, result.output))
    assert all(u.a == u.z for u in (*result.hidden, result.output))


def test_collapsed_matrix_is_product():
    collapse = flow.evaluate(linear=True).collapse

    assert collapse is not None
    np.testing.assert_allclose(collapse.W, collapse.W1 @ collapse.W2)
    np.testing.assert_allclose(collapse.b, collapse.b1 @ collapse.W2 + collapse.b2)
    assert collapse.W.shape == (len(flow.INPUTS), 1)
    np.testing.assert_array_equal(collapse.W1, flow.W1)
    np.testing.assert_array_equal(collapse.W2, flow.W2)


@pytest.mark.parametrize(
    "inputs",
    [{}, MAX_SPEND, {"price": 5.0, "shipping_cost": 40.0, "material_quality": 10.0}],
)
def test_collapsed_layer_gives_same_output(inputs):
    result = flow.evaluate(inputs, linear=True)
    collapse = result.collapse
    x = np.array([result.inputs[name] for name in flow.INPUT_NAMES])

    assert collapse.two_layer_output == pytest.approx(result.output.a, rel=1e-12)
    assert collapse.collapsed_output == pytest.approx(
        float((x @ collapse.W + collapse.b)[0])
    )
    assert collapse.same_output
    assert collapse.difference < 1e-9


def test_activation_choices_exclude_vector_entries():
    choices = flow.activation_choices()

    assert "softmax" not in choices
    assert choices == [s.name for s in activations.specs() if not s.vector]


def test_aliases_resolve_to_canonical_names():
    result = flow.evaluate(chosen={"awareness": "identity", "top_seller": "logistic"})

    assert unit(result, "awareness").activation == "linear"
    assert result.output.activation == "sigmoid"


@pytest.mark.parametrize(
    ("inputs", "field", "fragment"),
    [
        ({"price": 300.0}, "price", "[5, 250]"),
        ({"price": 4.0}, "price", "US dollars per unit"),
        ({"shipping_cost": "cheap"}, "shipping_cost", "[1, 40]"),
        ({"marketing_spend": math.nan}, "marketing_spend", "[0.1, 200]"),
        ({"material_quality": math.inf}, "material_quality", "[1, 10]"),
        ({"material_quality": True}, "material_quality", "[1, 10]"),
        ({"colour": 1.0}, "colour", "expected one of price"),
    ],
)
def test_bad_inputs_rejected_naming_field(inputs, field, fragment):
    with pytest.raises(flow.FlowError) as caught:
        flow.evaluate(inputs)

    assert caught.value.field == field
    assert field in str(caught.value)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("chosen", "field", "fragment"),
    [
        ({"awareness": "softmax"}, "awareness", "choose one of"),
        ({"top_seller": "nope"}, "top_seller", "'nope'"),
        ({"popularity": "relu"}, "popularity", "unknown unit"),
    ],
)
def test_bad_activations_rejected_naming_field(chosen, field, fragment):
    with pytest.raises(flow.FlowError) as caught:
        flow.evaluate(chosen=chosen)

    assert caught.value.field == field
    assert fragment in str(caught.value)


def test_reference_is_generator_value():
    inputs = {"price": 70.0, "shipping_cost": 12.0, "marketing_spend": 60.0}
    result = flow.evaluate(inputs, {"awareness": "sigmoid"})
    x = np.array([[result.inputs[name] for name in flow.INPUT_NAMES]])
    expected = data.hidden_quantities(x)

    for hidden in result.hidden:
        assert hidden.reference == pytest.approx(expected[hidden.name][0])
    assert result.output.reference == pytest.approx(
        data.top_seller_probability(expected)[0]
    )
    awareness = unit(result, "awareness")
    assert awareness.reference > 10
    assert awareness.a < 1
