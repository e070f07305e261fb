"""Concept drills generated from a lesson's drill templates and the registry.

Three kinds of drill come from the templates in a lesson's ``drills.yaml``:

- ``numeric``: the value of g(z) or g'(z) of an activation at a drawn z,
  graded with a relative and an absolute tolerance;
- ``choice``: which activation fits a target or avoids a problem. The right
  option and the distractors come from the registry's roles and properties,
  and each option carries the reason why it fits or does not;
- ``predict``: predict whether a change to a small training run raises or
  lowers a measured number, then run both versions in the engine. The seed
  draws the setup and the two values of the changed field, in either order.

``generate_drill`` turns a template and a seed into a ``Question``, and the
same seed always gives the same question. ``grade`` never raises for a bad
answer: a malformed one gives a ``GradeResult`` with ``error`` set.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from actlab import activations, lessons

from ._scenarios import Setup, run_setup

KINDS = ("numeric", "choice", "predict")
PREDICTIONS = (("higher", "Higher"), ("same", "About the same"), ("lower", "Lower"))

_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_REVERSED = {"higher": "lower", "lower": "higher"}
_INTERVAL = re.compile(r"[\[(][^\])]*[\])]")


@dataclass(frozen=True)
class Question:
    """A generated drill question and the data needed to grade it.

    ``options`` are ``(id, text)`` pairs for choice and predict drills, and
    empty for numeric ones. ``answer`` contains the grading data: the expected
    value and tolerances, the correct option ids with a reason per option, or
    the run to observe. ``title`` is the template's short name for menus.
    """

    id: str
    kind: str
    template: str
    seed: int
    prompt: str
    concept: str | None
    options: tuple[tuple[str, str], ...] = ()
    answer: Mapping[str, Any] = field(default_factory=dict)
    opens: str | None = None
    title: str = ""


@dataclass(frozen=True)
class GradeResult:
    """The grade of one answer, with the explanation to show after it.

    ``score`` is 1.0 or 0.0. For malformed input ``error`` states what is
    wrong and ``correct`` is False. ``observed`` has a predict drill's
    measured numbers.
    """

    correct: bool
    score: float
    expected: str
    explanation: str
    error: str | None = None
    observed: Mapping[str, float] = field(default_factory=dict)


def parse_number(text: Any) -> float:
    """Parse a decimal, scientific or fraction answer such as ``"1/4"``.

    Raises ``ValueError`` with a message for the learner on anything else,
    including ``nan``, ``inf`` and a zero denominator.
    """
    if isinstance(text, bool):
        raise ValueError(f"invalid answer {text!r}: give a number such as 0.25")
    if isinstance(text, int | float):
        value = _to_float(text, text)
    elif isinstance(text, str):
        value = _parse_text(text.strip())
    else:
        raise ValueError(f"invalid answer {text!r}: give a number such as 0.25")
    if not math.isfinite(value):
        raise ValueError(f"invalid answer {text!r}: the number must be finite")
    return value


def _parse_text(text: str) -> float:
    hint = "give a number such as 0.25, .25, 2.5e-1 or 1/4"
    if not text:
        raise ValueError(f"missing answer: {hint}")
    parts = text.split("/")
    if len(parts) > 2 or not all(_DECIMAL.fullmatch(part.strip()) for part in parts):
        raise ValueError(f"invalid answer {text!r}: {hint}")
    # Floats, not exact fractions: an exponent such as 1e7000000 would make
    # Fraction build a number of millions of digits.
    numerator, *rest = (_to_float(part.strip(), text) for part in parts)
    if not rest:
        return numerator
    if rest[0] == 0:
        raise ValueError(
            f"invalid answer {text!r}: the denominator is 0 or too close to 0 for a "
            "float"
        )
    return _to_float(numerator / rest[0], text)


def _to_float(value: Any, text: Any) -> float:
    """Return ``value`` as a finite float, or raise ``ValueError`` naming ``text``."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(
            f"invalid answer {_shorten(text)}: the number must be finite and within "
            "about ±1.8e308"
        )
    return number


