"use strict";

// The playground page. The network trains on the server; this file sends the
// controls over a WebSocket and draws the frames it receives. It computes no
// network output itself: the only maps it makes are those of the input
// features, which are fixed functions of the plane.
(() => {
  const config = JSON.parse(document.getElementById("playground-config").textContent);
  const runsBox = document.getElementById("runs");
  const compareButton = document.getElementById("compare-toggle");
  const tooltip = document.getElementById("tooltip");
  const editor = document.getElementById("link-editor");
  const editorValue = document.getElementById("link-editor-value");

  // Controls that take effect between steps; every other one starts a new run.
  const LIVE_FIELDS = new Set(["lr", "reg", "rate", "batch"]);
  // Shortest time between two redraws of the Plotly charts, which cost far
  // more than the canvas maps. The pause after a redraw is also at least
  // CHART_IDLE_FACTOR times the redraw's own time, so slow charts cannot
  // keep the page from handling frames and clicks.
  const CHART_INTERVAL_MS = 400;
  const CHART_IDLE_FACTOR = 3;
  // A chart trace keeps at most about this many points of a long history,
  // and a trace of markers fewer, because Plotly draws each marker as an SVG
  // element of its own.
  const CHART_POINTS = 600;
  const CHART_MARKERS = 150;
  // A Play within this time of the last Pause is taken for a repeated click
  // and ignored, so that a double click on Pause cannot restart training.
  const REPLAY_GUARD_MS = 500;
  const FEATURE_MAP_SIZE = 24;
  // A run that plays but gets no frame for this long shows a warning.
  const STALL_MS = 5000;
  // The server closes an idle session's socket with this reason, and a
  // socket over its session cap with this code.
  const IDLE_CLOSE_REASON = "idle";
  const CLOSE_TRY_AGAIN_LATER = 1013;
  // The epoch axis shows at least this many epochs, from 0.
  const MIN_EPOCH_SPAN = 10;
  // Error fields of the CSV upload and the control that each one marks.
  const ERROR_CONTROLS = { text: "csv-file", csv: "csv-file", target: "csv-target" };
  // Log10 distance between the rows of zero-gradient markers, one per layer.
  const ZERO_ROW_STEP = 0.2;
  const EXTENT = [-6, 6];
  const CLASS_COLOURS = [
    [8, 119, 189], [245, 147, 34], [44, 160, 44], [148, 103, 189],
    [214, 39, 40], [140, 86, 75], [227, 119, 194], [23, 190, 207],
  ];
  const LAYER_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2"];

  // --- colour ----------------------------------------------------------------

  // Diverging scale: orange at -1, white at 0, blue at +1, as TensorFlow
  // Playground colours its maps. 256 entries, looked up per pixel.
  const NEGATIVE = [245, 147, 34];
  const POSITIVE = [8, 119, 189];
  const SCALE = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i += 1) {
    const t = i / 127.5 - 1;
    const end = t < 0 ? NEGATIVE : POSITIVE;
    const share = Math.abs(t);
    for (let c = 0; c < 3; c += 1) {
      SCALE[i * 3 + c] = Math.round(255 + (end[c] - 255) * share);
    }
  }

  function scaleIndex(t) {
    if (!(t === t)) return 127;
    const clipped = Math.min(1, Math.max(-1, t));
    return Math.round((clipped + 1) * 127.5);
  }

  function cssColour(t) {
    const i = scaleIndex(t) * 3;
    return `rgb(${SCALE[i]},${SCALE[i + 1]},${SCALE[i + 2]})`;
  }

  function imageFor(canvas, size) {
    if (canvas.width !== size) {
      canvas.width = size;
      canvas.height = size;
    }
    const context = canvas.getContext("2d");
    return [context, context.createImageData(size, size)];
  }

  // Draw a row-major map of size*size values onto a canvas of as many pixels;
  // CSS scales it up. Row 0 is the top of the plane (x2 = +6), as the server
  // sends it. ``toUnit`` maps a value to -1..1 on the colour scale.
  function drawMap(canvas, values, size, toUnit) {
    const [context, image] = imageFor(canvas, size);
    const pixels = image.data;
    const count = size * size;
    for (let n = 0; n < count; n += 1) {
      const i = scaleIndex(toUnit(values[n])) * 3;
      const p = n * 4;
      pixels[p] = SCALE[i];
      pixels[p + 1] = SCALE[i + 1];
      pixels[p + 2] = SCALE[i + 2];
      pixels[p + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }

  // Colour each cell by the class index it contains. With ``only`` set, the
  // cells of other classes stay white, which draws one output unit's map.
  function drawClassMap(canvas, classes, size, only = null) {
    const [context, image] = imageFor(canvas, size);
    const pixels = image.data;
    const count = size * size;
    for (let n = 0; n < count; n += 1) {
      const k = Math.round(classes[n]);
      const colour = only === null || only === k
        ? CLASS_COLOURS[k % CLASS_COLOURS.length] : [255, 255, 255];
      const p = n * 4;
      pixels[p] = 255 + (colour[0] - 255) * 0.7;
      pixels[p + 1] = 255 + (colour[1] - 255) * 0.7;
      pixels[p + 2] = 255 + (colour[2] - 255) * 0.7;
      pixels[p + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }

  // --- feature maps ----------------------------------------------------------

  const FEATURE_FUNCTIONS = {
    x1: (x1) => x1 / 6,
    x2: (x1, x2) => x2 / 6,
    x1sq: (x1) => (x1 * x1) / 18 - 1,
    x2sq: (x1, x2) => (x2 * x2) / 18 - 1,
    x1x2: (x1, x2) => (x1 * x2) / 18,
    sinx1: (x1) => Math.sin(x1),
    sinx2: (x1, x2) => Math.sin(x2),
  };

  function featureValues(key) {
    const size = FEATURE_MAP_SIZE;
    const values = new Float32Array(size * size);
    const step = (EXTENT[1] - EXTENT[0]) / (size - 1);
    for (let row = 0; row < size; row += 1) {
      for (let col = 0; col < size; col += 1) {
        values[row * size + col] = FEATURE_FUNCTIONS[key](
          EXTENT[0] + col * step, EXTENT[1] - row * step);
      }
    }
    return values;
  }

  // --- small helpers ---------------------------------------------------------

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function formatNumber(value, digits = 3) {
    if (value === null || value === undefined || !Number.isFinite(value)) return "–";
    const size = Math.abs(value);
    if (size !== 0 && (size < 0.001 || size >= 1e5)) return value.toExponential(2);
    return value.toFixed(digits);
  }

  function formatMetric(name, value) {
    if (value === null || value === undefined || !Number.isFinite(value)) return "–";
    return name === "accuracy" ? `${(value * 100).toFixed(1)}%` : formatNumber(value);
  }

  function splitList(text) {
    return String(text ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  }

  function stateFromQuery(query) {
    const state = { ...config.defaults };
    for (const [key, value] of new URLSearchParams(query)) state[key] = value;
    return state;
  }

  function queryOf(state) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(state)) {
      if (key === "edits" && !value) continue;
      params.set(key, value);
    }
    return params.toString();
  }

  // --- one run: a socket, a session on the server, and its view --------------

  class Run {
    constructor(root, state, primary) {
      this.root = root;
      this.state = { edits: "", ...state };
      this.primary = primary;
      this.socket = null;
      this.closing = false;
      this.playing = false;
      this.pending = null;
      this.frame = null;
      this.network = null;
      this.data = null;
      this.framesReceived = 0;
      this.framesDrawn = 0;
      // The counter of the last play, pause, reset or configure sent. The
      // server echoes it in every frame built after it has handled one.
      this.control = 0;
      this.lastPause = -Infinity;
      // Time spent drawing frames, for measuring the page's own cost.
      this.drawMilliseconds = 0;
      this.nextChart = 0;
      this.chartTimer = null;
      this.history = emptyHistory();
      this.links = [];
      this.unitCanvases = [];
      this.outputCanvases = [];
      this.metricName = "accuracy";
      this.errors = [];
      this.bind();
      this.bindNodes();
      this.showState();
      this.buildNetwork();
      this.connect();
    }

    out(name) {
      return this.root.querySelector(`[data-out="${name}"]`);
    }

    field(name) {
      return this.root.querySelector(`[data-field="${name}"]`);
    }

    // --- socket --------------------------------------------------------------

    connect() {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const socket = new WebSocket(`${scheme}://${location.host}${config.socket}`);
      this.socket = socket;
      this.closing = false;
      // A new socket has a new session, whose frames count from control 0.
      this.control = 0;
      this.out("connection").hidden = true;
      this.root.dataset.connection = "connecting";
      socket.addEventListener("open", () => {
        this.root.dataset.connection = "open";
        this.out("connection").hidden = true;
        this.configure();
        if (document.hidden) this.send({ type: "visibility", visible: false });
      });
      socket.addEventListener("message", (event) => this.receive(JSON.parse(event.data)));
      socket.addEventListener("close", (event) => this.lost(socket, event));
    }

    // Reconnecting sends ``configure`` with the state of the URL, so the run
    // comes back with the same settings but fresh weights at epoch 0.
    lost(socket, event) {
      if (socket !== this.socket || this.closing) return;
      this.root.dataset.connection = "closed";
      this.root.dataset.closeReason = event?.reason ?? "";
      this.playRequested = false;
      this.setPlaying(false);
      const idle = event?.reason === IDLE_CLOSE_REASON;
      const busy = event?.code === CLOSE_TRY_AGAIN_LATER;
      this.out("connection-text").textContent = idle
        ? "The server ended this session because the page was paused or hidden " +
          `for ${durationText(config.idle_seconds)}. Reconnect to start ` +
          "again with the same settings; the trained weights were lost, so " +
          "training restarts at epoch 0."
        : busy
          ? "The server is running as many sessions as it allows. Close another " +
            "playground tab, then reconnect."
          : "The connection to the server was lost. Reconnect to start again " +
            "with the same settings; the trained weights were lost.";
      this.out("connection").hidden = false;
    }

    close() {
      this.closing = true;
      if (this.socket) this.socket.close();
    }

    send(message) {
      if (this.socket && this.socket.readyState === WebSocket.OPEN) {
        this.socket.send(JSON.stringify(message));
      }
    }

    configure() {
      this.sendControl({ type: "configure", state: this.state }, false);
    }

    // Send a message that starts or stops training, and show its effect at
    // once. Its counter lets queueFrame skip the frames still on their way,
    // which were built before the server handled it.
    sendControl(message, playing) {
      this.control += 1;
      this.root.dataset.control = String(this.control);
      this.playRequested = playing;
      this.setPlaying(playing);
      this.send({ ...message, control: this.control });
    }

    receive(message) {
      const handler = {
        ready: () => this.ready(message),
        frame: () => this.queueFrame(message),
        data: () => this.receiveData(message),
        paused: () => this.paused(message),
        error: () => this.rejected(message),
        export: () => this.showExport(message),
      }[message.type];
      if (handler) handler();
    }

    // --- server messages -----------------------------------------------------

    // The server sends ``ready`` after every accepted change, with the
    // normalised state; the network is rebuilt only when its shape changed.
    ready(message) {
      this.clearErrors();
      this.out("paused").hidden = true;
      this.state = message.state ? { ...message.state } : stateFromQuery(message.query);
      if (!("edits" in this.state)) this.state.edits = "";
      this.confirmed = { ...this.state };
      const shape = JSON.stringify(message.network ?? null);
      this.network = message.network ?? null;
      this.showState();
      if (shape !== this.shapeKey) {
        this.shapeKey = shape;
        this.buildNetwork();
      }
      this.drawLegend();
      this.field("discretise").closest("label").hidden = this.task() === "multiclass";
      this.writeUrl();
      this.root.dataset.session = message.session ?? "";
      this.root.dataset.ready = String(Number(this.root.dataset.ready || 0) + 1);
    }

    // The server keeps its session unchanged after an error, so the controls
    // go back to the last accepted state and the message names the field.
    rejected(message) {
      if (this.confirmed) {
        this.state = { ...this.confirmed };
        this.showState();
        this.writeUrl();
      }
      this.showError(message.field, message.message);
    }

    receiveData(message) {
      this.data = message;
      this.drawPoints();
    }

    paused(message) {
      this.playRequested = false;
      this.setPlaying(false);
      const banner = this.out("paused");
      banner.textContent = `Training paused: ${message.reason}`;
      banner.hidden = false;
    }

    queueFrame(frame) {
      // The server keeps at most two frames unacknowledged and trains no
      // further until this page catches up, so each is acknowledged on arrival.
      if (frame.seq !== undefined) this.send({ type: "ack", frame: frame.seq });
      frame.readyCount = Number(this.root.dataset.ready || 0);
      this.lastFrameTime = performance.now();
      this.framesReceived += 1;
      this.root.dataset.framesReceived = String(this.framesReceived);
      this.mergeHistory(frame);
      // A frame built before the server handled the last control shows a
      // state that the page has already left. Its history counts, but it is
      // not drawn and its ``playing`` does not change the button.
      const control = frame.control ?? this.control;
      if (control < this.control) {
        this.staleFrames = (this.staleFrames ?? 0) + 1;
        this.root.dataset.staleFrames = String(this.staleFrames);
        return;
      }
      this.root.dataset.acknowledged = String(control);
      if (typeof frame.playing === "boolean") this.setPlaying(frame.playing);
      // Frames that queue up while the page is busy collapse into the last
      // one: the timer task runs after the messages already waiting.
      const first = this.pending === null;
      this.pending = frame;
      if (first) setTimeout(() => this.drawPending(), 0);
    }

    // Frames carry the history points added since the previous frame, or
    // the whole history when ``full`` is set. A replaced last point (after a
    // weight edit or new data) comes again with the same epoch.
    mergeHistory(frame) {
      const delta = frame.history;
      if (!delta) return;
      if (frame.full) this.history = emptyHistory();
      const epochs = delta.epoch ?? [];
      const h = this.history;
      while (h.epoch.length && epochs.length && h.epoch.at(-1) >= epochs[0]) {
        for (const key of Object.keys(h)) h[key].pop();
      }
      for (const key of Object.keys(h)) {
        for (const value of delta[key] ?? []) h[key].push(value);
      }
    }

    drawPending() {
      const frame = this.pending;
      this.pending = null;
      if (!frame) return;
      this.frame = frame;
      const started = performance.now();
      this.drawFrame(frame);
      this.drawMilliseconds += performance.now() - started;
      this.framesDrawn += 1;
      this.root.dataset.drawMilliseconds = this.drawMilliseconds.toFixed(1);
      this.root.dataset.framesDrawn = String(this.framesDrawn);
      // Which ``ready`` the drawn frame follows, so tests can wait for both.
      this.root.dataset.drawnReady = String(frame.readyCount);
      this.root.dataset.epoch = String(frame.epoch);
      this.root.dataset.trainLoss = String(frame.train_loss);
      this.root.dataset.testLoss = String(frame.test_loss);
    }

    // --- controls ------------------------------------------------------------

    bind() {
      this.root.addEventListener("click", (event) => {
        const button = event.target.closest("[data-action]");
        if (button && this.root.contains(button)) {
          this.act(button.dataset.action, button, event);
        }
      });
      this.root.addEventListener("change", (event) => {
        const name = event.target.dataset.field;
        if (name) this.changed(name, event.target);
      });
      this.root.addEventListener("input", (event) => {
        const name = event.target.dataset.field;
        if (event.target.type === "range" && this.out(name)) {
          this.out(name).textContent = name === "ratio"
            ? `${event.target.value}%` : event.target.value;
        }
      });
    }

    act(action, button, event) {
      const actions = {
        play: () => this.togglePlay(event),
        step: () => this.send({ type: "step" }),
        reset: () => {
          if (this.root.dataset.connection === "open") this.out("connection").hidden = true;
          this.sendControl({ type: "reset" }, false);
        },
        regenerate: () => this.send({ type: "regenerate" }),
        reconnect: () => this.connect(),
        "add-layer": () => this.changeLayers(1),
        "remove-layer": () => this.changeLayers(-1),
        "add-unit": () => this.changeUnits(Number(button.dataset.layer), 1),
        "remove-unit": () => this.changeUnits(Number(button.dataset.layer), -1),
        "toggle-feature": () => this.toggleFeature(button.dataset.feature),
        export: () => this.send({ type: "export", format: button.dataset.format }),
        upload: () => this.upload(),
      };
      if (actions[action]) actions[action]();
    }

    // The button shows the new state at once, and queueFrame skips the
    // frames that are still on their way with the old one.
    togglePlay(event) {
      const now = performance.now();
      const play = !this.playing;
      // The second click of a double click has detail 2.
      if (play && (event?.detail > 1 || now - this.lastPause < REPLAY_GUARD_MS)) return;
      if (!play) this.lastPause = now;
      this.lastFrameTime = now;
      this.sendControl({ type: play ? "play" : "pause" }, play);
    }

    // Warn when the server stops sending frames while the run should play.
    checkStalled() {
      const stalled = this.playRequested && this.root.dataset.connection === "open"
        && performance.now() - this.lastFrameTime > STALL_MS;
      const box = this.out("connection");
      if (stalled && box.hidden) {
        this.out("connection-text").textContent =
          "The server has sent no frame for 5 seconds, and its log may say why. " +
          "Press Reset, or reconnect to start a new session.";
        box.hidden = false;
      }
    }

    changed(name, control) {
      if (name === "show-test") return this.drawPoints();
      if (name === "discretise") return this.frame && this.drawFrame(this.frame);
      if (name === "csv-file" || name === "csv-target") return undefined;
      if (name === "act-all") return this.setActivations(control.value);
      if (name.startsWith("act-")) return this.setLayerActivation(Number(name.slice(4)), control.value);
      this.state[name] = control.value;
      this.writeUrl();
      if (LIVE_FIELDS.has(name)) return this.sendLive(name);
      return this.configure();
    }

    sendLive(name) {
      if (name === "lr") this.send({ type: "set", lr: Number(this.state.lr) });
      if (name === "batch") this.send({ type: "set", batch: Number(this.state.batch) });
      if (name === "reg" || name === "rate") {
        this.send({ type: "set", reg: this.state.reg, rate: Number(this.state.rate) });
      }
    }

    widths() {
      return splitList(this.state.hidden).map(Number);
    }

    layerActivations() {
      const names = splitList(this.state.act);
      const count = this.widths().length;
      return Array.from({ length: count }, (_, i) => names[i] ?? names.at(-1) ?? "tanh");
    }

    setShape(widths, names) {
      this.state.hidden = widths.join(",");
      const unique = new Set(names);
      this.state.act = unique.size === 1 ? names[0] : names.join(",");
      if (names.length === 0) this.state.act = this.field("act-all").value;
      this.state.edits = "";
      this.writeUrl();
      this.configure();
    }

    changeLayers(change) {
      const widths = this.widths();
      const names = this.layerActivations();
      if (change > 0 && widths.length < config.max_layers) {
        widths.push(widths.at(-1) ?? 4);
        names.push(names.at(-1) ?? this.field("act-all").value);
      } else if (change < 0 && widths.length > 0) {
        widths.pop();
        names.pop();
      } else {
        return;
      }
      this.setShape(widths, names);
    }

    changeUnits(layer, change) {
      const widths = this.widths();
      const width = widths[layer] + change;
      if (width < 1 || width > config.max_units) return;
      widths[layer] = width;
      this.setShape(widths, this.layerActivations());
    }

    setActivations(name) {
      this.setShape(this.widths(), this.widths().map(() => name));
    }

    setLayerActivation(layer, name) {
      const names = this.layerActivations();
      names[layer] = name;
      this.setShape(this.widths(), names);
    }

    toggleFeature(key) {
      const chosen = new Set(splitList(this.state.features));
      if (chosen.has(key)) chosen.delete(key);
      else chosen.add(key);
      this.state.features = config.features.map(([k]) => k).filter((k) => chosen.has(k)).join(",");
      this.state.edits = "";
      this.writeUrl();
      this.configure();
    }

    upload() {
      const file = this.field("csv-file").files[0];
      if (!file) {
        this.showError("csv", "choose a CSV file first");
        return;
      }
      const reader = new FileReader();
      reader.addEventListener("load", () => {
        const text = String(reader.result);
        // Without a name, the target is the header's last column.
        const header = text.split(/\r?\n/, 1)[0].split(",");
        const target = this.field("csv-target").value.trim()
          || header.at(-1).trim().replace(/^"|"$/g, "");
        this.send({ type: "upload_csv", text, target });
      });
      reader.readAsText(file);
    }

    setPlaying(playing) {
      this.playing = playing;
      const button = this.root.querySelector('[data-action="play"]');
      button.textContent = playing ? "Pause" : "Play";
      button.classList.toggle("playing", playing);
      this.root.dataset.playing = String(playing);
    }

    writeUrl() {
      if (this.primary) history.replaceState(null, "", `?${queryOf(this.state)}`);
    }

    // Put the state into the controls.
    showState() {
      const state = this.state;
      for (const name of ["lr", "reg", "rate", "opt", "init", "output", "loss", "seed",
        "ratio", "noise", "batch", "points"]) {
        const control = this.field(name);
        if (!control) continue;
        const options = control.options ? [...control.options].map((o) => o.value) : null;
        const match = options?.find((v) => Number(v) === Number(state[name]) || v === state[name]);
        control.value = match ?? state[name];
        if (control.type === "range" && this.out(name)) {
          this.out(name).textContent = name === "ratio" ? `${state[name]}%` : state[name];
        }
      }
      for (const radio of this.root.querySelectorAll('[data-field="dataset"]')) {
        radio.checked = radio.value === state.dataset;
      }
      const names = this.layerActivations();
      if (names.length) this.field("act-all").value = names[0];
      const count = this.widths().length;
      this.out("layer-count").textContent =
        `${count} hidden layer${count === 1 ? "" : "s"}`;
    }

    // --- messages ------------------------------------------------------------

    showError(field, text) {
      this.errors.push({ field, text });
      const box = this.out("messages");
      const list = box.querySelector("ul");
      const item = element("li");
      item.dataset.field = field ?? "";
      const label = field ? (config.field_labels?.[field] ?? field) : "";
      if (label) item.append(element("strong", "", label), ": ");
      item.append(text);
      list.append(item);
      box.hidden = false;
      const control = field && this.field(ERROR_CONTROLS[field] ?? field);
      if (control) control.setAttribute("aria-invalid", "true");
    }

    clearErrors() {
      this.errors = [];
      const box = this.out("messages");
      box.querySelector("ul").replaceChildren();
      box.hidden = true;
      for (const control of this.root.querySelectorAll("[aria-invalid]")) {
        control.removeAttribute("aria-invalid");
      }
    }

    showExport(message) {
      const text = this.out("export-text");
      text.value = message.content;
      const link = this.out("download");
      if (link.href) URL.revokeObjectURL(link.href);
      const type = message.format === "json" ? "application/json" : "text/x-python";
      link.href = URL.createObjectURL(new Blob([message.content], { type }));
      link.download = message.filename ?? `model.${message.format === "json" ? "json" : "py"}`;
      link.textContent = `Download ${link.download}`;
      link.hidden = false;
      this.root.querySelector(".export").open = true;
    }

    // --- network drawing -----------------------------------------------------

    // Layer sizes from the input features to the output, as drawn.
    shape() {
      const inputs = splitList(this.state.features).length;
      const outputs = this.network?.sizes?.at(-1) ?? this.outputCount();
      return [inputs, ...this.widths(), outputs];
    }

    outputCount() {
      return this.state.dataset === "blobs" ? 3 : 1;
    }

    buildNetwork() {
      const columns = this.out("columns");
      columns.replaceChildren();
      this.unitCanvases = [];
      this.outputCanvases = [];
      const chosen = new Set(splitList(this.state.features));
      columns.append(this.featureColumn(chosen));
      const names = this.layerActivations();
      this.widths().forEach((width, layer) => {
        columns.append(this.layerColumn(layer, width, names[layer]));
      });
      columns.append(this.outputColumn(this.shape().at(-1)));
      requestAnimationFrame(() => this.buildLinks());
    }

    featureColumn(chosen) {
      const column = element("div", "layer features");
      column.append(element("div", "layer-head", "Inputs"));
      const nodes = element("div", "nodes");
      for (const [key, label] of config.features) {
        const node = element("button", "node feature");
        node.type = "button";
        node.dataset.action = "toggle-feature";
        node.dataset.feature = key;
        node.classList.toggle("off", !chosen.has(key));
        node.setAttribute("aria-pressed", String(chosen.has(key)));
        node.title = `${label}: click to ${chosen.has(key) ? "remove" : "add"}`;
        const canvas = element("canvas");
        drawMap(canvas, featureValues(key), FEATURE_MAP_SIZE, (v) => v);
        node.append(element("span", "node-label", label), canvas);
        if (chosen.has(key)) node.dataset.unit = "0";
        nodes.append(node);
      }
      column.append(nodes);
      return column;
    }

    layerColumn(layer, width, activation) {
      const column = element("div", "layer hidden-layer");
      const head = element("div", "layer-head");
      const buttons = element("div", "unit-buttons");
      for (const [action, text, label] of [["add-unit", "+", "Add a unit"],
        ["remove-unit", "−", "Remove a unit"]]) {
        const button = element("button", "", text);
        button.type = "button";
        button.dataset.action = action;
        button.dataset.layer = String(layer);
        button.setAttribute("aria-label", `${label} to layer ${layer + 1}`);
        buttons.append(button);
      }
      head.append(buttons, element("span", "", `${width} unit${width === 1 ? "" : "s"}`));
      const select = element("select");
      select.dataset.field = `act-${layer}`;
      select.setAttribute("aria-label", `Activation of layer ${layer + 1}`);
      for (const name of config.activations) {
        const option = element("option", "", name);
        option.value = name;
        option.selected = name === activation;
        select.append(option);
      }
      head.append(select);
      column.append(head);
      const nodes = element("div", "nodes");
      const canvases = [];
      for (let unit = 0; unit < width; unit += 1) {
        const node = element("div", "node");
        Object.assign(node.dataset, { layer: String(layer), unit: String(unit) });
        const canvas = element("canvas");
        node.append(canvas);
        nodes.append(node);
        canvases.push(canvas);
      }
      this.unitCanvases.push(canvases);
      column.append(nodes);
      return column;
    }

    outputColumn(count) {
      const column = element("div", "layer output-layer");
      column.append(element("div", "layer-head", "Output"));
      const nodes = element("div", "nodes");
      for (let unit = 0; unit < count; unit += 1) {
        const node = element("div", "node output");
        Object.assign(node.dataset, { layer: String(this.widths().length), unit: String(unit) });
        const canvas = element("canvas");
        node.append(canvas);
        nodes.append(node);
        this.outputCanvases.push(canvas);
      }
      column.append(nodes);
      return column;
    }

    // Place one SVG path per weight between the centres of the unit squares.
    buildLinks() {
      const svg = this.out("links");
      const box = this.out("network").getBoundingClientRect();
      svg.setAttribute("viewBox", `0 0 ${box.width} ${box.height}`);
      const centres = [...this.out("columns").children].map((column) =>
        [...column.querySelectorAll(".node")]
          .filter((node) => !node.classList.contains("off"))
          .map((node) => {
            const rect = node.getBoundingClientRect();
            return {
              left: rect.left - box.left, right: rect.right - box.left,
              y: rect.top + rect.height / 2 - box.top,
            };
          }));

      const drawn = document.createElementNS("http://www.w3.org/2000/svg", "g");
      const hits = document.createElementNS("http://www.w3.org/2000/svg", "g");
      hits.setAttribute("class", "hits");
      this.links = [];
      for (let layer = 0; layer + 1 < centres.length; layer += 1) {
        const row = [];
        centres[layer].forEach((from, i) => {
          const paths = [];
          centres[layer + 1].forEach((to, j) => {
            const middle = (from.right + to.left) / 2;
            const d = `M${from.right},${from.y} C${middle},${from.y} ${middle},${to.y} ${to.left},${to.y}`;
            const path = svgPath(d, "link");
            const hit = svgPath(d, "hit");
            Object.assign(hit.dataset, { layer, from: i, to: j });
            drawn.append(path);
            hits.append(hit);
            paths.push(path);
          });
          row.push(paths);
        });
        this.links.push(row);
      }

      svg.replaceChildren(drawn, hits);
      if (!svg.dataset.bound) this.bindLinks(svg);
      if (this.frame) this.drawLinks(this.frame);
    }

    // Hovering a unit shows its bias, which no link draws.
    bindNodes() {
      const columns = this.out("columns");
      columns.addEventListener("mousemove", (event) => {
        const node = event.target.closest(".node[data-layer]");
        if (!node) {
          hideTooltip();
          return;
        }
        const layer = Number(node.dataset.layer);
        const unit = Number(node.dataset.unit);
        const bias = this.frame?.biases?.[layer]?.[unit];
        const last = layer === this.widths().length;
        const name = last ? `output ${unit + 1}` : `layer ${layer + 1} unit ${unit + 1}`;
        showTooltip(event, `${name}: bias ${formatNumber(bias, 4)}`);
      });
      columns.addEventListener("mouseleave", hideTooltip);
    }

    bindLinks(svg) {
      svg.dataset.bound = "true";
      svg.addEventListener("mousemove", (event) => {
        const hit = event.target.closest?.(".hit");
        if (!hit) return hideTooltip();
        const weight = this.weightOf(hit.dataset);
        showTooltip(event, `weight ${formatNumber(weight, 4)} (${this.linkName(hit.dataset)})`);
      });
      svg.addEventListener("mouseleave", hideTooltip);
      svg.addEventListener("click", (event) => {
        const hit = event.target.closest?.(".hit");
        if (hit) openEditor(this, hit.dataset, event);
      });
    }

    weightOf({ layer, from, to }) {
      return this.frame?.weights?.[Number(layer)]?.[Number(from)]?.[Number(to)];
    }

    linkName({ layer, from, to }) {
      const l = Number(layer);
      const source = l === 0
        ? config.features.find(([k]) => k === splitList(this.state.features)[Number(from)])?.[1]
        : `layer ${l} unit ${Number(from) + 1}`;
      const last = l === this.widths().length;
      const target = last ? `output ${Number(to) + 1}` : `layer ${l + 1} unit ${Number(to) + 1}`;
      return `${source} → ${target}`;
    }

    editWeight(link, value) {
      const message = {
        type: "edit_weight", layer: Number(link.layer), from: Number(link.from),
        to: Number(link.to), value,
      };
      this.send(message);
      const edits = splitList(this.state.edits.replaceAll(";", ",")).filter(
        (e) => !e.startsWith(`${link.layer}.${link.from}.${link.to}:`));
      edits.push(`${link.layer}.${link.from}.${link.to}:${value}`);
      this.state.edits = edits.join(";");
      this.writeUrl();
    }

    // --- frame drawing -------------------------------------------------------

    drawFrame(frame) {
      this.out("epoch").textContent = String(frame.epoch).padStart(6, "0");
      this.drawScores(frame);
      this.drawOutput(frame);
      this.drawUnits(frame);
      this.drawLinks(frame);
      this.drawStats(frame);
      this.scheduleCharts();
    }

    drawScores(frame) {
      this.metricName = frame.metric_name ?? this.metricName;
      const label = this.metricName === "r2" ? "R²" : "Accuracy";
      this.out("metric-name").textContent = label;
      this.out("metric-name-2").textContent = label;
      this.out("metric-name-3").textContent = label;
      this.out("train-loss").textContent = formatNumber(frame.train_loss);
      this.out("test-loss").textContent = formatNumber(frame.test_loss);
      this.out("train-metric").textContent = formatMetric(this.metricName, frame.train_metric);
      this.out("test-metric").textContent = formatMetric(this.metricName, frame.test_metric);
    }

    task() {
      return this.network?.task ?? this.data?.task ?? "binary";
    }

    // The output map's values and the targets on one range [low, high],
    // whose middle is white: a probability for bce, the two labels for a
    // binary set under squared error, and +-max|y| for regression.
    outputRange() {
      const network = this.network;
      if (network?.loss === "bce") return [0, 1];
      if (network?.labels) return network.labels;
      let size = 0;
      for (const point of this.data?.train ?? []) size = Math.max(size, Math.abs(point[2]));
      return [-(size || 1), size || 1];
    }

    outputScale() {
      const [low, high] = this.outputRange();
      const middle = (low + high) / 2;
      const half = (high - low) / 2 || 1;
      return (v) => (v - middle) / half;
    }

    // A data point's target on the output map's range.
    targetValue(y) {
      const network = this.network;
      if (this.task() !== "binary") return y;
      const [low, high] = network?.labels ?? [0, 1];
      return y === 1 ? high : low;
    }

    drawOutput(frame) {
      const grid = frame.grid;
      if (!grid?.output) return;
      const canvas = this.out("output-map");
      if (this.task() === "multiclass") {
        drawClassMap(canvas, grid.output, grid.size);
        this.outputCanvases.forEach((node, k) => drawClassMap(node, grid.output, grid.size, k));
        return;
      }
      const scale = this.outputScale();
      const discrete = this.field("discretise").checked;
      const threshold = (v) => (scale(v) > 0 ? 1 : -1);
      const toUnit = discrete ? threshold : scale;
      drawMap(canvas, grid.output, grid.size, toUnit);
      if (this.outputCanvases.length === 1) {
        drawMap(this.outputCanvases[0], grid.output, grid.size, scale);
      }
    }

    drawUnits(frame) {
      const grids = frame.grid?.units;
      if (!grids) return;
      const size = frame.grid.unit_size ?? Math.round(Math.sqrt(grids[0]?.[0]?.length ?? 0));
      grids.forEach((layer, l) => {
        layer.forEach((values, u) => {
          const canvas = this.unitCanvases[l]?.[u];
          if (canvas) drawMap(canvas, values, size, (v) => v);
        });
      });
    }

    drawLinks(frame) {
      const weights = frame.weights;
      if (!weights) return;
      this.links.forEach((rows, l) => {
        rows.forEach((paths, i) => {
          paths.forEach((path, j) => {
            const w = weights[l]?.[i]?.[j];
            if (w === undefined) return;
            const size = Math.abs(w);
            path.setAttribute("stroke-width", Math.min(0.6 + size * 2, 9).toFixed(2));
            path.setAttribute("stroke", cssColour(Math.sign(w) * Math.max(0.3, Math.min(1, size))));
          });
        });
      });
    }

    drawStats(frame) {
      const stats = frame.stats;
      if (!stats) return;
      this.drawUnitTable(stats);
      this.drawDeadNote(stats);
      this.drawHistograms(stats);
    }

    drawUnitTable(stats) {
      const body = this.out("unit-table");
      const names = [...this.layerActivations(), this.network?.output ?? this.state.output];
      const rows = (stats.units ?? []).map((units, l) => {
        const label = l < this.widths().length ? String(l + 1) : "output";
        const cells = [label, names[l] ?? "", units, stats.dead?.[l], stats.saturated?.[l]];
        return cells.map((value) => (value === null || value === undefined ? "–" : String(value)));
      });
      const text = JSON.stringify(rows);
      if (body.dataset.text === text) return;
      body.dataset.text = text;
      body.replaceChildren(...rows.map((cells, l) => {
        const row = element("tr");
        cells.forEach((value, c) => {
          const cell = element("td", "", value);
          const count = Number(value);
          if (c >= 3 && count > 0) cell.className = count * 10 > Number(cells[2]) ? "bad" : "warn";
          if (c === 3 && count > 0 && count === Number(cells[2])) cell.textContent = `${value} (all)`;
          row.append(cell);
        });
        row.dataset.layer = String(l);
        return row;
      }));
    }

    // Name each hidden layer whose units are all dead: its outputs and its
    // gradients are 0, so nothing before it learns again.
    drawDeadNote(stats) {
      const widths = this.widths();
      const layers = (stats.dead ?? []).map((dead, l) => [dead, stats.units?.[l], l])
        .filter(([dead, units, l]) => l < widths.length && dead > 0 && dead === units)
        .map(([, , l]) => `layer ${l + 1}`);
      const note = this.out("dead-note");
      note.hidden = layers.length === 0;
      note.textContent = layers.length
        ? `Every unit of ${layers.join(" and ")} is dead (0: no gradient reaches ` +
          "this layer or the ones before it), so training cannot revive it. " +
          "Reset the run with a lower learning rate, or try leaky_relu."
        : "";
      this.root.dataset.deadLayers = String(layers.length);
    }

    drawHistograms(stats) {
      const box = this.out("histograms");
      const layers = stats.z_hist ?? [];
      while (box.children.length > layers.length) box.lastChild.remove();
      while (box.children.length < layers.length) {
        const figure = element("figure", "histogram");
        figure.append(element("figcaption"), element("canvas"));
        box.append(figure);
      }
      const names = [...this.layerActivations(), this.network?.output ?? this.state.output];
      layers.forEach((hist, l) => {
        const figure = box.children[l];
        const label = l < this.widths().length ? `layer ${l + 1}` : "output";
        figure.firstChild.textContent = `${label} · ${names[l] ?? ""}`;
        drawHistogram(figure.lastChild, hist, LAYER_COLOURS[l % LAYER_COLOURS.length]);
      });
    }

    drawPoints() {
      const canvas = this.out("points");
      const ratio = window.devicePixelRatio || 1;
      const width = canvas.clientWidth || 300;
      if (canvas.width !== Math.round(width * ratio)) {
        canvas.width = Math.round(width * ratio);
        canvas.height = Math.round(width * ratio);
      }
      const context = canvas.getContext("2d");
      context.clearRect(0, 0, canvas.width, canvas.height);
      if (!this.data) return;
      const scale = this.outputScale();
      const place = (v) => ((v - EXTENT[0]) / (EXTENT[1] - EXTENT[0])) * canvas.width;
      const multiclass = this.task() === "multiclass";
      const sets = [[this.data.train, "#ffffff"]];
      if (this.field("show-test").checked) sets.push([this.data.test, "#000000"]);
      const radius = 3 * ratio;
      for (const [points, edge] of sets) {
        context.strokeStyle = edge;
        context.lineWidth = ratio;
        for (const [x1, x2, y] of points ?? []) {
          const colour = multiclass
            ? `rgb(${CLASS_COLOURS[y % CLASS_COLOURS.length].join(",")})`
            : pointColour(scale(this.targetValue(y)));
          context.fillStyle = colour;
          context.beginPath();
          context.arc(place(x1), canvas.height - place(x2), radius, 0, 2 * Math.PI);
          context.fill();
          context.stroke();
        }
      }
      this.drawLegend();
    }

    drawLegend() {
      const legend = this.out("legend");
      if (this.task() === "multiclass") {
        const names = this.data?.classes ?? [];
        const count = this.shape().at(-1);
        legend.replaceChildren(...Array.from({ length: count }, (_, k) => {
          const item = element("span", "class-key", `${names[k] ?? `class ${k}`}`);
          item.style.setProperty("--key", `rgb(${CLASS_COLOURS[k % CLASS_COLOURS.length].join(",")})`);
          return item;
        }), element("span", "hint", "the map shows the winning class"));
        return;
      }
      const [low, high] = this.outputRange();
      const what = this.network?.loss === "bce" ? "probability of class 1" : "output value";
      legend.replaceChildren(
        element("span", "", formatNumber(low, 2)),
        element("span", "bar"),
        element("span", "", formatNumber(high, 2)),
        element("span", "hint", what),
      );
    }

    // Redraw what depends on the run's width after the layout changed.
    relayout() {
      this.buildLinks();
      this.drawPoints();
      if (!window.Plotly) return;
      for (const name of ["loss-plot", "grad-plot"]) {
        const plot = this.out(name);
        if (plot.data) Plotly.Plots.resize(plot);
      }
    }

    // --- charts --------------------------------------------------------------

    scheduleCharts() {
      if (this.chartTimer !== null) return;
      const wait = Math.max(0, this.nextChart - performance.now());
      this.chartTimer = setTimeout(() => {
        this.chartTimer = null;
        const started = performance.now();
        this.drawCharts();
        const ended = performance.now();
        const pause = Math.max(CHART_INTERVAL_MS, CHART_IDLE_FACTOR * (ended - started));
        this.nextChart = ended + pause;
      }, wait);
    }

    thinned(trace) {
      const limit = trace.mode === "markers" ? CHART_MARKERS : CHART_POINTS;
      const [x, y] = thinTrace(trace.x, trace.y, limit);
      return { ...trace, x, y };
    }

    drawCharts() {
      if (!window.Plotly) return;
      // The history arrays grow in place, so Plotly redraws only when the
      // layout's revision number changes.
      this.chartRevision = (this.chartRevision ?? 0) + 1;
      const h = this.history;
      const metric = this.metricName === "r2" ? "R²" : "accuracy";
      const traces = [
        { x: h.epoch, y: h.train_loss, name: "training loss", line: { color: "#5b6675" } },
        { x: h.epoch, y: h.test_loss, name: "test loss", line: { color: "#1d232b" } },
        { x: h.epoch, y: h.train_metric, name: `training ${metric}`, yaxis: "y2",
          line: { color: "#5b6675", dash: "dot" } },
        { x: h.epoch, y: h.test_metric, name: `test ${metric}`, yaxis: "y2",
          line: { color: "#1d232b", dash: "dot" } },
      ];
      const accuracy = this.metricName === "accuracy";
      const lastEpoch = h.epoch.at(-1) ?? 0;
      const epochAxis = {
        title: { text: "epoch", standoff: 2 },
        range: [0, Math.max(MIN_EPOCH_SPAN, lastEpoch)],
      };
      const losses = [...h.train_loss, ...h.test_loss].filter(Number.isFinite);
      const lines = traces.map((trace) => this.thinned(lineTrace(trace)));
      Plotly.react(this.out("loss-plot"), lines, chartLayout(this.chartRevision, {
        showlegend: false,
        margin: { l: 44, r: 44, t: 8, b: 30 },
        xaxis: epochAxis,
        yaxis: {
          title: { text: "loss" }, rangemode: "tozero",
          range: losses.length ? undefined : [0, 1],
        },
        yaxis2: {
          overlaying: "y", side: "right", title: { text: metric }, showgrid: false,
          range: accuracy ? [0, 1.02] : undefined, tickformat: accuracy ? ".0%" : undefined,
          dtick: accuracy ? 0.25 : undefined,
        },
      }), CHART_CONFIG);
      this.drawGradients(epochAxis);
    }

    // A log axis cannot show 0, so a zero norm is drawn as a marker at a
    // floor below the smallest positive norm, and a note says what it means.
    drawGradients(epochAxis) {
      const h = this.history;
      const norms = h.grad_norms;
      const count = norms[0]?.length ?? 0;
      const positive = norms.flat().filter((v) => v > 0 && Number.isFinite(v));
      const [low, high] = logRange(positive);
      // Each layer's zero markers sit on their own row below the lowest
      // decade, so layers that are all 0 do not hide one another.
      const rowOf = (l) => low - ZERO_ROW_STEP * (l + 1);
      const bottom = rowOf(count);
      const traces = [];
      let zeros = 0;
      for (let l = 0; l < count; l += 1) {
        const name = l < this.widths().length ? `layer ${l + 1}` : "output";
        const colour = LAYER_COLOURS[l % LAYER_COLOURS.length];
        const values = norms.map((n) => n?.[l]);
        traces.push(this.thinned(lineTrace({
          x: h.epoch, y: values.map((v) => (v > 0 ? v : null)), name,
          line: { color: colour },
        })));
        const zero = values.map((v) => (v === 0 ? 10 ** rowOf(l) : null));
        if (zero.some((v) => v !== null)) {
          zeros += 1;
          traces.push(this.thinned({
            type: "scatter", mode: "markers", x: h.epoch, y: zero, name: `${name}: 0`,
            marker: { symbol: "triangle-down", size: 6, color: colour },
            hovertemplate: "0 (no gradient)<extra></extra>", showlegend: false,
          }));
        }
      }
      this.root.dataset.zeroGradients = String(zeros);
      this.out("grad-note").hidden = zeros === 0;
      Plotly.react(this.out("grad-plot"), traces, chartLayout(this.chartRevision, {
        xaxis: epochAxis,
        yaxis: {
          type: "log", title: { text: "‖∇W‖" }, exponentformat: "power",
          range: [zeros ? bottom : low, high],
          dtick: Math.max(1, Math.ceil((high - low) / 4)),
        },
      }), CHART_CONFIG);
    }
  }

  // --- shared drawing helpers ------------------------------------------------

  const CHART_CONFIG = { displayModeBar: false, responsive: true };

  // Keep the lowest and the highest finite value of each run of points, and
  // the first gap (null) of a run, in epoch order, so that a long history
  // keeps its spikes and breaks in about ``limit`` points. Without this, the
  // charts' redraw time grows with the history.
  function thinTrace(xs, ys, limit) {
    const n = xs.length;
    if (n <= limit) return [xs, ys];
    const size = Math.ceil(n / (limit / 3));
    const keptX = [];
    const keptY = [];
    for (let start = 0; start < n; start += size) {
      const end = Math.min(n, start + size);
      let low = -1;
      let high = -1;
      let gap = -1;
      for (let i = start; i < end; i += 1) {
        const y = ys[i];
        if (!Number.isFinite(y)) {
          if (gap < 0) gap = i;
        } else {
          if (low < 0 || y < ys[low]) low = i;
          if (high < 0 || y > ys[high]) high = i;
        }
      }
      const indices = [...new Set([low, high, gap, end === n ? n - 1 : -1])]
        .filter((i) => i >= 0).sort((a, b) => a - b);
      for (const i of indices) {
        keptX.push(xs[i]);
        keptY.push(Number.isFinite(ys[i]) ? ys[i] : null);
      }
    }
    return [keptX, keptY];
  }

  // A line needs two points, so a trace of one point (epoch 0) is a marker.
  function lineTrace(trace) {
    const mode = trace.x.length === 1 ? "markers" : "lines";
    return {
      type: "scatter", mode, hovertemplate: "%{y:.4g}", cliponaxis: false, ...trace,
    };
  }

  function chartLayout(revision, extra) {
    return {
      datarevision: revision,
      margin: { l: 48, r: 44, t: 8, b: 30 },
      hovermode: "x unified",
      showlegend: true,
      legend: { orientation: "h", y: -0.25, font: { size: 10 } },
      font: { size: 11 },
      xaxis: { title: { text: "epoch", standoff: 2 } },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      ...extra,
    };
  }

  // The log10 range of a log axis for these positive values: at least two
  // decades, and one decade of room below the smallest for zero markers.
  function logRange(values) {
    if (!values.length) return [-4, 0];
    const low = Math.floor(Math.log10(Math.min(...values))) - 1;
    const high = Math.max(Math.ceil(Math.log10(Math.max(...values))), low + 2);
    return [low, high];
  }

  function durationText(seconds) {
    if (seconds < 90) return `${Math.round(seconds)} seconds`;
    return `${Math.round(seconds / 60)} minutes`;
  }

  function emptyHistory() {
    return {
      epoch: [], train_loss: [], test_loss: [], train_metric: [], test_metric: [],
      grad_norms: [],
    };
  }

  function svgPath(d, className) {
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", d);
    path.setAttribute("class", className);
    return path;
  }

  // Bars of the z histogram, over grey bands where the activation is flat.
  function drawHistogram(canvas, hist, colour) {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round((canvas.clientWidth || 160) * ratio);
    const height = Math.round((canvas.clientHeight || 70) * ratio);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const context = canvas.getContext("2d");
    context.clearRect(0, 0, width, height);
    const edges = hist.edges ?? [];
    const counts = hist.counts ?? [];
    if (edges.length < 2) return;
    const low = edges[0];
    const high = edges.at(-1);
    const axis = 12 * ratio;
    const x = (z) => ((z - low) / (high - low || 1)) * width;

    context.fillStyle = "rgba(120, 130, 145, 0.22)";
    for (const [from, to] of hist.flat ?? []) {
      const a = x(Math.max(low, from ?? -Infinity));
      const b = x(Math.min(high, to ?? Infinity));
      if (b > a) context.fillRect(a, 0, b - a, height - axis);
    }

    const top = Math.max(1, ...counts);
    context.fillStyle = colour;
    counts.forEach((count, i) => {
      const a = x(edges[i]);
      const b = x(edges[i + 1]);
      const h = (count / top) * (height - axis - 2 * ratio);
      context.fillRect(a, height - axis - h, Math.max(1, b - a - ratio), h);
    });

    context.fillStyle = "#5b6675";
    context.font = `${10 * ratio}px system-ui, sans-serif`;
    context.textBaseline = "bottom";
    context.textAlign = "left";
    context.fillText(formatNumber(low, 1), 0, height);
    context.textAlign = "right";
    context.fillText(formatNumber(high, 1), width, height);
    const zero = x(0);
    if (zero > 30 * ratio && zero < width - 30 * ratio) {
      context.textAlign = "center";
      context.fillText("0", zero, height);
    }
  }

  function pointColour(t) {
    return cssColour(Math.sign(t) * Math.max(0.7, Math.min(1, Math.abs(t))));
  }

  function showTooltip(event, text) {
    tooltip.textContent = text;
    tooltip.hidden = false;
    tooltip.style.left = `${event.pageX + 12}px`;
    tooltip.style.top = `${event.pageY + 12}px`;
  }

  function hideTooltip() {
    tooltip.hidden = true;
  }

  let editing = null;

  function openEditor(run, link, event) {
    editing = { run, link: { ...link } };
    editorValue.value = formatNumber(run.weightOf(link), 4);
    editor.hidden = false;
    editor.style.left = `${event.pageX + 8}px`;
    editor.style.top = `${event.pageY + 8}px`;
    editorValue.focus();
    editorValue.select();
  }

  function closeEditor() {
    editor.hidden = true;
    editing = null;
  }

  function commitEditor() {
    const value = Number(editorValue.value);
    if (!editing) return;
    if (editorValue.value.trim() === "" || !Number.isFinite(value)) {
      const text = JSON.stringify(editorValue.value);
      editing.run.showError("weight", `invalid weight ${text}: enter a finite number`);
    } else {
      editing.run.editWeight(editing.link, value);
    }
    closeEditor();
  }

  document.getElementById("link-editor-set").addEventListener("click", commitEditor);
  document.getElementById("link-editor-cancel").addEventListener("click", closeEditor);
  editorValue.addEventListener("keydown", (event) => {
    if (event.key === "Enter") commitEditor();
    if (event.key === "Escape") closeEditor();
  });

  // --- the page --------------------------------------------------------------

  const runs = [];
  const firstRoot = runsBox.querySelector(".run");
  const pristine = firstRoot.cloneNode(true);
  runs.push(new Run(firstRoot, config.state, true));

  function openCompare() {
    const root = pristine.cloneNode(true);
    root.dataset.run = "B";
    root.querySelector('[data-out="name"]').textContent = "Run B";
    for (const radio of root.querySelectorAll('[data-field="dataset"]')) radio.name = "dataset-B";
    runsBox.append(root);
    runsBox.classList.add("compare");
    runs.forEach((run) => run.relayout());
    runs.push(new Run(root, runs[0].state, false));
    compareButton.textContent = "Close the second run";
    compareButton.setAttribute("aria-pressed", "true");
  }

  function closeCompare() {
    const second = runs.pop();
    second.close();
    second.root.remove();
    runsBox.classList.remove("compare");
    runs[0].relayout();
    compareButton.textContent = "Compare with a second run";
    compareButton.setAttribute("aria-pressed", "false");
  }

  compareButton.addEventListener("click", () => (runs.length > 1 ? closeCompare() : openCompare()));

  document.addEventListener("visibilitychange", () => {
    for (const run of runs) run.send({ type: "visibility", visible: !document.hidden });
  });

  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => runs.forEach((run) => run.relayout()), 100);
  });

  setInterval(() => runs.forEach((run) => run.checkStalled()), 1000);

  window.playground = { runs, thinTrace };
})();
