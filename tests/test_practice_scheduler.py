import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from actlab.practice import (
    CardState,
    Rating,
    Scheduler,
    interval,
    parse_rating,
    rating_from_self_assessment,
)

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def review_chain(scheduler, ratings, card=None):
    card = card or CardState.new(1, START)
    states = [card]
    for rating in ratings:
        card, _ = scheduler.review(card, rating, card.due)
        states.append(card)
    return states


def test_new_card_goes_to_learning():
    card, entry = Scheduler().review(CardState.new(1, START), Rating.GOOD, START)
    assert card.state == "learning"
    assert card.last_review == START
    assert entry.before.state == "new"
    assert entry.after == card


def test_learning_reaches_review():
    states = review_chain(Scheduler(), [Rating.GOOD, Rating.GOOD])
    assert [s.state for s in states] == ["new", "learning", "review"]
    assert states[-1].step is None


def test_again_in_review_relearns():
    states = review_chain(Scheduler(), [Rating.GOOD, Rating.GOOD, Rating.AGAIN])
    assert states[-2].state == "review"
    assert states[-1].state == "relearning"


def test_good_intervals_grow():
    states = review_chain(Scheduler(), [Rating.GOOD] * 6)
    reviewed = [interval(s) for s in states if s.state == "review"]
    assert len(reviewed) >= 4
    for shorter, longer in itertools.pairwise(reviewed):
        assert longer > shorter


def test_easy_beats_good():
    scheduler = Scheduler()
    base = review_chain(scheduler, [Rating.GOOD, Rating.GOOD])[-1]
    good, _ = scheduler.review(base, Rating.GOOD, base.due)
    easy, _ = scheduler.review(base, Rating.EASY, base.due)
    hard, _ = scheduler.review(base, Rating.HARD, base.due)
    assert interval(easy) > interval(good) > interval(hard)


def test_due_queue_order_and_filter():
    now = START + timedelta(days=3)
    cards = [
        CardState(1, "review", None, 5.0, 5.0, now - timedelta(hours=1), START),
        CardState(2, "review", None, 5.0, 5.0, now + timedelta(hours=1), START),
        CardState(3, "review", None, 5.0, 5.0, now - timedelta(days=2), START),
    ]
    queue = Scheduler().due_queue(cards, now)
    assert [card.card_id for card in queue] == [3, 1]


def test_due_queue_new_card_limit():
    cards = [CardState.new(i, START) for i in range(10)]
    scheduler = Scheduler(new_per_day=4)
    assert len(scheduler.due_queue(cards, START)) == 4
    assert len(scheduler.due_queue(cards, START, new_seen_today=3)) == 1
    assert scheduler.due_queue(cards, START, new_seen_today=9) == []


def test_new_limit_spares_reviews():
    old = CardState(99, "review", None, 5.0, 5.0, START, START - timedelta(days=5))
    cards = [CardState.new(i, START) for i in range(3)] + [old]
    queue = Scheduler(new_per_day=0).due_queue(cards, START)
    assert queue == [old]


def test_practice_mode_keeps_schedule():
    scheduler = Scheduler()
    card = review_chain(scheduler, [Rating.GOOD, Rating.GOOD])[-1]
    same, entry = scheduler.review(card, Rating.AGAIN, card.due, practice=True)
    assert same == card
    assert entry.practice
    assert entry.rating is Rating.AGAIN


@pytest.mark.parametrize(
    "moment", [datetime(2026, 1, 5, 9, 0), "2026-01-05T09:00:00+00:00", None]
)
def test_review_rejects_naive_time(moment):
    with pytest.raises(ValueError, match="now"):
        Scheduler().review(CardState.new(1, START), Rating.GOOD, moment)


def test_card_rejects_naive_due():
    with pytest.raises(ValueError, match="naive"):
        CardState.new(1, datetime(2026, 1, 5))


def test_other_zone_becomes_utc():
    plus_two = timezone(timedelta(hours=2))
    card = CardState.new(1, datetime(2026, 1, 5, 11, 0, tzinfo=plus_two))
    assert card.due == START
    assert card.due.tzinfo == UTC


def test_plain_state_round_trip():
    for card in review_chain(Scheduler(), [Rating.GOOD, Rating.HARD, Rating.AGAIN]):
        plain = card.to_dict()
        assert isinstance(plain["due"], str)
        assert CardState.from_dict(plain) == card


def test_rejects_unknown_state():
    with pytest.raises(ValueError, match="state"):
        CardState(1, "suspended", None, None, None, START)


@pytest.mark.parametrize(
    ("given", "expected"),
    [(1, Rating.AGAIN), ("good", Rating.GOOD), (" Easy ", Rating.EASY), (2, 2)],
)
def test_parse_rating_accepts(given, expected):
    assert parse_rating(given) == expected


@pytest.mark.parametrize("given", [0, 5, "ok", None, True, 2.0])
def test_parse_rating_rejects(given):
    with pytest.raises(ValueError, match="invalid rating"):
        parse_rating(given)


@pytest.mark.parametrize(
    ("score", "out_of", "expected"),
    [
        (1, 4, Rating.AGAIN),
        (2, 4, Rating.HARD),
        (3, 4, Rating.GOOD),
        (4, 4, Rating.EASY),
        (0, 5, Rating.AGAIN),
        (2, 5, Rating.AGAIN),
        (3, 5, Rating.HARD),
        (4, 5, Rating.GOOD),
        (5, 5, Rating.EASY),
    ],
)
def test_self_assessment_mapping(score, out_of, expected):
    assert rating_from_self_assessment(score, out_of) is expected


@pytest.mark.parametrize(("score", "out_of"), [(5, 4), (-1, 4), (2, 0), (1.5, 4)])
def test_self_assessment_rejects(score, out_of):
    with pytest.raises(ValueError, match="invalid"):
        rating_from_self_assessment(score, out_of)
