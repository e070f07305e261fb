"""Concept drills generated from a lesson's drill templates and the registry.

Three kinds of drill come from the templates in a lesson's ``drills.yaml``:

- ``numeric``: the value of g(z) or g'(z) of an activation at a drawn z,
  graded with a relative and an absolute tolerance;
- ``choice``: which activation fits a target or avoids a problem, with the
  right option and the distractors found from the registry's roles and
  properties;
- ``predict``: predict whether a change to a small training run raises or
  lowers a measured number, then run both versions in the engine.

``generate_drill`` turns a template and a seed into a ``Question``, and the
same seed always gives the same question. ``grade`` never raises for a bad
answer: a malformed one gives a ``GradeResult`` with ``error`` set.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from actlab import activations, lessons

from ._scenarios import Setup, run_setup

KINDS = ("numeric", "choice", "predict")
PREDICTIONS = (("higher", "Higher"), ("same", "About the same"), ("lower", "Lower"))

_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class Question:
    """A generated drill question and the data needed to grade it.

    ``options`` are ``(id, text)`` pairs for choice and predict drills, and
    empty for numeric ones. ``answer`` contains the grading data: the expected
    value and tolerances, the correct option ids, or the run to observe.
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
        value = float(text)
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
    if len(parts) == 1:
        return float(text)
    numerator, denominator = (Fraction(part.strip()) for part in parts)
    if denominator == 0:
        raise ValueError(f"invalid answer {text!r}: the denominator is 0")
    return float(numerator / denominator)


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


_REQUIRED_PARAMS = {
    "numeric": ("activations",),
    "choice": ("mode",),
    "predict": ("measure", "setup", "change"),
}
_MODE_PARAMS = {"output_role": "targets", "problem": "problems"}


def check_template(drill: lessons.Drill) -> None:
    """Raise ``ValueError`` naming the template if its ``params`` are incomplete."""
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
    if drill.kind == "predict" and len(drill.params["change"]) != 1:
        raise ValueError(
            f"drill {drill.id!r}: 'change' must map one setup field to [before, after]"
        )


# --- numeric --------------------------------------------------------------------


def _draw_z(rng: np.random.Generator, params: Mapping[str, Any]) -> float:
    low, high = params.get("z_range", (-3.0, 3.0))
    return round(float(rng.uniform(low, high)), int(params.get("decimals", 1)))


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
    expected = float(function(np.array([z]))[0])
    label = "g(z)" if quantity == "value" else "g'(z)"
    formula = spec.formula if quantity == "value" else spec.derivative_formula
    return Question(
        id=f"{drill.id}-{seed}",
        kind="numeric",
        template=drill.id,
        seed=seed,
        prompt=drill.prompt.format(quantity=label, activation=name, z=z),
        concept=drill.concept,
        opens=drill.opens,
        answer={
            "value": expected,
            "rel_tol": float(params.get("rel_tol", 0.01)),
            "abs_tol": float(params.get("abs_tol", 0.005)),
            "explanation": f"For {name}, {label} at z = {z} is {expected:.4g}, "
            f"from ${formula}$.",
        },
    )


def _grade_numeric(question: Question, answer: Any) -> GradeResult:
    data = question.answer
    expected = data["value"]
    expected_text = f"{expected:.4g}"
    try:
        value = parse_number(answer)
    except ValueError as error:
        return GradeResult(
            False, 0.0, expected_text, data["explanation"], error=str(error)
        )
    allowed = max(data["abs_tol"], data["rel_tol"] * abs(expected))
    correct = abs(value - expected) <= allowed
    return GradeResult(correct, float(correct), expected_text, data["explanation"])


# --- choice ---------------------------------------------------------------------


def _matches(spec: activations.Spec, conditions: Mapping[str, Any]) -> bool:
    return all(getattr(spec, key) == value for key, value in conditions.items())


def _elementwise() -> list[activations.Spec]:
    return [spec for spec in activations.specs() if not spec.vector]


