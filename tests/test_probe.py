"""The gradient probe: its computation, its WebSocket and its explorer panel."""

from __future__ import annotations

import json

import numpy as np
import pytest
from starlette.websockets import WebSocketDisconnect

from actlab import activations, nn
from actlab.probe import Probe, ProbeConfig, ProbeError, dataset_names

# A full address, because the test client sends "testserver" as the Host of a
# relative one, which the lab rejects.
PROBE_SOCKET = "ws://127.0.0.1/ws/probe"

PROBED = [
    ("relu", {}),
    ("sigmoid", {}),
    ("tanh", {}),
    ("leaky_relu", {"negative_slope": 0.2}),
]
MAX_MESSAGES = 500


# --- computation -------------------------------------------------------------


@pytest.mark.parametrize(("name", "params"), PROBED)
def test_shares_match_registry_derivative(name, params):
    run = Probe(ProbeConfig(activation=name, params=params, seed=2))
    frame = run.advance(30)
    activation = activations.get(name, **params)

    for layer in frame.layers:
        for unit in layer:
            expected = activation.derivative(unit.z)
            np.testing.assert_allclose(unit.gprime, expected, rtol=1e-12, atol=0)
            assert unit.share == pytest.approx(float(np.mean(expected)))
            assert unit.z_mean == pytest.approx(float(np.mean(unit.z)))


def test_reported_z_is_network_z():
    run = Probe(ProbeConfig(activation="tanh", hidden=(4, 3), sample_size=10))
    frame = run.advance(12)
    trace = nn.forward(run.net, run.X[run.sample])

    assert [len(layer) for layer in frame.layers] == [4, 3]
    for layer, z in zip(frame.layers, trace.z[:-1], strict=True):
        for j, unit in enumerate(layer):
            np.testing.assert_array_equal(unit.z, z[:, j])
            assert unit.z.shape == (10,)


def test_dead_relu_units_share_zero():
    run = Probe(ProbeConfig(activation="relu", bias=-20.0))
    first = run.frame()
    later = run.advance(50)

    for frame in (first, later):
        for unit in frame.layers[0]:
            assert unit.share == 0.0
            assert np.all(unit.gprime == 0.0)
            assert np.all(unit.z < 0)


def test_leaky_relu_never_blocks_fully():
    run = Probe(
        ProbeConfig(activation="leaky_relu", params={"negative_slope": 0.1}, bias=-20.0)
    )
    frame = run.frame()

    for unit in frame.layers[0]:
        assert unit.share == pytest.approx(0.1)


def test_training_lowers_loss():
    run = Probe(ProbeConfig(activation="relu", dataset="circle", learning_rate=0.1))
    start = run.frame().loss
    end = run.advance(1500).loss

    assert end < 0.5 * start
    assert run.step == 1500


def test_diverged_run_reports_no_loss():
    run = Probe(ProbeConfig(activation="linear", learning_rate=10.0))
    frame = run.advance(100)
    encoded = json.dumps(frame.to_dict(), allow_nan=False)

    assert run.diverged
    assert run.step < 100
    assert json.loads(encoded)["loss"] is None


def test_same_seed_same_frames():
    frames = [Probe(ProbeConfig(seed=5)).advance(40).to_dict() for _ in range(2)]
    other = Probe(ProbeConfig(seed=6)).advance(40).to_dict()

    assert frames[0] == frames[1]
    assert frames[0] != other


def test_frame_dict_is_json():
    frame = Probe(ProbeConfig(hidden=(3,))).advance(3).to_dict()
    decoded = json.loads(json.dumps(frame))

    assert decoded["step"] == 3
    assert set(decoded["layers"][0][0]) == {"z_mean", "z", "gprime", "share"}
    assert len(decoded["layers"][0]) == 3


def test_datasets_are_binary_playground_sets():
    assert dataset_names() == ["circle", "xor", "gauss", "spiral"]


