"""The store on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest

from actlab import lessons
from actlab.practice import Rating, Scheduler
from actlab.store import Store, StoreError, UnknownItemError, default_url

MORNING = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CARD = "sigmoid-formula"
# Attempt details as the web routes store them, which an import checks.
DRILL = {"seed": 4, "answer": "0.25"}
ORDER = {
    "order": ["take-input", "weighted-sum", "add-bias", "pass-on", "apply-activation"]
}


@pytest.fixture
def store(any_database_url):
    with Store.open(any_database_url) as opened:
        yield opened


def _first_section() -> tuple[str, str]:
    lesson = lessons.bundled_lessons()["activations"]
    return lesson.id, lesson.sections[0].id


def test_review_moves_the_schedule_as_fsrs_does(store):
    review = store.review(CARD, "good", action_id="r1", now=MORNING)

    expected, _ = Scheduler().review(
        store.card(CARD, now=MORNING).state.__class__.new(0, MORNING),
        Rating.GOOD,
        MORNING,
    )
    assert review.card.state.state == expected.state
    assert review.card.due == expected.due
    assert store.card(CARD, now=MORNING).due == expected.due
    assert not review.duplicate


def test_same_action_twice_is_stored_once(store):
    first = store.review(CARD, "good", action_id="same", now=MORNING)
    later = MORNING + timedelta(days=3)
    again = store.review(CARD, "easy", action_id="same", now=later)

    assert again.duplicate
    assert again.id == first.id
    assert len(store.reviews(CARD)) == 1
    assert store.card(CARD, now=later).due == first.card.due


def test_practice_review_is_logged_but_leaves_the_schedule(store):
    store.review(CARD, "good", action_id="real", now=MORNING)
    before = store.card(CARD, now=MORNING).state
    store.review(CARD, "again", practice=True, action_id="drill", now=MORNING)

    assert store.card(CARD, now=MORNING).state == before
    log = store.reviews(CARD)
    assert [entry["practice"] for entry in log] == [False, True]


def test_attempt_round_trip_and_duplicates(store):
    first = store.record_attempt(
        "drill",
        "value-at-z",
        score=1.0,
        correct=True,
        concept="activation-values",
        detail={"seed": 4, "answer": "0.25"},
        action_id="a1",
        at=MORNING,
    )
    second = store.record_attempt(
        "drill", "value-at-z", score=0.0, correct=False, action_id="a1"
    )

    assert second.duplicate and second.id == first.id
    (stored,) = store.attempts("drill")
    assert stored.detail == {"seed": 4, "answer": "0.25"}
    assert stored.created_at == MORNING
    assert store.attempts("ordering") == []


def test_interview_answer_feeds_its_card(store):
    attempt, review = store.record_interview(
        "what-is-relu", answer="max(0, z) ...", covered=[0, 1, 2, 3], now=MORNING
    )

    assert attempt.score == 1.0 and attempt.correct
    assert review.rating == Rating.EASY
    card = store.card("interview:what-is-relu", now=MORNING)
    assert card.kind == "interview"
    assert not card.is_new
    assert card.due > MORNING


def test_interview_retry_does_not_review_twice(store):
    store.record_interview(
        "what-is-relu", answer="x", covered=[0], action_id="i1", now=MORNING
    )
    attempt, review = store.record_interview(
        "what-is-relu", answer="x", covered=[0], action_id="i1", now=MORNING
    )

    assert attempt.duplicate and review.duplicate
    assert len(store.reviews("interview:what-is-relu")) == 1
    assert len(store.attempts("interview")) == 1


def test_due_queue_caps_new_cards_per_day(any_database_url):
    with Store.open(any_database_url, new_per_day=3) as store:
        queue = store.due_cards(now=MORNING)
        assert len(queue) == 3
        assert all(card.is_new for card in queue)

        store.review(queue[0].id, "easy", now=MORNING)
        store.review(queue[1].id, "easy", now=MORNING)
        assert len(store.due_cards(now=MORNING)) == 1
        assert len(store.due_cards(now=MORNING + timedelta(days=1))) == 3


def test_progress_counts_streak_and_accuracy(store):
    lesson, section = _first_section()
    for day in range(3):
        moment = MORNING + timedelta(days=day)
        store.record_attempt(
            "drill",
            "t",
            score=float(day > 0),
            correct=day > 0,
            concept="relu",
            at=moment,
        )
    store.review(CARD, "again", now=MORNING + timedelta(days=2))
    assert store.mark_section(lesson, section, at=MORNING)
    assert not store.mark_section(lesson, section, at=MORNING)

    progress = store.progress(now=MORNING + timedelta(days=2, hours=1))
    concepts = {entry.concept: entry for entry in progress.concepts}
    assert progress.streak_days == 3
    assert progress.by_kind["drill"].attempts == 3
    assert progress.by_kind["drill"].correct == 2
    assert concepts["relu"].accuracy == pytest.approx(2 / 3)
    assert concepts["sigmoid"].correct == 0
    assert progress.sections_done == [(lesson, section)]
    assert progress.reviews_today == 1
    assert json.loads(json.dumps(progress.to_dict()))["streak_days"] == 3
    # A day with nothing breaks the streak.
    later = store.progress(now=MORNING + timedelta(days=4))
    assert later.streak_days == 0


def test_export_import_round_trip(store, tmp_path):
    lesson, section = _first_section()
    store.review(CARD, "good", now=MORNING)
    store.review(CARD, "hard", practice=True, now=MORNING)
    store.record_attempt(
        "ordering", "layer-forward", score=0.6, correct=False, detail=ORDER
    )
    store.record_interview("sigmoid-range", answer="(0, 1)", covered=[0])
    store.mark_section(lesson, section)
    exported = store.export_progress(now=MORNING)

    with Store.open(f"sqlite:///{tmp_path / 'copy.db'}") as copy:
        summary = copy.import_progress(json.loads(json.dumps(exported)))
        again = copy.import_progress(exported)
        assert copy.export_progress(now=MORNING) == exported
    assert summary.added == {"attempts": 2, "reviews": 3, "cards": 2, "sections": 1}
    assert sum(again.added.values()) == 0
    assert again.skipped == 8


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda data: data.update(format="something-else"), "format"),
        (lambda data: data.update(version=9), "version"),
        (lambda data: data["reviews"][0].update(rating=7), "reviews.0.rating"),
        (
            lambda data: data["reviews"][0].update(reviewed_at="yesterday"),
            "reviewed_at",
        ),
        (lambda data: data["attempts"].append({"kind": "drill"}), "attempts.1"),
        (lambda data: data["cards"][0].update(state="asleep"), "cards.0.state"),
    ],
)
def test_import_rejects_bad_data_and_keeps_the_store(store, change, named):
    store.review(CARD, "good", now=MORNING)
    store.record_attempt("drill", "t", score=1.0, correct=True, detail=DRILL)
    data = store.export_progress()
    before = store.export_progress(now=MORNING)
    data["reviews"][0]["action_id"] = "new-one"
    change(data)

    with pytest.raises(ValueError, match=named.replace(".", r"\.")):
        store.import_progress(data)
    assert store.export_progress(now=MORNING) == before


def test_import_rejects_non_objects(store):
    with pytest.raises(ValueError, match="expected a JSON object, got list"):
        store.import_progress([1, 2])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.review(CARD, 5), "invalid rating 5"),
        (lambda s: s.review(CARD, "great"), "invalid rating 'great'"),
        (lambda s: s.review(CARD, "good", action_id=""), "invalid action_id ''"),
        (lambda s: s.review(CARD, "good", action_id="x" * 65), "invalid action_id"),
        (
            lambda s: s.review(CARD, "good", now=datetime(2026, 1, 1)),
            "naive datetime",
        ),
        (
            lambda s: s.record_attempt("quiz", "t", score=1.0, correct=True),
            "invalid kind 'quiz'",
        ),
        (
            lambda s: s.record_attempt("drill", "t", score=1.5, correct=True),
            "invalid score 1.5",
        ),
        (
            lambda s: s.record_attempt("drill", "", score=1.0, correct=True),
            "invalid item_id ''",
        ),
        (
            lambda s: s.record_interview("what-is-relu", answer="a", covered=[9]),
            "invalid covered",
        ),
        (lambda s: s.due_cards(limit=-1), "invalid limit -1"),
    ],
)
def test_bad_values_are_named(store, call, message):
    with pytest.raises(ValueError, match=message):
        call(store)
    assert store.reviews() == []
    assert store.attempts() == []


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.review("no-such-card", "good"),
        lambda s: s.card("no-such-card"),
        lambda s: s.record_interview("no-such-question", answer="", covered=[]),
        lambda s: s.mark_section("activations", "no-such-section"),
    ],
)
def test_unknown_ids_are_lookup_errors(store, call):
    with pytest.raises(UnknownItemError, match="no-such"):
        call(store)


def test_concurrent_reviews_are_all_kept(any_database_url):
    with Store.open(any_database_url) as store:
        errors = []

        def review_many(worker: int) -> None:
            try:
                for index in range(10):
                    store.review(CARD, "good", action_id=f"w{worker}-{index}")
            except Exception as error:  # the assertion below reports it
                errors.append(error)

        threads = [threading.Thread(target=review_many, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        assert len(store.reviews(CARD)) == 40
        assert len({entry["action_id"] for entry in store.reviews(CARD)}) == 40


def test_locked_sqlite_is_a_store_error(tmp_path):
    path = tmp_path / "locked.db"
    with Store.open(f"sqlite:///{path}", busy_timeout=0.2) as store:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(StoreError, match="locked") as caught:
                store.review(CARD, "good")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert str(path) in str(caught.value)
        store.review(CARD, "good")
        assert len(store.reviews()) == 1


def test_unreachable_postgres_is_a_store_error():
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:9/none?connect_timeout=2"
    with pytest.raises(StoreError, match="cannot use the database") as caught:
        Store.open(url)
    assert "secret" not in str(caught.value)
    assert "127.0.0.1:9" in str(caught.value)


def test_folder_that_cannot_be_made_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the folder"):
        Store.open(f"sqlite:///{blocker / 'sub' / 'progress.db'}")


def test_bad_url_is_a_store_error():
    with pytest.raises(StoreError, match="invalid database URL 'not a url'"):
        Store.open("not a url")


def test_database_from_a_newer_actlab_is_refused(tmp_path):
    path = tmp_path / "newer.db"
    Store.open(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="newer actlab"):
        Store.open(f"sqlite:///{path}")


def test_default_url_is_the_user_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("ACTLAB_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_url() == f"sqlite:///{tmp_path / 'actlab' / 'progress.db'}"

    with Store.open() as store:
        store.review(CARD, "good")
    assert (tmp_path / "actlab" / "progress.db").exists()


def test_default_url_follows_the_environment(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("ACTLAB_DATABASE_URL", url)
    assert default_url() == url


def test_sqlite_store_is_in_wal_mode(tmp_path):
    path = tmp_path / "wal.db"
    Store.open(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as connection:
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"


def test_every_card_of_the_lessons_is_in_the_store(store):
    lesson = lessons.bundled_lessons()["activations"]
    ids = {card.id for card in store.cards(now=MORNING)}
    assert {card.id for card in lesson.cards} <= ids
    assert {f"interview:{q.id}" for q in lesson.interview} <= ids
    assert len(ids) == len(lesson.cards) + len(lesson.interview)
