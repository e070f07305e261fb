"""A thin adapter over the ``fsrs`` scheduler (pinned to fsrs 6.3.2).

A card's schedule is a ``CardState`` of plain values (a state name, the
learning step, stability, difficulty and two UTC datetimes), so a store can
keep it in plain columns. ``fsrs`` has no state for a card never reviewed:
such a card is ``"new"`` here, and is passed to fsrs as learning step 0.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import fsrs


class Rating(enum.IntEnum):
    """The grade of a review in FSRS: how well the card was recalled."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


STATES = ("new", "learning", "review", "relearning")
_FSRS_STATES = {
    "learning": fsrs.State.Learning,
    "review": fsrs.State.Review,
    "relearning": fsrs.State.Relearning,
}


def check_utc(moment: Any, name: str = "now") -> datetime:
    """Return ``moment`` converted to UTC, or raise ``ValueError`` if naive."""
    if not isinstance(moment, datetime):
        raise ValueError(f"invalid {name} {moment!r}: expected a datetime")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"invalid {name} {moment.isoformat()}: a naive datetime is ambiguous, "
            "pass a timezone-aware one such as datetime.now(timezone.utc)"
        )
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class CardState:
    """The schedule of one card, as plain values.

    ``state`` is one of ``STATES``. ``step`` is the learning or relearning
    step (``None`` in review). ``stability`` (in days) and ``difficulty``
    (1 to 10) are ``None`` until the first review. ``due`` and
    ``last_review`` are timezone-aware UTC datetimes.
    """

    card_id: int
    state: str
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None = None

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(
                f"invalid state {self.state!r}: choose one of {', '.join(STATES)}"
            )
        object.__setattr__(self, "due", check_utc(self.due, "due"))
        if self.last_review is not None:
            utc = check_utc(self.last_review, "last_review")
            object.__setattr__(self, "last_review", utc)

    @classmethod
    def new(cls, card_id: int, now: datetime) -> CardState:
        """Return the state of a card never reviewed, due at ``now``."""
        return cls(card_id, "new", 0, None, None, check_utc(now))

    @property
    def is_new(self) -> bool:
        return self.state == "new"

    def to_dict(self) -> dict[str, Any]:
        """Return the state as a dict of plain values, datetimes in ISO 8601."""
        values = dataclasses.asdict(self)
        values["due"] = self.due.isoformat()
        if self.last_review is not None:
            values["last_review"] = self.last_review.isoformat()
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> CardState:
        """Return the state stored by ``to_dict`` (ISO strings or datetimes)."""
        values = dict(values)
        for name in ("due", "last_review"):
            if isinstance(values.get(name), str):
                values[name] = datetime.fromisoformat(values[name])
        return cls(**values)


@dataclass(frozen=True)
class ReviewEntry:
    """One review: the card, the rating, when, and the state before and after."""

    card_id: int
    rating: Rating
    reviewed_at: datetime
    before: CardState
    after: CardState
    practice: bool = False


def _to_fsrs(card: CardState) -> fsrs.Card:
    state = _FSRS_STATES.get(card.state, fsrs.State.Learning)
    return fsrs.Card(
        card_id=card.card_id,
        state=state,
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )


def _from_fsrs(card: fsrs.Card) -> CardState:
    name = {value: key for key, value in _FSRS_STATES.items()}[card.state]
    return CardState(
        card_id=card.card_id,
        state=name,
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )


def parse_rating(rating: Any) -> Rating:
    """Return ``rating`` (a ``Rating``, 1-4 or a name like ``"good"``) as a Rating."""
    if isinstance(rating, str):
        key = rating.strip().upper()
        if key in Rating.__members__:
            return Rating[key]
    elif isinstance(rating, int) and not isinstance(rating, bool) and 1 <= rating <= 4:
        return Rating(rating)
    choices = ", ".join(f"{member.value} ({member.name.lower()})" for member in Rating)
    raise ValueError(f"invalid rating {rating!r}: choose one of {choices}")


class Scheduler:
    """Schedules card reviews with FSRS and keeps the card state plain.

    ``fuzz=False`` (the default) makes intervals exact, so the same reviews
    always give the same schedule.
    """

    def __init__(
        self,
        desired_retention: float = 0.9,
        new_per_day: int = 20,
        fuzz: bool = False,
    ):
        if isinstance(new_per_day, bool) or not isinstance(new_per_day, int):
            raise ValueError(f"invalid new_per_day {new_per_day!r}: expected an int")
        if new_per_day < 0:
            raise ValueError(f"invalid new_per_day {new_per_day}: expected >= 0")
        self.new_per_day = new_per_day
        self._fsrs = fsrs.Scheduler(
            desired_retention=desired_retention, enable_fuzzing=fuzz
        )

    def review(
        self,
        card: CardState,
        rating: Any,
        now: datetime,
        practice: bool = False,
    ) -> tuple[CardState, ReviewEntry]:
        """Review ``card`` with ``rating`` at ``now``; return the new state and log.

        In practice mode (``practice=True``) nothing goes into the schedule:
        the returned state is ``card`` unchanged, and the entry is marked.
        """
        now = check_utc(now)
        rating = parse_rating(rating)
        if practice:
            return card, ReviewEntry(card.card_id, rating, now, card, card, True)

        updated, _ = self._fsrs.review_card(
            _to_fsrs(card), fsrs.Rating(int(rating)), now
        )
        after = _from_fsrs(updated)
        return after, ReviewEntry(card.card_id, rating, now, card, after)

    def retrievability(self, card: CardState, now: datetime) -> float:
        """Return the estimated probability of recalling ``card`` at ``now``."""
        now = check_utc(now)
        return float(self._fsrs.get_card_retrievability(_to_fsrs(card), now))

    def due_queue(
        self,
        cards: Iterable[CardState],
        now: datetime,
        new_seen_today: int = 0,
    ) -> list[CardState]:
        """Return the cards due at ``now``, earliest due first.

        New cards join the queue up to ``new_per_day`` minus
        ``new_seen_today`` (the new cards already studied today). Ties in due
        time keep the order of ``cards``.
        """
        now = check_utc(now)
        due = sorted((card for card in cards if card.due <= now), key=lambda c: c.due)
        room = max(self.new_per_day - new_seen_today, 0)
        queue = []
        for card in due:
            if card.is_new:
                if room == 0:
                    continue
                room -= 1
            queue.append(card)
        return queue


def interval(card: CardState) -> timedelta | None:
    """Return the time from the last review to the due time, or ``None`` if new."""
    if card.last_review is None:
        return None
    return card.due - card.last_review


def rating_from_self_assessment(score: Any, out_of: int = 4) -> Rating:
    """Map a self-rating of an interview answer to a review rating.

    ``score`` is the number of key points covered out of ``out_of``: under
    half is Again, half to under three-quarters Hard, three-quarters to under
    all Good, and all Easy. With the default ``out_of=4`` a self-rating of
    1 to 4 maps to Again, Hard, Good and Easy in turn.
    """
    if isinstance(out_of, bool) or not isinstance(out_of, int) or out_of < 1:
        raise ValueError(f"invalid out_of {out_of!r}: expected a positive integer")
    if isinstance(score, bool) or not isinstance(score, int):
        raise ValueError(f"invalid score {score!r}: expected an integer")
    if not 0 <= score <= out_of:
        raise ValueError(f"invalid score {score}: expected 0 to {out_of} key points")
    share = score / out_of
    if share == 1:
        return Rating.EASY
    if share >= 0.75:
        return Rating.GOOD
    if share >= 0.5:
        return Rating.HARD
    return Rating.AGAIN
