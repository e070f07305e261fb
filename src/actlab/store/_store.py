"""The store: a learner's attempts, card schedules, reviews and finished sections.

Every public method that writes is one transaction, and every learner action
carries an ``action_id``: sending the same action again (after a timeout, a
lost reply or a killed server) finds the stored row and changes nothing.
"""

from __future__ import annotations

import dataclasses
import numbers
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine, Integer, cast, func, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from actlab import lessons
from actlab.practice import (
    CardState,
    Rating,
    Scheduler,
    check_utc,
    parse_rating,
    rating_from_self_assessment,
)

from . import _catalogue, _details, _engine, _evidence, _transfer
from ._details import INTEGER_MAX, RecordProblem
from ._evidence import ExperimentRunRecord, MonitorRunSummary
from ._models import (
    ACTION_ID_LENGTH,
    ITEM_ID_LENGTH,
    AttemptRow,
    CardStateRow,
    ExperimentRunRow,
    MonitorRecordRow,
    ReviewRow,
    SectionDoneRow,
    SweepCellRow,
)
from ._records import (
    ATTEMPT_KINDS,
    AttemptRecord,
    CardView,
    ConceptAccuracy,
    ImportSummary,
    KindCount,
    Progress,
    ReviewRecord,
)

T = TypeVar("T")
_RETRIES = 3


class ActionConflictError(ValueError):
    """An action id sent again for another card, item or kind than the first time."""


class StoredRecordError(ValueError):
    """A stored record that breaks the store's rules, so an action cannot use it.

    An import from before those rules were checked can leave such a record:
    an attempt whose detail a replay cannot read, an interview answer without
    its card review, or a card schedule that fsrs cannot review.
    """


