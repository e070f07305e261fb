"""Progress as JSON: what ``export_progress`` writes and ``import_progress`` reads."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from actlab.practice import STATES

from . import _catalogue
from ._models import (
    ACTION_ID_LENGTH,
    ITEM_ID_LENGTH,
    AttemptRow,
    CardStateRow,
    ReviewRow,
    SectionDoneRow,
)
from ._records import ATTEMPT_KINDS, ImportSummary

FORMAT = "actlab-progress"
VERSION = 1

ActionId = Annotated[str, StringConstraints(min_length=1, max_length=ACTION_ID_LENGTH)]
ItemId = Annotated[str, StringConstraints(min_length=1, max_length=ITEM_ID_LENGTH)]
StateName = Literal[STATES]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class AttemptEntry(_Strict):
    action_id: ActionId
    kind: Literal[ATTEMPT_KINDS]  # type: ignore[valid-type]
    item_id: ItemId
    concept: ItemId | None = None
    score: float = Field(ge=0.0, le=1.0)
    correct: bool = Field(strict=True)
    detail: dict[str, Any] = Field(default_factory=dict)
    created_at: AwareDatetime


class ReviewEntry(_Strict):
    action_id: ActionId
    card_id: ItemId
    rating: int = Field(ge=1, le=4, strict=True)
    reviewed_at: AwareDatetime
    state_before: StateName
    state_after: StateName
    due_after: AwareDatetime
    practice: bool = Field(default=False, strict=True)


class CardEntry(_Strict):
    card_id: ItemId
    state: StateName
    step: int | None = Field(default=None, ge=0, strict=True)
    stability: float | None = Field(default=None, gt=0.0)
    difficulty: float | None = Field(default=None, ge=1.0, le=10.0)
    due: AwareDatetime
    last_review: AwareDatetime | None = None


class SectionEntry(_Strict):
    lesson: ItemId
    section: ItemId
    action_id: ActionId
    done_at: AwareDatetime


class ProgressFile(_Strict):
    format: Literal["actlab-progress"]
    version: Literal[1]
    exported_at: AwareDatetime
    schema_revision: str | None = None
    attempts: list[AttemptEntry] = Field(default_factory=list)
    reviews: list[ReviewEntry] = Field(default_factory=list)
    cards: list[CardEntry] = Field(default_factory=list)
    sections: list[SectionEntry] = Field(default_factory=list)


def _values(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    values = {}
    for name in fields:
        value = getattr(row, name)
        values[name] = value.isoformat() if isinstance(value, datetime) else value
    return values


def review_values(row: ReviewRow) -> dict[str, Any]:
    return _values(row, tuple(ReviewEntry.model_fields))


def export(session: Session, now: datetime, revision: str) -> dict[str, Any]:
    def rows(model: type, order: Any) -> list[Any]:
        return list(session.scalars(select(model).order_by(order)))

    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now.isoformat(),
        "schema_revision": revision,
        "attempts": [
            _values(row, tuple(AttemptEntry.model_fields))
            for row in rows(AttemptRow, AttemptRow.id)
        ],
        "reviews": [review_values(row) for row in rows(ReviewRow, ReviewRow.id)],
        "cards": [
            _values(row, tuple(CardEntry.model_fields))
            for row in rows(CardStateRow, CardStateRow.card_id)
        ],
        "sections": [
            _values(row, tuple(SectionEntry.model_fields))
            for row in rows(SectionDoneRow, SectionDoneRow.done_at)
        ],
    }


def parse(data: Any) -> ProgressFile:
    """Validate exported progress; a ``ValueError`` names the first bad field."""
    if not isinstance(data, dict):
        raise ValueError(
            f"invalid progress data: expected a JSON object, got {type(data).__name__}"
        )
    if data.get("format") != FORMAT:
        raise ValueError(
            f"invalid progress data: field 'format' is {data.get('format')!r}, "
            f"expected {FORMAT!r}; is this a file from `actlab progress export`?"
        )
    try:
        return ProgressFile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(
            f"invalid progress data: field {where!r}: {first['msg']}"
            f" ({error.error_count()} problem(s) in all)"
        ) from None


def check_moments(data: ProgressFile, now: datetime) -> None:
    """Raise ``ValueError`` for a moment of learning later than ``now`` plus a day.

    A due date may lie years ahead; a review, an attempt or a finished section
    cannot, and a clock that was far off would break the streak and the due
    queue.
    """
    latest = now + timedelta(days=1)
    moments = [
        *(
            (f"attempts.{i}.created_at", a.created_at)
            for i, a in enumerate(data.attempts)
        ),
        *(
            (f"reviews.{i}.reviewed_at", r.reviewed_at)
            for i, r in enumerate(data.reviews)
        ),
        *((f"cards.{i}.last_review", c.last_review) for i, c in enumerate(data.cards)),
        *((f"sections.{i}.done_at", e.done_at) for i, e in enumerate(data.sections)),
    ]
    for where, moment in moments:
        if moment is not None and moment > latest:
            raise ValueError(
                f"invalid progress data: field {where!r}: {moment.isoformat()} is in "
                "the future; check the clock of the machine that exported it"
            )


def merge(session: Session, data: ProgressFile) -> ImportSummary:
    """Add the rows of ``data`` whose actions this database does not have.

    Sections and card schedules that the installed lessons do not have are
    skipped and counted, not stored.
    """
    added = {"attempts": 0, "reviews": 0, "cards": 0, "sections": 0}
    skipped = 0
    for model, entries, key in (
        (AttemptRow, data.attempts, "attempts"),
        (ReviewRow, data.reviews, "reviews"),
    ):
        known = set(session.scalars(select(model.action_id)))
        for entry in entries:
            if entry.action_id in known:
                skipped += 1
                continue
            session.add(model(**entry.model_dump()))
            known.add(entry.action_id)
            added[key] += 1
    for entry in data.sections:
        if (entry.lesson, entry.section) not in _catalogue.section_ids():
            skipped += 1
            continue
        done = session.get(SectionDoneRow, (entry.lesson, entry.section))
        taken = session.scalar(
            select(SectionDoneRow).where(SectionDoneRow.action_id == entry.action_id)
        )
        if done is not None or taken is not None:
            skipped += 1
            continue
        session.add(SectionDoneRow(**entry.model_dump()))
        session.flush()
        added["sections"] += 1
    for entry in data.cards:
        if entry.card_id not in _catalogue.card_texts():
            skipped += 1
            continue
        row = session.get(CardStateRow, entry.card_id)
        if row is not None and not _later(entry.last_review, row.last_review):
            skipped += 1
            continue
        if row is None:
            row = CardStateRow(card_id=entry.card_id)
            session.add(row)
        for name, value in entry.model_dump().items():
            setattr(row, name, value)
        added["cards"] += 1
    session.flush()
    return ImportSummary(added, skipped)


def _later(new: datetime | None, old: datetime | None) -> bool:
    if new is None:
        return False
    return old is None or new > old
