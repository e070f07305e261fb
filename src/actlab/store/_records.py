"""What the store returns: plain, frozen records with no database attached."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from actlab.practice import CardState, Rating

ATTEMPT_KINDS = ("drill", "ordering", "scenario", "interview")


@dataclass(frozen=True)
class AttemptRecord:
    """One graded attempt at a drill, an ordering, a scenario or an interview question.

    ``duplicate`` is True when the action had been stored before, and this is
    the record stored then.
    """

    id: int
    action_id: str
    kind: str
    item_id: str
    concept: str | None
    score: float
    correct: bool
    detail: dict[str, Any]
    created_at: datetime
    duplicate: bool = False


@dataclass(frozen=True)
class CardView:
    """A card's text, where it leads in the lab, and its schedule now."""

    id: str
    kind: str
    front: str
    back: str
    concept: str | None
    opens: str | None
    state: CardState
    retrievability: float | None = None

    @property
    def due(self) -> datetime:
        return self.state.due

    @property
    def is_new(self) -> bool:
        return self.state.is_new


@dataclass(frozen=True)
class ReviewRecord:
    """One stored review and the card's schedule after it."""

    id: int
    action_id: str
    card: CardView
    rating: Rating
    reviewed_at: datetime
    practice: bool
    duplicate: bool = False


@dataclass(frozen=True)
class KindCount:
    attempts: int
    correct: int


@dataclass(frozen=True)
class ConceptAccuracy:
    """Attempts and reviews of one concept, and the share that were right.

    A review counts as right unless it was rated Again. ``title`` is the
    concept's title in its lesson, or the id with spaces where no bundled
    lesson lists it.
    """

    concept: str
    title: str
    attempts: int
    correct: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.attempts if self.attempts else 0.0


@dataclass(frozen=True)
class Progress:
    """A learner's progress: sections, attempts, accuracy, cards and streak.

    ``cards_due`` counts the cards reviewed before and due now,
    ``cards_new_today`` the never-reviewed cards that today's queue offers
    within the daily limit, and ``cards_new`` every never-reviewed card.
    ``reviews_today`` counts the scheduled reviews since midnight UTC and
    ``practice_today`` the practice reviews, which leave the schedule alone.
    """

    sections_done: list[tuple[str, str]]
    sections_total: int
    by_kind: dict[str, KindCount]
    concepts: list[ConceptAccuracy]
    cards_total: int
    cards_due: int
    cards_new_today: int
    cards_new: int
    reviews_today: int
    practice_today: int
    streak_days: int
    last_active: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """Return the progress as JSON-ready values."""
        values = asdict(self)
        values["sections_done"] = [list(pair) for pair in self.sections_done]
        values["concepts"] = [
            {**asdict(concept), "accuracy": concept.accuracy}
            for concept in self.concepts
        ]
        if self.last_active is not None:
            values["last_active"] = self.last_active.isoformat()
        return values


# The text of each reason for skipping a record on import, by its key in
# ``ImportSummary.skipped_by_reason``.
SKIP_REASONS = {
    "present": "already present",
    "unknown_card": "of cards that the installed lessons do not have",
    "unknown_section": "of sections that the installed lessons do not have",
    "older_schedule": "card schedules not newer than the stored ones",
}


@dataclass(frozen=True)
class ImportSummary:
    """How many rows of each kind an import added, and how many it skipped and why.

    ``skipped_by_reason`` counts the skipped records by a key of
    ``SKIP_REASONS``.
    """

    added: dict[str, int] = field(default_factory=dict)
    skipped_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        return sum(self.skipped_by_reason.values())