def _shorten(value: Any, limit: int = 40) -> str:
    """Return ``repr(value)``, cut to ``limit`` characters for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number_text(value: float, digits: int = 4) -> str:
    """Format ``value`` to ``digits`` significant digits, never as ``-0``."""
    return f"{value + 0.0:.{digits}g}"


def drill_templates(lesson: str = "activations") -> dict[str, lessons.Drill]:
    """Return the drill templates of a bundled lesson, by id."""
    loaded = lessons.bundled_lessons()
    if lesson not in loaded:
        raise KeyError(f"unknown lesson {lesson!r}: choose one of {', '.join(loaded)}")
    return {drill.id: drill for drill in loaded[lesson].drills}


def generate_drill(
    kind: str, seed: int, lesson: str | None = None, template: str | None = None
) -> Question:
    """Generate a question of ``kind`` from a lesson's templates with ``seed``.

    The seed picks the template (unless ``template`` names one) and every
    random choice in it. ``lesson`` defaults to the bundled ``activations``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown drill kind {kind!r}: choose one of {KINDS}")
    templates = drill_templates(lesson or "activations")
    matching = [drill for drill in templates.values() if drill.kind == kind]
    if template is not None:
        matching = [drill for drill in matching if drill.id == template]
    if not matching:
        named = f" named {template!r}" if template else ""
        raise ValueError(f"no {kind} drill template{named} in the lesson")
    rng = np.random.default_rng(seed)
    chosen = matching[int(rng.integers(len(matching)))]
    check_template(chosen)
    return _GENERATORS[kind](chosen, seed, rng)


# --- template checks ------------------------------------------------------------

_REQUIRED_PARAMS = {
    "numeric": ("activations",),
    "choice": ("mode",),
    "predict": ("measure", "setup", "change", "explanations"),
}
_MODE_PARAMS = {"output_role": "targets", "problem": "problems"}
_TARGET_KEYS = ("role", "text", "range", "range_text")
_PROBLEM_KEYS = (
    "id",
    "text",
    "answer_when",
    "distractor_when",
    "avoided_by",
    "caused_by",
)
_EXPLANATION_KEYS = ("usual", "same", "opposite")


def check_template(drill: lessons.Drill) -> None:
    """Raise ``ValueError`` naming the template if its ``params`` are invalid.

    Besides missing params, this rejects choice data that disagrees with the
    registry (a target range that does not match the role, an activation
    without a reason). For a predict drill it rejects an unknown setup field,
    fewer than two values to change, an unknown trend and a missing text
    under ``explanations``.
    """
    required = list(_REQUIRED_PARAMS[drill.kind])
    if drill.kind == "choice":
        mode = drill.params.get("mode")
        if mode not in _MODE_PARAMS:
            raise ValueError(
                f"drill {drill.id!r}: invalid mode {mode!r}, choose one of "
                f"{', '.join(_MODE_PARAMS)}"
            )
        required.append(_MODE_PARAMS[mode])
    missing = [name for name in required if name not in drill.params]
    if missing:
        raise ValueError(
            f"drill {drill.id!r} ({drill.kind}) is missing params: {', '.join(missing)}"
        )
    if drill.kind == "choice" and drill.params["mode"] == "output_role":
        for target in drill.params["targets"]:
            _check_target(drill.id, target)
    elif drill.kind == "choice":
        for problem in drill.params["problems"]:
            _check_problem(drill.id, problem)
    elif drill.kind == "predict":
        _check_predict(drill)


def _check_keys(drill_id: str, entry: Mapping[str, Any], keys: Sequence[str]) -> None:
    missing = [key for key in keys if key not in entry]
    if missing:
        name = entry.get("id", entry.get("role", entry.get("text")))
        raise ValueError(
            f"drill {drill_id!r}: entry {name!r} is missing {', '.join(missing)}"
        )


def _check_target(drill_id: str, target: Mapping[str, Any]) -> None:
    """Check that the target's range picks the activations of its role."""
    _check_keys(drill_id, target, _TARGET_KEYS)
    role = activations.Role(target["role"])
    for spec in _output_specs():
        if (role in spec.roles) != _fits_target(spec, target):
            raise ValueError(
                f"drill {drill_id!r}: target {role.value!r} has range "
                f"{target['range']} and sums_to_one="
                f"{bool(target.get('sums_to_one'))}, which disagrees with the "
                f"registry for {spec.name} (range {spec.range_text}, roles "
                f"{', '.join(sorted(spec.roles))}): correct the target's range"
            )


