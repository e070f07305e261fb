import dataclasses
import inspect
import math
import re

import numpy as np
import pytest
from scipy.optimize import brentq

from actlab import activations, lessons, practice
from actlab.practice import (
    KINDS,
    PREDICTIONS,
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
TEMPLATES = drill_templates()
PREDICT_TEMPLATES = [d.id for d in TEMPLATES.values() if d.kind == "predict"]
PROBLEMS = {p["id"]: p for p in TEMPLATES["hidden-for-problem"].params["problems"]}
TARGETS = {t["role"]: t for t in TEMPLATES["output-for-target"].params["targets"]}
# A number printed as -0, alone or as -0.0, but not as -0.5 or -0.04.
NEGATIVE_ZERO = re.compile(r"(?<![\w.])-0(?:\.0+)?(?![\d.eE])")


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
        ("-0", 0.0),
        ("1e2", 100.0),
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
        ("1,5", "invalid"),
        ("1e999", "finite"),
        (None, "invalid"),
        (True, "invalid"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        ("1e7000000/1e7000000", "finite"),
        ("1/3e-400", "denominator"),
        ("1" * 401, "finite"),
        (10**400, "finite"),
        ("1e308/1e-308", "finite"),
    ],
)
def test_parse_number_rejects(text, message):
    with pytest.raises(ValueError, match=message) as caught:
        parse_number(text)
    # A huge answer is cut short in the message.
    assert len(str(caught.value)) < 200


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
    kinds = {drill.kind for drill in TEMPLATES.values()}
    assert kinds == set(KINDS)


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_template_title_in_question(template):
    drill = TEMPLATES[template]
    question = generate_drill(drill.kind, 3, template=template)

    assert drill.title
    assert drill.title != template.replace("-", " ").capitalize()
    assert question.title == drill.title


def test_template_titles_differ():
    titles = [drill.title for drill in TEMPLATES.values()]
    assert len(set(titles)) == len(titles)


# --- numeric -------------------------------------------------------------------


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


def test_numeric_never_shows_negative_zero():
    zeros = 0
    for seed in range(2000):
        question = generate_drill("numeric", seed)
        result = grade(question, "0")
        z = float(question.prompt.split("z = ")[1].split("?")[0])
        assert not NEGATIVE_ZERO.search(question.prompt), question.prompt
        assert not NEGATIVE_ZERO.search(result.explanation), result.explanation
        assert result.expected != "-0"
        if question.answer["value"] == 0.0:
            assert math.copysign(1.0, question.answer["value"]) == 1.0
        zeros += z == 0.0
    assert zeros > 10


def test_numeric_rounded_zero_unsigned():
    question = generate_drill("numeric", 11)
    assert "z = 0.0?" in question.prompt
    assert grade(question, "0").expected == "0"


class FixedUniform:
    """Stands in for a numpy Generator whose uniform draw is fixed."""

    def __init__(self, value):
        self.value = value

    def uniform(self, low, high):
        return self.value


@pytest.mark.parametrize("drawn", [-0.04, -0.0, -1e-9, 0.0])
def test_draw_z_rounds_to_positive_zero(drawn):
    z = _drills._draw_z(FixedUniform(drawn), {"decimals": 1})
    assert z == 0.0
    assert math.copysign(1.0, z) == 1.0


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
    (0.25, 0.25, True),
    (100.0, "100.9", True),
    (100.0, "101.5", False),
    (0.0, "0.004", True),
    (0.0, "0.006", False),
    (0.0, "-0", True),
    (0.0, "-0.004", True),
    (0.0, "-1/100", False),
    (-0.25, "-1/4", True),
    (-0.25, "0.25", False),
    (-2.9, "-2.92", True),
]


@pytest.mark.parametrize(("value", "answer", "correct"), NUMERIC_TABLE)
def test_numeric_grading_table(value, answer, correct):
    result = grade(fixed_numeric(value), answer)
    assert result.error is None
    assert result.correct is correct
    assert result.score == float(correct)
    assert result.explanation


@pytest.mark.parametrize(
    "answer", ["", "quarter", "1/0", None, [0.25], "1,5", True, "nan", "1/4/2"]
)
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


# --- choice --------------------------------------------------------------------


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


