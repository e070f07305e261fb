"""Interview practice: write an answer, reveal the model one, tick key points, rate.

``GET /api/interview`` lists the questions without their model answers, so
a page shows an answer only once the learner asks for it. The rating of a
stored answer reviews the question's card, ``interview:<question id>``.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import (
    BaseModel,
    Field,
    StrictInt,
    StringConstraints,
    field_validator,
)

from actlab import lessons, practice
from actlab.store import Store

from ..curves import InvalidInput
from ..lesson_render import render_markdown
from ..schemas import JsonBody
from ..templating import templates
from .cards import (
    ERRORS,
    INTERVIEW_PREFIX,
    ActionId,
    RatingValue,
    StoreDep,
    body_schema,
    call_store,
    error_response,
    read_body,
)

router = APIRouter(tags=["interview"])

MAX_ANSWER_CHARS = 20_000
TIER_LABELS = {tier: tier.capitalize() for tier in lessons.TIERS}


@functools.cache
def _questions() -> dict[str, tuple[str, lessons.InterviewQuestion]]:
    """Return ``(lesson id, question)`` of every bundled question by question id."""
    return {
        question.id: (lesson.id, question)
        for lesson in lessons.bundled_lessons().values()
        for question in lesson.interview
    }


def _tier_error(tier: str) -> InvalidInput:
    return InvalidInput(
        "tier", f"invalid tier={tier!r}: choose one of {', '.join(lessons.TIERS)}"
    )


def _unknown_question(request: Request, question_id: str) -> Response:
    return error_response(
        request,
        404,
        "id",
        f"unknown interview question {question_id!r}: "
        "GET /api/interview lists the question ids",
    )


# --- models ------------------------------------------------------------------


class QuestionOut(BaseModel):
    """An interview question, without its model answer."""

    id: str
    tier: str
    question: str
    key_point_count: int
    card_id: str = Field(description="the card that the rating reviews")
    state: str = Field(description="the card's schedule state, such as new")
    due: datetime = Field(description="when the question's card is due")


class QuestionList(BaseModel):
    """The questions of one tier, or of every tier, in lesson order."""

    tier: str | None
    tiers: list[str]
    questions: list[QuestionOut]


class LinkOut(BaseModel):
    """A lab page that shows what the model answer describes."""

    label: str
    target: str


class ModelAnswer(BaseModel):
    """The model answer of a question and the key points it makes."""

    id: str
    answer: str = Field(description="Markdown")
    answer_html: str
    key_points: list[str]
    links: list[LinkOut]
    rating_for_covered: list[int] = Field(
        description="the rating suggested when n key points are covered, at index n"
    )


class AnswerIn(JsonBody):
    """The learner's answer, the key points they covered and their rating."""

    answer: Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=MAX_ANSWER_CHARS),
    ]
    covered: list[StrictInt] = Field(
        default_factory=list, description="indexes of the key points covered"
    )
    rating: RatingValue | None = Field(
        default=None, description="null: rated from the share of key points covered"
    )
    action_id: ActionId | None = None

    @field_validator("answer")
    @classmethod
    def _written(cls, answer: str) -> str:
        if not answer:
            raise ValueError("invalid answer: it is empty, write an answer first")
        return answer

    @field_validator("covered")
    @classmethod
    def _distinct(cls, covered: list[int]) -> list[int]:
        if len(set(covered)) != len(covered):
            raise ValueError(
                f"invalid covered {covered}: give each key point index once"
            )
        return sorted(covered)


class AnswerResult(BaseModel):
    """A stored answer and the schedule of the question's card after it."""

    question_id: str
    attempt_id: int
    action_id: str
    covered: list[int]
    key_point_count: int
    score: float = Field(description="the share of key points covered")
    rating: int
    rating_name: str
    rated_by: str = Field(description="'learner' or 'key points'")
    duplicate: bool = Field(description="true when the action_id was already stored")
    next_due: datetime
    card_state: str


# --- building the responses --------------------------------------------------


def _question_out(question: lessons.InterviewQuestion, store: Store) -> QuestionOut:
    view = store.card(INTERVIEW_PREFIX + question.id)
    return QuestionOut(
        id=question.id,
        tier=question.tier,
        question=question.question,
        key_point_count=len(question.key_points),
        card_id=view.id,
        state=view.state.state,
        due=view.due,
    )