@pytest.mark.parametrize(
    ("settings", "field", "fragment"),
    [
        ({"activation": "nope"}, "activation", "unknown activation"),
        ({"activation": "softmax"}, "activation", "whole vector"),
        ({"activation": "elu", "params": {"alpha": "x"}}, "params", "alpha"),
        ({"dataset": "plane"}, "dataset", "choose one of circle"),
        ({"hidden": (9,)}, "hidden", "from 1 to 8"),
        ({"hidden": ()}, "hidden", "1 to 3"),
        ({"learning_rate": 0.0}, "learning_rate", "[1e-05, 10]"),
        ({"bias": float("nan")}, "bias", "[-50, 50]"),
        ({"batch_size": 0}, "batch_size", "[1, 100]"),
        ({"sample_size": 65}, "sample_size", "[1, 64]"),
        ({"seed": -1}, "seed", "seed=-1"),
    ],
)
def test_invalid_config_names_field(settings, field, fragment):
    with pytest.raises(ProbeError) as caught:
        ProbeConfig(**settings)

    assert caught.value.field == field
    assert fragment in str(caught.value)


# --- WebSocket ---------------------------------------------------------------


def receive_until(socket, kind: str) -> tuple[dict, list[dict]]:
    """Read messages until one of ``kind``; return it and those before it."""
    before = []
    for _ in range(MAX_MESSAGES):
        message = socket.receive_json()
        if message["type"] == kind:
            return message, before
        before.append(message)
    raise AssertionError(f"no {kind!r} message in {MAX_MESSAGES} messages")


START = {"type": "start", "activation": "relu", "dataset": "xor", "seed": 0}


def test_socket_streams_frames(client):
    with client.websocket_connect(PROBE_SOCKET) as socket:
        socket.send_json({**START, "steps_per_frame": 4, "hidden": [5, 3]})
        started = socket.receive_json()
        frames = [socket.receive_json() for _ in range(4)]

    assert started["type"] == "started"
    assert started["config"]["activation"] == "relu"
    assert [f["type"] for f in frames] == ["probe"] * 4
    assert [f["step"] for f in frames] == [0, 4, 8, 12]
    assert [len(layer) for layer in frames[0]["layers"]] == [5, 3]
    unit = frames[-1]["layers"][0][0]
    assert len(unit["z"]) == len(unit["gprime"]) == 24
    assert unit["share"] == pytest.approx(np.mean(unit["gprime"]))


def test_socket_frames_match_computation(client):
    expected = Probe(ProbeConfig(activation="tanh", dataset="xor", seed=0))
    with client.websocket_connect(PROBE_SOCKET) as socket:
        socket.send_json({**START, "activation": "tanh", "steps_per_frame": 7})
        receive_until(socket, "started")
        frames = [socket.receive_json() for _ in range(2)]

    assert frames[0] == {"type": "probe", **expected.frame().to_dict()}
    assert frames[1] == {"type": "probe", **expected.advance(7).to_dict()}


def test_socket_stops_on_stop(client):
    with client.websocket_connect(PROBE_SOCKET) as socket:
        socket.send_json(START)
        receive_until(socket, "probe")
        socket.send_json({"type": "stop"})
        stopped, frames = receive_until(socket, "stopped")
        socket.send_json({"type": "stop"})
        again = socket.receive_json()

    assert stopped["reason"] == "stopped by the client"
    assert all(frame["type"] == "probe" for frame in frames)
    assert again["type"] == "stopped"
    assert again["step"] == stopped["step"]


def test_socket_restart_replaces_run(client):
    with client.websocket_connect(PROBE_SOCKET) as socket:
        socket.send_json(START)
        receive_until(socket, "probe")
        socket.send_json({**START, "activation": "sigmoid"})
        started, _ = receive_until(socket, "started")
        frame = socket.receive_json()

    assert started["config"]["activation"] == "sigmoid"
    assert frame["step"] == 0


def test_socket_stops_diverged_run(client):
    with client.websocket_connect(PROBE_SOCKET) as socket:
        socket.send_json({**START, "activation": "linear", "learning_rate": 10.0})
        stopped, frames = receive_until(socket, "stopped")

    assert frames[-1]["loss"] is None
    assert "lower the learning rate" in stopped["reason"]


@pytest.mark.parametrize(
    ("message", "field", "fragment"),
    [
        ({**START, "activation": "nope"}, "activation", "unknown activation"),
        ({**START, "learning_rate": -1}, "learning_rate", "[1e-05, 10]"),
        ({**START, "hidden": [20]}, "hidden", "from 1 to 8"),
        ({**START, "seed": "x"}, "seed", "seed"),
        ({**START, "colour": 1}, "colour", "colour"),
        ({**START, "steps_per_frame": 0}, "steps_per_frame", "steps_per_frame"),
        ({"type": "jump"}, "type", "expected 'start' or 'stop'"),
        ([1, 2], "type", "JSON object"),
    ],
)
def test_socket_rejects_bad_message(client, message, field, fragment):
    with client.websocket_connect(PROBE_SOCKET) as socket:
        socket.send_json(message)
        error = socket.receive_json()
        socket.send_json({"type": "stop"})
        still_open = socket.receive_json()

    assert error["type"] == "error"
    assert error["field"] == field
    assert fragment in error["message"]
    assert still_open["type"] == "stopped"


