"""The ordering exercise: shuffled steps, graded with partial credit.

The page shows a set's steps in a seeded shuffle that is never the right
order, and the learner sends back the step ids in the order they chose. The
score is the mean of two shares: the longest run of steps already in the
right relative order, and the neighbouring pairs that are right.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema

from actlab import practice
from actlab.store import Store

from ..curves import InvalidInput
from ..deps import get_store
from ..schemas import ErrorBody, JsonBody
from ..templating import templates
from .practice_page import (
    LESSON,
    SEED_MAX,
    ActionId,
    AttemptOut,
    check_same_kind,
    check_seed,
    not_found,
    random_seed,
)

router = APIRouter(tags=["ordering"])

MAX_STEPS = 100
NOT_FOUND = {404: {"model": ErrorBody, "description": "ordering set not found"}}
ERRORS = {
    **NOT_FOUND,
    422: {"model": ErrorBody, "description": "invalid seed or order"},
}
MAX_STEP_ID = 200


def _check_order(value: Any) -> list[str]:
    """Return ``value`` if it is a list of short strings, else raise ValueError.

    Whether the ids are the set's steps, each once, is the grader's check.
    """
    if not isinstance(value, list):
        raise ValueError(f"invalid order {value!r}: expected a list of step ids")
    if len(value) > MAX_STEPS:
        raise ValueError(
            f"invalid order of {len(value)} entries: expected at most {MAX_STEPS}"
        )
    for item in value:
        if not isinstance(item, str) or len(item) > MAX_STEP_ID:
            raise ValueError(
                f"invalid step id {item!r} in order: expected a string of at most "
                f"{MAX_STEP_ID} characters"
            )
    return value


Order = Annotated[
    Any,
    AfterValidator(_check_order),
    WithJsonSchema(
        {
            "type": "array",
            "items": {"type": "string", "maxLength": MAX_STEP_ID},
            "maxItems": MAX_STEPS,
        }
    ),
]


class OrderingSummary(BaseModel):
    """An ordering set as the list of sets shows it."""

    id: str
    title: str
    n_steps: int
    url: str


class StepOut(BaseModel):
    """A step to place, without its position or reason."""

    id: str
    text: str


class OrderingOut(BaseModel):
    """An ordering set with its steps shuffled by ``seed``."""

    id: str
    title: str
    seed: int
    steps: list[StepOut]


class OrderingAnswer(JsonBody):
    """The step ids in the order the learner chose."""

    order: Order = Field(description="every step id of the set, once each")
    action_id: ActionId | None = None


class StepFeedbackOut(BaseModel):
    """Feedback on one misplaced step: its right place and the reason."""

    step_id: str
    text: str
    submitted_position: int = Field(description="0-based position as sent")
    correct_position: int = Field(description="0-based position in the answer")
    after: str | None = Field(description="the step it follows, null if first")
    before: str | None = Field(description="the step it precedes, null if last")
    message: str
    reason: str


class OrderingGradeOut(BaseModel):
    """The grade of one order, with feedback on each misplaced step."""

    id: str
    order: list[str]
    correct: bool
    score: float = Field(description="1.0 only for the right order")
    in_order: int = Field(
        description="size of the largest set of steps in the right relative order"
    )
    neighbours: int = Field(description="adjacent pairs that are right")
    n_steps: int
    feedback: list[StepFeedbackOut] = Field(description="one entry per misplaced step")
    explanation: str | None = Field(description="why the order is what it is")
    attempt: AttemptOut


class OrderingNotFound(LookupError):
    """A path names an ordering set that the lesson does not contain."""


def _exercises() -> dict[str, practice.OrderingExercise]:
    return practice.exercises(LESSON)


def _exercise(ordering_id: str) -> practice.OrderingExercise:
    exercises = _exercises()
    if ordering_id not in exercises:
        raise OrderingNotFound(
            f"ordering set {ordering_id!r} not found: choose one of "
            f"{', '.join(exercises)}"
        )
    return exercises[ordering_id]


def _summary(exercise: practice.OrderingExercise) -> OrderingSummary:
    return OrderingSummary(
        id=exercise.id,
        title=exercise.title,
        n_steps=len(exercise.steps),
        url=f"/ordering/{exercise.id}",
    )


def _shuffled(exercise: practice.OrderingExercise, seed: int | None) -> OrderingOut:
    if seed is None:
        seed = random_seed()
    try:
        check_seed(seed)
    except ValueError as error:
        raise InvalidInput("seed", str(error)) from None
    steps = [StepOut(id=step.id, text=step.text) for step in exercise.shuffled(seed)]
    return OrderingOut(id=exercise.id, title=exercise.title, seed=seed, steps=steps)


def _feedback(
    exercise: practice.OrderingExercise, item: practice.StepFeedback
) -> StepFeedbackOut:
    return StepFeedbackOut(
        step_id=item.step_id,
        text=exercise.step(item.step_id).text,
        submitted_position=item.submitted_position,
        correct_position=item.correct_position,
        after=item.after,
        before=item.before,
        message=item.message,
        reason=item.reason,
    )


def _grade(
    exercise: practice.OrderingExercise, order: list[str]
) -> practice.OrderingResult:
    result = practice.grade_ordering(exercise, order)
    if result.error is not None:
        raise InvalidInput("order", f"{result.error} (ordering set {exercise.id!r})")
    return result


@router.get("/api/ordering", response_model=list[OrderingSummary])
def list_orderings() -> list[OrderingSummary]:
    """List the lesson's ordering sets."""
    return [_summary(exercise) for exercise in _exercises().values()]