class UnknownItemError(LookupError):
    """A card, question or section id that the lessons do not have."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class Store:
    """A learner's progress in one database.

    Open it with ``Store.open(url)``; ``url`` defaults to
    ``ACTLAB_DATABASE_URL`` or a SQLite file in the user's data directory.
    """

    def __init__(self, engine: Engine, new_per_day: int = 20):
        self.engine = engine
        self.scheduler = Scheduler(new_per_day=new_per_day)
        self._read_sessions = sessionmaker(engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            _engine.for_writing(engine), expire_on_commit=False
        )
        self._file = _engine.sqlite_file(engine.url)

    @classmethod
    def open(
        cls,
        url: str | None = None,
        new_per_day: int = 20,
        upgrade: bool = True,
        busy_timeout: float = _engine.BUSY_TIMEOUT,
    ) -> Store:
        """Open the database at ``url`` and upgrade its schema to the newest.

        ``busy_timeout`` is how many seconds a SQLite writer waits for another
        one before the store raises ``StoreError``.
        """
        parsed = _engine.parse_url(url or _engine.default_url())
        engine = _engine.create(parsed, busy_timeout)
        try:
            if upgrade:
                _engine.upgrade(engine)
        except sa_exc.SQLAlchemyError as error:
            engine.dispose()
            raise _engine.explain(error, parsed) from None
        except Exception:
            engine.dispose()
            raise
        return cls(engine, new_per_day=new_per_day)

    @property
    def new_per_day(self) -> int:
        return self.scheduler.new_per_day

    @property
    def url(self) -> str:
        return _engine.shown(self.engine.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    # --- transactions ----------------------------------------------------------

    def _read(self, action: Callable[[Session], T]) -> T:
        """Run ``action`` in one read transaction.

        On SQLite it starts with a deferred BEGIN, so in WAL mode it reads the
        last committed state while another program writes, without waiting.
        """
        return self._transaction(self._read_sessions, action)

    def _write(self, action: Callable[[Session], T]) -> T:
        """Run ``action`` in one write transaction, again if an insert collided.

        On SQLite it starts with BEGIN IMMEDIATE, so it waits up to the busy
        timeout for another writer before it reads anything.
        """
        return self._transaction(self._write_sessions, action)

    def _transaction(
        self, sessions: sessionmaker[Session], action: Callable[[Session], T]
    ) -> T:
        self._check_file()
        collisions = 0
        restored = False
        while True:
            try:
                with sessions() as session, session.begin():
                    return action(session)
            except sa_exc.IntegrityError:
                collisions += 1
                if collisions == _RETRIES:
                    raise
            except sa_exc.SQLAlchemyError as error:
                if restored or not _engine.missing_table(error):
                    raise _engine.explain(error, self.engine.url) from None
                restored = True
                self._restore_schema(error)

    def _restore_schema(self, error: sa_exc.SQLAlchemyError) -> None:
        """Create the tables again in a database that lost them while open.

        A PostgreSQL database dropped and created again has none, and neither
        has a SQLite file whose tables another program dropped.
        """
        _engine.logger.warning(
            "the tables of %s are missing (%s): creating them again",
            self.url,
            str(getattr(error, "orig", error)).strip().splitlines()[0],
        )
        try:
            _engine.upgrade(self.engine)
        except sa_exc.SQLAlchemyError as failure:
            raise _engine.explain(failure, self.engine.url) from None

    def _check_file(self) -> None:
        """Raise ``StoreError`` if the SQLite file was deleted or replaced since open.

        SQLite would go on writing to the deleted file, and every answer
        written there would be lost when the lab stops.
        """
        if self._file is not None and not self._file.unchanged():
            raise _engine.StoreError(
                f"the database file {self._file.path} was deleted or replaced while "
                "the lab was running: restore it, or restart the lab to start a new "
                "one"
            )

    # --- attempts --------------------------------------------------------------

    def record_attempt(
        self,
        kind: str,
        item_id: str,
        *,
        score: float,
        correct: bool,
        concept: str | None = None,
        detail: dict[str, Any] | None = None,
        action_id: str | None = None,
        at: datetime | None = None,
    ) -> AttemptRecord:
        """Store one graded attempt; a repeated ``action_id`` returns the first."""
        row = AttemptRow(
            action_id=_action_id(action_id),
            kind=_kind(kind),
            item_id=_item_id(item_id, "item_id"),
            concept=None if concept is None else _item_id(concept, "concept"),
            score=_score(score),
            correct=bool(correct),
            detail=_detail(detail),
            created_at=_now(at, "at"),
        )
        return self._write(lambda session: _insert_attempt(session, row))

    def attempts(
        self, kind: str | None = None, limit: int | None = None
    ) -> list[AttemptRecord]:
        """Return the stored attempts, newest first, of one kind or all."""
        query = select(AttemptRow).order_by(AttemptRow.id.desc())
        if kind is not None:
            query = query.where(AttemptRow.kind == _kind(kind))
        if limit is not None:
            query = query.limit(_limit(limit))
        return self._read(
            lambda session: [_attempt_record(row) for row in session.scalars(query)]
        )

    # --- cards -----------------------------------------------------------------

    def cards(self, now: datetime | None = None) -> list[CardView]:
        """Return every card with its schedule, in lesson order."""
        now = _now(now, "now")
        states = self._read(_states)
        return [
            self._view(text.id, states.get(text.id), now)
            for text in _catalogue.card_texts().values()
        ]

    def card(self, card_id: str, now: datetime | None = None) -> CardView:
        """Return one card, or raise ``UnknownItemError`` naming the choices."""
        _card_text(card_id)
        now = _now(now, "now")
        row = self._read(lambda session: session.get(CardStateRow, card_id))
        return self._view(card_id, _state(row) if row else None, now)

    def due_cards(
        self, now: datetime | None = None, limit: int | None = None
    ) -> list[CardView]:
        """Return the cards due at ``now``, earliest first, new ones up to the limit."""
        now = _now(now, "now")

        def read(session: Session) -> tuple[dict[str, CardState], int]:
            return _states(session), _new_seen_since(session, _day_start(now))

        states, seen = self._read(read)
        ids = list(_catalogue.card_texts())
        cards = [
            dataclasses.replace(states[card_id], card_id=index)
            if card_id in states
            else CardState.new(index, now)
            for index, card_id in enumerate(ids)
        ]
        queue = self.scheduler.due_queue(cards, now, new_seen_today=seen)
        if limit is not None:
            queue = queue[: _limit(limit)]
        return [
            self._view(ids[card.card_id], states.get(ids[card.card_id]), now)
            for card in queue
        ]

    def new_seen_today(self, now: datetime | None = None) -> int:
        """Count the new cards given their first scheduled review since UTC midnight."""
        now = _now(now, "now")
        return self._read(lambda session: _new_seen_since(session, _day_start(now)))

    def review(
        self,
        card_id: str,
        rating: Any,
        *,
        practice: bool = False,
        action_id: str | None = None,
        now: datetime | None = None,
    ) -> ReviewRecord:
        """Review a card, in one transaction; practice reviews leave the schedule."""
        _card_text(card_id)
        rating = parse_rating(rating)
        action = _action_id(action_id)
        now = _now(now, "now")

        def write(session: Session) -> ReviewRecord:
            return self._review(session, card_id, rating, practice, action, now)

        return self._write(write)

    def _review(
        self,
        session: Session,
        card_id: str,
        rating: Rating,
        practice: bool,
        action_id: str,
        now: datetime,
    ) -> ReviewRecord:
        stored = _review_by_action(session, action_id)
        if stored is not None:
            if stored.card_id != card_id:
                raise ActionConflictError(
                    f"invalid action_id {action_id!r}: it was used for a review of "
                    f"card {stored.card_id!r}; send a new id"
                )
            return self._review_record(session, stored, duplicate=True)
        row = session.get(CardStateRow, card_id, with_for_update=True)
        before = _state(row) if row else CardState.new(0, now)
        if not practice:
            _check_schedule(card_id, before)
        after, _ = self.scheduler.review(before, rating, now, practice=practice)
        if not practice:
            row = _save_state(session, row, card_id, after)
        review = ReviewRow(
            action_id=action_id,
            card_id=card_id,
            rating=int(rating),
            reviewed_at=now,
            state_before=before.state,
            state_after=after.state,
            due_after=after.due,
            practice=bool(practice),
        )
        session.add(review)
        session.flush()
        return ReviewRecord(
            review.id,
            action_id,
            self._view(card_id, after, now),
            rating,
            now,
            bool(practice),
        )

    def _review_record(
        self, session: Session, row: ReviewRow, duplicate: bool
    ) -> ReviewRecord:
        state_row = session.get(CardStateRow, row.card_id)
        state = _state(state_row) if state_row else None
        return ReviewRecord(
            row.id,
            row.action_id,
            self._view(row.card_id, state, row.reviewed_at),
            Rating(row.rating),
            row.reviewed_at,
            row.practice,
            duplicate,
        )

    def reviews(self, card_id: str | None = None) -> list[dict[str, Any]]:
        """Return the review log, oldest first, as plain values."""
        query = select(ReviewRow).order_by(ReviewRow.id)
        if card_id is not None:
            query = query.where(ReviewRow.card_id == card_id)
        return self._read(
            lambda session: [
                _transfer.review_values(row) for row in session.scalars(query)
            ]
        )

    def _view(self, card_id: str, state: CardState | None, now: datetime) -> CardView:
        text = _catalogue.card_texts()[card_id]
        state = state or CardState.new(0, now)
        recall = None
        if state.last_review is not None:
            recall = self.scheduler.retrievability(state, max(now, state.last_review))
        return CardView(
            text.id,
            text.kind,
            text.front,
            text.back,
            text.concept,
            text.opens,
            state,
            recall,
        )

    # --- interview -------------------------------------------------------------

    def record_interview(
        self,
        question_id: str,
        *,
        answer: str,
        covered: Sequence[int],
        rating: Any = None,
        action_id: str | None = None,
        now: datetime | None = None,
    ) -> tuple[AttemptRecord, ReviewRecord]:
        """Store an interview answer and review its card, in one transaction."""
        question = _question(question_id)
        points = len(question.key_points)
        ticked = _covered(covered, points)
        if rating is None:
            rating = rating_from_self_assessment(len(ticked), points)
        rating = parse_rating(rating)
        if not isinstance(answer, str):
            raise ValueError(f"invalid answer {answer!r}: expected text")
        action = _action_id(action_id)
        now = _now(now, "now")
        card_id = _catalogue.interview_card_id(question_id)
        attempt = AttemptRow(
            action_id=action,
            kind="interview",
            item_id=question_id,
            concept=question.concept,
            score=len(ticked) / points,
            # As for a card, the learner's own rating decides: right unless Again.
            correct=rating != Rating.AGAIN,
            detail=_detail(
                {"answer": answer, "covered": ticked, "rating": int(rating)}
            ),
            created_at=now,
        )

        def write(session: Session) -> tuple[AttemptRecord, ReviewRecord]:
            record = _insert_attempt(session, attempt)
            review_action = _details.interview_review_action(action)
            if record.duplicate:
                stored = _review_by_action(session, review_action)
                if stored is None or stored.card_id != card_id:
                    raise StoredRecordError(
                        f"the interview answer stored under action_id {action!r} "
                        f"has no review of card {card_id!r}, so it cannot be "
                        "repeated (an import may have left it so): send a new "
                        "action_id"
                    )
                return record, self._review_record(session, stored, duplicate=True)
            review = self._review(session, card_id, rating, False, review_action, now)
            return record, review

        return self._write(write)

    # --- sections --------------------------------------------------------------

    def mark_section(
        self,
        lesson: str,
        section: str,
        *,
        action_id: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Mark a lesson section done; return False if it already was."""
        if (lesson, section) not in _catalogue.section_ids():
            raise UnknownItemError(
                f"unknown section {lesson!r}/{section!r}: choose one of "
                + ", ".join(f"{a}/{b}" for a, b in sorted(_catalogue.section_ids()))
            )
        row = SectionDoneRow(
            lesson=lesson,
            section=section,
            action_id=_action_id(action_id),
            done_at=_now(at, "at"),
        )

        def write(session: Session) -> bool:
            if session.get(SectionDoneRow, (lesson, section)) is not None:
                return False
            if _exists(session, SectionDoneRow, row.action_id):
                return False
            session.add(row)
            session.flush()
            return True

        return self._write(write)

    # --- progress --------------------------------------------------------------

    def progress(self, now: datetime | None = None) -> Progress:
        """Return the learner's progress at ``now``."""
        now = _now(now, "now")
        today = _day_start(now)

        def read(session: Session) -> tuple[Any, ...]:
            sections = session.execute(
                select(SectionDoneRow.lesson, SectionDoneRow.section).order_by(
                    SectionDoneRow.done_at
                )
            ).all()
            return (
                sections,
                _counts_by_kind(session),
                _concept_accuracy(session),
                _reviews_since(session, today, practice=False),
                _reviews_since(session, today, practice=True),
                _active_days(session),
            )

        stored = self._read(read)
        sections, by_kind, concepts, reviews_today, practice_today, days = stored
        due = self.due_cards(now)
        texts = _catalogue.card_texts()
        states = {card.id: card for card in self.cards(now)}
        return Progress(
            sections_done=[tuple(pair) for pair in sections],
            sections_total=len(_catalogue.section_ids()),
            by_kind=by_kind,
            concepts=concepts,
            cards_total=len(texts),
            cards_due=sum(not card.is_new for card in due),
            cards_new_today=sum(card.is_new for card in due),
            cards_new=sum(card.is_new for card in states.values()),
            reviews_today=reviews_today,
            practice_today=practice_today,
            streak_days=_streak(days, now.date()),
            last_active=max(days.values()) if days else None,
        )

    # --- export and import -----------------------------------------------------

    def export_progress(self, now: datetime | None = None) -> dict[str, Any]:
        """Return the whole progress as JSON-ready values."""
        now = _now(now, "now")
        revision = _engine.revisions()[-1]
        return self._read(lambda session: _transfer.export(session, now, revision))

    def import_progress(self, data: Any) -> ImportSummary:
        """Merge exported progress into this store, in one transaction.

        Rows whose action was stored already are skipped, so importing the
        same file twice adds nothing the second time. A card's schedule is
        replaced only by one with a later last review.
        """
        parsed = _transfer.parse(data)
        _transfer.check_moments(parsed, datetime.now(UTC))
        return self._write(lambda session: _transfer.merge(session, parsed))

    # --- experiments, sweeps and monitored runs ---------------------------------

    def save_experiment(
        self, name: str, result: dict[str, Any], started_at: datetime, seconds: float
    ) -> int:
        """Store one experiment run's result; return its id."""
        row = ExperimentRunRow(
            name=_item_id(name, "name"),
            started_at=check_utc(started_at, "started_at"),
            seconds=float(seconds),
            result=_evidence.json_safe(result),
        )

        def write(session: Session) -> int:
            session.add(row)
            session.flush()
            return row.id

        return self._write(write)

    def experiment_runs(
        self, name: str | None = None, limit: int | None = None
    ) -> list[ExperimentRunRecord]:
        """Return stored experiment runs, newest first, of one experiment or all."""
        query = select(ExperimentRunRow).order_by(ExperimentRunRow.id.desc())
        if name is not None:
            query = query.where(ExperimentRunRow.name == name)
        if limit is not None:
            query = query.limit(_limit(limit))
        return self._read(
            lambda session: [
                _evidence.experiment_record(row) for row in session.scalars(query)
            ]
        )

    def experiment_run(self, run_id: int) -> ExperimentRunRecord:
        """Return one stored experiment run, or raise ``UnknownItemError``.

        An id outside the column's range, 1 to 2**31 - 1, is not found either.
        """
        if isinstance(run_id, bool) or not isinstance(run_id, int):
            raise ValueError(f"invalid run_id {run_id!r}: expected an integer")
        row = None
        if 1 <= run_id <= INTEGER_MAX:
            row = self._read(lambda session: session.get(ExperimentRunRow, run_id))
        if row is None:
            raise UnknownItemError(f"experiment run {run_id!r} not found")
        return _evidence.experiment_record(row)

    def save_sweep_cell(
        self,
        sweep: str,
        cell: str,
        result: dict[str, Any],
        at: datetime | None = None,
    ) -> bool:
        """Store a finished sweep cell; return False if it was stored already."""
        sweep, cell = _item_id(sweep, "sweep"), _item_id(cell, "cell")
        moment = _now(at, "at")
        return self._write(
            lambda session: _evidence.save_cell(session, sweep, cell, result, moment)
        )

    def sweep_cells(self, sweep: str) -> dict[str, dict[str, Any]]:
        """Return the finished cells of ``sweep`` by cell key."""
        query = select(SweepCellRow).where(SweepCellRow.sweep == sweep)
        return self._read(
            lambda session: {
                row.cell: dict(row.result) for row in session.scalars(query)
            }
        )

    def log_monitor(
        self,
        run: str,
        records: Sequence[tuple[int, dict[str, Any]]],
        at: datetime | None = None,
    ) -> int:
        """Store ``(step, stats)`` records of a monitored run in one transaction."""
        run = _item_id(run, "run")
        moment = _now(at, "at")
        rows = [
            MonitorRecordRow(
                run=run,
                step=_step(step),
                recorded_at=moment,
                stats=_evidence.json_safe(stats),
            )
            for step, stats in records
        ]

        def write(session: Session) -> int:
            session.add_all(rows)
            session.flush()
            return len(rows)

        return self._write(write)

    def monitor_runs(self) -> list[MonitorRunSummary]:
        """Return the monitored runs, most recently logged first."""
        return self._read(_evidence.monitor_runs)

    def monitor_records(
        self, run: str, after_step: int | None = None
    ) -> list[dict[str, Any]]:
        """Return a monitored run's records, by step, after ``after_step`` if given."""
        query = (
            select(MonitorRecordRow)
            .where(MonitorRecordRow.run == run)
            .order_by(MonitorRecordRow.step, MonitorRecordRow.id)
        )
        if after_step is not None:
            query = query.where(MonitorRecordRow.step > _step(after_step))

        def read(session: Session) -> list[dict[str, Any]]:
            return [
                {
                    "step": row.step,
                    "recorded_at": row.recorded_at.isoformat(),
                    "stats": row.stats,
                }
                for row in session.scalars(query)
            ]

        return self._read(read)


