"""Pydantic models of a lesson: its sections, interview questions, cards and drills.

The models check each file on its own. The loader reads every file of a
lesson, so it makes the checks that span files, such as that a link to
``#section-id`` names a section of the same lesson.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

ID_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

# ``{{ measure:ID }}`` quotes one measured number, ``{{ table:ID }}`` a table.
REFERENCE = re.compile(r"\{\{\s*(measure|table):\s*([A-Za-z0-9_]+)\s*\}\}")

Tier = Literal["beginner", "intermediate", "expert"]
TIERS: tuple[str, ...] = ("beginner", "intermediate", "expert")


def check_target(target: str) -> str:
    """Return ``target`` if it is a lab path or a section anchor, else raise.

    A lab path starts with one ``/`` (``/explorer?show=relu``) and a section
    anchor with ``#`` (``#dead-relu``). The lab runs offline, so addresses of
    other hosts and relative paths are rejected.
    """
    if target.startswith("#") and re.fullmatch(ID_PATTERN, target[1:]):
        return target
    internal = target.startswith("/") and not target.startswith("//")
    if internal and not re.search(r"\s", target):
        return target
    raise ValueError(
        f"unknown target {target!r}: use a lab path such as '/explorer?show=relu' "
        "or a section anchor such as '#why-relu'"
    )


LabTarget = Annotated[str, AfterValidator(check_target)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Link(_Strict):
    """A link from the lesson into the lab: a page, a section or a command.

    Exactly one of ``target`` (a lab path or ``#section``) and ``command`` (an
    ``actlab`` command line, shown as a block to copy) is set.
    """

    label: Text
    target: LabTarget | None = None
    command: Text | None = None

    @model_validator(mode="after")
    def _one_destination(self) -> Link:
        if (self.target is None) == (self.command is None):
            raise ValueError("give exactly one of 'target' and 'command'")
        if self.command is not None and not self.command.startswith("actlab "):
            raise ValueError(
                f"invalid command {self.command!r}: a command starts with 'actlab '"
            )
        return self


class CodeReference(_Strict):
    """A place in actlab's code that a section explains.

    ``object`` is an importable dotted name (``actlab.nn.backward``) and
    ``file`` the source file that defines it, relative to the package root
    (``actlab/nn/_phases.py``).
    """

    object: Annotated[str, StringConstraints(pattern=r"^actlab(\.[A-Za-z_]\w*)+$")]
    file: Annotated[str, StringConstraints(pattern=r"^actlab/[\w/]+\.py$")]
    explains: Text


class Section(_Strict):
    """One section of a lesson: a Markdown body with its links and code.

    ``id`` and ``order`` come from the file name: ``03-why-relu.md`` is
    section ``why-relu`` with order 3. ``measures`` and ``tables`` are found
    from the ``{{ measure:ID }}`` and ``{{ table:ID }}`` references in the
    body. A section that quotes a measured number must link to a demo of it.
    """

    id: Id
    order: int
    title: Text
    summary: Text
    body: Text
    measures: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    links: tuple[Link, ...] = Field(default=(), validate_default=True)
    code: tuple[CodeReference, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _find_references(cls, values: object) -> object:
        if isinstance(values, dict) and isinstance(values.get("body"), str):
            found = REFERENCE.findall(values["body"])
            values = dict(values)
            values["measures"] = tuple(
                name for kind, name in found if kind == "measure"
            )
            values["tables"] = tuple(name for kind, name in found if kind == "table")
        return values

    @field_validator("links")
    @classmethod
    def _measured_numbers_link_to_a_demo(
        cls, links: tuple[Link, ...], info: ValidationInfo
    ) -> tuple[Link, ...]:
        quoted = [*info.data.get("measures", ()), *info.data.get("tables", ())]
        if quoted and not links:
            raise ValueError(
                f"the section quotes measured numbers ({', '.join(quoted)}) but "
                "has no link to a demo that shows them: add one under 'links'"
            )
        return links


class Concept(_Strict):
    """An idea of the lesson that practice items are grouped by for accuracy."""

    id: Id
    title: Text


class InterviewQuestion(_Strict):
    """An interview question with a model answer and the points it must make."""

    id: Id
    tier: Tier
    concept: Id
    question: Text
    answer: Text
    key_points: tuple[Text, ...] = Field(min_length=2)
    links: tuple[Link, ...] = ()


class Card(_Strict):
    """A flash card. ``opens`` is the lab state that the card describes."""

    id: Id
    front: Text
    back: Text
    concept: Id
    opens: LabTarget | None = None


class Drill(_Strict):
    """A drill template: a question, then the lab state to check it.

    A drill has a prompt, the expected outcome and the lab state where the
    learner observes it. ``kind`` selects how ``actlab.practice`` generates and
    grades it: ``predict`` (predict a run's outcome, then run it),
    ``numeric`` (a value of g or g') or ``choice`` (pick an activation).
    ``params`` contains the kind's settings, which ``actlab.practice`` checks.
    ``title`` is the short name that menus show.
    """

    id: Id
    title: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)
    ]
    prompt: Text
    expected: Text
    opens: LabTarget
    kind: Literal["predict", "numeric", "choice"] = "predict"
    concept: Id | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class OrderingStep(_Strict):
    """One step of an ordering set, with the reason it sits where it does."""

    id: Id
    text: Text
    reason: Text


class OrderingSet(_Strict):
    """Steps to put in order, listed in ``steps`` in the correct order.

    A step is plain text, or an ``OrderingStep`` with an id and a reason.
    """

    id: Id
    title: Text
    concept: Id
    steps: tuple[OrderingStep | Text, ...] = Field(min_length=3)
    explanation: Text | None = None


class Lesson(_Strict):
    """A lesson: its metadata from ``lesson.yaml`` and every part loaded with it."""

    id: Id
    title: Text
    summary: Text
    order: int = 0
    concepts: tuple[Concept, ...] = ()
    sections: tuple[Section, ...] = Field(min_length=1)
    interview: tuple[InterviewQuestion, ...] = ()
    cards: tuple[Card, ...] = ()
    drills: tuple[Drill, ...] = ()
    orderings: tuple[OrderingSet, ...] = ()

    def section(self, section_id: str) -> Section:
        """Return the section ``section_id``, or raise ``KeyError`` naming it."""
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(f"lesson {self.id!r} has no section {section_id!r}")

    def concept_title(self, concept_id: str) -> str:
        """Return the title of ``concept_id``, or raise ``KeyError`` naming it."""
        for concept in self.concepts:
            if concept.id == concept_id:
                return concept.title
        raise KeyError(f"lesson {self.id!r} has no concept {concept_id!r}")

    def questions(self, tier: str) -> list[InterviewQuestion]:
        """Return the interview questions of one tier, in file order."""
        return [question for question in self.interview if question.tier == tier]

    def references(self) -> list[tuple[str, str]]:
        """Return every ``(kind, id)`` measurement reference, in section order."""
        found = []
        for section in self.sections:
            found += [("measure", name) for name in section.measures]
            found += [("table", name) for name in section.tables]
        return found
