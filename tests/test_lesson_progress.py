"""Marking lesson sections done, and actions that wait until the lab is back."""

from __future__ import annotations

import pytest

from actlab import lessons

LESSON = lessons.bundled_lessons()["activations"]
FIRST, SECOND = LESSON.sections[0].id, LESSON.sections[1].id
DONE_URL = "/api/lessons/activations/sections/{}/done"


def test_marking_a_section_done_counts_once(client):
    first = client.post(DONE_URL.format(FIRST), json={"action_id": "m1"})
    again = client.post(DONE_URL.format(FIRST), json={"action_id": "m2"})

    assert first.status_code == 200
    assert first.json()["newly_done"] is True
    assert first.json()["sections_done"] == 1
    assert again.json()["newly_done"] is False
    assert again.json()["sections_done"] == 1
    assert again.json()["sections_total"] == len(LESSON.sections)


@pytest.mark.parametrize(
    ("path", "body", "status", "named"),
    [
        (DONE_URL.format("no-such-section"), {"action_id": "x"}, 404, "no-such"),
        ("/api/lessons/nope/sections/x/done", {"action_id": "x"}, 404, "nope"),
        (DONE_URL.format(FIRST), {}, 422, "action_id"),
        (DONE_URL.format(FIRST), {"action_id": ""}, 422, "action_id"),
        (DONE_URL.format(FIRST), {"action_id": "x" * 65}, 422, "action_id"),
    ],
)
def test_bad_section_requests_are_named(client, path, body, status, named):
    response = client.post(path, json=body)

    assert response.status_code == status
    assert named in response.text
    assert client.app.state.store.progress().sections_done == []


def test_section_page_shows_done(client):
    client.post(DONE_URL.format(SECOND), json={"action_id": "s2"})
    page = client.get(f"/lessons/activations/{SECOND}").text
    other = client.get(f"/lessons/activations/{FIRST}").text

    assert "Done ✓" in page
    assert "Mark this section done" in other


@pytest.mark.browser
def test_click_marks_done_and_survives_reload(live_server, offline_page):
    page = offline_page.page
    section = LESSON.sections[2].id
    page.goto(f"{live_server}/lessons/activations/{section}")
    page.get_by_role("button", name="Mark this section done").click()
    page.get_by_text("sections done").wait_for()
    page.reload()

    assert page.get_by_role("button", name="Done ✓").is_disabled()
    assert offline_page.errors == []


@pytest.mark.browser
def test_action_sent_while_the_lab_is_down_arrives_later(live_server, offline_page):
    page = offline_page.page
    section = LESSON.sections[3].id
    url = f"{live_server}/lessons/activations/{section}"
    done_path = f"**/api/lessons/activations/sections/{section}/done"
    page.goto(url)

    page.route(done_path, lambda route: route.abort())
    page.get_by_role("button", name="Mark this section done").click()
    page.locator("#save-status").get_by_text("waits to be saved").wait_for()
    assert page.evaluate("window.actlab.pendingActions()") == 1

    page.unroute(done_path)
    page.reload()
    page.wait_for_function("window.actlab.pendingActions() === 0")
    page.reload()
    assert page.get_by_role("button", name="Done ✓").is_disabled()
    assert page.locator("#save-status").is_hidden()


@pytest.mark.parametrize("action_id", ["a b", "é", "\u0000", "tab\there"])
def test_section_action_id_is_printable_ascii(client, action_id):
    response = client.post(DONE_URL.format(FIRST), json={"action_id": action_id})

    assert response.status_code == 422
    assert response.json()["field"] == "action_id"
    assert repr(action_id) in response.json()["detail"]
    assert client.app.state.store.progress().sections_done == []
