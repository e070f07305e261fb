"use strict";

// The explorer's gradient probe. The server trains the network and measures
// every unit over the WebSocket /ws/probe, and the g'(z) curve comes from the
// curve API. This file only sends the settings and draws what comes back.
(() => {
  const LAYER_COLORS = ["#1f77b4", "#d62728", "#2ca02c"];
  const CURVE_POINTS = 241;
  // Extra room around the farthest z when the curve must be widened.
  const CURVE_MARGIN = 1.2;

  const panel = document.getElementById("probe");
  const startButton = document.getElementById("probe-start");
  const stopButton = document.getElementById("probe-stop");
  const activationLabel = document.getElementById("probe-activation");
  const activationSelect = document.getElementById("probe-activation-select");
  const datasetSelect = document.getElementById("probe-dataset");
  const seedInput = document.getElementById("probe-seed");
  const rateInput = document.getElementById("probe-learning-rate");
  const biasInput = document.getElementById("probe-bias");
  const status = document.getElementById("probe-status");
  const curvePlot = document.getElementById("probe-curve");
  const sharePlot = document.getElementById("probe-shares");
  const plots = document.getElementById("probe-plots");

  let socket = null;
  let running = null; // { name, params } of the run being drawn
  let curve = null; // { z, derivative, start, stop } of the running activation
  let curveRequest = null;
  let frames = 0;
  // Once the learner picks from the probe's menu, ticking boxes no longer moves it.
  let pickedByHand = false;

  // The menu lists only elementwise entries, which can be hidden activations.
  function followChecked() {
    if (pickedByHand) return;
    const offered = new Set([...activationSelect.options].map((option) => option.value));
    const checked = new Set(
      [...document.querySelectorAll('input[name="show"]:checked')].map((box) => box.value),
    );
    const first = [...document.querySelectorAll("article.entry")]
      .map((card) => card.dataset.entry)
      .find((name) => checked.has(name) && offered.has(name));
    if (first) activationSelect.value = first;
  }

  function firstChosen() {
    const name = activationSelect.value;
    const card = document.querySelector(`article.entry[data-entry="${CSS.escape(name)}"]`);
    if (!card) return null;
    const params = {};
    for (const control of card.querySelectorAll("[data-param]")) {
      const numeric = control.tagName === "INPUT";
      params[control.dataset.param] = numeric ? Number(control.value) : control.value;
    }
    return { name: card.dataset.entry, params };
  }

  function showChosen() {
    followChecked();
    const chosen = firstChosen();
    activationLabel.textContent = chosen ? chosen.name : "the chosen activation";
    startButton.disabled = chosen === null || running !== null;
  }

  function setStatus(text, isError = false) {
    status.textContent = text;
    status.classList.toggle("error", isError);
  }

  function setRunning(value) {
    running = value;
    stopButton.disabled = value === null;
    panel.dataset.running = String(value !== null);
    showChosen();
  }

  async function loadOptions() {
    const response = await fetch("/api/probe/options");
    const options = await response.json();
    const items = options.datasets.map((name) => {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      return option;
    });
    datasetSelect.replaceChildren(...items);
    datasetSelect.value = options.defaults.dataset;
  }

  async function fetchCurve(name, params, start, stop) {
    const fields = { start, stop, points: CURVE_POINTS, ...params };
    const query = new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)]));
    const response = await fetch(`/api/activations/${encodeURIComponent(name)}/curve?${query}`);
    const body = await response.json();
    if (!response.ok) throw new Error(body.detail);
    return { z: body.z, derivative: body.derivative, start, stop };
  }

  // Widen the curve when a unit's z leaves it, one request at a time.
  function coverZ(frame) {
    if (!running || curveRequest) return;
    const zs = frame.layers.flat().flatMap((unit) => unit.z);
    const low = Math.min(...zs);
    const high = Math.max(...zs);
    if (curve && low >= curve.start && high <= curve.stop) return;
    const reach = Math.max(6, Math.abs(low), Math.abs(high)) * CURVE_MARGIN;
    const { name, params } = running;
    curveRequest = fetchCurve(name, params, -reach, reach)
      .then((fetched) => {
        if (running && running.name === name) curve = fetched;
      })
      .catch((error) => setStatus(`could not draw g′(z): ${error.message}`, true))
      .finally(() => {
        curveRequest = null;
      });
  }

  function unitLabel(layer, unit) {
    return `L${layer + 1} u${unit + 1}`;
  }

  function drawFrame(frame) {
    const traces = [];
    if (curve) {
      traces.push({
        x: curve.z, y: curve.derivative, mode: "lines", name: "g′(z)",
        line: { color: "#5b6675", width: 2 }, hoverinfo: "skip",
      });
    }
    frame.layers.forEach((layer, i) => {
      traces.push({
        x: layer.flatMap((unit) => unit.z),
        y: layer.flatMap((unit) => unit.gprime),
        mode: "markers",
        name: `layer ${i + 1}`,
        marker: { color: LAYER_COLORS[i % LAYER_COLORS.length], size: 6, opacity: 0.55 },
        hovertemplate: "z %{x:.3g}, g′ %{y:.3g}<extra></extra>",
      });
    });
    const font = { family: "system-ui, sans-serif", size: 12, color: "#1d232b" };
    const config = { displayModeBar: false, responsive: true };
    Plotly.react(curvePlot, traces, {
      margin: { l: 50, r: 12, t: 10, b: 40 }, font,
      xaxis: { title: { text: "z" }, range: curve ? [curve.start, curve.stop] : undefined },
      yaxis: { title: { text: "g′(z)" } },
      legend: { orientation: "h", y: 1.12 },
    }, config);

    const labels = frame.layers.flatMap((layer, i) => layer.map((_, j) => unitLabel(i, j)));
    const shares = frame.layers.flatMap((layer) => layer.map((unit) => unit.share));
    const colors = frame.layers.flatMap((layer, i) =>
      layer.map(() => LAYER_COLORS[i % LAYER_COLORS.length]));
    Plotly.react(sharePlot, [{
      type: "bar", x: labels, y: shares, marker: { color: colors },
      hovertemplate: "%{x}: %{y:.3f}<extra></extra>",
    }], {
      margin: { l: 50, r: 12, t: 10, b: 50 }, font,
      // A fixed top of at least 1 keeps bars of different activations comparable.
      yaxis: { title: { text: "mean g′(z)" }, range: [0, 1.05 * Math.max(1, ...shares)] },
      xaxis: { tickangle: -45 },
    }, config);
    panel.dataset.shares = JSON.stringify(shares);
  }

  function onFrame(frame) {
    plots.hidden = false;
    coverZ(frame);
    drawFrame(frame);
    frames += 1;
    panel.dataset.frames = String(frames);
    panel.dataset.step = String(frame.step);
    const loss = frame.loss === null ? "not finite" : frame.loss.toFixed(4);
    setStatus(`Training with ${running.name}: step ${frame.step}, loss ${loss}.`);
  }

  function onMessage(event) {
    const message = JSON.parse(event.data);
    if (message.type === "probe" && running) onFrame(message);
    else if (message.type === "stopped") {
      setRunning(null);
      setStatus(`Stopped at step ${message.step}: ${message.reason}.`);
    } else if (message.type === "error") {
      setRunning(null);
      setStatus(`The probe could not train with these settings: ${message.message}`, true);
    }
  }

  function connect() {
    if (socket && socket.readyState <= WebSocket.OPEN) return Promise.resolve(socket);
    return new Promise((resolve, reject) => {
      const protocol = location.protocol === "https:" ? "wss" : "ws";
      const opened = new WebSocket(`${protocol}://${location.host}/ws/probe`);
      opened.addEventListener("message", onMessage);
      opened.addEventListener("open", () => resolve(opened));
      opened.addEventListener("error", () => reject(new Error(
        "Could not connect to the probe on the server. Check that actlab serve is still running.",
      )));
      opened.addEventListener("close", () => {
        if (running) setStatus("The connection to the server closed.", true);
        setRunning(null);
      });
      socket = opened;
    });
  }

  async function start() {
    const chosen = firstChosen();
    if (!chosen) return;
    curve = null;
    frames = 0;
    setRunning(chosen);
    setStatus(`Starting ${chosen.name}…`);
    try {
      const open = await connect();
      open.send(JSON.stringify({
        type: "start",
        activation: chosen.name,
        params: chosen.params,
        dataset: datasetSelect.value,
        seed: Number(seedInput.value),
        learning_rate: Number(rateInput.value),
        bias: Number(biasInput.value),
      }));
    } catch (error) {
      setRunning(null);
      setStatus(error.message, true);
    }
  }

  function stop() {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "stop" }));
    }
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches('input[name="show"], [data-param]')) showChosen();
  });
  // A hidden page stops its run, so the server trains only for someone watching.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden && running) stop();
  });
  activationSelect.addEventListener("change", () => {
    pickedByHand = true;
    showChosen();
  });
  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
  showChosen();
  loadOptions().catch((error) => setStatus(`could not load the probe options: ${error.message}`, true));
})();
