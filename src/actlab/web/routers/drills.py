"""Concept drills: generate a question, grade an answer, record the attempt.

A question is fully determined by its template id and its seed. The server
sends the question without its answer, and to grade an answer it generates
the same question again from the ``(template, seed)`` pair that the page
sends back. The endpoints are plain functions, so FastAPI runs them in its
threadpool: grading a predict drill trains two small networks.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema

from actlab import activations, lessons, practice
from actlab.store import Store

from .. import formulas, lesson_render
from ..curves import InvalidInput
from ..deps import get_store
from ..schemas import ErrorBody, JsonBody
from ..templating import templates
from .practice_page import (
    LESSON,
    ActionId,
    AttemptOut,
    Seed,
    check_same_kind,
    random_seed,
)

router = APIRouter(tags=["drills"])

ERRORS = {422: {"model": ErrorBody, "description": "invalid template, seed or answer"}}
DrillKind = Literal[practice.KINDS]
MAX_ANSWER = 200


def _check_answer(value: Any) -> float | int | str:
    """Return ``value`` if it is a number or a short text, else raise ValueError.

    A numeric answer may be a number or text such as "1/4", and a choice is
    an option id. Whether the value fits the question is the grader's check.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(
            f"invalid answer {value!r}: give a number, a number as text such as "
            "'1/4', or an option id"
        )
    if isinstance(value, str) and len(value) > MAX_ANSWER:
        raise ValueError(
            f"invalid answer of {len(value)} characters: give at most {MAX_ANSWER}"
        )
    return value


Answer = Annotated[
    Any,
    AfterValidator(_check_answer),
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string", "maxLength": MAX_ANSWER}]}
    ),
]
# The numeric explanations end in ", from $<LaTeX of the formula>$."
_FORMULA = re.compile(r"^(?P<text>.*?),? from \$(?P<latex>.+)\$\.$", re.DOTALL)


class TemplateOut(BaseModel):
    """A drill template, without its prompt parameters or expected answer."""

    id: str
    kind: DrillKind
    title: str = Field(description="a short name for menus")
    concept: str | None
    opens: str = Field(description="URL of the lesson part or lab page to read next")


class TemplateList(BaseModel):
    """The drill kinds and every template of the lesson."""

    kinds: list[str]
    templates: list[TemplateOut]


class NewDrill(JsonBody):
    """A request for a question, in which every field is optional."""

    kind: DrillKind | None = Field(
        default=None, description="the kind to draw a template of"
    )
    template: str | None = Field(default=None, description="a template id")
    seed: Seed | None = Field(default=None, description="random if not given")


class OptionOut(BaseModel):
    """One option of a choice or predict drill."""

    id: str
    text: str


class QuestionOut(BaseModel):
    """A generated question, without its answer."""

    id: str
    kind: DrillKind
    template: str
    title: str = Field(description="the template's short name")
    seed: int
    prompt: str
    concept: str | None
    options: list[OptionOut] = Field(description="empty for a numeric drill")
    opens: str | None = Field(description="URL of the part to read on the topic")


class DrillAnswer(JsonBody):
    """An answer to the question that ``template`` and ``seed`` generate."""

    template: str
    seed: Seed
    answer: Answer = Field(description="a number or its text, or an option id")
    action_id: ActionId | None = None


class GradeOut(BaseModel):
    """The grade of one answer, with the explanation to read after it."""

    template: str
    seed: int
    kind: DrillKind
    answer: float | int | str
    correct: bool
    score: float
    expected: str = Field(description="the right answer as text")
    explanation: str
    formula: str | None = Field(description="LaTeX of the formula used, if any")
    formula_image: str | None = Field(description="URL of that formula as SVG")
    observed: dict[str, float] = Field(
        description="a predict drill's measure before and after the change, "
        "and the change; empty for other kinds"
    )
    opens: str | None
    attempt: AttemptOut


def _templates() -> dict[str, lessons.Drill]:
    return practice.drill_templates(LESSON)


def _resolve(target: str | None) -> str | None:
    return None if target is None else lesson_render.resolve_target(target, LESSON)


def _find_template(template_id: str) -> lessons.Drill:
    drills = _templates()
    if template_id not in drills:
        raise InvalidInput(
            "template",
            f"unknown drill template {template_id!r}: choose one of "
            f"{', '.join(drills)}",
        )
    return drills[template_id]


def _question(template: lessons.Drill, seed: int) -> practice.Question:
    return practice.generate_drill(template.kind, seed, LESSON, template=template.id)


def _question_out(question: practice.Question) -> QuestionOut:
    return QuestionOut(
        id=question.id,
        kind=question.kind,
        template=question.template,
        title=question.title,
        seed=question.seed,
        prompt=question.prompt,
        concept=question.concept,
        options=[OptionOut(id=i, text=text) for i, text in question.options],
        opens=_resolve(question.opens),
    )