@pytest.mark.parametrize("seed", SEEDS)
def test_choice_wrong_pick_explained(seed):
    question = generate_drill("choice", seed)
    (right,) = question.answer["correct"]
    right_text = grade(question, right).explanation
    for wrong in {option for option, _ in question.options} - {right}:
        text = grade(question, wrong).explanation
        assert text.startswith(f"{wrong} ")
        assert text.endswith(right_text)
        assert text != right_text


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
    for seed in range(60):
        question = generate_drill("choice", seed, template="hidden-for-problem")
        (right,) = question.answer["correct"]
        spec = activations.spec(right)
        wrong = [activations.spec(o) for o, _ in question.options if o != right]
        assert activations.Role.HIDDEN in spec.roles
        if "vanishing" in question.prompt:
            assert not spec.saturates
            assert all(other.saturates for other in wrong)
        else:
            assert not spec.can_die
            assert not spec.saturates
            assert all(other.can_die for other in wrong)


def output_question(role: str, right: str, wrong: str) -> Question:
    """A choice question on the target of ``role`` with two options."""
    target = TARGETS[role]
    specs = {spec.name: spec for spec in _drills._output_specs()}
    reasons = {name: _drills._output_reason(specs[name], target) for name in specs}
    answer = {"correct": (right,), "reasons": {n: reasons[n] for n in (right, wrong)}}
    options = ((right, ""), (wrong, ""))
    return Question("q", "choice", "output-for-target", 0, "?", None, options, answer)


OUTPUT_COMBINATIONS = [
    (role, right.name, wrong.name)
    for role in TARGETS
    for right in _drills._output_specs()
    if role in right.roles
    for wrong in _drills._output_specs()
    if role not in wrong.roles
]


@pytest.mark.parametrize(("role", "right", "wrong"), OUTPUT_COMBINATIONS)
def test_output_explanation_every_combination(role, right, wrong):
    question = output_question(role, right, wrong)
    target = TARGETS[role]
    good = grade(question, right)
    bad = grade(question, wrong)
    right_spec, wrong_spec = activations.spec(right), activations.spec(wrong)

    assert good.correct
    assert good.explanation.startswith(f"{right} fits: its outputs lie in ")
    assert _drills._interval(right_spec) in good.explanation
    assert target["range_text"] in good.explanation
    assert not bad.correct
    assert bad.explanation.startswith(f"{wrong} does not fit: ")
    assert bad.explanation.endswith(good.explanation)
    for text in (good.explanation, bad.explanation):
        assert "registry" not in text
        assert role not in text
    low, high = target["range"]
    bottom, top = wrong_spec.output_range
    if bottom != low or top != high:
        assert _drills._interval(wrong_spec) in bad.explanation
    if wrong_spec.vector or target.get("sums_to_one"):
        assert "sum to 1" in bad.explanation


@pytest.mark.parametrize(
    ("name", "role", "clause"),
    [
        ("relu", "real_output", "cannot output values below 0"),
        ("softplus", "real_output", "cannot output values below 0"),
        ("sigmoid", "real_output", "cannot output values below 0 or above 1"),
        ("linear", "binary_output", "can output values below 0 and above 1"),
        ("relu", "binary_output", "can output values above 1"),
        ("linear", "nonnegative_output", "can output values below 0"),
        ("sigmoid", "nonnegative_output", "cannot output values above 1"),
        ("sigmoid", "binary_output", ""),
        ("softmax", "multiclass_output", ""),
    ],
)
def test_range_clause_table(name, role, clause):
    assert _drills._range_clause(activations.spec(name), TARGETS[role]) == clause


def test_output_explanation_examples():
    assert _drills._output_reason(
        activations.spec("linear"), TARGETS["binary_output"]
    ) == (
        "linear does not fit: its outputs lie in (-inf, inf), so it can output "
        "values below 0 and above 1, but the target is a single probability, "
        "between 0 and 1."
    )
    assert _drills._output_reason(
        activations.spec("sigmoid"), TARGETS["multiclass_output"]
    ) == (
        "sigmoid does not fit: it acts on each of the 10 output units on its own, "
        "so nothing makes their outputs sum to 1."
    )
    softmax = _drills._output_reason(
        activations.spec("softmax"), TARGETS["real_output"]
    )
    assert softmax.startswith(
        "softmax does not fit: it rescales its outputs so that they sum to 1"
    )
    also = "Its outputs also lie in (0, 1), so it cannot output values below 0 or "
    assert also + "above 1" in softmax


