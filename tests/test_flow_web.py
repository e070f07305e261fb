"""The architecture-flow page and its JSON API, in-process and in chromium."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page

from actlab import flow
from actlab.web.routers.flow import read_state
from actlab.web.templating import NAVIGATION

UNIT_NAMES = [*flow.HIDDEN_UNITS, flow.OUTPUT_UNIT]


# --- API ---------------------------------------------------------------------


def test_api_defaults_match_computation(client):
    body = client.get("/api/flow").json()
    expected = flow.evaluate()

    assert [u["name"] for u in body["hidden"]] == list(flow.HIDDEN_UNITS)
    for shown, computed in zip(body["hidden"], expected.hidden, strict=True):
        assert shown["z"] == computed.z
        assert shown["a"] == computed.a
        assert shown["activation"] == computed.activation
    assert body["output"]["a"] == expected.output.a
    assert body["collapse"] is None
    assert body["state"]["linear"] is False


def test_api_reads_inputs_and_activations(client):
    query = {"marketing_spend": "120", "awareness_act": "sigmoid", "price": "55.5"}
    body = client.get("/api/flow", params=query).json()
    expected = flow.evaluate(
        {"marketing_spend": 120.0, "price": 55.5}, {"awareness": "sigmoid"}
    )

    assert body["state"]["inputs"]["price"] == 55.5
    assert body["hidden"][1]["activation"] == "sigmoid"
    assert body["hidden"][1]["a"] == expected.hidden[1].a
    assert body["hidden"][1]["upper_bound"] == 1.0
    assert body["output"]["z"] == expected.output.z


def test_api_flags_output_outside_unit_interval(client):
    query = {"marketing_spend": "200", "top_seller_act": "relu"}
    body = client.get("/api/flow", params=query).json()

    assert body["output"]["a"] > 1
    assert body["output_outside_probability"] is True


def test_api_linear_returns_collapse(client):
    body = client.get("/api/flow", params={"linear": "true"}).json()
    collapse = body["collapse"]

    assert all(u["activation"] == "linear" for u in body["hidden"])
    assert collapse["W1"] == flow.W1.tolist()
    assert collapse["W"] == (flow.W1 @ flow.W2).tolist()
    assert collapse["same_output"] is True
    assert collapse["two_layer_output"] == pytest.approx(body["output"]["a"])


@pytest.mark.parametrize(
    ("query", "field", "fragment"),
    [
        ("price=300", "price", "expected a number in [5, 250]"),
        ("shipping_cost=abc", "shipping_cost", "[1, 40]"),
        ("marketing_spend=nan", "marketing_spend", "[0.1, 200]"),
        ("material_quality=0", "material_quality", "[1, 10]"),
        ("awareness_act=softmax", "awareness_act", "choose one of"),
        ("top_seller_act=nope", "top_seller_act", "'nope'"),
        ("linear=maybe", "linear", "expected true or false"),
        ("colour=red", "colour", "unknown query field"),
        ("price=10&price=20", "price", "more than once"),
    ],
)
def test_api_bad_value_is_422_naming_field(client, query, field, fragment):
    response = client.get(f"/api/flow?{query}")
    body = response.json()

    assert response.status_code == 422
    assert body["field"] == field
    assert fragment in body["detail"]


def test_state_drops_invalid_fields_with_messages():
    messages: list[str] = []
    state = read_state([("price", "999"), ("awareness_act", "tanh")], messages)

    assert state.inputs["price"] == flow.INPUTS[0].default
    assert state.activations["awareness"] == "tanh"
    assert len(messages) == 1
    assert "invalid price='999'" in messages[0]


def test_page_offers_every_choice(client):
    html = client.get("/flow").text

    for unit in UNIT_NAMES:
        assert f'data-unit="{unit}"' in html
    for spec in flow.INPUTS:
        assert f'data-input="{spec.name}"' in html
    for name in flow.activation_choices():
        assert f'<option value="{name}"' in html
    assert 'value="softmax"' not in html


def test_page_uses_only_local_urls(client):
    html = client.get("/flow").text
    urls = re.findall(r'(?:src|href)="([^"]*)"', html)

    assert urls
    for url in urls:
        assert url.startswith(("/", "data:")), url


def test_page_shows_url_messages(client):
    html = client.get("/flow?price=abc&linear=true").text

    assert "invalid price=&#39;abc&#39;" in html
    assert 'id="linear" checked' in html


def test_navigation_links_flow(client):
    assert ("Flow", "/flow") in NAVIGATION
    assert 'href="/flow"' in client.get("/explorer").text


@pytest.mark.parametrize("asset", ["flow.js", "flow.css"])
def test_flow_assets_served(client, asset):
    response = client.get(f"/static/{asset}")

    assert response.status_code == 200
    assert response.text


# --- browser -----------------------------------------------------------------


def revision(page: Page) -> int:
    return int(page.evaluate("Number(document.body.dataset.revision || 0)"))


def wait_after(page: Page, old: int) -> None:
    page.wait_for_function(
        "old => Number(document.body.dataset.revision || 0) > old", arg=old
    )


def open_flow(page: Page, url: str) -> None:
    page.goto(url)
    wait_after(page, 0)


def shown_values(page: Page) -> dict[str, tuple[float, float]]:
    """The exact z and a drawn in each unit's node."""
    pairs = page.evaluate(
        """names => names.map(name => {
            const node = document.querySelector(`#diagram [data-node="${name}"]`);
            return [name, ["z", "a"].map(
                f => node.querySelector(`[data-field="${f}"]`).dataset.exact)];
        })""",
        UNIT_NAMES,
    )
    return {name: (float(z), float(a)) for name, (z, a) in pairs}


