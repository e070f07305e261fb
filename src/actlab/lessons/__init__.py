"""Lessons as data: Markdown sections with YAML front matter, questions and cards.

Each lesson is a folder under ``content/``; ``load_lessons`` reads them all
and ``bundled_lessons`` returns the shipped ones, loaded once. A broken file
raises ``LessonError`` naming its path and the field at fault. This package
imports nothing else from actlab.

>>> from actlab import lessons
>>> lesson = next(iter(lessons.bundled_lessons().values()))
>>> lesson.sections[0].order < lesson.sections[-1].order
True
"""

from ._loader import (
    CONTENT_DIR,
    LIST_FILES,
    LessonError,
    bundled_lessons,
    concept_titles,
    load_lesson,
    load_lessons,
)
from ._schema import (
    REFERENCE,
    TIERS,
    Card,
    CodeReference,
    Concept,
    Drill,
    InterviewQuestion,
    Lesson,
    Link,
    OrderingSet,
    Section,
    check_target,
)

__all__ = [
    "CONTENT_DIR",
    "LIST_FILES",
    "REFERENCE",
    "TIERS",
    "Card",
    "CodeReference",
    "Concept",
    "Drill",
    "InterviewQuestion",
    "Lesson",
    "LessonError",
    "Link",
    "OrderingSet",
    "Section",
    "bundled_lessons",
    "check_target",
    "concept_titles",
    "load_lesson",
    "load_lessons",
]
