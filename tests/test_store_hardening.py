"""Cases found by trying to break the store: a deleted file, reused ids, bad imports."""

from __future__ import annotations

import os
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from actlab.cli import _main
from actlab.store import (
    ActionConflictError,
    Store,
    StoredRecordError,
    StoreError,
    UnknownItemError,
)
from actlab.store._models import AttemptRow, CardStateRow, ReviewRow

CARD = "sigmoid-formula"
DRILL = {"seed": 4, "answer": "0.25"}
ORDER = ["take-input", "weighted-sum", "add-bias", "apply-activation", "pass-on"]


@pytest.fixture
def store(database_url):
    with Store.open(database_url) as opened:
        yield opened


def test_deleted_file_is_an_error_not_a_silent_loss(tmp_path):
    path = tmp_path / "gone.db"
    with Store.open(f"sqlite:///{path}") as store:
        store.review(CARD, "good")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{path}{suffix}"):
                os.remove(f"{path}{suffix}")

        with pytest.raises(StoreError, match="deleted or replaced") as caught:
            store.review(CARD, "good")
        assert str(path) in str(caught.value)
        with pytest.raises(StoreError, match="deleted or replaced"):
            store.progress()


def test_replaced_file_is_an_error(tmp_path):
    path, other = tmp_path / "swapped.db", tmp_path / "other.db"
    Store.open(f"sqlite:///{other}").close()
    with Store.open(f"sqlite:///{path}") as store:
        os.replace(other, path)
        with pytest.raises(StoreError, match="deleted or replaced"):
            store.review(CARD, "good")


def test_review_id_reused_for_another_card(store):
    store.review(CARD, "good", action_id="one")

    with pytest.raises(ActionConflictError, match="card 'sigmoid-formula'"):
        store.review("relu-slope", "good", action_id="one")
    assert store.reviews("relu-slope") == []


def test_attempt_id_reused_for_another_item(store):
    store.record_attempt("drill", "value-at-z", score=1.0, correct=True, action_id="a")

    with pytest.raises(ActionConflictError, match="drill attempt at 'value-at-z'"):
        store.record_attempt("drill", "other", score=1.0, correct=True, action_id="a")
    with pytest.raises(ActionConflictError):
        store.record_attempt(
            "ordering", "value-at-z", score=1.0, correct=True, action_id="a"
        )
    assert len(store.attempts()) == 1


def test_interview_id_reused_for_another_question(store):
    store.record_interview("what-is-relu", answer="x", covered=[0], action_id="i")

    with pytest.raises(ActionConflictError):
        store.record_interview("sigmoid-range", answer="x", covered=[0], action_id="i")
    assert len(store.attempts("interview")) == 1


@pytest.mark.parametrize("action_id", ["a b", "nul\x00", "é", "😀", "tab\t"])
def test_action_ids_are_printable_ascii(store, action_id):
    with pytest.raises(ValueError, match="printable ASCII"):
        store.review(CARD, "good", action_id=action_id)


def _exported(store) -> dict:
    store.review(CARD, "good", action_id="r1")
    store.mark_section("activations", "core-activations", action_id="s1")
    return store.export_progress()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["reviews"][0].update(rating="3"), "reviews.0.rating"),
        (lambda d: d["cards"][0].update(stability=float("inf")), "cards.0.stability"),
        (lambda d: d["cards"][0].update(step="1"), "cards.0.step"),
        (
            lambda d: d["reviews"][0].update(reviewed_at="9999-01-01T00:00:00+00:00"),
            "reviews.0.reviewed_at",
        ),
        (
            lambda d: d["sections"][0].update(done_at="9999-01-01T00:00:00+00:00"),
            "sections.0.done_at",
        ),
    ],
)
def test_import_rejects_values_the_api_rejects(
    store, database_url, tmp_path, change, named
):
    data = _exported(store)
    change(data)

    with Store.open(f"sqlite:///{tmp_path / 'fresh.db'}") as fresh:
        with pytest.raises(ValueError, match=named.replace(".", r"\.")):
            fresh.import_progress(data)
        assert fresh.reviews() == []


