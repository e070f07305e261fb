"""The practice hub page, and the request types that the practice routers share.

The drill, failure-lab and ordering routers take a seed and an ``action_id``
in the same form and return the stored attempt the same way, so those types
live here next to the page that links the three.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from actlab import lessons, practice
from actlab.store import AttemptRecord

from ..curves import InvalidInput
from ..schemas import ErrorBody, FieldError
from ..templating import templates

router = APIRouter(tags=["practice"])
logger = logging.getLogger("actlab.web")

SEED_MAX = 2**31 - 1
ACTION_ID_MAX = 64
LESSON = "activations"


def check_seed(seed: int) -> int:
    """Return ``seed`` if it lies in 0 to ``SEED_MAX``, else raise ``ValueError``."""
    if not 0 <= seed <= SEED_MAX:
        raise ValueError(
            f"invalid seed {seed}: expected an integer from 0 to {SEED_MAX}"
        )
    return seed


def random_seed() -> int:
    """Return a seed drawn uniformly from 0 to ``SEED_MAX``."""
    return secrets.randbelow(SEED_MAX + 1)


# Strict, so that a JSON true, 1.5 or "7" is rejected rather than converted.
Seed = Annotated[
    int,
    Field(strict=True),
    AfterValidator(check_seed),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": SEED_MAX}),
]
ActionId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=ACTION_ID_MAX, pattern=r"^[!-~]+$"),
    Field(
        description="idempotency key of one learner action, such as a UUID; "
        "a repeated key is stored once"
    ),
]


def check_same_kind(record: AttemptRecord, kind: str) -> None:
    """Raise ``InvalidInput`` if a repeated action_id belongs to another kind.

    The store returns the first attempt stored under an ``action_id`` whatever
    its kind, so a page that reuses a key across tools gets a 422 here.
    """
    if record.kind != kind:
        raise InvalidInput(
            "action_id",
            f"invalid action_id {record.action_id!r}: it was already used for "
            f"another kind of attempt ({record.kind}), so send a new one",
        )


def not_found(request: Request, field: str, message: str) -> JSONResponse:
    """Log a rejected request and return its 404 ``ErrorBody`` naming ``field``."""
    logger.info(
        "rejected %s %s with 404: %s", request.method, request.url.path, message
    )
    body = ErrorBody(
        detail=message, field=field, errors=[FieldError(field=field, message=message)]
    )
    return JSONResponse(body.model_dump(), status_code=404)


class AttemptOut(BaseModel):
    """The stored attempt that an answer produced."""

    id: int
    action_id: str
    duplicate: bool = Field(
        description="true when this action_id was stored before, so the "
        "response repeats the first attempt"
    )


class PracticeTool(BaseModel):
    """One entry of the practice hub."""

    id: str
    title: str
    url: str
    summary: str
    size: str = Field(description="how much there is to practise, as a phrase")


def practice_tools() -> list[PracticeTool]:
    """Return the hub's entries with the counts of the bundled lesson."""
    lesson = lessons.bundled_lessons()[LESSON]
    templates_by_kind = {kind: 0 for kind in practice.KINDS}
    for drill in lesson.drills:
        templates_by_kind[drill.kind] += 1
    kinds = ", ".join(f"{n} {kind}" for kind, n in templates_by_kind.items())
    return [
        PracticeTool(
            id="drill",
            title="Concept drill",
            url="/drill",
            summary="Generated questions on values and slopes of activations, on "
            "choosing one, and on predicting what a change does to a real run.",
            size=f"{len(lesson.drills)} question templates ({kinds})",
        ),
        PracticeTool(
            id="failures",
            title="Failure lab",
            url="/failures",
            summary="Make a network fail for real, read its statistics, diagnose "
            "the failure, pick a remedy and rerun with the same seed.",
            size=f"{len(practice.SCENARIOS)} scenarios",
        ),
        PracticeTool(
            id="ordering",
            title="Ordering",
            url="/ordering",
            summary="Put the steps of a forward pass, a training step or a "
            "release in order, with the mouse or the keyboard.",
            size=f"{len(lesson.orderings)} step sets",
        ),
        PracticeTool(
            id="interview",
            title="Interview questions",
            url="/interview",
            summary="Answer open questions in your own words, then check the "
            "answer against its key points.",
            size=f"{len(lesson.interview)} questions",
        ),
        PracticeTool(
            id="cards",
            title="Flash cards",
            url="/cards",
            summary="Review short facts on a spaced-repetition schedule, so each "
            "card comes back just before you would forget it.",
            size=f"{len(lesson.cards)} lesson cards plus one per interview question",
        ),
    ]


@router.get("/practice", response_class=HTMLResponse)
def practice_page(request: Request) -> Response:
    """Render the practice hub: one line on each practice tool, with a link."""
    context = {"tools": practice_tools()}
    return templates.TemplateResponse(request, "practice.html", context)