# The slope facts that each problem reason states, as (z, g'(z)) pairs checked
# against the registry. A new activation that can be drawn needs an entry.
SLOPES = {
    ("vanishing-gradient", "relu"): [(0.5, 1.0), (50.0, 1.0)],
    ("vanishing-gradient", "softplus"): [(0.0, 0.5), (3.0, 0.9526), (50.0, 1.0)],
    ("vanishing-gradient", "leaky_relu"): [(50.0, 1.0), (-50.0, 0.01)],
    ("vanishing-gradient", "elu"): [(50.0, 1.0), (-20.0, 0.0)],
    ("vanishing-gradient", "selu"): [(0.5, 1.05), (50.0, 1.05), (-20.0, 0.0)],
    ("vanishing-gradient", "celu"): [(50.0, 1.0), (-20.0, 0.0)],
    ("vanishing-gradient", "silu"): [(50.0, 1.0), (2.4, 1.1)],
    ("vanishing-gradient", "gelu"): [(50.0, 1.0), (1.4, 1.13)],
    ("vanishing-gradient", "mish"): [(50.0, 1.0), (1.5, 1.09)],
    ("vanishing-gradient", "hard_swish"): [(3.0, 1.0), (50.0, 1.0), (-3.0, 0.0)],
    ("vanishing-gradient", "sigmoid"): [(0.0, 0.25), (7.0, 0.0), (-7.0, 0.0)],
    ("vanishing-gradient", "tanh"): [(0.0, 1.0), (4.2, 0.0), (-4.2, 0.0)],
    ("vanishing-gradient", "softsign"): [(0.0, 1.0), (9.0, 0.01), (-9.0, 0.01)],
    ("vanishing-gradient", "relu6"): [(-0.5, 0.0), (6.5, 0.0), (50.0, 0.0)],
    ("vanishing-gradient", "hard_sigmoid"): [(0.0, 1 / 6), (2.9, 1 / 6), (3.1, 0.0)],
    ("vanishing-gradient", "hard_tanh"): [(0.0, 1.0), (1.1, 0.0), (-1.1, 0.0)],
    ("dead-units", "softplus"): [(-5.0, 0.0067)],
    ("dead-units", "leaky_relu"): [(-0.5, 0.01), (-50.0, 0.01)],
    ("dead-units", "elu"): [(-1.0, math.exp(-1.0)), (-5.0, math.exp(-5.0))],
    ("dead-units", "selu"): [(-1.0, 1.7581 * math.exp(-1.0))],
    ("dead-units", "celu"): [(-1.0, math.exp(-1.0)), (-5.0, math.exp(-5.0))],
    ("dead-units", "silu"): [(-1.28, 0.0)],
    ("dead-units", "gelu"): [(-0.75, 0.0)],
    ("dead-units", "mish"): [(-1.19, 0.0)],
    ("dead-units", "relu"): [(-0.5, 0.0), (-50.0, 0.0)],
    ("dead-units", "relu6"): [(-0.5, 0.0), (6.5, 0.0)],
    ("dead-units", "hard_sigmoid"): [(-3.1, 0.0), (3.1, 0.0)],
    ("dead-units", "hard_swish"): [(-3.0, 0.0), (-50.0, 0.0)],
    ("dead-units", "hard_tanh"): [(1.1, 0.0), (-1.1, 0.0)],
}
# Where the slope of a non-monotonic activation peaks and where it is 0.
PEAKS = {"silu": (2.4, 1.1), "gelu": (1.4, 1.13), "mish": (1.5, 1.09)}
DIPS = {"silu": -1.28, "gelu": -0.75, "mish": -1.19}
PROBLEM_COMBINATIONS = [
    (problem_id, right, wrong)
    for problem_id, problem in PROBLEMS.items()
    for right in _drills._problem_answers(problem)
    for wrong in _drills._problem_distractors(problem)
]