def api(base: str, **params) -> dict:
    response = httpx.get(f"{base}/api/flow", params=params, timeout=10)
    response.raise_for_status()
    return response.json()


def set_slider(page: Page, name: str, value: float) -> None:
    old = revision(page)
    page.eval_on_selector(
        f'[data-slider-for="input-{name}"]',
        """(slider, value) => {
            slider.value = String(value);
            slider.dispatchEvent(new Event("input", { bubbles: true }));
        }""",
        value,
    )
    wait_after(page, old)


def choose(page: Page, unit: str, activation: str) -> None:
    old = revision(page)
    page.select_option(f"#act-{unit}", activation)
    wait_after(page, old)


@pytest.mark.browser
def test_slider_updates_every_unit(offline_page, live_server):
    page = offline_page.page
    open_flow(page, f"{live_server}/flow")
    before = shown_values(page)

    set_slider(page, "price", 120)
    after = shown_values(page)
    expected = api(live_server, price=120)

    for unit in [*expected["hidden"], expected["output"]]:
        assert after[unit["name"]] == (unit["z"], unit["a"])
    assert after["affordability"] != before["affordability"]
    assert after["perceived_quality"] != before["perceived_quality"]
    assert after["top_seller"] != before["top_seller"]
    assert page.input_value("#input-price") == "120"
    assert offline_page.blocked == []
    assert offline_page.errors == []


@pytest.mark.browser
def test_sigmoid_awareness_shows_cap(offline_page, live_server):
    page = offline_page.page
    open_flow(page, f"{live_server}/flow")
    set_slider(page, "marketing_spend", 150)
    awareness = page.locator('#diagram [data-node="awareness"]')
    relu_a = shown_values(page)["awareness"][1]

    choose(page, "awareness", "sigmoid")
    sigmoid_a = shown_values(page)["awareness"][1]

    assert relu_a > 1
    assert sigmoid_a <= 1
    assert "capped" in (awareness.get_attribute("class") or "")
    assert "capped at 1" in awareness.locator('[data-field="gauge"]').text_content()


