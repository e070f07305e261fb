"""Flash cards: the due queue, reviews and practice mode.

A review changes the card's FSRS schedule in the store. A review with
``practice: true`` is logged but leaves the schedule as it was. The JSON
bodies are read by ``read_body`` so that a malformed one gets a 422 naming
its field. The interview and progress routers use the same helpers.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)

from actlab import lessons, practice
from actlab.store import Store, StoredRecordError, StoreError, UnknownItemError

from ..curves import InvalidInput
from ..deps import get_store
from ..lesson_render import render_markdown
from ..schemas import ErrorBody, FieldError, JsonBody
from ..templating import templates

logger = logging.getLogger("actlab.web")
router = APIRouter(tags=["cards"])

INTERVIEW_PREFIX = "interview:"
MODES = ("review", "practice")
MAX_ACTION_ID = 64
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "unknown card or question"},
    422: {"model": ErrorBody, "description": "invalid request body or query"},
    503: {"model": ErrorBody, "description": "the progress database failed"},
}

Model = TypeVar("Model", bound=BaseModel)
StoreDep = Annotated[Store, Depends(get_store)]

# An idempotency key that the page makes once per learner action, such as a
# UUID. Printable ASCII without spaces, so that it reads the same in logs.
ActionId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_ACTION_ID, pattern=r"^[!-~]+$"),
]
RATING_TEXT = ", ".join(f"{r.value} {r.name.lower()}" for r in practice.Rating)
# The schema is written inline because a request body schema in
# ``openapi_extra`` cannot refer to the ``$defs`` of its model.
RatingValue = Annotated[
    practice.Rating,
    BeforeValidator(practice.parse_rating),
    WithJsonSchema(
        {
            "type": "integer",
            "enum": [int(rating) for rating in practice.Rating],
            "description": f"{RATING_TEXT} (the name is accepted too)",
        }
    ),
]


# --- request bodies ----------------------------------------------------------


class ReviewIn(JsonBody):
    """A review of one card."""

    rating: RatingValue
    practice: StrictBool = Field(
        default=False, description="log the review but leave the schedule unchanged"
    )
    action_id: ActionId | None = Field(
        default=None, description="idempotency key: a repeated id counts once"
    )


def _json_error_text(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_path(location: tuple[Any, ...]) -> str:
    """Join a Pydantic error location into a path such as ``covered[1]``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif path:
            path += f".{part}"
        else:
            path = str(part)
    return path


def _body_error(model: type[BaseModel], item: dict[str, Any]) -> InvalidInput:
    """Turn the first Pydantic error of a body into one sentence naming its field."""
    location = tuple(item.get("loc", ()))
    field = str(location[0]) if location else None
    path = _field_path(location)
    cause = item.get("ctx", {}).get("error")
    kind = item.get("type")
    if kind == "missing":
        return InvalidInput(field, f"missing field {path!r} in the request body")
    if kind == "extra_forbidden":
        names = ", ".join(model.model_fields)
        return InvalidInput(
            field, f"unknown field {path!r} in the request body: expected {names}"
        )
    if isinstance(cause, ValueError):
        return InvalidInput(field, str(cause))
    value = _json_error_text(item.get("input"))
    return InvalidInput(field, f"invalid {path}={value}: {item.get('msg')}")


