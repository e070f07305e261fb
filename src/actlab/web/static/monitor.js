"use strict";

// A monitored run's page. It reads the records that a training script logged
// with actlab.monitor.Monitor from GET /api/monitor/runs/{run}, draws them,
// and polls for the steps logged after the last one it has.
(() => {
  const root = document.getElementById("monitor");
  const apiUrl = root.dataset.api;
  const pollMs = Number(root.dataset.pollSeconds) * 1000;
  // Log10 distance between the rows of zero-gradient markers, one per layer.
  const ZERO_ROW_STEP = 0.2;
  const LAYER_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2"];
  const CHART_CONFIG = { displayModeBar: false, responsive: true };

  const records = [];
  let lastStep = null;
  let revision = 0;

  function out(name) {
    return root.querySelector(`[data-out="${name}"]`);
  }

  function element(tag, className = "", text = "") {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function showMessage(text) {
    const box = out("messages");
    box.querySelector("ul").replaceChildren(...(text ? [element("li", "", text)] : []));
    box.hidden = !text;
  }

  // --- data ------------------------------------------------------------------

  async function fetchRecords() {
    const query = lastStep === null ? "" : `?after=${lastStep}`;
    let response;
    try {
      response = await fetch(apiUrl + query);
    } catch (error) {
      throw new Error(`could not reach the lab's server (${error.message}). Trying again shortly.`);
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      throw new Error(body?.detail ?? `the request failed with status ${response.status}`);
    }
    return body;
  }

  async function poll() {
    try {
      const body = await fetchRecords();
      showMessage("");
      if (body.records.length) {
        records.push(...body.records);
        lastStep = body.records.at(-1).step;
        draw();
      }
      showStatus();
    } catch (error) {
      showMessage(error.message);
    }
    root.dataset.polls = String(Number(root.dataset.polls ?? 0) + 1);
    setTimeout(poll, pollMs);
  }

  function showStatus() {
    const status = out("status");
    if (!records.length) {
      status.textContent = "No step logged yet; checking again every few seconds.";
      return;
    }
    const last = records.at(-1);
    const when = new Date(last.recorded_at).toLocaleTimeString();
    status.textContent = `${records.length} steps recorded, the last (step ${last.step}) ` +
      `logged at ${when}. New steps appear while the script trains.`;
  }

  // One series per layer name, in the order the layers first appear. A step
  // without a value for a layer gets null, which Plotly leaves as a gap.
  function series(part, field) {
    const steps = records.map((record) => record.step);
    const byLayer = new Map();
    records.forEach((record, i) => {
      for (const layer of record.stats[part] ?? []) {
        if (!byLayer.has(layer.layer)) {
          byLayer.set(layer.layer, { module: layer.module, values: new Array(records.length).fill(null) });
        }
        byLayer.get(layer.layer).values[i] = layer[field];
      }
    });
    return { steps, layers: [...byLayer.entries()] };
  }

  // --- charts ----------------------------------------------------------------

  function lineTrace(trace) {
    const mode = trace.x.length === 1 ? "markers" : "lines";
    return { type: "scatter", mode, hovertemplate: "%{y:.4g}", cliponaxis: false, ...trace };
  }

  function chartLayout(extra) {
    return {
      datarevision: revision,
      margin: { l: 52, r: 16, t: 8, b: 30 },
      hovermode: "x unified",
      showlegend: true,
      legend: { orientation: "h", y: -0.25, font: { size: 10 } },
      font: { size: 11 },
      xaxis: { title: { text: "step", standoff: 2 } },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      ...extra,
    };
  }

  function thresholdTrace(steps, value) {
    return {
      type: "scatter", mode: "lines", x: [steps[0], steps.at(-1)], y: [value, value],
      name: "threshold", line: { color: "#5b6675", dash: "dash", width: 1 },
      hoverinfo: "skip", showlegend: false,
    };
  }

  // Draw one fraction chart; return how many layers it shows.
  function drawFraction(kind) {
    const { steps, layers } = series("activations", `${kind}_fraction`);
    const drawn = layers.filter(([, layer]) => layer.values.some((v) => v !== null));
    const traces = drawn.map(([name, layer], l) => lineTrace({
      x: steps, y: layer.values, name: `${name} (${layer.module})`,
      line: { color: LAYER_COLOURS[l % LAYER_COLOURS.length] },
      hovertemplate: "%{y:.1%}",
    }));
    const threshold = records.at(-1)?.stats.thresholds?.[kind];
    if (drawn.length && threshold !== undefined) traces.push(thresholdTrace(steps, threshold));
    // An empty chart would show axes without meaning, so a note replaces it.
    const plot = out(`${kind}-plot`);
    const note = out(`${kind}-note`);
    const verb = kind === "dead" ? "can die" : "saturates";
    plot.hidden = drawn.length === 0;
    note.hidden = drawn.length > 0;
    note.textContent = `No activation layer of this run ${verb}, so there is nothing to draw.`;
    if (!drawn.length) return 0;
    Plotly.react(plot, traces, chartLayout({
      yaxis: { title: { text: `${kind} share` }, range: [0, 1.02], tickformat: ".0%" },
    }), CHART_CONFIG);
    return drawn.length;
  }

  // A log axis cannot show 0, so a zero norm is drawn as a marker on a row
  // below the smallest positive norm, one row per layer.
  function drawGradients() {
    const { steps, layers } = series("weights", "grad_norm");
    const positive = layers.flatMap(([, layer]) => layer.values)
      .filter((v) => v > 0 && Number.isFinite(v));
    const [low, high] = logRange(positive);
    const rowOf = (l) => low - ZERO_ROW_STEP * (l + 1);
    const traces = [];
    let zeros = 0;
    layers.forEach(([name, layer], l) => {
      const colour = LAYER_COLOURS[l % LAYER_COLOURS.length];
      traces.push(lineTrace({
        x: steps, y: layer.values.map((v) => (v > 0 ? v : null)),
        name: `${name} (${layer.module})`, line: { color: colour },
      }));
      const zero = layer.values.map((v) => (v === 0 ? 10 ** rowOf(l) : null));
      if (zero.some((v) => v !== null)) {
        zeros += 1;
        traces.push({
          type: "scatter", mode: "markers", x: steps, y: zero, name: `${name}: 0`,
          marker: { symbol: "triangle-down", size: 6, color: colour },
          hovertemplate: "0 (no gradient)<extra></extra>", showlegend: false,
        });
      }
    });
    root.dataset.zeroGradients = String(zeros);
    out("grad-note").hidden = zeros === 0;
    Plotly.react(out("grad-plot"), traces, chartLayout({
      yaxis: {
        type: "log", title: { text: "‖∇W‖" }, exponentformat: "power",
        range: [zeros ? rowOf(layers.length) : low, high],
        dtick: Math.max(1, Math.ceil((high - low) / 4)),
      },
    }), CHART_CONFIG);
    return layers.length;
  }

  // The log10 range for these positive values: at least two decades, and
  // one decade of room below the smallest for the zero markers.
  function logRange(values) {
    if (!values.length) return [-4, 0];
    const low = Math.floor(Math.log10(Math.min(...values))) - 1;
    const high = Math.max(Math.ceil(Math.log10(Math.max(...values))), low + 2);
    return [low, high];
  }

  // --- tables ----------------------------------------------------------------

  function share(value) {
    return value === null || value === undefined ? "–" : `${(100 * value).toFixed(1)}%`;
  }

  function number(value) {
    return value === null || value === undefined ? "–" : String(Number(value.toPrecision(4)));
  }

  function shareCell(value, threshold) {
    const cell = element("td", "", share(value));
    if (value > threshold) cell.className = "bad";
    else if (value > 0) cell.className = "warn";
    return cell;
  }

  function drawTables() {
    const last = records.at(-1);
    out("latest-step").textContent = String(last.step);
    out("latest-step-2").textContent = String(last.step);
    const thresholds = last.stats.thresholds ?? {};
    out("activation-table").replaceChildren(...(last.stats.activations ?? []).map((layer) => {
      const row = element("tr");
      row.dataset.layer = layer.layer;
      row.append(element("td", "", layer.layer), element("td", "", layer.module),
        element("td", "", String(layer.units)),
        shareCell(layer.dead_fraction, thresholds.dead ?? 1),
        shareCell(layer.saturated_fraction, thresholds.saturated ?? 1),
        element("td", "", number(layer.mean)), element("td", "", number(layer.std)));
      return row;
    }));
    out("weight-table").replaceChildren(...(last.stats.weights ?? []).map((layer) => {
      const row = element("tr");
      row.dataset.layer = layer.layer;
      row.append(element("td", "", layer.layer), element("td", "", layer.module),
        element("td", "", layer.shape.join("×")),
        element("td", "", number(layer.grad_norm)),
        element("td", "", number(layer.bias_grad_norm)));
      return row;
    }));
    const loss = out("loss-line");
    loss.hidden = last.stats.loss === null || last.stats.loss === undefined;
    loss.textContent = loss.hidden ? "" : `Loss at step ${last.step}: ${number(last.stats.loss)}`;
  }

  function draw() {
    revision += 1;
    drawTables();
    if (window.Plotly) {
      root.dataset.deadLayers = String(drawFraction("dead"));
      root.dataset.saturatedLayers = String(drawFraction("saturated"));
      root.dataset.weightLayers = String(drawGradients());
    }
    root.dataset.records = String(records.length);
    root.dataset.lastStep = String(lastStep);
  }

  poll();
})();