def _pick_template(body: NewDrill, seed: int) -> lessons.Drill:
    """Return the requested template, or one drawn with ``seed``."""
    if body.template is not None:
        template = _find_template(body.template)
        if body.kind is not None and body.kind != template.kind:
            raise InvalidInput(
                "kind",
                f"invalid kind {body.kind!r} for template {template.id!r}, "
                f"which is a {template.kind} drill: leave kind out or give "
                f"{template.kind!r}",
            )
        return template
    kind = body.kind
    if kind is None:
        kind = practice.KINDS[int(np.random.default_rng(seed).integers(3))]
    matching = [drill for drill in _templates().values() if drill.kind == kind]
    if not matching:
        raise InvalidInput("kind", f"the lesson has no {kind} drill template")
    return matching[int(np.random.default_rng(seed).integers(len(matching)))]


def _split_formula(explanation: str) -> tuple[str, str | None, str | None]:
    """Split a numeric explanation into its text, its LaTeX and an image URL.

    The URL is None when mathtext cannot draw the formula, and the page then
    shows the LaTeX as text.
    """
    match = _FORMULA.match(explanation)
    if match is None:
        return explanation, None, None
    text, latex = match.group("text") + ".", match.group("latex")
    for spec in activations.specs():
        for part, formula in (
            ("value", spec.formula),
            ("derivative", spec.derivative_formula),
        ):
            if formula == latex and formulas.render_svg(latex) is not None:
                return text, latex, f"/formulas/{spec.name}/{part}.svg"
    return text, latex, None


def _grade_out(
    question: practice.Question,
    answer: float | int | str,
    result: practice.GradeResult,
    attempt: AttemptOut,
) -> GradeOut:
    text, latex, image = _split_formula(result.explanation)
    return GradeOut(
        template=question.template,
        seed=question.seed,
        kind=question.kind,
        answer=answer,
        correct=result.correct,
        score=result.score,
        expected=result.expected,
        explanation=text,
        formula=latex,
        formula_image=image,
        observed=dict(result.observed),
        opens=_resolve(question.opens),
        attempt=attempt,
    )


def _grade(
    question: practice.Question, answer: float | int | str
) -> practice.GradeResult:
    result = practice.grade(question, answer)
    if result.error is not None:
        raise InvalidInput("answer", result.error)
    return result


@router.get("/api/drills/templates", response_model=TemplateList)
def list_templates() -> TemplateList:
    """List the drill kinds and the lesson's drill templates."""
    return TemplateList(
        kinds=list(practice.KINDS),
        templates=[
            TemplateOut(
                id=drill.id,
                kind=drill.kind,
                title=drill.title,
                concept=drill.concept,
                opens=_resolve(drill.opens),
            )
            for drill in _templates().values()
        ],
    )


@router.post("/api/drills/new", response_model=QuestionOut, responses=ERRORS)
def new_drill(body: NewDrill) -> QuestionOut:
    """Generate a question, drawing the seed and the template when not given."""
    seed = random_seed() if body.seed is None else body.seed
    template = _pick_template(body, seed)
    return _question_out(_question(template, seed))


@router.post("/api/drills/answer", response_model=GradeOut, responses=ERRORS)
def answer_drill(
    body: DrillAnswer, store: Annotated[Store, Depends(get_store)]
) -> GradeOut:
    """Grade an answer, record it as a drill attempt and explain the answer.

    A malformed answer is rejected with a 422 and not recorded. A repeated
    ``action_id`` stores nothing new, and the response grades the answer
    stored the first time.
    """
    question = _question(_find_template(body.template), body.seed)
    result = _grade(question, body.answer)
    record = store.record_attempt(
        "drill",
        question.template,
        score=result.score,
        correct=result.correct,
        concept=question.concept,
        detail={"seed": question.seed, "answer": body.answer},
        action_id=body.action_id,
    )
    answer = body.answer
    if record.duplicate:
        check_same_kind(record, "drill")
        # The first request may have carried another answer or question.
        first = record.detail
        question = _question(_find_template(record.item_id), int(first["seed"]))
        answer = first["answer"]
        result = practice.grade(question, answer)
    attempt = AttemptOut(
        id=record.id, action_id=record.action_id, duplicate=record.duplicate
    )
    return _grade_out(question, answer, result, attempt)


@router.get("/drill", response_class=HTMLResponse)
def drill_page(request: Request) -> Response:
    """Render the drill page, whose script requests each question and its grade."""
    context = {"catalogue": list_templates()}
    return templates.TemplateResponse(request, "drill.html", context)
