"""Lesson pages, the measurements they quote, and the lessons' JSON API."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from actlab import lessons, measurements

from .. import lesson_render
from ..deps import StoreDep, get_store
from ..schemas import ErrorBody, FieldError
from ..templating import templates
from .practice_page import ActionId

router = APIRouter(tags=["lessons"])

NOT_FOUND = {404: {"model": ErrorBody, "description": "lesson not found"}}
TIER_TITLES = {
    "beginner": "Beginner",
    "intermediate": "Intermediate",
    "expert": "Expert",
}


class SectionSummary(BaseModel):
    """A section's id, title and summary, as the lesson index lists them."""

    id: str
    title: str
    summary: str


class LessonSummary(BaseModel):
    """A lesson as the list of lessons shows it."""

    id: str
    title: str
    summary: str
    url: str
    sections: list[SectionSummary]
    n_questions: int
    n_cards: int


class MeasuredValueOut(BaseModel):
    """One number measured on this machine, as a lesson quotes it."""

    id: str
    description: str
    unit: str
    value: float
    text: str = Field(description="the value formatted as the page shows it")
    display: str = Field(description="the value with its unit")
    demo: str = Field(description="the lab page or command that shows it live")


class MeasuredTableOut(BaseModel):
    """A table of numbers measured on this machine."""

    id: str
    title: str
    description: str
    columns: list[str]
    rows: list[list[float]]
    demo: str


class SectionDoneIn(BaseModel):
    """A learner's "mark this section done", with the id of that action."""

    action_id: ActionId


class SectionDoneOut(BaseModel):
    """Whether the section was new to the learner's finished sections."""

    lesson: str
    section: str
    newly_done: bool
    sections_done: int
    sections_total: int


class LessonDetail(BaseModel):
    """A lesson with all its content and the measurements it quotes."""

    lesson: lessons.Lesson
    url: str
    measurements: dict[str, MeasuredValueOut]
    tables: dict[str, MeasuredTableOut]


def all_lessons() -> Mapping[str, lessons.Lesson]:
    """Return the lessons that ship with actlab, in their order."""
    return lessons.bundled_lessons()


def _summary(lesson: lessons.Lesson) -> LessonSummary:
    return LessonSummary(
        id=lesson.id,
        title=lesson.title,
        summary=lesson.summary,
        url=lesson_render.lesson_path(lesson.id),
        sections=[
            SectionSummary(id=s.id, title=s.title, summary=s.summary)
            for s in lesson.sections
        ],
        n_questions=len(lesson.interview),
        n_cards=len(lesson.cards),
    )


def _measured_value(measurement_id: str) -> MeasuredValueOut:
    result = measurements.measure(measurement_id)
    return MeasuredValueOut(
        id=result.id,
        description=result.description,
        unit=result.unit,
        value=result.value,
        text=result.text,
        display=result.display,
        demo=result.demo,
    )


def _measured_table(table_id: str) -> MeasuredTableOut:
    result = measurements.measure_table(table_id)
    return MeasuredTableOut(
        id=result.id,
        title=result.title,
        description=result.description,
        columns=list(result.columns),
        rows=[list(row) for row in result.rows],
        demo=result.demo,
    )


def _not_found(field: str, message: str) -> JSONResponse:
    body = ErrorBody(
        detail=message, field=field, errors=[FieldError(field=field, message=message)]
    )
    return JSONResponse(body.model_dump(), status_code=404)


def _unknown_lesson(lesson_id: str) -> str:
    return f"lesson {lesson_id!r} not found: choose one of {', '.join(all_lessons())}"


# --- JSON API -----------------------------------------------------------------


@router.get("/api/lessons", response_model=list[LessonSummary])
def list_lessons() -> list[LessonSummary]:
    """List every lesson with its sections and the number of questions and cards."""
    return [_summary(lesson) for lesson in all_lessons().values()]


@router.get(
    "/api/lessons/{lesson_id}", response_model=LessonDetail, responses=NOT_FOUND
)
def read_lesson(lesson_id: str) -> LessonDetail | JSONResponse:
    """Return a lesson's content and the values of the measurements it quotes."""
    lesson = all_lessons().get(lesson_id)
    if lesson is None:
        return _not_found("lesson_id", _unknown_lesson(lesson_id))
    references = lesson.references()
    return LessonDetail(
        lesson=lesson,
        url=lesson_render.lesson_path(lesson.id),
        measurements={
            name: _measured_value(name)
            for kind, name in references
            if kind == "measure"
        },
        tables={
            name: _measured_table(name) for kind, name in references if kind == "table"
        },
    )


