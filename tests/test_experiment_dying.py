"""The dying experiment: ReLU networks dead at initialisation and after training."""

from __future__ import annotations

import json
import math
import re

import pytest

from actlab import experiments
from actlab.experiments import ExperimentResult, dying, run_experiment
from actlab.experiments.dying import DyingSettings, born_dead_formula
from actlab.store import Store


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    path = tmp_path_factory.mktemp("dying") / "s.db"
    with Store.open(f"sqlite:///{path}") as store:
        result = run_experiment("dying", quick=True, store=store)
        yield result, store.experiment_runs("dying")


@pytest.fixture(scope="module")
def result(stored) -> ExperimentResult:
    return stored[0]


def test_formula_values():
    assert born_dead_formula(2, 1) == 0.25
    assert math.isclose(born_dead_formula(2, 2), 7 / 16)
    assert born_dead_formula(3, 10) > born_dead_formula(3, 5)
    assert born_dead_formula(3, 10) > born_dead_formula(4, 10)


def test_narrow_network_near_formula(result):
    entry = result.data["born_dead"]["widths"]["2"]
    simulated, formula = entry["over_inputs"][-1], entry["formula"][-1]
    assert 0.6 * formula < simulated < formula + 0.05


def test_death_at_one_input_matches_formula(result):
    for entry in result.data["born_dead"]["widths"].values():
        for simulated, formula in zip(
            entry["at_one_input"], entry["formula"], strict=True
        ):
            assert abs(simulated - formula) < 0.1


def test_formula_claim_judged_at_one_input(result):
    claim = result.claims[1]

    assert "dead at a given input" in claim.claim
    assert claim.held is True
    assert "dead at one input" in claim.measured
    assert "below the formula" in claim.measured


def _born_dead(at_one: list[float], over_inputs: list[float]) -> dict:
    depths = list(range(1, len(at_one) + 1))
    formula = [born_dead_formula(2, depth) for depth in depths]
    entry = {"at_one_input": at_one, "formula": formula, "over_inputs": over_inputs}
    return {"depths": depths, "networks": 2000, "inputs": 200, "widths": {"2": entry}}


def test_formula_verdict_ignores_constant_output():
    # At one input the share follows the formula; over all inputs it is far
    # lower, as it should be, and that must not fail the claim.
    formula = [born_dead_formula(2, depth) for depth in (1, 2, 3)]
    claim = dying._formula_claim(_born_dead(formula, [0.0, 0.05, 0.2]))

    assert claim.held is True
    assert "0.388 below the formula" in claim.measured


def test_formula_verdict_fails_off_formula():
    claim = dying._formula_claim(_born_dead([0.25, 0.25, 0.25], [0.0, 0.0, 0.0]))

    assert claim.held is False


def test_table_puts_one_input_beside_formula(result):
    table = result.tables[0]
    born_dead = result.data["born_dead"]
    inputs = result.settings["inputs"]

    assert table.columns[1:4] == (
        "N=2 dead at one input",
        "N=2 formula",
        f"N=2 constant over {inputs} inputs",
    )
    deepest = table.rows[-1]
    entry = born_dead["widths"]["2"]
    assert deepest[1] == round(entry["at_one_input"][-1], 3)
    assert deepest[2] == round(entry["formula"][-1], 3)
    assert deepest[3] == round(entry["over_inputs"][-1], 3)


def test_table_orders_widths_numerically():
    entry = {"at_one_input": [0.5], "formula": [0.5], "over_inputs": [0.1]}
    born_dead = {
        "depths": [1],
        "networks": 100,
        "inputs": 10,
        "widths": {"10": entry, "2": entry},
    }
    columns = dying._born_dead_table(born_dead).columns

    assert columns.index("N=2 formula") < columns.index("N=10 formula")


def test_death_over_inputs_below_one_input(result):
    for entry in result.data["born_dead"]["widths"].values():
        for over_inputs, at_one in zip(
            entry["over_inputs"], entry["at_one_input"], strict=True
        ):
            assert over_inputs <= at_one


def test_death_rises_with_depth_falls_with_width(result):
    widths = result.data["born_dead"]["widths"]
    narrow, wide = widths["2"]["over_inputs"], widths["3"]["over_inputs"]
    assert narrow[-1] > narrow[0] + 0.3
    assert narrow[-1] > wide[-1]


def test_dead_units_rise_with_learning_rate(result):
    points = result.data["sweep"]["relu"]
    lowest = min(points, key=lambda point: point["learning_rate"])
    highest = max(points, key=lambda point: point["learning_rate"])
    assert highest["dead"] > lowest["dead"] + 0.1


def test_leaky_relu_learns_where_relu_died(result):
    relu = max(result.data["sweep"]["relu"], key=lambda p: p["learning_rate"])
    leaky = result.data["sweep"]["leaky_relu"][0]
    assert leaky["learning_rate"] == relu["learning_rate"]
    assert leaky["accuracy"] > relu["accuracy"] + 0.1


def test_result_round_trips_through_json(result):
    decoded = ExperimentResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert decoded.claims == result.claims
    assert decoded.tables == result.tables
    assert decoded.data["born_dead"] == result.data["born_dead"]


def test_result_lands_in_store(stored):
    result, runs = stored
    assert len(runs) == 1
    assert runs[0].result["settings"] == result.settings
    assert len(runs[0].result["claims"]) == len(result.claims)


def test_plot_writes_pngs(result, tmp_path):
    paths = experiments.get("dying").plot(result, tmp_path)
    assert len(paths) == 2
    for path in paths:
        assert path.read_bytes().startswith(b"\x89PNG")
        assert path.stat().st_size > 5_000


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("widths", (), "widths is empty"),
        ("widths", (0,), "widths entry 0"),
        ("networks", 5, "networks 5"),
        ("learning_rates", (float("inf"),), "learning rate inf"),
        ("learning_rates", (-0.1,), "learning rate -0.1"),
        ("epochs", True, "epochs True"),
    ],
)
def test_bad_settings_name_the_value(field, value, named):
    with pytest.raises(ValueError, match=re.escape(named)):
        DyingSettings(**{field: value})
