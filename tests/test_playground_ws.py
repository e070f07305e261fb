"""The playground WebSocket, through TestClient and through a live uvicorn."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import random
import time

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from actlab.web import Settings, create_app
from actlab.web.routers import playground as playground_router

# A full address, because the test client sends "testserver" as the Host of a
# relative one, which the lab rejects.
PLAYGROUND_SOCKET = "ws://127.0.0.1/ws/playground"

# The lab serves only loopback host names, so test clients use one.
LAB = "http://127.0.0.1"

MESSAGE_TYPES = {"ready", "data", "frame", "paused", "error", "export", "pong"}
SMALL = {"points": "200", "hidden": "4"}


def open_session(client: TestClient, **state):
    socket = client.websocket_connect(PLAYGROUND_SOCKET)
    ws = socket.__enter__()
    kinds = [ws.receive_json()["type"] for _ in range(3)]
    assert kinds == ["ready", "data", "frame"]
    ws.send_json({"type": "configure", "state": {**SMALL, **state}})
    return socket, ws


def receive_until(ws, kind: str, limit: int = 500) -> tuple[dict, list[dict]]:
    seen = []
    for _ in range(limit):
        message = ws.receive_json()
        seen.append(message)
        if message["type"] == kind:
            return message, seen
    raise AssertionError(f"no {kind} message in {limit} messages")


def sync(ws) -> list[dict]:
    """Send a ping and return every message received before its pong."""
    ws.send_json({"type": "ping"})
    _, seen = receive_until(ws, "pong")
    return seen[:-1]


@pytest.fixture
def ws(client):
    socket, ws = open_session(client)
    receive_until(ws, "frame")
    yield ws
    socket.__exit__(None, None, None)


def test_socket_opens_with_ready_data_frame(client):
    with client.websocket_connect(PLAYGROUND_SOCKET) as ws:
        ready = ws.receive_json()
        data = ws.receive_json()
        frame = ws.receive_json()
    assert ready["type"] == "ready"
    assert len(ready["session"]) >= 20
    assert ready["state"]["dataset"] == "circle"
    assert "dataset=circle" in ready["query"]
    assert ready["network"]["sizes"] == [2, 4, 2, 1]
    assert data["type"] == "data"
    assert len(data["train"]) + len(data["test"]) == 500
    assert len(data["train"][0]) == 3
    assert frame["type"] == "frame"
    assert frame["epoch"] == 0
    assert frame["full"] is True
    assert len(frame["grid"]["output"]) == frame["grid"]["size"] ** 2
    assert [len(units) for units in frame["grid"]["units"]] == [4, 2]
    assert frame["metric_name"] == "accuracy"
    assert len(frame["stats"]["grad_norms"]) == 3


def test_configure_invalid_keeps_socket(ws):
    ws.send_json({"type": "configure", "state": {"hidden": "9"}})
    error, _ = receive_until(ws, "error")
    assert error["field"] == "hidden"
    assert "1 to 8" in error["message"]
    ws.send_json({"type": "ping"})
    assert ws.receive_json() == {"type": "pong"}


def test_play_sends_frames_then_pause(ws):
    ws.send_json({"type": "play"})
    frames = [receive_until(ws, "frame")[0] for _ in range(4)]
    epochs = [frame["epoch"] for frame in frames]
    assert epochs == sorted(epochs)
    assert epochs[-1] > epochs[0]
    assert all(frame["playing"] for frame in frames)
    ws.send_json({"type": "pause"})
    paused, _ = receive_until(ws, "frame")
    while paused["playing"]:
        paused, _ = receive_until(ws, "frame")
    assert not any(message["type"] == "frame" for message in sync(ws))


def test_frames_echo_control(ws):
    ws.send_json({"type": "play", "control": 7})
    frame, _ = receive_until(ws, "frame")
    assert frame["control"] == 7
    assert frame["playing"] is True
    ws.send_json({"type": "pause", "control": 8})
    frame, _ = receive_until(ws, "frame")
    while frame["control"] < 8:
        frame, _ = receive_until(ws, "frame")
    assert frame["playing"] is False
    assert not any(message["type"] == "frame" for message in sync(ws))


def test_frames_are_numbered(ws):
    ws.send_json({"type": "step"})
    first, _ = receive_until(ws, "frame")
    ws.send_json({"type": "step"})
    second, _ = receive_until(ws, "frame")
    assert first["seq"] >= 1
    assert second["seq"] == first["seq"] + 1


def test_rejected_configure_still_echoes_control(ws):
    ws.send_json({"type": "configure", "state": {"hidden": "9"}, "control": 3})
    receive_until(ws, "error")
    ws.send_json({"type": "step"})
    frame, _ = receive_until(ws, "frame")
    assert frame["control"] == 3


def frames_in(messages: list[dict]) -> list[dict]:
    return [message for message in messages if message["type"] == "frame"]


def test_unacknowledged_frames_stop_training(ws):
    ws.send_json({"type": "step"})
    frame, _ = receive_until(ws, "frame")
    ws.send_json({"type": "ack", "frame": frame["seq"]})
    ws.send_json({"type": "play"})
    window = playground_router.FRAME_WINDOW
    sent = [receive_until(ws, "frame")[0] for _ in range(window)]
    # No ack follows, so no more frames come however long the page waits.
    for _ in range(3):
        time.sleep(0.2)
        assert frames_in(sync(ws)) == []
    ws.send_json({"type": "ack", "frame": sent[-1]["seq"]})
    after, _ = receive_until(ws, "frame")
    assert after["seq"] > sent[-1]["seq"]
    assert after["epoch"] >= sent[-1]["epoch"]
    ws.send_json({"type": "pause"})


def test_pause_answers_within_window(ws):
    ws.send_json({"type": "step"})
    frame, _ = receive_until(ws, "frame")
    ws.send_json({"type": "ack", "frame": frame["seq"]})
    ws.send_json({"type": "play", "control": 1})
    receive_until(ws, "frame")
    # However slowly this page reads, at most the window's frames are in
    # flight when it pauses, and the pause's own frame comes right after.
    time.sleep(0.5)
    ws.send_json({"type": "pause", "control": 2})
    frames = frames_in(sync(ws))
    assert len(frames) <= playground_router.FRAME_WINDOW + 1
    assert frames[-1]["control"] == 2
    assert frames[-1]["playing"] is False
    assert all(f["epoch"] <= frames[-1]["epoch"] for f in frames)
    assert frames_in(sync(ws)) == []


def test_step_runs_epochs(ws):
    ws.send_json({"type": "step"})
    frame, _ = receive_until(ws, "frame")
    assert frame["epoch"] == 1
    assert frame["history"]["epoch"] == [1]
    ws.send_json({"type": "step", "epochs": 5})
    frame, _ = receive_until(ws, "frame")
    assert frame["epoch"] == 6
    ws.send_json({"type": "step", "epochs": 0})
    error, _ = receive_until(ws, "error")
    assert error["field"] == "epochs"


def test_set_changes_without_reset(ws):
    ws.send_json({"type": "step", "epochs": 3})
    receive_until(ws, "frame")
    ws.send_json({"type": "set", "lr": 0.3, "reg": "l2", "rate": 0.01, "batch": 5})
    ready, _ = receive_until(ws, "ready")
    assert ready["state"]["lr"] == "0.3"
    assert ready["state"]["reg"] == "l2"
    assert ready["state"]["batch"] == "5"
    ws.send_json({"type": "step"})
    frame, _ = receive_until(ws, "frame")
    assert frame["epoch"] == 4


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"type": "set", "lr": -1}, "lr"),
        ({"type": "set", "speed": 2}, "speed"),
        ({"type": "set"}, "type"),
        ({"type": "set", "lr": 0.1, "rate": "x"}, "rate"),
        ({"type": "edit_weight", "layer": 9, "from": 0, "to": 0, "value": 1}, "layer"),
        ({"type": "edit_weight", "layer": 0, "from": 0, "to": 0}, "value"),
        ({"type": "visibility", "visible": "no"}, "visible"),
        ({"type": "export", "format": "onnx"}, "format"),
        ({"type": "upload_csv", "text": "a,b\n1,2\n", "target": "c"}, "text"),
        ({"type": "upload_csv", "text": 5, "target": "c"}, "text"),
        ({"type": "configure", "state": "circle"}, "state"),
        ({"type": "configure"}, "state"),
        ({"type": "fly"}, "type"),
        ({"type": "pause", "control": -1}, "control"),
        ({"type": "play", "control": True}, "control"),
        ({"type": "reset", "control": 2**60}, "control"),
        ({"type": "ack"}, "frame"),
        ({"type": "ack", "frame": "3"}, "frame"),
        ({"kind": "play"}, "type"),
        (["play"], "message"),
    ],
)
def test_invalid_message_names_field(ws, message, field):
    ws.send_json(message)
    error, _ = receive_until(ws, "error")
    assert error["field"] == field
    assert error["message"]
    ws.send_json({"type": "ping"})
    assert ws.receive_json() == {"type": "pong"}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            {"type": "edit_weight", "layer": 0, "to": 0, "value": 1},
            "missing the source unit ('from')",
        ),
        (
            {"type": "edit_weight", "layer": 0, "from": 99, "to": 0, "value": 1},
            "invalid source unit ('from') 99",
        ),
        (
            {"type": "upload_csv", "text": "a,b,y\n1,2,0\n3,zz,1\n", "target": "y"},
            "row 3, column 2 ('b')",
        ),
        ({"type": "visibility"}, "missing the page visibility ('visible')"),
    ],
)
def test_error_message_is_plain_english(ws, message, expected):
    ws.send_json(message)
    error, _ = receive_until(ws, "error")
    assert error["message"].startswith(expected)
    assert "message" not in error["message"]
    assert "invalid CSV" not in error["message"]


def test_invalid_set_changes_nothing(ws):
    ws.send_json({"type": "set", "lr": 0.1, "rate": "x"})
    receive_until(ws, "error")
    ws.send_json({"type": "set", "batch": 3})
    ready, _ = receive_until(ws, "ready")
    assert ready["state"]["lr"] == "0.03"


def test_text_not_json_is_error(ws):
    ws.send_text("{not json")
    error, _ = receive_until(ws, "error")
    assert error["field"] == "message"
    ws.send_text("NaN")
    error, _ = receive_until(ws, "error")
    assert error["field"] == "message"
    ws.send_bytes(b"\x00\x01")
    error, _ = receive_until(ws, "error")
    assert error["field"] == "message"


def test_edit_weight_updates_query(ws):
    ws.send_json({"type": "edit_weight", "layer": 0, "from": 1, "to": 2, "value": 0.5})
    ready, _ = receive_until(ws, "ready")
    assert ready["state"]["edits"] == "0.1.2:0.5"
    frame, _ = receive_until(ws, "frame")
    assert frame["weights"][0][1][2] == 0.5


def test_hidden_page_gets_no_frames(ws):
    ws.send_json({"type": "visibility", "visible": False})
    ws.send_json({"type": "play"})
    sync(ws)
    assert not any(message["type"] == "frame" for message in sync(ws))
    ws.send_json({"type": "visibility", "visible": True})
    frame, _ = receive_until(ws, "frame")
    assert frame["playing"] is True


def test_regenerate_sends_new_data(ws):
    ws.send_json({"type": "regenerate"})
    data, _ = receive_until(ws, "data")
    assert data["task"] == "binary"
    frame, _ = receive_until(ws, "frame")
    assert frame["epoch"] == 0


def test_export_both_formats(ws):
    ws.send_json({"type": "export", "format": "json"})
    reply, _ = receive_until(ws, "export")
    model = json.loads(reply["content"])
    assert reply["filename"].endswith(".json")
    assert len(model["layers"]) == 2
    ws.send_json({"type": "export", "format": "pytorch"})
    reply, _ = receive_until(ws, "export")
    compile(reply["content"], reply["filename"], "exec")
    assert "import torch" in reply["content"]


def test_upload_csv_switches_dataset(ws):
    rows = "\n".join(f"{i},{(i * 5) % 7},{i % 3 * 0.5}" for i in range(30))
    ws.send_json({"type": "upload_csv", "text": f"u,v,y\n{rows}\n", "target": "y"})
    ready, _ = receive_until(ws, "ready")
    assert ready["state"]["dataset"] == "csv"
    assert ready["network"]["task"] == "regression"
    data, _ = receive_until(ws, "data")
    assert len(data["train"]) + len(data["test"]) == 30


def test_divergence_sends_paused(ws):
    state = {
        **SMALL,
        "dataset": "plane",
        "features": "x1sq,x2sq,x1x2",
        "lr": "10",
        "act": "linear",
    }
    ws.send_json({"type": "configure", "state": state})
    receive_until(ws, "frame")
    ws.send_json({"type": "play"})
    paused, _ = receive_until(ws, "paused")
    assert "diverged" in paused["reason"]
    assert "learning rate 10" in paused["reason"]
    ws.send_json({"type": "step"})
    frame, _ = receive_until(ws, "frame")
    assert frame["playing"] is False


def _random_value(rng: random.Random, depth: int = 0):
    choices = [
        None,
        True,
        rng.randint(-10, 10),
        rng.random() * 20 - 5,
        rng.choice(["", "x", "l2", "json", "circle", "1,2", "0.1.1:3"]),
        1e308,
    ]
    if depth < 2:
        choices.append(
            [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
        )
        choices.append({"hidden": _random_value(rng, depth + 1)})
    return rng.choice(choices)


def test_socket_handler_fuzz(client):
    rng = random.Random(1234)
    types = [
        "configure",
        "play",
        "pause",
        "step",
        "reset",
        "set",
        "edit_weight",
        "regenerate",
        "visibility",
        "export",
        "upload_csv",
        "ping",
        "ack",
        "nope",
        3,
        None,
    ]
    keys = [
        "state",
        "lr",
        "reg",
        "rate",
        "batch",
        "layer",
        "from",
        "to",
        "value",
        "visible",
        "format",
        "text",
        "target",
        "epochs",
        "control",
        "frame",
    ]
    socket, ws = open_session(client)
    try:
        for _ in range(150):
            message = {"type": rng.choice(types)}
            for key in rng.sample(keys, rng.randint(0, 4)):
                message[key] = _random_value(rng)
            if message["type"] == "step" and "epochs" in message:
                message["epochs"] = 1
            ws.send_json(message)
            for reply in sync(ws):
                assert reply["type"] in MESSAGE_TYPES
                if reply["type"] == "error":
                    assert isinstance(reply["field"], str)
                    assert isinstance(reply["message"], str)
                    assert "failed to handle" not in reply["message"], message
    finally:
        socket.__exit__(None, None, None)


def test_session_cap_rejects_socket():
    app = create_app(Settings(playground_max_sessions=1))
    with (
        TestClient(app, base_url=LAB) as client,
        client.websocket_connect(PLAYGROUND_SOCKET) as first,
    ):
        assert first.receive_json()["type"] == "ready"
        with client.websocket_connect(PLAYGROUND_SOCKET) as second:
            error = second.receive_json()
            assert error["type"] == "error"
            assert error["field"] == "session"
            with pytest.raises(WebSocketDisconnect) as closed:
                second.receive_json()
            assert closed.value.code == 1013


def test_idle_session_is_closed():
    app = create_app(Settings(playground_idle_seconds=0.5))
    received = []
    with (
        TestClient(app, base_url=LAB) as client,
        client.websocket_connect(PLAYGROUND_SOCKET) as ws,
    ):
        # On a busy machine the close may come before every opening message.
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                received.append(ws.receive_json()["type"])
        assert closed.value.code == 1000
        assert closed.value.reason == "idle"
        assert received[0] == "ready"
        assert len(app.state.playground) == 0


def test_live_server_streams_frames(live_server):
    import websockets

    url = live_server.replace("http://", "ws://") + "/ws/playground"

    async def run() -> list[dict]:
        async with websockets.connect(url, max_size=2**24) as socket:
            await socket.send(json.dumps({"type": "configure", "state": SMALL}))
            await socket.send(json.dumps({"type": "play"}))
            frames = []
            while len(frames) < 8:
                message = json.loads(await asyncio.wait_for(socket.recv(), 10))
                if message["type"] == "frame" and message["playing"]:
                    frames.append(message)
            await socket.send(json.dumps({"type": "pause"}))
            return frames

    # A thread of its own, because a Playwright browser fixture may already run
    # an event loop in the main thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        frames = pool.submit(asyncio.run, run()).result()
    assert frames[-1]["epoch"] > frames[0]["epoch"]
    assert all(len(f["grid"]["output"]) == f["grid"]["size"] ** 2 for f in frames)


def test_state_endpoint_normalises(client):
    response = client.get("/api/playground/state?features=x2,x1&act=swish&hidden=3")
    assert response.status_code == 200
    body = response.json()
    assert body["state"]["features"] == "x1,x2"
    assert body["state"]["act"] == "silu"
    assert "hidden=3" in body["query"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lr=0", "lr"),
        ("dataset=moons", "dataset"),
        ("x=1", "x"),
        ("seed=1&seed=2", "seed"),
    ],
)
def test_state_endpoint_rejects(client, query, field):
    response = client.get(f"/api/playground/state?{query}")
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_options_endpoint_lists_registry(client):
    body = client.get("/api/playground/options").json()
    assert "leaky_relu" in body["hidden_activations"]
    assert "softmax" not in body["hidden_activations"]
    assert body["learning_rates"][0] == 0.00001
    assert "tfp" in body["initialisers"]
    assert body["defaults"]["dataset"] == "circle"


def test_session_start_stop_logged(client, caplog):
    caplog.set_level("INFO", logger="actlab.web.playground")
    with client.websocket_connect(PLAYGROUND_SOCKET) as ws:
        session = ws.receive_json()["session"]
        ws.send_json({"type": "set", "lr": "fast"})
        receive_until(ws, "error")
    messages = [record.getMessage() for record in caplog.records]
    assert any(f"session {session} started" in m for m in messages)
    assert any(f"session {session}: rejected lr" in m for m in messages)
    assert any(f"session {session} stopped" in m for m in messages)


def test_upload_never_reads_a_path(ws, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n")
    ws.send_json({"type": "upload_csv", "text": str(secret), "target": "y"})
    error, seen = receive_until(ws, "error")
    assert error["field"] == "text"
    assert "a,b" not in error["message"]
    assert all(message["type"] != "data" for message in seen)


def test_foreign_origin_rejected(client):
    headers = {"origin": "http://elsewhere.invalid"}
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(PLAYGROUND_SOCKET, headers=headers) as socket,
    ):
        socket.receive_json()
    assert closed.value.code == 1008


def test_huge_integer_is_a_message_error(ws):
    ws.send_text('{"type": "set", "lr": ' + "9" * 400 + "}")
    error, _ = receive_until(ws, "error")
    assert error["field"] == "message"
    assert "400 digits" in error["message"]


def test_long_step_stops_at_time_limit(client, monkeypatch):
    monkeypatch.setattr(playground_router, "MAX_STEP_SECONDS", 0.2)
    socket, ws = open_session(
        client, points="2000", batch="1", hidden="8,8,8,8,8,8", features="x1,x2,x1sq"
    )
    receive_until(ws, "frame")
    ws.send_json({"type": "step", "epochs": 1000})
    error, seen = receive_until(ws, "error")
    frames = [message for message in seen if message["type"] == "frame"]
    assert error["field"] == "epochs"
    assert "stopped after" in error["message"]
    assert frames[-1]["epoch"] < 1000
    socket.__exit__(None, None, None)