# --- rows and records ----------------------------------------------------------


def _insert_attempt(session: Session, row: AttemptRow) -> AttemptRecord:
    stored = session.scalar(
        select(AttemptRow).where(AttemptRow.action_id == row.action_id)
    )
    if stored is not None:
        if (stored.kind, stored.item_id) != (row.kind, row.item_id):
            raise ActionConflictError(
                f"invalid action_id {row.action_id!r}: it was used for the "
                f"{stored.kind} attempt at {stored.item_id!r}; send a new id"
            )
        _check_replay(stored)
        return _attempt_record(stored, duplicate=True)
    session.add(row)
    session.flush()
    return _attempt_record(row)


def _check_replay(row: AttemptRow) -> None:
    """Raise ``StoredRecordError`` if a repeated action cannot read ``row.detail``."""
    try:
        _details.check_detail(row.kind, row.item_id, row.detail)
    except RecordProblem as problem:
        raise StoredRecordError(
            f"the {row.kind} attempt stored under action_id {row.action_id!r} is "
            f"invalid ({problem}), so it cannot be repeated (an import may have "
            "left it so): send a new action_id"
        ) from None


def _check_schedule(card_id: str, state: CardState) -> None:
    """Raise ``StoredRecordError`` if fsrs cannot review the stored ``state``."""
    try:
        _details.check_card_state(
            state.state,
            state.step,
            state.stability,
            state.difficulty,
            state.last_review,
        )
    except RecordProblem as problem:
        raise StoredRecordError(
            f"the stored schedule of card {card_id!r} is invalid ({problem}), so "
            "it cannot be reviewed (an import may have left it so): review it in "
            "practice mode, or import a valid schedule for it with a later "
            "last_review"
        ) from None


