"""Progress as JSON: what ``export_progress`` writes and ``import_progress`` reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from actlab.practice import STATES

from . import _catalogue, _details
from ._details import INTEGER_MAX, RecordProblem
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


def _storable_text(value: str) -> str:
    problem = _details.text_problem(value)
    if problem is not None:
        raise ValueError(f"{value!r} {problem}")
    return value


def _action_id(value: str) -> str:
    if not _details.ACTION_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} is not 1 to {ACTION_ID_LENGTH} printable ASCII characters "
            "without spaces, such as a UUID, which the web lab sends"
        )
    return value


def _utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC, or raise ``ValueError`` if UTC has no such date."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"{moment.isoformat()} lies outside the years 1 to 9999 once converted "
            "to UTC"
        ) from None


ActionId = Annotated[str, Field(strict=True), AfterValidator(_action_id)]
ItemId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=ITEM_ID_LENGTH),
    AfterValidator(_storable_text),
]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]
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
    created_at: UtcDatetime

    @model_validator(mode="after")
    def _check_detail(self) -> AttemptEntry:
        _details.check_detail(self.kind, self.item_id, self.detail)
        return self


class ReviewEntry(_Strict):
    action_id: ActionId
    card_id: ItemId
    rating: int = Field(ge=1, le=4, strict=True)
    reviewed_at: UtcDatetime
    state_before: StateName
    state_after: StateName
    due_after: UtcDatetime
    practice: bool = Field(default=False, strict=True)


class CardEntry(_Strict):
    card_id: ItemId
    state: StateName
    step: int | None = Field(default=None, ge=0, le=INTEGER_MAX, strict=True)
    stability: float | None = Field(default=None, gt=0.0)
    difficulty: float | None = Field(default=None, ge=1.0, le=10.0)
    due: UtcDatetime
    last_review: UtcDatetime | None = None

    @model_validator(mode="after")
    def _check_state(self) -> CardEntry:
        _details.check_card_state(
            self.state, self.step, self.stability, self.difficulty, self.last_review
        )
        return self


class SectionEntry(_Strict):
    lesson: ItemId
    section: ItemId
    action_id: ActionId
    done_at: UtcDatetime


class ProgressFile(_Strict):
    format: Literal["actlab-progress"]
    version: Literal[1]
    exported_at: UtcDatetime
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
        raise ValueError(_first_problem(data, error)) from None


def _first_problem(data: dict[str, Any], error: ValidationError) -> str:
    """Describe the first error of ``error``: the record, its field, and why."""
    first = error.errors()[0]
    location = [str(part) for part in first["loc"]]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, RecordProblem):
        location.append(cause.field)
        problem = cause.problem
    elif isinstance(cause, ValueError):
        problem = f"is invalid: {cause}"
    else:
        shown = repr(first["input"])
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        problem = f"is {shown}: {first['msg']}"
    where = ".".join(location)
    return (
        f"invalid progress data: field {where!r}{_record_name(data, first['loc'])} "
        f"{problem} ({error.error_count()} problem(s) in all)"
    )


def _record_name(data: dict[str, Any], location: tuple[Any, ...]) -> str:
    """Return the id of the record at ``location``, as " of action_id 'x'", or ""."""
    if len(location) < 2 or not isinstance(location[1], int):
        return ""
    entries = data.get(location[0])
    if not isinstance(entries, list) or not 0 <= location[1] < len(entries):
        return ""
    entry = entries[location[1]]
    for key in ("action_id", "card_id"):
        value = entry.get(key) if isinstance(entry, dict) else None
        if isinstance(value, str):
            shown = value if len(value) <= 40 else value[:37] + "..."
            return f" of {key} {shown!r}"
    return ""


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


def check_interview_reviews(session: Session, data: ProgressFile) -> None:
    """Raise ``ValueError`` for an interview attempt whose card review is missing.

    The web lab stores an interview answer with a review of its card, under
    an action id derived from the answer's, and a repeated answer returns
    that review. It must be in the file or in this database already, unless
    the attempt is stored here already and so is skipped.
    """
    in_file = {review.action_id: review.card_id for review in data.reviews}
    stored = set(session.scalars(select(AttemptRow.action_id)))
    for index, attempt in enumerate(data.attempts):
        if attempt.kind != "interview" or attempt.action_id in stored:
            continue
        review_id = _details.interview_review_action(attempt.action_id)
        card_id = in_file.get(review_id)
        if card_id is None:
            card_id = session.scalar(
                select(ReviewRow.card_id).where(ReviewRow.action_id == review_id)
            )
        expected = _catalogue.interview_card_id(attempt.item_id)
        if card_id != expected:
            found = "none" if card_id is None else f"one of card {card_id!r}"
            raise ValueError(
                f"invalid progress data: field 'attempts.{index}' of action_id "
                f"{attempt.action_id!r} is an interview answer without its review: "
                f"expected a review of card {expected!r} with action_id "
                f"{review_id!r}, found {found}. Export the progress again, "
                "or remove this attempt"
            )


def merge(session: Session, data: ProgressFile) -> ImportSummary:
    """Add the rows of ``data`` whose actions this database does not have.

    Sections, cards and reviews of cards that the installed lessons do not
    have are skipped and counted by reason, not stored, as is a card schedule
    that is not newer than the stored one.
    """
    check_interview_reviews(session, data)
    added = {"attempts": 0, "reviews": 0, "cards": 0, "sections": 0}
    skipped: dict[str, int] = {}

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    cards = _catalogue.card_texts()
    for model, entries, key in (
        (AttemptRow, data.attempts, "attempts"),
        (ReviewRow, data.reviews, "reviews"),
    ):
        known = set(session.scalars(select(model.action_id)))
        for entry in entries:
            if entry.action_id in known:
                skip("present")
                continue
            if key == "reviews" and entry.card_id not in cards:
                skip("unknown_card")
                continue
            session.add(model(**entry.model_dump()))
            known.add(entry.action_id)
            added[key] += 1
    for entry in data.sections:
        reason = _section_skip(session, entry)
        if reason is not None:
            skip(reason)
            continue
        session.add(SectionDoneRow(**entry.model_dump()))
        session.flush()
        added["sections"] += 1
    for entry in data.cards:
        if entry.card_id not in cards:
            skip("unknown_card")
            continue
        row = session.get(CardStateRow, entry.card_id)
        values = entry.model_dump()
        if row is not None and not _later(entry.last_review, row.last_review):
            same = all(getattr(row, name) == value for name, value in values.items())
            skip("present" if same else "older_schedule")
            continue
        if row is None:
            row = CardStateRow(card_id=entry.card_id)
            session.add(row)
        for name, value in values.items():
            setattr(row, name, value)
        added["cards"] += 1
    session.flush()
    return ImportSummary(added, skipped)


def _section_skip(session: Session, entry: SectionEntry) -> str | None:
    """Return why ``entry`` is not stored, or None if it is new."""
    if (entry.lesson, entry.section) not in _catalogue.section_ids():
        return "unknown_section"
    done = session.get(SectionDoneRow, (entry.lesson, entry.section))
    taken = session.scalar(
        select(SectionDoneRow).where(SectionDoneRow.action_id == entry.action_id)
    )
    if done is not None or taken is not None:
        return "present"
    return None


def _later(new: datetime | None, old: datetime | None) -> bool:
    if new is None:
        return False
    return old is None or new > old