@pytest.mark.browser
def test_relu_output_flagged_red(offline_page, live_server):
    page = offline_page.page
    open_flow(page, f"{live_server}/flow?marketing_spend=200")
    warning = page.locator("#output-warning")
    assert warning.is_hidden()

    choose(page, "top_seller", "relu")
    output = page.locator('#diagram [data-node="top_seller"]')

    assert warning.is_visible()
    assert "bad" in (output.get_attribute("class") or "")
    assert "outside [0, 1]" in warning.text_content()


@pytest.mark.browser
def test_linear_switch_shows_collapse(offline_page, live_server):
    page = offline_page.page
    open_flow(page, f"{live_server}/flow")
    assert page.locator("#collapse").is_hidden()

    old = revision(page)
    page.check("#linear")
    wait_after(page, old)
    product = page.eval_on_selector_all(
        "#m-W td", "cells => cells.map(c => Number(c.dataset.exact))"
    )
    expected = [*(flow.W1 @ flow.W2)[:, 0], *(flow.B1 @ flow.W2 + flow.B2)]

    assert page.locator("#collapse").is_visible()
    assert product == pytest.approx(expected)
    assert page.get_attribute("#collapse-proof", "data-same") == "true"
    assert "the same output" in page.text_content("#collapse-proof")
    assert page.locator("#act-awareness").is_disabled()
    assert shown_values(page)["awareness"][1] == shown_values(page)["awareness"][0]


@pytest.mark.browser
def test_link_reproduces_state(offline_page, live_server):
    page = offline_page.page
    open_flow(page, f"{live_server}/flow")
    set_slider(page, "material_quality", 8.5)
    choose(page, "awareness", "tanh")
    values = shown_values(page)
    link = page.url

    page.goto("about:blank")
    open_flow(page, link)

    assert "material_quality=8.5" in link
    assert "awareness_act=tanh" in link
    assert page.input_value("#act-awareness") == "tanh"
    assert page.input_value("#input-material_quality") == "8.5"
    assert shown_values(page) == values


@pytest.mark.browser
def test_invalid_url_value_shows_message(offline_page, live_server):
    page = offline_page.page
    open_flow(page, f"{live_server}/flow?price=999&top_seller_act=bogus")
    text = page.text_content("#messages")

    assert page.locator("#messages").is_visible()
    assert "invalid price='999'" in text
    assert "[5, 250]" in text
    assert "'bogus'" in text
    assert shown_values(page)["top_seller"] == tuple(
        api(live_server)["output"][key] for key in ("z", "a")
    )


@pytest.mark.browser
def test_sigmoid_far_from_cap_shows_range(offline_page, live_server):
    page = offline_page.page
    open_flow(page, f"{live_server}/flow")
    set_slider(page, "marketing_spend", 0)
    choose(page, "awareness", "sigmoid")
    awareness = page.locator('#diagram [data-node="awareness"]')
    sigmoid_a = shown_values(page)["awareness"][1]
    gauge = awareness.locator('[data-field="gauge"]').text_content()

    assert sigmoid_a < 0.95
    assert "capped" not in (awareness.get_attribute("class") or "")
    assert "capped" not in gauge
    assert "range (0, 1)" in gauge


def type_input(page: Page, name: str, text: str) -> None:
    old = revision(page)
    page.fill(f"#input-{name}", text)
    page.press(f"#input-{name}", "Enter")
    wait_after(page, old)


def matches_api(page: Page, base: str, **params) -> None:
    expected = api(base, **params)
    drawn = shown_values(page)
    for unit in [*expected["hidden"], expected["output"]]:
        assert drawn[unit["name"]] == (unit["z"], unit["a"]), unit["name"]