def _check_problem(drill_id: str, problem: Mapping[str, Any]) -> None:
    """Check that every activation that can be drawn has its own reason."""
    _check_keys(drill_id, problem, _PROBLEM_KEYS)
    sides = (
        ("avoided_by", _problem_answers(problem)),
        ("caused_by", _problem_distractors(problem)),
    )
    for key, drawn in sides:
        written = set(problem[key])
        if written != set(drawn):
            raise ValueError(
                f"drill {drill_id!r}: problem {problem['id']!r} lists "
                f"{', '.join(sorted(written)) or 'nothing'} under {key!r}, but the "
                f"registry matches {', '.join(sorted(drawn)) or 'nothing'}: give a "
                "reason for exactly those activations"
            )


def _check_predict(drill: lessons.Drill) -> None:
    params = drill.params
    change = params["change"]
    fields = {item.name for item in dataclasses.fields(Setup)}
    if not isinstance(change, Mapping) or change.get("field") not in fields:
        raise ValueError(
            f"drill {drill.id!r}: 'change' must name a setup field as 'field', "
            f"one of {', '.join(sorted(fields))}"
        )
    values = change.get("values", ())
    if len(values) < 2 or len(set(map(repr, values))) != len(values):
        raise ValueError(
            f"drill {drill.id!r}: 'change.values' must list at least two "
            "different values"
        )
    if change.get("trend") not in _REVERSED:
        raise ValueError(
            f"drill {drill.id!r}: 'change.trend' must be 'higher' or 'lower'"
        )
    unknown = sorted(set(params.get("vary", {})) - fields)
    if unknown:
        raise ValueError(
            f"drill {drill.id!r}: 'vary' names unknown setup fields: "
            f"{', '.join(unknown)}"
        )
    missing = [key for key in _EXPLANATION_KEYS if key not in params["explanations"]]
    if missing:
        raise ValueError(
            f"drill {drill.id!r}: 'explanations' is missing texts for "
            f"{', '.join(missing)}"
        )


# --- numeric --------------------------------------------------------------------


def _draw_z(rng: np.random.Generator, params: Mapping[str, Any]) -> float:
    low, high = params.get("z_range", (-3.0, 3.0))
    z = round(float(rng.uniform(low, high)), int(params.get("decimals", 1)))
    # Rounding a small negative number gives -0.0, and adding 0.0 makes it 0.0.
    return z + 0.0


def _numeric(drill: lessons.Drill, seed: int, rng: np.random.Generator) -> Question:
    params = drill.params
    name = str(rng.choice(params["activations"]))
    quantity = str(rng.choice(params.get("quantities", ["value"])))
    spec = activations.spec(name)
    z = _draw_z(rng, params)
    while quantity == "derivative" and z in spec.kinks:
        z = _draw_z(rng, params)

    activation = activations.get(name)
    function = activation if quantity == "value" else activation.derivative
    expected = float(function(np.array([z]))[0]) + 0.0
    label = "g(z)" if quantity == "value" else "g'(z)"
    formula = spec.formula if quantity == "value" else spec.derivative_formula
    defaults = ", ".join(f"{item.name} = {item.default}" for item in spec.parameters)
    named = f"{name} ({defaults})" if defaults else name
    return Question(
        id=f"{drill.id}-{seed}",
        kind="numeric",
        template=drill.id,
        seed=seed,
        prompt=drill.prompt.format(quantity=label, activation=name, z=z),
        concept=drill.concept,
        opens=drill.opens,
        title=drill.title,
        answer={
            "value": expected,
            "rel_tol": float(params.get("rel_tol", 0.01)),
            "abs_tol": float(params.get("abs_tol", 0.005)),
            "explanation": f"For {named}, {label} at z = {z} is "
            f"{_number_text(expected)}, from ${formula}$.",
        },
    )


def _grade_numeric(question: Question, answer: Any) -> GradeResult:
    data = question.answer
    expected = data["value"]
    expected_text = _number_text(expected)
    try:
        value = parse_number(answer)
    except ValueError as error:
        return GradeResult(
            False, 0.0, expected_text, data["explanation"], error=str(error)
        )
    allowed = max(data["abs_tol"], data["rel_tol"] * abs(expected))
    correct = abs(value - expected) <= allowed
    return GradeResult(correct, float(correct), expected_text, data["explanation"])


# --- choice: output activation for a target ---------------------------------------


