"""Writes to the lab: JSON only, from the lab's own pages, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from actlab.web import Settings, create_app

REVIEW = "/api/cards/relu-slope/review"
BODY = '{"rating": 3, "practice": false, "action_id": "guard-1"}'
WRITES = [
    REVIEW,
    "/api/interview/what-is-relu",
    "/api/drills/answer",
    "/api/lessons/activations/sections/core-activations/done",
    "/api/experiments/cost/runs",
]


@pytest.mark.parametrize("path", WRITES)
def test_plain_text_post_is_rejected(client, path):
    response = client.post(path, content=BODY, headers={"Content-Type": "text/plain"})

    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


@pytest.mark.parametrize("path", WRITES)
def test_foreign_origin_is_rejected(client, path):
    response = client.post(
        path,
        content=BODY,
        headers={"Content-Type": "application/json", "Origin": "http://127.0.0.1:9"},
    )

    assert response.status_code == 403
    assert "127.0.0.1:9" in response.json()["detail"]


def test_nothing_is_stored_by_a_rejected_write(client):
    client.post(REVIEW, content=BODY, headers={"Content-Type": "text/plain"})
    client.post(REVIEW, content=BODY, headers={"Origin": "http://evil.example"})

    assert client.app.state.store.reviews() == []


def test_same_origin_json_is_accepted(client):
    response = client.post(
        REVIEW,
        content=BODY,
        headers={"Content-Type": "application/json", "Origin": "http://127.0.0.1"},
    )

    assert response.status_code == 200
    assert len(client.app.state.store.reviews()) == 1


def test_deep_json_is_a_422(client):
    deep = "[" * 10_000 + "]" * 10_000
    response = client.post(
        REVIEW, content=deep, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert "nested too deeply" in response.json()["detail"]


def test_action_id_reused_for_another_card_is_a_422(client):
    first = client.post(REVIEW, json={"rating": 3, "action_id": "same"})
    other = client.post(
        "/api/cards/relu-formula/review", json={"rating": 3, "action_id": "same"}
    )

    assert first.status_code == 200
    assert other.status_code == 422
    assert "invalid action_id 'same'" in other.json()["detail"]
    assert client.app.state.store.reviews("relu-formula") == []


def test_deleted_database_is_a_503(client):
    import os

    database = client.app.state.store.engine.url.database
    client.post(REVIEW, json={"rating": 3, "action_id": "before"})
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(database + suffix):
            os.remove(database + suffix)
    response = client.post(REVIEW, json={"rating": 3, "action_id": "after"})

    assert response.status_code == 503
    assert "deleted or replaced" in response.json()["detail"]


def test_missing_body_field_is_named(client):
    response = client.post("/api/drills/answer", json={"seed": 1})

    assert response.status_code == 422
    assert response.json()["detail"] == "missing field template in the request body"


def test_broken_json_body_is_named(client):
    response = client.post(
        "/api/lessons/activations/sections/core-activations/done",
        content="{",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["field"] == "body"
    assert response.json()["detail"].startswith("invalid JSON in the request body")


@pytest.mark.parametrize("method", ["get", "post"])
def test_rebound_host_is_rejected(client, method):
    # DNS rebinding: another site's name resolved to 127.0.0.1, so the
    # browser sends its own name as Host and Origin.
    headers = {
        "Host": "evil.example:8000",
        "Origin": "http://evil.example:8000",
        "Content-Type": "application/json",
    }
    response = getattr(client, method)(
        "/api/progress" if method == "get" else REVIEW,
        headers=headers,
        **({"content": BODY} if method == "post" else {}),
    )

    assert response.status_code == 400
    assert "invalid Host header 'evil.example:8000'" in response.text
    assert "--allow-host" in response.text
    assert client.app.state.store.reviews() == []


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8000", "localhost:8000", "localhost", "[::1]:8000"]
)
def test_loopback_hosts_are_accepted(client, host):
    response = client.get("/api/progress", headers={"Host": host})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("settings", "host", "status"),
    [
        ({"extra_hosts": ("lab.school",)}, "lab.school:8000", 200),
        ({"extra_hosts": ("lab.school",)}, "other.school", 400),
        ({"host": "0.0.0.0"}, "any.name", 200),
        ({"extra_hosts": ("*",)}, "any.name", 200),
    ],
)
def test_allowed_hosts_follow_settings(database_url, settings, host, status):
    app = create_app(Settings(database_url=database_url, **settings))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        response = client.get("/healthz", headers={"Host": host})

    assert response.status_code == status


def test_content_type_case_is_ignored(client):
    response = client.post(
        REVIEW, content=BODY, headers={"Content-Type": "Application/JSON"}
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"template": "x" * 5_000_000, "seed": 1, "answer": 1},
        {"template": "value-at-z", "seed": 1, "answer": [0] * 300_000},
    ],
)
def test_huge_invalid_body_gets_short_answer(client, body):
    response = client.post("/api/drills/answer", json=body)

    assert response.status_code == 422
    assert len(response.content) < 20_000