@router.get("/api/measurements", response_model=list[MeasuredValueOut])
def list_measurements() -> list[MeasuredValueOut]:
    """Measure every number the lessons can quote (once per process) and list them."""
    return [_measured_value(name) for name in measurements.measurement_ids()]


@router.post(
    "/api/lessons/{lesson_id}/sections/{section_id}/done",
    response_model=SectionDoneOut,
    responses=NOT_FOUND,
)
def mark_section_done(
    lesson_id: str,
    section_id: str,
    body: SectionDoneIn,
    store: StoreDep,
) -> SectionDoneOut:
    """Record that the learner finished a section; sending it twice is harmless."""
    newly_done = store.mark_section(lesson_id, section_id, action_id=body.action_id)
    progress = store.progress()
    return SectionDoneOut(
        lesson=lesson_id,
        section=section_id,
        newly_done=newly_done,
        sections_done=len(progress.sections_done),
        sections_total=progress.sections_total,
    )


# --- pages --------------------------------------------------------------------


def _done_sections(request: Request, lesson: lessons.Lesson) -> set[str]:
    done = get_store(request).progress().sections_done
    return {section for lesson_id, section in done if lesson_id == lesson.id}


def _page_context(lesson: lessons.Lesson, request: Request) -> dict:
    return {
        "done_sections": _done_sections(request, lesson),
        "lesson": lesson,
        "markdown": lambda text: lesson_render.render_markdown(text, lesson.id),
        "href": lambda target: lesson_render.resolve_target(target, lesson.id),
        "tool": lesson_render.tool_name,
        "tool_label": lesson_render.tool_label,
        "tiers": [(TIER_TITLES[t], t, lesson.questions(t)) for t in lessons.TIERS],
    }


def _missing_page(request: Request, message: str) -> Response:
    context = {"lessons": list(all_lessons().values()), "message": message}
    return templates.TemplateResponse(
        request, "lesson_index.html", context, status_code=404
    )


@router.get("/lessons", response_class=HTMLResponse)
def lesson_index(request: Request) -> Response:
    """List the lessons."""
    context = {"lessons": list(all_lessons().values()), "message": None}
    return templates.TemplateResponse(request, "lesson_index.html", context)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    """Render the first lesson, or redirect an explorer link to the explorer.

    The explorer was the home page before the lesson, so an old link such as
    ``/?show=relu`` still opens the view it names.
    """
    if request.url.query:
        return RedirectResponse(f"/explorer?{request.url.query}", status_code=308)
    return first_lesson(request)


@router.get("/lesson", response_class=HTMLResponse)
def first_lesson(request: Request) -> Response:
    """Render the first lesson, where a learner starts."""
    lesson = next(iter(all_lessons().values()))
    return templates.TemplateResponse(
        request, "lesson.html", _page_context(lesson, request)
    )


@router.get("/lessons/{lesson_id}", response_class=HTMLResponse)
def lesson_page(request: Request, lesson_id: str) -> Response:
    """Render a whole lesson: sections, interview questions and cards."""
    lesson = all_lessons().get(lesson_id)
    if lesson is None:
        return _missing_page(request, _unknown_lesson(lesson_id))
    return templates.TemplateResponse(
        request, "lesson.html", _page_context(lesson, request)
    )


@router.get("/lessons/{lesson_id}/{section_id}", response_class=HTMLResponse)
def section_page(request: Request, lesson_id: str, section_id: str) -> Response:
    """Render one section of a lesson on its own, with links to its neighbours."""
    lesson = all_lessons().get(lesson_id)
    if lesson is None:
        return _missing_page(request, _unknown_lesson(lesson_id))
    ids = [section.id for section in lesson.sections]
    if section_id not in ids:
        message = (
            f"section {section_id!r} not found in lesson {lesson_id!r}: choose "
            f"one of {', '.join(ids)}"
        )
        return _missing_page(request, message)
    index = ids.index(section_id)
    context = _page_context(lesson, request)
    context.update(
        section=lesson.sections[index],
        previous=lesson.sections[index - 1] if index else None,
        next=lesson.sections[index + 1] if index + 1 < len(ids) else None,
    )
    return templates.TemplateResponse(request, "lesson_section.html", context)


@router.get("/measurements", response_class=HTMLResponse)
def measurements_page(request: Request) -> Response:
    """Show every measurement with its value, unit, method and demo."""
    context = {
        "values": [measurements.measure(i) for i in measurements.measurement_ids()],
        "tables": [measurements.measure_table(i) for i in measurements.table_ids()],
        "render_table": lesson_render.render_table,
    }
    return templates.TemplateResponse(request, "measurements.html", context)