def test_import_skips_sections_and_cards_the_lessons_lack(store, tmp_path):
    data = _exported(store)
    data["sections"].append(
        {"lesson": "x", "section": "../../etc", "action_id": "s9",
         "done_at": datetime.now(UTC).isoformat()}
    )  # fmt: skip
    data["cards"].append({**data["cards"][0], "card_id": "no-such-card"})

    with Store.open(f"sqlite:///{tmp_path / 'fresh.db'}") as fresh:
        summary = fresh.import_progress(data)
        progress = fresh.progress()
    assert summary.skipped == 2
    assert progress.sections_done == [("activations", "core-activations")]


def test_import_accepts_a_due_date_years_ahead(store, tmp_path):
    data = _exported(store)
    data["cards"][0]["due"] = (datetime.now(UTC) + timedelta(days=3000)).isoformat()

    with Store.open(f"sqlite:///{tmp_path / 'fresh.db'}") as fresh:
        assert fresh.import_progress(data).added["cards"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"format": "actlab-progress", "version": ' + "9" * 5000 + "}", "4300 digits"),
    ],
)
def test_cli_import_of_hostile_json(tmp_path, content, message):
    path = tmp_path / "hostile.json"
    path.write_text(content)
    url = f"sqlite:///{tmp_path / 'p.db'}"
    result = CliRunner().invoke(
        _main.cli, ["progress", "import", str(path), "--database-url", url]
    )

    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


# --- rows stored before imports were checked ------------------------------------


def insert_rows(store: Store, *rows) -> None:
    """Store ``rows`` as an import from before the checks did, with no checks."""
    with Session(store.engine) as session, session.begin():
        session.add_all(rows)


def bad_attempt(kind: str, item_id: str, detail: dict, action_id: str) -> AttemptRow:
    return AttemptRow(
        action_id=action_id,
        kind=kind,
        item_id=item_id,
        score=1.0,
        correct=True,
        detail=detail,
        created_at=datetime.now(UTC),
    )


@pytest.mark.parametrize(
    ("kind", "item_id", "detail", "named"),
    [
        ("drill", "value-at-z", {}, "detail.seed is missing"),
        ("drill", "value-at-z", {"seed": "abc", "answer": "1"}, "detail.seed is 'abc'"),
        ("ordering", "layer-forward", {}, "detail.order is missing"),
        ("scenario", "dead-relu-rate", {}, "detail.seed is missing"),
    ],
)
def test_replay_of_an_invalid_stored_attempt(store, kind, item_id, detail, named):
    insert_rows(store, bad_attempt(kind, item_id, detail, "old"))

    with pytest.raises(StoredRecordError, match=named) as caught:
        store.record_attempt(kind, item_id, score=1.0, correct=True, action_id="old")
    assert "send a new action_id" in str(caught.value)
    assert len(store.attempts()) == 1


def test_replay_of_an_interview_without_review(store):
    detail = {"answer": "x", "covered": [0], "rating": 3}
    insert_rows(store, bad_attempt("interview", "what-is-relu", detail, "iv-1"))

    with pytest.raises(StoredRecordError, match="has no review of card"):
        store.record_interview("what-is-relu", answer="x", covered=[], action_id="iv-1")
    assert store.reviews() == []


def broken_schedule() -> CardStateRow:
    return CardStateRow(
        card_id=CARD,
        state="review",
        step=None,
        stability=None,
        difficulty=5.0,
        due=datetime.now(UTC),
        last_review=datetime.now(UTC) - timedelta(days=3),
    )


def test_review_of_a_broken_schedule(store):
    insert_rows(store, broken_schedule())

    with pytest.raises(StoredRecordError, match="stability is null"):
        store.review(CARD, "good")
    practised = store.review(CARD, "good", practice=True)
    assert practised.practice
    assert [entry["practice"] for entry in store.reviews()] == [True]