def _output_specs() -> list[activations.Spec]:
    """Return the activations that the registry gives an output role."""
    return [
        spec for spec in activations.specs() if spec.roles - {activations.Role.HIDDEN}
    ]


def _target_range(target: Mapping[str, Any]) -> tuple[float, float]:
    low, high = target["range"]
    return float(low), float(high)


def _interval(spec: activations.Spec) -> str:
    """Return the interval that opens the registry's range text, as ``(0, 1)``.

    Softmax's range text goes on to state that its outputs sum to 1, which the
    explanations state in their own words.
    """
    match = _INTERVAL.match(spec.range_text)
    return match.group(0) if match else spec.range_text


def _fits_target(spec: activations.Spec, target: Mapping[str, Any]) -> bool:
    """Return whether the output range and normalisation match the target's."""
    sums_to_one = bool(target.get("sums_to_one"))
    return spec.output_range == _target_range(target) and spec.vector == sums_to_one


def _range_clause(spec: activations.Spec, target: Mapping[str, Any]) -> str:
    """Describe the values outside the target's range that ``spec`` can output.

    The clause also names the parts of the target's range that ``spec`` cannot
    reach. It is "" when the two ranges are the same.
    """
    low, high = _target_range(target)
    bottom, top = spec.output_range
    beyond, short = [], []
    if bottom < low:
        beyond.append(f"below {low:g}")
    if top > high:
        beyond.append(f"above {high:g}")
    if bottom > low:
        short.append(f"below {bottom:g}")
    if top < high:
        short.append(f"above {top:g}")

    clauses = []
    if beyond:
        clauses.append("can output values " + " and ".join(beyond))
    if short:
        clauses.append("cannot output values " + " or ".join(short))
    return " and ".join(clauses)


def _sum_problem(spec: activations.Spec, target: Mapping[str, Any]) -> str:
    """Describe how ``spec`` breaks the target's sum to 1, or return ""."""
    units = int(target.get("units", 1))
    if spec.vector and not target.get("sums_to_one"):
        if units == 1:
            return (
                "it rescales its outputs so that they sum to 1, so on the single "
                "output unit that this target needs it always outputs 1"
            )
        return (
            f"it makes its outputs sum to 1, but the target's {units} values need not"
        )
    if target.get("sums_to_one") and not spec.vector:
        return (
            f"it acts on each of the {units} output units on its own, so nothing "
            "makes their outputs sum to 1"
        )
    return ""


def _output_reason(spec: activations.Spec, target: Mapping[str, Any]) -> str:
    """Explain why ``spec`` fits the target or, if it does not, why not."""
    if _fits_target(spec, target):
        summed = " and sum to 1" if spec.vector else ""
        return (
            f"{spec.name} fits: its outputs lie in {_interval(spec)}{summed}, "
            f"which matches the target, {target['range_text']}."
        )

    problems = [_sum_problem(spec, target)]
    clause = _range_clause(spec, target)
    if clause:
        outputs = "its outputs also" if problems[0] else "its outputs"
        problems.append(
            f"{outputs} lie in {_interval(spec)}, so it {clause}, but the target "
            f"is {target['range_text']}"
        )

    first, *rest = [problem for problem in problems if problem]
    sentences = [f"{spec.name} does not fit: {first}."]
    sentences += [f"{text[0].upper()}{text[1:]}." for text in rest]
    return " ".join(sentences)


def _output_choice(
    params: Mapping[str, Any], rng: np.random.Generator
) -> tuple[str, list[str], list[str], dict[str, str]]:
    target = params["targets"][int(rng.integers(len(params["targets"])))]
    role = activations.Role(target["role"])
    outputs = _output_specs()
    right = [spec.name for spec in outputs if role in spec.roles]
    wrong = [spec.name for spec in outputs if role not in spec.roles]
    reasons = {spec.name: _output_reason(spec, target) for spec in outputs}
    return target["text"], right, wrong, reasons


# --- choice: hidden activation against a problem ----------------------------------


def _matches(spec: activations.Spec, conditions: Mapping[str, Any]) -> bool:
    return all(getattr(spec, key) == value for key, value in conditions.items())


def _problem_answers(problem: Mapping[str, Any]) -> list[str]:
    """Return the hidden elementwise activations that avoid the problem."""
    return [
        spec.name
        for spec in activations.specs()
        if not spec.vector
        and activations.Role.HIDDEN in spec.roles
        and _matches(spec, problem["answer_when"])
    ]