def _attempt_record(row: AttemptRow, duplicate: bool = False) -> AttemptRecord:
    return AttemptRecord(
        row.id,
        row.action_id,
        row.kind,
        row.item_id,
        row.concept,
        row.score,
        row.correct,
        dict(row.detail or {}),
        row.created_at,
        duplicate,
    )


def _review_by_action(session: Session, action_id: str) -> ReviewRow | None:
    return session.scalar(select(ReviewRow).where(ReviewRow.action_id == action_id))


def _exists(session: Session, model: type, action_id: str) -> bool:
    query = select(func.count()).where(model.action_id == action_id)
    return bool(session.scalar(query))


def _state(row: CardStateRow) -> CardState:
    return CardState(
        card_id=0,
        state=row.state,
        step=row.step,
        stability=row.stability,
        difficulty=row.difficulty,
        due=row.due,
        last_review=row.last_review,
    )


def _states(session: Session) -> dict[str, CardState]:
    return {row.card_id: _state(row) for row in session.scalars(select(CardStateRow))}


def _save_state(
    session: Session, row: CardStateRow | None, card_id: str, state: CardState
) -> CardStateRow:
    if row is None:
        row = CardStateRow(card_id=card_id)
        session.add(row)
    row.state = state.state
    row.step = state.step
    row.stability = state.stability
    row.difficulty = state.difficulty
    row.due = state.due
    row.last_review = state.last_review
    return row