def test_stored_reviews_of_unknown_cards_leave_new_cards(store):
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = [
        ReviewRow(
            action_id=f"u{index}",
            card_id=f"gone-{index}",
            rating=3,
            reviewed_at=midnight,
            state_before="new",
            state_after="learning",
            due_after=midnight,
        )
        for index in range(30)
    ]
    insert_rows(store, *rows)

    assert store.new_seen_today(now) == 0
    assert len(store.due_cards(now)) == store.new_per_day


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/drills/answer", {"template": "value-at-z", "seed": 1, "answer": "1"}),
        ("/api/ordering/layer-forward/answer", {"order": ORDER}),
        (
            "/api/scenarios/dead-relu-rate/choose",
            {"diagnosis": "dead-relu", "remedy": "lower-rate"},
        ),
    ],
)
def test_web_replay_of_an_invalid_attempt_is_409(client, path, body):
    kind = {"drills": "drill", "ordering": "ordering", "scenarios": "scenario"}
    kind = kind[path.split("/")[2]]
    item_id = {"drill": "value-at-z", "ordering": "layer-forward"}.get(
        kind, "dead-relu-rate"
    )
    insert_rows(client.app.state.store, bad_attempt(kind, item_id, {}, "old-1"))

    response = client.post(path, json={**body, "action_id": "old-1"})

    assert response.status_code == 409
    assert response.json()["field"] == "action_id"
    assert "'old-1'" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/interview/what-is-relu", {"answer": "x", "action_id": "iv-1"}),
        (f"/api/cards/{CARD}/review", {"rating": 3, "action_id": "r-1"}),
    ],
)
def test_web_invalid_record_is_409_or_422(client, path, body):
    detail = {"answer": "x", "covered": [0], "rating": 3}
    interview = bad_attempt("interview", "what-is-relu", detail, "iv-1")
    insert_rows(client.app.state.store, interview, broken_schedule())

    response = client.post(path, json=body)

    assert response.status_code in (409, 422)
    assert "import may have left it so" in response.json()["detail"]


# --- ids beyond the columns ------------------------------------------------------


def test_ids_beyond_integer_columns(any_database_url):
    with Store.open(any_database_url) as store:
        with pytest.raises(UnknownItemError, match="9223372036854775808"):
            store.experiment_run(2**63)
        with pytest.raises(ValueError, match="invalid step"):
            store.monitor_records("run", after_step=2**31)
        with pytest.raises(ValueError, match="invalid step 2147483648"):
            store.log_monitor("run", [(2**31, {"loss": 1.0})])
        with pytest.raises(ValueError, match="invalid limit"):
            store.attempts(limit=10**30)
        assert store.monitor_runs() == []


def test_writes_reject_values_postgresql_rejects(any_database_url):
    with Store.open(any_database_url) as store:
        with pytest.raises(ValueError, match=r"detail\.loss is nan"):
            store.record_attempt(
                "drill", "t", score=1.0, correct=True,
                detail={**DRILL, "loss": float("nan")},
            )  # fmt: skip
        with pytest.raises(ValueError, match="NUL"):
            store.record_attempt("drill", "t\x00", score=1.0, correct=True)
        with pytest.raises(ValueError, match="NUL"):
            store.log_monitor("run\x00", [(1, {})])
        with pytest.raises(ValueError, match="lone surrogate"):
            store.record_interview("what-is-relu", answer="\ud800", covered=[0])
        assert store.attempts() == []


# --- another program's lock, lost tables, a damaged file --------------------------


@pytest.fixture
def locked(tmp_path):
    """A store with one review, and a lock on its file held by another connection."""
    path = tmp_path / "locked.db"
    store = Store.open(f"sqlite:///{path}", busy_timeout=0.2)
    store.review(CARD, "good", action_id="before")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield store
    finally:
        other.execute("ROLLBACK")
        other.close()
        store.close()


