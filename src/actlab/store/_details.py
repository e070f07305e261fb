"""The rules that stored attempts and card schedules follow, for later actions.

A repeated action id replays the attempt stored under it, reading its
``detail`` back, and a review goes on from the card's stored schedule. An
import checks each record against these rules, and the store checks a row
again before it uses it, because rows imported before the checks existed may
break them.
"""

from __future__ import annotations

import functools
import math
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from actlab import lessons, practice

from . import _catalogue
from ._models import ACTION_ID_LENGTH

# An action id: printable ASCII without spaces, so that it reads the same in
# logs, such as a UUID. The web API accepts the same.
ACTION_ID = re.compile(rf"[!-~]{{1,{ACTION_ID_LENGTH}}}")
# The largest value of an INTEGER column: PostgreSQL keeps it in 32 bits.
INTEGER_MAX = 2**31 - 1
# The seeds that the web lab draws and accepts for drills and scenarios.
SEED_MAX = 2**31 - 1


class RecordProblem(ValueError):
    """A field of a record that breaks a rule.

    ``field`` is the field's path inside the record, such as ``detail.seed``,
    and ``problem`` is what is wrong with it and what was expected.
    """

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem


# --- text and JSON ------------------------------------------------------------


def text_problem(value: str) -> str | None:
    """Return why ``value`` cannot be stored as text, or None if it can.

    PostgreSQL rejects NUL in text, and no UTF-8 text can hold a lone UTF-16
    surrogate, which JSON can carry as ``\\ud800``.
    """
    if "\x00" in value:
        return "contains a NUL character (\\u0000)"
    return _surrogate_problem(value)


def _surrogate_problem(value: str) -> str | None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate, which is not valid Unicode text"
    return None


def check_json(value: Any, field: str) -> None:
    """Raise ``RecordProblem`` unless ``value`` is plain JSON that UTF-8 can hold.

    SQLite would store NaN and Infinity, but PostgreSQL's JSON type rejects
    them and strict JSON readers cannot read them back. Text with a lone
    surrogate would be stored, but an export could not write it as UTF-8.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise RecordProblem(field, f"has the key {key!r}: JSON keys are text")
            check_json(item, f"{field}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_json(item, f"{field}.{index}")
    elif isinstance(value, str):
        problem = _surrogate_problem(value)
        if problem is not None:
            raise RecordProblem(field, problem)
    elif isinstance(value, float) and not math.isfinite(value):
        raise RecordProblem(
            field, f"is {value}: expected a finite number, not NaN or Infinity"
        )
    elif value is not None and not isinstance(value, bool | int | float | str):
        raise RecordProblem(
            field,
            f"is a {type(value).__name__}: expected text, a number, true, false, "
            "null, a list or an object",
        )


def interview_review_action(action_id: str) -> str:
    """Return the action id of the card review stored with an interview answer."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{action_id}/review").hex


# --- attempt details by kind --------------------------------------------------


def check_detail(kind: str, item_id: str, detail: Any) -> None:
    """Raise ``RecordProblem`` if ``detail`` lacks what a replay of its attempt reads.

    Each kind's web route regrades a repeated action from the stored detail:
    a drill from its seed and answer, an ordering from its order, a scenario
    from its seed, diagnosis and remedy, and an interview answer from its
    answer, covered key points and rating. Where the installed lessons have
    the item, the ids in the detail must be among its steps or options.
    """
    if not isinstance(detail, dict):
        raise RecordProblem("detail", f"is {detail!r}: expected a JSON object")
    check_json(detail, "detail")
    _DETAIL_CHECKS[kind](item_id, detail)


def _required(detail: dict[str, Any], name: str) -> Any:
    if name not in detail:
        raise RecordProblem(f"detail.{name}", "is missing")
    return detail[name]


def _integer(detail: dict[str, Any], name: str, low: int, high: int) -> int:
    value = _required(detail, name)
    valid = isinstance(value, int) and not isinstance(value, bool)
    if not valid or not low <= value <= high:
        raise RecordProblem(
            f"detail.{name}", f"is {value!r}: expected an integer from {low} to {high}"
        )
    return value


def _text(detail: dict[str, Any], name: str) -> str:
    value = _required(detail, name)
    if not isinstance(value, str):
        raise RecordProblem(f"detail.{name}", f"is {value!r}: expected text")
    return value


def _check_drill(item_id: str, detail: dict[str, Any]) -> None:
    _integer(detail, "seed", 0, SEED_MAX)
    answer = _required(detail, "answer")
    if isinstance(answer, bool) or not isinstance(answer, int | float | str):
        raise RecordProblem(
            "detail.answer", f"is {answer!r}: expected a number or text"
        )