def _new_seen_since(session: Session, start: datetime) -> int:
    # Reviews of cards that the installed lessons lack, which older imports
    # stored, must not use up the day's new cards.
    query = select(func.count(func.distinct(ReviewRow.card_id))).where(
        ReviewRow.state_before == "new",
        ReviewRow.practice.is_(False),
        ReviewRow.reviewed_at >= start,
        ReviewRow.card_id.in_(list(_catalogue.card_texts())),
    )
    return session.scalar(query) or 0


def _counts_by_kind(session: Session) -> dict[str, KindCount]:
    rows = session.execute(
        select(
            AttemptRow.kind,
            func.count(),
            func.sum(cast(AttemptRow.correct, Integer)),
        ).group_by(AttemptRow.kind)
    ).all()
    counts = {kind: KindCount(0, 0) for kind in ATTEMPT_KINDS}
    for kind, attempts, correct in rows:
        counts[kind] = KindCount(attempts, int(correct or 0))
    return counts


def _concept_accuracy(session: Session) -> list[ConceptAccuracy]:
    totals: dict[str, list[int]] = {}
    rows = session.execute(
        select(AttemptRow.concept, AttemptRow.correct).where(
            AttemptRow.concept.is_not(None)
        )
    )
    for concept, correct in rows:
        entry = totals.setdefault(concept, [0, 0])
        entry[0] += 1
        entry[1] += bool(correct)
    texts = _catalogue.card_texts()
    reviews = session.execute(
        select(ReviewRow.card_id, ReviewRow.rating).where(ReviewRow.practice.is_(False))
    )
    for card_id, rating in reviews:
        text = texts.get(card_id)
        # An interview card's review repeats its attempt, counted above.
        if text is None or text.concept is None or text.kind == "interview":
            continue
        entry = totals.setdefault(text.concept, [0, 0])
        entry[0] += 1
        entry[1] += rating != Rating.AGAIN
    titles = lessons.concept_titles()
    return [
        ConceptAccuracy(
            concept, titles.get(concept, concept.replace("-", " ")), attempts, correct
        )
        for concept, (attempts, correct) in sorted(totals.items())
    ]