def _problem_distractors(problem: Mapping[str, Any]) -> list[str]:
    """Return the elementwise activations that have the problem."""
    return [
        spec.name
        for spec in activations.specs()
        if not spec.vector and _matches(spec, problem["distractor_when"])
    ]


def _problem_choice(
    params: Mapping[str, Any], rng: np.random.Generator
) -> tuple[str, list[str], list[str], dict[str, str]]:
    problem = params["problems"][int(rng.integers(len(params["problems"])))]
    right = _problem_answers(problem)
    wrong = _problem_distractors(problem)
    reasons = {
        name: f"{name} avoids it: {problem['avoided_by'][name]}" for name in right
    }
    for name in wrong:
        reasons[name] = f"{name} has this problem: {problem['caused_by'][name]}"
    return problem["text"], right, wrong, reasons


def _choice(drill: lessons.Drill, seed: int, rng: np.random.Generator) -> Question:
    params = drill.params
    pick = _output_choice if params["mode"] == "output_role" else _problem_choice
    subject, right, wrong, reasons = pick(params, rng)
    n_wrong = min(int(params.get("n_options", 4)) - 1, len(wrong))
    answer = str(rng.choice(right))
    distractors = [str(name) for name in rng.choice(wrong, n_wrong, replace=False)]
    names = [answer, *distractors]
    names = [names[i] for i in rng.permutation(len(names))]
    # Only the names: a description would say what each activation is for and
    # so give the answer away.
    options = tuple((name, name) for name in names)
    key = "target" if params["mode"] == "output_role" else "problem"
    return Question(
        id=f"{drill.id}-{seed}",
        kind="choice",
        template=drill.id,
        seed=seed,
        prompt=drill.prompt.format(**{key: subject}),
        concept=drill.concept,
        options=options,
        opens=drill.opens,
        title=drill.title,
        answer={
            "correct": (answer,),
            "reasons": {name: reasons[name] for name in names},
        },
    )


def _check_option(question: Question, answer: Any) -> str | None:
    ids = [option_id for option_id, _ in question.options]
    if not isinstance(answer, str) or answer.strip() not in ids:
        return f"invalid choice {answer!r}: choose one of {', '.join(ids)}"
    return None


def _choice_explanation(question: Question, answer: str | None = None) -> str:
    """Explain the right option and, for a wrong ``answer``, why it is wrong."""
    reasons = question.answer["reasons"]
    (right,) = question.answer["correct"]
    if answer is None or answer == right:
        return reasons[right]
    return f"{reasons[answer]} {reasons[right]}"


def _grade_choice(question: Question, answer: Any) -> GradeResult:
    expected = ", ".join(question.answer["correct"])
    problem = _check_option(question, answer)
    if problem is not None:
        explanation = _choice_explanation(question)
        return GradeResult(False, 0.0, expected, explanation, error=problem)
    picked = answer.strip()
    correct = picked in question.answer["correct"]
    explanation = _choice_explanation(question, picked)
    return GradeResult(correct, float(correct), expected, explanation)


# --- predict then observe -------------------------------------------------------


def _setting_text(value: Any, labels: Mapping[Any, str] | None = None) -> str:
    """Return a setup value as the prompt shows it: ``30-16-1``, ``0.001``."""
    if labels and value in labels:
        return labels[value]
    if isinstance(value, list | tuple):
        return "-".join(str(item) for item in value)
    if isinstance(value, float):
        return _number_text(value, 6)
    return str(value)


def _draw_setup(params: Mapping[str, Any], rng: np.random.Generator) -> dict:
    setup = dict(params["setup"])
    for name, choices in params.get("vary", {}).items():
        setup[name] = choices[int(rng.integers(len(choices)))]
    setup["sizes"] = tuple(setup["sizes"])
    return setup


def _prediction_options(tolerance: float) -> tuple[tuple[str, str], ...]:
    """Return ``PREDICTIONS`` with the tolerance in the label of ``same``."""
    within = f"About the same, within ±{_number_text(tolerance)}"
    return tuple(
        (option_id, within if option_id == "same" else label)
        for option_id, label in PREDICTIONS
    )