def test_reads_go_ahead_while_another_program_writes(locked):
    assert locked.progress().reviews_today == 1
    assert len(locked.due_cards()) > 0
    assert locked.card(CARD).state.state == "learning"
    assert len(locked.reviews()) == 1
    assert locked.attempts() == []
    assert locked.monitor_runs() == []
    assert locked.experiment_runs() == []
    assert len(locked.export_progress()["reviews"]) == 1
    with Store.open(locked.url, busy_timeout=0.2) as again:
        assert len(again.reviews()) == 1


def test_write_under_the_lock_is_a_transient_error(locked):
    with pytest.raises(StoreError, match="locked by another program") as caught:
        locked.review(CARD, "good", action_id="during")

    assert caught.value.transient
    assert len(locked.reviews()) == 1


def test_lost_tables_are_created_again(store, database_url):
    path = database_url.removeprefix("sqlite:///")
    store.review(CARD, "good")
    other = sqlite3.connect(path)
    names = [row[0] for row in other.execute("SELECT name FROM sqlite_master")]
    for name in names:
        if not name.startswith("sqlite_") and not name.startswith("ix_"):
            other.execute(f'DROP TABLE IF EXISTS "{name}"')
    other.commit()
    other.close()

    assert store.progress().reviews_today == 0
    assert store.review(CARD, "good").card.state.state == "learning"


def test_one_lost_table_is_explained(store, database_url):
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"))
    other.execute("DROP TABLE reviews")
    other.commit()
    other.close()

    with pytest.raises(StoreError, match="lacks an actlab table") as caught:
        store.reviews()
    assert "no such table: reviews" in str(caught.value)


@pytest.mark.postgres
def test_recreated_postgresql_database_gets_its_tables(postgres_server):
    server = make_url(postgres_server)
    name = f"actlab_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        with Store.open(url) as store:
            store.review(CARD, "good")
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))

            assert store.progress().reviews_today == 0
            assert not store.review(CARD, "good").duplicate
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def damage(store: Store, database_url: str) -> None:
    """Overwrite every page after the first of the store's file, in place."""
    store.engine.dispose()
    path = database_url.removeprefix("sqlite:///")
    other = sqlite3.connect(path)
    other.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    other.close()
    size = os.path.getsize(path)
    with open(path, "r+b") as file:
        file.seek(4096)
        file.write(b"\xa5" * (size - 4096))


def test_damaged_file_is_named_not_retried(store, database_url):
    store.review(CARD, "good")
    damage(store, database_url)

    with pytest.raises(StoreError, match="is not a valid actlab database") as caught:
        store.progress()
    assert "move it aside" in str(caught.value)
    assert not caught.value.transient


def test_web_damaged_file_answers_json_or_a_page(client, database_url):
    store = client.app.state.store
    store.review(CARD, "good")
    damage(store, database_url)

    api = client.get("/api/monitor/runs")
    page = client.get("/monitor")

    assert api.status_code == 503
    assert "Retry-After" not in api.headers
    assert "move it aside" in api.json()["detail"]
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "The progress database failed" in page.text
    assert "not a valid actlab database" in page.text


def test_web_lock_blocks_only_writes(client, tmp_path):
    path = tmp_path / "web-locked.db"
    client.app.state.store = Store.open(f"sqlite:///{path}", busy_timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        read = client.get("/api/monitor/runs")
        page = client.get("/experiments")
        written = client.post(
            "/api/lessons/activations/sections/dead-relu/done",
            json={"action_id": "during-lock"},
        )
    finally:
        other.execute("ROLLBACK")
        other.close()
        client.app.state.store.close()

    assert read.status_code == 200
    assert page.status_code == 200
    assert written.status_code == 503
    assert written.headers["Retry-After"] == "5"
    assert "locked by another program" in written.json()["detail"]
