"""The playground page in headless chromium, training over the real WebSocket."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import uvicorn
from playwright.sync_api import Page

from actlab.web import Settings, create_app

pytestmark = pytest.mark.browser

RUN_A = '.run[data-run="A"]'
RUN_B = '.run[data-run="B"]'


def run_data(page: Page, run: str = RUN_A) -> dict[str, str]:
    return page.eval_on_selector(run, "root => ({...root.dataset})")


def epoch(page: Page, run: str = RUN_A) -> int:
    return int(run_data(page, run)["epoch"])


def train_loss(page: Page, run: str = RUN_A) -> float:
    return float(run_data(page, run)["trainLoss"])


def run_state(page: Page, index: int = 0) -> dict[str, str]:
    return page.evaluate("i => ({...window.playground.runs[i].state})", index)


def ready_count(page: Page, run: str = RUN_A) -> int:
    return int(run_data(page, run).get("ready", "0"))


def wait_configured(page: Page, after: int, run: str = RUN_A) -> None:
    """Wait for a ``ready`` past number ``after`` and a frame drawn after it."""
    page.wait_for_function(
        """([run, after]) => {
            const d = document.querySelector(run)?.dataset;
            return d && Number(d.ready || 0) > after && d.drawnReady === d.ready;
        }""",
        arg=[run, after],
    )


def open_playground(page: Page, url: str) -> None:
    page.goto(url)
    # The server sends one ready when the socket opens and one for the
    # page's configure message.
    wait_configured(page, after=1)


def wait_epoch_above(page: Page, value: int, run: str = RUN_A) -> None:
    page.wait_for_function(
        "([run, value]) => Number(document.querySelector(run).dataset.epoch) > value",
        arg=[run, value],
    )


def click(page: Page, action: str, run: str = RUN_A) -> None:
    page.click(f'{run} [data-action="{action}"]')


def wait_acknowledged(page: Page, run: str = RUN_A) -> None:
    """Wait for a drawn frame that the server built after the page's last control."""
    page.wait_for_function(
        """run => {
            const d = document.querySelector(run).dataset;
            return d.acknowledged === d.control;
        }""",
        arg=run,
    )


def pause(page: Page) -> int:
    """Pause run A and return its epoch once the server has acknowledged it."""
    click(page, "play")
    page.wait_for_function(
        "run => document.querySelector(run).dataset.playing === 'false'", arg=RUN_A
    )
    wait_acknowledged(page)
    return epoch(page)


def step(page: Page, times: int) -> None:
    start = epoch(page)
    for _ in range(times):
        click(page, "step")
    page.wait_for_function(
        "([run, value]) => Number(document.querySelector(run).dataset.epoch) >= value",
        arg=[RUN_A, start + times],
    )


def snapshot(page: Page, selector: str) -> str:
    """The pixels of a canvas, as a data URL."""
    return page.eval_on_selector(selector, "canvas => canvas.toDataURL()")