def slope(name: str, z: float) -> float:
    return float(activations.get(name).derivative(z))


def test_slope_table_covers_drawable():
    drawable = {
        (problem_id, name)
        for problem_id, problem in PROBLEMS.items()
        for name in [
            *_drills._problem_answers(problem),
            *_drills._problem_distractors(problem),
        ]
    }
    assert drawable == set(SLOPES)


@pytest.mark.parametrize(("problem_id", "name"), list(SLOPES))
def test_problem_reason_slopes_hold(problem_id, name):
    problem = PROBLEMS[problem_id]
    reason = {**problem["avoided_by"], **problem["caused_by"]}[name]
    assert reason.startswith(("its ", "it "))
    for z, expected in SLOPES[problem_id, name]:
        assert slope(name, z) == pytest.approx(expected, abs=0.005), (z, reason)


@pytest.mark.parametrize("name", PROBLEMS["dead-units"]["avoided_by"])
def test_dead_unit_answers_keep_slope(name):
    z = np.linspace(-10.0, 0.0, 2001)
    assert np.all(activations.get(name).derivative(z) != 0.0)


@pytest.mark.parametrize("name", PROBLEMS["dead-units"]["caused_by"])
def test_dead_unit_distractors_have_flat_range(name):
    spec = activations.spec(name)
    assert spec.dead_region
    z = np.linspace(-50.0, 50.0, 20001)
    assert np.mean(activations.get(name).derivative(z) == 0.0) > 0.4


@pytest.mark.parametrize("name", list(PEAKS))
def test_gated_peak_and_dip(name):
    z = np.linspace(0.0, 6.0, 6001)
    slopes = activations.get(name).derivative(z)
    where, height = PEAKS[name]
    assert z[np.argmax(slopes)] == pytest.approx(where, abs=0.05)
    assert slopes.max() == pytest.approx(height, abs=0.005)
    root = brentq(lambda x: slope(name, x), -3.0, -0.3)
    assert root == pytest.approx(DIPS[name], abs=0.005)


@pytest.mark.parametrize(("problem_id", "right", "wrong"), PROBLEM_COMBINATIONS)
def test_problem_explanation_every_combination(problem_id, right, wrong):
    problem = PROBLEMS[problem_id]
    _, _, _, reasons = _drills._problem_choice(
        {"problems": [problem]}, np.random.default_rng(0)
    )
    answer = {"correct": (right,), "reasons": {n: reasons[n] for n in (right, wrong)}}
    options = ((right, ""), (wrong, ""))
    question = Question("q", "choice", "hidden-for-problem", 0, "?", None, options)
    question = dataclasses.replace(question, answer=answer)
    good = grade(question, right)
    bad = grade(question, wrong)

    assert good.explanation == f"{right} avoids it: {problem['avoided_by'][right]}"
    assert bad.explanation == (
        f"{wrong} has this problem: {problem['caused_by'][wrong]} {good.explanation}"
    )
    assert "registry" not in bad.explanation
    assert not bad.correct


def test_hard_swish_reason_is_its_own():
    question = next(
        q
        for seed in range(200)
        if (q := generate_drill("choice", seed, template="hidden-for-problem"))
        and q.answer["correct"] == ("hard_swish",)
    )
    text = grade(question, "hard_swish").explanation

    assert "identity for z ≥ 3" in text
    assert "for z > 0" not in text


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


@pytest.mark.parametrize(
    "answer", ["", "gelu_fast", None, 2, "Sigmoid", ["relu"], True, "x" * 300]
)
def test_choice_malformed_gives_error(answer):
    question = generate_drill("choice", 0)
    result = grade(question, answer)
    assert not result.correct
    assert result.score == 0.0
    assert "choose one of" in result.error
    assert result.expected == question.answer["correct"][0]


# --- predict -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (0.5, "higher"),
        (-0.5, "lower"),
        (0.01, "same"),
        (-0.05, "same"),
        (0.05, "same"),
        (0.0500001, "higher"),
        (-0.0500001, "lower"),
        (0.0, "same"),
    ],
)
def test_outcome_thresholds(change, expected):
    assert outcome(change, 0.05) == expected


