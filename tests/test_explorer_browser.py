"""The explorer page in headless chromium, with every non-loopback request aborted."""

from __future__ import annotations

import math

import httpx
import pytest
from playwright.sync_api import Page

from actlab import activations

pytestmark = pytest.mark.browser

NAMES = activations.names()


def numeric_parameter() -> tuple[str, activations.Parameter] | None:
    """The first entry with a numeric parameter, and that parameter."""
    for spec in activations.specs():
        for parameter in spec.parameters:
            if not parameter.choices:
                return spec.name, parameter
    return None


def revision(page: Page) -> int:
    return int(page.evaluate("Number(document.body.dataset.revision || 0)"))


def wait_for_revision_after(page: Page, old: int) -> None:
    page.wait_for_function(
        "old => Number(document.body.dataset.revision || 0) > old", arg=old
    )


def open_explorer(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_revision_after(page, 0)


def lines(page: Page, plot_id: str) -> dict[str, list[float | None]]:
    """The y values of each curve drawn in a plot, by trace name."""
    traces = page.evaluate(
        """id => document.getElementById(id).data
            .filter(t => t.mode === "lines")
            .map(t => [t.name, Array.from(t.y)])""",
        plot_id,
    )
    return dict(traces)


def readout(page: Page) -> dict[str, tuple[float, float]]:
    """The exact g(z) and g'(z) read out for each selected entry."""
    rows = page.evaluate(
        """() => [...document.querySelectorAll("#readout tbody tr")].map(row => [
            row.dataset.entry,
            [...row.querySelectorAll("td[data-exact]")].map(td => td.dataset.exact),
        ])"""
    )
    return {name: (float(value), float(slope)) for name, (value, slope) in rows}


def api(base: str, path: str, **params) -> dict:
    response = httpx.get(f"{base}{path}", params=params, timeout=10)
    response.raise_for_status()
    return response.json()


def assert_clean(offline) -> None:
    assert offline.blocked == []
    assert offline.errors == []


def test_explorer_draws_curves_offline(offline_page, live_server):
    page = offline_page.page
    open_explorer(page, f"{live_server}/explorer")
    selected = page.eval_on_selector_all(
        'input[name="show"]:checked', "boxes => [...new Set(boxes.map(b => b.value))]"
    )

    assert selected
    for plot_id, key in (("value-plot", "value"), ("derivative-plot", "derivative")):
        drawn = lines(page, plot_id)
        assert sorted(drawn) == sorted(selected), plot_id
        for name in selected:
            curve = api(live_server, f"/api/activations/{name}/curve", points=481)
            assert drawn[name] == curve[key], (plot_id, name)
    assert page.locator("#value-plot .scatterlayer .trace").count() == len(selected) + 1
    assert offline_page.console_errors == []
    assert_clean(offline_page)


def test_offline_route_aborts_other_hosts(offline_page, live_server):
    # localhost is loopback too, so even a broken route sends nothing outside.
    page = offline_page.page
    open_explorer(page, f"{live_server}/explorer")
    other = live_server.replace("127.0.0.1", "localhost") + "/healthz"
    outcome = page.evaluate(
        "url => fetch(url).then(() => 'loaded', () => 'aborted')", other
    )

    assert outcome == "aborted"
    assert offline_page.blocked == [other]


def test_parameter_slider_changes_plot(offline_page, live_server):
    found = numeric_parameter()
    if found is None:
        pytest.skip("no registry entry has a numeric parameter")
    name, parameter = found
    page = offline_page.page
    open_explorer(page, f"{live_server}/explorer?show={name}")
    before = lines(page, "value-plot")[name], lines(page, "derivative-plot")[name]
    card = page.locator(f'article.entry[data-entry="{name}"]')
    slider = card.locator(f'input[type="range"][aria-label="{parameter.name} slider"]')
    number = card.locator(f'input[data-param="{parameter.name}"]')
    at_max = float(slider.get_attribute("max")) == float(number.input_value())

    old = revision(page)
    slider.press("Home" if at_max else "End")
    wait_for_revision_after(page, old)
    value = number.input_value()
    after = lines(page, "value-plot")[name], lines(page, "derivative-plot")[name]
    curve = api(
        live_server,
        f"/api/activations/{name}/curve",
        points=481,
        **{parameter.name: value},
    )

    assert float(value) != parameter.default
    assert after != before
    assert after == (curve["value"], curve["derivative"])
    assert f"{name}.{parameter.name}={value}" in page.url
    assert_clean(offline_page)


def test_z_marker_readout_matches_api(offline_page, live_server):
    selected = NAMES[:2]
    page = offline_page.page
    open_explorer(page, f"{live_server}/explorer?show={','.join(selected)}")
    before = readout(page)
    slider = page.locator("#z-slider")
    box = slider.bounding_box()

    old = revision(page)
    page.mouse.click(box["x"] + 0.8 * box["width"], box["y"] + box["height"] / 2)
    wait_for_revision_after(page, old)
    z = float(page.locator("#z").input_value())
    after = readout(page)

    assert z > 0
    assert sorted(after) == sorted(selected)
    assert after != before
    for name in selected:
        point = api(live_server, f"/api/activations/{name}/point", z=z)
        assert after[name] == (point["value"], point["derivative"]), name
    assert f"z={page.locator('#z').input_value()}" in page.url
    assert_clean(offline_page)


def test_plot_click_moves_marker(offline_page, live_server):
    page = offline_page.page
    open_explorer(page, f"{live_server}/explorer?show={NAMES[0]}")
    area = page.locator("#value-plot .nsewdrag").first.bounding_box()

    old = revision(page)
    page.mouse.click(area["x"] + 0.25 * area["width"], area["y"] + area["height"] / 2)
    wait_for_revision_after(page, old)
    z = float(page.locator("#z").input_value())
    point = api(live_server, f"/api/activations/{NAMES[0]}/point", z=z)

    assert -6 < z < 0
    assert readout(page)[NAMES[0]] == (point["value"], point["derivative"])
    assert_clean(offline_page)


def test_marker_drawn_at_z(offline_page, live_server):
    page = offline_page.page
    open_explorer(page, f"{live_server}/explorer?show={NAMES[0]}&z=1.25")
    marker_x = page.evaluate(
        "() => document.getElementById('value-plot').layout.shapes[0].x0"
    )
    dots = page.evaluate("() => document.getElementById('value-plot').data.at(-1)")
    point = api(live_server, f"/api/activations/{NAMES[0]}/point", z=1.25)

    assert marker_x == 1.25
    assert dots["x"] == [1.25]
    assert dots["y"] == [point["value"]]
    assert_clean(offline_page)


def test_invalid_url_parameter_shows_message(offline_page, live_server):
    page = offline_page.page
    open_explorer(
        page, f"{live_server}/explorer?show=not-an-activation,{NAMES[0]}&z=abc"
    )
    messages = page.locator("#messages")

    assert messages.is_visible()
    assert "unknown activation 'not-an-activation'" in messages.text_content()
    assert "invalid z='abc'" in messages.text_content()
    assert list(lines(page, "value-plot")) == [NAMES[0]]
    assert "not-an-activation" not in page.url
    assert_clean(offline_page)


def test_rejected_request_shows_message(offline_page, live_server):
    page = offline_page.page
    open_explorer(page, f"{live_server}/explorer?show={NAMES[0]}")
    messages = page.locator("#messages")

    assert not messages.is_visible()
    old = revision(page)
    page.locator("#stop").fill("-7")
    page.locator("#stop").press("Enter")
    wait_for_revision_after(page, old)

    assert messages.is_visible()
    assert "invalid stop=-7" in messages.text_content()
    assert "greater than start=-6" in messages.text_content()
    assert_clean(offline_page)


def test_url_reproduces_view(offline_page, live_server):
    found = numeric_parameter()
    name = NAMES[0] if found is None else found[0]
    page = offline_page.page
    open_explorer(page, f"{live_server}/explorer?show={name}&start=-3&stop=5&z=2.5")
    if found is not None:
        old = revision(page)
        page.locator(
            f'article.entry[data-entry="{name}"] input[type="range"]'
        ).first.press("ArrowLeft")
        wait_for_revision_after(page, old)
    view = lines(page, "value-plot"), readout(page)

    copy = page.context.new_page()
    try:
        open_explorer(copy, page.url)
        assert (lines(copy, "value-plot"), readout(copy)) == view
        assert copy.url == page.url
    finally:
        copy.close()
    assert not math.isnan(view[1][name][0])
    assert_clean(offline_page)


def set_range(page: Page, start: str, stop: str) -> None:
    old = revision(page)
    page.locator("#start").fill(start)
    page.locator("#stop").fill(stop)
    page.locator("#stop").press("Enter")
    wait_for_revision_after(page, old)


def annotations(page: Page, plot_id: str) -> list[str]:
    return page.evaluate(
        """id => (document.getElementById(id).layout.annotations || [])
            .map(a => a.text)""",
        plot_id,
    )


def test_invalid_range_keeps_last_view(offline_page, live_server):
    page = offline_page.page
    open_explorer(
        page, f"{live_server}/explorer?show={NAMES[0]},{NAMES[1]}&start=-3&stop=5"
    )
    before = lines(page, "value-plot"), lines(page, "derivative-plot")
    url = page.url

    set_range(page, "5", "-5")
    messages = page.locator("#messages")

    assert messages.is_visible()
    assert "invalid stop=-5" in messages.text_content()
    assert (lines(page, "value-plot"), lines(page, "derivative-plot")) == before
    assert annotations(page, "value-plot") == []
    assert annotations(page, "derivative-plot") == []
    assert page.url == url
    assert_clean(offline_page)


def test_valid_range_after_invalid_redraws(offline_page, live_server):
    page = offline_page.page
    open_explorer(page, f"{live_server}/explorer?show={NAMES[0]}")
    set_range(page, "5", "-5")
    set_range(page, "-2", "2")
    # Filling the two boxes can redraw twice; wait for the one with both ends.
    page.wait_for_function(
        """() => {
            const x = document.getElementById('value-plot').data[0].x;
            return x[0] === -2 && x[x.length - 1] === 2;
        }""",
        timeout=10_000,
    )
    z = page.evaluate("document.getElementById('value-plot').data[0].x")

    assert not page.locator("#messages").is_visible()
    assert z[0] == -2
    assert z[-1] == 2
    assert "start=-2" in page.url
    assert_clean(offline_page)


def test_unparsable_start_echoed(offline_page, live_server):
    page = offline_page.page
    open_explorer(page, f"{live_server}/explorer?show={NAMES[0]}")
    before = lines(page, "value-plot")

    set_range(page, "1e999", "6")
    text = page.locator("#messages").text_content()

    assert "invalid start='1e999'" in text
    assert lines(page, "value-plot") == before
    assert "1e999" not in page.url
    assert_clean(offline_page)


def test_softmax_facts_match_plot(offline_page, live_server):
    page = offline_page.page
    open_explorer(page, f"{live_server}/explorer?show=softmax")
    card = page.locator('article.entry[data-entry="softmax"]')
    shown = card.locator('[data-fact="max-derivative"]').text_content()
    plotted = max(lines(page, "derivative-plot")["softmax"])
    axes = card.locator('select[data-param="axis"] option').all_text_contents()

    assert float(shown.split()[0]) == pytest.approx(plotted, rel=1e-3)
    assert "not monotonic" in card.text_content()
    assert axes == ["-1", "0"]
    assert "(-inf, inf)" not in card.text_content()
    assert_clean(offline_page)