def url_query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def set_hidden(page: Page, hidden: bool) -> None:
    """Make the page report itself hidden or visible, as a switch of tabs does."""
    page.evaluate(
        """hidden => {
            const property = { value: hidden, configurable: true };
            Object.defineProperty(document, "hidden", property);
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        hidden,
    )


def assert_clean(offline) -> None:
    assert offline.blocked == []
    assert offline.errors == []
    assert offline.console_errors == []


def test_page_loads_offline(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground")
    assert_clean(offline_page)
    assert epoch(page) == 0
    assert page.locator(f"{RUN_A} .hidden-layer .node canvas").count() == 4 + 2
    # Links: 2 inputs to 4 units, 4 to 2, 2 to the output.
    assert page.locator(f"{RUN_A} .links .link").count() == 2 * 4 + 4 * 2 + 2
    assert page.locator(f"{RUN_A} .histogram").count() == 3
    assert page.is_visible(f'{RUN_A} [data-out="loss-plot"] .main-svg')


def test_play_pause_and_step(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground")
    first_loss = train_loss(page)
    click(page, "play")
    wait_epoch_above(page, 3)
    page.wait_for_function(
        "([run, loss]) => "
        "Number(document.querySelector(run).dataset.trainLoss) != loss",
        arg=[RUN_A, first_loss],
    )
    paused_at = pause(page)
    page.wait_for_timeout(700)
    assert epoch(page) == paused_at
    click(page, "step")
    wait_epoch_above(page, paused_at)
    page.wait_for_timeout(300)
    assert epoch(page) == paused_at + 1
    assert_clean(offline_page)


# A ReLU run with dead units, whose charts are slow to redraw, a ReLU run with
# learning rate 3 (a lesson's link), and a tanh run.
PAUSE_QUERIES = [
    "act=relu&dataset=spiral",
    "dataset=circle&hidden=8,8&act=relu&lr=3",
    "act=tanh&dataset=circle",
]


@pytest.mark.parametrize("query", PAUSE_QUERIES)
def test_pause_acts_at_once(offline_page, live_server, query):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground?{query}")
    click(page, "play")
    wait_epoch_above(page, 300)
    clicked = page.eval_on_selector(
        f'{RUN_A} [data-action="play"]',
        """button => {
            const root = button.closest(".run");
            const frames = Number(root.dataset.framesReceived);
            button.click();
            return {text: button.textContent, playing: root.dataset.playing, frames};
        }""",
    )
    # The button changes in the click itself, before any reply can arrive.
    assert clicked["text"] == "Play"
    assert clicked["playing"] == "false"
    wait_acknowledged(page)
    paused_at = epoch(page)
    received = int(run_data(page)["framesReceived"])
    # Only the frames already in flight (the server's window) and the
    # pause's own frame arrive after the click.
    assert received - clicked["frames"] <= 3
    page.wait_for_timeout(700)
    assert epoch(page) == paused_at
    assert int(run_data(page)["framesReceived"]) == received
    assert page.text_content(f'{RUN_A} [data-action="play"]') == "Play"
    assert_clean(offline_page)


def test_double_click_on_pause_stays_paused(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground?act=relu&dataset=spiral")
    click(page, "play")
    wait_epoch_above(page, 20)
    page.dblclick(f'{RUN_A} [data-action="play"]')
    wait_acknowledged(page)
    paused_at = epoch(page)
    page.wait_for_timeout(700)
    assert epoch(page) == paused_at
    assert run_data(page)["playing"] == "false"
    assert page.text_content(f'{RUN_A} [data-action="play"]') == "Play"
    click(page, "play")
    wait_epoch_above(page, paused_at)
    pause(page)
    assert_clean(offline_page)


def test_chart_traces_are_thinned(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground")
    thinned = page.evaluate(
        """() => {
            const x = Array.from({length: 5000}, (_, i) => i);
            const y = x.map((i) => (i === 3333 ? 50 : i === 4000 ? null : 1 / (i + 1)));
            const [tx, ty] = window.playground.thinTrace(x, y, 600);
            return {
                length: tx.length,
                spike: tx.includes(3333) && ty.includes(50),
                gap: tx.includes(4000) && ty[tx.indexOf(4000)] === null,
                last: tx.at(-1),
                ordered: tx.every((v, i) => i === 0 || v > tx[i - 1]),
                short: window.playground.thinTrace([1, 2], [3, 4], 600),
            };
        }"""
    )
    assert thinned["length"] <= 610
    assert thinned["spike"]
    assert thinned["gap"]
    assert thinned["last"] == 4999
    assert thinned["ordered"]
    assert thinned["short"] == [[1, 2], [3, 4]]


def test_live_changes_keep_epoch(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground")
    click(page, "play")
    wait_epoch_above(page, 5)
    before = epoch(page)
    page.select_option(f'{RUN_A} [data-field="lr"]', "0.1")
    page.wait_for_function("() => window.playground.runs[0].state.lr === '0.1'")
    after = epoch(page)
    assert after >= before
    wait_epoch_above(page, after)
    assert epoch(page) > before
    assert url_query(page)["lr"] == ["0.1"]

    before = epoch(page)
    page.select_option(f'{RUN_A} [data-field="reg"]', "l2")
    page.wait_for_function("() => window.playground.runs[0].state.reg === 'l2'")
    assert epoch(page) >= before
    pause(page)
    assert_clean(offline_page)


def test_activation_change_resets_maps(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground")
    unit = f"{RUN_A} .hidden-layer .node canvas"
    output = f'{RUN_A} [data-out="output-map"]'
    unit_before = snapshot(page, unit)
    output_before = snapshot(page, output)
    step(page, 3)
    count = ready_count(page)
    page.select_option(f'{RUN_A} [data-field="act-0"]', "relu")
    wait_configured(page, after=count)
    assert epoch(page) == 0
    assert run_state(page)["act"] == "relu,tanh"
    assert url_query(page)["act"] == ["relu,tanh"]
    assert snapshot(page, unit) != unit_before
    assert snapshot(page, output) != output_before
    assert (
        page.eval_on_selector(f'{RUN_A} [data-field="act-0"]', "s => s.value") == "relu"
    )
    assert_clean(offline_page)


def test_link_reproduces_state_and_loss(offline_page, live_server):
    page = offline_page.page
    query = "dataset=xor&hidden=5,3&act=relu&seed=7&lr=0.1&noise=10&features=x1,x2,x1x2"
    open_playground(page, f"{live_server}/playground?{query}")
    count = ready_count(page)
    page.select_option(f'{RUN_A} [data-field="opt"]', "adam")
    wait_configured(page, after=count)
    step(page, 5)
    loss = train_loss(page)
    state = run_state(page)
    link = page.url
    assert url_query(page)["opt"] == ["adam"]

    copy = page.context.new_page()
    open_playground(copy, link)
    assert run_state(copy) == state
    step(copy, 5)
    assert epoch(copy) == 5
    assert train_loss(copy) == loss
    copy.close()
    assert_clean(offline_page)


def test_invalid_url_value_shows_message(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground?lr=abc&hidden=4,9&seed=5")
    assert page.is_visible("#url-messages")
    assert page.inner_text('#url-messages li[data-field="lr"]').startswith(
        "Learning rate: "
    )
    assert page.is_visible('#url-messages li[data-field="hidden"]')
    state = run_state(page)
    assert state["lr"] == "0.03"
    assert state["hidden"] == "4,2"
    assert state["seed"] == "5"
    assert url_query(page)["lr"] == ["0.03"]
    assert offline_page.errors == []


def test_socket_error_names_field(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground")
    page.fill(f'{RUN_A} [data-field="seed"]', "-5")
    page.press(f'{RUN_A} [data-field="seed"]', "Enter")
    item = f'{RUN_A} [data-out="messages"] li[data-field="seed"]'
    page.wait_for_selector(item)
    assert "seed" in page.inner_text(item)
    assert page.get_attribute(f'{RUN_A} [data-field="seed"]', "aria-invalid") == "true"
    assert offline_page.errors == []


def test_weight_edit_changes_output(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground")
    output = f'{RUN_A} [data-out="output-map"]'
    before = snapshot(page, output)
    loss = train_loss(page)
    count = ready_count(page)
    page.eval_on_selector(
        f'{RUN_A} .hit[data-layer="2"][data-from="0"][data-to="0"]',
        """hit => {
            const box = hit.getBoundingClientRect();
            hit.dispatchEvent(new MouseEvent("click", {
                bubbles: true, clientX: box.x + box.width / 2, clientY: box.y,
            }));
        }""",
    )
    assert page.is_visible("#link-editor")
    page.fill("#link-editor-value", "6")
    page.press("#link-editor-value", "Enter")
    wait_configured(page, after=count)
    assert run_state(page)["edits"] == "2.0.0:6.0"
    assert url_query(page)["edits"] == ["2.0.0:6.0"]
    assert snapshot(page, output) != before
    assert train_loss(page) != loss
    assert_clean(offline_page)


def test_hover_shows_weight_and_bias(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground")
    hit = f'{RUN_A} .hit[data-layer="0"][data-from="1"][data-to="2"]'
    page.eval_on_selector(
        hit,
        """hit => {
            const box = hit.getBoundingClientRect();
            hit.dispatchEvent(new MouseEvent("mousemove", {
                bubbles: true, clientX: box.x, clientY: box.y,
            }));
        }""",
    )
    weight = page.evaluate("() => window.playground.runs[0].frame.weights[0][1][2]")
    text = page.inner_text("#tooltip")
    assert page.is_visible("#tooltip")
    assert text.startswith(f"weight {weight:.4f}")
    assert "x₂ → layer 1 unit 3" in text

    page.hover(f"{RUN_A} .node.output")
    bias = page.evaluate("() => window.playground.runs[0].frame.biases[2][0]")
    assert page.inner_text("#tooltip") == f"output 1: bias {bias:.4f}"


def test_csv_upload_and_its_error(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground")
    page.click(f"{RUN_A} .upload summary")
    upload = f'{RUN_A} [data-field="csv-file"]'
    bad = {"name": "bad.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}
    page.set_input_files(upload, files=[bad])
    click(page, "upload")
    item = f'{RUN_A} [data-out="messages"] li'
    page.wait_for_selector(item)
    text = page.inner_text(item)
    assert text.startswith("CSV file: ")
    assert "text:" not in text
    assert page.get_attribute(upload, "aria-invalid") == "true"

    rows = "\n".join(f"{i},{(i * 7) % 5},{i % 2}" for i in range(40))
    good = {
        "name": "good.csv",
        "mimeType": "text/csv",
        "buffer": f"u,v,t\n{rows}\n".encode(),
    }
    count = ready_count(page)
    page.set_input_files(upload, files=[good])
    click(page, "upload")
    wait_configured(page, after=count)
    assert run_state(page)["dataset"] == "csv"
    assert page.is_checked(f'{RUN_A} [data-field="dataset"][value="csv"]')
    assert page.is_hidden(f'{RUN_A} [data-out="messages"]')
    assert offline_page.errors == []


def test_frames_keep_arriving_while_playing(offline_page, live_server):
    page = offline_page.page
    query = "dataset=spiral&hidden=8,8,6&features=x1,x2,sinx1,sinx2"
    open_playground(page, f"{live_server}/playground?{query}")
    click(page, "play")
    wait_epoch_above(page, 0)
    drawn = page.evaluate(
        """() => new Promise((resolve) => {
            const root = document.querySelector('.run[data-run="A"]');
            const start = Number(root.dataset.framesDrawn);
            const began = performance.now();
            setTimeout(() => resolve({
                frames: Number(root.dataset.framesDrawn) - start,
                seconds: (performance.now() - began) / 1000,
            }), 3000);
        })"""
    )
    pause(page)
    print(f"drew {drawn['frames']} frames in {drawn['seconds']:.2f} s")
    assert drawn["frames"] > 10
    assert_clean(offline_page)


def test_hidden_page_stops_training(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground")
    click(page, "play")
    wait_epoch_above(page, 2)
    set_hidden(page, True)
    page.wait_for_timeout(400)
    hidden_at = epoch(page)
    page.wait_for_timeout(700)
    assert epoch(page) == hidden_at
    set_hidden(page, False)
    wait_epoch_above(page, hidden_at)
    pause(page)
    assert_clean(offline_page)


def test_compare_runs_a_second_session(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground?dataset=gauss&seed=3")
    page.click("#compare-toggle")
    wait_configured(page, after=1, run=RUN_B)
    assert run_state(page, 1) == run_state(page, 0)
    sessions = {run_data(page)["session"], run_data(page, RUN_B)["session"]}
    assert len(sessions) == 2
    click(page, "step", run=RUN_B)
    wait_epoch_above(page, 0, run=RUN_B)
    assert epoch(page) == 0
    page.click("#compare-toggle")
    assert page.locator(RUN_B).count() == 0
    assert_clean(offline_page)


def test_lost_connection_offers_reconnect(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground?seed=9")
    page.evaluate("() => window.playground.runs[0].socket.close()")
    banner = f'{RUN_A} [data-out="connection"]'
    page.wait_for_selector(banner, state="visible")
    count = ready_count(page)
    click(page, "reconnect")
    wait_configured(page, after=count + 1)
    assert page.is_hidden(banner)
    assert run_state(page)["seed"] == "9"
    assert offline_page.errors == []


def test_diverging_run_shows_reason(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground?dataset=plane&lr=10")
    click(page, "play")
    banner = f'{RUN_A} [data-out="paused"]'
    page.wait_for_selector(banner, state="visible")
    assert "diverged" in page.inner_text(banner)
    assert run_data(page)["playing"] == "false"
    assert offline_page.errors == []


def test_export_shows_pytorch_code(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground")
    page.click(f"{RUN_A} .export summary")
    click_export = f'{RUN_A} [data-action="export"][data-format="pytorch"]'
    page.click(click_export)
    text = f'{RUN_A} [data-out="export-text"]'
    page.wait_for_function(
        "selector => document.querySelector(selector).value.length > 0", arg=text
    )
    assert "torch" in page.input_value(text)
    assert page.is_visible(f'{RUN_A} [data-out="download"]')
    assert_clean(offline_page)


def test_dead_relu_shows_zero_gradients(offline_page, live_server):
    page = offline_page.page
    query = "dataset=spiral&act=relu&hidden=4,2,2&lr=10"
    open_playground(page, f"{live_server}/playground?{query}")
    click(page, "step")
    wait_epoch_above(page, 0)
    page.wait_for_function(
        "run => Number(document.querySelector(run).dataset.zeroGradients) > 0",
        arg=RUN_A,
    )
    note = f'{RUN_A} [data-out="grad-note"]'
    assert page.is_visible(note)
    assert "0: no gradient reaches this layer" in page.inner_text(note)
    dead = f'{RUN_A} [data-out="dead-note"]'
    assert page.is_visible(dead)
    assert "is dead" in page.inner_text(dead)
    markers = page.evaluate(
        """run => document.querySelector(run + ' [data-out="grad-plot"]').data
            .filter((trace) => trace.name.endsWith(": 0")).length""",
        RUN_A,
    )
    assert markers > 0
    assert_clean(offline_page)


def overlaps(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_narrow_screen_stacks_panels(offline_page, live_server):
    page = offline_page.page
    page.set_viewport_size({"width": 390, "height": 900})
    open_playground(page, f"{live_server}/playground")
    width = page.evaluate("document.documentElement.scrollWidth")
    boxes = [
        page.locator(f"{RUN_A} .{name}").bounding_box()
        for name in ("data-col", "net-col", "out-col")
    ]
    table = page.locator(f"{RUN_A} .unit-table").bounding_box()
    assert width <= 390
    assert not overlaps(boxes[0], boxes[1])
    assert not overlaps(boxes[1], boxes[2])
    assert boxes[2]["y"] >= boxes[1]["y"] + boxes[1]["height"]
    assert table["x"] + table["width"] <= 390
    assert_clean(offline_page)


def test_toolbar_fits_one_row(offline_page, live_server):
    page = offline_page.page
    # 1280 px less a 15 px scrollbar.
    page.set_viewport_size({"width": 1265, "height": 900})
    open_playground(page, f"{live_server}/playground")
    tops = page.eval_on_selector_all(
        f"{RUN_A} .run-bar > label",
        "labels => labels.map((label) => label.getBoundingClientRect().top)",
    )
    assert len(tops) == 8
    assert max(tops) - min(tops) < 2


def test_compare_table_not_clipped(offline_page, live_server):
    page = offline_page.page
    page.set_viewport_size({"width": 1280, "height": 900})
    open_playground(page, f"{live_server}/playground")
    page.click("#compare-toggle")
    wait_configured(page, after=1, run=RUN_B)
    for run in (RUN_A, RUN_B):
        column = page.locator(f"{run} .run-diagnostics .col:has(.unit-table)")
        box = column.bounding_box()
        last = page.locator(f"{run} .unit-table th").last.bounding_box()
        assert page.text_content(f"{run} .unit-table th:last-child") == "saturated"
        assert last["x"] + last["width"] <= box["x"] + box["width"]
    assert_clean(offline_page)


def test_charts_start_at_epoch_zero(offline_page, live_server):
    page = offline_page.page
    open_playground(page, f"{live_server}/playground")
    page.wait_for_function(
        """run => document.querySelector(run + ' [data-out="grad-plot"]')
            ?._fullLayout?.xaxis""",
        arg=RUN_A,
    )
    ranges = page.evaluate(
        """run => ["loss-plot", "grad-plot"].map((name) => {
            const layout = document.querySelector(
                `${run} [data-out="${name}"]`)._fullLayout;
            return [layout.xaxis.range, layout.yaxis.range];
        })""",
        RUN_A,
    )
    for epochs, _ in ranges:
        assert epochs[0] == 0
        assert epochs[1] >= 10
    low, high = ranges[1][1]
    assert high - low >= 2
    assert high - low < 20
    assert page.is_hidden(f'{RUN_A} [data-out="grad-note"]')


@pytest.fixture(scope="module")
def idle_server() -> Iterator[str]:
    """Serve the app with a 1.5 second idle timeout on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(Settings(port=port, playground_idle_seconds=1.5))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        for _ in range(200):
            if server.started or not thread.is_alive():
                break
            time.sleep(0.05)
        assert server.started, "uvicorn did not start serving"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_idle_close_offers_reconnect(offline_page, idle_server):
    page = offline_page.page
    open_playground(page, f"{idle_server}/playground?seed=4&lr=0.1")
    step(page, 2)
    banner = f'{RUN_A} [data-out="connection"]'
    page.wait_for_selector(banner, state="visible", timeout=15000)
    text = page.inner_text(banner)
    assert "paused or hidden for 2 seconds" in text
    assert "weights were lost" in text
    assert run_data(page)["closeReason"] == "idle"

    count = ready_count(page)
    click(page, "reconnect")
    wait_configured(page, after=count + 1)
    assert page.is_hidden(banner)
    assert run_state(page)["seed"] == "4"
    assert run_state(page)["lr"] == "0.1"
    assert epoch(page) == 0
    assert offline_page.errors == []