def _list_questions(tier: str | None, store: Store) -> QuestionList:
    chosen = [
        question
        for _, question in _questions().values()
        if tier is None or question.tier == tier
    ]
    return QuestionList(
        tier=tier,
        tiers=list(lessons.TIERS),
        questions=[_question_out(question, store) for question in chosen],
    )


def _model_answer(lesson_id: str, question: lessons.InterviewQuestion) -> ModelAnswer:
    count = len(question.key_points)
    ratings = [
        int(practice.rating_from_self_assessment(n, count)) for n in range(count + 1)
    ]
    return ModelAnswer(
        id=question.id,
        answer=question.answer,
        answer_html=str(render_markdown(question.answer, lesson_id)),
        key_points=list(question.key_points),
        links=[
            LinkOut(label=link.label, target=link.target)
            for link in question.links
            if link.target is not None
        ],
        rating_for_covered=ratings,
    )


def _check_covered(question: lessons.InterviewQuestion, covered: list[int]) -> None:
    count = len(question.key_points)
    for index in covered:
        if not 0 <= index < count:
            raise InvalidInput(
                "covered",
                f"invalid covered index {index}: question {question.id!r} has "
                f"{count} key points, numbered 0 to {count - 1}",
            )


def _record(question_id: str, body: AnswerIn, store: Store) -> AnswerResult:
    attempt, review = store.record_interview(
        question_id,
        answer=body.answer,
        covered=body.covered,
        rating=body.rating,
        action_id=body.action_id,
    )
    rating = practice.Rating(review.rating)
    covered = sorted(attempt.detail.get("covered", body.covered))
    return AnswerResult(
        question_id=question_id,
        attempt_id=attempt.id,
        action_id=attempt.action_id,
        covered=covered,
        key_point_count=len(_questions()[question_id][1].key_points),
        score=attempt.score,
        rating=int(rating),
        rating_name=rating.name.lower(),
        rated_by="key points" if body.rating is None else "learner",
        duplicate=attempt.duplicate,
        next_due=review.card.due,
        card_state=review.card.state.state,
    )


# --- routes ------------------------------------------------------------------


@router.get("/api/interview", response_model=QuestionList, responses=ERRORS)
def read_questions(request: Request, store: StoreDep, tier: str | None = None) -> Any:
    """Return the questions of ``tier`` (every tier if absent), without answers."""
    if tier is not None and tier not in lessons.TIERS:
        raise _tier_error(tier)
    return call_store(request, lambda: _list_questions(tier, store))


@router.get(
    "/api/interview/{question_id}/answer", response_model=ModelAnswer, responses=ERRORS
)
def read_answer(question_id: str, request: Request) -> Any:
    """Return the model answer and key points, to show after the learner answers."""
    found = _questions().get(question_id)
    if found is None:
        return _unknown_question(request, question_id)
    return _model_answer(*found)


@router.post(
    "/api/interview/{question_id}",
    response_model=AnswerResult,
    responses=ERRORS,
    openapi_extra=body_schema(AnswerIn),
)
async def answer_question(question_id: str, request: Request, store: StoreDep) -> Any:
    """Store an answer with the key points covered, and review the question's card.

    Without ``rating`` the share of key points covered sets it: all of them
    is easy, at least three quarters good, at least half hard, else again.
    """
    found = _questions().get(question_id)
    if found is None:
        return _unknown_question(request, question_id)
    body = await read_body(request, AnswerIn)
    _check_covered(found[1], body.covered)
    return call_store(request, lambda: _record(question_id, body, store))


@router.get("/interview", response_class=HTMLResponse)
def interview_page(
    request: Request, store: StoreDep, tier: str | None = None
) -> Response:
    """Render the interview page; ``?tier=`` shows the questions of one tier."""
    messages = []
    if tier is not None and tier not in lessons.TIERS:
        messages.append(f"{_tier_error(tier)} (this part of the URL was ignored)")
        tier = None
    listing = call_store(request, lambda: _list_questions(tier, store))
    if isinstance(listing, Response):
        return listing
    context = {
        "listing": listing,
        "tier_labels": TIER_LABELS,
        "ratings": [
            (int(rating), rating.name.capitalize()) for rating in practice.Rating
        ],
        "messages": messages,
    }
    return templates.TemplateResponse(request, "interview.html", context)
