"""The cards the store schedules: the lessons' flash cards and interview questions."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from actlab import lessons

INTERVIEW_PREFIX = "interview:"


@dataclass(frozen=True)
class CardText:
    id: str
    kind: str
    front: str
    back: str
    concept: str | None
    opens: str | None


def interview_card_id(question_id: str) -> str:
    return INTERVIEW_PREFIX + question_id


@functools.cache
def card_texts() -> dict[str, CardText]:
    """Return every card of the bundled lessons by id, in lesson order."""
    texts: dict[str, CardText] = {}
    for lesson in lessons.bundled_lessons().values():
        for card in lesson.cards:
            texts[card.id] = CardText(
                card.id, "card", card.front, card.back, card.concept, card.opens
            )
        for question in lesson.interview:
            card_id = interview_card_id(question.id)
            opens = question.links[0].target if question.links else None
            texts[card_id] = CardText(
                card_id,
                "interview",
                question.question,
                question.answer,
                question.concept,
                opens,
            )
    return texts


@functools.cache
def interview_questions() -> dict[str, lessons.InterviewQuestion]:
    return {
        question.id: question
        for lesson in lessons.bundled_lessons().values()
        for question in lesson.interview
    }


@functools.cache
def section_ids() -> frozenset[tuple[str, str]]:
    return frozenset(
        (lesson.id, section.id)
        for lesson in lessons.bundled_lessons().values()
        for section in lesson.sections
    )
