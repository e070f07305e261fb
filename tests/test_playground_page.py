"""The playground page route through ``TestClient``: state from the URL, choices."""

from __future__ import annotations

import json
import re

import pytest

from actlab import activations, data
from actlab.playground import PlaygroundState
from actlab.web.routers.playground_page import FIELD_LABELS, field_label

CONFIG = re.compile(
    r'<script type="application/json" id="playground-config">(.*?)</script>', re.S
)
FULL_QUERY = {
    "dataset": "spiral",
    "noise": "20",
    "ratio": "70",
    "batch": "5",
    "seed": "42",
    "points": "800",
    "features": "x1,x2,sinx1",
    "hidden": "6,4,3",
    "act": "relu,tanh,elu",
    "output": "sigmoid",
    "loss": "bce",
    "opt": "adam",
    "lr": "0.003",
    "reg": "l2",
    "rate": "0.01",
    "init": "he",
    "edits": "0.1.2:0.5",
}
INVALID_VALUES = [
    ("dataset", "moons"),
    ("noise", "70"),
    ("ratio", "5"),
    ("batch", "abc"),
    ("seed", "-1"),
    ("points", "10"),
    ("features", "x3"),
    ("hidden", "4,9"),
    ("act", "nosuch"),
    ("output", "nosuch"),
    ("loss", "hinge"),
    ("opt", "rmsprop"),
    ("lr", "0"),
    ("lr", "11"),
    ("reg", "l3"),
    ("rate", "-0.1"),
    ("init", "zeros"),
    ("edits", "0.1:2"),
    ("colour", "red"),
]


def page_config(html: str) -> dict:
    """The JSON that the page hands to its script."""
    match = CONFIG.search(html)
    assert match is not None, "the page has no playground-config script"
    return json.loads(match.group(1))


def select_options(html: str, field: str) -> list[str]:
    """The option values of the select whose ``data-field`` is ``field``."""
    match = re.search(rf'<select data-field="{field}"[^>]*>(.*?)</select>', html, re.S)
    assert match is not None, f"no select for {field}"
    return re.findall(r'<option value="([^"]*)"', match.group(1))


def selected_option(html: str, field: str) -> str | None:
    match = re.search(rf'<select data-field="{field}"[^>]*>(.*?)</select>', html, re.S)
    assert match is not None, f"no select for {field}"
    chosen = re.search(r'<option value="([^"]*)" selected>', match.group(1))
    return chosen.group(1) if chosen else None


def test_page_renders_defaults(client):
    response = client.get("/playground")
    assert response.status_code == 200
    config = page_config(response.text)
    assert config["state"] == PlaygroundState().to_query()
    assert config["messages"] == []
    assert 'id="url-messages" class="messages" role="alert" hidden' in response.text


def test_page_linked_from_header(client):
    html = client.get("/explorer").text
    assert '<a href="/playground">Playground</a>' in html


def test_page_renders_full_query(client):
    response = client.get("/playground", params=FULL_QUERY)
    assert response.status_code == 200
    config = page_config(response.text)
    assert config["messages"] == []
    assert config["state"] == PlaygroundState.from_query(FULL_QUERY).to_query()
    assert config["state"]["act"] == "relu,tanh,elu"
    assert config["state"]["edits"] == "0.1.2:0.5"


def test_full_query_selects_controls(client):
    html = client.get("/playground", params=FULL_QUERY).text
    state = page_config(html)["state"]
    for field in ("opt", "reg", "init", "output", "loss", "lr", "rate"):
        assert selected_option(html, field) == state[field], field
    checked = re.findall(r'value="(\w+)" checked>', html)
    assert checked == ["spiral"]


def test_learning_rate_off_the_list_is_kept(client):
    html = client.get("/playground", params={"lr": "0.05"}).text
    assert page_config(html)["state"]["lr"] == "0.05"
    assert selected_option(html, "lr") == "0.05"


@pytest.mark.parametrize(("field", "value"), INVALID_VALUES)
def test_invalid_value_shows_message(client, field, value):
    other = "noise" if field != "noise" else "ratio"
    response = client.get("/playground", params={field: value, other: "30"})
    assert response.status_code == 200
    config = page_config(response.text)
    fields = [message["field"] for message in config["messages"]]
    assert fields == [field]
    label = field_label(field)
    assert f'<li data-field="{field}"><strong>{label}</strong>' in response.text
    defaults = PlaygroundState().to_query()
    assert config["state"].get(field) == defaults.get(field)
    assert config["state"][other] == "30"


def test_conflicting_values_name_the_field(client):
    response = client.get("/playground", params={"dataset": "plane", "loss": "bce"})
    assert response.status_code == 200
    config = page_config(response.text)
    assert [m["field"] for m in config["messages"]] == ["loss"]
    assert config["state"]["dataset"] == "plane"
    assert config["state"]["loss"] == "auto"


def test_several_invalid_values_all_shown(client):
    query = {"lr": "abc", "hidden": "4,2,9", "act": "nosuch"}
    config = page_config(client.get("/playground", params=query).text)
    assert sorted(m["field"] for m in config["messages"]) == ["act", "hidden", "lr"]


def test_activation_menus_from_registry(client):
    html = client.get("/playground").text
    elementwise = [spec.name for spec in activations.specs() if not spec.vector]
    assert select_options(html, "act-all") == elementwise
    assert page_config(html)["activations"] == elementwise
    assert "softmax" not in select_options(html, "act-all")


def test_output_menu_lists_every_entry(client):
    options = select_options(client.get("/playground").text, "output")
    assert options == ["auto", *activations.names()]


def test_datasets_from_data_module(client):
    html = client.get("/playground").text
    radios = re.findall(r'data-field="dataset" value="(\w+)"', html)
    assert sorted(radios[:-1]) == sorted(data.names("playground"))
    assert radios[-1] == "csv"


def test_feature_toggles_listed(client):
    features = page_config(client.get("/playground").text)["features"]
    keys = [key for key, _ in features]
    assert keys == ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"]


def test_field_labels_cover_every_state_key():
    keys = set(PlaygroundState().to_query()) | {"edits"}
    assert keys <= set(FIELD_LABELS)


def test_page_config_sends_field_labels(client):
    config = page_config(client.get("/playground").text)
    assert config["field_labels"]["text"] == "CSV file"
    assert config["field_labels"]["from"] == "Weight edit"
    assert config["idle_seconds"] > 0