def predict_outcome(question: Question) -> str:
    return outcome(observe(question)["change"], question.answer["tolerance"])


@pytest.mark.parametrize("template", PREDICT_TEMPLATES)
def test_predict_answer_varies_with_seed(template):
    questions = [generate_drill("predict", s, template=template) for s in range(24)]
    answers = {predict_outcome(question) for question in questions}
    directions = {question.answer["usual_effect"] for question in questions}
    pairs = {(q.answer["before"], q.answer["after"]) for q in questions}

    assert len(answers) > 1, answers
    assert directions == {"higher", "lower"}
    assert len(pairs) > 1
    assert len({question.prompt for question in questions}) > 4


def prompt_text(value, labels) -> str:
    """Return how a prompt shows a changed value: its label, or the number."""
    if value in labels:
        return labels[value]
    return f"{value:g}"


@pytest.mark.parametrize("template", PREDICT_TEMPLATES)
def test_predict_prompt_names_both_values(template):
    drill = TEMPLATES[template]
    change = drill.params["change"]
    labels = change.get("labels", {})
    for seed in range(10):
        question = generate_drill("predict", seed, template=template)
        before, after = question.answer["before"], question.answer["after"]
        assert before != after
        assert question.answer["field"] == change["field"]
        for value in (before, after):
            assert prompt_text(value, labels) in question.prompt


@pytest.mark.parametrize("template", PREDICT_TEMPLATES)
@pytest.mark.parametrize("seed", [0, 5])
def test_predict_scored_against_run(template, seed):
    question = generate_drill("predict", seed, template=template)
    observed = observe(question)
    right = outcome(observed["change"], question.answer["tolerance"])
    result = grade(question, right)

    assert result.correct
    assert result.expected == right
    assert result.observed == observed
    assert result.explanation.startswith("Observed: ")
    assert f"{observed['after'] + 0.0:.3g}" in result.explanation
    for wrong in {"higher", "same", "lower"} - {right}:
        assert not grade(question, wrong).correct


def fake_runs(monkeypatch, question: Question, before: float, after: float):
    """Make the runs of ``question`` measure ``before`` and then ``after``."""
    data = question.answer

    def run_setup(setup, seed):
        value = getattr(setup, data["field"])
        measured = before if value == data["before"] else after
        return {data["measure"]: measured}, None, None, None

    monkeypatch.setattr(_drills, "run_setup", run_setup)


@pytest.mark.parametrize("template", PREDICT_TEMPLATES)
@pytest.mark.parametrize(
    ("after", "right"),
    [(0.9, "higher"), (0.1, "lower"), (0.5, "same")],
)
def test_predict_answer_comes_from_run(monkeypatch, template, after, right):
    question = generate_drill("predict", 2, template=template)
    fake_runs(monkeypatch, question, 0.5, after)
    results = {option: grade(question, option) for option, _ in PREDICTIONS}

    assert {o for o, r in results.items() if r.correct} == {right}
    assert all(r.expected == right for r in results.values())
    assert results[right].observed == pytest.approx(
        {"before": 0.5, "after": after, "change": after - 0.5}
    )


@pytest.mark.parametrize("template", PREDICT_TEMPLATES)
def test_predict_within_tolerance_is_same(monkeypatch, template):
    question = generate_drill("predict", 2, template=template)
    tolerance = question.answer["tolerance"]
    for change in (tolerance, -tolerance, tolerance / 2, 0.0):
        fake_runs(monkeypatch, question, 0.25, 0.25 + change)
        result = grade(question, "same")
        assert result.correct, change
        assert not grade(question, "higher").correct
        assert not grade(question, "lower").correct
        assert "so about the same" in result.explanation
        assert result.explanation.endswith(question.answer["explanations"]["same"])


@pytest.mark.parametrize("template", PREDICT_TEMPLATES)
def test_predict_explanation_follows_outcome(monkeypatch, template):
    for seed in range(6):
        question = generate_drill("predict", seed, template=template)
        texts = question.answer["explanations"]
        usual = question.answer["usual_effect"]
        rise = 0.5 if usual == "higher" else -0.5
        fake_runs(monkeypatch, question, 0.0, rise)
        assert grade(question, usual).explanation.endswith(texts["usual"])
        fake_runs(monkeypatch, question, 0.0, -rise)
        opposite = grade(question, "lower" if usual == "higher" else "higher")
        assert opposite.correct
        assert opposite.explanation.endswith(texts["opposite"])
        assert "against the usual effect" in texts["opposite"]


