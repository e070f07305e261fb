"""Tests of the lesson pages and their JSON API, in-process and in a browser."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from actlab import lessons, measurements

LESSON = "activations"


@pytest.fixture(scope="module")
def lesson() -> lessons.Lesson:
    return lessons.bundled_lessons()[LESSON]


class _Collector(HTMLParser):
    """Collect the ids, the link targets and the text of a page."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.details = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"])
        if tag == "details":
            self.details += 1

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def test_lesson_page_renders_every_section(client, lesson):
    response = client.get("/lesson")
    assert response.status_code == 200
    page = parse(response.text)
    for section in lesson.sections:
        assert section.id in page.ids, section.id
        assert section.title in response.text


def test_lesson_page_by_id_matches_first(client):
    assert client.get(f"/lessons/{LESSON}").text == client.get("/lesson").text


def test_measured_numbers_filled_in(client, lesson):
    html = client.get("/lesson").text
    assert "{{" not in html
    for kind, name in lesson.references():
        if kind == "measure":
            result = measurements.measure(name)
            assert f'id="measure-{name}"' in html
            escaped = result.display.replace("&", "&amp;")
            assert escaped in html, name
        else:
            assert f'id="table-{name}"' in html
    assert html.count("measured on this machine") >= len(lesson.references()) - 1


def _page_text(html: str) -> str:
    return re.sub(r"\s+", " ", "".join(parse(html).text))


def test_measured_unit_not_repeated(client, lesson):
    text = _page_text(client.get("/lesson").text)
    for kind, name in lesson.references():
        if kind != "measure":
            continue
        result = measurements.measure(name)
        if result.display == result.text or result.unit == "x":
            continue
        # The noun of the unit, such as "units" in "% of hidden units".
        noun = result.unit.split()[-1]
        quoted = f"{result.display} measured on this machine"
        assert quoted in text, name
        # The words up to the next number belong to this value's sentence.
        for after in text.split(quoted)[1:]:
            clause = re.split(r"\d", after, maxsplit=1)[0]
            assert noun not in clause.split(), (name, clause)


def test_lesson_promises_no_future_work(client):
    text = _page_text(client.get("/lesson").text).lower()
    assert "comes later" not in text
    assert "for now" not in text


def test_dead_units_not_called_unrecoverable(client):
    text = _page_text(client.get("/lesson").text).lower()
    assert "nothing can bring it back" not in text
    assert "cannot recover" not in text


def test_measured_number_links_to_demo(client):
    html = client.get("/lesson").text
    result = measurements.measure("sigmoid_relu_cost_ratio")
    pattern = (
        r'id="measure-sigmoid_relu_cost_ratio">.*?<a class="measured-note" '
        r'href="([^"]+)"'
    )
    match = re.search(pattern, html, re.DOTALL)
    assert match is not None
    assert match.group(1) == result.demo


def test_interview_tiers_and_reveals(client, lesson):
    html = client.get("/lesson").text
    page = parse(html)
    for tier in lessons.TIERS:
        assert f'data-tier="{tier}"' in html
    assert page.details == len(lesson.interview)
    for question in lesson.interview:
        assert f"q-{question.id}" in page.ids
        for point in question.key_points:
            assert point.replace("'", "&#39;") in html


def test_cards_listed(client, lesson):
    page = parse(client.get("/lesson").text)
    for card in lesson.cards:
        assert f"card-{card.id}" in page.ids


def test_tool_links_present(client):
    page = parse(client.get("/lesson").text)
    assert any(href.startswith("/explorer?") for href in page.hrefs)
    assert any(href.startswith("/playground?") for href in page.hrefs)
    assert any(href.startswith("/flow") for href in page.hrefs)
    assert "$ actlab compare" in client.get("/lesson").text


def test_page_links_answer(client):
    page = parse(client.get("/lesson").text)
    for href in set(page.hrefs):
        if href.startswith("/"):
            assert client.get(href).status_code == 200, href


def test_header_links_to_lesson(client):
    html = client.get("/explorer").text
    assert 'href="/lesson"' in html


def test_section_page(client, lesson):
    first, second = lesson.sections[0], lesson.sections[1]
    response = client.get(f"/lessons/{LESSON}/{second.id}")
    assert response.status_code == 200
    assert second.title in response.text
    assert f'href="/lessons/{LESSON}/{first.id}"' in response.text


def test_unknown_lesson_is_404(client):
    response = client.get("/lessons/nope")
    assert response.status_code == 404
    assert "lesson &#39;nope&#39; not found" in response.text


def test_unknown_section_is_404(client):
    response = client.get(f"/lessons/{LESSON}/nope")
    assert response.status_code == 404
    assert "section &#39;nope&#39; not found" in response.text


def test_raw_html_in_markdown_is_escaped():
    from actlab.web.lesson_render import render_markdown

    html = render_markdown("<script>alert(1)</script> and [x](#why-relu)", LESSON)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert f'href="/lessons/{LESSON}#why-relu"' in html


def test_api_lists_lessons(client, lesson):
    body = client.get("/api/lessons").json()
    assert [entry["id"] for entry in body] == list(lessons.bundled_lessons())
    first = body[0]
    assert first["n_cards"] == len(lesson.cards)
    assert [s["id"] for s in first["sections"]] == [s.id for s in lesson.sections]


def test_api_lesson_detail(client, lesson):
    body = client.get(f"/api/lessons/{LESSON}").json()
    assert body["lesson"]["id"] == LESSON
    assert len(body["lesson"]["interview"]) == len(lesson.interview)
    quoted = {name for kind, name in lesson.references() if kind == "measure"}
    assert set(body["measurements"]) == quoted
    ratio = body["measurements"]["sigmoid_relu_cost_ratio"]
    assert ratio["value"] > 1
    assert body["tables"]["gradient_ratio_by_depth"]["rows"]


def test_api_unknown_lesson(client):
    response = client.get("/api/lessons/nope")
    assert response.status_code == 404
    body = response.json()
    assert body["field"] == "lesson_id"
    assert "nope" in body["detail"]


def test_api_measurements(client):
    body = client.get("/api/measurements").json()
    assert [entry["id"] for entry in body] == measurements.measurement_ids()


def test_measurements_page(client):
    response = client.get("/measurements")
    assert response.status_code == 200
    page = parse(response.text)
    for name in measurements.measurement_ids():
        assert name in page.ids
    for href in page.hrefs:
        assert not href.startswith("/measurements"), href
    text = _page_text(response.text)
    for name in measurements.table_ids():
        assert f"{measurements.table(name).title} {name}" in text


# --- browser -------------------------------------------------------------------


@pytest.mark.browser
def test_lesson_in_browser(live_server, offline_page):
    page = offline_page.page
    page.goto(f"{live_server}/lesson")
    page.wait_for_selector("#why-relu")

    question = page.locator(".question").first
    answer = question.locator(".model-answer")
    assert not answer.is_visible()
    question.locator("summary").click()
    answer.wait_for(state="visible")
    assert "max(0, z)" in answer.inner_text()

    link = page.locator('#core-activations a.lab-link[href^="/explorer?"]').first
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(f"{live_server}{href}")
    page.wait_for_selector("#explorer")
    assert page.locator("#messages").is_hidden()

    assert offline_page.blocked == []
    assert offline_page.errors == []
    assert offline_page.console_errors == []