def _reviews_since(session: Session, start: datetime, *, practice: bool) -> int:
    query = select(func.count()).where(
        ReviewRow.reviewed_at >= start, ReviewRow.practice.is_(practice)
    )
    return session.scalar(query) or 0


def _active_days(session: Session) -> dict[Any, datetime]:
    """Return the last moment of activity on each UTC day with any."""
    days: dict[Any, datetime] = {}
    for column in (
        AttemptRow.created_at,
        ReviewRow.reviewed_at,
        SectionDoneRow.done_at,
    ):
        for (moment,) in session.execute(select(column)):
            day = moment.date()
            if day not in days or moment > days[day]:
                days[day] = moment
    return days


def _streak(days: dict[Any, datetime], today: Any) -> int:
    """Count the consecutive active days up to today, or up to yesterday."""
    day = today if today in days else today - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


# --- checks --------------------------------------------------------------------


def _now(moment: datetime | None, name: str) -> datetime:
    return datetime.now(UTC) if moment is None else check_utc(moment, name)


def _day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _action_id(action_id: str | None) -> str:
    if action_id is None:
        return uuid.uuid4().hex
    valid = isinstance(action_id, str) and _details.ACTION_ID.fullmatch(action_id)
    if not valid:
        raise ValueError(
            f"invalid action_id {action_id!r}: expected 1 to {ACTION_ID_LENGTH} "
            "printable ASCII characters without spaces, such as a UUID"
        )
    return action_id


