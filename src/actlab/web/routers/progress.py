"""The progress page and its JSON: sections done, accuracy, cards and streak.

Both read ``Store.progress``, which the store computes from the stored
attempts and reviews, so the page shows whatever the database contains.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from actlab import lessons
from actlab.store import ATTEMPT_KINDS, Store

from ..lesson_render import lesson_path
from ..templating import templates
from .cards import ERRORS, StoreDep, call_store

router = APIRouter(tags=["progress"])

KIND_LABELS = {
    "drill": "Drills",
    "ordering": "Ordering",
    "scenario": "Failure scenarios",
    "interview": "Interview answers",
}


class SectionOut(BaseModel):
    """One lesson section and whether the learner has finished it."""

    lesson: str
    section: str
    title: str
    url: str
    done: bool


class KindOut(BaseModel):
    """Graded attempts of one kind."""

    kind: str
    label: str
    attempts: int
    correct: int
    accuracy: float | None = Field(description="correct / attempts, null if none")


class ConceptOut(BaseModel):
    """Attempts and reviews of one concept. A review is right unless rated Again."""

    concept: str
    title: str
    attempts: int
    correct: int
    accuracy: float


class CardCounts(BaseModel):
    """How many cards there are, how many are due now and how many are new."""

    total: int
    due: int = Field(description="cards reviewed before and due now")
    new_today: int = Field(
        description="never-reviewed cards in today's queue, within the daily limit"
    )
    new: int = Field(description="cards never reviewed")


class ProgressOut(BaseModel):
    """The learner's progress now."""

    sections_done: int
    sections_total: int
    sections: list[SectionOut]
    kinds: list[KindOut]
    concepts: list[ConceptOut]
    cards: CardCounts
    reviews_today: int = Field(description="scheduled reviews since midnight UTC")
    practice_today: int = Field(
        description="practice reviews since midnight UTC, which leave the schedule"
    )
    streak_days: int = Field(
        description="days in a row, up to today or yesterday (UTC), with an "
        "attempt, a review, practice or a section marked done"
    )
    last_active: datetime | None


def _sections(done: set[tuple[str, str]]) -> list[SectionOut]:
    return [
        SectionOut(
            lesson=lesson.id,
            section=section.id,
            title=section.title,
            url=lesson_path(lesson.id, section.id),
            done=(lesson.id, section.id) in done,
        )
        for lesson in lessons.bundled_lessons().values()
        for section in lesson.sections
    ]


def _kinds(by_kind: dict[str, Any]) -> list[KindOut]:
    kinds = []
    for kind in (*ATTEMPT_KINDS, *sorted(set(by_kind) - set(ATTEMPT_KINDS))):
        count = by_kind.get(kind)
        attempts = count.attempts if count else 0
        correct = count.correct if count else 0
        kinds.append(
            KindOut(
                kind=kind,
                label=KIND_LABELS.get(kind, kind),
                attempts=attempts,
                correct=correct,
                accuracy=correct / attempts if attempts else None,
            )
        )
    return kinds


def build_progress(store: Store) -> ProgressOut:
    """Read the store's progress and shape it for JSON and the page."""
    progress = store.progress()
    done = {tuple(pair) for pair in progress.sections_done}
    return ProgressOut(
        sections_done=len(done),
        sections_total=progress.sections_total,
        sections=_sections(done),
        kinds=_kinds(progress.by_kind),
        concepts=[
            ConceptOut(
                concept=item.concept,
                title=item.title,
                attempts=item.attempts,
                correct=item.correct,
                accuracy=item.accuracy,
            )
            for item in progress.concepts
        ],
        cards=CardCounts(
            total=progress.cards_total,
            due=progress.cards_due,
            new_today=progress.cards_new_today,
            new=progress.cards_new,
        ),
        reviews_today=progress.reviews_today,
        practice_today=progress.practice_today,
        streak_days=progress.streak_days,
        last_active=progress.last_active,
    )


@router.get("/api/progress", response_model=ProgressOut, responses=ERRORS)
def read_progress(request: Request, store: StoreDep) -> Any:
    """Return sections done, accuracy per kind and concept, cards and streak."""
    return call_store(request, lambda: build_progress(store))


@router.get("/progress", response_class=HTMLResponse)
def progress_page(request: Request, store: StoreDep) -> Response:
    """Render the progress page from the stored attempts and reviews."""
    progress = call_store(request, lambda: build_progress(store))
    if isinstance(progress, Response):
        return progress
    context = {"progress": progress}
    return templates.TemplateResponse(request, "progress.html", context)