def test_predict_stores_no_outcome():
    for template in PREDICT_TEMPLATES:
        question = generate_drill("predict", 1, template=template)
        assert set(question.answer) == {
            "setup",
            "field",
            "before",
            "after",
            "measure",
            "measure_text",
            "tolerance",
            "usual_effect",
            "explanations",
        }


def test_predict_unchanged_run_is_same():
    question = generate_drill("predict", 1, template="adam-rate-dead")
    answer = dict(question.answer, after=question.answer["before"])
    unchanged = dataclasses.replace(question, answer=answer)
    result = grade(unchanged, "same")
    assert result.correct
    assert result.observed["change"] == 0.0


@pytest.mark.parametrize("answer", ["up", "", None, 1, "Higher", ["same"]])
def test_predict_malformed_gives_error(answer):
    question = generate_drill("predict", 0, template="adam-rate-dead")
    result = grade(question, answer)
    assert not result.correct
    assert result.score == 0.0
    assert "choose one of" in result.error
    assert result.observed == {}


# --- template checks -----------------------------------------------------------


def test_bundled_templates_pass_check():
    for drill in TEMPLATES.values():
        check_template(drill)


def edited_problem(**changes):
    problem = dict(PROBLEMS["vanishing-gradient"], **changes)
    return {"mode": "problem", "problems": [problem]}


def edited_target(**changes):
    target = dict(TARGETS["real_output"], **changes)
    return {"mode": "output_role", "targets": [target]}


def without(entry, key):
    return {name: value for name, value in entry.items() if name != key}


PREDICT_PARAMS = TEMPLATES["adam-rate-dead"].params


def edited_predict(**changes):
    return dict(PREDICT_PARAMS, **changes)


def edited_change(**changes):
    return edited_predict(change=dict(PREDICT_PARAMS["change"], **changes))


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("numeric", {}, "activations"),
        ("choice", {"mode": "quiz"}, "invalid mode"),
        ("choice", {"mode": "problem"}, "problems"),
        (
            "choice",
            edited_problem(avoided_by={"relu": "its slope is 1."}),
            "give a reason for exactly those",
        ),
        (
            "choice",
            edited_problem(
                caused_by={**PROBLEMS["vanishing-gradient"]["caused_by"], "relu": "x"}
            ),
            "'caused_by'",
        ),
        (
            "choice",
            {
                "mode": "problem",
                "problems": [without(PROBLEMS["dead-units"], "caused_by")],
            },
            "missing caused_by",
        ),
        ("choice", edited_target(range=[0, float("inf")]), "disagrees"),
        ("choice", edited_target(sums_to_one=True), "disagrees"),
        (
            "choice",
            {
                "mode": "output_role",
                "targets": [without(TARGETS["binary_output"], "range_text")],
            },
            "missing range_text",
        ),
        (
            "predict",
            {"measure": "metric", "setup": {}, "explanations": {}},
            "change",
        ),
        ("predict", without(PREDICT_PARAMS, "explanations"), "explanations"),
        ("predict", edited_predict(change={"learning_rate": [1, 2]}), "field"),
        ("predict", edited_change(field="speed"), "setup field"),
        ("predict", edited_change(values=[0.1]), "at least two"),
        ("predict", edited_change(values=[0.1, 0.1]), "at least two"),
        ("predict", edited_change(trend="up"), "trend"),
        ("predict", edited_predict(vary={"colour": ["red"]}), "colour"),
        ("predict", edited_predict(explanations={"usual": "x"}), "same, opposite"),
    ],
)
def test_check_template_rejects(kind, params, message):
    drill = lessons.Drill(
        id="broken",
        title="Broken",
        prompt="?",
        expected="!",
        opens="/",
        kind=kind,
        params=params,
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


@pytest.mark.parametrize("seed", range(20))
def test_choice_options_show_names_only(seed):
    question = generate_drill("choice", seed)

    for option_id, text in question.options:
        assert text == option_id