def _output_choice(
    params: Mapping[str, Any], rng: np.random.Generator
) -> tuple[str, list[str], list[str], str]:
    target = params["targets"][int(rng.integers(len(params["targets"])))]
    role = activations.Role(target["role"])
    outputs = [
        spec for spec in activations.specs() if spec.roles - {activations.Role.HIDDEN}
    ]
    right = [spec.name for spec in outputs if role in spec.roles]
    wrong = [spec.name for spec in outputs if role not in spec.roles]
    reason = f"the registry gives that role ({role.value}) to {', '.join(right)}"
    return target["text"], right, wrong, reason


def _problem_choice(
    params: Mapping[str, Any], rng: np.random.Generator
) -> tuple[str, list[str], list[str], str]:
    problem = params["problems"][int(rng.integers(len(params["problems"])))]
    specs = _elementwise()
    right = [
        spec.name
        for spec in specs
        if activations.Role.HIDDEN in spec.roles
        and _matches(spec, problem["answer_when"])
    ]
    wrong = [spec.name for spec in specs if _matches(spec, problem["distractor_when"])]
    return problem["text"], right, wrong, problem["reason"]


def _choice(drill: lessons.Drill, seed: int, rng: np.random.Generator) -> Question:
    params = drill.params
    pick = _output_choice if params["mode"] == "output_role" else _problem_choice
    subject, right, wrong, reason = pick(params, rng)
    n_wrong = min(int(params.get("n_options", 4)) - 1, len(wrong))
    answer = str(rng.choice(right))
    distractors = [str(name) for name in rng.choice(wrong, n_wrong, replace=False)]
    names = [answer, *distractors]
    names = [names[i] for i in rng.permutation(len(names))]
    options = tuple((name, activations.spec(name).description) for name in names)
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
        answer={
            "correct": (answer,),
            "explanation": f"{answer} fits: {reason.rstrip('.')}. The other options "
            f"({', '.join(distractors)}) lack that property.",
        },
    )


def _check_option(question: Question, answer: Any) -> str | None:
    ids = [option_id for option_id, _ in question.options]
    if not isinstance(answer, str) or answer.strip() not in ids:
        return f"invalid choice {answer!r}: choose one of {', '.join(ids)}"
    return None


def _grade_choice(question: Question, answer: Any) -> GradeResult:
    expected = ", ".join(question.answer["correct"])
    explanation = question.answer["explanation"]
    problem = _check_option(question, answer)
    if problem is not None:
        return GradeResult(False, 0.0, expected, explanation, error=problem)
    correct = answer.strip() in question.answer["correct"]
    return GradeResult(correct, float(correct), expected, explanation)


# --- predict then observe -------------------------------------------------------


def _predict(drill: lessons.Drill, seed: int, rng: np.random.Generator) -> Question:
    params = drill.params
    setup = dict(params["setup"])
    setup["sizes"] = tuple(setup["sizes"])
    ((name, (before, after)),) = params["change"].items()
    return Question(
        id=f"{drill.id}-{seed}",
        kind="predict",
        template=drill.id,
        seed=seed,
        prompt=drill.prompt,
        concept=drill.concept,
        options=PREDICTIONS,
        opens=drill.opens,
        answer={
            "setup": setup,
            "field": name,
            "before": before,
            "after": after,
            "measure": params["measure"],
            "measure_text": params.get("measure_text", params["measure"]),
            "tolerance": float(params.get("tolerance", 0.05)),
            "explanation": drill.expected,
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
    """Return ``"higher"``, ``"lower"`` or ``"same"`` for a measured change."""
    if change > tolerance:
        return "higher"
    if change < -tolerance:
        return "lower"
    return "same"


def _grade_predict(question: Question, answer: Any) -> GradeResult:
    data = question.answer
    problem = _check_option(question, answer)
    if problem is not None:
        return GradeResult(False, 0.0, "", data["explanation"], error=problem)
    observed = observe(question)
    actual = outcome(observed["change"], data["tolerance"])
    correct = answer.strip() == actual
    explanation = (
        f"Observed: {data['measure_text']} went from {observed['before']:.3g} to "
        f"{observed['after']:.3g}. {data['explanation']}"
    )
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