def test_socket_rejects_text_that_is_not_json(client):
    with client.websocket_connect(PROBE_SOCKET) as socket:
        socket.send_text("{start")
        error = socket.receive_json()

    assert error["type"] == "error"
    assert "not JSON" in error["message"]


def test_options_list_datasets(client):
    body = client.get("/api/probe/options").json()

    assert body["datasets"] == dataset_names()
    assert body["defaults"]["activation"] == "relu"
    assert body["frames_per_second"] > 0


# --- explorer panel ----------------------------------------------------------


@pytest.mark.browser
def test_explorer_probe_panel_updates(offline_page, live_server):
    page = offline_page.page
    page.goto(f"{live_server}/explorer?show=relu")
    page.wait_for_function("Number(document.body.dataset.revision || 0) > 0")
    panel = page.locator("#probe")
    assert page.text_content("#probe-activation") == "relu"
    page.wait_for_function("document.querySelectorAll('#probe-dataset option').length")

    page.fill("#probe-bias", "-20")
    page.click("#probe-start")
    page.wait_for_function(
        "Number(document.getElementById('probe').dataset.frames || 0) >= 3"
    )
    shares = json.loads(panel.get_attribute("data-shares"))
    bars = page.evaluate("document.getElementById('probe-shares').data[0].y.length")
    points = page.evaluate(
        "document.getElementById('probe-curve').data"
        ".filter(t => t.mode === 'markers').map(t => t.x.length)"
    )
    status = page.text_content("#probe-status")

    page.click("#probe-stop")
    page.wait_for_function(
        "document.getElementById('probe').dataset.running === 'false'"
    )

    assert len(shares) == 16
    assert shares[:8] == [0] * 8
    assert bars == 16
    assert points == [8 * 24, 8 * 24]
    assert "Training with relu" in status
    assert "Stopped at step" in page.text_content("#probe-status")
    assert page.locator("#probe-start").is_enabled()
    assert offline_page.blocked == []
    assert offline_page.errors == []


@pytest.mark.browser
def test_probe_menu_lists_elementwise(offline_page, live_server):
    page = offline_page.page
    page.goto(f"{live_server}/explorer?show=softmax,tanh")
    page.wait_for_function("Number(document.body.dataset.revision || 0) > 0")
    offered = page.locator("#probe-activation-select option").all_text_contents()
    elementwise = [s.name for s in activations.specs() if not s.vector]

    assert offered == elementwise
    assert page.text_content("#probe-activation") == "tanh"
    page.select_option("#probe-activation-select", "relu")
    assert page.text_content("#probe-activation") == "relu"
    assert offline_page.errors == []


def test_socket_rejects_binary_and_deep_json(client):
    with client.websocket_connect(PROBE_SOCKET) as socket:
        socket.send_bytes(b"\x00\x01")
        binary = socket.receive_json()
        socket.send_text("[" * 100_000 + "]" * 100_000)
        deep = socket.receive_json()
        huge = "1" * 400
        socket.send_text(
            '{"type": "start", "activation": "elu", "params": {"alpha": ' + huge + "}}"
        )
        overflow = socket.receive_json()
    assert binary["type"] == "error"
    assert "binary" in binary["message"]
    assert deep["type"] == "error"
    assert overflow["type"] == "error"
    assert overflow["field"] == "params"


def test_socket_rejects_foreign_origin(client):
    headers = {"origin": "http://elsewhere.invalid"}
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(PROBE_SOCKET, headers=headers) as socket,
    ):
        socket.receive_json()
    assert closed.value.code == 1008


def test_socket_accepts_own_origin(client):
    headers = {"origin": "http://127.0.0.1"}
    with client.websocket_connect(PROBE_SOCKET, headers=headers) as socket:
        socket.send_json({"type": "stop"})
        reply = socket.receive_json()
    assert reply["type"] != "error"
