import pytest

from actlab.practice import SCENARIOS, get_scenario

SEEDS = range(10)
REQUIRED = 9


def right_remedies(scenario):
    return [option.id for option in scenario.remedies if option.correct]


@pytest.mark.parametrize("scenario_id", list(SCENARIOS))
def test_trigger_fails_most_seeds(scenario_id):
    scenario = get_scenario(scenario_id)
    failed = sum(scenario.trigger(seed).failed for seed in SEEDS)
    assert failed >= REQUIRED


@pytest.mark.parametrize(
    ("scenario_id", "remedy_id"),
    [
        (scenario.id, remedy)
        for scenario in SCENARIOS.values()
        for remedy in right_remedies(scenario)
    ],
)
def test_right_remedy_recovers(scenario_id, remedy_id):
    scenario = get_scenario(scenario_id)
    recovered = sum(scenario.apply(remedy_id, seed).recovered for seed in SEEDS)
    assert recovered >= REQUIRED


def test_required_failure_modes_present():
    expected = {
        "dead-relu-rate",
        "dead-relu-bias",
        "saturated-sigmoid",
        "large-init-sigmoid",
        "vanishing-sigmoid",
        "exploding-relu",
        "sigmoid-regression",
        "linear-probability",
        "narrow-deep-relu",
    }
    assert expected <= set(SCENARIOS)


@pytest.mark.parametrize("scenario", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_options_have_reasons(scenario):
    assert scenario.criterion
    for options in (scenario.diagnoses, scenario.remedies):
        assert sum(option.correct for option in options) >= 1
        assert sum(not option.correct for option in options) >= 2
        for option in options:
            assert len(option.reason) > 20
    for option in scenario.remedies:
        assert option.changes


def test_trigger_is_repeatable():
    scenario = get_scenario("dead-relu-rate")
    first, second = scenario.trigger(3), scenario.trigger(3)
    assert first.measures == second.measures
    assert first.recovered is None


def test_result_carries_statistics():
    result = get_scenario("vanishing-sigmoid").trigger(0)
    assert len(result.before.layers) == 9
    assert result.before.grad_norms[0] < result.before.grad_norms[-1]
    assert result.history is not None
    assert len(result.history.epochs) == result.setup.epochs


def test_apply_keeps_seed_and_changes_setup():
    scenario = get_scenario("saturated-sigmoid")
    result = scenario.apply("standardise", 4)
    assert result.seed == 4
    assert result.remedy == "standardise"
    assert result.setup.standardise
    assert not scenario.setup.standardise


def test_wrong_remedy_runs_and_stays_failed():
    result = get_scenario("dead-relu-rate").apply("more-epochs", 0)
    assert result.failed
    assert result.recovered is False


def test_unknown_remedy_raises():
    with pytest.raises(KeyError, match="choose one of"):
        get_scenario("exploding-relu").apply("dropout", 0)


def test_unknown_scenario_raises():
    with pytest.raises(KeyError, match="dead-relu-rate"):
        get_scenario("overfitting")


CHOICES = [
    ("dead-relu", "lower-rate", 1.0, True, True),
    ("dead-relu", "more-epochs", 0.5, True, False),
    ("saturation", "leaky-relu", 0.5, False, True),
    ("vanishing", "more-epochs", 0.0, False, False),
]


@pytest.mark.parametrize(
    ("diagnosis", "remedy", "score", "diagnosis_ok", "remedy_ok"), CHOICES
)
def test_score_choice_table(diagnosis, remedy, score, diagnosis_ok, remedy_ok):
    scenario = get_scenario("dead-relu-rate")
    result = scenario.score_choice(diagnosis, remedy)
    assert result.error is None
    assert result.score == score
    assert result.diagnosis_correct is diagnosis_ok
    assert result.remedy_correct is remedy_ok
    assert len(result.feedback) == 2


def test_score_choice_gives_wrong_reason():
    scenario = get_scenario("dead-relu-rate")
    result = scenario.score_choice("dead-relu", "more-epochs")
    assert scenario.remedy("more-epochs").reason in result.feedback[1]


@pytest.mark.parametrize(
    ("diagnosis", "remedy"),
    [("nope", "lower-rate"), ("dead-relu", None), (3, []), ("dead-relu", ["x"])],
)
def test_score_choice_rejects_unknown(diagnosis, remedy):
    result = get_scenario("dead-relu-rate").score_choice(diagnosis, remedy)
    assert result.score == 0.0
    assert "unknown choice" in result.error


@pytest.mark.parametrize(
    ("scenario_id", "remedy_id"),
    [
        (scenario.id, option.id)
        for scenario in SCENARIOS.values()
        for option in scenario.remedies
        if not option.correct
    ],
)
def test_wrong_remedy_does_not_recover(scenario_id, remedy_id):
    result = get_scenario(scenario_id).apply(remedy_id, 0)
    assert result.recovered is False