def _kind(kind: Any) -> str:
    if kind not in ATTEMPT_KINDS:
        raise ValueError(
            f"invalid kind {kind!r}: choose one of {', '.join(ATTEMPT_KINDS)}"
        )
    return kind


def _item_id(value: Any, name: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= ITEM_ID_LENGTH:
        raise ValueError(
            f"invalid {name} {value!r}: expected 1 to {ITEM_ID_LENGTH} characters"
        )
    problem = _details.text_problem(value)
    if problem is not None:
        raise ValueError(f"invalid {name} {value!r}: it {problem}")
    return value


def _detail(detail: Any) -> dict[str, Any]:
    if detail is None:
        return {}
    if not isinstance(detail, dict):
        raise ValueError(f"invalid detail {detail!r}: expected a dict")
    try:
        _details.check_json(detail, "detail")
    except RecordProblem as problem:
        raise ValueError(f"invalid {problem}") from None
    return dict(detail)


def _step(step: Any) -> int:
    # numbers.Integral takes NumPy integers too, as a training loop may count.
    valid = isinstance(step, numbers.Integral) and not isinstance(step, bool)
    if not valid or not 0 <= step <= INTEGER_MAX:
        raise ValueError(
            f"invalid step {step!r}: expected an integer from 0 to {INTEGER_MAX}"
        )
    return int(step)


def _score(score: Any) -> float:
    valid = isinstance(score, int | float) and not isinstance(score, bool)
    if not valid or not 0.0 <= score <= 1.0:
        raise ValueError(f"invalid score {score!r}: expected a number from 0 to 1")
    return float(score)


def _limit(limit: Any) -> int:
    valid = isinstance(limit, int) and not isinstance(limit, bool)
    if not valid or not 0 <= limit <= INTEGER_MAX:
        raise ValueError(
            f"invalid limit {limit!r}: expected an integer from 0 to {INTEGER_MAX}"
        )
    return limit


def _card_text(card_id: Any) -> _catalogue.CardText:
    texts = _catalogue.card_texts()
    if card_id not in texts:
        raise UnknownItemError(
            f"unknown card {card_id!r}: choose one of the {len(texts)} card ids "
            "that GET /api/cards lists"
        )
    return texts[card_id]


def _question(question_id: Any):
    questions = _catalogue.interview_questions()
    if question_id not in questions:
        raise UnknownItemError(
            f"unknown interview question {question_id!r}: choose one of "
            + ", ".join(questions)
        )
    return questions[question_id]


def _covered(covered: Any, points: int) -> list[int]:
    valid = isinstance(covered, list | tuple) and all(
        isinstance(index, int) and not isinstance(index, bool) for index in covered
    )
    if not valid or any(not 0 <= index < points for index in covered):
        raise ValueError(
            f"invalid covered {covered!r}: expected a list of key point indexes "
            f"from 0 to {points - 1}"
        )
    return sorted(set(covered))
