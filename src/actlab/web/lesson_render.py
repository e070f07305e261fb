"""Render lesson Markdown to HTML, with the measured numbers filled in.

Raw HTML in the Markdown is escaped, not passed through, so a lesson file
cannot inject markup. ``{{ measure:ID }}`` becomes the value measured on this
machine with a link to its demo, and a line of its own ``{{ table:ID }}``
becomes a table. A link to ``#section`` is made absolute, so it works on the
page of a single section too.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup

from actlab import lessons, measurements


def lesson_path(lesson_id: str, section_id: str | None = None) -> str:
    """Return the URL path of a lesson page, or of a section on it."""
    path = f"/lessons/{lesson_id}"
    return path if section_id is None else f"{path}#{section_id}"


def resolve_target(target: str, lesson_id: str) -> str:
    """Return the URL of a link target: a ``#section`` becomes absolute."""
    if target.startswith("#"):
        return lesson_path(lesson_id, target[1:])
    return target


def tool_name(target: str) -> str:
    """Return the lab tool that a target opens, such as ``explorer``."""
    if target.startswith("#"):
        return "lesson"
    return target.lstrip("/").split("?")[0].split("#")[0].split("/")[0] or "lab"


TOOL_LABELS = {
    "lesson": "lesson",
    "explorer": "activation explorer",
    "flow": "demand-prediction diagram",
    "playground": "playground",
    "failures": "failure-mode lab",
    "interview": "interview practice",
    "experiments": "experiment pages",
}


def tool_label(target: str) -> str:
    """Return the name a learner knows the target's tool by, such as ``playground``."""
    name = tool_name(target)
    return TOOL_LABELS.get(name, name)


def _measure_rule(state: StateInline, silent: bool) -> bool:
    match = lessons.REFERENCE.match(state.src, state.pos)
    if match is None or match.group(1) != "measure":
        return False
    if not silent:
        token = state.push("measure_ref", "", 0)
        token.meta = {"id": match.group(2)}
    state.pos = match.end()
    return True


def _table_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    begin = state.bMarks[start] + state.tShift[start]
    line = state.src[begin : state.eMarks[start]].strip()
    match = lessons.REFERENCE.fullmatch(line)
    if match is None or match.group(1) != "table":
        return False
    if not silent:
        token = state.push("measure_table", "", 0)
        token.meta = {"id": match.group(2)}
        token.map = [start, start + 1]
    state.line = start + 1
    return True


def render_measure(measurement_id: str) -> str:
    """Return the HTML of one measured number with its note and demo link."""
    result = measurements.measure(measurement_id)
    return (
        f'<span class="measured" id="measure-{html.escape(result.id)}">'
        f'<strong title="{html.escape(result.description)}">'
        f"{html.escape(result.display)}</strong>"
        f' <a class="measured-note" href="{html.escape(result.demo)}">'
        "measured on this machine</a></span>"
    )


def render_table(table_id: str) -> str:
    """Return the HTML of a measured table with its caption and demo link."""
    result = measurements.measure_table(table_id)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in result.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
        for row in result.text_rows
    )
    return (
        f'<figure class="measured-table" id="table-{html.escape(result.id)}">'
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        f"<figcaption>{html.escape(result.description)} "
        f'<a class="measured-note" href="{html.escape(result.demo)}">'
        "Measured on this machine; see it live.</a></figcaption></figure>\n"
    )


def _render_measure_ref(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    index: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    return render_measure(tokens[index].meta["id"])


def _render_measure_table(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    index: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    return render_table(tokens[index].meta["id"])


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.inline.ruler.before("text", "measure_ref", _measure_rule)
    md.block.ruler.before("paragraph", "measure_table", _table_rule)
    md.add_render_rule("measure_ref", _render_measure_ref)
    md.add_render_rule("measure_table", _render_measure_table)
    return md


_MARKDOWN = _build_markdown()


def _absolute_anchors(tokens: list[Token], lesson_id: str) -> None:
    for token in tokens:
        for child in token.children or ():
            href = child.attrGet("href")
            if child.type == "link_open" and isinstance(href, str):
                child.attrSet("href", resolve_target(href, lesson_id))


def render_markdown(text: str, lesson_id: str) -> Markup:
    """Return ``text`` as safe HTML, its measurements and anchors filled in."""
    env: dict[str, Any] = {}
    tokens = _MARKDOWN.parse(text, env)
    _absolute_anchors(tokens, lesson_id)
    return Markup(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, env))
