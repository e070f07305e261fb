"""Load lesson folders and reject broken files with the path and field at fault.

A lesson is a folder under the content root whose name is the lesson id:

- ``lesson.yaml``: the lesson's ``title``, ``summary`` and ``order``;
- ``NN-section-id.md``: one file per section, in the order of ``NN``, each a
  YAML front matter block between two ``---`` lines followed by the Markdown
  body;
- optional lists of entries: ``interview.yaml``, ``cards.yaml``,
  ``drills.yaml`` and ``ordering.yaml``.

The loader names no particular lesson, so a new lesson is a new folder.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from markdown_it import MarkdownIt
from pydantic import BaseModel, ValidationError

from ._schema import (
    REFERENCE,
    Card,
    Drill,
    InterviewQuestion,
    Lesson,
    OrderingSet,
    Section,
    check_target,
)

CONTENT_DIR = Path(__file__).parent / "content"
LESSON_FILE = "lesson.yaml"
SECTION_FILE = re.compile(r"^(\d+)-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)^---[ \t]*\n?", re.DOTALL | re.MULTILINE)

# The optional list files of a lesson: file name -> (Lesson field, entry model).
LIST_FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "interview.yaml": ("interview", InterviewQuestion),
    "cards.yaml": ("cards", Card),
    "drills.yaml": ("drills", Drill),
    "ordering.yaml": ("orderings", OrderingSet),
}

# Fields of list entries whose text is Markdown with links to check.
_MARKDOWN_FIELDS = ("answer", "back", "expected", "explanation")


class LessonError(ValueError):
    """A lesson file that cannot be loaded, with its path and the field at fault.

    ``path`` is shown relative to the parent of the content root, such as
    ``content/activations/03-why-relu.md``. ``field`` is ``None`` when the
    fault is in the file as a whole.
    """

    def __init__(self, path: str, field: str | None, message: str):
        self.path = path
        self.field = field
        self.message = message
        where = f"{path}: " if field is None else f"{path}: {field}: "
        super().__init__(where + message)


class _Folder:
    """The files of one lesson folder, and how to name them in errors."""

    def __init__(self, folder: Path, root: Path):
        self.folder = folder
        self.root = root

    def display(self, path: Path) -> str:
        try:
            return path.relative_to(self.root.parent).as_posix()
        except ValueError:
            return path.as_posix()

    def error(self, path: Path, field: str | None, message: str) -> LessonError:
        return LessonError(self.display(path), field, message)


def load_lesson(folder: Path | str, root: Path | str | None = None) -> Lesson:
    """Load the lesson in ``folder``, or raise ``LessonError``.

    ``root`` is the content root that error messages name paths from; it
    defaults to the parent of ``folder``.
    """
    folder = Path(folder)
    files = _Folder(folder, Path(root) if root is not None else folder.parent)
    if not folder.is_dir():
        raise files.error(folder, None, "lesson folder not found")

    _check_file_names(files)
    meta = _load_meta(files)
    section_files = _load_sections(files)
    sections = sorted(section_files, key=lambda section: section.order)
    lists = {
        field: _load_list(files, folder / name, model)
        for name, (field, model) in LIST_FILES.items()
        if (folder / name).exists()
    }
    lesson = _build_lesson(files, meta, sections, lists)
    paths = {section.id: path for section, path in section_files.items()}
    _check_anchors(files, lesson, paths)
    _check_concepts(files, lesson)
    return lesson


def load_lessons(root: Path | str = CONTENT_DIR) -> dict[str, Lesson]:
    """Load every lesson folder under ``root``, ordered by ``order`` then id.

    Folders whose names start with ``.`` or ``_`` are skipped.
    """
    root = Path(root)
    if not root.is_dir():
        raise LessonError(root.as_posix(), None, "content folder not found")
    folders = [
        path
        for path in sorted(root.iterdir())
        if path.is_dir() and not path.name.startswith((".", "_"))
    ]
    loaded = [load_lesson(folder, root) for folder in folders]
    loaded.sort(key=lambda lesson: (lesson.order, lesson.id))
    return {lesson.id: lesson for lesson in loaded}


@functools.cache
def bundled_lessons() -> Mapping[str, Lesson]:
    """Return the lessons that ship with actlab, loaded once per process."""
    return MappingProxyType(load_lessons(CONTENT_DIR))


@functools.cache
def concept_titles() -> Mapping[str, str]:
    """Return the title of every concept of the bundled lessons, by id."""
    titles = {
        concept.id: concept.title
        for lesson in bundled_lessons().values()
        for concept in lesson.concepts
    }
    return MappingProxyType(titles)


# --- files --------------------------------------------------------------------


def _check_file_names(files: _Folder) -> None:
    allowed = {LESSON_FILE, *LIST_FILES}
    for path in sorted(files.folder.iterdir()):
        if path.name.startswith((".", "_")):
            continue
        if path.name in allowed or SECTION_FILE.match(path.name):
            continue
        raise files.error(
            path,
            None,
            "unexpected file in a lesson folder: name sections like "
            f"'03-why-relu.md', and lists one of {', '.join(LIST_FILES)}",
        )


def _read_yaml(files: _Folder, path: Path, text: str | None = None) -> Any:
    if text is None:
        text = path.read_text(encoding="utf-8")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = "" if mark is None else f" at line {mark.line + 1}"
        problem = getattr(error, "problem", None) or str(error)
        raise files.error(path, None, f"invalid YAML{where}: {problem}") from None


def _validate(
    files: _Folder, path: Path, model: type[BaseModel], values: Any, prefix: str
):
    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        field = _field_name(first["loc"])
        parts = [prefix, f"field {field!r}" if field else ""]
        label = " ".join(part for part in parts if part) or None
        raise files.error(path, label, _message(first)) from None


def _field_name(location: Iterable[Any]) -> str:
    name = ""
    for part in location:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name


def _message(error: Mapping[str, Any]) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] in ("missing", "extra_forbidden"):
        return message.lower()
    value = error.get("input")
    if error["type"].startswith(("string_", "literal_", "int_", "too_")):
        return f"{message} (got {value!r})"
    return message


def _load_meta(files: _Folder) -> dict[str, Any]:
    path = files.folder / LESSON_FILE
    if not path.exists():
        raise files.error(
            path, None, "missing file: give the lesson's title and summary in it"
        )
    meta = _read_yaml(files, path)
    if not isinstance(meta, dict):
        raise files.error(path, None, "expected a mapping of title, summary, order")
    if meta.get("id", files.folder.name) != files.folder.name:
        raise files.error(
            path,
            "field 'id'",
            f"id {meta['id']!r} differs from the folder name "
            f"{files.folder.name!r}: the folder name is the lesson id",
        )
    return {**meta, "id": files.folder.name}


# --- sections -----------------------------------------------------------------


def _load_sections(files: _Folder) -> dict[Section, Path]:
    sections: dict[Section, Path] = {}
    seen_ids: dict[str, Path] = {}
    seen_orders: dict[int, Path] = {}
    for path in sorted(files.folder.glob("*.md")):
        match = SECTION_FILE.match(path.name)
        if match is None:
            continue
        order, section_id = int(match.group(1)), match.group(2)
        for key, seen in ((section_id, seen_ids), (order, seen_orders)):
            if key in seen:
                raise files.error(
                    path, None, f"section {key!r} is also {seen[key].name}"
                )
            seen[key] = path
        sections[_load_section(files, path, section_id, order)] = path
    if not sections:
        raise files.error(
            files.folder, None, "no section files: add one such as '01-intro.md'"
        )
    return sections


def _load_section(files: _Folder, path: Path, section_id: str, order: int) -> Section:
    text = path.read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    if match is None:
        raise files.error(
            path,
            None,
            "missing front matter: start the file with a line '---', then the "
            "YAML fields (title, summary, links, code), then another '---'",
        )
    front = _read_yaml(files, path, match.group(1))
    if not isinstance(front, dict):
        raise files.error(path, "front matter", "expected a mapping of fields")
    for derived in ("id", "order", "body", "measures", "tables"):
        if derived in front:
            raise files.error(
                path,
                f"front matter field {derived!r}",
                "set by the file name and body, so it cannot be given here",
            )
    body = text[match.end() :]
    values = {**front, "id": section_id, "order": order, "body": body}
    section = _validate(files, path, Section, values, "front matter")
    _check_markdown_links(files, path, "body", section.body)
    return section


def _markdown_links(text: str) -> list[str]:
    """Return the targets of the links and images in Markdown ``text``."""
    targets = []
    for token in MarkdownIt("commonmark").parse(REFERENCE.sub("", text)):
        for child in token.children or ():
            if child.type == "link_open":
                targets.append(str(child.attrs.get("href", "")))
            elif child.type == "image":
                targets.append(str(child.attrs.get("src", "")))
    return targets


def _check_markdown_links(files: _Folder, path: Path, field: str, text: str) -> None:
    for target in _markdown_links(text):
        try:
            check_target(target)
        except ValueError as error:
            raise files.error(path, f"link in {field}", str(error)) from None


# --- lists and the lesson -----------------------------------------------------


def _load_list(files: _Folder, path: Path, model: type[BaseModel]) -> list[Any]:
    entries = _read_yaml(files, path)
    if not isinstance(entries, list) or not entries:
        raise files.error(path, None, "expected a non-empty list of entries")
    loaded = []
    seen: set[str] = set()
    for index, values in enumerate(entries):
        entry = _validate(files, path, model, values, f"entry [{index}]")
        if entry.id in seen:
            raise files.error(path, f"entry [{index}] field 'id'", "duplicate id")
        seen.add(entry.id)
        for field in _MARKDOWN_FIELDS:
            text = getattr(entry, field, None)
            if text:
                _check_markdown_links(files, path, f"entry [{index}] {field}", text)
            if text and REFERENCE.search(text):
                raise files.error(
                    path,
                    f"entry [{index}] field {field!r}",
                    "measured numbers are quoted in sections only, where the "
                    "page shows them with their demo",
                )
        loaded.append(entry)
    return loaded


def _build_lesson(
    files: _Folder,
    meta: dict[str, Any],
    sections: list[Section],
    lists: dict[str, list[Any]],
) -> Lesson:
    path = files.folder / LESSON_FILE
    for field in ("sections", *(field for field, _ in LIST_FILES.values())):
        if field in meta:
            raise files.error(
                path, f"field {field!r}", "loaded from its own files, not given here"
            )
    values = {**meta, "sections": sections, **lists}
    return _validate(files, path, Lesson, values, "")


def _targets(
    lesson: Lesson, folder: Path, paths: dict[str, Path]
) -> Iterable[tuple[Path, str, str | None]]:
    """Yield ``(file, field, target)`` for every link target in ``lesson``."""
    for section in lesson.sections:
        path = paths[section.id]
        for index, link in enumerate(section.links):
            yield path, f"front matter field 'links[{index}].target'", link.target
        for target in _markdown_links(section.body):
            yield path, "link in body", target
    for index, question in enumerate(lesson.interview):
        for number, link in enumerate(question.links):
            field = f"entry [{index}] field 'links[{number}].target'"
            yield folder / "interview.yaml", field, link.target
    for index, card in enumerate(lesson.cards):
        yield folder / "cards.yaml", f"entry [{index}] field 'opens'", card.opens
    for index, drill in enumerate(lesson.drills):
        yield folder / "drills.yaml", f"entry [{index}] field 'opens'", drill.opens


def _check_anchors(files: _Folder, lesson: Lesson, paths: dict[str, Path]) -> None:
    section_ids = {section.id for section in lesson.sections}
    for path, field, target in _targets(lesson, files.folder, paths):
        if target and target.startswith("#") and target[1:] not in section_ids:
            raise files.error(
                path,
                field,
                f"unknown section {target!r}: choose one of "
                f"{', '.join('#' + s for s in sorted(section_ids))}",
            )


def _check_concepts(files: _Folder, lesson: Lesson) -> None:
    """Raise ``LessonError`` for an entry whose concept ``lesson.yaml`` lacks."""
    known = {concept.id for concept in lesson.concepts}
    lists = (
        ("interview.yaml", lesson.interview),
        ("cards.yaml", lesson.cards),
        ("drills.yaml", lesson.drills),
        ("ordering.yaml", lesson.orderings),
    )
    for name, entries in lists:
        for index, entry in enumerate(entries):
            if entry.concept is None or entry.concept in known:
                continue
            choices = ", ".join(sorted(known)) or "none yet"
            raise files.error(
                files.folder / name,
                f"entry [{index}] field 'concept'",
                f"unknown concept {entry.concept!r}: list it under 'concepts' in "
                f"{LESSON_FILE} or choose one listed there ({choices})",
            )
