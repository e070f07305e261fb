"""Importing progress: each record is checked by kind before anything is stored."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from actlab.practice import Rating
from actlab.store import Store

NOW = datetime.now(UTC)
EARLIER = (NOW - timedelta(days=3)).isoformat()
CARD = "sigmoid-formula"
# Details as the web routes store them.
DRILL = {"seed": 4, "answer": "0.25"}
ORDER = [
    "take-input",
    "weighted-sum",
    "add-bias",
    "apply-activation",
    "pass-on",
]
SCENARIO = {"seed": 0, "diagnosis": "dead-relu", "remedy": "lower-rate"}


@pytest.fixture
def store(any_database_url):
    with Store.open(any_database_url) as opened:
        yield opened


def progress_file(**records) -> dict:
    return {
        "format": "actlab-progress",
        "version": 1,
        "exported_at": NOW.isoformat(),
        **records,
    }


def attempt(kind: str, item_id: str, detail, action_id: str = "a1", **fields):
    return {
        "action_id": action_id,
        "kind": kind,
        "item_id": item_id,
        "score": 1.0,
        "correct": True,
        "detail": detail,
        "created_at": EARLIER,
        **fields,
    }


def card(**fields) -> dict:
    values = {
        "card_id": CARD,
        "state": "learning",
        "step": 0,
        "stability": None,
        "difficulty": None,
        "due": NOW.isoformat(),
        "last_review": None,
    }
    return {**values, **fields}


def review(card_id: str, action_id: str, **fields) -> dict:
    values = {
        "action_id": action_id,
        "card_id": card_id,
        "rating": 3,
        "reviewed_at": EARLIER,
        "state_before": "new",
        "state_after": "learning",
        "due_after": EARLIER,
    }
    return {**values, **fields}


def field_pattern(field: str) -> str:
    return re.escape(f"field '{field}'")


@pytest.mark.parametrize(
    ("kind", "item_id", "detail", "field"),
    [
        ("drill", "value-at-z", {}, "detail.seed"),
        ("drill", "value-at-z", {"seed": "abc", "answer": "1"}, "detail.seed"),
        ("drill", "value-at-z", {"seed": 2**31, "answer": "1"}, "detail.seed"),
        ("drill", "value-at-z", {"seed": True, "answer": "1"}, "detail.seed"),
        ("drill", "value-at-z", {"seed": 1, "answer": [1]}, "detail.answer"),
        ("ordering", "layer-forward", {}, "detail.order"),
        ("ordering", "layer-forward", {"order": "take-input"}, "detail.order"),
        ("ordering", "layer-forward", {"order": ORDER[:2]}, "detail.order"),
        ("scenario", "dead-relu-rate", {}, "detail.seed"),
        (
            "scenario",
            "dead-relu-rate",
            {**SCENARIO, "diagnosis": 3},
            "detail.diagnosis",
        ),
        ("scenario", "dead-relu-rate", {**SCENARIO, "remedy": "nope"}, "detail.remedy"),
        ("interview", "what-is-relu", {"answer": "x", "rating": 3}, "detail.covered"),
        (
            "interview",
            "what-is-relu",
            {"answer": "x", "covered": [99], "rating": 3},
            "detail.covered",
        ),
        (
            "interview",
            "what-is-relu",
            {"answer": "x", "covered": [0], "rating": 5},
            "detail.rating",
        ),
        ("drill", "value-at-z", {**DRILL, "loss": float("nan")}, "detail.loss"),
        ("drill", "value-at-z", {**DRILL, "x": [float("inf")]}, "detail.x.0"),
        ("drill", "value-at-z", {**DRILL, "note": "\ud800"}, "detail.note"),
    ],
)
def test_import_rejects_details_a_replay_cannot_read(
    store, kind, item_id, detail, field
):
    data = progress_file(attempts=[attempt(kind, item_id, detail)])

    with pytest.raises(
        ValueError, match=field_pattern(f"attempts.0.{field}")
    ) as caught:
        store.import_progress(data)
    assert "action_id 'a1'" in str(caught.value)
    assert store.attempts() == []


def test_import_accepts_details_the_routes_write(store):
    data = progress_file(
        attempts=[
            attempt("drill", "value-at-z", DRILL, "d1"),
            attempt("drill", "value-at-z", {"seed": 1, "answer": 0.5}, "d2"),
            attempt("ordering", "layer-forward", {"order": ORDER}, "o1"),
            attempt("scenario", "dead-relu-rate", SCENARIO, "s1"),
            attempt("drill", "template-of-a-newer-lesson", DRILL, "d3"),
        ]
    )

    summary = store.import_progress(data)

    assert summary.added["attempts"] == 5


def test_import_rejects_interview_without_its_review(store):
    detail = {"answer": "x", "covered": [0], "rating": 3}
    data = progress_file(attempts=[attempt("interview", "what-is-relu", detail)])

    with pytest.raises(ValueError, match="without its review") as caught:
        store.import_progress(data)
    assert "'attempts.0'" in str(caught.value)
    assert "interview:what-is-relu" in str(caught.value)
    assert store.attempts() == []


def test_imported_interview_answer_can_be_repeated(store, tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'source.db'}") as source:
        source.record_interview("what-is-relu", answer="x", covered=[0], action_id="i")
        exported = source.export_progress()

    store.import_progress(exported)
    attempt_again, review_again = store.record_interview(
        "what-is-relu", answer="y", covered=[], action_id="i"
    )

    assert attempt_again.duplicate
    assert review_again.duplicate
    assert len(store.reviews()) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"state": "review", "step": None, "difficulty": 5.0}, "cards.0.stability"),
        (
            {"state": "relearning", "step": None, "stability": 2.0, "difficulty": 5.0},
            "cards.0.step",
        ),
        (
            {"state": "review", "step": 0, "stability": 2.0, "difficulty": 5.0},
            "cards.0.step",
        ),
        ({"stability": 2.0, "difficulty": None}, "cards.0.difficulty"),
        ({"stability": None, "difficulty": 5.0}, "cards.0.stability"),
        (
            {"stability": 2.0, "difficulty": 5.0, "last_review": None},
            "cards.0.last_review",
        ),
        ({"state": "new", "stability": 2.0, "difficulty": 5.0}, "cards.0.state"),
        ({"state": "learning", "step": None}, "cards.0.step"),
        ({"step": 10**30}, "cards.0.step"),
        ({"step": 2**31}, "cards.0.step"),
        ({"stability": 0.0, "difficulty": 5.0}, "cards.0.stability"),
    ],
)
def test_import_rejects_schedules_fsrs_cannot_review(store, fields, field):
    fields.setdefault("last_review", EARLIER)
    data = progress_file(cards=[card(**fields)])

    with pytest.raises(ValueError, match=field_pattern(field)) as caught:
        store.import_progress(data)
    assert f"card_id {CARD!r}" in str(caught.value)
    assert store.card(CARD).is_new


@pytest.mark.parametrize(
    "fields",
    [
        {"state": "learning", "step": 0},
        {"state": "learning", "step": 1, "stability": 2.0, "difficulty": 5.0},
        {"state": "learning", "step": 2**31 - 1, "stability": 2.0, "difficulty": 5.0},
        {"state": "review", "step": None, "stability": 30.0, "difficulty": 1.0},
        {"state": "relearning", "step": 0, "stability": 0.5, "difficulty": 10.0},
        {"state": "new", "step": 0, "last_review": None},
    ],
)
def test_imported_schedules_can_be_reviewed(store, fields):
    fields.setdefault("last_review", EARLIER)
    store.import_progress(progress_file(cards=[card(**fields)]))

    for number, rating in enumerate(Rating):
        reviewed = store.review(CARD, rating, action_id=f"r{number}")
        assert reviewed.card.due > reviewed.reviewed_at


@pytest.mark.parametrize(
    ("records", "field"),
    [
        (
            {"cards": [card(due="9999-12-31T23:59:59-05:00")]},
            "cards.0.due",
        ),
        (
            {
                "attempts": [
                    attempt(
                        "drill",
                        "value-at-z",
                        DRILL,
                        created_at="0001-01-01T00:00:00+05:00",
                    )
                ]
            },
            "attempts.0.created_at",
        ),
        ({"attempts": [attempt("drill", "x", DRILL, "a b")]}, "attempts.0.action_id"),
        (
            {"attempts": [attempt("drill", "x", DRILL, "nul\x00")]},
            "attempts.0.action_id",
        ),
        ({"attempts": [attempt("drill", "x", DRILL, "é")]}, "attempts.0.action_id"),
        (
            {"attempts": [attempt("drill", "x", DRILL, "x" * 65)]},
            "attempts.0.action_id",
        ),
        ({"attempts": [attempt("drill", "a\x00b", DRILL)]}, "attempts.0.item_id"),
        (
            {"attempts": [attempt("drill", "x", DRILL, concept="\ud800")]},
            "attempts.0.concept",
        ),
        ({"reviews": [review(CARD, "r\x00")]}, "reviews.0.action_id"),
        (
            {"reviews": [review(CARD, "r1", due_after="9999-12-31T23:00:00-05:00")]},
            "due_after",
        ),
        (
            {
                "sections": [
                    {
                        "lesson": "activations",
                        "section": "dead-relu",
                        "action_id": "é",
                        "done_at": EARLIER,
                    }
                ]
            },
            "sections.0.action_id",
        ),
    ],
)
def test_import_rejects_values_the_databases_cannot_hold(store, records, field):
    with pytest.raises(ValueError, match=re.escape(field)) as caught:
        store.import_progress(progress_file(**records))
    assert "invalid progress data" in str(caught.value)
    assert "database" not in str(caught.value)
    assert store.export_progress()["attempts"] == []
    assert store.reviews() == []


def test_import_skips_reviews_of_unknown_cards(store):
    midnight = NOW.replace(hour=0, minute=0, second=0, microsecond=0).isoformat()
    unknown = [review(f"gone-{i}", f"u{i}", reviewed_at=midnight) for i in range(30)]
    known = review(CARD, "k1", reviewed_at=midnight)
    data = progress_file(reviews=[*unknown, known], cards=[card(card_id="gone-card")])

    summary = store.import_progress(data)

    assert summary.added["reviews"] == 1
    assert summary.skipped_by_reason == {"unknown_card": 31}
    assert [entry["card_id"] for entry in store.reviews()] == [CARD]
    assert store.new_seen_today(NOW) == 1
    new_today = [view for view in store.due_cards(NOW) if view.is_new]
    assert len(new_today) == store.new_per_day - 1


def test_import_names_each_skip_reason(store):
    data = progress_file(
        cards=[card(card_id="gone-card")],
        sections=[
            {
                "lesson": "activations",
                "section": "no-such-section",
                "action_id": "s1",
                "done_at": EARLIER,
            }
        ],
        attempts=[attempt("drill", "value-at-z", DRILL, "d1")],
    )

    first = store.import_progress(data)
    again = store.import_progress(data)

    assert first.skipped_by_reason == {"unknown_section": 1, "unknown_card": 1}
    assert again.skipped_by_reason == {
        "present": 1,
        "unknown_section": 1,
        "unknown_card": 1,
    }
    assert again.skipped == 3


def test_import_reports_an_older_schedule(store):
    later = card(
        state="review",
        step=None,
        stability=10.0,
        difficulty=5.0,
        last_review=EARLIER,
    )
    older = {**later, "last_review": (NOW - timedelta(days=9)).isoformat()}
    store.import_progress(progress_file(cards=[later]))

    summary = store.import_progress(progress_file(cards=[older]))

    assert summary.skipped_by_reason == {"older_schedule": 1}
    assert store.card(CARD).state.stability == 10.0


def test_export_of_every_kind_imports_on_each_database(store, tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'source.db'}") as source:
        source.record_attempt(
            "drill", "value-at-z", score=1.0, correct=True, detail=DRILL
        )
        source.record_attempt(
            "ordering", "layer-forward", score=1.0, correct=True,
            detail={"order": ORDER},
        )  # fmt: skip
        source.record_attempt(
            "scenario", "dead-relu-rate", score=1.0, correct=True, detail=SCENARIO
        )
        source.record_interview("what-is-relu", answer="a\x00b", covered=[0, 1])
        source.review(CARD, "again")
        source.review(CARD, "good", practice=True)
        exported = source.export_progress()

    summary = store.import_progress(exported)
    again = store.import_progress(exported)

    assert summary.added == {"attempts": 4, "reviews": 3, "cards": 2, "sections": 0}
    assert again.skipped_by_reason == {"present": 9}