@router.get("/api/ordering/{ordering_id}", response_model=OrderingOut, responses=ERRORS)
def read_ordering(
    request: Request,
    ordering_id: str,
    seed: Annotated[int | None, Query(description="random if not given")] = None,
) -> OrderingOut | JSONResponse:
    """Return a set's steps in the order that ``seed`` shuffles them into."""
    try:
        exercise = _exercise(ordering_id)
    except OrderingNotFound as error:
        return not_found(request, "id", str(error))
    return _shuffled(exercise, seed)


@router.post(
    "/api/ordering/{ordering_id}/answer",
    response_model=OrderingGradeOut,
    responses=ERRORS,
)
def answer_ordering(
    request: Request,
    ordering_id: str,
    body: OrderingAnswer,
    store: Annotated[Store, Depends(get_store)],
) -> OrderingGradeOut | JSONResponse:
    """Grade an order, record it as an ordering attempt, explain each misplacement.

    A malformed order (unknown, repeated or missing ids) is rejected with a
    422 and not recorded. A repeated ``action_id`` stores nothing new, and the
    response grades the order stored the first time.
    """
    try:
        exercise = _exercise(ordering_id)
    except OrderingNotFound as error:
        return not_found(request, "id", str(error))
    result = _grade(exercise, body.order)
    record = store.record_attempt(
        "ordering",
        exercise.id,
        score=result.score,
        correct=result.correct,
        concept=exercise.concept,
        detail={"order": list(body.order)},
        action_id=body.action_id,
    )
    order = list(body.order)
    if record.duplicate:
        check_same_kind(record, "ordering")
        exercise = _exercise(record.item_id)
        order = list(record.detail["order"])
        result = _grade(exercise, order)
    return OrderingGradeOut(
        id=exercise.id,
        order=order,
        correct=result.correct,
        score=result.score,
        in_order=result.in_order,
        neighbours=result.neighbours,
        n_steps=result.n_steps,
        feedback=[_feedback(exercise, item) for item in result.feedback],
        explanation=exercise.explanation,
        attempt=AttemptOut(
            id=record.id, action_id=record.action_id, duplicate=record.duplicate
        ),
    )


@router.get("/ordering", response_class=HTMLResponse)
def ordering_index(request: Request) -> Response:
    """List the ordering sets to choose from."""
    context = {"sets": list_orderings(), "message": None}
    return templates.TemplateResponse(request, "ordering_index.html", context)


@router.get("/ordering/{ordering_id}", response_class=HTMLResponse)
def ordering_page(
    request: Request,
    ordering_id: str,
    seed: Annotated[str | None, Query()] = None,
) -> Response:
    """Render one set's steps shuffled, or a 404 page listing the sets.

    An invalid ``seed`` in the URL is replaced by a random one, with a message,
    so a broken link still opens the exercise.
    """
    try:
        exercise = _exercise(ordering_id)
    except OrderingNotFound as error:
        context = {"sets": list_orderings(), "message": str(error)}
        return templates.TemplateResponse(
            request, "ordering_index.html", context, status_code=404
        )
    message = None
    number = None
    if seed is not None:
        try:
            number = check_seed(int(seed))
        except ValueError:
            message = (
                f"invalid seed {seed!r} in the URL: expected an integer from 0 to "
                f"{SEED_MAX}, so the steps use a random seed"
            )
    context = {"ordering": _shuffled(exercise, number), "message": message}
    return templates.TemplateResponse(request, "ordering.html", context)
