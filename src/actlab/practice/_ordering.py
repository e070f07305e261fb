"""The ordering exercise: put the steps of a process in order, graded with credit.

A submission is a list of step ids. Two scores give partial credit:

- the longest increasing subsequence (LIS) of the submitted steps' true
  positions: the largest set of steps already in the right relative order;
- the correct neighbours: adjacent pairs of the submission that are also
  adjacent, in the same order, in the answer.

``score`` is the mean of the two shares, 1.0 only for the right order.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from actlab import lessons


@dataclass(frozen=True)
class Step:
    """A step to place: its id, its text and the reason for its place."""

    id: str
    text: str
    reason: str


@dataclass(frozen=True)
class OrderingExercise:
    """An ordering set ready to solve: ``steps`` in the correct order."""

    id: str
    title: str
    steps: tuple[Step, ...]
    explanation: str | None = None
    concept: str | None = None

    @property
    def answer(self) -> list[str]:
        return [step.id for step in self.steps]

    def step(self, step_id: str) -> Step:
        """Return the step ``step_id``, or raise ``KeyError`` naming it."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(f"ordering {self.id!r} has no step {step_id!r}")

    def shuffled(self, seed: int) -> list[Step]:
        """Return the steps in a seeded order that is never the answer itself."""
        rng = np.random.default_rng(seed)
        order = list(self.steps)
        while [step.id for step in order] == self.answer:
            order = [order[i] for i in rng.permutation(len(order))]
        return order


@dataclass(frozen=True)
class StepFeedback:
    """Feedback on one misplaced step: where it belongs and why."""

    step_id: str
    submitted_position: int
    correct_position: int
    after: str | None
    before: str | None
    reason: str

    @property
    def message(self) -> str:
        parts = []
        if self.after is not None:
            parts.append(f"after {self.after!r}")
        if self.before is not None:
            parts.append(f"before {self.before!r}")
        return f"{self.step_id!r} belongs {' and '.join(parts)}: {self.reason}"


@dataclass(frozen=True)
class OrderingResult:
    """The grade of one submission.

    ``correct`` is True only for the right order. For a malformed
    submission ``error`` states what is wrong, ``correct`` is False and the
    scores are 0.
    """

    correct: bool
    score: float
    in_order: int
    neighbours: int
    n_steps: int
    expected: tuple[str, ...]
    feedback: tuple[StepFeedback, ...] = ()
    error: str | None = None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _step(entry: Any) -> Step:
    if isinstance(entry, str):
        return Step(_slug(entry), entry, "")
    return Step(entry.id, entry.text, entry.reason)


def exercise_from(ordering: lessons.OrderingSet) -> OrderingExercise:
    """Return the exercise for a lesson's ordering set.

    A step given as plain text gets its text turned into an id and no reason.
    """
    steps = tuple(_step(entry) for entry in ordering.steps)
    ids = [step.id for step in steps]
    if len(set(ids)) != len(ids):
        raise ValueError(f"ordering {ordering.id!r} has duplicate step ids: {ids}")
    return OrderingExercise(
        ordering.id, ordering.title, steps, ordering.explanation, ordering.concept
    )


def exercises(lesson: str = "activations") -> dict[str, OrderingExercise]:
    """Return the ordering exercises of a bundled lesson, by id."""
    loaded = lessons.bundled_lessons()
    if lesson not in loaded:
        raise KeyError(f"unknown lesson {lesson!r}: choose one of {', '.join(loaded)}")
    return {item.id: exercise_from(item) for item in loaded[lesson].orderings}


def longest_in_order(positions: Sequence[int]) -> int:
    """Return the length of the longest strictly increasing subsequence."""
    tails: list[int] = []
    for position in positions:
        index = bisect.bisect_left(tails, position)
        if index == len(tails):
            tails.append(position)
        else:
            tails[index] = position
    return len(tails)


def _check_submission(exercise: OrderingExercise, submission: Any) -> str | None:
    """Return what is wrong with ``submission``, or ``None`` if it is well formed."""
    if isinstance(submission, str) or not isinstance(submission, Sequence):
        return f"invalid submission {submission!r}: expected a list of step ids"
    known = set(exercise.answer)
    if not all(isinstance(item, str) for item in submission):
        return "invalid submission: every entry must be a step id (a string)"
    unknown = [item for item in submission if item not in known]
    if unknown:
        return f"unknown step id(s) {', '.join(map(repr, unknown))}"
    duplicates = sorted({item for item in submission if submission.count(item) > 1})
    if duplicates:
        return f"duplicate step id(s) {', '.join(map(repr, duplicates))}"
    missing = [item for item in exercise.answer if item not in submission]
    if missing:
        return f"missing step id(s) {', '.join(map(repr, missing))}: place every step"
    return None


def _feedback(exercise: OrderingExercise, submission: list[str]) -> list[StepFeedback]:
    answer = exercise.answer
    feedback = []
    for index, step_id in enumerate(submission):
        true = answer.index(step_id)
        before_ok = index == 0 or submission[index - 1] == _at(answer, true - 1)
        after_ok = index == len(answer) - 1 or submission[index + 1] == _at(
            answer, true + 1
        )
        if index == true and before_ok and after_ok:
            continue
        feedback.append(
            StepFeedback(
                step_id,
                index,
                true,
                _at(answer, true - 1),
                _at(answer, true + 1),
                exercise.steps[true].reason,
            )
        )
    return feedback


def _at(answer: list[str], index: int) -> str | None:
    return answer[index] if 0 <= index < len(answer) else None


def grade_ordering(exercise: OrderingExercise, submission: Any) -> OrderingResult:
    """Grade ``submission``, a list of step ids, against ``exercise``.

    Never raises for a malformed submission: the result carries ``error``.
    """
    n = len(exercise.steps)
    expected = tuple(exercise.answer)
    problem = _check_submission(exercise, submission)
    if problem is not None:
        return OrderingResult(False, 0.0, 0, 0, n, expected, error=problem)

    submission = list(submission)
    positions = [exercise.answer.index(step_id) for step_id in submission]
    in_order = longest_in_order(positions)
    neighbours = sum(b - a == 1 for a, b in itertools.pairwise(positions))
    score = (in_order / n + neighbours / (n - 1)) / 2
    return OrderingResult(
        correct=positions == list(range(n)),
        score=score,
        in_order=in_order,
        neighbours=neighbours,
        n_steps=n,
        expected=expected,
        feedback=tuple(_feedback(exercise, submission)),
    )
