"""Tests of the measured numbers: each claim the lessons make from them holds."""

from __future__ import annotations

import itertools
import math

import pytest

from actlab import measurements


def value(measurement_id: str) -> float:
    return measurements.measure(measurement_id).value


@pytest.mark.parametrize("measurement_id", measurements.measurement_ids())
def test_measurement_is_finite_with_unit(measurement_id):
    result = measurements.measure(measurement_id)
    assert math.isfinite(result.value)
    assert result.unit
    assert result.description
    assert result.demo.startswith(("/", "actlab "))
    assert result.display


def test_catalogue_ids_unique():
    ids = measurements.measurement_ids()
    assert len(ids) == len(set(ids))
    assert not set(ids) & set(measurements.table_ids())


def test_unknown_id_raises_key_error():
    with pytest.raises(KeyError, match="unknown measurement 'nope'"):
        measurements.measure("nope")
    with pytest.raises(KeyError, match="unknown table 'nope'"):
        measurements.measure_table("nope")


def test_results_cached_per_process():
    first = measurements.measure("sigmoid_relu_cost_ratio")
    assert measurements.measure("sigmoid_relu_cost_ratio") is first


def test_sigmoid_max_slope_is_a_quarter():
    assert value("sigmoid_max_slope") == pytest.approx(0.25, rel=1e-6)


def test_sigmoid_slope_at_4_far_below_peak():
    assert value("sigmoid_slope_at_4") < value("sigmoid_max_slope") / 10


def test_depth_factor_is_power_of_max_slope():
    expected = value("sigmoid_max_slope") ** 10
    assert value("sigmoid_factor_depth_10") == pytest.approx(expected, rel=1e-9)
    assert value("sigmoid_factor_depth_10") < 1e-5


def test_mean_slope_below_the_maximum():
    mean = value("sigmoid_mean_slope_digits")
    assert 0.1 < mean < value("sigmoid_max_slope")


def test_cost_timings_are_positive():
    # Timings are checked for sense only: speed claims belong to benchmarks/.
    assert value("sigmoid_ns_per_element") > 0
    assert value("relu_ns_per_element") > 0
    assert value("sigmoid_relu_cost_ratio") > 0


def test_cost_ratio_matches_the_timings():
    ratio = value("sigmoid_ns_per_element") / value("relu_ns_per_element")
    assert value("sigmoid_relu_cost_ratio") == pytest.approx(ratio)


def test_sigmoid_gradient_vanishes_at_depth_10():
    sigmoid = value("sigmoid_gradient_ratio_depth_10")
    relu = value("relu_gradient_ratio_depth_10")
    assert sigmoid < 1e-3
    assert relu > 0.1
    assert relu / sigmoid > 1e3


def test_gradient_table_by_depth():
    table = measurements.measure_table("gradient_ratio_by_depth")
    depths = [row[0] for row in table.rows]
    sigmoid = [row[1] for row in table.rows]
    relu = [row[2] for row in table.rows]
    assert depths == [float(d) for d in measurements.DEPTHS]
    assert len(table.columns) == len(table.rows[0])
    for shallower, deeper in itertools.pairwise(sigmoid):
        assert deeper < shallower
    assert sigmoid[-1] < sigmoid[0] / 1000
    for s, r in zip(sigmoid, relu, strict=True):
        assert s < r
    assert min(relu) > 0.1
    assert max(relu) < 10


def test_sigmoid_factor_per_layer_near_mean_slope():
    factor = value("sigmoid_ratio_factor_per_layer")
    mean_slope = value("sigmoid_mean_slope_digits")
    assert 0 < factor < 1
    assert abs(math.log(factor / mean_slope)) < math.log(1.5)


def test_table_has_readable_title():
    title = measurements.measure_table("gradient_ratio_by_depth").title
    assert title != "gradient_ratio_by_depth"
    assert "_" not in title
    assert " " in title


def test_no_demo_links_to_measurements_page():
    demos = [measurements.measure(i).demo for i in measurements.measurement_ids()]
    demos += [measurements.table(i).demo for i in measurements.table_ids()]
    for demo in demos:
        assert not demo.startswith("/measurements"), demo


def test_table_text_rows_match_rows():
    table = measurements.measure_table("gradient_ratio_by_depth")
    assert len(table.text_rows) == len(table.rows)
    assert table.text_rows[0][0] == "2"


def test_large_learning_rate_kills_more_units():
    high = value("dead_share_high_lr")
    low = value("dead_share_low_lr")
    assert 0 <= low < high <= 100
    assert high > 20
    assert high > 3 * low


def test_awareness_exceeds_sigmoid_ceiling():
    assert 5 < value("awareness_share_above_one") < 95
    assert value("awareness_max") > 2


@pytest.mark.parametrize(
    ("measurement_id", "expected"),
    [
        ("sigmoid_relu_cost_ratio", "\u00d7"),
        ("dead_share_high_lr", "% of hidden units"),
        ("sigmoid_ns_per_element", " ns per element"),
    ],
)
def test_display_shows_unit(measurement_id, expected):
    assert measurements.measure(measurement_id).display.endswith(expected)


def test_display_writes_powers_of_ten():
    display = measurements.measure("sigmoid_factor_depth_10").display
    assert "\u00d7 10\u207b" in display
    assert "e-" not in display