@pytest.mark.browser
def test_invalid_input_keeps_page_working(offline_page, live_server):
    page = offline_page.page
    open_flow(page, f"{live_server}/flow?marketing_spend=120")
    error = page.locator("#error-marketing_spend")
    spend = '#diagram [data-node="marketing_spend"] [data-field="value"]'

    type_input(page, "marketing_spend", "999")
    assert error.is_visible()
    assert "invalid marketing_spend='999'" in error.text_content()
    assert "[0.1, 200]" in error.text_content()
    assert "last valid value, 120" in error.text_content()
    assert page.get_attribute("#input-marketing_spend", "aria-invalid") == "true"
    assert page.text_content(spend) == "120 (last valid)"
    assert page.input_value('[data-slider-for="input-marketing_spend"]') == "120"
    matches_api(page, live_server, marketing_spend=120)

    choose(page, "awareness", "tanh")
    awareness = '#diagram [data-node="awareness"] [data-field="activation"]'
    assert page.text_content(awareness) == "g: tanh"
    matches_api(page, live_server, marketing_spend=120, awareness_act="tanh")

    old = revision(page)
    page.check("#linear")
    wait_after(page, old)
    assert page.text_content(awareness) == "g: linear"
    assert page.locator("#collapse").is_visible()
    matches_api(page, live_server, marketing_spend=120, linear="true")
    assert "999" not in page.url
    assert "marketing_spend=120" in page.url
    assert error.is_visible()

    type_input(page, "marketing_spend", "150")
    assert error.is_hidden()
    assert page.get_attribute("#input-marketing_spend", "aria-invalid") is None
    assert page.text_content(spend) == "150"
    matches_api(page, live_server, marketing_spend=150, linear="true")
    assert "marketing_spend=150" in page.url
    assert page.locator("#messages").is_hidden()
    assert offline_page.errors == []


@pytest.mark.browser
def test_two_invalid_inputs_each_keep_error(offline_page, live_server):
    page = offline_page.page
    open_flow(page, f"{live_server}/flow")
    type_input(page, "price", "")
    type_input(page, "material_quality", "11")

    assert page.locator("#error-price").is_visible()
    assert page.locator("#error-material_quality").is_visible()
    assert page.locator("#error-shipping_cost").is_hidden()
    matches_api(page, live_server)

    set_slider(page, "shipping_cost", 20)
    assert page.locator("#error-price").is_visible()
    matches_api(page, live_server, shipping_cost=20)
    assert offline_page.errors == []


def test_page_has_gauge_legend(client):
    html = client.get("/flow").text
    legend = html[html.index('id="gauge-legend"') :]
    legend = legend[: legend.index("</ul>")]

    assert "Bar: the unit's output a" in legend
    assert "Red tick: the activation's ceiling" in legend
    assert "Purple bar" in legend


@pytest.mark.browser
def test_gauge_legend_visible_under_diagram(offline_page, live_server):
    page = offline_page.page
    open_flow(page, f"{live_server}/flow")
    legend = page.locator("#gauge-legend")
    diagram = page.locator("#diagram").bounding_box()

    assert legend.is_visible()
    assert legend.bounding_box()["y"] >= diagram["y"] + diagram["height"]
    assert legend.locator("li").count() == 3


@pytest.mark.browser
def test_narrow_screen_diagram_scrolls(offline_page, live_server):
    page = offline_page.page
    page.set_viewport_size({"width": 390, "height": 900})
    open_flow(page, f"{live_server}/flow?linear=true")
    sizes = page.evaluate(
        """() => {
            const diagram = document.getElementById("diagram");
            const scroller = diagram.parentElement;
            return {
                page: document.documentElement.scrollWidth,
                diagram: diagram.getBoundingClientRect().width,
                content: scroller.scrollWidth,
                box: scroller.clientWidth,
            };
        }"""
    )

    assert sizes["page"] <= 390
    assert sizes["diagram"] >= 760
    assert sizes["content"] > sizes["box"]
    assert page.locator(".scroll-hint").is_visible()

    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.locator(".scroll-hint").is_hidden()