def _check_ordering(item_id: str, detail: dict[str, Any]) -> None:
    order = _required(detail, "order")
    if not isinstance(order, list) or not all(isinstance(s, str) for s in order):
        raise RecordProblem(
            "detail.order", f"is {order!r}: expected a list of step ids"
        )
    exercise = _ordering_exercises().get(item_id)
    if exercise is None:
        return
    error = practice.grade_ordering(exercise, order).error
    if error is not None:
        raise RecordProblem("detail.order", f"does not fit {item_id!r}: {error}")


def _check_scenario(item_id: str, detail: dict[str, Any]) -> None:
    _integer(detail, "seed", 0, SEED_MAX)
    diagnosis = _text(detail, "diagnosis")
    remedy = _text(detail, "remedy")
    scenario = practice.SCENARIOS.get(item_id)
    if scenario is None:
        return
    for name, chosen, options in (
        ("diagnosis", diagnosis, scenario.diagnoses),
        ("remedy", remedy, scenario.remedies),
    ):
        ids = [option.id for option in options]
        if chosen not in ids:
            raise RecordProblem(
                f"detail.{name}",
                f"is {chosen!r}, which scenario {item_id!r} does not have: "
                f"expected one of {', '.join(ids)}",
            )


def _check_interview(item_id: str, detail: dict[str, Any]) -> None:
    _text(detail, "answer")
    _integer(detail, "rating", 1, 4)
    covered = _required(detail, "covered")
    question = _catalogue.interview_questions().get(item_id)
    last = len(question.key_points) - 1 if question else INTEGER_MAX
    valid = isinstance(covered, list) and all(
        isinstance(index, int) and not isinstance(index, bool) and 0 <= index <= last
        for index in covered
    )
    if not valid:
        raise RecordProblem(
            "detail.covered",
            f"is {covered!r}: expected a list of key point indexes from 0 to {last}",
        )


_DETAIL_CHECKS: dict[str, Callable[[str, dict[str, Any]], None]] = {
    "drill": _check_drill,
    "ordering": _check_ordering,
    "scenario": _check_scenario,
    "interview": _check_interview,
}


@functools.cache
def _ordering_exercises() -> dict[str, practice.OrderingExercise]:
    return {
        exercise_id: exercise
        for lesson_id in lessons.bundled_lessons()
        for exercise_id, exercise in practice.exercises(lesson_id).items()
    }


# --- card schedules -----------------------------------------------------------


def check_card_state(
    state: str,
    step: int | None,
    stability: float | None,
    difficulty: float | None,
    last_review: datetime | None,
) -> None:
    """Raise ``RecordProblem`` for a schedule that fsrs 6.3.2 cannot review.

    fsrs asserts that a learning or relearning card has a step, and that a
    review or relearning card has a stability and a difficulty. The other
    rules keep a schedule as fsrs leaves it: a new card has none of these
    values, a review card has no step, and a card with a stability has been
    reviewed.
    """
    if state == "new":
        if step != 0 or (stability, difficulty, last_review) != (None, None, None):
            raise RecordProblem(
                "state",
                "is 'new', but a new card has step 0 and no stability, difficulty "
                "or last_review",
            )
        return
    if state in ("learning", "relearning") and step is None:
        raise RecordProblem(
            "step", f"is null: a card in state {state!r} needs its step, 0 or more"
        )
    if state == "review" and step is not None:
        raise RecordProblem(
            "step", f"is {step!r}: a card in state 'review' has a null step"
        )
    if step is not None and not 0 <= step <= INTEGER_MAX:
        raise RecordProblem(
            "step", f"is {step!r}: expected an integer from 0 to {INTEGER_MAX}"
        )
    _check_memory(state, stability, difficulty, last_review)


def _check_memory(
    state: str,
    stability: float | None,
    difficulty: float | None,
    last_review: datetime | None,
) -> None:
    if state in ("review", "relearning"):
        for name, value in (("stability", stability), ("difficulty", difficulty)):
            if value is None:
                raise RecordProblem(
                    name, f"is null: a card in state {state!r} needs a {name}"
                )
    if (stability is None) != (difficulty is None):
        raise RecordProblem(
            "stability" if stability is None else "difficulty",
            "is null while the other of stability and difficulty is set: "
            "set both or neither",
        )
    if stability is None:
        return
    if not math.isfinite(stability) or stability <= 0:
        raise RecordProblem(
            "stability", f"is {stability!r}: expected a finite number above 0"
        )
    if not math.isfinite(difficulty) or not 1 <= difficulty <= 10:
        raise RecordProblem(
            "difficulty", f"is {difficulty!r}: expected a number from 1 to 10"
        )
    if last_review is None:
        raise RecordProblem(
            "last_review", "is null: a card with a stability has been reviewed"
        )
