"""The tables of the newest schema. The migrations in ``migrations/`` build them.

A row of ``reviews``, ``attempts`` or ``sections_done`` is one learner
action. Its ``action_id`` is unique, so an action sent twice is stored once.
``card_states`` holds each reviewed card's schedule in plain columns; a card
with no row has never been reviewed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, Integer, SmallInteger, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ._types import UTCDateTime

ACTION_ID_LENGTH = 64
ITEM_ID_LENGTH = 200


class Base(DeclarativeBase):
    pass


class CardStateRow(Base):
    __tablename__ = "card_states"

    card_id: Mapped[str] = mapped_column(String(ITEM_ID_LENGTH), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    step: Mapped[int | None] = mapped_column(Integer)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_review: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReviewRow(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[str] = mapped_column(String(ACTION_ID_LENGTH), unique=True)
    card_id: Mapped[str] = mapped_column(String(ITEM_ID_LENGTH), index=True)
    rating: Mapped[int] = mapped_column(SmallInteger)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    state_before: Mapped[str] = mapped_column(String(16))
    state_after: Mapped[str] = mapped_column(String(16))
    due_after: Mapped[datetime] = mapped_column(UTCDateTime)
    practice: Mapped[bool] = mapped_column(Boolean, default=False)


class AttemptRow(Base):
    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[str] = mapped_column(String(ACTION_ID_LENGTH), unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    item_id: Mapped[str] = mapped_column(String(ITEM_ID_LENGTH))
    concept: Mapped[str | None] = mapped_column(String(ITEM_ID_LENGTH), index=True)
    score: Mapped[float] = mapped_column(Float)
    correct: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SectionDoneRow(Base):
    __tablename__ = "sections_done"

    lesson: Mapped[str] = mapped_column(String(ITEM_ID_LENGTH), primary_key=True)
    section: Mapped[str] = mapped_column(String(ITEM_ID_LENGTH), primary_key=True)
    action_id: Mapped[str] = mapped_column(String(ACTION_ID_LENGTH), unique=True)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExperimentRunRow(Base):
    __tablename__ = "experiment_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(ITEM_ID_LENGTH), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    seconds: Mapped[float] = mapped_column(Float)
    result: Mapped[dict] = mapped_column(JSON)


class SweepCellRow(Base):
    __tablename__ = "sweep_cells"

    sweep: Mapped[str] = mapped_column(String(ITEM_ID_LENGTH), primary_key=True)
    cell: Mapped[str] = mapped_column(String(ITEM_ID_LENGTH), primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    result: Mapped[dict] = mapped_column(JSON)


class MonitorRecordRow(Base):
    __tablename__ = "monitor_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run: Mapped[str] = mapped_column(String(ITEM_ID_LENGTH), index=True)
    step: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stats: Mapped[dict] = mapped_column(JSON)
