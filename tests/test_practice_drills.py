import dataclasses
import inspect

import numpy as np
import pytest

from actlab import activations, lessons, practice
from actlab.practice import (
    KINDS,
    Question,
    _catalogue,
    _drills,
    _ordering,
    _scenarios,
    _scheduler,
    check_template,
    drill_templates,
    generate_drill,
    grade,
    observe,
    outcome,
    parse_number,
)

SEEDS = range(30)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.25", 0.25),
        (" .25 ", 0.25),
        ("2.5e-1", 0.25),
        ("1/4", 0.25),
        (" 1 / 4 ", 0.25),
        ("-0.5", -0.5),
        ("+3", 3.0),
        ("-1/8", -0.125),
        ("0.5/2", 0.25),
        (0.25, 0.25),
        (2, 2.0),
    ],
)
def test_parse_number_accepts(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "missing"),
        ("   ", "missing"),
        ("abc", "invalid"),
        ("0.2.5", "invalid"),
        ("1//4", "invalid"),
        ("1/4/2", "invalid"),
        ("1/0", "denominator"),
        ("nan", "invalid"),
        ("inf", "invalid"),
        ("1_000", "invalid"),
        ("0x10", "invalid"),
        (None, "invalid"),
        (True, "invalid"),
        (float("nan"), "finite"),
    ],
)
def test_parse_number_rejects(text, message):
    with pytest.raises(ValueError, match=message):
        parse_number(text)


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_question(kind):
    assert generate_drill(kind, 7) == generate_drill(kind, 7)


def test_seeds_vary_questions():
    prompts = {generate_drill("numeric", seed).prompt for seed in SEEDS}
    assert len(prompts) > 20


def test_unknown_kind_raises():
    with pytest.raises(ValueError, match="choose one of"):
        generate_drill("essay", 0)


def test_templates_come_from_lesson():
    templates = drill_templates()
    kinds = {drill.kind for drill in templates.values()}
    assert kinds == set(KINDS)


def numeric_expected(question):
    name = question.prompt.split(" for ")[1].split(" at ")[0]
    z = float(question.prompt.split("z = ")[1].split("?")[0])
    activation = activations.get(name)
    if "g'(z)" in question.prompt:
        return float(activation.derivative(np.array([z]))[0])
    return float(activation(np.array([z]))[0])


@pytest.mark.parametrize("seed", SEEDS)
def test_numeric_expected_matches_registry(seed):
    question = generate_drill("numeric", seed)
    assert question.answer["value"] == pytest.approx(numeric_expected(question))
    assert grade(question, repr(question.answer["value"])).correct


def fixed_numeric(value):
    answer = {"value": value, "rel_tol": 0.01, "abs_tol": 0.005, "explanation": "x"}
    return Question("q", "numeric", "value-at-z", 0, "?", None, answer=answer)


NUMERIC_TABLE = [
    (0.25, "0.25", True),
    (0.25, " .25 ", True),
    (0.25, "2.5e-1", True),
    (0.25, "1/4", True),
    (0.25, "0.254", True),
    (0.25, "0.26", False),
    (0.25, "-0.25", False),
    (100.0, "100.9", True),
    (100.0, "101.5", False),
    (0.0, "0.004", True),
    (0.0, "0.006", False),
]


@pytest.mark.parametrize(("value", "answer", "correct"), NUMERIC_TABLE)
def test_numeric_grading_table(value, answer, correct):
    result = grade(fixed_numeric(value), answer)
    assert result.error is None
    assert result.correct is correct
    assert result.score == float(correct)
    assert result.explanation


@pytest.mark.parametrize("answer", ["", "quarter", "1/0", None, [0.25], "1,5"])
def test_numeric_malformed_gives_error(answer):
    result = grade(fixed_numeric(0.25), answer)
    assert not result.correct
    assert result.score == 0.0
    assert result.error
    assert result.expected == "0.25"


def test_numeric_derivative_avoids_kinks():
    checked = 0
    for seed in range(300):
        question = generate_drill("numeric", seed)
        if "g'(z)" not in question.prompt:
            continue
        name = question.prompt.split(" for ")[1].split(" at ")[0]
        z = float(question.prompt.split("z = ")[1].split("?")[0])
        assert z not in activations.spec(name).kinks
        checked += 1
    assert checked > 100


@pytest.mark.parametrize("seed", SEEDS)
def test_choice_has_one_right_option(seed):
    question = generate_drill("choice", seed)
    ids = [option_id for option_id, _ in question.options]
    assert len(ids) == len(set(ids)) == 4
    (right,) = question.answer["correct"]
    assert right in ids
    assert grade(question, right).correct
    for wrong in set(ids) - {right}:
        result = grade(question, wrong)
        assert not result.correct
        assert result.error is None
        assert result.expected == right


