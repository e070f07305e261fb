"""Migrations: an old database upgrades without loss; models match the migrations."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from actlab.store import Store, _engine, revisions
from actlab.store._models import Base

# Made by the first schema (revision 0001) and committed, so that a later
# change to that migration cannot hide a broken upgrade.
FIRST_SCHEMA_FILE = Path(__file__).parent / "data" / "progress-schema-0001.db"
MOMENT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_revisions_start_with_the_first_schema():
    assert revisions()[0] == "0001"
    assert len(revisions()) >= 2


def test_database_of_the_first_schema_upgrades_without_loss(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(FIRST_SCHEMA_FILE, path)
    with sqlite3.connect(path) as connection:
        (version,) = connection.execute(
            "SELECT version_num FROM alembic_version"
        ).fetchone()
    assert version == "0001"

    with Store.open(f"sqlite:///{path}") as store:
        log = store.reviews()
        card = store.card("sigmoid-formula", now=MOMENT)
        assert [entry["action_id"] for entry in log] == ["old-1", "old-2", "old-3"]
        assert all(entry["practice"] is False for entry in log)
        assert card.state.state == "review"
        assert card.state.stability == pytest.approx(5.2)
        assert card.due == datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
        # The unique action id survived the rebuilt table.
        assert store.review("relu-slope", "good", action_id="old-3").duplicate
        # And the tables the new schema adds work.
        store.record_attempt("drill", "value-at-z", score=1.0, correct=True)
        assert store.progress(now=MOMENT).by_kind["drill"].attempts == 1

    with sqlite3.connect(path) as connection:
        (version,) = connection.execute(
            "SELECT version_num FROM alembic_version"
        ).fetchone()
    assert version == revisions()[-1]


def _first_schema_with_data(url: str) -> None:
    engine = _engine.create(_engine.parse_url(url))
    _engine.upgrade_to(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO reviews (action_id, card_id, rating, reviewed_at, "
                "state_before, state_after, due_after) VALUES "
                "('first', 'relu-slope', 3, :at, 'new', 'learning', :at)"
            ),
            {"at": MOMENT},
        )
    engine.dispose()


def test_upgrade_from_the_first_schema_on_each_database(any_database_url):
    _first_schema_with_data(any_database_url)

    with Store.open(any_database_url) as store:
        (entry,) = store.reviews()
        assert entry["action_id"] == "first"
        assert entry["practice"] is False
        assert store.review("relu-slope", "good", action_id="first").duplicate


def test_models_match_the_migrations(any_database_url):
    Store.open(any_database_url).close()
    engine = _engine.create(_engine.parse_url(any_database_url))
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_opening_twice_does_not_migrate_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    with Store.open(url) as store:
        store.review("relu-slope", "good")
    with Store.open(url) as store:
        assert len(store.reviews()) == 1
