"""The learner's progress, kept in a database that survives every restart.

SQLite in the user's data directory by default (WAL mode), or any SQLAlchemy
URL from ``--database-url`` or ``ACTLAB_DATABASE_URL``; PostgreSQL is
supported. The schema is built and upgraded by Alembic migrations when the
store opens. Every learner action is one transaction keyed by an action id,
so a retried action is stored once.
"""

from ._engine import ENV_VAR, StoreError, default_url, revisions
from ._evidence import ExperimentRunRecord, MonitorRunSummary, json_safe
from ._records import (
    ATTEMPT_KINDS,
    SKIP_REASONS,
    AttemptRecord,
    CardView,
    ConceptAccuracy,
    ImportSummary,
    KindCount,
    Progress,
    ReviewRecord,
)
from ._store import ActionConflictError, Store, StoredRecordError, UnknownItemError
from ._transfer import FORMAT

__all__ = [
    "ATTEMPT_KINDS",
    "ENV_VAR",
    "FORMAT",
    "SKIP_REASONS",
    "ActionConflictError",
    "AttemptRecord",
    "CardView",
    "ConceptAccuracy",
    "ExperimentRunRecord",
    "ImportSummary",
    "KindCount",
    "MonitorRunSummary",
    "Progress",
    "ReviewRecord",
    "Store",
    "StoreError",
    "StoredRecordError",
    "UnknownItemError",
    "default_url",
    "json_safe",
    "revisions",
]