ROLES = {
    "two classes": "binary_output",
    "ten classes": "multiclass_output",
    "either sign": "real_output",
    "never below 0": "nonnegative_output",
}


def test_output_choice_follows_roles():
    seen = set()
    for seed in range(60):
        question = generate_drill("choice", seed, template="output-for-target")
        (right,) = question.answer["correct"]
        role = next(r for text, r in ROLES.items() if text in question.prompt)
        assert role in {r.value for r in activations.spec(right).roles}
        seen.add(right)
    assert {"sigmoid", "softmax", "linear"} <= seen
    assert seen & {"relu", "softplus"}


def test_problem_choice_follows_properties():
    for seed in range(40):
        question = generate_drill("choice", seed, template="hidden-for-problem")
        (right,) = question.answer["correct"]
        spec = activations.spec(right)
        if "vanishing" in question.prompt:
            assert not spec.saturates
            assert spec.can_die
        else:
            assert not spec.can_die
        for option_id, _ in question.options:
            if option_id != right and "vanishing" in question.prompt:
                assert activations.spec(option_id).saturates


def test_choice_options_shuffled_by_seed():
    orders = {
        tuple(option for option, _ in generate_drill("choice", seed).options)
        for seed in SEEDS
    }
    positions = {
        [option for option, _ in generate_drill("choice", seed).options].index(
            generate_drill("choice", seed).answer["correct"][0]
        )
        for seed in SEEDS
    }
    assert len(orders) > 10
    assert len(positions) == 4


@pytest.mark.parametrize("answer", ["", "gelu_fast", None, 2, "Sigmoid"])
def test_choice_malformed_gives_error(answer):
    question = generate_drill("choice", 0)
    result = grade(question, answer)
    assert not result.correct
    assert "choose one of" in result.error


@pytest.mark.parametrize(
    ("change", "expected"),
    [(0.5, "higher"), (-0.5, "lower"), (0.01, "same"), (-0.05, "same")],
)
def test_outcome_thresholds(change, expected):
    assert outcome(change, 0.05) == expected


PREDICT_RIGHT = [
    ("adam-rate-dead", "higher"),
    ("standardise-saturation", "lower"),
    ("sigmoid-output-r2", "higher"),
]


@pytest.mark.parametrize(("template", "right"), PREDICT_RIGHT)
def test_predict_scored_against_run(template, right):
    question = generate_drill("predict", 0, template=template)
    observed = observe(question)
    assert outcome(observed["change"], question.answer["tolerance"]) == right
    result = grade(question, right)
    assert result.correct
    assert result.observed == observed
    assert f"{observed['after']:.3g}" in result.explanation
    for wrong in {"higher", "same", "lower"} - {right}:
        assert not grade(question, wrong).correct


def test_predict_unchanged_run_is_same():
    question = generate_drill("predict", 1, template="adam-rate-dead")
    answer = dict(question.answer, after=question.answer["before"])
    unchanged = dataclasses.replace(question, answer=answer)
    result = grade(unchanged, "same")
    assert result.correct
    assert result.observed["change"] == 0.0


@pytest.mark.parametrize("answer", ["up", "", None, 1])
def test_predict_malformed_gives_error(answer):
    question = generate_drill("predict", 0, template="adam-rate-dead")
    result = grade(question, answer)
    assert not result.correct
    assert "choose one of" in result.error
    assert result.observed == {}


def test_bundled_templates_pass_check():
    for drill in drill_templates().values():
        check_template(drill)


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("numeric", {}, "activations"),
        ("choice", {"mode": "quiz"}, "invalid mode"),
        ("choice", {"mode": "problem"}, "problems"),
        ("predict", {"measure": "metric", "setup": {}}, "change"),
        (
            "predict",
            {"measure": "m", "setup": {}, "change": {"a": [1, 2], "b": [1, 2]}},
            "one setup field",
        ),
    ],
)
def test_check_template_rejects(kind, params, message):
    drill = lessons.Drill(
        id="broken", prompt="?", expected="!", opens="/", kind=kind, params=params
    )
    with pytest.raises(ValueError, match=message):
        check_template(drill)


def test_public_names_complete():
    public = {
        name
        for module in (_catalogue, _drills, _ordering, _scenarios, _scheduler)
        for name in vars(module)
        if not name.startswith("_")
        and (
            inspect.isclass(vars(module)[name])
            or inspect.isfunction(vars(module)[name])
        )
        and vars(module)[name].__module__ == module.__name__
    }
    assert public <= set(practice.__all__)
    assert all(hasattr(practice, name) for name in practice.__all__)