async def read_body(request: Request, model: type[Model]) -> Model:
    """Parse the JSON object in the request body as ``model``, or raise InvalidInput."""
    try:
        data = await request.json()
    except RecursionError:
        raise InvalidInput(
            "body", "invalid request body: it is nested too deeply, send a flat object"
        ) from None
    except ValueError:
        raise InvalidInput(
            "body", "invalid request body: it is not valid JSON, send a JSON object"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(
            "body",
            f"invalid request body {_json_error_text(data)}: expected a JSON object",
        )
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _body_error(model, error.errors()[0]) from None


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Return ``openapi_extra`` that documents ``model`` as the JSON request body."""
    schema = {"content": {"application/json": {"schema": model.model_json_schema()}}}
    return {"requestBody": {**schema, "required": True}}


# --- responses ---------------------------------------------------------------


class CardOut(BaseModel):
    """One card with its schedule."""

    id: str
    kind: Literal["card", "interview"]
    front: str
    back: str = Field(description="the answer, as Markdown")
    back_html: str = Field(description="the answer rendered as HTML")
    concept: str | None
    concept_title: str | None = Field(description="the concept's title in its lesson")
    opens: str | None = Field(description="the lab page that shows what it describes")
    question_url: str | None = Field(
        description="the interview page of the question, for an interview card"
    )
    state: Literal["new", "learning", "review", "relearning"]
    due: datetime
    is_new: bool
    last_review: datetime | None
    stability: float | None = Field(description="days, null before the first review")
    difficulty: float | None = Field(
        description="1 to 10, null before the first review"
    )
    retrievability: float | None = Field(
        description="the estimated chance of recall now, null for a new card"
    )


class CardList(BaseModel):
    """Every card, in lesson order."""

    total: int
    cards: list[CardOut]


class DueQueue(BaseModel):
    """The cards to review now, earliest due first, with new cards capped per day."""

    due: int = Field(description="cards in the queue that were reviewed before")
    new: int = Field(description="new cards in the queue")
    new_left_today: int = Field(description="new cards that may still be started today")
    new_per_day: int
    total_cards: int
    next_due: datetime | None = Field(
        description="when the next card outside the queue falls due, null if none"
    )
    cards: list[CardOut]


class ReviewOut(BaseModel):
    """A stored review and the card's schedule after it."""

    review_id: int
    action_id: str
    rating: int
    rating_name: str
    practice: bool
    duplicate: bool = Field(description="true when the action_id was already stored")
    reviewed_at: datetime
    next_due: datetime
    card: CardOut


class CardsPage(BaseModel):
    """The state that the cards page starts in."""

    mode: Literal["review", "practice"]
    ratings: list[str]


# --- helpers shared with the interview and progress routers ------------------


def error_response(
    request: Request, status: int, field: str | None, message: str
) -> JSONResponse:
    """Log a rejected request and return an ``ErrorBody`` response with one error."""
    logger.info(
        "rejected %s %s with %d: %s", request.method, request.url.path, status, message
    )
    body = ErrorBody(
        detail=message, field=field, errors=[FieldError(field=field, message=message)]
    )
    return JSONResponse(body.model_dump(), status_code=status)


def call_store(request: Request, action: Callable[[], Any]) -> Any:
    """Run ``action`` and turn its rejections into error responses.

    Returns the action's result, or a ``JSONResponse``: 404 for an unknown
    item, 422 for a value the store rejects. A database failure propagates to
    the app's handler, which responds with 503: a page for an HTML route and
    JSON for the API.
    """
    try:
        return action()
    except UnknownItemError as error:
        return error_response(request, 404, "id", str(error))
    except (StoreError, StoredRecordError):
        raise
    except ValueError as error:
        return error_response(request, 422, None, str(error))


@functools.cache
def _lesson_of_card() -> dict[str, str]:
    """Return the id of the lesson that each card id comes from."""
    owners = {}
    for lesson in lessons.bundled_lessons().values():
        for card in lesson.cards:
            owners[card.id] = lesson.id
        for question in lesson.interview:
            owners[INTERVIEW_PREFIX + question.id] = lesson.id
    return owners


def question_url(question_id: str) -> str:
    """Return the interview page's address of one question."""
    return f"/interview#q-{question_id}"


def card_out(view: Any) -> CardOut:
    """Convert a store ``CardView`` to its JSON model."""
    lesson_id = _lesson_of_card().get(view.id, "")
    is_interview = view.kind == "interview"
    return CardOut(
        id=view.id,
        kind=view.kind,
        front=view.front,
        back=view.back,
        back_html=str(render_markdown(view.back, lesson_id)),
        concept=view.concept,
        concept_title=lessons.concept_titles().get(view.concept or ""),
        opens=view.opens,
        question_url=(
            question_url(view.id.removeprefix(INTERVIEW_PREFIX))
            if is_interview
            else None
        ),
        state=view.state.state,
        due=view.due,
        is_new=view.is_new,
        last_review=view.state.last_review,
        stability=view.state.stability,
        difficulty=view.state.difficulty,
        retrievability=view.retrievability,
    )


def _due_queue(store: Store) -> DueQueue:
    now = datetime.now(UTC)
    cards = store.cards(now)
    queue = store.due_cards(now)
    queued = {view.id for view in queue}
    new_in_queue = sum(view.is_new for view in queue)
    later = [view.due for view in cards if view.id not in queued and not view.is_new]
    room = max(store.new_per_day - store.new_seen_today(now), 0)
    return DueQueue(
        due=len(queue) - new_in_queue,
        new=new_in_queue,
        new_left_today=room,
        new_per_day=store.new_per_day,
        total_cards=len(cards),
        next_due=min(later, default=None),
        cards=[card_out(view) for view in queue],
    )


def _review_out(record: Any) -> ReviewOut:
    rating = practice.Rating(record.rating)
    return ReviewOut(
        review_id=record.id,
        action_id=record.action_id,
        rating=int(rating),
        rating_name=rating.name.lower(),
        practice=record.practice,
        duplicate=record.duplicate,
        reviewed_at=record.reviewed_at,
        next_due=record.card.due,
        card=card_out(record.card),
    )


# --- routes ------------------------------------------------------------------


@router.get("/api/cards/due", response_model=DueQueue, responses=ERRORS)
def read_due(request: Request, store: StoreDep) -> Any:
    """Return the cards due now, earliest first, with new cards up to the limit."""
    return call_store(request, lambda: _due_queue(store))


@router.get("/api/cards", response_model=CardList, responses=ERRORS)
def read_cards(request: Request, store: StoreDep) -> Any:
    """Return every card with its schedule, in lesson order."""

    def build() -> CardList:
        cards = [card_out(view) for view in store.cards()]
        return CardList(total=len(cards), cards=cards)

    return call_store(request, build)


@router.get("/api/cards/{card_id}", response_model=CardOut, responses=ERRORS)
def read_card(card_id: str, request: Request, store: StoreDep) -> Any:
    """Return one card with its schedule."""
    return call_store(request, lambda: card_out(store.card(card_id)))


@router.post(
    "/api/cards/{card_id}/review",
    response_model=ReviewOut,
    responses=ERRORS,
    openapi_extra=body_schema(ReviewIn),
)
async def review_card(card_id: str, request: Request, store: StoreDep) -> Any:
    """Store a review of ``card_id`` and return the card's new schedule.

    With ``practice: true`` the review is logged and the schedule stays as it
    was. A repeated ``action_id`` returns the first review, marked duplicate.
    """
    body = await read_body(request, ReviewIn)

    def review() -> ReviewOut:
        record = store.review(
            card_id, body.rating, practice=body.practice, action_id=body.action_id
        )
        return _review_out(record)

    return call_store(request, review)


@router.get("/cards", response_class=HTMLResponse)
def cards_page(request: Request, mode: str = "review") -> Response:
    """Render the review page; ``?mode=practice`` starts in practice mode."""
    messages = []
    if mode not in MODES:
        messages.append(
            f"invalid mode={mode!r}: choose review or practice "
            "(this part of the URL was ignored)"
        )
        mode = "review"
    config = CardsPage(
        mode=mode, ratings=[rating.name.lower() for rating in practice.Rating]
    )
    context = {"config": config.model_dump(), "messages": messages, "mode": mode}
    return templates.TemplateResponse(request, "cards.html", context)
