"""The web lab's JSON API and pages, through FastAPI's ``TestClient``."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
from importlib import resources

import httpx
import numpy as np
import pytest

import actlab
from actlab import activations
from actlab.activations import _registry
from actlab.web import Settings, curves
from actlab.web.explorer import read_state
from actlab.web.routers.activations import CURVE_FIELDS, POINT_FIELDS
from actlab.web.schemas import clamp_slider

NAMES = activations.names()
SPECS = {spec.name: spec for spec in activations.specs()}
WITH_PARAMETERS = [spec.name for spec in activations.specs() if spec.parameters]
# A vector entry's parameters may only lay out the vector (softmax's axis), so
# they need not change the one-dimensional view.
ELEMENTWISE_WITH_PARAMETERS = [n for n in WITH_PARAMETERS if not SPECS[n].vector]
VECTOR_PARAMETERS = [
    (spec.name, parameter.name)
    for spec in activations.specs()
    if spec.vector
    for parameter in spec.parameters
]
ALIASES = [(alias, spec.name) for spec in activations.specs() for alias in spec.aliases]


def registry_view(name: str, z: np.ndarray, **params) -> tuple[np.ndarray, np.ndarray]:
    """g and g' as the API documents its view: elementwise, or the first
    component of g([z, 0]) for each z for an activation that acts on a vector."""
    act = activations.get(name, **params)
    if not act.spec.vector:
        return np.asarray(act(z)), np.asarray(act.derivative(z))
    pairs = [np.array([x, 0.0]) for x in z]
    value = np.array([act(pair)[0] for pair in pairs])
    derivative = np.array([act.derivative(pair)[0] for pair in pairs])
    return value, derivative


def as_array(values: list[float | None]) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


def finite_or_nan(array: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(array), array, math.nan)


def other_value(parameter: activations.Parameter) -> float | int | str:
    """A valid value of ``parameter`` that differs from its default."""
    if parameter.choices:
        return next(c for c in parameter.choices if c != parameter.default)
    low, high = clamp_slider(parameter)
    far = high if abs(high - parameter.default) >= abs(low - parameter.default) else low
    return int(far) if parameter.integer else far


# --- health and catalog --------------------------------------------------------


def test_healthz_reports_version(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": actlab.__version__}


def test_catalog_lists_every_entry(client):
    body = client.get("/api/activations").json()

    assert [entry["name"] for entry in body["activations"]] == NAMES
    assert body["roles"] == [role.value for role in activations.Role]


@pytest.mark.parametrize("name", NAMES)
def test_catalog_metadata_matches_registry(client, name):
    body = client.get("/api/activations").json()
    entry = next(e for e in body["activations"] if e["name"] == name)
    spec = SPECS[name]

    assert entry["aliases"] == list(spec.aliases)
    assert entry["formula"] == spec.formula
    assert entry["derivative_formula"] == spec.derivative_formula
    assert entry["description"] == spec.description
    assert set(entry["roles"]) == {role.value for role in spec.roles}
    assert entry["output_range"]["text"] == spec.range_text
    assert entry["kinks"] == list(spec.kinks)
    assert entry["kink_derivatives"] == spec.kink_derivatives
    assert entry["flat_regions"] == spec.flat_regions
    assert entry["dead_region"] == spec.dead_region
    assert entry["initialiser"] == spec.initialiser
    for key in ("monotonic", "smooth", "zero_centred", "saturates", "can_die"):
        assert entry["properties"][key] == getattr(spec, key), key
    assert entry["properties"]["bounded_below"] == spec.bounded_below
    assert entry["properties"]["bounded_above"] == spec.bounded_above
    assert entry["properties"]["vector"] == spec.vector


@pytest.mark.parametrize("name", NAMES)
def test_catalog_output_range_bounds(client, name):
    entry = client.get(f"/api/activations/{name}").json()
    low, high = SPECS[name].output_range

    assert entry["output_range"]["low"] == (low if math.isfinite(low) else None)
    assert entry["output_range"]["high"] == (high if math.isfinite(high) else None)


@pytest.mark.parametrize("name", WITH_PARAMETERS)
def test_catalog_parameters_match_registry(client, name):
    entry = client.get(f"/api/activations/{name}").json()
    spec = SPECS[name]

    assert [p["name"] for p in entry["parameters"]] == [p.name for p in spec.parameters]
    for served, parameter in zip(entry["parameters"], spec.parameters, strict=True):
        assert served["default"] == parameter.default
        assert served["low"] == parameter.low
        assert served["high"] == parameter.high
        assert served["choices"] == list(parameter.choices)
        assert served["description"] == parameter.description
        low, high = served["slider"]
        assert parameter.contains(low)
        assert parameter.contains(high)
        assert low < high


@pytest.mark.parametrize(("alias", "name"), ALIASES)
def test_entry_found_by_alias(client, alias, name):
    response = client.get(f"/api/activations/{alias}")

    assert response.status_code == 200
    assert response.json()["name"] == name


@pytest.mark.parametrize("suffix", ["", "/curve", "/point?z=0"])
def test_unknown_entry_is_404_listing_names(client, suffix):
    response = client.get(f"/api/activations/not-an-activation{suffix}")

    assert response.status_code == 404
    body = response.json()
    assert body["field"] == "name"
    assert "not-an-activation" in body["detail"]
    for name in NAMES:
        assert name in body["detail"]


def test_reserved_query_fields_are_no_parameter_names():
    reserved = CURVE_FIELDS | POINT_FIELDS
    for spec in activations.specs():
        for parameter in spec.parameters:
            assert parameter.name not in reserved, (spec.name, parameter.name)


# --- curves and points -----------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_curve_matches_registry(client, name):
    query = {"start": -5, "stop": 4, "points": 181}
    body = client.get(f"/api/activations/{name}/curve", params=query).json()
    z = np.linspace(-5, 4, 181)
    value, derivative = registry_view(name, z)

    np.testing.assert_array_equal(body["z"], z)
    np.testing.assert_array_equal(as_array(body["value"]), finite_or_nan(value))
    np.testing.assert_array_equal(
        as_array(body["derivative"]), finite_or_nan(derivative)
    )
    assert body["params"] == SPECS[name].defaults()


def test_curve_default_sampling(client):
    body = client.get(f"/api/activations/{NAMES[0]}/curve").json()

    assert len(body["z"]) == curves.DEFAULT_POINTS
    assert body["z"][0] == curves.DEFAULT_START
    assert body["z"][-1] == curves.DEFAULT_STOP


@pytest.mark.parametrize("name", NAMES)
def test_point_matches_registry(client, name):
    for z in (-2.5, 0.0, 1.75, *SPECS[name].kinks):
        body = client.get(f"/api/activations/{name}/point", params={"z": z}).json()
        value, derivative = registry_view(name, np.array([z]))

        assert body["z"] == z
        assert body["value"] == float(value[0]), z
        assert body["derivative"] == float(derivative[0]), z


@pytest.mark.parametrize("name", ELEMENTWISE_WITH_PARAMETERS)
def test_parameter_changes_curve(client, name):
    parameter = SPECS[name].parameters[0]
    value = other_value(parameter)
    url = f"/api/activations/{name}/curve"
    default = client.get(url).json()
    changed = client.get(url, params={parameter.name: value}).json()
    z = np.asarray(changed["z"])
    expected_value, expected_derivative = registry_view(
        name, z, **{parameter.name: value}
    )

    assert changed["params"][parameter.name] == value
    assert changed["value"] != default["value"] or (
        changed["derivative"] != default["derivative"]
    )
    np.testing.assert_array_equal(
        as_array(changed["value"]), finite_or_nan(expected_value)
    )
    np.testing.assert_array_equal(
        as_array(changed["derivative"]), finite_or_nan(expected_derivative)
    )


@pytest.mark.parametrize("name", ELEMENTWISE_WITH_PARAMETERS)
def test_parameter_changes_point(client, name):
    parameter = SPECS[name].parameters[0]
    value = other_value(parameter)
    query = {"z": -1.5, parameter.name: value}
    body = client.get(f"/api/activations/{name}/point", params=query).json()
    expected_value, expected_derivative = registry_view(
        name, np.array([-1.5]), **{parameter.name: value}
    )

    assert body["value"] == float(expected_value[0])
    assert body["derivative"] == float(expected_derivative[0])


@pytest.mark.parametrize(("name", "parameter_name"), VECTOR_PARAMETERS)
def test_vector_parameter_view_or_422(client, name, parameter_name):
    parameter = next(p for p in SPECS[name].parameters if p.name == parameter_name)
    low, high = clamp_slider(parameter)
    for value in {low, (low + high) / 2, high}:
        value = round(value) if parameter.integer else value
        query = {"points": 9, parameter_name: value}
        response = client.get(f"/api/activations/{name}/curve", params=query)
        if response.status_code == 422:
            assert response.json()["field"] == parameter_name
            assert parameter_name in response.json()["detail"]
            continue
        body = response.json()
        expected = registry_view(name, np.asarray(body["z"]), **{parameter_name: value})

        assert response.status_code == 200
        np.testing.assert_array_equal(as_array(body["value"]), expected[0])
        np.testing.assert_array_equal(as_array(body["derivative"]), expected[1])


def test_non_finite_numbers_become_null():
    numbers = curves.to_json_numbers(np.array([1.5, math.inf, -math.inf, math.nan]))

    assert numbers == [1.5, None, None, None]


# --- rejected requests ---------------------------------------------------------

FIRST = NAMES[0]
CURVE = f"/api/activations/{FIRST}/curve"
POINT = f"/api/activations/{FIRST}/point"
BAD_SAMPLING = [
    (CURVE, "points=1", "points", "[2, 5001]"),
    (CURVE, "points=5002", "points", "[2, 5001]"),
    (CURVE, "points=abc", "points", "[2, 5001]"),
    (CURVE, "points=2.5", "points", "[2, 5001]"),
    (CURVE, "points=", "points", "[2, 5001]"),
    (CURVE, "start=abc", "start", "finite number"),
    (CURVE, "start=nan", "start", "finite number"),
    (CURVE, "start=inf", "start", "finite number"),
    (CURVE, "stop=-inf", "stop", "finite number"),
    (CURVE, "start=-1e7", "start", "[-1e+06, 1e+06]"),
    (CURVE, "start=1&stop=1", "stop", "greater than start"),
    (CURVE, "start=2&stop=-2", "stop", "greater than start"),
    (CURVE, "start=1&start=2", "start", "given 2 times"),
    (CURVE, "not_a_parameter=1", "not_a_parameter", "unknown parameter"),
    (POINT, "", "z", "missing"),
    (POINT, "z=abc", "z", "finite number"),
    (POINT, "z=inf", "z", "finite number"),
    (POINT, "z=1e400", "z", "finite number"),
    (POINT, "z=0&not_a_parameter=1", "not_a_parameter", "unknown parameter"),
]


def bad_parameter_cases() -> list[tuple[str, str, str, str]]:
    """Invalid values for the first parameter of each entry that has one."""
    cases = []
    for name in WITH_PARAMETERS:
        parameter = SPECS[name].parameters[0]
        url = f"/api/activations/{name}/curve"
        if parameter.choices:
            cases.append((url, f"{parameter.name}=bogus", parameter.name, "choose one"))
            continue
        for text in ("abc", "nan", "inf", "", "1e999"):
            cases.append((url, f"{parameter.name}={text}", parameter.name, name))
        if parameter.high is not None:
            above = f"{parameter.name}={parameter.high + 1}"
            cases.append((url, above, parameter.name, parameter.range_text()))
        if parameter.low is not None:
            below = f"{parameter.name}={parameter.low - 1}"
            cases.append((url, below, parameter.name, parameter.range_text()))
    return cases


@pytest.mark.parametrize(
    ("url", "query", "field", "fragment"), BAD_SAMPLING + bad_parameter_cases()
)
def test_bad_request_is_422_naming_field(client, url, query, field, fragment):
    response = client.get(f"{url}?{query}")

    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field
    assert field in body["detail"]
    assert fragment in body["detail"]
    assert body["errors"][0]["message"] == body["detail"]


ODD_TEXTS = [
    *("", " ", "1e999", "-0", "0x10", "1_0", "\u0661", "None", "[]", "%00"),
    "é" * 50,
]


@pytest.mark.parametrize("name", NAMES)
def test_odd_values_never_500(client, name):
    fields = ["start", "stop", "points", *(p.name for p in SPECS[name].parameters)]
    for field in fields:
        for text in ODD_TEXTS:
            response = client.get(
                f"/api/activations/{name}/curve", params={field: text}
            )
            assert response.status_code in (200, 422), (field, text, response.text)
            assert response.json()


def test_wide_range_stays_finite_json(client):
    query = {"start": -curves.Z_LIMIT, "stop": curves.Z_LIMIT, "points": 5001}
    for name in NAMES:
        response = client.get(f"/api/activations/{name}/curve", params=query)
        assert response.status_code == 200, name
        assert len(response.json()["value"]) == 5001


# --- pages -------------------------------------------------------------------


def test_root_opens_the_lesson(client):
    response = client.get("/")

    assert response.status_code == 200
    assert 'class="lesson' in response.text
    assert response.text == client.get("/lesson").text


def test_explorer_page_offers_every_entry(client):
    response = client.get("/explorer")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for name in NAMES:
        assert f'<input type="checkbox" name="show" value="{name}"' in response.text
        assert f'<article class="entry" data-entry="{name}"' in response.text


def test_explorer_page_uses_only_local_urls(client):
    html = client.get("/explorer").text
    urls = re.findall(r'(?:src|href)="([^"]*)"', html)

    assert urls
    for url in urls:
        assert url.startswith(("/", "data:")), url


def test_explorer_escapes_registry_text(client, monkeypatch):
    probe = dataclasses.replace(
        activations.specs()[0],
        name="escape_probe",
        aliases=(),
        description='<script>alert("x")</script> & more',
    )
    monkeypatch.setitem(_registry._SPECS, probe.name, probe)
    html = client.get("/explorer").text

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in html


def test_explorer_shows_url_messages(client):
    html = client.get("/explorer?show=not-an-activation&z=abc").text

    assert "unknown activation &#39;not-an-activation&#39;" in html
    assert "invalid z=&#39;abc&#39;" in html


def test_plotly_served_from_package(client):
    response = client.get("/vendor/plotly.min.js")
    installed = resources.files("plotly") / "package_data" / "plotly.min.js"

    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert response.content == installed.read_bytes()


@pytest.mark.parametrize("asset", ["style.css", "explorer.js"])
def test_static_assets_served(client, asset):
    response = client.get(f"/static/{asset}")

    assert response.status_code == 200
    assert response.text


@pytest.mark.parametrize("name", NAMES)
def test_formula_images_drawn(client, name):
    for part in ("value", "derivative"):
        response = client.get(f"/formulas/{name}/{part}.svg")
        assert response.status_code == 200, part
        assert response.headers["content-type"] == "image/svg+xml"
        assert response.text.lstrip().startswith("<?xml")


def test_formula_image_rejects_unknown_part(client):
    response = client.get(f"/formulas/{FIRST}/other.svg")

    assert response.status_code == 422
    assert response.json()["field"] == "part"


# --- the explorer's URL state ----------------------------------------------------


def test_state_defaults_without_query():
    state = read_state([])

    assert state.selected == NAMES[:3]
    assert (state.start, state.stop, state.z) == (-6.0, 6.0, 0.0)
    assert state.messages == []


def test_state_keeps_valid_fields():
    name = NAMES[-1]
    state = read_state([("show", f"{name},{NAMES[0]}"), ("start", "-2"), ("stop", "3")])

    assert state.selected == [name, NAMES[0]]
    assert (state.start, state.stop) == (-2.0, 3.0)
    assert state.messages == []


@pytest.mark.parametrize(("alias", "name"), ALIASES)
def test_state_resolves_alias(alias, name):
    assert read_state([("show", alias)]).selected == [name]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ([("show", "not-an-activation")], "unknown activation"),
        ([("start", "4"), ("stop", "1")], "greater than start"),
        ([("z", "nan")], "invalid z"),
        ([("z", "100")], "plotted range"),
        ([("colour", "red")], "unknown URL field"),
        ([(f"{FIRST}.not_a_parameter", "1")], "unknown parameter"),
    ],
)
def test_state_drops_invalid_field(query, fragment):
    state = read_state(query)

    assert len(state.messages) == 1
    assert fragment in state.messages[0]
    assert (state.start, state.stop, state.z) == (-6.0, 6.0, 0.0)


@pytest.mark.parametrize("name", WITH_PARAMETERS)
def test_state_reads_parameter(name):
    parameter = SPECS[name].parameters[0]
    value = other_value(parameter)
    state = read_state([("show", name), (f"{name}.{parameter.name}", str(value))])

    assert state.params == {name: {parameter.name: value}}
    assert state.messages == []


# --- settings ------------------------------------------------------------------


def test_settings_from_env(monkeypatch):
    monkeypatch.setenv("ACTLAB_HOST", "127.0.0.2")
    monkeypatch.setenv("ACTLAB_PORT", "9001")
    monkeypatch.setenv("ACTLAB_LOG_LEVEL", "DEBUG")
    settings = Settings.from_env()

    assert settings.host == "127.0.0.2"
    assert settings.port == 9001
    assert settings.log_level == "debug"


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"port": 70000}, "invalid port 70000"),
        ({"log_level": "loud"}, "invalid log level 'loud'"),
        ({"explorer_points": 1}, "invalid explorer_points 1"),
    ],
)
def test_settings_reject_invalid(fields, fragment):
    with pytest.raises(ValueError, match=fragment):
        Settings(**fields)


def test_settings_reject_bad_port_env(monkeypatch):
    monkeypatch.setenv("ACTLAB_PORT", "eighty")

    with pytest.raises(ValueError, match="invalid ACTLAB_PORT='eighty'"):
        Settings.from_env()


# --- serve -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_logs_start_and_stop(stop_signal):
    port = free_port()
    code = f"from actlab.web import serve; serve(port={port})"
    env = {**os.environ, "ACTLAB_LOG_LEVEL": "info"}
    process = subprocess.Popen(
        [sys.executable, "-c", code], stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
    finally:
        process.send_signal(stop_signal)
        _, stderr = process.communicate(timeout=30)

    assert health == {"status": "ok", "version": actlab.__version__}
    assert process.returncode == 0, stderr
    assert f"actlab.web: starting the web lab on http://127.0.0.1:{port}" in stderr
    assert f"actlab.web: stopped the web lab on http://127.0.0.1:{port}" in stderr


def wait_for_health(url: str, process: subprocess.Popen) -> dict:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"serve exited early with {process.returncode}")
        try:
            return httpx.get(url, timeout=1).json()
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"serve did not answer {url} within 15 seconds")


def plotted_bound(spec: activations.Spec) -> float:
    return spec.extra.get("max_diagonal_derivative", spec.max_derivative)


BOUNDED_SLOPE = [n for n in NAMES if math.isfinite(plotted_bound(SPECS[n]))]


@pytest.mark.parametrize("name", BOUNDED_SLOPE)
def test_plotted_max_derivative_matches_curve(client, name):
    params = {"start": -30, "stop": 30, "points": 5001}
    curve = client.get(f"/api/activations/{name}/curve", params=params).json()
    bound = curve["facts"]["max_plotted_derivative"]
    slopes = [abs(d) for d in curve["derivative"] if d is not None]

    assert bound == plotted_bound(SPECS[name])
    assert max(slopes) <= bound * (1 + 1e-12)
    assert max(slopes) >= bound * 0.99


def test_explorer_lists_log_sigmoid_as_other(client):
    html = client.get("/explorer").text
    other = html.split("<legend>Other</legend>")[1].split("</fieldset>")[0]

    assert 'value="log_sigmoid"' in other


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/drills/answer", {"template": "value-at-z", "seed": 1, "answer": 1}),
        ("/api/ordering/layer-forward/answer", {"order": ["a"]}),
        (
            "/api/scenarios/linear-probability/choose",
            {"diagnosis": "output-range", "remedy": "sigmoid-bce"},
        ),
        ("/api/scenarios/linear-probability/trigger", {"seed": 0}),
        ("/api/drills/new", {"kind": "numeric"}),
        ("/api/experiments/cost/runs", {"quick": True}),
    ],
)
def test_misspelt_field_is_422_unstored(client, path, body):
    # "actionId" for "action_id" would let a resent answer count twice.
    response = client.post(path, json={**body, "actionId": "retry-1"})

    assert response.status_code == 422
    assert "actionId" in response.text
    assert client.app.state.store.attempts() == []
