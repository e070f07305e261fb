"""Tests of the lesson schema and loader, and of every link and reference in them."""

from __future__ import annotations

import ast
import importlib
import inspect
import math
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import click
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from actlab import lessons, measurements, playground
from actlab.cli import _main as cli_main
from actlab.lessons import LessonError, load_lesson, load_lessons
from actlab.web import Settings, create_app
from actlab.web.explorer import read_state as read_explorer_state

# The lab serves only loopback host names, so test clients use one.
LAB = "http://127.0.0.1"

LESSON = "activations"
SOURCE = lessons.CONTENT_DIR / LESSON
PACKAGE_ROOT = Path(importlib.import_module("actlab").__file__).parent.parent


@pytest.fixture(scope="module")
def lesson() -> lessons.Lesson:
    return lessons.bundled_lessons()[LESSON]


@pytest.fixture(scope="module")
def app_client():
    with TestClient(create_app(Settings()), base_url=LAB) as test_client:
        yield test_client


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A copy of the content root with the bundled lesson, to break on purpose."""
    root = tmp_path / "content"
    shutil.copytree(SOURCE, root / LESSON)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _load_error(root: Path) -> LessonError:
    with pytest.raises(LessonError) as caught:
        load_lessons(root)
    return caught.value


# --- the bundled content -------------------------------------------------------


def test_bundled_lesson_loads(lesson):
    assert lesson.id == LESSON
    assert len(lesson.sections) >= 8
    assert [s.order for s in lesson.sections] == sorted(
        s.order for s in lesson.sections
    )


def test_lessons_import_nothing_else():
    code = (
        "import sys, actlab.lessons\n"
        "print(sorted(m for m in sys.modules if m.startswith('actlab')))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    modules = ast.literal_eval(output)
    assert all(m == "actlab" or m.startswith("actlab.lessons") for m in modules)


def test_bundled_lesson_is_first():
    assert next(iter(lessons.bundled_lessons())) == LESSON


def test_interview_has_four_per_tier(lesson):
    for tier in lessons.TIERS:
        questions = lesson.questions(tier)
        assert len(questions) >= 4, tier
        for question in questions:
            assert len(question.key_points) >= 2, question.id


def test_at_least_twenty_cards(lesson):
    assert len(lesson.cards) >= 20
    assert len({card.concept for card in lesson.cards}) >= 5


def test_sections_with_numbers_have_links(lesson):
    quoting = [s for s in lesson.sections if s.measures or s.tables]
    assert quoting
    for section in quoting:
        assert section.links, section.id


def test_every_measure_reference_exists(lesson):
    known = set(measurements.measurement_ids())
    tables = set(measurements.table_ids())
    for kind, name in lesson.references():
        assert name in (known if kind == "measure" else tables), (kind, name)


def test_every_referenced_measurement_runs(lesson):
    for kind, name in lesson.references():
        if kind == "table":
            result = measurements.measure_table(name)
            assert result.rows
            assert all(math.isfinite(cell) for row in result.rows for cell in row)
        else:
            result = measurements.measure(name)
            assert math.isfinite(result.value), name
            assert result.unit, name
            assert result.display, name


def test_code_references_import(lesson):
    references = [ref for section in lesson.sections for ref in section.code]
    assert len(references) >= 5
    for ref in references:
        module_name, _, rest = ref.object.partition(".")
        target = importlib.import_module(module_name)
        for part in rest.split("."):
            target = getattr(target, part)
        source = Path(inspect.getsourcefile(inspect.unwrap(target)))
        assert source == PACKAGE_ROOT / ref.file, ref.object


def test_backticked_objects_import(lesson):
    names = set()
    for section in lesson.sections:
        for token in section.body.split("`")[1::2]:
            if token.startswith("actlab."):
                names.add(token)
    assert names
    for name in names:
        module_name, _, rest = name.partition(".")
        target = importlib.import_module(module_name)
        for part in rest.split("."):
            target = getattr(target, part)
        assert target is not None


# --- links -------------------------------------------------------------------------


def _all_targets(lesson: lessons.Lesson) -> list[str]:
    targets = []
    for section in lesson.sections:
        targets += [link.target for link in section.links if link.target]
        targets += lessons._loader._markdown_links(section.body)
    for question in lesson.interview:
        targets += [link.target for link in question.links if link.target]
    targets += [card.opens for card in lesson.cards if card.opens]
    targets += [
        measurements.measure(name).demo for name in measurements.measurement_ids()
    ]
    targets += [measurements.table(name).demo for name in measurements.table_ids()]
    return targets


def _all_commands(lesson: lessons.Lesson) -> list[str]:
    links = [link for section in lesson.sections for link in section.links]
    links += [link for question in lesson.interview for link in question.links]
    return [link.command for link in links if link.command]


def _route_paths(routes) -> set[str]:
    """Return the paths of ``routes``, looking inside included routers."""
    paths = set()
    for route in routes:
        if isinstance(getattr(route, "path", None), str):
            paths.add(route.path)
        router = getattr(route, "original_router", route)
        paths |= _route_paths(getattr(router, "routes", []))
    return paths


def test_lab_routes_are_registered(app_client):
    paths = _route_paths(app_client.app.routes)
    for path in ("/explorer", "/playground", "/flow", "/measurements", "/lesson"):
        assert path in paths, f"{path} is not a route of the app"


def test_every_link_answers(lesson, app_client):
    targets = _all_targets(lesson)
    assert len(targets) > 20
    for target in set(targets):
        url = target
        if target.startswith("#"):
            assert target[1:] in {s.id for s in lesson.sections}, target
            url = f"/lessons/{lesson.id}{target}"
        response = app_client.get(url)
        assert response.status_code == 200, target


def test_explorer_links_are_valid_states(lesson):
    for target in _all_targets(lesson):
        parts = urlsplit(target)
        if parts.path == "/explorer":
            state = read_explorer_state(parse_qsl(parts.query))
            assert state.messages == [], target


def test_playground_links_are_valid_states(lesson):
    found = 0
    for target in _all_targets(lesson):
        parts = urlsplit(target)
        if parts.path == "/playground":
            playground.PlaygroundState.from_query(dict(parse_qsl(parts.query)))
            found += 1
    assert found


def test_flow_links_are_valid_states(lesson, app_client):
    found = 0
    for target in _all_targets(lesson):
        parts = urlsplit(target)
        if parts.path == "/flow":
            response = app_client.get(f"/api/flow?{parts.query}")
            assert response.status_code == 200, (target, response.text)
            found += 1
    assert found


def test_commands_parse(lesson):
    commands = _all_commands(lesson)
    assert commands
    group = cli_main.cli
    for command in commands:
        program, name, *arguments = command.split()
        assert program == "actlab"
        subcommand = group.commands[name]
        try:
            subcommand.make_context(name, arguments)
        except click.ClickException as error:
            pytest.fail(f"{command!r} does not parse: {error.format_message()}")


# --- schema --------------------------------------------------------------------


def test_link_needs_one_destination():
    with pytest.raises(ValidationError):
        lessons.Link(label="both", target="/flow", command="actlab compare")
    with pytest.raises(ValidationError):
        lessons.Link(label="neither")


@pytest.mark.parametrize(
    "target", ["explorer?x=1", "https://example.org/", "//host/path", "/a b", "#Bad"]
)
def test_invalid_targets_rejected(target):
    with pytest.raises(ValidationError, match="unknown target"):
        lessons.Link(label="x", target=target)


def test_command_must_be_actlab():
    with pytest.raises(ValidationError, match="starts with 'actlab '"):
        lessons.Link(label="x", command="rm -rf /")


def test_section_finds_references():
    section = lessons.Section(
        id="s",
        order=1,
        title="t",
        summary="s",
        body="slope {{ measure:a_b }} and\n\n{{table:t_1}}\n",
        links=[{"label": "demo", "target": "/explorer"}],
    )
    assert section.measures == ("a_b",)
    assert section.tables == ("t_1",)


def test_section_with_number_needs_link():
    with pytest.raises(ValidationError, match="no link to a demo"):
        lessons.Section(id="s", order=1, title="t", summary="s", body="{{ measure:x }}")


def test_question_needs_key_points():
    with pytest.raises(ValidationError):
        lessons.InterviewQuestion(
            id="q", tier="beginner", question="?", answer="a", key_points=["one"]
        )


def test_question_tier_checked():
    with pytest.raises(ValidationError):
        lessons.InterviewQuestion(
            id="q", tier="guru", question="?", answer="a", key_points=["a", "b"]
        )


# --- broken files --------------------------------------------------------------


def test_broken_link_target_names_path_and_field(content):
    path = content / LESSON / "03-why-relu.md"
    _edit(path, "target: /explorer?show=sigmoid,relu&z=4", "target: explorer?x=1")
    error = _load_error(content)
    assert error.path == f"content/{LESSON}/03-why-relu.md"
    assert error.field == "front matter field 'links[2].target'"
    assert "unknown target 'explorer?x=1'" in str(error)
    assert str(error).startswith("content/activations/03-why-relu.md: front matter")


def test_missing_title_named(content):
    path = content / LESSON / "01-core-activations.md"
    _edit(path, "title: The three core activations\n", "")
    error = _load_error(content)
    assert error.path.endswith("01-core-activations.md")
    assert error.field == "front matter field 'title'"
    assert "required" in error.message


def test_unknown_front_matter_field_named(content):
    path = content / LESSON / "01-core-activations.md"
    _edit(path, "title: The three", "colour: red\ntitle: The three")
    error = _load_error(content)
    assert error.field == "front matter field 'colour'"


def test_missing_front_matter_named(content):
    path = content / LESSON / "04-other-options.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("---\n", "", 2), encoding="utf-8")
    error = _load_error(content)
    assert error.path.endswith("04-other-options.md")
    assert "missing front matter" in error.message


def test_invalid_yaml_names_line(content):
    path = content / LESSON / "cards.yaml"
    path.write_text("- id: a\n  front: [unclosed\n", encoding="utf-8")
    error = _load_error(content)
    assert error.path == f"content/{LESSON}/cards.yaml"
    assert "invalid YAML at line" in error.message


def test_card_missing_back_named(content):
    path = content / LESSON / "cards.yaml"
    _edit(path, "  back: 0.25, at z = 0.\n", "")
    error = _load_error(content)
    assert error.path.endswith("cards.yaml")
    assert error.field == "entry [1] field 'back'"


def test_card_bad_opens_named(content):
    path = content / LESSON / "cards.yaml"
    _edit(path, "opens: /explorer?show=sigmoid\n", "opens: http://example.org\n")
    error = _load_error(content)
    assert error.field == "entry [0] field 'opens'"
    assert "unknown target" in error.message


def test_duplicate_card_id_named(content):
    path = content / LESSON / "cards.yaml"
    _edit(path, "- id: sigmoid-max-slope", "- id: sigmoid-formula")
    error = _load_error(content)
    assert error.field == "entry [1] field 'id'"
    assert "duplicate" in error.message


def test_question_bad_tier_named(content):
    path = content / LESSON / "interview.yaml"
    _edit(path, "tier: expert", "tier: guru")
    error = _load_error(content)
    assert error.path.endswith("interview.yaml")
    assert error.field is not None
    assert error.field.endswith("field 'tier'")
    assert "guru" in error.message


def test_measure_in_answer_rejected(content):
    path = content / LESSON / "interview.yaml"
    _edit(path, "ReLU, the rectified", "{{ measure:sigmoid_max_slope }} ReLU, the")
    error = _load_error(content)
    assert error.field == "entry [0] field 'answer'"


def test_number_without_link_named(content):
    path = content / LESSON / "05-demand-example.md"
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("links:")
    body = body[body.index("---\n") :]
    path.write_text(head + body, encoding="utf-8")
    error = _load_error(content)
    assert error.path.endswith("05-demand-example.md")
    assert error.field == "front matter field 'links'"
    assert "awareness_share_above_one" in error.message


def test_body_link_outside_lab_named(content):
    path = content / LESSON / "07-trade-offs.md"
    _edit(path, "A simple working rule", "See [this](https://example.org). A rule")
    error = _load_error(content)
    assert error.path.endswith("07-trade-offs.md")
    assert error.field == "link in body"


def test_unknown_anchor_named(content):
    path = content / LESSON / "cards.yaml"
    _edit(path, "opens: /explorer?show=sigmoid\n", "opens: '#no-such-section'\n")
    error = _load_error(content)
    assert error.path.endswith("cards.yaml")
    assert error.field == "entry [0] field 'opens'"
    assert "#no-such-section" in error.message


def test_code_reference_pattern_named(content):
    path = content / LESSON / "08-code-walkthrough.md"
    _edit(path, "object: actlab.nn.forward", "object: numpy.dot")
    error = _load_error(content)
    assert error.field == "front matter field 'code[4].object'"


def test_derived_field_rejected(content):
    path = content / LESSON / "02-choosing-the-output.md"
    _edit(path, "title: Matching", "id: other\ntitle: Matching")
    error = _load_error(content)
    assert error.field == "front matter field 'id'"


def test_stray_file_named(content):
    (content / LESSON / "card.yaml").write_text("- id: x\n", encoding="utf-8")
    error = _load_error(content)
    assert error.path == f"content/{LESSON}/card.yaml"
    assert error.field is None


def test_duplicate_section_id_named(content):
    shutil.copy(
        content / LESSON / "07-trade-offs.md", content / LESSON / "09-trade-offs.md"
    )
    error = _load_error(content)
    assert error.path.endswith("09-trade-offs.md")


def test_missing_lesson_file_named(content):
    (content / LESSON / "lesson.yaml").unlink()
    error = _load_error(content)
    assert error.path == f"content/{LESSON}/lesson.yaml"


def test_lesson_id_must_match_folder(content):
    path = content / LESSON / "lesson.yaml"
    path.write_text("id: other\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    error = _load_error(content)
    assert error.field == "field 'id'"


def test_lesson_error_is_value_error(content):
    path = content / LESSON / "lesson.yaml"
    path.write_text("title: only\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"lesson\.yaml: field 'summary'"):
        load_lessons(content)


# --- a second lesson -----------------------------------------------------------


def _write_second_lesson(root: Path) -> None:
    folder = root / "losses"
    folder.mkdir(parents=True)
    (folder / "lesson.yaml").write_text(
        "title: Losses\nsummary: Which loss fits which output.\norder: 2\n"
        "concepts:\n  - id: losses\n    title: Losses\n",
        encoding="utf-8",
    )
    (folder / "1-intro.md").write_text(
        "---\ntitle: Intro\nsummary: Why a loss.\nlinks:\n"
        "  - label: Plot\n    target: /explorer\n---\n"
        "It pairs with {{ measure:sigmoid_max_slope }}; see [next](#pairs).\n",
        encoding="utf-8",
    )
    (folder / "2-pairs.md").write_text(
        "---\ntitle: Pairs\nsummary: Output and loss.\n---\nText.\n", encoding="utf-8"
    )
    (folder / "cards.yaml").write_text(
        "- id: bce\n  front: Loss for sigmoid?\n  back: Binary cross-entropy.\n"
        "  concept: losses\n  opens: '#pairs'\n",
        encoding="utf-8",
    )
    (folder / "ordering.yaml").write_text(
        "- id: step\n  title: One step\n  concept: losses\n"
        "  steps: [forward, loss, backward, update]\n",
        encoding="utf-8",
    )


def test_second_lesson_loads(content):
    _write_second_lesson(content)
    loaded = load_lessons(content)
    assert list(loaded) == [LESSON, "losses"]
    second = loaded["losses"]
    assert [s.id for s in second.sections] == ["intro", "pairs"]
    assert second.sections[0].measures == ("sigmoid_max_slope",)
    assert second.cards[0].opens == "#pairs"
    assert second.orderings[0].steps[0] == "forward"
    assert second.interview == ()
    assert second.concept_title("losses") == "Losses"


def test_unknown_concept_named(content):
    _edit(
        content / LESSON / "cards.yaml",
        "concept: sigmoid",
        "concept: sigmoidal",
    )
    error = _load_error(content)
    assert error.path.endswith("cards.yaml")
    assert error.field == "entry [0] field 'concept'"
    assert "unknown concept 'sigmoidal'" in error.message
    assert "lesson.yaml" in error.message


def test_interview_concept_required(content):
    _edit(content / LESSON / "interview.yaml", "  concept: hidden-activation\n", "")
    error = _load_error(content)
    assert error.path.endswith("interview.yaml")
    assert "concept" in error.field


def test_every_item_names_a_listed_concept(lesson):
    known = {concept.id for concept in lesson.concepts}
    items = [*lesson.cards, *lesson.interview, *lesson.orderings, *lesson.drills]
    used = {item.concept for item in items}
    assert None not in used
    assert used <= known


def test_scenario_concepts_are_listed(lesson):
    from actlab import practice

    known = {concept.id for concept in lesson.concepts}
    for scenario in practice.SCENARIOS.values():
        assert scenario.concept in known, scenario.id


def test_load_lesson_alone(tmp_path):
    _write_second_lesson(tmp_path)
    second = load_lesson(tmp_path / "losses")
    assert second.title == "Losses"


def test_missing_content_root(tmp_path):
    with pytest.raises(LessonError, match="not found"):
        load_lessons(tmp_path / "nothing")