def _predict(drill: lessons.Drill, seed: int, rng: np.random.Generator) -> Question:
    params = drill.params
    change = params["change"]
    setup = _draw_setup(params, rng)
    values = change["values"]
    first, second = (int(index) for index in rng.choice(len(values), 2, replace=False))
    before, after = values[first], values[second]
    labels = change.get("labels")
    tolerance = float(params.get("tolerance", 0.05))
    words = {name: _setting_text(value) for name, value in setup.items()}
    words |= {
        "before": _setting_text(before, labels),
        "after": _setting_text(after, labels),
        "earlier": _setting_text(values[min(first, second)]),
        "later": _setting_text(values[max(first, second)]),
        "tolerance": _number_text(tolerance),
    }
    # The usual effect of this change picks the text under 'explanations'. The
    # outcome itself is measured when the answer is graded.
    usual = change["trend"] if second > first else _REVERSED[change["trend"]]
    return Question(
        id=f"{drill.id}-{seed}",
        kind="predict",
        template=drill.id,
        seed=seed,
        prompt=drill.prompt.format(**words),
        concept=drill.concept,
        options=_prediction_options(tolerance),
        opens=drill.opens,
        title=drill.title,
        answer={
            "setup": setup,
            "field": change["field"],
            "before": before,
            "after": after,
            "measure": params["measure"],
            "measure_text": params.get("measure_text", params["measure"]),
            "tolerance": tolerance,
            "usual_effect": usual,
            "explanations": {
                key: params["explanations"][key].format(**words)
                for key in _EXPLANATION_KEYS
            },
        },
    )


def observe(question: Question) -> dict[str, float]:
    """Run a predict drill's two versions with its seed; return the measures.

    Returns ``before`` and ``after`` (the measured number without and with
    the change) and ``change`` (after minus before).
    """
    data = question.answer
    base = Setup(**data["setup"])
    values = {}
    for label in ("before", "after"):
        setup = dataclasses.replace(base, **{data["field"]: data[label]})
        measures, *_ = run_setup(setup, question.seed)
        values[label] = float(measures[data["measure"]])
    values["change"] = values["after"] - values["before"]
    return values


def outcome(change: float, tolerance: float) -> str:
    """Return ``"higher"``, ``"lower"`` or ``"same"`` for a measured change.

    A change of at most ``tolerance`` either way counts as ``"same"``, and so
    does one that exceeds it only by rounding error: 0.27 - 0.25 is
    0.020000000000000018 in float64, which a tolerance of 0.02 must include.
    """
    if abs(change) <= tolerance or math.isclose(abs(change), tolerance):
        return "same"
    return "higher" if change > 0 else "lower"


def _predict_explanation(
    data: Mapping[str, Any], observed: Mapping[str, float], actual: str
) -> str:
    """Describe the measured change and explain it with the matching text."""
    change = observed["change"]
    if actual == "same":
        moved = (
            f"a change of {_number_text(change, 2)}, within "
            f"±{_number_text(data['tolerance'])}, so about the same"
        )
        reason = data["explanations"]["same"]
    else:
        direction = "up" if actual == "higher" else "down"
        moved = f"{direction} by {_number_text(abs(change), 3)}"
        usual = actual == data["usual_effect"]
        reason = data["explanations"]["usual" if usual else "opposite"]
    return (
        f"Observed: {data['measure_text']} went from "
        f"{_number_text(observed['before'], 3)} to "
        f"{_number_text(observed['after'], 3)} ({moved}). {reason}"
    )


def _grade_predict(question: Question, answer: Any) -> GradeResult:
    data = question.answer
    problem = _check_option(question, answer)
    if problem is not None:
        explanation = (
            "No run was made, because the prediction is not one of the options."
        )
        return GradeResult(False, 0.0, "", explanation, error=problem)
    observed = observe(question)
    actual = outcome(observed["change"], data["tolerance"])
    correct = answer.strip() == actual
    explanation = _predict_explanation(data, observed, actual)
    return GradeResult(correct, float(correct), actual, explanation, None, observed)


_GENERATORS = {"numeric": _numeric, "choice": _choice, "predict": _predict}
_GRADERS = {
    "numeric": _grade_numeric,
    "choice": _grade_choice,
    "predict": _grade_predict,
}


def grade(question: Question, answer: Any) -> GradeResult:
    """Grade ``answer`` to ``question``; a malformed answer sets ``error``."""
    return _GRADERS[question.kind](question, answer)
