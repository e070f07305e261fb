"""Alembic's environment for the store: runs on the connection the store passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from actlab.store._models import Base

# An arbitrary key for PostgreSQL's advisory lock, so that two processes that
# open the same database at once do not both upgrade it.
_LOCK_KEY = 7_305_221


def run_migrations() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY}
            )
        context.run_migrations()


run_migrations()
